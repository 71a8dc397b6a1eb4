/* bwserv.h -- a bandwidth server: DRAM or L2 shared by all in-flight transfers.
 *
 * A transfer of B bytes issued at time t first waits the fixed latency
 * (latency_ps, no bandwidth used), then joins the active set, which is served
 * by processor sharing: n active transfers each progress at bw/n bytes per ps.
 * It completes when its bytes are served, and its done callback is scheduled
 * at that time with SIM_PRIO_COMPLETE.
 *
 * Analytic bound (tested): N transfers of B bytes issued together complete at
 * latency + N*B/bw (rounded up to whole ps).
 *
 * Implementation: virtual-time processor sharing. V(t) advances at bw/n; a
 * transfer joining at virtual time V finishes at virtual tag V + B, kept in a
 * min-heap, so each arrival or departure costs O(log n). The fluid model runs
 * in continuous time: a transfer leaves service at its exact finish time, and
 * its done callback is scheduled at that time rounded up to whole ps. Hence
 * busy time * bw == bytes completed (busy_ps is rounded to nearest ps). */
#ifndef GBSIM_BWSERV_H
#define GBSIM_BWSERV_H

#include "sim/sim.h"

typedef struct bwserv bwserv_t;

/* Service discipline once a transfer has waited its latency.
 * BWSERV_PS (default): processor sharing, as described above.
 * BWSERV_FIFO: one transfer at a time at the full rate, in the order they
 *   finished their latency (ties by issue order); N transfers issued together
 *   complete at latency + i*B/bw, i = 1..N. Memory controllers serve requests
 *   roughly in arrival order, and unlike PS, FIFO does not let identical
 *   clients fall into lockstep (all finishing together, then all waiting out
 *   the latency while the server idles). */
typedef enum { BWSERV_PS, BWSERV_FIFO } bwserv_mode_t;

/* bw_bytes_per_ps > 0; latency_ps >= 0. name is copied. */
bwserv_t *bwserv_create(sim_t *sim, const char *name, double bw_bytes_per_ps,
                        sim_ps_t latency_ps);
/* Frees the server and its in-flight transfers (their done callbacks never
 * run) and cancels its pending events, so the sim must still exist. */
void bwserv_destroy(bwserv_t *s);

/* Choose the discipline; only before the first transfer. */
void bwserv_set_mode(bwserv_t *s, bwserv_mode_t mode);
const char *bwserv_name(const bwserv_t *s);   /* the copy made at create */

/* Start a transfer at sim_now(). bytes > 0. done may be NULL (FIFO: then
 * the transfer costs no event). Returns the time done will run, or would
 * (FIFO: known at issue), or -1 (PS: it depends on later transfers). */
sim_ps_t bwserv_transfer(bwserv_t *s, double bytes, sim_fn_t done, void *subject,
                         void *object);

/* Statistics. */
double bwserv_bytes(const bwserv_t *s);        /* bytes completed */
sim_ps_t bwserv_busy_ps(const bwserv_t *s);    /* time with >= 1 transfer being served */
uint64_t bwserv_transfers(const bwserv_t *s);  /* transfers completed */
int bwserv_active(const bwserv_t *s);          /* transfers in latency or service now */

/* Folding (kexec): the server's absolute times move d_ps later, as sim_shift
 * moves the clock (pending transfers keep their place in the backlog), and k
 * periods of completed bytes, busy time and transfers are added to its
 * statistics. k >= 0, the others >= 0. */
void bwserv_shift(bwserv_t *s, sim_ps_t d_ps, int64_t k, double bytes, double busy_ps,
                  uint64_t transfers);
/* FIFO: over the transfers in flight, their number and the sum and sum of
 * squares of (completion - now) in ps, added to *n, *sum, *sum_sq (as
 * sim_pending_moments). PS: nothing added. */
void bwserv_moments(const bwserv_t *s, double *n, double *sum, double *sum_sq);
/* FIFO: ps from now until the server has served every transfer issued so far
 * (0 when idle): the backlog whose steadiness folding checks. PS: 0. */
double bwserv_backlog_ps(const bwserv_t *s);

#endif
