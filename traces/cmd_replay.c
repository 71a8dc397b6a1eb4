/* cmd_replay.c -- `gbsim replay`: predict each row of a decode trace. */
#include "cmd_replay.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../models/setup.h"
#include "../sim/cli.h"
#include "replay_row.h"
#include "trace.h"

static const cli_opt_t OPTS[] = {
    {"arch", 1, "architecture preset (default gb10): gb10, rtx5090, h100, h200"},
    {"set", 1, "key=value: override any arch parameter (repeatable)"},
    {"out", 1, "write PRED.csv: every input column plus predicted_us"},
    {"help", 0, "this text"},
};
#define NOPTS ((int)(sizeof OPTS / sizeof OPTS[0]))

static const char USAGE[] = "usage: gbsim replay --arch A TRACE.csv [--out PRED.csv] [--set k=v]";
static const char MORE[] =
    "Predicts each row of a decode-trace CSV (format: traces/README.md) as an\n"
    "isolated kernel launch with cold caches. gemm rows without a tile are priced\n"
    "as a tuned library would pick: the fastest of a GEMV (m <= 16, unscaled\n"
    "weights) and the valid candidate tiles; grouped_gemm rows use the persistent\n"
    "grouped kernel. Prints one line per row, then\n"
    "  total_predicted_us: <sum over rows>\n"
    "  mape_pct: <mean |pred - measured| / measured over rows with measured_us>\n"
    "(mape_pct is omitted when no row has measured_us).\n";

int cmd_replay_main(int argc, char **argv)
{
    char err[1024];
    cli_arg_t args[128];
    int n = cli_scan(argc, argv, OPTS, NOPTS, args, 128, err, sizeof err);
    if (n < 0)
        return cli_fail(err);
    const char *arch = "gb10", *path = NULL, *out = NULL, *sets[SETUP_MAX_SETS];
    int nsets = 0;
    for (int i = 0; i < n; i++) {
        const char *o = args[i].opt, *v = args[i].val;
        if (o == NULL) {
            if (path) {
                snprintf(err, sizeof err, "replay takes one TRACE.csv, got '%s' and '%s'", path, v);
                return cli_fail(err);
            }
            path = v;
        } else if (!strcmp(o, "help")) {
            cli_print_help(stdout, USAGE, OPTS, NOPTS, MORE);
            return 0;
        } else if (!strcmp(o, "arch"))
            arch = v;
        else if (!strcmp(o, "out"))
            out = v;
        else if (!strcmp(o, "set")) {
            if (nsets == SETUP_MAX_SETS)
                return cli_fail("too many --set options");
            sets[nsets++] = v;
        }
    }
    if (path == NULL)
        return cli_fail("replay needs a TRACE.csv (see gbsim replay --help)");
    setup_t s;
    if (setup_load(&s, arch, NULL, sets, nsets, err, sizeof err) != 0)
        return cli_fail(err);
    trace_t t;
    if (trace_read(path, &t, err, sizeof err) != 0)
        return cli_fail(err);
    double *pred = calloc(t.nrows ? t.nrows : 1, sizeof *pred);
    if (pred == NULL) {
        trace_free(&t);
        return cli_fail("out of memory");
    }
    double total = 0, ape = 0;
    int measured = 0, rc = 0;
    for (size_t i = 0; i < t.nrows && rc == 0; i++) {
        char e[512];
        if (replay_row_predict(&s.arch, &t.rows[i], &pred[i], e, sizeof e) != 0) {
            snprintf(err, sizeof err, "%s:%d: op '%s' on arch %s: %s", path, t.rows[i].line,
                     t.rows[i].op, arch, e);
            rc = cli_fail(err);
        }
    }
    if (rc == 0 && out && trace_write(out, &t, pred, err, sizeof err) != 0)
        rc = cli_fail(err);
    if (rc == 0) {
        printf("# gbsim replay: arch=%s trace=%s rows=%zu\n", arch, path, t.nrows);
        printf("%-6s %-28s %-13s %12s %12s %8s\n", "line", "op", "kind", "predicted_us",
               "measured_us", "err_pct");
        for (size_t i = 0; i < t.nrows; i++) {
            const trace_row_t *r = &t.rows[i];
            total += pred[i];
            printf("%-6d %-28.28s %-13s %12.3f", r->line, r->op, trace_kind_name(r->kind), pred[i]);
            if (r->has_measured) {
                double e = 100.0 * (pred[i] - r->measured_us) / r->measured_us;
                ape += fabs(e);
                measured++;
                printf(" %12.3f %+8.1f\n", r->measured_us, e);
            } else
                printf(" %12s %8s\n", "-", "-");
        }
        printf("total_predicted_us: %.3f\n", total);
        if (measured)
            printf("mape_pct: %.2f\n", ape / measured);
    }
    free(pred);
    trace_free(&t);
    return rc;
}
