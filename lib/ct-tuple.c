/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ct-tuple.h"

#include <netinet/icmp6.h>
#include <sys/socket.h>

#include "coverage.h"
#include "crc32c.h"
#include "csum.h"
#include "ct-dpif.h"
#include "ct-sctp.h"
#include "ct-tcp.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "packets.h"

COVERAGE_DEFINE(ct_l3csum_err);
COVERAGE_DEFINE(ct_l4csum_err);

/* Length of the embedded L4 header that an ICMPv4 error must carry. */
#define CT_ICMP4_INNER_L4_LEN 8

uint8_t
ct_icmp_reverse_type(bool v6, uint8_t type)
{
    if (v6) {
        switch (type) {
        case ICMP6_ECHO_REQUEST:
            return ICMP6_ECHO_REPLY;
        case ICMP6_ECHO_REPLY:
            return ICMP6_ECHO_REQUEST;
        }
    } else {
        switch (type) {
        case ICMP4_ECHO_REQUEST:
            return ICMP4_ECHO_REPLY;
        case ICMP4_ECHO_REPLY:
            return ICMP4_ECHO_REQUEST;
        case ICMP4_TIMESTAMP:
            return ICMP4_TIMESTAMPREPLY;
        case ICMP4_TIMESTAMPREPLY:
            return ICMP4_TIMESTAMP;
        case ICMP4_INFOREQUEST:
            return ICMP4_INFOREPLY;
        case ICMP4_INFOREPLY:
            return ICMP4_INFOREQUEST;
        }
    }
    return type;
}

static bool
icmp_is_query(bool v6, uint8_t type)
{
    return ct_icmp_reverse_type(v6, type) != type;
}

bool
ct_proto_is_icmp(bool v6, uint8_t proto)
{
    return proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
}

/* Hashing. */

uint32_t
ct_key_hash(const struct ct_key *k, uint32_t basis)
{
    /* Hash the two endpoints in a canonical order, so that a tuple and its
     * reverse hash the same.  'icmp_type' differs between the directions
     * and stays out of the hash; 'proto' and 'zone' go in. */
    if (!k->v6) {
        /* IPv4 is the packet path's common case, where hash_words() (a
         * serial chain of four murmur rounds) costs more than the rest of
         * the tuple work.  Instead: each endpoint as one 48-bit number,
         * ordered without branches, then two independent multiply lanes
         * keyed by 'basis' and a final mix (multiply-xorshift). */
        const struct ct_tuple4 *t = &k->t4;
        uint64_t ea = ((uint64_t) (OVS_FORCE uint32_t) t->src << 16)
                      | (OVS_FORCE uint16_t) t->sport;
        uint64_t eb = ((uint64_t) (OVS_FORCE uint32_t) t->dst << 16)
                      | (OVS_FORCE uint16_t) t->dport;
        uint64_t lo = ea < eb ? ea : eb;
        uint64_t hi = ea < eb ? eb : ea;
        uint64_t extra = ((uint64_t) t->zone << 8) | t->proto;
        uint64_t h;

        h = ((lo ^ basis) * UINT64_C(0x9e3779b97f4a7c15))
            ^ ((hi + (extra << 48) + basis) * UINT64_C(0xc2b2ae3d27d4eb4f));
        h ^= h >> 31;
        h *= UINT64_C(0xd6e8feb86659fd93);
        h ^= h >> 32;
        return h;
    } else {
        const struct ct_tuple6 *t = &k->t6;
        uint32_t w[10];
        uint16_t pa = (OVS_FORCE uint16_t) t->sport;
        uint16_t pb = (OVS_FORCE uint16_t) t->dport;
        int c = memcmp(&t->src, &t->dst, sizeof t->src);

        if (c < 0 || (c == 0 && pa <= pb)) {
            memcpy(&w[0], &t->src, 16);
            memcpy(&w[4], &t->dst, 16);
            w[8] = ((uint32_t) pa << 16) | pb;
        } else {
            memcpy(&w[0], &t->dst, 16);
            memcpy(&w[4], &t->src, 16);
            w[8] = ((uint32_t) pb << 16) | pa;
        }
        w[9] = ((uint32_t) t->zone << 16) | (1u << 8) | t->proto;
        return hash_words(w, 10, basis);
    }
}

