/* bwserv.c -- processor-sharing bandwidth server (contract in bwserv.h).
 *
 * The fluid model runs in continuous time; only event times are whole ps.
 * Within a busy period (>= 1 transfer in service) that began at epoch_ps:
 *   t_rel  ps since epoch_ps (double) up to which the state is advanced;
 *   v      virtual time in bytes: each in-service transfer has received v
 *          minus its join-time v; dv/dt = bw / n while n transfers are served;
 *   heap   in-service transfers, min-heap by (tag, order); tag = v at join +
 *          bytes, so a transfer is finished when v reaches its tag.
 * advance() moves the state to sim_now(), retiring every transfer whose exact
 * finish time is <= now, each at its exact time, so the model conserves work:
 * busy time (continuous) * bw = bytes completed. A retired transfer's done
 * callback is scheduled at the current ps, which is ceil(exact finish time)
 * (the wake-up below fires then, and no earlier event can pass the finish),
 * with SIM_PRIO_COMPLETE; it is never called directly, so callbacks may
 * re-enter the server. One wake-up event is kept pending at the ceiling of
 * the next exact finish time and is rearmed (cancel + schedule) whenever the
 * active set changes. v and t_rel restart at 0 in every busy period, which
 * bounds their rounding error. Internal events use SIM_PRIO_COMPLETE. */
#include "sim/bwserv.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct xfer {
    double bytes;
    double tag;              /* virtual finish time, bytes; set at join */
    uint64_t order;          /* join order, breaks tag ties */
    uint64_t join_ev;        /* pending join event while in latency, else 0 */
    struct xfer *prev, *next;  /* latency-phase list links */
    sim_fn_t done;
    void *subject, *object;
} xfer_t;

struct bwserv {
    sim_t *sim;
    char *name;
    double bw;               /* bytes per ps */
    sim_ps_t latency_ps;
    xfer_t **heap;           /* n in service, of cap */
    size_t n, cap;
    xfer_t *waiting;         /* transfers in the latency phase */
    sim_ps_t epoch_ps;
    double t_rel, v;
    uint64_t wake;           /* pending wake-up handle, 0 if none */
    uint64_t joins, completed;
    int active;              /* latency + service */
    double bytes_done;
    double busy_done;        /* ps, closed busy periods (continuous) */
    int fifo;                /* BWSERV_FIFO: whole transfers in join order */
    double fifo_free;        /* FIFO: exact time (ps) the server drains its backlog */
    double fifo_busy;        /* FIFO: service time (ps) of every joined transfer */
};

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (q == NULL)
        abort();
    return q;
}

static int first(const xfer_t *a, const xfer_t *b)
{
    return a->tag != b->tag ? a->tag < b->tag : a->order < b->order;
}

static void heap_push(bwserv_t *s, xfer_t *x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->heap = xrealloc(s->heap, s->cap * sizeof *s->heap);
    }
    size_t i = s->n++;
    for (; i > 0 && first(x, s->heap[(i - 1) / 2]); i = (i - 1) / 2)
        s->heap[i] = s->heap[(i - 1) / 2];
    s->heap[i] = x;
}

