/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ct-test-packets.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <stdlib.h>
#include <string.h>
#include "csum.h"
#include "ct.h"
#include "ct-dpif.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

ovs_be32
ctt_ip4(const char *s)
{
    struct in_addr a;

    ovs_assert(inet_pton(AF_INET, s, &a) == 1);
    return a.s_addr;
}

struct in6_addr
ctt_ip6(const char *s)
{
    struct in6_addr a;

    ovs_assert(inet_pton(AF_INET6, s, &a) == 1);
    return a;
}

static void
l4_csum4(struct ip_header *ip, uint8_t proto, void *l4, size_t len)
{
    if (proto == IPPROTO_TCP) {
        struct tcp_header *th = l4;

        th->tcp_csum = 0;
        th->tcp_csum = csum_finish(csum_continue(packet_csum_pseudoheader(ip),
                                                 l4, len));
    } else if (proto == IPPROTO_UDP) {
        struct udp_header *uh = l4;

        uh->udp_csum = 0;
        uh->udp_csum = csum_finish(csum_continue(packet_csum_pseudoheader(ip),
                                                 l4, len));
        if (!uh->udp_csum) {
            uh->udp_csum = htons(0xffff);
        }
    } else if (proto == IPPROTO_ICMP) {
        struct icmp_header *icmp = l4;

        icmp->icmp_csum = 0;
        icmp->icmp_csum = csum(l4, len);
    }
}

struct dp_packet *
ctt_ip4_raw(ovs_be32 src, ovs_be32 dst, uint8_t proto, const void *l4,
            size_t l4_len)
{
    struct dp_packet *pkt = dp_packet_new(128 + l4_len);
    struct eth_header *eth;
    struct ip_header *ip;
    void *l4p;

    eth = dp_packet_put_zeros(pkt, sizeof *eth);
    eth->eth_dst = (struct eth_addr) { { { 0x50, 0x54, 0, 0, 0, 1 } } };
    eth->eth_src = (struct eth_addr) { { { 0x50, 0x54, 0, 0, 0, 2 } } };
    eth->eth_type = htons(ETH_TYPE_IP);
    ip = dp_packet_put_zeros(pkt, sizeof *ip);
    ip->ip_ihl_ver = IP_IHL_VER(5, 4);
    ip->ip_tot_len = htons(sizeof *ip + l4_len);
    ip->ip_ttl = 64;
    ip->ip_proto = proto;
    put_16aligned_be32(&ip->ip_src, src);
    put_16aligned_be32(&ip->ip_dst, dst);
    ip->ip_csum = csum(ip, sizeof *ip);
    l4p = dp_packet_put(pkt, l4, l4_len);
    pkt->l3_ofs = sizeof *eth;
    pkt->l4_ofs = sizeof *eth + sizeof *ip;
    l4_csum4(ip, proto, l4p, l4_len);
    return pkt;
}

struct dp_packet *
ctt_ip6_raw(const struct in6_addr *src, const struct in6_addr *dst,
            uint8_t proto, const void *l4, size_t l4_len)
{
    struct dp_packet *pkt = dp_packet_new(128 + l4_len);
    struct ovs_16aligned_ip6_hdr *ip6;
    struct eth_header *eth;
    void *l4p;

    eth = dp_packet_put_zeros(pkt, sizeof *eth);
    eth->eth_type = htons(ETH_TYPE_IPV6);
    ip6 = dp_packet_put_zeros(pkt, sizeof *ip6);
    put_16aligned_be32(&ip6->ip6_flow, htonl(6u << 28));
    ip6->ip6_plen = htons(l4_len);
    ip6->ip6_nxt = proto;
    ip6->ip6_hlim = 64;
    memcpy(&ip6->ip6_src, src, 16);
    memcpy(&ip6->ip6_dst, dst, 16);
    l4p = dp_packet_put(pkt, l4, l4_len);
    pkt->l3_ofs = sizeof *eth;
    pkt->l4_ofs = sizeof *eth + sizeof *ip6;
    if (proto == IPPROTO_TCP || proto == IPPROTO_UDP
        || proto == IPPROTO_ICMPV6) {
        ovs_be16 *c = (ovs_be16 *) ((char *) l4p
                                    + (proto == IPPROTO_TCP ? 16
                                       : proto == IPPROTO_UDP ? 6 : 2));
        *c = 0;
        *c = packet_csum_upperlayer6(ip6, l4p, proto, l4_len);
        if (proto == IPPROTO_UDP && !*c) {
            *c = htons(0xffff);
        }
    }
    return pkt;
}

static size_t
udp_build(uint8_t *buf, uint16_t sport, uint16_t dport)
{
    struct udp_header *uh = (struct udp_header *) buf;

    memset(buf, 0, 16);
    uh->udp_src = htons(sport);
    uh->udp_dst = htons(dport);
    uh->udp_len = htons(16);
    return 16;
}

