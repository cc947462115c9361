/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_RX_H
#define CTDP_RX_H 1

/* Rx threads of a ctdp datapath.
 *
 * Each rx thread polls a list of receive queues (port, rxq) and runs every
 * batch it receives through the datapath (ctdp_exec_input()).  Queues are
 * spread over the threads, the least loaded thread taking the next one.
 * The number of threads comes from other_config:ctdp-rx-threads (default
 * 1, at most CTDP_RX_MAX_THREADS).  0 selects no thread at all: the queues
 * are polled by ovs-vswitchd's main loop through the dpif's run and wait
 * callbacks (ctdp_rx_run(), ctdp_rx_wait()), which is how Open vSwitch's
 * userspace datapath treats ordinary ports; packets injected with
 * netdev-dummy/receive are then processed before the next ovs-appctl
 * command, as Open vSwitch's own tests expect.
 *
 * Reconfiguration protocol: a thread holds its own 'mutex' while it polls
 * and processes one pass over its queues, and releases it before it sleeps.
 * To take a queue away, the configuring thread removes it from the list
 * under that mutex, bumps the thread's generation and waits until the
 * thread acknowledges it at the top of its next pass; from then on the rx
 * thread neither polls nor waits on the queue, which may be closed.
 *
 * Thread-safety
 * =============
 *
 * ctdp_rx_*() functions other than the thread bodies are called by the
 * thread that configures the datapath, with the port table's mutex held
 * where documented, and take 'rx->mutex'.  They must not be called from an
 * rx thread. */

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/thread.h"
#include "openvswitch/types.h"
#include "ovs-thread.h"

struct ctdp;
struct ctdp_port;
struct ctdp_rx_thread;
struct ds;

#define CTDP_RX_DEFAULT_THREADS 1
#define CTDP_RX_MAX_THREADS 64

struct ctdp_rx {
    struct ovs_mutex mutex;
    struct ctdp *dp;                /* Immutable. */
    struct ctdp_rx_thread **threads OVS_GUARDED;/* [mutex] */
    size_t n_threads OVS_GUARDED;/* [mutex] */
};

void ctdp_rx_init(struct ctdp_rx *, struct ctdp *);
void ctdp_rx_destroy(struct ctdp_rx *rx) OVS_EXCLUDED(rx->mutex);

void ctdp_rx_set_n_threads(struct ctdp_rx *rx, size_t n)
    OVS_EXCLUDED(rx->mutex);
size_t ctdp_rx_n_threads(struct ctdp_rx *rx) OVS_EXCLUDED(rx->mutex);

void ctdp_rx_add_port(struct ctdp_rx *rx, struct ctdp_port *)
    OVS_EXCLUDED(rx->mutex);
void ctdp_rx_del_port(struct ctdp_rx *rx, struct ctdp_port *)
    OVS_EXCLUDED(rx->mutex);

/* Blocks until every rx thread has processed every packet that was waiting
 * in its queues when the call was made, or 'timeout_ms' passed.  Returns
 * true on success. */
bool ctdp_rx_wait_idle(struct ctdp_rx *rx, long long timeout_ms)
    OVS_EXCLUDED(rx->mutex);

void ctdp_rx_run(struct ctdp_rx *rx) OVS_EXCLUDED(rx->mutex);
void ctdp_rx_wait(struct ctdp_rx *rx) OVS_EXCLUDED(rx->mutex);

void ctdp_rx_format(struct ctdp_rx *rx, struct ds *)
    OVS_EXCLUDED(rx->mutex);

#endif /* ctdp-rx.h */
