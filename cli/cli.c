/* cli.c -- option tables and their parser, strict numbers, the error report,
 * atomic output (contracts in cli.h). */
#include "cli/cli.h"

#include <assert.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gbsim: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_fail(const char *msg)
{
    return cli_error("%s", msg);
}

/* ---- scanning ------------------------------------------------------------------ */

static int takes_value(cli_type_t t)
{
    return t != CLI_FLAG && t != CLI_HELP;
}

static const cli_opt_t *find_opt(const cli_opt_t *opts, int nopts, const char *name, size_t len)
{
    for (int i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

/* The option or positional at argv[*i] (advanced past its value). Returns 0,
 * or -1 with err. */
static int scan_one(int argc, char **argv, int *i, const cli_opt_t *opts, int nopts,
                    const cli_opt_t **opt, const char **val, char *err, size_t errlen)
{
    const char *a = argv[*i];
    *opt = NULL;
    *val = a;
    if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
        return 0;
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const cli_opt_t *o = find_opt(opts, nopts, name, len);
    if (o == NULL) {
        snprintf(err, errlen, "unknown option '--%.*s' (see --help)", (int)len, name);
        return -1;
    }
    *opt = o;
    *val = NULL;
    if (takes_value(o->type)) {
        if (eq)
            *val = eq + 1;
        else if (*i + 1 < argc)
            *val = argv[++*i];
        else {
            snprintf(err, errlen, "option '--%s' needs a value", o->name);
            return -1;
        }
    } else if (eq) {
        snprintf(err, errlen, "option '--%s' takes no value", o->name);
        return -1;
    }
    return 0;
}

int cli_scan(int argc, char **argv, const cli_opt_t *opts, int nopts, cli_arg_t *out, int maxout,
             char *err, size_t errlen)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (n == maxout) {
            snprintf(err, errlen, "too many arguments (at most %d)", maxout);
            return -1;
        }
        const cli_opt_t *o;
        const char *val;
        if (scan_one(argc, argv, &i, opts, nopts, &o, &val, err, errlen) != 0)
            return -1;
        out[n++] = (cli_arg_t){o ? o->name : NULL, val};
    }
    return n;
}

void cli_print_help(FILE *f, const char *usage, const cli_opt_t *opts, int nopts, const char *more)
{
    fprintf(f, "%s\n\nOptions:\n", usage);
    for (int i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s", opts[i].name, takes_value(opts[i].type) ? " V" : "");
        fprintf(f, "  %-22s %s\n", left, opts[i].help);
    }
    if (more)
        fprintf(f, "\n%s", more);
}

/* ---- numbers ------------------------------------------------------------------- */

