/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_TUPLE_H
#define CTDP_CT_TUPLE_H 1

/* Connection tuples: extraction from packets, hashing, reversal.
 *
 * A tuple names one direction of a connection: addresses, L4 "ports",
 * protocol and zone.  IPv4 tuples take 16 bytes and IPv6 tuples 40, so that
 * connections store them inline and compare them with a few word compares.
 *
 * ICMP and ICMPv6 echo-like messages (echo, timestamp, information) keep the
 * identifier in both 'sport' and 'dport' and the type sent by 'src' in
 * 'icmp_type'; the reverse tuple carries the matching reply type.  The code
 * of such messages is always 0 (others are invalid).  Every other protocol
 * keeps 'icmp_type' 0, and protocols without ports keep both ports 0.
 *
 * Hashes are symmetric: a tuple and its reverse hash the same, so that both
 * directions of a connection without NAT live in one hash chain and need a
 * single table node.  They are keyed by a random basis per table.
 *
 * Thread-safety: all functions are pure or only touch the packet they are
 * given. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include "openvswitch/types.h"
#include "util.h"

struct dp_packet;
struct ct_dpif_tuple;
struct pkt_metadata;

struct ct_tuple4 {
    ovs_be32 src;
    ovs_be32 dst;
    ovs_be16 sport;         /* Port, or ICMP identifier. */
    ovs_be16 dport;         /* Port, or ICMP identifier. */
    uint16_t zone;
    uint8_t proto;
    uint8_t icmp_type;      /* ICMP type sent by 'src', otherwise 0. */
};
BUILD_ASSERT_DECL(sizeof(struct ct_tuple4) == 16);

struct ct_tuple6 {
    struct in6_addr src;
    struct in6_addr dst;
    ovs_be16 sport;
    ovs_be16 dport;
    uint16_t zone;
    uint8_t proto;
    uint8_t icmp_type;
};
BUILD_ASSERT_DECL(sizeof(struct ct_tuple6) == 40);

/* A tuple of either family. */
struct ct_key {
    union {
        struct ct_tuple4 t4;
        struct ct_tuple6 t6;
    };
    bool v6;
};

/* What ct_tuple_extract() learned from a packet. */
struct ct_pkt {
    struct ct_key key;      /* The packet's tuple (for an ICMP error: the
                             * reverse of the tuple of the embedded header,
                             * that is the connection's tuple in the
                             * direction opposite to the embedded packet). */
    struct ct_key rkey;     /* Reverse of 'key'. */
    uint32_t hash;          /* ct_key_hash('key'). */
    bool related;           /* ICMP error about another connection. */
    void *l3;               /* Outer L3 header. */
    void *l4;               /* Outer L4 header. */
    size_t l4_len;          /* Bytes of L4 header and payload present. */
};

/* Parses the L3 and L4 headers of 'pkt' (whose l3 and l4 offsets must be
 * set) as 'dl_type' and fills 'p' for 'zone'.  Validates lengths, IPv4
 * header and L4 checksums (unless the packet's offload flags mark them good)
 * and protocol specifics.  Returns false for anything that cannot be
 * tracked: the packet is then invalid.  'basis' seeds the hash. */
bool ct_tuple_extract(struct dp_packet *pkt, ovs_be16 dl_type, uint16_t zone,
                      uint32_t basis, struct ct_pkt *p);

uint32_t ct_key_hash(const struct ct_key *, uint32_t basis);
void ct_key_reverse(struct ct_key *dst, const struct ct_key *src);
bool ct_key_equal(const struct ct_key *, const struct ct_key *);
uint8_t ct_icmp_reverse_type(bool v6, uint8_t type);
bool ct_proto_is_icmp(bool v6, uint8_t proto);

static inline bool
ct_tuple4_equal(const struct ct_tuple4 *a, const struct ct_tuple4 *b)
{
    uint64_t a0, a1, b0, b1;

    memcpy(&a0, a, 8);
    memcpy(&a1, (const char *) a + 8, 8);
    memcpy(&b0, b, 8);
    memcpy(&b1, (const char *) b + 8, 8);
    return !((a0 ^ b0) | (a1 ^ b1));
}

static inline bool
ct_tuple6_equal(const struct ct_tuple6 *a, const struct ct_tuple6 *b)
{
    return !memcmp(a, b, sizeof *a);
}

/* Conversions to and from Open vSwitch's dpif tuples.  Returns false from
 * ct_key_from_dpif() for a tuple that names no trackable connection. */
void ct_key_to_dpif(const struct ct_key *, struct ct_dpif_tuple *);
bool ct_key_from_dpif(const struct ct_dpif_tuple *, uint16_t zone,
                      struct ct_key *);

/* Stores 'key' (or zeros, if 'key' is NULL) as the packet's original
 * direction tuple in 'md', in the form Open vSwitch uses. */
void ct_key_to_md(const struct ct_key *key, struct pkt_metadata *md);

/* Builds the key that 'md''s original-direction tuple describes, for
 * protocol and identifiers as in 'pkt_key'.  Returns false if 'md' holds
 * none. */
bool ct_key_from_md(const struct pkt_metadata *md,
                    const struct ct_key *pkt_key, struct ct_key *key);

#endif /* ct-tuple.h */
