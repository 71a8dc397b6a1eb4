/* proc.h -- run work in a child process and measure it: wall time around
 * fork and wait, CPU time and peak RSS from wait4's rusage (what
 * /usr/bin/time reports). For `gbsim bench`. */
#ifndef GBSIM_PROC_H
#define GBSIM_PROC_H

typedef struct {
    double wall_ms;
    double cpu_ms;       /* user + system */
    double peak_rss_kb;
} proc_usage_t;

/* Execute argv[0] with argv, its stdout and stderr discarded. Returns its
 * exit status (128 + the signal when killed), or -1 with errno set when it
 * could not start or be waited for. */
int proc_exec(char *const argv[], proc_usage_t *u);

/* Call fn(arg) in a forked child (which then exits 0). Returns as
 * proc_exec. */
int proc_fork(void (*fn)(void *arg), void *arg, proc_usage_t *u);

#endif
