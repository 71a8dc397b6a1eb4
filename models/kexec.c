/* kexec.c -- CTA-level execution of one kernel on the event engine. */
#include "models/kexec.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "sim/bwserv.h"
#include "sim/unit.h"

typedef struct kx kx_t;

enum { EPI_RING = 8 };
typedef struct cta cta_t;

typedef struct {
    cta_t *c;
    int parts;      /* transfers of this slot's load still in flight */
    int landed;     /* 1 once every part landed, until consumed */
} slot_t;

struct cta {
    kx_t *kx;
    int id;         /* CTA index in the grid, -1 when the seat is empty */
    int sm;
    /* producer */
    int p_has, p_item, p_step, p_busy, p_pre_done;
    kitem_t p_it;
    /* consumer */
    int c_has, c_item, c_step, c_busy;
    kitem_t c_it;
    long issued, consumed;   /* steps, over all items */
    int stores;              /* stores in flight */
    int epis;                /* overlapped epilogues in flight, <= EPI_RING */
    int epi_head;
    double epi_store[8];     /* their stores' bytes, oldest at epi_head */
    slot_t *slots;           /* ring of `stages` */
};

typedef struct {
    bwserv_t *port;          /* the SM's load path (NULL: no per-SM cap) */
    unit_t *unit;            /* tensor pipe / issue: mainloop work */
    unit_t *epi;             /* epilogue warp group when epilogues overlap */
    sim_ps_t last_finish_ps;
} sm_t;

struct kx {
    const arch_t *a;
    const kspec_t *k;
    sim_t *sim;
    bwserv_t *dram, *l2;
    sm_t *sms;
    cta_t *seats;            /* n_sm * ctas_per_sm resident CTA seats */
    int n_sm, next_cta, done_ctas;
    double ps_per_cyc;
    sim_ps_t first_compute_ps;
    double pre_ps_sum, epi_ps_sum;
    double dram_bytes;       /* real bytes loaded and stored */
    double l2_hit_bytes;     /* bytes loaded as L2 hits */
    double l2_per_oob;       /* L2 return-path bytes one zero-filled byte occupies */
    double port_gbps;        /* rate of each SM's load-path server (0 = none) */
    double port_bytes;       /* bytes through the SMs' load paths */
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    assert(p != NULL);
    return p;
}

static sim_ps_t cyc_ps(const kx_t *x, double cyc)
{
    return (sim_ps_t)llround(cyc * x->ps_per_cyc);
}

static void try_produce(cta_t *c);
static void try_consume(cta_t *c);
static void next_item(cta_t *c);
static void on_overlap_epi_done(sim_t *sim, void *subject, void *object);
static void cta_start(kx_t *x, cta_t *c, int id);

static void cta_maybe_finish(cta_t *c)
{
    kx_t *x = c->kx;
    if (c->id < 0 || c->c_has || c->c_busy || c->stores > 0 || c->epis > 0)
        return;
    assert(!c->p_has && c->issued == c->consumed);
    sim_ps_t now = sim_now(x->sim);
    x->sms[c->sm].last_finish_ps = now;
    x->done_ctas++;
    c->id = -1;
    if (x->next_cta < x->k->n_ctas)
        cta_start(x, c, x->next_cta++);
}

static void on_store_done(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    cta_t *c = subject;
    c->stores--;
    cta_maybe_finish(c);
}

static void on_part_landed(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)subject;
    slot_t *s = object;
    assert(s->parts > 0);
    if (--s->parts == 0) {
        s->landed = 1;
        try_consume(s->c);
    }
}

/* The producer finished issuing a step's boxes and may issue the next. */
static void on_issue_done(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    cta_t *c = subject;
    assert(c->id >= 0 && c->p_busy && c->p_has);
    c->p_busy = 0;
    try_produce(c);
}

static void on_pre_done(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    cta_t *c = subject;
    c->p_busy = 0;
    c->p_pre_done = 1;
    try_produce(c);
}

