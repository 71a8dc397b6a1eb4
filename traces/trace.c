/* trace.c -- read, validate and write the decode-trace CSV format
 * (docs/formats.md).
 *
 * Reading happens in three passes over owned data:
 *   1. the file is fed to libcsv (sim/csvrec.h, a stream) one physical line at
 *      a time, so a row can only be completed at the end of a line; this gives
 *      every row its exact starting physical line even when quoted fields
 *      contain line breaks, and lets a long trace be read a chunk of rows at a
 *      time (trace_next);
 *   2. the first record becomes the header (names checked for emptiness and
 *      duplicates, op and kind required);
 *   3. every later record is checked against the rule table RULES (one row per
 *      (kind, column) requirement) and then the cross-column table CHECKS.
 * Every error message has the form "PATH:LINE: column 'C': 'V' is not valid;
 * expected E" or, for structural problems, "PATH:LINE: ..." / "PATH: ...". */
#include "traces/trace.h"

#include "sim/csvrec.h"

#include "models/kmodel.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Sizes (integers and byte counts) above this are taken to be typos. */
#define SIZE_CAP 1e12
#define SIZE_TEXT "1000000000000"
/* Tile edges above this are taken to be typos. */
#define TILE_MAX 4096
/* CUDA C++ Programming Guide, Thread Block Clusters: 8 CTAs per cluster is the
 * portable maximum, 16 with cudaFuncAttributeNonPortableClusterSizeAllowed */
#define CLUSTER_MAX 16
#define TILE_LIMIT "4096 per dimension"
/* measured_us above this (about 11.6 days) is taken to be a typo. */
#define US_CAP 1e12
#define US_LIMIT "1e12"
/* Counts of the launch configuration (stages, split_k, grid_ctas) are C ints:
 * at most INT_MAX = 2^31 - 1, also CUDA's largest grid x-dimension. */
#define COUNT_CAP 2147483647
#define COUNT_LIMIT "2147483647"

static const char *const KIND_NAMES[] = {
    [TK_GEMM] = "gemm",
    [TK_GROUPED_GEMM] = "grouped_gemm",
    [TK_ATTENTION] = "attention",
    [TK_ELEMENTWISE] = "elementwise",
};
#define NKINDS ((int)(sizeof KIND_NAMES / sizeof KIND_NAMES[0]))
#define KIND_LIST "gemm, grouped_gemm, attention, elementwise"

const char *trace_kind_name(trace_kind_t k)
{
    if ((int)k < 0 || (int)k >= NKINDS)
        return "?";
    return KIND_NAMES[k];
}

/* ---- cell parsers -------------------------------------------------------
 * Each parser takes a NUL-terminated cell and, on success only, writes into
 * the field of row at byte offset off (the rule's field). It returns
 * PARSE_OK, PARSE_BAD (wrong form) or PARSE_RANGE (right form, value above
 * the limit); the rule supplies the expectation and limit texts. */

enum { PARSE_OK, PARSE_BAD, PARSE_RANGE };

/* Positive integer of pure decimal digits (no sign, point, exponent or
 * spaces), at most cap, into *out. */
static int read_posint(const char *s, int64_t cap, int64_t *out)
{
    if (*s == '\0')
        return PARSE_BAD;
    int64_t v = 0;
    int too_big = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return PARSE_BAD;
        if (!too_big) {
            v = v * 10 + (*p - '0');
            if (v > cap)
                too_big = 1;
        }
    }
    if (too_big)
        return PARSE_RANGE;
    if (v == 0)
        return PARSE_BAD;
    *out = v;
    return PARSE_OK;
}

/* Positive integer, at most SIZE_CAP, written as an int64_t. */
static int parse_posint(const char *s, trace_row_t *row, size_t off)
{
    int64_t v;
    int r = read_posint(s, (int64_t)SIZE_CAP, &v);
    if (r == PARSE_OK)
        memcpy((char *)row + off, &v, sizeof v);
    return r;
}

/* Decimal number: only [0-9.eE+-], fully consumed by strtod, finite. Rejects
 * nan, inf, hex floats and surrounding spaces. */
static int parse_decimal(const char *s, double *out)
{
    if (*s == '\0' || strspn(s, "0123456789.eE+-") != strlen(s))
        return PARSE_BAD;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return PARSE_BAD;
    if (errno == ERANGE && isinf(v))
        return PARSE_RANGE;
    if (!isfinite(v))
        return PARSE_BAD;
    *out = v;
    return PARSE_OK;
}