struct dp_packet *
ctt_udp4(const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
    uint8_t buf[16];
    size_t len = udp_build(buf, sport, dport);

    return ctt_ip4_raw(ctt_ip4(src), ctt_ip4(dst), IPPROTO_UDP, buf, len);
}

struct dp_packet *
ctt_udp6(const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
    uint8_t buf[16];
    size_t len = udp_build(buf, sport, dport);
    struct in6_addr s = ctt_ip6(src), d = ctt_ip6(dst);

    return ctt_ip6_raw(&s, &d, IPPROTO_UDP, buf, len);
}

static size_t
tcp_build(uint8_t *buf, uint16_t sport, uint16_t dport, uint16_t flags,
          uint32_t seq, uint32_t ack, uint16_t win, size_t payload_len)
{
    struct tcp_header *th = (struct tcp_header *) buf;

    memset(buf, 0, TCP_HEADER_LEN + payload_len);
    th->tcp_src = htons(sport);
    th->tcp_dst = htons(dport);
    put_16aligned_be32(&th->tcp_seq, htonl(seq));
    put_16aligned_be32(&th->tcp_ack, htonl(ack));
    th->tcp_ctl = TCP_CTL(flags, 5);
    th->tcp_winsz = htons(win);
    return TCP_HEADER_LEN + payload_len;
}

struct dp_packet *
ctt_tcp4(const char *src, const char *dst, uint16_t sport, uint16_t dport,
         uint16_t flags, uint32_t seq, uint32_t ack, uint16_t win,
         size_t payload_len)
{
    uint8_t *buf = xmalloc(TCP_HEADER_LEN + payload_len);
    size_t len = tcp_build(buf, sport, dport, flags, seq, ack, win,
                           payload_len);
    struct dp_packet *pkt = ctt_ip4_raw(ctt_ip4(src), ctt_ip4(dst),
                                        IPPROTO_TCP, buf, len);
    free(buf);
    return pkt;
}

struct dp_packet *
ctt_tcp6(const char *src, const char *dst, uint16_t sport, uint16_t dport,
         uint16_t flags, uint32_t seq, uint32_t ack, uint16_t win,
         size_t payload_len)
{
    uint8_t *buf = xmalloc(TCP_HEADER_LEN + payload_len);
    size_t len = tcp_build(buf, sport, dport, flags, seq, ack, win,
                           payload_len);
    struct in6_addr s = ctt_ip6(src), d = ctt_ip6(dst);
    struct dp_packet *pkt = ctt_ip6_raw(&s, &d, IPPROTO_TCP, buf, len);

    free(buf);
    return pkt;
}

static size_t
icmp_build(uint8_t *buf, uint8_t type, uint8_t code, uint16_t id)
{
    memset(buf, 0, 16);
    buf[0] = type;
    buf[1] = code;
    buf[4] = id >> 8;
    buf[5] = id;
    buf[7] = 1;         /* Sequence number 1. */
    return 16;
}

struct dp_packet *
ctt_icmp4(const char *src, const char *dst, uint8_t type, uint8_t code,
          uint16_t id)
{
    uint8_t buf[16];
    size_t len = icmp_build(buf, type, code, id);

    return ctt_ip4_raw(ctt_ip4(src), ctt_ip4(dst), IPPROTO_ICMP, buf, len);
}

struct dp_packet *
ctt_icmp6(const char *src, const char *dst, uint8_t type, uint8_t code,
          uint16_t id)
{
    uint8_t buf[16];
    size_t len = icmp_build(buf, type, code, id);
    struct in6_addr s = ctt_ip6(src), d = ctt_ip6(dst);

    return ctt_ip6_raw(&s, &d, IPPROTO_ICMPV6, buf, len);
}

struct dp_packet *
ctt_proto4(const char *src, const char *dst, uint8_t proto)
{
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

    return ctt_ip4_raw(ctt_ip4(src), ctt_ip4(dst), proto, buf, sizeof buf);
}

static size_t
quote(uint8_t *buf, const struct dp_packet *inner, size_t inner_l4_len)
{
    size_t l3_len = (const char *) dp_packet_l4(inner)
                    - (const char *) dp_packet_l3(inner);
    size_t l4_len = MIN(inner_l4_len, dp_packet_l4_size(inner));

    memset(buf, 0, 8);
    memcpy(buf + 8, dp_packet_l3(inner), l3_len + l4_len);
    return 8 + l3_len + l4_len;
}

struct dp_packet *
ctt_icmp4_error(const char *src, const char *dst, uint8_t type, uint8_t code,
                const struct dp_packet *inner, size_t inner_l4_len)
{
    uint8_t buf[2048];
    size_t len = quote(buf, inner, inner_l4_len);

    buf[0] = type;
    buf[1] = code;
    return ctt_ip4_raw(ctt_ip4(src), ctt_ip4(dst), IPPROTO_ICMP, buf, len);
}

