/* gemm.c -- CUTLASS-style tiled GEMM: configuration, rules, execution.
 * File references are to NVIDIA/cutlass include/cutlass/gemm/ unless noted
 * (commit in ../shared/research/sm121_facts.md). */
#include "models/gemm.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int is_scaled(dtype_t t)
{
    return t == DT_MXFP8 || t == DT_MXFP6 || t == DT_MXFP4 || t == DT_NVFP4;
}

static int is_fp4(dtype_t t)
{
    return t == DT_MXFP4 || t == DT_NVFP4;
}

static int is_sm12x(const arch_t *a)
{
    return a->cc >= 120 && a->cc < 130;
}

/* Everything a rule may look at. */
typedef struct {
    const arch_t *a;
    const gemm_opts_t *o;
    gemm_cfg_t *c;
    dtype_t mma_a, mma_b;   /* operand types as the MMA sees them (after swap-AB) */
    int scaled, mixed;
    double rate;            /* FLOP/clk/SM of the chosen MMA */
} rctx_t;

/* A rule returns 1 when satisfied, else 0 with why filled. */
typedef int (*rule_fn)(const rctx_t *x, char *why, size_t n);

static int r_arch_has_mma(const rctx_t *x, char *why, size_t n)
{
    if (x->rate > 0)
        return 1;
    snprintf(why, n, "the arch has no %s instruction (rate 0 in its data file)", x->c->mma);
    return 0;
}

static int r_scaled_needs_both(const rctx_t *x, char *why, size_t n)
{
    if (x->scaled || x->mixed || (!is_scaled(x->o->a_dt) && !is_scaled(x->o->b_dt)))
        return 1;
    snprintf(why, n, "%s x %s: a block-scaled operand needs a block-scaled partner (or 16-bit "
             "activations for the mixed-input path)", dtype_info(x->o->a_dt)->name,
             dtype_info(x->o->b_dt)->name);
    return 0;
}

static int r_sf_types_match(const rctx_t *x, char *why, size_t n)
{
    if (!x->scaled || (x->o->a_dt == DT_NVFP4) == (x->o->b_dt == DT_NVFP4))
        return 1;
    snprintf(why, n, "NVFP4 (UE4M3 scales) cannot pair with an MX type (UE8M0 scales): one "
             "scale type per instruction");
    return 0;
}

static int r_sf_vector(const rctx_t *x, char *why, size_t n)
{
    int v = x->c->sf_vec;
    if (!x->scaled)
        return 1;
    if (v != 16 && v != 32 && v != 64 && v != 128) {
        snprintf(why, n, "SF vector %d: expected 16 or 32 (hardware) or 64/128 (hypothetical)", v);
        return 0;
    }
    if (v == 16 && !(is_fp4(x->mma_a) && is_fp4(x->mma_b))) {
        snprintf(why, n, "SF vector 16 needs FP4 x FP4 (kind::mxf4nvf4 scale_vec::4X); "
                 "kind::mxf8f6f4 asserts VS == 32");
        return 0;
    }
    return 1;
}

static int r_cluster(const rctx_t *x, char *why, size_t n)
{
    int cm = x->o->cluster_m > 1 ? x->o->cluster_m : 1, cn = x->o->cluster_n > 1 ? x->o->cluster_n : 1;
    if (!is_sm12x(x->a) || cm * cn == 1)
        return 1;
    snprintf(why, n, "cluster %dx%dx1: SM12x has no TMA multicast, the cluster must be 1x1x1", cm, cn);
    return 0;
}

static int r_coop_tile_m(const rctx_t *x, char *why, size_t n)
{
    if (x->o->sched != GEMM_COOP || x->c->tile_m >= 128)
        return 1;
    snprintf(why, n, "TileM %d: Cooperative kernel requires Tile Size to be greater than or equal "
             "to 128 along the M-dimension", x->c->tile_m);
    return 0;
}

static int r_tile_n(const rctx_t *x, char *why, size_t n)
{
    int tn = x->c->tile_n;
    int ok = is_sm12x(x->a) ? (tn == 8 || tn == 16 || (tn % 32 == 0 && tn <= 256))
                            : (tn % 8 == 0 && tn <= 256);
    if (ok)
        return 1;
    snprintf(why, n, is_sm12x(x->a) ? "TileN %d: SM120 B tiles are 8, 16 or a multiple of 32 up to 256 "
                                      "(ldmatrix x1/x2/x4 selection)"
                                    : "TileN %d: wgmma N is a multiple of 8 up to 256", tn);
    return 0;
}

static int r_pingpong_tile_n(const rctx_t *x, char *why, size_t n)
{
    /* SM120's pingpong warp layout (its source below); Hopper's pingpong runs
     * one warp group per tile, and wgmma has N = 8 (PTX ISA .m64n8k16) */
    if (!is_sm12x(x->a) || x->o->sched != GEMM_PINGPONG || x->c->tile_n >= 16)
        return 1;
    snprintf(why, n, "TileN %d: pingpong needs TileN >= 16 (its MMA warp layout)", x->c->tile_n);
    return 0;
}

static int r_tile_m(const rctx_t *x, char *why, size_t n)
{
    int tm = x->c->tile_m;
    /* Hopper wgmma: a CTA tile is a whole number of 64-row warp-group MMAs (PTX
     * ISA wgmma.mma_async .m64nNk16) with no further cap: cuBLAS's
     * nvjet_sm90_tst_512x8 kernels run 512-row tiles on H100
     * (traces/hopper/h100_cuda_gpu_trace.csv); elsewhere 64..256 as before */
    int hopper = x->a->cc >= 90 && x->a->cc < 100;
    if (x->scaled ? tm % 128 == 0 && tm <= 256 : tm % 64 == 0 && (hopper || tm <= 256))
        return 1;
    snprintf(why, n, x->scaled ? "TileM %d: block-scaled tiles span whole 128-row SF atoms (128 or 256)"
                     : hopper  ? "TileM %d: expected a multiple of 64 (wgmma M per warp group)"
                               : "TileM %d: expected 64, 128, 192 or 256", tm);
    return 0;
}

static int r_tile_k(const rctx_t *x, char *why, size_t n)
{
    int tk = x->c->tile_k;
    /* a real SF atom column holds 4 scale factors; a hypothetical SF vector
     * only has to tile K */
    int need = x->scaled ? (x->c->hypothetical ? x->c->sf_vec : 4 * x->c->sf_vec) : 32;
    int kmma = x->scaled && is_fp4(x->mma_a) && is_fp4(x->mma_b) ? 64 : 32;
    if (need < kmma)
        need = kmma;
    if (tk > 0 && tk % need == 0 && tk <= 1024)
        return 1;
    snprintf(why, n, "TileK %d: must be a multiple of %d (%s)", tk, need,
             x->scaled ? "4 scale factors per SF atom column" : "the MMA K");
    return 0;
}

static int r_stages(const rctx_t *x, char *why, size_t n)
{
    const gemm_cfg_t *c = x->c;
    if (c->stages >= 2)
        return 1;
    if (x->o->stages > 0)
        snprintf(why, n, "the kernel was given %d stage(s): Specialization requires Stages set "
                 "to value 2 or more", x->o->stages);
    else
        snprintf(why, n, "needs %.0f B of smem per CTA for 2 stages of %.0f B plus %.0f B "
                 "epilogue and %.0f B scheduler storage, the arch allows %.0f B: Specialization "
                 "requires Stages set to value 2 or more", 2 * c->stage_bytes +
                 c->smem_epilogue_bytes + c->smem_reserved_bytes, c->stage_bytes,
                 c->smem_epilogue_bytes, c->smem_reserved_bytes, x->a->smem_per_cta_max_bytes);
    return 0;
}

/* A kernel's own stage count (opts.stages) must fit where the derived one
 * does: stages x stage bytes + epilogue + scheduler storage within the
 * per-CTA shared memory. */
static int r_stages_fit(const rctx_t *x, char *why, size_t n)
{
    const gemm_cfg_t *c = x->c;
    if (x->o->stages <= c->stages_fit)
        return 1;
    snprintf(why, n, "%d stages of %.0f B plus %.0f B epilogue and %.0f B scheduler storage need "
             "%.0f B of smem per CTA, the arch allows %.0f B: at most %d stages fit",
             x->o->stages, c->stage_bytes, c->smem_epilogue_bytes, c->smem_reserved_bytes,
             x->o->stages * c->stage_bytes + c->smem_epilogue_bytes + c->smem_reserved_bytes,
             x->a->smem_per_cta_max_bytes, c->stages_fit);
    return 0;
}

/* Registers one CTA holds: CUTLASS's warp-specialized kernels (sm90
 * cooperative and pingpong, which SM120 builds on) launch 384 threads with
 * __launch_bounds__(384, MinBlocksPerMultiprocessor 1) and re-balance with
 * setmaxnreg: the producer warp group keeps LoadRegisterRequirement = 40 per
 * thread, the two MMA warp groups take MmaRegisterRequirement = 232
 * (kernel/sm90_gemm_tma_warpspecialized_cooperative.hpp, _pingpong.hpp) */
