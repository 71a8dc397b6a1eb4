/* nsys_csv.h -- reads the kernel tables that `nsys stats --format csv` prints:
 *
 *   timelines (one row per kernel launch, ordered by start):
 *     cuda_gpu_trace  "Start (ns),Duration (ns),CorrId,GrdX,...,[GreenCtx,]Strm,Name"
 *                     (Throughput as "(MB/s)" or "(MBps)"; any --timeunit)
 *     gputrace        "Start(sec),Duration(nsec),...,Thru(MB/s),...,Name" (<= 2021)
 *   summaries (one row per kernel name):
 *     cuda_gpu_kern_sum     "Time (%),Total Time (ns),Instances,Avg (ns),Med (ns),
 *                            Min (ns),Max (ns),StdDev (ns),Name"
 *     cuda_gpu_kern_gb_sum  the same plus "GridXYZ,BlockXYZ" (also gpukernsum 2022.4)
 *     gpukernsum (earliest) "Time(%),Total Time (ns),Instances,Average,Minimum,Maximum,Name"
 *
 * Sources for every layout: shared/research/anchors.md section 2.
 *
 * Lines before the header (Generating..., Processing [...]..., NOTICE..., the
 * " ** CUDA GPU Trace (cuda_gpu_trace):" banner, progress lines, blank lines) are
 * skipped: the header is the first line whose first field is "Start" or "Time"
 * with any parenthesised unit ("Start (ns)", "Start(sec)", "Time (%)", "Time(%)").
 * The table ends at the end of the file or at the next " ** " banner (several
 * reports on one stdout). Columns are matched by name, with the unit suffix
 * split off; time units (ns, nsec, us, usec, ms, msec, s, sec) are honoured and
 * every time is returned in nanoseconds. Unitless Average/Minimum/Maximum take
 * the unit of "Total Time". Names are RFC-4180 fields (commas, doubled quotes,
 * template brackets). Memory operations ("[CUDA memcpy ...]", "[CUDA memset]")
 * are not kernels: they are counted in n_memops/memop_ns, not returned.
 *
 * Errors ("PATH:LINE: ..." naming the expected value): no header line, a
 * missing required column (timeline: Start, Duration, Name; summary: Total
 * Time, Instances, Name), an unknown time unit, a row with fewer or more
 * fields than the header (a truncated file), a non-numeric or negative time, a
 * time above 1e18 ns (a typo; it keeps every time finite in nanoseconds), a
 * non-integer instance count, malformed quoting, no kernel rows. */
#ifndef GBSIM_NSYS_CSV_H
#define GBSIM_NSYS_CSV_H

#include <stddef.h>
#include <stdint.h>

typedef enum { NSYS_TIMELINE, NSYS_SUMMARY } nsys_form_t;

typedef struct {
    char *name;           /* kernel name, verbatim */
    double start_ns;      /* timeline: start, ns from the trace's time origin; summary: -1 */
    double dur_ns;        /* timeline: this launch's duration; summary: Total Time of all instances */
    int64_t instances;    /* timeline: 1; summary: Instances (>= 1) */
    int grid[3], block[3];/* GrdX/Y/Z, BlkX/Y/Z or GridXYZ/BlockXYZ; 0 where absent */
    int line;             /* physical line of the row in the file */
} nsys_kernel_t;

typedef struct {
    char *path;
    nsys_form_t form;
    const char *variant;  /* "cuda_gpu_trace", "cuda_gpu_trace (pre-GreenCtx)", "gputrace",
                             "cuda_gpu_kern_sum", "cuda_gpu_kern_gb_sum", "gpukernsum (earliest)" */
    int header_line;
    nsys_kernel_t *k;     /* n kernels, in file order */
    size_t n;
    size_t n_memops;      /* memcpy/memset rows skipped (timeline) */
    double memop_ns;      /* their summed duration */
} nsys_csv_t;

/* Read path. Returns 0, or -1 with "PATH:LINE: ..." in err; on error *out
 * holds nothing to free. */
int nsys_csv_read(const char *path, nsys_csv_t *out, char *err, size_t errlen);

void nsys_csv_free(nsys_csv_t *t);

#endif