struct dp_packet *
ctt_icmp6_error(const char *src, const char *dst, uint8_t type, uint8_t code,
                const struct dp_packet *inner, size_t inner_l4_len)
{
    uint8_t buf[2048];
    size_t len = quote(buf, inner, inner_l4_len);
    struct in6_addr s = ctt_ip6(src), d = ctt_ip6(dst);

    buf[0] = type;
    buf[1] = code;
    return ctt_ip6_raw(&s, &d, IPPROTO_ICMPV6, buf, len);
}

void
ctt_csum_good(struct dp_packet *pkt)
{
    *dp_packet_ol_flags_ptr(pkt) |= (DP_PACKET_OL_RX_IP_CKSUM_GOOD
                                     | DP_PACKET_OL_RX_L4_CKSUM_GOOD);
}

static bool
l4_ok(bool v6, const void *l3, uint8_t proto, const void *l4, size_t len)
{
    if (!v6) {
        const struct ip_header *ip = l3;

        if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
            if (proto == IPPROTO_UDP
                && !((const struct udp_header *) l4)->udp_csum) {
                return true;
            }
            return !csum_finish(csum_continue(packet_csum_pseudoheader(ip),
                                              l4, len));
        } else if (proto == IPPROTO_ICMP) {
            return !csum(l4, len);
        }
        return true;
    }
    if (proto == IPPROTO_TCP || proto == IPPROTO_UDP
        || proto == IPPROTO_ICMPV6) {
        return !packet_csum_upperlayer6(l3, l4, proto, len);
    }
    return true;
}

bool
ctt_csums_ok(struct dp_packet *pkt)
{
    const struct eth_header *eth = dp_packet_eth(pkt);
    bool v6 = eth->eth_type == htons(ETH_TYPE_IPV6);
    const uint8_t *l4 = dp_packet_l4(pkt);
    size_t l4_len = dp_packet_l4_size(pkt);
    uint8_t proto;

    if (!v6) {
        const struct ip_header *ip = dp_packet_l3(pkt);

        if (csum(ip, IP_IHL(ip->ip_ihl_ver) * 4)) {
            return false;
        }
        proto = ip->ip_proto;
        if (proto == IPPROTO_ICMP && l4_len >= 28
            && (l4[0] == ICMP4_DST_UNREACH || l4[0] == ICMP4_TIME_EXCEEDED)) {
            const struct ip_header *in = (const void *) (l4 + 8);

            if (csum(in, IP_IHL(in->ip_ihl_ver) * 4)) {
                return false;
            }
        }
    } else {
        const struct ovs_16aligned_ip6_hdr *ip6 = dp_packet_l3(pkt);

        proto = ip6->ip6_nxt;
    }
    return l4_ok(v6, dp_packet_l3(pkt), proto, l4, l4_len);
}

struct ct_exec
ctt_args(uint16_t zone, bool commit, long long now)
{
    return (struct ct_exec) {
        .dl_type = htons(ETH_TYPE_IP),
        .zone = zone,
        .commit = commit,
        .now = now,
    };
}

uint8_t
ctt_exec1(struct ct *ct, struct dp_packet *pkt, const struct ct_exec *args)
{
    struct dp_packet_batch batch;

    dp_packet_batch_init_packet(&batch, pkt);
    ct_execute(ct, &batch, args);
    return pkt->md.ct_state;
}

ovs_be32
ctt_ip4_src(const struct dp_packet *pkt)
{
    const struct ip_header *ip = dp_packet_l3(pkt);

    return get_16aligned_be32(&ip->ip_src);
}

ovs_be32
ctt_ip4_dst(const struct dp_packet *pkt)
{
    const struct ip_header *ip = dp_packet_l3(pkt);

    return get_16aligned_be32(&ip->ip_dst);
}

uint16_t
ctt_l4_sport(const struct dp_packet *pkt)
{
    const ovs_be16 *ports = dp_packet_l4(pkt);

    return ntohs(ports[0]);
}

uint16_t
ctt_l4_dport(const struct dp_packet *pkt)
{
    const ovs_be16 *ports = dp_packet_l4(pkt);

    return ntohs(ports[1]);
}

static int
compare_strings(const void *a_, const void *b_)
{
    const char *const *a = a_, *const *b = b_;

    return strcmp(*a, *b);
}

char *
ctt_dump(struct ct *ct, const uint16_t *zone, long long now, bool verbose)
{
    struct ct_dump *dump = ct_dump_start(ct, zone, now);
    struct ct_dpif_entry entry;
    char **lines = NULL;
    size_t n = 0, allocated = 0;
    struct ds out = DS_EMPTY_INITIALIZER;

    while (!ct_dump_next(dump, &entry)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        ct_dpif_format_entry(&entry, &s, verbose, true);
        ct_dpif_entry_uninit(&entry);
        if (n >= allocated) {
            lines = x2nrealloc(lines, &allocated, sizeof *lines);
        }
        lines[n++] = ds_steal_cstr(&s);
    }
    ct_dump_done(dump);
    if (n) {
        qsort(lines, n, sizeof *lines, compare_strings);
    }
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&out, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return ds_steal_cstr(&out);
}
