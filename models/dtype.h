/* dtype.h -- operand data types: storage cost in bytes per element, including
 * block scale factors, as one table row per type. */
#ifndef GBSIM_DTYPE_H
#define GBSIM_DTYPE_H

typedef enum {
    DT_BF16, DT_FP16, DT_FP32, DT_FP8E4M3, DT_FP8E5M2,
    DT_MXFP8, DT_MXFP6, DT_MXFP4, DT_NVFP4, DT_INT8, DT_Q8_0, DT_Q8_1,
    DT_COUNT
} dtype_t;

typedef struct {
    dtype_t id;
    const char *name;
    int elem_bits;        /* bits per element in global memory */
    int scale_block;      /* elements per scale (0 = none) */
    int scale_bits;       /* bits per scale */
    int mma_class;        /* which MMA rate applies: see dtype.c */
    const char *source;
} dtype_info_t;

enum { MMA_NONE, MMA_BF16, MMA_FP8, MMA_MX, MMA_FP32 };

const dtype_info_t *dtype_info(dtype_t t);
/* Parse a name; returns 0, or -1 if unknown. */
int dtype_parse(const char *name, dtype_t *out);
/* Bytes per element including scale factors (e.g. MXFP4 = 4.25/8). */
double dtype_bytes_per_elem(dtype_t t);
/* Comma-separated list of valid names, for error messages. */
const char *dtype_names(void);

#endif
