/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ct-nat.h"

#include <netinet/icmp6.h>
#include "crc32c.h"
#include "csum.h"
#include "ct.h"
#include "ct-conn.h"
#include "ct-private.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "packets.h"
#include "random.h"

bool
ct_nat_spec_binds(const struct ct_nat_spec *spec)
{
    return spec && (spec->flags & (CT_NAT_SRC | CT_NAT_DST));
}

/* Field access on keys of either family.  'src' selects the source side of
 * the tuple. */

static void
key_get_addr(const struct ct_key *k, bool src, union ct_nat_addr *a)
{
    memset(a, 0, sizeof *a);
    if (k->v6) {
        a->ipv6 = src ? k->t6.src : k->t6.dst;
    } else {
        a->ipv4 = src ? k->t4.src : k->t4.dst;
    }
}

static void
key_set_addr(struct ct_key *k, bool src, const union ct_nat_addr *a)
{
    if (k->v6) {
        *(src ? &k->t6.src : &k->t6.dst) = a->ipv6;
    } else {
        *(src ? &k->t4.src : &k->t4.dst) = a->ipv4;
    }
}

static uint8_t
key_proto(const struct ct_key *k)
{
    return k->v6 ? k->t6.proto : k->t4.proto;
}

static uint16_t
key_get_port(const struct ct_key *k, bool src)
{
    return ntohs(k->v6 ? (src ? k->t6.sport : k->t6.dport)
                       : (src ? k->t4.sport : k->t4.dport));
}

/* Sets one port; for ICMP, the identifier lives in both port fields. */
static void
key_set_port(struct ct_key *k, bool src, uint16_t port)
{
    bool icmp = ct_proto_is_icmp(k->v6, key_proto(k));
    ovs_be16 p = htons(port);

    if (k->v6) {
        if (src || icmp) {
            k->t6.sport = p;
        }
        if (!src || icmp) {
            k->t6.dport = p;
        }
    } else {
        if (src || icmp) {
            k->t4.sport = p;
        }
        if (!src || icmp) {
            k->t4.dport = p;
        }
    }
}

static bool
proto_has_ports(bool v6, uint8_t proto)
{
    return (proto == IPPROTO_TCP || proto == IPPROTO_UDP
            || proto == IPPROTO_SCTP || ct_proto_is_icmp(v6, proto));
}

static bool
addr_is_zero(bool v6, const union ct_nat_addr *a)
{
    return v6 ? ipv6_addr_equals(&a->ipv6, &in6addr_any) : !a->ipv4;
}

/* IPv6 addresses as 128-bit numbers. */
struct u128 {
    uint64_t hi, lo;
};

static struct u128
in6_to_u128(const struct in6_addr *a)
{
    ovs_be64 hi, lo;

    memcpy(&hi, a->s6_addr, 8);
    memcpy(&lo, a->s6_addr + 8, 8);
    return (struct u128) { ntohll(hi), ntohll(lo) };
}

static struct in6_addr
u128_to_in6(struct u128 v)
{
    struct in6_addr a;
    ovs_be64 hi = htonll(v.hi), lo = htonll(v.lo);

    memcpy(a.s6_addr, &hi, 8);
    memcpy(a.s6_addr + 8, &lo, 8);
    return a;
}

/* Number of addresses in the spec's range, at most 2**32. */
static uint64_t
addr_range_size(bool v6, const struct ct_nat_spec *spec)
{
    if (!v6) {
        uint32_t min = ntohl(spec->min_addr.ipv4);
        uint32_t max = ntohl(spec->max_addr.ipv4);

        return max >= min ? (uint64_t) max - min + 1 : 1;
    } else {
        struct u128 min = in6_to_u128(&spec->min_addr.ipv6);
        struct u128 max = in6_to_u128(&spec->max_addr.ipv6);
        struct u128 d;

        if (max.hi < min.hi || (max.hi == min.hi && max.lo < min.lo)) {
            return 1;
        }
        d.hi = max.hi - min.hi - (max.lo < min.lo);
        d.lo = max.lo - min.lo;
        return (d.hi || d.lo >= UINT32_MAX) ? (uint64_t) UINT32_MAX + 1
                                            : d.lo + 1;
    }
}

