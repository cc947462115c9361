/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_EXEC_H
#define CTDP_EXEC_H 1

/* Packet processing in a ctdp datapath.
 *
 * ctdp_exec_input() takes a batch received on a port: each packet's key is
 * extracted (miniflow) and looked up in the megaflow cache.  Packets that
 * hit are grouped per megaflow and the megaflow's actions run once per
 * group.  A packet that misses is handed to ofproto through the upcall
 * callback (DPIF_UC_MISS); the datapath installs the megaflow (key, mask,
 * put_actions or actions) with the upcall's ufid, then executes the actions
 * the callback returned on the packet.  Installing first lets the packet's
 * own recirculations hit the new megaflow instead of missing again.
 *
 * Ordering: the groups gathered so far are executed before a miss is sent
 * up, and the packets after the miss are looked up again once the new
 * megaflow is in place, so packets of one flow leave in the order they
 * arrived and none is lost while its upcall is pending.
 *
 * Actions run through odp_execute_actions(); this module executes the ones
 * that need the datapath: output (to any port including LOCAL), recirc
 * (depth-limited, drops counted), ct (ctdp-ct), userspace (an upcall with
 * DPIF_UC_ACTION; the returned actions run on the packet).  Actions the
 * datapath cannot execute are refused by ctdp_exec_validate() before a
 * megaflow is installed or a packet is executed, never half-run.
 *
 * Thread-safety
 * =============
 *
 * Any number of threads may process packets concurrently; each must be an
 * OVS thread (RCU).  Recirculation depth is tracked per thread. */

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/types.h"

struct ctdp;
struct dp_packet_batch;
struct dpif_execute;
struct nlattr;

/* Processes 'batch', received on 'in_port'; takes ownership of the
 * packets. */
void ctdp_exec_input(struct ctdp *, struct dp_packet_batch *,
                     odp_port_t in_port);

/* dpif 'execute' operation (packet-out, probes). */
int ctdp_exec_execute(struct ctdp *, struct dpif_execute *);

/* Returns 0 if the datapath can execute every action in 'actions', else
 * EINVAL.  Logs why (rate-limited) unless 'quiet'. */
int ctdp_exec_validate(const struct nlattr *actions, size_t actions_len,
                       bool quiet);

#endif /* ctdp-exec.h */
