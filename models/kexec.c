/* kexec.c -- CTA-level execution of one kernel on the event engine. */
#include "models/kexec.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "sim/bwserv.h"
#include "sim/unit.h"

typedef struct kx kx_t;
typedef struct fold fold_t;

enum { EPI_RING = 8 };
typedef struct cta cta_t;

/* A load in flight lands at due_ps, in the order of an event at (due_ps,
 * SIM_PRIO_COMPLETE, land_seq) scheduled at its issue. The consumer looks at
 * the oldest one only, and when that has not landed yet waits for it with
 * that very event: same order, one event per wait rather than one per load. */
typedef struct {
    cta_t *c;
    sim_ps_t due_ps;    /* when it lands: its last part, or its TMA round trip */
    uint64_t land_seq;  /* its landing's place among same-time events (sim_reserve_seq) */
} slot_t;

struct cta {
    kx_t *kx;
    int id;         /* CTA index in the grid, -1 when the seat is empty */
    int sm;
    /* producer */
    int p_has, p_item, p_step, p_busy, p_pre_done;
    sim_ps_t p_due_ps;       /* while p_busy: when the producer is free */
    kitem_t p_it;
    double p_eff;            /* load_eff of p_it; 0 = not yet computed */
    /* consumer */
    int c_has, c_item, c_step, c_busy;
    int land_wait;           /* the consumer waits for its next load (on_landed pending) */
    sim_ps_t c_compute_ps;   /* c_it's compute per step; -1 = not yet computed */
    sim_ps_t c_due_ps;       /* while c_busy: when the consumer's work ends */
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
    struct fold *fold;       /* NULL: folding off (kexec.h "Folding") */
    uint64_t events_folded;
    int folds;
};

/* n: an int count (SMs, seats, stages, statistics) cast to size_t: a
 * negative one would wrap */
static void *xcalloc(size_t n, size_t size)
{
    assert(n <= (size_t)INT_MAX);
    void *p = calloc(n, size);
    assert(p != NULL);
    return p;
}

static sim_ps_t cyc_ps(const kx_t *x, double cyc)
{
    return (sim_ps_t)llround(cyc * x->ps_per_cyc);
}

/* The DRAM efficiency of an item's loads: short runs occupy the DRAM longer
 * than their bytes (row-buffer visits); TMA k-tile loops have their own
 * measured efficiency; a multicast tile streams at the arch's multicast
 * efficiency for the kernel's depth. */
static double load_eff(const arch_t *a, const kitem_t *it, int stages)
{
    double eff = arch_dram_load_eff(a, it->dram_run_bytes, it->tma, it->tma_box_rows);
    if (it->mc_tile_bytes > 0)
        eff *= arch_tma_mc_eff(a, stages * it->mc_tile_bytes);
    return eff;
}

static void try_produce(cta_t *c);
static void try_consume(cta_t *c);
static void next_item(cta_t *c);
static void on_overlap_epi_done(sim_t *sim, void *subject, void *object);
static void cta_start(kx_t *x, cta_t *c, int id);
static void fold_checkpoint(kx_t *x, int item_done);

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

/* The load the consumer waits for has landed. */
static void on_landed(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    cta_t *c = subject;
    assert(c->land_wait);
    c->land_wait = 0;
    try_consume(c);
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

/* A part of slot s lands at t (FIFO servers: known at issue): the slot
 * lands with its last part. */
static void due_max(slot_t *s, sim_ps_t t)
{
    assert(t >= 0 && "kexec's servers are FIFO");
    s->due_ps = t > s->due_ps ? t : s->due_ps;
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
            c->p_due_ps = sim_now(x->sim) + d;
            sim_schedule(x->sim, c->p_due_ps, SIM_PRIO_DEFAULT, on_pre_done, c, NULL);
            break;
        }
        slot_t *s = &c->slots[c->issued % stages];
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
        /* the parts' landing times are known at issue (FIFO servers): one
         * event lands the step when the last part and the TMA round trip are
         * done */
        sim_ps_t now = sim_now(x->sim);
        s->due_ps = tma_floor ? now + sim_ps_from_ns(x->a->tma_latency_ns) : now;
        /* the SM's own load path, in parallel with the shared servers: the
         * step lands when the slowest part has delivered it */
        if (port && load_bytes > 0) {
            x->port_bytes += load_bytes;
            /* the port serves at x->port_gbps: a load at cap_gbps occupies it
             * port_gbps / cap_gbps times its bytes */
            due_max(s, bwserv_transfer(port, load_bytes * x->port_gbps / cap_gbps, NULL, NULL, NULL));
        }
        if (c->p_it.dram_bytes > 0) {
            if (c->p_eff <= 0)
                c->p_eff = load_eff(x->a, &c->p_it, stages);
            x->dram_bytes += c->p_it.dram_bytes;
            due_max(s, bwserv_transfer(x->dram, c->p_it.dram_bytes / c->p_eff, NULL, NULL, NULL));
        }
        x->l2_hit_bytes += c->p_it.l2_bytes;
        if (l2_path > 0)
            due_max(s, bwserv_transfer(x->l2, l2_path, NULL, NULL, NULL));
        s->land_seq = s->due_ps > now ? sim_reserve_seq(x->sim) : 0;
        c->issued++;
        if (++c->p_step == c->p_it.n_steps) {
            c->p_item++;
            c->p_step = 0;
            c->p_pre_done = 0;
            c->p_has = x->k->item(x->k, c->id, c->p_item, &c->p_it);
            c->p_eff = 0;
            assert(!c->p_has || c->p_it.n_steps >= 1);
        }
        /* the issue time delays only a next step: after the CTA's last one the
         * producer is done (and the seat may go to another CTA) */
        if (issue_ns > 0 && c->p_has) {
            c->p_busy = 1;
            c->p_due_ps = sim_now(x->sim) + sim_ps_from_ns(issue_ns);
            sim_schedule(x->sim, c->p_due_ps, SIM_PRIO_DEFAULT, on_issue_done, c, NULL);
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
    /* the producer usually holds it already (item is pure) */
    if (c->p_item == c->c_item)
        c->c_has = c->p_has, c->c_it = c->p_it;
    else
        c->c_has = x->k->item(x->k, c->id, c->c_item, &c->c_it);
    c->c_compute_ps = -1;
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
    assert(c->slots[c->consumed % x->k->stages].due_ps <= sim_now(x->sim));
    c->consumed++;
    c->c_busy = 0;
    if (x->fold && c == x->seats)
        fold_checkpoint(x, c->c_step + 1 == c->c_it.n_steps);
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
            c->c_due_ps = unit_submit(x->sms[c->sm].unit, d, on_epi_done, c, NULL);
        }
    }
    try_produce(c);
    if (!c->c_has)
        cta_maybe_finish(c);
}