enum { CTA_REGS = 128 * 40 + 256 * 232 };

static int r_regs_fit(const rctx_t *x, char *why, size_t n)
{
    if (x->a->regs_per_sm >= CTA_REGS)
        return 1;
    snprintf(why, n, "one CTA holds %d registers (128 producer threads x 40 + 256 MMA threads x "
             "232 after setmaxnreg), the arch has regs_per_sm=%.0f", CTA_REGS, x->a->regs_per_sm);
    return 0;
}

typedef struct {
    gemm_rule_info_t info;
    rule_fn ok;
    int after_smem;     /* 1: needs the smem derivation */
} rule_t;

static const rule_t RULES[] = {
    {{"arch_has_the_mma", "include/cute/arch/config.hpp (MMA availability per arch)"}, r_arch_has_mma, 0},
    {{"block_scaled_needs_both_operands_scaled",
      "collective/builders/sm120_blockscaled_mma_builder.inl (OpClassBlockScaledTensorOp)"}, r_scaled_needs_both, 0},
    {{"scale_factor_types_match", "include/cute/arch/mma_sm120.hpp (one SF type per instruction)"}, r_sf_types_match, 0},
    {{"sf_vector_supported", "include/cute/arch/mma_sm120.hpp (SM120_16x8x32_TN_VS: VS == 32; 16x8x64 4X: 16)"}, r_sf_vector, 0},
    {{"cluster_is_1x1x1_on_sm12x",
      "sm120_blockscaled_mma_builder.inl: \"no programmatic multicast on this arch\""}, r_cluster, 0},
    {{"cooperative_tile_m_at_least_128",
      "kernel/sm90_gemm_tma_warpspecialized_cooperative.hpp static_assert"}, r_coop_tile_m, 0},
    {{"tile_n_is_8_16_or_multiple_of_32", "collective/builders/sm120_common.inl (B ldmatrix x1/x2/x4)"}, r_tile_n, 0},
    {{"pingpong_tile_n_at_least_16", "collective/builders/sm120_blockscaled_mma_builder.inl (pingpong warp layout)"}, r_pingpong_tile_n, 0},
    {{"block_scaled_tile_m_whole_sf_atoms",
      "include/cutlass/detail/sm100_blockscaled_layout.hpp (128-row SF atom); seed 004 TMA failure at TileM 64"}, r_tile_m, 0},
    {{"tile_k_multiple_of_sf_atom_k", "include/cutlass/detail/sm100_blockscaled_layout.hpp (4 SF per atom column)"}, r_tile_k, 0},
    {{"stages_at_least_2",
      "collective/sm120_blockscaled_mma_array_tma.hpp: \"Specialization requires Stages set to value 2 or more\""}, r_stages, 1},
    {{"stages_fit_in_smem",
      "a kernel's SharedStorage must fit the per-CTA opt-in shared memory (arch "
      "smem_per_cta_max_bytes; GemmUniversalAdapter::initialize sets "
      "cudaFuncAttributeMaxDynamicSharedMemorySize and fails above it)"}, r_stages_fit, 1},
    {{"registers_fit_on_the_sm",
      "kernel/sm90_gemm_tma_warpspecialized_cooperative.hpp LoadRegisterRequirement 40, "
      "MmaRegisterRequirement 232 (setmaxnreg) for 128 + 256 threads"}, r_regs_fit, 0},
};
#define NRULES (sizeof RULES / sizeof RULES[0])

_Static_assert(sizeof RULES / sizeof RULES[0] <= 32, "a relax mask holds every rule");

int gemm_rule_mask(const char *list, unsigned *mask, char *err, size_t errlen)
{
    *mask = 0;
    if (strcmp(list, "all") == 0) {
        *mask = (unsigned)((1ull << NRULES) - 1);
        return 0;
    }
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        while (i < NRULES && (strlen(RULES[i].info.name) != n || strncmp(RULES[i].info.name, p, n)))
            i++;
        if (i == NRULES) {
            char names[1200];
            gemm_rule_names((unsigned)((1ull << NRULES) - 1), names, sizeof names);
            snprintf(err, errlen, "--relax: unknown rule '%.*s'; expected all or a comma-separated "
                     "list of %s", (int)n, p, names);
            return -1;
        }
        *mask |= 1u << i;
        p += n;
        if (*p == ',')
            p++;
    }
    if (*mask == 0) {
        snprintf(err, errlen, "--relax: expected all or a comma-separated list of rule names");
        return -1;
    }
    return 0;
}

void gemm_rule_names(unsigned mask, char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NRULES && used < buflen; i++)
        if (mask & (1u << i))
            used += (size_t)snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "",
                                     RULES[i].info.name);
}

int gemm_rule_count(void)
{
    return (int)NRULES;
}

const gemm_rule_info_t *gemm_rule(int i)
{
    assert(i >= 0 && i < (int)NRULES);
    return &RULES[i].info;
}

static int apply_rules(const rctx_t *x, int after_smem)
{
    for (size_t i = 0; i < NRULES; i++) {
        if (RULES[i].after_smem != after_smem)
            continue;
        char why[360];
        if (!RULES[i].ok(x, why, sizeof why)) {
            if (x->o->relax & (1u << i)) {
                size_t used = strlen(x->c->relaxed);
                snprintf(x->c->relaxed + used, sizeof x->c->relaxed - used, "%s%s", used ? ", " : "",
                         RULES[i].info.name);
                x->c->hypothetical = 1;
                continue;
            }
            snprintf(x->c->rule, sizeof x->c->rule, "%s", RULES[i].info.name);
            snprintf(x->c->reason, sizeof x->c->reason, "%s: %s (%s)", RULES[i].info.name, why,
                     RULES[i].info.source);
            return 0;
        }
    }
    return 1;
}

/* The epilogue carveout, sizeof(CollectiveEpilogue::SharedStorage), as the
 * SM120 epilogue builder derives it (epilogue/collective/builders/
 * sm120_builder.inl: sm120_compute_tile_shape_or_override,
 * sm120_get_tma_dispatch_policy; storage in collective/
 * sm90_epilogue_tma_warpspecialized.hpp SharedStorage). Checked against
 * CUTLASS compiled for sm_121a for every C type
 * (models/data/cutlass_sm120_probe.csv). Returns the epilogue's
 * TensorStorage bytes (its SharedStorage less the C load pipeline). */
static double epilogue_derive(const gemm_opts_t *o, gemm_cfg_t *c)
{
    int tm = c->tile_m, tn = c->tile_n, ob = o->out_bytes, cb = o->c_bytes;
    /* EpilogueTileAuto: EpiN = min(TileN, 32), EpiM = 128 below TileN 16, else 64 */
    c->epi_tile_n = tn < 32 ? tn : 32;
    c->epi_tile_m = tn < 16 ? 128 : 64;
    if (c->epi_tile_m > tm)
        c->epi_tile_m = tm;
    int epi_tiles = (tm / c->epi_tile_m) * (tn / c->epi_tile_n);
    /* StagesD = min(EpiTiles, 2); C reuses D's buffers when as wide and wider
     * than 8 bits (ReuseSmem), then StagesC = max(min(EpiTiles, 2), StagesD + 1),
     * else StagesC = StagesD */
    int reuse = cb > 0 && cb == ob && ob > 1;
    c->epi_stages_d = epi_tiles < 2 ? epi_tiles : 2;
    c->epi_stages_c = c->epi_stages_d;
    if (reuse && c->epi_stages_c < c->epi_stages_d + 1)
        c->epi_stages_c = c->epi_stages_d + 1;
    double sub = (double)c->epi_tile_m * c->epi_tile_n;
    /* each buffer aligned to its swizzle atom: 8 rows of min(EpiN x bytes, 128 B)
     * (alignment_for_swizzle of the ss_smem_selector atom) */
    double al_d = 8.0 * (c->epi_tile_n * ob < 128 ? c->epi_tile_n * ob : 128);
    double al_c = 8.0 * (c->epi_tile_n * cb < 128 ? c->epi_tile_n * cb : 128);
    double d = c->epi_stages_d * sub * ob, al = al_d, coll;
    if (cb == 0)
        coll = d;                                     /* CollectiveStorageWithoutC */
    else if (reuse)
        coll = c->epi_stages_c * sub * cb;            /* CollectiveStorageReuseC: a union */
    else {                                            /* CollectiveStorageWithC */
        al = al_c > al_d ? al_c : al_d;
        coll = ceil(c->epi_stages_c * sub * cb / al_d) * al_d + d;
        coll = ceil(coll / al) * al;
    }
    /* + the fusion callbacks' 1-B empty storage, padded to the alignment; then
     * the C load pipeline (PipelineTransactionAsync<StagesC>: 16 B a stage)
     * and, grouped, the tensormaps of C and of D for each of the 2 epilogue
     * warp groups, 128 B each (sm90_epilogue_array_tma_warpspecialized.hpp
     * TensorMapStorage), together padded to the alignment */
    double tensor = coll + al, tail = 16.0 * c->epi_stages_c + (o->grouped ? 3 * 128.0 : 0);
    c->smem_epilogue_bytes = tensor + ceil(tail / al) * al;
    /* no C: StagesD = 2 buffers of 64 x EpiN, each row padded by EpiN / 8
     * elements; the same bytes as the rule above for TileM >= 128 and D of at
     * most 4 B, dense (probe: 9216, 4608, 2304 B for TileN >= 32, 16, 8 with
     * bf16 D); below TileM 128 the builder takes one D stage where this keeps
     * two, and grouped it adds the tensormaps (probe: 4864, 2688 B at TileN 16, 8) */
    if (cb == 0)
        c->smem_epilogue_bytes = 2.0 * 64 * (c->epi_tile_n + c->epi_tile_n / 8.0) * ob;
    c->tma_c_bytes_per_subtile = sub * cb;
    return tensor;
}

