/* mxfmt.c -- MX element and scale formats (contracts in mxfmt.h).
 *
 * Encoding works on the exact value in double: the binade exponent comes from
 * frexp (never from a floating log2), the quantum of that binade (clamped to
 * the subnormal binade) divides the magnitude exactly (a power of two), and
 * nearbyint rounds ties to even in the default rounding mode. */
#include "models/numerics/mxfmt.h"

#include <assert.h>
#include <math.h>

static const mxfmt_info_t INFO[MXFMT_NELEM] = {
    /* id          name    bits e  m  bias emax max      min_sub   special              max   nan   inf */
    {MXFMT_E2M1, "e2m1", 4, 2, 1, 1, 2, 6.0, 0.5, MXFMT_SPECIAL_NONE, 0x07, 0x00, 0x00},
    {MXFMT_E3M2, "e3m2", 6, 3, 2, 3, 4, 28.0, 0.0625, MXFMT_SPECIAL_NONE, 0x1F, 0x00, 0x00},
    {MXFMT_E2M3, "e2m3", 6, 2, 3, 1, 2, 7.5, 0.125, MXFMT_SPECIAL_NONE, 0x1F, 0x00, 0x00},
    {MXFMT_E4M3, "e4m3", 8, 4, 3, 7, 8, 448.0, 0x1p-9, MXFMT_SPECIAL_FN, 0x7E, 0x7F, 0x00},
    {MXFMT_E5M2, "e5m2", 8, 5, 2, 15, 15, 57344.0, 0x1p-16, MXFMT_SPECIAL_IEEE, 0x7B, 0x7E, 0x7C},
};

const mxfmt_info_t *mxfmt_info(mxfmt_elem_t f)
{
    assert((int)f >= 0 && f < MXFMT_NELEM);
    return &INFO[f];
}

/* Code of the finite magnitude a >= 0 (no sign), RNE and saturating. */
static uint8_t encode_magnitude(const mxfmt_info_t *f, double a)
{
    if (a == 0)
        return 0;
    int emin = 1 - f->bias; /* exponent of the smallest normal binade */
    int ex;
    frexp(a, &ex);
    int e = ex - 1; /* floor(log2 a), exact */
    if (e < emin)
        e = emin;
    double r = ldexp(nearbyint(ldexp(a, f->mbits - e)), e - f->mbits);
    if (r > f->max)
        r = f->max;
    if (r == 0)
        return 0;
    frexp(r, &ex);
    e = ex - 1;
    unsigned expf, mant;
    if (e < emin) {
        expf = 0;
        mant = (unsigned)ldexp(r, f->mbits - emin);
    } else {
        expf = (unsigned)(e + f->bias);
        mant = (unsigned)ldexp(r, f->mbits - e) - (1u << f->mbits);
    }
    assert(expf < (1u << f->ebits) && mant < (1u << f->mbits));
    return (uint8_t)(expf << f->mbits | mant);
}

uint8_t mxfmt_encode(mxfmt_elem_t fid, double v)
{
    const mxfmt_info_t *f = mxfmt_info(fid);
    uint8_t s = signbit(v) ? (uint8_t)(1u << (f->bits - 1)) : 0;
    if (isnan(v))
        return f->special == MXFMT_SPECIAL_NONE ? 0 : (uint8_t)(s | f->nan_code);
    if (isinf(v))
        return (uint8_t)(s | (f->special == MXFMT_SPECIAL_IEEE ? f->inf_code : f->max_code));
    return (uint8_t)(s | encode_magnitude(f, fabs(v)));
}

int mxfmt_is_nan(mxfmt_elem_t fid, uint8_t code)
{
    const mxfmt_info_t *f = mxfmt_info(fid);
    assert(code < (1u << f->bits));
    unsigned mag = code & ((1u << (f->bits - 1)) - 1);
    unsigned expf = mag >> f->mbits, mant = mag & ((1u << f->mbits) - 1);
    unsigned expmax = (1u << f->ebits) - 1, mantmax = (1u << f->mbits) - 1;
    if (f->special == MXFMT_SPECIAL_FN)
        return expf == expmax && mant == mantmax;
    if (f->special == MXFMT_SPECIAL_IEEE)
        return expf == expmax && mant != 0;
    return 0;
}

