/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ipt-term.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

void
ipt_term_init(struct ipt_term *term)
{
    memset(term, 0, sizeof *term);
}

/* Constrains 'field' of 'term' to 'value' under 'mask', replacing any
 * earlier constraint on that field. */
void
ipt_term_set(struct ipt_term *term, enum ipt_field field, uint32_t value,
             uint32_t mask)
{
    term->value[field] = value & mask;
    term->mask[field] = mask;
}

void
ipt_term_set_addr(struct ipt_term *term, bool dst,
                  const struct in6_addr *value, const struct in6_addr *mask)
{
    struct in6_addr *v = dst ? &term->dst : &term->src;
    struct in6_addr *m = dst ? &term->dst_mask : &term->src_mask;

    *m = *mask;
    *v = ipv6_addr_bitand(value, mask);
}

static bool
ipt_addr_intersect(struct in6_addr *v, struct in6_addr *m,
                   const struct in6_addr *v1, const struct in6_addr *m1,
                   const struct in6_addr *v2, const struct in6_addr *m2)
{
    for (int i = 0; i < 16; i++) {
        uint8_t common = m1->s6_addr[i] & m2->s6_addr[i];

        if ((v1->s6_addr[i] ^ v2->s6_addr[i]) & common) {
            return false;
        }
        v->s6_addr[i] = v1->s6_addr[i] | v2->s6_addr[i];
        m->s6_addr[i] = m1->s6_addr[i] | m2->s6_addr[i];
    }
    return true;
}

/* Stores in 'dst' the conjunction of 'a' and 'b' and returns true, or
 * returns false if no packet can match both ('dst' is then garbage).  'dst'
 * may be the same as 'a' or 'b'. */
bool
ipt_term_intersect(struct ipt_term *dst, const struct ipt_term *a,
                   const struct ipt_term *b)
{
    struct ipt_term r;

    for (int i = 0; i < IPT_N_FIELDS; i++) {
        if ((a->value[i] ^ b->value[i]) & a->mask[i] & b->mask[i]) {
            return false;
        }
        r.value[i] = a->value[i] | b->value[i];
        r.mask[i] = a->mask[i] | b->mask[i];
    }
    if (!ipt_addr_intersect(&r.src, &r.src_mask, &a->src, &a->src_mask,
                            &b->src, &b->src_mask)
        || !ipt_addr_intersect(&r.dst, &r.dst_mask, &a->dst, &a->dst_mask,
                               &b->dst, &b->dst_mask)) {
        return false;
    }
    *dst = r;
    return true;
}

bool
ipt_term_is_catchall(const struct ipt_term *term)
{
    for (int i = 0; i < IPT_N_FIELDS; i++) {
        if (term->mask[i]) {
            return false;
        }
    }
    return (ipv6_mask_is_any(&term->src_mask)
            && ipv6_mask_is_any(&term->dst_mask));
}

/* Returns the mask with the 'plen' leading bits set, for an address of
 * 'family' (AF_INET or AF_INET6) in the term representation. */
struct in6_addr
ipt_addr_mask_from_plen(int family, int plen)
{
    if (family == AF_INET) {
        return ipt_addr_from_v4(plen ? be32_prefix_mask(plen) : 0);
    }
    return ipv6_create_mask(plen);
}

/* Returns IPv4 address 'ip' in the term representation: the address in the
 * last four bytes, zeros before. */
struct in6_addr
ipt_addr_from_v4(ovs_be32 ip)
{
    struct in6_addr addr;

    memset(&addr, 0, sizeof addr);
    memcpy(&addr.s6_addr[12], &ip, sizeof ip);
    return addr;
}

/* Returns the IPv4 address kept in 'addr' by ipt_addr_from_v4(). */
ovs_be32
ipt_addr_to_v4(const struct in6_addr *addr)
{
    ovs_be32 ip;

    memcpy(&ip, &addr->s6_addr[12], sizeof ip);
    return ip;
}

/* Parses 's' as an address of 'family' (AF_INET or AF_INET6), strictly:
 * every byte of an IPv4 address in range, no trailing garbage. */