/* Positive finite byte count, at most SIZE_CAP. */
static int parse_bytes(const char *s, trace_row_t *row, size_t off)
{
    double v;
    int r = parse_decimal(s, &v);
    if (r == PARSE_RANGE && s[0] != '-')
        return PARSE_RANGE;
    if (r != PARSE_OK || !(v > 0))
        return PARSE_BAD;
    if (v > SIZE_CAP)
        return PARSE_RANGE;
    memcpy((char *)row + off, &v, sizeof v);
    return PARSE_OK;
}

static int parse_dtype(const char *s, trace_row_t *row, size_t off)
{
    dtype_t d;
    if (dtype_parse(s, &d) != 0)
        return PARSE_BAD;
    memcpy((char *)row + off, &d, sizeof d);
    return PARSE_OK;
}

/* n values "AxBx..." (lowercase x), each a pure-digit integer in 1..max,
 * into v; empty = all 0. Returns PARSE_OK, PARSE_BAD or PARSE_RANGE. */
static int parse_dims(const char *s, int n, int max, int *v)
{
    for (int i = 0; i < n; i++)
        v[i] = 0;
    if (*s == '\0')
        return PARSE_OK;
    const char *p = s;
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            if (*p != 'x')
                return PARSE_BAD;
            p++;
        }
        size_t nd = strspn(p, "0123456789");
        if (nd == 0)
            return PARSE_BAD;
        long long x = 0;
        for (size_t j = 0; j < nd; j++) {
            x = x * 10 + (p[j] - '0');
            if (x > max)
                x = max + 1LL;
        }
        if (x == 0)
            return PARSE_BAD;
        if (x > max)
            return PARSE_RANGE;
        v[i] = (int)x;
        p += nd;
    }
    return *p == '\0' ? PARSE_OK : PARSE_BAD;
}

/* "MxNxK" in 1..TILE_MAX each; empty = auto (0x0x0). Writes tile_m, tile_n,
 * tile_k (off is unused). */
static int parse_tile(const char *s, trace_row_t *row, size_t off)
{
    (void)off;
    int v[3];
    int r = parse_dims(s, 3, TILE_MAX, v);
    if (r != PARSE_OK)
        return r;
    row->tile_m = v[0];
    row->tile_n = v[1];
    row->tile_k = v[2];
    return PARSE_OK;
}

/* Empty = not given (0); else a positive integer of pure decimal digits, at
 * most COUNT_CAP, written as an int. */
static int parse_count(const char *s, trace_row_t *row, size_t off)
{
    int64_t v = 0;
    if (*s != '\0') {
        int r = read_posint(s, COUNT_CAP, &v);
        if (r != PARSE_OK)
            return r;
    }
    int iv = (int)v;
    memcpy((char *)row + off, &iv, sizeof iv);
    return PARSE_OK;
}

/* "MxN" in 1..CLUSTER_MAX each; empty = not given (0x0). Writes cluster_m,
 * cluster_n (off is unused). */
static int parse_cluster(const char *s, trace_row_t *row, size_t off)
{
    (void)off;
    int v[2];
    int r = parse_dims(s, 2, CLUSTER_MAX, v);
    if (r != PARSE_OK)
        return r;
    row->cluster_m = v[0];
    row->cluster_n = v[1];
    return PARSE_OK;
}

/* Empty = not given (-1); else exactly "0" or "1". Writes swap_ab. */
static int parse_swap_ab(const char *s, trace_row_t *row, size_t off)
{
    (void)off;
    if (*s == '\0')
        row->swap_ab = -1;
    else if (strcmp(s, "0") == 0 || strcmp(s, "1") == 0)
        row->swap_ab = s[0] - '0';
    else
        return PARSE_BAD;
    return PARSE_OK;
}

/* Empty = the default (NULL); else the exact name of a row of kmodel.c's
 * GEMM_IMPLS (gemm kinds) or ATTN_IMPLS (attention). Writes impl. */
static int parse_gemm_impl(const char *s, trace_row_t *row, size_t off)
{
    (void)off;
    const gemm_impl_t *im = *s ? gemm_impl_find(s) : NULL;
    if (*s && !im)
        return PARSE_BAD;
    row->impl = im ? im->name : NULL;
    return PARSE_OK;
}

static int parse_attn_impl(const char *s, trace_row_t *row, size_t off)
{
    (void)off;
    const attn_impl_t *im = *s ? attn_impl_find(s) : NULL;
    if (*s && !im)
        return PARSE_BAD;
    row->impl = im ? im->name : NULL;
    return PARSE_OK;
}