void
ct_key_reverse(struct ct_key *dst, const struct ct_key *src)
{
    dst->v6 = src->v6;
    if (!src->v6) {
        struct ct_tuple4 t = src->t4;

        dst->t4.src = t.dst;
        dst->t4.dst = t.src;
        dst->t4.sport = t.dport;
        dst->t4.dport = t.sport;
        dst->t4.zone = t.zone;
        dst->t4.proto = t.proto;
        dst->t4.icmp_type = (t.proto == IPPROTO_ICMP
                             ? ct_icmp_reverse_type(false, t.icmp_type) : 0);
    } else {
        struct ct_tuple6 t = src->t6;

        dst->t6.src = t.dst;
        dst->t6.dst = t.src;
        dst->t6.sport = t.dport;
        dst->t6.dport = t.sport;
        dst->t6.zone = t.zone;
        dst->t6.proto = t.proto;
        dst->t6.icmp_type = (t.proto == IPPROTO_ICMPV6
                             ? ct_icmp_reverse_type(true, t.icmp_type) : 0);
    }
}

bool
ct_key_equal(const struct ct_key *a, const struct ct_key *b)
{
    if (a->v6 != b->v6) {
        return false;
    }
    return (a->v6 ? ct_tuple6_equal(&a->t6, &b->t6)
                  : ct_tuple4_equal(&a->t4, &b->t4));
}

/* Extraction.  The layout mirrors the checks Open vSwitch's userspace
 * conntrack applies, so that the same packets are valid and invalid. */

struct l4_fields {
    ovs_be16 sport;
    ovs_be16 dport;
    uint8_t icmp_type;
};

static bool
l4_csum_ok_v4(const struct ip_header *ip, const void *l4, size_t len)
{
    uint32_t partial = packet_csum_pseudoheader(ip);

    if (csum_finish(csum_continue(partial, l4, len))) {
        COVERAGE_INC(ct_l4csum_err);
        return false;
    }
    return true;
}

static bool
l4_csum_ok_v6(const void *ip6, const void *l4, uint8_t proto, size_t len)
{
    if (packet_csum_upperlayer6(ip6, l4, proto, len)) {
        COVERAGE_INC(ct_l4csum_err);
        return false;
    }
    return true;
}

static bool
sctp_csum_ok(void *l4, size_t len)
{
    struct sctp_header *sh = l4;
    ovs_be32 stored = get_16aligned_be32(&sh->sctp_csum);
    ovs_be32 crc;

    /* The CRC covers the packet with the checksum field zeroed.  Clear it
     * in place for the computation and put it back. */
    put_16aligned_be32(&sh->sctp_csum, 0);
    crc = crc32c(l4, len);
    put_16aligned_be32(&sh->sctp_csum, stored);
    if (crc != stored) {
        COVERAGE_INC(ct_l4csum_err);
        return false;
    }
    return true;
}

/* Ports of an embedded (ICMP error) or outer header of protocol 'proto',
 * 'len' bytes present at 'l4'.  'tcp_min' is how many bytes of a TCP header
 * must be present; other protocols need 8. */
static bool
ports_extract(uint8_t proto, const void *l4, size_t len, size_t tcp_min,
              struct l4_fields *f)
{
    const ovs_be16 *ports = l4;

    if (proto == IPPROTO_TCP) {
        if (len < tcp_min) {
            return false;
        }
    } else if (len < 8) {
        return false;
    }
    f->sport = ports[0];
    f->dport = ports[1];
    return f->sport && f->dport;
}

static bool
icmp_query_extract(bool v6, const void *l4, size_t len, struct l4_fields *f)
{
    const uint8_t *b = l4;
    ovs_be16 id;

    if (len < 8 || b[1] != 0 || !icmp_is_query(v6, b[0])) {
        return false;
    }
    memcpy(&id, b + 4, sizeof id);
    f->sport = f->dport = id;
    f->icmp_type = b[0];
    return true;
}

/* Fills the L4 part of an embedded header's tuple. */
static bool
inner_l4_extract(bool v6, uint8_t proto, const void *l4, size_t len,
                 struct l4_fields *f)
{
    memset(f, 0, sizeof *f);
    if (proto == IPPROTO_TCP || proto == IPPROTO_UDP
        || proto == IPPROTO_SCTP) {
        return ports_extract(proto, l4, len,
                             v6 ? TCP_HEADER_LEN : CT_ICMP4_INNER_L4_LEN, f);
    } else if (ct_proto_is_icmp(v6, proto)) {
        return icmp_query_extract(v6, l4, len, f);
    }
    return true;
}

