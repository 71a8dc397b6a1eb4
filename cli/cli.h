/* cli.h -- what every subcommand shares: its option table and the parser
 * that fills it, strict numbers, atomic output files, and the error
 * convention: bad input prints one line "gbsim: error: ..." on stderr (only
 * cli_error prints it), the command exits with status 2 (CLI_EXIT_USAGE) and
 * leaves no partial output file.
 *
 * Options. A command declares each option as a row bound to a typed target,
 * then calls cli_parse once; the same rows print --help:
 *
 *     const char *arch = "gb10", *out = NULL, *plot = NULL;
 *     int64_t batch = 1;
 *     int graphs = -1;                        (-1: not given)
 *     cli_list_t sets = {.max = SETUP_MAX_SETS};
 *     cli_opt_t opts[] = {
 *         {"arch", CLI_STR, "architecture preset (default gb10)", .to = &arch},
 *         {"batch", CLI_INT, "tokens per step, 1..4096 (default 1)", .to = &batch,
 *          .min = 1, .max = 4096},
 *         {"graphs", CLI_CHOICE, "off|on: CUDA graphs", .to = &graphs, .choices = "off|on"},
 *         {"set", CLI_LIST, "key=value: override a parameter (repeatable)", .to = &sets},
 *         {"out", CLI_OUT, "write the report to FILE", .to = &out},
 *         {"plot", CLI_OUT, "draw the breakdown to FILE.png", .to = &plot},
 *         CLI_OPT_HELP,
 *     };
 *     cli_cmd_t cmd = {.name = "decode", .usage = USAGE, .more = MORE,
 *                      .opts = opts, .nopts = CLI_NOPTS(opts)};
 *     int status;
 *     if (cli_parse(&cmd, argc, argv, &status) != 0)
 *         return status;                      (help printed: 0; bad options: 2)
 *
 * cli_parse accepts "--name value" and "--name=value" and goes through the
 * arguments in order; the first bad one is reported:
 *   - an unknown option, a missing value, a value given to a flag;
 *   - a value that does not convert (CLI_INT, CLI_NUM, CLI_CHOICE: the message
 *     names the option, the value and the accepted range or words);
 *   - an option given twice: only CLI_LIST options are repeatable;
 *   - a positional argument beyond those cmd->args names, or, after the
 *     loop, fewer than it names;
 *   - two CLI_OUT options that name the same file (cli_same_file).
 * A target keeps its initial value when its option is not given; an option
 * whose range depends on another one is a CLI_STR, converted after the parse
 * (cli_int; --ctx, bounded by the model's max_positions: cli_ctx). */
#ifndef GBSIM_CLI_H
#define GBSIM_CLI_H

#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_USAGE 2

/* What an option's value is, and the type of its target (`to`). A row
 * written {name, 0, help} or {name, 1, help} is a flag or takes a value. */
typedef enum {
    CLI_FLAG = 0, /* no value: int, set to 1 */
    CLI_STR = 1,  /* const char *: the value as given */
    CLI_INT,      /* int64_t: digits only, within [min, max] */
    CLI_NUM,      /* double: a finite decimal number within [min, max] */
    CLI_CHOICE,   /* int: the index of the value among choices ("off|on") */
    CLI_LIST,     /* cli_list_t: every value, in order; the one repeatable kind */
    CLI_OUT,      /* const char *: an output file; no two CLI_OUT name one file */
    CLI_HELP,     /* no value, no target: print the help, the command exits 0 */
} cli_type_t;

/* One option: name, type and help by position, the rest by name (.to = ...).
 * Rows with only name, type and help serve cli_scan. */
typedef struct {
    const char *name;    /* without the leading "--" */
    cli_type_t type;
    const char *help;    /* one line for --help */
    void *to;            /* the target, of the type's type */
    double min, max;     /* CLI_INT, CLI_NUM: the accepted range, inclusive */
    const char *choices; /* CLI_CHOICE: the accepted words, '|'-separated */
} cli_opt_t;

#define CLI_NOPTS(opts) ((int)(sizeof(opts) / sizeof((opts)[0])))

