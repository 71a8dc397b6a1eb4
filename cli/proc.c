/* proc.c -- child processes measured (contract in proc.h). */
#define _DEFAULT_SOURCE /* wait4 */
#include "cli/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* Fork; the child runs fn(arg) or executes argv, the parent waits. */
static int run(char *const argv[], void (*fn)(void *), void *arg, proc_usage_t *u)
{
    fflush(stdout);
    fflush(stderr);
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (fn) {
            fn(arg);
            _exit(0);
        }
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            return -1;
    u->wall_ms = now_ms() - t0;
    u->cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-3;
    u->peak_rss_kb = (double)ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int proc_exec(char *const argv[], proc_usage_t *u)
{
    return run(argv, NULL, NULL, u);
}

int proc_fork(void (*fn)(void *arg), void *arg, proc_usage_t *u)
{
    return run(NULL, fn, arg, u);
}
