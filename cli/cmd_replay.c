/* cmd_replay.c -- `gbsim replay`: predict each row of a decode trace. */
#include "cli/cmd_replay.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "models/setup.h"
#include "models/uncert.h"
#include "cli/cli.h"
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
static void report_head(FILE *f, const trace_t *t, const char *arch, replay_config_t cfg,
                        const char *path)
{
    fprintf(f, "# gbsim replay: arch=%s config=%s trace=%s rows=%zu\n", arch,
            cfg == REPLAY_AUTO_CONFIG ? "auto" : "trace", path, t->nrows);
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
    const uncert_swing_t *w = u->n_swings > 0 ? &u->swings[0] : NULL;
    fprintf(f, "# uncertainty: %d draws of %d ranged keys, uniform in low..high, seed %lu, "
               "%.0fth-%.0fth percentile\ntotal_predicted_us_range: %.3f %.3f\n", u->samples,
            u->n_swings, UNCERT_SEED, 100 * UNCERT_LO_Q, 100 * UNCERT_HI_Q, u->lo[0], u->hi[0]);
    if (w && w->fig_low[0] != w->fig_high[0])
        fprintf(f, "most_sensitive: %s (%.3f..%.3f us at %.6g..%.6g %s)\n", w->key, w->fig_low[0],
                w->fig_high[0], w->low, w->high, w->unit);
    else
        fprintf(f, "most_sensitive: none (no ranged key moves total_predicted_us)\n");
}

static void report_tail(FILE *f, const report_sums_t *sums)
{
    fprintf(f, "total_predicted_us: %.3f\n", sums->total);
    if (sums->measured)
        fprintf(f, "mape_pct: %.2f\n", sums->ape / sums->measured);
}

/* ---------------------------------------------------------- row memo -- */

/* Rows equal in every field a prediction reads (all of trace_row_t but op,
 * line and measured_us) have equal predictions: each is predicted once. An
 * open-addressing table of such keys, at most ROW_MEMO_MAX entries (later
 * distinct rows are predicted without being kept). */
enum { ROW_MEMO_MAX = 1 << 16 };

typedef struct {
    trace_row_t key;     /* padding zero: compared and hashed as bytes */
    double pred, extra_us;
    int kernels, used;
    bound_t bound;
} memo_entry_t;

typedef struct {
    memo_entry_t *e;
    size_t cap, n;
} row_memo_t;

static void row_key(const trace_row_t *r, trace_row_t *k)
{
    memset(k, 0, sizeof *k);
    k->kind = r->kind;
    k->m = r->m, k->n = r->n, k->k = r->k, k->groups = r->groups;
    k->a_dtype = r->a_dtype, k->b_dtype = r->b_dtype;
    k->ctx = r->ctx, k->heads_q = r->heads_q, k->heads_kv = r->heads_kv, k->head_dim = r->head_dim;
    k->bytes = r->bytes;
    k->tile_m = r->tile_m, k->tile_n = r->tile_n, k->tile_k = r->tile_k;
    k->stages = r->stages, k->swap_ab = r->swap_ab, k->split_k = r->split_k;
    k->cluster_m = r->cluster_m, k->cluster_n = r->cluster_n, k->grid_ctas = r->grid_ctas;
    k->impl = r->impl;   /* a static table row: the pointer names it */
}

static size_t key_hash(const trace_row_t *k)
{
    const unsigned char *b = (const unsigned char *)k;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return (size_t)(h ^ h >> 29);
}

/* The entry for key k: its own, or the empty slot where it goes. */
static memo_entry_t *memo_slot(row_memo_t *m, const trace_row_t *k)
{
    for (size_t i = key_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
        if (!m->e[i].used || !memcmp(&m->e[i].key, k, sizeof *k))
            return &m->e[i];
}

/* Room for one more entry (load <= 1/2); 0 when the table is full or out
 * of memory (the row is then not kept). */
static int memo_room(row_memo_t *m)
{
    if (2 * (m->n + 1) <= m->cap)
        return 1;
    if (m->n >= ROW_MEMO_MAX)
        return 0;
    size_t cap = m->cap ? 2 * m->cap : 64;
    memo_entry_t *old = m->e, *e = calloc(cap, sizeof *e);
    if (e == NULL)
        return 0;
    size_t old_cap = m->cap;
    m->e = e;
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used)
            *memo_slot(m, &old[i].key) = old[i];
    free(old);
    return 1;
}

