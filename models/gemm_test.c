/* gemm_test.c -- rule tests (one per CUTLASS rule, named after it),
 * derivation tests, analytic bounds and determinism of the tiled GEMM. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/gemm.h"
#include "tests/check.h"
#include "tests/testarch.h"

static gemm_opts_t fc(int tm, int tn, int tk)
{
    return (gemm_opts_t){.a_dt = DT_MXFP8, .b_dt = DT_MXFP4, .out_bytes = 2, .tile_m = tm,
                         .tile_n = tn, .tile_k = tk, .grouped = 1, .split_k = 1};
}

static const char *rule_of(const arch_t *a, const gemm_opts_t *o)
{
    static _Thread_local gemm_cfg_t c; /* test-only scratch; tests run single-threaded */
    gemm_cfg_derive(a, o, &c);
    return c.valid ? "" : c.rule;
}

#define EXPECT_RULE(a, o, name) \
    CHECK(strcmp(rule_of(&(a), &(o)), name) == 0, "expected rule %s, got '%s'", name, rule_of(&(a), &(o)))
#define EXPECT_VALID(a, o) \
    CHECK(rule_of(&(a), &(o))[0] == '\0', "expected valid, failed rule '%s'", rule_of(&(a), &(o)))

static void test_arch_has_the_mma(check_t *ck)
{
    arch_t h100 = preset_arch("h100");
    gemm_opts_t o = fc(128, 128, 128);
    EXPECT_RULE(h100, o, "arch_has_the_mma");
    o.a_dt = o.b_dt = DT_BF16;
    o.tile_k = 64;
    EXPECT_VALID(h100, o);
}

static void test_block_scaled_needs_both_operands_scaled(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    o.a_dt = DT_FP8E4M3;
    EXPECT_RULE(a, o, "block_scaled_needs_both_operands_scaled");
    o.a_dt = DT_BF16; /* 16-bit activations take the mixed-input path */
    EXPECT_VALID(a, o);
}

static void test_scale_factor_types_match(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    o.b_dt = DT_NVFP4;
    EXPECT_RULE(a, o, "scale_factor_types_match");
}

static void test_sf_vector_supported(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    o.sf_vec = 16; /* mxf8f6f4 asserts VS == 32 */
    EXPECT_RULE(a, o, "sf_vector_supported");
    o.sf_vec = 48;
    EXPECT_RULE(a, o, "sf_vector_supported");
    o.sf_vec = 64; /* hypothetical: valid, flagged */
    gemm_cfg_t c;
    gemm_cfg_derive(&a, &o, &c);
    CHECK(c.valid && c.hypothetical, "sf 64: valid=%d hypothetical=%d", c.valid, c.hypothetical);
    o.a_dt = o.b_dt = DT_NVFP4;
    o.sf_vec = 0;
    gemm_cfg_derive(&a, &o, &c);
    CHECK(c.valid && c.sf_vec == 16 && !c.hypothetical, "nvfp4: sf %d", c.sf_vec);
}

static void test_cluster_is_1x1x1_on_sm12x(check_t *ck)
{
    arch_t a = preset_arch("gb10"), h = preset_arch("h100");
    gemm_opts_t o = fc(128, 128, 128);
    o.cluster_m = 2;
    o.cluster_n = 1;
    EXPECT_RULE(a, o, "cluster_is_1x1x1_on_sm12x");
    o.a_dt = o.b_dt = DT_BF16;
    o.tile_k = 64;
    EXPECT_VALID(h, o);
}

static void test_cooperative_tile_m_at_least_128(check_t *ck)
{
    arch_t h = preset_arch("h100");
    gemm_opts_t o = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64,
                     .tile_n = 128, .tile_k = 64, .split_k = 1};
    EXPECT_RULE(h, o, "cooperative_tile_m_at_least_128");
    o.sched = GEMM_PINGPONG;
    EXPECT_VALID(h, o);
}

static void test_tile_n_is_8_16_or_multiple_of_32(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 24, 128);
    EXPECT_RULE(a, o, "tile_n_is_8_16_or_multiple_of_32");
    o.tile_n = 8;
    EXPECT_VALID(a, o);
    o.tile_n = 16;
    EXPECT_VALID(a, o);
    o.tile_n = 96;
    EXPECT_VALID(a, o);
}

static void test_pingpong_tile_n_at_least_16(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 8, 128);
    o.sched = GEMM_PINGPONG;
    EXPECT_RULE(a, o, "pingpong_tile_n_at_least_16");
    o.tile_n = 16;
    EXPECT_VALID(a, o);
    /* an SM120 rule: Hopper's pingpong has wgmma N = 8 (cuBLAS nvjet 64x8 tiles) */
    arch_t h = preset_arch("h100");
    gemm_opts_t b = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64, .tile_n = 8,
                     .tile_k = 64, .sched = GEMM_PINGPONG, .swap_ab = 1, .split_k = 1};
    EXPECT_VALID(h, b);
}

static void test_block_scaled_tile_m_whole_sf_atoms(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(64, 128, 128);
    o.sched = GEMM_PINGPONG; /* so that the cooperative rule does not fire first */
    EXPECT_RULE(a, o, "block_scaled_tile_m_whole_sf_atoms");
    /* unscaled tiles: whole 64-row MMA blocks; on Hopper without a cap (cuBLAS
     * runs 512x8 nvjet tiles), elsewhere up to 256 */
    arch_t h = preset_arch("h100");
    gemm_opts_t b = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 512, .tile_n = 8,
                     .tile_k = 64, .sched = GEMM_PINGPONG, .swap_ab = 1, .split_k = 1};
    EXPECT_VALID(h, b);
    b.tile_m = 80;
    EXPECT_RULE(h, b, "block_scaled_tile_m_whole_sf_atoms");
    b.tile_m = 512;
    b.sched = GEMM_COOP;
    b.a_dt = DT_FP8E4M3;
    b.b_dt = DT_FP8E4M3;
    b.tile_k = 128;
    EXPECT_RULE(a, b, "block_scaled_tile_m_whole_sf_atoms");
}