static bool
ipv4_header_ok(const void *data, size_t size, size_t *ihl)
{
    const struct ip_header *ip = data;

    if (size < IP_HEADER_LEN || IP_VER(ip->ip_ihl_ver) != 4) {
        return false;
    }
    *ihl = IP_IHL(ip->ip_ihl_ver) * 4;
    return *ihl >= IP_HEADER_LEN && *ihl <= size
           && !IP_IS_FRAGMENT(ip->ip_frag_off);
}

static bool
ipv6_header_parse(const void *data, size_t size, const void **l4,
                  size_t *l4_len, uint8_t *proto)
{
    const struct ovs_16aligned_ip6_hdr *ip6 = data;
    const struct ovs_16aligned_ip6_frag *frag_hdr;
    uint8_t nw_frag = 0;

    if (size < sizeof *ip6
        || (ip6->ip6_ctlun.ip6_un2_vfc >> 4) != 6) {
        return false;
    }
    *l4 = ip6 + 1;
    *l4_len = size - sizeof *ip6;
    *proto = ip6->ip6_ctlun.ip6_un1.ip6_un1_nxt;
    if (!parse_ipv6_ext_hdrs(l4, l4_len, proto, &nw_frag, &frag_hdr)) {
        return false;
    }
    return !nw_frag;
}

static void
key_set4(struct ct_key *k, ovs_be32 src, ovs_be32 dst, uint8_t proto,
         uint16_t zone, const struct l4_fields *f)
{
    k->v6 = false;
    k->t4.src = src;
    k->t4.dst = dst;
    k->t4.sport = f->sport;
    k->t4.dport = f->dport;
    k->t4.zone = zone;
    k->t4.proto = proto;
    k->t4.icmp_type = f->icmp_type;
}

static void
key_set6(struct ct_key *k, const ovs_16aligned_be32 *src,
         const ovs_16aligned_be32 *dst, uint8_t proto, uint16_t zone,
         const struct l4_fields *f)
{
    k->v6 = true;
    memcpy(&k->t6.src, src, 16);
    memcpy(&k->t6.dst, dst, 16);
    k->t6.sport = f->sport;
    k->t6.dport = f->dport;
    k->t6.zone = zone;
    k->t6.proto = proto;
    k->t6.icmp_type = f->icmp_type;
}

/* ICMPv4 error: the key comes from the embedded header, reversed. */
static bool
icmp4_error_extract(const struct ip_header *outer, const void *l4,
                    size_t len, uint16_t zone, struct ct_pkt *p)
{
    const char *inner = (const char *) l4 + ICMP_HEADER_LEN;
    size_t inner_len = len - ICMP_HEADER_LEN;
    const struct ip_header *ip = (const struct ip_header *) inner;
    struct l4_fields f;
    struct ct_key k;
    size_t ihl;

    if (len < ICMP_HEADER_LEN || !ipv4_header_ok(inner, inner_len, &ihl)) {
        return false;
    }
    if (get_16aligned_be32(&ip->ip_src)
        != get_16aligned_be32(&outer->ip_dst)) {
        return false;
    }
    if (!inner_l4_extract(false, ip->ip_proto, inner + ihl, inner_len - ihl,
                          &f)) {
        return false;
    }
    key_set4(&k, get_16aligned_be32(&ip->ip_src),
             get_16aligned_be32(&ip->ip_dst), ip->ip_proto, zone, &f);
    ct_key_reverse(&p->key, &k);
    p->related = true;
    return true;
}

static bool
icmp6_error_extract(const struct ovs_16aligned_ip6_hdr *outer, const void *l4,
                    size_t len, uint16_t zone, struct ct_pkt *p)
{
    const char *inner = (const char *) l4 + 8;
    const struct ovs_16aligned_ip6_hdr *ip6;
    const void *inner_l4;
    size_t inner_l4_len;
    struct l4_fields f;
    struct ct_key k;
    uint8_t proto;

    if (len < 8 || !ipv6_header_parse(inner, len - 8, &inner_l4,
                                      &inner_l4_len, &proto)) {
        return false;
    }
    ip6 = (const struct ovs_16aligned_ip6_hdr *) inner;
    if (memcmp(&ip6->ip6_src, &outer->ip6_dst, 16)) {
        return false;
    }
    if (!inner_l4_extract(true, proto, inner_l4, inner_l4_len, &f)) {
        return false;
    }
    key_set6(&k, ip6->ip6_src.be32, ip6->ip6_dst.be32, proto, zone, &f);
    ct_key_reverse(&p->key, &k);
    p->related = true;
    return true;
}

