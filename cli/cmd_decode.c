/* cmd_decode.c -- `gbsim decode`: simulate one decode step and report the
 * per-kernel-class breakdown, tok/s and the DRAM-bandwidth limit. */
#include "cli/cmd_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/decode_opts.h"
#include "plots/gnuplot.h"
#include "models/decode.h"
#include "models/gemm.h"
#include "models/setup.h"

/* decode_opts_table, then the report's own options */
static const cli_opt_t OWN[] = {
    {"format", 1, "table|csv (default table)"},
    {"out", 1, "write the report to FILE instead of stdout"},
    {"plot", 1, "draw the breakdown to FILE.png or FILE.svg with gnuplot"},
    {"help", 0, "this text"},
};
#define NOWN ((int)(sizeof OWN / sizeof OWN[0]))
#define MAXOPTS 32

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
    "is refused unless --relax names the rule; the report then says hypothetical: yes.\n"
    "Tensor parallel: --tp N --link NAME splits the model over N identical GPUs (heads,\n"
    "FFN and expert intermediates, vocabulary) and adds the group's collectives as rows\n"
    "allreduce (M x hidden after each layer's attention and FFN/MoE, and after the\n"
    "embedding) and allgather (the logits), bound link; the step and the limit are one\n"
    "GPU's (docs/tp.md).\n";

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
                        const char *model, const char *link)
{
    fprintf(f, "# gbsim decode: arch=%s model=%s stack=%s batch=%lld ctx=%lld layers=%d graphs=%s",
            arch, model, c->stack->name, (long long)c->seqs, (long long)c->ctx,
            c->layers > 0 ? c->layers : (int)c->model->n_layers, r->graphs ? "on" : "off");
    if (c->tp > 1)
        fprintf(f, " tp=%d link=%s", c->tp, link);
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
    char pre[1024], tp[32] = "";
    if (c->tp > 1)
        snprintf(tp, sizeof tp, "%dx ", c->tp);
    double floor_us = r->min_bytes / (c->arch->dram_peak_gbps * 1e9) * 1e6;
    snprintf(pre, sizeof pre,
             "ncols=%d\nfloor_us=%.3f\nstep_us=%.3f\n"
             "plot_title='%s%s %s %s, batch=%lld, ctx=%lld: %.1f tok/s (limit %.1f)'\n",
             n + 1, floor_us, r->step_us, tp, arch, model, c->stack->name, (long long)c->seqs,
             (long long)c->ctx, r->tok_per_s, r->limit_tok_per_s);
    return gnuplot_render("decode_breakdown", pre, data, path, err, errlen);
}

int cmd_decode_main(int argc, char **argv)
{
    char err[1400];
    cli_opt_t opts[MAXOPTS];
    int nopts = 0;
    for (int i = 0; i < decode_opts_n; i++)
        opts[nopts++] = decode_opts_table[i];
    for (int i = 0; i < NOWN; i++)
        opts[nopts++] = OWN[i];
    cli_arg_t args[128];
    int n = cli_scan(argc, argv, opts, nopts, args, 128, err, sizeof err);
    if (n < 0)
        return cli_fail(err);
    decode_opts_t d;
    decode_opts_init(&d);
    const char *format = "table", *out = NULL, *plot = NULL;
    for (int i = 0; i < n; i++) {
        const char *o = args[i].opt, *v = args[i].val;
        if (o == NULL) {
            snprintf(err, sizeof err, "decode takes no positional argument, got '%s'", v);
            return cli_fail(err);
        }
        if (!strcmp(o, "help")) {
            cli_print_help(stdout, USAGE, opts, nopts, MORE);
            return 0;
        }
        /* every option but --set is given at most once */
        for (int j = 0; j < i; j++)
            if (strcmp(o, "set") && args[j].opt && !strcmp(args[j].opt, o)) {
                snprintf(err, sizeof err, "--%s given twice; it takes one value", o);
                return cli_fail(err);
            }
        int rc = decode_opts_set(&d, o, v, err, sizeof err);
        if (rc < 0)
            return cli_fail(err);
        if (rc == 0)
            continue;
        if (!strcmp(o, "format"))
            format = v;
        else if (!strcmp(o, "out"))
            out = v;
        else if (!strcmp(o, "plot"))
            plot = v;
    }
    if (strcmp(format, "table") && strcmp(format, "csv")) {
        snprintf(err, sizeof err, "--format '%s': expected table or csv", format);
        return cli_fail(err);
    }
    if (out && plot && !strcmp(out, plot))
        return cli_fail("--out and --plot name the same file; give two paths");
    if (plot && gnuplot_check_path(plot, err, sizeof err) != 0)
        return cli_fail(err);
    setup_t s;
    decode_cfg_t c;
    decode_result_t r;
    if (decode_opts_run(&d, &s, &c, &r, err, sizeof err) != 0)
        return cli_fail(err);
    const char *arch = d.arch, *model = d.model;
    int rc = 0;
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
        print_table(m, &c, &r, arch, model, d.link);
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