static void
addr_in_range(bool v6, const struct ct_nat_spec *spec, uint64_t ofs,
              union ct_nat_addr *a)
{
    memset(a, 0, sizeof *a);
    if (!v6) {
        a->ipv4 = htonl(ntohl(spec->min_addr.ipv4) + (uint32_t) ofs);
    } else {
        struct u128 v = in6_to_u128(&spec->min_addr.ipv6);
        uint64_t lo = v.lo + ofs;

        v.hi += lo < v.lo;
        v.lo = lo;
        a->ipv6 = u128_to_in6(v);
    }
}

static uint32_t
addr_hash(const union ct_nat_addr *a, bool v6, uint32_t basis)
{
    return (v6 ? hash_bytes(&a->ipv6, sizeof a->ipv6, basis)
               : hash_int((OVS_FORCE uint32_t) a->ipv4, basis));
}

/* The search. */

struct nat_search {
    struct ct *ct;
    const struct ct_key *orig;
    const struct ct_nat_spec *spec;
    ct_nat_try_func *try;
    void *aux;
    unsigned int n_probes;
    struct ct_key cand;
};

static bool
offer(struct nat_search *s)
{
    s->n_probes++;
    return s->try(s->aux, &s->cand);
}

static size_t
hint_index(const struct ct_key *reply, bool snat,
           const struct ct_nat_spec *spec, uint32_t basis)
{
    union ct_nat_addr a;
    uint32_t h;

    key_get_addr(reply, !snat, &a);
    h = addr_hash(&a, reply->v6, basis);
    h = hash_add(h, ((uint32_t) spec->max_port << 16) | spec->min_port);
    h = hash_add(h, key_proto(reply));
    return hash_finish(h, 0) % CT_NAT_HINTS;
}

/* Tries the values of the port field 'src' (of the candidate reply tuple)
 * in [min, max], 'keep' first if it is in range and the spec asks for
 * neither random nor hashed ports (-1: none). */
static bool
search_ports(struct nat_search *s, bool src, uint32_t min, uint32_t max,
             int keep)
{
    uint32_t range = max - min + 1;
    bool snat = s->spec->flags & CT_NAT_SRC;
    uint32_t start;
    uint32_t n;

    /* Random and hashed ports do not try 'keep' first, so they must not
     * skip it below either (it may be the only port of the range). */
    if (s->spec->flags & (CT_NAT_RANDOM | CT_NAT_HASH)) {
        keep = -1;
    }
    if (keep >= 0 && keep >= min && keep <= max) {
        key_set_port(&s->cand, src, keep);
        if (offer(s)) {
            return true;
        }
    }

    /* Round 0 starts at a random point (CT_NAT_RANDOM) or at a hash of
     * the tuple; round 1 after the last port allocated for this address
     * and range (in the default mode); later rounds at random points. */
    start = (s->spec->flags & CT_NAT_RANDOM
             ? random_uint32() % range
             : ct_key_hash(s->orig, s->ct->hash_basis) % range);
    n = MIN(range, CT_NAT_PROBES);
    for (int round = 0; round <= CT_NAT_ROUNDS; round++) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t port = min + (start + i) % range;

            if (port == keep) {
                continue;
            }
            key_set_port(&s->cand, src, port);
            if (offer(s)) {
                return true;
            }
        }
        if (range <= CT_NAT_PROBES) {
            break;
        }
        n = CT_NAT_ROUND_PROBES;
        start = random_uint32() % range;
        if (!round && !(s->spec->flags & (CT_NAT_RANDOM | CT_NAT_HASH))) {
            size_t idx = hint_index(&s->cand, snat, s->spec,
                                    s->ct->hash_basis);
            uint16_t hint;

            atomic_read_relaxed(&s->ct->nat_hints[idx], &hint);
            if (hint >= min && hint < max) {
                start = hint + 1 - min;
            }
        }
    }
    return false;
}

/* Port class of an original port, as Open vSwitch picks it for sources. */
static void
port_class(uint16_t port, bool icmp, uint32_t *min, uint32_t *max)
{
    if (icmp) {
        *min = 0;
        *max = UINT16_MAX;
    } else if (port < 512) {
        *min = 1;
        *max = 511;
    } else if (port < 1024) {
        *min = 600;
        *max = 1023;
    } else {
        *min = 1024;
        *max = 65535;
    }
}

static void
spec_port_range(const struct ct_nat_spec *spec, uint32_t *min, uint32_t *max)
{
    *min = spec->min_port;
    *max = MAX(spec->max_port, spec->min_port);
}

