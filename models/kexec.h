/* kexec.h -- executes one kernel launch on the event engine at CTA granularity.
 *
 * A kernel is a grid of CTAs placed on SMs (ctas_per_sm resident per SM,
 * breadth-first: CTA i starts on SM i % n_sm, later CTAs take the slot of the
 * first CTA to finish). Each CTA runs a list of work items (a GEMM tile, a
 * block of GEMV rows, a KV chunk). An item is a pipeline of n_steps steps:
 *
 *   producer: [pre_cyc] then, for each step, a load of dram_bytes through the
 *             shared DRAM server; of dram_bytes + l2_bytes + TMA zero fill
 *             (oob_bytes, weighted by arch l2_bw_gbps / tma_oob_gbps) through
 *             the shared L2 return path; and of port_bytes through the SM's
 *             own load path (arch sm_load_gbps, sm_tma_gbps for TMA; FIFO per
 *             SM, when the arch caps it), landing when all have, and no
 *             sooner than the arch's TMA round trip for TMA steps; a TMA step
 *             then occupies the producer for its issue time (arch
 *             tma_stage_issue_ns + tma_boxes x tma_box_issue_ns); at most
 *             `stages` steps loaded but not yet consumed (the smem ring or
 *             the loads a thread keeps in flight);
 *   consumer: for each step in order, once its load has landed, compute_cyc
 *             on the SM's execution unit (shared by the SM's CTAs, FIFO);
 *             consuming a step frees its slot; after the last step,
 *             epi_cyc on the unit, then a store of epi_dram_bytes.
 *
 * The producer runs ahead into the next item while the consumer finishes the
 * current one (as a warp-specialized persistent kernel does). With
 * epi_overlap the epilogue goes to the SM's second (epilogue) unit and the
 * consumer starts the next item at once. The kernel ends
 * when every CTA has finished and every store has landed.
 *
 * The producer is the SM's copy issuer: its pre-work (a tensormap update)
 * and the loads it issues are serialized per CTA, as one elected producer
 * thread issues TMA. The tensor pipe (mainloop compute) and, with
 * epi_overlap, an epilogue warp group are per-SM FIFO units.
 *
 * Invariants (asserted): loads in flight per CTA never exceed stages; the
 * consumer never starts a step before its load completes.
 *
 * Folding. A long kernel repeats itself: the steps of an item, the items of
 * a persistent CTA, the CTAs of a wide grid. Each time the reference seat
 * (seat 0) finishes a step of a long item, and each time it finishes an item
 * at the same phase of its work's repeat, kexec records every seat's
 * position: its CTA, its producer's and consumer's items and steps, loads,
 * stores and epilogues in flight, busy flags, and when its outstanding work
 * ends. When three records a, b, c at equal distances show the same
 * positions up to a repeat -- every seat further along the same items by the
 * same steps in both periods (a step fold), or every seat at the same steps
 * of items that are the same as before (an item fold: spec.repeat says which
 * units are the same) -- with the work in flight ending alike, and both
 * periods took the same time and moved the same bytes (within
 * KEXEC_FOLD_TOL_PS and KEXEC_FOLD_TOL_REL), the next K periods are taken to
 * repeat as well: the clock, every pending event and every absolute time move
 * K periods later, every seat moves K periods along its work, and every
 * statistic grows by K times a period's. A wide grid of equal single-item
 * CTAs that turns every seat over in a period at a steady rate folds by
 * relabelling CTAs (a CTA fold). K keeps every position inside its item and
 * every unit inside its repeating stretch, so every change of work is
 * simulated. A kernel shorter than a few periods of its own repeat folds
 * nothing and is simulated event by event. */
#ifndef GBSIM_KEXEC_H
#define GBSIM_KEXEC_H

#include "sim/sim.h"
#include "models/arch.h"

typedef struct {
    int n_steps;            /* >= 1 */
    double dram_bytes;      /* per step */
    double dram_run_bytes;  /* contiguous bytes per DRAM row visit of those loads
                               (0 = streaming); costs 1/arch_dram_load_eff */
    int tma;                /* 1: loaded as TMA k-tile boxes (arch dram_tma_eff) */
    double tma_box_rows;    /* rows of the DRAM operand's TMA boxes (a multicast
                               tile's whole rows): arch_dram_load_eff; 0 = 128 */
    int tma_boxes;          /* TMA boxes the CTA's producer issues per step (arch
                               tma_*_issue_ns occupy it per step); 0 = not counted */
    double mc_tile_bytes;   /* per step, the whole tile the DRAM bytes are this CTA's
                               share of when a cluster shares it by TMA multicast
                               (arch_tma_mc_eff at stages x this); 0 = no multicast */
    double oob_bytes;       /* per step, TMA box bytes this CTA issues past the
                               tensor (zero-filled: no DRAM, but the L2 return
                               path at arch tma_oob_gbps) */
    double port_bytes;      /* per step, bytes landing in this SM (TMA multicast
                               delivers more than the CTA issues); 0 = dram + l2 */
    double l2_bytes;        /* per step */
    double compute_cyc;     /* per step, SM cycles */
    double pre_cyc;         /* producer cycles before the first load */
    double epi_cyc;         /* consumer cycles after the last step */
    double epi_dram_bytes;  /* store after the epilogue */
} kitem_t;

