/* cmd_replay.c -- `gbsim replay`: predict each row of a decode trace. */
#include "cli/cmd_replay.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/setup.h"
#include "cli/cli.h"
#include "plots/gnuplot.h"
#include "traces/replay_row.h"
#include "traces/trace.h"

static const char USAGE[] =
    "usage: gbsim replay --arch A TRACE.csv [--out PRED.csv] [--plot F.png] [--set k=v]\n"
    "                    [--auto-config]";
static const char MORE[] =
    "Predicts each row of a decode-trace CSV (format: docs/formats.md) as an\n"
    "isolated kernel launch with cold caches. A row's launch configuration\n"
    "(tile, stages, swap_ab, cluster, split_k, grid_ctas, impl) is honoured where given;\n"
    "with --auto-config, or where a gemm row has no tile, gbsim picks as a tuned\n"
    "library would: the fastest of a GEMV (m <= 16, unscaled activations) and the\n"
    "valid candidate tiles; grouped_gemm rows use the persistent grouped kernel;\n"
    "attention uses flashinfer-fa2. Prints one line per row (predicted and\n"
    "measured us, error, the kernels gbsim prices for the row, the us of its\n"
    "second kernels -- split-K reduce, attention merge, grouped set-up -- within\n"
    "predicted_us, and what bounds the main kernel: dram, compute, l2 or latency), then\n"
    "  total_predicted_us: <sum over rows>\n"
    "  mape_pct: <mean |pred - measured| / measured over rows with measured_us>\n"
    "(mape_pct is omitted when no row has measured_us).\n"
    "--plot draws predicted against measured us for every row with measured_us\n"
    "(log-log, one point style per kind, the y = x line and +-10 % lines; the title\n"
    "names the arch, the trace and the MAPE); it needs at least one such row.\n";

/* The report: the header line, one line per row, total_predicted_us and
 * (when a row has measured_us) mape_pct. pred[i] is row i's prediction in us,
 * det[i] the kernel model's output behind it: the row's kernels, the part
 * of pred[i] spent in second kernels (split-K reduce, merge, set-up) and what
 * bounds the main kernel. */
static void report(FILE *f, const trace_t *t, const double *pred, const kmodel_out_t *det,
                   const char *arch, replay_config_t cfg, const char *path)
{
    double total = 0, ape = 0;
    int measured = 0;
    fprintf(f, "# gbsim replay: arch=%s config=%s trace=%s rows=%zu\n", arch,
            cfg == REPLAY_AUTO_CONFIG ? "auto" : "trace", path, t->nrows);
    fprintf(f, "%-6s %-28s %-13s %12s %12s %8s %7s %9s %s\n", "line", "op", "kind",
            "predicted_us", "measured_us", "err_pct", "kernels", "extra_us", "bound");
    for (size_t i = 0; i < t->nrows; i++) {
        const trace_row_t *r = &t->rows[i];
        total += pred[i];
        fprintf(f, "%-6d %-28.28s %-13s %12.3f", r->line, r->op, trace_kind_name(r->kind), pred[i]);
        if (r->has_measured) {
            double e = 100.0 * (pred[i] - r->measured_us) / r->measured_us;
            ape += fabs(e);
            measured++;
            fprintf(f, " %12.3f %+8.1f", r->measured_us, e);
        } else
            fprintf(f, " %12s %8s", "-", "-");
        fprintf(f, " %7d %9.3f %s\n", 1 + det[i].extra_kernels, det[i].extra_us,
                bound_name(det[i].bound));
    }
    fprintf(f, "total_predicted_us: %.3f\n", total);
    if (measured)
        fprintf(f, "mape_pct: %.2f\n", ape / measured);
}

static double nice_125(double x, int down)
{
    static const double step[] = {1, 2, 5, 10};
    double d = pow(10, floor(log10(x)));
    if (down) {
        double v = d;
        for (int i = 0; i < 4 && step[i] * d <= x; i++)
            v = step[i] * d;
        return v;
    }
    for (int i = 0; i < 4; i++)
        if (step[i] * d >= x)
            return step[i] * d;
    return 10 * d;
}

/* Draw predicted vs measured us of the rows with measured_us (at least one;
 * the caller checks) to path with plots/replay.gp: one data block per kind
 * present, in enum order, so each kind keeps its point style. */
