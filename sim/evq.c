/* evq.c -- the event queue: a binary min-heap of keys over a slab of payloads.
 *
 * Invariant: for every index i > 0, heap[(i - 1) / 2] orders before (or
 * equal to) heap[i], so heap[0] is the first entry. An entry's key packs
 * prio (high 8 bits) above seq (low 56 bits), so comparing (time_ps, key)
 * compares (time_ps, prio, seq). Every heap entry owns one slab slot until it
 * is popped; a cancelled entry's slot has live = 0 and is discarded when its
 * entry reaches the top. A slot's generation grows each time it is freed, so
 * a handle (generation << 32 | slot) is valid only while its event is in the
 * heap. Free slots form a list through next. */
#include "sim/evq.h"

#include <assert.h>
#include <stdlib.h>

typedef struct {
    int64_t time_ps;
    uint64_t key;           /* prio << 56 | seq */
    uint32_t slot;
} hent_t;

typedef struct {
    evq_fn_t fn;
    void *subject, *object;
    uint32_t gen;           /* >= 1 */
    uint32_t next;          /* free list link while free */
    int live;               /* 1: pending; 0: cancelled or free */
} slot_t;

#define NO_SLOT UINT32_MAX

struct evq {
    hent_t *heap;           /* n used of cap */
    size_t n, cap;
    slot_t *slots;          /* nslots used of slots_cap */
    uint32_t nslots, slots_cap;
    uint32_t free_head;
    size_t live;            /* pending events */
};

/* Allocation failure is not recoverable in a simulator: abort. */
static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (q == NULL)
        abort();
    return q;
}

static int hent_before(const hent_t *a, const hent_t *b)
{
    return a->time_ps != b->time_ps ? a->time_ps < b->time_ps : a->key < b->key;
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
    *q = (evq_t){.cap = 64, .slots_cap = 64, .free_head = NO_SLOT};
    q->heap = xrealloc(NULL, q->cap * sizeof *q->heap);
    q->slots = xrealloc(NULL, q->slots_cap * sizeof *q->slots);
    return q;
}

void evq_destroy(evq_t *q)
{
    if (q == NULL)
        return;
    free(q->heap);
    free(q->slots);
    free(q);
}

size_t evq_size(const evq_t *q)
{
    return q->live;
}

static uint32_t slot_alloc(evq_t *q)
{
    uint32_t s = q->free_head;
    if (s != NO_SLOT) {
        q->free_head = q->slots[s].next;
        return s;
    }
    if (q->nslots == q->slots_cap) {
        assert(q->slots_cap < NO_SLOT / 2);
        q->slots_cap *= 2;
        q->slots = xrealloc(q->slots, (size_t)q->slots_cap * sizeof *q->slots);
    }
    s = q->nslots++;
    q->slots[s].gen = 1;
    return s;
}

static void slot_free(evq_t *q, uint32_t s)
{
    slot_t *p = &q->slots[s];
    p->live = 0;
    p->gen = p->gen == UINT32_MAX ? 1 : p->gen + 1;
    p->next = q->free_head;
    q->free_head = s;
}

uint64_t evq_push(evq_t *q, const evq_event_t *ev)
{
    assert(ev->prio >= 0 && ev->prio <= EVQ_PRIO_MAX && ev->seq <= EVQ_SEQ_MAX);
    if (q->n == q->cap) {
        q->cap *= 2;
        q->heap = xrealloc(q->heap, q->cap * sizeof *q->heap);
    }
    uint32_t s = slot_alloc(q);
    q->slots[s].fn = ev->fn;
    q->slots[s].subject = ev->subject;
    q->slots[s].object = ev->object;
    q->slots[s].live = 1;
    q->live++;
    hent_t e = {.time_ps = ev->time_ps, .key = (uint64_t)ev->prio << 56 | ev->seq, .slot = s};
    /* Sift up: move parents down until e's place is found. */
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!hent_before(&e, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = e;
    return (uint64_t)q->slots[s].gen << 32 | s;
}

int evq_cancel(evq_t *q, uint64_t handle)
{
    uint32_t s = (uint32_t)handle, gen = (uint32_t)(handle >> 32);
    if (s >= q->nslots || q->slots[s].gen != gen || !q->slots[s].live)
        return 0;
    q->slots[s].live = 0;
    q->live--;
    return 1;
}

/* Remove heap[0] (Floyd): move the hole at the root down to a leaf along
 * the smaller children, then put the last entry there and sift it up (it
 * came from the bottom, so it rarely rises far). */
static void remove_top(evq_t *q)
{
    hent_t last = q->heap[--q->n];
    size_t n = q->n, i = 0, c;
    if (n == 0)
        return;
    while ((c = 2 * i + 1) < n) {
        if (c + 1 < n && hent_before(&q->heap[c + 1], &q->heap[c]))
            c++;
        q->heap[i] = q->heap[c];
        i = c;
    }
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!hent_before(&last, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = last;
}

/* Drop cancelled entries from the top; 1 if a pending entry is on top. */
static int settle(evq_t *q)
{
    while (q->n > 0 && !q->slots[q->heap[0].slot].live) {
        uint32_t s = q->heap[0].slot;
        remove_top(q);
        slot_free(q, s);
    }
    return q->n > 0;
}

int evq_pop(evq_t *q, evq_event_t *out)
{
    if (!settle(q))
        return 0;
    hent_t top = q->heap[0];
    const slot_t *p = &q->slots[top.slot];
    *out = (evq_event_t){.time_ps = top.time_ps, .prio = (int)(top.key >> 56),
                         .seq = top.key & EVQ_SEQ_MAX, .fn = p->fn, .subject = p->subject,
                         .object = p->object};
    remove_top(q);
    q->live--;
    slot_free(q, top.slot);
    return 1;
}

int evq_peek_time(evq_t *q, int64_t *time_ps)
{
    if (!settle(q))
        return 0;
    *time_ps = q->heap[0].time_ps;
    return 1;
}

void evq_shift(evq_t *q, int64_t d_ps)
{
    for (size_t i = 0; i < q->n; i++)
        q->heap[i].time_ps += d_ps;
}

void evq_moments(const evq_t *q, int64_t t0_ps, double *n, double *sum, double *sum_sq)
{
    for (size_t i = 0; i < q->n; i++)
        if (q->slots[q->heap[i].slot].live) {
            double d = (double)(q->heap[i].time_ps - t0_ps);
            *n += 1;
            *sum += d;
            *sum_sq += d * d;
        }
}
