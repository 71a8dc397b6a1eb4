/* bwserv_test.c -- the processor-sharing bandwidth server against hand-derived
 * completion times, a reference fluid model, and conservation of work. */
#include "sim/bwserv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

/* One transfer: issued at issue_at by ev_issue; ev_done records done_at. */
typedef struct {
    sim_ps_t issue_at;
    double bytes;
    sim_ps_t done_at;  /* -1 until done */
} xf_t;

typedef struct {
    bwserv_t *srv;
    xf_t *xf;
    int ndone;
    int *done_order;  /* indices into xf, in done-callback order */
} ctx_t;

/* Result of a run; stats are read after sim_run. */
typedef struct {
    double bytes;
    sim_ps_t busy_ps, last_done;
    uint64_t transfers;
    int active;
} result_t;

static uint32_t lcg(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 33);
}

static void ev_done(sim_t *sim, void *subject, void *object)
{
    ctx_t *ctx = subject;
    xf_t *x = object;
    x->done_at = sim_now(sim);
    ctx->done_order[ctx->ndone++] = (int)(x - ctx->xf);
}

static void ev_issue(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    ctx_t *ctx = subject;
    xf_t *x = object;
    bwserv_transfer(ctx->srv, x->bytes, ev_done, ctx, x);
}

/* Issues xf[0..n) at their times; done_order (n ints) may be NULL. */
static result_t run(double bw, sim_ps_t lat, xf_t *xf, int n, int *done_order)
{
    sim_t *sim = sim_create();
    int *order = done_order ? done_order : malloc((size_t)n * sizeof *order);
    ctx_t ctx = {bwserv_create(sim, "dram", bw, lat), xf, 0, order};
    for (int i = 0; i < n; i++) {
        xf[i].done_at = -1;
        sim_schedule(sim, xf[i].issue_at, SIM_PRIO_DEFAULT, ev_issue, &ctx, &xf[i]);
    }
    sim_run(sim);
    result_t r = {bwserv_bytes(ctx.srv), bwserv_busy_ps(ctx.srv), -1,
                  bwserv_transfers(ctx.srv), bwserv_active(ctx.srv)};
    for (int i = 0; i < n; i++)
        r.last_done = xf[i].done_at > r.last_done ? xf[i].done_at : r.last_done;
    if (done_order == NULL)
        free(order);
    bwserv_destroy(ctx.srv);
    sim_destroy(sim);
    return r;
}

static void test_single_transfer_completes_at_latency_plus_bytes_over_bw(check_t *ck)
{
    xf_t a[] = {{0, 1001, 0}};   /* 1001 B / 2 B/ps = 500.5 ps -> 501 */
    result_t r = run(2.0, 1000, a, 1, NULL);
    CHECK(a[0].done_at == 1501, "");
    CHECK(r.busy_ps == 501 && r.bytes == 1001 && r.transfers == 1 && r.active == 0, "");
    xf_t b[] = {{70, 1000, 0}};  /* issued at 70: 70 + 1000 + 1000/0.5 */
    run(0.5, 1000, b, 1, NULL);
    CHECK(b[0].done_at == 3070, "");
}

static void test_n_equal_transfers_issued_together_finish_at_latency_plus_n_b_over_bw(check_t *ck)
{
    enum { N = 8 };
    xf_t x[N];
    for (int i = 0; i < N; i++)
        x[i] = (xf_t){0, 4096, 0};
    result_t r = run(3.0, 500, x, N, NULL);
    double exact = 500 + N * 4096 / 3.0;  /* 11422.67 ps */
    for (int i = 0; i < N; i++)
        CHECK(x[i].done_at >= exact && x[i].done_at <= exact + 1, "");
    CHECK(r.transfers == N && r.bytes == N * 4096.0, "");
}

