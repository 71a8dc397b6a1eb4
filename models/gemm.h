/* gemm.h -- tiled GEMM kernels as CUTLASS builds them for SM120/SM121
 * (block-scaled warp-level MMA, TMA, warp-specialized cooperative or
 * pingpong, dense or grouped/ptr-array) and for Hopper (wgmma, bf16/fp8),
 * through one derivation:
 *
 *   1. configuration: the collective builder's shared-memory budget (capacity
 *      minus scheduler/tensormap/CLC storage minus the epilogue carveout),
 *      bytes per stage (A and B at their smem element size, SFA and SFB with
 *      128-row SF atoms, the pipeline barrier), stage count, TMA bytes per
 *      k-tile, threads, CTAs per SM, MMA instruction and cycles per k-tile;
 *   2. validity: a rule table, one row per CUTLASS constraint with its file;
 *   3. execution on kexec: a persistent (grouped: one CTA per SM) or
 *      one-CTA-per-tile grid walking tiles with stride = grid, per-group
 *      tensormap updates, a `stages`-deep TMA pipeline per CTA, MMA per
 *      k-tile, epilogue per tile (overlapped under pingpong), swap-AB for
 *      small M, TMA multicast within a cluster (a shared weight tile streams
 *      at the arch's measured multicast efficiency for the kernel's depth,
 *      arch_tma_mc_eff), split-K for dense GEMMs (the main kernel writes fp32 partials;
 *      reducing them is the caller's: kmodel.c prices cuBLAS's separate reduce
 *      kernel; CUTLASS's in-kernel reduction is not modelled).
 *
 * A kernel a library built and launched can replace the derived stage count
 * and launch grid with its own (opts.stages, opts.grid; e.g. from the kernel
 * name and grid in a CUPTI trace, traces/capture/launch_config.py).
 *
 * Conventions: C[m x n] = A[m x k] . B[k x n], A = activations (m = token
 * rows), B = weights. With swap_ab the kernel computes C^T = B^T A^T: its
 * tile M runs over the weights' n and its tile N over the tokens. */
#ifndef GBSIM_GEMM_H
#define GBSIM_GEMM_H

#include <stdint.h>

#include "models/arch.h"
#include "models/dtype.h"
#include "models/kexec.h"

typedef enum { GEMM_COOP, GEMM_PINGPONG } gemm_sched_t;

typedef struct {
    dtype_t a_dt, b_dt;       /* activations, weights, as stored */
    int out_bytes;            /* bytes per output element (2 = bf16) */
    int c_bytes;              /* bytes per element of a source operand C read by the
                                 epilogue, D = alpha.A.B + beta.C: 0 = none (D = A.B),
                                 2 = bf16/fp16, 4 = fp32; its shared storage follows
                                 the SM120 epilogue builder on every arch */
    int tile_m, tile_n, tile_k;  /* the kernel's CTA tile, in elements */
    gemm_sched_t sched;
    int swap_ab;
    int sf_vec;               /* elements per scale factor; 0 = the format's own */
    int grouped;              /* ptr-array kernel with device-side problem shapes */
    int split_k;              /* dense only; 1 = none */
    int stream_k;             /* dense cooperative only: k-iterations spread evenly over
                                 the persistent CTAs, split tiles fixed up through fp32
                                 partials (PersistentTileSchedulerSm100StreamK) */
    int cluster_m, cluster_n; /* 0 or 1 = 1x1 */
    int stages;               /* 0 = as many as fit in shared memory (the builder's
                                 StageCountAutoCarveout); > 0 = the count the kernel was
                                 built with, which must fit (rule stages_fit_in_smem) */
    unsigned relax;           /* bit i: rule i of the rule table is not enforced; a
                                 configuration that breaks it is simulated and marked
                                 hypothetical (gemm_rule_mask) */
    int grid;                 /* 0 = gbsim's launch rule (gemm_run); > 0 = the CTAs the
                                 kernel launched: fewer than the work tiles (x split_k)
                                 makes the CTAs persistent, walking tiles with stride =
                                 grid; CTAs beyond the tiles (cluster rounding) have no
                                 work, exit at once and are not simulated */
    sim_ps_t deadline_ps;     /* > 0: stop simulating at this time (gemm_out_t.r.cut: the
                                 launch takes longer); not part of the configuration */
    int no_fold;              /* 1: simulate every event (kexec.h "Folding"), for tests */
} gemm_opts_t;

