/* route.h -- expert routing statistics of a decode step: how many distinct
 * experts the M tokens of a step touch per layer when each picks top_k of E,
 * and how many blocks an engine that pads each expert's tokens to a block
 * runs.
 *
 * Expert i of a layer has a popularity share s_i (the shares sum to 1): equal
 * (a load-balanced router), Zipf, s_i ~ (i+1)^-skew, or measured (an expert
 * histogram, route_load). One token picks expert i with probability
 * p_i = min(1, top_k s_i), tokens independently, so expert i receives
 * n_i ~ Binomial(M, p_i) rows and
 *     distinct experts   = sum_i 1 - (1 - p_i)^M
 *     blocks of bs rows  = sum_i E[ceil(n_i / bs)]
 * A histogram with a layer column gives each layer its own shares; the step
 * then uses the mean over its layers.
 *
 * Histogram file (docs/formats.md#expert-histograms): lines starting with '#'
 * first, one of them "# source: ..." naming where the counts were measured;
 * then the header expert,share | expert,count | layer,expert,share |
 * layer,expert,count and one row per expert (per layer), every expert of the
 * model present. Presets: models/data/experts/<name>.csv, embedded. */
#ifndef GBSIM_ROUTE_H
#define GBSIM_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "models/llm.h"

typedef struct {
    char name[256];           /* preset name or file, for reports */
    char source[512];         /* the file's "# source:" text */
    int layers;               /* 1: one histogram for every layer; else the model's layers */
    int experts;
    double *share;            /* layers x experts, each layer's summing to 1 */
} route_hist_t;

/* How a step routes: a measured histogram when hist is set, else Zipf with
 * exponent skew (0 = uniform). */
typedef struct {
    double skew;
    const route_hist_t *hist;
} route_t;

/* Load the embedded preset `name`, or the file when name ends in .csv,
 * checked against model m (its n_experts, n_layers and top_k). Returns a heap
 * histogram (route_free), or NULL with err: "FILE:LINE: ..." for a malformed
 * file, the valid names for an unknown preset. */
route_hist_t *route_load(const char *name, const llm_t *m, char *err, size_t errlen);
route_hist_t *route_parse(const char *path, const char *text, size_t len, const llm_t *m,
                          char *err, size_t errlen);
void route_free(route_hist_t *h);

/* Expected distinct experts per layer for `tokens` token rows, the mean over
 * m's first n_layers layers. */
double route_experts_active(const route_t *r, const llm_t *m, int64_t tokens);

/* Expected blocks per layer when each expert's rows are padded to whole
 * blocks of bs rows (the mean over m's layers): sum_i E[ceil(n_i / bs)]. */
double route_blocks(const route_t *r, const llm_t *m, int64_t tokens, int bs);

#endif
