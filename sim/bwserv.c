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
 * bounds their rounding error. Internal events use SIM_PRIO_COMPLETE.
 *
 * FIFO: every transfer joins latency_ps after its issue, and issues arrive in
 * time order, so transfers join in issue order and each one's service
 * interval is known when it is issued: start = max(join, the backlog's exact
 * end), end = start + bytes / bw. In-flight transfers wait in a ring in that
 * order, which is also their completion order (ring_seq0 numbers the head).
 * A transfer without a done callback needs no event: it leaves the ring when
 * a later issue or wake-up finds it due, and the statistics count the due
 * ones still in the ring. The sequence numbers of those with a callback wait
 * in cbq, and one wake-up event is kept pending at the first one's ceiling
 * end; it retires every transfer due by then, in ring order, calling their
 * callbacks directly. */
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

typedef struct {
    double bytes;
    double start, end;       /* exact service interval, ps */
    sim_ps_t done_ps;        /* ceil(end): when done runs */
    sim_fn_t done;
    void *subject, *object;
} fxfer_t;

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
    double busy_done;        /* ps, closed busy periods (continuous); FIFO: service
                                time of the completed transfers */
    int fifo;                /* BWSERV_FIFO: whole transfers in join order */
    double fifo_free;        /* FIFO: exact time (ps) the server drains its backlog */
    fxfer_t *ring;           /* FIFO: in-flight transfers, ring_n from ring_head */
    size_t ring_head, ring_n, ring_cap;
    uint64_t ring_seq0;      /* FIFO: sequence number of the ring's head */
    uint64_t *cbq;           /* FIFO: sequence numbers of the transfers with a callback */
    size_t cbq_head, cbq_n, cbq_cap;
    uint64_t fifo_wake;      /* FIFO: pending wake-up handle, 0 if none */
    int fifo_waking;         /* FIFO: inside the wake-up (it rearms itself) */
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

static fxfer_t *ring_at(const bwserv_t *s, size_t i)
{
    return &s->ring[(s->ring_head + i) & (s->ring_cap - 1)];
}

/* Grow a ring of elem-byte entries (n used from head, power-of-two cap). */
static void *ring_grow(void *ring, size_t *head, size_t n, size_t *cap, size_t elem)
{
    size_t c = *cap ? 2 * *cap : 16;
    char *r = xrealloc(NULL, c * elem);
    for (size_t i = 0; i < n; i++)
        memcpy(r + i * elem, (char *)ring + ((*head + i) & (*cap - 1)) * elem, elem);
    free(ring);
    *head = 0;
    *cap = c;
    return r;
}

static void on_fifo_wake(sim_t *sim, void *subject, void *object);

static void fifo_arm(bwserv_t *s)
{
    if (s->fifo_wake == 0 && !s->fifo_waking && s->cbq_n > 0) {
        uint64_t seq = s->cbq[s->cbq_head];
        s->fifo_wake = sim_schedule(s->sim, ring_at(s, (size_t)(seq - s->ring_seq0))->done_ps,
                                    SIM_PRIO_COMPLETE, on_fifo_wake, s, NULL);
    }
}

/* Retire the head: count it as completed. */
static fxfer_t fifo_pop(bwserv_t *s)
{
    fxfer_t x = *ring_at(s, 0);
    s->ring_head = (s->ring_head + 1) & (s->ring_cap - 1);
    s->ring_n--;
    s->ring_seq0++;
    s->bytes_done += x.bytes;
    s->busy_done += x.end - x.start;
    s->completed++;
    s->active--;
    return x;
}

static void on_fifo_wake(sim_t *sim, void *subject, void *object)
{
    (void)object;
    bwserv_t *s = subject;
    sim_ps_t now = sim_now(sim);
    s->fifo_wake = 0;
    s->fifo_waking = 1;
    /* done callbacks may issue transfers (appended, due later than now) */
    while (s->ring_n > 0 && ring_at(s, 0)->done_ps <= now) {
        fxfer_t x = fifo_pop(s);
        if (x.done != NULL) {
            assert(s->cbq_n > 0 && s->cbq[s->cbq_head] == s->ring_seq0 - 1);
            s->cbq_head = (s->cbq_head + 1) & (s->cbq_cap - 1);
            s->cbq_n--;
            x.done(sim, x.subject, x.object);
        }
    }
    s->fifo_waking = 0;
    fifo_arm(s);
}

/* FIFO: the transfer is served at the full rate after every transfer issued
 * before it, from its join time on. */
