/* unit.h -- an execution unit: a FIFO server of fixed service times.
 *
 * Models one per-SM resource that serializes work (tensor pipe, issue slot,
 * TMA/copy issuer). A request submitted at t starts at max(t, unit free time)
 * and completes service_ps later; its done callback runs at completion with
 * SIM_PRIO_COMPLETE. Requests are served in submission order. */
#ifndef GBSIM_UNIT_H
#define GBSIM_UNIT_H

#include "sim/sim.h"

typedef struct unit unit_t;

unit_t *unit_create(sim_t *sim, const char *name);
void unit_destroy(unit_t *u);
const char *unit_name(const unit_t *u);   /* the copy made at create */

/* service_ps >= 0. done may be NULL. Returns the completion time. */
sim_ps_t unit_submit(unit_t *u, sim_ps_t service_ps, sim_fn_t done,
                     void *subject, void *object);

sim_ps_t unit_busy_ps(const unit_t *u);   /* sum of service times started */
sim_ps_t unit_free_at(const unit_t *u);   /* time the last request completes */
uint64_t unit_requests(const unit_t *u);

/* Folding (kexec): the unit's absolute times move d_ps later, as sim_shift
 * moves the clock, and k periods of busy_ps and requests are added to its
 * statistics. busy_ps >= 0, k >= 0. */
void unit_shift(unit_t *u, sim_ps_t d_ps, int64_t k, sim_ps_t busy_ps, uint64_t requests);

#endif
