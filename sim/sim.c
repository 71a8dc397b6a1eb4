/* sim.c -- the discrete-event engine (contract in sim.h).
 *
 * Handles are the events' insertion sequence numbers (1, 2, ...), which also
 * break time/prio ties in the queue. Cancellation is lazy: the set `pend`
 * holds the handles of events that are scheduled and neither executed nor
 * cancelled; sim_cancel removes a handle from it, and sim_run discards popped
 * events whose handle is no longer in it. Discarded events do not move the
 * clock. The set is open addressing with linear probing (0 = empty slot),
 * load factor <= 1/2, and backward-shift deletion (no tombstones). */
#include "sim/sim.h"

#include "sim/evq.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

struct sim {
    evq_t *q;
    sim_ps_t now_ps;
    uint64_t next_seq;  /* handle of the next scheduled event; starts at 1 */
    uint64_t executed;
    uint64_t *pend;     /* pending-handle set, pend_cap slots (power of two) */
    size_t pend_cap;
    size_t pend_n;
};

#define NOT_FOUND ((size_t)-1)

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL)
        abort();
    return p;
}

static size_t home_slot(const sim_t *s, uint64_t h)
{
    h *= 0x9E3779B97F4A7C15ull;  /* Fibonacci hashing: spread sequential keys */
    return (size_t)(h >> 32 ^ h) & (s->pend_cap - 1);
}

static size_t find(const sim_t *s, uint64_t h)
{
    for (size_t i = home_slot(s, h);; i = (i + 1) & (s->pend_cap - 1)) {
        if (s->pend[i] == h)
            return i;
        if (s->pend[i] == 0)
            return NOT_FOUND;
    }
}

static void insert(sim_t *s, uint64_t h);

static void grow(sim_t *s)
{
    uint64_t *old = s->pend;
    size_t old_cap = s->pend_cap;
    s->pend_cap *= 2;
    s->pend = xcalloc(s->pend_cap, sizeof *s->pend);
    s->pend_n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] != 0)
            insert(s, old[i]);
    free(old);
}

static void insert(sim_t *s, uint64_t h)
{
    if (2 * (s->pend_n + 1) > s->pend_cap)
        grow(s);
    size_t i = home_slot(s, h);
    while (s->pend[i] != 0)
        i = (i + 1) & (s->pend_cap - 1);
    s->pend[i] = h;
    s->pend_n++;
}

/* Empty slot i, then shift later entries of the probe run back into the hole
 * unless their home slot lies cyclically in (hole, j]. */
static void remove_at(sim_t *s, size_t i)
{
    size_t mask = s->pend_cap - 1;
    for (size_t j = (i + 1) & mask; s->pend[j] != 0; j = (j + 1) & mask) {
        size_t k = home_slot(s, s->pend[j]);
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            s->pend[i] = s->pend[j];
            i = j;
        }
    }
    s->pend[i] = 0;
    s->pend_n--;
}

sim_t *sim_create(void)
{
    sim_t *s = xcalloc(1, sizeof *s);
    s->q = evq_create();
    s->next_seq = 1;
    s->pend_cap = 64;
    s->pend = xcalloc(s->pend_cap, sizeof *s->pend);
    return s;
}

void sim_destroy(sim_t *sim)
{
    if (sim == NULL)
        return;
    evq_destroy(sim->q);
    free(sim->pend);
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
    insert(sim, ev.seq);
    evq_push(sim->q, &ev);
    return ev.seq;
}

void sim_cancel(sim_t *sim, uint64_t handle)
{
    size_t i = find(sim, handle);
    assert(i != NOT_FOUND && "cancel of an executed, cancelled or unknown event");
    if (i != NOT_FOUND)
        remove_at(sim, i);
}

uint64_t sim_run(sim_t *sim)
{
    uint64_t before = sim->executed;
    evq_event_t ev;
    while (evq_pop(sim->q, &ev)) {
        assert(ev.time_ps >= sim->now_ps);
        size_t i = find(sim, ev.seq);
        if (i == NOT_FOUND)
            continue;  /* cancelled */
        remove_at(sim, i);
        sim->now_ps = ev.time_ps;
        sim->executed++;
        ((sim_fn_t)ev.fn)(sim, ev.subject, ev.object);
    }
    assert(sim->pend_n == 0);
    return sim->executed - before;
}

uint64_t sim_events(const sim_t *sim)
{
    return sim->executed;
}

uint64_t sim_pending(const sim_t *sim)
{
    return sim->pend_n;
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
