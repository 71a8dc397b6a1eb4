/* evq.h -- the event queue: a binary min-heap of events, with cancellation.
 *
 * Order: time_ps, then prio (lower first), then seq (insertion order).
 * seq is assigned by the caller (sim.c) and must be unique, which makes the
 * order total and therefore deterministic. Push and pop are O(log n); cancel
 * is O(1) (the entry stays in the heap, marked, and pop discards it).
 *
 * Layout: the heap holds 24-byte keys (time, prio and seq packed in one word,
 * the payload's slot); the payloads (fn, subject, object) sit in a slab that
 * the heap does not move. A handle names a slot and the slot's generation,
 * so a handle whose event was popped or cancelled is recognised as stale. */
#ifndef GBSIM_EVQ_H
#define GBSIM_EVQ_H

#include <stddef.h>
#include <stdint.h>

/* The queue never calls fn: it is an opaque function pointer that the owner
 * (sim.c) casts back to its real type before calling. void (*)(void) is used
 * because C allows converting between function pointer types, and GCC's
 * -Wcast-function-type treats this type as compatible with every other. */
typedef void (*evq_fn_t)(void);

/* prio in [0, EVQ_PRIO_MAX]; seq in [0, EVQ_SEQ_MAX]. */
#define EVQ_PRIO_MAX 255
#define EVQ_SEQ_MAX ((UINT64_C(1) << 56) - 1)

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
/* Insert a copy of *ev. Returns its handle (never 0) for evq_cancel. */
uint64_t evq_push(evq_t *q, const evq_event_t *ev);
/* Cancel a pending event. Returns 1, or 0 when the handle's event was popped
 * or cancelled already, or was never pushed (the queue is unchanged). */
int evq_cancel(evq_t *q, uint64_t handle);
/* Removes the first pending event into *out; returns 0 when none is pending. */
int evq_pop(evq_t *q, evq_event_t *out);
/* The time of the first pending event into *time_ps; 0 when none is pending. */
int evq_peek_time(evq_t *q, int64_t *time_ps);
/* Pending events (pushed, neither popped nor cancelled). */
size_t evq_size(const evq_t *q);
/* Over the pending events: how many, and the sum and the sum of squares of
 * their times minus t0_ps (kexec folding compares these between periods). */
void evq_moments(const evq_t *q, int64_t t0_ps, double *n, double *sum, double *sum_sq);
/* Add d_ps to the time of every pending event (their order is unchanged). */
void evq_shift(evq_t *q, int64_t d_ps);
/* 1 if a orders strictly before b. */
int evq_before(const evq_event_t *a, const evq_event_t *b);

#endif