/* The --help row every command has. */
#define CLI_OPT_HELP {.name = "help", .type = CLI_HELP, .help = "this text"}

/* Values of a repeatable option (or the positional arguments), in order. */
#define CLI_LIST_MAX 64
typedef struct {
    const char *v[CLI_LIST_MAX];
    int n;
    int max; /* at most this many, 1..CLI_LIST_MAX: set it in the initializer */
} cli_list_t;

typedef struct {
    const char *name;  /* the command, for messages: "replay" */
    const char *usage; /* the first lines of --help */
    const char *more;  /* text after the option table, or NULL */
    cli_opt_t *opts;
    int nopts;
    const char *args;  /* the positional arguments it takes, by name and all
                          required ("TRACE.csv", "IN.csv OUT.csv"), or NULL */
    cli_list_t *pos;   /* receives them; needed when args is given */
} cli_cmd_t;

/* Parse argv (after the subcommand) into cmd's targets. Returns 0 to go on;
 * otherwise the command returns *status: 0 after --help, CLI_EXIT_USAGE
 * after a bad argument (reported with cli_error). */
int cli_parse(const cli_cmd_t *cmd, int argc, char **argv, int *status);

/* Print usage text and the option table. */
void cli_print_help(FILE *f, const char *usage, const cli_opt_t *opts, int nopts, const char *more);

/* Strict integer in [lo, hi]: digits only. Returns 0, or -1 with err naming
 * opt ("--ctx '9x': expected an integer in [0, 131071]"). */
int cli_int(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out, char *err,
            size_t errlen);

/* The KV length of a step of batch tokens (both >= 0 and < 2^53): the value
 * of --ctx (ctx_s; NULL keeps *ctx, the default), such that ctx + batch <=
 * max_positions, the model's. Returns 0, or reports which of --ctx, --batch
 * and max_positions is at fault and returns CLI_EXIT_USAGE. */
int cli_ctx(const char *ctx_s, int64_t batch, double max_positions, int64_t *ctx);

/* The number of uncertainty draws: *samples as --samples gave it, or, when
 * the option was not given (*samples < 0), $GBSIM_SAMPLES (unset or empty:
 * dflt), each within 0..max. Returns 0, or reports the bad value (naming
 * GBSIM_SAMPLES) and returns CLI_EXIT_USAGE. */
int cli_samples(int64_t *samples, int64_t dflt, int64_t max);

/* The one error report: "gbsim: error: " and the printf-formatted message on
 * stderr. Returns CLI_EXIT_USAGE. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_error("%s", msg): a message already written, e.g. by a callee into an
 * err buffer. */
int cli_fail(const char *msg);

/* 1 if paths a and b name the same file: the same text, the same existing
 * file (device and inode), or the same name in the same existing directory. */
int cli_same_file(const char *a, const char *b);

/* Atomic output: cli_out_open creates path.tmp.<pid> beside path,
 * cli_out_commit closes it and renames it over path, cli_out_abort removes
 * it. Errors name path and what failed ("PATH: cannot write: cannot create
 * the temporary file PATH.tmp.123: Permission denied"). */
typedef struct {
    FILE *f;
    char path[1024];
    char tmp[1100];
} cli_out_t;

int cli_out_open(cli_out_t *o, const char *path, char *err, size_t errlen);
int cli_out_commit(cli_out_t *o, char *err, size_t errlen);
void cli_out_abort(cli_out_t *o);

/* The whole of data[0..len) to path, atomically. Returns 0, or reports the
 * error with cli_error and returns CLI_EXIT_USAGE. */
int cli_out_write(const char *path, const char *data, size_t len);

/* Split argv (after the subcommand) into options and positionals, as
 * cli_parse does, without converting or storing values: for a command that
 * walks the options itself. Accepts "--name value" and "--name=value";
 * unknown options and missing values are errors. Returns the number of
 * entries in out, or -1 with err. */
typedef struct {
    const char *opt;     /* matched option name, or NULL for a positional */
    const char *val;     /* its value, or the positional argument */
} cli_arg_t;

int cli_scan(int argc, char **argv, const cli_opt_t *opts, int nopts, cli_arg_t *out, int maxout,
             char *err, size_t errlen);

#endif
