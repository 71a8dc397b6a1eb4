/* cmd_decode.c -- `gbsim decode`: simulate one decode step and report the
 * per-kernel-class breakdown, tok/s and the DRAM-bandwidth limit. */
#include "cli/cmd_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "plots/gnuplot.h"
#include "models/decode.h"
#include "models/gemm.h"
#include "models/setup.h"

static const cli_opt_t OPTS[] = {
    {"arch", 1, "architecture preset (default gb10): gb10, rtx5090, h100, h200, or FILE.csv"},
    {"model", 1, "model preset (default gpt-oss-120b): gpt-oss-120b, gpt-oss-20b, llama-3.1-8b, "
                 "llama-3.3-70b, qwen3-30b-a3b, or FILE.csv"},
    {"stack", 1, "inference stack (default vllm-cutlass): vllm-cutlass, vllm-marlin, llamacpp, "
                 "torch-bf16, or FILE.csv (models/data/stack/)"},
    {"batch", 1, "B, independent sequences per step, 1..4096 (default 1), each with its own --ctx KV"},
    {"spec", 1, "K, positions verified per sequence, 1..64 (default 1; K > 1: speculative "
                "decoding of K-1 drafted tokens, needs --accept)"},
    {"ctx", 1, "KV length of each sequence before the step, 0..max_positions-K (default 2048)"},
    {"layers", 1, "simulate only the first L layers (default: the model's)"},
    {"graphs", 1, "on|off: CUDA graph replay (default: the stack's; vllm-cutlass and torch-bf16 off, llamacpp on)"},
    {"set", 1, "key=value: an arch or model key, a stack-wide key (kv_dtype, graphs, ...) or "
               "<op>.<field> (moe_fc1.tile=128x64x128, lm_head.weights=mxfp4); repeatable"},
    {"relax", 1, "RULE[,RULE...]|all: simulate tiles these validity rules forbid (output says "
                 "hypothetical: yes)"},
    {"skew", 1, "Zipf exponent of expert popularity, 0..4 (default 0: uniform routing)"},
    {"format", 1, "table|csv (default table)"},
    {"out", 1, "write the report to FILE instead of stdout"},
    {"plot", 1, "draw the breakdown to FILE.png or FILE.svg with gnuplot"},
    {"accept", 1, "speculative decoding: per-token acceptance rate in [0,1] of the K-1 drafted tokens"},
    {"draft-us", 1, "speculative decoding: drafting time per step in us (default 0)"},
    {"help", 0, "this text"},
};
#define NOPTS ((int)(sizeof OPTS / sizeof OPTS[0]))

static const char USAGE[] = "usage: gbsim decode [options]";
static const char MORE[] =
    "Simulates one decode step: every kernel the stack launches is run through the\n"
    "event engine at CTA granularity (DRAM and L2 as shared bandwidth servers,\n"
    "per-SM execution units, pipelined loads), then laid on a one-stream launch\n"
    "timeline. Table rows: op, kernel, calls/step, us/call, us/step, share %, and\n"
    "what bounds it (dram | compute | l2 | latency | launch). The last three lines are\n"
    "  step_us: <us per step>\n  tok_per_s: <tokens per second>\n"
    "  limit_tok_per_s: <bytes that must move per step / peak DRAM bandwidth>\n"
    "CSV header: op,kernel,calls_per_step,us_per_call,us_per_step,share_pct,bound\n"
    "Batching: --batch B decodes B independent sequences (attention reads B KV caches;\n"
    "distinct experts per layer from --skew). Speculative decoding: --spec K --accept A\n"
    "verifies K-1 drafted tokens per sequence; tok/s = B (1 - A^K) / (1 - A) /\n"
    "(step + --draft-us) (Leviathan et al. 2023). A configuration a validity rule forbids\n"
    "is refused unless --relax names the rule; the report then says hypothetical: yes.\n";

/* "hypothetical: yes" and the relaxed rules when a kernel ran a configuration
 * the hardware or a validity rule does not allow. */
