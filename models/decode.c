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
} variant_t;

static int run_variant(const decode_cfg_t *c, const llm_t *m, const step_geom_t *g,
                       const stack_kernel_t *r, int sliding, variant_t *v, char *err, size_t errlen)
{
    kdesc_t d;
    if (stack_kdesc(c->stack, r, c->arch, m, g, sliding, &d, err, errlen) != 0)
        return -1;
    kmodel_out_t o;
    char e[640];
    if (kmodel_run(c->arch, &d, &o, e, sizeof e) != 0) {
        snprintf(err, errlen, "stack %s, %s (%s): %s", c->stack->name, r->op, r->kernel, e);
        return -1;
    }
    v->us = o.us;
    v->launches = 1 + o.extra_kernels;
    v->bound = o.bound;
    v->ran = 1;
    v->hypothetical = o.hypothetical;
    return 0;
}

static int is_sliding(const llm_t *m, int layer)
{
    return m->sliding_layer_period > 0 && layer % (int)m->sliding_layer_period == 0;
}

static decode_row_t *row_for(decode_result_t *res, const stack_kernel_t *r)
{
    for (size_t i = 0; i < res->n; i++)
        if (strcmp(res->rows[i].op, r->op) == 0 && strcmp(res->rows[i].kernel, r->kernel) == 0)
            return &res->rows[i];
    decode_row_t *row = &res->rows[res->n++];
    memset(row, 0, sizeof *row);
    snprintf(row->op, sizeof row->op, "%s", r->op);
    snprintf(row->kernel, sizeof row->kernel, "%s", r->kernel);
    return row;
}

int decode_run(const decode_cfg_t *c, decode_result_t *res, char *err, size_t errlen)
{
    const stack_t *s = c->stack;
    llm_t m = *c->model;
    if (c->layers > 0)
        m.n_layers = c->layers;
    step_geom_t g;
    stack_geom(&m, c->seqs, c->q_len, c->ctx, c->route_skew, &g);
    int graphs = c->graphs < 0 ? s->graphs_default : c->graphs;
    double held = stack_weight_bytes(s, &m) + stack_kv_bytes(s, &m, &g);
    if (held > c->arch->dram_capacity_gb * 1e9) {
        snprintf(err, errlen, "stack %s does not fit: %.1f GB of weights (%d layers at the stack's "
                 "formats) + %.1f GB of KV cache > dram_capacity_gb=%.0f; try a smaller format "
                 "(--set <op>.weights=...), fewer --layers, a shorter --ctx or fewer sequences",
                 s->name, stack_weight_bytes(s, &m) * 1e-9, (int)m.n_layers,
                 stack_kv_bytes(s, &m, &g) * 1e-9, c->arch->dram_capacity_gb);
        return -1;
    }

    /* simulate each row once per layer kind it appears in */
    size_t nk = s->n_kernels;
    variant_t *var = calloc(nk * 2, sizeof *var);
    assert(var != NULL);
    for (size_t i = 0; i < nk; i++) {
        const stack_kernel_t *r = &s->kernels[i];
        if (!stack_row_runs(s, r, c->arch, &m, &g))
            continue;
        int per_kind = r->shape == SH_ATTN;
        if (run_variant(c, &m, &g, r, 0, &var[2 * i], err, errlen) != 0 ||
            (per_kind && run_variant(c, &m, &g, r, 1, &var[2 * i + 1], err, errlen) != 0)) {
            free(var);
            return -1;
        }
        if (!per_kind)
            var[2 * i + 1] = var[2 * i];
    }

    memset(res, 0, sizeof *res);
    res->rows = calloc(nk + 1, sizeof *res->rows);
    assert(res->rows != NULL);
    res->graphs = graphs;
    double host_per_kernel = c->arch->launch_api_us + s->host_us_per_kernel;
    /* a graph node's launch state stays in L2 between replays only if the
     * step's weight stream does not evict it */
    double graph_gap = stack_streams_past_l2(s, &m, &g, c->arch) ? c->arch->graph_gap_cold_ns
                                                                 : c->arch->graph_gap_ns;
    double gap = (graphs ? graph_gap : c->arch->launch_gap_ns) * 1e-3;
    /* single stream: kernel i starts at max(end of i-1 + gap, host issue time of i) */
    double host_t = graphs ? c->arch->launch_api_us : 0, gpu_end = 0;
    int first = 1;
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
                for (int k = 0; k < v->launches; k++) {
                    if (!graphs)
                        host_t += host_per_kernel;
                    double ready = first ? host_t : gpu_end + gap;
                    double start = ready > host_t ? ready : host_t;
                    res->gap_us += start - (first ? 0 : gpu_end);
                    gpu_end = start + v->us / v->launches;
                    first = 0;
                    res->kernels++;
                }
                res->hypothetical |= v->hypothetical;
                decode_row_t *row = row_for(res, r);
                size_t ri = (size_t)(row - res->rows);
                row->calls++;
                row->us_step += v->us;
                bound_us[ri * BOUND_COUNT + v->bound] += v->us;
                res->kernel_us += v->us;
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
        row->bound = bound_name(b);
    }
    free(bound_us);
    free(var);

    decode_row_t *gaprow = &res->rows[res->n++];
    memset(gaprow, 0, sizeof *gaprow);
    snprintf(gaprow->op, sizeof gaprow->op, "launch");
    snprintf(gaprow->kernel, sizeof gaprow->kernel, graphs ? "(idle between kernels, CUDA graph)"
                                                            : "(idle between kernels, eager)");
    gaprow->calls = res->kernels;
    gaprow->us_step = res->gap_us;
    gaprow->us_per_call = res->gap_us / res->kernels;
    gaprow->bound = "launch";

    res->step_us = gpu_end;
    for (size_t i = 0; i < res->n; i++)
        res->rows[i].share_pct = 100.0 * res->rows[i].us_step / res->step_us;
    double step_s = (res->step_us + (c->speculative ? c->draft_us : 0)) * 1e-6;
    res->tokens_per_step = (double)c->seqs * (c->speculative ? decode_spec_tokens(c->accept,
                                                                                  (int)c->q_len - 1)
                                                             : (double)c->q_len);
    res->tok_per_s = res->tokens_per_step / step_s;
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
