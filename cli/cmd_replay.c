/* cmd_replay.c -- `gbsim replay`: predict each row of a decode trace. */
#include "cli/cmd_replay.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "sim/htab.h"
#include "models/setup.h"
#include "models/uncert.h"
#include "cli/cli.h"
#include "cli/par.h"
#include "plots/gnuplot.h"
#include "traces/replay_row.h"
#include "traces/trace.h"

/* A long replay says how far it got on stderr, every REPLAY_PROGRESS_S,
 * when stderr is a terminal (captured output stays independent of the
 * machine's speed). */
#define REPLAY_PROGRESS_S 2.0

/* The most threads --jobs starts. */
#define REPLAY_MAX_JOBS 256


static const char USAGE[] =
    "usage: gbsim replay --arch A TRACE.csv [--out PRED.csv] [--plot F.png] [--set k=v]\n"
    "                    [--auto-config]";
static const char MORE[] =
    "Predicts each row of a decode-trace CSV (format: traces/README.md) as an\n"
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

/* The report, printed as the rows are predicted: the header lines, one line
 * per row (predicted and measured us, error, the kernels gbsim prices for
 * the row, the part of the prediction spent in second kernels -- split-K
 * reduce, merge, set-up -- and what bounds the main kernel), then
 * total_predicted_us and (when a row has measured_us) mape_pct. */
static void report_head(FILE *f, size_t nrows, const char *arch, replay_config_t cfg,
                        const char *path)
{
    fprintf(f, "# gbsim replay: arch=%s config=%s trace=%s rows=%zu\n", arch,
            cfg == REPLAY_AUTO_CONFIG ? "auto" : "trace", path, nrows);
    fprintf(f, "%-6s %-28s %-13s %12s %12s %8s %7s %9s %s\n", "line", "op", "kind",
            "predicted_us", "measured_us", "err_pct", "kernels", "extra_us", "bound");
}

typedef struct {
    double total, ape;   /* sums over the rows so far */
    int measured;
} report_sums_t;

static void report_row(FILE *f, const trace_row_t *r, double pred, int kernels, double extra_us,
                       bound_t bound, report_sums_t *sums)
{
    sums->total += pred;
    fprintf(f, "%-6d %-28.28s %-13s %12.3f", r->line, r->op, trace_kind_name(r->kind), pred);
    if (r->has_measured) {
        double e = 100.0 * (pred - r->measured_us) / r->measured_us;
        sums->ape += fabs(e);
        sums->measured++;
        fprintf(f, " %12.3f %+8.1f", r->measured_us, e);
    } else
        fprintf(f, " %12s %8s", "-", "-");
    fprintf(f, " %7d %9.3f %s\n", kernels, extra_us, bound_name(bound));
}

/* The interval lines of --samples (none without draws). */
static void report_uncert(FILE *f, const uncert_result_t *u)
{
    if (u->samples == 0)
        return;
    uncert_print_draws(f, u, "# uncertainty: ");
    fprintf(f, "total_predicted_us_range: %.3f %.3f\n", u->lo[0], u->hi[0]);
    uncert_print_sensitive(f, u, "", ": ", 3, "us", "total_predicted_us");
}

