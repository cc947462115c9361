/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef BENCH_PACKETS_H
#define BENCH_PACKETS_H 1

/* Packets of the engine benchmarks (ctdp-bench).
 *
 * Every packet is a 60-byte Ethernet + IPv4 + UDP or TCP frame of flow 'i'
 * of the workload definitions in ctdp-bench(1):
 *
 *     src   = 10.0.0.0 + (i & 0xffffff)     sport = 1024 + i % 60000
 *     dst   = 172.16.(i % 250).1            dport = 80
 *
 * A packet is written the way a NIC with checksum offload hands it to a
 * userspace datapath: valid IPv4 and L4 checksums, the offload flags saying
 * both were verified, the L3 and L4 offsets set as miniflow_extract() sets
 * them (including the Ethernet padding of short TCP segments), and fresh
 * packet metadata (pkt_metadata_init()).  Rewriting a packet with these
 * functions therefore undoes whatever a previous conntrack call did to it
 * (NAT rewrites, ct_state, cached connection).
 *
 * A 'struct bench_pool' is a set of batches of BENCH_BATCH packets each,
 * allocated once and rewritten before every use.
 *
 * Thread-safety: the functions keep no state; a pool belongs to one thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct dp_packet;
struct dp_packet_batch;

/* Packets per batch, as a userspace datapath receives them. */
#define BENCH_BATCH 32

/* Frame length of every benchmark packet, without FCS. */
#define BENCH_FRAME_LEN 60

/* The addresses and ports of one flow, in network byte order, in its
 * original direction. */
struct bench_flow {
    ovs_be32 src;
    ovs_be32 dst;
    ovs_be16 sport;
    ovs_be16 dport;
};

void bench_flow_get(uint32_t i, struct bench_flow *);

/* Writes a UDP packet of flow 'i' into 'pkt': in the original direction, or
 * the reply (addresses and ports swapped) if 'reply'. */
void bench_packet_udp(struct dp_packet *pkt, uint32_t i, bool reply);

/* One TCP segment of a connection. */
struct bench_tcp_seg {
    bool reply;                 /* Sent by the server. */
    uint16_t flags;             /* TCP_SYN, TCP_ACK, ... */
    uint32_t seq;
    uint32_t ack;
    uint16_t payload;           /* Payload bytes: 0 or BENCH_TCP_PAYLOAD. */
};

/* Payload bytes of a data segment: what fills a 60-byte frame. */
#define BENCH_TCP_PAYLOAD 6

/* Writes TCP segment 'seg' of flow 'i' into 'pkt'. */
void bench_packet_tcp(struct dp_packet *pkt, uint32_t i,
                      const struct bench_tcp_seg *seg);

/* Reads back the (possibly NATed) source of 'pkt' as written above. */
void bench_packet_get_src(const struct dp_packet *pkt,
                          ovs_be32 *addr, ovs_be16 *port);

/* A set of batches, each of BENCH_BATCH packets. */
struct bench_pool {
    struct dp_packet_batch *batches;
    size_t n_batches;
};

void bench_pool_init(struct bench_pool *, size_t n_batches);
void bench_pool_destroy(struct bench_pool *);

#endif /* bench-packets.h */
