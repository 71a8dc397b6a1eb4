/* route_test.c -- routing statistics and expert histograms (route.h). */
#include "models/route.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

static llm_t moe(int experts, int top_k, int layers)
{
    return (llm_t){.n_layers = layers, .hidden = 2880, .n_heads_q = 64, .n_heads_kv = 8,
                   .head_dim = 64, .n_experts = experts, .top_k = top_k, .expert_inter = 2880,
                   .vocab = 1000, .max_positions = 4096};
}

/* A histogram text of every expert of one layer: share[i] = w(i). */
static char *hist_text(int experts, double (*w)(int))
{
    size_t cap = 128 + (size_t)experts * 32;
    char *t = malloc(cap);
    size_t n = (size_t)snprintf(t, cap, "# source: test\nexpert,share\n");
    for (int i = 0; i < experts; i++)
        n += (size_t)snprintf(t + n, cap - n, "%d,%g\n", i, w(i));
    return t;
}

static double flat(int i)
{
    (void)i;
    return 1;
}

static double four_hot(int i)
{
    return i < 4 ? 1 : 0;
}

/* A flat histogram is the load-balanced router; a concentrated one touches
 * fewer experts, never fewer than top_k */
static void test_histogram_moves_distinct_experts(check_t *ck)
{
    llm_t m = moe(32, 4, 2);
    char err[600];
    char *t = hist_text(32, flat);
    route_hist_t *h = route_parse("flat.csv", t, strlen(t), &m, err, sizeof err);
    free(t);
    if (!CHECK(h != NULL, "%s", err))
        return;
    route_t uni = {0}, meas = {.hist = h};
    for (int64_t M = 1; M <= 256; M *= 4)
        CHECK(fabs(route_experts_active(&meas, &m, M) - route_experts_active(&uni, &m, M)) < 1e-9,
              "M=%lld: flat %g uniform %g", (long long)M, route_experts_active(&meas, &m, M),
              route_experts_active(&uni, &m, M));
    route_free(h);
    t = hist_text(32, four_hot);
    h = route_parse("hot.csv", t, strlen(t), &m, err, sizeof err);
    free(t);
    if (!CHECK(h != NULL, "%s", err))
        return;
    meas.hist = h;
    CHECK(fabs(route_experts_active(&meas, &m, 16) - 4) < 1e-9, "%g",
          route_experts_active(&meas, &m, 16));
    CHECK(route_experts_active(&uni, &m, 16) > 20, "%g", route_experts_active(&uni, &m, 16));
    route_free(h);
}

/* Blocks of bs rows: bs 1 counts every routed row (M top_k), a block is never
 * fewer than a distinct expert, and larger blocks are fewer */
static void test_blocks(check_t *ck)
{
    llm_t m = moe(128, 4, 1);
    route_t uni = {0}, zipf = {.skew = 1.0};
    for (int64_t M = 1; M <= 1024; M *= 4) {
        CHECK(fabs(route_blocks(&uni, &m, M, 1) - 4.0 * (double)M) < 1e-6 * (double)M, "M=%lld %g",
              (long long)M, route_blocks(&uni, &m, M, 1));
        double b8 = route_blocks(&uni, &m, M, 8), b16 = route_blocks(&uni, &m, M, 16);
        double ea = route_experts_active(&uni, &m, M);
        CHECK(b8 >= ea - 1e-9 && b16 <= b8 + 1e-9, "M=%lld: experts %g blocks8 %g blocks16 %g",
              (long long)M, ea, b8, b16);
        CHECK(route_blocks(&zipf, &m, M, 8) >= route_experts_active(&zipf, &m, M) - 1e-9, "");
    }
    /* M = 256 tokens, top-4 of 128: 8 rows per expert on average, so about
     * 40 % of the experts overflow one block of 8 */
    double b = route_blocks(&uni, &m, 256, 8);
    CHECK(b > 150 && b < 200, "%g", b);
}

