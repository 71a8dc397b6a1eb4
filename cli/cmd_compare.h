/* cmd_compare.h -- `gbsim compare`: an nsys kernel table (traces/nsys_csv.h)
 * grouped per decode step and op class (traces/kclass.h), side by side with
 * the simulated decode step of the same stack (models/decode.h). */
#ifndef GBSIM_CMD_COMPARE_H
#define GBSIM_CMD_COMPARE_H

/* argv excludes "compare". Returns the process exit status (0, or 2 for bad
 * input, with no output file written). */
int cmd_compare_main(int argc, char **argv);

#endif
