/* nsys_csv.c -- read nsys stats kernel tables (contract in nsys_csv.h).
 *
 * Three steps over one in-memory copy of the file:
 *   1. find the header: the first physical line whose first field is
 *      "Start(<unit>)" or "Time(%)" (spaces before the parenthesis allowed);
 *   2. parse from there with libcsv, fed one physical line at a time so that
 *      every record knows the line it starts on (the approach of trace.c),
 *      stopping at a " ** " report banner;
 *   3. map the header by column name and unit, then convert each row. */
#include "traces/nsys_csv.h"

#include "sim/csvrec.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- small helpers -------------------------------------------------------- */

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Splits a header cell "Base (unit)" / "Base(unit)" / "Base" into base and
 * unit (both trimmed; unit empty when there is none). */
static void split_unit(const char *h, char *base, size_t nb, char *unit, size_t nu)
{
    while (*h == ' ' || *h == '\t')
        h++;
    size_t n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    unit[0] = '\0';
    size_t bl = n;
    if (n > 0 && h[n - 1] == ')') {
        const char *open = NULL;
        for (size_t i = n - 1; i-- > 0;)
            if (h[i] == '(') {
                open = h + i;
                break;
            }
        if (open) {
            size_t ul = (size_t)(h + n - 1 - (open + 1));
            snprintf(unit, nu, "%.*s", (int)ul, open + 1);
            bl = (size_t)(open - h);
            while (bl > 0 && (h[bl - 1] == ' ' || h[bl - 1] == '\t'))
                bl--;
        }
    }
    snprintf(base, nb, "%.*s", (int)bl, h);
}

/* Nanoseconds per unit of a time column, or 0 for an unknown unit. */
static double time_factor(const char *unit)
{
    static const struct {
        const char *u;
        double ns;
    } T[] = {{"ns", 1}, {"nsec", 1}, {"us", 1e3}, {"usec", 1e3}, {"\xc2\xb5s", 1e3},
             {"ms", 1e6}, {"msec", 1e6}, {"s", 1e9}, {"sec", 1e9}};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strcmp(unit, T[i].u) == 0)
            return T[i].ns;
    return 0;
}
#define TIME_UNITS "ns, nsec, us, usec, ms, msec, s or sec"
/* Times above this (about 31.7 years) are taken to be typos; it keeps every
 * time, and any sum of them, finite in nanoseconds. */
#define TIME_CAP_NS 1e18
#define TIME_CAP_TEXT "1e18 ns"

/* Whether the physical line [s, s+n) is a kernel-table header: its first
 * field (up to the first comma; quotes and spaces stripped) is Start(<unit>)
 * or Time(%). *form receives which. */
static int is_header(const char *s, size_t n, nsys_form_t *form)
{
    const char *comma = memchr(s, ',', n);
    if (comma == NULL)
        return 0;
    size_t fl = (size_t)(comma - s);
    char field[128];
    if (fl >= sizeof field)
        return 0;
    memcpy(field, s, fl);
    field[fl] = '\0';
    char *f = field;
    while (*f == ' ' || *f == '\t')
        f++;
    size_t l = strlen(f);
    while (l > 0 && (f[l - 1] == ' ' || f[l - 1] == '\t'))
        f[--l] = '\0';
    if (l >= 2 && f[0] == '"' && f[l - 1] == '"') {
        f[l - 1] = '\0';
        f++;
    }
    char base[128], unit[64];
    split_unit(f, base, sizeof base, unit, sizeof unit);
    if (strcmp(base, "Start") == 0 && unit[0] != '\0') {
        *form = NSYS_TIMELINE;
        return 1;
    }
    if (strcmp(base, "Time") == 0 && strcmp(unit, "%") == 0) {
        *form = NSYS_SUMMARY;
        return 1;
    }
    return 0;
}

/* Whether [s, s+n) is a " ** Report (name):" banner that starts the next report. */
static int is_banner(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    return i + 2 < n && s[i] == '*' && s[i + 1] == '*' && s[i + 2] == ' ';
}

/* ---- records from libcsv (sim/csvrec.h) -------------------------------- */

typedef csvrec_t record_t;
typedef csvrec_list_t reader_t;

/* ---- columns -------------------------------------------------------------- */

/* The columns this reader uses; C_N marks the end. */
enum { C_START, C_DUR, C_TOTAL, C_INST, C_AVG, C_MED, C_MIN, C_MAX, C_SD, C_GX, C_GY, C_GZ,
       C_BX, C_BY, C_BZ, C_GRID, C_BLOCK, C_NAME, C_N };

