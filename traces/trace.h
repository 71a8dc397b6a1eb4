/* trace.h -- the decode-trace CSV format (documented in docs/formats.md).
 *
 * A header row, columns in any order, unknown columns kept verbatim. Known
 * columns: op, kind, m, n, k, groups, a_dtype, b_dtype, ctx, heads_q,
 * heads_kv, head_dim, bytes, tile, stages, swap_ab, cluster, split_k, grid_ctas, impl,
 * measured_us. Which are required depends on kind (gemm | grouped_gemm |
 * attention | elementwise); see trace.c's rule table. tile, stages, swap_ab,
 * split_k, grid_ctas and impl describe the kernel that was launched (its
 * launch configuration); empty means the simulator picks. Every error names
 * file, line and column and the expected value. */
#ifndef GBSIM_TRACE_H
#define GBSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "models/dtype.h"

typedef enum { TK_GEMM, TK_GROUPED_GEMM, TK_ATTENTION, TK_ELEMENTWISE } trace_kind_t;

typedef struct {
    char *op;
    trace_kind_t kind;
    int64_t m, n, k;          /* C[m x n] = A[m x k] . B[k x n]; m = token rows */
    int64_t groups;           /* grouped_gemm: non-empty groups; m counts all routed rows */
    dtype_t a_dtype, b_dtype;
    int64_t ctx, heads_q, heads_kv, head_dim;  /* attention */
    double bytes;             /* elementwise: read + written */
    int tile_m, tile_n, tile_k;  /* 0 = the simulator picks */
    /* launch configuration (gemm, grouped_gemm; grid_ctas and impl also
     * attention); 0 / -1 / NULL = not given, the simulator picks */
    int stages;               /* pipeline stages the kernel was built with; needs a tile */
    int swap_ab;              /* 1: tile M over the weights' n, 0: over the tokens
                                 (models/gemm.h); -1 = not given; needs a tile */
    int split_k;              /* K slices; 0 = not given (none) */
    int cluster_m, cluster_n; /* thread-block cluster along the kernel's tile M x N
                                 (TMA multicast); 0 = not given (1x1); needs a tile */
    int grid_ctas;            /* CTAs of the main kernel; gemm kinds need a tile;
                                 attention: heads_kv x KV splits */
    const char *impl;         /* name of an implementation row of models/kmodel.c
                                 (static storage, not owned); NULL = the default */
    int has_measured;
    double measured_us;
    int line;                 /* line of this row in the file */
} trace_row_t;

typedef struct {
    char *path;
    int ncols;
    char **colnames;          /* ncols header names, verbatim */
    size_t nrows;
    char ***cells;            /* nrows x ncols raw cells, verbatim */
    trace_row_t *rows;        /* nrows parsed rows */
} trace_t;

/* Read and validate. Returns 0, or -1 with "file:line: column 'c': ..." in err.
 * On error *out holds nothing to free. */
int trace_read(const char *path, trace_t *out, char *err, size_t errlen);

/* Write every input column (original order), then predicted_us (if the input
 * already has a predicted_us column it is replaced). Written to a temporary
 * file and renamed, so a failure leaves no partial file. */
int trace_write(const char *path, const trace_t *t, const double *predicted_us,
                char *err, size_t errlen);

void trace_free(trace_t *t);

const char *trace_kind_name(trace_kind_t k);

#endif
