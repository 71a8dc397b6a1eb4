/* unit_test.c -- the FIFO execution unit: start = max(now, free_at). */
#include "sim/unit.h"

#include <stdio.h>
#include <string.h>

#include "tests/check.h"

enum { MAXREQ = 16 };

/* A request: submitted by ev_submit at its time, recorded by ev_done. */
typedef struct {
    sim_ps_t submit_at, service_ps;
    sim_ps_t returned_end;  /* unit_submit's return value */
    sim_ps_t done_at;       /* sim_now() in the done callback; -1 before */
    int done_rank;          /* order in which done callbacks ran */
} req_t;

typedef struct {
    unit_t *unit;
    int ndone;
} ctx_t;

static void ev_done(sim_t *sim, void *subject, void *object)
{
    ctx_t *ctx = subject;
    req_t *r = object;
    r->done_at = sim_now(sim);
    r->done_rank = ctx->ndone++;
}

static void ev_submit(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    ctx_t *ctx = subject;
    req_t *r = object;
    r->returned_end = unit_submit(ctx->unit, r->service_ps, ev_done, ctx, r);
}

/* Submits reqs[i] at reqs[i].submit_at (in array order for equal times). */
static void run(sim_t *sim, ctx_t *ctx, req_t *reqs, int n)
{
    for (int i = 0; i < n; i++) {
        reqs[i].done_at = -1;
        sim_schedule(sim, reqs[i].submit_at, SIM_PRIO_DEFAULT, ev_submit, ctx,
                     &reqs[i]);
    }
    sim_run(sim);
}

static void test_request_starts_at_max_of_now_and_free_at(check_t *ck)
{
    sim_t *sim = sim_create();
    ctx_t ctx = {unit_create(sim, "tensor"), 0};
    /* submit, service -> start, end (hand-derived):
     *   0, 100 -> 0, 100      (idle unit: starts now)
     *  50,  30 -> 100, 130    (queued behind the first)
     *  60,   0 -> 130, 130    (zero service still waits its turn)
     * 500,  20 -> 500, 520    (unit idle since 130: starts now) */
    req_t r[] = {{0, 100, 0, 0, 0}, {50, 30, 0, 0, 0}, {60, 0, 0, 0, 0},
                 {500, 20, 0, 0, 0}};
    const sim_ps_t want_end[] = {100, 130, 130, 520};
    run(sim, &ctx, r, 4);
    for (int i = 0; i < 4; i++) {
        CHECK(r[i].returned_end == want_end[i], "");
        CHECK(r[i].done_at == want_end[i], "");
    }
    CHECK(unit_busy_ps(ctx.unit) == 150, "");
    CHECK(unit_free_at(ctx.unit) == 520, "");
    CHECK(unit_requests(ctx.unit) == 4, "");
    unit_destroy(ctx.unit);
    sim_destroy(sim);
}

static void test_requests_complete_in_submission_order(check_t *ck)
{
    sim_t *sim = sim_create();
    ctx_t ctx = {unit_create(sim, "issue"), 0};
    /* All submitted at t=7; the zero-service ones complete at the same ps as
     * their predecessor but still after it. */
    req_t r[] = {{7, 10, 0, 0, 0}, {7, 0, 0, 0, 0}, {7, 5, 0, 0, 0},
                 {7, 0, 0, 0, 0}, {7, 1, 0, 0, 0}};
    const sim_ps_t want_end[] = {17, 17, 22, 22, 23};
    run(sim, &ctx, r, 5);
    for (int i = 0; i < 5; i++) {
        CHECK(r[i].done_at == want_end[i], "");
        CHECK(r[i].done_rank == i, "");
    }
    CHECK(unit_busy_ps(ctx.unit) == 16, "");
    unit_destroy(ctx.unit);
    sim_destroy(sim);
}

static void test_busy_time_is_sum_of_service_times(check_t *ck)
{
    sim_t *sim = sim_create();
    ctx_t ctx = {unit_create(sim, "copy"), 0};
    req_t r[MAXREQ];
    sim_ps_t sum = 0, end = 0;
    for (int i = 0; i < MAXREQ; i++) {
        /* Gaps every 4th request leave the unit idle; busy ignores idle. */
        r[i] = (req_t){.submit_at = (i / 4) * 10000, .service_ps = 100 + 37 * i};
        sum += r[i].service_ps;
    }
    run(sim, &ctx, r, MAXREQ);
    for (int i = 0; i < MAXREQ; i++) {
        sim_ps_t start = r[i].submit_at > end ? r[i].submit_at : end;
        end = start + r[i].service_ps;
        CHECK(r[i].done_at == end, "");
    }
    CHECK(unit_busy_ps(ctx.unit) == sum, "");
    CHECK(unit_free_at(ctx.unit) == end, "");
    CHECK(unit_requests(ctx.unit) == MAXREQ, "");
    unit_destroy(ctx.unit);
    sim_destroy(sim);
}

static void test_null_done_is_allowed_and_schedules_nothing(check_t *ck)
{
    sim_t *sim = sim_create();
    char name[] = "x";
    unit_t *u = unit_create(sim, name);
    name[0] = 'y';  /* the unit keeps its own copy */
    CHECK(strcmp(unit_name(u), "x") == 0, "");
    CHECK(unit_submit(u, 40, NULL, NULL, NULL) == 40, "");
    CHECK(unit_submit(u, 2, NULL, NULL, NULL) == 42, "");
    CHECK(sim_pending(sim) == 0, "");
    CHECK(unit_busy_ps(u) == 42 && unit_requests(u) == 2, "");
    unit_destroy(u);
    sim_destroy(sim);
}

int main(void)
{
    check_t ck = check_begin("unit_test");
    test_request_starts_at_max_of_now_and_free_at(&ck);
    test_requests_complete_in_submission_order(&ck);
    test_busy_time_is_sum_of_service_times(&ck);
    test_null_done_is_allowed_and_schedules_nothing(&ck);
    return check_end(&ck);
}
