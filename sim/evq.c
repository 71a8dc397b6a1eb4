/* evq.c -- the event queue: a binary min-heap in a growable array.
 *
 * Invariant: for every index i > 0, !evq_before(&ev[i], &ev[(i - 1) / 2]),
 * i.e. each parent orders before (or equal to) its children, so ev[0] is the
 * first event. evq_before is a total order when seqs are unique (evq.h). */
#include "sim/evq.h"

#include <stdlib.h>

struct evq {
    evq_event_t *ev;  /* heap array, n used of cap */
    size_t n;
    size_t cap;
};

/* Allocation failure is not recoverable in a simulator: abort. */
static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (q == NULL)
        abort();
    return q;
}

int evq_before(const evq_event_t *a, const evq_event_t *b)
{
    if (a->time_ps != b->time_ps)
        return a->time_ps < b->time_ps;
    if (a->prio != b->prio)
        return a->prio < b->prio;
    return a->seq < b->seq;
}

evq_t *evq_create(void)
{
    evq_t *q = xrealloc(NULL, sizeof *q);
    q->n = 0;
    q->cap = 64;
    q->ev = xrealloc(NULL, q->cap * sizeof *q->ev);
    return q;
}

void evq_destroy(evq_t *q)
{
    if (q == NULL)
        return;
    free(q->ev);
    free(q);
}

size_t evq_size(const evq_t *q)
{
    return q->n;
}

void evq_push(evq_t *q, const evq_event_t *ev)
{
    if (q->n == q->cap) {
        q->cap *= 2;
        q->ev = xrealloc(q->ev, q->cap * sizeof *q->ev);
    }
    /* Sift up: move parents down until ev's slot is found. */
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!evq_before(ev, &q->ev[parent]))
            break;
        q->ev[i] = q->ev[parent];
        i = parent;
    }
    q->ev[i] = *ev;
}

int evq_pop(evq_t *q, evq_event_t *out)
{
    if (q->n == 0)
        return 0;
    *out = q->ev[0];
    evq_event_t last = q->ev[--q->n];
    /* Sift down: place the former last element starting from the root. */
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= q->n)
            break;
        if (child + 1 < q->n && evq_before(&q->ev[child + 1], &q->ev[child]))
            child++;
        if (!evq_before(&q->ev[child], &last))
            break;
        q->ev[i] = q->ev[child];
        i = child;
    }
    if (q->n > 0)
        q->ev[i] = last;
    return 1;
}
