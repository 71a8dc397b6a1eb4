/* kmodel_test.c -- rule tests of the kernel models, named after the rule. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "models/kmodel.h"
#include "tests/check.h"
#include "tests/testarch.h"

/* A GEMV that streams far more bytes than fit in flight is DRAM-bound and
 * approaches bytes / (achievable bandwidth x run efficiency). */
static void test_large_gemv_is_dram_bound_near_bytes_over_bandwidth(check_t *ck)
{
    arch_t a = preset_arch("gb10");
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
static void test_grouped_gemm_updates_descriptors_when_the_group_changes(check_t *ck)
{
    arch_t a = preset_arch("gb10");
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
static void test_attention_reads_kv_once(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    kdesc_t d = {.kind = KM_ATTENTION, .m = 1, .ctx = 4096, .heads_q = 64, .heads_kv = 8,
                 .head_dim = 64, .kv_dt = DT_BF16, .attn = attn_impl_find("flashinfer-fa2")};
    kmodel_out_t o;
    char err[256];
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    double kv = 4096.0 * 8 * 64 * 2 * 2;
    CHECK(o.r.dram_bytes >= kv && o.r.dram_bytes < kv * 1.05, "dram %.0f kv %.0f", o.r.dram_bytes, kv);
}

/* attn_impl_names and gemm_impl_names (the trace reader's "one of ...") name
 * every table row, in order. */
static void test_impl_name_lists_match_the_tables(check_t *ck)
{
    char buf[512] = "";
    for (size_t i = 0; attn_impl_at(i); i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? ", " : "",
                 attn_impl_at(i)->name);
    CHECK(strcmp(buf, attn_impl_names()) == 0, "attention: table '%s' list '%s'", buf,
          attn_impl_names());
    buf[0] = '\0';
    for (size_t i = 0; gemm_impl_at(i); i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? ", " : "",
                 gemm_impl_at(i)->name);
    CHECK(strcmp(buf, gemm_impl_names()) == 0, "gemm: table '%s' list '%s'", buf,
          gemm_impl_names());
}

/* cuBLAS split-K (impl cublas-nvjet): the main kernel writes fp32 partials and
 * a separate reduce kernel sums them; the main kernel is the same as without
 * the impl (nothing charged twice), and the reduce is one more kernel with
 * its own fixed cost. o_proj of gpt-oss-120b at M=1 as cuBLAS launched it. */
static void test_cublas_split_k_adds_one_reduce_kernel(check_t *ck)
{
    arch_t a = preset_arch("h100");
    kdesc_t d = {.kind = KM_GEMM, .m = 1, .n = 2880, .k = 4096, .a_dt = DT_BF16, .b_dt = DT_BF16,
                 .out_bytes = 2, .tile_m = 64, .tile_n = 8, .tile_k = 64, .swap_ab = 1,
                 .split_k = 2, .stages = 16, .grid_ctas = 96};
    kmodel_out_t plain, cub;
    char err[512];
    CHECK(kmodel_run(&a, &d, &plain, err, sizeof err) == 0, "%s", err);
    d.gemm_impl = gemm_impl_find("cublas-nvjet");
    CHECK(kmodel_run(&a, &d, &cub, err, sizeof err) == 0, "%s", err);
    CHECK(plain.extra_kernels == 0 && plain.extra_us == 0, "cutlass: %d extra", plain.extra_kernels);
    CHECK(cub.extra_kernels == 1 && cub.extra_us >= a.kernel_fixed_ns * 1e-3,
          "cublas: %d extra, %.3f us", cub.extra_kernels, cub.extra_us);
    CHECK(cub.r.dur_ps == plain.r.dur_ps, "main kernel %lld vs %lld", (long long)cub.r.dur_ps,
          (long long)plain.r.dur_ps);
    CHECK(fabs(cub.us - plain.us - cub.extra_us) < 1e-9, "us %.3f = %.3f + %.3f", cub.us, plain.us,
          cub.extra_us);
    /* the partials are fp32: 2 x 2880 x 4 B written by the main kernel */
    CHECK(plain.r.dram_bytes >= 2880.0 * 2 * 4, "dram %.0f", plain.r.dram_bytes);
    /* no split, no reduce kernel */
    d.split_k = 1;
    d.grid_ctas = 48;
    CHECK(kmodel_run(&a, &d, &cub, err, sizeof err) == 0 && cub.extra_kernels == 0, "%s", err);
}

/* A given attention grid is heads_kv x splits: cuDNN at ctx 1024 launched 8x8
 * CTAs (8 splits + lean_reduction); at ctx 128 1x8 (no split, no merge). */
static void test_attention_splits_follow_the_grid(check_t *ck)
{
    arch_t a = preset_arch("h100");
    kdesc_t d = {.kind = KM_ATTENTION, .m = 1, .ctx = 1024, .heads_q = 64, .heads_kv = 8,
                 .head_dim = 64, .kv_dt = DT_BF16, .attn = attn_impl_find("cudnn-sdpa-16x128x64"),
                 .grid_ctas = 64};
    kmodel_out_t o;
    char err[512];
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    CHECK(o.extra_kernels == 1 && o.r.waves == 1, "split: %d extra, %d waves", o.extra_kernels,
          o.r.waves);
    d.grid_ctas = 8;
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0 && o.extra_kernels == 0, "%s", err);
    double kv = 1024.0 * 8 * 64 * 2 * 2;
    CHECK(o.r.dram_bytes >= kv && o.r.dram_bytes < kv * 1.05, "dram %.0f kv %.0f", o.r.dram_bytes,
          kv);
    d.grid_ctas = 60;
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == -1 && strstr(err, "heads_kv"), "60: %s", err);
    /* more splits than tokens: 128 one-token splits per KV head run (the other
     * CTAs have no KV); KV is read once, plus one fp32 partial output each */
    d.ctx = 128;
    d.grid_ctas = 8 * 200;
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    double want = 128.0 * 8 * 64 * 2 * 2 + 128.0 * 8 * (8 * 64 * 4);
    CHECK(fabs(o.r.dram_bytes - want) < 1, "dram %.0f, expected %.0f", o.r.dram_bytes, want);
}