static void try_consume(cta_t *c)
{
    kx_t *x = c->kx;
    if (!c->c_has || c->c_busy || c->consumed == c->issued || c->land_wait)
        return;
    const slot_t *s = &c->slots[c->consumed % x->k->stages];
    sim_ps_t now = sim_now(x->sim);
    if (s->due_ps > now ||
        (s->due_ps == now && !sim_ran_by_now(x->sim, SIM_PRIO_COMPLETE, s->land_seq))) {
        c->land_wait = 1;
        sim_schedule_at_seq(x->sim, s->due_ps, SIM_PRIO_COMPLETE, s->land_seq, on_landed, c, NULL);
        return;
    }
    c->c_busy = 1;
    if (x->first_compute_ps < 0)
        x->first_compute_ps = now;
    if (c->c_compute_ps < 0)
        c->c_compute_ps = cyc_ps(x, c->c_it.compute_cyc);
    c->c_due_ps = unit_submit(x->sms[c->sm].unit, c->c_compute_ps, on_compute_done, c, NULL);
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
    c->c_compute_ps = -1;
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

/* ------------------------------------------------------------- folding -- */

int kexec_item_equal(const kitem_t *a, const kitem_t *b)
{
    return a->n_steps == b->n_steps && a->dram_bytes == b->dram_bytes &&
           a->dram_run_bytes == b->dram_run_bytes && a->tma == b->tma &&
           a->tma_box_rows == b->tma_box_rows && a->tma_boxes == b->tma_boxes &&
           a->mc_tile_bytes == b->mc_tile_bytes && a->oob_bytes == b->oob_bytes &&
           a->port_bytes == b->port_bytes && a->l2_bytes == b->l2_bytes &&
           a->compute_cyc == b->compute_cyc && a->pre_cyc == b->pre_cyc &&
           a->epi_cyc == b->epi_cyc && a->epi_dram_bytes == b->epi_dram_bytes;
}

/* Records kept per stream: a repeat is found at lags up to half of it. */
enum { FOLD_HIST = 24 };

/* Items of at least this many steps fold step by step. */
enum { FOLD_LONG_ITEM = 64 };

/* A seat's position (kexec.h "Folding"). */
typedef struct {
    int id;
    int p_item, c_item, p_step, c_step;
    int inflight;            /* issued - consumed */
    int stores, epis;
    int flags;               /* p_has, p_busy, p_pre_done, c_has, c_busy, empty */
    double due_mean, due_rms;  /* of the seat's loads in flight and busy producer and
                                  consumer: when each ends, from now (ps); -1: unknown */
} pos_t;

typedef struct {
    sim_ps_t t;
    int next_cta, done_ctas;
    uint64_t events;
    uint64_t h_step, h_item; /* hashes that a step fold / an item fold leave unchanged */
    double backlog[2];       /* DRAM, L2 (bwserv_backlog_ps) */
    double tm[3];            /* pending events and transfers in flight: count, sum and
                                sum of squares of their times from now */
    double *acc;             /* statistics (acc_read) */
    pos_t *pos;              /* per seat */
} rec_t;

typedef struct {
    rec_t rec[FOLD_HIST];
    int head, n;             /* ring; rec[head] is the oldest */
} stream_t;

typedef enum { FOLD_STEPS, FOLD_ITEMS, FOLD_CTAS } fold_kind_t;

struct fold {
    stream_t step, item;     /* records at seat 0's steps / at the ends of its items */
    int na;                  /* statistics per record */
    int *acc_is_ps;          /* 1: a time, compared within the tolerance */
    int pending;             /* a checkpoint event is scheduled */
    int pending_item;        /* ... and it records the item stream too */
    double *d1, *d2;         /* statistics per period */
};

static int n_seats(const kx_t *x)
{
    return x->n_sm * x->k->ctas_per_sm;
}

static int n_ports(const kx_t *x)
{
    return x->port_gbps > 0 ? x->n_sm : 0;
}

/* Statistics per SM: its load path's (if any) and its two units'. */
static int acc_per_sm(const kx_t *x)
{
    return 3 * (n_ports(x) > 0) + 4;
}

/* Statistics before this index are the kernel's and the shared servers';
 * then come acc_per_sm per SM. */
enum { ACC_GLOBAL = 5 + 3 * 2 };

static int acc_count(const kx_t *x)
{
    return ACC_GLOBAL + acc_per_sm(x) * x->n_sm;
}

/* Every statistic that grows with the work done, in a fixed order; is_ps
 * (optional) marks the times. */
static void acc_read(const kx_t *x, double *v, int *is_ps)
{
    int j = 0;
#define PUT(val, ps)                                                          \
    do {                                                                      \
        v[j] = (val);                                                         \
        if (is_ps)                                                            \
            is_ps[j] = (ps);                                                  \
        j++;                                                                  \
    } while (0)
#define PUT_SERVER(b)                                                         \
    do {                                                                      \
        PUT(bwserv_bytes(b), 0);                                              \
        PUT((double)bwserv_busy_ps(b), 1);                                    \
        PUT((double)bwserv_transfers(b), 0);                                  \
    } while (0)
    PUT(x->pre_ps_sum, 1);
    PUT(x->epi_ps_sum, 1);
    PUT(x->dram_bytes, 0);
    PUT(x->l2_hit_bytes, 0);
    PUT(x->port_bytes, 0);
    PUT_SERVER(x->dram);
    PUT_SERVER(x->l2);
    assert(j == ACC_GLOBAL);
    for (int i = 0; i < x->n_sm; i++) {
        if (n_ports(x) > 0)
            PUT_SERVER(x->sms[i].port);
        PUT((double)unit_busy_ps(x->sms[i].unit), 1);
        PUT((double)unit_requests(x->sms[i].unit), 0);
        PUT((double)unit_busy_ps(x->sms[i].epi), 1);
        PUT((double)unit_requests(x->sms[i].epi), 0);
    }
#undef PUT_SERVER
#undef PUT
    assert(j == acc_count(x));
}

static uint64_t mix(uint64_t h, int64_t v)
{
    h ^= (uint64_t)v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xBF58476D1CE4E5B9ull;
}

/* The mean and rms, from now, of when the seat's outstanding work ends: its
 * loads in flight, a busy producer's issue or pre work, a busy consumer's
 * step or epilogue. -1 when a load's landing is not known at issue. */
static void seat_dues(const kx_t *x, const cta_t *c, double *mean, double *rms)
{
    sim_ps_t now = sim_now(x->sim);
    double n = 0, sum = 0, sq = 0;
    int stages = x->k->stages;
    for (long i = c->consumed; i < c->issued; i++) {
        const slot_t *s = &c->slots[i % stages];
        if (s->due_ps <= now)
            continue;
        if (s->due_ps < 0) {
            *mean = *rms = -1;
            return;
        }
        double d = (double)(s->due_ps - now);
        n++, sum += d, sq += d * d;
    }
    if (c->p_busy) {
        double d = (double)(c->p_due_ps - now);
        n++, sum += d, sq += d * d;
    }
    if (c->c_busy) {
        double d = (double)(c->c_due_ps - now);
        n++, sum += d, sq += d * d;
    }
    *mean = n > 0 ? sum / n : 0;
    *rms = n > 0 ? sqrt(sq / n) : 0;
}

static void rec_take(const kx_t *x, rec_t *r)
{
    r->t = sim_now(x->sim);
    r->next_cta = x->next_cta;
    r->done_ctas = x->done_ctas;
    r->events = sim_events(x->sim);
    r->backlog[0] = bwserv_backlog_ps(x->dram);
    r->backlog[1] = bwserv_backlog_ps(x->l2);
    r->tm[0] = r->tm[1] = r->tm[2] = 0;
    sim_pending_moments(x->sim, &r->tm[0], &r->tm[1], &r->tm[2]);
    bwserv_moments(x->dram, &r->tm[0], &r->tm[1], &r->tm[2]);
    bwserv_moments(x->l2, &r->tm[0], &r->tm[1], &r->tm[2]);
    for (int i = 0; i < n_ports(x); i++)
        bwserv_moments(x->sms[i].port, &r->tm[0], &r->tm[1], &r->tm[2]);
    acc_read(x, r->acc, NULL);
    uint64_t hs = 0, hi = 0;
    for (int i = 0; i < n_seats(x); i++) {
        const cta_t *c = &x->seats[i];
        pos_t *p = &r->pos[i];
        if (c->id < 0) {
            *p = (pos_t){.id = -1, .flags = 1 << 5};
        } else {
            *p = (pos_t){.id = c->id, .p_item = c->p_item, .c_item = c->c_item,
                         .p_step = c->p_step, .c_step = c->c_step,
                         .inflight = (int)(c->issued - c->consumed), .stores = c->stores,
                         .epis = c->epis,
                         .flags = c->p_has | c->p_busy << 1 | c->p_pre_done << 2 |
                                  c->c_has << 3 | c->c_busy << 4};
            seat_dues(x, c, &p->due_mean, &p->due_rms);
        }
        uint64_t same = mix(mix(mix(mix(0, p->inflight), p->stores), p->epis), p->flags);
        hs = mix(mix(mix(mix(mix(hs, (int64_t)same), p->id), p->p_item), p->c_item),
                 p->p_step - p->c_step);
        hi = mix(mix(mix(hi, (int64_t)same), p->p_step), p->c_step);
    }
    r->h_step = hs;
    r->h_item = hi;
}

static rec_t *stream_at(stream_t *st, int i)   /* i = 0: the oldest */
{
    return &st->rec[(st->head + i) % FOLD_HIST];
}

static rec_t *stream_push(stream_t *st)
{
    if (st->n == FOLD_HIST) {
        st->head = (st->head + 1) % FOLD_HIST;
        st->n--;
    }
    return stream_at(st, st->n++);
}

static int near(double x, double y, double abs_tol)
{
    return fabs(x - y) <= abs_tol + KEXEC_FOLD_TOL_REL * fmax(fabs(x), fabs(y));
}

/* The same position up to the work done: loads in flight, stores and
 * epilogues in flight, flags, and when the outstanding work ends (within
 * tol_ps). */
static int same_pos(const pos_t *a, const pos_t *b, double tol_ps)
{
    return a->inflight == b->inflight && a->stores == b->stores && a->epis == b->epis &&
           a->flags == b->flags && a->due_mean >= 0 && b->due_mean >= 0 &&
           fabs(a->due_mean - b->due_mean) <= tol_ps && fabs(a->due_rms - b->due_rms) <= tol_ps;
}

/* Times of a state that repeats with period period_ps agree within this. */
static double time_tol(double period_ps)
{
    return KEXEC_FOLD_TOL_PS + KEXEC_FOLD_TOL_REL * period_ps;
}

static int64_t unit_of(const kx_t *x, int id, int item)
{
    return (int64_t)id + (int64_t)item * x->k->n_ctas;
}

/* The most periods every seat can still move along its repeated work (its
 * positions stay in the item, its units in the repeating stretch), given
 * the per-seat deltas of one period; 0 when the three records are not a
 * repeat of kind kind. */
static int64_t fold_room(const kx_t *x, fold_kind_t kind, const rec_t *a, const rec_t *b,
                         const rec_t *c)
{
    int64_t room = INT64_MAX;
    int moved = 0;
    int64_t lo = INT64_MAX, hi = -1;   /* FOLD_CTAS: the units run over */
    int dn = c->next_cta - b->next_cta;
    if (kind == FOLD_CTAS) {
        if (dn <= 0 || b->next_cta - a->next_cta != dn || c->done_ctas - b->done_ctas != dn ||
            b->done_ctas - a->done_ctas != dn)
            return 0;
    } else if (c->next_cta != a->next_cta || c->done_ctas != a->done_ctas) {
        return 0;
    }
    for (int i = 0; i < n_seats(x); i++) {
        const pos_t *pa = &a->pos[i], *pb = &b->pos[i], *pc = &c->pos[i];
        double tol = time_tol((double)(c->t - b->t));
        if (kind != FOLD_CTAS && (!same_pos(pa, pb, tol) || !same_pos(pb, pc, tol)))
            return 0;
        if (pc->id < 0 || pa->id < 0)
            continue;
        const cta_t *s = &x->seats[i];
        if (kind == FOLD_STEPS) {
            int d = pc->c_step - pb->c_step;
            if (pa->id != pc->id || pb->id != pc->id || pa->p_item != pc->p_item ||
                pb->p_item != pc->p_item || pa->c_item != pc->c_item || pb->c_item != pc->c_item ||
                pb->c_step - pa->c_step != d || pc->p_step - pb->p_step != d ||
                pb->p_step - pa->p_step != d || d <= 0)
                return 0;   /* a seat that did not move: not a whole period */
            moved = 1;
            int64_t left_c = (s->c_it.n_steps - 1 - pc->c_step) / d;
            int64_t left_p = (s->p_it.n_steps - 1 - pc->p_step) / d;
            room = left_c < room ? left_c : room;
            room = left_p < room ? left_p : room;
        } else if (kind == FOLD_ITEMS) {
            int d = pc->c_item - pb->c_item;
            if (pa->id != pc->id || pb->id != pc->id || pa->p_step != pc->p_step ||
                pb->p_step != pc->p_step || pa->c_step != pc->c_step || pb->c_step != pc->c_step ||
                pb->c_item - pa->c_item != d || pc->p_item - pb->p_item != d ||
                pb->p_item - pa->p_item != d || d <= 0)
                return 0;   /* a seat that did not move: not a whole period */
            moved = 1;
            /* every unit from the consumer's item at a to the producer's
             * item K + 1 periods on lies in one stretch that repeats with a
             * period the seat's move spans whole */
            int64_t first = unit_of(x, pa->id, pa->c_item);
            int64_t last = unit_of(x, pc->id, pc->p_item);
            int64_t period, end = x->k->repeat(x->k, first, &period);
            int64_t step = (int64_t)d * x->k->n_ctas;
            if (step % period != 0)
                return 0;
            int64_t r = (end - 1 - last) / step;
            room = r < room ? r : room;
        } else {
            /* the CTAs are relabelled, not moved: their positions may differ */
            lo = pa->id < lo ? pa->id : lo;
            hi = pc->id > hi ? pc->id : hi;
        }
    }
    if (kind == FOLD_CTAS) {
        /* the CTAs run before (from the lowest seated at a) and to come (up to
         * the highest seated or started at c, K + 1 periods on) are one
         * stretch of single-item CTAs repeating with a period dn spans */
        if (hi < 0)
            return 0;
        hi = c->next_cta - 1 > hi ? c->next_cta - 1 : hi;
        kitem_t it;
        if (x->k->item(x->k, (int)lo, 1, &it) || x->k->item(x->k, (int)hi, 1, &it))
            return 0;
        int64_t period, end = x->k->repeat(x->k, lo, &period);
        if (dn % period != 0)
            return 0;
        if (end > x->k->n_ctas)
            end = x->k->n_ctas;
        return (end - 1 - hi) / dn;
    }
    return moved ? room : 0;
}

/* 1 when the statistics grew alike in both periods and the backlogs match. */
/* 1 when the work in flight at r and s lies alike ahead of them: as many
 * pending events and transfers, with the same mean and spread of their times
 * from now (a state moved in time has the same). Positions alone do not tell
 * a repeat from a burst (loads issued together land one after the other). */
static int timing_alike(const rec_t *r, const rec_t *s, double tol_ps)
{
    if (r->tm[0] != s->tm[0])
        return 0;
    if (r->tm[0] == 0)
        return 1;
    double n = r->tm[0], mr = r->tm[1] / n, ms = s->tm[1] / n;
    double vr = fmax(0, r->tm[2] / n - mr * mr), vs = fmax(0, s->tm[2] / n - ms * ms);
    return fabs(mr - ms) <= tol_ps && fabs(sqrt(vr) - sqrt(vs)) <= tol_ps;
}

/* A CTA fold relabels CTAs, so which SM ran how many in a period varies: it
 * compares the kernel's and shared servers' statistics only, and moves every
 * SM by the mean of theirs (the seats are alike, so in the long run each SM
 * runs the same share). */
static int fold_steady(const fold_t *f, fold_kind_t kind, const rec_t *a, const rec_t *b,
                       const rec_t *c)
{
    double tol = time_tol((double)(c->t - b->t));
    for (int k = 0; k < 2; k++)
        if (fabs(c->backlog[k] - b->backlog[k]) > tol || fabs(b->backlog[k] - a->backlog[k]) > tol)
            return 0;
    /* a statistic read mid-transfer jitters by up to a period's tolerance (a
     * time) or one transfer's worth (a count or bytes) */
    for (int j = 0; j < (kind == FOLD_CTAS ? ACC_GLOBAL : f->na); j++) {
        f->d1[j] = b->acc[j] - a->acc[j];
        f->d2[j] = c->acc[j] - b->acc[j];
        double rel = f->acc_is_ps[j] ? KEXEC_FOLD_TOL_REL : 2 * KEXEC_FOLD_TOL_REL;
        if (f->d2[j] < 0 ||
            fabs(f->d1[j] - f->d2[j]) > (f->acc_is_ps[j] ? tol : 1) + rel * fmax(f->d1[j], f->d2[j]))
            return 0;
    }
    return 1;
}

/* Move the whole simulation k windows of c - b on (kexec.h "Folding"); the
 * window is the two periods a..c that fold_try found alike. */
static void fold_apply(kx_t *x, fold_kind_t kind, int64_t k, const rec_t *b, const rec_t *c)
{
    fold_t *f = x->fold;
    sim_ps_t d_ps = k * (c->t - b->t);
    for (int j = 0; j < f->na; j++)
        f->d2[j] = c->acc[j] - b->acc[j];
    int per = acc_per_sm(x);
    int dn = c->next_cta - b->next_cta;
    if (kind == FOLD_CTAS) {
        /* the window ran dn whole CTAs' worth of work (alike, seat 0's item):
         * their bytes and producer and epilogue times exactly */
        const kitem_t *it = &x->seats[0].c_it;
        double steps = it->n_steps, load = it->port_bytes > 0 ? it->port_bytes
                                                                : it->dram_bytes + it->l2_bytes;
        f->d2[0] = dn * (double)cyc_ps(x, it->pre_cyc);
        f->d2[1] = dn * (double)cyc_ps(x, it->epi_cyc);
        f->d2[2] = dn * (steps * it->dram_bytes + it->epi_dram_bytes);
        f->d2[3] = dn * steps * it->l2_bytes;
        double cap = it->tma && x->a->sm_tma_gbps > 0 ? x->a->sm_tma_gbps : x->a->sm_load_gbps;
        f->d2[4] = n_ports(x) > 0 && cap > 0 && load > 0 ? dn * steps * load : 0;
        /* each SM's statistics: the mean over the SMs (fold_steady) */
        for (int e = 0; e < per; e++) {
            double sum = 0;
            for (int i = 0; i < x->n_sm; i++)
                sum += f->d2[ACC_GLOBAL + per * i + e];
            for (int i = 0; i < x->n_sm; i++)
                f->d2[ACC_GLOBAL + per * i + e] = sum / x->n_sm;
        }
    }
    sim_shift(x->sim, d_ps);
    const double *d = f->d2;
    x->pre_ps_sum += (double)k * d[0];
    x->epi_ps_sum += (double)k * d[1];
    x->dram_bytes += (double)k * d[2];
    x->l2_hit_bytes += (double)k * d[3];
    x->port_bytes += (double)k * d[4];
    bwserv_shift(x->dram, d_ps, k, d[5], d[6], (uint64_t)llround(d[7]));
    bwserv_shift(x->l2, d_ps, k, d[8], d[9], (uint64_t)llround(d[10]));
    for (int i = 0; i < x->n_sm; i++) {
        const double *e = d + ACC_GLOBAL + per * i;
        if (n_ports(x) > 0) {
            bwserv_shift(x->sms[i].port, d_ps, k, e[0], e[1], (uint64_t)llround(e[2]));
            e += 3;
        }
        unit_shift(x->sms[i].unit, d_ps, k, (sim_ps_t)llround(e[0]), (uint64_t)llround(e[1]));
        unit_shift(x->sms[i].epi, d_ps, k, (sim_ps_t)llround(e[2]), (uint64_t)llround(e[3]));
    }
    int *busy_sm = xcalloc((size_t)x->n_sm, sizeof *busy_sm);
    for (int i = 0; i < n_seats(x); i++) {
        cta_t *s = &x->seats[i];
        if (s->id < 0)
            continue;
        busy_sm[s->sm] = 1;
        /* the seat's own absolute times move with the clock */
        for (long j = s->consumed; j < s->issued; j++)
            s->slots[j % x->k->stages].due_ps += d_ps;
        s->p_due_ps += d_ps;
        s->c_due_ps += d_ps;
        const pos_t *pb = &b->pos[i], *pc = &c->pos[i];
        if (kind == FOLD_STEPS) {
            int d = pc->c_step - pb->c_step;
            s->p_step += (int)(k * d);
            s->c_step += (int)(k * d);
            assert(s->c_step < s->c_it.n_steps && s->p_step < s->p_it.n_steps);
        } else if (kind == FOLD_ITEMS) {
            int d = pc->c_item - pb->c_item;
            s->p_item += (int)(k * d);
            s->c_item += (int)(k * d);
        } else {
            s->id += (int)(k * dn);
            assert(s->id < x->k->n_ctas);
        }
    }
    if (kind == FOLD_CTAS) {
        x->next_cta += (int)(k * dn);
        x->done_ctas += (int)(k * dn);
        assert(x->next_cta <= x->k->n_ctas);
    }
    for (int i = 0; i < x->n_sm; i++)
        if (busy_sm[i])
            x->sms[i].last_finish_ps += d_ps;
    free(busy_sm);
    x->events_folded += (uint64_t)k * (c->events - b->events);
    x->folds++;
    f->step.n = f->step.head = 0;
    f->item.n = f->item.head = 0;
}

/* Look for a repeat ending at the newest record of st; fold when found. */
static int fold_try(kx_t *x, stream_t *st, int items)
{
    fold_t *f = x->fold;
    rec_t *c = stream_at(st, st->n - 1);
    for (int lag = 1; 2 * lag < st->n; lag++) {
        rec_t *b = stream_at(st, st->n - 1 - lag), *a = stream_at(st, st->n - 1 - 2 * lag);
        sim_ps_t p1 = b->t - a->t, p2 = c->t - b->t;
        if (p2 <= 0 || !near((double)p1, (double)p2, KEXEC_FOLD_TOL_PS))
            continue;
        fold_kind_t kind = FOLD_STEPS;
        if (items) {
            if (x->k->repeat == NULL)
                continue;
            kind = c->next_cta != b->next_cta ? FOLD_CTAS : FOLD_ITEMS;
            if (kind == FOLD_ITEMS && (a->h_item != c->h_item || b->h_item != c->h_item))
                continue;
        } else if (a->h_step != c->h_step || b->h_step != c->h_step) {
            continue;
        }
        /* step and item folds move each seat along its work: the state must
         * repeat; a CTA fold relabels CTAs: it needs a whole turn of the seats
         * per period at a steady rate */
        if (kind == FOLD_CTAS ? c->next_cta - b->next_cta < n_seats(x)
                              : !timing_alike(a, c, time_tol((double)p2)) ||
                                    !timing_alike(b, c, time_tol((double)p2)))
            continue;
        /* room for `periods`: folded as whole windows a..c, and an odd one
         * as the period b..c */
        int64_t periods = fold_room(x, kind, a, b, c), k = periods / 2;
        /* a fold of fewer than two windows saves less than it checks; a step
         * fold is for long items (short ones fold as whole items) */
        if (k < 2 || !fold_steady(f, kind, a, b, c))
            continue;
        if (kind == FOLD_STEPS && (x->seats[0].c_it.n_steps < FOLD_LONG_ITEM ||
                                   2 * k * (c->pos[0].c_step - b->pos[0].c_step) < FOLD_LONG_ITEM / 4))
            continue;
        int64_t most = (INT64_MAX / 4 - c->t) / (c->t - a->t);
        if (k > most)
            k = most, periods = 2 * most;
        fold_apply(x, kind, k, a, c);
        if (periods % 2)
            fold_apply(x, kind, 1, b, c);
        return 1;
    }
    return 0;
}

int64_t kexec_gcd(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Item records are taken where seat 0 stands at the same phase of its work's
 * repeat: every period / gcd(period, n_ctas) of its items, so that a lag of
 * one record spans whole periods. */
static int at_item_phase(const kx_t *x)
{
    const cta_t *c = &x->seats[0];
    if (x->k->repeat == NULL || c->id < 0 || !c->c_has)
        return 0;
    int64_t period;
    x->k->repeat(x->k, unit_of(x, c->id, c->c_item), &period);
    return c->c_item % (period / kexec_gcd(period, x->k->n_ctas)) == 0;
}

static void on_checkpoint(sim_t *sim, void *subject, void *object)
{
    (void)sim;
    (void)object;
    kx_t *x = subject;
    fold_t *f = x->fold;
    int item = f->pending_item;
    f->pending = f->pending_item = 0;
    if (item && at_item_phase(x)) {
        rec_take(x, stream_push(&f->item));
        if (fold_try(x, &f->item, 1))
            return;
    }
    if (x->seats[0].c_it.n_steps >= FOLD_LONG_ITEM) {
        rec_take(x, stream_push(&f->step));
        fold_try(x, &f->step, 0);
    }
}

/* Seat 0 finished a step (item_done: its item's last): record the positions
 * once every event of this ps has run. */
static void fold_checkpoint(kx_t *x, int item_done)
{
    fold_t *f = x->fold;
    if (!item_done && x->seats[0].c_it.n_steps < FOLD_LONG_ITEM)
        return;   /* short items fold whole: no step record needed */
    f->pending_item |= item_done;
    if (!f->pending) {
        f->pending = 1;
        sim_schedule(x->sim, sim_now(x->sim), SIM_PRIO_STATS, on_checkpoint, x, NULL);
    }
}

static fold_t *fold_create(const kx_t *x)
{
    fold_t *f = xcalloc(1, sizeof *f);
    f->na = acc_count(x);
    f->acc_is_ps = xcalloc((size_t)f->na, sizeof *f->acc_is_ps);
    f->d1 = xcalloc((size_t)f->na, sizeof *f->d1);
    f->d2 = xcalloc((size_t)f->na, sizeof *f->d2);
    double *scratch = xcalloc((size_t)f->na, sizeof *scratch);
    acc_read(x, scratch, f->acc_is_ps);
    free(scratch);
    stream_t *streams[2] = {&f->step, &f->item};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < FOLD_HIST; i++) {
            streams[s]->rec[i].acc = xcalloc((size_t)f->na, sizeof(double));
            streams[s]->rec[i].pos = xcalloc((size_t)n_seats(x), sizeof(pos_t));
        }
    return f;
}

static void fold_destroy(fold_t *f)
{
    if (f == NULL)
        return;
    stream_t *streams[2] = {&f->step, &f->item};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < FOLD_HIST; i++) {
            free(streams[s]->rec[i].acc);
            free(streams[s]->rec[i].pos);
        }
    free(f->acc_is_ps);
    free(f->d1);
    free(f->d2);
    free(f);
}


