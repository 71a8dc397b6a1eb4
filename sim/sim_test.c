/* sim_test.c -- the engine's ordering, determinism, cancellation and clock. */
#include "sim/sim.h"

#include <stdio.h>

#include "tests/check.h"
#include <string.h>


enum { LOG_MAX = 4096, NIDS = 16 };

/* Execution log: which event ran (its id) and at what sim_now(). Events get
 * their id as object = &log->ids[id]. */
typedef struct {
    int n;
    int id[LOG_MAX];
    sim_ps_t at[LOG_MAX];
    int ids[NIDS];        /* ids[i] == i */
    uint64_t rng;         /* LCG state for the random schedule */
    int spawn_left;       /* events the random schedule may still create */
    int clock_backwards;  /* set if an event saw sim_now() decrease */
    uint64_t victim;      /* handle that ev_cancel cancels */
} log_t;

static void log_init(log_t *log)
{
    memset(log, 0, sizeof *log);
    for (int i = 0; i < NIDS; i++)
        log->ids[i] = i;
}

static uint32_t lcg(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 33);
}

static void record(sim_t *sim, log_t *log, int id)
{
    if (log->n > 0 && sim_now(sim) < log->at[log->n - 1])
        log->clock_backwards = 1;
    if (log->n < LOG_MAX) {
        log->id[log->n] = id;
        log->at[log->n] = sim_now(sim);
        log->n++;
    }
}

static void ev_log(sim_t *sim, void *subject, void *object)
{
    record(sim, subject, *(int *)object);
}

static void test_events_run_in_time_then_priority_then_insertion_order(check_t *ck)
{
    log_t log;
    log_init(&log);
    sim_t *sim = sim_create();
    sim_schedule(sim, 300, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[0]);
    sim_schedule(sim, 100, SIM_PRIO_STATS, ev_log, &log, &log.ids[1]);
    sim_schedule(sim, 100, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[2]);
    sim_schedule(sim, 100, SIM_PRIO_COMPLETE, ev_log, &log, &log.ids[3]);
    sim_schedule(sim, 100, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[4]);
    sim_schedule(sim, 0, SIM_PRIO_STATS, ev_log, &log, &log.ids[5]);
    CHECK(sim_pending(sim) == 6, "");
    CHECK(sim_run(sim) == 6, "");
    const int want_id[] = {5, 3, 2, 4, 1, 0};
    const sim_ps_t want_at[] = {0, 100, 100, 100, 100, 300};
    CHECK(log.n == 6, "");
    for (int i = 0; i < 6; i++)
        CHECK(log.id[i] == want_id[i] && log.at[i] == want_at[i], "");
    CHECK(sim_now(sim) == 300 && sim_events(sim) == 6 && sim_pending(sim) == 0, "");
    sim_destroy(sim);
}

static void test_handles_are_nonzero_and_unique(check_t *ck)
{
    log_t log;
    log_init(&log);
    sim_t *sim = sim_create();
    uint64_t h[6];
    h[0] = sim_schedule(sim, 5, 0, ev_log, &log, &log.ids[0]);
    h[1] = sim_schedule(sim, 5, 0, ev_log, &log, &log.ids[0]);
    h[2] = sim_schedule(sim, 1, 0, ev_log, &log, &log.ids[0]);
    CHECK(sim_run(sim) == 3, "");
    /* slots of executed events are reused: their handles are not */
    h[3] = sim_schedule(sim, 9, 0, ev_log, &log, &log.ids[0]);
    h[4] = sim_schedule(sim, 9, 0, ev_log, &log, &log.ids[0]);
    h[5] = sim_schedule(sim, 9, 0, ev_log, &log, &log.ids[0]);
    for (int i = 0; i < 6; i++) {
        CHECK(h[i] != 0, "");
        for (int j = 0; j < i; j++)
            CHECK(h[i] != h[j], "");
    }
    CHECK(sim_run(sim) == 3, "");
    CHECK(sim_events(sim) == 6, "");
    sim_destroy(sim);
}

static void test_run_until_stops_before_later_events(check_t *ck)
{
    log_t log;
    log_init(&log);
    sim_t *sim = sim_create();
    sim_schedule(sim, 10, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[1]);
    sim_schedule(sim, 20, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[2]);
    sim_schedule(sim, 21, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[3]);
    CHECK(sim_run_until(sim, 20) == 2, "");
    CHECK(sim_now(sim) == 20 && sim_pending(sim) == 1, "");
    CHECK(sim_run(sim) == 1 && sim_now(sim) == 21, "");
    CHECK(log.n == 3 && log.id[2] == 3, "");
    sim_destroy(sim);
}

