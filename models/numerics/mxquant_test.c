/* mxquant_test.c -- rule tests of the MX / NVFP4 quantizers (models/numerics/mxquant.h),
 * one function per rule. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/numerics/mxquant.h"
#include "tests/check.h"

/* Quantizes one block x[0..n) (n <= 64) with fmt/rule; returns the scale byte. */
static uint8_t q1(mxquant_fmt_t f, mxquant_rule_t r, const float *x, size_t n, uint8_t *codes)
{
    mxquant_cfg_t c = {.fmt = f, .rule = r, .block = 0};
    uint8_t scales[8];
    mxquant_quantize(&c, x, n, mxquant_global_scale(&c, x, n), codes, scales);
    return scales[0];
}

/* amax = 7 = 1.75 * 2^2 (m > 1.5): ocp keeps 2^(2-2) = 1 (byte 127) and
 * clamps 7 to 6; nvidia rounds the scale up to 2 (byte 128): 7/2 = 3.5 -> 4. */
static void test_mxfp4_ocp_clamps_where_nvidia_rounds_the_scale_up(check_t *ck)
{
    float x[32] = {7.0f, 1.0f};
    uint8_t c[32];
    CHECK(q1(MXQ_MXFP4, MXQ_OCP, x, 32, c) == 127, "ocp scale");
    CHECK(c[0] == 0x7 && c[1] == 0x2, "ocp codes 0x%x 0x%x", c[0], c[1]);
    CHECK(q1(MXQ_MXFP4, MXQ_NVIDIA, x, 32, c) == 128, "nvidia scale");
    CHECK(c[0] == 0x6 && c[1] == 0x1, "nvidia codes 0x%x 0x%x (4 and 0.5)", c[0], c[1]);
}

/* With m <= 1.5 (E2M1) both rules give the same scale: amax = 6 -> byte 127;
 * amax = 0.1875 = 1.5 * 2^-3 -> byte 122 (2^-5). */
static void test_mxfp4_rules_agree_up_to_mantissa_1_5(check_t *ck)
{
    float x[32] = {6.0f, -3.0f};
    uint8_t c[32];
    CHECK(q1(MXQ_MXFP4, MXQ_OCP, x, 32, c) == 127 && q1(MXQ_MXFP4, MXQ_NVIDIA, x, 32, c) == 127,
          "amax 6");
    float y[32] = {0.1875f};
    CHECK(q1(MXQ_MXFP4, MXQ_OCP, y, 32, c) == 122 && q1(MXQ_MXFP4, MXQ_NVIDIA, y, 32, c) == 122,
          "amax 0.1875: %d %d", q1(MXQ_MXFP4, MXQ_OCP, y, 32, c), q1(MXQ_MXFP4, MXQ_NVIDIA, y, 32, c));
}

/* E4M3 boundary m = 1.75: amax 448 -> both byte 127; amax 480 = 1.875*2^8:
 * ocp byte 127 and 480 clamps to 448 (0x7E), nvidia byte 128 (480/2 = 240). */
static void test_mxfp8_e4m3_boundary_is_mantissa_1_75(check_t *ck)
{
    float x[32] = {448.0f};
    uint8_t c[32];
    CHECK(q1(MXQ_MXFP8_E4M3, MXQ_OCP, x, 32, c) == 127, "ocp 448");
    CHECK(q1(MXQ_MXFP8_E4M3, MXQ_NVIDIA, x, 32, c) == 127, "nvidia 448");
    float y[32] = {480.0f};
    CHECK(q1(MXQ_MXFP8_E4M3, MXQ_OCP, y, 32, c) == 127 && c[0] == 0x7E, "ocp 480: clamp");
    CHECK(q1(MXQ_MXFP8_E4M3, MXQ_NVIDIA, y, 32, c) == 128 && mxfmt_decode_e4m3(c[0]) == 240.0,
          "nvidia 480: %g", mxfmt_decode_e4m3(c[0]));
}

/* The ocp exponent comes from the exact binade: amax just below 2^20 has
 * floor(log2) = 19 (a float log2 rounds it to 20), so E2M1 gets 2^17. */
static void test_ocp_exponent_is_exact_below_a_power_of_two(check_t *ck)
{
    float x[32] = {nextafterf(1048576.0f, 0.0f)};
    uint8_t c[32];
    CHECK(q1(MXQ_MXFP4, MXQ_OCP, x, 32, c) == 127 + 17, "byte %d", q1(MXQ_MXFP4, MXQ_OCP, x, 32, c));
    CHECK(c[0] == 0x7, "clamped to 6: 0x%x", c[0]);
}

