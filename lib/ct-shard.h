/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_SHARD_H
#define CTDP_CT_SHARD_H 1

/* Connection table shards.
 *
 * The table is split into a power-of-two number of shards by the top bits of
 * the tuple hash.  Each shard has its own mutex, its own chained hash table
 * of 'struct ct_node's and its own slab allocator; no lock spans shards.
 *
 * Readers
 * -------
 *
 * Lookups take no lock.  The bucket array and the chains are RCU-protected;
 * a reader walks the chain of its bucket and accepts a node only after
 * comparing the whole tuple, then checks the connection's CT_ST_DEAD bit and
 * expiration.  A hit is therefore always right.  A miss is trusted only if
 * the shard's 'seq' was even and unchanged around the walk: growing the
 * table relinks nodes in place (odd 'seq' meanwhile), which may hide nodes
 * from a concurrent walker, so that walker retries.
 *
 * Writers
 * -------
 *
 * Every change to a shard's table, its counts and its slabs happens under
 * the shard's mutex.  A connection has one node (no NAT) or two (original
 * tuple and translated reply tuple) that may live in different shards;
 * inserting or removing it takes both shards' mutexes, through
 * ct_shard_lock2() only, which implements the lock order below.
 *
 * Lock order
 * ==========
 *
 *   1. 'ct->sweep_mutex' (expiry bookkeeping), then
 *   2. shard mutexes, at most two at a time, lower 'idx' first
 *      (ct_shard_lock2()); a thread holding one shard mutex takes another
 *      only with ovs_mutex_trylock(), and
 *   3. a connection's spinlock ('struct ct_conn''s 'lock'), never held while
 *      acquiring anything else.
 *
 * Leaves, never held while taking another lock: the arena mutex ('struct
 * ct_arena', taken under a shard mutex when a slab needs a new 64 kB chunk,
 * that is once per several hundred insertions), the bucket pool's mutex
 * (taken under a shard mutex when the shard's table grows) and the
 * timeout-policy mutex (configuration only).  Zone limits and counts are
 * atomics.
 *
 * Memory reuse
 * ============
 *
 * A removed connection is queued in its owner shard's retire batch; full
 * batches go through ovsrcu_postpone() and come back to the shard's free
 * lists after a grace period ('n_pending' counts batches in flight, for
 * ct_destroy()). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ct-conn.h"
#include "ct-tuple.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "util.h"

/* A bucket head: the address of the chain's first node in the low 48 bits
 * and, in the top 16, a filter of the chain's hashes with one bit per node
 * (bit (hash >> 24) & 15: apart from the bits that pick the shard with
 * up to 16 shards, and from those that pick the bucket with up to 2^24
 * buckets; past that it only filters less).  A lookup whose bit is clear
 * is a miss without a look at any node; removing a node recomputes the
 * filter from the nodes left, so that churn does not fill it up.  Written
 * under the shard's mutex with release stores; read with acquire loads. */
struct ct_head {
    atomic_uint64_t word;
};

struct ct_buckets {
    uint32_t mask;                          /* [I] n_buckets - 1. */
    struct ct_bucket_region *region;        /* [I] Owner of 'heads', or
                                             * NULL if they follow this
                                             * header. */
    struct ct_head *heads;                  /* [S] n_buckets heads. */
};

/* Huge-page memory for bucket arrays.
 *
 * A lookup reads one random bucket head, so with 4 kB pages nearly every
 * lookup of a large table would also miss the TLB.  One shard's array
 * rarely fills a huge page (at a million connections, sixteen shards have
 * 512 kB each), but the shards grow at about the same rate, since the hash
 * spreads connections evenly: so arrays of one size come from a shared
 * region with one slot per shard, whose size is a whole number of huge
 * pages as soon as all the slots together fill one.  Smaller arrays come
 * from the heap.
 *
 * A region is unmapped once the pool has handed out all of its slots and
 * every array in it has been freed (it counts references).  The pool's
 * mutex is a leaf lock, taken when a shard grows. */