void gemm_cfg_derive(const arch_t *a, const gemm_opts_t *o, gemm_cfg_t *c)
{
    memset(c, 0, sizeof *c);
    c->tile_m = o->tile_m;
    c->tile_n = o->tile_n;
    c->tile_k = o->tile_k;
    /* one producer warp group + two MMA warp groups (cooperative and pingpong) */
    c->threads = 384;
    rctx_t x = {.a = a, .o = o, .c = c};
    x.mma_a = o->swap_ab ? o->b_dt : o->a_dt;
    x.mma_b = o->swap_ab ? o->a_dt : o->b_dt;
    x.scaled = is_scaled(o->a_dt) && is_scaled(o->b_dt);
    int a16 = dtype_info(o->a_dt)->elem_bits == 16;
    x.mixed = !x.scaled && a16 && dtype_info(o->b_dt)->elem_bits < 16;
    double smem_a, smem_b, dequant_cyc = 0;
    if (x.scaled) {
        if (is_fp4(x.mma_a) && is_fp4(x.mma_b)) {
            /* select_instr (builders/sm1xx_common.inl): 4-bit x 4-bit -> m16n8k64
             * kind::mxf4nvf4, FP4 packed in smem */
            c->mma = "m16n8k64 kind::mxf4nvf4";
            x.rate = a->mma_mxf4nvf4_flop_per_clk_sm;
            smem_a = smem_b = 0.5;
        } else {
            /* FP4/FP6 mixed with wider types -> m16n8k32 kind::mxf8f6f4; A/B are
             * allocated as uint8 in smem, FP4 unpacked to 1 B
             * (sm120_blockscaled_mma_builder.inl SmemAllocType) */
            c->mma = "m16n8k32 kind::mxf8f6f4";
            x.rate = a->mma_mxf8f6f4_flop_per_clk_sm;
            smem_a = smem_b = 1.0;
        }
        int native = (o->a_dt == DT_NVFP4 || o->b_dt == DT_NVFP4) ? 16 : 32;
        c->sf_vec = o->sf_vec > 0 ? o->sf_vec : native;
        c->hypothetical = c->sf_vec > 32;
    } else if (x.mixed) {
        /* mixed input (CUTLASS sm90 mixed-input GEMM, Marlin): weights stay packed in
         * smem and are converted to bf16 in registers before a bf16 MMA: about one
         * warp instruction per 2 weight elements per k-tile */
        c->mma = "bf16 MMA, weights dequantized in registers";
        x.rate = a->mma_bf16_flop_per_clk_sm;
        smem_a = o->swap_ab ? dtype_bytes_per_elem(o->b_dt) : 2.0;
        smem_b = o->swap_ab ? 2.0 : dtype_bytes_per_elem(o->b_dt);
        double w_elems = (double)(o->swap_ab ? o->tile_m : o->tile_n) * o->tile_k;
        dequant_cyc = w_elems / 2.0 / (32.0 * a->issue_warp_inst_per_clk_sm);
    } else {
        int fp8 = dtype_info(o->a_dt)->mma_class == MMA_FP8 && dtype_info(o->b_dt)->mma_class == MMA_FP8;
        c->mma = fp8 ? "fp8 MMA" : "bf16 MMA";
        x.rate = fp8 ? a->mma_fp8_flop_per_clk_sm : a->mma_bf16_flop_per_clk_sm;
        smem_a = dtype_bytes_per_elem(x.mma_a);
        smem_b = dtype_bytes_per_elem(x.mma_b);
    }
    if (!apply_rules(&x, 0))
        return;
    int tm = c->tile_m, tn = c->tile_n, tk = c->tile_k;
    if (x.scaled) {
        /* SF atom: 128 rows x 4 SF (sm100_blockscaled_layout.hpp); SFB spans
         * max(TileN, 128) rows (sm120_blockscaled_mma_builder.inl sSFBTileShape) */
        c->stage_sfa_bytes = (double)(tm > 128 ? tm : 128) * tk / c->sf_vec;
        c->stage_sfb_bytes = (double)(tn > 128 ? tn : 128) * tk / c->sf_vec;
    }
    c->stage_a_bytes = tm * tk * smem_a;
    c->stage_b_bytes = tn * tk * smem_b;
    /* one pipeline barrier pair per stage: SM120 rounds it to 128 B
     * (round_up(sizeof(PipelineTmaUmmaAsync<1>::SharedStorage), 128)); sm90: 16 B */
    double barrier = is_sm12x(a) ? 128.0 : 16.0;
    c->stage_bytes = c->stage_a_bytes + c->stage_b_bytes + c->stage_sfa_bytes + c->stage_sfb_bytes + barrier;
    /* builder L236-264: grouped: PipelineAsync<8> scheduler storage 128 B, two
     * tensormaps 256 B, PipelineAsync<3> tensormap-ready 48 B; dense: CLC
     * pipeline 48 B + 3 x 16 B CLC responses */
    c->smem_reserved_bytes = o->grouped ? 432.0 : 96.0;
    double epi_tensor = epilogue_derive(o, c);
    double cap = a->smem_per_cta_max_bytes - c->smem_reserved_bytes - c->smem_epilogue_bytes;
    c->stages_fit = cap > 0 ? (int)floor(cap / c->stage_bytes) : 0;
    c->stages = o->stages > 0 ? o->stages : c->stages_fit;
    /* the mainloop SharedStorage holds the stages' data plus the pipeline
     * barriers, aligned to 1024 B: stages x data + 1024 (probe) */
    double data = c->stage_bytes - barrier;
    c->smem_mainloop_bytes = c->stages * data + (is_sm12x(a) ? 1024.0 : c->stages * barrier);
    /* kernel SharedStorage: mainloop + epilogue rounded up to 1024 B; grouped
     * adds 1024 B of tensormaps and scheduler storage (probe: 77824 dense,
     * 78848 grouped at 128x128x128). With a C, as GemmUniversal lays it out:
     * the mainloop's TensorStorage (aligned to 1024 B) and the epilogue's,
     * together aligned to 1024 B, then every pipeline (the epilogue's C load
     * pipeline among them) in the mainloop's pipeline bytes rounded up to
     * 1024 B (probe: 94208 with fp32 C at 128x128x128, 93184 with bf16 C at
     * MXFP4 128x256x128) */
    double grouped_extra = o->grouped ? 1024.0 : 0;
    if (o->c_bytes > 0) {
        double tensors = ceil(c->stages * data / 1024.0) * 1024.0 + epi_tensor;
        double pipes = c->smem_mainloop_bytes - c->stages * data;
        c->smem_total_bytes = ceil(tensors / 1024.0) * 1024.0 + ceil(pipes / 1024.0) * 1024.0 +
                              grouped_extra;
    } else
        c->smem_total_bytes = ceil((c->smem_mainloop_bytes + c->smem_epilogue_bytes) / 1024.0) * 1024.0 +
                              grouped_extra;
    double gm_a = dtype_info(x.mma_a)->elem_bits / 8.0, gm_b = dtype_info(x.mma_b)->elem_bits / 8.0;
    c->tma_bytes_per_ktile = tm * tk * gm_a + tn * tk * gm_b + c->stage_sfa_bytes + c->stage_sfb_bytes;
    c->mma_cyc_per_ktile = x.rate > 0 ? 2.0 * tm * tn * tk / x.rate + dequant_cyc : 0;
    int by_smem = (int)(a->smem_per_sm_bytes / (c->smem_total_bytes > 0 ? c->smem_total_bytes : 1));
    int by_threads = (int)(a->max_threads_per_sm / c->threads);
    int by_regs = (int)(a->regs_per_sm / CTA_REGS);
    c->ctas_per_sm = by_smem < by_threads ? by_smem : by_threads;
    if (by_regs < c->ctas_per_sm)
        c->ctas_per_sm = by_regs;
    if (c->ctas_per_sm < 1)
        c->ctas_per_sm = 1;
    if (!apply_rules(&x, 1))
        return;
    c->valid = 1;
    snprintf(c->reason, sizeof c->reason, "ok");
}

