/* kexec_test.c -- analytic bounds of the CTA executor, folding, the lower
 * bound and the deadline. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/kexec.h"
#include "tests/check.h"
#include "tests/testarch.h"

typedef struct {
    kitem_t it;
    int items;
} uni_t;

static int uni_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    (void)cta;
    const uni_t *u = k->ctx;
    if (idx >= u->items)
        return 0;
    *out = u->it;
    return 1;
}

static kresult_t run(const arch_t *a, int ctas, int per_sm, int stages, uni_t *u)
{
    kspec_t k = {.n_ctas = ctas, .ctas_per_sm = per_sm, .stages = stages, .item = uni_item, .ctx = u};
    kresult_t r;
    char err[128];
    int rc = kexec_run(a, &k, &r, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "kexec_run: %s\n", err);
    return r;
}

/* A pure memory-bound kernel converges to bytes / bandwidth. */
static void test_memory_bound_kernel_converges_to_bytes_over_bandwidth(check_t *ck)
{
    arch_t a = testarch();
    double prev_err = 1e9;
    for (int steps = 16; steps <= 1024; steps *= 4) {
        uni_t u = {.it = {.n_steps = steps, .dram_bytes = 32768}, .items = 1};
        kresult_t r = run(&a, 64, 4, 4, &u);
        double ideal_ps = 64.0 * steps * 32768 / 1.0; /* 1 byte/ps */
        double rel = (r.dur_ps - ideal_ps) / ideal_ps;
        CHECK(r.dur_ps >= ideal_ps, "faster than bandwidth: %lld < %.0f", (long long)r.dur_ps, ideal_ps);
        CHECK(rel < prev_err, "error does not shrink with size: %.4f then %.4f", prev_err, rel);
        prev_err = rel;
        CHECK(fabs(r.dram_bytes - 64.0 * steps * 32768) < 1, "bytes %.0f", r.dram_bytes);
    }
    CHECK(prev_err < 0.01, "large kernel within 1%% of bytes/bandwidth: %.4f", prev_err);
}

/* A pure compute-bound kernel takes waves x steps x cycles. */
static void test_compute_bound_kernel_is_waves_times_cycles(check_t *ck)
{
    arch_t a = testarch();
    uni_t u = {.it = {.n_steps = 10, .compute_cyc = 1000}, .items = 1};
    /* 8 CTAs on 4 SMs, 1 per SM: 2 waves of 10 x 1000 cycles x 1000 ps */
    kresult_t r = run(&a, 8, 1, 2, &u);
    CHECK(r.dur_ps == 2 * 10 * 1000 * 1000LL, "dur %lld", (long long)r.dur_ps);
    CHECK(r.waves == 2, "waves %d", r.waves);
    CHECK(r.unit_busy_max_ps == r.dur_ps, "busiest unit %lld", (long long)r.unit_busy_max_ps);
}

/* One CTA with S loads in flight moves at most S x bytes per (latency + transfer): Little's law. */
static void test_littles_law_limits_one_cta(check_t *ck)
{
    arch_t a = testarch();
    a.dram_latency_ns = 1000; /* 1e6 ps */
    for (int stages = 1; stages <= 4; stages *= 2) {
        uni_t u = {.it = {.n_steps = 64, .dram_bytes = 1000}, .items = 1};
        kresult_t r = run(&a, 1, 1, stages, &u);
        /* each load: 1e6 ps latency + 1000 ps transfer (alone) or up to stages*1000 (shared) */
        double lo = 64.0 / stages * (1e6 + 1000);
        double hi = 64.0 / stages * (1e6 + stages * 1000.0) + 1e6;
        CHECK(r.dur_ps >= lo - 1 && r.dur_ps <= hi, "stages %d: dur %lld not in [%.0f, %.0f]", stages,
              (long long)r.dur_ps, lo, hi);
    }
}

/* With one stage the pipeline is serial: latency + transfer + compute per step. */
static void test_single_stage_is_serial(check_t *ck)
{
    arch_t a = testarch();
    uni_t u = {.it = {.n_steps = 5, .dram_bytes = 2000, .compute_cyc = 3}, .items = 1};
    kresult_t r = run(&a, 1, 1, 1, &u);
    long long want = 5LL * (100000 + 2000 + 3000);
    CHECK(r.dur_ps == want, "dur %lld want %lld", (long long)r.dur_ps, want);
}