bool
ipt_addr_parse(const char *s, int family, struct in6_addr *addr)
{
    if (family == AF_INET) {
        struct in_addr in;

        if (inet_pton(AF_INET, s, &in) != 1) {
            return false;
        }
        *addr = ipt_addr_from_v4(in.s_addr);
        return true;
    }
    return inet_pton(AF_INET6, s, addr) == 1;
}

/* Parses 's' as "ADDRESS", "ADDRESS/PLEN" or "ADDRESS/MASK" of 'family'.
 * Stores the address (not masked) and the mask, and in '*plen' the prefix
 * length given ("/PLEN", or a contiguous "/MASK"), or -1 if there was no
 * suffix, or -2 for a non-contiguous mask. */
bool
ipt_prefix_parse(const char *s, int family, struct in6_addr *addr,
                 struct in6_addr *mask, int *plen)
{
    const char *slash = strchr(s, '/');
    int max = family == AF_INET ? 32 : 128;
    char *copy = slash ? xmemdup0(s, slash - s) : xstrdup(s);
    bool ok = ipt_addr_parse(copy, family, addr);

    free(copy);
    if (!ok) {
        return false;
    }
    if (!slash) {
        *plen = -1;
        *mask = ipt_addr_mask_from_plen(family, max);
        return true;
    }

    const char *suffix = slash + 1;
    char *end;
    long int n = strtol(suffix, &end, 10);
    if (*suffix >= '0' && *suffix <= '9' && !*end) {
        if (n > max) {
            return false;
        }
        *plen = n;
        *mask = ipt_addr_mask_from_plen(family, n);
    } else if (ipt_addr_parse(suffix, family, mask)) {
        *plen = (family == AF_INET
                 ? (ip_is_cidr(ipt_addr_to_v4(mask))
                    ? ip_count_cidr_bits(ipt_addr_to_v4(mask)) : -2)
                 : (ipv6_is_cidr(mask) ? ipv6_count_cidr_bits(mask) : -2));
    } else {
        return false;
    }
    return true;
}

/* Appends 'addr' of 'family' to 'out'. */
void
ipt_addr_format(const struct in6_addr *addr, int family, struct ds *out)
{
    if (family == AF_INET) {
        ds_put_format(out, IP_FMT, IP_ARGS(ipt_addr_to_v4(addr)));
    } else {
        ipv6_format_addr(addr, out);
    }
}

static void
ipt_addr_format_masked(const char *name, const struct in6_addr *addr,
                       const struct in6_addr *mask, int family,
                       struct ds *out)
{
    if (ipv6_mask_is_any(mask)) {
        return;
    }
    ds_put_format(out, ",%s=", name);
    if (family == AF_INET) {
        ip_format_masked(ipt_addr_to_v4(addr), ipt_addr_to_v4(mask), out);
    } else {
        ipv6_format_masked(addr, mask, out);
    }
}

static void
ipt_put_reg(struct ds *out, const char *name, uint32_t value, uint32_t mask)
{
    if (!mask) {
        return;
    }
    ds_put_format(out, ",%s=%#"PRIx32, name, value);
    if (mask != UINT32_MAX) {
        ds_put_format(out, "/%#"PRIx32, mask);
    }
}

static void
ipt_put_flags(struct ds *out, const char *name, uint32_t value,
              uint32_t mask, const char *const names[], int n_names)
{
    if (!mask) {
        return;
    }
    ds_put_format(out, ",%s=", name);
    for (int i = 0; i < n_names; i++) {
        if (mask & (1u << i)) {
            ds_put_format(out, "%c%s", value & (1u << i) ? '+' : '-',
                          names[i]);
        }
    }
}

static void
ipt_put_port(struct ds *out, const char *name, uint32_t value, uint32_t mask)
{
    if (!mask) {
        return;
    }
    if (mask == 0xffff) {
        ds_put_format(out, ",%s=%"PRIu32, name, value);
    } else {
        ds_put_format(out, ",%s=%#"PRIx32"/%#"PRIx32, name, value, mask);
    }
}

static const char *
ipt_proto_keyword(int family, uint32_t proto)
{
    bool v4 = family == AF_INET;

    switch (proto) {
    case IPPROTO_TCP:
        return v4 ? "tcp" : "tcp6";
    case IPPROTO_UDP:
        return v4 ? "udp" : "udp6";
    case IPPROTO_SCTP:
        return v4 ? "sctp" : "sctp6";
    case IPPROTO_ICMP:
        return v4 ? "icmp" : NULL;
    case IPPROTO_ICMPV6:
        return v4 ? NULL : "icmp6";
    default:
        return NULL;
    }
}