int gemm_check_problem(const gemm_opts_t *o, const gemm_problem_t *p, gemm_cfg_t *c)
{
    /* TMA global strides must be multiples of 16 B (cute/arch/copy_sm90_desc.hpp) */
    double ka = (double)p->k * dtype_info(o->a_dt)->elem_bits / 8.0;
    double kb = (double)p->k * dtype_info(o->b_dt)->elem_bits / 8.0;
    double nd = (double)p->n * o->out_bytes;
    const char *bad = fmod(ka, 16) ? "K x sizeof(A) (TMA row stride)"
                    : fmod(kb, 16) ? "K x sizeof(B) (TMA row stride)"
                    : fmod(nd, 16) ? "N x sizeof(D) (TMA store row stride)" : NULL;
    if (bad) {
        c->valid = 0;
        snprintf(c->rule, sizeof c->rule, "problem_strides_16_byte_aligned");
        snprintf(c->reason, sizeof c->reason, "problem_strides_16_byte_aligned: %s is not a multiple "
                 "of 16 B for m=%lld n=%lld k=%lld (cute/arch/copy_sm90_desc.hpp)", bad,
                 (long long)p->m, (long long)p->n, (long long)p->k);
        return -1;
    }
    if (o->stream_k && (o->grouped || o->sched != GEMM_COOP || o->split_k > 1)) {
        c->valid = 0;
        snprintf(c->rule, sizeof c->rule, "stream_k_dense_cooperative");
        snprintf(c->reason, sizeof c->reason, "stream_k_dense_cooperative: stream-K runs dense "
                 "cooperative kernels without split-K (kernel/tile_scheduler.hpp: \"Ping-pong kernel "
                 "does not currently support stream-K\"; grouped kernels use the group scheduler)");
        return -1;
    }
    if (o->split_k > 1 && (o->grouped || o->split_k > cdiv(p->k, o->tile_k))) {
        c->valid = 0;
        snprintf(c->rule, sizeof c->rule, "split_k_fits");
        snprintf(c->reason, sizeof c->reason, "split_k_fits: split-K %d needs a dense GEMM with at "
                 "least %d k-tiles (kernel/tile_scheduler.hpp StreamK/split-K)", o->split_k, o->split_k);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ execution -- */

typedef struct {
    const gemm_opts_t *o;
    const gemm_problem_t *p;
    const gemm_cfg_t *c;
    int64_t tok_per_group;      /* token rows per group */
    int64_t m_tiles, n_tiles;   /* kernel tile grid per group */
    int64_t tiles_per_group, total;  /* total includes split_k */
    int k_tiles, k_tiles_slice, grid, persistent;
    double elem_mma_a, elem_mma_b, desc_cyc, epi_cyc;
    double k_eff;               /* elements of K per k-tile: k / ceil(k / tile_k) */
    int64_t m_ext, n_ext;       /* kernel M and N extents per group */
} tg_t;

/* group, m-tile, n-tile and K slice of work tile t (groups in order, slices
 * slowest within a tile, n fastest) */
static void coords(const tg_t *g, int64_t t, int64_t *grp, int64_t *mt, int64_t *nt, int64_t *ks)
{
    int64_t split = g->o->split_k > 1 ? g->o->split_k : 1;
    int64_t tile = t / split;
    *ks = t % split;
    *grp = tile / g->tiles_per_group;
    int64_t r = tile % g->tiles_per_group;
    *mt = r / g->n_tiles;
    *nt = r % g->n_tiles;
}

/* Stream-K: CTA cta owns global k-iterations [cta*per, (cta+1)*per) of the
 * tiles laid end to end; its idx-th unit is the idx-th tile piece in that
 * range. Returns 0 past the end; else the tile, its first k-tile and length. */
static int stream_unit(const tg_t *g, int cta, int idx, int64_t *tile, int *k0, int *len)
{
    int64_t total = g->total * g->k_tiles, per = cdiv(total, g->grid);
    int64_t s = (int64_t)cta * per, end = s + per < total ? s + per : total;
    for (int i = 0;; i++) {
        if (s >= end)
            return 0;
        int64_t left = g->k_tiles - s % g->k_tiles;
        int64_t n = left < end - s ? left : end - s;
        if (i == idx) {
            *tile = s / g->k_tiles;
            *k0 = (int)(s % g->k_tiles);
            *len = (int)n;
            return 1;
        }
        s += n;
    }
}

static int tg_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    const tg_t *g = k->ctx;
    const gemm_cfg_t *c = g->c;
    int64_t grp, mt, nt, ks, t;
    int k0 = 0, steps = 0;
    if (g->o->stream_k) {
        if (!stream_unit(g, cta, idx, &t, &k0, &steps))
            return 0;
        coords(g, t, &grp, &mt, &nt, &ks);
    } else {
        t = g->persistent ? cta + (int64_t)idx * g->grid : (idx == 0 ? cta : g->total);
        if (t >= g->total)
            return 0;
        coords(g, t, &grp, &mt, &nt, &ks);
        steps = g->k_tiles_slice;
        if (ks == (g->o->split_k > 1 ? g->o->split_k : 1) - 1)
            steps = g->k_tiles - g->k_tiles_slice * (int)ks;
        k0 = (int)ks * g->k_tiles_slice;
    }
    /* kernel M and N extents: tokens x weights, or weights x tokens after swap-AB */
    int64_t m_ext = g->o->swap_ab ? g->p->n : g->tok_per_group;
    int64_t n_ext = g->o->swap_ab ? g->tok_per_group : g->p->n;
    int64_t rows = m_ext - mt * c->tile_m, cols = n_ext - nt * c->tile_n;
    rows = rows < c->tile_m ? rows : c->tile_m;
    cols = cols < c->tile_n ? cols : c->tile_n;
    /* a cluster's tiles past the problem (rounding to the cluster shape) load
     * nothing of their own but take their share of the multicast operand */
    rows = rows > 0 ? rows : 0;
    cols = cols > 0 ? cols : 0;
    /* DRAM and L2 serve neither out-of-bounds rows nor out-of-bounds K (TMA
     * zero-fills them; what the SM receives is port_bytes below); SF tensors
     * are padded to 128 rows in memory, so whole SF atoms are fetched */
    double k_eff = g->k_eff;
    double a_b = rows > 0 ? (double)rows * k_eff * g->elem_mma_a + c->stage_sfa_bytes : 0;
    double b_b = cols > 0 ? (double)cols * k_eff * g->elem_mma_b + c->stage_sfb_bytes : 0;
    /* TMA multicast in a cm x cn cluster (CUTLASS sm90 CollectiveMma with
     * SM90_TMA_LOAD_MULTICAST): the A tile is shared by the cn CTAs of a
     * cluster row and the B tile by the cm CTAs of a cluster column; each CTA
     * issues 1/cn of A and 1/cm of B and receives both whole */
    int cm = g->o->cluster_m > 1 ? g->o->cluster_m : 1, cn = g->o->cluster_n > 1 ? g->o->cluster_n : 1;
    double a_iss = a_b / cn, b_iss = b_b / cm;
    /* the weight operand comes from DRAM the first time its tile is visited
     * (by the first cluster row or column) and from L2 after; activations from
     * L2 when hot, else DRAM once */
    int w_first = g->o->swap_ab ? nt < cn : mt < cm;
    int x_first = g->o->swap_ab ? mt < cm : nt < cn;
    double w = g->o->swap_ab ? a_iss : b_iss, xb = g->o->swap_ab ? b_iss : a_iss;
    int x_dram = !g->p->a_in_l2 && x_first;
    memset(out, 0, sizeof *out);
    out->n_steps = steps;
    out->dram_bytes = (w_first ? w : 0) + (x_dram ? xb : 0);
    out->l2_bytes = (w_first ? 0 : w) + (x_dram ? 0 : xb);
    /* the SM receives whole boxes, rows and K past the tensor included: TMA's
     * zero fill crosses the L2-to-SM path like data (traces/hopper/
     * ncu_tmabench11_h100.csv: a box with 1 of 64 rows in bounds reads no DRAM
     * and delivers all 64 rows; ncu_gemm_h100.csv: the grouped GEMM at one
     * token per group receives 3.06x its DRAM bytes) */
    double a_box = (double)c->tile_m * c->tile_k * g->elem_mma_a + c->stage_sfa_bytes;
    double b_box = (double)c->tile_n * c->tile_k * g->elem_mma_b + c->stage_sfb_bytes;
    out->port_bytes = a_box + b_box;
    /* what the CTA issues past the tensor: its share of each box, less the
     * in-bounds bytes */
    out->oob_bytes = (a_box - a_b) / cn + (b_box - b_b) / cm;
    /* each k-tile visits every weight row for tile_k elements only */
    out->dram_run_bytes = (double)c->tile_k * dtype_info(g->o->b_dt)->elem_bits / 8.0;
    out->tma = 1; /* CUTLASS sm90/sm120 mainloops load k-tiles with TMA */
    /* the weight tile's rows reach DRAM together (a multicast tile's halves
     * too), in boxes of at most 256 rows */
    double w_rows = g->o->swap_ab ? c->tile_m : c->tile_n;
    out->tma_box_rows = w_rows < 256 ? w_rows : 256;
    /* boxes the CTA issues per k-tile: 128-B-swizzled boxes are 128 B wide
     * along K and at most 256 rows (cute/atom/copy_traits_sm90_tma.hpp box
     * limits), a cluster splits a shared tile's rows among its CTAs; one box
     * per scale-factor tensor */
    double kb_a = c->tile_k * g->elem_mma_a, kb_b = c->tile_k * g->elem_mma_b;
    out->tma_boxes = (int)(ceil(kb_a / 128.0) * ceil(c->tile_m / (double)cn / 256.0) +
                           ceil(kb_b / 128.0) * ceil(c->tile_n / (double)cm / 256.0)) +
                     (c->stage_sfa_bytes > 0) + (c->stage_sfb_bytes > 0);
    /* the weight tile, the step's DRAM bytes, is multicast when the cluster
     * spans more than one tile along the tokens */
    if (w_first && (g->o->swap_ab ? cn : cm) > 1)
        out->mc_tile_bytes = g->o->swap_ab ? a_b : b_b;
    out->compute_cyc = c->mma_cyc_per_ktile;
    /* ptr-array kernels rewrite the A/B/SFA/SFB tensormaps when a CTA's next
     * tile is in another group; the first tile always loads its group's
     * (kernel/sm90_gemm_array_tma_warpspecialized_cooperative.hpp
     * tensormaps_perform_update + cp_fence_release + fence_acquire) */
    if (g->o->grouped) {
        int64_t pg = -1, pm, pn, pk;
        if (idx > 0)
            coords(g, t - g->grid, &pg, &pm, &pn, &pk);
        out->pre_cyc = pg != grp ? g->desc_cyc : 0;
    }
    out->epi_cyc = g->epi_cyc;
    double out_elem = g->o->split_k > 1 ? 4.0 : g->o->out_bytes; /* split-K: fp32 partials */
    int stores_d = g->o->split_k <= 1;
    if (g->o->stream_k && steps < g->k_tiles) {
        /* a piece of a split tile: earlier pieces leave fp32 partials, the last
         * piece reads them back (about one per earlier piece) and stores D */
        int last = k0 + steps == g->k_tiles;
        double partial = (double)rows * (double)cols * 4.0;
        int64_t per = cdiv(g->total * g->k_tiles, g->grid);
        double earlier = k0 > 0 ? (double)cdiv(k0, per < g->k_tiles ? per : g->k_tiles) : 0;
        out_elem = last ? g->o->out_bytes : 4.0;
        stores_d = last;
        if (last)
            out->l2_bytes += earlier * partial / steps;
    }
    out->epi_dram_bytes = (double)rows * (double)cols * out_elem;
    /* a source operand C: the epilogue that stores D loads C's tile first */
    if (stores_d)
        out->epi_dram_bytes += (double)rows * (double)cols * g->o->c_bytes;
    return 1;
}

/* Folding (kexec.h): units are work tiles t = cta + idx x grid, the order in
 * which the persistent CTAs walk them. A tile's item depends on t only
 * through (tg_item): its row mt against the row classes (the first cluster
 * rows, whose weights or activations come first from DRAM; the partial last
 * row; the rows past the problem from cluster rounding), its column nt
 * against the same column classes, and in a grouped kernel its in-group
 * position p against grid (a CTA's previous tile, grid earlier, was in
 * another group: the tensormap update; a first tile, t < grid, has p < grid
 * too). Runs of equal items can only end at those boundaries, rows of one row
 * class repeat, and groups repeat (they have the same tokens). Split-K and
 * stream-K launches declare nothing (kspec_t.repeat is not set). */

static void tg_item_at(const kspec_t *k, int64_t t, kitem_t *it)
{
    const tg_t *g = k->ctx;
    int ok = tg_item(k, (int)(t % g->grid), (int)(t / g->grid), it);
    assert(ok);
    (void)ok;
}

/* The first boundary after in-group position p within its row: a column
 * class or, grouped, p = grid; else the next row's start. */
static int64_t tg_next_point(const tg_t *g, int64_t p)
{
    int64_t cn = g->o->cluster_n > 1 ? g->o->cluster_n : 1, tn = g->c->tile_n;
    int64_t cols[] = {cn, g->n_ext / tn, cdiv(g->n_ext, tn)};
    int64_t row = p - p % g->n_tiles, best = row + g->n_tiles;
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (row + cols[i] > p && cols[i] < g->n_tiles && row + cols[i] < best)
            best = row + cols[i];
    if (g->o->grouped && g->grid > p && g->grid < best)
        best = g->grid;
    return best;
}

/* The first row of the next row class after row mt (at most m_tiles). */
static int64_t tg_next_row_class(const tg_t *g, int64_t mt)
{
    int64_t cm = g->o->cluster_m > 1 ? g->o->cluster_m : 1, tm = g->c->tile_m;
    int64_t rows[] = {cm, g->m_ext / tm, cdiv(g->m_ext, tm)};
    int64_t best = g->m_tiles;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i] > mt && rows[i] < best)
            best = rows[i];
    return best;
}

