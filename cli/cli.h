/* cli.h -- what every subcommand shares: option scanning, strict number
 * parsing, atomic output files, and the error convention (bad input: a
 * message on stderr and exit status 2; no partial output file). */
#ifndef GBSIM_CLI_H
#define GBSIM_CLI_H

#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_USAGE 2

/* One option of a subcommand. has_arg: 1 if it takes a value. */
typedef struct {
    const char *name;    /* without the leading "--" */
    int has_arg;
    const char *help;    /* one line for --help */
} cli_opt_t;

typedef struct {
    const char *opt;     /* matched option name, or NULL for a positional */
    const char *val;     /* its value, or the positional argument */
} cli_arg_t;

/* Split argv (after the subcommand) into options and positionals. Accepts
 * "--name value" and "--name=value". Unknown options and missing values are
 * errors. Returns the number of entries in out, or -1 with err. */
int cli_scan(int argc, char **argv, const cli_opt_t *opts, int nopts, cli_arg_t *out, int maxout,
             char *err, size_t errlen);

/* Print usage text and the option table. */
void cli_print_help(FILE *f, const char *usage, const cli_opt_t *opts, int nopts, const char *more);

/* Strict integer in [lo, hi]: digits only. Returns 0 or -1 with err naming opt. */
int cli_int(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out, char *err,
            size_t errlen);

/* Print "gbsim: error: msg" to stderr and return CLI_EXIT_USAGE. */
int cli_fail(const char *msg);

/* Atomic output: write to path.tmp.<pid>, then cli_out_commit renames it over
 * path; cli_out_abort removes it. */
typedef struct {
    FILE *f;
    char path[1024];
    char tmp[1100];
} cli_out_t;

int cli_out_open(cli_out_t *o, const char *path, char *err, size_t errlen);
int cli_out_commit(cli_out_t *o, char *err, size_t errlen);
void cli_out_abort(cli_out_t *o);

#endif