/* An all-zero block gets scale byte 0 under both rules, elements +-0. */
static void test_all_zero_block_gets_scale_byte_zero(check_t *ck)
{
    float x[32] = {0};
    x[3] = -0.0f;
    uint8_t c[32];
    for (int f = 0; f < MXQ_NFMT; f++)
        for (int r = 0; r < MXQ_NRULE; r++) {
            uint8_t s = q1((mxquant_fmt_t)f, (mxquant_rule_t)r, x, 32, c);
            CHECK(s == 0, "%s/%s scale %d", mxquant_fmt_name(f), mxquant_rule_name(r), s);
            CHECK(mxquant_dequant(&(mxquant_cfg_t){(mxquant_fmt_t)f, (mxquant_rule_t)r, 0}, c[3], s,
                                  1.0f) == 0 && c[0] == 0,
                  "%s/%s codes", mxquant_fmt_name(f), mxquant_rule_name(r));
        }
}

/* nvidia's scale-byte-0 quirk: a tiny block (sf <= 2^-127) is scaled by 1,
 * so its elements encode as 0; ocp scales by 2^127 and keeps them. */
static void test_nvidia_scale_byte_zero_scales_by_one(check_t *ck)
{
    float x[32] = {5e-39f};
    uint8_t c[32];
    CHECK(q1(MXQ_MXFP4, MXQ_NVIDIA, x, 32, c) == 0 && c[0] == 0, "nvidia: byte 0, code %d", c[0]);
    CHECK(q1(MXQ_MXFP4, MXQ_OCP, x, 32, c) == 0 && c[0] == 0x2, "ocp: byte 0, code 0x%x (1.0)", c[0]);
}

/* A partial last block is quantized over the inputs it has. */
static void test_partial_last_block_uses_its_own_amax(check_t *ck)
{
    float x[40];
    for (int i = 0; i < 40; i++)
        x[i] = i < 32 ? 100.0f : 1.0f;
    mxquant_cfg_t c = {MXQ_MXFP4, MXQ_OCP, 0};
    uint8_t codes[40], scales[2] = {0, 0};
    CHECK(mxquant_nblocks(&c, 40) == 2, "nblocks %zu", mxquant_nblocks(&c, 40));
    mxquant_quantize(&c, x, 40, 1.0f, codes, scales);
    CHECK(scales[0] == 127 + 4 && scales[1] == 127 - 2, "scales %d %d", scales[0], scales[1]);
    CHECK(mxquant_dequant(&c, codes[39], scales[1], 1.0f) == 1.0, "x[39] %g",
          mxquant_dequant(&c, codes[39], scales[1], 1.0f));
}

/* A NaN or Inf in a block: NaN scale and element NaN codes with the inputs'
 * signs (E4M3 0x7F|s, E5M2 0x7E|s, E2M1 none -> 0); other blocks unaffected. */
static void test_nonfinite_block_gets_nan_scale(check_t *ck)
{
    float x[64];
    for (int i = 0; i < 64; i++)
        x[i] = i % 2 ? -1.0f : 1.0f;
    x[5] = NAN;
    mxquant_cfg_t c = {MXQ_MXFP8_E4M3, MXQ_OCP, 0};
    uint8_t codes[64], scales[2];
    mxquant_quantize(&c, x, 64, 1.0f, codes, scales);
    CHECK(scales[0] == 0xFF && scales[1] == 127 - 8, "scales 0x%02x 0x%02x", scales[0], scales[1]);
    CHECK(codes[0] == 0x7F && codes[1] == 0xFF, "e4m3 codes 0x%02x 0x%02x", codes[0], codes[1]);
    CHECK(isnan(mxquant_dequant(&c, codes[0], scales[0], 1.0f)), "dequant NaN");
    x[5] = INFINITY;
    c.fmt = MXQ_MXFP8_E5M2;
    c.rule = MXQ_NVIDIA;
    mxquant_quantize(&c, x, 64, 1.0f, codes, scales);
    CHECK(scales[0] == 0xFF && codes[0] == 0x7E && codes[1] == 0xFE, "e5m2 0x%02x 0x%02x 0x%02x",
          scales[0], codes[0], codes[1]);
    c.fmt = MXQ_NVFP4;
    float g = mxquant_global_scale(&c, x, 64);
    CHECK(g == 2688.0f, "global over finite inputs: %g", g);
    uint8_t s4[4];
    mxquant_quantize(&c, x, 64, g, codes, s4);
    CHECK(s4[0] == 0x7F && codes[0] == 0 && codes[1] == 0 && s4[1] != 0x7F, "nvfp4 0x%02x 0x%02x",
          s4[0], s4[1]);
}