/* Empty = not measured; else a positive finite number of microseconds.
 * Writes has_measured and measured_us (off is unused). */
static int parse_measured(const char *s, trace_row_t *row, size_t off)
{
    (void)off;
    if (*s == '\0') {
        row->has_measured = 0;
        row->measured_us = 0;
        return PARSE_OK;
    }
    double v;
    int r = parse_decimal(s, &v);
    if (r == PARSE_RANGE && s[0] != '-')
        return PARSE_RANGE;
    if (r != PARSE_OK || !(v > 0))
        return PARSE_BAD;
    if (v > US_CAP)
        return PARSE_RANGE;
    row->has_measured = 1;
    row->measured_us = v;
    return PARSE_OK;
}

/* ---- the rule table ------------------------------------------------------ */

typedef int (*cell_parser_t)(const char *s, trace_row_t *row, size_t off);

typedef struct {
    trace_kind_t kind;
    const char *column;
    int required;           /* 1: the header must have the column and the cell
                               must be non-empty; 0: an empty cell or absent
                               column means dflt */
    const char *dflt;       /* optional rules: text parsed when the cell is
                               empty or the column is absent */
    cell_parser_t parse;
    size_t offset;          /* field in trace_row_t */
    const char *expect;     /* expected value, for messages */
    const char *range;      /* the limit, for PARSE_RANGE messages */
    const char *(*names)(void);  /* if set, the expected value is "one of
                                    names()" followed by expect */
} rule_t;

#define F(field) offsetof(trace_row_t, field)
#define POSINT "a positive integer"
#define TILE_EXPECT "MxNxK of positive integers (e.g. 128x128x64), or empty for auto"
#define US_EXPECT "a positive finite number of microseconds, or empty for not measured"
#define STAGES_EXPECT POSINT " (pipeline stages the kernel was built with), or empty for as many as fit"
#define SWAP_EXPECT "0 (tile M over the tokens) or 1 (tile M over the weights' n), or empty"
#define CLUSTER_EXPECT "MxN of positive integers (CTAs of a thread-block cluster along tile M and N, e.g. 2x1; at most 16 each), or empty for 1x1"
#define SPLIT_EXPECT POSINT " (K slices of split-K), or empty for none"
#define GRID_EXPECT POSINT " (CTAs the main kernel launched), or empty for the simulator's grid"
#define AGRID_EXPECT POSINT " (CTAs of the main kernel: heads_kv x KV splits), or empty for the simulator's split"
#define GIMPL_EXPECT " (models/kmodel.c GEMM_IMPLS), or empty for cutlass"
#define AIMPL_EXPECT " (models/kmodel.c ATTN_IMPLS), or empty for flashinfer-fa2"

