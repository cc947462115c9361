/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef DPIF_CTDP_H
#define DPIF_CTDP_H 1

/* The ctdp datapath: an Open vSwitch dpif provider (type "ctdp") that runs
 * in ovs-vswitchd's process, like Open vSwitch's userspace datapath, with
 * its own connection tracker (lib/ct.h).
 *
 * Structure
 * =========
 *
 *   struct ctdp          one datapath (a bridge backer), shared by every
 *                        'struct dpif' opened on it, found by name.
 *   ctdp-port            the port table and port_poll change log.
 *   ctdp-rx              rx threads polling the ports' receive queues.
 *   ctdp-flow            the megaflow cache (tuple space search, by ufid).
 *   ctdp-exec            packet processing: lookup, upcall, actions,
 *                        recirculation.
 *   ctdp-ct              the ct() action and the dpif ct_* callbacks, and
 *                        the sweeper thread that expires connections.
 *   ctdp-unixctl         ovs-appctl ctdp/... commands.
 *   ctdp-persist         the connection table kept across a graceful
 *                        restart (other_config:ctdp-ct-persist).
 *
 * Upcalls follow the userspace-datapath model: the thread that misses in
 * the megaflow cache calls ofproto's registered upcall callback directly,
 * executes the actions it returns and installs the megaflow.
 *
 * Lock order
 * ==========
 *
 * Take locks only in this order (a lower number before a higher one):
 *
 *   1. ctdp_registry_mutex (the set of datapaths)
 *   2. dp->ports.mutex
 *   3. dp->rx.mutex (rx thread configuration)
 *   4. dp->upcall_rwlock (read side, held around an upcall and the flow
 *      installation that follows it)
 *   5. dp->flows.mutex (megaflow cache writers)
 *   6. dp->persist.mutex (saving and restoring the connection table)
 *   7. locks private to the conntrack engine
 *
 * Packet processing holds none of 1-3 and reads ports and megaflows under
 * RCU.  Every thread that processes packets is an OVS thread that quiesces
 * between batches. */

#include <stdbool.h>
#include <stdint.h>
#include "ctdp-flow.h"
#include "ctdp-persist.h"
#include "ctdp-port.h"
#include "ctdp-rx.h"
#include "dpif-provider.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"

struct ct;
struct ctdp_sweeper;
struct match;
struct nlattr;
struct sset;

/* Datapath-wide counters.  [atomic, relaxed; each stands alone] */
struct ctdp_counters {
    atomic_uint64_t n_hit;          /* Packets that matched a megaflow. */
    atomic_uint64_t n_missed;       /* Packets that missed. */
    atomic_uint64_t n_lost;         /* Misses not handled (upcalls off or
                                     * failed). */
    atomic_uint64_t n_upcalls;      /* Miss upcalls made. */
    atomic_uint64_t n_action_upcalls;  /* userspace() upcalls made. */
    atomic_uint64_t n_recirc;       /* Packets recirculated. */
    atomic_uint64_t n_recirc_drops; /* Dropped: recirculation too deep. */
    atomic_uint64_t n_output_drops; /* Dropped: output to a missing port. */
    atomic_uint64_t n_refused;      /* Dropped: their actions were refused
                                     * (ct helpers, unsupported actions). */
    atomic_uint64_t n_flow_installs;    /* Megaflows installed by upcall. */
};

struct ctdp {
    /* Immutable after creation. */
    const struct dpif_class *class;
    char *name;
    struct ovs_refcount ref_cnt;    /* One per open 'struct dpif_ctdp',
                                     * one for the creation until dpif
                                     * destroy, one per ctdp_find(). */

    bool destroyed OVS_GUARDED;     /* Deleted by dpif destroy.
                                     * [ctdp_registry_mutex] */

    struct ctdp_ports ports;        /* Ports (own lock). */
    struct ctdp_rx rx;              /* Rx threads (own lock). */
    struct ctdp_flow_table flows;   /* Megaflow cache (own lock). */
    struct ct *ct;                  /* Connection tracker (thread-safe). */
    struct ctdp_sweeper *sweeper;   /* Expiry thread. */
    struct ctdp_persist persist;    /* Save at exit, restore at start
                                     * (own lock). */

    /* Zones that have a connection limit of their own (the engine keeps
     * the limits; this set lets dpctl/ct-get-limits list them). */
    struct ovs_mutex ct_mutex;
    unsigned long *zone_limited OVS_GUARDED;/* [ct_mutex] */

    /* Upcalls.  The callback and its argument are written only while the
     * write side of 'upcall_rwlock' is held (upcalls disabled) or before any
     * thread processes packets, and read under its read side.  The write
     * side is held from disable_upcall to enable_upcall: a packet thread
     * that cannot take the read side (try-lock, also when nested inside
     * another upcall's actions) counts the packet as lost.  A plain rwlock
     * rather than a fat_rwlock: threads that exit while upcalls are
     * disabled must not need the lock (fat_rwlock's per-thread slots do). */
    struct ovs_rwlock upcall_rwlock;
    upcall_callback *upcall_cb;
    void *upcall_aux;
    bool upcalls_disabled;          /* Written by the thread that enables
                                     * and disables upcalls only. */
    dp_purge_callback *purge_cb;    /* Written by the main thread only. */
    void *purge_aux;

    struct ctdp_counters counters;
};

/* One open handle on a datapath. */
struct dpif_ctdp {
    struct dpif dpif;
    struct ctdp *dp;
    struct ctdp_port_cursor port_cursor;    /* Owner: the handle's user. */
    bool upcall_owner;              /* Registered an upcall callback, as
                                     * ofproto's backer does.  Owner: the
                                     * handle's user. */
};

extern const struct dpif_class dpif_ctdp_class;

void dpif_ctdp_register(void);

struct ctdp *ctdp_cast(const struct dpif *);

/* Installs a megaflow for 'match' (as produced by an upcall: the packet's
 * flow and the wildcards ofproto chose; normalised here) with 'ufid' and
 * 'actions', unless a flow with 'ufid' exists or one already matches
 * 'match->flow'.  Logs the installation at debug level.  Returns the new
 * flow or NULL. */
struct ctdp_flow *ctdp_install_flow(struct ctdp *dp, struct match *,
                                    const ovs_u128 *ufid,
                                    const struct nlattr *actions,
                                    size_t actions_len)
    OVS_EXCLUDED(dp->flows.mutex);

/* Looks up an open datapath by name for ovs-appctl commands, taking a
 * reference released with ctdp_unref(); NULL 'name' means the only
 * datapath, if there is exactly one.  Returns NULL if none matches. */
struct ctdp *ctdp_find(const char *name);
void ctdp_unref(struct ctdp *);
/* Stores the names of all datapaths in 'names', sorted. */
void ctdp_names(struct sset *names);

#endif /* dpif-ctdp.h */