typedef struct kspec kspec_t;
struct kspec {
    int n_ctas;             /* >= 1 */
    int ctas_per_sm;        /* >= 1 */
    int stages;             /* >= 1 */
    /* Fill *out with item idx (0, 1, ...) of CTA cta; return 0 when the CTA
     * has no item idx. Every CTA has at least item 0. Must be pure. */
    int (*item)(const kspec_t *k, int cta, int idx, kitem_t *out);
    const void *ctx;        /* the kernel model's own data */
    int epi_overlap;        /* 1: the epilogue runs beside the next item's mainloop
                               (pingpong: the other math warp group keeps the tensor
                               pipe busy); 0: the consumer waits for it */
    /* Optional, for folding whole items and CTAs. Unit cta + idx x n_ctas
     * stands for item idx of CTA cta; units past a CTA's last item have none
     * (and differ from those with one). Writes *period >= 1 and returns end > u
     * such that item(v) == item(v + *period) for every v in [u, end - *period)
     * (a period of 1: [u, end) are equal units). Must be pure. NULL: only the
     * steps within an item are folded. */
    int64_t (*repeat)(const kspec_t *k, int64_t u, int64_t *period);
    sim_ps_t deadline_ps;   /* > 0: stop at this time if the kernel has not ended
                               (kresult_t.cut) */
    int no_fold;            /* 1: simulate every event (tests compare with folding) */
    uint64_t max_events;    /* > 0: stop after this many events (kresult_t.over: the
                               launch needs more; the other fields are partial), for a
                               caller with a cheaper way; 0: KEXEC_MAX_EVENTS, past
                               which kexec_run fails */
};

/* Folding takes two periods as alike when their times, backlogs and
 * statistics, and the times at which the work in flight ends (from the
 * record), differ by at most KEXEC_FOLD_TOL_PS plus KEXEC_FOLD_TOL_REL of the
 * period: FIFO completions fall on whole ps, so a period of fractional-ps
 * services jitters by 1 ps, and a DRAM-bound grid of CTAs drifts by a
 * transfer or so per wave. A fold moves by the two periods' sum, so its error
 * is of the order of that tolerance (tests/tolerance_test.sh bounds it). */
#define KEXEC_FOLD_TOL_PS 2
#define KEXEC_FOLD_TOL_REL 1e-3

typedef struct {
    sim_ps_t dur_ps;            /* first CTA start to last store landed */
    double dram_bytes;          /* loaded + stored through DRAM (real bytes) */
    double l2_bytes;
    double port_bytes;          /* received by the SMs' load paths (whole TMA boxes,
                                   multicast copies); 0 when the arch has no cap */
    sim_ps_t dram_busy_ps;      /* DRAM server time with >= 1 transfer in service */
    sim_ps_t l2_busy_ps;        /* the same for the L2 return path (hits, DRAM fills,
                                   TMA zero fill) */
    sim_ps_t unit_busy_max_ps;  /* busiest SM execution unit */
    sim_ps_t first_compute_ps;  /* time of the first consumer step (pipeline fill) */
    double pre_ps_sum;          /* producer pre work summed over CTAs */
    double epi_ps_sum;          /* epilogue work summed over CTAs */
    double tail_idle_frac;      /* mean over SMs of idle time after their last CTA / dur */
    double unused_sm_frac;      /* SMs that ran no CTA / all SMs (each idles the whole dur) */
    int waves;                  /* ceil(n_ctas / (n_sm * ctas_per_sm)) */
    uint64_t events;            /* events executed */
    uint64_t events_folded;     /* events the folds stood in for (not executed) */
    int folds;                  /* folds taken */
    int cut;                    /* 1: stopped at spec.deadline_ps (the kernel runs
                                   longer; the other fields are partial) */
    int over;                   /* 1: stopped at spec.max_events (partial, as cut) */
} kresult_t;

/* The most CTAs of a launch, items of a CTA or steps of an item that kexec
 * simulates (int counters). Kernel models refuse larger launches with a
 * message naming the limit; below it, folding keeps the time a long kernel
 * takes to simulate from growing with its size. */
#define KEXEC_MAX_COUNT (1 << 30)

/* The most events kexec executes for one launch (about 10 s on a 2020s core):
 * a launch whose work does not repeat in a way folding takes, and that needs
 * more, is refused (kexec_run returns -1 naming the limit) rather than left
 * to run for hours. */
#define KEXEC_MAX_EVENTS (UINT64_C(1) << 28)

/* 1 when a and b are the same work item, field by field. */
int kexec_item_equal(const kitem_t *a, const kitem_t *b);

/* The greatest common divisor of a and b (>= 0; gcd(a, 0) = a): the periods
 * folding moves by, here and in the kernel models' own folds. */
int64_t kexec_gcd(int64_t a, int64_t b);

/* kexec_bound_ps in parts, for a kernel model that sums its items itself:
 * kexec_bound_add adds m runs of item *it to acc (zeroed first), and
 * kexec_bound_of is the bound of the items summed. */
#define KEXEC_BOUND_ACC 3
void kexec_bound_add(const arch_t *a, const kspec_t *k, const kitem_t *it, double m,
                     double acc[KEXEC_BOUND_ACC]);
sim_ps_t kexec_bound_of(const arch_t *a, const double acc[KEXEC_BOUND_ACC]);

/* A lower bound on the duration kexec_run would give k: the larger of the
 * DRAM and the L2 servers' total service (plus their latency) and the SMs'
 * mean execution-unit work. No events; O(stretches x periods) with repeat,
 * else O(items). For pruning a search: a launch whose bound is not below the
 * best found cannot beat it. */
sim_ps_t kexec_bound_ps(const arch_t *a, const kspec_t *k);

/* Run k on arch a. Returns 0, or -1 with a message in err when the spec is
 * impossible for the arch (e.g. ctas_per_sm exceeds what the SM holds). */
int kexec_run(const arch_t *a, const kspec_t *k, kresult_t *out, char *err, size_t errlen);

#endif
