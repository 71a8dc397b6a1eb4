/* cmd_replay.h -- the `gbsim replay` subcommand. */
#ifndef GBSIM_CMD_REPLAY_H
#define GBSIM_CMD_REPLAY_H

/* Kernels a replay keeps for its rows to share (kmodel.h kmodel_run_memo;
 * about 1 kB each). */
#define REPLAY_MEMO_MAX 4096

/* argv excludes "replay". Returns the process exit status. */
int cmd_replay_main(int argc, char **argv);

#endif
