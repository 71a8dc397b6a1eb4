/* uncert.c -- draws and one-at-a-time swings of the ranged keys (uncert.h). */
#include "models/uncert.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* One ranged key: its schema, its index there, and the description it lives
 * in. */
enum { IN_ARCH, IN_MODEL, IN_LINK };
typedef struct {
    const param_schema_t *schema;
    size_t i;
    int in;       /* IN_ARCH, IN_MODEL or IN_LINK */
    int model;    /* in == IN_MODEL */
    double value, low, high;
    int lead;     /* the first key of its draw group (itself when alone) */
} rkey_t;

static void *desc_of(setup_t *w, int in)
{
    return in == IN_MODEL ? (void *)&w->model : in == IN_LINK ? (void *)&w->link : (void *)&w->arch;
}

/* Lists the ranged keys of s into k (NULL: count only), arch, then model,
 * then link, each in schema order. Returns their number. */
static int collect(const setup_t *s, rkey_t *k)
{
    int n = 0;
    for (int in = IN_ARCH; in <= IN_LINK; in++) {
        if ((in == IN_MODEL && !s->has_model) || (in == IN_LINK && !s->has_link))
            continue;
        const param_schema_t *sc = in == IN_MODEL ? &llm_schema
                                   : in == IN_LINK ? &link_schema : &arch_schema;
        const param_origin_t *o = in == IN_MODEL ? s->model_origin
                                  : in == IN_LINK ? s->link_origin : s->arch_origin;
        const void *src = desc_of((setup_t *)s, in);
        for (size_t i = 0; i < sc->n; i++) {
            if (!o[i].has_range)
                continue;
            if (k != NULL) {
                k[n] = (rkey_t){sc, i, in, in == IN_MODEL, param_get(sc, src, i), o[i].low,
                                o[i].high, n};
                /* one cause, one draw: assumption rows of one description
                 * with the same source (one transfer rule, one curve) */
                for (int j = 0; j < n && param_is_assumption(o[i].source); j++)
                    if (k[j].in == in && k[j].lead == j &&
                        strcmp(o[k[j].i].source, o[i].source) == 0) {
                        k[n].lead = j;
                        break;
                    }
            }
            n++;
        }
    }
    return n;
}

int uncert_ranged_keys(const setup_t *s)
{
    return collect(s, NULL);
}

static void put(setup_t *w, const rkey_t *k, double v)
{
    if (k->schema->defs[k->i].type == PARAM_INT)
        v = floor(v + 0.5);
    param_put(k->schema, desc_of(w, k->in), k->i, v);
}

/* fn on the working setup w; a model with a drawn key is checked first. */
static int eval(const setup_t *w, int model_drawn, uncert_fn_t fn, void *ctx, int n_figs,
                double *figs, char *err, size_t errlen)
{
    if (model_drawn && llm_validate(&w->model, err, errlen) != 0)
        return -1;
    if (fn(w, ctx, figs, err, errlen) != 0)
        return -1;
    for (int f = 0; f < n_figs; f++)
        assert(isfinite(figs[f]));
    return 0;
}

static double swing0(const uncert_swing_t *s)
{
    return fabs(s->fig_high[0] - s->fig_low[0]);
}

/* One evaluation: every key drawn (key < 0: the values in vals[0..nk)) or
 * one key at v, and where its figures go. */
typedef struct {
    int key;
    double v;
    const double *vals;
    double *out;          /* n_figs figures */
    int failed;
    char err[1200];
} job_t;

typedef struct {
    const setup_t *s;
    const rkey_t *k;
    int nk, model_drawn;
    job_t *jobs;
    int n_jobs, n_figs;
    uncert_fn_t fn;
    void *ctx;
    pthread_mutex_t lock;
    int next;             /* the next job to take */
} pool_t;

static void *worker(void *arg)
{
    pool_t *p = arg;
    setup_t *w = malloc(sizeof *w);
    if (w == NULL)
        return arg;   /* out of memory: the other workers take the jobs */
    *w = *p->s;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int j = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (j >= p->n_jobs)
            break;
        job_t *b = &p->jobs[j];
        int model = b->key < 0 ? p->model_drawn : p->k[b->key].model;
        if (b->key < 0)
            for (int i = 0; i < p->nk; i++)
                put(w, &p->k[i], b->vals[i]);
        else
            put(w, &p->k[b->key], b->v);
        b->failed = eval(w, model, p->fn, p->ctx, p->n_figs, b->out, b->err, sizeof b->err) != 0;
        for (int i = 0; i < p->nk; i++)
            if (b->key < 0 || i == b->key)
                put(w, &p->k[i], p->k[i].value);
    }
    free(w);
    return NULL;
}

