/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ipt-topo.h"

#include <string.h>
#include <sys/socket.h>
#include "ipt-term.h"
#include "packets.h"
#include "util.h"

void
ipt_topo_init(struct ipt_topo *topo)
{
    memset(topo, 0, sizeof *topo);
}

void
ipt_topo_destroy(struct ipt_topo *topo)
{
    if (!topo) {
        return;
    }
    for (size_t i = 0; i < topo->n_ports; i++) {
        free(topo->ports[i].name);
        free(topo->ports[i].addrs);
    }
    free(topo->ports);
    for (size_t i = 0; i < topo->n_routes; i++) {
        free(topo->routes[i].target);
    }
    free(topo->routes);
    free(topo->locals);
}

/* Parses 's' as an IPv4 or IPv6 address, with a "/plen" suffix if
 * 'allow_plen'.  Returns NULL or an error message. */
static char *
ipt_parse_addr(const char *s, bool allow_plen, struct ipt_addr *a)
{
    struct in6_addr mask;

    a->family = strchr(s, ':') ? AF_INET6 : AF_INET;
    if (!ipt_prefix_parse(s, a->family, &a->addr, &mask, &a->plen)
        || a->plen == -2) {
        return xasprintf("invalid address '%s'", s);
    }
    if (a->plen >= 0 && !allow_plen) {
        return xasprintf("'%s': a prefix length is not allowed here", s);
    }
    return NULL;
}

static char *
ipt_parse_ofport(const char *s, uint32_t *ofport)
{
    unsigned int port;

    if (!strcmp(s, "LOCAL")) {
        *ofport = IPT_PORT_LOCAL;
    } else if (str_to_uint(s, 10, &port) && port >= 1 && port < 0xff00) {
        *ofport = port;
    } else {
        return xasprintf("invalid OpenFlow port '%s'", s);
    }
    return NULL;
}

const struct ipt_port *
ipt_topo_find_port(const struct ipt_topo *topo, const char *name)
{
    for (size_t i = 0; i < topo->n_ports; i++) {
        if (!strcmp(topo->ports[i].name, name)) {
            return &topo->ports[i];
        }
    }
    return NULL;
}

static struct ipt_port *
ipt_topo_add_port(struct ipt_topo *topo, const char *name, uint32_t ofport)
{
    struct ipt_port *port;

    topo->ports = xrealloc(topo->ports,
                           (topo->n_ports + 1) * sizeof *topo->ports);
    port = &topo->ports[topo->n_ports++];
    port->name = xstrdup(name);
    port->ofport = ofport;
    port->addrs = NULL;
    port->n_addrs = 0;
    return port;
}

/* Adds port 'name' with OpenFlow port 'ofport' unless a port of that name
 * is already known.  Returns true if it was added. */
bool
ipt_topo_add_port_if_missing(struct ipt_topo *topo, const char *name,
                             uint32_t ofport)
{
    if (ipt_topo_find_port(topo, name)) {
        return false;
    }
    ipt_topo_add_port(topo, name, ofport);
    return true;
}

static char *
ipt_topo_add_port_item(struct ipt_topo *topo, char *item)
{
    char *eq = strchr(item, '=');
    char *addr_s = NULL;
    struct ipt_port *port;
    uint32_t ofport;
    char *error;

    if (!eq || eq == item) {
        return xasprintf("'%s': expected NAME=PORT[:ADDRESS[/PLEN]]", item);
    }
    *eq = '\0';
    addr_s = strchr(eq + 1, ':');
    if (addr_s) {
        *addr_s++ = '\0';
    }
    if (strlen(item) > 15) {
        return xasprintf("interface name '%s' is too long", item);
    }
    error = ipt_parse_ofport(eq + 1, &ofport);
    if (error) {
        return error;
    }

    port = CONST_CAST(struct ipt_port *, ipt_topo_find_port(topo, item));
    if (port && port->ofport != ofport) {
        return xasprintf("interface '%s' is mapped to two ports", item);
    } else if (!port) {
        for (size_t i = 0; i < topo->n_ports; i++) {
            if (topo->ports[i].ofport == ofport) {
                return xasprintf("port %s is mapped to both '%s' and '%s'",
                                 eq + 1, topo->ports[i].name, item);
            }
        }
        port = ipt_topo_add_port(topo, item, ofport);
    }
    if (addr_s) {
        struct ipt_addr a;

        error = ipt_parse_addr(addr_s, true, &a);
        if (error) {
            return error;
        }
        port->addrs = xrealloc(port->addrs,
                               (port->n_addrs + 1) * sizeof *port->addrs);
        port->addrs[port->n_addrs++] = a;
    }
    return NULL;
}

/* Adds the comma-separated NAME=PORT[:ADDRESS[/PLEN]] items of 'spec'.
 * Returns NULL or an error message that the caller must free. */
