/* cmd_sweep.h -- the `gbsim sweep` subcommand: decode steps (or, with
 * `gbsim sweep tile`, tile configurations) over a grid of option values, one
 * CSV row per point, and a plot. */
#ifndef GBSIM_CMD_SWEEP_H
#define GBSIM_CMD_SWEEP_H

/* Kernels a decode sweep keeps for its points to share (kmodel.h
 * kmodel_run_memo; about 1 kB each). */
#define SWEEP_MEMO_MAX 4096

/* argv excludes "sweep". Returns the process exit status. */
int cmd_sweep_main(int argc, char **argv);

#endif