/* Run every job, on up to UNCERT_MAX_THREADS threads (the online CPUs): the
 * jobs are independent and each writes only its own figures, so the result
 * does not depend on the thread count. */
static int run_jobs(pool_t *pp, int max_threads)
{
    pool_t p = *pp;
    int n = p.n_jobs;
    int nt = max_threads;
    if (nt > n)
        nt = n;
    pthread_t t[UNCERT_MAX_THREADS];
    int started = 0;
    pthread_mutex_init(&p.lock, NULL);
    for (int i = 1; i < nt; i++) {
        if (pthread_create(&t[started], NULL, worker, &p) != 0)
            break;
        started++;
    }
    int oom = worker(&p) != NULL;
    for (int i = 0; i < started; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        oom |= rv != NULL;
    }
    pthread_mutex_destroy(&p.lock);
    return oom && p.next < n ? -1 : 0;
}

int uncert_run(const setup_t *s, int n_figs, const double *central, int samples, uncert_fn_t fn,
               void *ctx, uncert_result_t *r, char *err, size_t errlen)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = cpus < 1 ? 1 : cpus > UNCERT_MAX_THREADS ? UNCERT_MAX_THREADS : (int)cpus;
    return uncert_run_threads(s, n_figs, central, samples, fn, ctx, nt, r, err, errlen);
}

