/* kclass.c -- kernel-name rules (contract in kclass.h). The table is parsed
 * by sim/csvrec.h, so every rule knows the line it starts on. */
#include "traces/kclass.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/preset.h"
#include "models/stack.h"
#include "sim/csvrec.h"

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *dup_s(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static const char *const GENERIC[] = {"gemm", "gemv", "mmq", "moe_gemm", "elementwise",
                                      "join_prev", "other"};

int kclass_is_class(const char *cls)
{
    for (size_t i = 0; i < sizeof GENERIC / sizeof GENERIC[0]; i++)
        if (strcmp(cls, GENERIC[i]) == 0)
            return 1;
    /* every op a stack may name */
    return stack_op_known(cls);
}

/* Glob over the whole name: '*' matches any run. Iterative, with one
 * backtrack point (the last '*'), so it is linear in practice. */
static int glob_match(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else
            return 0;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int kclass_pattern_match(const char *pattern, const char *name)
{
    if (strchr(pattern, '*'))
        return glob_match(pattern, name);
    return strstr(name, pattern) != NULL;
}

int kclass_rule(const kclass_t *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (kclass_pattern_match(t->rules[i].pattern, name))
            return (int)i;
    return -1;
}

const char *kclass_match(const kclass_t *t, const char *name)
{
    int i = kclass_rule(t, name);
    return i < 0 ? "other" : t->rules[i].op_class;
}

void kclass_free(kclass_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->rules[i].pattern);
        free(t->rules[i].op_class);
        free(t->rules[i].source);
    }
    free(t->rules);
    free(t->path);
    memset(t, 0, sizeof *t);
}

/* ---- parsing --------------------------------------------------------------- */

/* Checks one record; the header when *have_header is 0. Appends rules to t,
 * taking the record's fields. */
static int take(kclass_t *t, csvrec_t *r, int *have_header, size_t *cap, const char *fname,
                char *err, size_t errlen)
{
    char **f = r->fields;
    if (!*have_header) {
        if (r->n != 3 || strcmp(f[0], "pattern") || strcmp(f[1], "op_class") ||
            strcmp(f[2], "source")) {
            fail(err, errlen, "%s:%d: header is not valid; expected exactly pattern,op_class,source",
                 fname, r->line);
            return -1;
        }
        *have_header = 1;
        return 0;
    }
    if (r->n >= 1 && f[0][0] == '#')
        return 0;
    if (r->n != 3) {
        fail(err, errlen, "%s:%d: row has %zu fields; expected 3 (pattern,op_class,source)",
             fname, r->line, r->n);
        return -1;
    }
    if (f[0][0] == '\0' || strspn(f[0], "*") == strlen(f[0])) {
        fail(err, errlen, "%s:%d: column 'pattern': '%s' is not valid; expected a kernel-name "
             "substring or a glob with at least one other character than '*'", fname, r->line, f[0]);
        return -1;
    }
    if (!kclass_is_class(f[1])) {
        fail(err, errlen, "%s:%d: column 'op_class': '%s' is not valid; expected an op of a "
             "stack (models/stack.c) or one of " KCLASS_GENERIC, fname, r->line, f[1]);
        return -1;
    }
    if (f[2][0] == '\0') {
        fail(err, errlen, "%s:%d: column 'source': empty; expected where the kernel name comes "
             "from", fname, r->line);
        return -1;
    }
    if (t->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        kclass_rule_t *p = realloc(t->rules, nc * sizeof *p);
        if (!p) {
            fail(err, errlen, "%s:%d: out of memory", fname, r->line);
            return -1;
        }
        t->rules = p;
        *cap = nc;
    }
    kclass_rule_t *ru = &t->rules[t->n++];
    ru->pattern = f[0];
    ru->op_class = f[1];
    ru->source = f[2];
    ru->glob = strchr(ru->pattern, '*') != NULL;
    ru->line = r->line;
    free(f);   /* the strings now belong to the rule */
    r->fields = NULL;
    r->n = 0;
    return 0;
}

int kclass_load(kclass_t *t, const char *fname, const char *text, size_t len, char *err,
                size_t errlen)
{
    memset(t, 0, sizeof *t);
    csvrec_list_t rd = {0};
    int rc = csvrec_parse(fname, text, len, 0, 1, NULL, &rd, err, errlen);
    int have_header = 0;
    size_t cap = 0;
    for (size_t i = 0; rc == 0 && i < rd.nrecs; i++)
        rc = take(t, &rd.recs[i], &have_header, &cap, fname, err, errlen);
    csvrec_free(&rd);
    if (rc == 0 && !have_header) {
        fail(err, errlen, "%s: empty file; expected the header pattern,op_class,source", fname);
        rc = -1;
    }
    if (rc == 0 && t->n == 0) {
        fail(err, errlen, "%s: no rules; expected at least one pattern,op_class,source row", fname);
        rc = -1;
    }
    if (rc == 0 && (t->path = dup_s(fname)) == NULL) {
        fail(err, errlen, "%s: out of memory", fname);
        rc = -1;
    }
    if (rc != 0)
        kclass_free(t);
    return rc;
}

int kclass_load_default(kclass_t *t, char *err, size_t errlen)
{
    char ebuf[128];   /* strerror_r: thread-safe (sweep and replay workers) */
    const preset_file_t *f = preset_find("kclass", "kernel_classes");
    if (f)
        return kclass_load(t, f->path, f->text, f->len, err, errlen);
    /* a build configured before the table existed has not embedded it */
    const char *path = GBSIM_SOURCE_DIR "/models/data/kclass/kernel_classes.csv";
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fail(err, errlen, "kernel-class table not embedded and %s: cannot open: %s (re-run cmake)",
             path, csvrec_errtext(errno, ebuf, sizeof ebuf));
        return -1;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, nc);
            if (!nb)
                break;
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(fp) || buf == NULL;
    fclose(fp);
    if (bad) {
        free(buf);
        fail(err, errlen, "%s: cannot read", path);
        return -1;
    }
    int rc = kclass_load(t, "models/data/kclass/kernel_classes.csv", buf, n, err, errlen);
    free(buf);
    return rc;
}
