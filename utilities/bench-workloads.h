/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef BENCH_WORKLOADS_H
#define BENCH_WORKLOADS_H 1

/* The workloads of ctdp-bench: one measurement of one workload on one
 * engine.  ctdp-bench(1) defines the workloads; this module implements
 * them.
 *
 * A measurement creates its own tracker, so it must run in a fresh process
 * (ctdp-bench forks one per measurement): the resident-memory figures are
 * only meaningful then, and the tracker and the threads it starts are never
 * torn down.
 *
 * Only the engine calls are timed (with ovsrcu_quiesce() after every chunk
 * of batches, in both engines' runs alike): packets are written, and their
 * results checked, outside the timed region.  Every packet's result is
 * checked against what the workload implies (+new, +est, +rpl, +snat, the
 * NATed source, the number of connections).  A measurement that sees a wrong
 * result prints what it saw on stderr and exits the process with status 1:
 * a figure of wrong behaviour is worth nothing.
 *
 * Thread-safety: a measurement runs in the thread that calls it, plus the
 * threads it starts; one measurement per process. */

#include <stdbool.h>
#include <stdint.h>

struct bench_engine;

/* Measurements.  BENCH_M_EST measures W-est and, when asked, W-est-2t on
 * the same table. */
enum bench_measurement {
    BENCH_M_NEW,                /* W-new. */
    BENCH_M_SNAT,               /* W-snat. */
    BENCH_M_EST,                /* W-est and/or W-est-2t. */
    BENCH_M_TCP,                /* W-tcp. */
    BENCH_M_CHURN,              /* W-churn. */
};

struct bench_params {
    uint32_t n_conns;           /* N. */
    uint64_t n_packets;         /* Timed packets of W-est and W-churn. */
    uint32_t n_tcp_conns;       /* Connections of W-tcp. */
    uint32_t seed;              /* Same for both engines in a repetition. */
    bool est_1t;                /* BENCH_M_EST: measure one thread. */
    bool est_2t;                /* BENCH_M_EST: measure two threads. */
    bool progress;              /* Print progress on stderr. */
    int cpus[2];                /* CPUs of the measuring thread and of
                                 * W-est-2t's second thread; -1: the
                                 * scheduler places them. */
    const char *label;          /* "W-new ctdp 1/5": prefix of messages. */
};

/* The figures of one measurement; those that do not apply are 0. */
struct bench_sample {
    double rate;                /* Mconn/s or Mpps, one thread. */
    double rate_2t;             /* Mpps, two threads (BENCH_M_EST). */
    double conns_per_sec;       /* BENCH_M_TCP. */
    double bytes_per_conn;      /* BENCH_M_NEW, BENCH_M_SNAT: resident
                                 * memory growth over the commits, per
                                 * connection. */
    double footprint_per_conn;  /* Same, from before the tracker and the
                                 * packets were allocated. */
    uint64_t max_conns;         /* BENCH_M_CHURN: largest table seen. */
    uint64_t end_conns;         /* BENCH_M_CHURN: table at the end. */
};

void bench_measure(enum bench_measurement, const struct bench_engine *,
                   const struct bench_params *, struct bench_sample *);

/* Number of distinct flows the packets can carry (source addresses wrap at
 * 2**24).  W-churn uses N + packets / 10 flows. */
#define BENCH_MAX_FLOWS (1u << 24)

#endif /* bench-workloads.h */
