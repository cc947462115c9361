/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef IPT_DIAG_H
#define IPT_DIAG_H 1

/* Diagnostics of the iptables compiler.
 *
 * Every problem found while reading or compiling a ruleset is recorded here
 * as one line of text of the form "FILE:LINE: message", in the order found.
 * Two kinds exist:
 *
 *   - errors: the input is malformed, refers to something missing, or uses a
 *     construct that cannot be compiled while 'skip_unsupported' is false.
 *     Any error makes the whole compilation fail.
 *
 *   - skipped constructs: with 'skip_unsupported' true, a rule that uses an
 *     unsupported construct is left out and listed here instead, prefixed by
 *     "skipped: ".  Nothing is ever left out silently.
 *
 * Thread-safety: an ipt_diag is owned by one thread; no locking. */

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/compiler.h"
#include "openvswitch/dynamic-string.h"

struct ipt_diag {
    bool skip_unsupported;      /* Leave out unsupported rules? */
    struct ds errors;           /* One error per line. */
    struct ds skipped;          /* One skipped construct per line. */
    size_t n_errors;
    size_t n_skipped;
};

void ipt_diag_init(struct ipt_diag *, bool skip_unsupported);
void ipt_diag_destroy(struct ipt_diag *);

void ipt_diag_error(struct ipt_diag *, const char *file_name, int line,
                    const char *format, ...) OVS_PRINTF_FORMAT(4, 5);
bool ipt_diag_unsupported(struct ipt_diag *, const char *file_name, int line,
                          const char *format, ...) OVS_PRINTF_FORMAT(4, 5);

#endif /* ipt-diag.h */
