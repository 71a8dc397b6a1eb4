/* uncert_test.c -- the sampler and swings of uncert.h on synthetic figures of
 * a loaded setup whose ranges the test sets, and on a real decode step. */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "models/decode.h"
#include "models/setup.h"
#include "models/uncert.h"
#include "tests/check.h"

/* What the synthetic figures saw: calls, and the extremes of the keys they read. */
typedef struct {
    pthread_mutex_t mu;
    int calls, fail_drawn;
    double fail_clock;
    double clock_min, clock_max, lat_min, lat_max, vocab_min, vocab_max;
    int vocab_fractional;
} seen_t;

/* figs[0] = 3 x sm_clock_mhz + dram_latency_ns / 100 (the clock moves it
 * most), figs[1] = vocab. Fails where the clock is fail_clock (a swing's end)
 * or, with fail_drawn, strictly inside 2000..2418 (every draw). Calls run
 * concurrently: what they saw is kept under z->mu. */
static int synth(const setup_t *s, void *ctx, double *figs, char *err, size_t errlen)
{
    seen_t *z = ctx;
    double clk = s->arch.sm_clock_mhz, lat = s->arch.dram_latency_ns, v = s->model.vocab;
    if ((z->fail_clock > 0 && clk == z->fail_clock) || (z->fail_drawn && clk > 2000 && clk < 2418)) {
        snprintf(err, errlen, "synthetic failure");
        return -1;
    }
    pthread_mutex_lock(&z->mu);
    z->calls++;
    z->clock_min = fmin(z->clock_min, clk);
    z->clock_max = fmax(z->clock_max, clk);
    z->lat_min = fmin(z->lat_min, lat);
    z->lat_max = fmax(z->lat_max, lat);
    z->vocab_min = fmin(z->vocab_min, v);
    z->vocab_max = fmax(z->vocab_max, v);
    z->vocab_fractional |= v != floor(v);
    pthread_mutex_unlock(&z->mu);
    figs[0] = 3 * clk + lat / 100;
    figs[1] = v;
    return 0;
}

static seen_t fresh(void)
{
    return (seen_t){.mu = PTHREAD_MUTEX_INITIALIZER, .clock_min = INFINITY, .clock_max = -INFINITY, .lat_min = INFINITY,
                    .lat_max = -INFINITY, .vocab_min = INFINITY, .vocab_max = -INFINITY};
}

/* gb10 + gpt-oss-20b with every range cleared, then three set by hand: the
 * clock 2000..2418 (the value at the top), DRAM latency 600..1000 around 700,
 * and the model's vocab 200000..201088. */
