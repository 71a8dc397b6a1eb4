/* dtype.c -- operand type table. One row per type with its source. */
#include "models/dtype.h"

#include <string.h>

static const dtype_info_t DTYPES[DT_COUNT] = {
    {DT_BF16,    "bf16",    16, 0,  0, MMA_BF16, "IEEE-style bfloat16"},
    {DT_FP16,    "fp16",    16, 0,  0, MMA_BF16, "IEEE binary16"},
    {DT_FP32,    "fp32",    32, 0,  0, MMA_FP32, "IEEE binary32"},
    {DT_FP8E4M3, "fp8e4m3",  8, 0,  0, MMA_FP8,  "OCP FP8 E4M3"},
    {DT_FP8E5M2, "fp8e5m2",  8, 0,  0, MMA_FP8,  "OCP FP8 E5M2"},
    {DT_MXFP8,   "mxfp8",    8, 32, 8, MMA_MX,   "OCP MX v1.0: E4M3 elements, UE8M0 scale per 32"},
    {DT_MXFP6,   "mxfp6",    6, 32, 8, MMA_MX,   "OCP MX v1.0: E2M3/E3M2 elements, UE8M0 scale per 32"},
    {DT_MXFP4,   "mxfp4",    4, 32, 8, MMA_MX,   "OCP MX v1.0: E2M1 elements, UE8M0 scale per 32"},
    {DT_NVFP4,   "nvfp4",    4, 16, 8, MMA_MX,   "NVIDIA NVFP4: E2M1 elements, UE4M3 scale per 16 (+ fp32 per tensor)"},
    {DT_INT8,    "int8",     8, 0,  0, MMA_FP8,  "two's complement int8"},
    /* ggml block_q8_0: fp16 d + int8 qs[32] = 34 B per 32 (ggml-common.h) */
    {DT_Q8_0,    "q8_0",     8, 32, 16, MMA_NONE, "ggml block_q8_0 {half d; int8 qs[32]} (ggml/src/ggml-common.h)"},
    /* ggml block_q8_1: half2 ds + int8 qs[32] = 36 B per 32 */
    {DT_Q8_1,    "q8_1",     8, 32, 32, MMA_NONE, "ggml block_q8_1 {half2 ds; int8 qs[32]} (ggml/src/ggml-common.h)"},
};

const dtype_info_t *dtype_info(dtype_t t)
{
    return &DTYPES[t];
}

int dtype_parse(const char *name, dtype_t *out)
{
    for (int i = 0; i < DT_COUNT; i++)
        if (strcmp(DTYPES[i].name, name) == 0) {
            *out = DTYPES[i].id;
            return 0;
        }
    return -1;
}

double dtype_bytes_per_elem(dtype_t t)
{
    const dtype_info_t *d = &DTYPES[t];
    double bits = d->elem_bits;
    if (d->scale_block > 0)
        bits += (double)d->scale_bits / d->scale_block;
    return bits / 8.0;
}

const char *dtype_names(void)
{
    return "bf16, fp16, fp32, fp8e4m3, fp8e5m2, mxfp8, mxfp6, mxfp4, nvfp4, int8, q8_0, q8_1";
}