/* The first unit in [t, limit) whose item differs from *ref, else limit;
 * whole_groups: a group found equal to ref throughout ends the walk. */
static int64_t tg_walk(const kspec_t *k, int64_t t, int64_t limit, const kitem_t *ref,
                       int whole_groups)
{
    const tg_t *g = k->ctx;
    kitem_t it;
    while (t < limit) {
        tg_item_at(k, t, &it);
        if (!kexec_item_equal(&it, ref))
            return t;
        int64_t gs = t - t % g->tiles_per_group, p = t - gs;
        if (whole_groups && p == 0 && gs + g->tiles_per_group <= limit &&
            tg_walk(k, t, gs + g->tiles_per_group, ref, 0) == gs + g->tiles_per_group)
            return limit;
        if (p % g->n_tiles == 0) {
            /* a row equal to ref throughout: so are the rest of its row class,
             * unless the grouped boundary p = grid lies among them */
            int64_t row_end = gs + p + g->n_tiles;
            for (int64_t q = gs + tg_next_point(g, p); q < row_end && q < limit;
                 q = gs + tg_next_point(g, q - gs)) {
                tg_item_at(k, q, &it);
                if (!kexec_item_equal(&it, ref))
                    return q;
            }
            int64_t next = tg_next_row_class(g, p / g->n_tiles) * g->n_tiles;
            int crosses = g->o->grouped && p < g->grid && g->grid < next;
            t = crosses ? row_end : gs + next;
            continue;
        }
        t = gs + tg_next_point(g, p);
    }
    return limit;
}

static int64_t tg_run_end(const kspec_t *k, int64_t u)
{
    const tg_t *g = k->ctx;
    if (u >= g->total)
        return INT64_MAX;   /* past every CTA's last tile: no item, ever */
    kitem_t ref;
    tg_item_at(k, u, &ref);
    return tg_walk(k, u + 1, g->total, &ref, 1);
}

/* kspec_t.repeat: the run of equal tiles from u, or the tile pattern's own
 * period -- rows of a row class repeat (period n_tiles, to the class's last
 * row), and so do groups (period tiles_per_group, to the end) -- whichever
 * holds more of what a fold moves at once: a turn of the grid for a run, a
 * whole number of turns and periods for a pattern. */
static int64_t tg_repeat(const kspec_t *k, int64_t u, int64_t *period)
{
    const tg_t *g = k->ctx;
    int64_t run = tg_run_end(k, u);
    *period = 1;
    if (u >= g->total)
        return run;
    int64_t p = g->o->grouped ? g->tiles_per_group : g->n_tiles;
    int64_t end = g->o->grouped ? g->total : tg_next_row_class(g, u / g->n_tiles) * g->n_tiles;
    int64_t turns = p / kexec_gcd(p, g->grid) * g->grid; /* lcm(p, grid) */
    if ((end - u) / turns > (run - u) / g->grid) {
        *period = p;
        return end;
    }
    return run;
}

static int tg_setup(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p, gemm_out_t *out,
                    tg_t *g, kspec_t *kp, char *err, size_t errlen);

