/* cmd_replay.h -- the `gbsim replay` subcommand. */
#ifndef GBSIM_CMD_REPLAY_H
#define GBSIM_CMD_REPLAY_H

/* argv excludes "replay". Returns the process exit status. */
int cmd_replay_main(int argc, char **argv);

#endif
