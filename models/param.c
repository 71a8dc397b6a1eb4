/* param.c -- the parameter table: loads key,value,unit,source[,low,high] CSV
 * files against a schema (param.h).
 *
 * The text is split into lines first (no field in these files spans lines),
 * then each line is parsed on its own with libcsv, so every error names its
 * line. Values go into a temporary array; dst and origins are written only
 * after every row and every required key has been checked. */
#include "models/param.h"

#include "sim/csvrec.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A file has BASE_FIELDS columns, or ROW_FIELDS with the range columns. */
enum { BASE_FIELDS = 4, ROW_FIELDS = 6 };

static const char *const HEADER[ROW_FIELDS] = {"key", "value", "unit", "source", "low", "high"};

/* Fields of one parsed line. Fields past ROW_FIELDS are counted, not kept. */
typedef struct {
    char *field[ROW_FIELDS];
    size_t nfields;
    size_t nrows;       /* row ends reported by libcsv: 1 for a well-formed line */
    int oom;
} row_t;

/* Appends printf-style text to buf at *pos; output past buflen is dropped
 * but buf stays NUL-terminated. */
static void append(char *buf, size_t buflen, size_t *pos, const char *fmt, ...)
{
    if (buf == NULL || buflen == 0 || *pos >= buflen - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *pos, buflen - *pos, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    *pos += (size_t)k;
    if (*pos > buflen - 1)
        *pos = buflen - 1;
}

static void on_field(void *s, size_t len, void *data)
{
    row_t *row = data;
    if (row->nfields < ROW_FIELDS) {
        char *copy = malloc(len + 1);
        if (copy == NULL) {
            row->oom = 1;
        } else {
            if (len > 0)
                memcpy(copy, s, len);
            copy[len] = '\0';
        }
        row->field[row->nfields] = copy;
    }
    row->nfields++;
}

static void on_row(int c, void *data)
{
    (void)c;
    row_t *row = data;
    row->nrows++;
}

static void row_free(row_t *row)
{
    size_t kept = row->nfields < ROW_FIELDS ? row->nfields : ROW_FIELDS;
    for (size_t i = 0; i < kept; i++)
        free(row->field[i]);
    memset(row, 0, sizeof *row);
}

/* Parses one line (no line terminator) into row. Returns 0, or -1 with the
 * reason in why. */
static int parse_line(const char *line, size_t len, row_t *row, char *why, size_t whylen)
{
    struct csv_parser p;
    memset(row, 0, sizeof *row);
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        snprintf(why, whylen, "cannot initialise the CSV parser");
        return -1;
    }
    size_t used = csv_parse(&p, line, len, on_field, on_row, row);
    int bad = used != len;
    if (csv_fini(&p, on_field, on_row, row) != 0)
        bad = 1;
    int code = csv_error(&p);
    csv_free(&p);
    if (row->oom) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    if (bad) {
        snprintf(why, whylen, "malformed CSV (%s); expected comma-separated fields, "
                 "quoted with \" where a field contains a comma",
                 code == CSV_EPARSE ? "misplaced or unterminated quote" : csv_strerror(code));
        return -1;
    }
    if (row->nrows > 1) {
        snprintf(why, whylen, "carriage return inside a line; expected one row per line");
        return -1;
    }
    return 0;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static int is_comment(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i < len && s[i] == '#';
}

/* The "expected ..." clause for def's value, e.g.
 * "a finite number in [1, 100000] GB/s". */
static void expected_value(const param_def_t *def, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s in [%.15g, %.15g] %s",
             def->type == PARAM_INT ? "an integer" : "a finite number",
             def->min, def->max, def->unit);
}

/* Converts text to def's value. Returns 0 with *out set, or -1 with a
 * "<what>; expected <what>" description in why. The whole text must be a
 * finite number within [min, max], integral for PARAM_INT. */
