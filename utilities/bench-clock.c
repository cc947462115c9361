/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "bench-clock.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "timeval.h"
#include "util.h"

/* Real time between two looks at the virtual clock in a virtual sleep. */
#define BENCH_VIRTUAL_SLICE_MS 1

/* 0 while the clock is real; otherwise the virtual time in milliseconds.
 * Written by bench_clock_set_virtual(), read by time_msec() and time_poll();
 * relaxed ordering is enough because a reader only needs some recent value,
 * exactly as with a real clock. */
static atomic_llong bench_virtual_msec = 0;

uint64_t
bench_clock_ns(void)
{
    struct timespec ts;

    xclock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
bench_clock_set_virtual(long long int msec)
{
    static bool checked;

    if (!checked) {
        /* libopenvswitch's calls reach the first definition in the global
         * scope, which must be this program's. */
        if (dlsym(RTLD_DEFAULT, "time_msec") != (void *) time_msec
            || dlsym(RTLD_DEFAULT, "time_poll") != (void *) time_poll) {
            ovs_fatal(0, "time_msec() and time_poll() are not interposed: "
                      "the program must export them (link with "
                      "-export-dynamic)");
        }
        checked = true;
    }
    ovs_assert(msec > 0);
    atomic_store_relaxed(&bench_virtual_msec, msec);
}

static long long int
bench_virtual_now(void)
{
    long long int msec;

    atomic_read_relaxed(&bench_virtual_msec, &msec);
    return msec;
}

/* Interposes libopenvswitch's time_msec(): see bench-clock.h. */
long long int
time_msec(void)
{
    long long int msec = bench_virtual_now();

    if (!msec) {
        struct timespec ts;

        xclock_gettime(CLOCK_MONOTONIC, &ts);
        msec = (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    return msec;
}

typedef int time_poll_func(struct pollfd *, int, HANDLE *, long long int,
                           int *);

/* Interposes libopenvswitch's time_poll(): see bench-clock.h. */
int
time_poll(struct pollfd *pollfds, int n_pollfds, HANDLE *handles,
          long long int timeout_when, int *elapsed)
{
    static time_poll_func *ovs_time_poll;
    long long int start;
    bool quiescent;
    int retval;

    if (!bench_virtual_now()) {
        if (!ovs_time_poll) {
            ovs_time_poll = (time_poll_func *) dlsym(RTLD_NEXT, "time_poll");
            ovs_assert(ovs_time_poll);
        }
        return ovs_time_poll(pollfds, n_pollfds, handles, timeout_when,
                             elapsed);
    }

    start = time_msec();
    quiescent = ovsrcu_is_quiescent();
    if (!quiescent) {
        ovsrcu_quiesce_start();
    }
    for (;;) {
        bool due = time_msec() >= timeout_when;

        retval = poll(pollfds, n_pollfds, due ? 0 : BENCH_VIRTUAL_SLICE_MS);
        if (retval < 0) {
            retval = -errno;
        }
        if (retval == -EINTR) {
            continue;
        } else if (retval || due) {
            break;
        }
    }
    if (!quiescent) {
        ovsrcu_quiesce_end();
    }
    *elapsed = time_msec() - start;
    return retval;
}