typedef struct {
    int col;          /* header index, -1 if absent */
    double factor;    /* ns per unit (time columns) */
} colmap_t;

/* Header base names per column; a time column's unit comes from its header
 * (or, for the unitless legacy Average/Minimum/Maximum, from Total Time). */
static const struct {
    int id;
    const char *base;
    int is_time;
} COLS[] = {
    {C_START, "Start", 1},     {C_DUR, "Duration", 1},    {C_TOTAL, "Total Time", 1},
    {C_INST, "Instances", 0},  {C_AVG, "Avg", 1},         {C_AVG, "Average", 1},
    {C_MED, "Med", 1},         {C_MIN, "Min", 1},         {C_MIN, "Minimum", 1},
    {C_MAX, "Max", 1},         {C_MAX, "Maximum", 1},     {C_SD, "StdDev", 1},
    {C_GX, "GrdX", 0},         {C_GY, "GrdY", 0},         {C_GZ, "GrdZ", 0},
    {C_BX, "BlkX", 0},         {C_BY, "BlkY", 0},         {C_BZ, "BlkZ", 0},
    {C_GRID, "GridXYZ", 0},    {C_BLOCK, "BlockXYZ", 0},  {C_NAME, "Name", 0},
};
#define NCOLS (sizeof COLS / sizeof COLS[0])

static const char *col_label(int id)
{
    static const char *const L[C_N] = {
        [C_START] = "Start (ns)",   [C_DUR] = "Duration (ns)", [C_TOTAL] = "Total Time (ns)",
        [C_INST] = "Instances",     [C_AVG] = "Avg (ns)",      [C_MED] = "Med (ns)",
        [C_MIN] = "Min (ns)",       [C_MAX] = "Max (ns)",      [C_SD] = "StdDev (ns)",
        [C_GX] = "GrdX",            [C_GY] = "GrdY",           [C_GZ] = "GrdZ",
        [C_BX] = "BlkX",            [C_BY] = "BlkY",           [C_BZ] = "BlkZ",
        [C_GRID] = "GridXYZ",       [C_BLOCK] = "BlockXYZ",    [C_NAME] = "Name"};
    return L[id];
}

static int map_header(const char *path, const record_t *h, nsys_form_t form, colmap_t *m,
                      const char **variant, char *err, size_t errlen)
{
    for (int i = 0; i < C_N; i++)
        m[i] = (colmap_t){-1, 0};
    int green = 0, legacy = 0, unitless[C_N] = {0};
    for (size_t c = 0; c < h->n; c++) {
        char base[128], unit[64];
        split_unit(h->fields[c], base, sizeof base, unit, sizeof unit);
        if (strcmp(base, "GreenCtx") == 0)
            green = 1;
        if (strcmp(base, "Thru") == 0 || strcmp(unit, "sec") == 0 || strcmp(unit, "nsec") == 0)
            legacy = 1;
        for (size_t k = 0; k < NCOLS; k++) {
            if (strcmp(base, COLS[k].base) != 0)
                continue;
            int id = COLS[k].id;
            if (m[id].col >= 0) {
                fail(err, errlen,
                     "%s:%d: column '%s' appears twice (columns %d and %zu); expected it once",
                     path, h->line, h->fields[c], m[id].col + 1, c + 1);
                return -1;
            }
            m[id].col = (int)c;
            if (COLS[k].is_time) {
                if (unit[0] == '\0') {
                    unitless[id] = 1;
                } else {
                    m[id].factor = time_factor(unit);
                    if (m[id].factor == 0) {
                        fail(err, errlen,
                             "%s:%d: column '%s': unknown time unit '%s'; expected " TIME_UNITS,
                             path, h->line, h->fields[c], unit);
                        return -1;
                    }
                }
            }
        }
    }
    static const int NEED_TL[] = {C_START, C_DUR, C_NAME};
    static const int NEED_SUM[] = {C_TOTAL, C_INST, C_NAME};
    const int *need = form == NSYS_TIMELINE ? NEED_TL : NEED_SUM;
    for (int i = 0; i < 3; i++)
        if (m[need[i]].col < 0) {
            fail(err, errlen,
                 "%s:%d: the header has no '%s' column; expected it in a %s table (columns may "
                 "use any time unit)",
                 path, h->line, col_label(need[i]),
                 form == NSYS_TIMELINE ? "cuda_gpu_trace" : "cuda_gpu_kern_sum");
            return -1;
        }
    /* unitless time columns: Total Time's unit (the earliest gpukernsum), else ns */
    double dflt = m[C_TOTAL].col >= 0 && m[C_TOTAL].factor > 0 ? m[C_TOTAL].factor : 1;
    for (int i = 0; i < C_N; i++)
        if (unitless[i])
            m[i].factor = i == C_TOTAL || i == C_START || i == C_DUR ? 1 : dflt;
    if (form == NSYS_TIMELINE)
        *variant = legacy ? "gputrace" : green ? "cuda_gpu_trace" : "cuda_gpu_trace (pre-GreenCtx)";
    else if (m[C_AVG].col >= 0 && strncmp(h->fields[m[C_AVG].col], "Average", 7) == 0)
        *variant = "gpukernsum (earliest)";
    else if (m[C_GRID].col >= 0)
        *variant = "cuda_gpu_kern_gb_sum";
    else
        *variant = "cuda_gpu_kern_sum";
    return 0;
}