static int parse_value(const param_def_t *def, const char *what, const char *text, double *out,
                       char *why, size_t whylen)
{
    char exp[160];
    expected_value(def, exp, sizeof exp);
    char *end = NULL;
    /* decimal notation only: no hex, no leading '+' or space; nan and inf
     * spellings are recognised so that the message can say "not finite" */
    double v = strtod(text, &end);
    int whole = end != NULL && end != text && *end == '\0';
    if (whole && !isfinite(v)) {
        snprintf(why, whylen, "key '%s': %s '%s' is not finite; expected %s",
                 def->key, what, text, exp);
        return -1;
    }
    int starts_ok = text[0] != '\0' && text[0] != '+';
    for (const char *c = text; *c && starts_ok; c++)
        starts_ok = isdigit((unsigned char)*c) || *c == '.' || *c == '-' || *c == 'e' || *c == 'E';
    if (!starts_ok || end == NULL || *end != '\0' || end == text) {
        snprintf(why, whylen, "key '%s': %s '%s' is not a number; expected %s",
                 def->key, what, text, exp);
        return -1;
    }
    if (!isfinite(v)) {
        snprintf(why, whylen, "key '%s': %s '%s' is not finite; expected %s",
                 def->key, what, text, exp);
        return -1;
    }
    if (v < def->min || v > def->max) {
        snprintf(why, whylen, "key '%s': %s '%s' is out of range; expected %s",
                 def->key, what, text, exp);
        return -1;
    }
    if (def->type == PARAM_INT && v != floor(v)) {
        snprintf(why, whylen, "key '%s': %s '%s' is not an integer; expected %s",
                 def->key, what, text, exp);
        return -1;
    }
    *out = v;
    return 0;
}

static void list_keys(const param_schema_t *schema, char *buf, size_t buflen, size_t *pos)
{
    for (size_t i = 0; i < schema->n; i++)
        append(buf, buflen, pos, "%s%s", i ? ", " : "", schema->defs[i].key);
}

int param_find(const param_schema_t *schema, const char *key)
{
    for (size_t i = 0; i < schema->n; i++)
        if (strcmp(schema->defs[i].key, key) == 0)
            return (int)i;
    return -1;
}

double param_get(const param_schema_t *schema, const void *dst, size_t i)
{
    double v;
    memcpy(&v, (const char *)dst + schema->defs[i].offset, sizeof v);
    return v;
}

void param_put(const param_schema_t *schema, void *dst, size_t i, double v)
{
    memcpy((char *)dst + schema->defs[i].offset, &v, sizeof v);
}

int param_is_assumption(const char *source)
{
    static const char word[] = "assumption";
    for (size_t i = 0; i < sizeof word - 1; i++)
        if (tolower((unsigned char)source[i]) != word[i])
            return 0;
    return 1;
}

/* Checks the range fields lo and hi (NULL in a 4-column file) of def
 * against its value v and records them in *o. Returns 0, or -1 with
 * "<what>; expected <what>" in why. */
static int take_range(const param_def_t *def, double v, const char *source, const char *lo,
                      const char *hi, param_origin_t *o, char *why, size_t whylen)
{
    int has_lo = lo != NULL && lo[0] != '\0', has_hi = hi != NULL && hi[0] != '\0';
    if (has_lo != has_hi) {
        snprintf(why, whylen, "key '%s': %s without %s; expected both low and high, or neither",
                 def->key, has_lo ? "low" : "high", has_lo ? "high" : "low");
        return -1;
    }
    if (!has_lo) {
        if (param_is_assumption(source)) {
            snprintf(why, whylen, "key '%s': an assumption without a range; expected low,high "
                     "columns (header key,value,unit,source,low,high) giving the plausible "
                     "values, and the reason for them in the source", def->key);
            return -1;
        }
        return 0;
    }
    if (parse_value(def, "low", lo, &o->low, why, whylen) != 0 ||
        parse_value(def, "high", hi, &o->high, why, whylen) != 0)
        return -1;
    if (!(o->low <= v && v <= o->high)) {
        snprintf(why, whylen, "key '%s': range [%s, %s] does not hold the value %.15g; expected "
                 "low <= value <= high", def->key, lo, hi, v);
        return -1;
    }
    o->has_range = 1;
    return 0;
}

/* Checks one data row (4 or 6 fields) against the schema and records it in
 * the temporaries. Returns 0, or -1 with "<what>; expected <what>" in why. */
