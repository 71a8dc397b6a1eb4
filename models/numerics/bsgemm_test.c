/* bsgemm_test.c -- rule tests of the block-scaled GEMM reference
 * (models/numerics/bsgemm.h): CUTLASS SF layout, the seed-002 fault, tile order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "models/numerics/bsgemm.h"
#include "tests/check.h"

/* A quantized operand with row-major scales (rm) and the packed SF buffer. */
typedef struct {
    mxquant_fmt_t fmt;
    int64_t rows, k;
    int vec;
    float *x;
    uint8_t *codes, *rm, *sf;
    float global;
} op_t;

static void op_make(op_t *o, mxquant_fmt_t f, int64_t rows, int64_t k, int vec, gsl_rng *r,
                    double sigma)
{
    o->fmt = f;
    o->rows = rows;
    o->k = k;
    o->vec = vec;
    o->x = malloc((size_t)(rows * k) * sizeof *o->x);
    o->codes = malloc((size_t)(rows * k));
    int64_t cols = bsgemm_sf_cols(k, vec);
    o->rm = malloc((size_t)(rows * cols));
    o->sf = malloc(bsgemm_sf_bytes(rows, k, vec));
    for (int64_t i = 0; i < rows * k; i++)
        o->x[i] = (float)gsl_ran_gaussian(r, sigma);
    mxquant_cfg_t c = {.fmt = f, .rule = MXQ_OCP, .block = vec};
    o->global = mxquant_global_scale(&c, o->x, (size_t)(rows * k));
    for (int64_t i = 0; i < rows; i++)
        mxquant_quantize(&c, o->x + i * k, (size_t)k, o->global, o->codes + i * k, o->rm + i * cols);
    bsgemm_sf_pack(o->rm, rows, k, vec, o->sf);
}

static void op_free(op_t *o)
{
    free(o->x);
    free(o->codes);
    free(o->rm);
    free(o->sf);
}

static bsgemm_problem_t problem(const op_t *a, const op_t *b)
{
    bsgemm_problem_t p = {.m = a->rows, .n = b->rows, .k = a->k, .sf_vec = a->vec,
                          .a = {a->fmt, a->codes, a->sf, a->global},
                          .b = {b->fmt, b->codes, b->sf, b->global}};
    return p;
}

/* The naive reference: row-major scales, no layout, same accumulation order
 * (per SF block in double, rounded to fp32; fp32 tile partials; fp32 acc). */
static void naive(const op_t *a, const op_t *b, int tile_k, float *c)
{
    int64_t k = a->k, cols = bsgemm_sf_cols(k, a->vec);
    float alpha = 1.0f / (a->global * b->global);
    for (int64_t i = 0; i < a->rows; i++)
        for (int64_t j = 0; j < b->rows; j++) {
            float acc = 0;
            for (int64_t t0 = 0; t0 < k; t0 += tile_k) {
                float tile = 0;
                for (int64_t kb = t0 / a->vec; kb < cols && kb * a->vec < t0 + tile_k; kb++) {
                    double s = 0;
                    for (int64_t kk = kb * a->vec; kk < (kb + 1) * a->vec && kk < k; kk++)
                        s += mxfmt_decode(mxquant_elem(a->fmt), a->codes[i * k + kk]) *
                             mxfmt_decode(mxquant_elem(b->fmt), b->codes[j * k + kk]);
                    double sc = mxquant_scale_value(a->fmt, a->rm[i * cols + kb]) *
                                mxquant_scale_value(b->fmt, b->rm[j * cols + kb]);
                    tile += (float)(s * sc);
                }
                acc += tile;
            }
            c[i * b->rows + j] = acc * alpha;
        }
}

static double fp64_rel_err(const op_t *a, const op_t *b, const float *c)
{
    double d2 = 0, r2 = 0;
    for (int64_t i = 0; i < a->rows; i++)
        for (int64_t j = 0; j < b->rows; j++) {
            double s = 0;
            for (int64_t kk = 0; kk < a->k; kk++)
                s += (double)a->x[i * a->k + kk] * b->x[j * a->k + kk];
            double d = c[i * b->rows + j] - s;
            d2 += d * d;
            r2 += s * s;
        }
    return sqrt(d2 / r2);
}

static double rel_diff(const float *x, const float *y, size_t n)
{
    double d2 = 0, r2 = 0;
    for (size_t i = 0; i < n; i++) {
        d2 += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
        r2 += (double)y[i] * y[i];
    }
    return sqrt(d2 / r2);
}

/* Offsets equal the FlashInfer/MSLK formulation of the same layout: view the
 * padded [MN][SFK] matrix as (MN/128, 4, 32, SFK/4, 4) and permute to
 * (0, 3, 2, 1, 4); every (row, kb) gets its own byte, the rest is padding. */