typedef struct {
    int64_t m, n, k;          /* grouped: m = routed rows over all groups */
    int64_t groups;           /* grouped: non-empty groups */
    int a_in_l2;              /* 1: activations were just written and sit in L2 */
    int64_t k_tiles_run;      /* k-tiles per output tile, over all its K slices: 0 =
                                 ceil(k / tile_k), what callers pass; > 0 only from
                                 gemm.c's fold along K ("long launches"): this many,
                                 each k / ceil(k / tile_k) deep, at least split_k and
                                 at most ceil(k / tile_k), not stream-K (asserted) */
} gemm_problem_t;

typedef struct {
    int valid;
    char rule[48];            /* the first rule that failed, or "" */
    char reason[400];
    int hypothetical;         /* an SF vector the hardware does not have, or a relaxed
                                 rule broken */
    char relaxed[160];        /* the relaxed rules this configuration breaks, ", "-joined */
    const char *mma;          /* instruction */
    int sf_vec;               /* 0 when not block-scaled */
    int tile_m, tile_n, tile_k;
    int stages;               /* the stages the kernel runs with (o->stages, else stages_fit) */
    int stages_fit;           /* the most stages that fit in shared memory */
    double stage_bytes;       /* smem per stage incl. SF and barrier */
    double stage_a_bytes, stage_b_bytes, stage_sfa_bytes, stage_sfb_bytes;
    double smem_mainloop_bytes;  /* stages * stage_bytes */
    double smem_epilogue_bytes;  /* sizeof(CollectiveEpilogue::SharedStorage): StagesC
                                    subtiles of C (shared with D when C and D are as
                                    wide), StagesD of D, the C load pipeline */
    int epi_tile_m, epi_tile_n;  /* the epilogue subtile, in elements */
    int epi_stages_c, epi_stages_d;
    double tma_c_bytes_per_subtile;  /* gmem bytes one epilogue subtile of C loads (0: no C) */
    double smem_reserved_bytes;  /* scheduler pipeline, tensormaps, CLC responses */
    double smem_total_bytes;
    double tma_bytes_per_ktile;  /* gmem bytes one full k-tile loads (A + B + SFA + SFB) */
    int threads;
    int ctas_per_sm;
    double mma_cyc_per_ktile;
} gemm_cfg_t;

/* Derive the configuration and check every rule. Never fails: an invalid
 * configuration has valid = 0 and the rule and reason filled. */
void gemm_cfg_derive(const arch_t *a, const gemm_opts_t *o, gemm_cfg_t *c);

/* Rules that depend on the problem (alignment); 0 or -1 with reason in c. */
int gemm_check_problem(const gemm_opts_t *o, const gemm_problem_t *p, gemm_cfg_t *c);

typedef struct {
    kresult_t r;
    gemm_cfg_t cfg;
    int64_t tiles;            /* work tiles (x split_k) */
    int grid;                 /* CTAs launched (opts.grid when given) */
    int max_tiles_per_cta;
    double floor_us;          /* unique DRAM bytes / achievable bandwidth */
} gemm_out_t;

/* gemm_run's and gemm_bound's return for a valid configuration whose launch
 * is past what gbsim simulates (models/kexec.h KEXEC_MAX_COUNT). */
#define GEMM_TOO_LARGE (-2)

/* Simulate one launch. Returns 0, or -1 with err (invalid configuration), or
 * GEMM_TOO_LARGE with err naming the limit. */
int gemm_run(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p, gemm_out_t *out,
             char *err, size_t errlen);

/* A lower bound on gemm_run's r.dur_ps (kexec_bound_ps), without simulating.
 * Returns as gemm_run. */
int gemm_bound(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p, sim_ps_t *bound_ps,
               char *err, size_t errlen);

/* For tests of folding: the number of work tiles whose run of equal tiles
 * or whose declared repeat (kexec.h kspec_t.repeat) disagrees with a tile by
 * tile comparison of their items; 0 when right (and for launches that
 * declare none or are invalid). O(tiles^2): small problems only. */
int64_t gemm_check_runs(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p);

/* For tests of the search's bound summed over row classes and groups
 * (tg_sum): the relative difference between gemm_bound and kexec_bound_ps
 * unit by unit. O(tiles): small problems only. */
double gemm_check_sums(const arch_t *a, const gemm_opts_t *o, const gemm_problem_t *p);

/* The rule table, in evaluation order, for documentation and tests. */
typedef struct {
    const char *name;
    const char *source;
} gemm_rule_info_t;
int gemm_rule_count(void);
const gemm_rule_info_t *gemm_rule(int i);

/* Rule names "a,b,..." or "all" into a relax mask. Returns 0, or -1 with err
 * naming the unknown rule and listing the valid ones. */
int gemm_rule_mask(const char *list, unsigned *mask, char *err, size_t errlen);
/* The names of the rules in mask, ", "-joined, into buf. */
void gemm_rule_names(unsigned mask, char *buf, size_t buflen);

#endif
