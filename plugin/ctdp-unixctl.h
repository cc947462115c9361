/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_UNIXCTL_H
#define CTDP_UNIXCTL_H 1

/* ovs-appctl commands of the ctdp datapath:
 *
 *   ctdp/show [DP]        ports, rx threads, megaflow cache, datapath
 *                         counters, conntrack occupancy per shard and the
 *                         expiry sweeper, for DP or every ctdp datapath.
 *   ctdp/wait-idle [DP]   returns once the rx threads of DP (or of every
 *                         ctdp datapath) have processed every packet queued
 *                         on their ports when the command arrived.
 *
 * Commands run in ovs-vswitchd's main thread. */

void ctdp_unixctl_register(void);

#endif /* ctdp-unixctl.h */