static void print_hypothetical(FILE *f, const decode_cfg_t *c, const decode_result_t *r,
                               const char *prefix)
{
    if (!r->hypothetical && !c->stack->relax)
        return;
    char names[1200] = "none";
    if (c->stack->relax)
        gemm_rule_names(c->stack->relax, names, sizeof names);
    fprintf(f, "%shypothetical: yes\n%srelaxed_rules: %s\n", prefix, prefix, names);
}

static void print_table(FILE *f, const decode_cfg_t *c, const decode_result_t *r, const char *arch,
                        const char *model)
{
    fprintf(f, "# gbsim decode: arch=%s model=%s stack=%s batch=%lld ctx=%lld layers=%d graphs=%s",
            arch, model, c->stack->name, (long long)c->seqs, (long long)c->ctx,
            c->layers > 0 ? c->layers : (int)c->model->n_layers, r->graphs ? "on" : "off");
    if (c->q_len > 1)
        fprintf(f, " spec=%lld accept=%.3f", (long long)c->q_len, c->accept);
    if (c->route_skew > 0)
        fprintf(f, " skew=%.3f", c->route_skew);
    fprintf(f, "\n");
    fprintf(f, "%-13s %-48s %10s %10s %10s %7s %s\n", "op", "kernel", "calls/step", "us/call",
            "us/step", "share%", "bound");
    for (size_t i = 0; i < r->n; i++) {
        const decode_row_t *w = &r->rows[i];
        fprintf(f, "%-13s %-48.48s %10d %10.2f %10.1f %7.2f %s\n", w->op, w->kernel, w->calls,
                w->us_per_call, w->us_step, w->share_pct, w->bound);
    }
    fprintf(f, "# kernels/step=%d kernel_us=%.1f idle_us=%.1f min_bytes_per_step=%.0f "
               "tokens_per_step=%.3f\n", r->kernels, r->kernel_us, r->gap_us, r->min_bytes,
            r->tokens_per_step);
    fprintf(f, "step_us: %.1f\ntok_per_s: %.2f\nlimit_tok_per_s: %.2f\n", r->step_us, r->tok_per_s,
            r->limit_tok_per_s);
    print_hypothetical(f, c, r, "");
}

static void print_csv(FILE *f, const decode_cfg_t *c, const decode_result_t *r)
{
    print_hypothetical(f, c, r, "# ");
    fprintf(f, "op,kernel,calls_per_step,us_per_call,us_per_step,share_pct,bound\n");
    for (size_t i = 0; i < r->n; i++) {
        const decode_row_t *w = &r->rows[i];
        fprintf(f, "%s,\"%s\",%d,%.3f,%.3f,%.3f,%s\n", w->op, w->kernel, w->calls, w->us_per_call,
                w->us_step, w->share_pct, w->bound);
    }
}

static int draw(const char *path, const decode_cfg_t *c, const decode_result_t *r, const char *arch,
                const char *model, char *err, size_t errlen)
{
    /* one segment per op; ops under 1% of the step share one segment */
    const char *ops[64];
    double us[64], small = 0;
    int n = 0;
    for (size_t i = 0; i < r->n && n < 63; i++) {
        int j = 0;
        while (j < n && strcmp(ops[j], r->rows[i].op) != 0)
            j++;
        if (j == n) {
            ops[n] = r->rows[i].op;
            us[n++] = 0;
        }
        us[j] += r->rows[i].us_step;
    }
    int kept = 0;
    for (int j = 0; j < n; j++) {
        if (us[j] < 0.01 * r->step_us) {
            small += us[j];
            continue;
        }
        ops[kept] = ops[j];
        us[kept++] = us[j];
    }
    n = kept;
    if (small > 0) {
        ops[n] = "other (each < 1%)";
        us[n++] = small;
    }
    char data[4096];
    size_t w = (size_t)snprintf(data, sizeof data, "bar");
    for (int j = 0; j < n && w < sizeof data; j++)
        w += (size_t)snprintf(data + w, sizeof data - w, "\t%s", ops[j]);
    if (w < sizeof data)
        w += (size_t)snprintf(data + w, sizeof data - w, "\nsimulated");
    for (int j = 0; j < n && w < sizeof data; j++)
        w += (size_t)snprintf(data + w, sizeof data - w, "\t%.3f", us[j]);
    if (w < sizeof data)
        snprintf(data + w, sizeof data - w, "\n");
    char pre[1024];
    double floor_us = r->min_bytes / (c->arch->dram_peak_gbps * 1e9) * 1e6;
    snprintf(pre, sizeof pre,
             "ncols=%d\nfloor_us=%.3f\nstep_us=%.3f\n"
             "plot_title='%s %s %s, batch=%lld, ctx=%lld: %.1f tok/s (limit %.1f)'\n",
             n + 1, floor_us, r->step_us, arch, model, c->stack->name, (long long)c->seqs,
             (long long)c->ctx, r->tok_per_s, r->limit_tok_per_s);
    return gnuplot_render("decode_breakdown", pre, data, path, err, errlen);
}