/* Producer pre-work and epilogues are serialized as documented. */
static void test_pre_and_epilogue_are_counted(check_t *ck)
{
    arch_t a = testarch();
    uni_t u = {.it = {.n_steps = 1, .dram_bytes = 1000, .pre_cyc = 7, .epi_cyc = 11,
                      .epi_dram_bytes = 500}, .items = 3};
    kresult_t r = run(&a, 1, 1, 2, &u);
    CHECK(fabs(r.pre_ps_sum - 3 * 7000.0) < 1, "pre %.0f", r.pre_ps_sum);
    CHECK(fabs(r.epi_ps_sum - 3 * 11000.0) < 1, "epi %.0f", r.epi_ps_sum);
    CHECK(fabs(r.dram_bytes - 3 * 1500.0) < 1, "bytes %.0f", r.dram_bytes);
    /* first item: pre 7000 + latency 100000 + 1000 transfer, then epilogue 11000 and its store
     * (100000 + 500) must land before the end */
    CHECK(r.dur_ps > 7000 + 101000 + 11000 + 100500, "dur %lld too short", (long long)r.dur_ps);
}

/* Loads whose row visits move only RUN contiguous bytes occupy the DRAM
 * 1/eff(RUN) longer: a memory-bound kernel converges to bytes / (bw x eff). */
static void test_short_runs_cost_dram_time_by_run_efficiency(check_t *ck)
{
    arch_t a = testarch();
    a.dram_run_eff_32 = 0.5;
    a.dram_run_eff_64 = 0.6;
    a.dram_run_eff_128 = 0.8;
    a.dram_run_eff_256 = 0.8;
    a.dram_run_eff_512 = 0.9;
    CHECK(arch_dram_run_eff(&a, 0) == 1.0 && arch_dram_run_eff(&a, 4096) == 1.0, "streaming is 1");
    CHECK(arch_dram_run_eff(&a, 16) == 0.5 && arch_dram_run_eff(&a, 64) == 0.6, "measured points");
    CHECK(fabs(arch_dram_run_eff(&a, 90.50966799187808) - 0.7) < 1e-12,
          "log2 interpolation between 64 and 128: %.6f", arch_dram_run_eff(&a, 90.50966799187808));
    uni_t u = {.it = {.n_steps = 512, .dram_bytes = 32768, .dram_run_bytes = 64}, .items = 1};
    kresult_t r = run(&a, 64, 4, 4, &u);
    double ideal_ps = 64.0 * 512 * 32768 / 0.6;
    CHECK(r.dur_ps >= ideal_ps && r.dur_ps < 1.01 * ideal_ps, "dur %lld ideal %.0f", (long long)r.dur_ps,
          ideal_ps);
    CHECK(fabs(r.dram_bytes - 64.0 * 512 * 32768) < 1, "real bytes counted: %.0f", r.dram_bytes);
}

/* One SM's load path caps what its CTAs pull: one CTA streaming far more
 * than its share converges to bytes / sm_load_gbps, not to the DRAM rate. */
static void test_one_sm_is_capped_by_its_load_path(check_t *ck)
{
    arch_t a = testarch();
    a.sm_load_gbps = 100; /* 0.1 byte/ps, a tenth of the DRAM */
    uni_t u = {.it = {.n_steps = 256, .dram_bytes = 32768}, .items = 1};
    kresult_t r = run(&a, 1, 1, 8, &u);
    double ideal_ps = 256.0 * 32768 / 0.1;
    CHECK(r.dur_ps >= ideal_ps && r.dur_ps < 1.01 * ideal_ps, "dur %lld, port bound %.0f",
          (long long)r.dur_ps, ideal_ps);
    /* four CTAs on four SMs: four ports, still under the DRAM */
    kresult_t r4 = run(&a, 4, 1, 8, &u);
    CHECK(llabs(r4.dur_ps - r.dur_ps) < r.dur_ps / 100, "per-SM, not shared: %lld vs %lld",
          (long long)r4.dur_ps, (long long)r.dur_ps);
    /* no cap: the DRAM bound */
    a.sm_load_gbps = 0;
    kresult_t r0 = run(&a, 1, 1, 8, &u);
    CHECK(r0.dur_ps < ideal_ps / 5, "uncapped %lld", (long long)r0.dur_ps);
}

