/* cmd_bench.h -- `gbsim bench`: simulator speed on the reference cases. */
#ifndef GBSIM_CMD_BENCH_H
#define GBSIM_CMD_BENCH_H

int cmd_bench_main(int argc, char **argv);

#endif
