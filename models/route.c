/* route.c -- expert routing statistics and expert histograms. */
#include "models/route.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "models/preset.h"
#include "sim/csvrec.h"

void route_free(route_hist_t *h)
{
    if (h == NULL)
        return;
    free(h->share);
    free(h);
}

/* A whole number in [lo, hi] written as one (no sign, no fraction); 0 or -1. */
static int parse_index(const char *v, long lo, long hi, long *out)
{
    char *end;
    if (v[0] < '0' || v[0] > '9')
        return -1;
    long x = strtol(v, &end, 10);
    if (*end != '\0' || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

route_hist_t *route_parse(const char *path, const char *text, size_t len, const llm_t *m,
                          char *err, size_t errlen)
{
    route_hist_t *h = calloc(1, sizeof *h);
    assert(h != NULL);
    csvrec_list_t l = {0};
    int *row_of = NULL;   /* line of each (layer, expert) row, 0 = none yet */
    char e[600];
#define FAIL(line, ...)                                                                            \
    do {                                                                                           \
        snprintf(e, sizeof e, __VA_ARGS__);                                                        \
        snprintf(err, errlen, "%s:%d: %s", path, (line), e);                                       \
        goto fail;                                                                                 \
    } while (0)
    int E = (int)m->n_experts, L = (int)m->n_layers, K = (int)m->top_k;
    if (E <= 0)
        FAIL(1, "an expert histogram needs a model with routed experts; the model has "
                "n_experts=0 (a dense model)");
    /* the leading comment lines, one of them the source */
    size_t pos = 0;
    int line = 1;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3;
    while (pos < len && text[pos] == '#') {
        size_t n = csvrec_line_len(text, len, pos);
        const char *s = text + pos + 1;
        size_t sn = n - 1;
        while (sn > 0 && (s[sn - 1] == '\n' || s[sn - 1] == '\r'))
            sn--;
        while (sn > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            sn--;
        }
        if (sn > 7 && !strncmp(s, "source:", 7)) {
            s += 7;
            sn -= 7;
            while (sn > 0 && (*s == ' ' || *s == '\t')) {
                s++;
                sn--;
            }
            snprintf(h->source, sizeof h->source, "%.*s", (int)sn, s);
        }
        pos += n;
        line++;
    }
    if (h->source[0] == '\0')
        FAIL(1, "no '# source: ...' line before the header: name where the expert counts were "
                "measured (docs/formats.md#expert-histograms)");
    if (csvrec_parse(path, text, len, pos, line, NULL, &l, err, errlen) != 0)
        goto fail;
    if (l.nrecs == 0)
        FAIL(line, "no header: expected expert,share, expert,count, layer,expert,share or "
                   "layer,expert,count");
    const csvrec_t *hd = &l.recs[0];
    int has_layer = hd->n == 3 && !strcmp(hd->fields[0], "layer");
    size_t c0 = has_layer ? 1 : 0;
    if (hd->n != c0 + 2 || strcmp(hd->fields[c0], "expert") ||
        (strcmp(hd->fields[c0 + 1], "share") && strcmp(hd->fields[c0 + 1], "count")))
        FAIL(hd->line, "header '%s%s%s%s%s': expected expert,share, expert,count, "
                       "layer,expert,share or layer,expert,count", hd->n > 0 ? hd->fields[0] : "",
             hd->n > 1 ? "," : "", hd->n > 1 ? hd->fields[1] : "", hd->n > 2 ? "," : "",
             hd->n > 2 ? hd->fields[2] : "");
    h->layers = has_layer ? L : 1;
    h->experts = E;
    h->share = calloc((size_t)h->layers * (size_t)E, sizeof *h->share);
    row_of = calloc((size_t)h->layers * (size_t)E, sizeof *row_of);
    assert(h->share != NULL && row_of != NULL);
    for (size_t i = 1; i < l.nrecs; i++) {
        const csvrec_t *r = &l.recs[i];
        if (r->n >= 1 && r->fields[0][0] == '#')
            continue;
        if (r->n != hd->n)
            FAIL(r->line, "expected %zu fields (%s), got %zu", hd->n,
                 has_layer ? "layer,expert,value" : "expert,value", r->n);
        long layer = 0, ex;
        if (has_layer && parse_index(r->fields[0], 0, L - 1, &layer) != 0)
            FAIL(r->line, "layer '%s': expected an integer in [0, %d] (the model's n_layers=%d)",
                 r->fields[0], L - 1, L);
        if (parse_index(r->fields[c0], 0, E - 1, &ex) != 0)
            FAIL(r->line, "expert '%s': expected an integer in [0, %d] (the model's n_experts=%d)",
                 r->fields[c0], E - 1, E);
        char *end;
        double v = strtod(r->fields[c0 + 1], &end);
        if (r->fields[c0 + 1][0] == '\0' || *end != '\0' || !isfinite(v) || v < 0)
            FAIL(r->line, "%s '%s': expected a finite number >= 0", hd->fields[c0 + 1],
                 r->fields[c0 + 1]);
        size_t at = (size_t)layer * (size_t)E + (size_t)ex;
        char of[32] = "";
        if (has_layer)
            snprintf(of, sizeof of, " of layer %ld", layer);
        if (row_of[at])
            FAIL(r->line, "expert %ld%s given twice (first on line %d)", ex, of, row_of[at]);
        row_of[at] = r->line;
        h->share[at] = v;
    }
    /* every expert of every layer, and enough of them ever picked */
    int last = l.recs[l.nrecs - 1].line;
    for (int ly = 0; ly < h->layers; ly++) {
        double sum = 0;
        int picked = 0;
        char of[32] = "";
        if (has_layer)
            snprintf(of, sizeof of, " of layer %d", ly);
        for (int x = 0; x < E; x++) {
            size_t at = (size_t)ly * (size_t)E + (size_t)x;
            if (!row_of[at])
                FAIL(last, "no row for expert %d%s: one row per expert of the model "
                           "(n_experts=%d%s)", x, of, E, has_layer ? ", every layer" : "");
            sum += h->share[at];
            picked += h->share[at] > 0;
        }
        if (picked < K)
            FAIL(last, "%d experts%s have a share above 0; each token picks top_k=%d distinct "
                       "experts", picked, of, K);
        for (int x = 0; x < E; x++)
            h->share[(size_t)ly * (size_t)E + (size_t)x] /= sum;
    }
#undef FAIL
    free(row_of);
    csvrec_free(&l);
    return h;
fail:
    free(row_of);
    csvrec_free(&l);
    route_free(h);
    return NULL;
}

static int ends_with_csv(const char *s)
{
    size_t n = strlen(s);
    return n >= 4 && strcmp(s + n - 4, ".csv") == 0;
}

route_hist_t *route_load(const char *name, const llm_t *m, char *err, size_t errlen)
{
    route_hist_t *h;
    if (ends_with_csv(name)) {
        char *buf;
        size_t len;
        if (csvrec_slurp(name, &buf, &len, err, errlen) != 0)
            return NULL;
        h = route_parse(name, buf, len, m, err, errlen);
        free(buf);
    } else {
        const preset_file_t *p = preset_find("experts", name);
        if (p == NULL) {
            char names[512];
            preset_names("experts", names, sizeof names);
            snprintf(err, errlen, "--experts: unknown histogram '%s'; valid: %s, or a file "
                     "FILE.csv (docs/formats.md#expert-histograms)", name, names);
            return NULL;
        }
        h = route_parse(p->path, p->text, p->len, m, err, errlen);
    }
    if (h != NULL)
        snprintf(h->name, sizeof h->name, "%s", name);
    return h;
}

/* p[i], the probability that one token of layer ly picks expert i. */
static void pick_p(const route_t *r, const llm_t *m, int ly, double *p)
{
    int E = (int)m->n_experts;
    double k = m->top_k;
    if (r->hist != NULL) {
        assert(r->hist->experts == E);
        const double *s = r->hist->share + (size_t)(r->hist->layers > 1 ? ly : 0) * (size_t)E;
        for (int i = 0; i < E; i++)
            p[i] = fmin(1.0, k * s[i]);
        return;
    }
    double norm = 0;
    for (int i = 0; i < E; i++)
        norm += pow(i + 1.0, -r->skew);
    for (int i = 0; i < E; i++)
        p[i] = fmin(1.0, k * pow(i + 1.0, -r->skew) / norm);
}

/* Layers whose popularity differs: the histogram's, up to the model's. */
static int distinct_layers(const route_t *r, const llm_t *m)
{
    if (r->hist == NULL || r->hist->layers == 1)
        return 1;
    int L = (int)m->n_layers;
    return L < r->hist->layers ? L : r->hist->layers;
}

double route_experts_active(const route_t *r, const llm_t *m, int64_t tokens)
{
    double e = m->n_experts, k = m->top_k;
    if (e <= 0)
        return 0;
    if (r->hist == NULL && r->skew == 0) /* closed form: E (1 - (1 - k/E)^M) */
        return e * (1.0 - pow(1.0 - k / e, (double)tokens));
    int E = (int)e, L = distinct_layers(r, m);
    double *p = malloc((size_t)E * sizeof *p), sum = 0;
    assert(p != NULL);
    for (int ly = 0; ly < L; ly++) {
        pick_p(r, m, ly, p);
        for (int i = 0; i < E; i++)
            sum += 1.0 - pow(1.0 - p[i], (double)tokens);
    }
    free(p);
    return sum / L;
}

/* E[ceil(n / bs)] for n ~ Binomial(M, p): the pmf in logs over mu +- 12 sd
 * (the rest is below 1e-30 of it). */
static double binom_ceil_mean(int64_t M, double p, int bs)
{
    if (p <= 0 || M <= 0)
        return 0;
    if (p >= 1)
        return ceil((double)M / bs);
    double mu = (double)M * p, sd = sqrt(mu * (1.0 - p));
    int64_t lo = (int64_t)fmax(0.0, floor(mu - 12.0 * sd - 2.0));
    int64_t hi = (int64_t)fmin((double)M, ceil(mu + 12.0 * sd + 2.0));
    /* gsl_sf_lnfact, not lgamma: lgamma writes the global signgam, and this
     * runs on the uncertainty and sweep threads */
    assert(M <= (int64_t)UINT_MAX);
    double lp = log(p), lq = log1p(-p), lgm = gsl_sf_lnfact((unsigned)M), sum = 0;
    for (int64_t n = lo; n <= hi; n++) {
        double lpmf = lgm - gsl_sf_lnfact((unsigned)n) - gsl_sf_lnfact((unsigned)(M - n)) +
                      (double)n * lp + (double)(M - n) * lq;
        sum += exp(lpmf) * (double)((n + bs - 1) / bs);
    }
    return sum;
}

double route_blocks(const route_t *r, const llm_t *m, int64_t tokens, int bs)
{
    assert(bs >= 1);
    int E = (int)m->n_experts, L = distinct_layers(r, m);
    if (E <= 0)
        return 0;
    double *p = malloc((size_t)E * sizeof *p), sum = 0;
    assert(p != NULL);
    for (int ly = 0; ly < L; ly++) {
        pick_p(r, m, ly, p);
        for (int i = 0; i < E; i++)
            sum += binom_ceil_mean(tokens, p[i], bs);
    }
    free(p);
    return sum / L;
}