/* Multicast: a CTA issues (and DRAM serves) its share, its SM receives the
 * whole tile: the port charges port_bytes. */
static void test_multicast_port_charges_received_bytes(check_t *ck)
{
    arch_t a = testarch();
    a.sm_load_gbps = 100;
    uni_t u = {.it = {.n_steps = 256, .dram_bytes = 16384, .port_bytes = 32768}, .items = 1};
    kresult_t r = run(&a, 1, 1, 8, &u);
    double ideal_ps = 256.0 * 32768 / 0.1;
    CHECK(r.dur_ps >= ideal_ps && r.dur_ps < 1.01 * ideal_ps, "dur %lld, port bound %.0f",
          (long long)r.dur_ps, ideal_ps);
    CHECK(fabs(r.dram_bytes - 256.0 * 16384) < 1, "DRAM counts the issued share: %.0f", r.dram_bytes);
}

/* TMA k-tile loads are charged the arch's TMA efficiency instead of the run
 * curve where it has one, and the run curve where it has none (0). */
static void test_tma_loads_use_the_tma_efficiency(check_t *ck)
{
    arch_t a = testarch();
    a.dram_run_eff_128 = 0.5;
    a.dram_tma_eff = 0.9;
    CHECK(arch_dram_load_eff(&a, 128, 1, 128) == 0.9 && arch_dram_load_eff(&a, 128, 0, 128) == 0.5,
          "tma %.3f ldg %.3f", arch_dram_load_eff(&a, 128, 1, 128), arch_dram_load_eff(&a, 128, 0, 128));
    uni_t u = {.it = {.n_steps = 512, .dram_bytes = 32768, .dram_run_bytes = 128, .tma = 1},
               .items = 1};
    kresult_t r = run(&a, 64, 4, 4, &u);
    double ideal_ps = 64.0 * 512 * 32768 / 0.9;
    CHECK(r.dur_ps >= ideal_ps && r.dur_ps < 1.01 * ideal_ps, "dur %lld ideal %.0f", (long long)r.dur_ps,
          ideal_ps);
    a.dram_tma_eff = 0;
    CHECK(arch_dram_load_eff(&a, 128, 1, 128) == 0.5, "no TMA value: the run curve");
}

/* A TMA stage lands no sooner than the arch's TMA round trip: one CTA with
 * one stage of a few bytes takes n_steps x tma_latency, not x dram latency. */
static void test_tma_stage_round_trip(check_t *ck)
{
    arch_t a = testarch(); /* DRAM latency 100 ns */
    a.tma_latency_ns = 300;
    uni_t u = {.it = {.n_steps = 10, .dram_bytes = 64, .tma = 1}, .items = 1};
    kresult_t r = run(&a, 1, 1, 1, &u);
    CHECK(r.dur_ps >= 10 * 300000LL && r.dur_ps < 10 * 300000LL + 10000, "dur %lld, want 10 x 300 ns",
          (long long)r.dur_ps);
    u.it.tma = 0; /* plain loads: the DRAM latency */
    kresult_t p = run(&a, 1, 1, 1, &u);
    CHECK(p.dur_ps < 10 * 110000LL, "plain loads %lld", (long long)p.dur_ps);
    a.tma_latency_ns = 0; /* not measured: TMA loads like any other */
    u.it.tma = 1;
    kresult_t z = run(&a, 1, 1, 1, &u);
    CHECK(z.dur_ps == p.dur_ps, "tma_latency_ns 0: %lld vs %lld", (long long)z.dur_ps, (long long)p.dur_ps);
}

static void test_rerun_is_identical(check_t *ck)
{
    arch_t a = testarch();
    uni_t u = {.it = {.n_steps = 37, .dram_bytes = 777, .l2_bytes = 33, .compute_cyc = 1.5,
                      .epi_cyc = 9, .epi_dram_bytes = 64}, .items = 2};
    kresult_t r1 = run(&a, 51, 3, 3, &u), r2 = run(&a, 51, 3, 3, &u);
    CHECK(r1.dur_ps == r2.dur_ps && r1.events == r2.events && r1.dram_busy_ps == r2.dram_busy_ps,
          "reruns differ: %lld vs %lld", (long long)r1.dur_ps, (long long)r2.dur_ps);
}

