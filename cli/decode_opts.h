/* decode_opts.h -- the options of one simulated decode step, shared by
 * `gbsim decode` (one step) and `gbsim sweep` (a grid of steps): their rows in
 * a command's option table (cli.h), one option set by name, and the run from
 * options to a result. */
#ifndef GBSIM_DECODE_OPTS_H
#define GBSIM_DECODE_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "models/decode.h"
#include "models/setup.h"

typedef struct {
    const char *arch, *model, *stack;   /* preset names or FILE.csv */
    int64_t batch, spec;
    const char *ctx, *layers;           /* converted against the model (NULL: 2048, all) */
    int graphs;                         /* -1: the stack's; 0 off; 1 on */
    double accept, draft_us, skew;      /* accept < 0: no speculation */
    const char *experts;                /* measured expert histogram, preset or FILE.csv (NULL: --skew) */
    const char *draft;                  /* drafter: ngram, eagle, a model preset or FILE.csv
                                           (NULL: --draft-us alone) */
    const char *relax;                  /* NULL: none */
    int64_t tp;                         /* GPUs of the tensor-parallel group */
    const char *link;                   /* their interconnect (NULL: none) */
    cli_list_t sets;                    /* --set key=value, in order */
    kmodel_memo_t *memo;                /* not an option: kernels already run, shared by
                                           a sweep's points (NULL: the step's own) */
} decode_opts_t;

/* Most rows decode_opts_rows writes. */
#define DECODE_OPTS_MAX 20

/* The defaults: gb10, gpt-oss-120b, vllm-cutlass, one sequence, ctx 2048,
 * one GPU. */
void decode_opts_init(decode_opts_t *o);

/* Write the decode options' rows, bound to o's fields, into rows[0..max);
 * returns how many. */
int decode_opts_rows(decode_opts_t *o, cli_opt_t *rows, int max);

/* Apply option `name` (without "--") = val as the command line would (--set
 * appends). Returns 0; 1 if name is not a decode option (o unchanged);
 * CLI_EXIT_USAGE after reporting a bad value with cli_error. */
int decode_opts_set(decode_opts_t *o, const char *name, const char *val);

/* Load the descriptions (setup_free(s) after) and simulate the step; with a
 * drafter, its K-1 sequential single-token steps per verification are simulated
 * on the same arch and stack and added as draft_us (*draft_step_us: one of them,
 * 0 for ngram). Returns 0 with *c (pointing into s) and *r (decode_free), or -1
 * with err; nothing is left to free on failure. */
int decode_opts_run(const decode_opts_t *o, setup_t *s, decode_cfg_t *c, decode_result_t *r,
                    double *draft_step_us, char *err, size_t errlen);

#endif
