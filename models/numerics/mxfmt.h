/* mxfmt.h -- bit-exact encode/decode of the OCP MX element formats (FP4 E2M1,
 * FP6 E3M2 and E2M3, FP8 E4M3 "fn" and E5M2) and the block scale formats
 * UE8M0 and UE4M3 (workload_facts.md §2.1).
 *
 * Element formats (sign bit = the code's top bit; bias, max finite, smallest
 * subnormal):
 *   E2M1  4 bits  bias 1   max 6       min sub 0.5     no Inf, no NaN
 *   E3M2  6 bits  bias 3   max 28      min sub 0.0625  no Inf, no NaN
 *   E2M3  6 bits  bias 1   max 7.5     min sub 0.125   no Inf, no NaN
 *   E4M3  8 bits  bias 7   max 448     min sub 2^-9    no Inf, NaN = S.1111.111 (0x7F/0xFF)
 *   E5M2  8 bits  bias 15  max 57344   min sub 2^-16   IEEE-like: S.11111.00 = Inf,
 *                                                      S.11111.{01,10,11} = NaN
 * Sources: OCP MX v1.0 tables as quoted by gfloat value stats, TF float8_e4m3fn
 * docs, CUDA __nv_fp8_e4m3 docs, microsoft/microxcaling mx/formats.py.
 *
 * Encoding contract (all element formats), for finite inputs the behaviour of
 * PTX cvt.rn.satfinite; the special-value rules are this module's choice:
 *   - finite input: round to nearest, ties to even (RNE) on the exact value;
 *     magnitudes that round above max become +-max (saturation). The sign is
 *     kept, also when the result is zero (-0.2 -> E2M1 code 0x8 = -0).
 *   - +-Inf: E5M2 keeps it (exactly representable: 0x7C/0xFC); the formats
 *     without Inf saturate to +-max (E4M3 0x7E/0xFE, E2M1 0x7/0xF, E3M2 and
 *     E2M3 0x1F/0x3F).
 *   - NaN: E4M3 -> 0x7F or 0xFF (sign of the NaN kept); E5M2 -> 0x7E or 0xFE
 *     (the quiet NaN that truncating an IEEE quiet NaN gives). FP4 and FP6 have
 *     no NaN: NaN -> code 0 (+0). This is a choice of this module (the OCP MX
 *     spec leaves it open); the MX quantizers (mxquant.h) never hand a NaN to
 *     these encoders because a block with a NaN gets a NaN scale.
 *
 * Scale formats:
 *   UE8M0: unsigned, value 2^(b-127), b = 0..254; 0xFF = NaN; no zero, no Inf.
 *     Encoding takes a rounding mode (RNE: ties to the even code, as ml_dtypes'
 *     float8_e8m0fnu cast; FLOOR; CEIL) and saturates: v > 2^127 (after
 *     rounding) and +Inf -> 0xFE; 0 < v < 2^-127 (after rounding) and v == 0
 *     -> 0x00 (there is no zero: the smallest scale stands in for it);
 *     NaN and v < 0 -> 0xFF.
 *   UE4M3: the non-negative half of E4M3 (NVFP4 block scales, sign bit 0):
 *     RNE with saturation at 448 (0x7E); +-0 -> 0x00; +Inf -> 0x7E;
 *     NaN and v < 0 -> 0x7F (NaN).
 *
 * Decoding returns the exact value as a double (NaN for NaN codes). */
#ifndef GBSIM_MXFMT_H
#define GBSIM_MXFMT_H

#include <stdint.h>

typedef enum { MXFMT_E2M1, MXFMT_E3M2, MXFMT_E2M3, MXFMT_E4M3, MXFMT_E5M2, MXFMT_NELEM } mxfmt_elem_t;

typedef enum {
    MXFMT_SPECIAL_NONE,   /* every code is finite (FP4, FP6) */
    MXFMT_SPECIAL_FN,     /* only S.1...1.1...1 is NaN, no Inf (E4M3) */
    MXFMT_SPECIAL_IEEE,   /* all-ones exponent: mantissa 0 = Inf, else NaN (E5M2) */
} mxfmt_special_t;

typedef struct {
    mxfmt_elem_t id;
    const char *name;      /* "e2m1", ... */
    int bits;              /* total bits: 4, 6 or 8 */
    int ebits, mbits, bias;
    int emax;              /* exponent of the largest normal binade (OCP emax_elem) */
    double max;            /* largest finite magnitude */
    double min_sub;        /* smallest positive subnormal */
    mxfmt_special_t special;
    uint8_t max_code;      /* code of +max */
    uint8_t nan_code;      /* code of +NaN (0 if none) */
    uint8_t inf_code;      /* code of +Inf (0 if none) */
} mxfmt_info_t;

typedef enum { MXFMT_RNE, MXFMT_FLOOR, MXFMT_CEIL } mxfmt_round_t;

const mxfmt_info_t *mxfmt_info(mxfmt_elem_t f);

/* Generic element encode/decode; code must be < 2^bits (assert). */
uint8_t mxfmt_encode(mxfmt_elem_t f, double v);
double mxfmt_decode(mxfmt_elem_t f, uint8_t code);

uint8_t mxfmt_encode_e2m1(double v);
uint8_t mxfmt_encode_e3m2(double v);
uint8_t mxfmt_encode_e2m3(double v);
uint8_t mxfmt_encode_e4m3(double v);
uint8_t mxfmt_encode_e5m2(double v);
double mxfmt_decode_e2m1(uint8_t code);
double mxfmt_decode_e3m2(uint8_t code);
double mxfmt_decode_e2m3(uint8_t code);
double mxfmt_decode_e4m3(uint8_t code);
double mxfmt_decode_e5m2(uint8_t code);

/* Scale formats: see the contract above. */
uint8_t mxfmt_encode_ue8m0(double v, mxfmt_round_t mode);
double mxfmt_decode_ue8m0(uint8_t code);
uint8_t mxfmt_encode_ue4m3(double v);
double mxfmt_decode_ue4m3(uint8_t code);

/* 1 if code decodes to NaN. */
int mxfmt_is_nan(mxfmt_elem_t f, uint8_t code);

#endif