static void test_too_many_ctas_per_sm_is_an_input_error(check_t *ck)
{
    arch_t a = testarch();
    uni_t u = {.it = {.n_steps = 1, .dram_bytes = 1}, .items = 1};
    kspec_t k = {.n_ctas = 1, .ctas_per_sm = 9, .stages = 1, .item = uni_item, .ctx = &u};
    kresult_t r;
    char err[128] = "";
    CHECK(kexec_run(&a, &k, &r, err, sizeof err) == -1, "accepted 9 CTAs per SM on an 8-CTA SM");
    CHECK(err[0] != '\0', "no message");
}


/* TMA zero fill (out-of-bounds box bytes) reads no DRAM but occupies the L2
 * return path, which also carries every DRAM fill and L2 hit: zero fill
 * alone streams at tma_oob_gbps; beside DRAM loads the kernel takes
 * (dram + oob x l2_bw / tma_oob_gbps) / l2_bw when that exceeds the DRAM
 * time; an arch without the measurement (0) fills for free. */
static void test_tma_zero_fill_shares_the_l2_return_path(check_t *ck)
{
    arch_t a = testarch(); /* DRAM 1 B/ps, L2 4 B/ps */
    a.tma_oob_gbps = 1000;
    uni_t u = {.it = {.n_steps = 512, .oob_bytes = 16384, .tma = 1}, .items = 1};
    kresult_t r = run(&a, 4, 1, 4, &u);
    double ideal_ps = 4.0 * 512 * 16384 / 1.0;
    CHECK(r.dur_ps >= ideal_ps && r.dur_ps < 1.01 * ideal_ps, "zero fill alone: dur %lld, want %.0f",
          (long long)r.dur_ps, ideal_ps);
    CHECK(r.dram_bytes == 0 && r.l2_bytes == 0, "zero fill is neither DRAM %.0f nor L2 hits %.0f",
          r.dram_bytes, r.l2_bytes);
    u.it.dram_bytes = 16384;
    r = run(&a, 4, 1, 4, &u);
    ideal_ps = 4.0 * 512 * (16384 + 16384 * 4.0) / 4.0;
    CHECK(r.dur_ps >= ideal_ps && r.dur_ps < 1.01 * ideal_ps, "beside DRAM: dur %lld, want %.0f",
          (long long)r.dur_ps, ideal_ps);
    CHECK(r.l2_busy_ps > 0.99 * (double)r.dur_ps, "L2 path busy %lld of %lld", (long long)r.l2_busy_ps,
          (long long)r.dur_ps);
    a.tma_oob_gbps = 0;
    r = run(&a, 4, 1, 4, &u);
    ideal_ps = 4.0 * 512 * 16384 / 1.0;
    CHECK(r.dur_ps >= ideal_ps && r.dur_ps < 1.01 * ideal_ps, "free fill: dur %lld, DRAM bound %.0f",
          (long long)r.dur_ps, ideal_ps);
}

/* Validation against tmabench.cu test 13 (traces/hopper/tmabench13_*.txt;
 * the presets take tma_oob_gbps from its "A alone, one token" row and
 * nothing else from it): the grouped GEMM's mainloop at 132 CTAs, 4 stages --
 * a 32-KiB weight tile (multicast in 66 clusters of 2: 16 KiB issued per CTA;
 * or loaded whole by every CTA), a 16-KiB A tile of which one token is in the
 * tensor (16256 B zero fill), half (rank 1 all zero fill) or all (L2 hits).
 * Every configuration within 15 % of the measured ns per stage on both GPUs. */
