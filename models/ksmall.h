/* ksmall.h -- latency-bound small kernels: the norms, casts, top-k, softmax,
 * reductions, strided copies and GEMM/attention helper kernels of a PyTorch
 * eager decode step.
 *
 * A kernel of one or a few CTAs moves too few bytes for bandwidth to matter;
 * its time is the critical path of one CTA's longest thread:
 *
 *   us = kernel_fixed_ns                                  (arch, measured)
 *      + rt_dram x dram_latency_ns + rt_l2 x l2_latency_ns (arch, measured)
 *      + rt_l1 x L1 hit + bar x barrier + tree x tree step
 *      + shfl x shuffle step + smem x shared load + smem_atomic x shared atomic
 *                                                         (SM cycles, measured)
 *      + inst x max(issue, warps per scheduler)            (SM cycles, measured)
 *      + dram_bytes / DRAM bandwidth + l2_bytes / L2 bandwidth   (arch)
 *
 *   times ceil(CTAs / resident CTAs) for the path, should a grid not fit at once.
 *
 * The counts of each term come from the kernel's source, one table row per
 * kernel family (ksmall.c FAMILIES[], each row naming the file and function it
 * was read from): dependent round trips (a load whose result gates the next
 * load or the store that precedes the next load; one per iteration of a load
 * loop that the compiler does not unroll); shared-memory tree steps (barrier,
 * partner read, combine, write back); barriers outside tree steps; warp
 * shuffle steps; dependent shared-memory reads and atomics. Where each round
 * trip is served (L1, L2 or DRAM) follows from where the operand is
 * (ksmall_shape_t.main / .side): an operand written by one of the last
 * kernels sits in L2; a weight, bias or activation written before a stream of
 * weights larger than L2 comes from DRAM.
 *
 * inst is the warp instructions one warp executes (Nsight Compute's
 * smsp__inst_executed / smsp__warps_launched, one row per family and functor
 * of the code table below: a fixed part plus a part per trip of the family's
 * loop). A warp alone on its scheduler issues them at one per `issue` cycles,
 * the measured cost of one more dependent instruction in PyTorch's strided
 * copy (microbench/kinst_probe.py depth series: index arithmetic added with
 * no memory step); with more warps per scheduler than that, at one per warp
 * per cycle. The instructions of the counted steps (loads, barriers,
 * shuffles) are in inst too: the term is an upper bound on what the steps do
 * not already cover, and it is added, not overlapped.
 *
 * The step costs (barrier, tree step, shuffle, shared load and atomic, L1 hit)
 * were measured on H100 in SM cycles (microbench/ksmall_ubench.cu ->
 * microbench/results/ksmall_ubench_h100.txt) and are converted at the arch's
 * sm_clock_mhz. The issue cost is the least-squares slope of one launch's
 * duration over its instruction count (the strided copy's depth series);
 * nothing is fitted to the durations this model is validated against.
 *
 * Code not in the SM's instruction caches is fetched in serialized round
 * trips at the level it sits in (ksmall_shape_t.code). How many a family
 * serializes is not derived from its code layout: the code table holds a
 * measured count per family and functor (microbench/kpost_probe.py: the kernel after
 * a grouped GEMM that evicted its code from the caches and L2, minus the same
 * kernel after a small one, in units of the arch's DRAM latency; H100), 0
 * where nothing was measured. */
#ifndef GBSIM_KSMALL_H
#define GBSIM_KSMALL_H

#include <stddef.h>
#include <stdint.h>

#include "models/arch.h"
#include "models/kexec.h"

/* Where an operand's round trips are served, in order of latency (a later
 * level is never faster). KS_NONE: no such operand. */
typedef enum { KS_NONE, KS_L1, KS_L2, KS_DRAM } ks_level_t;

/* The shape of one launch. Each family reads the fields it needs (its row in
 * ksmall.c says which); unused fields are 0. */
typedef struct {
    int64_t n;           /* elements an elementwise or copy kernel covers */
    int64_t rows;        /* independent rows / slices / outputs */
    int64_t cols;        /* elements per row; reductions: inputs per output */
    int64_t sel;         /* top-k: elements selected per row */
    int in_bytes;        /* bytes per input element */
    int out_bytes;       /* bytes per output element */
    int n_in;            /* input tensors read elementwise (>= 1) */
    ks_level_t main;     /* the streamed operand */
    ks_level_t side;     /* a second operand: weight (gamma), bias, residual,
                            broadcast routing weights, group offsets */
    ks_level_t code;     /* where the kernel's code is when it launches: KS_NONE in
                            the SM's instruction caches (back to back), KS_L2 in L2
                            only, KS_DRAM in neither (a decode step whose weight
                            stream outgrows L2) */
} ksmall_shape_t;

/* The critical path of one launch, in counts. All counts >= 0. */
typedef struct {
    int64_t ctas;        /* grid */
    double trips;        /* trips of the loop per_trip_warp_inst scales with (family's own unit) */
    double inst;         /* warp instructions per warp, from the code table */
    int threads;         /* per CTA */
    double rt_dram;      /* dependent round trips served by DRAM */
    double rt_l2;        /* ... by L2 */
    double rt_l1;        /* ... by L1 (re-reads of lines this CTA loaded) */
    double bar;          /* __syncthreads outside tree steps */
    double tree;         /* shared-memory tree steps (barrier + read + combine + write) */
    double shfl;         /* warp shuffle steps */
    double smem;         /* dependent shared-memory reads */
    double smem_atomic;  /* dependent shared-memory atomics */
    double code_fetches; /* serialized code fetches at code_level, once per launch */
    ks_level_t code_level; /* KS_NONE, KS_L2 or KS_DRAM (the shape's code) */
    double dram_bytes;   /* moved through DRAM, whole grid */
    double l2_bytes;     /* moved through L2 only, whole grid */
} ksmall_counts_t;

