/* check.h -- the harness of every C unit test (*_test.c).
 *
 * A test is a function that takes `check_t *ck`. CHECK(cond, fmt, ...) in it,
 * or in a helper that also takes `check_t *ck`, counts one check:
 *   - cond holds: a pass;
 *   - it does not: a failure, printed on stderr as
 *         FILE:LINE: FAIL FUNCTION: COND: MESSAGE
 *     where MESSAGE is fmt with its arguments, as printf formats them; with
 *     fmt "" the line ends after COND.
 * CHECK is an expression, 1 when cond holds and 0 when not, so a test can stop
 * at a failure the rest of it depends on:
 *     if (!CHECK(row != NULL, "no row %s", name))
 *         return;
 * REQUIRE(cond, fmt, ...) is CHECK that also returns from the (void) test
 * function when cond fails.
 * main:
 *     int main(void)
 *     {
 *         check_t ck = check_begin("evq_test");
 *         test_events_pop_in_time_order(&ck);
 *         return check_end(&ck);
 *     }
 * check_end prints "<name>: N passed, M failed" on stdout and returns the
 * exit status: 0 when no check failed, else 1. */
#ifndef GBSIM_CHECK_H
#define GBSIM_CHECK_H

#include <stdarg.h>
#include <stdio.h>

/* fmt "" is the documented way to add no message */
#pragma GCC diagnostic ignored "-Wformat-zero-length"

typedef struct {
    const char *name;   /* the test program, e.g. "evq_test" */
    int passed, failed; /* checks so far */
} check_t;

static inline check_t check_begin(const char *name)
{
    return (check_t){.name = name, .passed = 0, .failed = 0};
}

static inline int check_pass(check_t *ck)
{
    ck->passed++;
    return 1;
}

__attribute__((format(printf, 6, 7))) static inline int
check_fail(check_t *ck, const char *cond, const char *file, int line, const char *func,
           const char *fmt, ...)
{
    ck->failed++;
    fprintf(stderr, "%s:%d: FAIL %s: %s", file, line, func, cond);
    if (fmt[0] != '\0') {
        va_list ap;
        va_start(ap, fmt);
        fputs(": ", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    return 0;
}

/* The message's arguments are evaluated only when cond fails. */
#define CHECK(cond, ...) \
    ((cond) ? check_pass(ck) : check_fail(ck, #cond, __FILE__, __LINE__, __func__, __VA_ARGS__))

#define REQUIRE(cond, ...)                 \
    do {                                   \
        if (!CHECK(cond, __VA_ARGS__))     \
            return;                        \
    } while (0)

static inline int check_end(const check_t *ck)
{
    printf("%s: %d passed, %d failed\n", ck->name, ck->passed, ck->failed);
    return ck->failed ? 1 : 0;
}

#endif