double mxfmt_decode(mxfmt_elem_t fid, uint8_t code)
{
    const mxfmt_info_t *f = mxfmt_info(fid);
    assert(code < (1u << f->bits));
    int neg = (code >> (f->bits - 1)) & 1;
    unsigned mag = code & ((1u << (f->bits - 1)) - 1);
    unsigned expf = mag >> f->mbits, mant = mag & ((1u << f->mbits) - 1);
    if (mxfmt_is_nan(fid, code))
        return NAN;
    double v;
    if (f->special == MXFMT_SPECIAL_IEEE && expf == (1u << f->ebits) - 1)
        v = INFINITY;
    else if (expf == 0)
        v = ldexp((double)mant, 1 - f->bias - f->mbits);
    else
        v = ldexp((double)(mant + (1u << f->mbits)), (int)expf - f->bias - f->mbits);
    return neg ? -v : v;
}

uint8_t mxfmt_encode_e2m1(double v) { return mxfmt_encode(MXFMT_E2M1, v); }
uint8_t mxfmt_encode_e3m2(double v) { return mxfmt_encode(MXFMT_E3M2, v); }
uint8_t mxfmt_encode_e2m3(double v) { return mxfmt_encode(MXFMT_E2M3, v); }
uint8_t mxfmt_encode_e4m3(double v) { return mxfmt_encode(MXFMT_E4M3, v); }
uint8_t mxfmt_encode_e5m2(double v) { return mxfmt_encode(MXFMT_E5M2, v); }
double mxfmt_decode_e2m1(uint8_t code) { return mxfmt_decode(MXFMT_E2M1, code); }
double mxfmt_decode_e3m2(uint8_t code) { return mxfmt_decode(MXFMT_E3M2, code); }
double mxfmt_decode_e2m3(uint8_t code) { return mxfmt_decode(MXFMT_E2M3, code); }
double mxfmt_decode_e4m3(uint8_t code) { return mxfmt_decode(MXFMT_E4M3, code); }
double mxfmt_decode_e5m2(uint8_t code) { return mxfmt_decode(MXFMT_E5M2, code); }

uint8_t mxfmt_encode_ue8m0(double v, mxfmt_round_t mode)
{
    if (isnan(v) || v < 0)
        return 0xFF;
    if (v == 0)
        return 0x00;
    if (isinf(v))
        return 0xFE;
    int ex;
    double frac = 2 * frexp(v, &ex); /* v = frac * 2^e, 1 <= frac < 2 */
    int e = ex - 1;
    switch (mode) {
    case MXFMT_FLOOR:
        break;
    case MXFMT_CEIL:
        if (frac > 1)
            e++;
        break;
    case MXFMT_RNE:
        /* the two candidates are codes e+127 and e+128; a tie (frac 1.5)
         * goes to the even code */
        if (frac > 1.5 || (frac == 1.5 && (e + 127) % 2 != 0))
            e++;
        break;
    }
    if (e < -127)
        e = -127;
    if (e > 127)
        e = 127;
    return (uint8_t)(e + 127);
}

double mxfmt_decode_ue8m0(uint8_t code)
{
    return code == 0xFF ? NAN : ldexp(1.0, (int)code - 127);
}

uint8_t mxfmt_encode_ue4m3(double v)
{
    if (isnan(v) || v < 0)
        return 0x7F;
    if (v == 0)
        return 0x00;
    return mxfmt_encode(MXFMT_E4M3, v);
}

double mxfmt_decode_ue4m3(uint8_t code)
{
    assert(code < 0x80);
    return mxfmt_decode(MXFMT_E4M3, code);
}