static void try_produce(cta_t *c)
{
    kx_t *x = c->kx;
    int stages = x->k->stages;
    while (c->p_has && !c->p_busy && c->issued - c->consumed < stages) {
        if (c->p_step == 0 && !c->p_pre_done && c->p_it.pre_cyc > 0) {
            c->p_busy = 1;
            sim_ps_t d = cyc_ps(x, c->p_it.pre_cyc);
            x->pre_ps_sum += (double)d;
            sim_schedule(x->sim, sim_now(x->sim) + d, SIM_PRIO_DEFAULT, on_pre_done, c, NULL);
            return;
        }
        slot_t *s = &c->slots[c->issued % stages];
        assert(s->parts == 0 && !s->landed);
        /* one thread issues a TMA step's boxes: it is busy for the barrier arm
         * and each box, and the next step waits (the loads start now) */
        double issue_ns = c->p_it.tma && c->p_it.tma_boxes > 0
                              ? x->a->tma_stage_issue_ns + c->p_it.tma_boxes * x->a->tma_box_issue_ns
                              : 0;
        bwserv_t *port = x->sms[c->sm].port;
        /* the SM's fill rate for this load: sm_tma_gbps for TMA where the arch
         * has it, else sm_load_gbps; 0 = no per-SM cap */
        double cap_gbps = c->p_it.tma && x->a->sm_tma_gbps > 0 ? x->a->sm_tma_gbps : x->a->sm_load_gbps;
        if (cap_gbps <= 0)
            port = NULL;
        double load_bytes = c->p_it.port_bytes > 0 ? c->p_it.port_bytes
                                                   : c->p_it.dram_bytes + c->p_it.l2_bytes;
        /* a TMA stage lands no sooner than the arch's TMA round trip */
        int tma_floor = c->p_it.tma && x->a->tma_latency_ns > 0 && load_bytes > 0;
        /* the L2 returns every byte it delivers: hits, DRAM fills and TMA
         * zero fill (which occupies it l2_per_oob times as long as a hit) */
        double l2_path = c->p_it.l2_bytes + c->p_it.dram_bytes + c->p_it.oob_bytes * x->l2_per_oob;
        s->parts = (c->p_it.dram_bytes > 0) + (l2_path > 0) + (port && load_bytes > 0) + tma_floor;
        if (s->parts == 0)
            s->landed = 1;
        if (tma_floor)
            sim_schedule(x->sim, sim_now(x->sim) + sim_ps_from_ns(x->a->tma_latency_ns),
                         SIM_PRIO_DEFAULT, on_part_landed, c, s);
        /* the SM's own load path, in parallel with the shared servers: the
         * step lands when the slowest part has delivered it */
        if (port && load_bytes > 0) {
            x->port_bytes += load_bytes;
            /* the port serves at x->port_gbps: a load at cap_gbps occupies it
             * port_gbps / cap_gbps times its bytes */
            bwserv_transfer(port, load_bytes * x->port_gbps / cap_gbps, on_part_landed, c, s);
        }
        if (c->p_it.dram_bytes > 0) {
            /* short runs occupy the DRAM longer than their bytes (row-buffer
             * visits); TMA k-tile loops have their own measured efficiency */
            double eff = arch_dram_load_eff(x->a, c->p_it.dram_run_bytes, c->p_it.tma, c->p_it.tma_box_rows);
            if (c->p_it.mc_tile_bytes > 0)
                eff *= arch_tma_mc_eff(x->a, stages * c->p_it.mc_tile_bytes);
            x->dram_bytes += c->p_it.dram_bytes;
            bwserv_transfer(x->dram, c->p_it.dram_bytes / eff, on_part_landed, c, s);
        }
        x->l2_hit_bytes += c->p_it.l2_bytes;
        if (l2_path > 0)
            bwserv_transfer(x->l2, l2_path, on_part_landed, c, s);
        c->issued++;
        if (++c->p_step == c->p_it.n_steps) {
            c->p_item++;
            c->p_step = 0;
            c->p_pre_done = 0;
            c->p_has = x->k->item(x->k, c->id, c->p_item, &c->p_it);
            assert(!c->p_has || c->p_it.n_steps >= 1);
        }
        /* the issue time delays only a next step: after the CTA's last one the
         * producer is done (and the seat may go to another CTA) */
        if (issue_ns > 0 && c->p_has) {
            c->p_busy = 1;
            sim_schedule(x->sim, sim_now(x->sim) + sim_ps_from_ns(issue_ns), SIM_PRIO_DEFAULT, on_issue_done,
                         c, NULL);
            break;
        }
    }
    try_consume(c);
}

