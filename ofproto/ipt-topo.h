/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef IPT_TOPO_H
#define IPT_TOPO_H 1

/* Where the bridge's ports lead: the iptables compiler's view of the host.
 *
 * iptables rules name interfaces ("-i eth0") and depend on the host's
 * addresses (MASQUERADE, REDIRECT, "-m addrtype --dst-type LOCAL") and
 * routes (which interface "-o" a forwarded packet leaves by).  A bridge has
 * none of these, so the user describes them:
 *
 *   - the port map: interface name to OpenFlow port, with the interface's
 *     addresses, e.g. "eth0=1:203.0.113.10/24,docker0=2:172.17.0.1/16".  An
 *     address makes the bridge "own" it (traffic to it goes to the LOCAL
 *     port through INPUT); a prefix length also adds the connected route.
 *     The port "LOCAL" is the bridge's local port.
 *
 *   - routes: "CIDR=TARGET" where TARGET is a port map name, an OpenFlow
 *     port number, "LOCAL", or "NORMAL" (let the bridge's NORMAL action
 *     decide).  "default" stands for 0.0.0.0/0 and ::/0.  Packets with no
 *     route are output with NORMAL.
 *
 *   - extra local addresses ("--local ADDR") that belong to no port.
 *
 * Thread-safety: owned by one thread. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

/* Route target meaning "output with the NORMAL action". */
#define IPT_ROUTE_NORMAL 0

struct ipt_addr {
    int family;                 /* AF_INET or AF_INET6. */
    struct in6_addr addr;       /* Representation of ipt-term.h. */
    int plen;                   /* Prefix length, -1 if none given. */
};

struct ipt_port {
    char *name;
    uint32_t ofport;            /* OpenFlow port, IPT_PORT_LOCAL for LOCAL. */
    struct ipt_addr *addrs;
    size_t n_addrs;
};

struct ipt_route {
    int family;
    struct in6_addr prefix;     /* Masked. */
    int plen;
    char *target;               /* As given. */
    uint32_t ofport;            /* Resolved by ipt_topo_finish(). */
    bool connected;             /* From a port map address. */
};

struct ipt_topo {
    struct ipt_port *ports;
    size_t n_ports;
    struct ipt_route *routes;
    size_t n_routes;
    struct ipt_addr *locals;    /* --local addresses. */
    size_t n_locals;
};

void ipt_topo_init(struct ipt_topo *);
void ipt_topo_destroy(struct ipt_topo *);

char *ipt_topo_add_port_map(struct ipt_topo *, const char *spec)
    OVS_WARN_UNUSED_RESULT;
char *ipt_topo_add_route(struct ipt_topo *, const char *spec)
    OVS_WARN_UNUSED_RESULT;
char *ipt_topo_add_local(struct ipt_topo *, const char *addr)
    OVS_WARN_UNUSED_RESULT;
bool ipt_topo_add_port_if_missing(struct ipt_topo *, const char *name,
                                  uint32_t ofport);
char *ipt_topo_finish(struct ipt_topo *) OVS_WARN_UNUSED_RESULT;

const struct ipt_port *ipt_topo_find_port(const struct ipt_topo *,
                                          const char *name);
const struct ipt_addr *ipt_port_first_addr(const struct ipt_port *,
                                           int family);

#endif /* ipt-topo.h */
