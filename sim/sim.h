/* sim.h -- the discrete-event engine: simulated clock, event scheduling, run loop.
 *
 * Time is an integer number of picoseconds (sim_ps_t). Events are ordered by
 * (time_ps, prio, insertion sequence), so two runs with the same inputs execute
 * the same events in the same order and produce byte-identical output.
 * Only sim_run advances the clock, and never backwards (asserted).
 *
 * No globals: every resource takes the sim_t it belongs to. */
#ifndef GBSIM_SIM_H
#define GBSIM_SIM_H

#include <stdint.h>

typedef int64_t sim_ps_t;
typedef struct sim sim_t;

/* An event action: called at its time with the engine and two opaque pointers. */
typedef void (*sim_fn_t)(sim_t *sim, void *subject, void *object);

/* Same-time events run in ascending priority. Completions first so that a
 * resource freed at time t can be reused by a request made at time t. */
enum {
    SIM_PRIO_COMPLETE = 10,
    SIM_PRIO_DEFAULT = 50,
    SIM_PRIO_STATS = 90
};

#define SIM_PS_PER_NS 1000LL
#define SIM_PS_PER_US 1000000LL

sim_t *sim_create(void);
void sim_destroy(sim_t *sim);

/* Current simulated time in ps. */
sim_ps_t sim_now(const sim_t *sim);

/* Schedule fn(sim, subject, object) at absolute time at_ps >= sim_now(),
 * prio in [0, 255]. Returns a handle usable with sim_cancel (never 0; an
 * opaque value, not the insertion order). */
uint64_t sim_schedule(sim_t *sim, sim_ps_t at_ps, int prio, sim_fn_t fn,
                      void *subject, void *object);

/* Reserve the insertion sequence number the next sim_schedule would take,
 * for an event scheduled later with sim_schedule_at_seq: it then orders among
 * same-time, same-prio events as if it had been scheduled now. */
uint64_t sim_reserve_seq(sim_t *sim);

/* sim_schedule with a sequence number from sim_reserve_seq (each used once). */
uint64_t sim_schedule_at_seq(sim_t *sim, sim_ps_t at_ps, int prio, uint64_t seq, sim_fn_t fn,
                             void *subject, void *object);

/* 1 when an event at (sim_now(), prio, seq) orders at or before the event
 * executing now: it would have run already (or is this one). Only from
 * inside an event. */
int sim_ran_by_now(const sim_t *sim, int prio, uint64_t seq);

/* Cancel a pending event; cancelling an executed or unknown handle is a bug. */
void sim_cancel(sim_t *sim, uint64_t handle);

/* Execute events until the queue is empty. Returns the number executed. */
uint64_t sim_run(sim_t *sim);

/* Execute the events at times <= until_ps, in order; later ones stay
 * pending and the clock stays at the last executed event. Returns the
 * number executed. */
uint64_t sim_run_until(sim_t *sim, sim_ps_t until_ps);

/* sim_run_until that also stops after max_events events (the rest stay
 * pending). */
uint64_t sim_run_bounded(sim_t *sim, sim_ps_t until_ps, uint64_t max_events);

/* Move the clock and every pending event d_ps >= 0 later: the state of
 * the simulation translated in time (kexec's folding of repeated work).
 * Resources that keep absolute times shift their own (bwserv_shift,
 * unit_shift). Called from inside an event, that event goes on at the new
 * time. */
void sim_shift(sim_t *sim, sim_ps_t d_ps);

/* Events executed so far. */
uint64_t sim_events(const sim_t *sim);

/* Events scheduled and neither executed nor cancelled yet. */
uint64_t sim_pending(const sim_t *sim);

/* Over the pending events: their number, and the sum and sum of squares of
 * their times minus now, added to *n, *sum, *sum_sq (a state that moved in
 * time by sim_shift has the same). */
void sim_pending_moments(const sim_t *sim, double *n, double *sum, double *sum_sq);

/* Convert at the edges: ns/us (double) to ps, rounded to nearest. */
sim_ps_t sim_ps_from_ns(double ns);
sim_ps_t sim_ps_from_us(double us);
double sim_ps_to_us(sim_ps_t ps);

#endif
