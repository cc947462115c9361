/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_FUZZ_UTIL_H
#define CTDP_FUZZ_UTIL_H 1

/* Helpers shared by the conntrack fuzz harnesses (fuzz-ct-packet.c and
 * fuzz-ct-ops.c): an input reader, packet construction and parsing as the
 * datapath does it, checksum and ct_state checks, and the table invariants
 * that hold whatever the traffic was.
 *
 * Every check that fails calls fuzz_fail(), which prints what was violated
 * and abort()s, so that libFuzzer records the input as a crash.
 *
 * Thread-safety: none; the harnesses are single-threaded. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ct-dpif.h"
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"

struct ct;
struct dp_packet;

/* Prints "ct fuzz: invariant violated: ..." and aborts. */
void fuzz_fail(const char *format, ...)
    OVS_PRINTF_FORMAT(1, 2) OVS_NO_RETURN;

/* One-time process set-up: silences logging and fixes the random seed, so
 * that the engine's hash basis and NAT choices depend on the input only. */
void fuzz_init(void);

/* Sequential reader of the fuzz input.  Reading past the end yields zeros,
 * so that every input decodes to something. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

uint8_t fuzz_u8(struct fuzz_in *);
uint16_t fuzz_u16(struct fuzz_in *);
uint32_t fuzz_u32(struct fuzz_in *);
void fuzz_bytes(struct fuzz_in *, void *, size_t);
static inline bool
fuzz_empty(const struct fuzz_in *in)
{
    return !in->n;
}

/* Copies 'n' bytes into a packet whose buffer is exactly that long (so that
 * AddressSanitizer sees any read past the frame), then sets its offsets and
 * l2 padding with miniflow_extract(), as the datapath does on receive.
 * Stores the frame's Ethernet type (after VLAN tags) in '*dl_type' if
 * nonnull. */
struct dp_packet *fuzz_packet(const void *frame, size_t n, ovs_be16 *dl_type);

/* Re-runs miniflow_extract() on 'pkt', as a recirculation does. */
void fuzz_reparse(struct dp_packet *pkt, ovs_be16 *dl_type);

/* Checksums of a packet as it is now.  "ok" fields are true when the
 * checksum is right or when the packet has no such checksum. */
struct fuzz_csums {
    bool ip4_ok;        /* Outer IPv4 header checksum. */
    bool l4_ok;         /* TCP, UDP, SCTP, ICMP or ICMPv6 checksum. */
    bool inner_ip4_ok;  /* IPv4 header quoted by an ICMPv4 error. */
};
void fuzz_csums_get(struct dp_packet *, struct fuzz_csums *);

/* Aborts if a checksum that was right in 'before' is wrong in 'after'. */
void fuzz_csums_check(const struct fuzz_csums *before,
                      const struct fuzz_csums *after, const char *where);

/* Aborts unless 'pkt''s conntrack metadata is a combination that
 * ct_execute() may produce for a packet it tracked in 'zone':
 * +trk always; at most one of +new, +est and +inv; +inv never with +rel or
 * +rpl; +rpl only with +est or +rel; +rel never with +new; at most one of
 * +snat and +dnat; 'ct_zone' equal to 'zone'. */
void fuzz_check_ct_state(const struct dp_packet *pkt, uint16_t zone,
                         const char *where);

/* Formats ct_state 'st' as "+trk+new..." into 'buf'. */
const char *fuzz_state_str(uint8_t st, char *buf, size_t size);

/* A connection's tuple in one canonical, comparable form. */
struct fuzz_tuple {
    uint16_t zone;
    uint16_t l3_type;           /* AF_INET or AF_INET6. */
    uint8_t proto;
    uint8_t icmp_type;          /* ICMP/ICMPv6 only. */
    uint8_t pad[2];
    uint8_t src[16];
    uint8_t dst[16];
    ovs_be16 sport;             /* ICMP: the identifier in both ports. */
    ovs_be16 dport;
};

void fuzz_tuple_from_dpif(const struct ct_dpif_tuple *, uint16_t zone,
                          struct fuzz_tuple *);
void fuzz_tuple_to_dpif(const struct fuzz_tuple *, struct ct_dpif_tuple *);
void fuzz_tuple_reverse(const struct fuzz_tuple *, struct fuzz_tuple *);
int fuzz_tuple_cmp(const struct fuzz_tuple *, const struct fuzz_tuple *);
bool fuzz_tuple_is_icmp(const struct fuzz_tuple *);
/* Formats 't' into 'buf' (at least FUZZ_TUPLE_STRLEN bytes) for messages. */
#define FUZZ_TUPLE_STRLEN 160
const char *fuzz_tuple_str(const struct fuzz_tuple *t, char *buf);

/* The reverse ICMP/ICMPv6 query type ('type' itself if none). */
uint8_t fuzz_icmp_reverse_type(bool v6, uint8_t type);