static void store(cta_t *c, double bytes)
{
    if (bytes > 0) {
        c->kx->dram_bytes += bytes;
        c->stores++;
        bwserv_transfer(c->kx->dram, bytes, on_store_done, c, NULL);
    }
}

/* The consumer moves on to the CTA's next item. */
static void next_item(cta_t *c)
{
    kx_t *x = c->kx;
    c->c_item++;
    c->c_step = 0;
    c->c_has = x->k->item(x->k, c->id, c->c_item, &c->c_it);
}

static void on_epi_done(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    cta_t *c = subject;
    c->c_busy = 0;
    store(c, c->c_it.epi_dram_bytes);
    next_item(c);
    if (c->c_has)
        try_consume(c);
    else
        cta_maybe_finish(c);
}

/* An overlapped epilogue finished: its store leaves in submission order. */
static void on_overlap_epi_done(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    cta_t *c = subject;
    assert(c->epis > 0);
    double bytes = c->epi_store[c->epi_head];
    c->epi_head = (c->epi_head + 1) % EPI_RING;
    c->epis--;
    store(c, bytes);
    cta_maybe_finish(c);
}

static void on_compute_done(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    cta_t *c = subject;
    kx_t *x = c->kx;
    slot_t *s = &c->slots[c->consumed % x->k->stages];
    assert(s->landed);
    s->landed = 0;
    c->consumed++;
    c->c_busy = 0;
    if (++c->c_step == c->c_it.n_steps) {
        sim_ps_t d = cyc_ps(x, c->c_it.epi_cyc);
        x->epi_ps_sum += (double)d;
        if (x->k->epi_overlap) {
            assert(c->epis < EPI_RING);
            c->epi_store[(c->epi_head + c->epis++) % EPI_RING] = c->c_it.epi_dram_bytes;
            unit_submit(x->sms[c->sm].epi, d, on_overlap_epi_done, c, NULL);
            next_item(c);
        } else {
            c->c_busy = 1;
            unit_submit(x->sms[c->sm].unit, d, on_epi_done, c, NULL);
        }
    }
    try_produce(c);
    if (!c->c_has)
        cta_maybe_finish(c);
}

static void try_consume(cta_t *c)
{
    kx_t *x = c->kx;
    if (!c->c_has || c->c_busy || c->consumed == c->issued)
        return;
    slot_t *s = &c->slots[c->consumed % x->k->stages];
    if (!s->landed)
        return;
    c->c_busy = 1;
    sim_ps_t now = sim_now(x->sim);
    if (x->first_compute_ps < 0)
        x->first_compute_ps = now;
    unit_submit(x->sms[c->sm].unit, cyc_ps(x, c->c_it.compute_cyc), on_compute_done, c, NULL);
}

static void cta_start(kx_t *x, cta_t *c, int id)
{
    int stages = x->k->stages;
    slot_t *slots = c->slots;
    int sm = c->sm;
    memset(c, 0, sizeof *c);
    c->kx = x;
    c->id = id;
    c->sm = sm;
    c->slots = slots;
    for (int i = 0; i < stages; i++)
        slots[i] = (slot_t){.c = c};
    c->p_has = x->k->item(x->k, id, 0, &c->p_it);
    assert(c->p_has && c->p_it.n_steps >= 1);
    c->c_it = c->p_it;
    c->c_has = 1;
    try_produce(c);
}

static void on_launch(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    kx_t *x = subject;
    int seats = x->n_sm * x->k->ctas_per_sm;
    /* breadth-first: seat i is on SM i % n_sm */
    for (int i = 0; i < seats && x->next_cta < x->k->n_ctas; i++)
        cta_start(x, &x->seats[i], x->next_cta++);
}