static int synthetic_setup(setup_t *s)
{
    char err[1200];
    if (setup_load(s, "gb10", "gpt-oss-20b", NULL, 0, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    for (size_t i = 0; i < arch_schema.n; i++)
        s->arch_origin[i].has_range = 0;
    for (size_t i = 0; i < llm_schema.n; i++)
        s->model_origin[i].has_range = 0;
    int c = param_find(&arch_schema, "sm_clock_mhz"), l = param_find(&arch_schema, "dram_latency_ns");
    int v = param_find(&llm_schema, "vocab");
    if (c < 0 || l < 0 || v < 0 || s->arch.sm_clock_mhz != 2418 || s->arch.dram_latency_ns != 700)
        return -1;
    s->arch_origin[c] = (param_origin_t){.has_range = 1, .low = 2000, .high = 2418};
    s->arch_origin[l] = (param_origin_t){.has_range = 1, .low = 600, .high = 1000};
    s->model_origin[v] = (param_origin_t){.has_range = 1, .low = 200000, .high = s->model.vocab};
    return 0;
}

static double central0(const setup_t *s)
{
    return 3 * s->arch.sm_clock_mhz + s->arch.dram_latency_ns / 100;
}

static void test_draws_stay_in_ranges_and_integers_stay_integers(check_t *ck)
{
    setup_t s;
    CHECK(synthetic_setup(&s) == 0, "");
    CHECK(uncert_ranged_keys(&s) == 3, "");
    seen_t z = fresh();
    uncert_result_t r;
    char err[1400];
    double c[2] = {central0(&s), s.model.vocab};
    CHECK(uncert_run(&s, 2, c, 64, synth, &z, &r, err, sizeof err) == 0, "");
    CHECK(z.clock_min >= 2000 && z.clock_max <= 2418 && z.lat_min >= 600 && z.lat_max <= 1000, "");
    CHECK(z.vocab_min >= 200000 && z.vocab_max <= s.model.vocab && !z.vocab_fractional, "");
    /* the draws spread over the range, not one corner */
    CHECK(z.lat_min < 700 && z.lat_max > 900, "");
    /* the caller's setup is untouched */
    CHECK(s.arch.sm_clock_mhz == 2418 && s.arch.dram_latency_ns == 700, "");
    uncert_free(&r);
    setup_free(&s);
}

static void test_fixed_seed_gives_identical_intervals(check_t *ck)
{
    setup_t s;
    CHECK(synthetic_setup(&s) == 0, "");
    double c[2] = {central0(&s), s.model.vocab};
    seen_t z1 = fresh(), z2 = fresh();
    uncert_result_t a, b;
    char err[1400];
    CHECK(uncert_run(&s, 2, c, 32, synth, &z1, &a, err, sizeof err) == 0, "");
    CHECK(uncert_run(&s, 2, c, 32, synth, &z2, &b, err, sizeof err) == 0, "");
    CHECK(memcmp(a.lo, b.lo, sizeof a.lo) == 0 && memcmp(a.hi, b.hi, sizeof a.hi) == 0, "");
    CHECK(a.n_swings == b.n_swings && a.samples == 32, "");
    for (int i = 0; i < a.n_swings; i++)
        CHECK(!strcmp(a.swings[i].key, b.swings[i].key) &&
              a.swings[i].fig_low[0] == b.swings[i].fig_low[0], "");
    uncert_free(&a);
    uncert_free(&b);
    setup_free(&s);
}

static void test_interval_holds_the_central_figure(check_t *ck)
{
    setup_t s;
    CHECK(synthetic_setup(&s) == 0, "");
    double c[2] = {central0(&s), s.model.vocab};
    seen_t z = fresh();
    uncert_result_t r;
    char err[1400];
    CHECK(uncert_run(&s, 2, c, 32, synth, &z, &r, err, sizeof err) == 0, "");
    /* the clock's value is its range's top: every draw is at or below it, so
     * the interval is widened to hold it */
    for (int f = 0; f < 2; f++)
        CHECK(r.lo[f] <= c[f] && c[f] <= r.hi[f] && r.lo[f] < r.hi[f], "");
    CHECK(r.hi[0] == c[0] && r.hi[1] == c[1], "");
    /* 5th..95th percentile of 32 draws: inside the figure's extremes */
    CHECK(r.lo[0] > 3 * 2000 + 6.0 && r.lo[0] < c[0], "");
    uncert_free(&r);
    setup_free(&s);
}

static void test_zero_samples_call_nothing_and_give_no_interval(check_t *ck)
{
    setup_t s;
    CHECK(synthetic_setup(&s) == 0, "");
    double c[2] = {central0(&s), s.model.vocab};
    seen_t z = fresh();
    uncert_result_t r;
    char err[1400];
    CHECK(uncert_run(&s, 2, c, 0, synth, &z, &r, err, sizeof err) == 0, "");
    CHECK(z.calls == 0 && r.samples == 0 && r.n_swings == 0 && r.swings == NULL, "");
    CHECK(r.lo[0] == c[0] && r.hi[0] == c[0], "");
    uncert_free(&r);
    setup_free(&s);
}

static void test_swings_name_the_key_that_moves_the_figure_most(check_t *ck)
{
    setup_t s;
    CHECK(synthetic_setup(&s) == 0, "");
    double c[2] = {central0(&s), s.model.vocab};
    seen_t z = fresh();
    uncert_result_t r;
    char err[1400];
    CHECK(uncert_run(&s, 2, c, 8, synth, &z, &r, err, sizeof err) == 0, "");
    CHECK(r.n_swings == 3, "");
    /* clock: 3 x 418 MHz moves figure 0 by 1254; latency: 4; vocab: 0 */
    CHECK(!strcmp(r.swings[0].key, "sm_clock_mhz") && !strcmp(r.swings[0].unit, "MHz"), "");
    CHECK(!strcmp(r.swings[1].key, "dram_latency_ns") && !strcmp(r.swings[2].key, "vocab"), "");
    CHECK(r.swings[0].fig_low[0] == 3 * 2000 + 7.0 && r.swings[0].fig_high[0] == c[0], "");
    CHECK(r.swings[1].fig_low[0] == 3 * 2418 + 6.0 && r.swings[1].fig_high[0] == 3 * 2418 + 10.0, "");
    CHECK(r.swings[2].fig_low[0] == c[0] && r.swings[2].fig_low[1] == 200000, "");
    CHECK(r.swings[0].low == 2000 && r.swings[0].high == 2418 && r.swings[0].value == 2418, "");
    /* 8 draws + 2 ends of 3 keys, less the 2 ends equal to their values */
    CHECK(z.calls == 8 + 2 * 3 - 2, "");
    uncert_free(&r);
    setup_free(&s);
}

static void test_set_pins_a_key_and_drops_its_range(check_t *ck)
{
    setup_t a, b;
    char err[1200];
    const char *sets[] = {"dram_latency_ns=700"};
    CHECK(setup_load(&a, "gb10", NULL, NULL, 0, err, sizeof err) == 0, "");
    CHECK(setup_load(&b, "gb10", NULL, sets, 1, err, sizeof err) == 0, "");
    CHECK(uncert_ranged_keys(&a) >= 1 && uncert_ranged_keys(&b) == uncert_ranged_keys(&a) - 1, "");
}

static void test_a_failed_evaluation_names_the_draw_or_key(check_t *ck)
{
    setup_t s;
    CHECK(synthetic_setup(&s) == 0, "");
    double c[2] = {central0(&s), s.model.vocab};
    uncert_result_t r;
    char err[1400] = "";
    seen_t z = fresh();
    z.fail_drawn = 1;   /* every draw fails: the first in order is named */
    CHECK(uncert_run(&s, 2, c, 8, synth, &z, &r, err, sizeof err) == -1, "");
    CHECK(strstr(err, "draw 1 of 8") && strstr(err, "synthetic failure") && r.swings == NULL,
          "%s", err);
    z = fresh();
    z.fail_clock = 2000;  /* only the clock's low end */
    CHECK(uncert_run(&s, 2, c, 8, synth, &z, &r, err, sizeof err) == -1, "");
    CHECK(strstr(err, "sm_clock_mhz at its low 2000") != NULL, "");
}

/* Figures of a real decode step: tok_per_s, step_us. */
static int decode_figs(const setup_t *s, void *ctx, double *figs, char *err, size_t errlen)
{
    decode_cfg_t c = *(const decode_cfg_t *)ctx;
    c.arch = &s->arch;
    c.model = &s->model;
    decode_result_t r;
    if (decode_run(&c, &r, err, errlen) != 0)
        return -1;
    figs[0] = r.tok_per_s;
    figs[1] = r.step_us;
    decode_free(&r);
    return 0;
}

static void test_gb10_decode_interval_holds_the_prediction(check_t *ck)
{
    setup_t s;
    char err[1400];
    /* one layer of gpt-oss-20b (a small vocabulary: a short lm_head) under
     * llama.cpp on the shipped GB10 ranges */
    const char *sets[] = {"vocab=4096"};
    CHECK(setup_load_stack(&s, "gb10", "gpt-oss-20b", "llamacpp", 0, sets, 1, err, sizeof err) == 0, "");
    decode_cfg_t c = {.arch = &s.arch, .model = &s.model, .stack = s.stack, .seqs = 1, .q_len = 1,
                      .ctx = 16, .layers = 1, .graphs = -1};
    decode_result_t d;
    CHECK(decode_run(&c, &d, err, sizeof err) == 0, "");
    double cen[2] = {d.tok_per_s, d.step_us};
    decode_free(&d);
    uncert_result_t r;
    CHECK(uncert_run(&s, 2, cen, 4, decode_figs, &c, &r, err, sizeof err) == 0, "");
    /* one thread and eight give the same interval and swings, bit for bit */
    for (int t = 1; t <= 8; t += 7) {
        uncert_result_t q;
        CHECK(uncert_run_threads(&s, 2, cen, 4, decode_figs, &c, t, &q, err, sizeof err) == 0, "");
        CHECK(q.lo[0] == r.lo[0] && q.hi[0] == r.hi[0] && q.lo[1] == r.lo[1] && q.hi[1] == r.hi[1] &&
                  q.n_swings == r.n_swings, "%d threads", t);
        for (int i = 0; i < q.n_swings && i < r.n_swings; i++)
            CHECK(!strcmp(q.swings[i].key, r.swings[i].key) &&
                      q.swings[i].fig_low[0] == r.swings[i].fig_low[0] &&
                      q.swings[i].fig_high[0] == r.swings[i].fig_high[0], "%d threads, swing %d", t, i);
        uncert_free(&q);
    }
    CHECK(r.lo[0] <= cen[0] && cen[0] <= r.hi[0] && r.lo[1] <= cen[1] && cen[1] <= r.hi[1], "");
    CHECK(r.hi[0] > r.lo[0] && r.n_swings == uncert_ranged_keys(&s), "");
    /* the most sensitive key does move tok/s; slower steps give fewer tok/s */
    CHECK(r.swings[0].fig_low[0] != r.swings[0].fig_high[0], "");
    CHECK((r.swings[0].fig_low[0] - r.swings[0].fig_high[0]) *
              (r.swings[0].fig_low[1] - r.swings[0].fig_high[1]) < 0, "");
    uncert_free(&r);
    setup_free(&s);
}

/* Where a key sits in its range, 0..1, in the setup a draw made. */
static double place(const setup_t *s, const char *key)
{
    int i = param_find(&arch_schema, key);
    assert(i >= 0 && s->arch_origin[i].has_range);
    const param_origin_t *o = &s->arch_origin[i];
    return (param_get(&arch_schema, &s->arch, (size_t)i) - o->low) / (o->high - o->low);
}

/* Figures: how far apart two keys of one assumption sit in their ranges (the
 * run-length curve's ends), and two of different ones. */
static int apart(const setup_t *s, void *ctx, double *figs, char *err, size_t errlen)
{
    (void)ctx, (void)err, (void)errlen;
    figs[0] = fabs(place(s, "dram_run_eff_32") - place(s, "dram_run_eff_512"));
    figs[1] = fabs(place(s, "dram_run_eff_32") - place(s, "dram_latency_ns"));
    return 0;
}

/* gb10's dram_run_eff_* rows share one source (one transfer rule from H100's
 * curve): a draw moves them together; keys of other assumptions move apart. */
static void test_keys_of_one_assumption_are_drawn_together(check_t *ck)
{
    setup_t s;
    char err[1200];
    if (!CHECK(setup_load(&s, "gb10", NULL, NULL, 0, err, sizeof err) == 0, "%s", err))
        return;
    double c[2] = {0, 0};
    uncert_result_t r;
    if (CHECK(uncert_run(&s, 2, c, 64, apart, NULL, &r, err, sizeof err) == 0, "%s", err)) {
        CHECK(r.hi[0] < 1e-9, "run-length points %.3g apart in their ranges", r.hi[0]);
        CHECK(r.hi[1] > 0.3, "independent keys only %.3g apart", r.hi[1]);
        uncert_free(&r);
    }
    setup_free(&s);
}

int main(void)
{
    check_t ck = check_begin("uncert_test");
    test_draws_stay_in_ranges_and_integers_stay_integers(&ck);
    test_fixed_seed_gives_identical_intervals(&ck);
    test_interval_holds_the_central_figure(&ck);
    test_zero_samples_call_nothing_and_give_no_interval(&ck);
    test_swings_name_the_key_that_moves_the_figure_most(&ck);
    test_set_pins_a_key_and_drops_its_range(&ck);
    test_a_failed_evaluation_names_the_draw_or_key(&ck);
    test_gb10_decode_interval_holds_the_prediction(&ck);
    test_keys_of_one_assumption_are_drawn_together(&ck);
    return check_end(&ck);
}