/* ---- cells ---------------------------------------------------------------- */

/* Non-negative finite decimal number (digits . e E + -), fully consumed. */
static int parse_real(const char *s, double *out)
{
    while (*s == ' ')
        s++;
    if (*s == '\0' || strspn(s, "0123456789.eE+-") != strlen(s))
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* Non-negative integer of digits only (surrounding spaces allowed). */
static int parse_int(const char *s, long long max, long long *out)
{
    while (*s == ' ')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    long long v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
        s++;
    }
    while (*s == ' ')
        s++;
    if (*s != '\0')
        return -1;
    *out = v;
    return 0;
}

/* "  896    1    1": three whitespace-separated integers (cuda_gpu_kern_gb_sum). */
static int parse_xyz(const char *s, int v[3])
{
    for (int i = 0; i < 3; i++) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!isdigit((unsigned char)*s))
            return -1;
        long long x = 0;
        while (isdigit((unsigned char)*s)) {
            x = x * 10 + (*s - '0');
            if (x > 2147483647LL)
                return -1;
            s++;
        }
        v[i] = (int)x;
    }
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0' ? 0 : -1;
}

static int is_memop(const char *name)
{
    return strncmp(name, "[CUDA memcpy", 12) == 0 || strncmp(name, "[CUDA memset", 12) == 0;
}

/* Converts one data record. Returns 1 for a kernel (written to *k), 0 for a
 * memory operation (its duration in *memop_ns), -1 on error. */
static int take_row(const char *path, const record_t *rec, size_t ncols, nsys_form_t form,
                    const colmap_t *m, const record_t *hdr, nsys_kernel_t *k, double *memop_ns,
                    char *err, size_t errlen)
{
    if (rec->n != ncols) {
        fail(err, errlen,
             "%s:%d: row has %zu fields; expected %zu (one per header column; the file may be "
             "truncated)",
             path, rec->line, rec->n, ncols);
        return -1;
    }
    memset(k, 0, sizeof *k);
    k->line = rec->line;
    k->start_ns = -1;
    k->instances = 1;
    const char *name = rec->fields[m[C_NAME].col];
    if (name[0] == '\0') {
        fail(err, errlen, "%s:%d: column 'Name' is empty; expected a kernel name", path, rec->line);
        return -1;
    }
    /* every time column present must hold a number (empty allowed only where
     * nsys leaves it empty: statistics of a summary are optional) */
    double t[C_N] = {0};
    static const int TIMES[] = {C_START, C_DUR, C_TOTAL, C_AVG, C_MED, C_MIN, C_MAX, C_SD};
    for (size_t i = 0; i < sizeof TIMES / sizeof TIMES[0]; i++) {
        int id = TIMES[i];
        if (m[id].col < 0)
            continue;
        const char *cell = rec->fields[m[id].col];
        int required = id == C_START || id == C_DUR || id == C_TOTAL;
        if (cell[0] == '\0' && !required)
            continue;
        if (parse_real(cell, &t[id]) != 0 || t[id] * m[id].factor > TIME_CAP_NS) {
            fail(err, errlen,
                 "%s:%d: column '%s': '%s' is not valid; expected a non-negative number of %s "
                 "(at most " TIME_CAP_TEXT ")",
                 path, rec->line, hdr->fields[m[id].col], cell,
                 m[id].factor == 1 ? "nanoseconds" : "time units");
            return -1;
        }
        t[id] *= m[id].factor;
    }
    if (form == NSYS_TIMELINE) {
        k->start_ns = t[C_START];
        k->dur_ns = t[C_DUR];
    } else {
        long long inst;
        const char *cell = rec->fields[m[C_INST].col];
        if (parse_int(cell, (long long)1e15, &inst) != 0 || inst < 1) {
            fail(err, errlen, "%s:%d: column 'Instances': '%s' is not valid; expected a positive "
                 "integer", path, rec->line, cell);
            return -1;
        }
        k->instances = inst;
        k->dur_ns = t[C_TOTAL];
    }
    if (is_memop(name)) {
        *memop_ns = k->dur_ns;
        return 0;
    }
    static const int G[6] = {C_GX, C_GY, C_GZ, C_BX, C_BY, C_BZ};
    for (int i = 0; i < 6; i++) {
        if (m[G[i]].col < 0)
            continue;
        const char *cell = rec->fields[m[G[i]].col];
        long long v = 0;
        if (cell[0] != '\0' && parse_int(cell, 2147483647LL, &v) != 0) {
            fail(err, errlen, "%s:%d: column '%s': '%s' is not valid; expected a non-negative "
                 "integer or empty", path, rec->line, col_label(G[i]), cell);
            return -1;
        }
        if (i < 3)
            k->grid[i] = (int)v;
        else
            k->block[i - 3] = (int)v;
    }
    static const int X[2] = {C_GRID, C_BLOCK};
    for (int i = 0; i < 2; i++) {
        if (m[X[i]].col < 0)
            continue;
        const char *cell = rec->fields[m[X[i]].col];
        if (cell[0] != '\0' && parse_xyz(cell, i == 0 ? k->grid : k->block) != 0) {
            fail(err, errlen, "%s:%d: column '%s': '%s' is not valid; expected three integers "
                 "separated by spaces", path, rec->line, col_label(X[i]), cell);
            return -1;
        }
    }
    k->name = csvrec_strndup(name, strlen(name));
    if (!k->name) {
        fail(err, errlen, "%s:%d: out of memory", path, rec->line);
        return -1;
    }
    return 1;
}

