/* mxquant.h -- block quantizers MXFP4, MXFP8 (E4M3, E5M2) and NVFP4, each with
 * a selectable scale rule. Bit-exact: codes and scale bytes are pinned by
 * traces/mxref/ (vectors made with ml_dtypes' casts, see its README.md).
 *
 * Blocks are consecutive runs of `block` inputs (0 = the format's native
 * block: 32 for MX, 16 for NVFP4; other sizes are hypothetical formats); a
 * last partial block (n not a multiple of block) is quantized like a full one
 * over the inputs it has. Inputs are fp32; the arithmetic each rule performs
 * in fp32 is stated below and done in fp32 here (it decides ties).
 *
 * Rule `ocp` -- OCP MX v1.0 / MX paper (arXiv 2310.10537) Algorithm 1:
 *   MX: shared_exp = floor(log2(amax)) - emax_elem (emax 2 for E2M1, 8 for
 *     E4M3, 15 for E5M2), from the exact binade (frexp), not a float log2, so
 *     it can differ from microsoft/microxcaling (torch.log2 rounds up just below
 *     a power of two; workload_facts.md §2.3a). Clamped to [-127, 127]; scale
 *     byte = shared_exp + 127. Elements: RNE(x / 2^shared_exp), values above
 *     the element max clamped to +-max (the spec's clamping; RNE as ml_dtypes
 *     and cvt.rn do; microxcaling's default rounds ties away from zero and
 *     llama.cpp's MXFP4 ties to the smaller magnitude: both differ at ties).
 *     All-zero block (amax = 0): scale byte 0x00 (2^-127, what microxcaling's
 *     amax==0 guard and clamp give), elements +-0.
 *   NVFP4 (not an OCP format): the NVFP4 recipe below with no per-tensor
 *     scale (global = 1), as llama.cpp's block_nvfp4 stores only UE4M3
 *     sub-block scales (UNCERTAIN that its quantizer rounds the same way).
 *
 * Rule `nvidia` -- TensorRT-LLM / FlashInfer (quantization_utils.cuh
 *   cvt_warp_fp16_to_fp4 with UE8M0_SF, cvt_warp_fp16_to_mxfp8, host
 *   fp8Quantize.cpp float_to_ue8m0), with rcp.approx replaced by IEEE fp32
 *   division (as the TE_EXACT_NVFP4 variant does):
 *   MX: sf = fp32(amax / max_elem) (6, 448 or 57344); byte = float_to_ue8m0(sf):
 *     the biased exponent of sf, plus one when the mantissa is nonzero, except
 *     at 0xFE (saturates) and for sf <= 2^-127 -- i.e. ceil(log2(amax/max)),
 *     so the block max never clips. Elements: RNE satfinite of
 *     fp32(x * inv), inv = 2^(127-byte), except byte 0 -> inv = 1 (the
 *     scale-byte-0 quirk of the kernel: a block with byte 0 is scaled by 1,
 *     so its elements encode as +-0 instead of x*2^127).
 *     All-zero block: byte 0x00 (float_to_ue8m0(0) = 0), elements +-0.
 *   NVFP4: global = fp32(2688 / amax_tensor) (448*6/amax, fp4Quantize.cpp's
 *     "globalScale = (448*6)/self.abs().max()"; 1 when the tensor has no
 *     nonzero finite value; saturated to FLT_MAX when the division overflows).
 *     Per block: s = fp32(fp32(global * amax) / 6), scale byte = UE4M3 RNE
 *     satfinite of s, sf its value; inv = fp32(global / sf) saturated to
 *     FLT_MAX, or 0 when sf = 0; elements = E2M1 RNE satfinite of
 *     fp32(x * inv) (an fp32 overflow to +-Inf saturates to +-6).
 *     Dequantized value = e2m1 * sf / global.
 *
 * Ocp vs nvidia for MX (derived, workload_facts.md §2.3c): for amax = m*2^e
 * (1 <= m < 2) both give 2^(e-emax) when m <= max_elem/2^emax (1.5 for E2M1,
 * 1.75 for E4M3 and E5M2); above that nvidia's scale is twice as large (no
 * clipping, one bit less resolution) while ocp clamps values to +-max.
 *
 * Non-finite inputs (both rules): a block holding any NaN or +-Inf gets the
 * NaN scale (E8M0 0xFF, UE4M3 0x7F) and every element the element format's
 * NaN code with the input's sign (E4M3 0x7F|s, E5M2 0x7E|s; E2M1 has none:
 * code 0), i.e. X = NaN => every P_i = NaN as OCP MX v1.0 states and as
 * microxcaling produces (an Inf amax makes shared_exp > 127 -> NaN). The
 * NVFP4 global scale is taken over the finite inputs only. (The CUDA kernels
 * differ: their max ignores NaN and an Inf amax saturates the scale to 0xFE;
 * this module does not reproduce that.) */
#ifndef GBSIM_MXQUANT_H
#define GBSIM_MXQUANT_H

#include <stddef.h>
#include <stdint.h>

#include "models/numerics/mxfmt.h"

typedef enum { MXQ_MXFP4, MXQ_MXFP8_E4M3, MXQ_MXFP8_E5M2, MXQ_NVFP4, MXQ_NFMT } mxquant_fmt_t;
typedef enum { MXQ_OCP, MXQ_NVIDIA, MXQ_NRULE } mxquant_rule_t;

typedef struct {
    mxquant_fmt_t fmt;
    mxquant_rule_t rule;
    int block;            /* elements per scale; 0 = native (32 MX, 16 NVFP4) */
} mxquant_cfg_t;

const char *mxquant_fmt_name(mxquant_fmt_t f);
const char *mxquant_rule_name(mxquant_rule_t r);
/* Parse a name; 0 or -1 if unknown. */
int mxquant_fmt_parse(const char *s, mxquant_fmt_t *out);
int mxquant_rule_parse(const char *s, mxquant_rule_t *out);
/* "mxfp4, mxfp8e4m3, mxfp8e5m2, nvfp4" and "ocp, nvidia", for messages. */
const char *mxquant_fmt_names(void);
const char *mxquant_rule_names(void);

mxfmt_elem_t mxquant_elem(mxquant_fmt_t f);
int mxquant_native_block(mxquant_fmt_t f);
/* The effective block size of c (c->block or the native one). */
int mxquant_block(const mxquant_cfg_t *c);
/* 1 if the scale is UE8M0 (MX), 0 if UE4M3 (NVFP4). */
int mxquant_scale_is_ue8m0(mxquant_fmt_t f);
/* Number of blocks (scales) for n inputs: ceil(n / block). */
size_t mxquant_nblocks(const mxquant_cfg_t *c, size_t n);

/* The per-tensor scale over x[0..n): fp32(2688 / amax of the finite inputs)
 * for NVFP4 under `nvidia`, else 1 (see above). */
float mxquant_global_scale(const mxquant_cfg_t *c, const float *x, size_t n);

/* Quantize x[0..n) with the per-tensor scale global (1 for MX): codes[n]
 * element codes, scales[mxquant_nblocks] scale bytes. */
void mxquant_quantize(const mxquant_cfg_t *c, const float *x, size_t n, float global,
                      uint8_t *codes, uint8_t *scales);

/* Value of a scale byte without the per-tensor scale: 2^(b-127) (NaN for
 * 0xFF) for UE8M0, the UE4M3 value for NVFP4. */
double mxquant_scale_value(mxquant_fmt_t f, uint8_t scale);
/* Dequantized value: element * scale_value / global. */
double mxquant_dequant(const mxquant_cfg_t *c, uint8_t code, uint8_t scale, float global);

#endif
