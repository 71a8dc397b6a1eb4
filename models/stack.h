/* stack.h -- inference stacks as data: the kernels an engine launches for one
 * decode step, one row per kernel, read from a stack file (an embedded preset
 * models/data/stack/<name>.csv or any FILE.csv; format in docs/formats.md):
 *
 *   key,value,unit,source            stack-wide settings (STACK_KEYS in stack.c)
 *   ...
 *   <blank line>
 *   op,where,shape,impl,weights,acts,tile,schedule,swap_ab,stages,cluster,split_k,grid,sf_vec,kernel,source
 *   ...                              one row per kernel, in launch order
 *
 * A decode step runs every `layer` row once per layer (attention rows as the
 * model's sliding or full layers say), then every `step` row once. Rows whose
 * shape needs routed experts run only for models with experts; rows of a dense
 * FFN only for models with ffn_inter > 0 (a dense model, or a MoE model's
 * shared expert).
 *
 * Every field of a row and every stack-wide key can be overridden
 * (stack_set: "op.field=value" or "key=value"); a field that no row of that op
 * reads is an error, not a no-op. */
#ifndef GBSIM_STACK_H
#define GBSIM_STACK_H

#include <stddef.h>

#include "models/arch.h"
#include "models/kmodel.h"
#include "models/llm.h"
#include "models/route.h"

typedef enum { AT_LAYER, AT_STEP } stack_where_t;

/* What a row computes; its shape follows from the model (stack.c SHAPES). */
typedef enum {
    SH_NORM, SH_QUANT_HIDDEN, SH_QKV, SH_Q, SH_K, SH_V, SH_ROPE, SH_KV_WRITE, SH_ATTN,
    SH_QUANT_ATTN, SH_O, SH_RESIDUAL, SH_ROUTER, SH_TOPK, SH_MOE_QUANT, SH_MOE_MAPS,
    SH_MOE_EXPAND, SH_FC1, SH_FC1_GATE, SH_FC1_UP, SH_MOE_ACT, SH_QUANT_INTER, SH_FC2,
    SH_MOE_FINALIZE, SH_MOE_BIAS, SH_MOE_WEIGHT_SUM, SH_EMBED, SH_LM_HEAD, SH_SAMPLE,
    SH_SPLITK_O, SH_SPLITK_ROUTER, SH_TINY_TOPK, SH_MOE_EW,
    SH_FFN_GATE_UP, SH_FFN_GATE, SH_FFN_UP, SH_FFN_ACT, SH_FFN_DOWN, SH_QUANT_FFN, SH_QUANT_MOE,
    SH_COUNT
} shape_t;

/* Which model a row applies to. */
typedef enum { FOR_ALL, FOR_MOE, FOR_FFN } shape_for_t;

/* A tiled kernel's launch as a library chose it: tile MxNxK in the MMA's terms,
 * stages, swap-AB, cluster, split-K, grid; 0 = the kernel model's default. */
typedef struct {
    int tile_m, tile_n, tile_k, stages, swap_ab, cluster_m, cluster_n, split_k, grid;
} stack_launch_t;

/* The fields of a row, as bits (stack_row_reads). */
enum {
    SF_IMPL = 1 << 0, SF_WEIGHTS = 1 << 1, SF_ACTS = 1 << 2, SF_TILE = 1 << 3,
    SF_SCHEDULE = 1 << 4, SF_SWAP_AB = 1 << 5, SF_STAGES = 1 << 6, SF_CLUSTER = 1 << 7,
    SF_SPLIT_K = 1 << 8, SF_GRID = 1 << 9, SF_SF_VEC = 1 << 10
};

typedef struct {
    char op[32];            /* op label, the same op in every stack (stack_op_known) */
    char kernel[96];        /* the real kernel (family) name */
    stack_where_t where;
    shape_t shape;
    char impl[64];          /* implementation as written (docs/formats.md) */
    km_kind_t model;        /* kernel model, from impl */
    const gemv_impl_t *gemv;      /* KM_GEMV */
    const attn_impl_t *attn;      /* KM_ATTENTION */
    const gemm_impl_t *gemm_impl; /* KM_GEMM, KM_GROUPED_GEMM */
    dtype_t weights, acts;  /* formats; has_* 0 = not given */
    int has_weights, has_acts;
    stack_launch_t launch;  /* tiled launch (0 fields = the model's choice) */
    int schedule;           /* 0 = default, 1 = cooperative, 2 = pingpong */
    int sf_vec;             /* elements per scale factor, 0 = the format's own */
    int any_arch;           /* 1: the launch fields apply on every arch (set by --set) */
    char source[512];
    int line;               /* line in the stack file */
} stack_kernel_t;

/* A KM_ELEMENTWISE row's ksmall family spec (its impl after "small:"), or
 * NULL: read from the row's own impl, so a copied row stays whole. */
const char *stack_kernel_small(const stack_kernel_t *r);

typedef struct {
    char name[64];
    char path[256];         /* file the stack came from, for messages */
    char desc[256];
    stack_kernel_t *kernels;
    size_t n_kernels;
    int graphs_default;     /* 1: the engine replays CUDA graphs by default */
    double host_us_per_kernel;  /* framework CPU time per launch in eager mode */
    dtype_t act_dtype;      /* activations between kernels */
    dtype_t kv_dtype;       /* KV cache elements */
    double recorded_cc;     /* compute capability x10 the launch columns were recorded
                               on; on another arch gbsim picks its own configuration
                               (0: valid on any arch) */
    unsigned relax;         /* gemm rules relaxed for this stack (gemm_rule_mask) */
    ksmall_code_t small_code;   /* the small kernels' code table (ksmall.h) its small:
                                   rows resolve against */
} stack_desc_t;