/* Ports for one candidate address. */
static bool
search_address(struct nat_search *s)
{
    const struct ct_key *orig = s->orig;
    bool v6 = orig->v6;
    bool icmp = ct_proto_is_icmp(v6, key_proto(orig));
    bool ranged = s->spec->min_port != 0;
    uint16_t osport = key_get_port(orig, true);
    uint16_t odport = key_get_port(orig, false);
    uint32_t min, max;

    if (!proto_has_ports(v6, key_proto(orig))) {
        return offer(s);
    }

    if (s->spec->flags & CT_NAT_SRC) {
        /* The reply's destination port is the original source port. */
        if (ranged) {
            spec_port_range(s->spec, &min, &max);
        } else {
            port_class(osport, icmp, &min, &max);
        }
        return search_ports(s, false, min, max, osport);
    }

    /* DNAT: the reply's source port is the original destination port. */
    if (ranged && !icmp) {
        spec_port_range(s->spec, &min, &max);
        if (search_ports(s, true, min, max, odport)) {
            return true;
        }
        /* As a last resort keep one destination port and vary the source
         * port. */
        key_set_port(&s->cand, true, odport >= min && odport <= max
                                     ? odport : min);
    }
    key_set_port(&s->cand, false, osport);
    port_class(osport, icmp, &min, &max);
    return search_ports(s, false, min, max, osport);
}

bool
ct_nat_search(struct ct *ct, const struct ct_key *orig,
              const struct ct_nat_spec *spec, ct_nat_try_func *try,
              void *aux, unsigned int *n_probes)
{
    struct nat_search s = {
        .ct = ct, .orig = orig, .spec = spec, .try = try, .aux = aux,
    };
    bool snat = spec->flags & CT_NAT_SRC;
    bool v6 = orig->v6;
    struct ct_key base;
    uint64_t n_addrs, first;
    unsigned int tries;
    bool found = false;

    ct_key_reverse(&base, orig);
    if (addr_is_zero(v6, &spec->min_addr)) {
        n_addrs = 0;
        first = 0;
        tries = 1;
    } else {
        union ct_nat_addr a;
        uint32_t h;

        n_addrs = addr_range_size(v6, spec);
        key_get_addr(orig, true, &a);
        h = addr_hash(&a, v6, ct->hash_basis);
        if (!(spec->flags & CT_NAT_PERSISTENT)) {
            key_get_addr(orig, false, &a);
            h = addr_hash(&a, v6, h);
        }
        first = h % n_addrs;
        tries = (spec->flags & CT_NAT_PERSISTENT
                 ? 1 : MIN(n_addrs, CT_NAT_MAX_ADDRS));
    }

    for (unsigned int i = 0; i < tries && !found; i++) {
        s.cand = base;
        if (n_addrs) {
            union ct_nat_addr a;

            addr_in_range(v6, spec, (first + i) % n_addrs, &a);
            /* SNAT rewrites the reply's destination, DNAT its source. */
            key_set_addr(&s.cand, !snat, &a);
        }
        found = search_address(&s);
    }
    if (n_probes) {
        *n_probes = s.n_probes;
    }
    return found;
}

struct first_hashes {
    struct ct *ct;
    uint32_t *hashes;
    size_t n, max;
};

static bool
record_hash(void *fh_, const struct ct_key *reply)
{
    struct first_hashes *fh = fh_;

    fh->hashes[fh->n++] = ct_key_hash(reply, fh->ct->hash_basis);
    return fh->n >= fh->max;
}

size_t
ct_nat_first_hashes(struct ct *ct, const struct ct_key *orig,
                    const struct ct_nat_spec *spec, uint32_t *hashes,
                    size_t max)
{
    struct first_hashes fh = { .ct = ct, .hashes = hashes, .max = max };

    ct_nat_search(ct, orig, spec, record_hash, &fh, NULL);
    return fh.n;
}

void
ct_nat_commit_hint(struct ct *ct, const struct ct_key *reply,
                   const struct ct_nat_spec *spec)
{
    bool snat = spec->flags & CT_NAT_SRC;
    size_t idx = hint_index(reply, snat, spec, ct->hash_basis);

    atomic_store_relaxed(&ct->nat_hints[idx], key_get_port(reply, snat));
}

/* Packet rewriting. */

