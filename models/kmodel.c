/* kmodel.c -- kernel models on top of kexec. */
#include "kmodel.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* GEMV kernels. Structure from the named source; where the source is closed
 * (cuBLAS) the row says so and gives what it assumes. */
static const gemv_impl_t GEMV_IMPLS[] = {
    /* name          thr rows vec infl inst/vec maxM */
    {"cublas-gemv",  128, 4, 16, 4, 17.0, 16,
     "assumption: cuBLAS gemv is closed source; a warp-per-row bf16 GEMV with 16-B loads, "
     "4 loads in flight per thread, 8 cvt + 8 FFMA + 1 LDG per vector"},
    {"llamacpp-mmvq", 128, 1, 8, 2, 20.0, 8,
     "ggml-org/llama.cpp ggml/src/ggml-cuda/mmvq.cu: mul_mat_vec_q, calc_nwarps=4 and "
     "calc_rows_per_block=1 for ncols_dst=1 on NVIDIA; VDR_MXFP4_Q8_1_MMVQ=2 ints per thread "
     "(vecdotq.cuh); ~20 instr per 8 B (LUT __byte_perm decode + 4 dp4a + scale)"},
};

static const attn_impl_t ATTN_IMPLS[] = {
    /* name               tile stages thr chunk merge */
    {"flashinfer-fa2",     64,   2, 128, 256, 1,
     "flashinfer-ai/flashinfer include/flashinfer/attention/prefill.cuh (FA2 template used by "
     "vLLM decode with sinks on SM12x): CTA_TILE_KV=64, cp.async double buffer; split-KV with "
     "a separate merge_states kernel"},
    {"llamacpp-fattn-vec", 128, 2, 128, 256, 1,
     "ggml-org/llama.cpp ggml/src/ggml-cuda/fattn-vec.cuh: flash_attn_ext_vec, nthreads=128, "
     "parallel_blocks over KV combined by flash_attn_combine_results"},
};

const gemv_impl_t *gemv_impl_find(const char *name)
{
    for (size_t i = 0; i < sizeof GEMV_IMPLS / sizeof GEMV_IMPLS[0]; i++)
        if (strcmp(GEMV_IMPLS[i].name, name) == 0)
            return &GEMV_IMPLS[i];
    return NULL;
}

const attn_impl_t *attn_impl_find(const char *name)
{
    for (size_t i = 0; i < sizeof ATTN_IMPLS / sizeof ATTN_IMPLS[0]; i++)
        if (strcmp(ATTN_IMPLS[i].name, name) == 0)
            return &ATTN_IMPLS[i];
    return NULL;
}

const char *bound_name(bound_t b)
{
    static const char *const names[] = {"dram", "compute", "latency"};
    return names[b];
}

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

/* Resident CTAs per SM allowed by threads and the CTA limit. */
static int occupancy(const arch_t *a, int threads, double smem_bytes)
{
    int by_threads = (int)(a->max_threads_per_sm / threads);
    int by_smem = smem_bytes > 0 ? (int)(a->smem_per_sm_bytes / smem_bytes) : by_threads;
    return imax(1, imin(imin(by_threads, by_smem), (int)a->max_ctas_per_sm));
}

/* ---------------------------------------------------------------- GEMV -- */

typedef struct {
    int n_ctas;
    int64_t rows;
    kitem_t full, last;   /* items of full and of the last (partial) CTA */
} gemv_ctx_t;

static int gemv_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    const gemv_ctx_t *g = k->ctx;
    if (idx > 0)
        return 0;
    *out = cta == g->n_ctas - 1 ? g->last : g->full;
    return 1;
}

static kitem_t gemv_make_item(const arch_t *a, const kdesc_t *d, int64_t rows)
{
    const gemv_impl_t *im = d->gemv;
    double row_bytes = (double)d->k * dtype_bytes_per_elem(d->b_dt);
    double bytes = row_bytes * (double)rows;
    double step_bytes = (double)im->threads * im->vec_bytes;
    int steps = (int)fmax(1, ceil(bytes / step_bytes));
    double x_bytes = (double)d->m * (double)d->k * dtype_bytes_per_elem(d->a_dt);
    kitem_t it = {
        .n_steps = steps,
        .dram_bytes = bytes / steps,
        .l2_bytes = x_bytes / steps,
        .compute_cyc = (im->threads / 32.0) * im->inst_per_vec * (double)d->m /
                       a->issue_warp_inst_per_clk_sm,
        .epi_cyc = 64.0 + 16.0 * (double)rows * (double)d->m,
        .epi_dram_bytes = (double)rows * (double)d->m * d->out_bytes,
    };
    return it;
}

