/* csvrec.h -- CSV text to records with their physical line numbers (libcsv),
 * the one CSV reader of gbsim (decode traces, nsys exports, kernel classes,
 * quant, calibrate), and the one field writer that gives text it reads back
 * unchanged.
 *
 * The text is fed to libcsv one physical line at a time (a line ends after
 * LF, CRLF or a lone CR), so a record can only end at a chunk's end and the
 * line it started on is exact, even with quoted line breaks. Blank lines
 * make no record. */
#ifndef GBSIM_CSVREC_H
#define GBSIM_CSVREC_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    char **fields;        /* n NUL-terminated copies */
    size_t n;
    int line;             /* 1-based physical line the record starts on */
} csvrec_t;

typedef struct {
    csvrec_t *recs;
    size_t nrecs;
    /* parser state, private */
    char **cur;
    size_t ncur, capcur, caprecs;
    int row_open, row_line, oom;
} csvrec_list_t;

/* Read all of path into *buf (NUL-terminated, *len bytes before the NUL).
 * Errors: "PATH: cannot open: <reason>". */
int csvrec_slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen);

/* Parse text[pos..len) whose first byte is on line `line` into out (which
 * must be zeroed). A leading UTF-8 byte-order mark at pos 0 is skipped. If
 * stop is not NULL, parsing ends before the first line, outside a record,
 * for which stop(line, length) returns 1. Returns 0, or -1 with
 * "PATH:LINE: ..." in err (NUL bytes, malformed quoting, an unclosed quote). */
int csvrec_parse(const char *path, const char *text, size_t len, size_t pos, int line,
                 int (*stop)(const char *s, size_t n), csvrec_list_t *out, char *err,
                 size_t errlen);

/* csvrec_slurp and csvrec_parse of the whole file: out must be zeroed, and is
 * freed with csvrec_free whatever this returns. Returns 0, or -1 with err
 * ("PATH: cannot open: ..." or "PATH:LINE: ..."). */
int csvrec_read(const char *path, csvrec_list_t *out, char *err, size_t errlen);

void csvrec_free(csvrec_list_t *l);

/* A file read a few records at a time (a trace too large to hold): the same
 * records, lines and errors as csvrec_read, with memory for the records of one
 * call only. */
typedef struct csvrec_stream csvrec_stream_t;

/* Open path. Returns the stream, or NULL with "PATH: cannot open: ..." in err. */
csvrec_stream_t *csvrec_open(const char *path, char *err, size_t errlen);

/* Parse on until out (zeroed, or freed with csvrec_free since the last call)
 * holds max records or the file ends (then nothing more comes). Returns 0
 * (no records: the end), or -1 with err as csvrec_parse's. */
int csvrec_next(csvrec_stream_t *s, size_t max, csvrec_list_t *out, char *err, size_t errlen);

void csvrec_close(csvrec_stream_t *s);

/* Writes s as one CSV field, enclosed in double quotes (embedded quotes
 * doubled) exactly when csvrec_parse would otherwise read it back changed:
 * a comma, quote or line break in it, or a leading or trailing space or tab
 * (libcsv trims those from unquoted fields). Returns 0, or -1 on a write
 * error. */
int csvrec_write_field(FILE *f, const char *s);

/* A NUL-terminated copy of s[0..n) (NULL when out of memory). */
char *csvrec_strndup(const char *s, size_t n);

/* Free n strings and the array holding them; v may be NULL. */
void csvrec_free_strings(char **v, size_t n);

/* Length of the physical line starting at text+pos, its terminator included. */
size_t csvrec_line_len(const char *text, size_t len, size_t pos);

/* The text of error number errnum (strerror_r: safe on threads), in buf[0..n). */
const char *csvrec_errtext(int errnum, char *buf, size_t n);

#endif