char *
ipt_topo_add_port_map(struct ipt_topo *topo, const char *spec)
{
    char *copy = xstrdup(spec);
    char *save_ptr = NULL;
    char *error = NULL;

    for (char *item = strtok_r(copy, ",", &save_ptr); item && !error;
         item = strtok_r(NULL, ",", &save_ptr)) {
        error = ipt_topo_add_port_item(topo, item);
    }
    free(copy);
    return error;
}

static void
ipt_topo_push_route(struct ipt_topo *topo, const struct ipt_addr *a,
                    const char *target)
{
    struct ipt_route *r;
    struct in6_addr mask = ipt_addr_mask_from_plen(a->family, a->plen);

    topo->routes = xrealloc(topo->routes,
                            (topo->n_routes + 1) * sizeof *topo->routes);
    r = &topo->routes[topo->n_routes++];
    r->family = a->family;
    r->prefix = ipv6_addr_bitand(&a->addr, &mask);
    r->plen = a->plen;
    r->target = xstrdup(target);
    r->ofport = IPT_ROUTE_NORMAL;
    r->connected = false;
}

/* Adds route "CIDR=TARGET" ("default=TARGET" for both families). */
char *
ipt_topo_add_route(struct ipt_topo *topo, const char *spec)
{
    const char *eq = strchr(spec, '=');
    struct ipt_addr a;
    char *cidr;
    char *error = NULL;

    if (!eq || eq == spec || !eq[1]) {
        return xasprintf("'%s': expected CIDR=PORT", spec);
    }
    cidr = xmemdup0(spec, eq - spec);
    if (!strcmp(cidr, "default")) {
        memset(&a, 0, sizeof a);
        a.family = AF_INET;
        ipt_topo_push_route(topo, &a, eq + 1);
        a.family = AF_INET6;
        ipt_topo_push_route(topo, &a, eq + 1);
    } else {
        error = ipt_parse_addr(cidr, true, &a);
        if (!error) {
            if (a.plen < 0) {
                a.plen = a.family == AF_INET ? 32 : 128;
            }
            ipt_topo_push_route(topo, &a, eq + 1);
        }
    }
    free(cidr);
    return error;
}

char *
ipt_topo_add_local(struct ipt_topo *topo, const char *s)
{
    struct ipt_addr a;
    char *error = ipt_parse_addr(s, false, &a);

    if (!error) {
        topo->locals = xrealloc(topo->locals,
                                (topo->n_locals + 1) * sizeof *topo->locals);
        topo->locals[topo->n_locals++] = a;
    }
    return error;
}

/* Resolves route targets and adds the connected routes of port addresses
 * that have a prefix length.  Call once, after all the other
 * ipt_topo_add_*() calls. */
char *
ipt_topo_finish(struct ipt_topo *topo)
{
    for (size_t i = 0; i < topo->n_routes; i++) {
        struct ipt_route *r = &topo->routes[i];
        const struct ipt_port *port = ipt_topo_find_port(topo, r->target);

        if (port) {
            r->ofport = port->ofport;
        } else if (!strcmp(r->target, "NORMAL")) {
            r->ofport = IPT_ROUTE_NORMAL;
        } else {
            char *error = ipt_parse_ofport(r->target, &r->ofport);

            if (error) {
                free(error);
                return xasprintf("route target '%s' is neither a port map "
                                 "name nor a port number", r->target);
            }
        }
    }

    size_t n_explicit = topo->n_routes;
    for (size_t i = 0; i < topo->n_ports; i++) {
        const struct ipt_port *port = &topo->ports[i];

        for (size_t j = 0; j < port->n_addrs; j++) {
            const struct ipt_addr *a = &port->addrs[j];

            if (a->plen >= 0) {
                ipt_topo_push_route(topo, a, port->name);
                topo->routes[topo->n_routes - 1].ofport = port->ofport;
                topo->routes[topo->n_routes - 1].connected = true;
            }
        }
    }

    /* Two routes for the same prefix must agree. */
    for (size_t i = 0; i < topo->n_routes; i++) {
        for (size_t j = i + 1; j < topo->n_routes; j++) {
            const struct ipt_route *a = &topo->routes[i];
            const struct ipt_route *b = &topo->routes[j];

            if (a->family == b->family && a->plen == b->plen
                && ipv6_addr_equals(&a->prefix, &b->prefix)
                && a->ofport != b->ofport && j < n_explicit) {
                return xasprintf("conflicting routes '%s' and '%s' for the "
                                 "same prefix", a->target, b->target);
            }
        }
    }
    return NULL;
}

/* Returns the first address of 'family' of 'port', or NULL. */
const struct ipt_addr *
ipt_port_first_addr(const struct ipt_port *port, int family)
{
    for (size_t i = 0; i < port->n_addrs; i++) {
        if (port->addrs[i].family == family) {
            return &port->addrs[i];
        }
    }
    return NULL;
}
