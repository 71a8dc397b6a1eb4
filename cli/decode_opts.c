/* decode_opts.c -- decode options to a simulated step. */
#include "cli/decode_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gemm.h"

const cli_opt_t decode_opts_table[] = {
    {"arch", 1, "architecture preset (default gb10): gb10, rtx5090, h100, h200, or FILE.csv"},
    {"model", 1, "model preset (default gpt-oss-120b): gpt-oss-120b, gpt-oss-20b, llama-3.1-8b, "
                 "llama-3.3-70b, qwen3-30b-a3b, or FILE.csv"},
    {"stack", 1, "inference stack (default vllm-cutlass): vllm-cutlass, vllm-marlin, llamacpp, "
                 "torch-bf16, or FILE.csv (models/data/stack/)"},
    {"batch", 1, "B, independent sequences per step, 1..4096 (default 1), each with its own --ctx KV"},
    {"spec", 1, "K, positions verified per sequence, 1..64 (default 1; K > 1: speculative "
                "decoding of K-1 drafted tokens, needs --accept)"},
    {"accept", 1, "speculative decoding: per-token acceptance rate in [0,1] of the K-1 drafted tokens"},
    {"draft-us", 1, "speculative decoding: drafting time per step in us (default 0)"},
    {"ctx", 1, "KV length of each sequence before the step, 0..max_positions-K (default 2048)"},
    {"layers", 1, "simulate only the first L layers (default: the model's)"},
    {"graphs", 1, "on|off: CUDA graph replay (default: the stack's graphs key)"},
    {"skew", 1, "Zipf exponent of expert popularity, 0..4 (default 0: uniform routing)"},
    {"relax", 1, "RULE[,RULE...]|all: simulate tiles these validity rules forbid (output says "
                 "hypothetical: yes)"},
    {"tp", 1, "N, GPUs of a tensor-parallel group, 1..1024 (default 1): each runs 1/N of the "
              "step and the group all-reduces over --link"},
    {"link", 1, "interconnect of the --tp group: gb10-cx7 (two Sparks over ConnectX-7), "
                "h100-nvlink, or FILE.csv (models/data/link/)"},
    {"set", 1, "key=value: an arch, model or link key, a stack-wide key (kv_dtype, graphs, ...) or "
               "<op>.<field> (moe_fc1.tile=128x64x128, lm_head.weights=mxfp4); repeatable"},
};
const int decode_opts_n = (int)(sizeof decode_opts_table / sizeof decode_opts_table[0]);

void decode_opts_init(decode_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->arch = "gb10";
    o->model = "gpt-oss-120b";
    o->stack = "vllm-cutlass";
    o->batch = 1;
    o->spec = 1;
    o->graphs = -1;
    o->accept = -1;
    o->tp = 1;
}

