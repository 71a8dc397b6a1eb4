/* kmodel.h -- kernel models: turn one kernel launch (a GEMV, a tiled or
 * grouped GEMM, decode attention, an elementwise kernel) into a kspec_t for
 * kexec, run it, and classify what bounds it.
 *
 * The structure of each real kernel (threads, rows per CTA, loads in flight,
 * tile, stages, persistence) comes from a table row that names the kernel's
 * source; the arch supplies rates, latencies and capacities. Nothing here is
 * fitted to a measurement. */
#ifndef GBSIM_KMODEL_H
#define GBSIM_KMODEL_H

#include <stdint.h>

#include "models/arch.h"
#include "models/dtype.h"
#include "models/kexec.h"
#include "models/ksmall.h"

typedef enum { KM_GEMV, KM_GEMM, KM_GROUPED_GEMM, KM_ATTENTION, KM_ELEMENTWISE } km_kind_t;

/* A GEMV implementation: one row per real kernel family. */
typedef struct {
    const char *name;
    const char *kernel;       /* the kernel, as a step's table names it */
    int threads;              /* per CTA */
    int rows_per_cta;         /* output rows per CTA */
    int vec_bytes;            /* weight bytes one thread loads per load instruction */
    int loads_in_flight;      /* independent weight loads per thread before first use */
    double inst_per_vec;      /* warp instructions per vector per token column */
    double ffma_per_vec;      /* of them, fp32 FFMAs: they issue no faster than the SM's
                                 fp32 lanes take them (fp32_flop_per_clk_sm / 2 / 32 warp
                                 FFMAs per clock) */
    int max_cols;             /* largest M the kernel accepts */
    int k_tile;               /* elements of a row read per step (0 = whole rows) */
    int tma;                  /* > 0: weights arrive as TMA k-tile boxes of this many
                                 rows (their DRAM efficiency, arch_dram_load_eff; the
                                 producer's issue time is not modelled for these
                                 rows); 0 = thread loads */
    const char *source;
} gemv_impl_t;

/* Decode attention implementation. */
typedef struct {
    const char *name;
    int kv_tile;              /* tokens per pipeline step */
    int stages;               /* KV tiles in flight per CTA */
    int threads;
    int min_chunk;            /* smallest KV chunk (tokens) per CTA when splitting */
    int merge_kernel;         /* 1: a separate merge kernel combines splits */
    int q_tile;               /* query rows per MMA tile: a KV head's query rows
                                 (group x m) are computed as at least this many */
    const char *merge_family; /* ksmall family of the merge kernel (NULL: the generic
                                 elementwise model) */
    const char *source;
    /* executed warp instructions per warp: inst_fixed + inst_per_tile x KV tiles
     * of the CTA, issued at ksmall_issue_cyc (0: not measured; the softmax
     * instruction estimate at the SM's issue rate instead) */
    double inst_fixed, inst_per_tile;
    const char *inst_source;
    /* split rule when no grid is given: max_splits 0 = fill the SMs (heads_kv
     * x splits CTAs, chunks of >= min_chunk); else floor(ctx / min_chunk)
     * splits, at most max_splits, at most max_ctas CTAs in all (sequences x
     * heads x splits; 0: no such cap), and none below split_min_ctx tokens */
    int max_splits, split_min_ctx, max_ctas;
    int per_q_head;           /* 1: a CTA per q_tile query rows of each query head
                                 (padded to q_tile), the group's CTAs sharing their KV
                                 head through L2; 0: a CTA per KV head (group x m rows) */
    int head_dim;             /* the head dim the kernel is built for (0: any) */
    int library;              /* 1: not a kernel but a library's selection rule
                                 (attn_impl_pick gives the kernel) */
    /* a library that launches another kernel above a batch size: the impl it
     * launches instead (NULL: none) when the step has more than one query per
     * sequence or more sequences than min_grid_2d / heads_kv (attn_impl_launched) */
    const char *launch_2d;
    int min_grid_2d;
    const char *launch_source;
    const char *kernel;       /* the kernel's name when another row's impl switched to it */
    /* groups of async MMAs (wgmma) a KV tile waits for, each adding the arch's
     * mma_wait_cyc (0: none, or mma.sync kernels), and why */
    int mma_waits_per_tile;
    const char *waits_source;
    double smem_bytes;        /* shared memory per CTA as the launch recorded it (0: not
                                 recorded; threads alone bound the CTAs per SM) */
} attn_impl_t;

