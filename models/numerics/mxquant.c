/* mxquant.c -- MX and NVFP4 block quantizers (rules and sources in mxquant.h). */
#include "models/numerics/mxquant.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static const char *const FMT_NAMES[MXQ_NFMT] = {
    [MXQ_MXFP4] = "mxfp4",
    [MXQ_MXFP8_E4M3] = "mxfp8e4m3",
    [MXQ_MXFP8_E5M2] = "mxfp8e5m2",
    [MXQ_NVFP4] = "nvfp4",
};
static const char *const RULE_NAMES[MXQ_NRULE] = {[MXQ_OCP] = "ocp", [MXQ_NVIDIA] = "nvidia"};

const char *mxquant_fmt_name(mxquant_fmt_t f)
{
    assert((int)f >= 0 && f < MXQ_NFMT);
    return FMT_NAMES[f];
}

const char *mxquant_rule_name(mxquant_rule_t r)
{
    assert((int)r >= 0 && r < MXQ_NRULE);
    return RULE_NAMES[r];
}

int mxquant_fmt_parse(const char *s, mxquant_fmt_t *out)
{
    for (int i = 0; i < MXQ_NFMT; i++)
        if (!strcmp(s, FMT_NAMES[i])) {
            *out = (mxquant_fmt_t)i;
            return 0;
        }
    return -1;
}

int mxquant_rule_parse(const char *s, mxquant_rule_t *out)
{
    for (int i = 0; i < MXQ_NRULE; i++)
        if (!strcmp(s, RULE_NAMES[i])) {
            *out = (mxquant_rule_t)i;
            return 0;
        }
    return -1;
}

const char *mxquant_fmt_names(void) { return "mxfp4, mxfp8e4m3, mxfp8e5m2, nvfp4"; }
const char *mxquant_rule_names(void) { return "ocp, nvidia"; }

mxfmt_elem_t mxquant_elem(mxquant_fmt_t f)
{
    switch (f) {
    case MXQ_MXFP8_E4M3:
        return MXFMT_E4M3;
    case MXQ_MXFP8_E5M2:
        return MXFMT_E5M2;
    case MXQ_MXFP4:
    case MXQ_NVFP4:
        return MXFMT_E2M1;
    default:
        assert(0 && "bad format");
        return MXFMT_E2M1;
    }
}

int mxquant_native_block(mxquant_fmt_t f) { return f == MXQ_NVFP4 ? 16 : 32; }

int mxquant_block(const mxquant_cfg_t *c)
{
    assert(c->block >= 0);
    return c->block > 0 ? c->block : mxquant_native_block(c->fmt);
}

int mxquant_scale_is_ue8m0(mxquant_fmt_t f) { return f != MXQ_NVFP4; }

size_t mxquant_nblocks(const mxquant_cfg_t *c, size_t n)
{
    size_t b = (size_t)mxquant_block(c);
    return (n + b - 1) / b;
}

float mxquant_global_scale(const mxquant_cfg_t *c, const float *x, size_t n)
{
    if (c->fmt != MXQ_NVFP4 || c->rule != MXQ_NVIDIA)
        return 1.0f;
    float amax = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && fabsf(x[i]) > amax)
            amax = fabsf(x[i]);
    if (amax == 0)
        return 1.0f;
    /* fp32 division 2688/amax; amax >= 2^-149 so the quotient can overflow to
     * +Inf for subnormal amax; saturate at FLT_MAX like satfinite would */
    float g = 2688.0f / amax;
    return isinf(g) ? 0x1.fffffep127f : g;
}

/* TRT-LLM float_to_ue8m0 (fp8Quantize.cpp): exact ceil of a non-negative
 * finite fp32 to an E8M0 byte, saturating at 0xFE. */
static uint8_t float_to_ue8m0(float v)
{
    if (v == 0)
        return 0;
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint32_t exp = (bits >> 23) & 0xFF, mant = bits & 0x7FFFFF;
    if (mant > 0 && exp != 0xFE && !(exp == 0 && mant <= 0x400000))
        exp++;
    return (uint8_t)exp;
}