/* Columns a kind does not list here are ignored for that kind (any cell). */
static const rule_t RULES[] = {
    /* kind            column          req dflt     parser           field             expected value                                          limit        one of */
    {TK_GEMM,          "m",            1,  NULL,    parse_posint,    F(m),             POSINT " (token rows)",                                 SIZE_TEXT,   NULL},
    {TK_GEMM,          "n",            1,  NULL,    parse_posint,    F(n),             POSINT " (output columns)",                             SIZE_TEXT,   NULL},
    {TK_GEMM,          "k",            1,  NULL,    parse_posint,    F(k),             POSINT " (reduction depth)",                            SIZE_TEXT,   NULL},
    {TK_GEMM,          "a_dtype",      1,  NULL,    parse_dtype,     F(a_dtype),       "",                                                     NULL,        dtype_names},
    {TK_GEMM,          "b_dtype",      1,  NULL,    parse_dtype,     F(b_dtype),       "",                                                     NULL,        dtype_names},
    {TK_GEMM,          "tile",         0,  "",      parse_tile,      F(tile_m),        TILE_EXPECT,                                            TILE_LIMIT,  NULL},
    {TK_GEMM,          "stages",       0,  "",      parse_count,     F(stages),        STAGES_EXPECT,                                          COUNT_LIMIT, NULL},
    {TK_GEMM,          "swap_ab",      0,  "",      parse_swap_ab,   F(swap_ab),       SWAP_EXPECT,                                            NULL,        NULL},
    {TK_GEMM,          "cluster",      0,  "",      parse_cluster,   F(cluster_m),     CLUSTER_EXPECT,                                         "16",        NULL},
    {TK_GEMM,          "split_k",      0,  "",      parse_count,     F(split_k),       SPLIT_EXPECT,                                           COUNT_LIMIT, NULL},
    {TK_GEMM,          "grid_ctas",    0,  "",      parse_count,     F(grid_ctas),     GRID_EXPECT,                                            COUNT_LIMIT, NULL},
    {TK_GEMM,          "impl",         0,  "",      parse_gemm_impl, F(impl),          GIMPL_EXPECT,                                           NULL,        gemm_impl_names},
    {TK_GEMM,          "measured_us",  0,  "",      parse_measured,  F(has_measured),  US_EXPECT,                                              US_LIMIT,    NULL},

    {TK_GROUPED_GEMM,  "m",            1,  NULL,    parse_posint,    F(m),             POSINT " (token rows routed to all groups)",            SIZE_TEXT,   NULL},
    {TK_GROUPED_GEMM,  "n",            1,  NULL,    parse_posint,    F(n),             POSINT " (output columns)",                             SIZE_TEXT,   NULL},
    {TK_GROUPED_GEMM,  "k",            1,  NULL,    parse_posint,    F(k),             POSINT " (reduction depth)",                            SIZE_TEXT,   NULL},
    {TK_GROUPED_GEMM,  "groups",       1,  NULL,    parse_posint,    F(groups),        POSINT " (non-empty groups)",                           SIZE_TEXT,   NULL},
    {TK_GROUPED_GEMM,  "a_dtype",      1,  NULL,    parse_dtype,     F(a_dtype),       "",                                                     NULL,        dtype_names},
    {TK_GROUPED_GEMM,  "b_dtype",      1,  NULL,    parse_dtype,     F(b_dtype),       "",                                                     NULL,        dtype_names},
    {TK_GROUPED_GEMM,  "tile",         0,  "",      parse_tile,      F(tile_m),        TILE_EXPECT,                                            TILE_LIMIT,  NULL},
    {TK_GROUPED_GEMM,  "stages",       0,  "",      parse_count,     F(stages),        STAGES_EXPECT,                                          COUNT_LIMIT, NULL},
    {TK_GROUPED_GEMM,  "swap_ab",      0,  "",      parse_swap_ab,   F(swap_ab),       SWAP_EXPECT,                                            NULL,        NULL},
    {TK_GROUPED_GEMM,  "cluster",      0,  "",      parse_cluster,   F(cluster_m),     CLUSTER_EXPECT,                                         "16",        NULL},
    {TK_GROUPED_GEMM,  "split_k",      0,  "",      parse_count,     F(split_k),       SPLIT_EXPECT,                                           COUNT_LIMIT, NULL},
    {TK_GROUPED_GEMM,  "grid_ctas",    0,  "",      parse_count,     F(grid_ctas),     GRID_EXPECT,                                            COUNT_LIMIT, NULL},
    {TK_GROUPED_GEMM,  "impl",         0,  "",      parse_gemm_impl, F(impl),          GIMPL_EXPECT,                                           NULL,        gemm_impl_names},
    {TK_GROUPED_GEMM,  "measured_us",  0,  "",      parse_measured,  F(has_measured),  US_EXPECT,                                              US_LIMIT,    NULL},

    {TK_ATTENTION,     "ctx",          1,  NULL,    parse_posint,    F(ctx),           POSINT " (KV tokens per sequence)",                     SIZE_TEXT,   NULL},
    {TK_ATTENTION,     "heads_q",      1,  NULL,    parse_posint,    F(heads_q),       POSINT " (query heads)",                                SIZE_TEXT,   NULL},
    {TK_ATTENTION,     "heads_kv",     1,  NULL,    parse_posint,    F(heads_kv),      POSINT " (KV heads)",                                   SIZE_TEXT,   NULL},
    {TK_ATTENTION,     "head_dim",     1,  NULL,    parse_posint,    F(head_dim),      POSINT " (elements per head)",                          SIZE_TEXT,   NULL},
    {TK_ATTENTION,     "m",            0,  "1",     parse_posint,    F(m),             POSINT " (query tokens per sequence), or empty for 1",  SIZE_TEXT,   NULL},
    {TK_ATTENTION,     "a_dtype",      0,  "bf16",  parse_dtype,     F(a_dtype),       " (the KV cache dtype), or empty for bf16",             NULL,        dtype_names},
    {TK_ATTENTION,     "grid_ctas",    0,  "",      parse_count,     F(grid_ctas),     AGRID_EXPECT,                                           COUNT_LIMIT, NULL},
    {TK_ATTENTION,     "impl",         0,  "",      parse_attn_impl, F(impl),          AIMPL_EXPECT,                                           NULL,        attn_impl_names},
    {TK_ATTENTION,     "measured_us",  0,  "",      parse_measured,  F(has_measured),  US_EXPECT,                                              US_LIMIT,    NULL},

    {TK_ELEMENTWISE,   "bytes",        1,  NULL,    parse_bytes,     F(bytes),         "a positive finite number of bytes (read + written)",   SIZE_TEXT,   NULL},
    {TK_ELEMENTWISE,   "measured_us",  0,  "",      parse_measured,  F(has_measured),  US_EXPECT,                                              US_LIMIT,    NULL},
};
#define NRULES (sizeof RULES / sizeof RULES[0])

