/* cmd_replay.h -- the `gbsim replay` subcommand. */
#ifndef GBSIM_CMD_REPLAY_H
#define GBSIM_CMD_REPLAY_H

#include <stddef.h>
#include <stdint.h>

/* Kernels a replay keeps for its rows to share (kmodel.h kmodel_run_memo;
 * about 1 kB each). */
#define REPLAY_MEMO_MAX 4096

/* argv excludes "replay". Returns the process exit status. */
int cmd_replay_main(int argc, char **argv);

/* The engine events of the rows `gbsim replay ARGV` predicts (argv as for
 * cmd_replay_main): the command's own parse and prediction of every row, in
 * this process as one rank, on its --jobs threads, without output or
 * --samples draws; a row's events as its kernels report them
 * (kmodel_out_t.events: a run answered by the memo counts none). For gbsim
 * bench. Returns 0 with *events, or -1 with err (bad options are reported on
 * stderr first). */
int cmd_replay_events(int argc, char **argv, uint64_t *events, char *err, size_t errlen);

#endif
