/*
 * check.h - the tiny assertion kit of the C tests.  CHECK(cond, fmt, ...)
 * counts a check and reports a failure with file:line; check_done() prints
 * "N passed, N failed" and returns the exit status.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static long check_passed, check_failed;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (cond) {                                                                                                    \
            check_passed++;                                                                                            \
        } else {                                                                                                       \
            check_failed++;                                                                                            \
            if (check_failed <= 20) {                                                                                  \
                fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                                                  \
                fprintf(stderr, __VA_ARGS__);                                                                          \
                fputc('\n', stderr);                                                                                   \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

static inline int check_done(const char *name) {
    printf("%s: %ld passed, %ld failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
