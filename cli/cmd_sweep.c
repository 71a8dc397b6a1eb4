/* cmd_sweep.c -- `gbsim sweep`: decode steps over a grid of option values (or
 * `gbsim sweep tile`: tile configurations), one CSV row per point, and a plot.
 *
 * Grid. Each --grid KEY=V1,V2,... adds a key and its values (split at ','):
 * the points are every combination, the first --grid varying slowest, and the
 * CSV rows are in point order. A decode grid key is a decode option
 * (cli/decode_opts.h; '_' may stand for '-') or else a --set key: an arch or
 * model key, a stack-wide key, <op>.<field>. A tile grid key is a `gbsim tile`
 * option (a flag takes yes|no), an arch key (as --set), or tokens (with
 * --model: m = tokens x top_k routed rows over the expected distinct experts,
 * models/stack.h stack_geom).
 *
 * Bad input, found before any point runs (exit 2, no output file): a key that
 * is none of these, a key given twice or also as an option, a grid without
 * values or with an empty or repeated value, a bad value of a decode option,
 * a description (arch, model, stack, link, drafter, experts histogram) that
 * does not load, more
 * than MAX_POINTS points, a --plot-kind the grid cannot give.
 *
 * Failing points. decode: a point that fails (a --set value refused, a tile a
 * rule forbids, a stack that does not fit) is a row whose status column holds
 * the message and whose figures are empty; when every point fails, the sweep
 * is bad input (exit 2 with the first point's message). tile: a configuration
 * a rule forbids is a row (valid=no and its rule); a point whose options are
 * malformed (--groups above --m, ...) stops the sweep: exit 2 naming it.
 *
 * Jobs. --jobs N simulates N points at a time on threads (the simulator keeps
 * no mutable global state); rows are kept by point index and written after the
 * last point, so the output is the same for any N. A sweep running longer than
 * PROGRESS_AFTER_S reports progress on stderr every PROGRESS_EVERY_S.
 *
 * Cost. A point loads its descriptions from embedded text (about 0.1 ms, under
 * 1 % of the 16 ms the default gpt-oss-120b step simulates in) and simulates
 * its step from scratch.
 *
 * Plots (--plot F.png|F.svg; plots/gnuplot.h). --plot-kind auto picks:
 * heatmap for a tile sweep (one row per combination of the keys but the
 * column key); else curves when a grid key has two or more numeric values
 * (x = the first such key, one line per combination of the other keys); else
 * bars (one stacked bar per point). */
#include "cli/cmd_sweep.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_tile.h"
#include "cli/decode_opts.h"
#include "cli/par.h"
#include "models/arch.h"
#include "models/kmodel.h"
#include "models/llm.h"
#include "models/param.h"
#include "models/route.h"
#include "models/setup.h"
#include "models/stack.h"
#include "plots/gnuplot.h"

#define MAX_KEYS 8
#define MAX_VALUES 256
#define MAX_POINTS 10000
#define MAX_JOBS 256
#define MAX_ARGS 512          /* options on one command line */
#define PROGRESS_AFTER_S 2.0
#define PROGRESS_EVERY_S 5.0

/* ---- the grid --------------------------------------------------------------- */

typedef struct {
    const char *key;            /* as given: its CSV column */
    const char *opt;            /* the option it sets; NULL: a --set key or tokens */
    char dashed[48];            /* tile: "--" opt */
    int flag;                   /* tile: a flag option; values yes|no */
    int tokens;                 /* tile: tokens (needs --model) */
    char *text;                 /* owned: "KEY\0V1\0V2..." */
    char *v[MAX_VALUES];        /* into text */
    char *assign[MAX_VALUES];   /* --set keys: owned "KEY=V" */
    int n;
    int numeric;                /* every value is a finite number */
} grid_t;

typedef struct {
    char *err;                  /* owned; NULL and !failed: the point ran */
    int failed;                 /* 1: it did not run (err NULL: out of memory) */
    decode_result_t r;          /* decode */
    double dram_floor_us;       /* decode: min bytes per step at peak DRAM bandwidth */
    double draft_step_us;       /* decode: one drafter step (0: none or ngram) */
    cmd_tile_args_t targs;      /* tile: the point's options */
    cmd_tile_point_t t;         /* tile */
    const char *bound;          /* tile, simulated: dram | compute | l2 | latency */
} point_t;

typedef enum { PK_AUTO, PK_BARS, PK_CURVES, PK_HEATMAP } plot_kind_t;

typedef struct {
    int tile;                   /* 1: `gbsim sweep tile` */
    grid_t g[MAX_KEYS];
    int ng;
    size_t npoints;
    decode_opts_t base;         /* decode: the options outside the grid */
    cmd_tile_args_t targs;      /* tile: the options outside the grid */
    char given[512];            /* the options outside the grid as given, for titles */
    llm_t model;                /* tile: --model (routing of tokens) */
    const char *model_name;
    const char *out, *plot;     /* --out, --plot (NULL: not given) */
    plot_kind_t pk;
    int jobs;
    int quiet;                  /* 1: no progress on stderr (gbsim bench's count) */
    par_t par;                  /* this rank runs points rank, rank + size, ... */
    point_t *pts;
    pthread_mutex_t mu;         /* guards next, done, stop_at */
    pthread_cond_t cv;
    size_t mine;                /* the points this rank runs */
    size_t next, done;          /* of this rank's points: the next to take, those done */
    size_t stop_at;             /* tile: the first point whose options failed */
} sweep_t;

/* The value index of key k at point p (the first key varies slowest). */
static int value_index(const sweep_t *sw, size_t p, int k)
{
    size_t stride = 1;
    for (int j = sw->ng - 1; j > k; j--)
        stride *= (size_t)sw->g[j].n;
    return (int)((p / stride) % (size_t)sw->g[k].n);
}

static const char *value_at(const sweep_t *sw, size_t p, int k)
{
    return sw->g[k].v[value_index(sw, p, k)];
}

static int is_number(const char *s)
{
    char *end;
    double x = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(x);
}

/* --grid KEY=V1,V2,...: split and check the values; the key is resolved
 * later. Returns 0, or CLI_EXIT_USAGE after reporting. */
static int grid_add(sweep_t *sw, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec)
        return cli_error("--grid '%s': expected KEY=V1,V2,...", spec);
    if (sw->ng == MAX_KEYS)
        return cli_error("--grid '%s': at most %d grid keys", spec, MAX_KEYS);
    grid_t *g = &sw->g[sw->ng];
    memset(g, 0, sizeof *g);
    if ((g->text = strdup(spec)) == NULL)
        return cli_error("out of memory");
    sw->ng++;
    g->text[eq - spec] = '\0';
    g->key = g->text;
    for (int j = 0; j < sw->ng - 1; j++)
        if (!strcmp(sw->g[j].key, g->key))
            return cli_error("--grid %s given twice; give its values in one --grid", g->key);
    char *p = g->text + (eq - spec) + 1;
    if (*p == '\0')
        return cli_error("--grid %s: no values; expected %s=V1,V2,...", g->key, g->key);
    g->numeric = 1;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p == '\0')
            return cli_error("--grid %s: an empty value; expected %s=V1,V2,... (values separated "
                             "by single commas)", g->key, g->key);
        if (g->n == MAX_VALUES)
            return cli_error("--grid %s: more than %d values", g->key, MAX_VALUES);
        for (int j = 0; j < g->n; j++)
            if (!strcmp(g->v[j], p))
                return cli_error("--grid %s: value '%s' given twice", g->key, p);
        g->numeric &= is_number(p);
        g->v[g->n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    sw->npoints = sw->ng == 1 ? (size_t)g->n : sw->npoints * (size_t)g->n;
    if (sw->npoints > MAX_POINTS)
        return cli_error("--grid %s: the grid has more than %d points", g->key, MAX_POINTS);
    return 0;
}

static const grid_t *grid_of(const sweep_t *sw, const char *key)
{
    for (int k = 0; k < sw->ng; k++)
        if (!strcmp(sw->g[k].key, key) || (sw->g[k].opt && !strcmp(sw->g[k].opt, key)))
            return &sw->g[k];
    return NULL;
}

/* "KEY=V" for each value of a --set grid key. Returns 0, or CLI_EXIT_USAGE
 * after reporting. */