int64_t gemm_check_runs(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p)
{
    gemm_out_t out;
    tg_t g;
    kspec_t k;
    char err[512];
    if (tg_setup(a, o, p, &out, &g, &k, err, sizeof err) != 0 || k.repeat == NULL)
        return 0;
    int64_t wrong = 0;
    kitem_t ref, it;
    for (int64_t u = 0; u < g.total; u++) {
        /* the run of equal tiles: exactly where the items change */
        tg_item_at(&k, u, &ref);
        int64_t v = u + 1;
        while (v < g.total && (tg_item_at(&k, v, &it), kexec_item_equal(&it, &ref)))
            v++;
        int bad = tg_run_end(&k, u) != v;
        /* the declared repeat: every tile equals the one a period on */
        int64_t period, end = k.repeat(&k, u, &period);
        if (end <= u || period < 1 || end > g.total)
            bad = 1;
        for (int64_t w = u; w + period < end && !bad; w++) {
            tg_item_at(&k, w, &ref);
            tg_item_at(&k, w + period, &it);
            bad = !kexec_item_equal(&it, &ref);
        }
        wrong += bad;
    }
    return wrong;
}

/* The launch as kexec runs it: *g (which k's ctx points to) and *k. */
static int tg_setup(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p, gemm_out_t *out,
                    tg_t *g, kspec_t *kp, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    gemm_cfg_derive(a, o, &out->cfg);
    if (out->cfg.valid)
        gemm_check_problem(o, p, &out->cfg);
    if (!out->cfg.valid) {
        snprintf(err, errlen, "tile %dx%dx%d: %s", o->tile_m, o->tile_n, o->tile_k, out->cfg.reason);
        return -1;
    }
    const gemm_cfg_t *c = &out->cfg;
    *g = (tg_t){.o = o, .p = p, .c = c};
    int64_t groups = o->grouped ? p->groups : 1;
    assert(groups >= 1 && p->m >= groups);
    g->tok_per_group = cdiv(p->m, groups);  /* routed rows spread evenly over the groups */
    int64_t m_ext = o->swap_ab ? p->n : g->tok_per_group, n_ext = o->swap_ab ? g->tok_per_group : p->n;
    g->m_ext = m_ext;
    g->n_ext = n_ext;
    g->m_tiles = cdiv(m_ext, c->tile_m);
    g->n_tiles = cdiv(n_ext, c->tile_n);
    /* the tile schedulers launch whole clusters: tiles per problem (per group
     * for ptr-array) round up to the cluster shape (CUTLASS
     * PersistentTileSchedulerSm90::get_tiled_cta_shape_mnl,
     * PersistentTileSchedulerSm90Group: round_up(ctas_along_m, cluster_shape.m())) */
    if (o->cluster_m > 1)
        g->m_tiles = cdiv(g->m_tiles, o->cluster_m) * o->cluster_m;
    if (o->cluster_n > 1)
        g->n_tiles = cdiv(g->n_tiles, o->cluster_n) * o->cluster_n;
    g->tiles_per_group = g->m_tiles * g->n_tiles;
    int split = o->split_k > 1 ? o->split_k : 1;
    /* counts kexec holds in ints (KEXEC_MAX_COUNT): checked in doubles first */
    double tiles = (double)g->tiles_per_group * (double)groups * split;
    double k_tiles = ceil((double)p->k / c->tile_k);
    int lanes = o->grouped ? (int)a->n_sm : (int)a->n_sm * c->ctas_per_sm;
    if (o->grid > 0 && o->grid < lanes)   /* a given grid: its CTAs walk every tile */
        lanes = o->grid;
    if (tiles / lanes > KEXEC_MAX_COUNT || k_tiles > KEXEC_MAX_COUNT || tiles > 4e18) {
        snprintf(err, errlen, "tile %dx%dx%d: m=%lld n=%lld k=%lld makes %.3g work tiles (%.3g per "
                 "CTA) of %.3g k-tiles; gbsim simulates at most %d per CTA and %d k-tiles per "
                 "tile", o->tile_m, o->tile_n, o->tile_k, (long long)p->m, (long long)p->n,
                 (long long)p->k, tiles, tiles / lanes, k_tiles, KEXEC_MAX_COUNT, KEXEC_MAX_COUNT);
        return GEMM_TOO_LARGE;
    }
    g->total = g->tiles_per_group * groups * split;
    g->k_tiles = (int)cdiv(p->k, c->tile_k);
    g->k_eff = (double)p->k / g->k_tiles;
    if (p->k_tiles_run > 0) {
        assert(p->k_tiles_run <= g->k_tiles && p->k_tiles_run >= split && !o->stream_k);
        g->k_tiles = (int)p->k_tiles_run;
    }
    g->k_tiles_slice = (int)cdiv(g->k_tiles, split);
    dtype_t mma_a = o->swap_ab ? o->b_dt : o->a_dt, mma_b = o->swap_ab ? o->a_dt : o->b_dt;
    g->elem_mma_a = c->sf_vec ? dtype_info(mma_a)->elem_bits / 8.0 : dtype_bytes_per_elem(mma_a);
    g->elem_mma_b = c->sf_vec ? dtype_info(mma_b)->elem_bits / 8.0 : dtype_bytes_per_elem(mma_b);
    g->desc_cyc = a->tma_desc_update_cycles;
    /* epilogue: accumulators -> convert -> smem -> TMA store, ~3 warp
     * instructions per element over the MMA warps */
    g->epi_cyc = (double)c->tile_m * c->tile_n * 3.0 / (32.0 * a->issue_warp_inst_per_clk_sm);
    /* persistent CTAs walking tiles with stride = grid: grouped with
     * device-side shapes has one CTA per SM (PersistentTileSchedulerSm90Group,
     * grid = sm_count); dense fills every resident slot (the static persistent
     * scheduler; CUTLASS's default CLC scheduler hands out the same tiles
     * dynamically, which differs only when tiles are uneven) */
    g->persistent = 1;
    g->grid = o->grouped ? (int)a->n_sm : (int)a->n_sm * c->ctas_per_sm;
    if (o->grid > 0) /* the grid the kernel launched (e.g-> a library's heuristic) */
        g->grid = o->grid;
    /* stream-K keeps every slot busy however few tiles there are (up to one
     * k-tile per CTA); the tile schedulers launch at most one CTA per tile.
     * A given grid larger than that has CTAs without a tile (cluster
     * rounding): they exit at once and are not simulated */
    int64_t cap = o->stream_k ? g->total * g->k_tiles : g->total;
    if (g->grid > cap)
        g->grid = (int)cap;
    if (o->stream_k) /* no CTA without work: grid = ceil(iterations / per CTA) */
        g->grid = (int)cdiv(cap, cdiv(cap, g->grid));
    *kp = (kspec_t){.n_ctas = g->grid, .ctas_per_sm = o->grouped ? 1 : c->ctas_per_sm,
                    .stages = c->stages, .item = tg_item, .ctx = g,
                    .epi_overlap = o->sched == GEMM_PINGPONG, .deadline_ps = o->deadline_ps,
                    .no_fold = o->no_fold,
                    .repeat = o->stream_k || split > 1 ? NULL : tg_repeat};
    return 0;
}

/* ----------------------------------------------------- the bound's sums -- */

/* The bound's sums (kexec_bound_add) of n times units [u, end) within one
 * row (runs of equal items). */
static void tg_row_sum(const arch_t *a, const kspec_t *k, int64_t u, int64_t end, double n,
                       double acc[KEXEC_BOUND_ACC])
{
    const tg_t *g = k->ctx;
    int64_t split = g->o->split_k > 1 ? g->o->split_k : 1;
    kitem_t it;
    while (u < end) {
        int64_t v;
        if (split == 1) {
            v = tg_run_end(k, u);
        } else if (u % split != 0 || end - u < split) {
            v = u + 1;   /* a part of a tile: unit by unit */
        } else {
            /* split-K (dense): a tile's units differ by their K slice only,
             * and tiles up to the next column class are alike */
            int64_t t = u / split, q = tg_next_point(g, t), tiles = (end - u) / split;
            tiles = q - t < tiles ? q - t : tiles;
            for (int64_t ks = 0; ks < split; ks++) {
                tg_item_at(k, u + ks, &it);
                kexec_bound_add(a, k, &it, n * (double)tiles, acc);
            }
            u += tiles * split;
            continue;
        }
        v = v < end ? v : end;
        tg_item_at(k, u, &it);
        kexec_bound_add(a, k, &it, n * (double)(v - u), acc);
        u = v;
    }
}

/* The bound's sums of units [u, end) of launch k, exactly: rows of a row
 * class have the same items, and so do groups. */