static int run_gemv(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    const gemv_impl_t *im = d->gemv;
    assert(im != NULL);
    if (d->m > im->max_cols) {
        snprintf(err, errlen, "%s handles at most %d token columns, got m=%lld", im->name,
                 im->max_cols, (long long)d->m);
        return -1;
    }
    gemv_ctx_t g = {.rows = d->n};
    g.n_ctas = (int)cdiv(d->n, im->rows_per_cta);
    int64_t last_rows = d->n - (int64_t)(g.n_ctas - 1) * im->rows_per_cta;
    g.full = gemv_make_item(a, d, im->rows_per_cta);
    g.last = gemv_make_item(a, d, last_rows);
    kspec_t k = {.n_ctas = g.n_ctas, .ctas_per_sm = occupancy(a, im->threads, 0),
                 .stages = im->loads_in_flight, .item = gemv_item, .ctx = &g};
    return kexec_run(a, &k, &o->r, err, errlen);
}

/* ---------------------------------------------------------- tiled GEMM -- */

static int is_block_scaled(dtype_t t)
{
    return t == DT_MXFP8 || t == DT_MXFP6 || t == DT_MXFP4 || t == DT_NVFP4;
}

static int is_fp4(dtype_t t)
{
    return t == DT_MXFP4 || t == DT_NVFP4;
}

