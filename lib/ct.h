/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_H
#define CTDP_CT_H 1

/* ctdp connection tracker: the public interface of the engine.
 *
 * The engine tracks IPv4 and IPv6 connections (TCP with window tracking,
 * UDP, ICMP/ICMPv6 including related errors, SCTP, and any other protocol
 * generically), keyed by 5-tuple and 16-bit zone, and performs source and
 * destination NAT.  It knows packets only as 'struct dp_packet's whose l3 and
 * l4 offsets have been set (by miniflow_extract() or by hand) and whose
 * metadata it reads and writes; it knows nothing of dpif or OpenFlow.
 *
 * The semantics of ct_execute() are those of Open vSwitch 3.1's userspace
 * conntrack (conntrack_execute()), which users of ct() in OpenFlow rely on:
 *
 *   - Every packet leaves with 'md->ct_state' including CS_TRACKED, plus
 *     exactly one of CS_NEW / CS_ESTABLISHED / CS_INVALID (CS_RELATED may
 *     accompany CS_NEW or CS_ESTABLISHED for ICMP errors), CS_REPLY_DIR for
 *     the reply direction, and CS_SRC_NAT / CS_DST_NAT when the connection
 *     is NATed.
 *   - A packet of an unknown connection without 'commit' is +new and creates
 *     no state.  'commit' creates the connection.  'force' on a packet seen
 *     in the reply direction of an existing connection ends that connection
 *     and, with 'commit', starts a new one in this packet's direction.
 *   - 'set_mark' / 'set_label' are applied only to committed connections.
 *   - After the call, 'md->ct_zone', 'md->ct_mark', 'md->ct_label' and the
 *     original-direction tuple ('md->ct_orig_tuple', 'md->ct_orig_tuple_ipv6')
 *     describe the packet's connection, exactly as OVS fills them.
 *   - With a NAT spec, the packet is rewritten in place (addresses, ports,
 *     ICMP ids, and the inner header of related ICMP errors), with
 *     incremental checksum updates.
 *   - 'md->conn' (cast to the engine's connection type) and 'md->reply' are
 *     set so that a recirculated packet in the same batch processing can
 *     reuse the lookup; ct_execute() validates the cached handle (zone,
 *     direction, liveness) before using it.  The handle is valid only inside
 *     the current RCU grace period.
 *
 * Thread-safety
 * =============
 *
 * All functions may be called concurrently from any number of threads on the
 * same 'struct ct', except ct_create() and ct_destroy().  Lookups of existing
 * connections take no lock shared between shards.  Insertion, removal, NAT
 * port search, dump, flush and sweep take only per-shard locks, bounded work
 * at a time.  Threads that call ct_execute() must be registered with
 * ovs-rcu (every OVS thread is) and quiesce periodically.
 *
 * Time is always passed in by the caller in milliseconds from time_msec(),
 * so that 'ovs-appctl time/warp' drives expiry in tests.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "openvswitch/types.h"

struct dp_packet;
struct dp_packet_batch;
struct ct_dpif_entry;
struct ct_dpif_tuple;
struct ct_dpif_timeout_policy;
struct ds;

struct ct;

/* Creation and configuration. */
struct ct_config {
    uint32_t max_conns;   /* Global connection limit; 0 = default (3M). */
    unsigned int n_shards;  /* Power of two; 0 = chosen from 'max_conns'. */
};

struct ct *ct_create(const struct ct_config *);
void ct_destroy(struct ct *);   /* NULL is a no-op. */

/* NAT specification of one ct() action. */
enum ct_nat_flags {
    CT_NAT_SRC        = 1 << 0,   /* Source NAT. */
    CT_NAT_DST        = 1 << 1,   /* Destination NAT. */
    CT_NAT_RANDOM     = 1 << 2,   /* Fully random port choice. */
    CT_NAT_HASH       = 1 << 3,   /* Port choice seeded by a tuple hash. */
    CT_NAT_PERSISTENT = 1 << 4,   /* Same address for a source across conns. */
};

