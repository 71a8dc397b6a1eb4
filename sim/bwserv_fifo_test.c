/* bwserv_fifo_test.c -- the FIFO discipline of the bandwidth server. */
#include <stdio.h>

#include "sim/bwserv.h"
#include "tests/check.h"

typedef struct {
    sim_ps_t done_ps[16];
    int n;
} log_t;

static void on_done(sim_t *sim, void *subject, void *object)
{
    (void)object;
    log_t *l = subject;
    l->done_ps[l->n++] = sim_now(sim);
}

/* N transfers of B bytes issued together finish at latency + i*B/bw. */
static void test_fifo_n_transfers_finish_at_latency_plus_i_b_over_w(check_t *ck)
{
    sim_t *sim = sim_create();
    bwserv_t *s = bwserv_create(sim, "dram", 2.0, 500);
    bwserv_set_mode(s, BWSERV_FIFO);
    log_t l = {0};
    for (int i = 0; i < 8; i++)
        bwserv_transfer(s, 1000, on_done, &l, NULL);
    sim_run(sim);
    CHECK(l.n == 8, "completed %d", l.n);
    for (int i = 0; i < l.n; i++)
        CHECK(l.done_ps[i] == 500 + (i + 1) * 500, "transfer %d done at %lld", i,
              (long long)l.done_ps[i]);
    CHECK(bwserv_busy_ps(s) == 4000, "busy %lld", (long long)bwserv_busy_ps(s));
    CHECK(bwserv_bytes(s) == 8000, "bytes %.0f", bwserv_bytes(s));
    bwserv_destroy(s);
    sim_destroy(sim);
}

/* A transfer arriving at an idle server is served at once; busy time excludes idle. */
static void test_fifo_idle_gap_is_not_busy(check_t *ck)
{
    sim_t *sim = sim_create();
    bwserv_t *s = bwserv_create(sim, "dram", 1.0, 0);
    bwserv_set_mode(s, BWSERV_FIFO);
    log_t l = {0};
    bwserv_transfer(s, 100, on_done, &l, NULL);
    sim_run(sim);
    /* a second transfer after the first drained */
    bwserv_transfer(s, 50, on_done, &l, NULL);
    sim_run(sim);
    CHECK(l.n == 2 && l.done_ps[0] == 100 && l.done_ps[1] == 150, "done %lld %lld",
          (long long)l.done_ps[0], (long long)l.done_ps[1]);
    CHECK(bwserv_busy_ps(s) == 150, "busy %lld", (long long)bwserv_busy_ps(s));
    bwserv_destroy(s);
    sim_destroy(sim);
}

int main(void)
{
    check_t ck = check_begin("bwserv_fifo_test");
    test_fifo_n_transfers_finish_at_latency_plus_i_b_over_w(&ck);
    test_fifo_idle_gap_is_not_busy(&ck);
    return check_end(&ck);
}