static int make_assignments(grid_t *g)
{
    for (int i = 0; i < g->n; i++) {
        size_t len = strlen(g->key) + strlen(g->v[i]) + 2;
        if ((g->assign[i] = malloc(len)) == NULL)
            return cli_error("out of memory");
        snprintf(g->assign[i], len, "%s=%s", g->key, g->v[i]);
    }
    return 0;
}

/* The option of table opts named key ('_' standing for '-'), else NULL. */
static const cli_opt_t *option_named(const cli_opt_t *opts, int nopts, const char *key)
{
    char norm[48];
    if (strchr(key, '.') || strlen(key) >= sizeof norm)
        return NULL;
    snprintf(norm, sizeof norm, "%s", key);
    for (char *c = norm; *c; c++)
        if (*c == '_')
            *c = '-';
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, "set") && strcmp(opts[i].name, "help") &&
            !strcmp(opts[i].name, norm))
            return &opts[i];
    return NULL;
}

static void option_list(const cli_opt_t *opts, int nopts, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < nopts && used < n; i++)
        if (strcmp(opts[i].name, "set") && strcmp(opts[i].name, "help"))
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", opts[i].name);
}

/* ---- running the points ------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void point_fail(point_t *pt, const char *msg)
{
    pt->failed = 1;
    pt->err = strdup(msg);
}

static void run_decode(const sweep_t *sw, size_t p, point_t *pt)
{
    decode_opts_t o = sw->base;
    for (int k = 0; k < sw->ng; k++) {
        const grid_t *g = &sw->g[k];
        int vi = value_index(sw, p, k);
        if (g->opt) {
            int rc = decode_opts_set(&o, g->opt, g->v[vi]);
            assert(rc == 0);    /* every value was checked before the run */
            (void)rc;
        } else {
            assert(o.sets.n < o.sets.max);
            o.sets.v[o.sets.n++] = g->assign[vi];
        }
    }
    /* a tp sweep's link joins the points' GPUs; one GPU has none to join */
    if (o.tp == 1 && grid_of(sw, "tp"))
        o.link = NULL;
    setup_t s;
    decode_cfg_t c;
    char e[1400];
    if (decode_opts_run(&o, &s, &c, &pt->r, &pt->draft_step_us, e, sizeof e) != 0) {
        point_fail(pt, e);
        return;
    }
    pt->dram_floor_us = pt->r.min_bytes / (s.arch.dram_peak_gbps * 1e9) * 1e6;
    setup_free(&s);
}

static void run_tile(point_t *pt)
{
    char e[1024];
    if (cmd_tile_eval(&pt->targs, &pt->t, e, sizeof e) != 0)
        point_fail(pt, e);
    else if (pt->t.ran)
        pt->bound = bound_name(kresult_bound(&pt->t.g.r));
}

/* The point of this rank's k-th share. */
static size_t share_point(const sweep_t *sw, size_t k)
{
    return (size_t)sw->par.rank + k * (size_t)sw->par.size;
}

static void *worker(void *arg)
{
    sweep_t *sw = arg;
    for (;;) {
        pthread_mutex_lock(&sw->mu);
        size_t k = sw->next++;
        size_t i = share_point(sw, k);
        int skip = i > sw->stop_at;
        pthread_mutex_unlock(&sw->mu);
        if (k >= sw->mine)
            return NULL;
        point_t *pt = &sw->pts[i];
        if (!skip) {
            if (sw->tile)
                run_tile(pt);
            else
                run_decode(sw, i, pt);
        }
        pthread_mutex_lock(&sw->mu);
        /* malformed tile options stop the sweep; later points need not run */
        if (sw->tile && pt->failed && i < sw->stop_at)
            sw->stop_at = i;
        sw->done++;
        pthread_cond_signal(&sw->cv);
        pthread_mutex_unlock(&sw->mu);
    }
}

/* Run this rank's points on sw->jobs threads; progress on stderr (rank 0's,
 * of its share). */
static int run_all(sweep_t *sw, char *err, size_t errlen)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&sw->mu, NULL);
    pthread_cond_init(&sw->cv, &ca);
    pthread_condattr_destroy(&ca);
    sw->next = sw->done = 0;
    sw->stop_at = SIZE_MAX;
    size_t rank = (size_t)sw->par.rank, size = (size_t)sw->par.size;
    sw->mine = sw->npoints > rank ? (sw->npoints - rank + size - 1) / size : 0;
    int n = sw->jobs < (int)sw->mine ? sw->jobs : (int)sw->mine, started = 0;
    pthread_t th[MAX_JOBS];
    while (started < n && pthread_create(&th[started], NULL, worker, sw) == 0)
        started++;
    if (started == 0 && n > 0) {
        snprintf(err, errlen, "cannot start a thread for the sweep");
        pthread_mutex_destroy(&sw->mu);
        pthread_cond_destroy(&sw->cv);
        return -1;
    }
    double t0 = now_s(), shown = t0;
    int talk = par_root(&sw->par) && !sw->quiet;
    pthread_mutex_lock(&sw->mu);
    while (sw->done < sw->mine) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&sw->cv, &sw->mu, &until);
        double t = now_s();
        if (talk && t - t0 >= PROGRESS_AFTER_S && t - shown >= PROGRESS_EVERY_S &&
            sw->done < sw->mine) {
            shown = t;
            fprintf(stderr, "gbsim sweep: %zu of %zu points%s, %.0f s", sw->done, sw->mine,
                    size > 1 ? " of rank 0" : "", t - t0);
            if (sw->done)
                fprintf(stderr, ", about %.0f s left",
                        (t - t0) / (double)sw->done * (double)(sw->mine - sw->done));
            fputc('\n', stderr);
        }
    }
    pthread_mutex_unlock(&sw->mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&sw->mu);
    pthread_cond_destroy(&sw->cv);
    return 0;
}

/* ---- the points of other ranks (MPI) ------------------------------------------ */

/* A point travels as its bytes with the pointers cleared, the length of its
 * message (0: none) and the message, then its decode rows. Only ranks of one
 * binary exchange points, so the bytes mean the same on both sides. */
static void pack_point(FILE *f, const sweep_t *sw, const point_t *pt)
{
    point_t w = *pt;
    w.err = NULL;
    w.r.rows = NULL;
    w.bound = NULL;
    w.t.g.cfg.mma = NULL;
    memset(&w.targs, 0, sizeof w.targs);
    size_t elen = pt->err ? strlen(pt->err) : 0;
    fwrite(&w, sizeof w, 1, f);
    fwrite(&elen, sizeof elen, 1, f);
    fwrite(pt->err ? pt->err : "", 1, elen, f);
    if (!sw->tile && !pt->failed)
        fwrite(pt->r.rows, sizeof *pt->r.rows, pt->r.n, f);
}

/* Read a point packed by pack_point at *at (at most end) into pt, keeping
 * pt's own options. Returns 0, or -1 when out of memory. */
static int unpack_point(const sweep_t *sw, const char **at, const char *end, point_t *pt)
{
    point_t w;
    size_t elen;
    assert((size_t)(end - *at) >= sizeof w + sizeof elen);
    memcpy(&w, *at, sizeof w);
    memcpy(&elen, *at + sizeof w, sizeof elen);
    *at += sizeof w + sizeof elen;
    assert((size_t)(end - *at) >= elen);
    w.targs = pt->targs;
    w.err = NULL;
    if (elen > 0 && (w.err = strndup(*at, elen)) == NULL)
        return -1;
    *at += elen;
    if (!sw->tile && !w.failed) {
        size_t bytes = w.r.n * sizeof *w.r.rows;
        assert((size_t)(end - *at) >= bytes);
        if ((w.r.rows = malloc(bytes ? bytes : 1)) == NULL) {
            free(w.err);
            return -1;
        }
        memcpy(w.r.rows, *at, bytes);
        *at += bytes;
    }
    if (sw->tile && w.t.ran)
        w.bound = bound_name(kresult_bound(&w.t.g.r));
    *pt = w;
    return 0;
}

/* Rank 0 gathers every rank's points into sw->pts. Collective. Returns 0, or
 * -1 with err. */