union ct_nat_addr {
    ovs_be32 ipv4;
    struct in6_addr ipv6;
};

/* 'flags' with neither CT_NAT_SRC nor CT_NAT_DST means "nat" without
 * arguments: packets of existing connections are translated according to
 * the connection's binding, and no new binding is ever created.
 *
 * With CT_NAT_SRC or CT_NAT_DST, an all-zero 'min_addr' means "keep the
 * address" (only ports are translated).  'min_port' == 0 means "keep the
 * port unless it collides", which is also how an all-zero SNAT resolves
 * reply-tuple collisions (OVS's CONNTRACK_F_ZERO_SNAT). */
struct ct_nat_spec {
    uint16_t flags;               /* CT_NAT_*. */
    union ct_nat_addr min_addr;   /* Inclusive range, network byte order. */
    union ct_nat_addr max_addr;
    uint16_t min_port;            /* Inclusive range, host byte order. */
    uint16_t max_port;
};

/* Arguments of one ct() action, applied to a whole batch. */
struct ct_exec {
    ovs_be16 dl_type;             /* htons(ETH_TYPE_IP) or ETH_TYPE_IPV6. */
    uint16_t zone;
    bool commit;
    bool force;
    const uint32_t *set_mark;     /* NULL, or { value, mask }. */
    const ovs_u128 *set_label;    /* NULL, or { value, mask }. */
    const struct ct_nat_spec *nat;  /* NULL: no NAT. */
    uint32_t tp_id;               /* Timeout policy id; 0 = defaults. */
    long long now;                /* time_msec(). */
};

/* Tracks every packet in 'batch' as described at the top of this file.
 * Packets whose 'dl_type' differs from 'args->dl_type', that are not IP, or
 * that are malformed come out with CS_TRACKED | CS_INVALID (and the invalid
 * counter incremented); none is ever dropped from the batch. */
void ct_execute(struct ct *, struct dp_packet_batch *batch,
                const struct ct_exec *args);

/* Clears all conntrack metadata of 'packet' (the ct_clear action). */
void ct_clear_packet(struct dp_packet *packet);

/* Limits.  Zone limits apply to connections committed in that zone;
 * CT_ZONE_DEFAULT sets the limit used by zones without their own. */
#define CT_ZONE_DEFAULT (-1)
int ct_set_maxconns(struct ct *, uint32_t max_conns);
uint32_t ct_get_maxconns(const struct ct *);
uint32_t ct_get_nconns(const struct ct *);
int ct_zone_limit_set(struct ct *, int32_t zone, uint32_t limit);
int ct_zone_limit_del(struct ct *, int32_t zone);
/* Stores the limit in effect for 'zone' (0 = unlimited) and its live count. */
void ct_zone_limit_get(const struct ct *, int32_t zone,
                       uint32_t *limit, uint32_t *count);

/* TCP sequence-number checking (on by default, like OVS). */
void ct_set_tcp_seq_chk(struct ct *, bool enabled);
bool ct_get_tcp_seq_chk(const struct ct *);

/* Per-connection accounting (off by default, like Linux's nf_conntrack_acct
 * and nf_conntrack_timestamp together).  Connections created while it is on
 * count the packets and bytes that pass their tracking in each direction
 * (bytes: the IP datagram, header included, without link-layer framing or
 * padding, as Linux counts them), and keep their creation time; a dump
 * reports both in 'counters_orig', 'counters_reply' and 'timestamp.start'
 * (wall-clock nanoseconds).  Switching it affects only connections created
 * afterwards.  Not counted: packets found invalid, ICMP errors related to a
 * connection, and a second ct() in the same zone that reuses the lookup of
 * the first (the kernel datapath also tracks such a packet once).  A
 * connection restored from a file starts counting from zero, created at
 * the restore, if accounting is on then. */
void ct_set_acct(struct ct *, bool enabled);
bool ct_get_acct(const struct ct *);