static void test_tile_k_multiple_of_sf_atom_k(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 64); /* 4 SF x 32 = 128 elements per atom column */
    EXPECT_RULE(a, o, "tile_k_multiple_of_sf_atom_k");
    o.tile_k = 256;
    o.tile_n = 32;
    EXPECT_VALID(a, o);
}

static void test_stages_at_least_2(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(256, 128, 128);
    EXPECT_RULE(a, o, "stages_at_least_2");
    gemm_cfg_t c;
    gemm_cfg_derive(&a, &o, &c);
    CHECK(strstr(c.reason, "Specialization requires Stages") != NULL && strstr(c.reason, "-") == NULL,
          "reason: %s", c.reason);
}

/* A kernel's own stage count replaces the derived one if it fits: nvjet
 * 64x8x64 runs 16 stages where 24 would fit (traces/hopper/h100_shapes.csv). */
static void test_stages_fit_in_smem(check_t *ck)
{
    arch_t h = preset_arch("h100");
    gemm_opts_t o = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64, .tile_n = 8,
                     .tile_k = 64, .sched = GEMM_PINGPONG, .swap_ab = 1, .split_k = 1};
    gemm_cfg_t auto_c, c;
    gemm_cfg_derive(&h, &o, &auto_c);
    o.stages = 16;
    gemm_cfg_derive(&h, &o, &c);
    CHECK(auto_c.valid && auto_c.stages == 24 && auto_c.stages_fit == 24, "auto stages %d",
          auto_c.stages);
    CHECK(c.valid && c.stages == 16 && c.stages_fit == 24, "given 16: stages %d fit %d", c.stages,
          c.stages_fit);
    CHECK(c.smem_mainloop_bytes < auto_c.smem_mainloop_bytes, "smem %.0f vs %.0f",
          c.smem_mainloop_bytes, auto_c.smem_mainloop_bytes);
    o.stages = 24;
    EXPECT_VALID(h, o);
    o.stages = 25;
    EXPECT_RULE(h, o, "stages_fit_in_smem");
    gemm_cfg_derive(&h, &o, &c);
    CHECK(strstr(c.reason, "at most 24 stages fit") != NULL, "reason: %s", c.reason);
    o.stages = 1; /* fits, but a warp-specialized pipeline needs two */
    EXPECT_RULE(h, o, "stages_at_least_2");
    gemm_cfg_derive(&h, &o, &c);
    CHECK(strstr(c.reason, "given 1 stage") != NULL, "reason: %s", c.reason);
}

/* A given grid: fewer CTAs than tiles walk the tiles with stride = grid;
 * more (cluster rounding) leave CTAs without a tile, which are not run. */
static void test_given_grid_is_launched(check_t *ck)
{
    arch_t h = preset_arch("h100");
    gemm_opts_t o = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64, .tile_n = 8,
                     .tile_k = 64, .sched = GEMM_PINGPONG, .swap_ab = 1, .split_k = 1,
                     .stages = 16};
    gemm_problem_t p = {.m = 1, .n = 5120, .k = 2880, .groups = 1};
    gemm_out_t own, few, many;
    char err[512];
    CHECK(gemm_run(&h, &o, &p, &own, err, sizeof err) == 0, "%s", err);
    o.grid = 20;
    CHECK(gemm_run(&h, &o, &p, &few, err, sizeof err) == 0, "%s", err);
    o.grid = 96;
    CHECK(gemm_run(&h, &o, &p, &many, err, sizeof err) == 0, "%s", err);
    CHECK(own.tiles == 80 && own.grid == 80 && own.max_tiles_per_cta == 1, "own grid %d", own.grid);
    CHECK(few.grid == 20 && few.max_tiles_per_cta == 4, "few: grid %d, %d tiles per CTA", few.grid,
          few.max_tiles_per_cta);
    CHECK(few.r.dur_ps > own.r.dur_ps, "20 CTAs %lld not slower than 80 %lld",
          (long long)few.r.dur_ps, (long long)own.r.dur_ps);
    CHECK(many.grid == 96 && many.r.dur_ps == own.r.dur_ps && many.r.events == own.r.events,
          "96 CTAs for 80 tiles: grid %d, %lld vs %lld", many.grid, (long long)many.r.dur_ps,
          (long long)own.r.dur_ps);
    /* every tile is still computed once: the same bytes */
    CHECK(fabs(few.r.dram_bytes - own.r.dram_bytes) < 1, "dram %.0f vs %.0f", few.r.dram_bytes,
          own.r.dram_bytes);
}

/* A cluster multicasts: the B (weight) tile a cluster column shares is read
 * once from L2/DRAM, not once per CTA, and the tile count rounds up to the
 * cluster (a 1-token group with cluster 2x1 runs an out-of-bounds partner). */