static int draw(const char *path, const trace_t *t, const double *pred, const char *arch,
                replay_config_t cfg, const char *trace_path, char *err, size_t errlen)
{
    enum { NKIND = TK_ELEMENTWISE + 1 };
    char *data = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&data, &len);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    double lo = INFINITY, hi = 0, ape_all = 0;
    int n_all = 0, nblocks = 0;
    /* legend texts; 400 bytes a kind holds even a %.1f of a huge MAPE */
    char titles[NKIND * 400] = "", kinds[NKIND * 4] = "";
    size_t tw = 0, kw = 0;
    for (int k = 0; k < NKIND; k++) {
        double ape = 0;
        int n = 0;
        for (size_t i = 0; i < t->nrows; i++) {
            const trace_row_t *r = &t->rows[i];
            if ((int)r->kind != k || !r->has_measured)
                continue;
            assert(pred[i] > 0 && r->measured_us > 0); /* log axes */
            if (n == 0 && nblocks > 0)
                fputs("\n\n", m); /* a new gnuplot data block (index) */
            fprintf(m, "%.4f\t%.4f\n", r->measured_us, pred[i]);
            lo = fmin(lo, fmin(r->measured_us, pred[i]));
            hi = fmax(hi, fmax(r->measured_us, pred[i]));
            ape += fabs(pred[i] - r->measured_us) / r->measured_us;
            n++;
        }
        if (n == 0)
            continue;
        tw += (size_t)snprintf(titles + tw, sizeof titles - tw, "%s'%s: %d row%s, MAPE %.1f %%'",
                               nblocks ? ", " : "", trace_kind_name((trace_kind_t)k), n,
                               n == 1 ? "" : "s", 100 * ape / n);
        kw += (size_t)snprintf(kinds + kw, sizeof kinds - kw, "%s%d", nblocks ? ", " : "", k + 1);
        assert(tw < sizeof titles && kw < sizeof kinds);
        nblocks++;
        ape_all += ape;
        n_all += n;
    }
    fclose(m);
    assert(n_all > 0);
    char shown[512];
    gnuplot_title_text(trace_path, shown, sizeof shown);
    char pre[sizeof titles + 1024];
    snprintf(pre, sizeof pre,
             "lo=%.6g\nhi=%.6g\nnblocks=%d\narray block_title[%d] = [%s]\n"
             "array block_kind[%d] = [%s]\n"
             "plot_title='gbsim replay --arch %s%s %s' . \"\\n\" . "
             "'%d rows with measured_us: MAPE %.1f %%'\n",
             nice_125(lo / 1.15, 1), nice_125(hi * 1.15, 0), nblocks, nblocks,
             titles, nblocks, kinds, arch, cfg == REPLAY_AUTO_CONFIG ? " --auto-config" : "",
             shown, n_all, 100 * ape_all / n_all);
    int rc = gnuplot_render("replay", pre, data, path, err, errlen);
    free(data);
    return rc;
}

int cmd_replay_main(int argc, char **argv)
{
    const char *arch = "gb10", *out = NULL, *plot = NULL;
    int auto_config = 0;
    cli_list_t sets = {.max = SETUP_MAX_SETS}, traces = {.max = 1};
    cli_opt_t opts[] = {
        {"arch", CLI_STR, "architecture preset (default gb10): gb10, rtx5090, h100, h200",
         .to = &arch},
        {"set", CLI_LIST, "key=value: override any arch parameter (repeatable)", .to = &sets},
        {"out", CLI_OUT, "write PRED.csv: every input column plus predicted_us", .to = &out},
        {"plot", CLI_OUT, "draw predicted vs measured us per row to FILE.png or FILE.svg",
         .to = &plot},
        {"auto-config", CLI_FLAG, "ignore the trace's launch configuration (tile, stages, swap_ab, "
                                  "cluster, split_k, grid_ctas, impl): gbsim picks",
         .to = &auto_config},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "replay", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = CLI_NOPTS(opts), .args = "TRACE.csv", .pos = &traces};
    int status;
    if (cli_parse(&cmd, argc, argv, &status) != 0)
        return status;
    const char *path = traces.v[0];
    replay_config_t cfg = auto_config ? REPLAY_AUTO_CONFIG : REPLAY_TRACE_CONFIG;
    char err[1024];
    setup_t s;
    if (setup_load(&s, arch, NULL, sets.v, sets.n, err, sizeof err) != 0)
        return cli_fail(err);
    if (plot && gnuplot_check_path(plot, err, sizeof err) != 0)
        return cli_fail(err);
    trace_t t;
    if (trace_read(path, &t, err, sizeof err) != 0)
        return cli_fail(err);
    int measured = 0;
    for (size_t i = 0; i < t.nrows; i++)
        measured += t.rows[i].has_measured;
    if (plot && measured == 0) {
        trace_free(&t);
        return cli_error("--plot: %s has no row with measured_us; the plot draws predicted "
                         "against measured time", path);
    }
    double *pred = calloc(t.nrows ? t.nrows : 1, sizeof *pred);
    kmodel_out_t *det = calloc(t.nrows ? t.nrows : 1, sizeof *det);
    if (pred == NULL || det == NULL) {
        free(pred);
        free(det);
        trace_free(&t);
        return cli_error("out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < t.nrows && rc == 0; i++) {
        char e[512];
        if (replay_row_predict_as(&s.arch, &t.rows[i], cfg, &pred[i], &det[i], e, sizeof e) != 0) {
            rc = cli_error("%s:%d: op '%s' on arch %s: %s", path, t.rows[i].line,
                           t.rows[i].op, arch, e);
        }
    }
    /* the report goes to memory first: nothing is printed or written unless
     * every step (plot and --out included) succeeds */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = rc == 0 ? open_memstream(&buf, &len) : NULL;
    if (rc == 0 && m == NULL)
        rc = cli_error("out of memory");
    if (m) {
        report(m, &t, pred, det, arch, cfg, path);
        fclose(m);
    }
    if (rc == 0 && plot && draw(plot, &t, pred, arch, cfg, path, err, sizeof err) != 0)
        rc = cli_fail(err);
    if (rc == 0 && out && trace_write(out, &t, pred, err, sizeof err) != 0) {
        rc = cli_fail(err);
        if (plot)
            remove(plot);
    }
    if (rc == 0)
        fwrite(buf, 1, len, stdout);
    free(buf);
    free(pred);
    free(det);
    trace_free(&t);
    return rc;
}
