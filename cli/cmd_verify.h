/* cmd_verify.h -- `gbsim verify`: numerics of candidate block-scaled GEMM
 * configurations (format x scale rule x SF vector x tile) against an fp64
 * reference, and the check that the seed-002 SF layout fault is detected. */
#ifndef GBSIM_CMD_VERIFY_H
#define GBSIM_CMD_VERIFY_H

/* argv excludes the word "verify". Returns 0 when every check passes, 1 when
 * a self-check fails (the fault went undetected or tiles disagree beyond fp32
 * rounding), 2 for bad input. */
int cmd_verify_main(int argc, char **argv);

#endif