static void test_staggered_arrivals_share_bandwidth_equally(check_t *ck)
{
    /* B = 1000, bw = 1. [0,500): #1 alone gets 500 B. [500,1500): 0.5 B/ps
     * each, #1 finishes its last 500 B at 1500 and #2 has 500 B left, which
     * it gets alone by 2000. */
    xf_t x[] = {{0, 1000, 0}, {500, 1000, 0}};
    run(1.0, 0, x, 2, NULL);
    CHECK(x[0].done_at == 1500 && x[1].done_at == 2000, "");
    /* The same with latency 100 shifts everything by 100. */
    xf_t y[] = {{0, 1000, 0}, {500, 1000, 0}};
    result_t r = run(1.0, 100, y, 2, NULL);
    CHECK(y[0].done_at == 1600 && y[1].done_at == 2100, "");
    CHECK(r.busy_ps == 2000, "");
}

static void test_unequal_sizes_finish_smallest_first(check_t *ck)
{
    /* bw 1: both at 0.5 B/ps until #1's 1000 B are done at 2000 (#2 has
     * 2000 B left), then #2 alone until 4000. */
    xf_t x[] = {{0, 3000, 0}, {0, 1000, 0}};
    result_t r = run(1.0, 0, x, 2, NULL);
    CHECK(x[1].done_at == 2000 && x[0].done_at == 4000, "");
    CHECK(r.busy_ps == 4000 && r.bytes == 4000, "");
}

/* Probe: at its time, records the server's active count and busy time. */
typedef struct {
    bwserv_t *srv;
    int active[4];
    sim_ps_t busy[4];
} probe_t;

static void ev_probe(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    probe_t *p = subject;
    int k = *(int *)object;
    p->active[k] = bwserv_active(p->srv);
    p->busy[k] = bwserv_busy_ps(p->srv);
}

static void test_busy_time_is_union_of_service_phases_not_latency(check_t *ck)
{
    /* bw 1, latency 200. A: 1000 B at 0, served [200,1200]. B: 500 B at 5000
     * joins 5200. C: 300 B at 5100 joins 5300, when B has 400 B left; both
     * get 0.5 B/ps, C finishes at 5900, B's last 100 B at 6000.
     * Busy = [200,1200] + [5200,6000] = 1800 ps. */
    sim_t *sim = sim_create();
    probe_t p = {bwserv_create(sim, "l2", 1.0, 200), {0}, {0}};
    xf_t x[] = {{0, 1000, -1}, {5000, 500, -1}, {5100, 300, -1}};
    int order[3];
    ctx_t ctx = {p.srv, x, 0, order};
    for (int i = 0; i < 3; i++)
        sim_schedule(sim, x[i].issue_at, SIM_PRIO_DEFAULT, ev_issue, &ctx, &x[i]);
    int k[] = {0, 1, 2, 3};
    const sim_ps_t probe_at[] = {100, 700, 3000, 5250};
    for (int i = 0; i < 4; i++)
        sim_schedule(sim, probe_at[i], SIM_PRIO_STATS, ev_probe, &p, &k[i]);
    sim_run(sim);
    CHECK(x[0].done_at == 1200 && x[1].done_at == 6000 && x[2].done_at == 5900, "");
    CHECK(p.active[0] == 1 && p.busy[0] == 0, "");     /* latency only */
    CHECK(p.active[1] == 1 && p.busy[1] == 500, "");
    CHECK(p.active[2] == 0 && p.busy[2] == 1000, "");  /* idle */
    CHECK(p.active[3] == 2 && p.busy[3] == 1050, "");  /* B serving, C in latency */
    CHECK(bwserv_busy_ps(p.srv) == 1800, "");
    CHECK(bwserv_bytes(p.srv) == 1800 && bwserv_transfers(p.srv) == 3, "");
    CHECK(bwserv_active(p.srv) == 0, "");
    CHECK(strcmp(bwserv_name(p.srv), "l2") == 0, "");
    bwserv_destroy(p.srv);
    sim_destroy(sim);
}