static void test_grouped_stage_matches_tmabench13(check_t *ck)
{
    enum { MC = 1, NOMC = 0 };
    static const struct {
        const char *what;
        int mc;
        double a_oob, a_hit, b;  /* per CTA per stage: zero fill, L2 hits, weight tile bytes */
        double h100_ns, h200_ns;
    } c[] = {
        {"B alone", MC, 0, 0, 32768, 762.1, 539.9},
        {"B + A, one token", MC, 16256, 128, 32768, 907.9, 888.3},
        {"B + A, half", MC, 8192, 8192, 32768, 818.3, 718.7},
        {"B + A, in bounds", MC, 0, 16384, 32768, 787.8, 575.7},
        {"B alone, no cluster", NOMC, 0, 0, 32768, 1489.7, 1012.6},
        {"B + A one token, no cluster", NOMC, 16256, 128, 32768, 1604.4, 1404.8},
        {"A alone, one token (fit)", MC, 16256, 128, 0, 653.1, 667.2},
        {"A alone, in bounds", MC, 0, 16384, 0, 260.5, 259.0},
        {"A alone, half", MC, 8192, 8192, 0, 464.2, 450.0},
    };
    const char *archs[] = {"h100", "h200"};
    for (int g = 0; g < 2; g++) {
        arch_t a = preset_arch(archs[g]);
        for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
            double a_box = c[i].a_oob + c[i].a_hit;
            /* the bench issues 2 k-boxes of each tile it loads per stage */
            uni_t u = {.it = {.n_steps = 352, .tma = 1, .dram_run_bytes = 256,
                              .tma_boxes = (c[i].b > 0 ? 2 : 0) + (a_box > 0 ? 2 : 0),
                              .dram_bytes = c[i].mc ? c[i].b / 2 : c[i].b,
                              .mc_tile_bytes = c[i].mc && c[i].b > 0 ? c[i].b : 0,
                              .port_bytes = c[i].b + a_box, .oob_bytes = c[i].a_oob,
                              .l2_bytes = c[i].a_hit},
                       .items = 1};
            kresult_t r = run(&a, 132, 1, 4, &u);
            double ns = (double)r.dur_ps * 1e-3 / u.it.n_steps;
            double want = g == 0 ? c[i].h100_ns : c[i].h200_ns;
            CHECK(fabs(ns - want) < 0.15 * want, "%s %s: %.1f ns per stage, measured %.1f", archs[g],
                  c[i].what, ns, want);
            printf("tmabench13 %s %-28s model %7.1f measured %7.1f ns/stage %+6.1f %%\n", archs[g],
                   c[i].what, ns, want, 100 * (ns - want) / want);
        }
    }
}

/* One producer thread issues a CTA's TMA steps one after another: each
 * occupies it tma_stage_issue_ns + boxes x tma_box_issue_ns, so a deep ring of
 * small L2-resident stages lands one stage per issue time (tmabench test 14),
 * and boxes-per-step matter where bytes do not. Against test 14 on the h100
 * preset: 4-box stages of 64 rows from DRAM landed 233 ns apart (the preset
 * takes its two values from 1- and 2-box stages). */
static void test_one_thread_issues_tma_stages_in_turn(check_t *ck)
{
    arch_t a = testarch();
    a.tma_stage_issue_ns = 60;
    a.tma_box_issue_ns = 40;
    uni_t u = {.it = {.n_steps = 200, .l2_bytes = 1024, .tma = 1, .tma_boxes = 1}, .items = 1};
    kresult_t r1 = run(&a, 1, 1, 16, &u);
    u.it.tma_boxes = 3;
    kresult_t r3 = run(&a, 1, 1, 16, &u);
    double per1 = (double)(r1.dur_ps) / 200, per3 = (double)(r3.dur_ps) / 200;
    CHECK(fabs(per1 - 100000) < 2000, "1 box: %.0f ps per step, want 100 ns", per1);
    CHECK(fabs(per3 - 180000) < 2000, "3 boxes: %.0f ps per step, want 180 ns", per3);
    u.it.l2_bytes = 8192; /* 8x the bytes, same boxes: the same time */
    kresult_t r3b = run(&a, 1, 1, 16, &u);
    CHECK(llabs(r3b.dur_ps - r3.dur_ps) < r3.dur_ps / 100, "box size changed the time: %lld vs %lld",
          (long long)r3b.dur_ps, (long long)r3.dur_ps);
    u.it.tma = 0; /* not TMA: nothing to issue */
    kresult_t plain = run(&a, 1, 1, 16, &u);
    CHECK(plain.dur_ps < r3.dur_ps / 10, "plain loads %lld", (long long)plain.dur_ps);

    arch_t h = preset_arch("h100");
    uni_t d = {.it = {.n_steps = 60, .dram_bytes = 4 * 8192, .dram_run_bytes = 128, .tma = 1, .tma_boxes = 4},
               .items = 1};
    kresult_t r = run(&h, 1, 1, 6, &d);
    double ns = (double)r.dur_ps * 1e-3 / d.it.n_steps;
    CHECK(fabs(ns - 233) < 0.1 * 233, "h100 4-box stages %.1f ns apart, measured 233", ns);
}

