/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_TEST_PACKETS_H
#define CTDP_CT_TEST_PACKETS_H 1

/* Packet builders for the conntrack unit tests and benchmarks.
 *
 * Every builder returns a new Ethernet + IPv4/IPv6 packet with correct
 * checksums and its l3/l4 offsets set, as miniflow_extract() would leave
 * them.  Addresses are strings ("10.0.0.1", "fd00::1"); ports and ids are
 * in host byte order. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "openvswitch/types.h"
#include "ct.h"

struct dp_packet;
struct dp_packet_batch;
struct ct;
struct ct_exec;

ovs_be32 ctt_ip4(const char *);
struct in6_addr ctt_ip6(const char *);

/* 'payload_len' zero bytes follow the L4 header. */
struct dp_packet *ctt_udp4(const char *src, const char *dst,
                           uint16_t sport, uint16_t dport);
struct dp_packet *ctt_udp6(const char *src, const char *dst,
                           uint16_t sport, uint16_t dport);
struct dp_packet *ctt_tcp4(const char *src, const char *dst,
                           uint16_t sport, uint16_t dport, uint16_t flags,
                           uint32_t seq, uint32_t ack, uint16_t win,
                           size_t payload_len);
struct dp_packet *ctt_tcp6(const char *src, const char *dst,
                           uint16_t sport, uint16_t dport, uint16_t flags,
                           uint32_t seq, uint32_t ack, uint16_t win,
                           size_t payload_len);
/* ICMP query (echo and the like): 'type', identifier 'id'. */
struct dp_packet *ctt_icmp4(const char *src, const char *dst, uint8_t type,
                            uint8_t code, uint16_t id);
struct dp_packet *ctt_icmp6(const char *src, const char *dst, uint8_t type,
                            uint8_t code, uint16_t id);
/* A generic protocol with 8 bytes of payload. */
struct dp_packet *ctt_proto4(const char *src, const char *dst, uint8_t proto);

/* ICMP error 'type'/'code' from 'src' to 'dst' quoting 'inner' (its L3
 * header and the first 'inner_l4_len' bytes of its L4 header). */
struct dp_packet *ctt_icmp4_error(const char *src, const char *dst,
                                  uint8_t type, uint8_t code,
                                  const struct dp_packet *inner,
                                  size_t inner_l4_len);
struct dp_packet *ctt_icmp6_error(const char *src, const char *dst,
                                  uint8_t type, uint8_t code,
                                  const struct dp_packet *inner,
                                  size_t inner_l4_len);

/* Builds raw: 'l4' of 'l4_len' bytes under an IP header; computes the IP
 * and (for TCP, UDP, ICMP, ICMPv6) L4 checksums. */
struct dp_packet *ctt_ip4_raw(ovs_be32 src, ovs_be32 dst, uint8_t proto,
                              const void *l4, size_t l4_len);
struct dp_packet *ctt_ip6_raw(const struct in6_addr *src,
                              const struct in6_addr *dst, uint8_t proto,
                              const void *l4, size_t l4_len);

/* Marks the packet's IP and L4 checksums as verified by offload. */
void ctt_csum_good(struct dp_packet *);

/* Whether all checksums of the packet are right: IPv4 header, L4 (TCP, UDP,
 * ICMP, ICMPv6) and, for ICMP errors, the embedded IPv4 header. */
bool ctt_csums_ok(struct dp_packet *);

/* Arguments of a plain IPv4 ct() in 'zone' at time 'now'. */
struct ct_exec ctt_args(uint16_t zone, bool commit, long long now);

/* Runs one packet through ct_execute() with 'args' and returns its
 * resulting ct_state. */
uint8_t ctt_exec1(struct ct *, struct dp_packet *, const struct ct_exec *);

/* Tuple fields of the packet as it is now. */
ovs_be32 ctt_ip4_src(const struct dp_packet *);
ovs_be32 ctt_ip4_dst(const struct dp_packet *);
uint16_t ctt_l4_sport(const struct dp_packet *);
uint16_t ctt_l4_dport(const struct dp_packet *);

/* Formats every connection of 'ct' with ct_dpif_format_entry() into a
 * sorted, newline-separated string (caller frees). */
char *ctt_dump(struct ct *, const uint16_t *zone, long long now,
               bool verbose);

#endif /* ct-test-packets.h */