static void expect_bad(check_t *ck, const char *what, const char *text, const llm_t *m,
                       const char *want)
{
    char err[600] = "";
    route_hist_t *h = route_parse("h.csv", text, strlen(text), m, err, sizeof err);
    CHECK(h == NULL && strstr(err, want) != NULL, "%s: got '%s', want '%s'", what, err, want);
    route_free(h);
}

static void test_bad_files_name_their_line(check_t *ck)
{
    llm_t m = moe(4, 2, 2);
    expect_bad(ck, "no source", "expert,share\n0,1\n1,1\n2,1\n3,1\n", &m, "h.csv:1: no '# source");
    expect_bad(ck, "header", "# source: x\nexpert,weight\n", &m, "h.csv:2: header 'expert,weight'");
    expect_bad(ck, "range", "# source: x\nexpert,share\n0,1\n4,1\n", &m,
               "h.csv:4: expert '4': expected an integer in [0, 3]");
    expect_bad(ck, "negative", "# source: x\nexpert,count\n0,-1\n", &m,
               "h.csv:3: count '-1': expected a finite number >= 0");
    expect_bad(ck, "twice", "# source: x\nexpert,share\n0,1\n0,2\n", &m,
               "h.csv:4: expert 0 given twice (first on line 3)");
    expect_bad(ck, "missing", "# source: x\nexpert,share\n0,1\n1,1\n3,1\n", &m,
               "h.csv:5: no row for expert 2");
    expect_bad(ck, "layer missing", "# source: x\nlayer,expert,share\n0,0,1\n0,1,1\n0,2,1\n0,3,1\n",
               &m, "h.csv:6: no row for expert 0 of layer 1");
    expect_bad(ck, "layer range", "# source: x\nlayer,expert,share\n2,0,1\n", &m,
               "h.csv:3: layer '2': expected an integer in [0, 1]");
    expect_bad(ck, "top_k", "# source: x\nexpert,share\n0,1\n1,0\n2,0\n3,0\n", &m,
               "h.csv:6: 1 experts have a share above 0; each token picks top_k=2");
    expect_bad(ck, "fields", "# source: x\nexpert,share\n0,1,2\n", &m, "h.csv:3: expected 2 fields");
    llm_t dense = m;
    dense.n_experts = dense.top_k = dense.expert_inter = 0;
    expect_bad(ck, "dense", "# source: x\nexpert,share\n0,1\n", &dense, "n_experts=0");
}

/* The embedded preset loads against its model, not against another */
static void test_preset(check_t *ck)
{
    llm_t m = moe(32, 4, 24);
    char err[600];
    route_hist_t *h = route_load("gpt-oss-20b", &m, err, sizeof err);
    if (CHECK(h != NULL, "%s", err)) {
        CHECK(h->layers == 24 && h->experts == 32 && strstr(h->source, "measured") != NULL, "");
        route_t r = {.hist = h}, uni = {0};
        /* measured routing is not load-balanced: fewer experts at 16 tokens */
        CHECK(route_experts_active(&r, &m, 16) < route_experts_active(&uni, &m, 16) - 1, "%g vs %g",
              route_experts_active(&r, &m, 16), route_experts_active(&uni, &m, 16));
        route_free(h);
    }
    llm_t big = moe(128, 4, 36);
    h = route_load("gpt-oss-20b", &big, err, sizeof err);
    CHECK(h == NULL && strstr(err, "no row for expert 32") != NULL, "%s", err);
    route_free(h);
    h = route_load("nope", &m, err, sizeof err);
    CHECK(h == NULL && strstr(err, "unknown histogram 'nope'; valid: gpt-oss-20b") != NULL, "%s", err);
}

int main(void)
{
    check_t ck = check_begin("route_test");
    test_histogram_moves_distinct_experts(&ck);
    test_blocks(&ck);
    test_bad_files_name_their_line(&ck);
    test_preset(&ck);
    return check_end(&ck);
}
