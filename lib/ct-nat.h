/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_NAT_H
#define CTDP_CT_NAT_H 1

/* NAT: choosing a translated reply tuple, and rewriting packets.
 *
 * Tuple choice
 * ============
 *
 * SNAT replaces the original sender's address and port, DNAT the original
 * receiver's (a DNAT that cannot find a free receiver port then also tries
 * other sender ports, as Open vSwitch does).  The chosen reply tuple must
 * not be in use by any other connection in either direction.
 *
 * Address: an all-zero minimum keeps the address; otherwise one of the
 * range, picked by a hash of the original source and destination addresses
 * (with CT_NAT_PERSISTENT, of the source address only, and no other address
 * is tried), then up to CT_NAT_MAX_ADDRS following addresses.
 *
 * Port (or ICMP identifier) for each address:
 *   - without a port range: the original port first; if it collides, the
 *     port class of the original (1-511, 600-1023, 1024-65535) as the range;
 *   - with a range: the original port first if it is in the range;
 *   - then a first round of up to CT_NAT_PROBES consecutive candidates from
 *     a starting point: a random one (CT_NAT_RANDOM) or a hash of the whole
 *     tuple (default and CT_NAT_HASH; a deterministic first candidate lets
 *     ct_execute() prefetch it); then CT_NAT_ROUNDS shorter rounds, the
 *     first of them (in the default mode) after the last port allocated
 *     for this address and range (the hint), the others from random
 *     points.
 * So a search probes at most a few hundred candidates however full the
 * range is; it may fail while a few ports are still free in a huge range,
 * and the caller counts that as exhaustion.
 *
 * Thread-safety: the search only reads the table (lock-free probes); the
 * caller re-checks its candidate under the shard locks.  The rewrite
 * functions touch only the packet. */

#include <stdbool.h>
#include <stdint.h>
#include "ct-tuple.h"

struct ct;
struct ct_conn;
struct ct_nat_spec;
struct dp_packet;

#define CT_NAT_MAX_ADDRS 8
#define CT_NAT_PROBES 64
#define CT_NAT_ROUNDS 3
#define CT_NAT_ROUND_PROBES 16

/* Whether 'spec' asks for a new binding (SNAT or DNAT). */
bool ct_nat_spec_binds(const struct ct_nat_spec *);

/* The candidate callback: returns true to stop the search (the candidate
 * was taken, or the caller gave up). */
typedef bool ct_nat_try_func(void *aux, const struct ct_key *reply);

/* Offers candidate reply tuples for original tuple 'orig' under 'spec' to
 * 'try' until it returns true (then returns true) or the bounded search ends
 * (returns false).  'n_probes', if nonnull, receives the number of
 * candidates offered. */
bool ct_nat_search(struct ct *, const struct ct_key *orig,
                   const struct ct_nat_spec *spec, ct_nat_try_func *try,
                   void *aux, unsigned int *n_probes);

/* Stores in 'hashes' the tuple hashes of the first (at most 'max')
 * candidates ct_nat_search() offers for 'orig' under 'spec', so that the
 * caller can prefetch their buckets.  Returns how many. */
size_t ct_nat_first_hashes(struct ct *, const struct ct_key *orig,
                           const struct ct_nat_spec *spec, uint32_t *hashes,
                           size_t max);

/* Records that 'reply' was allocated under 'spec', for the next search's
 * starting point. */
void ct_nat_commit_hint(struct ct *, const struct ct_key *reply,
                        const struct ct_nat_spec *spec);

/* Translates 'pkt', a packet of 'conn' in direction 'reply', according to
 * the connection's binding; 'related' for ICMP errors (then the embedded
 * header is translated too).  Sets no metadata. */
void ct_nat_packet(struct dp_packet *pkt, const struct ct_conn *conn,
                   bool reply, bool related);

#endif /* ct-nat.h */
