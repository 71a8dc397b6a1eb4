/* cmd_tile.h -- the `gbsim tile` subcommand, and the evaluation of one tile
 * configuration it prints (shared with `gbsim sweep tile`). */
#ifndef GBSIM_CMD_TILE_H
#define GBSIM_CMD_TILE_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "models/gemm.h"

/* The values of gbsim tile's options as the command line gives them. */
typedef struct {
    const char *arch, *a, *b, *tile, *cluster;  /* NULL: the default */
    const char *relax;                          /* gemm rules not enforced (NULL: none) */
    int64_t sf_vec, split_k, out_bytes, stages;  /* stages 0: as many as fit */
    int64_t m, n, k, groups;                    /* m, n, k: -1 when not given */
    int sched;                                  /* index in coop|cooperative|pingpong */
    int c;                                      /* source operand C: index in
                                                   void|bf16|fp16|fp32 */
    int grouped, swap_ab, stream_k;
    cli_list_t sets;                            /* --set key=value (arch keys) */
} cmd_tile_args_t;

/* The most rows cmd_tile_rows writes. */
#define CMD_TILE_OPTS_MAX 24

/* The defaults: gb10, mxfp8 x mxfp4, 128x128x128 coop, no problem. */
void cmd_tile_args_init(cmd_tile_args_t *t);

/* Write gbsim tile's option rows, bound to t's fields, --help last, into
 * rows[0..max); returns how many. */
int cmd_tile_rows(cmd_tile_args_t *t, cli_opt_t *rows, int max);

/* One configuration evaluated: what gbsim tile prints. */
typedef struct {
    gemm_opts_t o;
    gemm_problem_t p;
    int have_problem;        /* --m --n --k given */
    gemm_out_t g;            /* g.cfg always (valid, rule, reason, stages, smem...);
                                the launch fields only when ran */
    int ran;                 /* a problem was given and the configuration is valid:
                                simulated */
    double predicted_us;     /* ran: the launch, kernel_fixed_ns included */
} cmd_tile_point_t;

/* Convert t (types, MxNxK, a problem needs m, n and k, groups within m), load
 * the arch and evaluate the configuration. Returns 0 with *pt (a configuration
 * a rule forbids is a result: pt->g.cfg.valid = 0, rule and reason set), or -1
 * with err for bad input. Thread-safe. */
int cmd_tile_eval(const cmd_tile_args_t *t, cmd_tile_point_t *pt, char *err, size_t errlen);

/* argv excludes "tile". Returns the process exit status. */
int cmd_tile_main(int argc, char **argv);

#endif
