/* ksmall_test.c -- rule tests of the small-kernel critical-path model
 * (ksmall.h), named after the rule, and the family table's invariants. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/kmodel.h"
#include "models/ksmall.h"
#include "tests/testarch.h"

static ksmall_counts_t counts_of(const arch_t *a, const char *fam, ksmall_shape_t sh, int *failures)
{
    ksmall_desc_t d = {.family = ksmall_find(fam), .shape = sh};
    ksmall_counts_t c;
    memset(&c, 0, sizeof c);
    char err[256];
    CHECK(d.family != NULL, "no family %s", fam);
    if (d.family == NULL)
        return c;
    CHECK(ksmall_counts(a, &d, &c, err, sizeof err) == 0, "%s: %s", fam, err);
    return c;
}

static double us_of(const arch_t *a, const char *fam, ksmall_shape_t sh, int *failures)
{
    kdesc_t d = {.kind = KM_ELEMENTWISE, .small = {.family = ksmall_find(fam), .shape = sh}};
    kmodel_out_t o;
    char err[256];
    CHECK(d.small.family != NULL, "no family %s", fam);
    if (d.small.family == NULL)
        return 0;
    CHECK(kmodel_run(a, &d, &o, err, sizeof err) == 0, "%s: %s", fam, err);
    return o.us;
}

/* A shape every family accepts (gpt-oss top-4 routing at M=1, hidden 2880). */
static ksmall_shape_t any_shape(void)
{
    return (ksmall_shape_t){.n = 512, .rows = 1, .cols = 128, .sel = 4, .in_bytes = 2,
                            .out_bytes = 2, .n_in = 2, .main = KS_L2, .side = KS_DRAM};
}

/* Every row names its kernel, its launch rule's source and its path's source;
 * closed-source rows say "assumption:". */
static void test_every_family_has_a_pattern_and_sources(int *failures)
{
    CHECK(ksmall_n_families() >= 10, "%zu families", ksmall_n_families());
    for (size_t i = 0; i < ksmall_n_families(); i++) {
        const ksmall_family_t *f = ksmall_family_at(i);
        CHECK(f->name && f->name[0] && f->pattern && f->pattern[0], "row %zu unnamed", i);
        CHECK(f->launch && strlen(f->launch) > 20, "%s: no launch source", f->name);
        CHECK(f->path && strlen(f->path) > 20, "%s: no path source", f->name);
        int open_src = strstr(f->launch, "pytorch/pytorch") != NULL;
        int assumed = strstr(f->launch, "assumption:") != NULL && strstr(f->path, "assumption:");
        CHECK(open_src || assumed, "%s: neither a PyTorch source nor an assumption", f->name);
        CHECK(ksmall_find(f->name) == f, "%s: name not unique", f->name);
    }
}

/* Counts are non-negative, a launch has at least one CTA and one thread, and
 * a kernel that reads anything waits for at least one round trip. */
static void test_counts_are_non_negative_and_every_kernel_waits_for_a_load(int *failures)
{
    arch_t a = preset_arch("h100");
    for (size_t i = 0; i < ksmall_n_families(); i++) {
        const ksmall_family_t *f = ksmall_family_at(i);
        ksmall_counts_t c = counts_of(&a, f->name, any_shape(), failures);
        CHECK(c.ctas >= 1 && c.threads >= 1, "%s: grid %lld x %d", f->name, (long long)c.ctas,
              c.threads);
        CHECK(c.rt_dram >= 0 && c.rt_l2 >= 0 && c.rt_l1 >= 0 && c.bar >= 0 && c.tree >= 0 &&
                  c.shfl >= 0 && c.smem >= 0 && c.smem_atomic >= 0 && c.dram_bytes >= 0 &&
                  c.l2_bytes >= 0, "%s: a negative count", f->name);
        CHECK(c.rt_dram + c.rt_l2 >= 1, "%s: no round trip to L2 or DRAM", f->name);
    }
}

/* A one-CTA kernel with R dependent round trips costs at least kernel_fixed
 * + R x latency. */
