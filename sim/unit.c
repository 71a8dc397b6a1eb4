/* unit.c -- FIFO execution unit (contract in unit.h).
 *
 * Invariant: free_at is the completion time of the last submitted request
 * (0 before any), so a new request starts at max(now, free_at) and requests
 * complete in submission order. Done callbacks are scheduled at submit time
 * at their completion time with SIM_PRIO_COMPLETE; same-time completions of
 * one unit therefore run in submission order (insertion sequence). */
#include "sim/unit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct unit {
    sim_t *sim;
    char *name;
    sim_ps_t free_at;   /* ps; completion time of the last request */
    sim_ps_t busy_ps;   /* sum of service times submitted */
    uint64_t requests;  /* requests submitted */
};

static void *xmalloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL)
        abort();
    return p;
}

unit_t *unit_create(sim_t *sim, const char *name)
{
    assert(sim != NULL && name != NULL);
    unit_t *u = xmalloc(sizeof *u);
    size_t len = strlen(name) + 1;
    u->sim = sim;
    u->name = memcpy(xmalloc(len), name, len);
    u->free_at = 0;
    u->busy_ps = 0;
    u->requests = 0;
    return u;
}

void unit_destroy(unit_t *u)
{
    if (u == NULL)
        return;
    free(u->name);
    free(u);
}

const char *unit_name(const unit_t *u)
{
    return u->name;
}

sim_ps_t unit_submit(unit_t *u, sim_ps_t service_ps, sim_fn_t done,
                     void *subject, void *object)
{
    assert(service_ps >= 0);
    sim_ps_t now = sim_now(u->sim);
    sim_ps_t start = u->free_at > now ? u->free_at : now;
    sim_ps_t end = start + service_ps;
    u->free_at = end;
    u->busy_ps += service_ps;
    u->requests++;
    if (done != NULL)
        sim_schedule(u->sim, end, SIM_PRIO_COMPLETE, done, subject, object);
    return end;
}

sim_ps_t unit_busy_ps(const unit_t *u)
{
    return u->busy_ps;
}

sim_ps_t unit_free_at(const unit_t *u)
{
    return u->free_at;
}

uint64_t unit_requests(const unit_t *u)
{
    return u->requests;
}

void unit_shift(unit_t *u, sim_ps_t d_ps, int64_t k, sim_ps_t busy_ps, uint64_t requests)
{
    assert(d_ps >= 0 && k >= 0 && busy_ps >= 0);
    u->free_at += d_ps;
    u->busy_ps += k * busy_ps;
    u->requests += (uint64_t)k * requests;
}
