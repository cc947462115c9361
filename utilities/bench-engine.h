/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef BENCH_ENGINE_H
#define BENCH_ENGINE_H 1

/* The two connection trackers that ctdp-bench compares, behind one
 * interface: ctdp's engine (lib/ct.h) and Open vSwitch 3.1's userspace
 * conntrack (conntrack.h in libopenvswitch).
 *
 * Both are driven with the same ct() action: IPv4, zone 0, no mark or
 * label, no helper, the default timeout policy, and optionally source NAT
 * to 192.0.2.1 with ports 1024-65535.
 *
 * Expiry.  Each engine runs with the expiry driver it has in a datapath, on
 * a thread of its own:
 *
 *   - Open vSwitch: conntrack_init() starts its "ct_clean" thread, which
 *     calls its sweep with time_msec() and sleeps in between as OVS decides
 *     (20 s, or 200 ms while more than a 64th of the connection limit is to
 *     be visited).
 *   - ctdp: this module starts a "ctdp_sweep" thread that calls ct_sweep()
 *     with time_msec() and the same per-call budget as Open vSwitch's (the
 *     default 3,000,000-connection limit / 64), then sleeps for the interval
 *     ct_sweep() returns.
 *
 * Both threads therefore follow time_msec() and sleep in poll_block(),
 * which bench-clock.h makes follow the benchmark's virtual clock.
 *
 * Thread-safety: execute() may be called from several threads at once on
 * the same tracker (both engines allow it); create() and n_conns() from any
 * thread.  Trackers are never destroyed: each measurement runs in a process
 * of its own, which exits when done. */

#include <stdbool.h>
#include <stdint.h>

struct dp_packet_batch;

/* Arguments of the ct() action applied to one batch. */
struct bench_exec {
    bool commit;
    bool snat;                  /* SNAT to 192.0.2.1:1024-65535. */
    long long int now;          /* Milliseconds, as time_msec(). */
};

/* The NAT address of 'snat', in host byte order, and its port range. */
#define BENCH_SNAT_ADDR 0xc0000201    /* 192.0.2.1 */
#define BENCH_SNAT_MIN_PORT 1024
#define BENCH_SNAT_MAX_PORT 65535

struct bench_engine {
    const char *name;           /* "ctdp" or "ovs". */
    const char *title;          /* For humans: "ctdp", "OVS". */

    /* Creates a tracker with its expiry thread. */
    void *(*create)(void);

    /* Runs 'batch' through the tracker. */
    void (*execute)(void *ct, struct dp_packet_batch *batch,
                    const struct bench_exec *);

    /* Returns the number of connections in the table. */
    uint32_t (*n_conns)(void *ct);
};

extern const struct bench_engine bench_engine_ctdp;
extern const struct bench_engine bench_engine_ovs;

#endif /* bench-engine.h */