/* Outer L4 checks shared by both families.  'check' is false when offload
 * vouched for the checksum.  For ICMP, only the checksum and length: the
 * caller parses the rest. */
static bool
outer_l4_extract(bool v6, uint8_t proto, bool check, struct ct_pkt *p,
                 struct l4_fields *f)
{
    void *l4 = p->l4;
    size_t len = p->l4_len;

    memset(f, 0, sizeof *f);
    switch (proto) {
    case IPPROTO_TCP:
        if (!ct_tcp_header_ok(l4, len)) {
            return false;
        }
        if (check && !(v6 ? l4_csum_ok_v6(p->l3, l4, proto, len)
                          : l4_csum_ok_v4(p->l3, l4, len))) {
            return false;
        }
        return ports_extract(proto, l4, len, TCP_HEADER_LEN, f);

    case IPPROTO_UDP: {
        const struct udp_header *uh = l4;
        size_t udp_len;

        if (len < UDP_HEADER_LEN) {
            return false;
        }
        udp_len = ntohs(uh->udp_len);
        if (udp_len < UDP_HEADER_LEN || udp_len > len) {
            return false;
        }
        if (check && !(uh->udp_csum == 0 && !v6)
            && !(v6 ? l4_csum_ok_v6(p->l3, l4, proto, len)
                    : l4_csum_ok_v4(p->l3, l4, len))) {
            return false;
        }
        return ports_extract(proto, l4, len, TCP_HEADER_LEN, f);
    }

    case IPPROTO_SCTP:
        if (!ct_sctp_header_ok(l4, len)) {
            return false;
        }
        if (check && !sctp_csum_ok(l4, len)) {
            return false;
        }
        return ports_extract(proto, l4, len, TCP_HEADER_LEN, f);

    case IPPROTO_ICMP:
        if (v6) {
            return true;    /* Not ICMP in IPv6: generic. */
        }
        if (check && csum(l4, len)) {
            COVERAGE_INC(ct_l4csum_err);
            return false;
        }
        if (len < ICMP_HEADER_LEN) {
            return false;
        }
        return true;        /* Type-specific part in the caller. */

    case IPPROTO_ICMPV6:
        if (!v6) {
            return true;
        }
        if (check && !l4_csum_ok_v6(p->l3, l4, proto, len)) {
            return false;
        }
        return len >= 8;

    default:
        return true;
    }
}

static bool
icmp4_extract(const struct ip_header *ip, uint16_t zone, struct ct_pkt *p,
              struct l4_fields *f)
{
    const uint8_t *icmp = p->l4;

    switch (icmp[0]) {
    case ICMP4_ECHO_REQUEST:
    case ICMP4_ECHO_REPLY:
    case ICMP4_TIMESTAMP:
    case ICMP4_TIMESTAMPREPLY:
    case ICMP4_INFOREQUEST:
    case ICMP4_INFOREPLY:
        if (!icmp_query_extract(false, p->l4, p->l4_len, f)) {
            return false;
        }
        key_set4(&p->key, get_16aligned_be32(&ip->ip_src),
                 get_16aligned_be32(&ip->ip_dst), IPPROTO_ICMP, zone, f);
        return true;
    case ICMP4_DST_UNREACH:
    case ICMP4_TIME_EXCEEDED:
    case ICMP4_PARAM_PROB:
    case ICMP4_SOURCEQUENCH:
    case ICMP4_REDIRECT:
        return icmp4_error_extract(ip, p->l4, p->l4_len, zone, p);
    default:
        return false;
    }
}

static bool
icmp6_extract(const struct ovs_16aligned_ip6_hdr *ip6, uint16_t zone,
              struct ct_pkt *p, struct l4_fields *f)
{
    const uint8_t *icmp = p->l4;

    switch (icmp[0]) {
    case ICMP6_ECHO_REQUEST:
    case ICMP6_ECHO_REPLY:
        if (!icmp_query_extract(true, p->l4, p->l4_len, f)) {
            return false;
        }
        key_set6(&p->key, ip6->ip6_src.be32, ip6->ip6_dst.be32,
                 IPPROTO_ICMPV6, zone, f);
        return true;
    case ICMP6_DST_UNREACH:
    case ICMP6_PACKET_TOO_BIG:
    case ICMP6_TIME_EXCEEDED:
    case ICMP6_PARAM_PROB:
        return icmp6_error_extract(ip6, p->l4, p->l4_len, zone, p);
    default:
        return false;
    }
}

