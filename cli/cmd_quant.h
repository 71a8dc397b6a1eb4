/* cmd_quant.h -- `gbsim quant`: quantize a CSV column with MXFP4, MXFP8 or
 * NVFP4 under a chosen scale rule (models/numerics/mxquant.h). */
#ifndef GBSIM_CMD_QUANT_H
#define GBSIM_CMD_QUANT_H

/* argv excludes the word "quant". Returns the exit status (0, or 2 for bad
 * input with a message on stderr and no output file). */
int cmd_quant_main(int argc, char **argv);

#endif
