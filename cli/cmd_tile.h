/* cmd_tile.h -- the `gbsim tile` subcommand. */
#ifndef GBSIM_CMD_TILE_H
#define GBSIM_CMD_TILE_H

/* argv excludes "tile". Returns the process exit status. */
int cmd_tile_main(int argc, char **argv);

#endif
