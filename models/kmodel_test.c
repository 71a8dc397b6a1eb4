/* kmodel_test.c -- rule tests of the kernel models, named after the rule. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/kmodel.h"
#include "models/setup.h"
#include "tests/testarch.h"

static arch_t gb10(void)
{
    setup_t s;
    char err[512];
    if (setup_load(&s, "gb10", NULL, NULL, 0, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return testarch();
    }
    return s.arch;
}

/* A GEMV that streams far more bytes than fit in flight is DRAM-bound and
 * approaches bytes / (achievable bandwidth x run efficiency). */
static void test_large_gemv_is_dram_bound_near_bytes_over_bandwidth(int *failures)
{
    arch_t a = gb10();
    kdesc_t d = {.kind = KM_GEMV, .m = 1, .n = 201088, .k = 2880, .a_dt = DT_BF16,
                 .b_dt = DT_BF16, .out_bytes = 4, .gemv = gemv_impl_find("cublas-gemv")};
    kmodel_out_t o;
    char err[256];
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    CHECK(o.bound == BOUND_DRAM, "bound %s", bound_name(o.bound));
    /* cuBLAS-style GEMV tiles read 64 bf16 (128 B) of each row per step */
    double ideal = o.ideal_us / arch_dram_run_eff(&a, 128);
    CHECK(o.us >= ideal && o.us < 1.02 * ideal, "us %.1f ideal %.1f", o.us, ideal);
}

/* Each change of group on a persistent CTA costs one tensormap update. FC1 of
 * gpt-oss-120b at M=1: 4 groups x 45 n-tiles on 48 CTAs; CTA c walks c, c+48,
 * c+96, c+144: every tile lands in a new group, so CTAs 0..35 update 4 times and
 * 36..47 three times: 36*4 + 12*3 = 180 updates. */
static void test_grouped_gemm_updates_descriptors_when_the_group_changes(int *failures)
{
    arch_t a = gb10();
    kdesc_t d = {.kind = KM_GROUPED_GEMM, .m = 4, .groups = 4, .n = 5760, .k = 2880,
                 .a_dt = DT_MXFP8, .b_dt = DT_MXFP4, .out_bytes = 2, .tile_m = 128,
                 .tile_n = 128, .tile_k = 128, .a_in_l2 = 1};
    kmodel_out_t o;
    char err[256];
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    double per_update_ps = a.tma_desc_update_cycles * 1e6 / a.sm_clock_mhz;
    double updates = o.r.pre_ps_sum / per_update_ps;
    CHECK(fabs(updates - 180) < 0.5, "updates %.2f", updates);
    /* weights fetched once: 4 x 5760 x 2880 FP4 + SFB */
    double w = 4.0 * 5760 * 2880 * 0.5, sfb = 4.0 * 45 * 23 * 128 * 4;
    double stores = 4.0 * 5760 * 2; /* one valid row per tile, bf16 */
    CHECK(fabs(o.r.dram_bytes - (w + sfb + stores)) < 1, "dram bytes %.0f expected %.0f",
          o.r.dram_bytes, w + sfb + stores);
}

/* Decode attention reads the KV cache once. */
static void test_attention_reads_kv_once(int *failures)
{
    arch_t a = gb10();
    kdesc_t d = {.kind = KM_ATTENTION, .m = 1, .ctx = 4096, .heads_q = 64, .heads_kv = 8,
                 .head_dim = 64, .kv_dt = DT_BF16, .attn = attn_impl_find("flashinfer-fa2")};
    kmodel_out_t o;
    char err[256];
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    double kv = 4096.0 * 8 * 64 * 2 * 2;
    CHECK(o.r.dram_bytes >= kv && o.r.dram_bytes < kv * 1.05, "dram %.0f kv %.0f", o.r.dram_bytes, kv);
}

int main(void)
{
    int failures = 0;
    test_large_gemv_is_dram_bound_near_bytes_over_bandwidth(&failures);
    test_grouped_gemm_updates_descriptors_when_the_group_changes(&failures);
    test_attention_reads_kv_once(&failures);
    printf("kmodel_test: %d failure(s)\n", failures);
    return failures != 0;
}
