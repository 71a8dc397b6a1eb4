/* decode.c -- decode-step simulation and per-class aggregation. */
#include "models/decode.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double us;          /* duration incl. extra kernels */
    int launches;       /* 1 + extra kernels */
    bound_t bound;
    int ran;
    int hypothetical;
    const char *kernel; /* the kernel's name in the step's table (stack_row_kernel) */
} variant_t;

/* Kernels a step keeps when its caller gives no memo: every distinct kernel
 * of the largest stack, a few times over. */
#define DECODE_MEMO_MAX 256

static int run_variant(const decode_cfg_t *c, kmodel_memo_t *memo, const llm_t *m,
                       const step_geom_t *g, const stack_kernel_t *r, int sliding, variant_t *v,
                       uint64_t *events, char *err, size_t errlen)
{
    kdesc_t d;
    if (stack_kdesc(c->stack, r, c->arch, m, g, sliding, &d, err, errlen) != 0)
        return -1;
    kmodel_out_t o;
    char e[640];
    if (kmodel_run_memo(memo, c->arch, &d, &o, e, sizeof e) != 0) {
        snprintf(err, errlen, "stack %s, %s (%s): %s", c->stack->name, r->op, r->kernel, e);
        return -1;
    }
    v->us = o.us;
    v->launches = 1 + o.extra_kernels;
    v->bound = o.bound;
    v->ran = 1;
    v->hypothetical = o.hypothetical;
    v->kernel = stack_row_kernel(r, c->arch, m, g, &d);
    *events += o.events;
    return 0;
}

/* vLLM splits a model the Megatron way (Shoeybi et al. 2019, arXiv
 * 1909.08053): column-parallel layers (QKV, FFN gate/up, expert FC1) split
 * their output, row-parallel layers (o_proj, FFN down, expert FC2) their
 * input, so query heads, ffn_inter and expert_inter divide by tp and every
 * expert is on every GPU (vllm/model_executor/layers/linear.py divide();
 * fused_moe/layer.py FusedMoE intermediate_size_per_partition); KV heads
 * divide by tp, or with fewer than tp each GPU holds one
 * (QKVParallelLinear num_kv_head_replicas); the vocabulary of the embedding
 * and lm_head splits by tp, rounded up (vocab_parallel_embedding.py); hidden,
 * norms and the router are whole on each GPU. */
int decode_tp_shard(const llm_t *m, int tp, llm_t *out, char *err, size_t errlen)
{
    assert(tp >= 1);
    long long n = tp, hq = (long long)m->n_heads_q, hkv = (long long)m->n_heads_kv;
    const char *what = NULL;
    double v = 0;
    if (hq % n) {
        what = "n_heads_q";
        v = m->n_heads_q;
    } else if (hkv >= n ? hkv % n : n % hkv) {
        what = "n_heads_kv";
        v = m->n_heads_kv;
    } else if ((long long)m->ffn_inter % n) {
        what = "ffn_inter";
        v = m->ffn_inter;
    } else if ((long long)m->expert_inter % n) {
        what = "expert_inter";
        v = m->expert_inter;
    }
    if (what != NULL) {
        snprintf(err, errlen, "--tp %d does not divide the model's %s=%.0f (each GPU holds an equal "
                 "share of heads and intermediate columns; KV heads fewer than --tp must divide "
                 "it); give a --tp that does", tp, what, v);
        return -1;
    }
    *out = *m;
    out->n_heads_q = (double)(hq / n);
    out->n_heads_kv = hkv >= n ? (double)(hkv / n) : 1;
    out->ffn_inter = m->ffn_inter / tp;
    out->expert_inter = m->expert_inter / tp;
    out->vocab = ceil(m->vocab / tp);
    return 0;
}

/* The group's collectives, each issued on the stream like a kernel after the
 * row it follows: an all-reduce of the M x hidden activations after the
 * attention block's row-parallel output (its last o_proj row) and after the
 * FFN/MoE block's (its last row), as RowParallelLinear and FusedMoE reduce
 * their results, and after the vocab-parallel embedding gather
 * (VocabParallelEmbedding); a gather of the M x vocab fp32 logits lm_head
 * wrote after lm_head (LogitsProcessor._gather_logits: a gather to one rank or
 * an all-gather, the same bytes out of each GPU), priced as an all-gather. */
