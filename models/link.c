/* link.c -- the link parameter schema and ring collective times. */
#include "models/link.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>

#define F(field) offsetof(link_t, field)

static const param_def_t LINK_DEFS[] = {
    /* key                 unit     min    max    type        field */
    {"link_bw_gbps",       "GB/s",  0.1,   1e5,   PARAM_REAL, F(link_bw_gbps), "per-direction bus bandwidth of a large collective"},
    {"link_latency_us",    "us",    0,     1000,  PARAM_REAL, F(link_latency_us), "latency of one ring step (one hop of a small message)"},
    {"msg_overhead_us",    "us",    0,     10000, PARAM_REAL, F(msg_overhead_us), "fixed cost of one collective (launch, proxy, protocol)"},
    {"max_gpus",           "count", 2,     1024,  PARAM_INT,  F(max_gpus), "GPUs the link can join into one tensor-parallel group"},
};

const param_schema_t link_schema = {"link", LINK_DEFS, sizeof LINK_DEFS / sizeof LINK_DEFS[0]};

int link_check(const link_t *l, int tp, char *err, size_t errlen)
{
    if (tp < 2 || tp > (int)l->max_gpus) {
        snprintf(err, errlen, "--tp %d: the link joins 2..%.0f GPUs (its max_gpus); give a smaller "
                 "--tp or another --link", tp, l->max_gpus);
        return -1;
    }
    return 0;
}

/* steps ring steps, each moving 1/n of `bytes` over one link */
static double ring_us(const link_t *l, int n, double steps, double bytes)
{
    assert(n >= 2 && bytes >= 0);
    return l->msg_overhead_us + steps * l->link_latency_us +
           steps / n * bytes / (l->link_bw_gbps * 1e3);
}

double link_allreduce_us(const link_t *l, int n, double bytes)
{
    return ring_us(l, n, 2.0 * (n - 1), bytes);
}

double link_allgather_us(const link_t *l, int n, double bytes)
{
    return ring_us(l, n, n - 1.0, bytes);
}
