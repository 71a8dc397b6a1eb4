/* evq.h -- the event queue: a binary min-heap of events.
 *
 * Order: time_ps, then prio (lower first), then seq (insertion order).
 * seq is assigned by the caller (sim.c) and must be unique, which makes the
 * order total and therefore deterministic. Push and pop are O(log n). */
#ifndef GBSIM_EVQ_H
#define GBSIM_EVQ_H

#include <stddef.h>
#include <stdint.h>

/* The queue never calls fn: it is an opaque function pointer that the owner
 * (sim.c) casts back to its real type before calling. void (*)(void) is used
 * because C allows converting between function pointer types, and GCC's
 * -Wcast-function-type treats this type as compatible with every other. */
typedef void (*evq_fn_t)(void);

typedef struct {
    int64_t time_ps;
    int prio;
    uint64_t seq;
    evq_fn_t fn;
    void *subject;
    void *object;
} evq_event_t;

typedef struct evq evq_t;

evq_t *evq_create(void);
void evq_destroy(evq_t *q);
void evq_push(evq_t *q, const evq_event_t *ev);
/* Removes the first event into *out; returns 0 when the queue is empty. */
int evq_pop(evq_t *q, evq_event_t *out);
size_t evq_size(const evq_t *q);
/* 1 if a orders strictly before b. */
int evq_before(const evq_event_t *a, const evq_event_t *b);

#endif
