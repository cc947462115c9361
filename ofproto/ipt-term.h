/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef IPT_TERM_H
#define IPT_TERM_H 1

/* Matches of the iptables compiler, as OpenFlow sees them.
 *
 * An "ipt_term" is a conjunction of masked field matches that one OpenFlow
 * flow can express: every field has a value and a mask, a zero mask meaning
 * "any".  Fields that OpenFlow matches only exactly (in_port, nw_proto, the
 * ICMP type and code) are kept with an all-ones or all-zeros mask.
 *
 * An "ipt_dnf" is a disjunction of terms, i.e. a set of flows with the same
 * priority and actions.  An iptables match that one flow cannot express (a
 * port range, a list of conntrack states, a multiport list) becomes several
 * terms; a rule is the conjunction ("and") of its matches, computed as the
 * cross product of their terms with empty intersections removed.
 *
 * IPv4 addresses are kept in the last four bytes of a struct in6_addr (zeros
 * before, in the mask too), so that one representation serves both
 * families; the family is given when a term is formatted.
 *
 * Thread-safety: plain values; a term or dnf is owned by one thread. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct ds;

/* Scalar fields of a term.  The comment gives the OpenFlow field. */
enum ipt_field {
    IPT_F_IN_PORT,          /* in_port (exact). */
    IPT_F_OUT_PORT,         /* reg5: output port chosen by routing. */
    IPT_F_CHAIN,            /* reg6: chain id << 16 | resume point. */
    IPT_F_FLAGS,            /* reg7: pipeline flags (IPT_FLAG_*). */
    IPT_F_CONNMARK,         /* reg8: the connection mark being built. */
    IPT_F_HASH,             /* reg9: per-connection hash (statistic). */
    IPT_F_CT_STATE,         /* ct_state. */
    IPT_F_CT_LABEL,         /* ct_label, low 32 bits. */
    IPT_F_PKT_MARK,         /* pkt_mark. */
    IPT_F_NW_PROTO,         /* nw_proto (exact). */
    IPT_F_TP_SRC,           /* tp_src. */
    IPT_F_TP_DST,           /* tp_dst. */
    IPT_F_ICMP_TYPE,        /* icmp_type / icmpv6_type (exact). */
    IPT_F_ICMP_CODE,        /* icmp_code / icmpv6_code (exact). */
    IPT_F_TCP_FLAGS,        /* tcp_flags (12 bits). */
    IPT_N_FIELDS
};

/* ct_state bits, as OpenFlow defines them. */
#define IPT_CS_NEW  0x01
#define IPT_CS_EST  0x02
#define IPT_CS_REL  0x04
#define IPT_CS_RPL  0x08
#define IPT_CS_INV  0x10
#define IPT_CS_TRK  0x20

/* The OpenFlow port number of the bridge's local port. */
#define IPT_PORT_LOCAL 0xfffe

struct ipt_term {
    uint32_t value[IPT_N_FIELDS];
    uint32_t mask[IPT_N_FIELDS];
    struct in6_addr src, src_mask;
    struct in6_addr dst, dst_mask;
};

struct ipt_dnf {
    struct ipt_term *terms;
    size_t n, allocated;
};

/* Terms. */
void ipt_term_init(struct ipt_term *);
void ipt_term_set(struct ipt_term *, enum ipt_field, uint32_t value,
                  uint32_t mask);
void ipt_term_set_addr(struct ipt_term *, bool dst,
                       const struct in6_addr *value,
                       const struct in6_addr *mask);
bool ipt_term_intersect(struct ipt_term *dst, const struct ipt_term *a,
                        const struct ipt_term *b);
bool ipt_term_is_catchall(const struct ipt_term *);
void ipt_term_format(const struct ipt_term *, int family, struct ds *);

/* Disjunctions of terms. */
void ipt_dnf_init(struct ipt_dnf *);
void ipt_dnf_init_true(struct ipt_dnf *);
void ipt_dnf_destroy(struct ipt_dnf *);
void ipt_dnf_add(struct ipt_dnf *, const struct ipt_term *);
void ipt_dnf_swap(struct ipt_dnf *, struct ipt_dnf *);
bool ipt_dnf_and(struct ipt_dnf *, const struct ipt_dnf *, size_t max_terms);
bool ipt_dnf_complement(const struct ipt_dnf *, struct ipt_dnf *);
void ipt_dnf_add_range(struct ipt_dnf *, enum ipt_field, uint32_t min,
                       uint32_t max, int width);

/* Addresses. */
struct in6_addr ipt_addr_from_v4(ovs_be32);
ovs_be32 ipt_addr_to_v4(const struct in6_addr *);
struct in6_addr ipt_addr_mask_from_plen(int family, int plen);
bool ipt_addr_parse(const char *, int family, struct in6_addr *);
bool ipt_prefix_parse(const char *, int family, struct in6_addr *addr,
                      struct in6_addr *mask, int *plen);
void ipt_addr_format(const struct in6_addr *, int family, struct ds *);

#endif /* ipt-term.h */
