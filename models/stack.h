/* stack.h -- inference stacks: the kernels an engine launches for one decode
 * step, as a table (one row per kernel, with its source), and the shapes each
 * row takes for a given model and batch.
 *
 * A decode step of M tokens per sequence (batch 1, or M-1 speculative tokens
 * plus one) runs every AT_LAYER row once per layer (attention rows once per
 * sliding or full layer, as the model says), then every AT_STEP row once. */
#ifndef GBSIM_STACK_H
#define GBSIM_STACK_H

#include <stddef.h>

#include "models/arch.h"
#include "models/kmodel.h"
#include "models/llm.h"

typedef enum { AT_LAYER, AT_STEP } stack_where_t;

/* What a row computes; its shape follows from the model (stack.c). */
typedef enum {
    SH_NORM, SH_QUANT_HIDDEN, SH_QKV, SH_Q, SH_K, SH_V, SH_ROPE, SH_KV_WRITE, SH_ATTN,
    SH_QUANT_ATTN, SH_O, SH_RESIDUAL, SH_ROUTER, SH_TOPK, SH_MOE_QUANT, SH_MOE_MAPS,
    SH_MOE_EXPAND, SH_FC1, SH_FC1_GATE, SH_FC1_UP, SH_MOE_ACT, SH_QUANT_INTER, SH_FC2,
    SH_MOE_FINALIZE, SH_MOE_BIAS, SH_MOE_WEIGHT_SUM, SH_EMBED, SH_LM_HEAD, SH_SAMPLE,
    SH_SPLITK_O, SH_SPLITK_ROUTER, SH_TINY_TOPK, SH_MOE_EW
} shape_t;

/* A tiled kernel's launch as a library chose it (the traces' configuration
 * columns): tile MxNxK in the MMA's terms, stages, swap-AB, cluster, split-K,
 * grid; 0 = the kernel model's default for that field. */
typedef struct {
    int tile_m, tile_n, tile_k, stages, swap_ab, cluster_m, cluster_n, split_k, grid;
} stack_launch_t;

/* The tiled kernel a library runs for a stack's op instead of the op's KM_GEMV
 * implementation, while the tokens fit tile_n (swap-AB) or tile_m. */
typedef struct {
    const char *op;
    stack_launch_t launch;
} stack_op_launch_t;

typedef struct {
    const char *op;         /* class label in reports */
    const char *kernel;     /* the real kernel (family) name */
    stack_where_t where;
    shape_t shape;
    km_kind_t model;
    const char *impl;       /* gemv or attention implementation; KM_ELEMENTWISE: a
                               ksmall "family[:functor]" (ksmall.h), else NULL (generic
                               model) */
    const char *source;
} stack_kernel_t;

typedef struct {
    const char *name;
    const char *desc;
    const stack_kernel_t *kernels;
    size_t n_kernels;
    dtype_t dense_w;        /* non-expert weights as this engine stores them */
    dtype_t expert_a;       /* activation type fed to expert GEMMs */
    dtype_t expert_w;       /* expert weights as this engine stores them */
    dtype_t dense_a;        /* activation type fed to dense GEMVs */
    int act_bytes;          /* bytes of an activation element between kernels */
    stack_launch_t fc;      /* expert GEMM launch (tile_m 0 = GEMV path; stages 0 = as
                               many as fit; cluster 0 = 1x1) */
    int graphs_default;     /* 1: the engine replays CUDA graphs by default */
    double host_us_per_kernel;  /* framework CPU time per launch in eager mode */
    const char *source;
    const stack_op_launch_t *launches;  /* per op, the tiled kernels the library runs */
    size_t n_launches;
    double launches_cc;     /* compute capability x10 that fc and launches[] were
                               recorded on; on another arch gbsim picks its own
                               configuration (0: valid on any arch) */
} stack_t;

const stack_t *stack_find(const char *name);
/* Comma-separated names into buf. */
void stack_names(char *buf, size_t buflen);

/* Decode-step geometry shared by all rows. */
typedef struct {
    int64_t tokens;          /* M: tokens per step */
    int64_t ctx;             /* KV length before this step */
    double experts_active;   /* expected distinct experts per layer */
    int64_t routed_rows;     /* M * top_k */
} step_geom_t;

void stack_geom(const llm_t *m, int64_t tokens, int64_t ctx, step_geom_t *g);

/* Fill the kernel descriptor of row r (an element of s->kernels: the row
 * before it is the kernel launched before it) on arch a for a sliding
 * (sliding=1) or full layer. Returns 0, or -1 with err if the stack cannot run
 * this shape. */
int stack_kdesc(const stack_t *s, const stack_kernel_t *r, const arch_t *a, const llm_t *m,
                const step_geom_t *g, int sliding, kdesc_t *d, char *err, size_t errlen);

/* Bytes that must move per step at minimum: each weight touched once at this
 * stack's storage format, and the KV cache read once. */
double stack_min_bytes(const stack_t *s, const llm_t *m, const step_geom_t *g);

/* Whether a step streams more bytes than a's L2 holds: then nothing of one
 * step (weights, code, graph node state) is left in L2 for the next. */
int stack_streams_past_l2(const stack_t *s, const llm_t *m, const step_geom_t *g, const arch_t *a);

#endif