static int take_row(const param_schema_t *schema, const row_t *row, int lineno,
                    double *vals, param_origin_t *orig, char *why, size_t whylen)
{
    const char *key = row->field[0], *value = row->field[1];
    const char *unit = row->field[2], *source = row->field[3];
    const char *lo = row->nfields == ROW_FIELDS ? row->field[4] : NULL;
    const char *hi = row->nfields == ROW_FIELDS ? row->field[5] : NULL;
    int i = param_find(schema, key);
    if (i < 0) {
        size_t pos = 0;
        append(why, whylen, &pos, "unknown %s key '%s'; expected one of: ", schema->what, key);
        list_keys(schema, why, whylen, &pos);
        return -1;
    }
    const param_def_t *def = &schema->defs[i];
    if (orig[i].line != 0) {
        snprintf(why, whylen, "duplicate key '%s' (first on line %d); expected each key once",
                 key, orig[i].line);
        return -1;
    }
    if (strcmp(unit, def->unit) != 0) {
        snprintf(why, whylen, "key '%s': unit '%s' but expected '%s' (units are never implied)",
                 key, unit, def->unit);
        return -1;
    }
    if (parse_value(def, "value", value, &vals[i], why, whylen) != 0)
        return -1;
    size_t slen = strlen(source);
    if (slen == 0) {
        snprintf(why, whylen, "key '%s': empty source; expected a citation (datasheet, paper, "
                 "code path, 'measured: ...' or 'assumption: ...')", key);
        return -1;
    }
    if (slen >= PARAM_SOURCE_MAX) {
        snprintf(why, whylen, "key '%s': source is %zu characters; expected at most %d",
                 key, slen, PARAM_SOURCE_MAX - 1);
        return -1;
    }
    if (take_range(def, vals[i], source, lo, hi, &orig[i], why, whylen) != 0)
        return -1;
    memcpy(orig[i].source, source, slen + 1);
    orig[i].line = lineno;
    return 0;
}

/* The number of columns row declares as a header (BASE_FIELDS or
 * ROW_FIELDS), or 0 if it is not a header. */
static size_t header_fields(const row_t *row)
{
    if (row->nfields != BASE_FIELDS && row->nfields != ROW_FIELDS)
        return 0;
    for (size_t i = 0; i < row->nfields; i++)
        if (strcmp(row->field[i], HEADER[i]) != 0)
            return 0;
    return row->nfields;
}

/* Walks the lines of text. Returns 0 with every key set in vals/orig, or -1
 * with the message in err. orig[i].line != 0 marks key i as seen. */
static int load_rows(const param_schema_t *schema, const char *fname, const char *text,
                     size_t len, double *vals, param_origin_t *orig, char *err, size_t errlen)
{
    char why[1536];
    size_t ncols = 0;       /* the header's column count, 0 before it */
    int lineno = 0;
    size_t at = 0;
    while (at < len) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - at);
        size_t linelen = nl ? (size_t)(nl - line) : len - at;
        at += linelen + (nl ? 1 : 0);
        lineno++;
        while (linelen > 0 && line[linelen - 1] == '\r')
            linelen--;
        if (is_blank(line, linelen) || is_comment(line, linelen))
            continue;
        row_t row;
        if (parse_line(line, linelen, &row, why, sizeof why) != 0) {
            row_free(&row);
            snprintf(err, errlen, "%s:%d: %s", fname, lineno, why);
            return -1;
        }
        int rc = 0;
        if (row.nfields > 0 && row.field[0][0] == '#') {
            row_free(&row);
            continue;
        }
        if (ncols == 0) {
            ncols = header_fields(&row);
            if (ncols == 0) {
                size_t pos = 0;
                size_t kept = row.nfields < ROW_FIELDS ? row.nfields : ROW_FIELDS;
                append(err, errlen, &pos, "%s:%d: header '", fname, lineno);
                for (size_t i = 0; i < kept; i++)
                    append(err, errlen, &pos, "%s%s", i ? "," : "", row.field[i]);
                append(err, errlen, &pos, "%s'; expected exactly 'key,value,unit,source' or "
                       "'key,value,unit,source,low,high'", row.nfields > ROW_FIELDS ? ",..." : "");
                rc = -1;
            }
        } else if (row.nfields != ncols) {
            snprintf(err, errlen, "%s:%d: %zu field(s); expected %zu (%s)", fname, lineno,
                     row.nfields, ncols, ncols == ROW_FIELDS ? "key,value,unit,source,low,high"
                                                             : "key,value,unit,source");
            rc = -1;
        } else if (take_row(schema, &row, lineno, vals, orig, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: %s", fname, lineno, why);
            rc = -1;
        }
        row_free(&row);
        if (rc != 0)
            return -1;
    }
    if (ncols == 0) {
        snprintf(err, errlen, "%s:%d: no header; expected 'key,value,unit,source' or "
                 "'key,value,unit,source,low,high'",
                 fname, lineno > 0 ? lineno : 1);
        return -1;
    }
    size_t pos = 0, missing = 0;
    for (size_t i = 0; i < schema->n; i++) {
        if (orig[i].line != 0)
            continue;
        if (missing++ == 0)
            append(err, errlen, &pos, "%s: missing key(s): ", fname);
        else
            append(err, errlen, &pos, ", ");
        append(err, errlen, &pos, "%s", schema->defs[i].key);
    }
    if (missing > 0) {
        append(err, errlen, &pos, " (every key is required)");
        return -1;
    }
    return 0;
}