void kexec_bound_add(const arch_t *a, const kspec_t *k, const kitem_t *it, double m,
                     double acc[KEXEC_BOUND_ACC])
{
    double dram_bw = arch_dram_bw_bytes_per_ps(a), l2_bw = arch_l2_bw_bytes_per_ps(a);
    double l2_per_oob = a->tma_oob_gbps > 0 ? a->l2_bw_gbps / a->tma_oob_gbps : 0;
    double ps_per_cyc = arch_ps_per_cycle(a), steps = it->n_steps;
    if (it->dram_bytes > 0)
        acc[0] += m * steps * it->dram_bytes / load_eff(a, it, k->stages) / dram_bw;
    acc[0] += m * it->epi_dram_bytes / dram_bw;
    acc[1] += m * steps * (it->l2_bytes + it->dram_bytes + it->oob_bytes * l2_per_oob) / l2_bw;
    acc[2] += m * (steps * (double)llround(it->compute_cyc * ps_per_cyc) +
                   (k->epi_overlap ? 0 : (double)llround(it->epi_cyc * ps_per_cyc)));
}

sim_ps_t kexec_bound_of(const arch_t *a, const double acc[KEXEC_BOUND_ACC])
{
    double lb = fmax(fmax(acc[0] + (double)sim_ps_from_ns(a->dram_latency_ns),
                          acc[1] + (double)sim_ps_from_ns(a->l2_latency_ns)),
                     acc[2] / a->n_sm);
    return (sim_ps_t)floor(lb * (1 - 1e-9));
}