/* The kernel im stands for on an arch of compute capability cc (x10) at m
 * query rows per sequence, head_dim and ctx:
 * im itself, or the row a library's selection rule (im->library) picks;
 * NULL, with err, when the library has no kernel for the shape. */
const attn_impl_t *attn_impl_pick(const attn_impl_t *im, int cc, int64_t m, int64_t head_dim,
                                  int64_t ctx, char *err, size_t errlen);

/* One launch configuration a GEMM library ships (a row of its candidate list). */
typedef struct {
    int tile_m, tile_n, tile_k;  /* elements */
    int a_bits;               /* activation element bits it is built for (0: any) */
    int swap_ab, stream_k;    /* gemm.h options */
    int sched;                /* 1: pingpong, -1: cooperative, 0: either (the faster) */
    int cluster_m, cluster_n; /* 0: 1x1 */
    int stages;               /* 0: as many as fit */
    int split_k;              /* 0 or 1: none */
    const char *source;
} gemm_cand_t;

/* A library's selection rule when the caller names no tile: a heuristic
 * (rule) giving one configuration for the problem, else autotune = the
 * fastest of its candidate list. */
typedef int (*gemm_rule_fn)(int cc, int64_t m, int64_t n, int64_t k, int64_t groups,
                            gemm_cand_t *out);

/* A tiled-GEMM implementation family (the main kernel is gemm.h's); what it
 * adds around it, and how it chooses its configuration. */
typedef struct {
    const char *name;
    int splitk_reduce_kernel; /* 1: split-K fp32 partials are summed by a separate
                                 kernel that writes the output (kmodel.c
                                 splitk_reduce_us); 0: no extra kernel */
    int prepare_kernel;       /* 1: a one-CTA kernel writes the per-group pointers and
                                 shapes first (PyTorch prepare_grouped_gemm_data) */
    const char *source;
    /* expert GEMMs: the engine stores the expert weights with hidden and the
     * expert intermediate rounded up to these multiples (0: as the model) */
    int pad_hidden, pad_inter;
    /* 1: each expert's rows are padded to whole blocks of gemm_impl_moe_block
     * rows, each block a separate work unit (0: rows as routed) */
    int moe_align;
    const char *pad_source;
    /* configurations the library ships (NULL: none of its own; the arch
     * family's default library chooses, gemm_impl_chooser) */
    const gemm_cand_t *cands;
    int n_cands;
    gemm_rule_fn rule;        /* NULL: autotune over cands */
    const char *select_source;
} gemm_impl_t;

typedef struct {
    km_kind_t kind;
    /* GEMM family: C[m x n] = A[m x k] . B[k x n] */
    int64_t m, n, k, groups;
    dtype_t a_dt, b_dt;
    int out_bytes;            /* bytes per output element */
    int tile_m, tile_n, tile_k;  /* 0 = the library's selection rule picks
                                    (gemm_impl_chooser) */
    int swap_ab, split_k, sf_vec;  /* gemm.h options; 0 = default */
    int pingpong;             /* 1: pingpong only, -1: cooperative only, 0: the faster */
    unsigned relax;           /* gemm rules not enforced (gemm_rule_mask): a hypothetical
                                 configuration */
    int stages;               /* GEMM: the kernel's pipeline stages; 0 = as many as fit */
    int cluster_m, cluster_n; /* GEMM: thread-block cluster along tile M x N (TMA
                                 multicast); 0 = 1x1 */
    int grid_ctas;            /* CTAs of the main kernel; 0 = the model's launch rule
                                 (GEMM: gemm.h opts.grid; attention: heads_kv x splits,
                                 so a given grid must be a multiple of heads_kv) */
    const gemm_impl_t *gemm_impl;  /* KM_GEMM, KM_GROUPED_GEMM; NULL = "cutlass" */
    int a_in_l2;              /* 1: activations were just written and sit in L2 */
    const gemv_impl_t *gemv;  /* KM_GEMV */
    /* attention */
    int64_t ctx, heads_q, heads_kv, head_dim;
    int64_t seqs;             /* independent sequences, each with its own KV of ctx
                                 tokens and m query rows (0 = 1) */
    dtype_t kv_dt;
    const attn_impl_t *attn;
    /* elementwise */
    double bytes;             /* read + written */
    int64_t rows;             /* independent rows (CTAs), 0 = derive from bytes */
    double inst_per_byte;     /* ALU warp instructions per byte */
    int hot_in_l2;            /* 1: operands sit in L2 */
    ksmall_desc_t small;      /* KM_ELEMENTWISE: a latency-bound small-kernel family
                                 (ksmall.h) when small.family is set */
} kdesc_t;

