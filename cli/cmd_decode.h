/* cmd_decode.h -- the `gbsim decode` subcommand. */
#ifndef GBSIM_CMD_DECODE_H
#define GBSIM_CMD_DECODE_H

/* argv excludes "decode". Returns the process exit status. */
int cmd_decode_main(int argc, char **argv);

#endif