struct ct_bucket_region;

struct ct_bucket_pool {
    struct ovs_mutex mutex;
    unsigned int n_slots;                   /* [I] Shards. */
    /* Indexed by log2 of the array size: the region whose slots are not
     * all handed out yet, if any. */
    struct ct_bucket_region *open[64] OVS_GUARDED;
};

void ct_bucket_pool_init(struct ct_bucket_pool *, unsigned int n_slots);
/* Drops the pool's references; regions go once their arrays are freed. */
void ct_bucket_pool_destroy(struct ct_bucket_pool *);

#define CT_RETIRE_BATCH 126

struct ct_retire {
    struct ct_shard *shard;
    size_t n;
    struct ct_conn *conns[CT_RETIRE_BATCH];
};

struct ct_shard {
    struct ovs_mutex mutex;
    unsigned int idx;                       /* [I] Index in the table. */

    /* Read under RCU, written under 'mutex'. */
    OVSRCU_TYPE(struct ct_buckets *) buckets;
    struct ct_bucket_pool *pool;            /* [I] Where 'buckets' come
                                             * from. */
    atomic_uint32_t seq;                    /* Odd while relinking.  Written
                                             * under 'mutex' (release);
                                             * readers load it with acquire
                                             * around a walk. */
    atomic_uint32_t n_conns;                /* Connections whose original
                                             * node is here.  Written under
                                             * 'mutex'. */

    /* Guarded by 'mutex' (OVS_GUARDED: clang cannot name a sibling member
     * in C). */
    uint32_t n_nodes OVS_GUARDED;           /* Nodes in 'buckets'. */
    uint32_t evict_cursor OVS_GUARDED;      /* Early-drop scan. */
    struct ct_slab slabs[CT_N_CLASSES] OVS_GUARDED;
    struct ct_retire *retire OVS_GUARDED;
    atomic_count n_pending;                 /* Retire batches awaiting RCU. */
} OVS_ALIGNED_VAR(CACHE_LINE_SIZE);

void ct_shard_init(struct ct_shard *shard, unsigned int idx,
                   uint32_t initial_buckets, struct ct_arena *,
                   struct ct_bucket_pool *);
/* Frees the table and the slabs.  All connections must have been removed
 * and every retire batch reclaimed. */
void ct_shard_destroy(struct ct_shard *shard);

void ct_shard_lock2(struct ct_shard *a, struct ct_shard *b)
    OVS_ACQUIRES(a->mutex, b->mutex);
void ct_shard_unlock2(struct ct_shard *a, struct ct_shard *b)
    OVS_RELEASES(a->mutex, b->mutex);

/* How a node matched a key. */
enum ct_match {
    CT_MATCH_NONE,
    CT_MATCH_ORIG,              /* The key is the original tuple. */
    CT_MATCH_REPLY,             /* The key is the reply tuple. */
};

/* Packet lookup: the live, unexpired connection whose original or reply
 * tuple is 'key' ('rkey' is its reverse, 'hash' their hash).  Stores the
 * direction in '*reply'.  If a matching connection had expired, stores it in
 * '*expired' (if non-null) so that the caller may reap it. */
struct ct_conn *ct_shard_lookup(const struct ct_shard *,
                                const struct ct_key *key,
                                const struct ct_key *rkey, uint32_t hash,
                                long long now, bool *reply,
                                struct ct_conn **expired);