static void test_one_cta_with_r_round_trips_costs_at_least_fixed_plus_r_latencies(int *failures)
{
    arch_t a = preset_arch("h100");
    for (int64_t n = 128; n <= 512; n += 128) {   /* 1..4 iterations of one 128-thread CTA */
        ksmall_shape_t sh = {.n = n, .in_bytes = 2, .out_bytes = 2, .n_in = 1, .main = KS_DRAM};
        ksmall_counts_t c = counts_of(&a, "ew_strided", sh, failures);
        double r = (double)(n / 128);
        CHECK(c.ctas == 1 && c.rt_dram == r, "n %lld: ctas %lld rt %.0f", (long long)n,
              (long long)c.ctas, c.rt_dram);
        double us = us_of(&a, "ew_strided", sh, failures);
        double floor = (a.kernel_fixed_ns + r * a.dram_latency_ns) * 1e-3;
        CHECK(us >= floor - 1e-9, "n %lld: %.3f us < %.3f", (long long)n, us, floor);
    }
}

/* Time never falls as the bytes grow: with the counts held, through the
 * bytes term; and for the elementwise families over n (their counts only
 * grow with n). */
static void test_time_is_monotone_in_bytes(int *failures)
{
    arch_t a = preset_arch("h100");
    for (size_t i = 0; i < ksmall_n_families(); i++) {
        const ksmall_family_t *f = ksmall_family_at(i);
        ksmall_counts_t c = counts_of(&a, f->name, any_shape(), failures), more = c;
        more.dram_bytes = 2 * c.dram_bytes + 1e6;
        more.l2_bytes = 2 * c.l2_bytes + 1e6;
        CHECK(ksmall_path_ns(&a, &more) > ksmall_path_ns(&a, &c), "%s: more bytes not slower",
              f->name);
    }
    const char *ew[] = {"ew_strided", "ew_vector", "ew_unrolled"};
    for (size_t i = 0; i < sizeof ew / sizeof ew[0]; i++) {
        double prev = 0;
        for (int64_t n = 1; n <= (1 << 22); n *= 4) {
            ksmall_shape_t sh = any_shape();
            sh.n = n;
            double us = us_of(&a, ew[i], sh, failures);
            CHECK(us >= prev - 1e-9, "%s: n %lld %.3f us < %.3f", ew[i], (long long)n, us, prev);
            prev = us;
        }
    }
}

/* An operand in L2 is never slower than the same operand in DRAM, and L1 is
 * never slower than L2. */
static void test_hot_in_l2_is_never_slower_than_cold(int *failures)
{
    arch_t a = preset_arch("h100");
    for (size_t i = 0; i < ksmall_n_families(); i++) {
        const ksmall_family_t *f = ksmall_family_at(i);
        ksmall_shape_t hot = any_shape(), cold = any_shape();
        hot.main = hot.side = KS_L2;
        cold.main = cold.side = KS_DRAM;
        double th = us_of(&a, f->name, hot, failures), tc = us_of(&a, f->name, cold, failures);
        CHECK(th <= tc, "%s: hot %.3f > cold %.3f", f->name, th, tc);
    }
}

/* rms_norm: one 128-thread CTA per row; both passes walk the row in
 * 512-element strides, one round trip per stride; the gamma pass pays the
 * gamma level. gpt-oss hidden 2880: 6 + 6. */
static void test_rms_norm_pays_a_round_trip_per_512_elements_per_pass(int *failures)
{
    arch_t a = preset_arch("h100");
    ksmall_shape_t sh = {.rows = 1, .cols = 2880, .in_bytes = 2, .out_bytes = 2, .n_in = 1,
                         .main = KS_L2, .side = KS_DRAM};
    ksmall_counts_t c = counts_of(&a, "rms_norm", sh, failures);
    CHECK(c.ctas == 1 && c.threads == 128, "grid %lld x %d", (long long)c.ctas, c.threads);
    CHECK(c.rt_l2 == 6 && c.rt_dram == 6, "rt l2 %.0f dram %.0f", c.rt_l2, c.rt_dram);
    CHECK(c.shfl == 5 && c.tree == 2, "shfl %.0f tree %.0f", c.shfl, c.tree);
    sh.cols = 512;
    c = counts_of(&a, "rms_norm", sh, failures);
    CHECK(c.rt_l2 == 1 && c.rt_dram == 1, "512: rt l2 %.0f dram %.0f", c.rt_l2, c.rt_dram);
}

/* The strided (legacy) elementwise loop serializes its vt load/store pairs;
 * the vectorized kernel loads everything first: one round trip. */