/* The issue time holds the producer back only from a next step: a CTA whose
 * last step is issued finishes when its loads land, and the SM's next CTA
 * starts clean (no second pre-work, no early issue). */
static void test_issue_time_ends_with_the_last_step(check_t *ck)
{
    arch_t a = testarch(); /* tma_latency_ns 0: a step lands after the L2 latency */
    a.tma_stage_issue_ns = 1000;
    uni_t u = {.it = {.n_steps = 1, .l2_bytes = 64, .tma = 1, .tma_boxes = 1, .pre_cyc = 300}, .items = 1};
    kresult_t one = run(&a, 4, 1, 2, &u);
    CHECK(one.dur_ps < 1000000, "one wave of 1-step CTAs lasts %lld ps, longer than one issue",
          (long long)one.dur_ps);
    kresult_t r = run(&a, 40, 1, 2, &u);
    CHECK(fabs(r.pre_ps_sum - 40 * 300000.0) < 1, "pre work %.0f ps, want 40 x 300 ns", r.pre_ps_sum);
    CHECK(r.dur_ps < 10 * one.dur_ps + 10000, "10 waves %lld ps, one %lld", (long long)r.dur_ps,
          (long long)one.dur_ps);
}

/* ------------------------------------------------------------- folding -- */

/* uni_t's CTAs with the last one different (a partial GEMV block): runs of
 * CTAs [0, n-1) and [n-1, n). */
typedef struct {
    kitem_t it, last;
    int n_ctas;
} wide_t;

static int wide_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    const wide_t *w = k->ctx;
    if (idx > 0)
        return 0;
    *out = cta == w->n_ctas - 1 ? w->last : w->it;
    return 1;
}

static int64_t wide_repeat(const kspec_t *k, int64_t u, int64_t *period)
{
    const wide_t *w = k->ctx;
    *period = 1;
    return u >= w->n_ctas ? INT64_MAX : u < w->n_ctas - 1 ? w->n_ctas - 1 : w->n_ctas;
}

/* Persistent CTAs with `items` equal items each: one run. */
static int64_t uni_repeat(const kspec_t *k, int64_t u, int64_t *period)
{
    const uni_t *un = k->ctx;
    *period = 1;
    return u < (int64_t)k->n_ctas * un->items ? (int64_t)k->n_ctas * un->items : INT64_MAX;
}

static kresult_t run_spec(const arch_t *a, kspec_t k, int no_fold)
{
    k.no_fold = no_fold;
    kresult_t r;
    char err[128];
    if (kexec_run(a, &k, &r, err, sizeof err) != 0)
        fprintf(stderr, "kexec_run: %s\n", err);
    return r;
}

static double rel_diff(double x, double y)
{
    return fabs(x - y) / y;
}

/* Folding moves what it names (kexec.h "Folding"): a wide grid of equal
 * CTAs (CTA folds), persistent CTAs walking equal items (item folds) and
 * CTAs streaming long items (step folds) execute fewer events, and their
 * duration, busy times and bytes stay within 0.5 % of the event-by-event
 * run (bytes exactly); no_fold executes every event. */