static void tg_sum(const arch_t *a, const kspec_t *k, int64_t u, int64_t end,
                   double acc[KEXEC_BOUND_ACC])
{
    const tg_t *g = k->ctx;
    int64_t split = g->o->split_k > 1 ? g->o->split_k : 1, row = g->n_tiles * split;
    int64_t per = g->tiles_per_group * split;
    double group[KEXEC_BOUND_ACC] = {0};
    int group_known = 0;
    while (u < end) {
        int64_t gs = u - u % per, pos = u - gs, mt = pos / row;
        if (pos == 0 && end - u >= per && g->o->grouped) {
            if (!group_known) {
                tg_sum(a, k, gs, gs + per - 1, group);
                tg_row_sum(a, k, gs + per - 1, gs + per, 1, group);
                group_known = 1;
            }
            int64_t n = (end - u) / per;
            for (int i = 0; i < KEXEC_BOUND_ACC; i++)
                acc[i] += (double)n * group[i];
            u += n * per;
        } else if (pos % row == 0 && end - u >= row) {
            int64_t n = tg_next_row_class(g, mt) - mt, fit = (end - u) / row;
            n = n < fit ? n : fit;
            tg_row_sum(a, k, u, u + row, (double)n, acc);
            u += n * row;
        } else {
            int64_t v = gs + (mt + 1) * row;
            v = v < end ? v : end;
            tg_row_sum(a, k, u, v, 1, acc);
            u = v;
        }
    }
}

int gemm_bound(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p, sim_ps_t *bound_ps,
               char *err, size_t errlen)
{
    gemm_out_t out;
    tg_t g;
    kspec_t k;
    int rc = tg_setup(a, o, p, &out, &g, &k, err, errlen);
    if (rc != 0)
        return rc;
    if (o->stream_k) {
        *bound_ps = kexec_bound_ps(a, &k);
        return 0;
    }
    /* every work tile once, summed a row class or a group at a time */
    double acc[KEXEC_BOUND_ACC] = {0};
    tg_sum(a, &k, 0, g.total, acc);
    *bound_ps = kexec_bound_of(a, acc);
    return 0;
}

double gemm_check_sums(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p)
{
    gemm_out_t out;
    tg_t g;
    kspec_t k;
    char err[512];
    if (o->stream_k || tg_setup(a, o, p, &out, &g, &k, err, sizeof err) != 0)
        return 0;
    sim_ps_t sum_ps;
    if (gemm_bound(a, o, p, &sum_ps, err, sizeof err) != 0)
        return 1;
    kspec_t plain = k;
    plain.repeat = NULL;   /* kexec_bound_ps unit by unit */
    double x = (double)sum_ps, y = (double)kexec_bound_ps(a, &plain);
    return fabs(x - y) / fmax(1.0, fmax(x, y));
}

/* ------------------------------------------------------- long launches -- */

/* A launch long along the tokens, or over many groups, is not simulated to
 * its end: its work is a pattern that repeats, and two shorter launches with
 * the same pattern give its time.
 *
 * The persistent CTAs walk the work tiles with stride grid, group after
 * group, a row of tiles along the weights (wt tiles) at a time -- after
 * swap-AB a stretch along the tokens for each of the wt weight tiles.
 * Removing token rows from the middle of every group leaves the first rows
 * (the weights' first visit from DRAM), the partial last row and the cluster
 * rounding as they were; removing a multiple of P = grid / gcd(grid, wt) rows
 * (P = grid after swap-AB; and of the cluster's rows) also leaves the phase of
 * the walk at every group's (and stretch's) start and at the end as it was,
 * so the last wave is the same. The launch of R rows a
 * group thus runs as launches of R1 = GEMM_FOLD_WARM D + R mod D rows (the
 * walk settles into its repeat within them) and R1 + D rows, D a whole
 * number of such periods spanning at least GEMM_FOLD_WAVES turns of the grid,
 * and every figure that grows with the work is the line through the two, at
 * R: f(R) = f(R1) + (f(R1 + D) - f(R1)) (R - R1) / D. Identical groups
 * (grouped kernels: every group has the same rows) fold the same way over the
 * group count, with a period of grid / gcd(grid, tiles per group) groups.
 * R1 also spans GEMM_FOLD_WARM_WAVES turns of the grid: a DRAM-bound walk
 * settles slowly (gb10's grouped FC1 at two tokens a group adds 195.1 us for
 * its first group, then 192.1 to 192.3 us a group, moving by 0.1 % for a
 * dozen groups). Only launches at least
 * twice as long as the two shorter ones fold, and only once
 * GEMM_FOLD_TRY_EVENTS events of simulating them whole (which kexec's own
 * folds may finish) were not enough: no launch simulates more than about four
 * times R1 + D rows (or groups) whatever its m, and one that simulates cheaply
 * keeps every event.
 * Split-K walks each tile's K slices one after the other (split units a
 * tile); stream-K spreads K over the CTAs and does not fold; nor does a
 * launch told not to (no_fold). This is kexec's folding (kexec.h) taken over
 * whole rows, which kexec detects itself only after several periods of
 * lcm(grid, wt) tiles, if at all; gemm_test.c bounds the error against the
 * launch simulated event by event (0.05 %; the cases tried agree to the ps). */
/* A launch deep along K folds the same way over the k-tiles of each K slice
 * (each tile's pipeline): every item is the same pipeline with more steps,
 * so once those steps are steady every figure grows along a line in them --
 * each CTA's items stretch alike, the waves and the last one stay the same --
 * and launches of k1 and 4 k1 k-tiles a slice (each k-tile as deep as the
 * problem's own, the last slice as much shorter as it is) give the line. This
 * holds where the step folds do not: CTAs that advance at different rates (a
 * cluster's first tile from DRAM, the other from L2) never repeat a whole
 * state. About that line the time wanders by a fraction of a k-tile as the
 * CTAs' phases against the shared DRAM queue shift (gb10's FC1 at 256 tokens:
 * 0.4 to 0.7 us over 32 to 1024 k-tiles of 4.86 us), so the two launches lie
 * 3 k1 k-tiles apart; and a deep pipeline reaches its line only after several
 * times its stages (H100's lm_head shape as a 24-stage pingpong 64x8x64: the
 * slope per k-tile is 0.27 % lower up to about 100 k-tiles and constant from
 * 128; a line from 64 k-tiles reads it 0.04 to 0.06 % short at 700 to 3000),
 * so k1 = max(GEMM_FOLD_K1, GEMM_FOLD_K1_STAGES x stages). Only slices at
 * least twice as long as both together fold, once GEMM_FOLD_TRY_EVENTS of
 * simulating the launch whole were not enough (as above), and before the
 * rows (each shallower launch may then fold its rows); stream-K does not.
 * gemm_test.c bounds the error against every event simulated. */
#define GEMM_FOLD_K1 64
#define GEMM_FOLD_K1_STAGES 6
#define GEMM_FOLD_WAVES 4
#define GEMM_FOLD_WARM 2
#define GEMM_FOLD_WARM_WAVES 128
#define GEMM_FOLD_TRY_EVENTS (UINT64_C(1) << 20)

/* The period (in rows or groups) a fold over `units` of `tiles_per_unit`
 * tiles each moves by: whole turns of the walk's phase, a multiple of
 * `multiple`, spanning at least GEMM_FOLD_WAVES turns of the grid
 * (tiles_all: the tiles of one unit over every group). */
static int64_t fold_period(int64_t grid, int64_t tiles_per_unit, int64_t tiles_all, int64_t multiple)
{
    int64_t p = grid / kexec_gcd(grid, tiles_per_unit);
    p = p / kexec_gcd(p, multiple) * multiple;
    int64_t turns = cdiv(GEMM_FOLD_WAVES * grid, p * tiles_all);
    return p * (turns > 1 ? turns : 1);
}

/* The units (rows or groups, of tiles_all tiles each) of the first of the
 * two launches: at least GEMM_FOLD_WARM periods and GEMM_FOLD_WARM_WAVES turns
 * of the grid (the walk settles into its repeat: DRAM queues, L2 fill), and
 * units mod d more, so that both launches end at the phase this one does.
 * 0 when the launch is not at least twice as long as the two (it runs whole). */
static int fold_start(int64_t grid, int64_t units, int64_t d, int64_t tiles_all, int64_t *k1)
{
    int64_t warm = cdiv(GEMM_FOLD_WARM_WAVES * grid, tiles_all);
    warm = warm > GEMM_FOLD_WARM * d ? warm : GEMM_FOLD_WARM * d;
    *k1 = cdiv(warm, d) * d + units % d;
    return units >= 2 * (2 * *k1 + d);
}

/* kresult_t at R from the launches at r1 and r1 + d (the line through them);
 * executed events are both launches', folded events what the line stood for. */
