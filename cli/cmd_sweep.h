/* cmd_sweep.h -- the `gbsim sweep` subcommand: decode steps (or, with
 * `gbsim sweep tile`, tile configurations) over a grid of option values, one
 * CSV row per point, and a plot. */
#ifndef GBSIM_CMD_SWEEP_H
#define GBSIM_CMD_SWEEP_H

#include <stddef.h>
#include <stdint.h>

/* Kernels a decode sweep keeps for its points to share (kmodel.h
 * kmodel_run_memo; about 1 kB each). */
#define SWEEP_MEMO_MAX 4096

/* argv excludes "sweep". Returns the process exit status. */
int cmd_sweep_main(int argc, char **argv);

/* The engine events of the points `gbsim sweep ARGV` simulates (argv as for
 * cmd_sweep_main): the command's own parse, checks and run of every point, in
 * this process as one rank, without progress notes or output; a point's
 * events as its kernels report them (kmodel_out_t.events: a run answered by
 * the memo counts none). For gbsim bench. Returns 0 with *events, or -1
 * with err (bad input is reported on stderr first). */
int cmd_sweep_events(int argc, char **argv, uint64_t *events, char *err, size_t errlen);

#endif