/* ids[1] at t=10 shifts the simulation by 100 ps: the pending events (t=20,
 * t=30 cancelled, t=40) run 100 ps later, in their order. */
static void ev_shift(sim_t *sim, void *subject, void *object)
{
    record(sim, subject, *(int *)object);
    sim_shift(sim, 100);
}

static void test_shift_moves_the_clock_and_pending_events(check_t *ck)
{
    log_t log;
    log_init(&log);
    sim_t *sim = sim_create();
    sim_schedule(sim, 10, SIM_PRIO_DEFAULT, ev_shift, &log, &log.ids[1]);
    sim_schedule(sim, 40, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[4]);
    sim_schedule(sim, 20, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[2]);
    sim_cancel(sim, sim_schedule(sim, 30, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[3]));
    CHECK(sim_run(sim) == 3, "");
    CHECK(log.n == 3 && log.id[1] == 2 && log.id[2] == 4, "");
    CHECK(log.at[0] == 10 && log.at[1] == 120 && log.at[2] == 140, "");
    CHECK(sim_now(sim) == 140 && sim_pending(sim) == 0, "");
    sim_destroy(sim);
}

/* A random schedule: every event logs itself and spawns 1-2 more events
 * (until spawn_left runs out) at random times >= now, a quarter of them at
 * now, with random priorities. */
static void ev_spawn(sim_t *sim, void *subject, void *object)
{
    log_t *log = subject;
    record(sim, log, *(int *)object);
    int kids = 1 + (int)(lcg(&log->rng) % 2);
    for (int k = 0; k < kids && log->spawn_left > 0; k++, log->spawn_left--) {
        sim_ps_t dt = lcg(&log->rng) % 4 == 0 ? 0 : lcg(&log->rng) % 1000;
        int prio = (int)(lcg(&log->rng) % 3) * 40 + 10;
        sim_schedule(sim, sim_now(sim) + dt, prio, ev_spawn, log,
                     &log->ids[lcg(&log->rng) % NIDS]);
    }
}

static void run_random_schedule(log_t *log, uint64_t seed)
{
    log_init(log);
    log->rng = seed;
    log->spawn_left = 3000;
    sim_t *sim = sim_create();
    for (int i = 0; i < 50; i++)
        sim_schedule(sim, lcg(&log->rng) % 500,
                     (int)(lcg(&log->rng) % 3) * 40 + 10, ev_spawn, log,
                     &log->ids[i % NIDS]);
    sim_run(sim);
    sim_destroy(sim);
}

static void test_same_random_schedule_gives_identical_execution_log(check_t *ck)
{
    log_t a, b;
    run_random_schedule(&a, 12345);
    run_random_schedule(&b, 12345);
    CHECK(a.n > 1000, "");
    CHECK(a.n == b.n, "");
    CHECK(memcmp(a.id, b.id, sizeof a.id) == 0, "");
    CHECK(memcmp(a.at, b.at, sizeof a.at) == 0, "");
}

static void test_clock_never_goes_backwards(check_t *ck)
{
    log_t a;
    run_random_schedule(&a, 999);
    CHECK(a.n > 1000, "");
    CHECK(a.clock_backwards == 0, "");
    int monotone = 1;
    for (int i = 1; i < a.n; i++)
        monotone &= a.at[i] >= a.at[i - 1];
    CHECK(monotone, "");
}

static void ev_cancel(sim_t *sim, void *subject, void *object)
{
    log_t *log = subject;
    record(sim, log, *(int *)object);
    sim_cancel(sim, log->victim);
}