static bool
extract_ipv4(struct dp_packet *pkt, uint16_t zone, struct ct_pkt *p)
{
    const struct ip_header *ip = p->l3;
    struct l4_fields f;
    size_t ihl;
    bool check;

    if (!ipv4_header_ok(ip, dp_packet_l3_size(pkt), &ihl)) {
        return false;
    }
    if (dp_packet_ip_checksum_bad(pkt)) {
        COVERAGE_INC(ct_l3csum_err);
        return false;
    }
    if (!dp_packet_ip_checksum_valid(pkt) && !dp_packet_hwol_is_ipv4(pkt)
        && csum(ip, ihl)) {
        COVERAGE_INC(ct_l3csum_err);
        return false;
    }
    if (dp_packet_l4_checksum_bad(pkt)) {
        COVERAGE_INC(ct_l4csum_err);
        return false;
    }
    check = !dp_packet_l4_checksum_valid(pkt)
            && !dp_packet_hwol_tx_l4_checksum(pkt);
    if (!outer_l4_extract(false, ip->ip_proto, check, p, &f)) {
        return false;
    }
    if (ip->ip_proto == IPPROTO_ICMP) {
        return icmp4_extract(ip, zone, p, &f);
    }
    key_set4(&p->key, get_16aligned_be32(&ip->ip_src),
             get_16aligned_be32(&ip->ip_dst), ip->ip_proto, zone, &f);
    return true;
}

static bool
extract_ipv6(struct dp_packet *pkt, uint16_t zone, struct ct_pkt *p)
{
    const struct ovs_16aligned_ip6_hdr *ip6 = p->l3;
    const void *l4;
    size_t l4_len;
    struct l4_fields f;
    uint8_t proto;
    bool check;

    if (!ipv6_header_parse(ip6, dp_packet_l3_size(pkt), &l4, &l4_len,
                           &proto)) {
        return false;
    }
    if (dp_packet_l4_checksum_bad(pkt)) {
        COVERAGE_INC(ct_l4csum_err);
        return false;
    }
    check = !dp_packet_l4_checksum_valid(pkt)
            && !dp_packet_hwol_tx_l4_checksum(pkt);
    if (!outer_l4_extract(true, proto, check, p, &f)) {
        return false;
    }
    if (proto == IPPROTO_ICMPV6) {
        return icmp6_extract(ip6, zone, p, &f);
    }
    key_set6(&p->key, ip6->ip6_src.be32, ip6->ip6_dst.be32, proto, zone, &f);
    return true;
}

bool
ct_tuple_extract(struct dp_packet *pkt, ovs_be16 dl_type, uint16_t zone,
                 uint32_t basis, struct ct_pkt *p)
{
    bool ok;

    p->l3 = dp_packet_l3(pkt);
    p->l4 = dp_packet_l4(pkt);
    p->related = false;
    if (!p->l3 || !p->l4) {
        return false;
    }
    p->l4_len = dp_packet_l4_size(pkt);

    if (dl_type == htons(ETH_TYPE_IP)) {
        ok = extract_ipv4(pkt, zone, p);
    } else if (dl_type == htons(ETH_TYPE_IPV6)) {
        ok = extract_ipv6(pkt, zone, p);
    } else {
        ok = false;
    }
    if (ok) {
        ct_key_reverse(&p->rkey, &p->key);
        p->hash = ct_key_hash(&p->key, basis);
    }
    return ok;
}

/* Conversions. */

void
ct_key_to_dpif(const struct ct_key *k, struct ct_dpif_tuple *t)
{
    ovs_be16 sport, dport;
    uint8_t proto, type;

    memset(t, 0, sizeof *t);
    if (!k->v6) {
        t->l3_type = AF_INET;
        t->src.ip = k->t4.src;
        t->dst.ip = k->t4.dst;
        proto = k->t4.proto;
        sport = k->t4.sport;
        dport = k->t4.dport;
        type = k->t4.icmp_type;
    } else {
        t->l3_type = AF_INET6;
        t->src.in6 = k->t6.src;
        t->dst.in6 = k->t6.dst;
        proto = k->t6.proto;
        sport = k->t6.sport;
        dport = k->t6.dport;
        type = k->t6.icmp_type;
    }
    t->ip_proto = proto;
    if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
        t->icmp_id = sport;
        t->icmp_type = type;
        t->icmp_code = 0;
    } else {
        t->src_port = sport;
        t->dst_port = dport;
    }
}

