/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_PRIVATE_H
#define CTDP_CT_PRIVATE_H 1

/* The engine's internal state, shared by ct.c, ct-nat.c, ct-dump.c and
 * ct-expire.c (and read by the unit tests).
 *
 * Counters
 * ========
 *
 * Hot counters are kept per shard and per "slot": a thread adds to the slot
 * of its ovs thread id, so that two threads never share a cache line.  One
 * (slot, shard) pair holds CT_N_COUNTERS 64-bit counters: exactly one cache
 * line.  Readers sum all slots.
 *
 * A slot belongs to one thread as long as no more than CT_N_SLOTS threads
 * run ct_execute() (ovs thread ids are small consecutive integers), so a
 * relaxed load and store suffice: no locked read-modify-write on the
 * packet path.  Threads beyond that share slots and may lose an increment
 * now and then; the counters are statistics, never decisions. */

#include "ct.h"
#include "ct-conn.h"
#include "ct-shard.h"
#include "ct-timeout.h"
#include "ct-zone.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"

enum ct_counter {
    CT_CTR_FOUND,
    CT_CTR_NEW,
    CT_CTR_INVALID,
    CT_CTR_INSERT_RACE,
    CT_CTR_EARLY_DROP,
    CT_CTR_LIMIT_DROP,
    CT_CTR_NAT_EXHAUSTED,
    CT_CTR_EXPIRED,
    CT_N_COUNTERS
};
BUILD_ASSERT_DECL(CT_N_COUNTERS * 8 == CACHE_LINE_SIZE);

#define CT_N_SLOTS 16
#define CT_NAT_HINTS 1024

struct ct {
    /* Immutable after ct_create(). */
    uint32_t hash_basis;
    unsigned int n_shards;
    struct ct_shard *shards;
    atomic_uint64_t *counters;      /* CT_N_SLOTS * n_shards lines. */
    struct ct_arena arena;          /* Slab memory, own mutex. */
    struct ct_bucket_pool buckets;  /* Bucket arrays, own mutex. */

    struct ct_zones zones;          /* Atomics. */
    struct ct_timeouts timeouts;    /* Own mutex + RCU. */
    atomic_bool tcp_seq_chk;
    atomic_bool acct;               /* New connections keep counters. */
    atomic_bool labels_used;        /* A label was ever set (ct_destroy()
                                     * then frees them one by one). */

    /* Port search hints of NAT, indexed by a hash of the translated
     * address and range: where the last search ended.  Racy by design
     * (any value is a valid starting point). */
    atomic_uint16_t nat_hints[CT_NAT_HINTS];

    /* Expiry: guarded by 'sweep_mutex'. */
    struct ovs_mutex sweep_mutex;
    unsigned int sweep_shard OVS_GUARDED;
    uint32_t sweep_cursor OVS_GUARDED;
    long long sweep_interval OVS_GUARDED;
};

static inline struct ct_shard *
ct_shard_of(const struct ct *ct, uint32_t hash)
{
    /* The top bits pick the shard; the low bits pick the bucket within. */
    return &ct->shards[((uint64_t) hash * ct->n_shards) >> 32];
}

static inline void
ct_count(struct ct *ct, const struct ct_shard *shard, enum ct_counter c,
         uint64_t n)
{
    unsigned int slot = ovsthread_id_self() & (CT_N_SLOTS - 1);
    atomic_uint64_t *p = &ct->counters[((size_t) slot * ct->n_shards
                                        + shard->idx) * CT_N_COUNTERS + c];
    uint64_t v;

    /* Owner-thread slot: see "Counters" above. */
    atomic_read_relaxed(p, &v);
    atomic_store_relaxed(p, v + n);
}

uint64_t ct_counter_sum(const struct ct *, enum ct_counter);
uint64_t ct_counter_shard(const struct ct *, unsigned int shard,
                          enum ct_counter);

/* The shard that holds 'conn''s original node, and the one that holds its
 * reply node (the same shard if it has none). */
struct ct_shard *ct_conn_shard(const struct ct *, const struct ct_conn *);
struct ct_shard *ct_conn_reply_shard(const struct ct *,
                                     const struct ct_conn *);

/* Removes 'conn' from the table unless it is already dead; returns true if
 * this call removed it.  Takes the connection's shard locks. */
bool ct_conn_remove(struct ct *, struct ct_conn *conn);
/* Same with both of 'conn''s shard mutexes held ('a' = ct_conn_shard(),
 * 'b' = ct_conn_reply_shard()). */
bool ct_conn_remove_locked(struct ct *, struct ct_conn *conn,
                           struct ct_shard *a, struct ct_shard *b)
    OVS_REQUIRES(a->mutex, b->mutex);

/* Early drop: tries to evict one connection that never saw a reply from
 * 'shard' (whose mutex the caller holds), preferring zone 'zone' if
 * 'zone_only'.  Returns true if one was evicted. */
bool ct_early_drop(struct ct *, struct ct_shard *shard, bool zone_only,
                   uint16_t zone, long long now)
    OVS_REQUIRES(shard->mutex);

/* Shared by the dump, flush and sweep code: the connection's zone. */
static inline uint16_t
ct_conn_zone(const struct ct_conn *c)
{
    return ct_conn_is_v6(c) ? c->orig.t6.zone : c->orig.t4.zone;
}

#endif /* ct-private.h */