/* One block of a MX format. */
static void quantize_mx_block(const mxquant_cfg_t *c, const float *x, size_t n, uint8_t *codes,
                              uint8_t *scale)
{
    mxfmt_elem_t ef = mxquant_elem(c->fmt);
    const mxfmt_info_t *fi = mxfmt_info(ef);
    float amax = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > amax)
            amax = fabsf(x[i]);
    if (c->rule == MXQ_OCP) {
        int se = -127;
        if (amax > 0) {
            int ex;
            frexpf(amax, &ex);
            se = (ex - 1) - fi->emax;
            if (se < -127)
                se = -127;
            if (se > 127)
                se = 127;
        }
        *scale = (uint8_t)(se + 127);
        for (size_t i = 0; i < n; i++)
            codes[i] = mxfmt_encode(ef, ldexp((double)x[i], -se)); /* exact; encode saturates */
        return;
    }
    float sf = amax / (float)fi->max;
    uint8_t b = float_to_ue8m0(sf);
    *scale = b;
    float inv = b == 0 ? 1.0f : ldexpf(1.0f, 127 - (int)b);
    for (size_t i = 0; i < n; i++) {
        float s = x[i] * inv;
        codes[i] = mxfmt_encode(ef, (double)s);
    }
}

static void quantize_nvfp4_block(const float *x, size_t n, float global, uint8_t *codes,
                                 uint8_t *scale)
{
    float amax = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > amax)
            amax = fabsf(x[i]);
    float s = global * amax;
    s = s / 6.0f;
    uint8_t b = mxfmt_encode_ue4m3((double)s);
    *scale = b;
    float sf = (float)mxfmt_decode_ue4m3(b); /* exact: E4M3 values are fp32 values */
    float inv = sf == 0 ? 0.0f : global / sf;
    if (isinf(inv))
        inv = 0x1.fffffep127f; /* satfinite: a huge global over a tiny sf */
    for (size_t i = 0; i < n; i++) {
        float v = x[i] * inv;
        codes[i] = mxfmt_encode_e2m1((double)v);
    }
}

void mxquant_quantize(const mxquant_cfg_t *c, const float *x, size_t n, float global,
                      uint8_t *codes, uint8_t *scales)
{
    size_t bs = (size_t)mxquant_block(c);
    mxfmt_elem_t ef = mxquant_elem(c->fmt);
    const mxfmt_info_t *fi = mxfmt_info(ef);
    assert(c->fmt == MXQ_NVFP4 || global == 1.0f);
    for (size_t b0 = 0, blk = 0; b0 < n; b0 += bs, blk++) {
        size_t len = n - b0 < bs ? n - b0 : bs;
        const float *xb = x + b0;
        int finite = 1;
        for (size_t i = 0; i < len; i++)
            if (!isfinite(xb[i]))
                finite = 0;
        if (!finite) {
            scales[blk] = mxquant_scale_is_ue8m0(c->fmt) ? 0xFF : 0x7F;
            for (size_t i = 0; i < len; i++) {
                uint8_t s = signbit(xb[i]) ? (uint8_t)(1u << (fi->bits - 1)) : 0;
                codes[b0 + i] = fi->special == MXFMT_SPECIAL_NONE ? 0 : (uint8_t)(s | fi->nan_code);
            }
            continue;
        }
        if (c->fmt == MXQ_NVFP4)
            quantize_nvfp4_block(xb, len, global, codes + b0, &scales[blk]);
        else
            quantize_mx_block(c, xb, len, codes + b0, &scales[blk]);
    }
}

double mxquant_scale_value(mxquant_fmt_t f, uint8_t scale)
{
    return mxquant_scale_is_ue8m0(f) ? mxfmt_decode_ue8m0(scale) : mxfmt_decode_ue4m3(scale);
}

double mxquant_dequant(const mxquant_cfg_t *c, uint8_t code, uint8_t scale, float global)
{
    double e = mxfmt_decode(mxquant_elem(c->fmt), code);
    return e * mxquant_scale_value(c->fmt, scale) / (double)global;
}
