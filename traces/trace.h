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
#include <stdio.h>

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

/* A trace read a chunk of rows at a time, in constant memory whatever its
 * length: trace_open reads and checks the header, each trace_next the next
 * rows, with trace_read's checks and messages. */
typedef struct trace_reader trace_reader_t;

/* Returns 0 with *rd (trace_close), or -1 with err. */
int trace_open(const char *path, trace_reader_t **rd, char *err, size_t errlen);

/* The next at most max rows of the file as a trace of their own in *chunk
 * (the header copied; what *chunk held before, zeroed or an earlier chunk, is
 * freed). Returns the rows read, 0 at the end of the file, or -1 with err (a
 * file without data rows is an error at the first call); *chunk then holds
 * nothing to free. Line numbers are the file's. */
long trace_next(trace_reader_t *rd, size_t max, trace_t *chunk, char *err, size_t errlen);

void trace_close(trace_reader_t *rd);

/* Write every input column (original order), then predicted_us (if the input
 * already has a predicted_us column it is replaced). Written to a temporary
 * file and renamed, so a failure leaves no partial file. */
int trace_write(const char *path, const trace_t *t, const double *predicted_us,
                char *err, size_t errlen);

/* trace_write in pieces, to a stream the caller commits: the header line of
 * t's columns, then the rows of t (a chunk) with their finite predictions.
 * Each returns 0, or -1 on a write error (errno set). */
int trace_write_head(FILE *f, const trace_t *t);
int trace_write_rows(FILE *f, const trace_t *t, const double *predicted_us);

void trace_free(trace_t *t);

const char *trace_kind_name(trace_kind_t k);

#endif
