/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Shared code of the conntrack fuzz harnesses: see fuzz-util.h. */

#include <config.h>
#include "fuzz-util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>

#include "crc32c.h"
#include "csum.h"
#include "ct.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "random.h"
#include "util.h"

void
fuzz_fail(const char *format, ...)
{
    va_list args;

    fputs("ct fuzz: invariant violated: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/* Sanitizer defaults of the harnesses (the environment overrides them).
 * AddressSanitizer's default 256 MB quarantine makes every allocation touch
 * fresh memory and costs a third of the executions; 32 MB still keeps freed
 * memory poisoned far longer than one input lives. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
    return "quarantine_size_mb=32";
}

const char *
__ubsan_default_options(void)
{
    return "print_stacktrace=1:halt_on_error=1";
}

void
fuzz_init(void)
{
    /* The engine logs only rate-limited messages, but a fuzzer would still
     * print thousands of them. */
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    random_set_seed(0x5eed);
}

/* Input reader. */

void
fuzz_bytes(struct fuzz_in *in, void *dst_, size_t n)
{
    uint8_t *dst = dst_;
    size_t k = MIN(n, in->n);

    memcpy(dst, in->p, k);
    memset(dst + k, 0, n - k);
    in->p += k;
    in->n -= k;
}

uint8_t
fuzz_u8(struct fuzz_in *in)
{
    uint8_t v;

    fuzz_bytes(in, &v, 1);
    return v;
}

uint16_t
fuzz_u16(struct fuzz_in *in)
{
    uint8_t b[2];

    fuzz_bytes(in, b, 2);
    return (b[0] << 8) | b[1];
}

uint32_t
fuzz_u32(struct fuzz_in *in)
{
    uint8_t b[4];

    fuzz_bytes(in, b, 4);
    return ((uint32_t) b[0] << 24) | ((uint32_t) b[1] << 16)
           | ((uint32_t) b[2] << 8) | b[3];
}

/* Packets. */

void
fuzz_reparse(struct dp_packet *pkt, ovs_be16 *dl_type)
{
    struct {
        struct miniflow mf;
        uint64_t buf[FLOW_U64S];
    } key;

    if (dl_type) {
        *dl_type = htons(0);
    }
    /* The datapath drops runts before parsing them; the engine must still
     * cope with a packet whose offsets are unset. */
    if (dp_packet_size(pkt) < ETH_HEADER_LEN) {
        return;
    }
    miniflow_extract(pkt, &key.mf);
    if (dl_type) {
        struct flow flow;

        miniflow_expand(&key.mf, &flow);
        *dl_type = flow.dl_type;
    }
}

struct dp_packet *
fuzz_packet(const void *frame, size_t n, ovs_be16 *dl_type)
{
    struct dp_packet *pkt = dp_packet_new(n);

    if (n) {
        dp_packet_put(pkt, frame, n);
    }
    fuzz_reparse(pkt, dl_type);
    return pkt;
}

/* Checksums. */

static bool
csum_ok_sctp(const void *l4, size_t len)
{
    const struct sctp_header *sh = l4;
    struct sctp_header *copy;
    ovs_be32 stored, crc;

    if (len < SCTP_HEADER_LEN) {
        return true;
    }
    stored = get_16aligned_be32(&sh->sctp_csum);
    copy = xmemdup(l4, len);
    put_16aligned_be32(&copy->sctp_csum, 0);
    crc = crc32c((const uint8_t *) copy, len);
    free(copy);
    return crc == stored;
}

static bool
icmp4_is_error(uint8_t type)
{
    return (type == ICMP4_DST_UNREACH || type == ICMP4_SOURCEQUENCH
            || type == ICMP4_REDIRECT || type == ICMP4_TIME_EXCEEDED
            || type == ICMP4_PARAM_PROB);
}

void
fuzz_csums_get(struct dp_packet *pkt, struct fuzz_csums *c)
{
    const uint8_t *l3 = dp_packet_l3(pkt);
    const uint8_t *l4 = dp_packet_l4(pkt);
    size_t l3_len = l3 ? dp_packet_l3_size(pkt) : 0;
    size_t l4_len = l4 ? dp_packet_l4_size(pkt) : 0;

    c->ip4_ok = c->l4_ok = c->inner_ip4_ok = true;
    if (!l3 || !l3_len) {
        return;
    }

    if (l3[0] >> 4 == 4 && l3_len >= IP_HEADER_LEN) {
        const struct ip_header *ip = (const struct ip_header *) l3;
        size_t ihl = IP_IHL(ip->ip_ihl_ver) * 4;

        if (ihl < IP_HEADER_LEN || ihl > l3_len) {
            return;
        }
        c->ip4_ok = !csum(ip, ihl);
        if (!l4 || IP_IS_FRAGMENT(ip->ip_frag_off)
            || l4 != l3 + ihl) {
            return;
        }
        switch (ip->ip_proto) {
        case IPPROTO_TCP:
            if (l4_len >= TCP_HEADER_LEN) {
                c->l4_ok = !csum_finish(csum_continue(
                                  packet_csum_pseudoheader(ip), l4, l4_len));
            }
            break;
        case IPPROTO_UDP:
            if (l4_len >= UDP_HEADER_LEN
                && ((const struct udp_header *) l4)->udp_csum) {
                c->l4_ok = !csum_finish(csum_continue(
                                  packet_csum_pseudoheader(ip), l4, l4_len));
            }
            break;
        case IPPROTO_SCTP:
            c->l4_ok = csum_ok_sctp(l4, l4_len);
            break;
        case IPPROTO_ICMP:
            c->l4_ok = !csum(l4, l4_len);
            if (l4_len >= ICMP_HEADER_LEN + IP_HEADER_LEN
                && icmp4_is_error(l4[0])) {
                const struct ip_header *in
                    = (const struct ip_header *) (l4 + ICMP_HEADER_LEN);
                size_t in_ihl = IP_IHL(in->ip_ihl_ver) * 4;

                if (in_ihl >= IP_HEADER_LEN
                    && in_ihl <= l4_len - ICMP_HEADER_LEN) {
                    c->inner_ip4_ok = !csum(in, in_ihl);
                }
            }
            break;
        default:
            break;
        }
    } else if (l3[0] >> 4 == 6
               && l3_len >= sizeof(struct ovs_16aligned_ip6_hdr)) {
        const struct ovs_16aligned_ip6_hdr *ip6 = (const void *) l3;
        const struct ovs_16aligned_ip6_frag *frag;
        const void *data = ip6 + 1;
        size_t len = l3_len - sizeof *ip6;
        uint8_t proto = ip6->ip6_nxt;
        uint8_t nw_frag = 0;

        if (!l4 || !parse_ipv6_ext_hdrs(&data, &len, &proto, &nw_frag,
                                        &frag)
            || nw_frag || data != (const void *) l4 || len != l4_len
            || l4_len > UINT16_MAX) {
            return;
        }
        switch (proto) {
        case IPPROTO_TCP:
        case IPPROTO_UDP:
        case IPPROTO_ICMPV6:
            if (l4_len >= (proto == IPPROTO_TCP ? TCP_HEADER_LEN
                           : proto == IPPROTO_UDP ? UDP_HEADER_LEN
                           : ICMP6_HEADER_LEN)) {
                c->l4_ok = !packet_csum_upperlayer6(ip6, l4, proto, l4_len);
            }
            break;
        case IPPROTO_SCTP:
            c->l4_ok = csum_ok_sctp(l4, l4_len);
            break;
        default:
            break;
        }
    }
}

void
fuzz_csums_check(const struct fuzz_csums *before,
                 const struct fuzz_csums *after, const char *where)
{
    if (before->ip4_ok && !after->ip4_ok) {
        fuzz_fail("%s: IPv4 header checksum broken by ct_execute()", where);
    }
    if (before->l4_ok && !after->l4_ok) {
        fuzz_fail("%s: L4 checksum broken by ct_execute()", where);
    }
    if (before->inner_ip4_ok && !after->inner_ip4_ok) {
        fuzz_fail("%s: checksum of the IPv4 header quoted by an ICMP error "
                  "broken by ct_execute()", where);
    }
}

/* ct_state. */

const char *
fuzz_state_str(uint8_t st, char *buf, size_t size)
{
    static const char *names[8] = {
        "new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat",
    };
    size_t ofs = 0;

    buf[0] = '\0';
    for (int i = 0; i < 8; i++) {
        if (st & (1 << i)) {
            ofs += snprintf(buf + ofs, size - MIN(ofs, size), "+%s",
                            names[i]);
        }
    }
    if (!ofs) {
        snprintf(buf, size, "(none)");
    }
    return buf;
}

void
fuzz_check_ct_state(const struct dp_packet *pkt, uint16_t zone,
                    const char *where)
{
    uint8_t st = pkt->md.ct_state;
    const char *why = NULL;
    char s[64];

    if (!(st & CS_TRACKED)) {
        why = "not +trk";
    } else if (!!(st & CS_NEW) + !!(st & CS_ESTABLISHED)
               + !!(st & CS_INVALID) > 1) {
        why = "more than one of +new, +est and +inv";
    } else if ((st & CS_INVALID) && (st & (CS_RELATED | CS_REPLY_DIR))) {
        why = "+inv with +rel or +rpl";
    } else if ((st & CS_REPLY_DIR) && !(st & (CS_ESTABLISHED | CS_RELATED))) {
        why = "+rpl without +est or +rel";
    } else if ((st & CS_RELATED) && (st & CS_NEW)) {
        why = "+rel with +new";
    } else if ((st & CS_SRC_NAT) && (st & CS_DST_NAT)) {
        why = "both +snat and +dnat";
    } else if (pkt->md.ct_zone != zone) {
        fuzz_state_str(st, s, sizeof s);
        fuzz_fail("%s: ct_zone %"PRIu16" after ct() in zone %"PRIu16
                  " (state %s)", where, pkt->md.ct_zone, zone, s);
    }
    if (why) {
        fuzz_state_str(st, s, sizeof s);
        fuzz_fail("%s: ct_state %s: %s", where, s, why);
    }
}

/* Tuples. */

static bool
proto_is_icmp(uint16_t l3_type, uint8_t proto)
{
    return proto == (l3_type == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
}

bool
fuzz_tuple_is_icmp(const struct fuzz_tuple *t)
{
    return proto_is_icmp(t->l3_type, t->proto);
}

void
fuzz_tuple_from_dpif(const struct ct_dpif_tuple *d, uint16_t zone,
                     struct fuzz_tuple *t)
{
    size_t alen = d->l3_type == AF_INET6 ? 16 : 4;

    memset(t, 0, sizeof *t);
    t->zone = zone;
    t->l3_type = d->l3_type;
    t->proto = d->ip_proto;
    memcpy(t->src, &d->src, alen);
    memcpy(t->dst, &d->dst, alen);
    if (proto_is_icmp(d->l3_type, d->ip_proto)) {
        t->icmp_type = d->icmp_type;
        t->sport = t->dport = d->icmp_id;
    } else {
        t->sport = d->src_port;
        t->dport = d->dst_port;
    }
}

void
fuzz_tuple_to_dpif(const struct fuzz_tuple *t, struct ct_dpif_tuple *d)
{
    size_t alen = t->l3_type == AF_INET6 ? 16 : 4;

    memset(d, 0, sizeof *d);
    d->l3_type = t->l3_type;
    d->ip_proto = t->proto;
    memcpy(&d->src, t->src, alen);
    memcpy(&d->dst, t->dst, alen);
    if (fuzz_tuple_is_icmp(t)) {
        d->icmp_id = t->sport;
        d->icmp_type = t->icmp_type;
        d->icmp_code = 0;
    } else {
        d->src_port = t->sport;
        d->dst_port = t->dport;
    }
}

uint8_t
fuzz_icmp_reverse_type(bool v6, uint8_t type)
{
    static const uint8_t pairs4[][2] = {
        { ICMP4_ECHO_REQUEST, ICMP4_ECHO_REPLY },
        { ICMP4_TIMESTAMP, ICMP4_TIMESTAMPREPLY },
        { ICMP4_INFOREQUEST, ICMP4_INFOREPLY },
    };

    if (v6) {
        return (type == ICMP6_ECHO_REQUEST ? ICMP6_ECHO_REPLY
                : type == ICMP6_ECHO_REPLY ? ICMP6_ECHO_REQUEST : type);
    }
    for (size_t i = 0; i < ARRAY_SIZE(pairs4); i++) {
        if (type == pairs4[i][0]) {
            return pairs4[i][1];
        } else if (type == pairs4[i][1]) {
            return pairs4[i][0];
        }
    }
    return type;
}

void
fuzz_tuple_reverse(const struct fuzz_tuple *t, struct fuzz_tuple *r)
{
    struct fuzz_tuple tmp = *t;

    memcpy(tmp.src, t->dst, sizeof tmp.src);
    memcpy(tmp.dst, t->src, sizeof tmp.dst);
    tmp.sport = t->dport;
    tmp.dport = t->sport;
    if (fuzz_tuple_is_icmp(t)) {
        tmp.icmp_type = fuzz_icmp_reverse_type(t->l3_type == AF_INET6,
                                               t->icmp_type);
    }
    *r = tmp;
}

int
fuzz_tuple_cmp(const struct fuzz_tuple *a, const struct fuzz_tuple *b)
{
    return memcmp(a, b, sizeof *a);
}

const char *
fuzz_tuple_str(const struct fuzz_tuple *t, char *buf)
{
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    int af = t->l3_type == AF_INET6 ? AF_INET6 : AF_INET;

    inet_ntop(af, t->src, s, sizeof s);
    inet_ntop(af, t->dst, d, sizeof d);
    if (fuzz_tuple_is_icmp(t)) {
        snprintf(buf, FUZZ_TUPLE_STRLEN,
                 "zone=%"PRIu16" proto=%"PRIu8" %s -> %s id=%"PRIu16
                 " type=%"PRIu8, t->zone, t->proto, s, d, ntohs(t->sport),
                 t->icmp_type);
    } else {
        snprintf(buf, FUZZ_TUPLE_STRLEN,
                 "zone=%"PRIu16" proto=%"PRIu8" %s:%"PRIu16" -> %s:%"PRIu16,
                 t->zone, t->proto, s, ntohs(t->sport), d, ntohs(t->dport));
    }
    return buf;
}

/* Packet construction. */

/* Appends an IPv4 or IPv6 header for 'l4_len' bytes of 'proto' from 'src'
 * to 'dst' (4 or 16 bytes each) to the Ethernet header in 'b'. */
static void *
put_l3(struct dp_packet *b, bool v6, const uint8_t *src, const uint8_t *dst,
       uint8_t proto, size_t l4_len)
{
    struct eth_header *eth = dp_packet_put_zeros(b, sizeof *eth);

    eth->eth_dst = (struct eth_addr) { { { 0x02, 0, 0, 0, 0, 0x01 } } };
    eth->eth_src = (struct eth_addr) { { { 0x02, 0, 0, 0, 0, 0x02 } } };
    eth->eth_type = htons(v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);
    if (!v6) {
        struct ip_header *ip = dp_packet_put_zeros(b, sizeof *ip);

        ip->ip_ihl_ver = IP_IHL_VER(5, 4);
        ip->ip_tot_len = htons(IP_HEADER_LEN + l4_len);
        ip->ip_ttl = 64;
        ip->ip_proto = proto;
        memcpy(&ip->ip_src, src, 4);
        memcpy(&ip->ip_dst, dst, 4);
        ip->ip_csum = csum(ip, sizeof *ip);
        return ip;
    } else {
        struct ovs_16aligned_ip6_hdr *ip6 = dp_packet_put_zeros(b,
                                                                sizeof *ip6);

        put_16aligned_be32(&ip6->ip6_flow, htonl(6 << 28));
        ip6->ip6_plen = htons(l4_len);
        ip6->ip6_nxt = proto;
        ip6->ip6_hlim = 64;
        memcpy(&ip6->ip6_src, src, 16);
        memcpy(&ip6->ip6_dst, dst, 16);
        return ip6;
    }
}

/* Fills in the checksum of the L4 message 'l4' of 'len' bytes under the IP
 * header 'l3'. */
static void
l4_csum_fill(void *l3, bool v6, uint8_t proto, uint8_t *l4, size_t len)
{
    ovs_be16 *field;
    ovs_be16 c;

    switch (proto) {
    case IPPROTO_TCP:
        field = &((struct tcp_header *) l4)->tcp_csum;
        break;
    case IPPROTO_UDP:
        field = &((struct udp_header *) l4)->udp_csum;
        break;
    case IPPROTO_ICMP:
        if (v6) {
            return;
        }
        field = &((struct icmp_header *) l4)->icmp_csum;
        *field = 0;
        *field = csum(l4, len);
        return;
    case IPPROTO_ICMPV6:
        if (!v6) {
            return;
        }
        field = &((struct icmp6_header *) l4)->icmp6_cksum;
        break;
    case IPPROTO_SCTP: {
        struct sctp_header *sh = (struct sctp_header *) l4;

        put_16aligned_be32(&sh->sctp_csum, 0);
        put_16aligned_be32(&sh->sctp_csum, crc32c(l4, len));
        return;
    }
    default:
        return;
    }
    *field = 0;
    if (v6) {
        c = packet_csum_upperlayer6(l3, l4, proto, len);
    } else {
        c = csum_finish(csum_continue(packet_csum_pseudoheader(l3), l4,
                                      len));
    }
    if (proto == IPPROTO_UDP && !c) {
        c = htons(0xffff);
    }
    *field = c;
}

/* Bytes of 'buf' in fuzz_build_into() that hold L4 headers (the rest is
 * zero payload, cleared only as far as it is used). */
#define L4_HDR_AREA 64

void
fuzz_build_into(struct dp_packet *pkt, const struct fuzz_tuple *t,
                const struct fuzz_l4 *l4)
{
    bool v6 = t->l3_type == AF_INET6;
    uint8_t buf[L4_HDR_AREA + 1400];
    uint8_t *l4p;
    size_t len;
    void *l3;

    memset(buf, 0, L4_HDR_AREA);
    switch (t->proto) {
    case IPPROTO_TCP: {
        struct tcp_header *th = (struct tcp_header *) buf;

        len = TCP_HEADER_LEN + MIN(l4->payload, 1400);
        th->tcp_src = t->sport;
        th->tcp_dst = t->dport;
        put_16aligned_be32(&th->tcp_seq, htonl(l4->seq));
        put_16aligned_be32(&th->tcp_ack, htonl(l4->ack));
        th->tcp_ctl = TCP_CTL(l4->tcp_flags & 0x0fff, 5);
        th->tcp_winsz = htons(l4->win);
        break;
    }
    case IPPROTO_UDP: {
        struct udp_header *uh = (struct udp_header *) buf;

        len = UDP_HEADER_LEN + MIN(l4->payload, 1400);
        uh->udp_src = t->sport;
        uh->udp_dst = t->dport;
        uh->udp_len = htons(len);
        break;
    }
    case IPPROTO_SCTP: {
        struct sctp_header *sh = (struct sctp_header *) buf;
        uint8_t *chunk = buf + SCTP_HEADER_LEN;
        ovs_be32 itag = htonl(l4->sctp_itag);

        len = SCTP_HEADER_LEN + 20;
        sh->sctp_src = t->sport;
        sh->sctp_dst = t->dport;
        put_16aligned_be32(&sh->sctp_vtag, htonl(l4->sctp_vtag));
        chunk[0] = l4->sctp_chunk;
        chunk[3] = 20;
        memcpy(chunk + 4, &itag, 4);
        chunk[8] = 0x10;            /* Receiver window. */
        chunk[13] = chunk[15] = 1;  /* Streams. */
        break;
    }
    default:
        len = 8;
        if (fuzz_tuple_is_icmp(t)) {
            buf[0] = t->icmp_type;
            memcpy(buf + 4, &t->sport, 2);
        }
        break;
    }

    if (len > L4_HDR_AREA) {
        memset(buf + L4_HDR_AREA, 0, len - L4_HDR_AREA);
    }

    dp_packet_clear(pkt);
    l3 = put_l3(pkt, v6, t->src, t->dst, t->proto, len);
    l4p = dp_packet_put(pkt, buf, len);
    l4_csum_fill(l3, v6, t->proto, l4p, len);
    fuzz_reparse(pkt, NULL);
}

struct dp_packet *
fuzz_build(const struct fuzz_tuple *t, const struct fuzz_l4 *l4)
{
    struct dp_packet *pkt = dp_packet_new(FUZZ_PKT_STUB);

    fuzz_build_into(pkt, t, l4);
    return pkt;
}

struct dp_packet *
fuzz_build_icmp_error(const struct dp_packet *inner, const uint8_t *router,
                      size_t quote)
{
    struct dp_packet *pkt = dp_packet_new(FUZZ_PKT_STUB);

    fuzz_build_icmp_error_into(pkt, inner, router, quote);
    return pkt;
}

void
fuzz_build_icmp_error_into(struct dp_packet *pkt,
                           const struct dp_packet *inner,
                           const uint8_t *router, size_t quote)
{
    const uint8_t *il3 = dp_packet_l3(inner);
    size_t il3_len = dp_packet_l3_size(inner);
    bool v6 = (il3[0] >> 4) == 6;
    size_t n = MIN(quote, il3_len);
    size_t len = 8 + n;
    const uint8_t *dst = v6 ? il3 + 8 : il3 + 12;   /* Inner source. */
    uint8_t *l4;
    void *l3;

    dp_packet_clear(pkt);
    l3 = put_l3(pkt, v6, router, dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
                len);
    l4 = dp_packet_put_zeros(pkt, 8);
    l4[0] = v6 ? ICMP6_DST_UNREACH : ICMP4_DST_UNREACH;
    l4[1] = v6 ? ICMP6_DST_UNREACH_NOPORT : 3;  /* Port unreachable. */
    dp_packet_put(pkt, il3, n);
    l4_csum_fill(l3, v6, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, l4, len);
    fuzz_reparse(pkt, NULL);
}

/* Parses the tuple of the IP packet at 'l3' ('len' bytes present, no IPv6
 * extension headers), whose L4 header starts at 'l4'. */
static bool
parse_tuple(const uint8_t *l3, const uint8_t *l4, size_t len, uint16_t zone,
            struct fuzz_tuple *t)
{
    size_t l4_len;
    bool v6;

    memset(t, 0, sizeof *t);
    if (!l3 || len < IP_HEADER_LEN) {
        return false;
    }
    v6 = (l3[0] >> 4) == 6;
    t->zone = zone;
    t->l3_type = v6 ? AF_INET6 : AF_INET;
    if (v6) {
        const struct ovs_16aligned_ip6_hdr *ip6 = (const void *) l3;

        if (len < sizeof *ip6) {
            return false;
        }
        t->proto = ip6->ip6_nxt;
        memcpy(t->src, &ip6->ip6_src, 16);
        memcpy(t->dst, &ip6->ip6_dst, 16);
        l4 = l4 ? l4 : l3 + sizeof *ip6;
    } else {
        const struct ip_header *ip = (const void *) l3;

        t->proto = ip->ip_proto;
        memcpy(t->src, &ip->ip_src, 4);
        memcpy(t->dst, &ip->ip_dst, 4);
        l4 = l4 ? l4 : l3 + IP_IHL(ip->ip_ihl_ver) * 4;
    }
    if (l4 < l3 || l4 > l3 + len) {
        return false;
    }
    l4_len = l3 + len - l4;
    switch (t->proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_SCTP:
        if (l4_len < 4) {
            return false;
        }
        memcpy(&t->sport, l4, 2);
        memcpy(&t->dport, l4 + 2, 2);
        return true;
    default:
        if (fuzz_tuple_is_icmp(t)) {
            if (l4_len < 8) {
                return false;
            }
            t->icmp_type = l4[0];
            memcpy(&t->sport, l4 + 4, 2);
            t->dport = t->sport;
        }
        return true;
    }
}

bool
fuzz_packet_tuple(const struct dp_packet *pkt_, uint16_t zone,
                  struct fuzz_tuple *t)
{
    struct dp_packet *pkt = CONST_CAST(struct dp_packet *, pkt_);
    const uint8_t *l3 = dp_packet_l3(pkt);
    const uint8_t *l4 = dp_packet_l4(pkt);

    if (!l3 || !l4) {
        memset(t, 0, sizeof *t);
        return false;
    }
    return parse_tuple(l3, l4, dp_packet_l3_size(pkt), zone, t);
}

bool
fuzz_packet_inner_tuple(const struct dp_packet *pkt_, uint16_t zone,
                        struct fuzz_tuple *t)
{
    struct dp_packet *pkt = CONST_CAST(struct dp_packet *, pkt_);
    const uint8_t *l4 = dp_packet_l4(pkt);
    size_t l4_len = l4 ? dp_packet_l4_size(pkt) : 0;

    if (l4_len < 8) {
        memset(t, 0, sizeof *t);
        return false;
    }
    return parse_tuple(l4 + 8, NULL, l4_len - 8, zone, t);
}

void
fuzz_exec1(struct ct *ct, struct dp_packet *pkt, const struct ct_exec *args)
{
    struct dp_packet_batch batch;

    dp_packet_batch_init_packet(&batch, pkt);
    ct_execute(ct, &batch, args);
}

/* Dump and table invariants. */

void
fuzz_dump(struct ct *ct, long long now, const uint16_t *zone,
          struct fuzz_dump *d)
{
    struct ct_dump *dump = ct_dump_start(ct, zone, now);
    struct ct_dpif_entry e;

    d->n = 0;
    while (!ct_dump_next(dump, &e)) {
        struct fuzz_conn *c;

        if (d->n >= d->allocated) {
            d->conns = x2nrealloc(d->conns, &d->allocated, sizeof *d->conns);
        }
        c = &d->conns[d->n++];
        fuzz_tuple_from_dpif(&e.tuple_orig, e.zone, &c->orig);
        fuzz_tuple_from_dpif(&e.tuple_reply, e.zone, &c->reply);
        c->mark = e.mark;
        c->label = e.labels;
        c->timeout = e.timeout;
        if (zone && e.zone != *zone) {
            fuzz_fail("dump of zone %"PRIu16" returned a connection of zone "
                      "%"PRIu16, *zone, e.zone);
        }
        ct_dpif_entry_uninit(&e);
    }
    ct_dump_done(dump);
}

void
fuzz_dump_destroy(struct fuzz_dump *d)
{
    free(d->conns);
    d->conns = NULL;
    d->n = d->allocated = 0;
}

struct owned_tuple {
    struct fuzz_tuple t;
    size_t owner;
};

static int
owned_tuple_cmp(const void *a_, const void *b_)
{
    const struct owned_tuple *a = a_, *b = b_;

    return fuzz_tuple_cmp(&a->t, &b->t);
}

static void
check_unique(const struct fuzz_dump *d)
{
    struct owned_tuple *all = xmalloc(2 * d->n * sizeof *all + 1);
    size_t n = 0;

    for (size_t i = 0; i < d->n; i++) {
        all[n].t = d->conns[i].orig;
        all[n++].owner = i;
        all[n].t = d->conns[i].reply;
        all[n++].owner = i;
    }
    qsort(all, n, sizeof *all, owned_tuple_cmp);
    for (size_t i = 1; i < n; i++) {
        if (!fuzz_tuple_cmp(&all[i - 1].t, &all[i].t)
            && all[i - 1].owner != all[i].owner) {
            const struct fuzz_conn *a = &d->conns[all[i - 1].owner];
            const struct fuzz_conn *b = &d->conns[all[i].owner];
            char s[4][FUZZ_TUPLE_STRLEN];

            fuzz_fail("two connections share a tuple:\n"
                      "  orig %s reply %s\n  orig %s reply %s",
                      fuzz_tuple_str(&a->orig, s[0]),
                      fuzz_tuple_str(&a->reply, s[1]),
                      fuzz_tuple_str(&b->orig, s[2]),
                      fuzz_tuple_str(&b->reply, s[3]));
        }
    }
    free(all);
}

/* Whether 'md''s original-direction tuple is 'orig' (ICMP: the identifier
 * is not part of it). */
bool
fuzz_md_orig_tuple_is(const struct pkt_metadata *md,
                      const struct fuzz_tuple *o)
{
    bool icmp = fuzz_tuple_is_icmp(o);
    ovs_be16 sport = icmp ? htons(o->icmp_type) : o->sport;
    ovs_be16 dport = icmp ? htons(0) : o->dport;

    if (o->l3_type == AF_INET6) {
        const struct ovs_key_ct_tuple_ipv6 *t = &md->ct_orig_tuple.ipv6;

        return (md->ct_orig_tuple_ipv6
                && !memcmp(&t->ipv6_src, o->src, 16)
                && !memcmp(&t->ipv6_dst, o->dst, 16)
                && t->src_port == sport && t->dst_port == dport
                && t->ipv6_proto == o->proto);
    } else {
        const struct ovs_key_ct_tuple_ipv4 *t = &md->ct_orig_tuple.ipv4;

        return (!md->ct_orig_tuple_ipv6
                && !memcmp(&t->ipv4_src, o->src, 4)
                && !memcmp(&t->ipv4_dst, o->dst, 4)
                && t->src_port == sport && t->dst_port == dport
                && t->ipv4_proto == o->proto);
    }
}

/* Probes 'c' through its 'reply' or original tuple with an ICMP error. */
static void
probe(struct ct *ct, const struct fuzz_conn *c, bool reply, long long now)
{
    static const uint8_t router4[4] = { 192, 0, 2, 254 };
    static const uint8_t router6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    const struct fuzz_tuple *t = reply ? &c->reply : &c->orig;
    bool v6 = t->l3_type == AF_INET6;
    struct fuzz_l4 l4 = { .tcp_flags = TCP_ACK, .win = 1000,
                          .sctp_chunk = 0, .sctp_vtag = 1 };
    uint64_t inner_stub[FUZZ_PKT_STUB / 8], err_stub[FUZZ_PKT_STUB / 8];
    struct dp_packet inner_pkt, err_pkt;
    struct dp_packet *inner = &inner_pkt, *err = &err_pkt;
    struct fuzz_tuple quoted;
    struct ct_exec args = {
        .dl_type = htons(v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP),
        .zone = t->zone,
        .now = now,
    };
    uint8_t want = CS_TRACKED | CS_RELATED | (reply ? CS_REPLY_DIR : 0);
    char s[3][FUZZ_TUPLE_STRLEN];

    /* An error about a packet sent to the tuple's source travels in the
     * tuple's direction. */
    fuzz_tuple_reverse(t, &quoted);
    /* Packets on the stack: probes run after every step, and allocating
     * their packets cost more than the rest of the checks. */
    dp_packet_use_stub(inner, inner_stub, sizeof inner_stub);
    dp_packet_use_stub(err, err_stub, sizeof err_stub);
    fuzz_build_into(inner, &quoted, &l4);
    fuzz_build_icmp_error_into(err, inner, v6 ? router6 : router4, 128);
    fuzz_exec1(ct, err, &args);
    if (!fuzz_tuple_cmp(&c->orig, &c->reply)) {
        /* A connection to itself (same address and port at both ends,
         * without NAT): its two directions look alike, and packets count
         * as original. */
        want &= ~CS_REPLY_DIR;
    }
    if (err->md.ct_state != want
        || !fuzz_md_orig_tuple_is(&err->md, &c->orig)) {
        char st[64];

        fuzz_state_str(err->md.ct_state, st, sizeof st);
        fuzz_fail("connection orig %s reply %s not found from its %s tuple "
                  "%s: ICMP error got ct_state %s%s",
                  fuzz_tuple_str(&c->orig, s[0]),
                  fuzz_tuple_str(&c->reply, s[1]),
                  reply ? "reply" : "original", fuzz_tuple_str(t, s[2]), st,
                  fuzz_md_orig_tuple_is(&err->md, &c->orig)
                  ? "" : " and another original tuple");
    }
    dp_packet_uninit(inner);
    dp_packet_uninit(err);
}

static int
u16_cmp(const void *a_, const void *b_)
{
    const uint16_t *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

void
fuzz_check_table(struct ct *ct, long long now, bool exact, size_t n_probes,
                 const uint16_t *zones, size_t n_zones,
                 struct fuzz_dump *dump)
{
    struct fuzz_dump local = { NULL, 0, 0 };
    struct fuzz_dump *d = dump ? dump : &local;
    uint32_t nconns = ct_get_nconns(ct);
    struct ct_stats stats;
    uint64_t zone_sum = 0;

    ct_get_stats(ct, &stats);
    if (stats.n_conns != nconns) {
        fuzz_fail("shards hold %"PRIu64" connections, the global count is "
                  "%"PRIu32, stats.n_conns, nconns);
    }

    fuzz_dump(ct, now, NULL, d);
    if (d->n > nconns || (exact && d->n != nconns)) {
        fuzz_fail("dump returned %"PRIuSIZE" connections, ct_get_nconns() "
                  "says %"PRIu32, d->n, nconns);
    }
    check_unique(d);

    /* Zone counts: of the zones given and of every zone in the dump. */
    {
        size_t n_all = n_zones + d->n;
        uint16_t *all = xmalloc((n_all + 1) * sizeof *all);
        size_t n_unique = 0;

        memcpy(all, zones, n_zones * sizeof *zones);
        for (size_t i = 0; i < d->n; i++) {
            all[n_zones + i] = d->conns[i].orig.zone;
        }
        qsort(all, n_all, sizeof *all, u16_cmp);
        for (size_t i = 0; i < n_all; i++) {
            if (!n_unique || all[n_unique - 1] != all[i]) {
                all[n_unique++] = all[i];
            }
        }
        for (size_t z = 0; z < n_unique; z++) {
            uint32_t limit, count;
            size_t n = 0;

            for (size_t i = 0; i < d->n; i++) {
                n += d->conns[i].orig.zone == all[z];
            }
            ct_zone_limit_get(ct, all[z], &limit, &count);
            zone_sum += count;
            if (n > count || (exact && n != count)) {
                fuzz_fail("zone %"PRIu16": dump has %"PRIuSIZE
                          " connections, ct_zone_limit_get() counts %"PRIu32,
                          all[z], n, count);
            }
        }
        free(all);
    }
    if (exact && zone_sum != nconns) {
        fuzz_fail("zone counts add up to %"PRIu64", ct_get_nconns() says "
                  "%"PRIu32, zone_sum, nconns);
    }

    /* Probes start where the last call's stopped, so that successive calls
     * with a bounded 'n_probes' cover the whole table. */
    if (d->n) {
        static size_t next;

        n_probes = MIN(n_probes, d->n);
        next %= d->n;
        for (size_t i = 0; i < n_probes; i++) {
            const struct fuzz_conn *c = &d->conns[(next + i) % d->n];

            probe(ct, c, false, now);
            probe(ct, c, true, now);
        }
        next += n_probes;
    }
    if (!dump) {
        fuzz_dump_destroy(&local);
    }
}
