/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H 1

/* Clocks of the engine benchmarks (ctdp-bench).
 *
 * Measurement clock
 * =================
 *
 * bench_clock_ns() reads CLOCK_MONOTONIC in nanoseconds; every timed region
 * of the benchmark uses it.
 *
 * Connection-tracking clock
 * =========================
 *
 * Both engines see time only in milliseconds: ctdp through the 'now' that
 * its callers pass, Open vSwitch's conntrack through the 'now' passed to
 * conntrack_execute() and, for expiry, through time_msec(), which its
 * cleanup thread ("ct_clean") reads on its own between sleeps in
 * poll_block().  A workload that drives expiry on a virtual clock must make
 * all of these follow it, the same way for both engines.  This module
 * therefore defines two functions of libopenvswitch itself; the program's
 * definitions take precedence over libopenvswitch's for every caller in the
 * process, libopenvswitch's own threads included (its internal calls go
 * through the dynamic linker):
 *
 *   - time_msec(): until bench_clock_set_virtual() is first called, returns
 *     CLOCK_MONOTONIC in milliseconds, as libopenvswitch's does when time is
 *     not warped.  From then on, it returns the last value set.
 *
 *   - time_poll(), on which poll_block() sleeps: until the clock is virtual,
 *     libopenvswitch's own.  Once it is, a sleep lasts until the virtual
 *     clock reaches the wake-up time (or an awaited event occurs), checked
 *     every millisecond of real time, so that a thread that asks to sleep
 *     200 ms sleeps 200 virtual milliseconds however fast the workload makes
 *     virtual time run.  The thread is quiescent for RCU while it sleeps, as
 *     in libopenvswitch's.
 *
 * The clock stays virtual for the rest of the process's life.  Every
 * measurement process of ctdp-bench switches to it before it creates a
 * tracker; only W-churn makes it advance.
 *
 * Thread-safety: all functions may be called from any thread.  The virtual
 * value is an atomic; bench_clock_set_virtual() is meant to be called by one
 * thread (the one driving packets), while any thread reads it. */

#include <stdint.h>

uint64_t bench_clock_ns(void);

void bench_clock_set_virtual(long long int msec);

#endif /* bench-clock.h */
