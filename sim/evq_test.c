/* evq_test.c -- the event queue pops events in (time, prio, seq) order,
 * skips cancelled ones and refuses stale handles. */
#include "sim/evq.h"

#include <stdio.h>
#include <stdlib.h>

#include "tests/check.h"

/* Numerical Recipes LCG; the state lives with the caller. */
static uint32_t lcg(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 33);
}

static evq_event_t ev(int64_t t, int prio, uint64_t seq)
{
    return (evq_event_t){.time_ps = t, .prio = prio, .seq = seq};
}

static int cmp_events(const void *a, const void *b)
{
    return evq_before(a, b) ? -1 : evq_before(b, a) ? 1 : 0;
}

static void test_before_orders_by_time_then_prio_then_seq(check_t *ck)
{
    evq_event_t a = ev(5, 90, 9), b = ev(6, 10, 1);
    CHECK(evq_before(&a, &b) && !evq_before(&b, &a), "");
    a = ev(5, 10, 9), b = ev(5, 50, 1);
    CHECK(evq_before(&a, &b) && !evq_before(&b, &a), "");
    a = ev(5, 50, 1), b = ev(5, 50, 2);
    CHECK(evq_before(&a, &b) && !evq_before(&b, &a), "");
    CHECK(!evq_before(&a, &a), "");
}

static void test_random_pushes_pop_in_sorted_order(check_t *ck)
{
    const int failed_before = ck->failed;
    enum { N = 5000 };
    uint64_t rng = 42;
    evq_event_t *ref = malloc(N * sizeof *ref);
    evq_t *q = evq_create();
    /* Few distinct times and prios so that ties are frequent; seqs are a
     * permutation-like scramble so insertion order != seq order. */
    for (int i = 0; i < N; i++) {
        ref[i] = ev(lcg(&rng) % 50, (int)(lcg(&rng) % 3) * 40 + 10,
                    (uint64_t)(i * 7919 % N) + 1);
        evq_push(q, &ref[i]);
    }
    CHECK(evq_size(q) == N, "");
    qsort(ref, N, sizeof *ref, cmp_events);
    for (int i = 0; i < N; i++) {
        evq_event_t out;
        CHECK(evq_pop(q, &out) == 1, "");
        CHECK(out.time_ps == ref[i].time_ps && out.prio == ref[i].prio &&
              out.seq == ref[i].seq, "");
        CHECK(evq_size(q) == (size_t)(N - 1 - i), "");
        if (ck->failed > failed_before)
            break;
    }
    evq_event_t out;
    CHECK(evq_pop(q, &out) == 0, "");
    CHECK(evq_size(q) == 0, "");
    evq_destroy(q);
    free(ref);
}

static void test_events_at_same_time_pop_in_priority_then_seq_order(check_t *ck)
{
    evq_t *q = evq_create();
    evq_event_t in[] = {ev(7, 50, 4), ev(7, 50, 2), ev(7, 10, 6), ev(3, 90, 9),
                        ev(7, 90, 1), ev(7, 10, 5)};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        evq_push(q, &in[i]);
    uint64_t want[] = {9, 5, 6, 2, 4, 1};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        evq_event_t out;
        CHECK(evq_pop(q, &out) == 1 && out.seq == want[i], "");
    }
    CHECK(evq_size(q) == 0, "");
    evq_destroy(q);
}

static void test_interleaved_push_pop_always_pops_the_minimum(check_t *ck)
{
    const int failed_before = ck->failed;
    enum { N = 20000 };
    uint64_t rng = 7, seq = 1;
    evq_event_t *ref = malloc(N * sizeof *ref);
    size_t nref = 0;
    evq_t *q = evq_create();
    for (int step = 0; step < N && ck->failed == failed_before; step++) {
        if (nref == 0 || lcg(&rng) % 3 != 0) {
            ref[nref] = ev(lcg(&rng) % 1000, (int)(lcg(&rng) % 4), seq++);
            evq_push(q, &ref[nref++]);
        } else {
            size_t m = 0;
            for (size_t i = 1; i < nref; i++)
                if (evq_before(&ref[i], &ref[m]))
                    m = i;
            evq_event_t out;
            CHECK(evq_pop(q, &out) == 1 && out.seq == ref[m].seq, "");
            ref[m] = ref[--nref];
        }
        CHECK(evq_size(q) == nref, "");
    }
    evq_destroy(q);
    free(ref);
}

static void test_cancelled_events_are_skipped_and_stale_handles_refused(check_t *ck)
{
    enum { N = 3000 };
    uint64_t rng = 11;
    evq_event_t *ref = malloc(N * sizeof *ref);
    uint64_t *h = malloc(N * sizeof *h);
    int *dead = calloc(N, sizeof *dead);
    evq_t *q = evq_create();
    for (int i = 0; i < N; i++) {
        ref[i] = ev(lcg(&rng) % 100, (int)(lcg(&rng) % 3) * 40 + 10, (uint64_t)i + 1);
        h[i] = evq_push(q, &ref[i]);
        CHECK(h[i] != 0, "");
    }
    size_t live = N;
    for (int i = 0; i < N; i += 3) {
        CHECK(evq_cancel(q, h[i]) == 1, "");
        CHECK(evq_cancel(q, h[i]) == 0, ""); /* cancelled already */
        dead[i] = 1;
        live--;
    }
    CHECK(evq_size(q) == live, "");
    evq_shift(q, 1000);
    evq_event_t prev = {0}, out;
    size_t popped = 0;
    while (evq_pop(q, &out)) {
        int i = (int)out.seq - 1;
        CHECK(!dead[i] && out.time_ps == ref[i].time_ps + 1000, "");
        CHECK(popped == 0 || evq_before(&prev, &out), "");
        CHECK(evq_cancel(q, h[i]) == 0, ""); /* popped: stale */
        prev = out;
        popped++;
    }
    CHECK(popped == live && evq_size(q) == 0, "");
    /* slots are reused; the old handles stay stale */
    evq_event_t e = ev(1, 10, 1);
    uint64_t hn = evq_push(q, &e);
    for (int i = 0; i < N; i++)
        CHECK(h[i] != hn && evq_cancel(q, h[i]) == 0, "");
    int64_t t;
    CHECK(evq_peek_time(q, &t) == 1 && t == 1, "");
    CHECK(evq_cancel(q, hn) == 1 && evq_peek_time(q, &t) == 0 && evq_size(q) == 0, "");
    evq_destroy(q);
    free(ref);
    free(h);
    free(dead);
}

int main(void)
{
    check_t ck = check_begin("evq_test");
    test_before_orders_by_time_then_prio_then_seq(&ck);
    test_random_pushes_pop_in_sorted_order(&ck);
    test_events_at_same_time_pop_in_priority_then_seq_order(&ck);
    test_interleaved_push_pop_always_pops_the_minimum(&ck);
    test_cancelled_events_are_skipped_and_stale_handles_refused(&ck);
    return check_end(&ck);
}
