/* cmd_calibrate.h -- `gbsim calibrate`: fit a few named arch parameters to
 * measured decode traces (docs/formats.md rows with measured_us) by
 * nonlinear least squares on relative errors, report fit and hold-out
 * errors, and write the fitted values as an arch override file. */
#ifndef GBSIM_CMD_CALIBRATE_H
#define GBSIM_CMD_CALIBRATE_H

/* argv excludes "calibrate". Returns the process exit status (0, or 2 for
 * bad input, with no output file written). */
int cmd_calibrate_main(int argc, char **argv);

#endif
