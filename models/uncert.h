/* uncert.h -- intervals from the ranged keys of a setup.
 *
 * An arch, model or link key loaded with a range (param.h: the low,high columns) is
 * an uncertain input; a key set with --set is not. uncert_run evaluates the
 * caller's headline figures (fn, up to UNCERT_MAX_FIGS of them) on
 *   - `samples` draws: every ranged key drawn independently and uniformly from
 *     [low, high] (GSL mt19937 seeded with UNCERT_SEED; integer keys rounded;
 *     keys in schema order, arch, model, link, one draw each per sample). A
 *     range states only the plausible values, not which of them is likelier,
 *     so no value inside it is favoured. The interval of each figure is the
 *     UNCERT_LO_Q..UNCERT_HI_Q quantile of the draws (gsl_stats), widened to
 *     hold the central figure where the draws all fall to one side of it;
 *   - per ranged key, the key at its low and at its high with every other key
 *     at its value (the one-at-a-time swing). The swings come sorted by how far
 *     they move figure 0, largest first, so swings[0] names the key that moves
 *     the answer most.
 * Cost: samples + 2 x (ranged keys) calls of fn (an end of a range equal to
 * the value reuses the central figure), spread over up to UNCERT_MAX_THREADS
 * threads (the online CPUs). samples == 0 calls fn never and gives no interval
 * and no swings. The same setup and samples give the same result, whatever the
 * thread count. */
#ifndef GBSIM_UNCERT_H
#define GBSIM_UNCERT_H

#include <stddef.h>
#include <stdio.h>

#include "models/setup.h"

enum { UNCERT_MAX_FIGS = 4, UNCERT_SAMPLES_DEFAULT = 32, UNCERT_SAMPLES_MAX = 10000,
       UNCERT_MAX_THREADS = 16 /* evaluations run on up to this many threads */ };
#define UNCERT_SEED 1UL
#define UNCERT_LO_Q 0.05
#define UNCERT_HI_Q 0.95

/* The headline figures of s into figs[0..n_figs-1]. Returns 0, or -1 with a
 * message in err. fn must read s and ctx only and be thread-safe: calls run concurrently
 * (s->stack and ctx are shared with the caller's). */
typedef int (*uncert_fn_t)(const setup_t *s, void *ctx, double *figs, char *err, size_t errlen);

typedef struct {
    const char *key;                    /* the schema's key (static storage) */
    const char *unit;
    double value, low, high;            /* the key's value and range */
    double fig_low[UNCERT_MAX_FIGS];    /* the figures with the key at low */
    double fig_high[UNCERT_MAX_FIGS];   /* ... and at high */
} uncert_swing_t;

typedef struct {
    int n_figs;
    int samples;                        /* draws made (0: none, no interval) */
    double central[UNCERT_MAX_FIGS];    /* the figures of the setup as loaded */
    double lo[UNCERT_MAX_FIGS], hi[UNCERT_MAX_FIGS];   /* the interval of each figure */
    uncert_swing_t *swings;             /* n_swings, largest |fig_high[0] - fig_low[0]| first */
    int n_swings;                       /* the ranged keys */
} uncert_result_t;

/* The number of ranged keys of s. */
int uncert_ranged_keys(const setup_t *s);

/* Evaluate fn on s's samples and swings (above). central holds fn's figures
 * for s itself, which the caller has. Returns 0 with *r filled (uncert_free),
 * or -1 with err naming the draw or the key and end whose evaluation failed;
 * nothing is left to free on failure. */
int uncert_run(const setup_t *s, int n_figs, const double *central, int samples, uncert_fn_t fn,
               void *ctx, uncert_result_t *r, char *err, size_t errlen);

/* uncert_run on exactly `threads` threads (1..UNCERT_MAX_THREADS); uncert_run
 * takes the online CPUs. The result does not depend on the count. */
int uncert_run_threads(const setup_t *s, int n_figs, const double *central, int samples,
                       uncert_fn_t fn, void *ctx, int threads, uncert_result_t *r, char *err,
                       size_t errlen);

void uncert_free(uncert_result_t *r);

/* The report lines every command prints for r (nothing when r->samples is 0):
 * uncert_print_draws: lead, then "<N> draws of <K> ranged keys, uniform in
 * low..high, seed <S>, <lo>th-<hi>th percentile";
 * uncert_print_sensitive: prefix "most_sensitive" sep, then the key moving
 * figure 0 most, "<key> (<fig at low>..<fig at high> <unit> at <low>..<high>
 * <key's unit>)" with `decimals` decimals, or "none (no ranged key moves
 * <fig>)". */
void uncert_print_draws(FILE *f, const uncert_result_t *r, const char *lead);
void uncert_print_sensitive(FILE *f, const uncert_result_t *r, const char *prefix, const char *sep,
                            int decimals, const char *unit, const char *fig);

#endif