static void fold_line(const kresult_t *a, const kresult_t *b, double r, double r1, double d,
                      int along_k, kresult_t *out)
{
    double x = (r - r1) / d;
#define LINE(f) ((double)a->f + ((double)b->f - (double)a->f) * x)
    *out = *b;
    out->dur_ps = (sim_ps_t)llround(LINE(dur_ps));
    out->dram_bytes = LINE(dram_bytes);
    out->l2_bytes = LINE(l2_bytes);
    out->port_bytes = LINE(port_bytes);
    out->dram_busy_ps = (sim_ps_t)llround(LINE(dram_busy_ps));
    out->l2_busy_ps = (sim_ps_t)llround(LINE(l2_busy_ps));
    out->unit_busy_max_ps = (sim_ps_t)llround(LINE(unit_busy_max_ps));
    out->pre_ps_sum = LINE(pre_ps_sum);
    out->epi_ps_sum = LINE(epi_ps_sum);
#undef LINE
    out->first_compute_ps = a->first_compute_ps;
    /* along the rows the last wave is the same: the used SMs' idle tail, not
     * its share, carries over; an SM that ran no CTA idles the whole launch.
     * Along K every idle stretch grows with the items: the line's. */
    double u = b->unused_sm_frac;
    if (along_k) {
        double ia = a->tail_idle_frac * (double)a->dur_ps, ib = b->tail_idle_frac * (double)b->dur_ps;
        out->tail_idle_frac = out->dur_ps > 0 ? (ia + (ib - ia) * x) / (double)out->dur_ps : 0;
    } else {
        out->tail_idle_frac = out->dur_ps > 0 ? u + (b->tail_idle_frac - u) * (double)b->dur_ps /
                                                        (double)out->dur_ps
                                              : 0;
    }
    double all_b = (double)(b->events + b->events_folded), all_a = (double)(a->events + a->events_folded);
    out->events = a->events + b->events;
    out->events_folded = a->events_folded + b->events_folded +
                         (uint64_t)llround(fmax(0, (all_b - all_a) * (x - 1)));
    out->folds = a->folds + b->folds + 1;
    out->cut = 0;
}

/* The two shorter launches of p (above), or 0 when p does not fold: p1 and p2,
 * the units (rows, groups, or with along_k the k-tiles of a K slice) r of p,
 * r1 of p1 and d more in p2. */
typedef struct {
    gemm_problem_t p1, p2;
    double r, r1, d;
    int along_k;       /* 1: the units are k-tiles of a K slice */
} fold_plan_t;

/* The fold along K (above), or 0. */
static int fold_plan_k(const gemm_opts_t *o, const gemm_problem_t *p, const tg_t *g, fold_plan_t *f)
{
    int64_t split = o->split_k > 1 ? o->split_k : 1, slice = g->k_tiles_slice;
    int64_t short_by = split * slice - g->k_tiles;   /* the last slice's k-tiles fewer */
    int64_t k1 = GEMM_FOLD_K1 > GEMM_FOLD_K1_STAGES * g->c->stages ? GEMM_FOLD_K1
                                                                    : GEMM_FOLD_K1_STAGES * g->c->stages;
    if (p->k_tiles_run > 0 || slice < 2 * 5 * k1 || short_by >= k1)
        return 0;
    gemm_problem_t p1 = *p, p2 = *p;
    p1.k_tiles_run = split * k1 - short_by;
    p2.k_tiles_run = split * 4 * k1 - short_by;
    *f = (fold_plan_t){.p1 = p1, .p2 = p2, .r = (double)slice, .r1 = (double)k1,
                       .d = 3.0 * (double)k1, .along_k = 1};
    return 1;
}

static int fold_plan(const gemm_opts_t *o, const gemm_problem_t *p, const tg_t *g, fold_plan_t *f)
{
    if (o->no_fold || o->stream_k)
        return 0;
    if (fold_plan_k(o, p, g, f))
        return 1;
    int64_t split = o->split_k > 1 ? o->split_k : 1;   /* units per work tile */
    int64_t groups = o->grouped ? p->groups : 1;
    int64_t tt = o->swap_ab ? g->c->tile_n : g->c->tile_m;      /* tokens per row */
    int64_t ct = o->swap_ab ? o->cluster_n : o->cluster_m;      /* cluster rows */
    int64_t wt = o->swap_ab ? g->m_tiles : g->n_tiles;          /* tiles per row */
    int64_t rows = o->swap_ab ? g->n_tiles : g->m_tiles;        /* rows per group */
    /* tiles are walked along the weights fastest: a token row is wt
     * contiguous tiles; after swap-AB the tokens are the fastest, and a token
     * removed takes one tile from each of the wt stretches */
    int64_t d = fold_period(g->grid, split * (o->swap_ab ? 1 : wt), split * wt * groups,
                            ct > 1 ? ct : 1);
    gemm_problem_t p1 = *p, p2 = *p;
    int64_t k1;
    double r;
    if (fold_start(g->grid, rows, d, split * wt * groups, &k1)) {
        r = (double)rows;
        int64_t t1 = g->tok_per_group - (rows - k1) * tt, t2 = t1 + d * tt;
        p1.m = t1 * groups;
        p2.m = t2 * groups;
    } else if (groups > 1 &&
               (d = fold_period(g->grid, split * g->tiles_per_group, split * g->tiles_per_group, 1),
                fold_start(g->grid, groups, d, split * g->tiles_per_group, &k1))) {
        r = (double)groups;
        p1.groups = k1;
        p2.groups = k1 + d;
        p1.m = k1 * g->tok_per_group;
        p2.m = (k1 + d) * g->tok_per_group;
    } else {
        return 0;
    }
    *f = (fold_plan_t){.p1 = p1, .p2 = p2, .r = r, .r1 = (double)k1, .d = (double)d};
    return 1;
}

/* Simulate p as the two launches of plan f: 0 with out->r filled, or -1
 * (GEMM_TOO_LARGE) with err. */
static int gemm_fold(const arch_t *a, const gemm_opts_t *o, const fold_plan_t *f,
                     gemm_out_t *out, char *err, size_t errlen)
{
    const gemm_problem_t *p1 = &f->p1, *p2 = &f->p2;
    double r = f->r, r1 = f->r1;
    /* with a deadline (a search's best so far), each launch stops as soon as
     * the line through them would pass it: the first at the deadline itself
     * (this launch takes longer than the shorter one), the second where the
     * line from the first's time reaches it */
    gemm_out_t o1, o2;
    gemm_opts_t oo = *o;
    int rc = gemm_run(a, &oo, p1, &o1, err, errlen);
    if (rc == 0 && !o1.r.cut) {
        double x = (r - r1) / f->d;
        if (o->deadline_ps > 0)
            oo.deadline_ps = o1.r.dur_ps + (sim_ps_t)ceil((double)(o->deadline_ps - o1.r.dur_ps) / x);
        rc = oo.deadline_ps > o1.r.dur_ps || o->deadline_ps == 0
                 ? gemm_run(a, &oo, p2, &o2, err, errlen)
                 : (o2 = o1, o2.r.events = 0, o2.r.cut = 1, 0);
    }
    if (rc != 0)
        return rc < 0 ? rc : -1;
    /* a launch past the deadline: so is this one */
    if (o1.r.cut) {
        out->r = o1.r;
        return 0;
    }
    if (o2.r.cut) {
        out->r = o2.r;
        out->r.events += o1.r.events;
        return 0;
    }
    fold_line(&o1.r, &o2.r, r, r1, f->d, f->along_k, &out->r);
    out->r.cut = o->deadline_ps > 0 && out->r.dur_ps > o->deadline_ps;
    return 0;
}

int gemm_run(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p, gemm_out_t *out,
             char *err, size_t errlen)
{
    tg_t g;
    kspec_t k;
    int rc = tg_setup(a, o, p, out, &g, &k, err, errlen);
    if (rc != 0)
        return rc;
    int64_t groups = o->grouped ? p->groups : 1;
    /* a launch that folds is simulated whole while that is cheap (kexec's own
     * folds may take it), and as two shorter launches past GEMM_FOLD_TRY_EVENTS */
    fold_plan_t f;
    int folds = fold_plan(o, p, &g, &f);
    if (folds)
        k.max_events = GEMM_FOLD_TRY_EVENTS;
    if (kexec_run(a, &k, &out->r, err, errlen) != 0)
        return -1;
    if (folds && out->r.over) {
        uint64_t tried = out->r.events;
        if ((rc = gemm_fold(a, o, &f, out, err, errlen)) != 0)
            return rc;
        out->r.events += tried;
    }
    out->tiles = g.total;
    out->grid = o->grid > 0 ? o->grid : g.grid;
    out->max_tiles_per_cta = (int)cdiv(g.total, g.grid);
    double w_bytes = (double)p->n * (double)p->k * dtype_bytes_per_elem(o->b_dt) * (double)groups;
    out->floor_us = w_bytes / (arch_dram_bw_bytes_per_ps(a) * 1e6);
    return 0;
}