void nsys_csv_free(nsys_csv_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->k[i].name);
    free(t->k);
    free(t->path);
    memset(t, 0, sizeof *t);
}

static int build(const char *path, reader_t *rd, nsys_form_t form, nsys_csv_t *t, char *err,
                 size_t errlen)
{
    /* read_records started on the header line, which has a comma */
    assert(rd->nrecs >= 1);
    const record_t *h = &rd->recs[0];
    colmap_t m[C_N];
    if (map_header(path, h, form, m, &t->variant, err, errlen) != 0)
        return -1;
    t->form = form;
    t->header_line = h->line;
    size_t ndata = rd->nrecs - 1;
    t->k = calloc(ndata ? ndata : 1, sizeof *t->k);
    if (!t->k) {
        fail(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (size_t i = 1; i < rd->nrecs; i++) {
        double memop = 0;
        int r = take_row(path, &rd->recs[i], h->n, form, m, h, &t->k[t->n], &memop, err, errlen);
        if (r < 0)
            return -1;
        if (r == 0) {
            t->n_memops++;
            t->memop_ns += memop;
        } else
            t->n++;
    }
    if (t->n == 0) {
        if (t->n_memops)
            fail(err, errlen, "%s:%d: %zu memcpy/memset rows but no kernel rows; expected at "
                 "least one kernel", path, h->line, t->n_memops);
        else
            fail(err, errlen, "%s:%d: no data rows after the header; expected at least one "
                 "kernel row (an empty trace)", path, h->line);
        return -1;
    }
    t->path = csvrec_strndup(path, strlen(path));
    if (!t->path) {
        fail(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

int nsys_csv_read(const char *path, nsys_csv_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    if (csvrec_slurp(path, &text, &len, err, errlen) != 0)
        return -1;
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    int line = 1, found = 0;
    nsys_form_t form = NSYS_TIMELINE;
    while (pos < len) {
        size_t n = csvrec_line_len(text, len, pos);
        if (is_header(text + pos, n, &form)) {
            found = 1;
            break;
        }
        line++;
        pos += n;
    }
    if (!found) {
        fail(err, errlen,
             "%s:%d: no kernel table header; expected a line starting with 'Start (ns)', "
             "'Start(sec)', 'Time (%%)' or 'Time(%%)' (nsys stats --report cuda_gpu_trace or "
             "cuda_gpu_kern_sum --format csv)",
             path, line > 1 ? line - 1 : 1);
        free(text);
        return -1;
    }
    reader_t rd = {0};
    int rc = csvrec_parse(path, text, len, pos, line, is_banner, &rd, err, errlen);
    free(text);
    if (rc == 0)
        rc = build(path, &rd, form, out, err, errlen);
    csvrec_free(&rd);
    if (rc != 0) {
        nsys_csv_free(out);
        return -1;
    }
    return 0;
}
