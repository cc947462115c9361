/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "ctdp-port.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpif.h"
#include "hash.h"
#include "netdev.h"
#include "odp-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "seq.h"
#include "sset.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ctdp_port);

static uint32_t
ctdp_port_hash(odp_port_t port_no)
{
    return hash_int(odp_to_u32(port_no), 0);
}

void
ctdp_ports_init(struct ctdp_ports *ports)
{
    ovs_mutex_init(&ports->mutex);
    cmap_init(&ports->by_no);
    ovs_mutex_lock(&ports->mutex);
    ports->n_ports = 0;
    memset(ports->log, 0, sizeof ports->log);
    ports->log_first = ports->log_next = 0;
    ovs_mutex_unlock(&ports->mutex);
    ports->seq = seq_create();
}

/* The caller has already removed and freed every port. */
void
ctdp_ports_destroy(struct ctdp_ports *ports)
{
    ovs_mutex_lock(&ports->mutex);
    ovs_assert(!ports->n_ports);
    for (uint64_t i = ports->log_first; i < ports->log_next; i++) {
        free(ports->log[i % CTDP_PORT_LOG_SIZE]);
    }
    ovs_mutex_unlock(&ports->mutex);
    cmap_destroy(&ports->by_no);
    seq_destroy(ports->seq);
    ovs_mutex_destroy(&ports->mutex);
}

/* Returns true when the process runs with Open vSwitch's dummy devices
 * (ovs-vswitchd --enable-dummy, as in the test suite).  Internal ports then
 * open as "dummy-internal" instead of creating kernel tap devices, like in
 * Open vSwitch's own test datapath. */
static bool
ctdp_dummy_devices_enabled(void)
{
    struct sset types;
    bool enabled;

    sset_init(&types);
    netdev_enumerate_types(&types);
    enabled = sset_contains(&types, "dummy-internal");
    sset_destroy(&types);
    return enabled;
}

const char *
ctdp_port_open_type(const char *type)
{
    if (strcmp(type, "internal")) {
        return type;
    }
    return ctdp_dummy_devices_enabled() ? "dummy-internal" : "tap";
}

/* Returns true if ports of 'netdev_type' can be added to a ctdp datapath:
 * devices that deliver and accept Ethernet frames through netdev rxq/send.
 * Tunnel and patch vports are not datapath devices here. */
bool
ctdp_port_type_supported(const char *netdev_type)
{
    static const char *const types[] = {
        "dummy", "dummy-internal", "dummy-pmd", "system", "tap",
    };

    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        if (!strcmp(netdev_type, types[i])) {
            return true;
        }
    }
    return false;
}

struct ctdp_port *
ctdp_port_lookup(const struct ctdp_ports *ports, odp_port_t port_no)
{
    struct ctdp_port *port;

    CMAP_FOR_EACH_WITH_HASH (port, node, ctdp_port_hash(port_no),
                             &ports->by_no) {
        if (port->port_no == port_no) {
            return port;
        }
    }
    return NULL;
}

struct ctdp_port *
ctdp_port_lookup_by_name(const struct ctdp_ports *ports, const char *name)
{
    struct ctdp_port *port;

    CMAP_FOR_EACH (port, node, &ports->by_no) {
        if (!strcmp(port->name, name)) {
            return port;
        }
    }
    return NULL;
}

/* Picks a free port number for a port called 'name' (see the header). */
static odp_port_t
ctdp_port_choose_no(const struct ctdp_ports *ports, const char *name)
    OVS_REQUIRES(ports->mutex)
{
    uint32_t base = !strncmp(name, "br", 2) ? 100 : 0;

    for (const char *p = name; *p; p++) {
        if (isdigit((unsigned char) *p)) {
            unsigned long n = strtoul(p, NULL, 10);
            uint32_t port_no = base + n;

            if (n < UINT16_MAX && port_no > 0
                && !ctdp_port_lookup(ports, u32_to_odp(port_no))) {
                return u32_to_odp(port_no);
            }
            break;
        }
    }

    for (uint32_t port_no = 1; port_no <= UINT16_MAX; port_no++) {
        if (!ctdp_port_lookup(ports, u32_to_odp(port_no))) {
            return u32_to_odp(port_no);
        }
    }
    return ODPP_NONE;
}

static void
ctdp_port_log_change(struct ctdp_ports *ports, const char *name)
    OVS_REQUIRES(ports->mutex)
{
    if (ports->log_next - ports->log_first == CTDP_PORT_LOG_SIZE) {
        free(ports->log[ports->log_first % CTDP_PORT_LOG_SIZE]);
        ports->log_first++;
    }
    ports->log[ports->log_next % CTDP_PORT_LOG_SIZE] = xstrdup(name);
    ports->log_next++;
    seq_change(ports->seq);
}