/* One IP header and what follows it, as present in the packet. */
struct nat_view {
    bool v6;
    bool full;          /* Whole L4 payload present (not an embedded
                         * header): SCTP's CRC can be updated. */
    void *l3;
    void *l4;
    size_t l4_len;
    uint8_t proto;
};

/* The checksum that covers the pseudo-header, if present. */
static ovs_be16 *
pseudo_csum(const struct nat_view *v, bool *zero_means_none)
{
    *zero_means_none = false;
    switch (v->proto) {
    case IPPROTO_TCP:
        return (v->l4_len >= offsetof(struct tcp_header, tcp_csum) + 2
                ? &((struct tcp_header *) v->l4)->tcp_csum : NULL);
    case IPPROTO_UDP:
        *zero_means_none = !v->v6;
        return (v->l4_len >= UDP_HEADER_LEN
                ? &((struct udp_header *) v->l4)->udp_csum : NULL);
    case IPPROTO_ICMPV6:
        return (v->v6 && v->l4_len >= 4
                ? &((struct icmp6_header *) v->l4)->icmp6_cksum : NULL);
    default:
        return NULL;
    }
}

static void
csum_fixup_zero(ovs_be16 *c, bool zero_means_none)
{
    if (zero_means_none && !*c) {
        *c = htons(0xffff);
    }
}

static void
view_set_addr(struct nat_view *v, bool src, const struct ct_key *target)
{
    bool znone;
    ovs_be16 *c = pseudo_csum(v, &znone);

    if (c && znone && !*c) {
        c = NULL;           /* UDP over IPv4 without checksum. */
    }
    if (!v->v6) {
        struct ip_header *ip = v->l3;
        ovs_16aligned_be32 *f = src ? &ip->ip_src : &ip->ip_dst;
        ovs_be32 old = get_16aligned_be32(f);
        ovs_be32 new = src ? target->t4.src : target->t4.dst;

        if (old == new) {
            return;
        }
        if (c) {
            *c = recalc_csum32(*c, old, new);
            csum_fixup_zero(c, znone);
        }
        ip->ip_csum = recalc_csum32(ip->ip_csum, old, new);
        put_16aligned_be32(f, new);
    } else {
        struct ovs_16aligned_ip6_hdr *ip6 = v->l3;
        ovs_16aligned_be32 *f = src ? ip6->ip6_src.be32 : ip6->ip6_dst.be32;
        const struct in6_addr *new = src ? &target->t6.src : &target->t6.dst;

        if (!memcmp(f, new, sizeof *new)) {
            return;
        }
        if (c) {
            *c = recalc_csum128(*c, f, new);
        }
        memcpy(f, new, sizeof *new);
    }
}

static void
set_port16(ovs_be16 *field, ovs_be16 new, ovs_be16 *c, bool znone)
{
    if (*field == new) {
        return;
    }
    if (c) {
        *c = recalc_csum16(*c, *field, new);
        csum_fixup_zero(c, znone);
    }
    *field = new;
}

static void
view_set_ports(struct nat_view *v, const struct ct_key *target)
{
    ovs_be16 sport = v->v6 ? target->t6.sport : target->t4.sport;
    ovs_be16 dport = v->v6 ? target->t6.dport : target->t4.dport;
    ovs_be16 *ports = v->l4;
    bool znone;
    ovs_be16 *c;

    switch (v->proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
        if (v->l4_len < 4) {
            return;
        }
        c = pseudo_csum(v, &znone);
        if (c && znone && !*c) {
            c = NULL;
        }
        set_port16(&ports[0], sport, c, znone);
        set_port16(&ports[1], dport, c, znone);
        break;

    case IPPROTO_SCTP:
        if (v->l4_len < 4 || (ports[0] == sport && ports[1] == dport)) {
            return;
        }
        if (v->full && v->l4_len >= sizeof(struct sctp_header)) {
            /* Keep whatever error the old CRC had: new = old ^ crc(old
             * contents) ^ crc(new contents). */
            struct sctp_header *sh = v->l4;
            ovs_be32 old = get_16aligned_be32(&sh->sctp_csum);
            ovs_be32 old_good, new_good;

            put_16aligned_be32(&sh->sctp_csum, 0);
            old_good = crc32c(v->l4, v->l4_len);
            ports[0] = sport;
            ports[1] = dport;
            new_good = crc32c(v->l4, v->l4_len);
            put_16aligned_be32(&sh->sctp_csum, old ^ old_good ^ new_good);
        } else {
            ports[0] = sport;
            ports[1] = dport;
        }
        break;

    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (ct_proto_is_icmp(v->v6, v->proto) && v->l4_len >= 8) {
            /* Echo-like: the identifier follows type, code, checksum. */
            ovs_be16 *csum_field = &ports[1];

            set_port16(&ports[2], sport, csum_field, false);
        }
        break;

    default:
        break;
    }
}