typedef struct {
    long attn, ffn, embed, logits;      /* index of the stack row each follows, -1: none */
    double ar_bytes;                    /* the activations each GPU all-reduces */
    double ag_bytes;                    /* the gathered logits, every GPU's part */
    double allreduce_us, allgather_us;  /* per call */
} collectives_t;

static void plan_collectives(const decode_cfg_t *c, const llm_t *m, const step_geom_t *g,
                             int tp, collectives_t *k)
{
    const stack_desc_t *s = c->stack;
    *k = (collectives_t){.attn = -1, .ffn = -1, .embed = -1, .logits = -1};
    if (tp <= 1)
        return;
    for (size_t i = 0; i < s->n_kernels; i++) {
        const stack_kernel_t *r = &s->kernels[i];
        if (!stack_row_runs(s, r, c->arch, m, g))
            continue;
        if (r->where == AT_LAYER && (r->shape == SH_O || r->shape == SH_SPLITK_O))
            k->attn = (long)i;
        if (r->where == AT_LAYER && stack_row_for(r) != FOR_ALL)
            k->ffn = (long)i;
        if (r->where == AT_STEP && r->shape == SH_EMBED)
            k->embed = (long)i;
        if (r->where == AT_STEP && r->shape == SH_LM_HEAD)
            k->logits = (long)i;
    }
    k->ar_bytes = (double)g->tokens * m->hidden * dtype_bytes_per_elem(s->act_dtype);
    k->ag_bytes = (double)g->tokens * m->vocab * tp * 4.0;
    k->allreduce_us = link_allreduce_us(c->link, tp, k->ar_bytes);
    k->allgather_us = link_allgather_us(c->link, tp, k->ag_bytes);
}

/* The single stream: launch i starts at max(end of launch i-1 + gap, the
 * host's issue time of i); us throughout. */
typedef struct {
    int graphs;
    double host_per_kernel, gap;
    double host_t, gpu_end;
    int first;
} stream_t;

static void stream_issue(stream_t *t, double us, decode_result_t *res)
{
    if (!t->graphs)
        t->host_t += t->host_per_kernel;
    double ready = t->first ? t->host_t : t->gpu_end + t->gap;
    double start = ready > t->host_t ? ready : t->host_t;
    res->gap_us += start - (t->first ? 0 : t->gpu_end);
    t->gpu_end = start + us;
    t->first = 0;
    res->kernels++;
}

/* A collective row: op, what it moves, its calls and time. */
static void collective_row(decode_result_t *res, const char *op, const char *what, double bytes,
                           int tp, int calls, double us_per_call)
{
    if (calls == 0)
        return;
    decode_row_t *row = &res->rows[res->n++];
    memset(row, 0, sizeof *row);
    snprintf(row->op, sizeof row->op, "%s", op);
    snprintf(row->kernel, sizeof row->kernel, "ring %s, %.0f B over %d GPUs", what, bytes, tp);
    row->calls = calls;
    row->us_per_call = us_per_call;
    row->us_step = calls * us_per_call;
    snprintf(row->bound, sizeof row->bound, "link");
}

static int is_sliding(const llm_t *m, int layer)
{
    return m->sliding_layer_period > 0 && layer % (int)m->sliding_layer_period == 0;
}

static decode_row_t *row_for(decode_result_t *res, const stack_kernel_t *r, const char *kernel)
{
    for (size_t i = 0; i < res->n; i++)
        if (strcmp(res->rows[i].op, r->op) == 0 && strcmp(res->rows[i].kernel, kernel) == 0)
            return &res->rows[i];
    decode_row_t *row = &res->rows[res->n++];
    memset(row, 0, sizeof *row);
    snprintf(row->op, sizeof row->op, "%s", r->op);
    snprintf(row->kernel, sizeof row->kernel, "%s", kernel);
    return row;
}