void gemm_cfg_derive(const arch_t *a, dtype_t a_dt, dtype_t b_dt, int out_bytes, int tm, int tn,
                     int tk, int grouped, gemm_cfg_t *c)
{
    memset(c, 0, sizeof *c);
    c->tile_m = tm;
    c->tile_n = tn;
    c->tile_k = tk;
    c->threads = 384; /* producer warp group + 2 consumer warp groups (CUTLASS sm90/sm120 cooperative) */
    double smem_elem_a, smem_elem_b, rate, dequant_cyc = 0;
    int scaled = is_block_scaled(a_dt) && is_block_scaled(b_dt);
    int sixteen_a = dtype_info(a_dt)->elem_bits == 16;
    if (!scaled && sixteen_a && dtype_info(b_dt)->elem_bits < 16) {
        /* mixed input (CUTLASS sm90 mixed-input GEMM, Marlin): weights stay packed in
         * smem and are converted to bf16 in registers before a bf16 MMA; about one
         * warp instruction per 2 weight elements per k-tile (cvt + scale) */
        c->mma = "bf16 MMA, weights dequantized in registers";
        rate = a->mma_bf16_flop_per_clk_sm;
        smem_elem_a = 2.0;
        smem_elem_b = dtype_bytes_per_elem(b_dt);
        dequant_cyc = (double)tn * tk / 2.0 / (32.0 * a->issue_warp_inst_per_clk_sm);
    } else if (is_block_scaled(a_dt) || is_block_scaled(b_dt)) {
        if (!scaled) {
            snprintf(c->reason, sizeof c->reason,
                     "block-scaled MMA needs both operands block-scaled (or 16-bit activations "
                     "for the mixed-input path); got %s x %s", dtype_info(a_dt)->name,
                     dtype_info(b_dt)->name);
            return;
        }
        if (is_fp4(a_dt) && is_fp4(b_dt)) {
            /* kind::mxf4nvf4 m16n8k64 keeps FP4 packed in smem (sm1xx_common.inl select_instr) */
            c->mma = "m16n8k64 kind::mxf4nvf4";
            rate = a->mma_mxf4nvf4_flop_per_clk_sm;
            smem_elem_a = smem_elem_b = 0.5;
        } else {
            /* kind::mxf8f6f4 m16n8k32 stores FP4/FP6 unpacked, 1 B per element
             * (sm120_blockscaled_mma_builder.inl SmemAllocType = uint8_t) */
            c->mma = "m16n8k32 kind::mxf8f6f4";
            rate = a->mma_mxf8f6f4_flop_per_clk_sm;
            smem_elem_a = smem_elem_b = 1.0;
        }
        c->sf_vec = (a_dt == DT_NVFP4 || b_dt == DT_NVFP4) ? 16 : 32;
    } else {
        double bytes_a = dtype_bytes_per_elem(a_dt), bytes_b = dtype_bytes_per_elem(b_dt);
        smem_elem_a = bytes_a;
        smem_elem_b = bytes_b;
        if (dtype_info(a_dt)->mma_class == MMA_FP8 && dtype_info(b_dt)->mma_class == MMA_FP8) {
            c->mma = "fp8 MMA";
            rate = a->mma_fp8_flop_per_clk_sm;
        } else {
            c->mma = "bf16 MMA";
            rate = a->mma_bf16_flop_per_clk_sm;
        }
    }
    if (rate <= 0) {
        snprintf(c->reason, sizeof c->reason, "the arch has no %s instruction", c->mma);
        return;
    }
    if (tm <= 0 || tn <= 0 || tk <= 0 || tm % 64 || tk % 32 || (tn != 8 && tn != 16 && tn % 32)) {
        snprintf(c->reason, sizeof c->reason,
                 "tile %dx%dx%d: TileM must be a multiple of 64, TileN 8, 16 or a multiple of 32, "
                 "TileK a multiple of 32", tm, tn, tk);
        return;
    }
    double sfa = 0, sfb = 0;
    if (scaled) {
        /* SF atom: 128 rows x 4 SF (sm100_blockscaled_layout.hpp); SFB always
         * spans max(TileN, 128) rows (sm120_blockscaled_mma_builder.inl) */
        sfa = (double)imax(tm, 128) * tk / c->sf_vec;
        sfb = (double)imax(tn, 128) * tk / c->sf_vec;
    }
    c->stage_bytes = tm * tk * smem_elem_a + tn * tk * smem_elem_b + sfa + sfb + 128.0;
    /* grouped: PipelineAsync<8> scheduler storage 128 B + tensormaps 256 B +
     * PipelineAsync<3> 48 B; dense: CLC pipeline 48 B + 3 CLC responses 48 B
     * (sm120_blockscaled_mma_builder.inl L236-264) */
    c->smem_reserved_bytes = grouped ? 432.0 : 96.0;
    /* epilogue (sm120_builder.inl): EpiN = min(TileN, 32), EpiM = TileN < 16 ? 128 : 64, 2 stages of D */
    c->smem_epilogue_bytes = 2.0 * (tn < 16 ? 128 : 64) * imin(tn, 32) * out_bytes;
    double cap = a->smem_per_cta_max_bytes - c->smem_reserved_bytes - c->smem_epilogue_bytes;
    c->stages = cap > 0 ? (int)floor(cap / c->stage_bytes) : 0;
    double gmem_a = tm * tk * dtype_info(a_dt)->elem_bits / 8.0;
    double gmem_b = tn * tk * dtype_info(b_dt)->elem_bits / 8.0;
    c->tma_bytes_per_ktile = gmem_a + gmem_b + sfa + sfb;
    c->mma_cyc_per_ktile = 2.0 * tm * tn * tk / rate + dequant_cyc;
    c->ctas_per_sm = occupancy(a, c->threads,
                               c->stages * c->stage_bytes + c->smem_epilogue_bytes + c->smem_reserved_bytes);
    if (c->stages < 2) {
        snprintf(c->reason, sizeof c->reason,
                 "needs %.0f B of smem per CTA for 2 stages of %.0f B plus %.0f B epilogue and "
                 "%.0f B scheduler storage, the arch allows %.0f B; Specialization requires "
                 "Stages set to value 2 or more (sm120_blockscaled_mma_array_tma.hpp)",
                 2 * c->stage_bytes + c->smem_epilogue_bytes + c->smem_reserved_bytes,
                 c->stage_bytes, c->smem_epilogue_bytes, c->smem_reserved_bytes,
                 a->smem_per_cta_max_bytes);
        return;
    }
    c->valid = 1;
    snprintf(c->reason, sizeof c->reason, "ok");
}

typedef struct {
    const kdesc_t *d;
    gemm_cfg_t cfg;
    int grouped, grid, k_tiles;
    int64_t rows_per_group, n;
    int64_t m_tiles, n_tiles, tiles_per_group, total_tiles;
    double a_elem, b_elem;
    double desc_update_cyc;   /* arch tma_desc_update_cycles */
} tgemm_ctx_t;

/* Group, m-tile and n-tile of linear tile id t (groups in order, n fastest). */
static void tile_coords(const tgemm_ctx_t *g, int64_t t, int64_t *grp, int64_t *mt, int64_t *nt)
{
    *grp = t / g->tiles_per_group;
    int64_t r = t % g->tiles_per_group;
    *mt = r / g->n_tiles;
    *nt = r % g->n_tiles;
}

