/* uncert.c -- draws and one-at-a-time swings of the ranged keys (uncert.h). */
#include "models/uncert.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* One ranged key: its schema, its index there, and whether it lives in the
 * model (else the arch). */
typedef struct {
    const param_schema_t *schema;
    size_t i;
    int model;
    double value, low, high;
} rkey_t;

/* Lists the ranged keys of s into k (NULL: count only), arch before model,
 * each in schema order. Returns their number. */
static int collect(const setup_t *s, rkey_t *k)
{
    int n = 0;
    for (int m = 0; m <= s->has_model; m++) {
        const param_schema_t *sc = m ? &llm_schema : &arch_schema;
        const param_origin_t *o = m ? s->model_origin : s->arch_origin;
        const void *src = m ? (const void *)&s->model : (const void *)&s->arch;
        for (size_t i = 0; i < sc->n; i++) {
            if (!o[i].has_range)
                continue;
            if (k != NULL)
                k[n] = (rkey_t){sc, i, m, param_get(sc, src, i), o[i].low, o[i].high};
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
    param_put(k->schema, k->model ? (void *)&w->model : (void *)&w->arch, k->i, v);
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

int uncert_run(const setup_t *s, int n_figs, const double *central, int samples, uncert_fn_t fn,
               void *ctx, uncert_result_t *r, char *err, size_t errlen)
{
    assert(n_figs >= 1 && n_figs <= UNCERT_MAX_FIGS);
    assert(samples >= 0 && samples <= UNCERT_SAMPLES_MAX);
    memset(r, 0, sizeof *r);
    r->n_figs = n_figs;
    for (int f = 0; f < n_figs; f++)
        r->central[f] = r->lo[f] = r->hi[f] = central[f];
    if (samples == 0)
        return 0;
    int nk = collect(s, NULL);
    rkey_t *k = calloc((size_t)(nk > 0 ? nk : 1), sizeof *k);
    uncert_swing_t *sw = calloc((size_t)(nk > 0 ? nk : 1), sizeof *sw);
    double *draws = calloc((size_t)samples * (size_t)n_figs, sizeof *draws);
    setup_t *w = malloc(sizeof *w);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (k == NULL || sw == NULL || draws == NULL || w == NULL || rng == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    collect(s, k);
    if (nk == 0) {
        /* every draw is the setup itself: the interval is the central figure */
        r->samples = samples;
        free(k);
        free(sw);
        free(draws);
        free(w);
        gsl_rng_free(rng);
        return 0;
    }
    *w = *s;
    int model_drawn = 0;
    for (int j = 0; j < nk; j++)
        model_drawn |= k[j].model;
    gsl_rng_set(rng, UNCERT_SEED);
    char e[1200];
    double f[UNCERT_MAX_FIGS];
    for (int d = 0; d < samples; d++) {
        for (int j = 0; j < nk; j++)
            put(w, &k[j], k[j].low + gsl_rng_uniform(rng) * (k[j].high - k[j].low));
        if (eval(w, model_drawn, fn, ctx, n_figs, f, e, sizeof e) != 0) {
            snprintf(err, errlen, "uncertainty draw %d of %d: %s", d + 1, samples, e);
            goto fail;
        }
        for (int i = 0; i < n_figs; i++)
            draws[(size_t)i * (size_t)samples + (size_t)d] = f[i];
    }
    for (int j = 0; j < nk; j++)
        put(w, &k[j], k[j].value);
    for (int j = 0; j < nk; j++) {
        const param_def_t *def = &k[j].schema->defs[k[j].i];
        sw[j] = (uncert_swing_t){.key = def->key, .unit = def->unit, .value = k[j].value,
                                 .low = k[j].low, .high = k[j].high};
        for (int end = 0; end < 2; end++) {
            double v = end ? k[j].high : k[j].low;
            double *out = end ? sw[j].fig_high : sw[j].fig_low;
            if (v == k[j].value) {
                memcpy(out, central, (size_t)n_figs * sizeof *out);
                continue;
            }
            put(w, &k[j], v);
            int rc = eval(w, k[j].model, fn, ctx, n_figs, out, e, sizeof e);
            put(w, &k[j], k[j].value);
            if (rc != 0) {
                snprintf(err, errlen, "uncertainty: %s at its %s %.15g: %s", def->key,
                         end ? "high" : "low", v, e);
                goto fail;
            }
        }
    }
    /* insertion sort: stable, so equal swings keep schema order */
    for (int j = 1; j < nk; j++) {
        uncert_swing_t t = sw[j];
        int i = j;
        for (; i > 0 && swing0(&sw[i - 1]) < swing0(&t); i--)
            sw[i] = sw[i - 1];
        sw[i] = t;
    }
    for (int i = 0; i < n_figs; i++) {
        double *d = draws + (size_t)i * (size_t)samples;
        gsl_sort(d, 1, (size_t)samples);
        r->lo[i] = fmin(central[i], gsl_stats_quantile_from_sorted_data(d, 1, (size_t)samples,
                                                                        UNCERT_LO_Q));
        r->hi[i] = fmax(central[i], gsl_stats_quantile_from_sorted_data(d, 1, (size_t)samples,
                                                                        UNCERT_HI_Q));
    }
    r->samples = samples;
    r->swings = sw;
    r->n_swings = nk;
    free(k);
    free(draws);
    free(w);
    gsl_rng_free(rng);
    return 0;
fail:
    free(k);
    free(sw);
    free(draws);
    free(w);
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
