/* stack.c -- stack files: parsing, overrides, and each row's kernel for a
 * model and a step. */
#include "models/stack.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gemm.h"
#include "models/preset.h"
#include "sim/csvrec.h"
#include "sim/table.h"

/* ------------------------------------------------------------ shapes -- */

/* What a row computes (its shape follows from the model in stack_kdesc) and
 * which implementations can compute it. */
enum { CAN_EW = 1, CAN_GEMV = 2, CAN_GEMM = 4, CAN_GROUPED = 8, CAN_ATTN = 16 };
typedef struct {
    const char *name;
    shape_t shape;
    shape_for_t applies;
    int can;            /* CAN_* */
    const char *what;
} shape_info_t;

#define DENSE_GEMM (CAN_GEMV | CAN_GEMM)
#define EXPERT_GEMM (CAN_GEMV | CAN_GROUPED)
static const shape_info_t SHAPES[] = {
    {"norm", SH_NORM, FOR_ALL, CAN_EW, "RMS norm of the hidden state (+ residual add where fused)"},
    {"quant_hidden", SH_QUANT_HIDDEN, FOR_ALL, CAN_EW, "hidden state quantized to acts (e.g. q8_1)"},
    {"qkv", SH_QKV, FOR_ALL, DENSE_GEMM, "fused QKV projection: hidden -> (heads_q + 2 heads_kv) x head_dim"},
    {"q", SH_Q, FOR_ALL, DENSE_GEMM, "Q projection: hidden -> heads_q x head_dim"},
    {"k", SH_K, FOR_ALL, DENSE_GEMM, "K projection: hidden -> heads_kv x head_dim"},
    {"v", SH_V, FOR_ALL, DENSE_GEMM, "V projection: hidden -> heads_kv x head_dim"},
    {"rope", SH_ROPE, FOR_ALL, CAN_EW, "rotary embedding of q and k"},
    {"kv_write", SH_KV_WRITE, FOR_ALL, CAN_EW, "new k and v written into the cache at kv_dtype"},
    {"attn", SH_ATTN, FOR_ALL, CAN_ATTN, "decode attention over each sequence's KV cache"},
    {"quant_attn", SH_QUANT_ATTN, FOR_ALL, CAN_EW, "attention output quantized to acts"},
    {"o", SH_O, FOR_ALL, DENSE_GEMM, "output projection: heads_q x head_dim -> hidden"},
    {"residual", SH_RESIDUAL, FOR_ALL, CAN_EW, "residual add"},
    {"router", SH_ROUTER, FOR_MOE, DENSE_GEMM, "router logits: hidden -> n_experts"},
    {"topk", SH_TOPK, FOR_MOE, CAN_EW, "top-k selection and softmax of router logits (fused kernel)"},
    {"tiny_topk", SH_TINY_TOPK, FOR_MOE, CAN_EW, "one of several small top-k kernels (sort, casts, softmax)"},
    {"moe_quant", SH_MOE_QUANT, FOR_MOE, CAN_EW, "hidden state quantized to the expert GEMM's acts"},
    {"moe_maps", SH_MOE_MAPS, FOR_MOE, CAN_EW, "expert maps / grouped-GEMM problem set-up"},
    {"moe_expand", SH_MOE_EXPAND, FOR_MOE, CAN_EW, "input rows copied once per selected expert"},
    {"fc1", SH_FC1, FOR_MOE, EXPERT_GEMM, "expert FC1, gate and up: hidden -> 2 expert_inter per routed row"},
    {"fc1_gate", SH_FC1_GATE, FOR_MOE, EXPERT_GEMM, "expert gate: hidden -> expert_inter"},
    {"fc1_up", SH_FC1_UP, FOR_MOE, EXPERT_GEMM, "expert up: hidden -> expert_inter"},
    {"moe_act", SH_MOE_ACT, FOR_MOE, CAN_EW, "SwiGLU over FC1's output, written at acts"},
    {"moe_ew", SH_MOE_EW, FOR_MOE, CAN_EW, "one elementwise pass over the routed rows' intermediate"},
    {"quant_inter", SH_QUANT_INTER, FOR_MOE, CAN_EW, "expert intermediate quantized to acts"},
    {"fc2", SH_FC2, FOR_MOE, EXPERT_GEMM, "expert FC2: expert_inter -> hidden per routed row"},
    {"moe_finalize", SH_MOE_FINALIZE, FOR_MOE, CAN_EW, "weighted sum of expert outputs + residual"},
    {"moe_bias", SH_MOE_BIAS, FOR_MOE, CAN_EW, "expert biases added per routed row"},
    {"moe_weight_sum", SH_MOE_WEIGHT_SUM, FOR_MOE, CAN_EW, "routing weights applied and summed over k"},
    {"ffn_gate_up", SH_FFN_GATE_UP, FOR_FFN, DENSE_GEMM, "dense FFN gate and up: hidden -> 2 ffn_inter"},
    {"ffn_gate", SH_FFN_GATE, FOR_FFN, DENSE_GEMM, "dense FFN gate: hidden -> ffn_inter"},
    {"ffn_up", SH_FFN_UP, FOR_FFN, DENSE_GEMM, "dense FFN up: hidden -> ffn_inter"},
    {"ffn_act", SH_FFN_ACT, FOR_FFN, CAN_EW, "SiLU(gate) x up, written at acts"},
    {"quant_ffn", SH_QUANT_FFN, FOR_FFN, CAN_EW, "dense FFN intermediate quantized to acts"},
    {"ffn_down", SH_FFN_DOWN, FOR_FFN, DENSE_GEMM, "dense FFN down: ffn_inter -> hidden"},
    {"embed", SH_EMBED, FOR_ALL, CAN_EW, "embedding rows gathered per token (weights: the table's format)"},
    {"lm_head", SH_LM_HEAD, FOR_ALL, DENSE_GEMM, "unembedding: hidden -> vocab"},
    {"sample", SH_SAMPLE, FOR_ALL, CAN_EW, "argmax / sampling over the vocabulary"},
    {"splitk_o", SH_SPLITK_O, FOR_ALL, CAN_EW, "split-K partials of o summed (split_k slices)"},
    {"splitk_router", SH_SPLITK_ROUTER, FOR_MOE, CAN_EW, "split-K partials of router summed"},
    {"quant_moe", SH_QUANT_MOE, FOR_MOE, CAN_EW, "hidden state quantized to acts for the experts"},
};
_Static_assert(sizeof SHAPES / sizeof SHAPES[0] == SH_COUNT, "one SHAPES row per shape_t");

static const shape_info_t *shape_info(shape_t s)
{
    for (size_t i = 0; i < SH_COUNT; i++)
        if (SHAPES[i].shape == s)
            return &SHAPES[i];
    assert(0);
    return NULL;
}

/* --------------------------------------------------------------- ops -- */

/* Op labels: the same op means the same work in every stack, so stacks compare
 * row by row. A stack may add its own ops (e.g. quant_q8_1). */