int cli_int(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out, char *err,
            size_t errlen)
{
    int ok = s[0] != '\0';
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            ok = 0;
    errno = 0;
    long long v = ok ? strtoll(s, NULL, 10) : 0;
    if (!ok || errno || v < lo || v > hi) {
        snprintf(err, errlen, "%s '%s': expected an integer in [%lld, %lld]", opt, s,
                 (long long)lo, (long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* A finite decimal number in [lo, hi]. Returns 0, or -1 with err. */
static int num(const char *opt, const char *s, double lo, double hi, double *out, char *err,
               size_t errlen)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !isfinite(x) || x < lo || x > hi) {
        snprintf(err, errlen, "%s '%s': expected a number in [%g, %g]", opt, s, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* The index of s among the '|'-separated words, or -1 with err. */
static int choice(const char *opt, const char *s, const char *words, int *out, char *err,
                  size_t errlen)
{
    int idx = 0, nwords = 1;
    for (const char *w = words;; idx++) {
        size_t n = strcspn(w, "|");
        if (strlen(s) == n && strncmp(s, w, n) == 0) {
            *out = idx;
            return 0;
        }
        if (w[n] == '\0')
            break;
        w += n + 1;
        nwords++;
    }
    /* "... is not valid; expected a, b or c" */
    size_t at = (size_t)snprintf(err, errlen, "%s '%s' is not valid; expected ", opt, s);
    int k = 0;
    for (const char *w = words; at < errlen; k++) {
        size_t n = strcspn(w, "|");
        const char *sep = k == 0 ? "" : k == nwords - 1 ? " or " : ", ";
        at += (size_t)snprintf(err + at, errlen - at, "%s%.*s", sep, (int)n, w);
        if (w[n] == '\0')
            break;
        w += n + 1;
    }
    return -1;
}

int cli_ctx(const char *ctx_s, int64_t batch, double max_positions, int64_t *ctx)
{
    assert(batch >= 0 && *ctx >= 0);
    int64_t room = (int64_t)max_positions - batch;
    if (room < 0)
        return cli_error("--batch %lld exceeds the model's max_positions=%.0f; expected at most "
                         "%.0f tokens per step", (long long)batch, max_positions, max_positions);
    if (ctx_s == NULL) {
        if (*ctx > room)
            return cli_error("--ctx %lld (default) + --batch %lld exceeds max_positions=%.0f; "
                             "give --ctx at most %lld", (long long)*ctx, (long long)batch,
                             max_positions, (long long)room);
        return 0;
    }
    char err[512];
    if (cli_int("--ctx", ctx_s, 0, room, ctx, err, sizeof err) != 0)
        return cli_error("%s (max_positions=%.0f minus --batch %lld)", err, max_positions,
                         (long long)batch);
    return 0;
}

/* ---- the parser ---------------------------------------------------------------- */

/* stat of the directory holding path */
static int stat_dir(const char *path, struct stat *st)
{
    char d[4096];
    snprintf(d, sizeof d, "%s", path);
    return stat(dirname(d), st);
}

int cli_same_file(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    /* not both there yet: the same name in the same directory */
    if (stat_dir(a, &sa) != 0 || stat_dir(b, &sb) != 0 || sa.st_dev != sb.st_dev ||
        sa.st_ino != sb.st_ino)
        return 0;
    char ba[4096], bb[4096];
    snprintf(ba, sizeof ba, "%s", a);
    snprintf(bb, sizeof bb, "%s", b);
    return strcmp(basename(ba), basename(bb)) == 0;
}

/* Store val (the option's value; NULL for a flag) in o's target. Returns 0,
 * or -1 with err. */
static int store(const cli_opt_t *o, const char *val, char *err, size_t errlen)
{
    char name[80];
    snprintf(name, sizeof name, "--%s", o->name);
    switch (o->type) {
    case CLI_FLAG:
        *(int *)o->to = 1;
        return 0;
    case CLI_STR:
    case CLI_OUT:
        *(const char **)o->to = val;
        return 0;
    case CLI_INT:
        return cli_int(name, val, (int64_t)o->min, (int64_t)o->max, o->to, err, errlen);
    case CLI_NUM:
        return num(name, val, o->min, o->max, o->to, err, errlen);
    case CLI_CHOICE:
        return choice(name, val, o->choices, o->to, err, errlen);
    case CLI_LIST: {
        cli_list_t *l = o->to;
        if (l->n == l->max) {
            snprintf(err, errlen, "too many %s options (at most %d)", name, l->max);
            return -1;
        }
        l->v[l->n++] = val;
        return 0;
    }
    case CLI_HELP:
        break;
    }
    assert(0 && "CLI_HELP has no target");
    return -1;
}

/* The number of space-separated names in args (NULL: none). */
static int count_args(const char *args)
{
    int n = 0;
    for (const char *p = args; p && *p;) {
        p += strspn(p, " ");
        if (*p)
            n++;
        p += strcspn(p, " ");
    }
    return n;
}

/* "'a' and 'b'", "'a', 'b' and 'c'" */
static void quote_list(const char *const *v, int n, const char *last, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i <= n && at < len; i++) {
        const char *sep = i == 0 ? "" : i == n ? " and " : ", ";
        at += (size_t)snprintf(buf + at, len - at, "%s'%s'", sep, i < n ? v[i] : last);
    }
}

int cli_parse(const cli_cmd_t *cmd, int argc, char **argv, int *status)
{
    enum { MAX_OPTS = 64 };
    assert(cmd->nopts <= MAX_OPTS && (cmd->args == NULL || cmd->pos != NULL));
    const char *first[MAX_OPTS] = {0}; /* each option's first value ("" for a flag) */
    int nargs = count_args(cmd->args);
    for (int i = 0; i < cmd->nopts; i++) {
        const cli_opt_t *o = &cmd->opts[i];
        assert((o->type == CLI_HELP) == (o->to == NULL));
        assert(o->type != CLI_LIST || (((cli_list_t *)o->to)->max >= 1 &&
                                       ((cli_list_t *)o->to)->max <= CLI_LIST_MAX));
        assert(o->type != CLI_CHOICE || o->choices != NULL);
    }
    assert(cmd->pos == NULL || cmd->pos->max == nargs);
    char err[1024];
    *status = CLI_EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        const cli_opt_t *o;
        const char *val;
        if (scan_one(argc, argv, &i, cmd->opts, cmd->nopts, &o, &val, err, sizeof err) != 0)
            return cli_fail(err);
        if (o == NULL) {
            if (nargs == 0)
                return cli_error("%s takes no positional argument, got '%s' (see gbsim %s --help)",
                                 cmd->name, val, cmd->name);
            if (cmd->pos->n == nargs) {
                char got[1024];
                quote_list(cmd->pos->v, cmd->pos->n, val, got, sizeof got);
                return cli_error("%s takes %d argument%s (%s), got %s", cmd->name, nargs,
                                 nargs == 1 ? "" : "s", cmd->args, got);
            }
            cmd->pos->v[cmd->pos->n++] = val;
            continue;
        }
        if (o->type == CLI_HELP) {
            cli_print_help(stdout, cmd->usage, cmd->opts, cmd->nopts, cmd->more);
            *status = 0;
            return 1;
        }
        const char **seen = &first[o - cmd->opts];
        if (*seen && o->type != CLI_LIST) {
            if (takes_value(o->type))
                return cli_error("--%s given twice ('%s' and '%s'); expected it once", o->name,
                                 *seen, val);
            return cli_error("--%s given twice; expected it once", o->name);
        }
        *seen = val ? val : "";
        if (store(o, val, err, sizeof err) != 0)
            return cli_fail(err);
    }
    if (nargs > 0 && cmd->pos->n < nargs)
        return cli_error("%s needs %s (see gbsim %s --help)", cmd->name, cmd->args, cmd->name);
    for (int i = 0; i < cmd->nopts; i++)
        for (int j = i + 1; j < cmd->nopts; j++)
            if (cmd->opts[i].type == CLI_OUT && cmd->opts[j].type == CLI_OUT && first[i] &&
                first[j] && cli_same_file(first[i], first[j]))
                return cli_error("--%s '%s' and --%s '%s' are the same file; expected two "
                                 "different files (one would overwrite the other)",
                                 cmd->opts[i].name, first[i], cmd->opts[j].name, first[j]);
    *status = 0;
    return 0;
}

/* ---- atomic output ------------------------------------------------------------- */

int cli_out_open(cli_out_t *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (o->f == NULL) {
        snprintf(err, errlen, "%s: cannot write: cannot create the temporary file %s: %s", path,
                 o->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_out_commit(cli_out_t *o, char *err, size_t errlen)
{
    int bad = ferror(o->f), saved = errno;
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    o->f = NULL;
    if (bad) {
        snprintf(err, errlen, "%s: cannot write: writing the temporary file %s failed: %s",
                 o->path, o->tmp, strerror(saved));
        remove(o->tmp);
        return -1;
    }
    if (rename(o->tmp, o->path) != 0) {
        snprintf(err, errlen, "%s: cannot write: cannot rename the temporary file %s to it: %s",
                 o->path, o->tmp, strerror(errno));
        remove(o->tmp);
        return -1;
    }
    return 0;
}

void cli_out_abort(cli_out_t *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    remove(o->tmp);
}

int cli_out_write(const char *path, const char *data, size_t len)
{
    cli_out_t o;
    char err[1400];
    if (cli_out_open(&o, path, err, sizeof err) != 0)
        return cli_fail(err);
    fwrite(data, 1, len, o.f);
    if (cli_out_commit(&o, err, sizeof err) != 0)
        return cli_fail(err);
    return 0;
}

int cli_samples(int64_t *samples, int64_t dflt, int64_t max)
{
    if (*samples >= 0)
        return 0;
    const char *env = getenv("GBSIM_SAMPLES");
    char err[256];
    *samples = dflt;
    if (env && *env && cli_int("GBSIM_SAMPLES", env, 0, max, samples, err, sizeof err) != 0)
        return cli_error("%s", err);
    return 0;
}