static void report_tail(FILE *f, const report_sums_t *sums)
{
    fprintf(f, "total_predicted_us: %.3f\n", sums->total);
    if (sums->measured)
        fprintf(f, "mape_pct: %.2f\n", sums->ape / sums->measured);
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

/* The rows with measured_us, as the plot needs them (the one part of a
 * replay that grows with the trace: 24 bytes a measured row, with --plot). */
typedef struct {
    int kind;                /* trace_kind_t */
    double measured_us, pred_us;
} plot_point_t;

typedef struct {
    plot_point_t *v;
    size_t n, cap;
} plot_points_t;

static int plot_add(plot_points_t *pp, const trace_row_t *r, double pred)
{
    if (pp->n == pp->cap) {
        size_t cap = pp->cap ? 2 * pp->cap : 256;
        plot_point_t *v = realloc(pp->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        pp->v = v;
        pp->cap = cap;
    }
    pp->v[pp->n++] = (plot_point_t){(int)r->kind, r->measured_us, pred};
    return 0;
}

/* Draw predicted vs measured us of the rows with measured_us (at least one;
 * the caller checks) to path with plots/replay.gp: one data block per kind
 * present, in enum order, so each kind keeps its point style. */
static int draw(const char *path, const plot_points_t *pp, const char *arch, replay_config_t cfg,
                const char *trace_path, char *err, size_t errlen)
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
        for (size_t i = 0; i < pp->n; i++) {
            const plot_point_t *q = &pp->v[i];
            if (q->kind != k)
                continue;
            assert(q->pred_us > 0 && q->measured_us > 0); /* log axes */
            if (n == 0 && nblocks > 0)
                fputs("\n\n", m); /* a new gnuplot data block (index) */
            fprintf(m, "%.4f\t%.4f\n", q->measured_us, q->pred_us);
            lo = fmin(lo, fmin(q->measured_us, q->pred_us));
            hi = fmax(hi, fmax(q->measured_us, q->pred_us));
            ape += fabs(q->pred_us - q->measured_us) / q->measured_us;
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
    /* a single quote in the path would end the gnuplot string early */
    char shown[512];
    snprintf(shown, sizeof shown, "%s", trace_path);
    for (char *q = shown; *q; q++)
        if (*q == '\'' || *q == '\n')
            *q = '_';
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

/* ------------------------------------------------------------ chunks -- */

/* A trace is read, predicted and reported REPLAY_CHUNK_ROWS rows at a time,
 * so a replay holds one chunk whatever the trace's length. Row g of the file
 * (from 0) is predicted by rank g mod size of the MPI job (cli/par.h; one
 * rank without MPI), on --jobs threads there; rank 0 gathers each chunk's
 * predictions and prints them in file order, so the output is the
 * single-process one for any ranks and threads. Rows equal in every field a
 * prediction reads share their kernels' runs (kmodel_run_memo, one memo per
 * rank shared by its threads, at most REPLAY_MEMO_MAX kernels). */
#define REPLAY_CHUNK_ROWS 4096

/* One row's prediction, as it travels between ranks. */
typedef struct {
    double pred, extra_us;
    uint64_t events;         /* the engine's events (kmodel_out_t.events) */
    int kernels;
    int bound;               /* bound_t */
    int state;               /* 1 predicted, -1 failed (rank 0 predicts it again for
                                the message) */
} row_result_t;

typedef struct {
    const arch_t *arch;
    kmodel_memo_t *memo;
    replay_config_t cfg;
    const trace_t *chunk;
    size_t j0, step;         /* this rank's rows of the chunk: j0, j0 + step, ... */
    size_t mine;             /* how many */
    row_result_t *res;       /* [mine] */
    size_t next;             /* the next of them a thread takes */
    pthread_mutex_t mu;
} chunk_work_t;

static void predict_one(chunk_work_t *w, size_t k)
{
    const trace_row_t *r = &w->chunk->rows[w->j0 + k * w->step];
    kmodel_out_t det;
    char e[512];
    row_result_t *x = &w->res[k];
    memset(x, 0, sizeof *x);
    if (replay_row_predict_memo(w->memo, w->arch, r, w->cfg, &x->pred, &det, e, sizeof e) != 0) {
        x->state = -1;
        return;
    }
    x->extra_us = det.extra_us;
    x->events = det.events;
    x->kernels = 1 + det.extra_kernels;
    x->bound = (int)det.bound;
    x->state = 1;
}

static void *chunk_worker(void *arg)
{
    chunk_work_t *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        size_t k = w->next++;
        pthread_mutex_unlock(&w->mu);
        if (k >= w->mine)
            return NULL;
        predict_one(w, k);
    }
}

/* Predict this rank's rows of the chunk on `jobs` threads. */
static void predict_chunk(chunk_work_t *w, int jobs)
{
    w->next = 0;
    if (jobs <= 1 || w->mine <= 1) {
        for (size_t k = 0; k < w->mine; k++)
            predict_one(w, k);
        return;
    }
    pthread_t th[REPLAY_MAX_JOBS];
    int n = 0;
    pthread_mutex_init(&w->mu, NULL);
    /* jobs threads in all: the calling thread takes rows too (and all of them
     * if none started) */
    while (n < jobs - 1 && (size_t)n < w->mine &&
           pthread_create(&th[n], NULL, chunk_worker, w) == 0)
        n++;
    chunk_worker(w);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&w->mu);
}

/* The first row of a chunk that starts at file row `first` which rank r of
 * size predicts, and how many of the chunk's n rows it predicts. */
static size_t share_start(size_t first, int r, int size)
{
    return ((size_t)r + (size_t)size - first % (size_t)size) % (size_t)size;
}

static size_t share_len(size_t first, size_t n, int r, int size)
{
    size_t j0 = share_start(first, r, size);
    return j0 < n ? (n - j0 + (size_t)size - 1) / (size_t)size : 0;
}

/* The figure --samples draws: total_predicted_us of every row on the drawn
 * arch. Rank 0 collects the trace's distinct rows -- equal in every field a
 * prediction reads -- as it reports, and the distinct row of each file row
 * (4 bytes a row); a draw, on uncert's threads, predicts each distinct row
 * once and sums over the file's rows in file order, as the report does, so
 * a draw at the central values gives total_predicted_us bit for bit. Equal
 * kernels of a draw share their runs (a memo of REPLAY_DRAW_MEMO_MAX). */
#define REPLAY_DRAW_MEMO_MAX 1024

typedef struct {
    trace_row_t *row;        /* [n] the distinct rows (op NULL; impl is static) */
    size_t n, cap;
    uint32_t *of;            /* [nrows] the distinct row of each file row */
    size_t nrows, ofcap;
    htab_t *index;           /* row_key's bytes -> the distinct row (uint32_t); NULL
                                before the first row */
    replay_config_t cfg;
} draw_rows_t;

/* The bytes of the fields a prediction reads (traces/replay_row.c): every
 * field but op, line, has_measured and measured_us. A field added to
 * trace_row_t changes its size and stops the build here until it is
 * placed in the key or left out of it. */
_Static_assert(sizeof(void *) != 8 || sizeof(trace_row_t) == 168,
               "a new trace_row_t field: add it to row_key if a prediction reads it");
enum { ROW_KEY_MAX = 160 };

static size_t row_key(const trace_row_t *r, unsigned char *k)
{
    size_t at = 0;
#define KEY(f) (memcpy(k + at, &r->f, sizeof r->f), at += sizeof r->f)
    KEY(kind), KEY(m), KEY(n), KEY(k), KEY(groups), KEY(a_dtype), KEY(b_dtype), KEY(ctx),
        KEY(heads_q), KEY(heads_kv), KEY(head_dim), KEY(bytes), KEY(tile_m), KEY(tile_n),
        KEY(tile_k), KEY(stages), KEY(swap_ab), KEY(split_k), KEY(cluster_m), KEY(cluster_n),
        KEY(grid_ctas), KEY(impl);
#undef KEY
    assert(at <= ROW_KEY_MAX);
    return at;
}

/* Add file row r. Returns 0, or -1 when out of memory. */
static int draw_rows_add(draw_rows_t *d, const trace_row_t *r)
{
    if (d->nrows == d->ofcap) {
        size_t cap = d->ofcap ? 2 * d->ofcap : REPLAY_CHUNK_ROWS;
        uint32_t *of = realloc(d->of, cap * sizeof *of);
        if (of == NULL)
            return -1;
        d->of = of, d->ofcap = cap;
    }
    if (d->n == d->cap) {   /* room for a new distinct row before the index names it */
        size_t cap = d->cap ? 2 * d->cap : 256;
        trace_row_t *row = realloc(d->row, cap * sizeof *row);
        if (row == NULL)
            return -1;
        d->row = row, d->cap = cap;
    }
    if (d->index == NULL && (d->index = htab_create(sizeof(uint32_t))) == NULL)
        return -1;
    unsigned char k[ROW_KEY_MAX];
    int added;
    uint32_t *i = htab_put(d->index, k, row_key(r, k), &added);
    if (i == NULL)
        return -1;
    if (added) {
        assert(d->n < UINT32_MAX && "distinct rows fit 32 bits");
        d->row[d->n] = *r;
        d->row[d->n].op = NULL;   /* the chunk owns it */
        *i = (uint32_t)d->n++;
    }
    d->of[d->nrows++] = *i;
    return 0;
}

static void draw_rows_free(draw_rows_t *d)
{
    free(d->row);
    free(d->of);
    htab_free(d->index);
}

static int replay_total(const setup_t *s, void *ctx, double *figs, char *err, size_t errlen)
{
    const draw_rows_t *d = ctx;
    double *us = malloc((d->n ? d->n : 1) * sizeof *us);
    if (us == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* distinct rows may still launch equal kernels (--auto-config ignores the
     * columns that tell them apart): they share runs through the draw's memo */
    kmodel_memo_t *memo = kmodel_memo_create(REPLAY_DRAW_MEMO_MAX);
    int rc = 0;
    for (size_t i = 0; i < d->n && rc == 0; i++) {
        kmodel_out_t det;
        rc = replay_row_predict_memo(memo, &s->arch, &d->row[i], d->cfg, &us[i], &det, err,
                                     errlen);
    }
    kmodel_memo_free(memo);
    if (rc != 0) {
        free(us);
        return -1;
    }
    double total = 0;
    for (size_t g = 0; g < d->nrows; g++)
        total += us[d->of[g]];
    free(us);
    figs[0] = total;
    return 0;
}

/* The first pass: every row read and checked (bad input is found before
 * anything is printed or written), counting rows and rows with measured_us. */
static int count_rows(const char *path, size_t *nrows, size_t *measured, char *err, size_t errlen)
{
    trace_reader_t *rd;
    if (trace_open(path, &rd, err, errlen) != 0)
        return -1;
    trace_t chunk = {0};
    long n;
    *nrows = *measured = 0;
    while ((n = trace_next(rd, REPLAY_CHUNK_ROWS, &chunk, err, errlen)) > 0) {
        *nrows += (size_t)n;
        for (size_t i = 0; i < chunk.nrows; i++)
            *measured += (size_t)chunk.rows[i].has_measured;
    }
    trace_free(&chunk);
    trace_close(rd);
    return n < 0 ? -1 : 0;
}

/* The values of replay's options as the command line gives them. */
typedef struct {
    const char *arch, *out, *plot;
    int auto_config;
    int64_t jobs, samples;   /* samples -1: not given ($GBSIM_SAMPLES, else 0: cli_samples) */
    cli_list_t sets, traces;
} replay_args_t;

/* Parse argv (after "replay") into a. Returns 0 to go on, else the command
 * stops with *status (cli_parse: 0 after --help, CLI_EXIT_USAGE after bad
 * input). */
static int replay_parse(replay_args_t *a, int argc, char **argv, int *status)
{
    *a = (replay_args_t){.arch = "gb10", .jobs = 1, .samples = -1,
                         .sets = {.max = SETUP_MAX_SETS}, .traces = {.max = 1}};
    cli_opt_t opts[] = {
        {"arch", CLI_STR, "architecture preset (default gb10): gb10, rtx5090, h100, h200",
         .to = &a->arch},
        {"set", CLI_LIST, "key=value: override any arch parameter (repeatable)", .to = &a->sets},
        {"out", CLI_OUT, "write PRED.csv: every input column plus predicted_us", .to = &a->out},
        {"plot", CLI_OUT, "draw predicted vs measured us per row to FILE.png or FILE.svg",
         .to = &a->plot},
        {"auto-config", CLI_FLAG, "ignore the trace's launch configuration (tile, stages, swap_ab, "
                                  "cluster, split_k, grid_ctas, impl): gbsim picks",
         .to = &a->auto_config},
        {"jobs", CLI_INT, "predict rows on N threads (default 1); the output is the same, in file "
                          "order", .to = &a->jobs, .min = 1, .max = REPLAY_MAX_JOBS},
        {"samples", CLI_INT, "N draws of the ranged arch keys for total_predicted_us_range, "
                             "0..10000 (default $GBSIM_SAMPLES, else 0: no interval; each draw "
                             "predicts every distinct row, on rank 0 of an MPI job)",
         .to = &a->samples, .min = 0, .max = UNCERT_SAMPLES_MAX},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "replay", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = CLI_NOPTS(opts), .args = "TRACE.csv", .pos = &a->traces};
    return cli_parse(&cmd, argc, argv, status);
}

int cmd_replay_events(int argc, char **argv, uint64_t *events, char *err, size_t errlen)
{
    replay_args_t a;
    int status;
    *events = 0;
    if (replay_parse(&a, argc, argv, &status) != 0) {
        snprintf(err, errlen, "the replay's options are bad input (reported above)");
        return -1;
    }
    const char *path = a.traces.v[0];
    setup_t s = {0};
    trace_reader_t *rd = NULL;
    if (setup_load(&s, a.arch, NULL, a.sets.v, a.sets.n, err, errlen) != 0 ||
        trace_open(path, &rd, err, errlen) != 0) {
        setup_free(&s);
        return -1;
    }
    kmodel_memo_t *memo = kmodel_memo_create(REPLAY_MEMO_MAX);
    row_result_t *res = calloc(REPLAY_CHUNK_ROWS, sizeof *res);
    assert(res != NULL);
    trace_t chunk = {0};
    int rc = 0;
    for (long n; rc == 0 && (n = trace_next(rd, REPLAY_CHUNK_ROWS, &chunk, err, errlen)) != 0;) {
        rc = n < 0 ? -1 : 0;
        chunk_work_t w = {.arch = &s.arch, .memo = memo, .chunk = &chunk, .step = 1,
                          .cfg = a.auto_config ? REPLAY_AUTO_CONFIG : REPLAY_TRACE_CONFIG,
                          .mine = n > 0 ? (size_t)n : 0, .res = res};
        predict_chunk(&w, (int)a.jobs);
        for (size_t k = 0; rc == 0 && k < w.mine; k++) {
            *events += res[k].events;
            if (res[k].state < 0) {
                snprintf(err, errlen, "%s:%d: no kernel model runs the row", path,
                         chunk.rows[k].line);
                rc = -1;
            }
        }
    }
    free(res);
    trace_free(&chunk);
    trace_close(rd);
    kmodel_memo_free(memo);
    setup_free(&s);
    return rc;
}

int cmd_replay_main(int argc, char **argv)
{
    char err[1024];
    replay_args_t a;
    par_t par;
    if (par_begin(&par, err, sizeof err) != 0)
        return cli_fail(err);
    int rc, root = par_root(&par);
    int stop = replay_parse(&a, argc, argv, &rc);
    if (stop && rc == 0) {   /* --help: every rank finds it alike, rank 0 prints it */
        par_end(&par);
        return 0;
    }
    if (!stop)
        rc = cli_samples(&a.samples, 0, UNCERT_SAMPLES_MAX);
    const char *path = a.traces.n ? a.traces.v[0] : "", *arch = a.arch, *out = a.out,
               *plot = a.plot;
    int64_t samples = a.samples, jobs = a.jobs;
    int auto_config = a.auto_config;
    replay_config_t cfg = auto_config ? REPLAY_AUTO_CONFIG : REPLAY_TRACE_CONFIG;
    setup_t s = {0};
    size_t nrows = 0, measured = 0;
    if (rc == 0 && (setup_load(&s, arch, NULL, a.sets.v, a.sets.n, err, sizeof err) != 0 ||
                    (plot && root && gnuplot_check_path(plot, err, sizeof err) != 0) ||
                    count_rows(path, &nrows, &measured, err, sizeof err) != 0))
        rc = cli_fail(err);
    if (rc == 0 && plot && measured == 0)
        rc = cli_error("--plot: %s has no row with measured_us; the plot draws predicted "
                       "against measured time", path);
    /* rank 0 reports. Without --out and --plot each chunk's lines are printed
     * as soon as its rows are predicted (a row no kernel model can run stops
     * the replay after the lines before it); with them the report waits in a
     * temporary file and --out in its own (cli_out_t), and nothing is printed
     * or written unless every step succeeds. */
    FILE *rep = NULL;
    cli_out_t pred_out = {0};
    if (rc == 0 && root && (rep = out || plot ? tmpfile() : stdout) == NULL)
        rc = cli_fail("cannot create a temporary file for the report");
    if (rc == 0 && root && out && cli_out_open(&pred_out, out, err, sizeof err) != 0)
        rc = cli_fail(err);
    trace_reader_t *rd = NULL;
    if (rc == 0 && trace_open(path, &rd, err, sizeof err) != 0)
        rc = cli_fail(err);
    rc = par_status(&par, rc);   /* every rank ready, before the first gather */
    kmodel_memo_t *memo = kmodel_memo_create(REPLAY_MEMO_MAX);
    trace_t chunk = {0};
    plot_points_t pp = {0};
    report_sums_t sums = {0};
    draw_rows_t dr = {.cfg = cfg};
    /* a rank's share of a chunk as it travels: the rows it read, then its results */
    size_t wire_len = sizeof(long) + REPLAY_CHUNK_ROWS * sizeof(row_result_t);
    char *wire = calloc(1, wire_len);
    row_result_t *all = root ? calloc(REPLAY_CHUNK_ROWS, sizeof *all) : NULL;
    double *pred = root ? calloc(REPLAY_CHUNK_ROWS, sizeof *pred) : NULL;
    assert(wire != NULL && (!root || (all != NULL && pred != NULL)));
    if (rc == 0 && root)
        report_head(rep, nrows, arch, cfg, path);
    struct timespec t0, tn;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double next_note_s = root && isatty(STDERR_FILENO) ? REPLAY_PROGRESS_S : INFINITY;
    size_t first = 0;            /* the file row of the chunk's first row */
    stop = rc != 0;
    while (!stop) {
        long n = trace_next(rd, REPLAY_CHUNK_ROWS, &chunk, err, sizeof err);
        size_t cn = n > 0 ? (size_t)n : 0;
        if (n < 0)   /* a read error; rank 0 finds another rank's as a count unlike its own */
            rc = cli_fail(err);
        chunk_work_t w = {.arch = &s.arch, .memo = memo, .cfg = cfg, .chunk = &chunk,
                          .j0 = share_start(first, par.rank, par.size), .step = (size_t)par.size,
                          .mine = share_len(first, cn, par.rank, par.size),
                          .res = (row_result_t *)(wire + sizeof(long))};
        predict_chunk(&w, (int)jobs);
        memcpy(wire, &n, sizeof n);
        char *got = NULL;
        size_t *lens = NULL;
        if (par_gather(&par, wire, sizeof(long) + w.mine * sizeof(row_result_t), &got, &lens) != 0
            && rc == 0)
            rc = cli_fail("out of memory");
        for (int r = 0, at = 0; root && rc == 0 && r < par.size; at += (int)lens[r], r++) {
            /* every rank reads the same rows, unless the file changed meanwhile */
            long nr;
            memcpy(&nr, got + at, sizeof nr);
            size_t k = share_len(first, cn, r, par.size);
            if (nr != n || lens[r] != sizeof(long) + k * sizeof(row_result_t)) {
                snprintf(err, sizeof err, "%s: rank %d of the MPI job read another trace than "
                         "rank 0 (the file changed while it was replayed?)", path, r);
                rc = cli_fail(err);
                break;
            }
            for (size_t i = 0, j = share_start(first, r, par.size); i < k; i++, j += (size_t)par.size)
                memcpy(&all[j], got + at + sizeof(long) + i * sizeof(row_result_t),
                       sizeof(row_result_t));
        }
        free(got);
        free(lens);
        for (size_t j = 0; root && rc == 0 && j < cn; j++) {
            const trace_row_t *r = &chunk.rows[j];
            if (all[j].state < 0) {
                /* the rank that failed kept no message: the same prediction here gives it */
                char e[512];
                kmodel_out_t det;
                int again = replay_row_predict_memo(memo, &s.arch, r, cfg, &pred[j], &det, e,
                                                    sizeof e);
                assert(again != 0 && "a prediction fails on every rank");
                (void)again;
                snprintf(err, sizeof err, "%s:%d: op '%s' on arch %s: %s", path, r->line, r->op,
                         arch, e);
                rc = cli_fail(err);
                break;
            }
            pred[j] = all[j].pred;
            report_row(rep, r, pred[j], all[j].kernels, all[j].extra_us, (bound_t)all[j].bound,
                       &sums);
            if ((plot && r->has_measured && plot_add(&pp, r, pred[j]) != 0) ||
                (samples > 0 && draw_rows_add(&dr, r) != 0))
                rc = cli_fail("out of memory");
        }
        if (root && rc == 0 && out && cn > 0 &&
            ((first == 0 && trace_write_head(pred_out.f, &chunk) != 0) ||
             trace_write_rows(pred_out.f, &chunk, pred) != 0)) {
            snprintf(err, sizeof err, "%s: cannot write: %s", out, strerror(errno));
            rc = cli_fail(err);
        }
        first += cn;
        /* a long replay says how far it got, on stderr */
        clock_gettime(CLOCK_MONOTONIC, &tn);
        double el = (double)(tn.tv_sec - t0.tv_sec) + 1e-9 * (double)(tn.tv_nsec - t0.tv_nsec);
        if (rc == 0 && el >= next_note_s && first < nrows) {
            fflush(stdout);
            fprintf(stderr, "gbsim: replay: %zu of %zu rows in %.0f s\n", first, nrows, el);
            next_note_s = el + REPLAY_PROGRESS_S;
        }
        if (rep == stdout)
            fflush(stdout);
        stop = rc != 0 || n <= 0;
        par_bcast_int(&par, &stop);
    }
    /* the interval: rank 0's draws (on uncert's threads) over the distinct rows */
    uncert_result_t u = {0};
    if (root && rc == 0 && samples > 0 &&
        uncert_run(&s, 1, &sums.total, (int)samples, replay_total, &dr, &u, err, sizeof err) != 0)
        rc = cli_fail(err);
    rc = par_status(&par, rc);   /* every rank's rows predicted: rank 0 writes */
    if (root && rc == 0) {
        report_uncert(rep, &u);
        report_tail(rep, &sums);
    }
    uncert_free(&u);
    if (root && rc == 0 && plot && draw(plot, &pp, arch, cfg, path, err, sizeof err) != 0)
        rc = cli_fail(err);
    if (root && out && pred_out.f) {
        if (rc != 0)
            cli_out_abort(&pred_out);
        else if (cli_out_commit(&pred_out, err, sizeof err) != 0) {
            rc = cli_fail(err);
            if (plot)
                remove(plot);
        }
    }
    if (root && rep != stdout && rep != NULL) {
        /* the report, after every output was written */
        char buf[1 << 16];
        size_t got;
        rewind(rep);
        while (rc == 0 && (got = fread(buf, 1, sizeof buf, rep)) > 0)
            fwrite(buf, 1, got, stdout);
        fclose(rep);
    }
    fflush(stdout);
    rc = par_status(&par, rc);   /* every rank exits with rank 0's status of the writes */
    free(wire);
    free(all);
    free(pred);
    free(pp.v);
    draw_rows_free(&dr);
    trace_free(&chunk);
    trace_close(rd);
    kmodel_memo_free(memo);
    setup_free(&s);
    par_end(&par);
    return rc;
}
