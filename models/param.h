/* param.h -- the one parameter table that loads hardware and model descriptions.
 *
 * A description is a CSV file (read with libcsv) whose header is exactly
 *     key,value,unit,source            or
 *     key,value,unit,source,low,high
 * and whose rows give one parameter each. low and high, both given or both
 * empty, are the range of plausible values (in the row's unit) that
 * models/uncert.h samples; the source gives the reason for them. A schema
 * (param_def_t[]) lists every key with its unit, its inclusive range and where
 * it lives in the target struct (a double field). Loading rejects, each with
 * "file:line: ..." and the expected value:
 *   - a header other than those two;
 *   - a row without as many fields as the header;
 *   - an unknown key (the message lists the valid keys);
 *   - a duplicated key;
 *   - a value, low or high that is not a finite number, is outside the
 *     schema's range, or is not an integer where the schema says PARAM_INT;
 *   - low without high or high without low;
 *   - a range that does not hold the value (low <= value <= high);
 *   - a source starting with "assumption" (any case) on a row without a range;
 *   - a unit that differs from the schema's unit (units are never implied);
 *   - an empty source;
 *   - after the last row, every key that is missing.
 * Lines whose first field starts with '#' are comments.
 *
 * Overrides: param_set applies "key=value" after loading; the source becomes
 * "--set" and the key loses its range (a value set by hand is not sampled).
 * The same range and integer checks apply. */
#ifndef GBSIM_PARAM_H
#define GBSIM_PARAM_H

#include <stddef.h>

enum { PARAM_REAL = 0, PARAM_INT = 1 };

typedef struct {
    const char *key;
    const char *unit;     /* exact unit string required in the file */
    double min, max;      /* inclusive */
    int type;             /* PARAM_REAL or PARAM_INT */
    size_t offset;        /* offsetof(target struct, double field) */
    const char *desc;
} param_def_t;

typedef struct {
    const char *what;           /* "arch" or "model": used in messages */
    const param_def_t *defs;
    size_t n;
} param_schema_t;

#define PARAM_SOURCE_MAX 256

/* Per-key provenance kept beside the values, index-aligned with schema->defs. */
typedef struct {
    char source[PARAM_SOURCE_MAX];
    int line;                   /* line in the file, 0 for --set */
    int has_range;              /* 1: low and high hold the row's range */
    double low, high;           /* in the key's unit; low <= value <= high */
} param_origin_t;

/* Load text (len bytes, not necessarily NUL-terminated) named fname into dst.
 * origins may be NULL, else has schema->n entries. Returns 0, or -1 with a
 * message in err. dst is fully written only on success. */
int param_load(const param_schema_t *schema, void *dst, param_origin_t *origins,
               const char *fname, const char *text, size_t len,
               char *err, size_t errlen);

/* Load from a file on disk (reads it, then param_load). */
int param_load_file(const param_schema_t *schema, void *dst,
                    param_origin_t *origins, const char *path,
                    char *err, size_t errlen);

/* Apply "key=value". Returns 0; 1 if the key is not in this schema (nothing
 * changed, err untouched); -1 with a message in err for a bad value. */
int param_set(const param_schema_t *schema, void *dst, param_origin_t *origins,
              const char *assignment, char *err, size_t errlen);

/* Whether a row's source declares an assumption: it starts with "assumption"
 * in any case. Such a row must carry a range. */
int param_is_assumption(const char *source);

/* Index of key in schema, or -1. */
int param_find(const param_schema_t *schema, const char *key);

/* The value of defs[i] inside dst. */
double param_get(const param_schema_t *schema, const void *dst, size_t i);

/* Store v as the value of defs[i] inside dst (no checks: v comes from a
 * checked value or range). */
void param_put(const param_schema_t *schema, void *dst, size_t i, double v);

#endif