int decode_run(const decode_cfg_t *c, decode_result_t *res, char *err, size_t errlen)
{
    const stack_desc_t *s = c->stack;
    int tp = c->tp > 1 ? c->tp : 1;
    llm_t m = *c->model;
    if (c->layers > 0)
        m.n_layers = c->layers;
    /* sampling reads the gathered logits: the whole vocabulary */
    llm_t gathered = m;
    if (tp > 1) {
        assert(c->link != NULL);
        if (link_check(c->link, tp, err, errlen) != 0 ||
            decode_tp_shard(&gathered, tp, &m, err, errlen) != 0)
            return -1;
    }
    step_geom_t g;
    route_t route = {.skew = c->route_skew, .hist = c->experts};
    stack_geom_route(&m, c->seqs, c->q_len, c->ctx, &route, &g);
    int graphs = c->graphs < 0 ? s->graphs_default : c->graphs;
    double held = stack_weight_bytes(s, &m) + stack_kv_bytes(s, &m, &g);
    if (held > c->arch->dram_capacity_gb * 1e9) {
        char per_gpu[64] = "";
        if (tp > 1)
            snprintf(per_gpu, sizeof per_gpu, " per GPU of --tp %d", tp);
        snprintf(err, errlen, "stack %s does not fit: %.1f GB of weights (%d layers at the stack's "
                 "formats) + %.1f GB of KV cache%s > dram_capacity_gb=%.0f; try a smaller format "
                 "(--set <op>.weights=...), fewer --layers, a shorter --ctx or fewer sequences",
                 s->name, stack_weight_bytes(s, &m) * 1e-9, (int)m.n_layers,
                 stack_kv_bytes(s, &m, &g) * 1e-9, per_gpu, c->arch->dram_capacity_gb);
        return -1;
    }

    /* simulate each row once per layer kind it appears in, and each distinct
     * kernel once */
    size_t nk = s->n_kernels;
    variant_t *var = calloc(nk * 2, sizeof *var);
    assert(var != NULL);
    kmodel_memo_t *memo = c->memo ? c->memo : kmodel_memo_create(DECODE_MEMO_MAX);
    uint64_t events = 0;
    int rc = 0;
    for (size_t i = 0; i < nk && rc == 0; i++) {
        const stack_kernel_t *r = &s->kernels[i];
        if (!stack_row_runs(s, r, c->arch, &m, &g))
            continue;
        int per_kind = r->shape == SH_ATTN;
        const llm_t *mr = r->shape == SH_SAMPLE ? &gathered : &m;
        if (run_variant(c, memo, mr, &g, r, 0, &var[2 * i], &events, err, errlen) != 0 ||
            (per_kind &&
             run_variant(c, memo, mr, &g, r, 1, &var[2 * i + 1], &events, err, errlen) != 0))
            rc = -1;
        else if (!per_kind)
            var[2 * i + 1] = var[2 * i];
    }
    if (memo != c->memo)
        kmodel_memo_free(memo);
    if (rc != 0) {
        free(var);
        return -1;
    }

    collectives_t coll;
    plan_collectives(c, &m, &g, tp, &coll);
    int ar_calls = 0, ag_calls = 0;

    memset(res, 0, sizeof *res);
    res->events = events;
    res->rows = calloc(nk + 3, sizeof *res->rows);
    assert(res->rows != NULL);
    res->graphs = graphs;
    /* a graph node's launch state stays in L2 between replays only if the
     * step's weight stream does not evict it */
    double graph_gap = stack_streams_past_l2(s, &m, &g, c->arch) ? c->arch->graph_gap_cold_ns
                                                                 : c->arch->graph_gap_ns;
    stream_t st = {.graphs = graphs,
                   .host_per_kernel = c->arch->launch_api_us + s->host_us_per_kernel,
                   .gap = (graphs ? graph_gap : c->arch->launch_gap_ns) * 1e-3,
                   .host_t = graphs ? c->arch->launch_api_us : 0, .gpu_end = 0, .first = 1};
    double *bound_us = calloc((nk + 1) * BOUND_COUNT, sizeof *bound_us);
    assert(bound_us != NULL);
    for (int pass = 0; pass < 2; pass++) {
        int layers = pass == 0 ? (int)m.n_layers : 1;
        for (int l = 0; l < layers; l++) {
            for (size_t i = 0; i < nk; i++) {
                const stack_kernel_t *r = &s->kernels[i];
                if ((pass == 0) != (r->where == AT_LAYER) || !stack_row_runs(s, r, c->arch, &m, &g))
                    continue;
                const variant_t *v = &var[2 * i + (pass == 0 && is_sliding(&m, l))];
                for (int k = 0; k < v->launches; k++)
                    stream_issue(&st, v->us / v->launches, res);
                res->hypothetical |= v->hypothetical;
                decode_row_t *row = row_for(res, r, v->kernel);
                size_t ri = (size_t)(row - res->rows);
                row->calls++;
                row->us_step += v->us;
                bound_us[ri * BOUND_COUNT + v->bound] += v->us;
                res->kernel_us += v->us;
                long li = (long)i;
                if (pass == 0 ? li == coll.attn || li == coll.ffn : li == coll.embed) {
                    stream_issue(&st, coll.allreduce_us, res);
                    res->kernel_us += coll.allreduce_us;
                    ar_calls++;
                }
                if (pass == 1 && li == coll.logits) {
                    stream_issue(&st, coll.allgather_us, res);
                    res->kernel_us += coll.allgather_us;
                    ag_calls++;
                }
            }
        }
    }
    for (size_t i = 0; i < res->n; i++) {
        decode_row_t *row = &res->rows[i];
        row->us_per_call = row->us_step / row->calls;
        bound_t b = BOUND_DRAM;
        for (int k = 1; k < BOUND_COUNT; k++)
            if (bound_us[i * BOUND_COUNT + k] > bound_us[i * BOUND_COUNT + b])
                b = (bound_t)k;
        snprintf(row->bound, sizeof row->bound, "%s", bound_name(b));
    }
    free(bound_us);
    free(var);
    collective_row(res, "allreduce", "all-reduce", coll.ar_bytes, tp, ar_calls, coll.allreduce_us);
    collective_row(res, "allgather", "all-gather of logits", coll.ag_bytes, tp, ag_calls,
                   coll.allgather_us);

    decode_row_t *gaprow = &res->rows[res->n++];
    memset(gaprow, 0, sizeof *gaprow);
    snprintf(gaprow->op, sizeof gaprow->op, "launch");
    snprintf(gaprow->kernel, sizeof gaprow->kernel, graphs ? "(idle between kernels, CUDA graph)"
                                                            : "(idle between kernels, eager)");
    gaprow->calls = res->kernels;
    gaprow->us_step = res->gap_us;
    gaprow->us_per_call = res->gap_us / res->kernels;
    snprintf(gaprow->bound, sizeof gaprow->bound, "launch");

    res->step_us = st.gpu_end;
    for (size_t i = 0; i < res->n; i++)
        res->rows[i].share_pct = 100.0 * res->rows[i].us_step / res->step_us;
    double step_s = (res->step_us + (c->speculative ? c->draft_us : 0)) * 1e-6;
    res->tokens_per_step = (double)c->seqs * (c->speculative ? decode_spec_tokens(c->accept,
                                                                                  (int)c->q_len - 1)
                                                             : (double)c->q_len);
    res->tok_per_s = res->tokens_per_step / step_s;
    res->experts_per_layer = g.experts_active;
    res->min_bytes = stack_min_bytes(s, &m, &g);
    res->limit_tok_per_s = res->tokens_per_step / (res->min_bytes / (c->arch->dram_peak_gbps * 1e9));
    return 0;
}

void decode_free(decode_result_t *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

double decode_spec_tokens(double alpha, int gamma)
{
    assert(alpha >= 0 && alpha <= 1 && gamma >= 0);
    if (alpha >= 1)
        return gamma + 1.0;
    return (1.0 - pow(alpha, gamma + 1.0)) / (1.0 - alpha);
}