static void test_cluster_multicast_reads_shared_tiles_once(check_t *ck)
{
    arch_t h = preset_arch("h100");
    char err[512];
    /* dense: 256 tokens in 4 tiles of 64 share each 96-row weight tile */
    gemm_opts_t o = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64, .tile_n = 96,
                     .tile_k = 64, .sched = GEMM_PINGPONG, .split_k = 1, .stages = 10};
    gemm_problem_t p = {.m = 256, .n = 2880, .k = 4096, .groups = 1};
    gemm_out_t solo, mc;
    CHECK(gemm_run(&h, &o, &p, &solo, err, sizeof err) == 0, "%s", err);
    o.cluster_m = 4;
    o.cluster_n = 2;
    CHECK(gemm_run(&h, &o, &p, &mc, err, sizeof err) == 0, "%s", err);
    double w = 2880.0 * 4096 * 2, x = 256.0 * 4096 * 2, y = 256.0 * 2880 * 2;
    CHECK(fabs(mc.r.dram_bytes - (w + x + y)) < 0.001 * w, "multicast DRAM %.0f, unique %.0f",
          mc.r.dram_bytes, w + x + y);
    /* L2 re-reads: without multicast the 3 later token tiles re-read every weight
     * tile and the 29 later weight tiles every token tile; with it, no weight
     * re-reads and each token tile once per pair of weight tiles (30 / 2 - 1) */
    CHECK(fabs(solo.r.l2_bytes - (3 * w + 29 * x)) < 0.001 * w, "L2 solo %.0f, want %.0f",
          solo.r.l2_bytes, 3 * w + 29 * x);
    CHECK(fabs(mc.r.l2_bytes - 28 * x / 2) < 0.001 * w, "L2 multicast %.0f, want %.0f",
          mc.r.l2_bytes, 28 * x / 2);
    CHECK(mc.r.dur_ps < solo.r.dur_ps, "multicast %lld not faster than %lld", (long long)mc.r.dur_ps,
          (long long)solo.r.dur_ps);
    /* grouped, 4 groups of 1 token, cluster 2x1: 2 x 45 tiles per group, weights once */
    gemm_opts_t g = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64, .tile_n = 128,
                     .tile_k = 128, .sched = GEMM_PINGPONG, .grouped = 1, .split_k = 1, .stages = 4,
                     .cluster_m = 2, .cluster_n = 1};
    gemm_problem_t gp = {.m = 4, .n = 5760, .k = 2880, .groups = 4};
    gemm_out_t go;
    CHECK(gemm_run(&h, &g, &gp, &go, err, sizeof err) == 0, "%s", err);
    CHECK(go.tiles == 4 * 2 * 45, "tiles %lld, want 360", (long long)go.tiles);
    double gw = 4.0 * 5760 * 2880 * 2;
    CHECK(go.r.dram_bytes > gw && go.r.dram_bytes < 1.01 * gw, "grouped DRAM %.0f, weights %.0f",
          go.r.dram_bytes, gw);
    /* every CTA receives whole boxes: its 64-row A box (63 rows out of bounds,
     * zero-filled) and the whole 128-row B tile, 3x the weights at 64x128 */
    double box = (64.0 + 128.0) * 128 * 2 * 23 * 360;
    CHECK(fabs(go.r.port_bytes - box) < 0.01 * box, "received %.0f, whole boxes %.0f",
          go.r.port_bytes, box);
}

/* A weight tile shared by multicast streams at the measured multicast
 * efficiency of the bytes the kernel keeps in flight (tmabench tests 10 and
 * 13): the DRAM-bound grouped GEMM with 2 stages of its 32-KiB B tile (64 KiB)
 * takes 1 / tma_mc_eff_64kb as long as without the loss; a cluster along the
 * weights (swap-AB, tokens multicast) loses nothing; an arch without the
 * measurement charges none. Zero fill is left free to isolate the rule. */
static void test_multicast_weights_stream_at_the_measured_efficiency(check_t *ck)
{
    arch_t h = preset_arch("h100");
    h.tma_oob_gbps = 0;
    arch_t flat = h;
    flat.tma_mc_eff_32kb = flat.tma_mc_eff_64kb = flat.tma_mc_eff_128kb = 0;
    const double kib = 1024;
    CHECK(arch_tma_mc_eff(&flat, 64 * kib) == 1.0, "unmeasured arch charges %.3f",
          arch_tma_mc_eff(&flat, 64 * kib));
    CHECK(arch_tma_mc_eff(&h, 32 * kib) == h.tma_mc_eff_32kb &&
              arch_tma_mc_eff(&h, 64 * kib) == h.tma_mc_eff_64kb &&
              arch_tma_mc_eff(&h, 128 * kib) == h.tma_mc_eff_128kb &&
              arch_tma_mc_eff(&h, 16 * kib) == h.tma_mc_eff_32kb &&
              arch_tma_mc_eff(&h, 256 * kib) == h.tma_mc_eff_128kb,
          "points %.3f %.3f %.3f", arch_tma_mc_eff(&h, 32 * kib), arch_tma_mc_eff(&h, 64 * kib),
          arch_tma_mc_eff(&h, 128 * kib));
    double e48 = arch_tma_mc_eff(&h, 48 * kib);
    CHECK(e48 > h.tma_mc_eff_32kb && e48 < h.tma_mc_eff_64kb, "48 KiB %.3f", e48);
    char err[512];
    gemm_opts_t g = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64, .tile_n = 128,
                     .tile_k = 128, .sched = GEMM_PINGPONG, .grouped = 1, .split_k = 1, .stages = 2,
                     .cluster_m = 2, .cluster_n = 1};
    gemm_problem_t gp = {.m = 16, .n = 5760, .k = 2880, .groups = 16};
    gemm_out_t lossy, none;
    CHECK(gemm_run(&h, &g, &gp, &lossy, err, sizeof err) == 0, "%s", err);
    CHECK(gemm_run(&flat, &g, &gp, &none, err, sizeof err) == 0, "%s", err);
    double r = (double)lossy.r.dur_ps / (double)none.r.dur_ps, want = 1.0 / h.tma_mc_eff_64kb;
    CHECK(fabs(r - want) < 0.05 * want, "2 stages: %.3f x slower, want %.3f", r, want);
    /* cluster along the weights: tokens are multicast, weights are not */
    gemm_opts_t s = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64, .tile_n = 8,
                     .tile_k = 64, .sched = GEMM_PINGPONG, .swap_ab = 1, .split_k = 1, .stages = 4,
                     .cluster_m = 2, .cluster_n = 1};
    gemm_problem_t sp = {.m = 1, .n = 5120, .k = 2880, .groups = 1};
    CHECK(gemm_run(&h, &s, &sp, &lossy, err, sizeof err) == 0, "%s", err);
    CHECK(gemm_run(&flat, &s, &sp, &none, err, sizeof err) == 0, "%s", err);
    CHECK(lossy.r.dur_ps == none.r.dur_ps, "swap-AB 2x1: %lld vs %lld ps", (long long)lossy.r.dur_ps,
          (long long)none.r.dur_ps);
}