int param_load(const param_schema_t *schema, void *dst, param_origin_t *origins,
               const char *fname, const char *text, size_t len,
               char *err, size_t errlen)
{
    char scratch[1];
    if (err == NULL || errlen == 0) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    size_t n = schema->n ? schema->n : 1;
    double *vals = calloc(n, sizeof *vals);
    param_origin_t *orig = calloc(n, sizeof *orig);
    if (vals == NULL || orig == NULL) {
        free(vals);
        free(orig);
        snprintf(err, errlen, "%s: out of memory", fname);
        return -1;
    }
    int rc = load_rows(schema, fname, text, len, vals, orig, err, errlen);
    if (rc == 0) {
        for (size_t i = 0; i < schema->n; i++)
            param_put(schema, dst, i, vals[i]);
        if (origins != NULL)
            memcpy(origins, orig, schema->n * sizeof *orig);
    }
    free(vals);
    free(orig);
    return rc;
}

int param_load_file(const param_schema_t *schema, void *dst,
                    param_origin_t *origins, const char *path,
                    char *err, size_t errlen)
{
    char ebuf[128];   /* strerror_r: thread-safe (sweep and replay workers) */
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: cannot open: %s", path, csvrec_errtext(errno, ebuf, sizeof ebuf));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int failed = buf == NULL;
    while (!failed) {
        if (len == cap) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                failed = 1;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int read_error = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed || read_error) {
        free(buf);
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: cannot read: %s", path,
                     failed ? "out of memory" : csvrec_errtext(saved, ebuf, sizeof ebuf));
        return -1;
    }
    int rc = param_load(schema, dst, origins, path, buf, len, err, errlen);
    free(buf);
    return rc;
}

int param_set(const param_schema_t *schema, void *dst, param_origin_t *origins,
              const char *assignment, char *err, size_t errlen)
{
    char scratch[1];
    char *e = err != NULL && errlen > 0 ? err : scratch;
    size_t elen = err != NULL && errlen > 0 ? errlen : sizeof scratch;
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment) {
        snprintf(e, elen, "--set '%s': %s; expected key=value", assignment,
                 eq == NULL ? "no '='" : "empty key");
        return -1;
    }
    size_t klen = (size_t)(eq - assignment);
    const char *value = eq + 1;
    if (assignment[klen - 1] == ' ' || assignment[klen - 1] == '\t' ||
        assignment[0] == ' ' || assignment[0] == '\t' ||
        value[0] == ' ' || value[0] == '\t') {
        snprintf(e, elen, "--set '%s': whitespace around '='; expected key=value with no spaces",
                 assignment);
        return -1;
    }
    int found = -1;
    for (size_t i = 0; i < schema->n; i++) {
        const char *k = schema->defs[i].key;
        if (strlen(k) == klen && strncmp(k, assignment, klen) == 0) {
            found = (int)i;
            break;
        }
    }
    if (found < 0)
        return 1;
    char why[512];
    double v;
    if (parse_value(&schema->defs[found], "value", value, &v, why, sizeof why) != 0) {
        snprintf(e, elen, "--set '%s': %s", assignment, why);
        return -1;
    }
    param_put(schema, dst, (size_t)found, v);
    if (origins != NULL) {
        snprintf(origins[found].source, sizeof origins[found].source, "--set");
        origins[found].line = 0;
        origins[found].has_range = 0;
    }
    return 0;
}
