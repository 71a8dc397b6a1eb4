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
#include "models/uncert.h"

static const char USAGE[] = "usage: gbsim decode [options]";
static const char MORE[] =
    "Simulates one decode step: every kernel the stack launches is run through the\n"
    "event engine at CTA granularity (DRAM and L2 as shared bandwidth servers,\n"
    "per-SM execution units, pipelined loads), then laid on a one-stream launch\n"
    "timeline. Table rows: op, kernel, calls/step, us/call, us/step, share %, and\n"
    "what bounds it (dram | compute | l2 | latency | launch). The last three lines are\n"
    "  step_us: <us per step>\n  tok_per_s: <tokens per second>\n"
    "  limit_tok_per_s: <bytes that must move per step / peak DRAM bandwidth>\n"
    "Before them, with --samples N > 0: step_us_range: LO HI and tok_per_s_range: LO HI\n"
    "(5th-95th percentile over N draws of every ranged key, uniform in its low..high,\n"
    "fixed seed) and most_sensitive: KEY (tok/s at its low..at its high); in CSV as\n"
    "# lines after the rows. Costs N + 2 x (ranged keys) more steps (docs/model.md).\n"
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

/* The interval lines (none without draws): a "# uncertainty" comment, then
 * the ranges and the most sensitive key, each starting with prefix. */
static void print_uncert(FILE *f, const uncert_result_t *u, const char *prefix)
{
    if (u->samples == 0)
        return;
    uncert_print_draws(f, u, "# uncertainty: ");
    fprintf(f, "%sstep_us_range: %.1f %.1f\n%stok_per_s_range: %.2f %.2f\n", prefix, u->lo[1],
            u->hi[1], prefix, u->lo[0], u->hi[0]);
    uncert_print_sensitive(f, u, prefix, ": ", 2, "tok/s", "tok/s");
}

static void print_table(FILE *f, const decode_cfg_t *c, const decode_result_t *r, const char *arch,
                        const char *model, const char *link, const uncert_result_t *u)
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
    if (c->experts)
        fprintf(f, " experts=%s", c->experts->name);
    fprintf(f, "\n");
    if (c->experts)
        fprintf(f, "# routing: measured histogram %s: %.2f distinct experts per layer\n",
                c->experts->name, r->experts_per_layer);
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
    if (c->speculative)
        fprintf(f, "# draft_us_per_step=%.1f (the drafter's K-1 steps and --draft-us; tok_per_s "
                   "divides by step_us + draft)\n", c->draft_us);
    print_uncert(f, u, "");
    fprintf(f, "step_us: %.1f\ntok_per_s: %.2f\nlimit_tok_per_s: %.2f\n", r->step_us, r->tok_per_s,
            r->limit_tok_per_s);
    print_hypothetical(f, c, r, "");
}

static void print_csv(FILE *f, const decode_cfg_t *c, const decode_result_t *r,
                      const uncert_result_t *u)
{
    print_hypothetical(f, c, r, "# ");
    fprintf(f, "op,kernel,calls_per_step,us_per_call,us_per_step,share_pct,bound\n");
    for (size_t i = 0; i < r->n; i++) {
        const decode_row_t *w = &r->rows[i];
        fprintf(f, "%s,\"%s\",%d,%.3f,%.3f,%.3f,%s\n", w->op, w->kernel, w->calls, w->us_per_call,
                w->us_step, w->share_pct, w->bound);
    }
    print_uncert(f, u, "# ");
}

/* The figures uncert samples: tok_per_s, step_us of the step c describes, on
 * the drawn arch and model. */
static int step_figures(const setup_t *s, void *ctx, double *figs, char *err, size_t errlen)
{
    decode_cfg_t c = *(const decode_cfg_t *)ctx;
    c.arch = &s->arch;
    c.model = &s->model;
    c.link = c.tp > 1 ? &s->link : NULL;
    decode_result_t r;
    if (decode_run(&c, &r, err, errlen) != 0)
        return -1;
    figs[0] = r.tok_per_s;
    figs[1] = r.step_us;
    decode_free(&r);
    return 0;
}

/* One stacked bar: the step's ops (summed over their kernels) in launch
 * order, the DRAM floor, tok/s above the bar. */