int cmd_decode_main(int argc, char **argv)
{
    char err[1400];
    cli_arg_t args[128];
    int n = cli_scan(argc, argv, OPTS, NOPTS, args, 128, err, sizeof err);
    if (n < 0)
        return cli_fail(err);
    const char *arch = "gb10", *model = "gpt-oss-120b", *stack = "vllm-cutlass";
    const char *format = "table", *out = NULL, *plot = NULL, *sets[SETUP_MAX_SETS];
    const char *relax_s = NULL;
    int nsets = 0, graphs = -1;
    int64_t batch = 1, spec = 1, ctx = 2048, layers = 0;
    double accept = -1, draft_us = 0, skew = 0;
    const char *batch_s = NULL, *ctx_s = NULL, *layers_s = NULL, *spec_s = NULL;
    for (int i = 0; i < n; i++) {
        const char *o = args[i].opt, *v = args[i].val;
        if (o == NULL) {
            snprintf(err, sizeof err, "decode takes no positional argument, got '%s'", v);
            return cli_fail(err);
        }
        if (!strcmp(o, "help")) {
            cli_print_help(stdout, USAGE, OPTS, NOPTS, MORE);
            return 0;
        }
        /* every option but --set is given at most once */
        for (int j = 0; j < i; j++)
            if (strcmp(o, "set") && args[j].opt && !strcmp(args[j].opt, o)) {
                snprintf(err, sizeof err, "--%s given twice; it takes one value", o);
                return cli_fail(err);
            }
        if (!strcmp(o, "arch"))
            arch = v;
        else if (!strcmp(o, "model"))
            model = v;
        else if (!strcmp(o, "stack"))
            stack = v;
        else if (!strcmp(o, "batch"))
            batch_s = v;
        else if (!strcmp(o, "spec"))
            spec_s = v;
        else if (!strcmp(o, "ctx"))
            ctx_s = v;
        else if (!strcmp(o, "layers"))
            layers_s = v;
        else if (!strcmp(o, "format"))
            format = v;
        else if (!strcmp(o, "out"))
            out = v;
        else if (!strcmp(o, "plot"))
            plot = v;
        else if (!strcmp(o, "relax"))
            relax_s = v;
        else if (!strcmp(o, "accept") || !strcmp(o, "draft-us") || !strcmp(o, "skew")) {
            char *end;
            double x = strtod(v, &end);
            double hi = !strcmp(o, "accept") ? 1 : !strcmp(o, "skew") ? 4 : 1e6;
            if (end == v || *end || !(x >= 0) || x > hi) {
                snprintf(err, sizeof err, "--%s '%s': expected a number in [0, %g]", o, v, hi);
                return cli_fail(err);
            }
            *(!strcmp(o, "accept") ? &accept : !strcmp(o, "skew") ? &skew : &draft_us) = x;
        }
        else if (!strcmp(o, "graphs")) {
            if (!strcmp(v, "on"))
                graphs = 1;
            else if (!strcmp(v, "off"))
                graphs = 0;
            else {
                snprintf(err, sizeof err, "--graphs '%s': expected on or off", v);
                return cli_fail(err);
            }
        } else if (!strcmp(o, "set")) {
            if (nsets == SETUP_MAX_SETS)
                return cli_fail("too many --set options");
            sets[nsets++] = v;
        }
    }
    if (strcmp(format, "table") && strcmp(format, "csv")) {
        snprintf(err, sizeof err, "--format '%s': expected table or csv", format);
        return cli_fail(err);
    }
    if (out && plot && !strcmp(out, plot))
        return cli_fail("--out and --plot name the same file; give two paths");
    unsigned relax = 0;
    if (relax_s && gemm_rule_mask(relax_s, &relax, err, sizeof err) != 0)
        return cli_fail(err);
    if ((batch_s && cli_int("--batch", batch_s, 1, 4096, &batch, err, sizeof err)) ||
        (spec_s && cli_int("--spec", spec_s, 1, 64, &spec, err, sizeof err)))
        return cli_fail(err);
    if (spec > 1 && accept < 0)
        return cli_fail("--spec K > 1 verifies K-1 drafted tokens: give their acceptance rate "
                        "with --accept A (0..1)");
    if (accept >= 0 && spec == 1)
        return cli_fail("--accept needs --spec K > 1 (positions verified per sequence)");
    if (draft_us > 0 && accept < 0)
        return cli_fail("--draft-us needs --spec and --accept (speculative decoding)");
    setup_t s;
    if (setup_load_stack(&s, arch, model, stack, relax, sets, nsets, err, sizeof err) != 0)
        return cli_fail(err);
    int rc = 0;
    if ((ctx_s && cli_int("--ctx", ctx_s, 0, (int64_t)s.model.max_positions - spec, &ctx, err,
                          sizeof err)) ||
        (layers_s && cli_int("--layers", layers_s, 1, (int64_t)s.model.n_layers, &layers, err,
                             sizeof err)) ||
        (plot && gnuplot_check_path(plot, err, sizeof err) != 0)) {
        setup_free(&s);
        return cli_fail(err);
    }
    if (!ctx_s && ctx + spec > (int64_t)s.model.max_positions) {
        snprintf(err, sizeof err, "--ctx %lld (default) + --spec %lld exceeds max_positions=%.0f; "
                 "give a smaller --ctx", (long long)ctx, (long long)spec, s.model.max_positions);
        setup_free(&s);
        return cli_fail(err);
    }

    decode_cfg_t c = {.arch = &s.arch, .model = &s.model, .stack = s.stack, .seqs = batch,
                      .q_len = spec, .ctx = ctx, .layers = (int)layers, .graphs = graphs,
                      .speculative = accept >= 0, .accept = accept, .draft_us = draft_us,
                      .route_skew = skew};
    decode_result_t r;
    char e[1200];
    if (decode_run(&c, &r, e, sizeof e) != 0) {
        snprintf(err, sizeof err, "arch %s: %s", arch, e);
        setup_free(&s);
        return cli_fail(err);
    }
    /* the report goes to memory first: nothing is printed or written unless
     * every step (plot included) succeeds */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL) {
        decode_free(&r);
        setup_free(&s);
        return cli_fail("out of memory");
    }
    if (!strcmp(format, "csv"))
        print_csv(m, &c, &r);
    else
        print_table(m, &c, &r, arch, model);
    fclose(m);
    if (plot && draw(plot, &c, &r, arch, model, err, sizeof err) != 0)
        rc = cli_fail(err);
    if (rc == 0 && out) {
        cli_out_t o;
        if (cli_out_open(&o, out, err, sizeof err) != 0)
            rc = cli_fail(err);
        else {
            fwrite(buf, 1, len, o.f);
            if (cli_out_commit(&o, err, sizeof err) != 0)
                rc = cli_fail(err);
        }
        if (rc != 0 && plot)
            remove(plot);
    } else if (rc == 0)
        fwrite(buf, 1, len, stdout);
    free(buf);
    decode_free(&r);
    setup_free(&s);
    return rc;
}