static void test_strided_loop_serializes_vt_round_trips_vectorized_needs_one(int *failures)
{
    arch_t a = preset_arch("h100");
    ksmall_shape_t sh = {.n = 11520, .in_bytes = 2, .out_bytes = 2, .n_in = 1, .main = KS_L2};
    ksmall_counts_t s = counts_of(&a, "ew_strided", sh, failures);
    ksmall_counts_t v = counts_of(&a, "ew_vector", sh, failures);
    CHECK(s.ctas == 23 && s.rt_l2 == 4, "strided: grid %lld rt %.0f", (long long)s.ctas, s.rt_l2);
    CHECK(v.ctas == 12 && v.rt_l2 == 1, "vector: grid %lld rt %.0f", (long long)v.ctas, v.rt_l2);
    sh.out_bytes = 4;   /* unroll_factor 2 for 4-byte outputs */
    s = counts_of(&a, "ew_strided", sh, failures);
    CHECK(s.ctas == 45 && s.rt_l2 == 2, "fp32 out: grid %lld rt %.0f", (long long)s.ctas, s.rt_l2);
}

/* The launch rules reproduce the grids and blocks CUPTI recorded in
 * traces/hopper/h100_decode_step_trace.csv. */
static void test_launch_rules_reproduce_the_recorded_grids(int *failures)
{
    arch_t a = preset_arch("h100");
    struct {
        const char *fam;
        ksmall_shape_t sh;
        long long ctas;
        int threads;
    } rows[] = {
        {"rms_norm", {.rows = 1, .cols = 2880, .in_bytes = 2, .out_bytes = 2, .n_in = 1, .main = KS_L2}, 1, 128},
        {"ew_strided", {.n = 512, .in_bytes = 2, .out_bytes = 2, .n_in = 1, .main = KS_L2}, 1, 128},
        {"ew_vector", {.n = 2880, .in_bytes = 2, .out_bytes = 2, .n_in = 2, .main = KS_L2}, 3, 128},
        {"gather_topk", {.rows = 1, .cols = 128, .sel = 4, .in_bytes = 2, .out_bytes = 2, .main = KS_L2}, 1, 128},
        {"bitonic_sort", {.rows = 1, .sel = 4, .in_bytes = 2, .out_bytes = 2, .main = KS_L2}, 1, 16},
        {"softmax_warp", {.rows = 1, .n = 4, .in_bytes = 4, .out_bytes = 4, .n_in = 1, .main = KS_L2}, 1, 128},
        {"reduce_outer", {.rows = 2880, .cols = 4, .in_bytes = 2, .out_bytes = 2, .main = KS_L2}, 6, 128},
        {"reduce_inner", {.rows = 1, .cols = 201088, .in_bytes = 2, .out_bytes = 8, .main = KS_L2}, 25, 512},
        {"prepare_grouped", {.cols = 128, .main = KS_DRAM}, 1, 128},
        {"splitk_reduce", {.rows = 1, .cols = 2880, .sel = 4, .in_bytes = 2, .out_bytes = 2, .main = KS_L2}, 90, 512},
        {"splitk_reduce", {.rows = 1, .cols = 128, .sel = 4, .in_bytes = 2, .out_bytes = 2, .main = KS_L2}, 4, 512},
        {"lean_reduction", {.rows = 64, .cols = 64, .sel = 4, .in_bytes = 4, .out_bytes = 2, .main = KS_L2}, 64, 256},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ksmall_counts_t c = counts_of(&a, rows[i].fam, rows[i].sh, failures);
        CHECK(c.ctas == rows[i].ctas && c.threads == rows[i].threads,
              "%s: grid %lld x %d, recorded %lld x %d", rows[i].fam, (long long)c.ctas, c.threads,
              rows[i].ctas, rows[i].threads);
    }
}

/* argmax over 201088 logits: 25 CTAs of 512 threads, 4 vector loads each,
 * a block_x_reduce (4 tree steps, a barrier, 5 shuffles) before and after
 * the cross-CTA handoff (threadfence, semaphore atomic, staged re-read). */
static void test_reduce_inner_splits_across_ctas_and_reduces_twice(int *failures)
{
    arch_t a = preset_arch("h100");
    ksmall_shape_t sh = {.rows = 1, .cols = 201088, .in_bytes = 2, .out_bytes = 8, .main = KS_L2};
    ksmall_counts_t c = counts_of(&a, "reduce_inner", sh, failures);
    CHECK(c.rt_l2 == 4 + 3, "rt l2 %.0f", c.rt_l2);
    CHECK(c.tree == 8 && c.shfl == 10, "tree %.0f shfl %.0f", c.tree, c.shfl);
}