static void test_cancelled_events_do_not_run_or_move_the_clock(check_t *ck)
{
    log_t log;
    log_init(&log);
    sim_t *sim = sim_create();
    sim_schedule(sim, 10, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[1]);
    uint64_t h2 = sim_schedule(sim, 20, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[2]);
    sim_schedule(sim, 30, SIM_PRIO_DEFAULT, ev_cancel, &log, &log.ids[3]);
    log.victim = sim_schedule(sim, 40, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[4]);
    uint64_t h5 = sim_schedule(sim, 99, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[5]);
    sim_cancel(sim, h2);
    sim_cancel(sim, h5);
    CHECK(sim_pending(sim) == 3, "");
    CHECK(sim_run(sim) == 2, "");
    CHECK(log.n == 2 && log.id[0] == 1 && log.id[1] == 3, "");
    CHECK(log.at[0] == 10 && log.at[1] == 30, "");
    CHECK(sim_now(sim) == 30, "");  /* the cancelled events at 40 and 99 did not run */
    CHECK(sim_events(sim) == 2 && sim_pending(sim) == 0, "");
    sim_destroy(sim);
}

/* ids[1] at t=10 schedules ids[3] at now with DEFAULT and ids[4] at now with
 * COMPLETE; ids[2] (DEFAULT, t=10) was inserted before the run. */
static void ev_now_spawner(sim_t *sim, void *subject, void *object)
{
    log_t *log = subject;
    record(sim, log, *(int *)object);
    sim_schedule(sim, sim_now(sim), SIM_PRIO_DEFAULT, ev_log, log, &log->ids[3]);
    sim_schedule(sim, sim_now(sim), SIM_PRIO_COMPLETE, ev_log, log, &log->ids[4]);
}

static void test_events_scheduled_now_run_after_earlier_inserted_same_prio(check_t *ck)
{
    log_t log;
    log_init(&log);
    sim_t *sim = sim_create();
    sim_schedule(sim, 10, SIM_PRIO_DEFAULT, ev_now_spawner, &log, &log.ids[1]);
    sim_schedule(sim, 10, SIM_PRIO_DEFAULT, ev_log, &log, &log.ids[2]);
    sim_schedule(sim, 10, SIM_PRIO_STATS, ev_log, &log, &log.ids[5]);
    CHECK(sim_run(sim) == 5, "");
    /* The new COMPLETE event jumps ahead of pending DEFAULT ones at t=10;
     * the new DEFAULT one queues behind the earlier-inserted DEFAULT one. */
    const int want[] = {1, 4, 2, 3, 5};
    CHECK(log.n == 5, "");
    for (int i = 0; i < 5; i++)
        CHECK(log.id[i] == want[i] && log.at[i] == 10, "");
    sim_destroy(sim);
}

static void test_ps_conversions_round_to_nearest(check_t *ck)
{
    CHECK(sim_ps_from_ns(1.25) == 1250, "");
    CHECK(sim_ps_from_ns(0.0625) == 63, "");    /* 62.5 ps exactly: away from 0 */
    CHECK(sim_ps_from_ns(-0.0625) == -63, "");
    CHECK(sim_ps_from_ns(0.06249) == 62, "");
    CHECK(sim_ps_from_ns(0.0004) == 0, "");
    CHECK(sim_ps_from_ns(0.0006) == 1, "");
    CHECK(sim_ps_from_us(1.5) == 1500000, "");
    CHECK(sim_ps_from_us(1.0 / 128) == 7813, "");  /* 7812.5 ps exactly */
    CHECK(sim_ps_from_us(1.0 / (1 << 21)) == 0, "");  /* 0.4768 ps */
    CHECK(sim_ps_from_us(1.0 / (1 << 20)) == 1, "");  /* 0.9537 ps */
    CHECK(sim_ps_from_us(3.6e9) == 3600000000000000LL, "");  /* one hour */
    CHECK(sim_ps_to_us(1500000) == 1.5, "");
    CHECK(sim_ps_to_us(7812500) == 7.8125, "");
    CHECK(sim_ps_to_us(sim_ps_from_us(2.0)) == 2.0, "");
}

int main(void)
{
    check_t ck = check_begin("sim_test");
    test_events_run_in_time_then_priority_then_insertion_order(&ck);
    test_handles_are_nonzero_and_unique(&ck);
    test_run_until_stops_before_later_events(&ck);
    test_shift_moves_the_clock_and_pending_events(&ck);
    test_same_random_schedule_gives_identical_execution_log(&ck);
    test_clock_never_goes_backwards(&ck);
    test_cancelled_events_do_not_run_or_move_the_clock(&ck);
    test_events_scheduled_now_run_after_earlier_inserted_same_prio(&ck);
    test_ps_conversions_round_to_nearest(&ck);
    return check_end(&ck);
}