/* Cross-column constraints, checked after every rule of the row passed.
 * Each returns 1 if the row is valid, else 0 with the expected value in exp. */
typedef int (*cross_fn_t)(const trace_row_t *r, char *exp, size_t explen);

static int groups_at_most_m(const trace_row_t *r, char *exp, size_t explen)
{
    snprintf(exp, explen, "at most m (%lld): each non-empty group holds at least one routed row",
             (long long)r->m);
    return r->groups <= r->m;
}

static int heads_kv_divides_heads_q(const trace_row_t *r, char *exp, size_t explen)
{
    snprintf(exp, explen, "a divisor of heads_q (%lld)", (long long)r->heads_q);
    return r->heads_q % r->heads_kv == 0;
}

/* stages, swap_ab and grid_ctas describe the kernel of a named tile */
static const char NEEDS_TILE[] = "empty, or a tile in column 'tile': it describes the kernel of "
                                 "the named tile";

static int stages_need_tile(const trace_row_t *r, char *exp, size_t explen)
{
    snprintf(exp, explen, "%s", NEEDS_TILE);
    return r->stages == 0 || r->tile_m > 0;
}

static int cluster_needs_tile(const trace_row_t *r, char *exp, size_t explen)
{
    snprintf(exp, explen, "%s", NEEDS_TILE);
    return r->cluster_m == 0 || r->tile_m > 0;
}

static int swap_ab_needs_tile(const trace_row_t *r, char *exp, size_t explen)
{
    snprintf(exp, explen, "%s", NEEDS_TILE);
    return r->swap_ab < 0 || r->tile_m > 0;
}

static int grid_needs_tile(const trace_row_t *r, char *exp, size_t explen)
{
    snprintf(exp, explen, "%s", NEEDS_TILE);
    return r->grid_ctas == 0 || r->tile_m > 0;
}

static int split_k_at_most_k(const trace_row_t *r, char *exp, size_t explen)
{
    snprintf(exp, explen, "at most k (%lld): every K slice holds at least one element",
             (long long)r->k);
    return r->split_k <= r->k;
}

static int attn_grid_is_heads_kv_x_splits(const trace_row_t *r, char *exp, size_t explen)
{
    snprintf(exp, explen, "a multiple of heads_kv (%lld) with at most ctx (%lld) KV splits",
             (long long)r->heads_kv, (long long)r->ctx);
    return r->grid_ctas % r->heads_kv == 0 && r->grid_ctas / r->heads_kv <= r->ctx;
}

typedef struct {
    trace_kind_t kind;
    const char *column;     /* the column named in the message */
    cross_fn_t ok;
} cross_t;

static const cross_t CHECKS[] = {
    {TK_GROUPED_GEMM, "groups",    groups_at_most_m},
    {TK_ATTENTION,    "heads_kv",  heads_kv_divides_heads_q},
    {TK_GEMM,         "stages",    stages_need_tile},
    {TK_GEMM,         "cluster",   cluster_needs_tile},
    {TK_GEMM,         "swap_ab",   swap_ab_needs_tile},
    {TK_GEMM,         "grid_ctas", grid_needs_tile},
    {TK_GEMM,         "split_k",   split_k_at_most_k},
    {TK_GROUPED_GEMM, "stages",    stages_need_tile},
    {TK_GROUPED_GEMM, "cluster",   cluster_needs_tile},
    {TK_GROUPED_GEMM, "swap_ab",   swap_ab_needs_tile},
    {TK_GROUPED_GEMM, "grid_ctas", grid_needs_tile},
    {TK_GROUPED_GEMM, "split_k",   split_k_at_most_k},
    {TK_ATTENTION,    "grid_ctas", attn_grid_is_heads_kv_x_splits},
};
#define NCHECKS (sizeof CHECKS / sizeof CHECKS[0])

