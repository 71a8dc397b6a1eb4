/* sim.c -- the discrete-event engine (contract in sim.h).
 *
 * Every event gets the next insertion sequence number (1, 2, ...), which
 * breaks time/prio ties in the queue. The queue (evq) hands out the handles
 * and does the cancellation: a cancelled event stays in the heap, marked,
 * and is discarded when it reaches the top, without moving the clock. */
#include "sim/sim.h"

#include "sim/evq.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

struct sim {
    evq_t *q;
    sim_ps_t now_ps;
    uint64_t next_seq;  /* sequence number of the next scheduled event; starts at 1 */
    uint64_t executed;
    int cur_prio;       /* the event executing now (sim_ran_by_now) */
    uint64_t cur_seq;
};

sim_t *sim_create(void)
{
    sim_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        abort();
    s->q = evq_create();
    s->next_seq = 1;
    return s;
}

void sim_destroy(sim_t *sim)
{
    if (sim == NULL)
        return;
    evq_destroy(sim->q);
    free(sim);
}

sim_ps_t sim_now(const sim_t *sim)
{
    return sim->now_ps;
}

uint64_t sim_schedule(sim_t *sim, sim_ps_t at_ps, int prio, sim_fn_t fn,
                      void *subject, void *object)
{
    assert(at_ps >= sim->now_ps);
    assert(fn != NULL);
    evq_event_t ev = {
        .time_ps = at_ps,
        .prio = prio,
        .seq = sim->next_seq++,
        .fn = (evq_fn_t)fn,  /* cast back in sim_run before the call */
        .subject = subject,
        .object = object,
    };
    return evq_push(sim->q, &ev);
}

uint64_t sim_reserve_seq(sim_t *sim)
{
    return sim->next_seq++;
}

uint64_t sim_schedule_at_seq(sim_t *sim, sim_ps_t at_ps, int prio, uint64_t seq, sim_fn_t fn,
                             void *subject, void *object)
{
    assert(at_ps >= sim->now_ps && fn != NULL && seq < sim->next_seq);
    evq_event_t ev = {.time_ps = at_ps, .prio = prio, .seq = seq, .fn = (evq_fn_t)fn,
                      .subject = subject, .object = object};
    return evq_push(sim->q, &ev);
}

int sim_ran_by_now(const sim_t *sim, int prio, uint64_t seq)
{
    return prio != sim->cur_prio ? prio < sim->cur_prio : seq <= sim->cur_seq;
}

void sim_cancel(sim_t *sim, uint64_t handle)
{
    int was_pending = evq_cancel(sim->q, handle);
    assert(was_pending && "cancel of an executed, cancelled or unknown event");
    (void)was_pending;
}

uint64_t sim_run_bounded(sim_t *sim, sim_ps_t until_ps, uint64_t max_events)
{
    uint64_t before = sim->executed;
    evq_event_t ev;
    int64_t t;
    while (sim->executed - before < max_events && evq_peek_time(sim->q, &t) && t <= until_ps) {
        evq_pop(sim->q, &ev);
        assert(ev.time_ps >= sim->now_ps);
        sim->now_ps = ev.time_ps;
        sim->cur_prio = ev.prio;
        sim->cur_seq = ev.seq;
        sim->executed++;
        ((sim_fn_t)ev.fn)(sim, ev.subject, ev.object);
    }
    return sim->executed - before;
}

uint64_t sim_run_until(sim_t *sim, sim_ps_t until_ps)
{
    return sim_run_bounded(sim, until_ps, UINT64_MAX);
}

uint64_t sim_run(sim_t *sim)
{
    uint64_t before = sim->executed;
    evq_event_t ev;
    while (evq_pop(sim->q, &ev)) {
        assert(ev.time_ps >= sim->now_ps);
        sim->now_ps = ev.time_ps;
        sim->cur_prio = ev.prio;
        sim->cur_seq = ev.seq;
        sim->executed++;
        ((sim_fn_t)ev.fn)(sim, ev.subject, ev.object);
    }
    assert(evq_size(sim->q) == 0);
    return sim->executed - before;
}

void sim_shift(sim_t *sim, sim_ps_t d_ps)
{
    assert(d_ps >= 0);
    sim->now_ps += d_ps;
    evq_shift(sim->q, d_ps);
}

void sim_pending_moments(const sim_t *sim, double *n, double *sum, double *sum_sq)
{
    evq_moments(sim->q, sim->now_ps, n, sum, sum_sq);
}

uint64_t sim_events(const sim_t *sim)
{
    return sim->executed;
}

uint64_t sim_pending(const sim_t *sim)
{
    return evq_size(sim->q);
}

/* Out-of-range inputs (|ps| >= 2^63 or NaN) are programmer errors. */
static sim_ps_t round_ps(double ps)
{
    assert(isfinite(ps) && fabs(ps) < 9.2e18);
    return (sim_ps_t)llround(ps);
}

sim_ps_t sim_ps_from_ns(double ns)
{
    return round_ps(ns * (double)SIM_PS_PER_NS);
}

sim_ps_t sim_ps_from_us(double us)
{
    return round_ps(us * (double)SIM_PS_PER_US);
}

double sim_ps_to_us(sim_ps_t ps)
{
    return (double)ps / (double)SIM_PS_PER_US;
}