static void test_folding_matches_every_event(check_t *ck)
{
    const char *archs[] = {"gb10", "h100"};
    for (int ai = 0; ai < 2; ai++) {
        arch_t a = preset_arch(archs[ai]);
        int seats = (int)a.n_sm * 4;
        wide_t w = {.it = {.n_steps = 12, .dram_bytes = 2048, .dram_run_bytes = 128, .tma = 1,
                           .tma_box_rows = 64, .l2_bytes = 32, .compute_cyc = 40, .epi_cyc = 300,
                           .epi_dram_bytes = 8},
                    .n_ctas = 40 * seats};
        w.last = w.it;
        w.last.n_steps = 3;
        kspec_t wide = {.n_ctas = w.n_ctas, .ctas_per_sm = 4, .stages = 4, .item = wide_item,
                        .repeat = wide_repeat, .ctx = &w};
        uni_t p = {.it = {.n_steps = 23, .dram_bytes = 16384, .l2_bytes = 16384, .tma = 1,
                          .compute_cyc = 900, .epi_cyc = 1500, .epi_dram_bytes = 32768},
                   .items = 300};
        kspec_t pers = {.n_ctas = (int)a.n_sm, .ctas_per_sm = 1, .stages = 3, .item = uni_item,
                        .repeat = uni_repeat, .ctx = &p};
        uni_t l = {.it = {.n_steps = 20000, .dram_bytes = 4096, .compute_cyc = 10}, .items = 1};
        kspec_t lng = {.n_ctas = (int)a.n_sm * 2, .ctas_per_sm = 2, .stages = 4, .item = uni_item,
                       .ctx = &l};
        const kspec_t *specs[] = {&wide, &pers, &lng};
        const char *names[] = {"wide grid", "persistent", "long items"};
        for (int i = 0; i < 3; i++) {
            kresult_t f = run_spec(&a, *specs[i], 0), e = run_spec(&a, *specs[i], 1);
            CHECK(e.folds == 0 && e.events_folded == 0, "%s %s: no_fold folded", archs[ai], names[i]);
            CHECK(f.folds > 0 && f.events < e.events, "%s %s: %d folds, %llu of %llu events",
                  archs[ai], names[i], f.folds, (unsigned long long)f.events,
                  (unsigned long long)e.events);
            CHECK(rel_diff((double)f.dur_ps, (double)e.dur_ps) <= 0.005, "%s %s: dur %lld vs %lld",
                  archs[ai], names[i], (long long)f.dur_ps, (long long)e.dur_ps);
            CHECK(rel_diff((double)f.dram_busy_ps, (double)e.dram_busy_ps) <= 0.005 &&
                      rel_diff((double)f.unit_busy_max_ps, (double)e.unit_busy_max_ps) <= 0.005,
                  "%s %s: busy dram %lld vs %lld, unit %lld vs %lld", archs[ai], names[i],
                  (long long)f.dram_busy_ps, (long long)e.dram_busy_ps,
                  (long long)f.unit_busy_max_ps, (long long)e.unit_busy_max_ps);
            CHECK(rel_diff(f.dram_bytes, e.dram_bytes) <= 1e-9 && rel_diff(f.l2_bytes + 1, e.l2_bytes + 1) <= 1e-9,
                  "%s %s: bytes %.0f vs %.0f", archs[ai], names[i], f.dram_bytes, e.dram_bytes);
            CHECK(f.events + f.events_folded >= e.events / 2, "%s %s: folded events not counted",
                  archs[ai], names[i]);
        }
    }
}

/* A latency-bound CTA (a few loads in flight, each a DRAM round trip)
 * repeats exactly every stages steps: a step fold lands every later step at
 * the same time as running every event (the seats' own times, such as when a
 * load lands, move with the clock). */
static void test_step_fold_of_a_latency_bound_cta_is_exact(check_t *ck)
{
    const char *archs[] = {"gb10", "h100"};
    for (int ai = 0; ai < 2; ai++) {
        arch_t a = preset_arch(archs[ai]);
        for (int steps = 150; steps <= 260; steps += 37) {
            uni_t u = {.it = {.n_steps = steps, .dram_bytes = 4096, .compute_cyc = 20, .epi_cyc = 50,
                              .epi_dram_bytes = 64},
                       .items = 1};
            kspec_t k = {.n_ctas = 1, .ctas_per_sm = 1, .stages = 4, .item = uni_item, .ctx = &u};
            kresult_t f = run_spec(&a, k, 0), e = run_spec(&a, k, 1);
            CHECK(f.folds > 0 && f.dur_ps == e.dur_ps, "%s %d steps: %d folds, %lld vs %lld ps",
                  archs[ai], steps, f.folds, (long long)f.dur_ps, (long long)e.dur_ps);
        }
    }
}