/* Appends to 'out' the ovs-ofctl match syntax for 'term' on packets of
 * 'family' (AF_INET or AF_INET6), starting with "ip"/"ipv6" or a protocol
 * keyword such as "tcp6" and without a trailing comma. */
void
ipt_term_format(const struct ipt_term *term, int family, struct ds *out)
{
    static const char *const cs_names[] = {
        "new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat",
    };
    static const char *const tcp_names[] = {
        "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns",
    };
    const uint32_t *v = term->value;
    const uint32_t *m = term->mask;
    const char *keyword = NULL;

    if (m[IPT_F_NW_PROTO]) {
        keyword = ipt_proto_keyword(family, v[IPT_F_NW_PROTO]);
    }
    if (keyword) {
        ds_put_cstr(out, keyword);
    } else {
        ds_put_cstr(out, family == AF_INET ? "ip" : "ipv6");
        if (m[IPT_F_NW_PROTO]) {
            ds_put_format(out, ",nw_proto=%"PRIu32, v[IPT_F_NW_PROTO]);
        }
    }
    if (m[IPT_F_IN_PORT]) {
        if (v[IPT_F_IN_PORT] == IPT_PORT_LOCAL) {
            ds_put_cstr(out, ",in_port=LOCAL");
        } else {
            ds_put_format(out, ",in_port=%"PRIu32, v[IPT_F_IN_PORT]);
        }
    }
    ipt_put_reg(out, "reg5", v[IPT_F_OUT_PORT], m[IPT_F_OUT_PORT]);
    ipt_put_reg(out, "reg6", v[IPT_F_CHAIN], m[IPT_F_CHAIN]);
    ipt_put_reg(out, "reg7", v[IPT_F_FLAGS], m[IPT_F_FLAGS]);
    ipt_put_reg(out, "reg8", v[IPT_F_CONNMARK], m[IPT_F_CONNMARK]);
    ipt_put_reg(out, "reg9", v[IPT_F_HASH], m[IPT_F_HASH]);
    ipt_put_flags(out, "ct_state", v[IPT_F_CT_STATE], m[IPT_F_CT_STATE],
                  cs_names, ARRAY_SIZE(cs_names));
    ipt_put_reg(out, "ct_label", v[IPT_F_CT_LABEL], m[IPT_F_CT_LABEL]);
    ipt_put_reg(out, "pkt_mark", v[IPT_F_PKT_MARK], m[IPT_F_PKT_MARK]);
    ipt_addr_format_masked(family == AF_INET ? "nw_src" : "ipv6_src",
                           &term->src, &term->src_mask, family, out);
    ipt_addr_format_masked(family == AF_INET ? "nw_dst" : "ipv6_dst",
                           &term->dst, &term->dst_mask, family, out);
    ipt_put_port(out, "tp_src", v[IPT_F_TP_SRC], m[IPT_F_TP_SRC]);
    ipt_put_port(out, "tp_dst", v[IPT_F_TP_DST], m[IPT_F_TP_DST]);
    if (m[IPT_F_ICMP_TYPE]) {
        ds_put_format(out, ",%s=%"PRIu32,
                      family == AF_INET ? "icmp_type" : "icmpv6_type",
                      v[IPT_F_ICMP_TYPE]);
    }
    if (m[IPT_F_ICMP_CODE]) {
        ds_put_format(out, ",%s=%"PRIu32,
                      family == AF_INET ? "icmp_code" : "icmpv6_code",
                      v[IPT_F_ICMP_CODE]);
    }
    ipt_put_flags(out, "tcp_flags", v[IPT_F_TCP_FLAGS], m[IPT_F_TCP_FLAGS],
                  tcp_names, ARRAY_SIZE(tcp_names));
}

void
ipt_dnf_init(struct ipt_dnf *dnf)
{
    dnf->terms = NULL;
    dnf->n = dnf->allocated = 0;
}