static int draw(const char *path, const decode_cfg_t *c, const decode_result_t *r, const char *arch,
                const char *model, char *err, size_t errlen)
{
    const char *ops[64];
    double us[64];
    int n = 0;
    for (size_t i = 0; i < r->n; i++) {
        int j = 0;
        while (j < n && strcmp(ops[j], r->rows[i].op) != 0)
            j++;
        if (j == n) {
            if (n == 64)
                continue;
            ops[n] = r->rows[i].op;
            us[n++] = 0;
        }
        us[j] += r->rows[i].us_step;
    }
    char title[512], text[96];
    char tp[32] = "";
    if (c->tp > 1)
        snprintf(tp, sizeof tp, "%dx ", c->tp);
    snprintf(title, sizeof title, "Decode step per op: %s%s, %s, %s, batch=%lld, ctx=%lld",
             tp, arch, model, c->stack->name, (long long)c->seqs, (long long)c->ctx);
    snprintf(text, sizeof text, "%.0f us, %.1f tok/s (DRAM limit %.1f)", r->step_us,
             r->tok_per_s, r->limit_tok_per_s);
    double floor_us = r->min_bytes / (c->arch->dram_peak_gbps * 1e9) * 1e6;
    const char *label = c->stack->name, *textp = text;
    gnuplot_bars_t b = {.title = title, .nbars = 1, .nops = n, .label = &label, .op = ops,
                        .us = us, .floor_us = &floor_us, .text = &textp};
    return gnuplot_bars(&b, path, err, errlen);
}

int cmd_decode_main(int argc, char **argv)
{
    char err[1400];
    decode_opts_t d;
    decode_opts_init(&d);
    int format = 0;   /* table|csv */
    const char *out = NULL, *plot = NULL;
    int64_t samples = -1;   /* not given: $GBSIM_SAMPLES, else the default (cli_samples) */
    cli_opt_t opts[DECODE_OPTS_MAX + 5];
    int nopts = decode_opts_rows(&d, opts, DECODE_OPTS_MAX);
    opts[nopts++] = (cli_opt_t){"format", CLI_CHOICE, "table|csv (default table)", .to = &format,
                                .choices = "table|csv"};
    opts[nopts++] = (cli_opt_t){"out", CLI_OUT, "write the report to FILE instead of stdout",
                                .to = &out};
    opts[nopts++] = (cli_opt_t){"plot", CLI_OUT, "draw the breakdown to FILE.png or FILE.svg with "
                                                 "gnuplot", .to = &plot};
    opts[nopts++] = (cli_opt_t){"samples", CLI_INT, "N draws of the ranged arch, model and link keys for "
                                "the *_range lines, 0..10000 (default $GBSIM_SAMPLES, else 32; 0: "
                                "no interval)", .to = &samples, .min = 0, .max = UNCERT_SAMPLES_MAX};
    opts[nopts++] = (cli_opt_t)CLI_OPT_HELP;
    cli_cmd_t cmd = {.name = "decode", .usage = USAGE, .more = MORE, .opts = opts, .nopts = nopts};
    int status;
    if (cli_parse(&cmd, argc, argv, &status) != 0)
        return status;
    if (cli_samples(&samples, UNCERT_SAMPLES_DEFAULT, UNCERT_SAMPLES_MAX) != 0)
        return CLI_EXIT_USAGE;
    if (plot && gnuplot_check_path(plot, err, sizeof err) != 0)
        return cli_fail(err);
    setup_t s;
    decode_cfg_t c;
    decode_result_t r;
    double draft_step_us;
    if (decode_opts_run(&d, &s, &c, &r, &draft_step_us, err, sizeof err) != 0)
        return cli_fail(err);
    uncert_result_t u;
    if (uncert_run(&s, 2, (const double[]){r.tok_per_s, r.step_us}, (int)samples, step_figures,
                   &c, &u, err, sizeof err) != 0) {
        decode_free(&r);
        setup_free(&s);
        return cli_fail(err);
    }
    const char *arch = d.arch, *model = d.model;
    int rc = 0;
    /* the report goes to memory first: nothing is printed or written unless
     * every step (plot included) succeeds */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL) {
        uncert_free(&u);
        decode_free(&r);
        setup_free(&s);
        return cli_fail("out of memory");
    }
    if (format == 1)
        print_csv(m, &c, &r, &u);
    else
        print_table(m, &c, &r, arch, model, d.link, &u);
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
    uncert_free(&u);
    decode_free(&r);
    setup_free(&s);
    return rc;
}