/* A lone-warp attention CTA issues its measured instructions at the measured
 * cost per instruction: on 8 CTAs (one per SM, one warp per scheduler) each
 * further 128-token tile of cuDNN's 16x128x64 kernel costs inst_per_tile x
 * 3.87 cycles more than the same kernel priced by the softmax estimate
 * (microbench/kattn_probe.py, microbench/kinst_probe.py). */
static void test_attention_issues_its_measured_instructions_per_tile(check_t *ck)
{
    arch_t a = preset_arch("h100");
    const attn_impl_t *im = attn_impl_find("cudnn-sdpa-16x128x64");
    CHECK(im != NULL && im->inst_per_tile > 0, "no measured counts");
    if (im == NULL)
        return;
    attn_impl_t none = *im;   /* the same kernel without counts: the softmax estimate */
    none.inst_fixed = none.inst_per_tile = 0;
    double per_tile[2];
    for (int k = 0; k < 2; k++) {
        kdesc_t d = {.kind = KM_ATTENTION, .m = 1, .heads_q = 64, .heads_kv = 8, .head_dim = 64,
                     .kv_dt = DT_BF16, .attn = k ? &none : im, .grid_ctas = 8};
        kmodel_out_t o2, o4;
        char err[512];
        d.ctx = 256;
        CHECK(kmodel_run(&a, &d, &o2, err, sizeof err) == 0, "%s", err);
        d.ctx = 512;
        CHECK(kmodel_run(&a, &d, &o4, err, sizeof err) == 0, "%s", err);
        per_tile[k] = (o4.us - o2.us) * 1e3 / 2.0;
    }
    double ns_per_cyc = 1e3 / a.sm_clock_mhz;
    double want = (im->inst_per_tile * 3.87 - 16.0 * 128 * 8 / 32 / a.issue_warp_inst_per_clk_sm) *
                  ns_per_cyc;
    double got = per_tile[0] - per_tile[1];
    CHECK(fabs(got - want) < 0.05 * want, "a tile costs %.1f ns more with the counts, want %.1f",
          got, want);
}

