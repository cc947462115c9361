/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ctdp-test.h"
#include <string.h>
#include "fatal-signal.h"
#include "ovs-rcu.h"
#include "util.h"

struct ctdp_test_entry {
    const char *name;
    ctdp_test_func *func;
};

static struct ctdp_test_entry *tests;
static size_t n_tests, allocated_tests;

void
ctdp_test_register(const char *name, ctdp_test_func *func)
{
    if (n_tests >= allocated_tests) {
        tests = x2nrealloc(tests, &allocated_tests, sizeof *tests);
    }
    tests[n_tests].name = name;
    tests[n_tests].func = func;
    n_tests++;
}

void
ctdp_test_fail(const char *file, int line, const char *expr)
{
    fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
    fflush(stderr);
    abort();
}

void
ctdp_test_dispatch(const char *module, const struct ctdp_test_subcmd *cmds,
                   int argc, char *argv[])
{
    if (argc >= 1) {
        for (const struct ctdp_test_subcmd *c = cmds; c->name; c++) {
            if (!strcmp(c->name, argv[0])) {
                c->func(argc, argv);
                return;
            }
        }
        fprintf(stderr, "ctdp-test %s: unknown subcommand '%s'\n",
                module, argv[0]);
    }
    fprintf(stderr, "usage: ctdp-test %s {", module);
    for (const struct ctdp_test_subcmd *c = cmds; c->name; c++) {
        fprintf(stderr, "%s%s", c == cmds ? "" : "|", c->name);
    }
    fprintf(stderr, "} [ARG...]\n");
    exit(2);
}

static int
compare_entries(const void *a_, const void *b_)
{
    const struct ctdp_test_entry *a = a_, *b = b_;
    return strcmp(a->name, b->name);
}

static void
usage(void)
{
    printf("usage: ctdp-test MODULE SUBCOMMAND [ARG...]\nmodules:\n");
    for (size_t i = 0; i < n_tests; i++) {
        printf("  %s\n", tests[i].name);
    }
}

int
main(int argc, char *argv[])
{
    set_program_name(argv[0]);
    qsort(tests, n_tests, sizeof *tests, compare_entries);

    if (argc < 2 || !strcmp(argv[1], "--help")) {
        usage();
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < n_tests; i++) {
        if (!strcmp(tests[i].name, argv[1])) {
            tests[i].func(argc - 2, argv + 2);
            return 0;
        }
    }
    fprintf(stderr, "ctdp-test: unknown module '%s' (try --help)\n", argv[1]);
    return 2;
}