static void test_problem_strides_16_byte_aligned(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    gemm_problem_t p = {.m = 4, .n = 5760, .k = 2881, .groups = 4, .a_in_l2 = 1};
    gemm_out_t g;
    char err[512];
    CHECK(gemm_run(&a, &o, &p, &g, err, sizeof err) == -1 &&
              strstr(err, "problem_strides_16_byte_aligned") != NULL, "err: %s", err);
}

/* A source operand C (c_bytes) moves what it names: the epilogue's shared
 * storage (and with it the stages that fit), its C TMA bytes and the bytes
 * the epilogue moves; no C leaves the configuration as it was. */
static void test_source_operand_c_moves_epilogue_and_traffic(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 32, 128);
    gemm_problem_t p = {.m = 64, .n = 5760, .k = 2880, .groups = 1, .a_in_l2 = 1};
    gemm_out_t none, bf16, fp32;
    char err[512];
    CHECK(gemm_run(&a, &o, &p, &none, err, sizeof err) == 0, "%s", err);
    o.c_bytes = 2;
    CHECK(gemm_run(&a, &o, &p, &bf16, err, sizeof err) == 0, "%s", err);
    o.c_bytes = 4;
    CHECK(gemm_run(&a, &o, &p, &fp32, err, sizeof err) == 0, "%s", err);
    CHECK(none.cfg.tma_c_bytes_per_subtile == 0 && bf16.cfg.tma_c_bytes_per_subtile == 64 * 32 * 2 &&
              fp32.cfg.tma_c_bytes_per_subtile == 64 * 32 * 4, "C TMA bytes %.0f %.0f %.0f",
          none.cfg.tma_c_bytes_per_subtile, bf16.cfg.tma_c_bytes_per_subtile,
          fp32.cfg.tma_c_bytes_per_subtile);
    CHECK(none.cfg.smem_epilogue_bytes < bf16.cfg.smem_epilogue_bytes &&
              bf16.cfg.smem_epilogue_bytes < fp32.cfg.smem_epilogue_bytes,
          "epilogue %.0f %.0f %.0f", none.cfg.smem_epilogue_bytes, bf16.cfg.smem_epilogue_bytes,
          fp32.cfg.smem_epilogue_bytes);
    CHECK(bf16.cfg.epi_stages_c == 3 && fp32.cfg.epi_stages_c == 2, "StagesC %d %d",
          bf16.cfg.epi_stages_c, fp32.cfg.epi_stages_c);
    /* 128x32x128: 4 stages with no C, 3 with an fp32 C (probe) */
    CHECK(none.cfg.stages == 4 && fp32.cfg.stages == 3, "stages %d %d", none.cfg.stages,
          fp32.cfg.stages);
    CHECK(none.r.dram_bytes < bf16.r.dram_bytes && bf16.r.dram_bytes < fp32.r.dram_bytes,
          "dram bytes %.0f %.0f %.0f", none.r.dram_bytes, bf16.r.dram_bytes, fp32.r.dram_bytes);
}

/* Every rule of the table has a test above and a source. */
static void test_every_rule_names_its_source(check_t *ck)
{
    for (int i = 0; i < gemm_rule_count(); i++)
        CHECK(gemm_rule(i)->source != NULL && strlen(gemm_rule(i)->source) > 10, "rule %s",
              gemm_rule(i)->name);
}

/* Derivation: hand-derived from sm120_blockscaled_mma_builder.inl (see gemm.c). */
static void test_mxf8f6f4_128x128x128_stage_bytes_and_stages(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    gemm_cfg_t c;
    gemm_cfg_derive(&a, &o, &c);
    CHECK(c.stage_bytes == 16384 + 16384 + 512 + 512 + 128, "stage %.0f", c.stage_bytes);
    CHECK(c.stages == 2, "stages %d", c.stages);
    CHECK(c.tma_bytes_per_ktile == 16384 + 8192 + 1024, "tma %.0f", c.tma_bytes_per_ktile);
    CHECK(c.mma_cyc_per_ktile == 2048, "mma %.0f", c.mma_cyc_per_ktile);
    CHECK(strstr(c.mma, "mxf8f6f4") != NULL, "mma %s", c.mma);
}

static void test_swap_ab_small_tile_n_fetches_128_rows_of_sfb(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 8, 128);
    o.swap_ab = 1;
    gemm_cfg_t c;
    gemm_cfg_derive(&a, &o, &c);
    CHECK(c.valid, "%s", c.reason);
    CHECK(c.stage_sfb_bytes == 128 * 128 / 32, "SFB %.0f: SFB spans max(TileN,128) rows",
          c.stage_sfb_bytes);
    CHECK(c.stage_b_bytes == 8 * 128, "B stage %.0f", c.stage_b_bytes);
    CHECK(c.stages > 2, "stages %d: smaller stages fit more", c.stages);
}

static void test_coarser_sf_vector_shrinks_sf_bytes(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    gemm_cfg_t c32, c128;
    gemm_cfg_derive(&a, &o, &c32);
    o.sf_vec = 128;
    gemm_cfg_derive(&a, &o, &c128);
    CHECK(c128.stage_sfa_bytes * 4 == c32.stage_sfa_bytes, "SFA %.0f vs %.0f", c128.stage_sfa_bytes,
          c32.stage_sfa_bytes);
    CHECK(c128.tma_bytes_per_ktile < c32.tma_bytes_per_ktile, "TMA bytes did not shrink");
}

/* Memory-bound limit: a decode FC1 is DRAM-bound and within 10 % of its floor
 * (weight bytes / (achievable bandwidth x run efficiency)). */
static void test_memory_bound_limit(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    gemm_problem_t p = {.m = 4, .n = 5760, .k = 2880, .groups = 4, .a_in_l2 = 1};
    gemm_out_t g;
    char err[512];
    CHECK(gemm_run(&a, &o, &p, &g, err, sizeof err) == 0, "%s", err);
    /* the floor at the efficiency of the weights' 64-B runs (TileK 128 x 4 bit) */
    double floor_us = g.floor_us / arch_dram_run_eff(&a, 64);
    double us = g.r.dur_ps * 1e-6;
    CHECK(us >= floor_us && us < 1.10 * floor_us, "us %.1f floor %.1f", us, floor_us);
}