/* Timeout policies.  A policy applies to connections created by a ct()
 * action whose 'tp_id' names it; attributes absent from 'present' keep
 * their default.  Defaults equal OVS 3.1's. */
int ct_timeout_policy_set(struct ct *, const struct ct_dpif_timeout_policy *);
int ct_timeout_policy_get(const struct ct *, uint32_t tp_id,
                          struct ct_dpif_timeout_policy *);
int ct_timeout_policy_del(struct ct *, uint32_t tp_id);

/* Expiry.  Sweeps up to 'budget' connections, removing those expired at
 * 'now'.  Returns the number of milliseconds after which the caller should
 * sweep again (adaptive: sooner when much expired; a full traversal of the
 * table never takes longer than a bounded time).  Lookups also reap
 * expired connections opportunistically; an expired connection is never
 * returned by a lookup. */
long long ct_sweep(struct ct *, long long now, size_t budget);

/* Dump.  Iterates safely while traffic flows; each connection is reported
 * at most once per dump.  Entries use OVS's struct ct_dpif_entry so that
 * ct_dpif_format_entry() prints exactly what OVS prints.  Connections
 * expired at 'now' are left out (LLONG_MIN: none is); timeouts are reported
 * as what remains at 'now'. */
struct ct_dump;
struct ct_dump *ct_dump_start(struct ct *, const uint16_t *zone, long long now);
/* Returns 0 and fills 'entry', or EOF when done. */
int ct_dump_next(struct ct_dump *, struct ct_dpif_entry *entry);
void ct_dump_done(struct ct_dump *);

/* Flush: all connections, those of '*zone', or the one whose original or
 * reply tuple equals 'tuple' in 'zone'.  Returns 0, or ENOENT for a tuple
 * that matches nothing, or EINVAL for a malformed tuple. */
int ct_flush(struct ct *, const uint16_t *zone);
int ct_flush_tuple(struct ct *, const struct ct_dpif_tuple *tuple,
                   uint16_t zone);

/* Statistics, summed over shards when read. */
struct ct_stats {
    uint64_t n_conns;           /* Live connections. */
    uint64_t found;             /* Packets of known connections. */
    uint64_t new_conns;         /* Connections committed. */
    uint64_t invalid;           /* Packets marked +inv. */
    uint64_t insert_races;      /* Inserts that lost a race to another. */
    uint64_t early_drops;       /* Conns evicted to make room. */
    uint64_t limit_drops;       /* Commits refused: table or zone full. */
    uint64_t nat_exhausted;     /* NAT bindings that found no free tuple. */
    uint64_t expired;           /* Conns removed by expiry. */
};
void ct_get_stats(const struct ct *, struct ct_stats *);

/* Introspection for 'ovs-appctl ctdp/show' and 'dpctl/ct-bkts': appends a
 * human-readable description of per-shard occupancy and counters. */
void ct_format_shards(const struct ct *, struct ds *);
unsigned int ct_n_shards(const struct ct *);
/* Stores in 'counts[i]' the number of connections in shard 'i'. */
void ct_shard_counts(const struct ct *, uint32_t *counts, unsigned int n);

/* Persistence across restarts (lib/ct-persist.h documents the file format
 * and the details).  ct_save() atomically writes every live connection to
 * 'path'; ct_restore() inserts the connections of such a file, with
 * expiration 'now' + their remaining time.  Both return 0 or a positive
 * errno value and append a message to 'err' (may be NULL).  ct_restore()
 * validates the whole file first: ENOENT (missing), EINVAL (empty,
 * truncated or corrupt) and ENOTSUP (unknown version) leave the table
 * without any of the file's connections; ENOSPC means a valid file some of
 * whose connections were refused by the table or zone limits or because
 * their tuple was taken, the rest being restored. */
int ct_save(struct ct *, const char *path, long long now, struct ds *err);
int ct_restore(struct ct *, const char *path, long long now, struct ds *err);

#endif /* ct.h */
