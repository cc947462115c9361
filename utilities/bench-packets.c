/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "bench-packets.h"

#include <string.h>

#include "csum.h"
#include "dp-packet.h"
#include "packets.h"
#include "util.h"

/* Space allocated for each packet: the frame plus room to spare, so that no
 * rewrite ever reallocates. */
#define BENCH_PKT_ALLOC 128

static const struct eth_addr bench_mac_client
    = ETH_ADDR_C(02, 00, 00, 00, 00, 01);
static const struct eth_addr bench_mac_server
    = ETH_ADDR_C(02, 00, 00, 00, 00, 02);

void
bench_flow_get(uint32_t i, struct bench_flow *flow)
{
    flow->src = htonl(0x0a000000 + (i & 0xffffff));
    flow->dst = htonl(0xac100001 | ((i % 250) << 8));
    flow->sport = htons(1024 + i % 60000);
    flow->dport = htons(80);
}

/* Starts a frame of flow 'i' in 'pkt' with an IPv4 header for protocol
 * 'proto' carrying 'l4_len' bytes of L4 header and payload; fills in the
 * Ethernet and IPv4 headers, the offsets and the metadata.  Stores the
 * source and destination ports, in the packet's direction, in '*sport' and
 * '*dport'.  Returns the L4 header. */
static void *
bench_packet_start(struct dp_packet *pkt, uint32_t i, bool reply,
                   uint8_t proto, size_t l4_len,
                   ovs_be16 *sport, ovs_be16 *dport)
{
    size_t ip_len = IP_HEADER_LEN + l4_len;
    size_t frame_len = ETH_HEADER_LEN + ip_len;
    struct bench_flow flow;
    struct eth_header *eth;
    struct ip_header *ip;
    uint8_t *data;

    ovs_assert(frame_len <= BENCH_FRAME_LEN);
    bench_flow_get(i, &flow);

    dp_packet_clear(pkt);
    data = dp_packet_put_zeros(pkt, BENCH_FRAME_LEN);

    eth = (struct eth_header *) data;
    eth->eth_dst = reply ? bench_mac_client : bench_mac_server;
    eth->eth_src = reply ? bench_mac_server : bench_mac_client;
    eth->eth_type = htons(ETH_TYPE_IP);

    ip = (struct ip_header *) (data + ETH_HEADER_LEN);
    ip->ip_ihl_ver = IP_IHL_VER(5, 4);
    ip->ip_tot_len = htons(ip_len);
    ip->ip_frag_off = htons(IP_DONT_FRAGMENT);
    ip->ip_ttl = 64;
    ip->ip_proto = proto;
    put_16aligned_be32(&ip->ip_src, reply ? flow.dst : flow.src);
    put_16aligned_be32(&ip->ip_dst, reply ? flow.src : flow.dst);
    ip->ip_csum = csum(ip, IP_HEADER_LEN);

    *sport = reply ? flow.dport : flow.sport;
    *dport = reply ? flow.sport : flow.dport;

    /* What miniflow_extract() and a checksum-offloading NIC leave. */
    dp_packet_reset_offsets(pkt);
    pkt->l3_ofs = ETH_HEADER_LEN;
    pkt->l4_ofs = ETH_HEADER_LEN + IP_HEADER_LEN;
    dp_packet_set_l2_pad_size(pkt, BENCH_FRAME_LEN - frame_len);
    pkt->packet_type = htonl(PT_ETH);
    *dp_packet_ol_flags_ptr(pkt) = (DP_PACKET_OL_RX_IP_CKSUM_GOOD
                                    | DP_PACKET_OL_RX_L4_CKSUM_GOOD);
    pkt_metadata_init(&pkt->md, u32_to_odp(1));

    return data + ETH_HEADER_LEN + IP_HEADER_LEN;
}

/* Returns the L4 checksum of 'len' bytes at 'l4' for 'pkt''s IPv4 header. */
static ovs_be16
bench_l4_csum(const struct dp_packet *pkt, const void *l4, size_t len)
{
    const struct ip_header *ip = dp_packet_l3(pkt);
    ovs_be16 sum;

    sum = csum_finish(csum_continue(packet_csum_pseudoheader(ip), l4, len));
    return sum ? sum : htons(0xffff);
}

void
bench_packet_udp(struct dp_packet *pkt, uint32_t i, bool reply)
{
    /* UDP payload that makes the frame exactly 60 bytes long. */
    enum { UDP_LEN = BENCH_FRAME_LEN - ETH_HEADER_LEN - IP_HEADER_LEN };
    struct udp_header *udp;
    ovs_be16 sport, dport;

    udp = bench_packet_start(pkt, i, reply, IPPROTO_UDP, UDP_LEN,
                             &sport, &dport);
    udp->udp_src = sport;
    udp->udp_dst = dport;
    udp->udp_len = htons(UDP_LEN);
    udp->udp_csum = bench_l4_csum(pkt, udp, UDP_LEN);
}

void
bench_packet_tcp(struct dp_packet *pkt, uint32_t i,
                 const struct bench_tcp_seg *seg)
{
    size_t len = TCP_HEADER_LEN + seg->payload;
    struct tcp_header *tcp;
    ovs_be16 sport, dport;
    uint8_t *payload;

    tcp = bench_packet_start(pkt, i, seg->reply, IPPROTO_TCP, len,
                             &sport, &dport);
    tcp->tcp_src = sport;
    tcp->tcp_dst = dport;
    put_16aligned_be32(&tcp->tcp_seq, htonl(seg->seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(seg->ack));
    tcp->tcp_ctl = TCP_CTL(seg->flags, TCP_HEADER_LEN / 4);
    tcp->tcp_winsz = htons(65535);
    payload = (uint8_t *) (tcp + 1);
    memset(payload, 'x', seg->payload);
    tcp->tcp_csum = bench_l4_csum(pkt, tcp, len);
}

void
bench_packet_get_src(const struct dp_packet *pkt,
                     ovs_be32 *addr, ovs_be16 *port)
{
    const struct ip_header *ip = dp_packet_l3(pkt);
    const struct udp_header *l4 = dp_packet_l4(pkt);

    /* The source port is the first field of both UDP and TCP headers. */
    *addr = get_16aligned_be32(&ip->ip_src);
    *port = l4->udp_src;
}

void
bench_pool_init(struct bench_pool *pool, size_t n_batches)
{
    pool->n_batches = n_batches;
    pool->batches = xcalloc(n_batches, sizeof *pool->batches);
    for (size_t b = 0; b < n_batches; b++) {
        struct dp_packet_batch *batch = &pool->batches[b];

        dp_packet_batch_init(batch);
        for (size_t p = 0; p < BENCH_BATCH; p++) {
            struct dp_packet *pkt = dp_packet_new(BENCH_PKT_ALLOC);

            bench_packet_udp(pkt, 0, false);
            dp_packet_batch_add(batch, pkt);
        }
    }
}

void
bench_pool_destroy(struct bench_pool *pool)
{
    if (pool->batches) {
        for (size_t b = 0; b < pool->n_batches; b++) {
            dp_packet_delete_batch(&pool->batches[b], true);
        }
        free(pool->batches);
        pool->batches = NULL;
    }
}
