/* decode_opts.c -- decode options to a simulated step. */
#include "cli/decode_opts.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gemm.h"

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
    o->sets.max = SETUP_MAX_SETS;
    o->tp = 1;
}

int decode_opts_rows(decode_opts_t *o, cli_opt_t *rows, int max)
{
    const cli_opt_t r[] = {
        {"arch", CLI_STR, "architecture preset (default gb10): gb10, rtx5090, h100, h200, or FILE.csv",
         .to = &o->arch},
        {"model", CLI_STR, "model preset (default gpt-oss-120b): gpt-oss-120b, gpt-oss-20b, "
                           "llama-3.1-8b, llama-3.3-70b, qwen3-30b-a3b, or FILE.csv", .to = &o->model},
        {"stack", CLI_STR, "inference stack (default vllm-cutlass): vllm-cutlass, vllm-marlin, "
                           "llamacpp, torch-bf16, or FILE.csv (models/data/stack/)", .to = &o->stack},
        {"batch", CLI_INT, "B, independent sequences per step, 1..4096 (default 1), each with its "
                           "own --ctx KV", .to = &o->batch, .min = 1, .max = 4096},
        {"spec", CLI_INT, "K, positions verified per sequence, 1..4096 (default 1; K > 1: "
                          "speculative decoding of K-1 drafted tokens, needs --accept; "
                          "--accept 1 keeps all: a K-token chunk of one sequence)", .to = &o->spec,
         .min = 1, .max = 4096},
        {"accept", CLI_NUM, "speculative decoding: per-token acceptance rate in [0,1] of the K-1 "
                            "drafted tokens", .to = &o->accept, .min = 0, .max = 1},
        {"draft", CLI_STR, "speculative decoding: the drafter, simulated on the same arch and stack: "
                           "ngram (free), eagle (one target layer + its lm_head), a model preset or "
                           "FILE.csv", .to = &o->draft},
        {"draft-us", CLI_NUM, "speculative decoding: drafting time per step in us added to the "
                              "drafter's (default 0)", .to = &o->draft_us, .min = 0, .max = 1e6},
        {"ctx", CLI_STR, "KV length of each sequence before the step, 0..max_positions-K "
                         "(default 2048)", .to = &o->ctx},
        {"layers", CLI_STR, "simulate only the first L layers (default: the model's)", .to = &o->layers},
        {"graphs", CLI_CHOICE, "off|on: CUDA graph replay (default: the stack's graphs key)",
         .to = &o->graphs, .choices = "off|on"},
        {"skew", CLI_NUM, "Zipf exponent of expert popularity, 0..4 (default 0: uniform routing)",
         .to = &o->skew, .min = 0, .max = 4},
        {"experts", CLI_STR, "measured expert popularity instead of --skew: a histogram preset "
                             "(gpt-oss-20b) or FILE.csv (docs/formats.md#expert-histograms)",
         .to = &o->experts},
        {"relax", CLI_STR, "RULE[,RULE...]|all: simulate tiles these validity rules forbid (output "
                           "says hypothetical: yes)", .to = &o->relax},
        {"tp", CLI_INT, "N, GPUs of a tensor-parallel group, 1..1024 (default 1): each runs 1/N "
                        "of the step and the group all-reduces over --link", .to = &o->tp,
         .min = 1, .max = 1024},
        {"link", CLI_STR, "interconnect of the --tp group: gb10-cx7 (two Sparks over ConnectX-7), "
                          "h100-nvlink, or FILE.csv (models/data/link/)", .to = &o->link},
        {"set", CLI_LIST, "key=value: an arch, model or link key, a stack-wide key (kv_dtype, "
                          "graphs, ...) or <op>.<field> (moe_fc1.tile=128x64x128, "
                          "lm_head.weights=mxfp4); repeatable", .to = &o->sets},
    };
    int n = CLI_NOPTS(r);
    assert(n <= max && n <= DECODE_OPTS_MAX);
    for (int i = 0; i < n; i++)
        rows[i] = r[i];
    return n;
}

int decode_opts_set(decode_opts_t *o, const char *name, const char *val)
{
    cli_opt_t rows[DECODE_OPTS_MAX];
    int n = decode_opts_rows(o, rows, DECODE_OPTS_MAX), i = 0;
    while (i < n && strcmp(rows[i].name, name))
        i++;
    if (i == n)
        return 1;
    char flag[64];
    snprintf(flag, sizeof flag, "--%s", name);
    char *argv[2] = {flag, (char *)val};
    cli_cmd_t cmd = {.name = "decode", .usage = "", .opts = &rows[i], .nopts = 1};
    int status;
    return cli_parse(&cmd, 2, argv, &status) == 0 ? 0 : CLI_EXIT_USAGE;
}