/* Compute-bound limit: with many tokens per group, time approaches
 * tiles x k-tiles x MMA cycles / (SMs). */
static void test_compute_bound_limit(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    o.grouped = 0;
    gemm_problem_t p = {.m = 8192, .n = 4096, .k = 4096, .groups = 1, .a_in_l2 = 0};
    gemm_out_t g;
    char err[512];
    CHECK(gemm_run(&a, &o, &p, &g, err, sizeof err) == 0, "%s", err);
    double tiles = 64.0 * 32, waves = ceil(tiles / a.n_sm);
    double mma_us = waves * 32 * g.cfg.mma_cyc_per_ktile / a.sm_clock_mhz;
    double us = g.r.dur_ps * 1e-6;
    CHECK(us >= mma_us && us < 1.15 * mma_us, "us %.1f mma bound %.1f", us, mma_us);
}

/* Little's law: one CTA with S stages in flight and latency L moves at most
 * S x stage bytes per L. */
static void test_littles_law_limit(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    a.dram_latency_ns = 20000; /* make latency dominate */
    gemm_opts_t o = fc(128, 128, 128);
    gemm_problem_t p = {.m = 1, .n = 128, .k = 128 * 64, .groups = 1, .a_in_l2 = 1};
    gemm_out_t g;
    char err[512];
    CHECK(gemm_run(&a, &o, &p, &g, err, sizeof err) == 0, "%s", err);
    double bound_us = 64.0 / g.cfg.stages * 20.0; /* k-tiles / stages x latency */
    double us = g.r.dur_ps * 1e-6;
    CHECK(us >= bound_us && us < 1.1 * bound_us + 25, "us %.1f bound %.1f", us, bound_us);
}

static void test_pingpong_hides_the_epilogue(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 128, 128);
    o.grouped = 0;
    gemm_problem_t p = {.m = 4096, .n = 4096, .k = 256, .groups = 1, .a_in_l2 = 0};
    gemm_out_t co, pp;
    char err[512];
    gemm_run(&a, &o, &p, &co, err, sizeof err);
    o.sched = GEMM_PINGPONG;
    CHECK(gemm_run(&a, &o, &p, &pp, err, sizeof err) == 0, "%s", err);
    CHECK(pp.r.dur_ps < co.r.dur_ps, "pingpong %lld not below coop %lld", (long long)pp.r.dur_ps,
          (long long)co.r.dur_ps);
}

/* Stream-K spreads k-iterations over every CTA: with 46 tiles on 132 SMs it
 * beats one CTA per tile by > 10 % (the L2 path, which re-reads the token
 * rows for every N tile, then bounds it), and on a large square GEMM it costs
 * about the same. */
static void test_stream_k_fills_the_machine_when_tiles_are_few(check_t *ck)
{
    arch_t h = preset_arch("h100");
    gemm_opts_t o = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 128,
                     .tile_n = 128, .tile_k = 64, .split_k = 1};
    gemm_problem_t p = {.m = 256, .n = 2880, .k = 16384, .groups = 1};
    gemm_out_t dp, sk;
    char err[512];
    CHECK(gemm_run(&h, &o, &p, &dp, err, sizeof err) == 0, "%s", err);
    o.stream_k = 1;
    CHECK(gemm_run(&h, &o, &p, &sk, err, sizeof err) == 0, "%s", err);
    CHECK(sk.grid > dp.grid && sk.r.dur_ps < 0.9 * dp.r.dur_ps, "stream-K %lld (grid %d) vs %lld (grid %d)",
          (long long)sk.r.dur_ps, sk.grid, (long long)dp.r.dur_ps, dp.grid);
    gemm_problem_t big = {.m = 4096, .n = 4096, .k = 4096, .groups = 1};
    o.stream_k = 0;
    gemm_run(&h, &o, &big, &dp, err, sizeof err);
    o.stream_k = 1;
    gemm_run(&h, &o, &big, &sk, err, sizeof err);
    CHECK(fabs((double)sk.r.dur_ps / (double)dp.r.dur_ps - 1) < 0.03, "big: %lld vs %lld",
          (long long)sk.r.dur_ps, (long long)dp.r.dur_ps);
}

/* "Ping-pong kernel does not currently support stream-K" */
static void test_stream_k_dense_cooperative(check_t *ck)
{
    arch_t h = preset_arch("h100");
    gemm_opts_t o = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 128,
                     .tile_n = 128, .tile_k = 64, .split_k = 1, .stream_k = 1, .sched = GEMM_PINGPONG};
    gemm_problem_t p = {.m = 256, .n = 2880, .k = 16384, .groups = 1};
    gemm_out_t g;
    char err[512];
    CHECK(gemm_run(&h, &o, &p, &g, err, sizeof err) == -1 && strstr(err, "stream_k_dense_cooperative"),
          "pingpong stream-K accepted: %s", err);
}

static void test_rerun_is_identical(check_t *ck)
{
    arch_t a = preset_arch("gb10");
    gemm_opts_t o = fc(128, 64, 128);
    o.swap_ab = 1;
    gemm_problem_t p = {.m = 64, .n = 2880, .k = 2880, .groups = 40, .a_in_l2 = 1};
    gemm_out_t g1, g2;
    char err[512];
    gemm_run(&a, &o, &p, &g1, err, sizeof err);
    gemm_run(&a, &o, &p, &g2, err, sizeof err);
    CHECK(g1.r.dur_ps == g2.r.dur_ps && g1.r.events == g2.r.events, "reruns differ");
}

/* Folding (kexec.h): the run ends a launch declares agree with a tile by
 * tile comparison of its items, over tiles, schedules, swap-AB, clusters,
 * given grids, groups and partial edges; split-K and stream-K declare none. */