/* Builds the Ethernet frame of a packet with tuple 't' (TCP, UDP, SCTP,
 * ICMP query or a generic protocol with 8 bytes of payload), every checksum
 * right, and parses it like fuzz_packet().  What 'l4' gives beyond the
 * tuple: */
struct fuzz_l4 {
    uint16_t tcp_flags;         /* TCP: TCP_* flags, */
    uint32_t seq, ack;          /* sequence and acknowledgement numbers, */
    uint16_t win;               /* window. */
    uint16_t payload;           /* TCP, UDP: zero bytes of payload. */
    uint32_t sctp_vtag;         /* SCTP: verification tag, */
    uint8_t sctp_chunk;         /* type of the (only) chunk, */
    uint32_t sctp_itag;         /* initiate tag (INIT, INIT ACK). */
};
struct dp_packet *fuzz_build(const struct fuzz_tuple *t,
                             const struct fuzz_l4 *l4);

/* Room for any packet fuzz_build() or fuzz_build_icmp_error() makes
 * (Ethernet, IPv6, TCP, 1400 bytes of payload), for callers that keep
 * packets in stubs of their own. */
#define FUZZ_PKT_STUB 1536

/* fuzz_build() and fuzz_build_icmp_error() into an existing packet 'pkt',
 * whose previous contents are discarded. */
void fuzz_build_into(struct dp_packet *pkt, const struct fuzz_tuple *t,
                     const struct fuzz_l4 *l4);

/* Builds an ICMP (IPv4) or ICMPv6 error from 'router' quoting the first
 * 'quote' bytes (or all, if fewer) of the L3 packet of 'inner', whose
 * source it is sent to.  'router' is 4 or 16 bytes as 'inner''s family. */
struct dp_packet *fuzz_build_icmp_error(const struct dp_packet *inner,
                                        const uint8_t *router, size_t quote);
void fuzz_build_icmp_error_into(struct dp_packet *pkt,
                                const struct dp_packet *inner,
                                const uint8_t *router, size_t quote);

/* Extracts the tuple that 'pkt' (built by fuzz_build() or
 * fuzz_build_icmp_error()'s outer header, not an error) carries now, with
 * 'zone'.  Returns false if it is not a packet of those kinds. */
bool fuzz_packet_tuple(const struct dp_packet *pkt, uint16_t zone,
                       struct fuzz_tuple *t);
/* The same for the packet quoted by the ICMP error 'pkt'. */
bool fuzz_packet_inner_tuple(const struct dp_packet *pkt, uint16_t zone,
                             struct fuzz_tuple *t);

/* Whether 'md''s original-direction tuple is 'orig' (for ICMP, which
 * leaves the identifier out of it: its addresses and type). */
struct pkt_metadata;
bool fuzz_md_orig_tuple_is(const struct pkt_metadata *md,
                           const struct fuzz_tuple *orig);

/* All connections of 'ct' that a dump at 'now' returns, as tuples. */
struct fuzz_conn {
    struct fuzz_tuple orig;
    struct fuzz_tuple reply;
    uint32_t mark;
    ovs_u128 label;
    uint32_t timeout;
};
struct fuzz_dump {
    struct fuzz_conn *conns;
    size_t n, allocated;
};
void fuzz_dump(struct ct *, long long now, const uint16_t *zone,
               struct fuzz_dump *);
void fuzz_dump_destroy(struct fuzz_dump *);

/* Checks the invariants of a table that no other thread touches, from its
 * dump at 'now':
 *   - the sum of the shard counts equals ct_get_nconns();
 *   - the dump has at most ct_get_nconns() entries, exactly as many if
 *     'exact' (no connection expired but not yet removed);
 *   - the tuples of different connections all differ within a zone (both
 *     original and reply tuples, so NAT never hands out a tuple twice);
 *   - for each of the 'n_zones' zones in 'zones' and each zone of the
 *     dump, ct_zone_limit_get()'s count is at least the number of entries
 *     of the zone, exactly that if 'exact', and then the counts add up to
 *     ct_get_nconns() (so 'zones' must name every zone that may hold
 *     expired connections);
 *   - 'n_probes' connections (all of them, if fewer; each call starts
 *     where the previous one stopped) are found from both of their tuples:
 *     an ICMP error quoting a packet sent to each tuple's source is +rel,
 *     with +rpl exactly for the reply tuple, and carries the connection's
 *     original tuple in its metadata.  The probes commit nothing and leave
 *     the connections' state and expiration alone.
 * Returns the dump in 'dump' if nonnull. */
void fuzz_check_table(struct ct *, long long now, bool exact, size_t n_probes,
                      const uint16_t *zones, size_t n_zones,
                      struct fuzz_dump *dump);

/* Sends 'pkt' through ct_execute() as a batch of one with 'args'. */
struct ct_exec;
void fuzz_exec1(struct ct *, struct dp_packet *, const struct ct_exec *);

#endif /* fuzz-util.h */