/* NVFP4 nvidia: global = 2688/amax; amax 16 -> global 168; block scale
 * E4M3(168*16/6 = 448); elements x*168/448: 16 -> 6; dequant back to 16. */
static void test_nvfp4_nvidia_recipe(check_t *ck)
{
    float x[32];
    for (int i = 0; i < 32; i++)
        x[i] = (float)(i % 16 + 1);
    x[16] = 2.0f; /* second block: amax 16 still (x[31] = 16) */
    mxquant_cfg_t c = {MXQ_NVFP4, MXQ_NVIDIA, 0};
    float g = mxquant_global_scale(&c, x, 32);
    CHECK(g == 168.0f, "global %g", g);
    uint8_t codes[32], s[2];
    mxquant_quantize(&c, x, 32, g, codes, s);
    CHECK(s[0] == 0x7E, "scale 0x%02x (448)", s[0]);
    CHECK(codes[15] == 0x7 && mxquant_dequant(&c, codes[15], s[0], g) == 16.0, "16 -> code 0x%x",
          codes[15]);
    /* 8 * 0.375 = 3 -> code 0x5 exactly; 5 * 0.375 = 1.875 -> 2 */
    CHECK(codes[7] == 0x5 && codes[4] == 0x4, "codes 0x%x 0x%x", codes[7], codes[4]);
}

/* NVFP4 ocp has no per-tensor scale: global 1, scale = E4M3(amax/6). */
static void test_nvfp4_ocp_has_no_global_scale(check_t *ck)
{
    float x[16] = {3.0f};
    mxquant_cfg_t c = {MXQ_NVFP4, MXQ_OCP, 0};
    CHECK(mxquant_global_scale(&c, x, 16) == 1.0f, "global");
    uint8_t codes[16], s[1];
    mxquant_quantize(&c, x, 16, 1.0f, codes, s);
    CHECK(mxfmt_decode_ue4m3(s[0]) == 0.5 && codes[0] == 0x7, "scale %g code 0x%x",
          mxfmt_decode_ue4m3(s[0]), codes[0]);
}

/* Values on the element grid times the scale dequantize exactly. */
static void test_dequant_reconstructs_grid_values(check_t *ck)
{
    float x[32];
    const float grid[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (int i = 0; i < 32; i++)
        x[i] = grid[i % 8] * 0.25f * (i % 3 ? 1.0f : -1.0f);
    mxquant_cfg_t c = {MXQ_MXFP4, MXQ_OCP, 0};
    uint8_t codes[32], s[1];
    mxquant_quantize(&c, x, 32, 1.0f, codes, s);
    for (int i = 0; i < 32; i++)
        CHECK(mxquant_dequant(&c, codes[i], s[0], 1.0f) == x[i], "x[%d] %g -> %g", i, x[i],
              mxquant_dequant(&c, codes[i], s[0], 1.0f));
}

/* Names parse to themselves; unknown names are rejected. */
static void test_format_and_rule_names_parse(check_t *ck)
{
    for (int f = 0; f < MXQ_NFMT; f++) {
        mxquant_fmt_t o;
        CHECK(mxquant_fmt_parse(mxquant_fmt_name(f), &o) == 0 && o == (mxquant_fmt_t)f, "fmt %d", f);
        CHECK(strstr(mxquant_fmt_names(), mxquant_fmt_name(f)) != NULL, "listed %d", f);
    }
    mxquant_rule_t r;
    CHECK(mxquant_rule_parse("nvidia", &r) == 0 && r == MXQ_NVIDIA, "nvidia");
    CHECK(mxquant_rule_parse("NVIDIA", &r) != 0, "case-sensitive");
    mxquant_fmt_t f;
    CHECK(mxquant_fmt_parse("mxfp6", &f) != 0, "unknown");
}

int main(void)
{
    check_t ck = check_begin("mxquant_test");
    test_mxfp4_ocp_clamps_where_nvidia_rounds_the_scale_up(&ck);
    test_mxfp4_rules_agree_up_to_mantissa_1_5(&ck);
    test_mxfp8_e4m3_boundary_is_mantissa_1_75(&ck);
    test_ocp_exponent_is_exact_below_a_power_of_two(&ck);
    test_all_zero_block_gets_scale_byte_zero(&ck);
    test_nvidia_scale_byte_zero_scales_by_one(&ck);
    test_partial_last_block_uses_its_own_amax(&ck);
    test_nonfinite_block_gets_nan_scale(&ck);
    test_nvfp4_nvidia_recipe(&ck);
    test_nvfp4_ocp_has_no_global_scale(&ck);
    test_dequant_reconstructs_grid_values(&ck);
    test_format_and_rule_names_parse(&ck);
    return check_end(&ck);
}
