/* csvrec.c -- line-exact CSV records on top of libcsv. */
#include "sim/csvrec.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *csvrec_errtext(int errnum, char *buf, size_t n)
{
    /* the XSI strerror_r (_POSIX_C_SOURCE 200809L) */
    if (strerror_r(errnum, buf, n) != 0)
        snprintf(buf, n, "error %d", errnum);
    return buf;
}

char *csvrec_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void csvrec_free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void on_field(void *s, size_t len, void *data)
{
    csvrec_list_t *r = data;
    if (r->oom)
        return;
    if (r->ncur == r->capcur) {
        size_t cap = r->capcur ? 2 * r->capcur : 16;
        char **p = realloc(r->cur, cap * sizeof *p);
        if (!p) {
            r->oom = 1;
            return;
        }
        r->cur = p;
        r->capcur = cap;
    }
    char *f = csvrec_strndup(s ? s : "", s ? len : 0);
    if (!f) {
        r->oom = 1;
        return;
    }
    r->cur[r->ncur++] = f;
}

static void on_row(int c, void *data)
{
    (void)c;
    csvrec_list_t *r = data;
    int line = r->row_line;
    r->row_open = 0;
    if (r->oom)
        return;
    if (r->nrecs == r->caprecs) {
        size_t cap = r->caprecs ? 2 * r->caprecs : 64;
        csvrec_t *p = realloc(r->recs, cap * sizeof *p);
        if (!p) {
            r->oom = 1;
            return;
        }
        r->recs = p;
        r->caprecs = cap;
    }
    r->recs[r->nrecs++] = (csvrec_t){r->cur, r->ncur, line};
    r->cur = NULL;
    r->ncur = r->capcur = 0;
}

void csvrec_free(csvrec_list_t *r)
{
    csvrec_free_strings(r->cur, r->ncur);
    for (size_t i = 0; i < r->nrecs; i++)
        csvrec_free_strings(r->recs[i].fields, r->recs[i].n);
    free(r->recs);
    memset(r, 0, sizeof *r);
}

/* Whether libcsv would start a record on this chunk: anything other than its
 * default space (space, tab) and terminator (CR, LF) characters. */
static int has_content(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 1;
    return 0;
}

size_t csvrec_line_len(const char *text, size_t len, size_t pos)
{
    size_t end = pos;
    while (end < len && text[end] != '\n' && text[end] != '\r')
        end++;
    if (end < len) {
        if (text[end] == '\r' && end + 1 < len && text[end + 1] == '\n')
            end++;
        end++;
    }
    return end - pos;
}

int csvrec_slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    char ebuf[128];   /* strerror_r: thread-safe (sweep and replay workers) */
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, errlen, "%s: cannot open: %s", path, csvrec_errtext(errno, ebuf, sizeof ebuf));
        return -1;
    }
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - 1 - n, f);
        if (n < cap - 1)
            break;
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int rerr = ferror(f);
    int saved = errno;
    fclose(f);
    if (!b) {
        fail(err, errlen, "%s: cannot open: out of memory", path);
        return -1;
    }
    if (rerr) {
        free(b);
        fail(err, errlen, "%s: cannot open: read error: %s", path, csvrec_errtext(saved, ebuf, sizeof ebuf));
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

int csvrec_read(const char *path, csvrec_list_t *out, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    if (csvrec_slurp(path, &text, &len, err, errlen) != 0)
        return -1;
    int rc = csvrec_parse(path, text, len, 0, 1, NULL, out, err, errlen);
    free(text);
    return rc;
}

int csvrec_write_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return 0;
    /* quoted when a reader would otherwise change it: a delimiter, quote or line
     * break, a leading or trailing blank (trimmed), or a leading UTF-8 byte-order
     * mark (skipped at the start of a file) */
    int quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[0] == '\t' ||
                s[n - 1] == ' ' || s[n - 1] == '\t' || strncmp(s, "\xEF\xBB\xBF", 3) == 0;
    if (quote)
        return csv_fwrite(f, s, n) == 0 ? 0 : -1;
    return fwrite(s, 1, n, f) == n ? 0 : -1;
}

/* Feed one physical line (chunk[0..n), its terminator included) that starts
 * on `line` to libcsv. Returns 0, or -1 with "PATH:LINE: ..." in err. */
static int feed_line(struct csv_parser *p, const char *path, const char *chunk, size_t n,
                     int line, csvrec_list_t *r, char *err, size_t errlen)
{
    if (memchr(chunk, '\0', n)) {
        fail(err, errlen, "%s:%d: NUL byte in the file; expected CSV text", path, line);
        return -1;
    }
    if (!r->row_open && has_content(chunk, n)) {
        r->row_open = 1;
        r->row_line = line;
    }
    if (csv_parse(p, chunk, n, on_field, on_row, r) != n) {
        int e = csv_error(p);
        if (e == CSV_EPARSE)
            fail(err, errlen,
                 "%s:%d: malformed CSV quoting (%s); expected fields either unquoted or "
                 "wholly enclosed in double quotes, with embedded quotes doubled",
                 path, line, csv_strerror(e));
        else
            fail(err, errlen, "%s:%d: cannot parse: %s", path, line, csv_strerror(e));
        return -1;
    }
    if (r->oom) {
        fail(err, errlen, "%s:%d: out of memory", path, line);
        return -1;
    }
    return 0;
}

