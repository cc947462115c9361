/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_TEST_H
#define CTDP_TEST_H 1

/* Unit-test driver for ctdp's libraries.
 *
 * Each test module registers one command with CTDP_TEST_REGISTER().  The
 * driver runs it as
 *
 *     ctdp-test MODULE SUBCOMMAND [ARG...]
 *
 * where SUBCOMMAND is usually "check" (assert behaviour, exit 0 on success)
 * or "benchmark" (print figures).  A module's function receives the
 * arguments after MODULE, so argv[0] is the subcommand.
 *
 * Failed assertions print the file, line and expression and abort, so that
 * autotest reports the failure with the driver's output. */

#include <stdio.h>
#include <stdlib.h>

typedef void ctdp_test_func(int argc, char *argv[]);

void ctdp_test_register(const char *name, ctdp_test_func *);

#define CTDP_TEST_REGISTER(NAME, FUNC)                              \
    static void                                                     \
    ctdp_test_register_##FUNC(void) __attribute__((constructor));   \
    static void                                                     \
    ctdp_test_register_##FUNC(void)                                 \
    {                                                               \
        ctdp_test_register(NAME, FUNC);                             \
    }

void ctdp_test_fail(const char *file, int line, const char *expr)
    __attribute__((noreturn));

/* Like assert(), but never compiled out. */
#define CT_ASSERT(EXPR)                                             \
    do {                                                            \
        if (!(EXPR)) {                                              \
            ctdp_test_fail(__FILE__, __LINE__, #EXPR);              \
        }                                                           \
    } while (0)

/* Asserts A == B for integers and prints both values when they differ. */
#define CT_ASSERT_EQ(A, B)                                          \
    do {                                                            \
        long long a__ = (long long) (A);                            \
        long long b__ = (long long) (B);                            \
        if (a__ != b__) {                                           \
            fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n",      \
                    __FILE__, __LINE__, #A, #B, a__, b__);          \
            abort();                                                \
        }                                                           \
    } while (0)

/* Calls the subcommand of 'argv[0]' found in 'cmds', a table ending with a
 * null name, or prints usage and exits with status 2. */
struct ctdp_test_subcmd {
    const char *name;
    ctdp_test_func *func;
};
void ctdp_test_dispatch(const char *module, const struct ctdp_test_subcmd *,
                        int argc, char *argv[]);

#endif /* ctdp-test.h */