static void test_runs_and_repeats_match_the_items(check_t *ck)
{
    uint64_t rng = 7;
    const char *archs[] = {"h100", "gb10"};
    int checked = 0;
    for (int ai = 0; ai < 2; ai++) {
        arch_t a = preset_arch(archs[ai]);
        for (int i = 0; i < 400; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t r = rng >> 11;
            static const int tms[] = {64, 128, 256}, tns[] = {8, 16, 32, 64, 128, 256};
            gemm_opts_t o = {.a_dt = ai ? DT_MXFP8 : DT_BF16, .b_dt = ai ? DT_MXFP4 : DT_BF16,
                             .out_bytes = 2, .tile_m = tms[r % 3], .tile_n = tns[(r >> 2) % 6],
                             .tile_k = ai ? 128 : 64, .split_k = 1,
                             .sched = (r >> 5) & 1 ? GEMM_PINGPONG : GEMM_COOP,
                             .swap_ab = (int)((r >> 6) & 1), .grouped = (int)((r >> 7) & 1),
                             .grid = (r >> 8) % 3 == 0 ? (int)(1 + (r >> 10) % 300) : 0};
            if (!ai) {
                o.cluster_m = 1 + (int)((r >> 19) & 1);
                o.cluster_n = 1 + (int)((r >> 20) & 1);
            }
            gemm_problem_t p = {.m = 1 + (int64_t)((r >> 21) % 600), .n = 16 * (1 + (int64_t)((r >> 31) % 160)),
                                .k = 256, .a_in_l2 = (int)((r >> 41) & 1), .groups = 1};
            if (o.grouped)
                p.groups = 1 + (int64_t)((r >> 42) % (uint64_t)(p.m < 16 ? p.m : 16));
            gemm_cfg_t c;
            gemm_cfg_derive(&a, &o, &c);
            if (!c.valid)
                continue;
            checked++;
            double sums = gemm_check_sums(&a, &o, &p);
            CHECK(sums < 1e-9, "%s tile %dx%d swap %d grouped %d grid %d m %lld n %lld: sums off "
                  "by %.3g", archs[ai], o.tile_m, o.tile_n, o.swap_ab, o.grouped, o.grid,
                  (long long)p.m, (long long)p.n, sums);
            if (!o.grouped && (r >> 43) % 4 == 0) {   /* split-K: sums only */
                gemm_opts_t os = o;
                os.split_k = 2;
                double ss = gemm_check_sums(&a, &os, &p);
                CHECK(ss < 1e-9, "split-K 2: sums off by %.3g", ss);
            }
            int64_t wrong = gemm_check_runs(&a, &o, &p);
            CHECK(wrong == 0, "%s tile %dx%d swap %d grouped %d cluster %dx%d grid %d m %lld n %lld "
                  "groups %lld: %lld tiles with a wrong run end", archs[ai], o.tile_m, o.tile_n,
                  o.swap_ab, o.grouped, o.cluster_m, o.cluster_n, o.grid, (long long)p.m,
                  (long long)p.n, (long long)p.groups, (long long)wrong);
        }
    }
    CHECK(checked > 200, "only %d valid configurations", checked);
}

/* A long GEMM folds its tiles and keeps its duration (within 0.5 %; these
 * repeat exactly) and its bytes. */
static void test_folded_gemm_matches_every_event(check_t *ck)
{
    arch_t h100 = preset_arch("h100"), gb10 = preset_arch("gb10");
    gemm_opts_t oh = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 128,
                      .tile_n = 128, .tile_k = 64, .split_k = 1};
    gemm_opts_t og = {.a_dt = DT_MXFP8, .b_dt = DT_MXFP4, .out_bytes = 2, .tile_m = 128,
                      .tile_n = 128, .tile_k = 128, .split_k = 1};
    gemm_problem_t ph = {.m = 65536, .n = 5120, .k = 2880, .groups = 1, .a_in_l2 = 1};
    gemm_problem_t pg = {.m = 16384, .n = 5760, .k = 2880, .groups = 128, .a_in_l2 = 1};
    const arch_t *as[] = {&h100, &gb10};
    gemm_opts_t *os[] = {&oh, &og};
    gemm_problem_t *ps[] = {&ph, &pg};
    og.grouped = 1;
    for (int i = 0; i < 2; i++) {
        gemm_out_t f, e;
        char err[512];
        os[i]->no_fold = 0;
        CHECK(gemm_run(as[i], os[i], ps[i], &f, err, sizeof err) == 0, "%s", err);
        os[i]->no_fold = 1;
        CHECK(gemm_run(as[i], os[i], ps[i], &e, err, sizeof err) == 0, "%s", err);
        CHECK(f.r.folds > 0 && f.r.events < e.r.events, "case %d: %d folds, %llu of %llu events",
              i, f.r.folds, (unsigned long long)f.r.events, (unsigned long long)e.r.events);
        CHECK(fabs((double)(f.r.dur_ps - e.r.dur_ps)) <= 0.005 * (double)e.r.dur_ps,
              "case %d: %lld vs %lld ps", i, (long long)f.r.dur_ps, (long long)e.r.dur_ps);
        CHECK(fabs(f.r.dram_bytes - e.r.dram_bytes) <= 1e-9 * e.r.dram_bytes, "case %d: bytes %.0f vs %.0f",
              i, f.r.dram_bytes, e.r.dram_bytes);
    }
}

/* Case i: p under o folded (*f) and with every event simulated (*e); 1 when
 * both ran. */
static int run_folded_and_whole(check_t *ck, size_t i, const arch_t *a, gemm_opts_t o,
                                const gemm_problem_t *p, gemm_out_t *f, gemm_out_t *e)
{
    char err[512];
    int ok = gemm_run(a, &o, p, f, err, sizeof err) == 0;
    o.no_fold = 1;
    ok = ok && gemm_run(a, &o, p, e, err, sizeof err) == 0;
    return CHECK(ok, "case %zu: %s", i, err);
}

/* Case i folded (f) agrees with every event simulated (e): duration within
 * dur_rel, DRAM bytes within bytes_rel, tail idle within 0.002. */