/* The end of the text: the last record, and the checks. line is the line
 * after the last one. */
static int finish(struct csv_parser *p, const char *path, int line, csvrec_list_t *r, char *err,
                  size_t errlen)
{
    if (csv_fini(p, on_field, on_row, r) != 0) {
        fail(err, errlen,
             "%s:%d: malformed CSV quoting: quoted field is never closed (the file may be "
             "truncated); expected a closing double quote",
             path, r->row_open ? r->row_line : line);
        return -1;
    }
    if (r->oom) {
        fail(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

int csvrec_parse(const char *path, const char *text, size_t len, size_t pos, int line,
                 int (*stop)(const char *s, size_t n), csvrec_list_t *r, char *err,
                 size_t errlen)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fail(err, errlen, "%s: out of memory", path);
        return -1;
    }
    /* a UTF-8 byte-order mark is not part of the first column name */
    if (pos == 0 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    int rc = 0;
    while (pos < len) {
        size_t n = csvrec_line_len(text, len, pos);
        if (!r->row_open && stop && !memchr(text + pos, '\0', n) && stop(text + pos, n))
            break;
        if ((rc = feed_line(&p, path, text + pos, n, line, r, err, errlen)) != 0)
            break;
        line++;
        pos += n;
    }
    if (rc == 0)
        rc = finish(&p, path, line, r, err, errlen);
    csv_free(&p);
    return rc;
}

/* ---------------------------------------------------------- streams -- */

/* STREAM_BLOCK bytes are read at a time; a line longer than the buffer grows it. */
enum { STREAM_BLOCK = 1 << 16 };

struct csvrec_stream {
    FILE *f;
    char *path;
    struct csv_parser p;
    char *buf;
    size_t cap, len, pos;   /* buf[pos..len) is read and not yet parsed */
    int line;               /* of buf[pos] */
    int eof, started, done;
};

csvrec_stream_t *csvrec_open(const char *path, char *err, size_t errlen)
{
    char ebuf[128];
    csvrec_stream_t *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = csvrec_strndup(path, strlen(path))) == NULL ||
        (s->buf = malloc(STREAM_BLOCK)) == NULL || csv_init(&s->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fail(err, errlen, "%s: cannot open: out of memory", path);
        if (s) {
            free(s->buf);
            free(s->path);
        }
        free(s);
        return NULL;
    }
    s->cap = STREAM_BLOCK;
    s->line = 1;
    if ((s->f = fopen(path, "rb")) == NULL) {
        fail(err, errlen, "%s: cannot open: %s", path, csvrec_errtext(errno, ebuf, sizeof ebuf));
        csv_free(&s->p);
        free(s->buf);
        free(s->path);
        free(s);
        return NULL;
    }
    return s;
}

void csvrec_close(csvrec_stream_t *s)
{
    if (s == NULL)
        return;
    fclose(s->f);
    csv_free(&s->p);
    free(s->buf);
    free(s->path);
    free(s);
}

/* More bytes after buf[len): the unparsed rest moved to the front, the
 * buffer doubled when it is full of one line. Returns 0, or -1 with err. */
static int refill(csvrec_stream_t *s, char *err, size_t errlen)
{
    char ebuf[128];
    if (s->pos > 0) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }
    if (s->len == s->cap) {
        char *b = realloc(s->buf, 2 * s->cap);
        if (b == NULL) {
            fail(err, errlen, "%s:%d: out of memory", s->path, s->line);
            return -1;
        }
        s->buf = b;
        s->cap *= 2;
    }
    size_t n = fread(s->buf + s->len, 1, s->cap - s->len, s->f);
    s->len += n;
    if (n == 0) {
        if (ferror(s->f)) {
            fail(err, errlen, "%s: cannot open: read error: %s", s->path,
                 csvrec_errtext(errno, ebuf, sizeof ebuf));
            return -1;
        }
        s->eof = 1;
    }
    return 0;
}

int csvrec_next(csvrec_stream_t *s, size_t max, csvrec_list_t *out, char *err, size_t errlen)
{
    while (!s->done && (out->nrecs < max || out->row_open)) {
        /* a whole line in buf[pos..): its terminator seen, and a CR not the
         * last byte read (a LF may follow it) */
        size_t n = csvrec_line_len(s->buf, s->len, s->pos);
        int whole = s->pos + n < s->len ||
                    (s->pos + n == s->len && n > 0 && s->buf[s->len - 1] == '\n');
        if (!whole && !s->eof) {
            if (refill(s, err, errlen) != 0)
                return -1;
            continue;
        }
        if (!s->started) {
            /* a UTF-8 byte-order mark is not part of the first column name */
            if (!s->eof && s->len < 3) {
                if (refill(s, err, errlen) != 0)
                    return -1;
                continue;
            }
            s->started = 1;
            if (s->len >= 3 && memcmp(s->buf, "\xEF\xBB\xBF", 3) == 0)
                s->pos = 3;
            continue;
        }
        if (n == 0) {   /* the end of the file */
            s->done = 1;
            return finish(&s->p, s->path, s->line, out, err, errlen);
        }
        if (feed_line(&s->p, s->path, s->buf + s->pos, n, s->line, out, err, errlen) != 0)
            return -1;
        s->pos += n;
        s->line++;
    }
    return 0;
}