static const struct {
    const char *name;
    const char *what;
} OPS[] = {
    {"norm", "RMS norms (input, post-attention, final)"},
    {"qkv_proj", "QKV projection (fused or three GEMVs)"},
    {"rope", "rotary embedding"},
    {"kv_write", "KV-cache append"},
    {"attention", "decode attention (and its split-KV merge)"},
    {"o_proj", "attention output projection (and its split-K reduce)"},
    {"residual", "residual adds"},
    {"router", "MoE router GEMV"},
    {"topk", "expert selection"},
    {"moe_quant", "activation quantization for the expert GEMMs"},
    {"moe_maps", "expert maps / grouped-GEMM set-up"},
    {"moe_expand", "routed row expansion"},
    {"moe_fc1", "expert gate+up GEMMs"},
    {"moe_act", "expert activation (SwiGLU)"},
    {"moe_fc2", "expert down GEMM"},
    {"moe_finalize", "expert output combination"},
    {"moe_bias", "expert biases"},
    {"moe_sum", "routing-weighted sum over experts"},
    {"ffn_gate_up", "dense FFN gate+up GEMMs"},
    {"ffn_act", "dense FFN activation"},
    {"ffn_down", "dense FFN down GEMM"},
    {"embed", "token embedding gather"},
    {"lm_head", "unembedding GEMV"},
    {"sample", "sampling"},
    {"quant_q8_1", "llama.cpp q8_1 activation quantization"},
};

int stack_op_known(const char *op)
{
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (strcmp(OPS[i].name, op) == 0)
            return 1;
    return 0;
}

const char *stack_op_names(void)
{
    static const char names[] =
        "norm, qkv_proj, rope, kv_write, attention, o_proj, residual, router, topk, moe_quant, "
        "moe_maps, moe_expand, moe_fc1, moe_act, moe_fc2, moe_finalize, moe_bias, moe_sum, "
        "ffn_gate_up, ffn_act, ffn_down, embed, lm_head, sample, quant_q8_1";
    return names;
}

/* ------------------------------------------------------- stack keys -- */

/* Stack-wide keys of the key,value,unit,source section. */
typedef enum { SK_DESC, SK_GRAPHS, SK_HOST_US, SK_ACT_DTYPE, SK_KV_DTYPE, SK_RECORDED_CC } skey_t;
static const struct {
    const char *name;
    skey_t key;
    const char *unit;
    const char *what;
} STACK_KEYS[] = {
    {"desc", SK_DESC, "text", "one line describing the stack"},
    {"graphs", SK_GRAPHS, "bool", "on|off: the engine replays CUDA graphs by default"},
    {"host_us_per_kernel", SK_HOST_US, "us", "framework CPU time per launch in eager mode, 0..1000"},
    {"act_dtype", SK_ACT_DTYPE, "dtype", "activation format between kernels"},
    {"kv_dtype", SK_KV_DTYPE, "dtype", "KV-cache element format"},
    {"recorded_cc", SK_RECORDED_CC, "cc", "compute capability x10 the launch columns were recorded on (0 = any)"},
};
#define N_STACK_KEYS (sizeof STACK_KEYS / sizeof STACK_KEYS[0])

static int parse_real(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x) || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
    double x;
    if (parse_real(v, lo, hi, &x) != 0 || x != floor(x))
        return -1;
    *out = (int)x;
    return 0;
}

static int parse_act_dtype(const char *v, dtype_t *out)
{
    if (dtype_parse(v, out) != 0)
        return -1;
    return 0;
}

/* Apply stack-wide key k = v; 0, or -1 with err. */
static int set_stack_key(stack_desc_t *s, skey_t k, const char *v, char *err, size_t errlen)
{
    double x;
    switch (k) {
    case SK_DESC:
        snprintf(s->desc, sizeof s->desc, "%s", v);
        return 0;
    case SK_GRAPHS:
        if (!strcmp(v, "on") || !strcmp(v, "1"))
            s->graphs_default = 1;
        else if (!strcmp(v, "off") || !strcmp(v, "0"))
            s->graphs_default = 0;
        else {
            snprintf(err, errlen, "graphs '%s': expected on or off", v);
            return -1;
        }
        return 0;
    case SK_HOST_US:
        if (parse_real(v, 0, 1000, &x) != 0) {
            snprintf(err, errlen, "host_us_per_kernel '%s': expected a number of us in [0, 1000]", v);
            return -1;
        }
        s->host_us_per_kernel = x;
        return 0;
    case SK_ACT_DTYPE:
    case SK_KV_DTYPE: {
        dtype_t t;
        if (parse_act_dtype(v, &t) != 0) {
            snprintf(err, errlen, "%s '%s': expected one of %s", k == SK_ACT_DTYPE ? "act_dtype" : "kv_dtype",
                     v, dtype_names());
            return -1;
        }
        if (k == SK_ACT_DTYPE)
            s->act_dtype = t;
        else
            s->kv_dtype = t;
        return 0;
    }
    case SK_RECORDED_CC:
        if (parse_real(v, 0, 1000, &x) != 0) {
            snprintf(err, errlen, "recorded_cc '%s': expected a compute capability x10 (e.g. 90), or 0", v);
            return -1;
        }
        s->recorded_cc = x;
        return 0;
    }
    return -1;
}

/* ------------------------------------------------------- row fields -- */

static const char *const FIELDS[] = {"impl",  "weights", "acts",  "tile",    "schedule", "swap_ab",
                                     "stages", "cluster", "split_k", "grid", "sf_vec"};
#define N_FIELDS (sizeof FIELDS / sizeof FIELDS[0])

static int is_block_scaled(dtype_t t)
{
    return dtype_info(t)->scale_block > 0 && (t == DT_MXFP8 || t == DT_MXFP6 || t == DT_MXFP4 ||
                                              t == DT_NVFP4);
}

unsigned stack_row_reads(const stack_kernel_t *r)
{
    unsigned f = SF_IMPL;
    unsigned launch = SF_TILE | SF_SCHEDULE | SF_SWAP_AB | SF_STAGES | SF_CLUSTER | SF_GRID;
    switch (r->model) {
    case KM_GEMV:
        /* acts: the activation vector, and the tiled GEMM a library switches to past
         * max_cols tokens; on a dense row a tile switches it to the library's tiled
         * kernel while the tokens fit (an expert row's GEMV covers every expert in
         * one launch and has no tiled form here) */
        f |= SF_WEIGHTS | SF_ACTS;
        if (shape_info(r->shape)->can & CAN_GROUPED)
            break;
        f |= SF_TILE;
        if (r->launch.tile_m)
            f |= launch | SF_SPLIT_K;
        break;
    case KM_GEMM:
    case KM_GROUPED_GEMM:
        f |= SF_WEIGHTS | SF_ACTS | launch;
        if (r->model == KM_GEMM)
            f |= SF_SPLIT_K;
        break;
    case KM_ATTENTION:
        f |= SF_GRID;
        break;
    case KM_ELEMENTWISE:
        switch (r->shape) {
        case SH_QUANT_HIDDEN: case SH_QUANT_ATTN: case SH_QUANT_INTER: case SH_QUANT_FFN:
        case SH_QUANT_MOE:
        case SH_MOE_QUANT: case SH_MOE_EXPAND: case SH_MOE_ACT: case SH_FFN_ACT:
            /* the bytes the generic model moves; a ksmall family has its own counts */
            if (stack_kernel_small(r) == NULL)
                f |= SF_ACTS;
            break;
        case SH_EMBED:
            f |= SF_WEIGHTS;
            break;
        default:
            break;
        }
        break;
    }
    if ((f & SF_WEIGHTS) && (f & SF_ACTS) && (f & SF_TILE) && r->has_weights && r->has_acts &&
        is_block_scaled(r->weights) && is_block_scaled(r->acts))
        f |= SF_SF_VEC;
    return f;
}

const char *stack_kernel_small(const stack_kernel_t *r)
{
    return r->model == KM_ELEMENTWISE && !strncmp(r->impl, "small:", 6) ? r->impl + 6 : NULL;
}

/* Resolve impl name v for row r (a small-kernel family and functor against
 * code, the small kernels' code table); 0, or -1 with err. */