static void ev_destroy(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    ctx_t *ctx = subject;
    bwserv_destroy(ctx->srv);
    ctx->srv = NULL;
}

static void test_destroy_mid_flight_cancels_the_servers_pending_events(check_t *ck)
{
    /* bw 1, latency 100: at t=150 #0 (1000 B) is in service and #1 in its
     * latency phase; neither may complete, and the sim must run on safely. */
    sim_t *sim = sim_create();
    xf_t x[] = {{0, 1000, -1}, {60, 10, -1}, {0, 0, -1}};
    int order[3];
    ctx_t ctx = {bwserv_create(sim, "hbm", 1.0, 100), x, 0, order};
    for (int i = 0; i < 2; i++)
        sim_schedule(sim, x[i].issue_at, SIM_PRIO_DEFAULT, ev_issue, &ctx, &x[i]);
    sim_schedule(sim, 150, SIM_PRIO_DEFAULT, ev_destroy, &ctx, NULL);
    sim_schedule(sim, 5000, SIM_PRIO_DEFAULT, ev_done, &ctx, &x[2]);
    sim_run(sim);
    CHECK(x[0].done_at == -1 && x[1].done_at == -1, "");
    /* issue, issue, #0 joins at 100, destroy, the unrelated event at 5000 */
    CHECK(ctx.ndone == 1 && x[2].done_at == 5000 && sim_events(sim) == 5, "");
    sim_destroy(sim);
}

enum { NSTREAM = 10000 };

/* Random sizes in [1, 1e6] B. With back_to_back, issue times never exceed
 * (bytes issued before)/bw, so a work-conserving server never idles after
 * the first join; otherwise gaps are random and the server idles at times. */
static double make_stream(xf_t *x, int n, double bw, int back_to_back, uint64_t seed)
{
    uint64_t rng = seed;
    double cum = 0;
    sim_ps_t t = 0;
    for (int i = 0; i < n; i++) {
        if (back_to_back) {
            sim_ps_t limit = (sim_ps_t)floor(cum / bw);
            t += (sim_ps_t)(lcg(&rng) % (uint64_t)(limit - t + 1));
        } else {
            t += (sim_ps_t)(lcg(&rng) % 600000);
        }
        x[i] = (xf_t){t, 1 + lcg(&rng) % 1000000, -1};
        cum += x[i].bytes;
    }
    return cum;
}

static void test_back_to_back_stream_conserves_work(check_t *ck)
{
    const double bw = 1.7;
    const sim_ps_t lat = 300;
    xf_t *x = malloc(NSTREAM * sizeof *x);
    double total = make_stream(x, NSTREAM, bw, 1, 2024);
    result_t r = run(bw, lat, x, NSTREAM, NULL);
    double ideal = lat + total / bw;
    CHECK(r.last_done >= ideal && r.last_done <= ideal + 1, "");
    CHECK(fabs(r.busy_ps * bw - total) <= 1e-9 * total, "");
    CHECK(r.bytes == total && r.transfers == NSTREAM && r.active == 0, "");
    int early = 0, undone = 0;
    for (int i = 0; i < NSTREAM; i++) {
        undone += x[i].done_at < 0;
        early += x[i].done_at < x[i].issue_at + lat + x[i].bytes / bw;
    }
    CHECK(undone == 0 && early == 0, "");
    free(x);
}

static void test_busy_time_times_bw_equals_bytes_with_idle_gaps(check_t *ck)
{
    const double bw = 0.9;
    xf_t *x = malloc(NSTREAM * sizeof *x);
    double total = make_stream(x, NSTREAM, bw, 0, 77);
    result_t r = run(bw, 1000, x, NSTREAM, NULL);
    CHECK(fabs(r.busy_ps * bw - total) <= 1e-9 * total, "");
    CHECK(r.busy_ps < r.last_done - 1000 - 1, "");  /* it did idle */
    CHECK(r.bytes == total && r.transfers == NSTREAM && r.active == 0, "");
    free(x);
}