static int tgemm_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    const tgemm_ctx_t *g = k->ctx;
    const gemm_cfg_t *c = &g->cfg;
    int64_t t = cta + (int64_t)idx * g->grid;
    if (t >= g->total_tiles)
        return 0;
    int64_t grp, mt, nt;
    tile_coords(g, t, &grp, &mt, &nt);
    int64_t rows = g->rows_per_group - mt * c->tile_m;
    if (rows > c->tile_m)
        rows = c->tile_m;
    int64_t cols = g->n - nt * c->tile_n;
    if (cols > c->tile_n)
        cols = c->tile_n;
    double tk = c->tile_k;
    double sfa = 0, sfb = 0;
    if (c->sf_vec) {
        sfa = (double)imax(c->tile_m, 128) * tk / c->sf_vec;
        sfb = (double)imax(c->tile_n, 128) * tk / c->sf_vec;
    }
    /* TMA fetches only in-bounds rows; the SF tensors are padded to 128 rows in
     * memory, so whole SF atoms are fetched */
    /* TMA fetches no out-of-bounds K either: data bytes average over the real K */
    double k_eff = (double)g->d->k / g->k_tiles;
    double a_bytes = (double)rows * k_eff * g->a_elem + sfa;
    double b_bytes = (double)cols * k_eff * g->b_elem + sfb;
    memset(out, 0, sizeof *out);
    out->n_steps = g->k_tiles;
    /* B (weights) comes from DRAM for the first m-tile and from L2 after; A
     * from DRAM for the first n-tile unless it is already L2-resident */
    int a_dram = !g->d->a_in_l2 && nt == 0;
    out->dram_bytes = (mt == 0 ? b_bytes : 0) + (a_dram ? a_bytes : 0);
    out->l2_bytes = (mt == 0 ? 0 : b_bytes) + (a_dram ? 0 : a_bytes);
    out->compute_cyc = c->mma_cyc_per_ktile;
    /* ptr-array kernels rewrite the A/B/SFA/SFB tensormaps when a CTA's next
     * tile is in another group; the first tile always loads its group's
     * (sm90_gemm_array_tma_warpspecialized_cooperative.hpp tensormaps_perform_update) */
    int64_t pgrp = -1, pmt, pnt;
    if (idx > 0)
        tile_coords(g, t - g->grid, &pgrp, &pmt, &pnt);
    out->pre_cyc = g->grouped && pgrp != grp ? g->desc_update_cyc : 0;
    out->epi_cyc = (double)c->tile_m * c->tile_n * 3.0 / (4.0 * 32.0);
    out->epi_dram_bytes = (double)rows * (double)cols * g->d->out_bytes;
    return 1;
}

static int run_tgemm_tile(const arch_t *a, const kdesc_t *d, int tm, int tn, int tk,
                          kmodel_out_t *o, char *err, size_t errlen)
{
    int grouped = d->kind == KM_GROUPED_GEMM;
    tgemm_ctx_t ctx = {.desc_update_cyc = a->tma_desc_update_cycles};
    tgemm_ctx_t *g = &ctx;
    g->d = d;
    g->grouped = grouped;
    gemm_cfg_derive(a, d->a_dt, d->b_dt, d->out_bytes, tm, tn, tk, grouped, &g->cfg);
    if (!g->cfg.valid) {
        int w = snprintf(err, errlen, "tile %dx%dx%d is not valid: ", tm, tn, tk);
        if (w > 0 && (size_t)w < errlen)
            snprintf(err + w, errlen - (size_t)w, "%s", g->cfg.reason);
        return -1;
    }
    int64_t groups = grouped ? d->groups : 1;
    /* routed rows spread evenly over the non-empty groups */
    g->rows_per_group = cdiv(d->m, groups);
    g->n = d->n;
    g->a_elem = dtype_info(d->a_dt)->elem_bits / 8.0;
    g->b_elem = dtype_info(d->b_dt)->elem_bits / 8.0;
    g->m_tiles = cdiv(g->rows_per_group, tm);
    g->n_tiles = cdiv(d->n, tn);
    g->tiles_per_group = g->m_tiles * g->n_tiles;
    g->total_tiles = g->tiles_per_group * groups;
    g->k_tiles = (int)cdiv(d->k, tk);
    /* grouped with device-side shapes: one persistent CTA per SM
     * (PersistentTileSchedulerSm90Group); dense: one CTA per tile */
    g->grid = grouped ? (int)a->n_sm : (int)g->total_tiles;
    if (g->grid > g->total_tiles)
        g->grid = (int)g->total_tiles;
    kspec_t k = {.n_ctas = g->grid, .ctas_per_sm = grouped ? 1 : g->cfg.ctas_per_sm,
                 .stages = g->cfg.stages, .item = tgemm_item, .ctx = g};
    o->tile_m = tm;
    o->tile_n = tn;
    o->tile_k = tk;
    o->stages = g->cfg.stages;
    return kexec_run(a, &k, &o->r, err, errlen);
}