static int set_impl(stack_kernel_t *r, const ksmall_code_t *code, const char *v, char *err,
                    size_t errlen)
{
    const shape_info_t *si = shape_info(r->shape);
    stack_kernel_t t = *r;
    snprintf(t.impl, sizeof t.impl, "%s", v);
    t.gemv = NULL;
    t.attn = NULL;
    t.gemm_impl = NULL;
    int can;
    if (!strcmp(v, "ew")) {
        t.model = KM_ELEMENTWISE;
        can = CAN_EW;
    } else if (!strncmp(v, "small:", 6)) {
        ksmall_desc_t kd;
        char kerr[200];
        if (ksmall_parse(code, v + 6, &kd, kerr, sizeof kerr) != 0) {
            snprintf(err, errlen, "impl '%s': %s", v, kerr);
            return -1;
        }
        t.model = KM_ELEMENTWISE;
        can = CAN_EW;
    } else if ((t.gemv = gemv_impl_find(v)) != NULL) {
        t.model = KM_GEMV;
        can = CAN_GEMV;
    } else if ((t.attn = attn_impl_find(v)) != NULL) {
        t.model = KM_ATTENTION;
        can = CAN_ATTN;
    } else if (!strcmp(v, "cutlass-grouped")) {
        t.model = KM_GROUPED_GEMM;
        t.gemm_impl = gemm_impl_find("cutlass");
        can = CAN_GROUPED;
    } else if ((t.gemm_impl = gemm_impl_find(v)) != NULL) {
        /* a tiled-GEMM family: grouped over the experts on expert shapes */
        int grouped = si->can & CAN_GROUPED;
        t.model = grouped ? KM_GROUPED_GEMM : KM_GEMM;
        can = grouped ? CAN_GROUPED : CAN_GEMM;
    } else {
        snprintf(err, errlen, "impl '%s' is unknown; expected ew, small:<family>[:functor] "
                 "(models/ksmall.c), cutlass-grouped, a tiled-GEMM family (%s), a GEMV "
                 "implementation or an attention implementation (%s; models/kmodel.c)", v,
                 gemm_impl_names(), attn_impl_names());
        return -1;
    }
    if (!(si->can & can)) {
        snprintf(err, errlen, "impl '%s' cannot compute shape '%s' (%s)", v, si->name, si->what);
        return -1;
    }
    *r = t;
    return 0;
}

static int parse_dims(const char *v, int *a, int *b, int *c, int three)
{
    char tail;
    if (three) {
        if (sscanf(v, "%d x %d x %d%c", a, b, c, &tail) == 3 ||
            sscanf(v, "%dx%dx%d%c", a, b, c, &tail) == 3)
            return (*a >= 1 && *a <= 1024 && *b >= 1 && *b <= 1024 && *c >= 1 && *c <= 1024) ? 0 : -1;
        return -1;
    }
    if (sscanf(v, "%dx%d%c", a, b, &tail) == 2)
        return (*a >= 1 && *a <= 16 && *b >= 1 && *b <= 16) ? 0 : -1;
    return -1;
}

/* Set field fi of row r to v ("" = the default; an impl resolved against
 * code). 0, or -1 with err. */
static int set_field(stack_kernel_t *r, const ksmall_code_t *code, size_t fi, const char *v,
                     char *err, size_t errlen)
{
    const char *f = FIELDS[fi];
    int x, y, z;
    int empty = v[0] == '\0';
    switch (fi) {
    case 0:
        return set_impl(r, code, v, err, errlen);
    case 1:
    case 2: {
        dtype_t t = DT_BF16;
        if (!empty && dtype_parse(v, &t) != 0) {
            snprintf(err, errlen, "%s '%s': expected one of %s", f, v, dtype_names());
            return -1;
        }
        if (fi == 1) {
            r->weights = t;
            r->has_weights = !empty;
        } else {
            r->acts = t;
            r->has_acts = !empty;
        }
        return 0;
    }
    case 3:
        if (empty) {
            r->launch.tile_m = r->launch.tile_n = r->launch.tile_k = 0;
            return 0;
        }
        if (parse_dims(v, &x, &y, &z, 1) != 0) {
            snprintf(err, errlen, "tile '%s': expected MxNxK, each 1..1024 (e.g. 128x128x128)", v);
            return -1;
        }
        r->launch.tile_m = x;
        r->launch.tile_n = y;
        r->launch.tile_k = z;
        return 0;
    case 4:
        if (empty)
            r->schedule = 0;
        else if (!strcmp(v, "coop") || !strcmp(v, "cooperative"))
            r->schedule = 1;
        else if (!strcmp(v, "pingpong"))
            r->schedule = 2;
        else {
            snprintf(err, errlen, "schedule '%s': expected coop or pingpong (empty: the faster)", v);
            return -1;
        }
        return 0;
    case 5:
        if (empty)
            x = 0;
        else if (parse_int(v, 0, 1, &x) != 0) {
            snprintf(err, errlen, "swap_ab '%s': expected 0 or 1", v);
            return -1;
        }
        r->launch.swap_ab = x;
        return 0;
    case 6:
        if (empty)
            x = 0;
        else if (parse_int(v, 1, 64, &x) != 0) {
            snprintf(err, errlen, "stages '%s': expected an integer in [1, 64] (empty: as many as fit)", v);
            return -1;
        }
        r->launch.stages = x;
        return 0;
    case 7:
        if (empty)
            x = y = 0;
        else if (parse_dims(v, &x, &y, NULL, 0) != 0) {
            snprintf(err, errlen, "cluster '%s': expected MxN, each 1..16 (e.g. 2x1)", v);
            return -1;
        }
        r->launch.cluster_m = x;
        r->launch.cluster_n = y;
        return 0;
    case 8:
        if (empty)
            x = 0;
        else if (parse_int(v, 1, 64, &x) != 0) {
            snprintf(err, errlen, "split_k '%s': expected an integer in [1, 64]", v);
            return -1;
        }
        r->launch.split_k = x;
        return 0;
    case 9:
        if (empty)
            x = 0;
        else if (parse_int(v, 1, 1 << 20, &x) != 0) {
            snprintf(err, errlen, "grid '%s': expected a CTA count in [1, 1048576]", v);
            return -1;
        }
        r->launch.grid = x;
        return 0;
    case 10:
        if (empty)
            x = 0;
        else if (parse_int(v, 16, 128, &x) != 0 || (x != 16 && x != 32 && x != 64 && x != 128)) {
            snprintf(err, errlen, "sf_vec '%s': expected 16, 32 (hardware) or 64, 128 (hypothetical)", v);
            return -1;
        }
        r->sf_vec = x;
        return 0;
    }
    assert(0);
    return -1;
}

/* ---------------------------------------------------------- parsing -- */

static const char *const ROW_COLS[] = {"op",     "where",   "shape", "impl",  "weights", "acts",
                                       "tile",   "schedule", "swap_ab", "stages", "cluster",
                                       "split_k", "grid",   "sf_vec", "kernel", "source"};
#define N_ROW_COLS (sizeof ROW_COLS / sizeof ROW_COLS[0])

static int shape_parse(const char *v, shape_t *out)
{
    for (size_t i = 0; i < SH_COUNT; i++)
        if (!strcmp(SHAPES[i].name, v)) {
            *out = SHAPES[i].shape;
            return 0;
        }
    return -1;
}

static void shape_names(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < SH_COUNT && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", SHAPES[i].name);
}

void stack_free(stack_desc_t *s)
{
    if (s == NULL)
        return;
    free(s->kernels);
    ksmall_code_free(&s->small_code);
    free(s);
}