static void check_fold_agrees(check_t *ck, size_t i, const gemm_out_t *f, const gemm_out_t *e,
                              double dur_rel, double bytes_rel)
{
    CHECK(fabs((double)(f->r.dur_ps - e->r.dur_ps)) <= dur_rel * (double)e->r.dur_ps,
          "case %zu: %lld vs %lld ps", i, (long long)f->r.dur_ps, (long long)e->r.dur_ps);
    CHECK(fabs(f->r.dram_bytes - e->r.dram_bytes) <= bytes_rel * e->r.dram_bytes,
          "case %zu: bytes %.0f vs %.0f", i, f->r.dram_bytes, e->r.dram_bytes);
    CHECK(fabs(f->r.tail_idle_frac - e->r.tail_idle_frac) <= 0.002, "case %zu: tail idle %.4f vs %.4f",
          i, f->r.tail_idle_frac, e->r.tail_idle_frac);
}

/* Launches long along the tokens or over many groups run as two shorter ones
 * (gemm.c "long launches"): within 0.05 % of every event simulated, with the
 * same bytes, for cold activations (a different first tile in every row),
 * swap-AB, a given grid, many groups and split-K; and the events executed do
 * not grow with m. */
static void test_long_launches_fold_whole_rows(check_t *ck)
{
    arch_t h100 = preset_arch("h100"), gb10 = preset_arch("gb10");
    gemm_opts_t bf = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 128,
                      .tile_n = 128, .tile_k = 64, .split_k = 1};
    gemm_opts_t mx = {.a_dt = DT_MXFP8, .b_dt = DT_MXFP4, .out_bytes = 2, .tile_m = 128,
                      .tile_n = 32, .tile_k = 256, .split_k = 1, .swap_ab = 1};
    gemm_opts_t grid80 = bf, grouped = mx, split = bf;
    grid80.tile_m = 64, grid80.tile_n = 16, grid80.swap_ab = 1, grid80.grid = 80;
    grid80.sched = GEMM_PINGPONG;
    grouped.grouped = 1, grouped.swap_ab = 0, grouped.tile_n = 128, grouped.tile_k = 128;
    /* cuBLAS's o_proj of the Hopper trace: split-K 2 over 96 CTAs */
    split.tile_m = 64, split.tile_n = 8, split.stages = 16, split.swap_ab = 1, split.cluster_m = 4;
    split.split_k = 2, split.grid = 96, split.sched = GEMM_PINGPONG;
    struct {
        const arch_t *a;
        gemm_opts_t o;
        gemm_problem_t p;
    } cases[] = {
        {&h100, bf, {.m = 60000, .n = 5120, .k = 2880, .groups = 1, .a_in_l2 = 0}},
        {&gb10, mx, {.m = 40000, .n = 5120, .k = 2880, .groups = 1, .a_in_l2 = 1}},
        {&h100, grid80, {.m = 12000, .n = 5120, .k = 2880, .groups = 1, .a_in_l2 = 0}},
        {&gb10, grouped, {.m = 1024, .n = 5760, .k = 2880, .groups = 256, .a_in_l2 = 1}},
        {&h100, split, {.m = 8000, .n = 2880, .k = 4096, .groups = 1, .a_in_l2 = 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gemm_out_t f, e;
        if (!run_folded_and_whole(ck, i, cases[i].a, cases[i].o, &cases[i].p, &f, &e))
            continue;
        CHECK(f.r.events < e.r.events, "case %zu: %llu of %llu events", i,
              (unsigned long long)f.r.events, (unsigned long long)e.r.events);
        /* SMs the grid leaves unused (grid80) idle the whole launch, folded or not */
        check_fold_agrees(ck, i, &f, &e, 5e-4, 1e-9);
    }
    /* ten times the rows: the same work simulated, ten times the time */
    gemm_out_t a, b;
    char err[512];
    gemm_problem_t p = {.m = 1000000, .n = 5120, .k = 2880, .groups = 1, .a_in_l2 = 0};
    int ok = gemm_run(&h100, &bf, &p, &a, err, sizeof err) == 0;
    p.m *= 10;
    ok = ok && gemm_run(&h100, &bf, &p, &b, err, sizeof err) == 0;
    if (CHECK(ok, "%s", err)) {
        CHECK(b.r.events <= a.r.events + a.r.events / 10, "events %llu at m 1e6, %llu at 1e7",
              (unsigned long long)a.r.events, (unsigned long long)b.r.events);
        double x = (double)b.r.dur_ps / (double)a.r.dur_ps;
        CHECK(x > 9.9 && x < 10.01, "m x 10 takes %.4f x the time", x);
    }
}

/* Launches deep along K run as two shallower ones (gemm.c "long launches"):
 * within 0.05 % of every event simulated, with the same bytes, where the
 * step folds do not take them (past 2^20 events) -- a cluster whose first
 * tile reads DRAM and whose second reads L2 (CTAs at different rates), the
 * same split-K 3 with a last slice 2 k-tiles short, a 24-stage pingpong
 * pipeline (whose line starts past 6 x stages k-tiles: within 0.01 %), a
 * block-scaled FC1 on gb10 -- and ten times the depth executes no more events and takes ten
 * times the time. */
static void test_deep_launches_fold_along_k(check_t *ck)
{
    arch_t h100 = preset_arch("h100"), gb10 = preset_arch("gb10");
    gemm_opts_t lm = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 512,
                      .tile_n = 8, .tile_k = 64, .stages = 3, .swap_ab = 1, .cluster_m = 2,
                      .split_k = 1};
    gemm_opts_t split = lm, deep = lm;
    split.split_k = 3;
    deep.tile_m = 64, deep.stages = 0, deep.sched = GEMM_PINGPONG;
    gemm_opts_t mx = {.a_dt = DT_MXFP8, .b_dt = DT_MXFP4, .out_bytes = 2, .tile_m = 128,
                      .tile_n = 32, .tile_k = 256, .split_k = 1, .swap_ab = 1};
    struct {
        const arch_t *a;
        gemm_opts_t o;
        gemm_problem_t p;
    } cases[] = {
        {&h100, lm, {.m = 16, .n = 201088, .k = 64 * 1300, .groups = 1}},
        {&h100, split, {.m = 16, .n = 201088, .k = 64 * (3 * 700 - 2) - 8, .groups = 1}},
        {&h100, deep, {.m = 16, .n = 201088, .k = 64 * 1500, .groups = 1}},
        {&gb10, mx, {.m = 256, .n = 5760, .k = 256 * 2000, .groups = 1, .a_in_l2 = 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gemm_out_t f, e;
        if (!run_folded_and_whole(ck, i, cases[i].a, cases[i].o, &cases[i].p, &f, &e))
            continue;
        /* the events tried whole count too: past 2^20, the two launches ran */
        CHECK(f.r.folds > 0 && f.r.events > (UINT64_C(1) << 20) && f.r.events < e.r.events,
              "case %zu: %d folds, %llu of %llu events", i, f.r.folds, (unsigned long long)f.r.events,
              (unsigned long long)e.r.events);
        /* the 24-stage pipeline: its line from 64 k-tiles, short of 6 x stages,
         * reads 0.052 % short; from 144 it agrees within 1e-6 */
        check_fold_agrees(ck, i, &f, &e, i == 2 ? 1e-4 : 5e-4, 1e-6);
    }
    gemm_out_t a, b;
    char err[512];
    gemm_problem_t p = cases[0].p;
    int ok = gemm_run(&h100, &lm, &p, &a, err, sizeof err) == 0;
    p.k *= 10;
    ok = ok && gemm_run(&h100, &lm, &p, &b, err, sizeof err) == 0;
    if (CHECK(ok, "%s", err)) {
        CHECK(b.r.events <= a.r.events, "events %llu at k %lld, %llu at 10x",
              (unsigned long long)a.r.events, (long long)cases[0].p.k, (unsigned long long)b.r.events);
        double x = (double)b.r.dur_ps / (double)a.r.dur_ps;
        CHECK(x > 9.9 && x < 10.01, "k x 10 takes %.4f x the time", x);
    }
}

/* A search's deadline on a folded launch: above its time the result is the
 * same; below it the launch says it was cut, and never ends sooner than the
 * deadline in a result the search could take. */
static void test_long_launch_deadline(check_t *ck)
{
    arch_t h100 = preset_arch("h100");
    gemm_opts_t o = {.a_dt = DT_BF16, .b_dt = DT_BF16, .out_bytes = 2, .tile_m = 64,
                     .tile_n = 128, .tile_k = 128, .split_k = 1, .stages = 4, .cluster_m = 2,
                     .grouped = 1, .sched = GEMM_PINGPONG};
    gemm_problem_t p = {.m = 53 * 20000, .n = 5760, .k = 2880, .groups = 53, .a_in_l2 = 1};
    gemm_out_t free_run, above, below;
    char err[512];
    int ok = gemm_run(&h100, &o, &p, &free_run, err, sizeof err) == 0;
    if (!CHECK(ok && free_run.r.folds > 0, "%s (folds %d)", err, free_run.r.folds))
        return;
    o.deadline_ps = free_run.r.dur_ps + 1;
    ok = gemm_run(&h100, &o, &p, &above, err, sizeof err) == 0;
    CHECK(ok && !above.r.cut && above.r.dur_ps == free_run.r.dur_ps,
          "deadline above: cut %d, %lld vs %lld ps", above.r.cut, (long long)above.r.dur_ps,
          (long long)free_run.r.dur_ps);
    for (int i = 1; i <= 3; i++) {
        o.deadline_ps = free_run.r.dur_ps * i / 4;
        ok = gemm_run(&h100, &o, &p, &below, err, sizeof err) == 0;
        CHECK(ok && below.r.cut, "deadline at %d/4 of the time: not cut", i);
    }
    o.deadline_ps = free_run.r.dur_ps - 1;
    ok = gemm_run(&h100, &o, &p, &below, err, sizeof err) == 0;
    CHECK(ok && below.r.cut, "deadline 1 ps short: not cut");
}

int main(void)
{
    check_t ck = check_begin("gemm_test");
    test_arch_has_the_mma(&ck);
    test_source_operand_c_moves_epilogue_and_traffic(&ck);
    test_cluster_multicast_reads_shared_tiles_once(&ck);
    test_multicast_weights_stream_at_the_measured_efficiency(&ck);
    test_block_scaled_needs_both_operands_scaled(&ck);
    test_scale_factor_types_match(&ck);
    test_sf_vector_supported(&ck);
    test_cluster_is_1x1x1_on_sm12x(&ck);
    test_cooperative_tile_m_at_least_128(&ck);
    test_tile_n_is_8_16_or_multiple_of_32(&ck);
    test_pingpong_tile_n_at_least_16(&ck);
    test_block_scaled_tile_m_whole_sf_atoms(&ck);
    test_tile_k_multiple_of_sf_atom_k(&ck);
    test_stages_at_least_2(&ck);
    test_stages_fit_in_smem(&ck);
    test_given_grid_is_launched(&ck);
    test_problem_strides_16_byte_aligned(&ck);
    test_every_rule_names_its_source(&ck);
    test_mxf8f6f4_128x128x128_stage_bytes_and_stages(&ck);
    test_swap_ab_small_tile_n_fetches_128_rows_of_sfb(&ck);
    test_coarser_sf_vector_shrinks_sf_bytes(&ck);
    test_memory_bound_limit(&ck);
    test_compute_bound_limit(&ck);
    test_littles_law_limit(&ck);
    test_pingpong_hides_the_epilogue(&ck);
    test_stream_k_fills_the_machine_when_tiles_are_few(&ck);
    test_stream_k_dense_cooperative(&ck);
    test_rerun_is_identical(&ck);
    test_runs_and_repeats_match_the_items(&ck);
    test_folded_gemm_matches_every_event(&ck);
    test_long_launches_fold_whole_rows(&ck);
    test_deep_launches_fold_along_k(&ck);
    test_long_launch_deadline(&ck);
    return check_end(&ck);
}