static int gather_points(sweep_t *sw, char *err, size_t errlen)
{
    char *mine = NULL, *all = NULL;
    size_t len = 0, *lens = NULL;
    FILE *f = open_memstream(&mine, &len);
    assert(f != NULL);
    for (size_t k = 0; k < sw->mine; k++)
        pack_point(f, sw, &sw->pts[share_point(sw, k)]);
    fclose(f);
    int rc = par_gather(&sw->par, mine, len, &all, &lens);
    free(mine);
    if (rc == 0 && par_root(&sw->par)) {
        const char *at = all + lens[0];
        for (int r = 1; r < sw->par.size && rc == 0; r++) {
            const char *end = at + lens[r];
            for (size_t p = (size_t)r; p < sw->npoints && rc == 0; p += (size_t)sw->par.size)
                rc = unpack_point(sw, &at, end, &sw->pts[p]);
            assert(rc != 0 || at == end);
            at = end;
        }
    }
    free(all);
    free(lens);
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

/* ---- point labels -------------------------------------------------------------- */

/* A key whose values name themselves (a preset or a file). */
static int names_itself(const grid_t *g)
{
    return g->opt && (!strcmp(g->opt, "arch") || !strcmp(g->opt, "model") || !strcmp(g->opt, "stack"));
}

enum { LABEL_VALUES, LABEL_PAIRS, LABEL_PAIRS_BUT_NAMES };

/* The values of point p on every key but skip (-1: none), ", "-joined:
 * LABEL_PAIRS "key=value"; LABEL_VALUES the value alone (a flag: its name
 * when yes); LABEL_PAIRS_BUT_NAMES "key=value" but arch, model and stack
 * alone (and every value alone for a one-key grid). */
static void point_label(const sweep_t *sw, size_t p, int skip, int style, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < sw->ng && used < n; k++) {
        if (k == skip)
            continue;
        const grid_t *g = &sw->g[k];
        const char *v = value_at(sw, p, k);
        const char *sep = used ? ", " : "";
        int pairs = style == LABEL_PAIRS ||
                    (style == LABEL_PAIRS_BUT_NAMES && sw->ng > 1 && !names_itself(g));
        if (pairs)
            used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", sep, g->key, v);
        else if (g->flag && !strcmp(v, "yes"))
            used += (size_t)snprintf(buf + used, n - used, "%s%s", sep, g->key);
        else if (!g->flag)
            used += (size_t)snprintf(buf + used, n - used, "%s%s", sep, v);
    }
}

static void keys_text(const sweep_t *sw, int skip, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < sw->ng && used < n; k++)
        if (k != skip)
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", sw->g[k].key);
}