static sim_ps_t fifo_issue(bwserv_t *s, double bytes, sim_fn_t done, void *subject, void *object)
{
    sim_ps_t now = sim_now(s->sim);
    /* due transfers without a callback leave now; one with a callback waits
     * for its wake-up, and so do the ones behind it */
    while (s->ring_n > 0 && ring_at(s, 0)->done_ps <= now && ring_at(s, 0)->done == NULL)
        fifo_pop(s);
    if (s->ring_n == s->ring_cap)
        s->ring = ring_grow(s->ring, &s->ring_head, s->ring_n, &s->ring_cap, sizeof *s->ring);
    double join = (double)(now + s->latency_ps);
    double start = s->fifo_free > join ? s->fifo_free : join;
    s->fifo_free = start + bytes / s->bw;
    sim_ps_t done_ps = (sim_ps_t)s->fifo_free; /* ceil, for end >= 0 */
    done_ps += (double)done_ps < s->fifo_free;
    *ring_at(s, s->ring_n++) = (fxfer_t){.bytes = bytes, .start = start, .end = s->fifo_free,
                                         .done_ps = done_ps, .done = done,
                                         .subject = subject, .object = object};
    s->joins++;
    if (done != NULL) {
        if (s->cbq_n == s->cbq_cap)
            s->cbq = ring_grow(s->cbq, &s->cbq_head, s->cbq_n, &s->cbq_cap, sizeof *s->cbq);
        s->cbq[(s->cbq_head + s->cbq_n++) & (s->cbq_cap - 1)] = s->ring_seq0 + s->ring_n - 1;
        fifo_arm(s);
    }
    return done_ps;
}

/* FIFO: transfers due by now still in the ring (they count as completed). */
static size_t fifo_due(const bwserv_t *s)
{
    sim_ps_t now = sim_now(s->sim);
    size_t i = 0;
    while (i < s->ring_n && ring_at(s, i)->done_ps <= now)
        i++;
    return i;
}

static void join(bwserv_t *s, xfer_t *x)
{
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
    if (s->fifo_wake != 0)
        sim_cancel(s->sim, s->fifo_wake);
    free(s->ring);
    free(s->cbq);
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

sim_ps_t bwserv_transfer(bwserv_t *s, double bytes, sim_fn_t done, void *subject,
                         void *object)
{
    assert(bytes > 0 && isfinite(bytes));
    if (s->fifo) {
        s->active++;
        return fifo_issue(s, bytes, done, subject, object);
    }
    xfer_t *x = xrealloc(NULL, sizeof *x);
    *x = (xfer_t){.bytes = bytes, .done = done, .subject = subject,
                  .object = object};
    s->active++;
    if (s->latency_ps == 0) {
        join(s, x);
        return -1;
    }
    link_waiting(s, x);
    x->join_ev = sim_schedule(s->sim, sim_now(s->sim) + s->latency_ps,
                              SIM_PRIO_COMPLETE, on_join, s, x);
    return -1;
}

void bwserv_set_mode(bwserv_t *s, bwserv_mode_t mode)
{
    assert(s->active == 0 && s->joins == 0 && "mode is set before the first transfer");
    s->fifo = mode == BWSERV_FIFO;
}

const char *bwserv_name(const bwserv_t *s) { return s->name; }

double bwserv_bytes(const bwserv_t *s)
{
    double bytes = s->bytes_done;
    for (size_t i = 0, n = s->fifo ? fifo_due(s) : 0; i < n; i++)
        bytes += ring_at(s, i)->bytes;
    return bytes;
}

uint64_t bwserv_transfers(const bwserv_t *s)
{
    return s->completed + (s->fifo ? fifo_due(s) : 0);
}

int bwserv_active(const bwserv_t *s)
{
    return s->active - (s->fifo ? (int)fifo_due(s) : 0);
}

/* Closed busy periods plus the open one up to now, rounded to nearest ps.
 * Between events the open period may include < 1 ps past its exact end. */
sim_ps_t bwserv_busy_ps(const bwserv_t *s)
{
    if (s->fifo) {
        /* completed transfers, plus the part of each in-flight one served by now */
        double now = (double)sim_now(s->sim), busy = s->busy_done;
        for (size_t i = 0; i < s->ring_n; i++) {
            const fxfer_t *x = ring_at(s, i);
            busy += now >= x->end ? x->end - x->start : now > x->start ? now - x->start : 0;
        }
        return (sim_ps_t)llround(busy);
    }
    double open = s->n > 0 ? (double)(sim_now(s->sim) - s->epoch_ps) : 0;
    return (sim_ps_t)llround(s->busy_done + open);
}

void bwserv_shift(bwserv_t *s, sim_ps_t d_ps, int64_t k, double bytes, double busy_ps,
                  uint64_t transfers)
{
    assert(d_ps >= 0 && k >= 0 && bytes >= 0 && busy_ps >= 0);
    double d = (double)d_ps;
    s->epoch_ps += d_ps;
    s->fifo_free += d;
    for (size_t i = 0; i < s->ring_n; i++) {
        fxfer_t *x = ring_at(s, i);
        x->start += d;
        x->end += d;
        x->done_ps += d_ps;
    }
    s->bytes_done += (double)k * bytes;
    s->busy_done += (double)k * busy_ps;
    s->completed += (uint64_t)k * transfers;
    s->joins += (uint64_t)k * transfers;
}

double bwserv_backlog_ps(const bwserv_t *s)
{
    double ahead = s->fifo_free - (double)sim_now(s->sim);
    return s->fifo && ahead > 0 ? ahead : 0;
}

void bwserv_moments(const bwserv_t *s, double *n, double *sum, double *sum_sq)
{
    double now = (double)sim_now(s->sim);
    for (size_t i = s->fifo ? fifo_due(s) : 0; i < s->ring_n; i++) {
        double d = ring_at(s, i)->end - now;
        *n += 1;
        *sum += d;
        *sum_sq += d * d;
    }
}