/* Candidate tiles a tuned library would try (TRT-LLM CutlassTileConfigSM120 in
 * elements for block-scaled; CUTLASS sm90 defaults otherwise). */
static const int TILE_CANDIDATES[][3] = {
    {128, 32, 128}, {128, 64, 128}, {128, 128, 128}, {128, 256, 128}, {256, 128, 128},
    {64, 64, 64},   {128, 64, 64},  {128, 128, 64},  {128, 256, 64},  {64, 128, 64},
};

static int run_tgemm(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    if (d->tile_m)
        return run_tgemm_tile(a, d, d->tile_m, d->tile_n, d->tile_k, o, err, errlen);
    int found = 0;
    kmodel_out_t best = {0};
    char e[640];
    for (size_t i = 0; i < sizeof TILE_CANDIDATES / sizeof TILE_CANDIDATES[0]; i++) {
        kmodel_out_t t = {0};
        if (run_tgemm_tile(a, d, TILE_CANDIDATES[i][0], TILE_CANDIDATES[i][1],
                           TILE_CANDIDATES[i][2], &t, e, sizeof e) != 0)
            continue;
        if (!found || t.r.dur_ps < best.r.dur_ps)
            best = t;
        found = 1;
    }
    if (!found) {
        snprintf(err, errlen, "no valid tile for %s x %s on this arch", dtype_info(d->a_dt)->name,
                 dtype_info(d->b_dt)->name);
        return -1;
    }
    *o = best;
    return 0;
}

/* ----------------------------------------------------------- attention -- */

typedef struct {
    int n_ctas;
    kitem_t full, last;
    int per_head;
} attn_ctx_t;

static int attn_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    const attn_ctx_t *g = k->ctx;
    if (idx > 0)
        return 0;
    *out = (cta % g->per_head) == g->per_head - 1 ? g->last : g->full;
    return 1;
}

static kitem_t attn_make_item(const arch_t *a, const kdesc_t *d, int64_t tokens)
{
    const attn_impl_t *im = d->attn;
    double kv_elem = dtype_bytes_per_elem(d->kv_dt);
    int64_t group = d->heads_q / d->heads_kv;
    double rows = fmax(16.0, (double)(group * d->m)); /* MMA M padded to 16 */
    int steps = (int)fmax(1, (double)cdiv(tokens, im->kv_tile));
    double tile_tokens = (double)tokens / steps;
    double flop = 2.0 * 2.0 * rows * tile_tokens * (double)d->head_dim;
    double softmax_inst = rows * tile_tokens * 8.0 / 32.0;
    kitem_t it = {
        .n_steps = steps,
        .dram_bytes = tile_tokens * (double)d->head_dim * 2.0 * kv_elem,
        .compute_cyc = flop / a->mma_bf16_flop_per_clk_sm + softmax_inst / a->issue_warp_inst_per_clk_sm,
        .pre_cyc = 0,
        .l2_bytes = 0,
        .epi_cyc = 64.0 + rows * (double)d->head_dim / 32.0,
        .epi_dram_bytes = (double)(group * d->m * d->head_dim) * 4.0,
    };
    return it;
}