/* The figure --samples draws: total_predicted_us of the distinct rows, each
 * times its copies, on the drawn arch. */
typedef struct {
    const trace_row_t **rows;  /* the distinct rows */
    const double *copies;      /* how many rows of the trace each stands for */
    size_t n;
    replay_config_t cfg;
} replay_total_t;

static int replay_total(const setup_t *s, void *ctx, double *figs, char *err, size_t errlen)
{
    const replay_total_t *t = ctx;
    double total = 0;
    for (size_t i = 0; i < t->n; i++) {
        double us;
        kmodel_out_t det;
        if (replay_row_predict_as(&s->arch, t->rows[i], t->cfg, &us, &det, err, errlen) != 0)
            return -1;
        total += t->copies[i] * us;
    }
    figs[0] = total;
    return 0;
}

/* The interval of the trace's total (uncert_run on replay_total), the
 * distinct rows found with the row memo's keys. */
static int replay_interval(const setup_t *s, const trace_t *t, replay_config_t cfg, double total,
                           int samples, uncert_result_t *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    if (samples == 0)
        return 0;
    size_t cap = t->nrows ? t->nrows : 1;
    const trace_row_t **rows = calloc(cap, sizeof *rows);
    double *copies = calloc(cap, sizeof *copies);
    row_memo_t memo = {0};
    if (rows == NULL || copies == NULL) {
        free(rows), free(copies);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        trace_row_t key;
        row_key(&t->rows[i], &key);
        memo_entry_t *e = memo.cap ? memo_slot(&memo, &key) : NULL;
        if (e != NULL && e->used) {
            copies[(size_t)e->pred]++;
            continue;
        }
        if (memo_room(&memo)) {
            e = memo_slot(&memo, &key);
            *e = (memo_entry_t){.key = key, .pred = (double)n, .used = 1};
            memo.n++;
        }
        rows[n] = &t->rows[i];
        copies[n++] = 1;
    }
    replay_total_t ctx = {.rows = rows, .copies = copies, .n = n, .cfg = cfg};
    int rc = uncert_run(s, 1, &total, samples, replay_total, &ctx, u, err, errlen);
    free(memo.e);
    free(rows);
    free(copies);
    return rc;
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

/* ---------------------------------------------------- parallel rows -- */

/* --jobs N: worker threads predict the rows that are not copies of an
 * earlier row (row_memo keys), in file order; the main thread prints row i
 * once it is predicted, so the output is the single-threaded one. The arch
 * and the trace are read only; kmodel_run keeps no state between calls. */
typedef struct {
    double pred, extra_us;
    int kernels;
    bound_t bound;
    int state;               /* 0 pending, 1 predicted, -1 failed */
} row_result_t;

typedef struct {
    const arch_t *arch;
    const trace_t *t;
    replay_config_t cfg;
    const size_t *todo;      /* rows to predict, in file order */
    size_t ntodo, next;      /* next: the first todo row no worker has taken */
    row_result_t *res;       /* per row */
    int stop;                /* a row failed: take no more */
    size_t failed_row;
    char err[512];
    pthread_mutex_t mu;
    pthread_cond_t done;     /* a row's state changed */
} row_pool_t;

static void *row_worker(void *arg)
{
    row_pool_t *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        if (p->stop || p->next == p->ntodo) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        size_t i = p->todo[p->next++];
        pthread_mutex_unlock(&p->mu);
        row_result_t r = {0};
        kmodel_out_t det;
        char e[512];
        int rc = replay_row_predict_as(p->arch, &p->t->rows[i], p->cfg, &r.pred, &det, e, sizeof e);
        r.extra_us = det.extra_us;
        r.kernels = 1 + det.extra_kernels;
        r.bound = det.bound;
        r.state = rc == 0 ? 1 : -1;
        pthread_mutex_lock(&p->mu);
        p->res[i] = r;
        if (rc != 0 && (!p->stop || i < p->failed_row)) {
            p->stop = 1;
            p->failed_row = i;
            snprintf(p->err, sizeof p->err, "%s", e);
        }
        pthread_cond_broadcast(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Wait until row i is predicted or failed; its result. */
static row_result_t row_wait(row_pool_t *p, size_t i)
{
    pthread_mutex_lock(&p->mu);
    while (p->res[i].state == 0)
        pthread_cond_wait(&p->done, &p->mu);
    row_result_t r = p->res[i];
    pthread_mutex_unlock(&p->mu);
    return r;
}

int cmd_replay_main(int argc, char **argv)
{
    char err[1024];
    const char *arch = "gb10", *out = NULL, *plot = NULL;
    int auto_config = 0;
    int64_t jobs = 1, samples = 0;
    const char *env = getenv("GBSIM_SAMPLES");
    if (env && cli_int("GBSIM_SAMPLES", env, 0, UNCERT_SAMPLES_MAX, &samples, err, sizeof err) != 0)
        return cli_fail(err);
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
        {"jobs", CLI_INT, "predict rows on N threads (default 1); the output is the same, in file "
                          "order", .to = &jobs, .min = 1, .max = REPLAY_MAX_JOBS},
        {"samples", CLI_INT, "N draws of the ranged arch keys for total_predicted_us_range, "
                             "0..10000 (default $GBSIM_SAMPLES, else 0: no interval; each draw "
                             "replays every distinct row)", .to = &samples, .min = 0,
         .max = UNCERT_SAMPLES_MAX},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "replay", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = CLI_NOPTS(opts), .args = "TRACE.csv", .pos = &traces};
    int status;
    if (cli_parse(&cmd, argc, argv, &status) != 0)
        return status;
    const char *path = traces.v[0];
    replay_config_t cfg = auto_config ? REPLAY_AUTO_CONFIG : REPLAY_TRACE_CONFIG;
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
        snprintf(err, sizeof err, "--plot: %s has no row with measured_us; the plot draws "
                 "predicted against measured time", path);
        trace_free(&t);
        return cli_fail(err);
    }
    /* rows are predicted in file order. Without --out and --plot each line
     * is printed as soon as its row is predicted (a row no kernel model can
     * run stops the replay after the lines before it); with them the report
     * waits in memory, and nothing is printed or written unless every step
     * succeeds. The predictions are kept for --out and --plot. */
    double *pred = calloc(t.nrows ? t.nrows : 1, sizeof *pred);
    char *buf = NULL;
    size_t len = 0;
    FILE *rep = out || plot ? open_memstream(&buf, &len) : stdout;
    if (pred == NULL || rep == NULL) {
        free(pred);
        trace_free(&t);
        return cli_fail("out of memory");
    }
    row_memo_t memo = {0};
    report_sums_t sums = {0};
    report_head(rep, &t, arch, cfg, path);
    /* --jobs: the copies found first (a row's first equal row, or itself),
     * then the workers start on the rest */
    size_t *first = NULL, *todo = NULL;
    row_pool_t pool = {.arch = &s.arch, .t = &t, .cfg = cfg};
    pthread_t workers[REPLAY_MAX_JOBS];
    int nworkers = 0;
    if (jobs > 1 && t.nrows > 0) {
        first = calloc(t.nrows, sizeof *first);
        todo = calloc(t.nrows, sizeof *todo);
        pool.res = calloc(t.nrows, sizeof *pool.res);
        if (first == NULL || todo == NULL || pool.res == NULL) {
            free(first), free(todo), free(pool.res), free(pred), free(buf);
            if (rep != stdout)
                fclose(rep);
            trace_free(&t);
            return cli_fail("out of memory");
        }
        for (size_t i = 0; i < t.nrows; i++) {
            trace_row_t key;
            row_key(&t.rows[i], &key);
            memo_entry_t *e = memo.cap ? memo_slot(&memo, &key) : NULL;
            if (e != NULL && e->used) {
                first[i] = (size_t)e->pred;   /* the index of the row it copies */
                continue;
            }
            first[i] = i;
            todo[pool.ntodo++] = i;
            if (memo_room(&memo)) {
                e = memo_slot(&memo, &key);
                *e = (memo_entry_t){.key = key, .pred = (double)i, .used = 1};
                memo.n++;
            }
        }
        pool.todo = todo;
        pthread_mutex_init(&pool.mu, NULL);
        pthread_cond_init(&pool.done, NULL);
        while (nworkers < jobs && pthread_create(&workers[nworkers], NULL, row_worker, &pool) == 0)
            nworkers++;
        assert(nworkers > 0 && "a worker thread starts");
    }
    struct timespec t0, tn;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double next_note_s = isatty(STDERR_FILENO) ? REPLAY_PROGRESS_S : INFINITY;
    int rc = 0;
    for (size_t i = 0; i < t.nrows && rc == 0; i++) {
        const trace_row_t *r = &t.rows[i];
        if (nworkers > 0) {
            row_result_t res = row_wait(&pool, first[i]);
            if (res.state < 0) {
                snprintf(err, sizeof err, "%s:%d: op '%s' on arch %s: %s", path, r->line, r->op,
                         arch, pool.err);
                rc = cli_fail(err);
                break;
            }
            pred[i] = res.pred;
            report_row(rep, r, pred[i], res.kernels, res.extra_us, res.bound, &sums);
        } else {
            trace_row_t key;
            row_key(r, &key);
            memo_entry_t *hit = memo.cap ? memo_slot(&memo, &key) : NULL;
            if (hit == NULL || !hit->used) {
                kmodel_out_t det;
                char e[512];
                if (replay_row_predict_as(&s.arch, r, cfg, &pred[i], &det, e, sizeof e) != 0) {
                    snprintf(err, sizeof err, "%s:%d: op '%s' on arch %s: %s", path, r->line,
                             r->op, arch, e);
                    rc = cli_fail(err);
                    break;
                }
                memo_entry_t fresh = {.key = key, .pred = pred[i], .extra_us = det.extra_us,
                                      .kernels = 1 + det.extra_kernels, .bound = det.bound,
                                      .used = 1};
                if (memo_room(&memo)) {
                    hit = memo_slot(&memo, &key);
                    *hit = fresh;
                    memo.n++;
                } else
                    hit = &fresh;
                report_row(rep, r, pred[i], hit->kernels, hit->extra_us, hit->bound, &sums);
            } else {
                pred[i] = hit->pred;
                report_row(rep, r, pred[i], hit->kernels, hit->extra_us, hit->bound, &sums);
            }
        }
        /* a long replay says how far it got, on stderr */
        clock_gettime(CLOCK_MONOTONIC, &tn);
        double el = (double)(tn.tv_sec - t0.tv_sec) + 1e-9 * (double)(tn.tv_nsec - t0.tv_nsec);
        if (el >= next_note_s && i + 1 < t.nrows) {
            fflush(stdout);
            fprintf(stderr, "gbsim: replay: %zu of %zu rows in %.0f s\n", i + 1, t.nrows, el);
            next_note_s = el + REPLAY_PROGRESS_S;
        }
    }
    if (nworkers > 0) {
        pthread_mutex_lock(&pool.mu);
        pool.stop = 1;
        pthread_mutex_unlock(&pool.mu);
        for (int w = 0; w < nworkers; w++)
            pthread_join(workers[w], NULL);
        pthread_cond_destroy(&pool.done);
        pthread_mutex_destroy(&pool.mu);
    }
    free(first);
    free(todo);
    free(pool.res);
    free(memo.e);
    uncert_result_t u = {0};
    if (rc == 0 && replay_interval(&s, &t, cfg, sums.total, (int)samples, &u, err,
                                   sizeof err) != 0)
        rc = cli_fail(err);
    if (rc == 0) {
        report_uncert(rep, &u);
        report_tail(rep, &sums);
    }
    uncert_free(&u);
    if (rep != stdout)
        fclose(rep);
    fflush(stdout);
    if (rc == 0 && plot && draw(plot, &t, pred, arch, cfg, path, err, sizeof err) != 0)
        rc = cli_fail(err);
    if (rc == 0 && out && trace_write(out, &t, pred, err, sizeof err) != 0) {
        rc = cli_fail(err);
        if (plot)
            remove(plot);
    }
    if (rc == 0 && buf)
        fwrite(buf, 1, len, stdout);
    free(buf);
    free(pred);
    trace_free(&t);
    return rc;
}