/* What limits a kernel: the resource busy >= 60 % of it (the busiest of DRAM,
 * an SM's execution unit and the L2 return path), else latency. */
typedef enum { BOUND_DRAM, BOUND_COMPUTE, BOUND_L2, BOUND_LATENCY, BOUND_COUNT } bound_t;

typedef struct {
    kresult_t r;
    double us;                /* duration including the arch's fixed per-kernel cost */
    bound_t bound;
    int tile_m, tile_n, tile_k, stages;  /* GEMM: the tile used */
    double ideal_us;          /* unique bytes / achievable DRAM bandwidth */
    int extra_kernels;        /* launches added (e.g. attention merge) */
    int hypothetical;         /* the configuration breaks a relaxed rule or uses a
                                 scale vector the hardware does not have */
    double extra_us;          /* their time, included in us */
    uint64_t events;          /* events the engine executed for this call: every
                                 candidate tried and every extra kernel included */
} kmodel_out_t;

/* Run one kernel. Returns 0, or -1 with err for an impossible configuration. */
int kmodel_run(const arch_t *a, const kdesc_t *d, kmodel_out_t *out, char *err, size_t errlen);

/* Memoized kmodel_run, for callers that run the same kernel many times (a
 * decode step's layers and sweep points, a trace's rows): outputs kept by
 * their full input, the arch and the descriptor compared byte for byte (a
 * small-kernel functor by its text), at most max_entries of them. Threads may
 * share one memo (a mutex guards the table, never held while a kernel runs;
 * two threads missing the same key both run it, to the same output). */
typedef struct kmodel_memo kmodel_memo_t;
kmodel_memo_t *kmodel_memo_create(size_t max_entries);
void kmodel_memo_free(kmodel_memo_t *m);
/* kmodel_run's result through m: an earlier equal call's output (its events
 * then count 0: none executed), else the run's, kept while m has room.
 * Errors are not kept. m NULL: kmodel_run. */
int kmodel_run_memo(kmodel_memo_t *m, const arch_t *a, const kdesc_t *d, kmodel_out_t *out,
                    char *err, size_t errlen);
/* Calls answered from m and calls that ran. */
void kmodel_memo_counts(kmodel_memo_t *m, uint64_t *hits, uint64_t *misses);

const char *bound_name(bound_t b);
bound_t kresult_bound(const kresult_t *r);

/* Implementation tables (kmodel.c). */
const gemv_impl_t *gemv_impl_find(const char *name);
const attn_impl_t *attn_impl_find(const char *name);
const gemm_impl_t *gemm_impl_find(const char *name);
/* The attention kernel a library launches for a step of seqs sequences of
 * q_len queries over heads_kv KV heads (per GPU): im, or its launch_2d
 * variant when im's rule picks that (kmodel.c states the rule and its
 * source). */
const attn_impl_t *attn_impl_launched(const attn_impl_t *im, int64_t seqs, int64_t q_len,
                                      int64_t heads_kv);
/* Rows per block of an engine whose impl pads each expert's rows to blocks
 * (moe_align), for `tokens` token rows each routed to top_k of `experts`
 * experts with activations of format acts (kmodel.c states the rule). */
int gemm_impl_moe_block(const gemm_impl_t *im, int64_t tokens, int top_k, int experts,
                        dtype_t acts);
/* The impl whose selection rule chooses the configuration of a GEMM (grouped
 * or not, activations of a_bits bits) of impl im (NULL: none named) on an
 * arch of compute capability cc (x10): im itself when it is a library with a
 * list or rule, else the family's default library for the format, else
 * gbsim's generic CUTLASS set (kmodel.c GEMM_DEFAULT_LIBS, with sources). */
const gemm_impl_t *gemm_impl_chooser(const gemm_impl_t *im, int cc, int grouped, int a_bits);
/* Row i of a table, or NULL past its end. */
const attn_impl_t *attn_impl_at(size_t i);
const gemm_impl_t *gemm_impl_at(size_t i);
/* Every row's name, ", "-separated, in table order (for messages). */
const char *attn_impl_names(void);
const char *gemm_impl_names(void);

#endif