/* Initializes 'dnf' as "matches every packet". */
void
ipt_dnf_init_true(struct ipt_dnf *dnf)
{
    struct ipt_term term;

    ipt_dnf_init(dnf);
    ipt_term_init(&term);
    ipt_dnf_add(dnf, &term);
}

void
ipt_dnf_destroy(struct ipt_dnf *dnf)
{
    if (dnf) {
        free(dnf->terms);
    }
}

void
ipt_dnf_add(struct ipt_dnf *dnf, const struct ipt_term *term)
{
    if (dnf->n >= dnf->allocated) {
        dnf->terms = x2nrealloc(dnf->terms, &dnf->allocated,
                                sizeof *dnf->terms);
    }
    dnf->terms[dnf->n++] = *term;
}

void
ipt_dnf_swap(struct ipt_dnf *a, struct ipt_dnf *b)
{
    struct ipt_dnf tmp = *a;

    *a = *b;
    *b = tmp;
}

/* Replaces 'dnf' by its conjunction with 'other'.  Returns false, leaving
 * 'dnf' unchanged, if the result would have more than 'max_terms' terms. */
bool
ipt_dnf_and(struct ipt_dnf *dnf, const struct ipt_dnf *other,
            size_t max_terms)
{
    struct ipt_dnf result;

    ipt_dnf_init(&result);
    for (size_t i = 0; i < dnf->n; i++) {
        for (size_t j = 0; j < other->n; j++) {
            struct ipt_term term;

            if (ipt_term_intersect(&term, &dnf->terms[i], &other->terms[j])) {
                if (result.n >= max_terms) {
                    ipt_dnf_destroy(&result);
                    return false;
                }
                ipt_dnf_add(&result, &term);
            }
        }
    }
    ipt_dnf_swap(dnf, &result);
    ipt_dnf_destroy(&result);
    return true;
}

static int
ipt_popcount(uint32_t x)
{
    int n = 0;

    for (; x; x &= x - 1) {
        n++;
    }
    return n;
}

/* If the complement of 'dnf' can be written as a single term, initializes
 * 'out' to it and returns true.  That is the case for "never" (complement:
 * every packet), "always" (complement: nothing) and a single term that tests
 * a single bit of one scalar field.  Otherwise returns false and leaves
 * 'out' alone. */
bool
ipt_dnf_complement(const struct ipt_dnf *dnf, struct ipt_dnf *out)
{
    if (!dnf->n) {
        ipt_dnf_init_true(out);
        return true;
    } else if (dnf->n != 1) {
        return false;
    }

    const struct ipt_term *t = &dnf->terms[0];
    if (ipt_term_is_catchall(t)) {
        ipt_dnf_init(out);
        return true;
    }
    if (!ipv6_mask_is_any(&t->src_mask) || !ipv6_mask_is_any(&t->dst_mask)) {
        return false;
    }

    int field = -1;
    for (int i = 0; i < IPT_N_FIELDS; i++) {
        if (t->mask[i]) {
            if (field >= 0 || ipt_popcount(t->mask[i]) != 1) {
                return false;
            }
            field = i;
        }
    }

    struct ipt_term c;
    ipt_term_init(&c);
    ipt_term_set(&c, field, ~t->value[field], t->mask[field]);
    ipt_dnf_init(out);
    ipt_dnf_add(out, &c);
    return true;
}

/* Appends to 'dnf' one term per aligned power-of-two block of values of
 * 'field' ('width' bits wide) such that together they match exactly the
 * values 'min' through 'max', inclusive. */
void
ipt_dnf_add_range(struct ipt_dnf *dnf, enum ipt_field field, uint32_t min,
                  uint32_t max, int width)
{
    uint64_t lo = min;
    uint64_t hi = max;
    uint32_t full = width >= 32 ? UINT32_MAX : (UINT32_C(1) << width) - 1;

    while (lo <= hi) {
        uint64_t size = 1;

        /* Grow the block while 'lo' stays aligned to it and it fits. */
        while (size < (UINT64_C(1) << width)
               && !(lo & (size * 2 - 1))
               && lo + size * 2 - 1 <= hi) {
            size *= 2;
        }

        struct ipt_term term;
        ipt_term_init(&term);
        ipt_term_set(&term, field, lo, full & ~(uint32_t) (size - 1));
        ipt_dnf_add(dnf, &term);
        lo += size;
    }
}