/* The drafter's single-token step for B sequences at ctx on the target's arch
 * and stack: 0 and *us, or -1 with err. */
static int draft_step(const decode_opts_t *o, const setup_t *target, int64_t ctx, double *us,
                      char *err, size_t errlen)
{
    *us = 0;
    if (!strcmp(o->draft, "ngram"))
        return 0;   /* a lookup in the prompt on the host */
    llm_t m = target->model;
    setup_t d;
    memset(&d, 0, sizeof d);
    if (!strcmp(o->draft, "eagle")) {
        m.n_layers = 1;   /* an EAGLE-style head: one decoder layer and the target's lm_head */
    } else {
        if (setup_load(&d, o->arch, o->draft, NULL, 0, err, errlen) != 0)
            return -1;
        m = d.model;
    }
    /* the drafter runs on the target's GPUs, split as the target is */
    decode_cfg_t c = {.arch = &target->arch, .model = &m, .stack = target->stack,
                      .seqs = o->batch, .q_len = 1, .ctx = ctx, .graphs = o->graphs,
                      .tp = (int)o->tp, .link = o->tp > 1 ? &target->link : NULL,
                      .memo = o->memo};
    decode_result_t r;
    char e[1200];
    if (decode_run(&c, &r, e, sizeof e) != 0) {
        snprintf(err, errlen, "--draft %s: %s", o->draft, e);
        return -1;
    }
    *us = r.step_us;
    decode_free(&r);
    return 0;
}

int decode_opts_run(const decode_opts_t *o, setup_t *s, decode_cfg_t *c, decode_result_t *r,
                    double *draft_step_us, char *err, size_t errlen)
{
    *draft_step_us = 0;
    if (o->spec > 1 && o->accept < 0) {
        snprintf(err, errlen, "--spec K > 1 verifies K-1 drafted tokens: give their acceptance "
                 "rate with --accept A (0..1)");
        return -1;
    }
    if (o->accept >= 0 && o->spec == 1) {
        snprintf(err, errlen, "--accept needs --spec K > 1 (positions verified per sequence)");
        return -1;
    }
    if ((o->draft_us > 0 || o->draft) && o->accept < 0) {
        snprintf(err, errlen, "--draft and --draft-us need --spec and --accept (speculative decoding)");
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
    if (setup_load_stack_link(s, o->arch, o->model, o->stack, o->link, relax, o->sets.v, o->sets.n,
                              err, errlen) != 0)
        return -1;
    int64_t ctx = 2048, layers = 0, maxpos = (int64_t)s->model.max_positions;
    if ((o->ctx && cli_int("--ctx", o->ctx, 0, maxpos - o->spec, &ctx, err, errlen) != 0) ||
        (o->layers && cli_int("--layers", o->layers, 1, (int64_t)s->model.n_layers, &layers, err,
                              errlen) != 0)) {
        setup_free(s);
        return -1;
    }
    if (o->experts) {
        if (o->skew > 0) {
            snprintf(err, errlen, "--experts and --skew both give the expert popularity: give one");
            setup_free(s);
            return -1;
        }
        s->experts = route_load(o->experts, &s->model, err, errlen);
        if (s->experts == NULL) {
            setup_free(s);
            return -1;
        }
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
    if (o->draft && draft_step(o, s, ctx, draft_step_us, err, errlen) != 0) {
        setup_free(s);
        return -1;
    }
    *c = (decode_cfg_t){.arch = &s->arch, .model = &s->model, .stack = s->stack, .seqs = o->batch,
                        .q_len = o->spec, .ctx = ctx, .layers = (int)layers, .graphs = o->graphs,
                        .speculative = o->accept >= 0, .accept = o->accept,
                        .draft_us = o->draft_us + (double)(o->spec - 1) * *draft_step_us,
                        .route_skew = o->skew, .experts = s->experts, .tp = (int)o->tp,
                        .link = o->tp > 1 ? &s->link : NULL, .memo = o->memo};
    char e[1200];
    if (decode_run(c, r, e, sizeof e) != 0) {
        snprintf(err, errlen, "arch %s: %s", o->arch, e);
        setup_free(s);
        return -1;
    }
    return 0;
}
