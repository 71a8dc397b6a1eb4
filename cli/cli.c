/* cli.c -- option scanning, strict numbers, atomic output. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_opt_t *find_opt(const cli_opt_t *opts, int nopts, const char *name, size_t len)
{
    for (int i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
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
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            out[n++] = (cli_arg_t){NULL, a};
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_opt_t *o = find_opt(opts, nopts, name, len);
        if (o == NULL) {
            snprintf(err, errlen, "unknown option '--%.*s' (see --help)", (int)len, name);
            return -1;
        }
        const char *val = NULL;
        if (o->has_arg) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                snprintf(err, errlen, "option '--%s' needs a value", o->name);
                return -1;
            }
        } else if (eq) {
            snprintf(err, errlen, "option '--%s' takes no value", o->name);
            return -1;
        }
        out[n++] = (cli_arg_t){o->name, val};
    }
    return n;
}

void cli_print_help(FILE *f, const char *usage, const cli_opt_t *opts, int nopts, const char *more)
{
    fprintf(f, "%s\n\nOptions:\n", usage);
    for (int i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s", opts[i].name, opts[i].has_arg ? " V" : "");
        fprintf(f, "  %-22s %s\n", left, opts[i].help);
    }
    if (more)
        fprintf(f, "\n%s", more);
}

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

int cli_fail(const char *msg)
{
    fprintf(stderr, "gbsim: error: %s\n", msg);
    return CLI_EXIT_USAGE;
}

int cli_out_open(cli_out_t *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (o->f == NULL) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_out_commit(cli_out_t *o, char *err, size_t errlen)
{
    int bad = ferror(o->f);
    if (fclose(o->f) != 0)
        bad = 1;
    o->f = NULL;
    if (bad || rename(o->tmp, o->path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", o->path, strerror(errno));
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
