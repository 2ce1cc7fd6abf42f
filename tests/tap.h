/* SPDX-License-Identifier: MIT */
/* A tiny TAP producer for the C unit tests (meson reads it with protocol: 'tap'). */
#ifndef ECD_TAP_H
#define ECD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline void tap_plan(int n)
{
    printf("1..%d\n", n);
}

static inline void tap_skip_all(const char *reason)
{
    printf("1..0 # SKIP %s\n", reason);
    exit(0);
}

__attribute__((format(printf, 2, 3))) static inline int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;

    tap_count++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond)
        tap_failed++;
    fflush(stdout);
    return cond;
}

/* Compare two strings, showing both on failure. */
#define tap_str_eq(got, want, ...)                                                                 \
    do {                                                                                           \
        const char *tap_g_ = (got), *tap_w_ = (want);                                              \
        if (!tap_ok(tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0, __VA_ARGS__))                 \
            printf("#   got:  %s\n#   want: %s\n", tap_g_ ? tap_g_ : "(null)",                     \
                   tap_w_ ? tap_w_ : "(null)");                                                    \
    } while (0)

static inline void tap_diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Print the trailing plan when the count was not known up front; exit status. */
static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