int uncert_run_threads(const setup_t *s, int n_figs, const double *central, int samples,
                       uncert_fn_t fn, void *ctx, int threads, uncert_result_t *r, char *err,
                       size_t errlen)
{
    assert(threads >= 1 && threads <= UNCERT_MAX_THREADS);
    assert(n_figs >= 1 && n_figs <= UNCERT_MAX_FIGS);
    assert(samples >= 0 && samples <= UNCERT_SAMPLES_MAX);
    memset(r, 0, sizeof *r);
    r->n_figs = n_figs;
    for (int f = 0; f < n_figs; f++)
        r->central[f] = r->lo[f] = r->hi[f] = central[f];
    if (samples == 0)
        return 0;
    int nk = collect(s, NULL);
    if (nk == 0) {
        /* every draw is the setup itself: the interval is the central figure */
        r->samples = samples;
        return 0;
    }
    /* jobs: the draws, then each key at its low and its high */
    int n_jobs = samples + 2 * nk;
    rkey_t *k = calloc((size_t)nk, sizeof *k);
    uncert_swing_t *sw = calloc((size_t)nk, sizeof *sw);
    double *figs = calloc((size_t)n_jobs * (size_t)n_figs, sizeof *figs);
    job_t *jobs = calloc((size_t)n_jobs, sizeof *jobs);
    double *vals = calloc((size_t)samples * (size_t)nk, sizeof *vals);
    double *us = calloc((size_t)nk + 1, sizeof *us);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (k == NULL || sw == NULL || figs == NULL || jobs == NULL || vals == NULL || us == NULL ||
        rng == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    collect(s, k);
    int model_drawn = 0;
    for (int j = 0; j < nk; j++)
        model_drawn |= k[j].model;
    gsl_rng_set(rng, UNCERT_SEED);
    for (int d = 0; d < samples; d++) {
        double *v = vals + (size_t)d * (size_t)nk;
        for (int j = 0; j < nk; j++) {
            /* a group's keys take their leader's place in their ranges */
            us[j] = k[j].lead == j ? gsl_rng_uniform(rng) : us[k[j].lead];
            v[j] = k[j].low + us[j] * (k[j].high - k[j].low);
        }
        jobs[d] = (job_t){.key = -1, .vals = v};
    }
    int n_run = samples;
    for (int j = 0; j < nk; j++) {
        const param_def_t *def = &k[j].schema->defs[k[j].i];
        sw[j] = (uncert_swing_t){.key = def->key, .unit = def->unit, .value = k[j].value,
                                 .low = k[j].low, .high = k[j].high};
        for (int end = 0; end < 2; end++) {
            double v = end ? k[j].high : k[j].low;
            if (v == k[j].value)
                continue;   /* the central figure, filled below */
            jobs[n_run++] = (job_t){.key = j, .v = v};
        }
    }
    for (int i = 0; i < n_run; i++)
        jobs[i].out = figs + (size_t)i * (size_t)n_figs;
    pool_t pool = {.s = s, .k = k, .nk = nk, .model_drawn = model_drawn, .jobs = jobs,
                   .n_jobs = n_run, .n_figs = n_figs, .fn = fn, .ctx = ctx};
    if (run_jobs(&pool, threads) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_run; i++) {
        if (!jobs[i].failed)
            continue;
        if (i < samples)
            snprintf(err, errlen, "uncertainty draw %d of %d: %s", i + 1, samples, jobs[i].err);
        else {
            const rkey_t *q = &k[jobs[i].key];
            snprintf(err, errlen, "uncertainty: %s at its %s %.15g: %s",
                     q->schema->defs[q->i].key, jobs[i].v == q->low ? "low" : "high", jobs[i].v,
                     jobs[i].err);
        }
        goto fail;
    }
    int next = samples;
    for (int j = 0; j < nk; j++)
        for (int end = 0; end < 2; end++) {
            double v = end ? k[j].high : k[j].low;
            double *out = end ? sw[j].fig_high : sw[j].fig_low;
            const double *from = v == k[j].value ? central : jobs[next++].out;
            memcpy(out, from, (size_t)n_figs * sizeof *out);
        }
    /* insertion sort: stable, so equal swings keep schema order */
    for (int j = 1; j < nk; j++) {
        uncert_swing_t t = sw[j];
        int i = j;
        for (; i > 0 && swing0(&sw[i - 1]) < swing0(&t); i--)
            sw[i] = sw[i - 1];
        sw[i] = t;
    }
    double *d = calloc((size_t)samples, sizeof *d);
    if (d == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_figs; i++) {
        for (int j = 0; j < samples; j++)
            d[j] = jobs[j].out[i];
        gsl_sort(d, 1, (size_t)samples);
        r->lo[i] = fmin(central[i], gsl_stats_quantile_from_sorted_data(d, 1, (size_t)samples,
                                                                        UNCERT_LO_Q));
        r->hi[i] = fmax(central[i], gsl_stats_quantile_from_sorted_data(d, 1, (size_t)samples,
                                                                        UNCERT_HI_Q));
    }
    free(d);
    r->samples = samples;
    r->swings = sw;
    r->n_swings = nk;
    free(k);
    free(figs);
    free(jobs);
    free(vals);
    free(us);
    gsl_rng_free(rng);
    return 0;
fail:
    free(k);
    free(sw);
    free(figs);
    free(jobs);
    free(vals);
    free(us);
    if (rng != NULL)
        gsl_rng_free(rng);
    memset(r, 0, sizeof *r);
    return -1;
}

void uncert_free(uncert_result_t *r)
{
    free(r->swings);
    r->swings = NULL;
    r->n_swings = 0;
}

void uncert_print_draws(FILE *f, const uncert_result_t *r, const char *lead)
{
    if (r->samples == 0)
        return;
    fprintf(f, "%s%d draws of %d ranged keys, uniform in low..high (one draw per assumption), "
               "seed %lu, %.0fth-%.0fth percentile\n",
            lead, r->samples, r->n_swings, UNCERT_SEED, 100 * UNCERT_LO_Q, 100 * UNCERT_HI_Q);
}

void uncert_print_sensitive(FILE *f, const uncert_result_t *r, const char *prefix, const char *sep,
                            int decimals, const char *unit, const char *fig)
{
    if (r->samples == 0)
        return;
    const uncert_swing_t *w = r->n_swings > 0 ? &r->swings[0] : NULL;
    if (w && w->fig_low[0] != w->fig_high[0])
        fprintf(f, "%smost_sensitive%s%s (%.*f..%.*f %s at %.6g..%.6g %s)\n", prefix, sep, w->key,
                decimals, w->fig_low[0], decimals, w->fig_high[0], unit, w->low, w->high, w->unit);
    else
        fprintf(f, "%smost_sensitive%snone (no ranged key moves %s)\n", prefix, sep, fig);
}