/* Without repeat only steps fold: short items run event by event. */
static void test_undeclared_repeats_do_not_fold_items(check_t *ck)
{
    arch_t a = preset_arch("h100");
    uni_t p = {.it = {.n_steps = 23, .dram_bytes = 16384, .compute_cyc = 900}, .items = 300};
    kspec_t k = {.n_ctas = (int)a.n_sm, .ctas_per_sm = 1, .stages = 3, .item = uni_item, .ctx = &p};
    kresult_t r = run_spec(&a, k, 0);
    CHECK(r.folds == 0, "%d folds without repeat", r.folds);
}

/* kexec_bound_ps is a lower bound of the duration (pruning relies on it). */
static void test_bound_is_below_the_duration(check_t *ck)
{
    const char *archs[] = {"gb10", "h100", "h200"};
    for (int ai = 0; ai < 3; ai++) {
        arch_t a = preset_arch(archs[ai]);
        for (int steps = 1; steps <= 64; steps *= 4)
            for (int items = 1; items <= 9; items += 4) {
                uni_t u = {.it = {.n_steps = steps, .dram_bytes = 3000, .dram_run_bytes = 64,
                                  .l2_bytes = 500 * items, .compute_cyc = 50.0 * steps,
                                  .epi_cyc = 200, .epi_dram_bytes = 4096, .oob_bytes = 100},
                           .items = items};
                kspec_t k = {.n_ctas = (int)a.n_sm * 3, .ctas_per_sm = 2, .stages = 2,
                             .item = uni_item, .ctx = &u};
                kresult_t r = run_spec(&a, k, 0);
                sim_ps_t lb = kexec_bound_ps(&a, &k);
                CHECK(lb <= r.dur_ps && lb > r.dur_ps / 20, "%s steps %d items %d: bound %lld, dur %lld",
                      archs[ai], steps, items, (long long)lb, (long long)r.dur_ps);
            }
    }
}

/* A deadline before the end cuts the run (cut = 1); at or after the end the
 * result is the full run's. */
static void test_deadline_cuts_only_a_longer_run(check_t *ck)
{
    arch_t a = testarch();
    uni_t u = {.it = {.n_steps = 10, .compute_cyc = 1000}, .items = 1};
    kspec_t k = {.n_ctas = 8, .ctas_per_sm = 1, .stages = 2, .item = uni_item, .ctx = &u};
    kresult_t full = run_spec(&a, k, 0);
    k.deadline_ps = full.dur_ps;
    kresult_t at = run_spec(&a, k, 0);
    k.deadline_ps = full.dur_ps - 1;
    kresult_t before = run_spec(&a, k, 0);
    CHECK(!full.cut && !at.cut && at.dur_ps == full.dur_ps, "deadline at the end: cut %d, dur %lld",
          at.cut, (long long)at.dur_ps);
    CHECK(before.cut, "deadline 1 ps before the end did not cut");
}

int main(void)
{
    check_t ck = check_begin("kexec_test");
    test_memory_bound_kernel_converges_to_bytes_over_bandwidth(&ck);
    test_compute_bound_kernel_is_waves_times_cycles(&ck);
    test_littles_law_limits_one_cta(&ck);
    test_single_stage_is_serial(&ck);
    test_pre_and_epilogue_are_counted(&ck);
    test_short_runs_cost_dram_time_by_run_efficiency(&ck);
    test_one_sm_is_capped_by_its_load_path(&ck);
    test_multicast_port_charges_received_bytes(&ck);
    test_tma_loads_use_the_tma_efficiency(&ck);
    test_tma_stage_round_trip(&ck);
    test_tma_zero_fill_shares_the_l2_return_path(&ck);
    test_one_thread_issues_tma_stages_in_turn(&ck);
    test_issue_time_ends_with_the_last_step(&ck);
    test_grouped_stage_matches_tmabench13(&ck);
    test_rerun_is_identical(&ck);
    test_too_many_ctas_per_sm_is_an_input_error(&ck);
    test_folding_matches_every_event(&ck);
    test_step_fold_of_a_latency_bound_cta_is_exact(&ck);
    test_undeclared_repeats_do_not_fold_items(&ck);
    test_bound_is_below_the_duration(&ck);
    test_deadline_cuts_only_a_longer_run(&ck);
    return check_end(&ck);
}