/* Locates the header embedded in the ICMP error 'outer'. */
static bool
inner_view(const struct nat_view *outer, struct nat_view *in)
{
    char *l3 = (char *) outer->l4 + 8;
    size_t len = outer->l4_len >= 8 ? outer->l4_len - 8 : 0;

    in->v6 = outer->v6;
    in->full = false;
    in->l3 = l3;
    if (!outer->v6) {
        struct ip_header *ip = (struct ip_header *) l3;
        size_t ihl;

        if (len < IP_HEADER_LEN) {
            return false;
        }
        ihl = IP_IHL(ip->ip_ihl_ver) * 4;
        if (ihl < IP_HEADER_LEN || ihl > len) {
            return false;
        }
        in->l4 = l3 + ihl;
        in->l4_len = len - ihl;
        in->proto = ip->ip_proto;
    } else {
        const struct ovs_16aligned_ip6_hdr *ip6 = (const void *) l3;
        const struct ovs_16aligned_ip6_frag *frag;
        const void *data = ip6 + 1;
        uint8_t nw_frag = 0;

        if (len < sizeof *ip6) {
            return false;
        }
        len -= sizeof *ip6;
        in->proto = ip6->ip6_ctlun.ip6_un1.ip6_un1_nxt;
        if (!parse_ipv6_ext_hdrs(&data, &len, &in->proto, &nw_frag, &frag)) {
            return false;
        }
        in->l4 = CONST_CAST(void *, data);
        in->l4_len = len;
    }
    return true;
}

static uint8_t
action_reverse(uint8_t action)
{
    return ((action & CT_NAT_SRC ? CT_NAT_DST : 0)
            | (action & CT_NAT_DST ? CT_NAT_SRC : 0));
}

static void
view_translate(struct nat_view *v, uint8_t action, const struct ct_key *t)
{
    if (action & CT_NAT_SRC) {
        view_set_addr(v, true, t);
    }
    if (action & CT_NAT_DST) {
        view_set_addr(v, false, t);
    }
}

static void
icmp_csum_recompute(struct nat_view *v)
{
    if (!v->v6) {
        struct icmp_header *icmp = v->l4;

        icmp->icmp_csum = 0;
        icmp->icmp_csum = csum(icmp, v->l4_len);
    } else {
        struct icmp6_header *icmp6 = v->l4;

        icmp6->icmp6_cksum = 0;
        icmp6->icmp6_cksum = packet_csum_upperlayer6(v->l3, icmp6,
                                                     IPPROTO_ICMPV6,
                                                     v->l4_len);
    }
}

void
ct_nat_packet(struct dp_packet *pkt, const struct ct_conn *conn, bool reply,
              bool related)
{
    uint8_t action = reply ? action_reverse(conn->nat_action)
                           : conn->nat_action;
    struct ct_key orig, rep, target;
    struct nat_view v;

    ct_conn_orig_key(conn, &orig);
    ct_conn_reply_key(conn, &rep);
    /* What the packet must carry after translation: the reverse of the
     * other direction's tuple. */
    ct_key_reverse(&target, reply ? &orig : &rep);

    v.v6 = orig.v6;
    v.full = true;
    v.l3 = dp_packet_l3(pkt);
    v.l4 = dp_packet_l4(pkt);
    v.l4_len = dp_packet_l4_size(pkt);

    if (!related) {
        v.proto = key_proto(&orig);
        view_translate(&v, action, &target);
        view_set_ports(&v, &target);
    } else {
        /* The embedded header is a packet of the opposite direction as its
         * sender knew it: the original tuple for errors travelling in the
         * reply direction, the reply tuple otherwise. */
        const struct ct_key *inner_target = reply ? &orig : &rep;
        struct nat_view in;

        v.proto = v.v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
        view_translate(&v, action, &target);
        if (inner_view(&v, &in)) {
            view_translate(&in, action_reverse(action), inner_target);
            view_set_ports(&in, inner_target);
        }
        icmp_csum_recompute(&v);
    }
}