int kexec_run(const arch_t *a, const kspec_t *k, kresult_t *out, char *err, size_t errlen)
{
    assert(k->n_ctas >= 1 && k->stages >= 1 && k->ctas_per_sm >= 1 && k->item);
    if (k->ctas_per_sm > (int)a->max_ctas_per_sm) {
        snprintf(err, errlen, "kernel needs %d CTAs per SM but the arch holds at most %d",
                 k->ctas_per_sm, (int)a->max_ctas_per_sm);
        return -1;
    }
    kx_t x = {.a = a, .k = k, .n_sm = (int)a->n_sm, .ps_per_cyc = arch_ps_per_cycle(a),
              .first_compute_ps = -1,
              .l2_per_oob = a->tma_oob_gbps > 0 ? a->l2_bw_gbps / a->tma_oob_gbps : 0,
              .port_gbps = a->sm_load_gbps > 0 ? a->sm_load_gbps : a->sm_tma_gbps};
    x.sim = sim_create();
    x.dram = bwserv_create(x.sim, "dram", arch_dram_bw_bytes_per_ps(a),
                           sim_ps_from_ns(a->dram_latency_ns));
    x.l2 = bwserv_create(x.sim, "l2", arch_l2_bw_bytes_per_ps(a), sim_ps_from_ns(a->l2_latency_ns));
    bwserv_set_mode(x.dram, BWSERV_FIFO);
    bwserv_set_mode(x.l2, BWSERV_FIFO);
    x.sms = xcalloc((size_t)x.n_sm, sizeof *x.sms);
    for (int i = 0; i < x.n_sm; i++) {
        x.sms[i].unit = unit_create(x.sim, "sm");
        x.sms[i].epi = unit_create(x.sim, "sm-epilogue");
        if (x.port_gbps > 0) {
            x.sms[i].port = bwserv_create(x.sim, "sm-load", x.port_gbps * 1e-3, 0);
            bwserv_set_mode(x.sms[i].port, BWSERV_FIFO);
        }
    }
    int seats = x.n_sm * k->ctas_per_sm;
    x.seats = xcalloc((size_t)seats, sizeof *x.seats);
    for (int i = 0; i < seats; i++) {
        x.seats[i].sm = i % x.n_sm;
        x.seats[i].id = -1;
        x.seats[i].slots = xcalloc((size_t)k->stages, sizeof(slot_t));
    }
    sim_schedule(x.sim, 0, SIM_PRIO_DEFAULT, on_launch, &x, NULL);
    uint64_t events = sim_run(x.sim);
    assert(x.done_ctas == k->n_ctas);

    sim_ps_t end = sim_now(x.sim);
    memset(out, 0, sizeof *out);
    out->dur_ps = end;
    out->dram_bytes = x.dram_bytes;
    out->l2_bytes = x.l2_hit_bytes;
    out->port_bytes = x.port_bytes;
    out->dram_busy_ps = bwserv_busy_ps(x.dram);
    out->l2_busy_ps = bwserv_busy_ps(x.l2);
    double *idle = xcalloc((size_t)x.n_sm, sizeof *idle);
    for (int i = 0; i < x.n_sm; i++) {
        sim_ps_t b = unit_busy_ps(x.sms[i].unit);
        if (b > out->unit_busy_max_ps)
            out->unit_busy_max_ps = b;
        /* an SM that never ran a CTA idles the whole kernel */
        idle[i] = end > 0 ? (double)(end - x.sms[i].last_finish_ps) / (double)end : 0;
    }
    out->tail_idle_frac = gsl_stats_mean(idle, 1, (size_t)x.n_sm);
    free(idle);
    out->first_compute_ps = x.first_compute_ps < 0 ? 0 : x.first_compute_ps;
    out->pre_ps_sum = x.pre_ps_sum;
    out->epi_ps_sum = x.epi_ps_sum;
    out->waves = (k->n_ctas + seats - 1) / seats;
    out->events = events;

    for (int i = 0; i < seats; i++)
        free(x.seats[i].slots);
    free(x.seats);
    for (int i = 0; i < x.n_sm; i++) {
        unit_destroy(x.sms[i].unit);
        unit_destroy(x.sms[i].epi);
        if (x.sms[i].port)
            bwserv_destroy(x.sms[i].port);
    }
    free(x.sms);
    bwserv_destroy(x.l2);
    bwserv_destroy(x.dram);
    sim_destroy(x.sim);
    return 0;
}