sim_ps_t kexec_bound_ps(const arch_t *a, const kspec_t *k)
{
    double acc[KEXEC_BOUND_ACC] = {0};
    int64_t n = k->n_ctas;
    kitem_t it;
    /* units u = cta + idx x n_ctas, a stretch of repeats at a time where
     * declared; n_ctas units in a row without an item: every CTA is done */
    for (int64_t u = 0, empty = 0; empty < n;) {
        int64_t period = 1, end = k->repeat ? k->repeat(k, u, &period) : u + 1;
        assert(end > u && period >= 1);
        /* unit v of the first period stands for its repeats in [u, end); a
         * run of equal units within a long period counts at once */
        for (int64_t v = u, next; v < u + period && v < end; v = next) {
            int has = k->item(k, (int)(v % n), (int)(v / n), &it);
            int64_t count = (end - 1 - v) / period + 1;
            next = v + 1;
            if (!has) {
                empty += count < n ? count : n;
                continue;
            }
            empty = 0;
            double m = (double)count;
            int64_t run_period = 1, run_end = period > 1 ? k->repeat(k, v, &run_period) : v;
            if (run_period == 1 && run_end > next) {
                next = run_end < u + period ? run_end : u + period;
                next = next < end ? next : end;
                /* units up to w have count repeats, the rest count - 1 */
                int64_t w = end - 1 - (count - 1) * period, last = next - 1 < w ? next - 1 : w;
                m = (double)(last - v + 1) * (double)count +
                    (double)(next - 1 > w ? next - 1 - w : 0) * (double)(count - 1);
            }
            kexec_bound_add(a, k, &it, m, acc);
        }
        u = end;
    }
    return kexec_bound_of(a, acc);
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
    if (!k->no_fold)
        x.fold = fold_create(&x);
    sim_schedule(x.sim, 0, SIM_PRIO_DEFAULT, on_launch, &x, NULL);
    uint64_t limit = k->max_events > 0 && k->max_events < KEXEC_MAX_EVENTS ? k->max_events
                                                                           : KEXEC_MAX_EVENTS;
    uint64_t events = sim_run_bounded(x.sim, k->deadline_ps > 0 ? k->deadline_ps : INT64_MAX,
                                      limit);
    int cut = sim_pending(x.sim) > 0;
    int too_long = cut && events >= limit;
    assert(cut || x.done_ctas == k->n_ctas);

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
        out->unused_sm_frac += x.sms[i].last_finish_ps == 0 ? 1.0 / x.n_sm : 0;
    }
    out->tail_idle_frac = gsl_stats_mean(idle, 1, (size_t)x.n_sm);
    free(idle);
    out->first_compute_ps = x.first_compute_ps < 0 ? 0 : x.first_compute_ps;
    out->pre_ps_sum = x.pre_ps_sum;
    out->epi_ps_sum = x.epi_ps_sum;
    out->waves = (k->n_ctas + seats - 1) / seats;
    out->events = events;
    out->events_folded = x.events_folded;
    out->folds = x.folds;
    out->cut = cut && !too_long;
    out->over = too_long && k->max_events > 0;

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
    fold_destroy(x.fold);
    bwserv_destroy(x.l2);
    bwserv_destroy(x.dram);
    sim_destroy(x.sim);
    if (too_long && k->max_events == 0) {
        snprintf(err, errlen, "%d CTAs took more than %llu events of simulation (%d of them done, "
                 "%.3g us simulated) and their work does not repeat in a way gbsim folds; gbsim "
                 "simulates at most %llu events per launch", k->n_ctas,
                 (unsigned long long)KEXEC_MAX_EVENTS, x.done_ctas,
                 (double)out->dur_ps * 1e-6, (unsigned long long)KEXEC_MAX_EVENTS);
        return -1;
    }
    return 0;
}
