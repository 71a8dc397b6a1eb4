/* mxfmt_test.c -- known-value tests of the MX element and scale formats
 * (models/numerics/mxfmt.h), one function per rule. */
#include <math.h>
#include <stdio.h>

#include "models/numerics/mxfmt.h"
#include "tests/check.h"

/* Codes 0..7 are +{0, 0.5, 1, 1.5, 2, 3, 4, 6}, 8..15 the same negated. */
static void test_every_e2m1_code_has_the_ocp_value(check_t *ck)
{
    const double v[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    for (int c = 0; c < 16; c++) {
        double want = c < 8 ? v[c] : -v[c - 8];
        double got = mxfmt_decode_e2m1((uint8_t)c);
        CHECK(got == want && !!signbit(got) == (c >= 8), "code %d: %g, expected %g", c, got, want);
        CHECK(mxfmt_encode_e2m1(want) == c, "encode(%g) = %d, expected %d", want,
              mxfmt_encode_e2m1(want), c);
    }
}

/* Midpoints go to the even neighbour: 0.25->0, 0.75->1, 1.25->1, 1.75->2,
 * 2.5->2, 3.5->4, 5->4 (llama.cpp's argmin gives 0.5, 1.5, 3 at 0.75, 1.75,
 * 3.5; microxcaling's ties-away gives 0.5, 1, 1.5, 2, 3, 4, 6 at all). */
static void test_e2m1_ties_round_to_even(check_t *ck)
{
    const double x[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};
    const double want[] = {0, 1, 1, 2, 2, 4, 4};
    for (int i = 0; i < 7; i++) {
        CHECK(mxfmt_decode_e2m1(mxfmt_encode_e2m1(x[i])) == want[i], "%g -> %g, expected %g", x[i],
              mxfmt_decode_e2m1(mxfmt_encode_e2m1(x[i])), want[i]);
        CHECK(mxfmt_decode_e2m1(mxfmt_encode_e2m1(-x[i])) == -want[i], "%g -> %g", -x[i],
              mxfmt_decode_e2m1(mxfmt_encode_e2m1(-x[i])));
    }
    /* just off a tie rounds to the nearer value */
    CHECK(mxfmt_decode_e2m1(mxfmt_encode_e2m1(nextafter(0.75, 0))) == 0.5, "below 0.75");
    CHECK(mxfmt_decode_e2m1(mxfmt_encode_e2m1(nextafter(2.5, 3))) == 3.0, "above 2.5");
}

/* Finite overflow and Inf saturate to +-6; NaN has no code and gives +0; the
 * sign of a zero result is kept. */
static void test_e2m1_saturates_and_maps_nan_to_zero(check_t *ck)
{
    CHECK(mxfmt_encode_e2m1(7.0) == 0x7, "7 -> 0x%x", mxfmt_encode_e2m1(7.0));
    CHECK(mxfmt_encode_e2m1(1e30) == 0x7, "1e30");
    CHECK(mxfmt_encode_e2m1(INFINITY) == 0x7, "+inf");
    CHECK(mxfmt_encode_e2m1(-INFINITY) == 0xF, "-inf");
    CHECK(mxfmt_encode_e2m1(NAN) == 0x0, "nan -> 0x%x", mxfmt_encode_e2m1(NAN));
    CHECK(mxfmt_encode_e2m1(-0.0) == 0x8, "-0 -> 0x%x", mxfmt_encode_e2m1(-0.0));
    CHECK(mxfmt_encode_e2m1(-0.2) == 0x8, "-0.2 -> 0x%x", mxfmt_encode_e2m1(-0.2));
}

/* E4M3 (OCP fn): 0x7E = 448 is the max; 0x7F/0xFF are NaN; no Inf: Inf and
 * finite overflow saturate to +-448; NaN keeps its sign. */
static void test_e4m3_max_448_nan_0x7f_inf_saturates(check_t *ck)
{
    CHECK(mxfmt_decode_e4m3(0x7E) == 448.0, "0x7E = %g", mxfmt_decode_e4m3(0x7E));
    CHECK(isnan(mxfmt_decode_e4m3(0x7F)) && isnan(mxfmt_decode_e4m3(0xFF)), "NaN codes");
    CHECK(mxfmt_encode_e4m3(448.0) == 0x7E, "448");
    CHECK(mxfmt_encode_e4m3(464.0) == 0x7E, "464 (the tie above max) -> 0x%02x",
          mxfmt_encode_e4m3(464.0));
    CHECK(mxfmt_encode_e4m3(1e6) == 0x7E, "1e6");
    CHECK(mxfmt_encode_e4m3(INFINITY) == 0x7E, "+inf -> 0x%02x", mxfmt_encode_e4m3(INFINITY));
    CHECK(mxfmt_encode_e4m3(-INFINITY) == 0xFE, "-inf -> 0x%02x", mxfmt_encode_e4m3(-INFINITY));
    CHECK(mxfmt_encode_e4m3(NAN) == 0x7F, "nan -> 0x%02x", mxfmt_encode_e4m3(NAN));
    CHECK(mxfmt_encode_e4m3(-NAN) == 0xFF, "-nan -> 0x%02x", mxfmt_encode_e4m3(-NAN));
    CHECK(mxfmt_decode_e4m3(0x38) == 1.0, "0x38 = 1");
}

/* E4M3 ties: 1.0625 (between 1.0 = 0x38 and 1.125 = 0x39) -> 1.0 (even);
 * 1.1875 (between 1.125 and 1.25 = 0x3A) -> 1.25 (even); 400 (between 384
 * and 416) -> 384 (0x7C, even); 432 (between 416 and 448) -> 448 (0x7E). */
static void test_e4m3_ties_round_to_even(check_t *ck)
{
    CHECK(mxfmt_encode_e4m3(1.0625) == 0x38, "1.0625 -> 0x%02x", mxfmt_encode_e4m3(1.0625));
    CHECK(mxfmt_encode_e4m3(1.1875) == 0x3A, "1.1875 -> 0x%02x", mxfmt_encode_e4m3(1.1875));
    CHECK(mxfmt_encode_e4m3(400.0) == 0x7C, "400 -> 0x%02x", mxfmt_encode_e4m3(400.0));
    CHECK(mxfmt_encode_e4m3(432.0) == 0x7E, "432 -> 0x%02x", mxfmt_encode_e4m3(432.0));
    CHECK(mxfmt_encode_e4m3(-1.0625) == 0xB8, "-1.0625 -> 0x%02x", mxfmt_encode_e4m3(-1.0625));
}

/* E4M3 subnormals: k * 2^-9 for k = 1..7 (codes 0x01..0x07), min normal 2^-6
 * (0x08); 2^-10 ties to 0, 3 * 2^-10 ties to 2^-8 (even). */
static void test_e4m3_subnormals(check_t *ck)
{
    for (int kk = 1; kk < 8; kk++) {
        CHECK(mxfmt_decode_e4m3((uint8_t)kk) == ldexp(kk, -9), "code %d", kk);
        CHECK(mxfmt_encode_e4m3(ldexp(kk, -9)) == kk, "encode %d*2^-9", kk);
    }
    CHECK(mxfmt_decode_e4m3(0x08) == ldexp(1, -6), "min normal");
    CHECK(mxfmt_encode_e4m3(ldexp(1, -10)) == 0x00, "2^-10 -> 0x%02x", mxfmt_encode_e4m3(ldexp(1, -10)));
    CHECK(mxfmt_encode_e4m3(ldexp(3, -10)) == 0x02, "3*2^-10 -> 0x%02x",
          mxfmt_encode_e4m3(ldexp(3, -10)));
    CHECK(mxfmt_encode_e4m3(ldexp(15, -10)) == 0x08, "15*2^-10 (tie 7*2^-9 / 2^-6) -> 0x%02x",
          mxfmt_encode_e4m3(ldexp(15, -10)));
}

/* E5M2 (IEEE-like): 0x7B = 57344 max; 0x7C = Inf; 0x7D..0x7F NaN; Inf stays
 * Inf, finite overflow saturates; NaN -> 0x7E. */
static void test_e5m2_max_57344_inf_and_nan(check_t *ck)
{
    CHECK(mxfmt_decode_e5m2(0x7B) == 57344.0, "0x7B = %g", mxfmt_decode_e5m2(0x7B));
    CHECK(isinf(mxfmt_decode_e5m2(0x7C)) && mxfmt_decode_e5m2(0x7C) > 0, "0x7C = +inf");
    CHECK(isinf(mxfmt_decode_e5m2(0xFC)) && mxfmt_decode_e5m2(0xFC) < 0, "0xFC = -inf");
    for (int c = 0x7D; c <= 0x7F; c++)
        CHECK(isnan(mxfmt_decode_e5m2((uint8_t)c)), "0x%02x NaN", c);
    CHECK(mxfmt_encode_e5m2(57344.0) == 0x7B, "57344");
    CHECK(mxfmt_encode_e5m2(61440.0) == 0x7B, "61440 (tie above max) -> 0x%02x",
          mxfmt_encode_e5m2(61440.0));
    CHECK(mxfmt_encode_e5m2(1e9) == 0x7B, "1e9 saturates");
    CHECK(mxfmt_encode_e5m2(INFINITY) == 0x7C, "inf -> 0x%02x", mxfmt_encode_e5m2(INFINITY));
    CHECK(mxfmt_encode_e5m2(-INFINITY) == 0xFC, "-inf");
    CHECK(mxfmt_encode_e5m2(NAN) == 0x7E, "nan -> 0x%02x", mxfmt_encode_e5m2(NAN));
    CHECK(mxfmt_encode_e5m2(1.125) == 0x3C, "1.125 (tie 1.0/1.25) -> 0x%02x", mxfmt_encode_e5m2(1.125));
    CHECK(mxfmt_encode_e5m2(1.375) == 0x3E, "1.375 (tie 1.25/1.5) -> 0x%02x", mxfmt_encode_e5m2(1.375));
}

/* E5M2 subnormals: k * 2^-16, k = 1..3; 2^-17 ties to 0; 3 * 2^-17 to 2^-15. */
static void test_e5m2_subnormals(check_t *ck)
{
    for (int kk = 1; kk < 4; kk++)
        CHECK(mxfmt_decode_e5m2((uint8_t)kk) == ldexp(kk, -16), "code %d", kk);
    CHECK(mxfmt_encode_e5m2(ldexp(1, -17)) == 0x00, "2^-17");
    CHECK(mxfmt_encode_e5m2(ldexp(3, -17)) == 0x02, "3*2^-17 -> 0x%02x", mxfmt_encode_e5m2(ldexp(3, -17)));
    CHECK(mxfmt_decode_e5m2(0x04) == ldexp(1, -14), "min normal");
}

/* FP6: E2M3 max 7.5 (0x1F), subnormals k/8; E3M2 max 28 (0x1F), subnormals
 * k/16; ties to even in the subnormal range; both saturate, NaN -> 0. */
static void test_fp6_values_subnormals_and_saturation(check_t *ck)
{
    CHECK(mxfmt_decode_e2m3(0x1F) == 7.5, "e2m3 max %g", mxfmt_decode_e2m3(0x1F));
    CHECK(mxfmt_decode_e2m3(0x3F) == -7.5, "e2m3 -max");
    CHECK(mxfmt_decode_e2m3(0x01) == 0.125 && mxfmt_decode_e2m3(0x07) == 0.875, "e2m3 subnormals");
    CHECK(mxfmt_decode_e2m3(0x08) == 1.0, "e2m3 min normal");
    CHECK(mxfmt_encode_e2m3(0.1875) == 0x02, "e2m3 0.1875 (tie 1/8, 2/8) -> 0x%02x",
          mxfmt_encode_e2m3(0.1875));
    CHECK(mxfmt_encode_e2m3(100) == 0x1F && mxfmt_encode_e2m3(-INFINITY) == 0x3F, "e2m3 saturates");
    CHECK(mxfmt_decode_e3m2(0x1F) == 28.0, "e3m2 max %g", mxfmt_decode_e3m2(0x1F));
    CHECK(mxfmt_decode_e3m2(0x01) == 0.0625 && mxfmt_decode_e3m2(0x03) == 0.1875, "e3m2 subnormals");
    CHECK(mxfmt_decode_e3m2(0x04) == 0.25, "e3m2 min normal");
    CHECK(mxfmt_encode_e3m2(0.09375) == 0x02, "e3m2 0.09375 (tie 1/16, 2/16) -> 0x%02x",
          mxfmt_encode_e3m2(0.09375));
    CHECK(mxfmt_encode_e3m2(30) == 0x1F, "e3m2 30 saturates");
    CHECK(mxfmt_encode_e3m2(NAN) == 0 && mxfmt_encode_e2m3(NAN) == 0, "fp6 NaN -> 0");
}

/* encode(decode(c)) == c for every non-NaN code of every element format. */
static void test_every_code_round_trips(check_t *ck)
{
    for (int f = 0; f < MXFMT_NELEM; f++) {
        const mxfmt_info_t *fi = mxfmt_info((mxfmt_elem_t)f);
        for (int c = 0; c < (1 << fi->bits); c++) {
            if (mxfmt_is_nan((mxfmt_elem_t)f, (uint8_t)c))
                continue;
            double v = mxfmt_decode((mxfmt_elem_t)f, (uint8_t)c);
            CHECK(mxfmt_encode((mxfmt_elem_t)f, v) == c, "%s code 0x%02x (%g) -> 0x%02x", fi->name,
                  c, v, mxfmt_encode((mxfmt_elem_t)f, v));
        }
        CHECK(mxfmt_decode((mxfmt_elem_t)f, fi->max_code) == fi->max, "%s max", fi->name);
        CHECK(mxfmt_decode((mxfmt_elem_t)f, 1) == fi->min_sub, "%s min subnormal", fi->name);
    }
}

/* UE8M0: value 2^(b-127); 0x7F = 1.0; 0xFF = NaN; 0x00 = 2^-127 (no zero);
 * RNE ties to the even code; FLOOR/CEIL; saturation at 0xFE and 0x00. */
static void test_ue8m0_values_rounding_and_saturation(check_t *ck)
{
    CHECK(mxfmt_decode_ue8m0(0x7F) == 1.0, "0x7F = %g", mxfmt_decode_ue8m0(0x7F));
    CHECK(isnan(mxfmt_decode_ue8m0(0xFF)), "0xFF NaN");
    CHECK(mxfmt_decode_ue8m0(0x00) == ldexp(1, -127), "0x00 = 2^-127");
    CHECK(mxfmt_decode_ue8m0(0xFE) == ldexp(1, 127), "0xFE = 2^127");
    CHECK(mxfmt_encode_ue8m0(1.0, MXFMT_RNE) == 0x7F, "1.0");
    CHECK(mxfmt_encode_ue8m0(1.5, MXFMT_RNE) == 0x80, "1.5 ties to even code 0x80 -> 0x%02x",
          mxfmt_encode_ue8m0(1.5, MXFMT_RNE));
    CHECK(mxfmt_encode_ue8m0(3.0, MXFMT_RNE) == 0x80, "3.0 ties to even code 0x80 -> 0x%02x",
          mxfmt_encode_ue8m0(3.0, MXFMT_RNE));
    CHECK(mxfmt_encode_ue8m0(1.4, MXFMT_RNE) == 0x7F && mxfmt_encode_ue8m0(1.6, MXFMT_RNE) == 0x80,
          "1.4, 1.6");
    CHECK(mxfmt_encode_ue8m0(1.9, MXFMT_FLOOR) == 0x7F, "floor 1.9");
    CHECK(mxfmt_encode_ue8m0(1.1, MXFMT_CEIL) == 0x80, "ceil 1.1");
    CHECK(mxfmt_encode_ue8m0(1.0, MXFMT_CEIL) == 0x7F, "ceil 1.0");
    CHECK(mxfmt_encode_ue8m0(ldexp(1, 200), MXFMT_RNE) == 0xFE, "2^200 saturates");
    CHECK(mxfmt_encode_ue8m0(INFINITY, MXFMT_CEIL) == 0xFE, "inf saturates");
    CHECK(mxfmt_encode_ue8m0(ldexp(1, -140), MXFMT_FLOOR) == 0x00, "2^-140 -> 0x00");
    CHECK(mxfmt_encode_ue8m0(0.0, MXFMT_RNE) == 0x00, "0 -> 0x00");
    CHECK(mxfmt_encode_ue8m0(NAN, MXFMT_RNE) == 0xFF && mxfmt_encode_ue8m0(-1, MXFMT_RNE) == 0xFF,
          "nan, negative -> 0xFF");
}

/* UE4M3: RNE, saturating at 448 (0x7E); NaN or negative -> 0x7F. */
static void test_ue4m3_values_and_saturation(check_t *ck)
{
    CHECK(mxfmt_encode_ue4m3(448) == 0x7E && mxfmt_encode_ue4m3(1000) == 0x7E, "saturates at 448");
    CHECK(mxfmt_encode_ue4m3(INFINITY) == 0x7E, "inf saturates");
    CHECK(mxfmt_encode_ue4m3(-0.0) == 0x00 && mxfmt_encode_ue4m3(0.0) == 0x00, "zeros -> 0x00");
    CHECK(mxfmt_encode_ue4m3(-1) == 0x7F && mxfmt_encode_ue4m3(NAN) == 0x7F, "nan, negative -> 0x7F");
    CHECK(isnan(mxfmt_decode_ue4m3(0x7F)), "0x7F NaN");
    CHECK(mxfmt_decode_ue4m3(mxfmt_encode_ue4m3(0.6666667)) == 0.6875, "2/3 -> 0.6875 (RN)");
}

int main(void)
{
    check_t ck = check_begin("mxfmt_test");
    test_every_e2m1_code_has_the_ocp_value(&ck);
    test_e2m1_ties_round_to_even(&ck);
    test_e2m1_saturates_and_maps_nan_to_zero(&ck);
    test_e4m3_max_448_nan_0x7f_inf_saturates(&ck);
    test_e4m3_ties_round_to_even(&ck);
    test_e4m3_subnormals(&ck);
    test_e5m2_max_57344_inf_and_nan(&ck);
    test_e5m2_subnormals(&ck);
    test_fp6_values_subnormals_and_saturation(&ck);
    test_every_code_round_trips(&ck);
    test_ue8m0_values_rounding_and_saturation(&ck);
    test_ue4m3_values_and_saturation(&ck);
    return check_end(&ck);
}