/* Opens netdev 'name' of 'type' (already mapped by ctdp_port_open_type())
 * as port 'port_no', opens its receive queues and turns on promiscuous
 * mode, and publishes it.  On success stores the port in '*portp'. */
int
ctdp_port_open(struct ctdp_ports *ports, const char *name, const char *type,
               odp_port_t port_no, struct ctdp_port **portp)
{
    enum netdev_flags flags;
    struct ctdp_port *port;
    struct netdev *netdev;
    int error;

    *portp = NULL;
    if (ctdp_port_lookup_by_name(ports, name)) {
        return EEXIST;
    }
    if (ctdp_port_lookup(ports, port_no)) {
        return EBUSY;
    }

    error = netdev_open(name, type, &netdev);
    if (error) {
        return error;
    }
    if (!ctdp_port_type_supported(netdev_get_type(netdev))) {
        VLOG_ERR("%s: ports of type %s are not supported by the ctdp "
                 "datapath", name, netdev_get_type(netdev));
        netdev_close(netdev);
        return EOPNOTSUPP;
    }
    netdev_get_flags(netdev, &flags);
    if (flags & NETDEV_LOOPBACK) {
        VLOG_ERR("%s: cannot add a loopback device", name);
        netdev_close(netdev);
        return EINVAL;
    }

    port = xzalloc(sizeof *port);
    port->port_no = port_no;
    port->netdev = netdev;
    port->type = xstrdup(netdev_get_type(netdev));
    port->name = xstrdup(name);
    atomic_init(&port->rx_packets, 0);
    atomic_init(&port->tx_packets, 0);
    atomic_init(&port->tx_dropped, 0);

    port->n_rxq = netdev_n_rxq(netdev);
    port->rxqs = xcalloc(port->n_rxq, sizeof *port->rxqs);
    for (int i = 0; i < port->n_rxq; i++) {
        error = netdev_rxq_open(netdev, &port->rxqs[i], i);
        if (error) {
            VLOG_ERR("%s: cannot receive packets on this device (%s)",
                     name, ovs_strerror(error));
            port->n_rxq = i;
            ctdp_port_free(port);
            return error;
        }
    }

    error = netdev_turn_flags_on(netdev, NETDEV_PROMISC, &port->sf);
    if (error) {
        VLOG_ERR("%s: cannot set promisc flag", name);
        ctdp_port_free(port);
        return error;
    }

    cmap_insert(&ports->by_no, &port->node, ctdp_port_hash(port_no));
    ports->n_ports++;
    ctdp_port_log_change(ports, name);
    *portp = port;
    return 0;
}

/* dpif port_add: chooses a number unless '*port_nop' names one. */
int
ctdp_port_add(struct ctdp_ports *ports, struct netdev *netdev,
              odp_port_t *port_nop, struct ctdp_port **portp)
{
    const char *name = netdev_get_name(netdev);
    odp_port_t port_no;
    int error;

    *portp = NULL;
    if (*port_nop != ODPP_NONE) {
        port_no = *port_nop;
    } else {
        port_no = ctdp_port_choose_no(ports, name);
        if (port_no == ODPP_NONE) {
            return EFBIG;
        }
    }
    error = ctdp_port_open(ports, name, netdev_get_type(netdev), port_no,
                           portp);
    if (!error) {
        *port_nop = port_no;
    }
    return error;
}

/* Removes 'port' from the table.  Readers may still use it until they
 * quiesce; the caller frees it with ctdp_port_free() once no rx thread
 * polls its queues (the netdev itself is closed after an RCU grace
 * period). */
void
ctdp_port_unlink(struct ctdp_ports *ports, struct ctdp_port *port)
{
    cmap_remove(&ports->by_no, &port->node, ctdp_port_hash(port->port_no));
    ports->n_ports--;
    ctdp_port_log_change(ports, port->name);
}

static void
ctdp_port_free_rcu(struct ctdp_port *port)
{
    netdev_close(port->netdev);
    free(port->type);
    free(port->name);
    free(port);
}

/* Closes 'port''s receive queues now and releases the rest after an RCU
 * grace period.  No rx thread may poll the queues any more. */
void
ctdp_port_free(struct ctdp_port *port)
{
    if (!port) {
        return;
    }
    for (int i = 0; i < port->n_rxq; i++) {
        netdev_rxq_close(port->rxqs[i]);
    }
    free(port->rxqs);
    port->rxqs = NULL;
    port->n_rxq = 0;
    netdev_restore_flags(port->sf);
    port->sf = NULL;
    ovsrcu_postpone(ctdp_port_free_rcu, port);
}