static void test_sf_offsets_match_the_permuted_view_and_are_a_bijection(check_t *ck)
{
    const int64_t mn = 300, k = 1000;
    const int vec = 32;
    int64_t cols = bsgemm_sf_cols(k, vec), cp = bsgemm_sf_cols_padded(k, vec);
    size_t bytes = bsgemm_sf_bytes(mn, k, vec);
    CHECK(cols == 32 && cp == 32 && bytes == 384 * 32, "cols %lld pad %lld bytes %zu",
          (long long)cols, (long long)cp, bytes);
    unsigned char *hit = calloc(bytes, 1);
    for (int64_t r = 0; r < mn; r++)
        for (int64_t kb = 0; kb < cols; kb++) {
            int64_t rb = r / 128, r4 = r % 128 / 32, r32 = r % 32, cb = kb / 4, k4 = kb % 4;
            int64_t want = (((rb * (cp / 4) + cb) * 32 + r32) * 4 + r4) * 4 + k4;
            int64_t got = bsgemm_sf_offset(r, kb, mn, k, vec, BSGEMM_FAULT_NONE);
            CHECK(got == want, "(%lld,%lld): %lld, expected %lld", (long long)r, (long long)kb,
                  (long long)got, (long long)want);
            if (got >= 0 && (size_t)got < bytes)
                hit[got]++;
        }
    size_t once = 0, more = 0;
    for (size_t i = 0; i < bytes; i++) {
        once += hit[i] == 1;
        more += hit[i] > 1;
    }
    CHECK(once == (size_t)(mn * cols) && more == 0, "%zu bytes hit once, %zu more than once", once,
          more);
    free(hit);
}

/* Spot values of the 128x4 atom: (r%32)*16 + (r/32)*4 + kb; K atoms fastest. */
static void test_sf_atom_spot_offsets(check_t *ck)
{
    const int64_t mn = 256, k = 2880; /* 90 SF columns, padded to 92 */
    struct {
        int64_t r, kb, off;
    } t[] = {{0, 0, 0}, {1, 0, 16}, {32, 0, 4}, {96, 0, 12}, {0, 1, 1}, {0, 3, 3},
             {0, 4, 512}, {31, 7, 31 * 16 + 512 + 3}, {128, 0, 128 * 92}, {200, 89, 128 * 92 + 22 * 512 + 8 * 16 + 2 * 4 + 1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t got = bsgemm_sf_offset(t[i].r, t[i].kb, mn, k, 32, BSGEMM_FAULT_NONE);
        CHECK(got == t[i].off, "(%lld,%lld): %lld, expected %lld", (long long)t[i].r,
              (long long)t[i].kb, (long long)got, (long long)t[i].off);
    }
}

/* Reading through the CUTLASS layout gives exactly the naive row-major
 * result, for M, N not multiples of 128 and K not a multiple of 128 (nor of
 * the SF vector: the last block is partial). */
static void test_correct_layout_matches_naive_reference_exactly(check_t *ck)
{
    const struct {
        mxquant_fmt_t a, b;
        int vec, tile_k;
    } cases[] = {{MXQ_MXFP8_E4M3, MXQ_MXFP4, 32, 128}, {MXQ_NVFP4, MXQ_NVFP4, 16, 64},
                 {MXQ_MXFP4, MXQ_MXFP4, 64, 128}, {MXQ_MXFP8_E5M2, MXQ_MXFP8_E5M2, 32, 96}};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        op_t a, b;
        op_make(&a, cases[ci].a, 130, 936, cases[ci].vec, r, 1.0);
        op_make(&b, cases[ci].b, 200, 936, cases[ci].vec, r, 0.03);
        bsgemm_problem_t p = problem(&a, &b);
        float *c = malloc(130 * 200 * sizeof *c), *c2 = malloc(130 * 200 * sizeof *c2);
        bsgemm_tile_t t = {128, 128, cases[ci].tile_k, 0};
        CHECK(bsgemm_run(&p, &t, BSGEMM_FAULT_NONE, c) == 0, "run");
        naive(&a, &b, cases[ci].tile_k, c2);
        CHECK(memcmp(c, c2, 130 * 200 * sizeof *c) == 0, "case %zu: differs from naive by %g", ci,
              rel_diff(c, c2, 130 * 200));
        double e = fp64_rel_err(&a, &b, c);
        CHECK(e < 0.3, "case %zu: error vs fp64 %g", ci, e);
        free(c);
        free(c2);
        op_free(&a);
        op_free(&b);
    }
    gsl_rng_free(r);
}

/* The seed-002 fault (offsets from the logical K) on gpt-oss FC2's shape
 * (M=4, N=256, K=2880, MXFP8 x MXFP4, SF vector 32) at least 1.5x the clean
 * error against fp64. */
