/* decode_opts.h -- the options of one simulated decode step, shared by
 * `gbsim decode` (one step) and `gbsim sweep` (a grid of steps): option names,
 * their help, parsing of one option's value, and the run from options to a
 * result. */
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
    const char *ctx, *layers;           /* parsed against the model (NULL: 2048, all) */
    int graphs;                         /* -1: the stack's */
    double accept, draft_us, skew;      /* accept < 0: no speculation */
    const char *relax;                  /* NULL: none */
    int64_t tp;                         /* GPUs of the tensor-parallel group */
    const char *link;                   /* their interconnect (NULL: none) */
    const char *sets[SETUP_MAX_SETS];
    int nsets;
} decode_opts_t;

/* The decode options (name, has_arg, help), for option tables and --help. */
extern const cli_opt_t decode_opts_table[];
extern const int decode_opts_n;

/* The defaults: gb10, gpt-oss-120b, vllm-cutlass, one sequence, ctx 2048,
 * one GPU. */
void decode_opts_init(decode_opts_t *o);

/* Apply option `name` (without "--") = val; --set appends. Returns 0; 1 if
 * name is not a decode option (o unchanged); -1 with err for a bad value. */
int decode_opts_set(decode_opts_t *o, const char *name, const char *val, char *err, size_t errlen);

/* Load the descriptions (setup_free(s) after) and simulate the step. Returns
 * 0 with *c (pointing into s) and *r (decode_free), or -1 with err; nothing is
 * left to free on failure. */
int decode_opts_run(const decode_opts_t *o, setup_t *s, decode_cfg_t *c, decode_result_t *r,
                    char *err, size_t errlen);

#endif