void
ctdp_port_to_dpif_port(const struct ctdp_port *port,
                       struct dpif_port *dpif_port)
{
    dpif_port->name = xstrdup(port->name);
    dpif_port->type = xstrdup(port->type);
    dpif_port->port_no = port->port_no;
}

static int
ctdp_port_compare(const void *a_, const void *b_)
{
    const struct dpif_port *a = a_, *b = b_;
    uint32_t x = odp_to_u32(a->port_no), y = odp_to_u32(b->port_no);

    return x < y ? -1 : x > y;
}

/* Copies the table into 'snap', sorted by port number. */
void
ctdp_ports_snapshot(struct ctdp_ports *ports, struct ctdp_port_snapshot *snap)
{
    struct ctdp_port *port;
    size_t i = 0;

    ovs_mutex_lock(&ports->mutex);
    snap->n = ports->n_ports;
    snap->pos = 0;
    snap->ports = xcalloc(snap->n ? snap->n : 1, sizeof *snap->ports);
    CMAP_FOR_EACH (port, node, &ports->by_no) {
        ovs_assert(i < snap->n);
        ctdp_port_to_dpif_port(port, &snap->ports[i++]);
    }
    ovs_mutex_unlock(&ports->mutex);
    qsort(snap->ports, snap->n, sizeof *snap->ports, ctdp_port_compare);
}

void
ctdp_port_snapshot_destroy(struct ctdp_port_snapshot *snap)
{
    for (size_t i = 0; i < snap->n; i++) {
        dpif_port_destroy(&snap->ports[i]);
    }
    free(snap->ports);
    snap->ports = NULL;
    snap->n = snap->pos = 0;
}

void
ctdp_port_cursor_init(struct ctdp_ports *ports,
                      struct ctdp_port_cursor *cursor)
{
    ovs_mutex_lock(&ports->mutex);
    cursor->next = ports->log_next;
    cursor->seen_seq = seq_read(ports->seq);
    ovs_mutex_unlock(&ports->mutex);
}

/* dpif port_poll: reports the next changed port name, ENOBUFS if changes
 * were lost, EAGAIN if there is nothing new. */
int
ctdp_port_poll(struct ctdp_ports *ports, struct ctdp_port_cursor *cursor,
               char **devnamep)
{
    int error;

    ovs_mutex_lock(&ports->mutex);
    cursor->seen_seq = seq_read(ports->seq);
    if (cursor->next < ports->log_first) {
        cursor->next = ports->log_next;
        error = ENOBUFS;
    } else if (cursor->next < ports->log_next) {
        *devnamep = xstrdup(ports->log[cursor->next % CTDP_PORT_LOG_SIZE]);
        cursor->next++;
        error = 0;
    } else {
        error = EAGAIN;
    }
    ovs_mutex_unlock(&ports->mutex);
    return error;
}

void
ctdp_port_poll_wait(struct ctdp_ports *ports,
                    const struct ctdp_port_cursor *cursor)
{
    bool pending;

    ovs_mutex_lock(&ports->mutex);
    pending = cursor->next != ports->log_next;
    ovs_mutex_unlock(&ports->mutex);
    if (pending) {
        poll_immediate_wake();
    } else {
        seq_wait(ports->seq, cursor->seen_seq);
    }
}

/* Appends one line per port: number, name, type, queues and counters. */
void
ctdp_ports_format(struct ctdp_ports *ports, struct ds *s)
{
    struct ctdp_port_snapshot snap;

    ctdp_ports_snapshot(ports, &snap);
    for (size_t i = 0; i < snap.n; i++) {
        const struct dpif_port *dp = &snap.ports[i];
        uint64_t rx = 0, tx = 0, drop = 0;
        struct ctdp_port *port;
        int n_rxq = 0;

        /* The snapshot's names are copies; counters come from the live
         * port, if it still exists. */
        ovs_mutex_lock(&ports->mutex);
        port = ctdp_port_lookup(ports, dp->port_no);
        if (port) {
            atomic_read_relaxed(&port->rx_packets, &rx);
            atomic_read_relaxed(&port->tx_packets, &tx);
            atomic_read_relaxed(&port->tx_dropped, &drop);
            n_rxq = port->n_rxq;
        }
        ovs_mutex_unlock(&ports->mutex);

        ds_put_format(s, "  port %"PRIu32": %s (%s) rxqs:%d "
                      "rx:%"PRIu64" tx:%"PRIu64" tx_dropped:%"PRIu64"\n",
                      odp_to_u32(dp->port_no), dp->name, dp->type, n_rxq,
                      rx, tx, drop);
    }
    ctdp_port_snapshot_destroy(&snap);
}