/* cuDNN's sm90 kernel waits for its two wgmma groups a KV tile: alone on an
 * SM (one CTA per query head, 40 CTAs) each further tile costs
 * mma_waits_per_tile x mma_wait_cyc more than with no wait (wgmmabench.cu);
 * the mma.sync kernel (16x128x128) waits for none. */
static void test_attention_waits_for_its_mma_groups_per_tile(check_t *ck)
{
    const struct { const char *impl; int waits, m; } cases[] = {
        {"cudnn-sdpa-sm90-64x128x128", 2, 4}, {"cudnn-sdpa-16x128x128", 0, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const attn_impl_t *im = attn_impl_find(cases[c].impl);
        CHECK(im != NULL && im->mma_waits_per_tile == cases[c].waits &&
                  (im->waits_source != NULL) == (cases[c].waits > 0),
              "%s: waits and their source", cases[c].impl);
        if (im == NULL)
            return;
        double per_tile[2];
        arch_t a = preset_arch("h100");
        for (int k = 0; k < 2; k++) {
            a.mma_wait_cyc = k ? 0 : 55;
            kdesc_t d = {.kind = KM_ATTENTION, .m = cases[c].m, .heads_q = 40, .heads_kv = 8,
                         .head_dim = 128, .kv_dt = DT_BF16, .attn = im};
            kmodel_out_t o1, o2;
            char err[512];
            d.ctx = 64 * 128;
            CHECK(kmodel_run(&a, &d, &o1, err, sizeof err) == 0, "%s", err);
            d.ctx = 128 * 128;
            CHECK(kmodel_run(&a, &d, &o2, err, sizeof err) == 0, "%s", err);
            per_tile[k] = (o2.us - o1.us) * 1e3 / 64.0;
        }
        double want = cases[c].waits * 55 * 1e3 / a.sm_clock_mhz;
        double got = per_tile[0] - per_tile[1];
        CHECK(fabs(got - want) <= 0.05 * want + 1e-9, "%s: a tile waits %.2f ns more, want %.2f",
              cases[c].impl, got, want);
    }
    /* its 232 KB of shared memory hold one CTA per SM: 264 CTAs (query heads)
     * run as two waves of 132, each alone on its SM and waiting in full */
    arch_t a = preset_arch("h100");
    double us[2][2];
    for (int w = 0; w < 2; w++)
        for (int k = 0; k < 2; k++) {
            a.mma_wait_cyc = k ? 0 : 55;
            kdesc_t d = {.kind = KM_ATTENTION, .m = 4, .heads_q = 132 * (w + 1), .heads_kv = 4 * (w + 1),
                         .head_dim = 128, .ctx = 16384, .kv_dt = DT_BF16,
                         .attn = attn_impl_find("cudnn-sdpa-sm90-64x128x128")};
            kmodel_out_t o;
            char err[512];
            CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
            us[w][k] = o.us;
        }
    CHECK(us[1][1] > 1.95 * us[0][1] && us[1][1] < 2.05 * us[0][1], "264 CTAs %.1f us, 132 %.1f us",
          us[1][1], us[0][1]);
    double w132 = us[0][0] - us[0][1], w264 = us[1][0] - us[1][1];
    CHECK(w264 > 1.95 * w132 && w264 < 2.05 * w132, "waits %.2f us at 264 CTAs, %.2f at 132", w264, w132);
    /* the same kernel were its CTAs small enough to share an SM: 264 CTAs two
     * to an SM, each hiding the other's waits, wait for nothing */
    attn_impl_t shared = *attn_impl_find("cudnn-sdpa-sm90-64x128x128");
    shared.smem_bytes = 0;
    double sh[2];
    for (int k = 0; k < 2; k++) {
        a.mma_wait_cyc = k ? 0 : 55;
        kdesc_t d = {.kind = KM_ATTENTION, .m = 4, .heads_q = 264, .heads_kv = 8, .head_dim = 128,
                     .ctx = 16384, .kv_dt = DT_BF16, .attn = &shared};
        kmodel_out_t o;
        char err[512];
        CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
        sh[k] = o.us;
    }
    CHECK(sh[0] == sh[1], "two CTAs an SM: %.3f us with waits, %.3f without", sh[0], sh[1]);
}

/* cuDNN's split rule reproduces the grids CUPTI recorded: 8 KV heads x 1, 8,
 * 16, 32, 32 splits at ctx 512, 1024, 2049, 4096, 131072 (a run without a grid
 * prices exactly what the recorded grid does). */
static void test_cudnn_split_rule_reproduces_the_recorded_grids(check_t *ck)
{
    arch_t a = preset_arch("h100");
    const struct { int64_t ctx; int grid; } pts[] = {
        {512, 8}, {1024, 64}, {2049, 128}, {4096, 256}, {131072, 256}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        kdesc_t d = {.kind = KM_ATTENTION, .m = 1, .ctx = pts[i].ctx, .heads_q = 64, .heads_kv = 8,
                     .head_dim = 64, .kv_dt = DT_BF16, .attn = attn_impl_find("cudnn-sdpa-16x128x64")};
        kmodel_out_t rule, rec;
        char err[512];
        CHECK(kmodel_run(&a, &d, &rule, err, sizeof err) == 0, "%s", err);
        d.grid_ctas = pts[i].grid;
        CHECK(kmodel_run(&a, &d, &rec, err, sizeof err) == 0, "%s", err);
        CHECK(fabs(rule.us - rec.us) < 1e-9 && rule.extra_kernels == rec.extra_kernels,
              "ctx %lld: rule %.4f us, recorded grid %d %.4f us", (long long)pts[i].ctx, rule.us,
              pts[i].grid, rec.us);
    }
}

/* kmodel_run_memo answers an equal call from memory (its output, no events)
 * and runs a call that differs in the descriptor, the arch, a functor's text
 * or a code-table row's counts (compared as text and counts, not as
 * pointers). */
static void test_memo_keeps_outputs_by_their_full_input(check_t *ck)
{
    arch_t a = preset_arch("gb10"), b = a;
    b.dram_peak_gbps *= 2;
    kdesc_t d = {.kind = KM_GEMV, .m = 1, .n = 5120, .k = 2880, .a_dt = DT_BF16, .b_dt = DT_BF16,
                 .out_bytes = 2, .gemv = gemv_impl_find("cublas-gemv")};
    kmodel_memo_t *m = kmodel_memo_create(16);
    kmodel_out_t o1, o2, o3, plain;
    char err[256];
    CHECK(kmodel_run(&a, &d, &plain, err, sizeof err) == 0, "%s", err);
    CHECK(kmodel_run_memo(m, &a, &d, &o1, err, sizeof err) == 0, "%s", err);
    CHECK(kmodel_run_memo(m, &a, &d, &o2, err, sizeof err) == 0, "%s", err);
    uint64_t hits, misses;
    kmodel_memo_counts(m, &hits, &misses);
    CHECK(hits == 1 && misses == 1, "hits %llu misses %llu", (unsigned long long)hits,
          (unsigned long long)misses);
    CHECK(o1.us == plain.us && o2.us == plain.us && o1.events == plain.events && o2.events == 0,
          "memo %.3f / %.3f us vs %.3f; events %llu, %llu", o1.us, o2.us, plain.us,
          (unsigned long long)o1.events, (unsigned long long)o2.events);
    d.n = 2880;
    CHECK(kmodel_run_memo(m, &a, &d, &o3, err, sizeof err) == 0 && o3.us != plain.us, "n changed: %.3f",
          o3.us);
    d.n = 5120;
    CHECK(kmodel_run_memo(m, &b, &d, &o3, err, sizeof err) == 0 && o3.us != plain.us, "arch changed");
    kmodel_memo_counts(m, &hits, &misses);
    CHECK(hits == 1 && misses == 3, "hits %llu misses %llu", (unsigned long long)hits,
          (unsigned long long)misses);
    /* a small kernel's functor is compared by its text, its code-table row by
     * its counts */
    char f1[] = "family:add", f2[] = "family:add";
    kdesc_t s = {.kind = KM_ELEMENTWISE};
    ksmall_code_t c1, c2;
    REQUIRE(ksmall_code_load_default(&c1, err, sizeof err) == 0, "%s", err);
    REQUIRE(ksmall_code_load_default(&c2, err, sizeof err) == 0, "%s", err);
    CHECK(ksmall_parse(&c1, "ew_vector:mul", &s.small, err, sizeof err) == 0, "%s", err);
    {
        snprintf(f1, sizeof f1, "%s", s.small.functor);
        snprintf(f2, sizeof f2, "%s", s.small.functor);
        s.small.shape = (ksmall_shape_t){.n = 4096, .in_bytes = 2, .out_bytes = 2, .n_in = 2,
                                         .main = KS_L2};
        s.small.functor = f1;
        kmodel_run_memo(m, &a, &s, &o1, err, sizeof err);
        s.small.functor = f2;
        s.small.code = ksmall_code_find(&c2, "ew_vector", "mul");
        kmodel_run_memo(m, &a, &s, &o2, err, sizeof err);
        kmodel_memo_counts(m, &hits, &misses);
        CHECK(hits == 2, "same functor text and counts in other buffers: hits %llu",
              (unsigned long long)hits);
        ksmall_code_row_t more = *s.small.code;
        more.fixed_warp_inst += 1;
        s.small.code = &more;
        kmodel_run_memo(m, &a, &s, &o3, err, sizeof err);
        kmodel_memo_counts(m, &hits, &misses);
        CHECK(hits == 2 && o3.us > o2.us, "one more instruction: hits %llu, %.4f vs %.4f us",
              (unsigned long long)hits, o3.us, o2.us);
    }
    ksmall_code_free(&c1);
    ksmall_code_free(&c2);
    kmodel_memo_free(m);
}

/* The configuration a library's rule chose is one of its own list's rows. */
static int in_list(const gemm_impl_t *im, const kmodel_out_t *o)
{
    for (int i = 0; i < im->n_cands; i++)
        if (im->cands[i].tile_m == o->tile_m && im->cands[i].tile_n == o->tile_n &&
            im->cands[i].tile_k == o->tile_k)
            return 1;
    return 0;
}

/* torch._grouped_mm (GroupMM.cu): small (M/groups <= 128 or N <= 128) ->
 * 64x128x128 pingpong, else 128x256x64 cooperative; SM10x 64x128x128; its
 * prepare kernel runs either way. */
static void test_torch_grouped_mm_rule_follows_groupmm(check_t *ck)
{
    const gemm_impl_t *im = gemm_impl_find("torch-grouped-mm");
    gemm_cand_t c;
    CHECK(im && im->rule && im->rule(90, 16 * 128, 5760, 2880, 16, &c) == 0 && c.tile_m == 64 &&
          c.tile_n == 128 && c.tile_k == 128 && c.sched == 1, "small: %dx%dx%d", c.tile_m,
          c.tile_n, c.tile_k);
    CHECK(im->rule(90, 16 * 129, 5760, 2880, 16, &c) == 0 && c.tile_m == 128 && c.tile_n == 256 &&
          c.tile_k == 64 && c.sched == -1, "large: %dx%dx%d", c.tile_m, c.tile_n, c.tile_k);
    CHECK(im->rule(90, 16 * 4096, 128, 2880, 16, &c) == 0 && c.tile_m == 64, "N <= 128: small");
    CHECK(im->rule(100, 16 * 4096, 5760, 2880, 16, &c) == 0 && c.tile_m == 64 && c.tile_n == 128,
          "sm10x");
    arch_t a = preset_arch("h100");
    kdesc_t d = {.kind = KM_GROUPED_GEMM, .m = 16, .n = 5760, .k = 2880, .groups = 4,
                 .a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .gemm_impl = im};
    kmodel_out_t o;
    char err[512];
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    CHECK(o.tile_m == 64 && o.tile_n == 128 && o.tile_k == 128 && o.extra_kernels == 1,
          "%dx%dx%d, %d extra", o.tile_m, o.tile_n, o.tile_k, o.extra_kernels);
}

/* cuBLAS on Hopper picks among the nvjet configurations observed: K 64 for
 * bf16, K 128 for fp8, never a tile outside them. */
static void test_cublas_picks_an_observed_nvjet_configuration(check_t *ck)
{
    const gemm_impl_t *im = gemm_impl_find("cublas-nvjet");
    CHECK(im && im->n_cands > 0 && im->rule == NULL, "list");
    arch_t a = preset_arch("h100");
    kdesc_t d = {.kind = KM_GEMM, .m = 4, .n = 5120, .k = 2880, .a_dt = DT_BF16, .b_dt = DT_BF16,
                 .out_bytes = 2, .gemm_impl = im};
    kmodel_out_t o;
    char err[512];
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    CHECK(in_list(im, &o) && o.tile_k == 64, "bf16: %dx%dx%d", o.tile_m, o.tile_n, o.tile_k);
    d.a_dt = d.b_dt = DT_FP8E4M3;
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    CHECK(in_list(im, &o) && o.tile_k == 128, "fp8: %dx%dx%d", o.tile_m, o.tile_n, o.tile_k);
}

/* FlashInfer mm_fp4 on SM120: 8 tiles x swap-AB x stream-K, autotuned. */
static void test_flashinfer_mm_fp4_list_and_autotune(check_t *ck)
{
    const gemm_impl_t *im = gemm_impl_find("flashinfer-mm-fp4");
    CHECK(im && im->n_cands == 32 && im->rule == NULL, "32 tactics");
    int swaps = 0, sks = 0;
    for (int i = 0; i < im->n_cands; i++) {
        swaps += im->cands[i].swap_ab;
        sks += im->cands[i].stream_k;
        CHECK(im->cands[i].cluster_m == 1 && im->cands[i].cluster_n == 1, "cluster 1x1");
    }
    CHECK(swaps == 16 && sks == 16, "swap %d stream-K %d", swaps, sks);
    arch_t a = preset_arch("gb10");
    kdesc_t d = {.kind = KM_GEMM, .m = 64, .n = 5120, .k = 4096, .a_dt = DT_NVFP4,
                 .b_dt = DT_NVFP4, .out_bytes = 2};
    kmodel_out_t o;
    char err[512];
    CHECK(gemm_impl_chooser(NULL, (int)a.cc, 0, 4) == im, "SM12x nvfp4 dense default");
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    CHECK(in_list(im, &o), "%dx%dx%d", o.tile_m, o.tile_n, o.tile_k);
}

/* FlashInfer cutlass_fused_moe on SM120: the 8 dispatched tiles, no swap-AB. */
static void test_flashinfer_moe_list_and_autotune(check_t *ck)
{
    const gemm_impl_t *im = gemm_impl_find("flashinfer-cutlass-moe");
    CHECK(im && im->n_cands == 8 && im->rule == NULL, "8 tactics");
    for (int i = 0; i < im->n_cands; i++)
        CHECK(!im->cands[i].swap_ab && !im->cands[i].stream_k, "row %d", i);
    arch_t a = preset_arch("gb10");
    kdesc_t d = {.kind = KM_GROUPED_GEMM, .m = 64, .n = 5760, .k = 2880, .groups = 16,
                 .a_dt = DT_NVFP4, .b_dt = DT_NVFP4, .out_bytes = 2};
    kmodel_out_t o;
    char err[512];
    CHECK(gemm_impl_chooser(NULL, (int)a.cc, 1, 4) == im, "SM12x nvfp4 grouped default");
    CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
    CHECK(in_list(im, &o), "%dx%dx%d", o.tile_m, o.tile_n, o.tile_k);
}

/* GEMM_DEFAULT_LIBS: which library chooses when none is named. */
static void test_default_library_per_arch_family(check_t *ck)
{
    CHECK(gemm_impl_chooser(NULL, 90, 0, 16) == gemm_impl_find("cublas-nvjet"), "sm90 bf16");
    CHECK(gemm_impl_chooser(NULL, 90, 0, 8) == gemm_impl_find("cublas-nvjet"), "sm90 fp8");
    CHECK(gemm_impl_chooser(NULL, 90, 1, 16) == gemm_impl_find("torch-grouped-mm"),
          "sm90 grouped");
    CHECK(gemm_impl_chooser(gemm_impl_find("cutlass"), 90, 0, 16) ==
          gemm_impl_find("cublas-nvjet"), "cutlass named: the family default");
    CHECK(gemm_impl_chooser(NULL, 121, 0, 16) == gemm_impl_find("cutlass"),
          "sm12x bf16: no library list, the generic set");
    CHECK(gemm_impl_chooser(gemm_impl_find("torch-grouped-mm"), 121, 1, 16) ==
          gemm_impl_find("torch-grouped-mm"), "a named library keeps its rule");
}

/* Threads sharing one memo get kmodel_run's outputs, each distinct kernel
 * kept once (misses beyond the distinct kernels: two threads ran the same one
 * at once). */
typedef struct {
    kmodel_memo_t *m;
    const arch_t *a;
    double us[8];
    int failed;
} memo_thread_t;

static kdesc_t memo_gemv(int i)
{
    return (kdesc_t){.kind = KM_GEMV, .m = 1, .n = 1024 * (1 + i % 4), .k = 2880,
                     .a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2,
                     .gemv = gemv_impl_find("cublas-gemv")};
}

static void *memo_thread(void *arg)
{
    memo_thread_t *t = arg;
    for (int i = 0; i < 8; i++) {
        kdesc_t d = memo_gemv(i);
        kmodel_out_t o;
        char err[256];
        t->failed |= kmodel_run_memo(t->m, t->a, &d, &o, err, sizeof err) != 0;
        t->us[i] = o.us;
    }
    return NULL;
}

static void test_memo_shared_by_threads(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    kmodel_memo_t *m = kmodel_memo_create(64);
    memo_thread_t t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (memo_thread_t){.m = m, .a = &a};
        CHECK(pthread_create(&th[i], NULL, memo_thread, &t[i]) == 0, "thread %d", i);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 8; i++) {
        kdesc_t d = memo_gemv(i);
        kmodel_out_t o;
        char err[256];
        CHECK(kmodel_run(&a, &d, &o, err, sizeof err) == 0, "%s", err);
        for (int j = 0; j < 4; j++)
            CHECK(!t[j].failed && t[j].us[i] == o.us, "thread %d kernel %d: %.3f vs %.3f us", j, i,
                  t[j].us[i], o.us);
    }
    uint64_t hits, misses;
    kmodel_memo_counts(m, &hits, &misses);
    CHECK(hits + misses == 32 && misses >= 4 && hits >= 16, "hits %llu misses %llu",
          (unsigned long long)hits, (unsigned long long)misses);
    kmodel_memo_free(m);
}

int main(void)
{
    check_t ck = check_begin("kmodel_test");
    test_large_gemv_is_dram_bound_near_bytes_over_bandwidth(&ck);
    test_grouped_gemm_updates_descriptors_when_the_group_changes(&ck);
    test_attention_reads_kv_once(&ck);
    test_impl_name_lists_match_the_tables(&ck);
    test_cublas_split_k_adds_one_reduce_kernel(&ck);
    test_attention_splits_follow_the_grid(&ck);
    test_attention_issues_its_measured_instructions_per_tile(&ck);
    test_attention_waits_for_its_mma_groups_per_tile(&ck);
    test_cudnn_split_rule_reproduces_the_recorded_grids(&ck);
    test_memo_keeps_outputs_by_their_full_input(&ck);
    test_torch_grouped_mm_rule_follows_groupmm(&ck);
    test_cublas_picks_an_observed_nvjet_configuration(&ck);
    test_flashinfer_mm_fp4_list_and_autotune(&ck);
    test_flashinfer_moe_list_and_autotune(&ck);
    test_default_library_per_arch_family(&ck);
    test_memo_shared_by_threads(&ck);
    return check_end(&ck);
}