/* ---- errors and small helpers ------------------------------------------- */

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- pass 1: records from libcsv (sim/csvrec.h) ----------------------- */

typedef csvrec_t record_t;
typedef csvrec_list_t reader_t;

/* ---- passes 2 and 3: header and rows ------------------------------------ */

static int find_col(const trace_t *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->colnames[i], name) == 0)
            return i;
    return -1;
}

/* Columns every trace needs, whatever its kinds. */
static const char *const ALWAYS[] = {"op", "kind"};

static int take_header(const char *path, record_t *h, trace_t *t, char *err, size_t errlen)
{
    if (h->n > 10000) {
        fail(err, errlen, "%s:%d: header has %zu columns; expected at most 10000", path, h->line,
             h->n);
        return -1;
    }
    t->ncols = (int)h->n;
    t->colnames = h->fields;
    h->fields = NULL;
    h->n = 0;
    for (int i = 0; i < t->ncols; i++) {
        if (t->colnames[i][0] == '\0') {
            fail(err, errlen, "%s:%d: header column %d: '' is not valid; expected a column name",
                 path, h->line, i + 1);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(t->colnames[i], t->colnames[j]) == 0) {
                fail(err, errlen,
                     "%s:%d: column '%s': duplicate header name (columns %d and %d); expected "
                     "each column name once",
                     path, h->line, t->colnames[i], j + 1, i + 1);
                return -1;
            }
    }
    for (size_t i = 0; i < sizeof ALWAYS / sizeof ALWAYS[0]; i++)
        if (find_col(t, ALWAYS[i]) < 0) {
            fail(err, errlen,
                 "%s:%d: column '%s' is required but the header has no '%s' column", path,
                 h->line, ALWAYS[i], ALWAYS[i]);
            return -1;
        }
    return 0;
}

static int parse_kind(const char *s, trace_kind_t *out)
{
    for (int i = 0; i < NKINDS; i++)
        if (strcmp(KIND_NAMES[i], s) == 0) {
            *out = (trace_kind_t)i;
            return 0;
        }
    return -1;
}

/* Validates one data record into row. cols[i] is the header index of
 * RULES[i].column, or -1. */
static int take_row(const char *path, const trace_t *t, const int *cols, int op_col,
                    int kind_col, char **cells, int line, trace_row_t *row, char *err,
                    size_t errlen)
{
    memset(row, 0, sizeof *row);
    row->line = line;
    row->swap_ab = -1;
    const char *op = cells[op_col];
    if (op[0] == '\0') {
        fail(err, errlen, "%s:%d: column 'op': '' is not valid; expected a non-empty label",
             path, line);
        return -1;
    }
    if (parse_kind(cells[kind_col], &row->kind) != 0) {
        fail(err, errlen, "%s:%d: column 'kind': '%s' is not valid; expected one of " KIND_LIST,
             path, line, cells[kind_col]);
        return -1;
    }
    for (size_t i = 0; i < NRULES; i++) {
        const rule_t *ru = &RULES[i];
        if (ru->kind != row->kind)
            continue;
        if (cols[i] < 0 && ru->required) {
            fail(err, errlen,
                 "%s:%d: column '%s' is required for kind %s but the header has no '%s' column",
                 path, line, ru->column, KIND_NAMES[row->kind], ru->column);
            return -1;
        }
        const char *cell = cols[i] < 0 ? "" : cells[cols[i]];
        const char *text = (cell[0] == '\0' && !ru->required) ? ru->dflt : cell;
        int r = ru->parse(text, row, ru->offset);
        if (r != PARSE_OK) {
            char exp[512];
            if (ru->names)
                snprintf(exp, sizeof exp, "one of %s%s", ru->names(), ru->expect);
            else
                snprintf(exp, sizeof exp, "%s", ru->expect);
            if (r == PARSE_RANGE)
                fail(err, errlen,
                     "%s:%d: column '%s': '%s' is not valid (above the limit %s); expected %s",
                     path, line, ru->column, cell, ru->range, exp);
            else
                fail(err, errlen, "%s:%d: column '%s': '%s' is not valid; expected %s", path,
                     line, ru->column, cell, exp);
            return -1;
        }
    }
    for (size_t i = 0; i < NCHECKS; i++) {
        if (CHECKS[i].kind != row->kind)
            continue;
        char exp[160];
        if (!CHECKS[i].ok(row, exp, sizeof exp)) {
            int c = find_col(t, CHECKS[i].column);
            fail(err, errlen, "%s:%d: column '%s': '%s' is not valid; expected %s", path, line,
                 CHECKS[i].column, c >= 0 ? cells[c] : "", exp);
            return -1;
        }
    }
    row->op = csvrec_strndup(op, strlen(op));
    if (!row->op) {
        fail(err, errlen, "%s:%d: out of memory", path, line);
        return -1;
    }
    return 0;
}