static xfer_t *heap_pop(bwserv_t *s)
{
    xfer_t *top = s->heap[0], *last = s->heap[--s->n];
    size_t i = 0, c;
    while ((c = 2 * i + 1) < s->n) {
        if (c + 1 < s->n && first(s->heap[c + 1], s->heap[c]))
            c++;
        if (!first(s->heap[c], last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n > 0)
        s->heap[i] = last;
    return top;
}

/* Exact finish time (ps since epoch) of the first transfer in service. */
static double next_finish(const bwserv_t *s)
{
    double left = s->heap[0]->tag - s->v;
    return s->t_rel + (left > 0 ? left : 0) * (double)s->n / s->bw;
}

static void advance(bwserv_t *s)
{
    sim_ps_t now_ps = sim_now(s->sim);
    double now = (double)(now_ps - s->epoch_ps);
    while (s->n > 0 && next_finish(s) <= now) {
        double t = next_finish(s);
        xfer_t *x = heap_pop(s);
        s->v = x->tag > s->v ? x->tag : s->v;
        s->t_rel = t;
        s->bytes_done += x->bytes;
        s->completed++;
        s->active--;
        if (s->n == 0)
            s->busy_done += t;
        if (x->done != NULL)
            sim_schedule(s->sim, now_ps, SIM_PRIO_COMPLETE, x->done,
                         x->subject, x->object);
        free(x);
    }
    if (s->n > 0) {
        s->v += (now - s->t_rel) * s->bw / (double)s->n;
        s->t_rel = now;
    } else {
        s->epoch_ps = now_ps;  /* idle: the next busy period starts fresh */
        s->t_rel = 0;
        s->v = 0;
    }
}

static void on_wake(sim_t *sim, void *subject, void *object);

/* Keep exactly one wake-up pending, at the next finish, while n > 0. */
static void rearm(bwserv_t *s)
{
    if (s->wake != 0)
        sim_cancel(s->sim, s->wake);
    s->wake = 0;
    if (s->n == 0)
        return;
    sim_ps_t at = s->epoch_ps + (sim_ps_t)ceil(next_finish(s));
    s->wake = sim_schedule(s->sim, at, SIM_PRIO_COMPLETE, on_wake, s, NULL);
}

static void on_wake(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    bwserv_t *s = subject;
    s->wake = 0;  /* executed: must not be cancelled */
    advance(s);
    rearm(s);
}

static void unlink_waiting(bwserv_t *s, xfer_t *x)
{
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        s->waiting = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
}

static void link_waiting(bwserv_t *s, xfer_t *x)
{
    x->prev = NULL;
    x->next = s->waiting;
    if (s->waiting != NULL)
        s->waiting->prev = x;
    s->waiting = x;
}

static void on_fifo_done(sim_t *sim, void *subject, void *object)
{
    bwserv_t *s = subject;
    xfer_t *x = object;
    unlink_waiting(s, x);
    s->bytes_done += x->bytes;
    s->completed++;
    s->active--;
    if (x->done != NULL)
        x->done(sim, x->subject, x->object);
    free(x);
}

/* FIFO: a joining transfer is served at the full rate after every transfer
 * that joined before it; its finish time is known at join. The transfer
 * stays on the waiting list (join_ev = its completion) so destroy frees it. */
static void fifo_join(bwserv_t *s, xfer_t *x)
{
    double now = (double)sim_now(s->sim);
    double start = s->fifo_free > now ? s->fifo_free : now;
    double service = x->bytes / s->bw;
    s->fifo_free = start + service;
    s->fifo_busy += service;
    s->joins++;
    link_waiting(s, x);
    x->join_ev = sim_schedule(s->sim, (sim_ps_t)ceil(s->fifo_free), SIM_PRIO_COMPLETE,
                              on_fifo_done, s, x);
}

static void join(bwserv_t *s, xfer_t *x)
{
    if (s->fifo) {
        fifo_join(s, x);
        return;
    }
    advance(s);
    x->tag = s->v + x->bytes;
    x->order = s->joins++;
    heap_push(s, x);
    rearm(s);
}

static void on_join(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    bwserv_t *s = subject;
    xfer_t *x = object;
    x->join_ev = 0;
    unlink_waiting(s, x);
    join(s, x);
}

bwserv_t *bwserv_create(sim_t *sim, const char *name, double bw_bytes_per_ps,
                        sim_ps_t latency_ps)
{
    assert(sim != NULL && name != NULL);
    assert(bw_bytes_per_ps > 0 && isfinite(bw_bytes_per_ps));
    assert(latency_ps >= 0);
    bwserv_t *s = xrealloc(NULL, sizeof *s);
    *s = (bwserv_t){.sim = sim, .bw = bw_bytes_per_ps, .latency_ps = latency_ps,
                    .epoch_ps = sim_now(sim)};
    size_t len = strlen(name) + 1;
    s->name = memcpy(xrealloc(NULL, len), name, len);
    return s;
}

void bwserv_destroy(bwserv_t *s)
{
    if (s == NULL)
        return;
    if (s->wake != 0)
        sim_cancel(s->sim, s->wake);
    for (size_t i = 0; i < s->n; i++)
        free(s->heap[i]);
    for (xfer_t *x = s->waiting, *next; x != NULL; x = next) {
        next = x->next;
        sim_cancel(s->sim, x->join_ev);
        free(x);
    }
    free(s->heap);
    free(s->name);
    free(s);
}

void bwserv_transfer(bwserv_t *s, double bytes, sim_fn_t done, void *subject,
                     void *object)
{
    assert(bytes > 0 && isfinite(bytes));
    xfer_t *x = xrealloc(NULL, sizeof *x);
    *x = (xfer_t){.bytes = bytes, .done = done, .subject = subject,
                  .object = object};
    s->active++;
    if (s->latency_ps == 0) {
        join(s, x);
        return;
    }
    link_waiting(s, x);
    x->join_ev = sim_schedule(s->sim, sim_now(s->sim) + s->latency_ps,
                              SIM_PRIO_COMPLETE, on_join, s, x);
}

void bwserv_set_mode(bwserv_t *s, bwserv_mode_t mode)
{
    assert(s->active == 0 && s->joins == 0 && "mode is set before the first transfer");
    s->fifo = mode == BWSERV_FIFO;
}

const char *bwserv_name(const bwserv_t *s) { return s->name; }
double bwserv_bytes(const bwserv_t *s) { return s->bytes_done; }
uint64_t bwserv_transfers(const bwserv_t *s) { return s->completed; }
int bwserv_active(const bwserv_t *s) { return s->active; }

/* Closed busy periods plus the open one up to now, rounded to nearest ps.
 * Between events the open period may include < 1 ps past its exact end. */
sim_ps_t bwserv_busy_ps(const bwserv_t *s)
{
    if (s->fifo) {
        double ahead = s->fifo_free - (double)sim_now(s->sim);
        return (sim_ps_t)llround(s->fifo_busy - (ahead > 0 ? ahead : 0));
    }
    double open = s->n > 0 ? (double)(sim_now(s->sim) - s->epoch_ps) : 0;
    return (sim_ps_t)llround(s->busy_done + open);
}