typedef struct ksmall_family ksmall_family_t;
struct ksmall_family {
    const char *name;      /* key a stack row names in its impl field */
    const char *pattern;   /* the kernel as CUPTI names it (substring) */
    /* Fill *c for shape *s. Returns 0, or -1 with err when the family does
     * not launch that shape (e.g. a sort longer than the bitonic path). */
    int (*counts)(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c, char *err,
                  size_t errlen);
    const char *launch;    /* source of the launch-shape rule (CTAs, threads) */
    const char *path;      /* source of the critical-path counts */
};

/* The code table: per family and functor, the warp instructions one warp
 * executes (fixed_warp_inst + per_trip_warp_inst x the family's trips) and the
 * serialized code fetches of a launch whose code is cold. A data file,
 * models/data/kcode/ksmall_sm90.csv (embedded as preset kind "kcode", name
 * KSMALL_CODE_DEFAULT; docs/formats.md#small-kernel-code), measured on H100:
 * code_sm names the ISA of the counts, and an arch running other code takes
 * them times its ks_inst_scale (its arch file states the transfer rule). */
#define KSMALL_CODE_DEFAULT "ksmall_sm90"

typedef struct {
    char *family;              /* a FAMILIES[] name */
    char *functor;             /* "": the family's default row */
    double fixed_warp_inst;    /* warp instructions per warp, whatever the trips */
    double per_trip_warp_inst; /* more per trip of the family's loop (0: no loop) */
    char *code_sm;             /* the ISA the counts were measured on ("sm_90") */
    char *source;
    double code_fetches;       /* serialized fetches when the code is cold (0: none charged) */
    char *fetch_source;        /* where code_fetches was measured ("": not measured) */
    int line;                  /* line in the table file */
} ksmall_code_row_t;

typedef struct {
    ksmall_code_row_t *rows;
    size_t n;
    char *path;                /* the table's file name, for messages */
} ksmall_code_t;

/* Parse a code table held in memory (len bytes) named fname: header exactly
 * family,functor,fixed_warp_inst,per_trip_warp_inst,code_sm,source,
 * code_fetches,fetch_source; rows whose first field starts with '#' are
 * comments. Returns 0, or -1 with "fname:line: ..." in err (a NUL byte,
 * malformed quoting, another header, a row without 8 fields, a family not in
 * FAMILIES[], a family and functor given twice, a count that is not a finite
 * decimal number, fixed_warp_inst not > 0, per_trip_warp_inst or
 * code_fetches < 0, code_sm not sm_<number>, an empty source, code_fetches
 * > 0 without a fetch_source) or "fname: ..." (an empty file, a family
 * without its default row). On error *t holds nothing to free. */
int ksmall_code_load(ksmall_code_t *t, const char *fname, const char *text, size_t len,
                     char *err, size_t errlen);

/* The embedded table KSMALL_CODE_DEFAULT. */
int ksmall_code_load_default(ksmall_code_t *t, char *err, size_t errlen);

/* The row of family and functor (NULL: the default), or NULL. */
const ksmall_code_row_t *ksmall_code_find(const ksmall_code_t *t, const char *family,
                                          const char *functor);

void ksmall_code_free(ksmall_code_t *t);

/* A launch of a family: what kdesc_t carries (family NULL: not a small kernel). */
typedef struct {
    const ksmall_family_t *family;
    const char *functor;   /* the op an elementwise family runs (a code-table row);
                              NULL: the family's default row */
    const ksmall_code_row_t *code;  /* the family's and functor's row of the code table */
    ksmall_shape_t shape;
} ksmall_desc_t;

/* Split "family[:functor]" (a stack row's impl) into d's family and functor,
 * and find their row of table code. Returns 0, or -1 with err naming the
 * unknown family or functor. spec and code must outlive d (functor points
 * into spec, d->code into code). */
int ksmall_parse(const ksmall_code_t *code, const char *spec, ksmall_desc_t *d, char *err,
                 size_t errlen);

const ksmall_family_t *ksmall_find(const char *name);
size_t ksmall_n_families(void);
const ksmall_family_t *ksmall_family_at(size_t i);

/* Counts of d's launch on a (launch rules read the device's SM count and
 * threads per SM). Returns 0 or -1 with err. */
int ksmall_counts(const arch_t *a, const ksmall_desc_t *d, ksmall_counts_t *c, char *err,
                  size_t errlen);

/* SM cycles per warp instruction when ctas_per_sm CTAs of `threads` threads
 * share an SM: a warp alone on its scheduler waits out each instruction's
 * dependent latency (the arch's ks_issue_cyc); more warps
 * per scheduler than that share its one issue per cycle. */
double ksmall_issue_cyc(const arch_t *a, int64_t ctas_per_sm, int threads);

/* Path time in ns on arch a for counts c, without kernel_fixed_ns: the path
 * once per wave, the code fetches once per launch, and the bytes term. */
double ksmall_path_ns(const arch_t *a, const ksmall_counts_t *c);

/* Run d on a: r->dur_ps = ksmall_path_ns (the caller adds kernel_fixed_ns),
 * bytes and DRAM busy time filled for classification. Returns 0 or -1. */
int ksmall_run(const arch_t *a, const ksmall_desc_t *d, kresult_t *r, char *err, size_t errlen);

#endif