/* Uniqueness check of 'key' (whose reverse is 'rkey'), in one walk:
 * CT_TUPLE_TAKEN if a packet with 'key' belongs to a live connection (the
 * ct_shard_lookup() sense), else CT_TUPLE_CLASH if a live node uses 'key' or
 * 'rkey' in any other role (for example another connection's translated
 * reply tuple is 'rkey'), else CT_TUPLE_FREE.  Callers that act on the
 * answer hold the shard's mutex; lock-free calls are hints.
 *
 * Expired connections that are still linked do not count, but if 'expired'
 * is non-null, '*expired' is set to one of them that uses 'key' or 'rkey'
 * (NULL if there is none, or if the answer is CT_TUPLE_TAKEN).  A caller about to insert
 * must remove it first (and check again): otherwise the table would hold
 * the same tuple twice until the sweeper comes by, which dumps, flushes by
 * tuple and saved tables would see. */
enum ct_tuple_check {
    CT_TUPLE_FREE,
    CT_TUPLE_CLASH,
    CT_TUPLE_TAKEN,
};
enum ct_tuple_check ct_shard_check(const struct ct_shard *,
                                   const struct ct_key *key,
                                   const struct ct_key *rkey, uint32_t hash,
                                   long long now, struct ct_conn **expired);

/* Loads the bucket head of 'hash' and hints the CPU to fetch its first
 * node. */
void ct_shard_prefetch_node(const struct ct_shard *, uint32_t hash);
/* Once the first node has arrived: if it is not the one of 'hash', hints
 * the CPU to fetch the second. */
void ct_shard_prefetch_next(const struct ct_shard *, uint32_t hash);

void ct_shard_insert(struct ct_shard *shard, struct ct_node *, uint32_t hash)
    OVS_REQUIRES(shard->mutex);
void ct_shard_remove(struct ct_shard *shard, struct ct_node *)
    OVS_REQUIRES(shard->mutex);

struct ct_conn *ct_shard_alloc(struct ct_shard *shard, enum ct_conn_class)
    OVS_REQUIRES(shard->mutex);
/* Queues removed connection 'conn', whose original node belonged to
 * 'shard', for reuse after an RCU grace period. */
void ct_shard_retire(struct ct_shard *shard, struct ct_conn *conn)
    OVS_REQUIRES(shard->mutex);
/* Hands a partial retire batch to RCU. */
void ct_shard_retire_flush(struct ct_shard *shard)
    OVS_REQUIRES(shard->mutex);

/* Eviction's scan: appends to 'out' up to 'max' live connections whose
 * original node is in the shard, from at most 'max_buckets' buckets taken in
 * index order from '*cursor' (wrapping), and advances '*cursor'.  Buckets
 * next to each other share cache lines, so this stays cheap in a sparse
 * table; unlike ct_shard_scan() it promises no exactly-once visit. */
size_t ct_shard_collect(struct ct_shard *shard, uint32_t *cursor,
                        struct ct_conn **out, size_t max, size_t max_buckets)
    OVS_REQUIRES(shard->mutex);

/* Resumable scan of the connections whose original node is in the shard,
 * under RCU and without the mutex.  Start with 'cursor' 0; each call visits
 * one bucket, appends its live connections to 'out' (at most 'max' in all,
 * counting '*n'), and returns the next cursor, or 0 at the end.  If the
 * bucket does not fit in the room left, nothing is appended and the same
 * cursor is returned.  Connections present from the start to the end of a
 * scan are returned exactly once, even if the table grows meanwhile. */
uint32_t ct_shard_scan(const struct ct_shard *, uint32_t cursor,
                       struct ct_conn **out, size_t *n, size_t max);

/* Chain-length histogram for introspection: 'hist[i]' counts the buckets
 * with i nodes (the last entry counts longer chains). */
void ct_shard_chain_histogram(const struct ct_shard *, uint32_t *hist,
                              size_t n_hist, uint32_t *n_buckets);

/* Objects allocated from the slabs and bytes reserved by them. */
size_t ct_shard_live_objects(struct ct_shard *shard)
    OVS_EXCLUDED(shard->mutex);
size_t ct_shard_memory(struct ct_shard *shard) OVS_EXCLUDED(shard->mutex);

#endif /* ct-shard.h */