bool
ct_key_from_dpif(const struct ct_dpif_tuple *t, uint16_t zone,
                 struct ct_key *k)
{
    bool icmp;

    memset(k, 0, sizeof *k);
    if (t->l3_type == AF_INET) {
        k->v6 = false;
    } else if (t->l3_type == AF_INET6) {
        k->v6 = true;
    } else {
        return false;
    }
    icmp = ct_proto_is_icmp(k->v6, t->ip_proto);
    if (icmp && (t->icmp_code || !icmp_is_query(k->v6, t->icmp_type))) {
        return false;
    }
    if (!k->v6) {
        k->t4.src = t->src.ip;
        k->t4.dst = t->dst.ip;
        k->t4.proto = t->ip_proto;
        k->t4.zone = zone;
        if (icmp) {
            k->t4.sport = k->t4.dport = t->icmp_id;
            k->t4.icmp_type = t->icmp_type;
        } else {
            k->t4.sport = t->src_port;
            k->t4.dport = t->dst_port;
        }
    } else {
        k->t6.src = t->src.in6;
        k->t6.dst = t->dst.in6;
        k->t6.proto = t->ip_proto;
        k->t6.zone = zone;
        if (icmp) {
            k->t6.sport = k->t6.dport = t->icmp_id;
            k->t6.icmp_type = t->icmp_type;
        } else {
            k->t6.sport = t->src_port;
            k->t6.dport = t->dst_port;
        }
    }
    return true;
}

void
ct_key_to_md(const struct ct_key *k, struct pkt_metadata *md)
{
    md->ct_orig_tuple_ipv6 = false;
    if (!k) {
        memset(&md->ct_orig_tuple, 0, sizeof md->ct_orig_tuple);
    } else if (!k->v6) {
        const struct ct_tuple4 *t = &k->t4;
        bool icmp = t->proto == IPPROTO_ICMP;

        md->ct_orig_tuple.ipv4 = (struct ovs_key_ct_tuple_ipv4) {
            .ipv4_src = t->src,
            .ipv4_dst = t->dst,
            .src_port = icmp ? htons(t->icmp_type) : t->sport,
            .dst_port = icmp ? htons(0) : t->dport,
            .ipv4_proto = t->proto,
        };
    } else {
        const struct ct_tuple6 *t = &k->t6;
        bool icmp = t->proto == IPPROTO_ICMPV6;

        md->ct_orig_tuple_ipv6 = true;
        md->ct_orig_tuple.ipv6 = (struct ovs_key_ct_tuple_ipv6) {
            .ipv6_src = t->src,
            .ipv6_dst = t->dst,
            .src_port = icmp ? htons(t->icmp_type) : t->sport,
            .dst_port = icmp ? htons(0) : t->dport,
            .ipv6_proto = t->proto,
        };
    }
}

bool
ct_key_from_md(const struct pkt_metadata *md, const struct ct_key *pkt_key,
               struct ct_key *k)
{
    memset(k, 0, sizeof *k);
    k->v6 = pkt_key->v6;
    if (!pkt_key->v6) {
        const struct ovs_key_ct_tuple_ipv4 *o = &md->ct_orig_tuple.ipv4;

        if (md->ct_orig_tuple_ipv6 || !o->ipv4_proto) {
            return false;
        }
        k->t4.src = o->ipv4_src;
        k->t4.dst = o->ipv4_dst;
        k->t4.proto = o->ipv4_proto;
        k->t4.zone = md->ct_zone;
        if (pkt_key->t4.proto == IPPROTO_ICMP) {
            k->t4.sport = k->t4.dport = pkt_key->t4.sport;
            k->t4.icmp_type = ntohs(o->src_port);
        } else {
            k->t4.sport = o->src_port;
            k->t4.dport = o->dst_port;
        }
    } else {
        const struct ovs_key_ct_tuple_ipv6 *o = &md->ct_orig_tuple.ipv6;

        if (!md->ct_orig_tuple_ipv6 || !o->ipv6_proto) {
            return false;
        }
        k->t6.src = o->ipv6_src;
        k->t6.dst = o->ipv6_dst;
        k->t6.proto = o->ipv6_proto;
        k->t6.zone = md->ct_zone;
        if (pkt_key->t6.proto == IPPROTO_ICMPV6) {
            k->t6.sport = k->t6.dport = pkt_key->t6.sport;
            k->t6.icmp_type = ntohs(o->src_port);
        } else {
            k->t6.sport = o->src_port;
            k->t6.dport = o->dst_port;
        }
    }
    return true;
}