/* Append ", " (unless buf is empty) and the formatted text to buf. */
static void item(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void item(char *buf, size_t n, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 3 >= n)
        return;
    if (used)
        used += (size_t)snprintf(buf + used, n - used, ", ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, n - used, fmt, ap);
    va_end(ap);
}

/* What stays fixed: the decode options outside the grid, or the tile options. */
static void context_text(const sweep_t *sw, char *buf, size_t n)
{
    buf[0] = '\0';
    if (sw->tile) {
        snprintf(buf, n, "%s", sw->given);
        if (sw->model_name)
            item(buf, n, "tokens routed as %s", sw->model_name);
        return;
    }
    const decode_opts_t *o = &sw->base;
    if (!grid_of(sw, "arch"))
        item(buf, n, "%s", o->arch);
    if (!grid_of(sw, "model"))
        item(buf, n, "%s", o->model);
    if (!grid_of(sw, "stack"))
        item(buf, n, "%s", o->stack);
    if (!grid_of(sw, "batch"))
        item(buf, n, "batch=%lld", (long long)o->batch);
    if (!grid_of(sw, "ctx"))
        item(buf, n, "ctx=%s", o->ctx ? o->ctx : "2048");
    if (!grid_of(sw, "spec") && o->spec > 1)
        item(buf, n, "spec=%lld", (long long)o->spec);
    if (!grid_of(sw, "accept") && o->accept >= 0)
        item(buf, n, "accept=%g", o->accept);
    if (!grid_of(sw, "draft") && o->draft)
        item(buf, n, "draft=%s", o->draft);
    if (!grid_of(sw, "draft-us") && o->draft_us > 0)
        item(buf, n, "draft-us=%g", o->draft_us);
    if (!grid_of(sw, "graphs") && o->graphs >= 0)
        item(buf, n, "graphs=%s", o->graphs ? "on" : "off");
    if (!grid_of(sw, "skew") && o->skew > 0)
        item(buf, n, "skew=%g", o->skew);
    if (!grid_of(sw, "layers") && o->layers)
        item(buf, n, "layers=%s", o->layers);
    if (!grid_of(sw, "relax") && o->relax)
        item(buf, n, "relax=%s", o->relax);
    if (!grid_of(sw, "tp") && o->tp > 1)
        item(buf, n, "tp=%lld", (long long)o->tp);
    if (!grid_of(sw, "link") && o->link)
        item(buf, n, "link=%s%s", o->link, grid_of(sw, "tp") ? " at tp > 1" : "");
    for (int i = 0; i < o->sets.n; i++)
        item(buf, n, "%s", o->sets.v[i]);
}

/* ---- CSV ------------------------------------------------------------------------- */

typedef enum { COL_NUM, COL_INT, COL_I64, COL_STR, COL_PSTR, COL_YESNO } col_kind_t;

/* One figure column: its header (with its unit), where it lives in point_t,
 * and whether it exists only for a simulated tile configuration. */
typedef struct {
    const char *name;
    col_kind_t kind;
    size_t off;
    const char *fmt;            /* COL_NUM */
    int simulated;
} col_t;

static const col_t DECODE_COLS[] = {
    {"step_us", COL_NUM, offsetof(point_t, r.step_us), "%.3f", 0},
    {"tok_per_s", COL_NUM, offsetof(point_t, r.tok_per_s), "%.3f", 0},
    {"limit_tok_per_s", COL_NUM, offsetof(point_t, r.limit_tok_per_s), "%.3f", 0},
    {"dram_floor_us", COL_NUM, offsetof(point_t, dram_floor_us), "%.3f", 0},
    {"tokens_per_step", COL_NUM, offsetof(point_t, r.tokens_per_step), "%.4f", 0},
    {"draft_step_us", COL_NUM, offsetof(point_t, draft_step_us), "%.3f", 0},
    {"kernels_per_step", COL_INT, offsetof(point_t, r.kernels), NULL, 0},
    {"hypothetical", COL_YESNO, offsetof(point_t, r.hypothetical), NULL, 0},
};

static const col_t TILE_COLS[] = {
    {"valid", COL_YESNO, offsetof(point_t, t.g.cfg.valid), NULL, 0},
    {"rule", COL_STR, offsetof(point_t, t.g.cfg.rule), NULL, 0},
    {"hypothetical", COL_YESNO, offsetof(point_t, t.g.cfg.hypothetical), NULL, 0},
    {"stages", COL_INT, offsetof(point_t, t.g.cfg.stages), NULL, 0},
    {"smem_total_bytes", COL_NUM, offsetof(point_t, t.g.cfg.smem_total_bytes), "%.0f", 0},
    {"ctas_per_sm", COL_INT, offsetof(point_t, t.g.cfg.ctas_per_sm), NULL, 0},
    {"predicted_us", COL_NUM, offsetof(point_t, t.predicted_us), "%.2f", 1},
    {"dram_floor_us", COL_NUM, offsetof(point_t, t.g.floor_us), "%.2f", 1},
    {"tiles", COL_I64, offsetof(point_t, t.g.tiles), NULL, 1},
    {"grid_ctas", COL_INT, offsetof(point_t, t.g.grid), NULL, 1},
    {"bound", COL_PSTR, offsetof(point_t, bound), NULL, 1},
};

/* The routed rows and groups a tokens value gave (tile sweeps with --model). */
static const col_t ROUTE_COLS[] = {
    {"m", COL_I64, offsetof(point_t, t.p.m), NULL, 0},
    {"groups", COL_I64, offsetof(point_t, t.p.groups), NULL, 0},
};

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void put_csv(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_cell(FILE *f, const col_t *c, const point_t *pt)
{
    const char *at = (const char *)pt + c->off;
    double x;
    switch (c->kind) {
    case COL_NUM:
        memcpy(&x, at, sizeof x);
        if (isfinite(x))
            fprintf(f, c->fmt, x);
        break;
    case COL_INT:
        fprintf(f, "%d", *(const int *)at);
        break;
    case COL_I64:
        fprintf(f, "%lld", (long long)*(const int64_t *)at);
        break;
    case COL_STR:
        put_csv(f, at);
        break;
    case COL_PSTR:
        put_csv(f, *(const char *const *)at ? *(const char *const *)at : "");
        break;
    case COL_YESNO:
        fputs(*(const int *)at ? "yes" : "no", f);
        break;
    }
}

/* The ops of every decode point that ran, in order of first appearance. */
static int op_union(const sweep_t *sw, const char **ops, int max)
{
    int n = 0;
    for (size_t p = 0; p < sw->npoints; p++) {
        const point_t *pt = &sw->pts[p];
        if (pt->failed)
            continue;
        for (size_t i = 0; i < pt->r.n; i++) {
            int j = 0;
            while (j < n && strcmp(ops[j], pt->r.rows[i].op))
                j++;
            if (j == n && n < max)
                ops[n++] = pt->r.rows[i].op;
        }
    }
    return n;
}

static double op_us(const point_t *pt, const char *op)
{
    double us = 0;
    for (size_t i = 0; i < pt->r.n; i++)
        if (!strcmp(pt->r.rows[i].op, op))
            us += pt->r.rows[i].us_step;
    return us;
}

#define MAX_OPS 64

/* A decode sweep over tp with a link (given or a grid key) says which link
 * each point used: none at tp 1 (run_decode). */
static int has_link_used(const sweep_t *sw)
{
    return !sw->tile && grid_of(sw, "tp") && (grid_of(sw, "link") || sw->base.link);
}

static const char *link_used(const sweep_t *sw, size_t p)
{
    const grid_t *gt = grid_of(sw, "tp"), *gl = grid_of(sw, "link");
    if (strtoll(value_at(sw, p, (int)(gt - sw->g)), NULL, 10) == 1)
        return "none";
    return gl ? value_at(sw, p, (int)(gl - sw->g)) : sw->base.link;
}

static void write_csv(FILE *f, const sweep_t *sw)
{
    const col_t *cols = sw->tile ? TILE_COLS : DECODE_COLS;
    int ncols = sw->tile ? NCOLS(TILE_COLS) : NCOLS(DECODE_COLS), route = sw->model_name != NULL;
    const char *ops[MAX_OPS];
    int nops = sw->tile ? 0 : op_union(sw, ops, MAX_OPS);
    for (int k = 0; k < sw->ng; k++) {
        put_csv(f, sw->g[k].key);
        fputc(',', f);
    }
    for (int c = 0; route && c < NCOLS(ROUTE_COLS); c++)
        fprintf(f, "%s,", ROUTE_COLS[c].name);
    if (has_link_used(sw))
        fprintf(f, "link_used,");
    if (!sw->tile)
        fprintf(f, "status,");
    for (int c = 0; c < ncols; c++)
        fprintf(f, "%s%s", c ? "," : "", cols[c].name);
    for (int j = 0; j < nops; j++)
        fprintf(f, ",us_%s", ops[j]);
    fputc('\n', f);
    for (size_t p = 0; p < sw->npoints; p++) {
        const point_t *pt = &sw->pts[p];
        for (int k = 0; k < sw->ng; k++) {
            put_csv(f, value_at(sw, p, k));
            fputc(',', f);
        }
        for (int c = 0; route && c < NCOLS(ROUTE_COLS); c++) {
            put_cell(f, &ROUTE_COLS[c], pt);
            fputc(',', f);
        }
        if (has_link_used(sw)) {
            put_csv(f, link_used(sw, p));
            fputc(',', f);
        }
        if (!sw->tile) {
            put_csv(f, !pt->failed ? "ok" : pt->err ? pt->err : "out of memory");
            fputc(',', f);
        }
        for (int c = 0; c < ncols; c++) {
            if (c)
                fputc(',', f);
            if (!pt->failed && (!cols[c].simulated || pt->t.ran))
                put_cell(f, &cols[c], pt);
        }
        for (int j = 0; j < nops; j++) {
            fputc(',', f);
            if (!pt->failed)
                fprintf(f, "%.3f", op_us(pt, ops[j]));
        }
        fputc('\n', f);
    }
}

/* ---- plots ----------------------------------------------------------------------- */

/* The figure a curve or heatmap shows for point p; NaN when there is none. */
static double figure(const sweep_t *sw, size_t p)
{
    const point_t *pt = &sw->pts[p];
    if (pt->failed)
        return NAN;
    if (sw->tile)
        return pt->t.ran ? pt->t.predicted_us : NAN;
    return pt->r.tok_per_s;
}

/* The first grid key with two or more numeric values, or -1. */
static int numeric_key(const sweep_t *sw)
{
    for (int k = 0; k < sw->ng; k++)
        if (sw->g[k].numeric && sw->g[k].n >= 2)
            return k;
    return -1;
}

/* Point p with value vi on key x and the values of point q elsewhere. */
static size_t with_value(const sweep_t *sw, size_t q, int x, int vi)
{
    size_t p = 0;
    for (int k = 0; k < sw->ng; k++)
        p = p * (size_t)sw->g[k].n + (size_t)(k == x ? vi : value_index(sw, q, k));
    return p;
}

/* The points whose value on key x is the first one: one per series or row. */
static size_t others(const sweep_t *sw, int x, size_t *first, size_t max)
{
    size_t n = 0;
    for (size_t p = 0; p < sw->npoints && n < max; p++)
        if (value_index(sw, p, x) == 0)
            first[n++] = p;
    return n;
}

static int draw_bars(const sweep_t *sw, const char *path, char *err, size_t errlen)
{
    assert(!sw->tile);  /* plot_kind refused it */
    int nb = (int)sw->npoints, rc = -1;
    const char *ops[MAX_OPS];
    int nops = op_union(sw, ops, MAX_OPS);
    char **label = calloc((size_t)nb, sizeof *label), **text = calloc((size_t)nb, sizeof *text);
    double *us = calloc((size_t)nb * (size_t)(nops + 1), sizeof *us);
    double *floor_us = calloc((size_t)nb, sizeof *floor_us);
    if (!label || !text || !us || !floor_us) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < nb; i++) {
        const point_t *pt = &sw->pts[i];
        char l[256], t[64];
        point_label(sw, (size_t)i, -1, LABEL_PAIRS_BUT_NAMES, l, sizeof l);
        if (pt->failed)
            strncat(l, " (failed)", sizeof l - strlen(l) - 1);
        snprintf(t, sizeof t, pt->failed ? "-" : "%.1f tok/s", pt->r.tok_per_s);
        label[i] = strdup(l);
        text[i] = strdup(t);
        if (!label[i] || !text[i]) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        floor_us[i] = pt->failed ? NAN : pt->dram_floor_us;
        for (int j = 0; j < nops; j++)
            us[i * nops + j] = pt->failed ? 0 : op_us(pt, ops[j]);
    }
    char keys[256], ctx[512], title[900];
    keys_text(sw, -1, keys, sizeof keys);
    context_text(sw, ctx, sizeof ctx);
    snprintf(title, sizeof title, "Decode step per op, varying %s\n%s", keys, ctx);
    gnuplot_bars_t b = {.title = title, .nbars = nb, .nops = nops, .label = (const char *const *)label,
                        .op = ops, .us = us, .floor_us = floor_us, .text = (const char *const *)text};
    rc = gnuplot_bars(&b, path, err, errlen);
out:
    for (int i = 0; label && text && i < nb; i++) {
        free(label[i]);
        free(text[i]);
    }
    free(label);
    free(text);
    free(us);
    free(floor_us);
    return rc;
}

/* Sort the value indices of a numeric key by value (insertion sort: <= 256). */
static void sort_by_value(const grid_t *g, int *order)
{
    for (int i = 0; i < g->n; i++)
        order[i] = i;
    for (int i = 1; i < g->n; i++)
        for (int j = i; j > 0 && strtod(g->v[order[j - 1]], NULL) > strtod(g->v[order[j]], NULL); j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

static int draw_curves(const sweep_t *sw, const char *path, char *err, size_t errlen)
{
    int x = numeric_key(sw);
    assert(x >= 0);     /* plot_kind refused a grid without one */
    const grid_t *gx = &sw->g[x];
    size_t first[MAX_POINTS];
    int ns = (int)others(sw, x, first, MAX_POINTS), nx = gx->n, rc = -1;
    int order[MAX_VALUES];
    sort_by_value(gx, order);
    double xs[MAX_VALUES];
    for (int i = 0; i < nx; i++)
        xs[i] = strtod(gx->v[order[i]], NULL);
    char **series = calloc((size_t)ns, sizeof *series);
    double *y = calloc((size_t)ns * (size_t)nx, sizeof *y);
    double *y2 = calloc((size_t)ns * (size_t)nx, sizeof *y2);
    if (!series || !y || !y2) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int s = 0; s < ns; s++) {
        char l[256];
        point_label(sw, first[s], x, LABEL_PAIRS, l, sizeof l);
        series[s] = strdup(sw->ng == 1 ? (sw->tile ? "predicted" : "simulated") : l);
        if (!series[s]) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        for (int i = 0; i < nx; i++) {
            size_t p = with_value(sw, first[s], x, order[i]);
            y[s * nx + i] = figure(sw, p);
            y2[s * nx + i] = sw->tile || sw->pts[p].failed ? NAN : sw->pts[p].r.limit_tok_per_s;
        }
    }
    char keys[256], ctx[512], title[900];
    keys_text(sw, x, keys, sizeof keys);
    context_text(sw, ctx, sizeof ctx);
    snprintf(title, sizeof title, "%s vs %s%s%s\n%s", sw->tile ? "Predicted time" : "Tokens per second",
             gx->key, sw->ng > 1 ? ", one line per " : "", sw->ng > 1 ? keys : "", ctx);
    gnuplot_curves_t c = {.title = title, .xlabel = gx->key,
                          .ylabel = sw->tile ? "predicted time per launch (us)" : "tokens per second",
                          .nseries = ns, .nx = nx, .series = (const char *const *)series, .x = xs,
                          .y = y, .y2 = sw->tile ? NULL : y2,
                          .y2_title = "DRAM limit (dashed, same colour)"};
    rc = gnuplot_curves(&c, path, err, errlen);
out:
    for (int s = 0; series && s < ns; s++)
        free(series[s]);
    free(series);
    free(y);
    free(y2);
    return rc;
}

/* The heatmap's column key: m or tokens in a tile sweep, else the first
 * numeric key, else the last key. */
static int heatmap_x(const sweep_t *sw)
{
    if (sw->ng == 1)
        return -1;
    for (int k = 0; sw->tile && k < sw->ng; k++)
        if (sw->g[k].tokens || (sw->g[k].opt && !strcmp(sw->g[k].opt, "m")))
            return k;
    int x = numeric_key(sw);
    return x >= 0 ? x : sw->ng - 1;
}

/* The point of row r and column i: the row's values and the column's value
 * of key x; with no column key (x < 0), every point is a row. */
static size_t cell_point(const sweep_t *sw, int x, const size_t *first, int r, int i)
{
    return x < 0 ? (size_t)r : with_value(sw, first[r], x, i);
}

/* The heatmap's columns: the values of one key (m or tokens in a tile sweep,
 * else the first numeric key, else the last key), rows: the combinations of
 * the other keys; a one-key grid is one column, a row per value. */
static int draw_heatmap(const sweep_t *sw, const char *path, char *err, size_t errlen)
{
    int x = heatmap_x(sw), nx = x < 0 ? 1 : sw->g[x].n, rc = -1;
    size_t first[MAX_POINTS];
    int ny = x < 0 ? (int)sw->npoints : (int)others(sw, x, first, MAX_POINTS), nc = nx * ny;
    char **ylab = calloc((size_t)ny, sizeof *ylab), **text = calloc((size_t)nc, sizeof *text);
    char **sub = calloc((size_t)nc, sizeof *sub);
    double *z = calloc((size_t)nc, sizeof *z);
    if (!ylab || !text || !sub || !z) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* colour: the cell's figure against the best of its column (1 = best) */
    double zmax = 1.5;
    for (int i = 0; i < nx; i++) {
        double best = NAN;
        for (int r = 0; r < ny; r++) {
            double f = figure(sw, cell_point(sw, x, first, r, i));
            if (isfinite(f) && (!isfinite(best) || (sw->tile ? f < best : f > best)))
                best = f;
        }
        for (int r = 0; r < ny; r++) {
            size_t p = cell_point(sw, x, first, r, i);
            const point_t *pt = &sw->pts[p];
            double f = figure(sw, p);
            char t[64], s[64];
            z[r * nx + i] = isfinite(f) && f > 0 ? (sw->tile ? f / best : best / f) : NAN;
            if (isfinite(z[r * nx + i]))
                zmax = fmax(zmax, fmin(z[r * nx + i], 4));
            if (isfinite(f)) {
                snprintf(t, sizeof t, f < 100 ? "%.1f" : "%.0f", f);
                if (z[r * nx + i] <= 1.0)
                    snprintf(s, sizeof s, "best");
                else
                    snprintf(s, sizeof s, "x%.2f", z[r * nx + i]);
            } else if (sw->tile && !pt->failed && !pt->t.g.cfg.valid) {
                snprintf(t, sizeof t, "invalid");
                snprintf(s, sizeof s, "%s", pt->t.g.cfg.rule);
            } else {
                snprintf(t, sizeof t, "failed");
                s[0] = '\0';
            }
            text[r * nx + i] = strdup(t);
            sub[r * nx + i] = strdup(s);
            if (!text[r * nx + i] || !sub[r * nx + i]) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
        }
    }
    for (int r = 0; r < ny; r++) {
        char l[256];
        point_label(sw, cell_point(sw, x, first, r, 0), x, LABEL_VALUES, l, sizeof l);
        if ((ylab[r] = strdup(l)) == NULL) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    char keys[256], ctx[512], title[900], cb[128];
    keys_text(sw, x, keys, sizeof keys);
    context_text(sw, ctx, sizeof ctx);
    snprintf(title, sizeof title, "%s: %s%s%s\n%s",
             sw->tile ? "Predicted us per launch" : "Tokens per second", keys, x < 0 ? "" : " x ",
             x < 0 ? "" : sw->g[x].key, ctx);
    snprintf(cb, sizeof cb, "%s", sw->tile ? "time / fastest valid in its column"
                                           : "best tok/s in its column / tok/s");
    char xl[128] = "";
    if (x >= 0 && sw->g[x].tokens)
        snprintf(xl, sizeof xl, "tokens (m = tokens x %g routed rows)", sw->model.top_k);
    else if (x >= 0)
        snprintf(xl, sizeof xl, "%s", sw->g[x].key);
    const char *no_column = "";
    gnuplot_heatmap_t h = {.title = title, .xlabel = xl, .ylabel = keys, .cblabel = cb,
                           .nx = nx, .ny = ny,
                           .xlabels = x < 0 ? &no_column : (const char *const *)sw->g[x].v,
                           .ylabels = (const char *const *)ylab, .z = z, .zmin = 1, .zmax = zmax,
                           .text = (const char *const *)text, .subtext = (const char *const *)sub};
    rc = gnuplot_heatmap(&h, path, err, errlen);
out:
    for (int r = 0; ylab && r < ny; r++)
        free(ylab[r]);
    for (int i = 0; text && sub && i < nc; i++) {
        free(text[i]);
        free(sub[i]);
    }
    free(ylab);
    free(text);
    free(sub);
    free(z);
    return rc;
}

/* The kind to draw (auto resolved), or CLI_EXIT_USAGE after reporting a kind
 * the grid cannot give: checked before the sweep runs. */
static int plot_kind(const sweep_t *sw, plot_kind_t *kind)
{
    if (*kind == PK_AUTO)
        *kind = sw->tile ? PK_HEATMAP : numeric_key(sw) >= 0 ? PK_CURVES : PK_BARS;
    if (*kind == PK_BARS && sw->tile)
        return cli_error("--plot-kind bars: a tile sweep has no ops to stack; expected heatmap "
                         "or curves");
    if (*kind == PK_CURVES && numeric_key(sw) < 0)
        return cli_error("--plot-kind curves: no grid key has two or more numeric values for the "
                         "x axis");
    return 0;
}

static int draw(const sweep_t *sw, plot_kind_t kind, const char *path, char *err, size_t errlen)
{
    assert(kind != PK_AUTO);
    if (kind == PK_BARS)
        return draw_bars(sw, path, err, errlen);
    if (kind == PK_CURVES)
        return draw_curves(sw, path, err, errlen);
    return draw_heatmap(sw, path, err, errlen);
}

/* ---- the command ------------------------------------------------------------------ */

static const char USAGE[] =
    "usage: gbsim sweep [decode options] --grid KEY=V1,V2,... [--grid ...] [--jobs N]\n"
    "                   [--out FILE.csv] [--plot FILE.png] [--plot-kind K]\n"
    "       gbsim sweep tile [tile options] --grid KEY=V1,V2,... [--model M] [...]";
static const char MORE[] =
    "Runs `gbsim decode` (or, after `tile`, `gbsim tile`) at every combination of the\n"
    "grid values, the first --grid varying slowest, and writes one CSV row per point.\n"
    "Grid keys: a decode option (batch, ctx, spec, accept, draft, draft-us, stack, arch,\n"
    "model, graphs, skew, layers, relax; '_' may stand for '-'), else a --set key (an arch\n"
    "or model key, a stack-wide key such as kv_dtype, <op>.<field> such as\n"
    "moe_fc1.tile). Tile sweeps: a `gbsim tile` option (a flag takes yes|no), an arch\n"
    "key, or tokens (with --model). Values are split at ','.\n"
    "Decode CSV: the grid keys, status (ok, or why the point failed: its figures are\n"
    "then empty), step_us, tok_per_s, limit_tok_per_s, dram_floor_us, tokens_per_step,\n"
    "draft_step_us, kernels_per_step, hypothetical, then us_<op> per op (us per step\n"
    "summed over the op's kernels, us_launch the device idle between kernels; 0 when\n"
    "the step has no such op). With --grid tp=... and a link, link_used names the\n"
    "link of each point: none at tp 1, where the link is not used. If every point\n"
    "fails, the sweep exits 2.\n"
    "Tile CSV: the grid keys (with --model: m, groups), valid, rule, hypothetical,\n"
    "stages, smem_total_bytes, ctas_per_sm, then, for a simulated configuration,\n"
    "predicted_us, dram_floor_us, tiles, grid_ctas, bound. A configuration a rule\n"
    "forbids is a row (valid=no); malformed tile options stop the sweep (exit 2).\n"
    "--plot-kind auto: a tile sweep draws a heatmap (columns: m or tokens; rows: the\n"
    "other keys; colour: time against the fastest valid configuration of the column);\n"
    "a decode sweep with a numeric grid key draws curves of tok/s (x: the first such\n"
    "key; one line per combination of the other keys; dashed: the DRAM limit); else\n"
    "one stacked bar per point (ops in fixed colours, the DRAM floor marked).\n"
    "Progress goes to stderr for sweeps running longer than a few seconds.\n"
    "Examples:\n"
    "  gbsim sweep --grid batch=1,4,16,64 --grid moe_fc1.tile=128x128x128,128x64x128\n"
    "  gbsim sweep --grid stack=vllm-cutlass,vllm-marlin,llamacpp --plot stacks.png\n"
    "  gbsim sweep tile --model gpt-oss-120b --n 5760 --k 2880 --grid tokens=1,4,16,64 \\\n"
    "      --grid tile=128x32x128,128x64x128,128x128x128 --grid schedule=coop,pingpong\n";

static void sweep_free(sweep_t *sw)
{
    for (int k = 0; k < sw->ng; k++) {
        free(sw->g[k].text);
        for (int i = 0; i < sw->g[k].n; i++)
            free(sw->g[k].assign[i]);
    }
    if (sw->pts)
        for (size_t p = 0; p < sw->npoints; p++) {
            free(sw->pts[p].err);
            if (!sw->tile && !sw->pts[p].failed)
                decode_free(&sw->pts[p].r);
        }
    free(sw->pts);
}

/* A grid key naming the option opt must not also be given as one. */
static int given_too(const grid_t *g, const cli_arg_t *args, int nargs)
{
    for (int j = 0; j < nargs; j++)
        if (args[j].opt && !strcmp(args[j].opt, g->opt))
            return cli_error("--%s is given and is a grid key; give one of them", g->opt);
    return 0;
}

/* Decode grid keys: a decode option (its values checked now) or a --set key.
 * Returns 0, or CLI_EXIT_USAGE after reporting. */
static int decode_keys(sweep_t *sw, const cli_arg_t *args, int nargs)
{
    decode_opts_t scratch = sw->base;
    cli_opt_t rows[DECODE_OPTS_MAX];
    int nrows = decode_opts_rows(&scratch, rows, DECODE_OPTS_MAX), nset = 0, rc;
    for (int k = 0; k < sw->ng; k++) {
        grid_t *g = &sw->g[k];
        const cli_opt_t *o = option_named(rows, nrows, g->key);
        if (o) {
            g->opt = o->name;
            for (int j = 0; j < k; j++)
                if (sw->g[j].opt == g->opt)
                    return cli_error("--grid %s and --grid %s name one option", sw->g[j].key,
                                     g->key);
            if ((rc = given_too(g, args, nargs)) != 0)
                return rc;
            for (int i = 0; i < g->n; i++) {
                decode_opts_t t = sw->base;
                if ((rc = decode_opts_set(&t, g->opt, g->v[i])) != 0)
                    return rc;      /* reported, naming the option and the value */
            }
            continue;
        }
        size_t klen = strlen(g->key);
        for (int j = 0; j < sw->base.sets.n; j++)
            if (!strncmp(sw->base.sets.v[j], g->key, klen) && sw->base.sets.v[j][klen] == '=')
                return cli_error("--set %s is given and %s is a grid key; give one of them",
                                 sw->base.sets.v[j], g->key);
        if ((rc = make_assignments(g)) != 0)
            return rc;
        nset++;
        if (param_find(&arch_schema, g->key) >= 0 || param_find(&llm_schema, g->key) >= 0)
            continue;
        /* a stack-wide key or <op>.<field>: ask a stack the sweep runs */
        const grid_t *gs = grid_of(sw, "stack");
        char e[1200] = "";
        int known = -1;
        for (int i = 0; i < (gs ? gs->n : 1) && known < 0; i++) {
            stack_desc_t *st = stack_load(gs ? gs->v[i] : sw->base.stack, e, sizeof e);
            if (st == NULL)
                continue;
            char e2[1200];
            known = stack_set(st, g->assign[0], e2, sizeof e2) != 1;
            stack_free(st);
        }
        if (known < 0)
            return cli_error("--grid %s: %s", g->key, e);
        if (!known) {
            char names[400];
            option_list(rows, nrows, names, sizeof names);
            return cli_error("--grid %s: unknown key; expected a decode option (%s) or a --set "
                             "key: an arch or model key, a stack-wide key (kv_dtype, graphs, ...) "
                             "or <op>.<field> (moe_fc1.tile, lm_head.weights, ...)", g->key, names);
        }
    }
    if (sw->base.sets.n + nset > sw->base.sets.max)
        return cli_error("too many --set options and --set grid keys (at most %d)",
                         sw->base.sets.max);
    return 0;
}

/* Tile grid keys: a tile option, tokens (with --model) or an arch key.
 * Returns 0, or CLI_EXIT_USAGE after reporting. */
static int tile_keys(sweep_t *sw, const cli_arg_t *args, int nargs)
{
    cmd_tile_args_t scratch = sw->targs;
    cli_opt_t rows[CMD_TILE_OPTS_MAX];
    int nrows = cmd_tile_rows(&scratch, rows, CMD_TILE_OPTS_MAX), rc;
    for (int k = 0; k < sw->ng; k++) {
        grid_t *g = &sw->g[k];
        if (!strcmp(g->key, "tokens")) {
            if (!sw->model_name)
                return cli_error("--grid tokens: needs --model M (its router spreads the tokens "
                                 "over experts)");
            for (int i = 0; i < g->n; i++) {
                int64_t t;
                char e[200];
                if (cli_int("--grid tokens", g->v[i], 1, 1000000, &t, e, sizeof e) != 0)
                    return cli_fail(e);
            }
            g->tokens = 1;
            continue;
        }
        const cli_opt_t *o = option_named(rows, nrows, g->key);
        if (o) {
            g->opt = o->name;
            g->flag = o->type == CLI_FLAG;
            snprintf(g->dashed, sizeof g->dashed, "--%s", o->name);
            for (int j = 0; j < k; j++)
                if (sw->g[j].opt == g->opt)
                    return cli_error("--grid %s and --grid %s name one option", sw->g[j].key,
                                     g->key);
            if ((rc = given_too(g, args, nargs)) != 0)
                return rc;
            for (int i = 0; g->flag && i < g->n; i++)
                if (strcmp(g->v[i], "yes") && strcmp(g->v[i], "no"))
                    return cli_error("--grid %s: '%s': expected yes or no (a flag)", g->key,
                                     g->v[i]);
            if (sw->model_name && (!strcmp(g->opt, "m") || !strcmp(g->opt, "groups") ||
                                   !strcmp(g->opt, "grouped")))
                return cli_error("--grid %s: --model sets m, groups and grouped from the grid key "
                                 "tokens", g->key);
            continue;
        }
        if (param_find(&arch_schema, g->key) >= 0) {
            if ((rc = make_assignments(g)) != 0)
                return rc;
            continue;
        }
        char names[400];
        option_list(rows, nrows, names, sizeof names);
        return cli_error("--grid %s: unknown key; expected a tile option (%s), tokens (with "
                         "--model) or an arch key (models/data/arch/*.csv)", g->key, names);
    }
    if (sw->model_name) {
        if (!grid_of(sw, "tokens"))
            return cli_error("--model routes the grid key tokens; expected --grid tokens=T1,T2,...");
        for (int j = 0; j < nargs; j++)
            if (args[j].opt && (!strcmp(args[j].opt, "m") || !strcmp(args[j].opt, "groups")))
                return cli_error("--%s: --model sets m and groups from the grid key tokens",
                                 args[j].opt);
    }
    return 0;
}

/* An experts histogram value must load for one of the sweep's models (the
 * grid's, else --model): it is refused when it loads for none. */
static int check_experts(const sweep_t *sw, const char *v, char *e, size_t elen)
{
    const grid_t *gm = grid_of(sw, "model");
    char e2[1200] = "";
    e[0] = '\0';
    for (int i = 0; i < (gm ? gm->n : 1); i++) {
        setup_t s;
        if (setup_load(&s, "gb10", gm ? gm->v[i] : sw->base.model, NULL, 0, e2, sizeof e2) != 0)
            continue;   /* a model that does not load is reported as one */
        route_hist_t *h = route_load(v, &s.model, i == 0 ? e : e2, i == 0 ? elen : sizeof e2);
        if (h != NULL) {
            route_free(h);
            return 0;
        }
    }
    if (e[0] == '\0')   /* the first model did not load: the last message there is */
        snprintf(e, elen, "%s", e2);
    return -1;
}

/* Grid values that name a description (a preset or FILE.csv): each one is
 * loaded alone before any point runs, so a file that does not parse, or a
 * name that is neither, is bad input (file:line, exit 2) rather than a
 * failed point. A decode sweep's arch, model, stack, link and draft keys (a
 * drafter other than ngram and eagle is a model) and experts (a histogram,
 * against the sweep's models); a tile sweep's arch. Returns 0, or
 * CLI_EXIT_USAGE after reporting. */
static int check_descriptions(const sweep_t *sw)
{
    static const char *const KEYS[] = {"arch", "model", "stack", "link", "draft"};
    for (int k = 0; k < sw->ng; k++) {
        const grid_t *g = &sw->g[k];
        int which = -1;
        for (int i = 0; g->opt && i < (int)(sizeof KEYS / sizeof KEYS[0]); i++)
            if (!strcmp(g->opt, KEYS[i]))
                which = i;
        if (!sw->tile && g->opt && !strcmp(g->opt, "experts")) {
            for (int i = 0; i < g->n; i++) {
                char e[1200] = "";
                if (check_experts(sw, g->v[i], e, sizeof e) != 0)
                    return cli_error("--grid %s: %s", g->key, e);
            }
            continue;
        }
        if (which < 0 || (sw->tile && which != 0))
            continue;
        for (int i = 0; i < g->n; i++) {
            const char *v = g->v[i];
            if (which == 4 && (!strcmp(v, "ngram") || !strcmp(v, "eagle")))
                continue;
            setup_t s;
            char e[1200];
            if (setup_load_stack_link(&s, which == 0 ? v : "gb10",
                                      which == 1 || which == 4 ? v : NULL, which == 2 ? v : NULL,
                                      which == 3 ? v : NULL, 0, NULL, 0, e, sizeof e) != 0)
                return cli_error("--grid %s: %s", g->key, e);
            setup_free(&s);
        }
    }
    return 0;
}

/* The options of each tile point: the given ones, then the point's grid
 * values parsed as gbsim tile parses them (a malformed value is reported
 * here, before anything runs). Returns 0, or CLI_EXIT_USAGE after reporting. */
static int tile_points(sweep_t *sw)
{
    for (size_t p = 0; p < sw->npoints; p++) {
        cmd_tile_args_t a = sw->targs;
        cli_opt_t rows[CMD_TILE_OPTS_MAX];
        cli_cmd_t cmd = {.name = "sweep tile", .usage = "", .opts = rows,
                         .nopts = cmd_tile_rows(&a, rows, CMD_TILE_OPTS_MAX)};
        char *argv[2 * MAX_KEYS], set_opt[] = "--set";
        int argc = 0;
        for (int k = 0; k < sw->ng; k++) {
            grid_t *g = &sw->g[k];
            int vi = value_index(sw, p, k);
            if (g->tokens) {
                /* T tokens: T x top_k routed rows over the expected distinct experts */
                step_geom_t geo;
                stack_geom(&sw->model, strtoll(g->v[vi], NULL, 10), 1, 0, 0, &geo);
                int64_t groups = llround(geo.experts_active);
                a.m = geo.routed_rows;
                a.groups = groups < 1 ? 1 : groups > geo.routed_rows ? geo.routed_rows : groups;
            } else if (g->flag) {
                if (!strcmp(g->v[vi], "yes"))
                    argv[argc++] = g->dashed;
            } else if (g->opt) {
                argv[argc++] = g->dashed;
                argv[argc++] = g->v[vi];
            } else {
                argv[argc++] = set_opt;
                argv[argc++] = g->assign[vi];
            }
        }
        int status;
        if (cli_parse(&cmd, argc, argv, &status) != 0)
            return status;
        sw->pts[p].targs = a;
    }
    return 0;
}

/* The options given outside the grid, as text for titles. */
static void given_text(sweep_t *sw, const cli_arg_t *args, int nargs)
{
    size_t used = 0;
    for (int i = 0; i < nargs && used < sizeof sw->given; i++) {
        const char *o = args[i].opt;
        if (!o || !strcmp(o, "grid") || !strcmp(o, "jobs") || !strcmp(o, "out") ||
            !strcmp(o, "plot") || !strcmp(o, "plot-kind") || !strcmp(o, "model"))
            continue;
        used += (size_t)snprintf(sw->given + used, sizeof sw->given - used, "%s--%s%s%s",
                                 used ? " " : "", o, args[i].val ? " " : "",
                                 args[i].val ? args[i].val : "");
    }
}

/* Parse and check a sweep's command line (argv after "sweep" or "sweep
 * tile") into sw: the grid, the options outside it, every point's options
 * (sw->pts allocated), --out, --plot and the plot kind. Returns 0 to run the
 * points; else the command stops with *status: 0 after --help,
 * CLI_EXIT_USAGE after reporting bad input. */
static int sweep_prepare(sweep_t *sw, int argc, char **argv, int *status)
{
    int tile = sw->tile;
    char err[2000];
    decode_opts_init(&sw->base);
    cmd_tile_args_init(&sw->targs);
    cli_list_t grids = {.max = MAX_KEYS};
    int64_t jobs = 1;
    int kind = PK_AUTO;
    cli_opt_t opts[DECODE_OPTS_MAX + CMD_TILE_OPTS_MAX + 8];
    int n = tile ? cmd_tile_rows(&sw->targs, opts, CMD_TILE_OPTS_MAX) - 1   /* all but --help */
                 : decode_opts_rows(&sw->base, opts, DECODE_OPTS_MAX);
    if (tile)
        opts[n++] = (cli_opt_t){"model", CLI_STR, "MoE model preset or FILE.csv whose router "
                                "spreads the grid key tokens: m = tokens x top_k rows over the "
                                "expected distinct experts (grouped)", .to = &sw->model_name};
    opts[n++] = (cli_opt_t){"grid", CLI_LIST, "KEY=V1,V2,...: a grid key and its values "
                            "(repeatable; see below)", .to = &grids};
    opts[n++] = (cli_opt_t){"jobs", CLI_INT, "N, points simulated at a time, 1..256 (default 1; "
                            "the output is the same)", .to = &jobs, .min = 1, .max = MAX_JOBS};
    opts[n++] = (cli_opt_t){"out", CLI_OUT, "write the CSV to FILE (default: stdout)",
                            .to = &sw->out};
    opts[n++] = (cli_opt_t){"plot", CLI_OUT, "draw the sweep to FILE.png or FILE.svg with gnuplot",
                            .to = &sw->plot};
    opts[n++] = (cli_opt_t){"plot-kind", CLI_CHOICE, "auto|bars|curves|heatmap (default auto; "
                            "see below)", .to = &kind, .choices = "auto|bars|curves|heatmap"};
    opts[n++] = (cli_opt_t)CLI_OPT_HELP;
    cli_cmd_t cmd = {.name = tile ? "sweep tile" : "sweep", .usage = USAGE, .more = MORE,
                     .opts = opts, .nopts = n};
    if (cli_parse(&cmd, argc, argv, status) != 0)
        return 1;
    /* which options were given (cli_parse accepted them; only their number can
     * exceed what the scan keeps) */
    cli_arg_t args[MAX_ARGS];
    *status = CLI_EXIT_USAGE;
    int nargs = cli_scan(argc, argv, opts, n, args, MAX_ARGS, err, sizeof err);
    if (nargs < 0)
        return cli_fail(err);
    given_text(sw, args, nargs);
    sw->jobs = (int)jobs;
    if (grids.n == 0)
        return cli_error("expected at least one --grid KEY=V1,V2,... (gbsim sweep%s --help)",
                         tile ? " tile" : "");
    for (int i = 0; i < grids.n; i++)
        if (grid_add(sw, grids.v[i]) != 0)
            return 1;
    /* rank 0 alone writes the plot (par.h) */
    if (sw->plot && par_root(&sw->par) && gnuplot_check_path(sw->plot, err, sizeof err) != 0)
        return cli_fail(err);
    if (sw->model_name) {
        setup_t s;
        if (setup_load(&s, "gb10", sw->model_name, NULL, 0, err, sizeof err) != 0)
            return cli_fail(err);
        sw->model = s.model;
        if (sw->model.n_experts <= 0 || sw->model.top_k <= 0)
            return cli_error("--model %s has no experts to route tokens to; expected a MoE model "
                             "(gpt-oss-120b, gpt-oss-20b, qwen3-30b-a3b, ...)", sw->model_name);
        sw->targs.grouped = 1;
    }
    if ((tile ? tile_keys(sw, args, nargs) : decode_keys(sw, args, nargs)) != 0 ||
        check_descriptions(sw) != 0)
        return 1;
    sw->pk = (plot_kind_t)kind;
    if (sw->plot && plot_kind(sw, &sw->pk) != 0)
        return 1;
    if ((sw->pts = calloc(sw->npoints, sizeof *sw->pts)) == NULL)
        return cli_error("out of memory");
    if (tile && tile_points(sw) != 0)
        return 1;
    *status = 0;
    return 0;
}

/* Rank 0, every point at hand: the CSV to --out or stdout, and the plot.
 * Nothing is written unless every step succeeds. Returns the exit status. */
static int sweep_write(const sweep_t *sw)
{
    char err[2000];
    /* a tile point with malformed options, or a decode sweep where nothing ran */
    size_t ok = 0, first_bad = SIZE_MAX;
    for (size_t p = 0; p < sw->npoints; p++) {
        ok += !sw->pts[p].failed;
        if (sw->pts[p].failed && first_bad == SIZE_MAX)
            first_bad = p;
    }
    if ((sw->tile && first_bad != SIZE_MAX) || ok == 0) {
        char l[400];
        point_label(sw, first_bad, -1, LABEL_PAIRS, l, sizeof l);
        return cli_error("%spoint %zu (%s): %s", ok == 0 && !sw->tile ? "every point failed; " : "",
                         first_bad + 1, l,
                         sw->pts[first_bad].err ? sw->pts[first_bad].err : "out of memory");
    }
    /* everything goes to memory first */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL)
        return cli_error("out of memory");
    write_csv(m, sw);
    fclose(m);
    int rc = 0;
    if (sw->plot && draw(sw, sw->pk, sw->plot, err, sizeof err) != 0)
        rc = cli_fail(err);
    if (rc == 0 && sw->out) {
        rc = cli_out_write(sw->out, buf, len);
        if (rc != 0 && sw->plot)
            remove(sw->plot);
    } else if (rc == 0)
        fwrite(buf, 1, len, stdout);
    free(buf);
    return rc;
}

static int sweep_main(int argc, char **argv, int tile)
{
    sweep_t *sw = calloc(1, sizeof *sw);
    if (sw == NULL)
        return cli_error("out of memory");
    sw->tile = tile;
    char err[2000];
    if (par_begin(&sw->par, err, sizeof err) != 0) {
        free(sw);
        return cli_fail(err);
    }
    int rc, stop = sweep_prepare(sw, argc, argv, &rc);
    if (stop && rc == 0)     /* --help: every rank finds it alike, rank 0 prints it */
        goto done;
    rc = par_status(&sw->par, rc);   /* every rank's grid checked */
    /* every rank runs its share, its points sharing their kernels' runs, then
     * rank 0 holds every point and writes */
    if (rc == 0) {
        if (!tile)
            sw->base.memo = kmodel_memo_create(SWEEP_MEMO_MAX);
        if (run_all(sw, err, sizeof err) != 0)
            rc = cli_fail(err);
    }
    rc = par_status(&sw->par, rc);   /* every rank's share ran, before the gather */
    if (rc == 0 && sw->par.size > 1 && gather_points(sw, err, sizeof err) != 0)
        rc = cli_fail(err);
    if (rc == 0 && par_root(&sw->par))
        rc = sweep_write(sw);
    rc = par_status(&sw->par, rc);   /* every rank exits with rank 0's status */
done:
    kmodel_memo_free(sw->base.memo);
    par_end(&sw->par);
    sweep_free(sw);
    free(sw);
    return rc;
}

/* The sweep's tile or decode flavour: argv after "sweep". */
static int is_tile(int argc, char **argv)
{
    return argc > 0 && !strcmp(argv[0], "tile");
}

int cmd_sweep_events(int argc, char **argv, uint64_t *events, char *err, size_t errlen)
{
    sweep_t *sw = calloc(1, sizeof *sw);
    if (sw == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sw->tile = is_tile(argc, argv);
    sw->par = (par_t){.rank = 0, .size = 1};
    sw->quiet = 1;
    int status, rc = -1;
    if (sweep_prepare(sw, argc - sw->tile, argv + sw->tile, &status) != 0)
        snprintf(err, errlen, "the sweep's options are bad input (reported above)");
    else {
        if (!sw->tile)
            sw->base.memo = kmodel_memo_create(SWEEP_MEMO_MAX);
        rc = run_all(sw, err, errlen);
    }
    *events = 0;
    for (size_t p = 0; rc == 0 && p < sw->npoints; p++) {
        const point_t *pt = &sw->pts[p];
        if (sw->tile)
            *events += pt->t.ran ? pt->t.g.r.events : 0;
        else
            *events += pt->failed ? 0 : pt->r.events;
    }
    kmodel_memo_free(sw->base.memo);
    sweep_free(sw);
    free(sw);
    return rc;
}

int cmd_sweep_main(int argc, char **argv)
{
    if (is_tile(argc, argv))
        return sweep_main(argc - 1, argv + 1, 1);
    return sweep_main(argc, argv, 0);
}