stack_desc_t *stack_parse(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    csvrec_list_t l = {0};
    if (csvrec_parse(path, text, len, 0, 1, NULL, &l, err, errlen) != 0) {
        csvrec_free(&l);
        return NULL;
    }
    stack_desc_t *s = calloc(1, sizeof *s);
    assert(s != NULL);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->act_dtype = DT_BF16;
    s->kv_dtype = DT_BF16;
    if (ksmall_code_load_default(&s->small_code, err, errlen) != 0) {
        csvrec_free(&l);
        stack_free(s);
        return NULL;
    }
    int seen[N_STACK_KEYS] = {0};
    size_t i = 0;
    char e[1400];
#define FAIL(line, ...)                                                                            \
    do {                                                                                           \
        snprintf(e, sizeof e, __VA_ARGS__);                                                        \
        snprintf(err, errlen, "%s:%d: %s", path, (line), e);                                       \
        goto fail;                                                                                 \
    } while (0)
    if (l.nrecs == 0)
        FAIL(1, "empty stack file; expected a key,value,unit,source section, a blank line, then "
                "the op rows (docs/formats.md)");
    csvrec_t *h = &l.recs[0];
    if (h->n != 4 || strcmp(h->fields[0], "key") || strcmp(h->fields[1], "value") ||
        strcmp(h->fields[2], "unit") || strcmp(h->fields[3], "source"))
        FAIL(h->line, "expected the header key,value,unit,source");
    for (i = 1; i < l.nrecs; i++) {
        csvrec_t *r = &l.recs[i];
        if (r->n >= 1 && !strcmp(r->fields[0], "op"))
            break;
        if (r->n >= 1 && r->fields[0][0] == '#')
            continue;
        if (r->n != 4)
            FAIL(r->line, "expected 4 fields (key,value,unit,source), got %zu", r->n);
        size_t k = 0;
        while (k < N_STACK_KEYS && strcmp(STACK_KEYS[k].name, r->fields[0]))
            k++;
        if (k == N_STACK_KEYS)
            FAIL(r->line, "unknown stack key '%s'; expected desc, graphs, host_us_per_kernel, "
                          "act_dtype, kv_dtype, recorded_cc", r->fields[0]);
        if (seen[k])
            FAIL(r->line, "key '%s' given twice", r->fields[0]);
        seen[k] = 1;
        if (strcmp(r->fields[2], STACK_KEYS[k].unit))
            FAIL(r->line, "key '%s': unit '%s', expected '%s'", r->fields[0], r->fields[2],
                 STACK_KEYS[k].unit);
        if (r->fields[3][0] == '\0')
            FAIL(r->line, "key '%s' has no source", r->fields[0]);
        if (set_stack_key(s, STACK_KEYS[k].key, r->fields[1], e, sizeof e) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, r->line, e);
            goto fail;
        }
    }
    for (size_t k = 0; k < N_STACK_KEYS; k++)
        if (!seen[k])
            FAIL(l.recs[i < l.nrecs ? i : l.nrecs - 1].line, "stack key '%s' missing (%s)",
                 STACK_KEYS[k].name, STACK_KEYS[k].what);
    if (i == l.nrecs)
        FAIL(l.recs[l.nrecs - 1].line, "no op rows: expected a header line op,where,shape,...");
    h = &l.recs[i];
    if (h->n != N_ROW_COLS)
        FAIL(h->line, "op header has %zu columns, expected %zu: op,where,shape,impl,weights,acts,"
                      "tile,schedule,swap_ab,stages,cluster,split_k,grid,sf_vec,kernel,source",
             h->n, N_ROW_COLS);
    for (size_t c = 0; c < N_ROW_COLS; c++)
        if (strcmp(h->fields[c], ROW_COLS[c]))
            FAIL(h->line, "column %zu is '%s', expected '%s'", c + 1, h->fields[c], ROW_COLS[c]);
    s->kernels = calloc(l.nrecs - i, sizeof *s->kernels);
    assert(s->kernels != NULL);
    for (i++; i < l.nrecs; i++) {
        csvrec_t *r = &l.recs[i];
        if (r->n >= 1 && r->fields[0][0] == '#')
            continue;
        if (r->n != N_ROW_COLS)
            FAIL(r->line, "expected %zu fields, got %zu", N_ROW_COLS, r->n);
        stack_kernel_t *k = &s->kernels[s->n_kernels];
        memset(k, 0, sizeof *k);
        k->line = r->line;
        if (strlen(r->fields[0]) == 0 || strlen(r->fields[0]) >= sizeof k->op)
            FAIL(r->line, "column 'op': expected a name of 1..%zu characters", sizeof k->op - 1);
        snprintf(k->op, sizeof k->op, "%s", r->fields[0]);
        if (!strcmp(r->fields[1], "layer"))
            k->where = AT_LAYER;
        else if (!strcmp(r->fields[1], "step"))
            k->where = AT_STEP;
        else
            FAIL(r->line, "column 'where': '%s', expected layer or step", r->fields[1]);
        if (shape_parse(r->fields[2], &k->shape) != 0) {
            char names[900];
            shape_names(names, sizeof names);
            FAIL(r->line, "column 'shape': '%.200s' is unknown; expected one of %s", r->fields[2],
                 names);
        }
        if (strlen(r->fields[14]) >= sizeof k->kernel)
            FAIL(r->line, "column 'kernel': longer than %zu characters", sizeof k->kernel - 1);
        snprintf(k->kernel, sizeof k->kernel, "%s", r->fields[14][0] ? r->fields[14] : r->fields[3]);
        if (r->fields[15][0] == '\0')
            FAIL(r->line, "column 'source' is empty: every row names its source");
        snprintf(k->source, sizeof k->source, "%s", r->fields[15]);
        for (size_t fi = 0; fi < N_FIELDS; fi++)
            if (set_field(k, &s->small_code, fi, r->fields[3 + fi], e, sizeof e) != 0) {
                snprintf(err, errlen, "%s:%d: column '%s': %s", path, r->line, FIELDS[fi], e);
                goto fail;
            }
        unsigned reads = stack_row_reads(k);
        for (size_t fi = 1; fi < N_FIELDS; fi++)
            if (r->fields[3 + fi][0] && !(reads & (1u << fi)))
                FAIL(r->line, "column '%s' is set but impl '%s' on shape '%s' does not read it",
                     FIELDS[fi], k->impl, r->fields[2]);
        if ((k->model == KM_GEMV || k->model == KM_GEMM || k->model == KM_GROUPED_GEMM) &&
            (!k->has_weights || !k->has_acts))
            FAIL(r->line, "a GEMM or GEMV row needs weights and acts formats");
        s->n_kernels++;
    }
    if (s->n_kernels == 0)
        FAIL(h->line, "no op rows after the header");
    csvrec_free(&l);
    return s;
fail:
#undef FAIL
    csvrec_free(&l);
    stack_free(s);
    return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

