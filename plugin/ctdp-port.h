/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_PORT_H
#define CTDP_PORT_H 1

/* The port table of one ctdp datapath.
 *
 * A port is an open netdev with a datapath port number.  Supported netdev
 * types: "dummy", "dummy-internal", "dummy-pmd" (tests), "system" (an
 * AF_PACKET socket on a kernel interface, through netdev-linux) and "tap"
 * (also what an "internal" port opens as, see ctdp_port_open_type()).
 *
 * Numbering follows Open vSwitch's test datapath so that expected outputs
 * are predictable: a port whose name contains digits gets the number they
 * spell (plus 100 if the name starts with "br"), if free; otherwise the
 * lowest free number.  ODPP_LOCAL (0) is the datapath's own internal port.
 *
 * Change notifications: every add and delete appends the port's name to a
 * bounded log that 'struct ctdp_port_cursor's read (dpif port_poll).  A
 * cursor that falls behind the log is told to resynchronise (ENOBUFS).
 *
 * Thread-safety
 * =============
 *
 * Readers on any thread find ports by number with ctdp_port_lookup() under
 * RCU: the port stays valid until the reader quiesces.  Everything that
 * changes the table (add, delete, the change log) takes 'ports->mutex'.
 * A deleted port's netdev is closed after an RCU grace period; its receive
 * queues must have been released by the caller (the rx threads) before
 * ctdp_port_del() returns them, see ctdp_port_take_rxqs(). */

#include <stdbool.h>
#include <stdint.h>
#include "cmap.h"
#include "openvswitch/list.h"
#include "openvswitch/types.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"

struct dpif_port;
struct ds;
struct netdev;
struct netdev_rxq;
struct seq;

struct ctdp_port {
    struct cmap_node node;          /* In 'ports->by_no'. [RCU] */

    /* Immutable after creation. */
    odp_port_t port_no;
    struct netdev *netdev;          /* Closed after an RCU grace period. */
    char *type;                     /* netdev type, e.g. "dummy", "tap". */
    char *name;                     /* netdev name. */

    /* Owned by the port table ('ports->mutex'). */
    struct netdev_saved_flags *sf;  /* Restores promiscuous mode. */
    struct netdev_rxq **rxqs;       /* 'n_rxq' receive queues, or NULL. */
    int n_rxq;

    /* Statistics.  [atomic, relaxed; each counter stands alone] */
    atomic_uint64_t rx_packets;     /* Received from the netdev. */
    atomic_uint64_t tx_packets;     /* Handed to netdev_send(). */
    atomic_uint64_t tx_dropped;     /* Refused by the netdev. */
};

/* One remembered port change (add or delete). */
#define CTDP_PORT_LOG_SIZE 64

struct ctdp_ports {
    struct ovs_mutex mutex;
    struct cmap by_no;              /* Contains 'struct ctdp_port's.
                                     * Written under 'mutex', read under
                                     * RCU. */
    size_t n_ports OVS_GUARDED;/* [mutex] */

    /* Change log for port_poll: 'log[i % SIZE]' holds change number 'i' for
     * 'log_first <= i < log_next'. */
    char *log[CTDP_PORT_LOG_SIZE] OVS_GUARDED;/* [mutex] */
    uint64_t log_first OVS_GUARDED;/* [mutex] */
    uint64_t log_next OVS_GUARDED;/* [mutex] */
    struct seq *seq;                /* Changes on every add/delete. */
};

/* A reader's position in the change log (one per open dpif). */
struct ctdp_port_cursor {
    uint64_t next;                  /* Next change number to report. */
    uint64_t seen_seq;              /* seq_read('ports->seq') at last poll. */
};

void ctdp_ports_init(struct ctdp_ports *);
void ctdp_ports_destroy(struct ctdp_ports *);

const char *ctdp_port_open_type(const char *type);
bool ctdp_port_type_supported(const char *netdev_type);

int ctdp_port_add(struct ctdp_ports *ports, struct netdev *,
                  odp_port_t *port_nop, struct ctdp_port **portp)
    OVS_REQUIRES(ports->mutex);
int ctdp_port_open(struct ctdp_ports *ports, const char *name,
                   const char *type, odp_port_t port_no,
                   struct ctdp_port **portp)
    OVS_REQUIRES(ports->mutex);
void ctdp_port_unlink(struct ctdp_ports *ports, struct ctdp_port *)
    OVS_REQUIRES(ports->mutex);
void ctdp_port_free(struct ctdp_port *);

struct ctdp_port *ctdp_port_lookup(const struct ctdp_ports *, odp_port_t);
struct ctdp_port *ctdp_port_lookup_by_name(const struct ctdp_ports *ports,
                                           const char *name)
    OVS_REQUIRES(ports->mutex);
void ctdp_port_to_dpif_port(const struct ctdp_port *, struct dpif_port *);

/* Snapshot of the table for port_dump. */
struct ctdp_port_snapshot {
    size_t n, pos;
    struct dpif_port *ports;
};
void ctdp_ports_snapshot(struct ctdp_ports *ports,
                         struct ctdp_port_snapshot *)
    OVS_EXCLUDED(ports->mutex);
void ctdp_port_snapshot_destroy(struct ctdp_port_snapshot *);

void ctdp_port_cursor_init(struct ctdp_ports *ports,
                           struct ctdp_port_cursor *)
    OVS_EXCLUDED(ports->mutex);
int ctdp_port_poll(struct ctdp_ports *ports, struct ctdp_port_cursor *,
                   char **devnamep)
    OVS_EXCLUDED(ports->mutex);
void ctdp_port_poll_wait(struct ctdp_ports *ports,
                         const struct ctdp_port_cursor *)
    OVS_EXCLUDED(ports->mutex);

void ctdp_ports_format(struct ctdp_ports *ports, struct ds *)
    OVS_EXCLUDED(ports->mutex);

#endif /* ctdp-port.h */