void trace_free(trace_t *t)
{
    if (!t)
        return;
    free(t->path);
    csvrec_free_strings(t->colnames, t->ncols > 0 ? (size_t)t->ncols : 0);
    if (t->cells)
        for (size_t i = 0; i < t->nrows; i++)
            csvrec_free_strings(t->cells[i], t->ncols > 0 ? (size_t)t->ncols : 0);
    free(t->cells);
    if (t->rows)
        for (size_t i = 0; i < t->nrows; i++)
            free(t->rows[i].op);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

/* ---- reading: a header, then rows a chunk at a time -------------------- */

struct trace_reader {
    csvrec_stream_t *s;
    trace_t head;           /* path, ncols, colnames; no rows */
    int head_line;
    int cols[NRULES];       /* the header index of RULES[i].column, or -1 */
    int op_col, kind_col;
    size_t rows;            /* rows read so far */
};

void trace_close(trace_reader_t *rd)
{
    if (rd == NULL)
        return;
    csvrec_close(rd->s);
    trace_free(&rd->head);
    free(rd);
}

int trace_open(const char *path, trace_reader_t **out, char *err, size_t errlen)
{
    *out = NULL;
    trace_reader_t *rd = calloc(1, sizeof *rd);
    if (rd == NULL) {
        fail(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if ((rd->s = csvrec_open(path, err, errlen)) == NULL) {
        free(rd);
        return -1;
    }
    reader_t l = {0};
    int rc = csvrec_next(rd->s, 1, &l, err, errlen);
    if (rc == 0 && l.nrecs == 0) {
        fail(err, errlen, "%s: empty file; expected a header row naming the columns", path);
        rc = -1;
    }
    if (rc == 0) {
        rd->head_line = l.recs[0].line;
        rc = take_header(path, &l.recs[0], &rd->head, err, errlen);
    }
    csvrec_free(&l);
    if (rc == 0 && (rd->head.path = csvrec_strndup(path, strlen(path))) == NULL) {
        fail(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    if (rc != 0) {
        trace_close(rd);
        return -1;
    }
    for (size_t i = 0; i < NRULES; i++)
        rd->cols[i] = find_col(&rd->head, RULES[i].column);
    rd->op_col = find_col(&rd->head, "op");
    rd->kind_col = find_col(&rd->head, "kind");
    *out = rd;
    return 0;
}

/* A copy of the header of h into t (no rows). Returns 0, or -1 out of memory. */
static int copy_head(const trace_t *h, trace_t *t)
{
    memset(t, 0, sizeof *t);
    t->path = csvrec_strndup(h->path, strlen(h->path));
    t->colnames = calloc((size_t)h->ncols, sizeof *t->colnames);
    if (t->path == NULL || t->colnames == NULL)
        return -1;
    t->ncols = h->ncols;
    for (int i = 0; i < h->ncols; i++)
        if ((t->colnames[i] = csvrec_strndup(h->colnames[i], strlen(h->colnames[i]))) == NULL)
            return -1;
    return 0;
}

long trace_next(trace_reader_t *rd, size_t max, trace_t *chunk, char *err, size_t errlen)
{
    const trace_t *h = &rd->head;
    const char *path = h->path;
    trace_free(chunk);
    reader_t l = {0};
    if (csvrec_next(rd->s, max, &l, err, errlen) != 0) {
        csvrec_free(&l);
        return -1;
    }
    if (l.nrecs == 0) {
        csvrec_free(&l);
        if (rd->rows > 0)
            return 0;
        fail(err, errlen, "%s:%d: no data rows; expected at least one row after the header",
             path, rd->head_line);
        return -1;
    }
    int rc = 0;
    if (copy_head(h, chunk) != 0 || (chunk->cells = calloc(l.nrecs, sizeof *chunk->cells)) == NULL ||
        (chunk->rows = calloc(l.nrecs, sizeof *chunk->rows)) == NULL) {
        fail(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    for (size_t i = 0; i < l.nrecs && rc == 0; i++) {
        record_t *rec = &l.recs[i];
        if (rec->n != (size_t)h->ncols) {
            fail(err, errlen, "%s:%d: row has %zu fields; expected %d (one per header column)",
                 path, rec->line, rec->n, h->ncols);
            rc = -1;
        } else if (take_row(path, h, rd->cols, rd->op_col, rd->kind_col, rec->fields, rec->line,
                            &chunk->rows[i], err, errlen) != 0)
            rc = -1;
        else {
            chunk->cells[i] = rec->fields;
            rec->fields = NULL;
            rec->n = 0;
            chunk->nrows = i + 1;
        }
    }
    csvrec_free(&l);
    if (rc != 0) {
        /* cells and rows are filled only for rows before the failing one;
         * nrows counts exactly those, and rows[nrows] holds no op */
        trace_free(chunk);
        return -1;
    }
    rd->rows += chunk->nrows;
    return (long)chunk->nrows;
}

int trace_read(const char *path, trace_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    trace_reader_t *rd;
    if (trace_open(path, &rd, err, errlen) != 0)
        return -1;
    long n = trace_next(rd, SIZE_MAX, out, err, errlen);
    trace_close(rd);
    return n > 0 ? 0 : -1;
}

/* ---- writing ------------------------------------------------------------- */

/* Writes a comma (unless first) and one field (sim/csvrec.h). */
static int put_field(FILE *f, const char *s, int first)
{
    if (!first && fputc(',', f) == EOF)
        return -1;
    return csvrec_write_field(f, s);
}

int trace_write_head(FILE *f, const trace_t *t)
{
    for (int c = 0; c < t->ncols; c++)
        if (put_field(f, t->colnames[c], c == 0) != 0)
            return -1;
    if (find_col(t, "predicted_us") < 0 && put_field(f, "predicted_us", t->ncols == 0) != 0)
        return -1;
    return fputc('\n', f) == EOF ? -1 : 0;
}

int trace_write_rows(FILE *f, const trace_t *t, const double *pred)
{
    int pcol = find_col(t, "predicted_us");
    for (size_t i = 0; i < t->nrows; i++) {
        assert(isfinite(pred[i]) && "a prediction is a finite number");
        char num[64];
        snprintf(num, sizeof num, "%.3f", pred[i]);
        for (int c = 0; c < t->ncols; c++)
            if (put_field(f, c == pcol ? num : t->cells[i][c], c == 0) != 0)
                return -1;
        if (pcol < 0 && put_field(f, num, t->ncols == 0) != 0)
            return -1;
        if (fputc('\n', f) == EOF)
            return -1;
    }
    return 0;
}

int trace_write(const char *path, const trace_t *t, const double *predicted_us, char *err,
                size_t errlen)
{
    char ebuf[128];   /* strerror_r: thread-safe (sweep and replay workers) */
    if (t->nrows > 0 && predicted_us == NULL) {
        fail(err, errlen, "%s: cannot write: no predicted_us values given", path);
        return -1;
    }
    for (size_t i = 0; i < t->nrows; i++)
        if (!isfinite(predicted_us[i])) {
            fail(err, errlen,
                 "%s: cannot write: predicted_us of row %zu (line %d) is %f; expected a finite "
                 "number",
                 path, i + 1, t->rows ? t->rows[i].line : 0, predicted_us[i]);
            return -1;
        }
    size_t tlen = strlen(path) + 64;
    char *tmp = malloc(tlen);
    if (!tmp) {
        fail(err, errlen, "%s: cannot write: out of memory", path);
        return -1;
    }
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fail(err, errlen, "%s: cannot write: cannot create the temporary file %s: %s", path, tmp,
             csvrec_errtext(errno, ebuf, sizeof ebuf));
        free(tmp);
        return -1;
    }
    int ok = trace_write_head(f, t) == 0 && trace_write_rows(f, t, predicted_us) == 0;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int saved = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (!ok)
        fail(err, errlen, "%s: cannot write: writing the temporary file %s failed: %s", path, tmp,
             csvrec_errtext(saved, ebuf, sizeof ebuf));
    else if (rename(tmp, path) != 0) {
        ok = 0;
        fail(err, errlen, "%s: cannot write: cannot rename the temporary file %s to it: %s", path,
             tmp, csvrec_errtext(errno, ebuf, sizeof ebuf));
    }
    if (!ok)
        remove(tmp);
    free(tmp);
    return ok ? 0 : -1;
}