static void test_logical_sf_fault_gives_large_error(check_t *ck)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    op_t a, b;
    op_make(&a, MXQ_MXFP8_E4M3, 4, 2880, 32, r, 1.0);
    op_make(&b, MXQ_MXFP4, 256, 2880, 32, r, 0.02);
    bsgemm_problem_t p = problem(&a, &b);
    float c[4 * 256], cf[4 * 256];
    bsgemm_tile_t t = {128, 128, 128, 0};
    CHECK(bsgemm_fault_observable(256, 2880, 32), "observable");
    CHECK(bsgemm_run(&p, &t, BSGEMM_FAULT_NONE, c) == 0, "run");
    CHECK(bsgemm_run(&p, &t, BSGEMM_FAULT_LOGICAL_SF, cf) == 0, "run fault");
    double e = fp64_rel_err(&a, &b, c), ef = fp64_rel_err(&a, &b, cf);
    CHECK(ef > 1.5 * e && ef > 0.05, "fault error %g vs clean %g", ef, e);
    op_free(&a);
    op_free(&b);
    gsl_rng_free(r);
}

/* When ceil(K/vec) is a multiple of 4 the two layouts coincide: the fault
 * changes nothing (K = 4096, vector 32: 128 SF columns). */
static void test_fault_is_invisible_when_layouts_coincide(check_t *ck)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4);
    op_t a, b;
    op_make(&a, MXQ_MXFP8_E4M3, 4, 4096, 32, r, 1.0);
    op_make(&b, MXQ_MXFP4, 256, 4096, 32, r, 0.02);
    bsgemm_problem_t p = problem(&a, &b);
    float c[4 * 256], cf[4 * 256];
    bsgemm_tile_t t = {128, 128, 128, 0};
    CHECK(!bsgemm_fault_observable(256, 4096, 32), "not observable");
    CHECK(bsgemm_run(&p, &t, BSGEMM_FAULT_NONE, c) == 0, "run");
    CHECK(bsgemm_run(&p, &t, BSGEMM_FAULT_LOGICAL_SF, cf) == 0, "run fault");
    CHECK(memcmp(c, cf, sizeof c) == 0, "differs by %g", rel_diff(cf, c, 4 * 256));
    op_free(&a);
    op_free(&b);
    gsl_rng_free(r);
}

/* tile_k changes the fp32 accumulation order, so results differ, but only at
 * fp32 rounding level (relative Frobenius difference < 1e-6). */
static void test_tile_k_changes_result_only_at_fp32_rounding(check_t *ck)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    op_t a, b;
    op_make(&a, MXQ_MXFP8_E4M3, 8, 2880, 32, r, 1.0);
    op_make(&b, MXQ_MXFP8_E4M3, 64, 2880, 32, r, 0.02);
    bsgemm_problem_t p = problem(&a, &b);
    float c0[8 * 64], c[8 * 64];
    bsgemm_tile_t t0 = {128, 128, 128, 0};
    CHECK(bsgemm_run(&p, &t0, BSGEMM_FAULT_NONE, c0) == 0, "run");
    const int tks[] = {32, 64, 256, 2880};
    int differ = 0;
    for (size_t i = 0; i < sizeof tks / sizeof tks[0]; i++) {
        bsgemm_tile_t t = {128, 128, tks[i], 0};
        CHECK(bsgemm_run(&p, &t, BSGEMM_FAULT_NONE, c) == 0, "run");
        double d = rel_diff(c, c0, 8 * 64);
        CHECK(d < 1e-6, "tile_k %d: differs by %g", tks[i], d);
        differ |= d > 0;
    }
    CHECK(differ, "no tile_k changed the result: accumulation order is not modelled");
    op_free(&a);
    op_free(&b);
    gsl_rng_free(r);
}

/* Swap-AB (C^T = B * A^T) with the same tile_k is bit-identical. */
static void test_swap_ab_is_bit_identical_for_the_same_tile_k(check_t *ck)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 6);
    op_t a, b;
    op_make(&a, MXQ_MXFP8_E4M3, 5, 960, 32, r, 1.0);
    op_make(&b, MXQ_MXFP4, 140, 960, 32, r, 0.02);
    bsgemm_problem_t p = problem(&a, &b);
    float c[5 * 140], cs[5 * 140];
    bsgemm_tile_t t = {128, 128, 128, 0}, ts = {128, 8, 128, 1};
    CHECK(bsgemm_run(&p, &t, BSGEMM_FAULT_NONE, c) == 0, "run");
    CHECK(bsgemm_run(&p, &ts, BSGEMM_FAULT_NONE, cs) == 0, "run swap");
    CHECK(memcmp(c, cs, sizeof c) == 0, "differs by %g", rel_diff(cs, c, 5 * 140));
    op_free(&a);
    op_free(&b);
    gsl_rng_free(r);
}

int main(void)
{
    check_t ck = check_begin("bsgemm_test");
    test_sf_offsets_match_the_permuted_view_and_are_a_bijection(&ck);
    test_sf_atom_spot_offsets(&ck);
    test_correct_layout_matches_naive_reference_exactly(&ck);
    test_logical_sf_fault_gives_large_error(&ck);
    test_fault_is_invisible_when_layouts_coincide(&ck);
    test_tile_k_changes_result_only_at_fp32_rounding(&ck);
    test_swap_ab_is_bit_identical_for_the_same_tile_k(&ck);
    return check_end(&ck);
}