static void test_same_stream_twice_gives_identical_completion_log(check_t *ck)
{
    xf_t *a = malloc(NSTREAM * sizeof *a), *b = malloc(NSTREAM * sizeof *b);
    int *oa = malloc(NSTREAM * sizeof *oa), *ob = malloc(NSTREAM * sizeof *ob);
    make_stream(a, NSTREAM, 2.0, 0, 5);
    make_stream(b, NSTREAM, 2.0, 0, 5);
    run(2.0, 250, a, NSTREAM, oa);
    run(2.0, 250, b, NSTREAM, ob);
    CHECK(memcmp(oa, ob, NSTREAM * sizeof *oa) == 0, "");
    int same = 1;
    for (int i = 0; i < NSTREAM; i++)
        same &= a[i].done_at == b[i].done_at;
    CHECK(same, "");
    free(a), free(b), free(oa), free(ob);
}

/* Reference: step the fluid model from event to event with per-transfer
 * remaining bytes (O(n^2)); fin[i] is the exact finish time. */
static void reference(double bw, sim_ps_t lat, const xf_t *x, int n, double *fin)
{
    double *rem = malloc((size_t)n * sizeof *rem), t = 0;
    for (int i = 0; i < n; i++)
        rem[i] = x[i].bytes, fin[i] = -1;
    for (int left = n; left > 0;) {
        int active = 0;
        double next_join = INFINITY, min_rem = INFINITY;
        for (int i = 0; i < n; i++) {
            double join = (double)(x[i].issue_at + lat);
            if (fin[i] >= 0)
                continue;
            if (join <= t)
                active++, min_rem = fmin(min_rem, rem[i]);
            else
                next_join = fmin(next_join, join);
        }
        double t_fin = active ? t + min_rem * active / bw : INFINITY;
        double t_next = fmin(next_join, t_fin);
        for (int i = 0; i < n; i++) {
            if (fin[i] >= 0 || (double)(x[i].issue_at + lat) > t)
                continue;  /* only transfers in service this step */
            rem[i] -= (t_next - t) * bw / active;
            if (rem[i] <= 1e-9 * x[i].bytes)
                fin[i] = t_next, left--;
        }
        t = t_next;
    }
    free(rem);
}

static void test_random_workload_matches_reference_fluid_model(check_t *ck)
{
    enum { N = 400 };
    const double bw = 2.5;
    const sim_ps_t lat = 700;
    xf_t x[N];
    double fin[N];
    uint64_t rng = 31337;
    sim_ps_t t = 0;
    for (int i = 0; i < N; i++) {
        t += lcg(&rng) % 8000;  /* mean service 4000 ps: load ~1 */
        x[i] = (xf_t){t, 1 + lcg(&rng) % 20000, -1};
    }
    run(bw, lat, x, N, NULL);
    reference(bw, lat, x, N, fin);
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += fabs((double)x[i].done_at - ceil(fin[i])) > 1;
    CHECK(bad == 0, "");
}

int main(void)
{
    check_t ck = check_begin("bwserv_test");
    test_single_transfer_completes_at_latency_plus_bytes_over_bw(&ck);
    test_n_equal_transfers_issued_together_finish_at_latency_plus_n_b_over_bw(&ck);
    test_staggered_arrivals_share_bandwidth_equally(&ck);
    test_unequal_sizes_finish_smallest_first(&ck);
    test_busy_time_is_union_of_service_phases_not_latency(&ck);
    test_destroy_mid_flight_cancels_the_servers_pending_events(&ck);
    test_back_to_back_stream_conserves_work(&ck);
    test_busy_time_times_bw_equals_bytes_with_idle_gaps(&ck);
    test_same_stream_twice_gives_identical_completion_log(&ck);
    test_random_workload_matches_reference_fluid_model(&ck);
    return check_end(&ck);
}