static int run_attention(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    const attn_impl_t *im = d->attn;
    assert(im != NULL);
    /* split the KV sequence so that heads_kv x splits CTAs fill the SMs, but
     * never below min_chunk tokens per CTA */
    int64_t splits = cdiv((int64_t)a->n_sm, d->heads_kv);
    int64_t max_splits = cdiv(d->ctx, im->min_chunk);
    if (splits > max_splits)
        splits = max_splits;
    if (splits < 1)
        splits = 1;
    int64_t chunk = cdiv(d->ctx, splits);
    attn_ctx_t g = {.per_head = (int)splits};
    g.n_ctas = (int)(d->heads_kv * splits);
    g.full = attn_make_item(a, d, chunk);
    g.last = attn_make_item(a, d, d->ctx - chunk * (splits - 1));
    kspec_t k = {.n_ctas = g.n_ctas, .ctas_per_sm = occupancy(a, im->threads, 0),
                 .stages = im->stages, .item = attn_item, .ctx = &g};
    if (kexec_run(a, &k, &o->r, err, errlen) != 0)
        return -1;
    if (splits > 1 && im->merge_kernel) {
        kdesc_t m = {.kind = KM_ELEMENTWISE,
                     .bytes = (double)(splits + 1) * (double)(d->heads_q * d->m * d->head_dim) * 4.0,
                     .rows = d->heads_q * d->m, .inst_per_byte = 0.5, .hot_in_l2 = 1};
        kmodel_out_t mo = {0};
        if (kmodel_run(a, &m, &mo, err, errlen) != 0)
            return -1;
        o->extra_kernels = 1;
        o->extra_us = mo.us;
    }
    return 0;
}

/* --------------------------------------------------------- elementwise -- */

typedef struct {
    kitem_t it;
} ew_ctx_t;

static int ew_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    (void)cta;
    if (idx > 0)
        return 0;
    *out = ((const ew_ctx_t *)k->ctx)->it;
    return 1;
}

static int run_elementwise(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    const int threads = 256, vec = 16, in_flight = 4;
    double step_bytes = threads * vec;
    int64_t ctas = d->rows > 0 ? d->rows : (int64_t)ceil(d->bytes / (step_bytes * in_flight));
    int64_t max_ctas = (int64_t)a->n_sm * 8;
    if (ctas > max_ctas)
        ctas = max_ctas;
    if (ctas < 1)
        ctas = 1;
    double per_cta = d->bytes / (double)ctas;
    int steps = (int)fmax(1, ceil(per_cta / step_bytes));
    ew_ctx_t g = {.it = {
        .n_steps = steps,
        .dram_bytes = d->hot_in_l2 ? 0 : per_cta / steps,
        .l2_bytes = d->hot_in_l2 ? per_cta / steps : 0,
        .compute_cyc = d->inst_per_byte * (per_cta / steps) / 32.0 / a->issue_warp_inst_per_clk_sm,
        .epi_cyc = 100.0, /* block-wide reduction or final barrier */
    }};
    kspec_t k = {.n_ctas = (int)ctas, .ctas_per_sm = occupancy(a, threads, 0), .stages = in_flight,
                 .item = ew_item, .ctx = &g};
    return kexec_run(a, &k, &o->r, err, errlen);
}

/* ------------------------------------------------------------ dispatch -- */

int kmodel_run(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    int rc;
    double unique = 0;
    switch (d->kind) {
    case KM_GEMV:
        rc = run_gemv(a, d, o, err, errlen);
        unique = (double)d->n * (double)d->k * dtype_bytes_per_elem(d->b_dt);
        break;
    case KM_GEMM:
    case KM_GROUPED_GEMM:
        rc = run_tgemm(a, d, o, err, errlen);
        unique = (double)d->n * (double)d->k * dtype_bytes_per_elem(d->b_dt) *
                 (d->kind == KM_GROUPED_GEMM ? (double)d->groups : 1.0);
        break;
    case KM_ATTENTION:
        rc = run_attention(a, d, o, err, errlen);
        unique = (double)d->ctx * (double)(d->heads_kv * d->head_dim) * 2.0 * dtype_bytes_per_elem(d->kv_dt);
        break;
    case KM_ELEMENTWISE:
        rc = run_elementwise(a, d, o, err, errlen);
        unique = d->hot_in_l2 ? 0 : d->bytes;
        break;
    default:
        assert(0 && "unknown kernel model kind");
        return -1;
    }
    if (rc != 0)
        return rc;
    double dur_us = (double)o->r.dur_ps * 1e-6;
    o->us = dur_us + a->kernel_fixed_ns * 1e-3 + o->extra_us;
    o->ideal_us = unique / (arch_dram_bw_bytes_per_ps(a) * 1e6);
    double dur = (double)(o->r.dur_ps > 0 ? o->r.dur_ps : 1);
    double dram_frac = (double)o->r.dram_busy_ps / dur;
    double unit_frac = (double)o->r.unit_busy_max_ps / dur;
    if (dram_frac >= 0.6 && dram_frac >= unit_frac)
        o->bound = BOUND_DRAM;
    else if (unit_frac >= 0.6)
        o->bound = BOUND_COMPUTE;
    else
        o->bound = BOUND_LATENCY;
    return 0;
}