static int real_in(const char *name, const char *v, double hi, double *out, char *err, size_t errlen)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= 0) || x > hi) {
        snprintf(err, errlen, "--%s '%s': expected a number in [0, %g]", name, v, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int decode_opts_set(decode_opts_t *o, const char *name, const char *v, char *err, size_t errlen)
{
    if (!strcmp(name, "arch"))
        o->arch = v;
    else if (!strcmp(name, "model"))
        o->model = v;
    else if (!strcmp(name, "stack"))
        o->stack = v;
    else if (!strcmp(name, "batch"))
        return cli_int("--batch", v, 1, 4096, &o->batch, err, errlen);
    else if (!strcmp(name, "spec"))
        return cli_int("--spec", v, 1, 64, &o->spec, err, errlen);
    else if (!strcmp(name, "ctx"))
        o->ctx = v;     /* its bounds come with the model (decode_opts_run) */
    else if (!strcmp(name, "layers"))
        o->layers = v;
    else if (!strcmp(name, "accept"))
        return real_in(name, v, 1, &o->accept, err, errlen);
    else if (!strcmp(name, "draft-us"))
        return real_in(name, v, 1e6, &o->draft_us, err, errlen);
    else if (!strcmp(name, "skew"))
        return real_in(name, v, 4, &o->skew, err, errlen);
    else if (!strcmp(name, "relax"))
        o->relax = v;
    else if (!strcmp(name, "tp"))
        return cli_int("--tp", v, 1, 1024, &o->tp, err, errlen);
    else if (!strcmp(name, "link"))
        o->link = v;
    else if (!strcmp(name, "graphs")) {
        if (!strcmp(v, "on"))
            o->graphs = 1;
        else if (!strcmp(v, "off"))
            o->graphs = 0;
        else {
            snprintf(err, errlen, "--graphs '%s': expected on or off", v);
            return -1;
        }
    } else if (!strcmp(name, "set")) {
        if (o->nsets == SETUP_MAX_SETS) {
            snprintf(err, errlen, "too many --set options (at most %d)", SETUP_MAX_SETS);
            return -1;
        }
        o->sets[o->nsets++] = v;
    } else
        return 1;
    return 0;
}

int decode_opts_run(const decode_opts_t *o, setup_t *s, decode_cfg_t *c, decode_result_t *r,
                    char *err, size_t errlen)
{
    if (o->spec > 1 && o->accept < 0) {
        snprintf(err, errlen, "--spec K > 1 verifies K-1 drafted tokens: give their acceptance "
                 "rate with --accept A (0..1)");
        return -1;
    }
    if (o->accept >= 0 && o->spec == 1) {
        snprintf(err, errlen, "--accept needs --spec K > 1 (positions verified per sequence)");
        return -1;
    }
    if (o->draft_us > 0 && o->accept < 0) {
        snprintf(err, errlen, "--draft-us needs --spec and --accept (speculative decoding)");
        return -1;
    }
    if (o->tp > 1 && o->link == NULL) {
        snprintf(err, errlen, "--tp %lld splits the step over %lld GPUs: name their interconnect "
                 "with --link gb10-cx7|h100-nvlink|FILE.csv", (long long)o->tp, (long long)o->tp);
        return -1;
    }
    if (o->link != NULL && o->tp == 1) {
        snprintf(err, errlen, "--link %s needs --tp N > 1 (GPUs of the tensor-parallel group)",
                 o->link);
        return -1;
    }
    unsigned relax = 0;
    if (o->relax && gemm_rule_mask(o->relax, &relax, err, errlen) != 0)
        return -1;
    if (setup_load_stack_link(s, o->arch, o->model, o->stack, o->link, relax, o->sets, o->nsets,
                              err, errlen) != 0)
        return -1;
    int64_t ctx = 2048, layers = 0, maxpos = (int64_t)s->model.max_positions;
    if ((o->ctx && cli_int("--ctx", o->ctx, 0, maxpos - o->spec, &ctx, err, errlen) != 0) ||
        (o->layers && cli_int("--layers", o->layers, 1, (int64_t)s->model.n_layers, &layers, err,
                              errlen) != 0)) {
        setup_free(s);
        return -1;
    }
    if (o->tp > 1) {
        llm_t part;
        if (link_check(&s->link, (int)o->tp, err, errlen) != 0 ||
            decode_tp_shard(&s->model, (int)o->tp, &part, err, errlen) != 0) {
            setup_free(s);
            return -1;
        }
    }
    if (!o->ctx && ctx + o->spec > maxpos) {
        snprintf(err, errlen, "--ctx %lld (default) + --spec %lld exceeds max_positions=%lld; "
                 "give a smaller --ctx", (long long)ctx, (long long)o->spec, (long long)maxpos);
        setup_free(s);
        return -1;
    }
    *c = (decode_cfg_t){.arch = &s->arch, .model = &s->model, .stack = s->stack, .seqs = o->batch,
                        .q_len = o->spec, .ctx = ctx, .layers = (int)layers, .graphs = o->graphs,
                        .speculative = o->accept >= 0, .accept = o->accept,
                        .draft_us = o->draft_us, .route_skew = o->skew, .tp = (int)o->tp,
                        .link = o->tp > 1 ? &s->link : NULL};
    char e[1200];
    if (decode_run(c, r, e, sizeof e) != 0) {
        snprintf(err, errlen, "arch %s: %s", o->arch, e);
        setup_free(s);
        return -1;
    }
    return 0;
}