stack_desc_t *stack_load(const char *name, char *err, size_t errlen)
{
    stack_desc_t *s;
    if (ends_with(name, ".csv")) {
        const char *b = strrchr(name, '/');
        if (strlen(b ? b + 1 : name) <= 4) {
            snprintf(err, errlen, "--stack '%s': expected a preset name or a file NAME.csv", name);
            return NULL;
        }
        char *buf;
        size_t len;
        if (csvrec_slurp(name, &buf, &len, err, errlen) != 0)
            return NULL;
        s = stack_parse(name, buf, len, err, errlen);
        free(buf);
        if (s == NULL)
            return NULL;
        const char *base = strrchr(name, '/');
        snprintf(s->name, sizeof s->name, "%.*s", (int)(strlen(base ? base + 1 : name) - 4),
                 base ? base + 1 : name);
        return s;
    }
    const preset_file_t *p = preset_find("stack", name);
    if (p == NULL) {
        char names[512];
        stack_names(names, sizeof names);
        snprintf(err, errlen, "unknown stack '%s'; valid: %s, or a stack file FILE.csv", name, names);
        return NULL;
    }
    s = stack_parse(p->path, p->text, p->len, err, errlen);
    if (s != NULL)
        snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

void stack_names(char *buf, size_t buflen)
{
    preset_names("stack", buf, buflen);
}

int stack_row_runs(const stack_desc_t *s, const stack_kernel_t *r, const arch_t *a, const llm_t *m,
                   const step_geom_t *g)
{
    if (!stack_row_applies(r, m))
        return 0;
    if (r->shape == SH_SPLITK_O || r->shape == SH_SPLITK_ROUTER)
        return stack_split_k_of(s, r, a, g) > 1;
    return 1;
}

shape_for_t stack_row_for(const stack_kernel_t *r)
{
    return shape_info(r->shape)->applies;
}

int stack_row_applies(const stack_kernel_t *r, const llm_t *m)
{
    switch (shape_info(r->shape)->applies) {
    case FOR_MOE:
        return m->n_experts > 0;
    case FOR_FFN:
        return m->ffn_inter > 0;
    case FOR_ALL:
        return 1;
    }
    return 1;
}

/* -------------------------------------------------------- overrides -- */

int stack_set(stack_desc_t *s, const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL)
        return 1;
    const char *v = eq + 1;
    const char *dot = memchr(assignment, '.', (size_t)(eq - assignment));
    char e[600];
    if (dot == NULL) {
        for (size_t k = 0; k < N_STACK_KEYS; k++) {
            if (strlen(STACK_KEYS[k].name) != (size_t)(eq - assignment) ||
                strncmp(STACK_KEYS[k].name, assignment, (size_t)(eq - assignment)))
                continue;
            if (STACK_KEYS[k].key == SK_DESC) {
                snprintf(err, errlen, "--set desc: a description changes no time");
                return -1;
            }
            if (set_stack_key(s, STACK_KEYS[k].key, v, e, sizeof e) != 0) {
                snprintf(err, errlen, "--set %s", e);
                return -1;
            }
            return 0;
        }
        return 1;
    }
    char op[64];
    snprintf(op, sizeof op, "%.*s", (int)(dot - assignment), assignment);
    const char *field = dot + 1;
    size_t flen = (size_t)(eq - field), fi = 0;
    while (fi < N_FIELDS && (strlen(FIELDS[fi]) != flen || strncmp(FIELDS[fi], field, flen)))
        fi++;
    int has_op = 0;
    for (size_t i = 0; i < s->n_kernels; i++)
        has_op |= !strcmp(s->kernels[i].op, op);
    if (!has_op) {
        if (!stack_op_known(op))
            return 1;
        snprintf(err, errlen, "--set %.*s: stack %s has no op '%s'", (int)(eq - assignment),
                 assignment, s->name, op);
        return -1;
    }
    if (fi == N_FIELDS) {
        snprintf(err, errlen, "--set %.*s: unknown field '%.*s'; fields are impl, weights, acts, "
                 "tile, schedule, swap_ab, stages, cluster, split_k, grid, sf_vec",
                 (int)(eq - assignment), assignment, (int)flen, field);
        return -1;
    }
    int applied = 0, impl_refused = 0;
    for (size_t i = 0; i < s->n_kernels; i++) {
        stack_kernel_t *r = &s->kernels[i];
        if (strcmp(r->op, op))
            continue;
        stack_kernel_t t = *r;
        if (fi == 0 && strcmp(r->impl, v) != 0) {
            /* the launch columns describe the old kernel: the new one picks its own */
            memset(&t.launch, 0, sizeof t.launch);
            t.schedule = 0;
            t.sf_vec = 0;
        }
        if (set_field(&t, &s->small_code, fi, v, e, sizeof e) != 0) {
            snprintf(err, errlen, "--set %s.%s: %s (%s)", op, FIELDS[fi], e, r->kernel);
            if (fi == 0 && strstr(e, "cannot compute shape") != NULL) {
                impl_refused = 1;   /* another row of the op may take it */
                continue;
            }
            return -1;
        }
        /* impl and tile change what the row reads: judge by the row after the change */
        if (!(stack_row_reads(fi == 0 || fi == 3 ? &t : r) & (1u << fi)))
            continue;
        if ((t.model == KM_GEMV || t.model == KM_GEMM || t.model == KM_GROUPED_GEMM) &&
            (!t.has_weights || !t.has_acts)) {
            /* an elementwise row turned into a GEMM: the stack's formats */
            if (!t.has_weights)
                t.weights = s->act_dtype;
            if (!t.has_acts)
                t.acts = s->act_dtype;
            t.has_weights = t.has_acts = 1;
        }
        t.any_arch = 1;
        *r = t;
        applied++;
    }
    if (!applied && impl_refused)
        return -1;
    if (!applied) {
        char impls[300] = "";
        size_t used = 0;
        for (size_t i = 0; i < s->n_kernels && used < sizeof impls; i++)
            if (!strcmp(s->kernels[i].op, op))
                used += (size_t)snprintf(impls + used, sizeof impls - used, "%s%s (%s)",
                                         used ? ", " : "", s->kernels[i].kernel, s->kernels[i].impl);
        snprintf(err, errlen, "--set %s.%s: no kernel of op '%s' reads %s: %s", op, FIELDS[fi], op,
                 FIELDS[fi], impls);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- geometry -- */

void stack_geom_route(const llm_t *m, int64_t seqs, int64_t q_len, int64_t ctx,
                      const route_t *route, step_geom_t *g)
{
    g->seqs = seqs;
    g->q_len = q_len;
    g->tokens = seqs * q_len;
    g->ctx = ctx;
    g->routed_rows = g->tokens * (int64_t)m->top_k;
    g->route = *route;
    g->experts_active = route_experts_active(route, m, g->tokens);
}

void stack_geom(const llm_t *m, int64_t seqs, int64_t q_len, int64_t ctx, double skew,
                step_geom_t *g)
{
    route_t r = {.skew = skew};
    stack_geom_route(m, seqs, q_len, ctx, &r, g);
}

static int64_t groups_of(const step_geom_t *g)
{
    int64_t gr = (int64_t)llround(g->experts_active);
    if (gr < 1)
        gr = 1;
    if (gr > g->routed_rows)
        gr = g->routed_rows;
    return gr;
}

/* ----------------------------------------------------------- kernels -- */

static void set_ew(kdesc_t *d, double bytes, int64_t rows, int hot)
{
    d->kind = KM_ELEMENTWISE;
    d->bytes = bytes;
    d->rows = rows;
    d->inst_per_byte = 1.0;
    d->hot_in_l2 = hot;
}

static void set_dense(kdesc_t *d, const stack_desc_t *s, const stack_kernel_t *r, int recorded,
                      int64_t m, int64_t n, int64_t k);
static int launch_recorded(const stack_desc_t *s, const stack_kernel_t *r, const arch_t *a)
{
    return r->any_arch || s->recorded_cc == 0 || s->recorded_cc == a->cc;
}

int stack_split_k_of(const stack_desc_t *s, const stack_kernel_t *r, const arch_t *a,
                     const step_geom_t *g)
{
    /* the op's GEMV or GEMM launched before this reduce */
    for (const stack_kernel_t *p = r; p-- > s->kernels;) {
        if (strcmp(p->op, r->op) != 0 || (p->model != KM_GEMV && p->model != KM_GEMM))
            continue;
        kdesc_t d;
        memset(&d, 0, sizeof d);
        /* only the kind and launch matter here: the shape's n and k do not */
        set_dense(&d, s, p, launch_recorded(s, p, a), g->tokens, 1, 1);
        return d.kind == KM_GEMM && d.split_k > 1 ? d.split_k : 0;
    }
    return 0;
}

/* The launch shape of a small kernel that names a ksmall family, and where its
 * operands are when it runs, from the data flow of
 * traces/capture/capture_decode_step.py: an activation written by one of the
 * last few kernels sits in L2; a weight (norm gamma, projection bias), the
 * residual stream and the routing weights were last touched before the layer's
 * projection weights (QKV + O: 53 MB at gpt-oss-120b) or the selected experts'
 * weights (FC1 + FC2: 199 MB at top-4) streamed through L2 (50 MB on H100,
 * 60 MB on H200) and come from DRAM, as do the grouped GEMM's group offsets
 * (written once, read once per GEMM). */
static int set_small(kdesc_t *d, const stack_kernel_t *r, const ksmall_code_t *table,
                     const llm_t *mo, const step_geom_t *g, int act_bytes, int64_t split,
                     ks_level_t code, char *err, size_t errlen)
{
    ksmall_desc_t kd;
    char kerr[160];
    if (ksmall_parse(table, stack_kernel_small(r), &kd, kerr, sizeof kerr) != 0) {
        snprintf(err, errlen, "%s (%s): %s", r->op, r->kernel, kerr);
        return -1;
    }
    int64_t M = g->tokens, H = (int64_t)mo->hidden, E = (int64_t)mo->n_experts;
    int64_t K = (int64_t)mo->top_k, routed = g->routed_rows;
    ksmall_shape_t sh = {.in_bytes = act_bytes, .out_bytes = act_bytes, .n_in = 1,
                         .main = KS_L2, .side = KS_NONE, .code = code};
    switch (r->shape) {
    case SH_NORM:            /* x just written by the residual add; gamma from DRAM */
        sh.rows = M;
        sh.cols = H;
        sh.side = KS_DRAM;
        break;
    case SH_KV_WRITE:        /* k or v slice of the QKV output into the cache */
        sh.n = M * (int64_t)(mo->n_heads_kv * mo->head_dim);
        break;
    case SH_SPLITK_O:        /* fp32 partials just written; bias from DRAM */
    case SH_SPLITK_ROUTER:
        sh.rows = M;
        sh.cols = r->shape == SH_SPLITK_O ? H : E;
        sh.sel = split;
        sh.side = KS_DRAM;
        break;
    case SH_RESIDUAL:        /* the new branch output in L2, the residual from DRAM */
        sh.n = M * H;
        sh.n_in = 2;
        sh.side = KS_DRAM;
        break;
    case SH_TINY_TOPK:       /* router logits -> top-k -> casts and softmax over k */
        sh.rows = M;
        sh.cols = E;
        sh.sel = K;
        sh.n = M * K;
        break;
    case SH_MOE_EXPAND:      /* the normed hidden state copied once per selected expert */
        sh.n = routed * H;
        break;
    case SH_MOE_MAPS:        /* one thread per group (expert) */
        sh.cols = E;
        sh.main = KS_DRAM;
        break;
    case SH_MOE_EW:          /* SwiGLU on the FC1 output, just written */
        sh.n = routed * (int64_t)mo->expert_inter;
        break;
    case SH_MOE_WEIGHT_SUM:  /* y * weights (broadcast, weights from DRAM), then sum over k */
        sh.n = routed * H;
        sh.n_in = 2;
        sh.side = KS_DRAM;
        sh.rows = M * H;
        sh.cols = routed / (M > 0 ? M : 1);
        break;
    case SH_SAMPLE:          /* argmax over the logits lm_head just wrote */
        sh.rows = M;
        sh.cols = (int64_t)mo->vocab;
        break;
    default:
        snprintf(err, errlen, "%s (%s): ksmall family '%s' has no shape for shape '%s'", r->op,
                 r->kernel, stack_kernel_small(r), shape_info(r->shape)->name);
        return -1;
    }
    kd.shape = sh;
    d->small = kd;
    return 0;
}

/* Row r's tiled-kernel configuration into d. */
static void set_launch(kdesc_t *d, const stack_kernel_t *r)
{
    const stack_launch_t *l = &r->launch;
    d->tile_m = l->tile_m;
    d->tile_n = l->tile_n;
    d->tile_k = l->tile_k;
    d->stages = l->stages;
    d->swap_ab = l->swap_ab;
    d->cluster_m = l->cluster_m;
    d->cluster_n = l->cluster_n;
    d->split_k = l->split_k;
    d->grid_ctas = l->grid;
    d->pingpong = r->schedule == 2 ? 1 : r->schedule == 1 ? -1 : 0;
    d->sf_vec = r->sf_vec;
}

/* A dense projection C[m x n] = A[m x k] B[k x n] of row r. */
static void set_dense(kdesc_t *d, const stack_desc_t *s, const stack_kernel_t *r, int recorded,
                      int64_t m, int64_t n, int64_t k)
{
    d->m = m;
    d->n = n;
    d->k = k;
    d->a_dt = r->acts;
    d->b_dt = r->weights;
    d->out_bytes = (int)dtype_bytes_per_elem(s->act_dtype);
    d->a_in_l2 = 1;
    d->kind = r->model;
    d->gemm_impl = r->gemm_impl;
    d->relax = s->relax;
    if (r->model == KM_GEMM) {
        if (recorded)
            set_launch(d, r);
        return;
    }
    d->gemv = r->gemv;
    const stack_launch_t *l = &r->launch;
    if (recorded && l->tile_m && m <= (l->swap_ab ? l->tile_n : l->tile_m)) {
        /* the library's tiled kernel, as it launched it */
        d->kind = KM_GEMM;
        set_launch(d, r);
        return;
    }
    /* more tokens than the recorded tile holds: the library runs a tiled kernel
     * still, no tile given (kmodel.c picks from the arch's default library,
     * GEMM_DEFAULT_LIBS: cuBLAS's nvjet list on sm_90); traces/hopper/h100_shapes.csv
     * records nvjet tiled kernels at every M it holds (1, 4, 16, 64, 256). Without
     * a recorded tile, a tuned library switches to a tiled GEMM past the GEMV's
     * columns. */
    if ((recorded && l->tile_m) || m > d->gemv->max_cols)
        d->kind = KM_GEMM;
}

/* Hidden and expert intermediate of row r's expert weights as the engine
 * stores them: the model's, rounded up where its impl pads (gemm_impl_t). */
static void expert_dims(const stack_kernel_t *r, const llm_t *mo, int64_t *h, int64_t *i)
{
    const gemm_impl_t *im = r->model == KM_GROUPED_GEMM ? r->gemm_impl : NULL;
    int64_t ph = im && im->pad_hidden ? im->pad_hidden : 1, pi = im && im->pad_inter ? im->pad_inter : 1;
    *h = ((int64_t)mo->hidden + ph - 1) / ph * ph;
    *i = ((int64_t)mo->expert_inter + pi - 1) / pi * pi;
}

int stack_kdesc(const stack_desc_t *s, const stack_kernel_t *r, const arch_t *a, const llm_t *mo,
                const step_geom_t *g, int sliding, kdesc_t *d, char *err, size_t errlen)
{
    assert(r >= s->kernels && r < s->kernels + s->n_kernels);
    memset(d, 0, sizeof *d);
    int recorded = launch_recorded(s, r, a);
    int64_t split = 0;
    if (r->shape == SH_SPLITK_O || r->shape == SH_SPLITK_ROUTER) {
        split = stack_split_k_of(s, r, a, g);
        assert(split > 1);   /* stack_row_runs */
    }
    int64_t M = g->tokens, H = (int64_t)mo->hidden, I = (int64_t)mo->expert_inter;
    int64_t F = (int64_t)mo->ffn_inter;
    int64_t hq = (int64_t)mo->n_heads_q, hkv = (int64_t)mo->n_heads_kv, hd = (int64_t)mo->head_dim;
    int64_t q = hq * hd, kv = hkv * hd, rows = g->routed_rows, G = groups_of(g);
    double ab = dtype_bytes_per_elem(s->act_dtype), kvb = dtype_bytes_per_elem(s->kv_dtype);
    double out_b = r->has_acts ? dtype_bytes_per_elem(r->acts) : ab; /* ew rows: what they write */
    switch (r->shape) {
    case SH_NORM:
        set_ew(d, (double)M * H * ab * 3.0, M, 1);
        break;
    case SH_QUANT_HIDDEN:
    case SH_QUANT_MOE:
        set_ew(d, (double)M * H * (ab + out_b), M, 1);
        break;
    case SH_QUANT_ATTN:
        set_ew(d, (double)M * q * (ab + out_b), M, 1);
        break;
    case SH_QUANT_INTER:
        set_ew(d, (double)rows * I * (ab + out_b), rows, 1);
        break;
    case SH_QUANT_FFN:
        set_ew(d, (double)M * F * (ab + out_b), M, 1);
        break;
    case SH_QKV:
        set_dense(d, s, r, recorded, M, q + 2 * kv, H);
        break;
    case SH_Q:
        set_dense(d, s, r, recorded, M, q, H);
        break;
    case SH_K:
    case SH_V:
        set_dense(d, s, r, recorded, M, kv, H);
        break;
    case SH_O:
        set_dense(d, s, r, recorded, M, H, q);
        break;
    case SH_ROUTER:
        set_dense(d, s, r, recorded, M, (int64_t)mo->n_experts, H);
        break;
    case SH_LM_HEAD:
        set_dense(d, s, r, recorded, M, (int64_t)mo->vocab, H);
        d->out_bytes = 4;
        break;
    case SH_FFN_GATE_UP:
        set_dense(d, s, r, recorded, M, 2 * F, H);
        break;
    case SH_FFN_GATE:
    case SH_FFN_UP:
        set_dense(d, s, r, recorded, M, F, H);
        break;
    case SH_FFN_DOWN:
        set_dense(d, s, r, recorded, M, H, F);
        break;
    case SH_FFN_ACT:
        /* read gate+up (2F) and write F, per token */
        set_ew(d, (double)M * F * (2.0 * ab + out_b), M, 1);
        break;
    case SH_ROPE:
        set_ew(d, (double)M * (q + kv) * ab * 2.0, M * (hq + hkv), 1);
        break;
    case SH_KV_WRITE:
        set_ew(d, (double)M * 2 * kv * (ab + kvb), M * hkv, 1);
        break;
    case SH_ATTN: {
        int64_t len = g->ctx + g->q_len;
        if (sliding && mo->sliding_window > 0 && len > (int64_t)mo->sliding_window)
            len = (int64_t)mo->sliding_window;
        d->kind = KM_ATTENTION;
        d->m = g->q_len;
        d->seqs = g->seqs;
        d->ctx = len;
        d->heads_q = hq;
        d->heads_kv = hkv;
        d->head_dim = hd;
        d->kv_dt = s->kv_dtype;
        /* the library's kernel for this batch (a given grid is the row's own kernel's) */
        d->attn = attn_impl_launched(r->attn, g->seqs, g->q_len, hkv);
        d->grid_ctas = d->attn == r->attn ? r->launch.grid : 0;
        break;
    }
    case SH_RESIDUAL:
        set_ew(d, (double)M * H * ab * 3.0, M, 1);
        break;
    case SH_TOPK:
        set_ew(d, (double)M * mo->n_experts * 4.0 * 2.0, M, 1);
        break;
    case SH_MOE_QUANT:
        set_ew(d, (double)M * H * (ab + out_b), M, 1);
        break;
    case SH_MOE_MAPS:
        set_ew(d, (double)rows * 16.0 + mo->n_experts * 8.0, 1, 1);
        break;
    case SH_MOE_EXPAND:
        set_ew(d, (double)rows * H * 2.0 * out_b, rows, 1);
        break;
    case SH_FC1:
    case SH_FC2:
    case SH_FC1_GATE:
    case SH_FC1_UP: {
        int64_t eh, ei;
        expert_dims(r, mo, &eh, &ei);
        int64_t n = r->shape == SH_FC1 ? 2 * ei : r->shape == SH_FC2 ? eh : ei;
        int64_t k = r->shape == SH_FC2 ? ei : eh;
        d->a_dt = r->acts;
        d->b_dt = r->weights;
        d->out_bytes = (int)ab;
        d->a_in_l2 = 1;
        d->relax = s->relax;
        if (r->model == KM_GEMV) {
            /* one launch covers every selected expert: G experts x n rows,
             * each row seeing its expert's tokens (mmvq with ids) */
            d->kind = KM_GEMV;
            d->gemv = r->gemv;
            d->m = (rows + G - 1) / G;
            d->n = n * G;
            d->k = k;
            if (d->m > d->gemv->max_cols) {
                snprintf(err, errlen, "stack %s: %s runs %s only up to %d tokens per expert "
                         "(its tiled path is not modelled); got %lld", s->name, r->op, r->impl,
                         d->gemv->max_cols, (long long)d->m);
                return -1;
            }
            break;
        }
        d->kind = KM_GROUPED_GEMM;
        d->gemm_impl = r->gemm_impl;
        d->m = rows;
        d->groups = G;
        d->n = n;
        d->k = k;
        d->out_bytes = 2;
        if (recorded)
            set_launch(d, r);
        if (r->gemm_impl && r->gemm_impl->moe_align) {
            /* each expert's rows padded to whole blocks, one work unit each: the
             * blocks are the groups, a block's rows the tile's token side (SM120's
             * B tiles have no 48: a 48-row block runs as 64) */
            int bs = gemm_impl_moe_block(r->gemm_impl, M, (int)mo->top_k, (int)mo->n_experts,
                                         r->acts);
            int64_t blocks = (int64_t)llround(route_blocks(&g->route, mo, M, bs));
            d->groups = blocks > 1 ? blocks : 1;
            d->m = d->groups * bs;
            int side = bs == 48 ? 64 : bs;
            if (recorded && d->tile_m && d->swap_ab && d->tile_n < side)
                d->tile_n = side;
            else if (recorded && d->tile_m && !d->swap_ab && d->tile_m < side)
                d->tile_m = side;
        }
        break;
    }
    case SH_MOE_ACT:
        /* read gate+up (2I) and write I, per routed row */
        set_ew(d, (double)rows * I * (2.0 * ab + out_b), rows, 1);
        break;
    case SH_MOE_FINALIZE:
        set_ew(d, (double)rows * H * 2.0 + (double)M * H * ab * 2.0, M, 1);
        break;
    case SH_MOE_BIAS:
        set_ew(d, (double)rows * H * ab * 3.0, rows, 1);
        break;
    case SH_MOE_WEIGHT_SUM:
        set_ew(d, (double)rows * H * ab * 2.0 + (double)M * H * ab, M, 1);
        break;
    case SH_EMBED:
        /* one row gathered per token from a table in DRAM */
        set_ew(d, (double)M * H * ((r->has_weights ? dtype_bytes_per_elem(r->weights) : ab) + ab), M, 0);
        break;
    case SH_SAMPLE:
        set_ew(d, (double)M * mo->vocab * 4.0, M, 1);
        break;
    case SH_SPLITK_O:       /* fp32 partials of the K slices, reduced to bf16 */
        set_ew(d, (double)M * H * (4.0 * split + ab), M, 1);
        break;
    case SH_SPLITK_ROUTER:
        set_ew(d, (double)M * mo->n_experts * (4.0 * split + ab), M, 1);
        break;
    case SH_TINY_TOPK:      /* top-k of E logits: a few hundred bytes */
        set_ew(d, (double)M * mo->n_experts * ab * 2.0, M, 1);
        break;
    case SH_MOE_EW:         /* one elementwise pass over the routed rows' intermediate */
        set_ew(d, (double)rows * I * ab * 3.0, rows, 1);
        break;
    case SH_COUNT:
        assert(0);
    }
    if (stack_kernel_small(r) != NULL) {
        /* a small kernel runs once per layer: the kernels between evict its code
         * from the SM's instruction caches, and from L2 too when the step streams
         * more than L2 holds; right after a launch of the same kernel its code is
         * in the caches, as in the back-to-back runs the hot costs were measured
         * on (microbench/ksmall_probe.py) */
        ks_level_t code = stack_streams_past_l2(s, mo, g, a) ? KS_DRAM : KS_L2;
        if (r > s->kernels && stack_kernel_small(&r[-1]) != NULL &&
            strcmp(stack_kernel_small(&r[-1]), stack_kernel_small(r)) == 0)
            code = KS_NONE;
        return set_small(d, r, &s->small_code, mo, g, (int)ab, split, code, err, errlen);
    }
    return 0;
}

const char *stack_row_kernel(const stack_kernel_t *r, const arch_t *a, const llm_t *m,
                             const step_geom_t *g, const kdesc_t *d)
{
    if (r->model == KM_GEMV) {
        /* a tiled kernel the row does not name, or the GEMV where the row names
         * the tiled kernel its library launched on another arch */
        if (d->kind == KM_GEMM && d->tile_m == 0)
            return "tiled GEMM (the arch's default library)";
        if (d->kind == KM_GEMV && r->launch.tile_m)
            return d->gemv->kernel;
        return r->kernel;
    }
    if (r->model != KM_ATTENTION)
        return r->kernel;
    const attn_impl_t *im = attn_impl_launched(r->attn, g->seqs, g->q_len, (int64_t)m->n_heads_kv);
    if (im->library) {
        /* the kernel the library's rule picks (NULL: the run reports why) */
        char e[256];
        const attn_impl_t *k = attn_impl_pick(im, (int)a->cc, g->q_len, (int64_t)m->head_dim,
                                              g->ctx + g->q_len, e, sizeof e);
        return k != NULL && k->kernel != NULL ? k->kernel : r->kernel;
    }
    return im == r->attn ? r->kernel : im->kernel;
}

/* Weight elements row r reads per layer (per step for step rows), and whether
 * they are experts' (times the distinct experts of the step). */
static double weight_elems(const stack_kernel_t *r, const llm_t *mo, int *per_expert)
{
    int64_t eh, ei;
    expert_dims(r, mo, &eh, &ei);
    double H = mo->hidden, I = (double)ei, F = mo->ffn_inter;
    double q = mo->n_heads_q * mo->head_dim, kv = mo->n_heads_kv * mo->head_dim;
    *per_expert = 0;
    switch (r->shape) {
    case SH_QKV: return H * (q + 2 * kv);
    case SH_Q: return H * q;
    case SH_K: case SH_V: return H * kv;
    case SH_O: return q * H;
    case SH_ROUTER: return mo->n_experts * H;
    case SH_LM_HEAD: return mo->vocab * H;
    case SH_FFN_GATE_UP: return 2 * F * H;
    case SH_FFN_GATE: case SH_FFN_UP: case SH_FFN_DOWN: return F * H;
    case SH_FC1: *per_expert = 1; return 2 * I * (double)eh;
    case SH_FC1_GATE: case SH_FC1_UP: case SH_FC2: *per_expert = 1; return I * (double)eh;
    default: return 0;
    }
}

/* Bytes per weight element at row r's format (a scale vector other than the
 * format's own moves its scale bytes). */
static double weight_bytes_per_elem(const stack_kernel_t *r)
{
    const dtype_info_t *di = dtype_info(r->weights);
    if (r->sf_vec > 0 && di->scale_block > 0)
        return (di->elem_bits + (double)di->scale_bits / r->sf_vec) / 8.0;
    return dtype_bytes_per_elem(r->weights);
}

double stack_min_bytes(const stack_desc_t *s, const llm_t *mo, const step_geom_t *g)
{
    double per_layer = 0, per_step = 0;
    for (size_t i = 0; i < s->n_kernels; i++) {
        const stack_kernel_t *r = &s->kernels[i];
        if (!stack_row_applies(r, mo) || !r->has_weights || r->shape == SH_EMBED)
            continue;
        int per_expert;
        double b = weight_elems(r, mo, &per_expert) * weight_bytes_per_elem(r);
        if (per_expert)
            b *= g->experts_active;
        *(r->where == AT_LAYER ? &per_layer : &per_step) += b;
    }
    return mo->n_layers * per_layer + stack_kv_bytes(s, mo, g) + per_step;
}

double stack_kv_bytes(const stack_desc_t *s, const llm_t *mo, const step_geom_t *g)
{
    double kv = mo->n_heads_kv * mo->head_dim, kv_bytes = 0;
    for (int l = 0; l < (int)mo->n_layers; l++) {
        double len = (double)(g->ctx + g->q_len);
        int sliding = mo->sliding_layer_period > 0 && l % (int)mo->sliding_layer_period == 0;
        if (sliding && mo->sliding_window > 0 && len > mo->sliding_window)
            len = mo->sliding_window;
        kv_bytes += (double)g->seqs * len * 2.0 * kv * dtype_bytes_per_elem(s->kv_dtype);
    }
    return kv_bytes;
}

int stack_streams_past_l2(const stack_desc_t *s, const llm_t *mo, const step_geom_t *g, const arch_t *a)
{
    return stack_min_bytes(s, mo, g) > a->l2_bytes;
}

double stack_weight_bytes(const stack_desc_t *s, const llm_t *mo)
{
    double layer = 0, step = 0, lm_head = 0, embed = 0;
    for (size_t i = 0; i < s->n_kernels; i++) {
        const stack_kernel_t *r = &s->kernels[i];
        if (!stack_row_applies(r, mo) || !r->has_weights)
            continue;
        if (r->shape == SH_EMBED) {
            embed = mo->vocab * mo->hidden * dtype_bytes_per_elem(r->weights);
            continue;
        }
        int per_expert;
        double b = weight_elems(r, mo, &per_expert) * weight_bytes_per_elem(r);
        if (per_expert)
            b *= mo->n_experts;
        if (r->shape == SH_LM_HEAD)
            lm_head += b;
        else
            *(r->where == AT_LAYER ? &layer : &step) += b;
    }
    if (embed == 0)
        embed = mo->vocab * mo->hidden * dtype_bytes_per_elem(s->act_dtype);
    return mo->n_layers * layer + step + (mo->tied_embeddings ? fmax(lm_head, embed) : lm_head + embed);
}