/* Load the embedded preset `name`, or the stack file at `name` when it names a
 * file (ends in .csv). Returns a heap stack (stack_free), or NULL with err
 * ("file:line: ..." for a malformed file; unknown names list the valid ones). */
stack_desc_t *stack_load(const char *name, char *err, size_t errlen);
stack_desc_t *stack_parse(const char *path, const char *text, size_t len, char *err, size_t errlen);
void stack_free(stack_desc_t *s);

/* Comma-separated preset names into buf. */
void stack_names(char *buf, size_t buflen);

/* Apply "op.field=value" (to every row of op that reads field) or "key=value"
 * (a stack-wide key). Returns 0; 1 if the key names neither a stack key nor an
 * op of this stack (nothing changed, err untouched); -1 with err for a bad
 * value or a field no row of that op reads. */
int stack_set(stack_desc_t *s, const char *assignment, char *err, size_t errlen);

/* The fields (SF_*) row r's implementation reads. */
unsigned stack_row_reads(const stack_kernel_t *r);

/* Whether op is a known op name (the same op in every stack), and the list. */
int stack_op_known(const char *op);
const char *stack_op_names(void);

/* Whether row r runs for model m (its shape needs experts or a dense FFN). */
int stack_row_applies(const stack_kernel_t *r, const llm_t *m);

/* The models row r's shape serves: every model, or those with experts or a
 * dense FFN (the rows of the FFN block). */
shape_for_t stack_row_for(const stack_kernel_t *r);

/* Decode-step geometry shared by all rows. */
typedef struct {
    int64_t seqs;            /* B: independent sequences, each with its own KV */
    int64_t q_len;           /* K: query positions verified per sequence (1 = plain decode) */
    int64_t tokens;          /* M = B * K: token rows per step */
    int64_t ctx;             /* KV length of each sequence before this step */
    double experts_active;   /* expected distinct experts per layer */
    int64_t routed_rows;     /* M * top_k */
    route_t route;           /* the routing statistics (route.h) */
} step_geom_t;

/* Geometry of a step of seqs sequences with q_len positions each, routed as
 * route says (route.h: uniform, Zipf or a measured histogram). */
void stack_geom_route(const llm_t *m, int64_t seqs, int64_t q_len, int64_t ctx,
                      const route_t *route, step_geom_t *g);
/* stack_geom_route with Zipf routing of exponent skew (0 = uniform). */
void stack_geom(const llm_t *m, int64_t seqs, int64_t q_len, int64_t ctx, double skew,
                step_geom_t *g);

/* Whether row r runs in this step: it applies to the model, and a split-K
 * reduce row runs only after its op's kernel split K (stack_split_k_of). */
int stack_row_runs(const stack_desc_t *s, const stack_kernel_t *r, const arch_t *a, const llm_t *m,
                   const step_geom_t *g);

/* The K splits of the GEMV/GEMM of r's op launched before r on arch a (its
 * tiled launch), or 0 when it does not split K. */
int stack_split_k_of(const stack_desc_t *s, const stack_kernel_t *r, const arch_t *a,
                     const step_geom_t *g);

/* Fill the kernel descriptor of row r (an element of s->kernels: the row
 * before it is the kernel launched before it) on arch a for a sliding
 * (sliding=1) or full layer. Returns 0, or -1 with err if the stack cannot run
 * this shape. */
int stack_kdesc(const stack_desc_t *s, const stack_kernel_t *r, const arch_t *a, const llm_t *m,
                const step_geom_t *g, int sliding, kdesc_t *d, char *err, size_t errlen);

/* The name of the kernel row r launches in this step, d its descriptor
 * (stack_kdesc): the row's own; for an attention row whose library switches
 * kernels with the batch (attn_impl_launched) the kernel it switched to; for a
 * GEMV row that runs a tiled GEMM with no tile given (past its columns or its
 * recorded tile's tokens: kmodel.c picks from the arch's default library,
 * GEMM_DEFAULT_LIBS) "tiled GEMM (the arch's default library)", and for one
 * whose recorded tiled kernel does not hold on this arch its GEMV's kernel. */
const char *stack_row_kernel(const stack_kernel_t *r, const arch_t *a, const llm_t *m,
                             const step_geom_t *g, const kdesc_t *d);

/* Bytes that must move per step at minimum: each weight a row reads, once, at
 * that row's storage format, and every sequence's KV cache once at kv_dtype. */
double stack_min_bytes(const stack_desc_t *s, const llm_t *m, const step_geom_t *g);

/* Bytes of every sequence's KV cache after the step (sliding layers hold
 * their window), at kv_dtype. */
double stack_kv_bytes(const stack_desc_t *s, const llm_t *m, const step_geom_t *g);

/* Bytes of every weight the stack holds for model m (all experts, the
 * embedding table, lm_head unless tied), at each row's format. */
double stack_weight_bytes(const stack_desc_t *s, const llm_t *m);

/* Whether a step streams more bytes than a's L2 holds: then nothing of one
 * step (weights, code, graph node state) is left in L2 for the next. */
int stack_streams_past_l2(const stack_desc_t *s, const llm_t *m, const step_geom_t *g, const arch_t *a);

#endif
