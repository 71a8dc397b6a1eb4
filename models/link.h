/* link.h -- the interconnect of a tensor-parallel group (one preset = one
 * data file models/data/link/<name>.csv, loaded through the parameter table
 * like arch and model), and the time of the collectives a tensor-parallel
 * decode step runs over it.
 *
 * A collective over n GPUs is priced as NCCL's own tuning model prices a ring
 * (NVIDIA/nccl src/graph/tuning.cc: latency = baseLat + nsteps x hwLat,
 * time = latency + bytes / algBw, algBw = busBw x n / nsteps):
 *
 *   t = msg_overhead_us + steps x link_latency_us + steps / n x bytes / link_bw_gbps
 *
 * with steps = 2(n-1) for an all-reduce of `bytes` per GPU and n-1 for an
 * all-gather whose gathered result is `bytes` (Thakur, Rabenseifner, Gropp
 * 2005, "Optimization of Collective Communication Operations in MPICH",
 * IJHPCA 19(1): ring all-gather (p-1)a + (p-1)/p nb; reduce-scatter +
 * all-gather all-reduce twice that). link_bw_gbps is therefore the bus
 * bandwidth nccl-tests reports (busbw), which it defines to be comparable to
 * one link's per-direction bandwidth (nccl-tests doc/PERFORMANCE.md). */
#ifndef GBSIM_LINK_H
#define GBSIM_LINK_H

#include <stddef.h>

#include "models/param.h"

typedef struct {
    double link_bw_gbps;      /* per direction, GB/s (1e9 B/s): bus bandwidth of a large collective */
    double link_latency_us;   /* per ring step: one hop of a small message */
    double msg_overhead_us;   /* per collective: launch, proxy and protocol set-up */
    double max_gpus;          /* GPUs the link can join into one group */
} link_t;

extern const param_schema_t link_schema;

/* Whether a group of tp GPUs fits the link (2 <= tp <= max_gpus); 0, or -1
 * with err naming --tp and max_gpus. */
int link_check(const link_t *l, int tp, char *err, size_t errlen);

/* Time in us of a ring all-reduce of `bytes` per GPU over n >= 2 GPUs. */
double link_allreduce_us(const link_t *l, int n, double bytes);

/* Time in us of a ring all-gather over n >= 2 GPUs whose gathered result
 * (every GPU's part together) is `bytes`. */
double link_allgather_us(const link_t *l, int n, double bytes);

#endif