/* A grid larger than the resident CTAs repeats the path per wave. */
static void test_a_second_wave_repeats_the_path(int *failures)
{
    arch_t a = testarch();   /* 4 SMs x min(1536/128, 8) = 32 CTAs of 128 threads at once */
    ksmall_shape_t one = {.n = 32 * 512, .in_bytes = 2, .out_bytes = 2, .n_in = 1, .main = KS_L2};
    ksmall_shape_t two = one;
    two.n = 33 * 512;
    ksmall_counts_t c1 = counts_of(&a, "ew_strided", one, failures);
    ksmall_counts_t c2 = counts_of(&a, "ew_strided", two, failures);
    double p1 = ksmall_path_ns(&a, &c1) - (c1.l2_bytes / (arch_l2_bw_bytes_per_ps(&a) * 1e3));
    double p2 = ksmall_path_ns(&a, &c2) - (c2.l2_bytes / (arch_l2_bw_bytes_per_ps(&a) * 1e3));
    CHECK(fabs(p2 - 2 * p1) < 1e-6, "one wave %.1f ns, two waves %.1f ns", p1, p2);
}

/* Analytic check against experiments/ksmall_ubench_h100.txt: a one-CTA kernel
 * that follows R dependent L2 (R = 32) or DRAM (R = 8) loads repeats in a CUDA
 * graph every 5535 ns / 4002 ns, an empty one every 786 ns (the same run,
 * unprofiled); the model (that empty period + R round trips) lands within
 * 10 %. (The arch's kernel_fixed_ns and graph_gap_ns are CUPTI's view, as the
 * traces are, so they are not the base of an unprofiled period.) */
static void test_dependent_chain_matches_the_measured_graph_period(int *failures)
{
    arch_t a = preset_arch("h100");
    struct { ks_level_t lv; int64_t r; double meas_ns; } pts[] = {
        {KS_L2, 8, 2017}, {KS_L2, 32, 5535}, {KS_DRAM, 8, 4002}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        ksmall_counts_t c = {.ctas = 1, .threads = 128};
        if (pts[i].lv == KS_L2)
            c.rt_l2 = (double)pts[i].r;
        else
            c.rt_dram = (double)pts[i].r;
        double model = 786.0 + ksmall_path_ns(&a, &c);
        double err = (model - pts[i].meas_ns) / pts[i].meas_ns;
        fprintf(stderr, "chain %s r=%lld: model %.0f ns measured %.0f ns (%+.1f%%)\n",
                pts[i].lv == KS_L2 ? "l2" : "dram", (long long)pts[i].r, model, pts[i].meas_ns,
                100 * err);
        CHECK(fabs(err) < 0.10, "r %lld: model %.0f measured %.0f", (long long)pts[i].r, model,
              pts[i].meas_ns);
    }
}

/* A sort longer than the bitonic path is refused, not silently priced. */
static void test_bitonic_sort_refuses_sorts_longer_than_32(int *failures)
{
    arch_t a = preset_arch("h100");
    ksmall_desc_t d = {.family = ksmall_find("bitonic_sort"),
                       .shape = {.rows = 1, .sel = 64, .in_bytes = 2, .out_bytes = 2, .main = KS_L2}};
    ksmall_counts_t c;
    char err[256] = "";
    CHECK(ksmall_counts(&a, &d, &c, err, sizeof err) != 0 && strstr(err, "32"), "err '%s'", err);
}

int main(void)
{
    int failures = 0;
    test_every_family_has_a_pattern_and_sources(&failures);
    test_counts_are_non_negative_and_every_kernel_waits_for_a_load(&failures);
    test_one_cta_with_r_round_trips_costs_at_least_fixed_plus_r_latencies(&failures);
    test_time_is_monotone_in_bytes(&failures);
    test_hot_in_l2_is_never_slower_than_cold(&failures);
    test_rms_norm_pays_a_round_trip_per_512_elements_per_pass(&failures);
    test_strided_loop_serializes_vt_round_trips_vectorized_needs_one(&failures);
    test_launch_rules_reproduce_the_recorded_grids(&failures);
    test_reduce_inner_splits_across_ctas_and_reduces_twice(&failures);
    test_a_second_wave_repeats_the_path(&failures);
    test_dependent_chain_matches_the_measured_graph_period(&failures);
    test_bitonic_sort_refuses_sorts_longer_than_32(&failures);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
