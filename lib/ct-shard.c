/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ct-shard.h"

#include "coverage.h"
#include "openvswitch/util.h"

COVERAGE_DEFINE(ct_shard_grow);
COVERAGE_DEFINE(ct_lookup_retry);

/* Buckets hold one node on average at most: the table doubles when the node
 * count reaches the bucket count. */

static inline struct ct_node *
link_get(const struct ct_link *l)
{
    return ovsrcu_get(struct ct_node *, &l->p);
}

static inline struct ct_node *
link_get_protected(const struct ct_link *l)
{
    return ovsrcu_get_protected(struct ct_node *, &l->p);
}

/* Bucket heads (see struct ct_head). */

#define HEAD_PTR_BITS 48
#define HEAD_PTR_MASK ((UINT64_C(1) << HEAD_PTR_BITS) - 1)

static inline uint64_t
head_bit(uint32_t hash)
{
    return UINT64_C(1) << (HEAD_PTR_BITS + ((hash >> 24) & 15));
}

static inline uint64_t
head_load(const struct ct_head *h)
{
    uint64_t word;

    /* Acquire pairs with the release in head_store(): the node's fields
     * were written before it was linked. */
    atomic_read_explicit(&CONST_CAST(struct ct_head *, h)->word, &word,
                         memory_order_acquire);
    return word;
}

static inline void
head_store(struct ct_head *h, const struct ct_node *first, uint64_t filter)
{
    uintptr_t addr = (uintptr_t) first;

    /* User-space addresses fit in 48 bits on every 64-bit target we build
     * for (x86-64 and AArch64 without 52-bit address spaces requested). */
    ovs_assert(!(addr & ~HEAD_PTR_MASK));
    atomic_store_explicit(&h->word, (addr | (filter & ~HEAD_PTR_MASK)),
                          memory_order_release);
}

static inline struct ct_node *
head_node(uint64_t word)
{
    return (struct ct_node *) (uintptr_t) (word & HEAD_PTR_MASK);
}

/* The first node of 'word''s chain if the chain may hold a node of
 * 'hash', else NULL. */
static inline struct ct_node *
head_candidate(uint64_t word, uint32_t hash)
{
    return word & head_bit(hash) ? head_node(word) : NULL;
}

/* The filter of the chain that starts at 'n'. */
static uint64_t
chain_filter(const struct ct_node *n)
{
    uint64_t filter = 0;

    for (; n; n = link_get_protected(&n->next)) {
        filter |= head_bit(n->hash);
    }
    return filter;
}

static inline struct ct_buckets *
shard_buckets(const struct ct_shard *shard)
{
    return ovsrcu_get(struct ct_buckets *, &shard->buckets);
}

static inline uint32_t
seq_begin(const struct ct_shard *shard)
{
    uint32_t seq;

    for (;;) {
        /* Acquire pairs with the release store that ends a relink in
         * shard_grow(). */
        atomic_read_explicit(&CONST_CAST(struct ct_shard *, shard)->seq,
                             &seq, memory_order_acquire);
        if (!(seq & 1)) {
            return seq;
        }
        COVERAGE_INC(ct_lookup_retry);
    }
}

static inline bool
seq_retry(const struct ct_shard *shard, uint32_t seq)
{
    uint32_t seq2;

    /* No fence needed: every chain link was read with an acquire load
     * (ovsrcu_get()), which keeps this later load after them.  A walker
     * that saw a relinked pointer (a release store made after 'seq' turned
     * odd, see shard_grow()) therefore sees 'seq' changed here.  The node
     * fields themselves are immutable while a connection is live. */
    atomic_read_relaxed(&CONST_CAST(struct ct_shard *, shard)->seq, &seq2);
    return seq2 != seq;
}

/* Bucket pool (see struct ct_bucket_pool). */

struct ct_bucket_region {
    struct ovs_refcount ref;        /* One per array handed out, plus one
                                     * while the pool holds it open. */
    char *base;                     /* From ct_huge_map(). */
    size_t slot_bytes;
    unsigned int n_slots;
    unsigned int next_slot OVS_GUARDED; /* Under the pool's mutex. */
};

void
ct_bucket_pool_init(struct ct_bucket_pool *pool, unsigned int n_slots)
{
    ovs_mutex_init(&pool->mutex);
    pool->n_slots = n_slots;
    ovs_mutex_lock(&pool->mutex);
    memset(pool->open, 0, sizeof pool->open);
    ovs_mutex_unlock(&pool->mutex);
}

static void
region_unref(struct ct_bucket_region *r)
{
    if (ovs_refcount_unref(&r->ref) == 1) {
        ct_huge_unmap(r->base, r->slot_bytes * r->n_slots);
        free(r);
    }
}

void
ct_bucket_pool_destroy(struct ct_bucket_pool *pool)
{
    ovs_mutex_lock(&pool->mutex);
    for (size_t i = 0; i < ARRAY_SIZE(pool->open); i++) {
        if (pool->open[i]) {
            region_unref(pool->open[i]);
            pool->open[i] = NULL;
        }
    }
    ovs_mutex_unlock(&pool->mutex);
    ovs_mutex_destroy(&pool->mutex);
}

/* A zeroed array of 'bytes' bytes (a power of 2) from a region of 'pool',
 * taking a reference to the region, which is stored in '*region'; or NULL
 * if arrays of this size all together stay under a huge page. */
static struct ct_head *
pool_alloc(struct ct_bucket_pool *pool, size_t bytes,
           struct ct_bucket_region **region)
    OVS_EXCLUDED(pool->mutex)
{
    unsigned int order = raw_ctz(bytes);
    struct ct_bucket_region *r;
    struct ct_head *heads;

    if (bytes * pool->n_slots < CT_HUGE_PAGE) {
        return NULL;
    }
    ovs_mutex_lock(&pool->mutex);
    r = pool->open[order];
    if (!r) {
        r = xmalloc(sizeof *r);
        ovs_refcount_init(&r->ref);
        r->slot_bytes = bytes;
        r->n_slots = pool->n_slots;
        r->next_slot = 0;
        r->base = ct_huge_map(bytes * r->n_slots);
        pool->open[order] = r;
    }
    /* Each shard takes each size once (tables only grow), so a slot is
     * never reused and is still zero. */
    heads = (struct ct_head *) (r->base + r->next_slot++ * bytes);
    ovs_refcount_ref(&r->ref);
    if (r->next_slot == r->n_slots) {
        pool->open[order] = NULL;
        region_unref(r);
    }
    ovs_mutex_unlock(&pool->mutex);
    *region = r;
    return heads;
}

static struct ct_buckets *
buckets_alloc(struct ct_bucket_pool *pool, uint32_t n)
{
    size_t bytes = (size_t) n * sizeof(struct ct_head);
    struct ct_bucket_region *region = NULL;
    struct ct_head *heads = pool_alloc(pool, bytes, &region);
    struct ct_buckets *b;

    if (heads) {
        b = xmalloc(sizeof *b);
        b->heads = heads;
    } else {
        b = xzalloc(sizeof *b + bytes);
        b->heads = (struct ct_head *) (b + 1);
    }
    b->region = region;
    b->mask = n - 1;
    return b;
}

static void
buckets_free(struct ct_buckets *b)
{
    if (b && b->region) {
        region_unref(b->region);
    }
    free(b);
}

void
ct_shard_init(struct ct_shard *shard, unsigned int idx,
              uint32_t initial_buckets, struct ct_arena *arena,
              struct ct_bucket_pool *pool)
{
    ovs_mutex_init(&shard->mutex);
    shard->idx = idx;
    shard->pool = pool;
    ovsrcu_init(&shard->buckets,
                buckets_alloc(pool, MAX(16, ROUND_UP_POW2(initial_buckets))));
    atomic_init(&shard->seq, 0);
    atomic_init(&shard->n_conns, 0);
    atomic_count_init(&shard->n_pending, 0);
    ovs_mutex_lock(&shard->mutex);
    shard->n_nodes = 0;
    shard->evict_cursor = 0;
    for (int i = 0; i < CT_N_CLASSES; i++) {
        ct_slab_init(&shard->slabs[i], ct_conn_class_size(i), arena);
    }
    shard->retire = NULL;
    ovs_mutex_unlock(&shard->mutex);
}

void
ct_shard_destroy(struct ct_shard *shard)
{
    ovs_mutex_lock(&shard->mutex);
    ovs_assert(!shard->retire);
    for (int i = 0; i < CT_N_CLASSES; i++) {
        ct_slab_destroy(&shard->slabs[i]);
    }
    buckets_free(ovsrcu_get_protected(struct ct_buckets *, &shard->buckets));
    ovs_mutex_unlock(&shard->mutex);
    ovs_mutex_destroy(&shard->mutex);
}

void
ct_shard_lock2(struct ct_shard *a, struct ct_shard *b)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    /* No analysis: which mutexes get taken depends on run-time indexes.
     * This is the only place that takes two shard mutexes (lock order 2 in
     * ct-shard.h). */
    if (a == b) {
        ovs_mutex_lock(&a->mutex);
    } else if (a->idx < b->idx) {
        ovs_mutex_lock(&a->mutex);
        ovs_mutex_lock(&b->mutex);
    } else {
        ovs_mutex_lock(&b->mutex);
        ovs_mutex_lock(&a->mutex);
    }
}

void
ct_shard_unlock2(struct ct_shard *a, struct ct_shard *b)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    ovs_mutex_unlock(&a->mutex);
    if (a != b) {
        ovs_mutex_unlock(&b->mutex);
    }
}

/* Matching. */

static inline enum ct_match
match4(const struct ct_conn *c, const struct ct_tuple4 *t, bool reply_node,
       const struct ct_key *key, const struct ct_key *rkey, bool any)
{
    if (ct_tuple4_equal(t, &key->t4)) {
        return reply_node ? CT_MATCH_REPLY : CT_MATCH_ORIG;
    }
    if (ct_tuple4_equal(t, &rkey->t4)
        && (any || !(c->flags & CT_CONN_REPLY_NODE))) {
        /* The reverse of an original tuple without a separate reply tuple
         * is the reply tuple. */
        return reply_node ? CT_MATCH_ORIG : CT_MATCH_REPLY;
    }
    return CT_MATCH_NONE;
}

static inline enum ct_match
match6(const struct ct_conn *c, const struct ct_tuple6 *t, bool reply_node,
       const struct ct_key *key, const struct ct_key *rkey, bool any)
{
    if (ct_tuple6_equal(t, &key->t6)) {
        return reply_node ? CT_MATCH_REPLY : CT_MATCH_ORIG;
    }
    if (ct_tuple6_equal(t, &rkey->t6)
        && (any || !(c->flags & CT_CONN_REPLY_NODE))) {
        return reply_node ? CT_MATCH_ORIG : CT_MATCH_REPLY;
    }
    return CT_MATCH_NONE;
}

/* Compares node 'n' with 'key' (and its reverse 'rkey').  With 'any', a
 * reply node also matches the reverse of its tuple (uniqueness test). */
static inline enum ct_match
node_match(const struct ct_node *n, const struct ct_key *key,
           const struct ct_key *rkey, bool any)
{
    const struct ct_conn *c = ct_node_conn(n);
    bool reply_node = n->conn_ofs != 0;

    if (ct_conn_is_v6(c) != key->v6) {
        return CT_MATCH_NONE;
    }
    if (!key->v6) {
        const struct ct_tuple4 *t
            = (reply_node ? &((const struct ct_conn_nat4 *) n)->reply
                          : &c->orig.t4);
        return match4(c, t, reply_node, key, rkey, any);
    } else {
        const struct ct_tuple6 *t
            = (reply_node ? &((const struct ct_conn_nat6 *) n)->reply
                          : &c->orig.t6);
        return match6(c, t, reply_node, key, rkey, any);
    }
}

struct ct_conn *
ct_shard_lookup(const struct ct_shard *shard, const struct ct_key *key,
                const struct ct_key *rkey, uint32_t hash, long long now,
                bool *reply, struct ct_conn **expired)
{
    for (;;) {
        uint32_t seq = seq_begin(shard);
        const struct ct_buckets *b = shard_buckets(shard);
        const struct ct_node *n;

        for (n = head_candidate(head_load(&b->heads[hash & b->mask]), hash);
             n; n = link_get(&n->next)) {
            enum ct_match m;

            if (n->hash != hash) {
                continue;
            }
            m = node_match(n, key, rkey, false);
            if (m != CT_MATCH_NONE) {
                struct ct_conn *c = ct_node_conn(n);

                if (ct_conn_is_dead(c)) {
                    continue;
                }
                if (ct_conn_expired(c, now)) {
                    if (expired) {
                        *expired = c;
                    }
                    continue;
                }
                *reply = m == CT_MATCH_REPLY;
                return c;
            }
        }
        if (!seq_retry(shard, seq)) {
            return NULL;
        }
        COVERAGE_INC(ct_lookup_retry);
    }
}

enum ct_tuple_check
ct_shard_check(const struct ct_shard *shard, const struct ct_key *key,
               const struct ct_key *rkey, uint32_t hash, long long now,
               struct ct_conn **expired)
{
    for (;;) {
        uint32_t seq = seq_begin(shard);
        const struct ct_buckets *b = shard_buckets(shard);
        enum ct_tuple_check result = CT_TUPLE_FREE;
        struct ct_conn *stale = NULL;
        const struct ct_node *n;

        for (n = head_candidate(head_load(&b->heads[hash & b->mask]), hash);
             n; n = link_get(&n->next)) {
            const struct ct_conn *c;

            if (n->hash != hash
                || node_match(n, key, rkey, true) == CT_MATCH_NONE) {
                continue;
            }
            c = ct_node_conn(n);
            if (ct_conn_is_dead(c)) {
                continue;
            }
            if (ct_conn_expired(c, now)) {
                stale = CONST_CAST(struct ct_conn *, c);
                continue;
            }
            if (node_match(n, key, rkey, false) != CT_MATCH_NONE) {
                stale = NULL;
                result = CT_TUPLE_TAKEN;
                break;
            }
            result = CT_TUPLE_CLASH;
        }
        if (!seq_retry(shard, seq)) {
            if (expired) {
                *expired = stale;
            }
            return result;
        }
    }
}

/* Prefetches what a lookup reads of the connection that starts at node
 * 'n' (an original-direction node): the node, the flags and the IPv4
 * tuple, bytes 0 to CT_CONN_NAT4_OFS - 1.  Connections are packed in their
 * arena without cache-line alignment, so these bytes span two or three
 * lines; one prefetch at each end and one 64 bytes in reach every line. */
static inline void
prefetch_conn(const struct ct_node *n)
{
    OVS_PREFETCH(n);
    OVS_PREFETCH((const char *) n + 64);
    OVS_PREFETCH((const char *) n + CT_CONN_NAT4_OFS - 1);
}

void
ct_shard_prefetch_node(const struct ct_shard *shard, uint32_t hash)
{
    const struct ct_buckets *b = shard_buckets(shard);
    const struct ct_node *n = head_candidate(head_load(&b->heads[hash
                                                                 & b->mask]),
                                             hash);

    if (n) {
        prefetch_conn(n);
    }
}

void
ct_shard_prefetch_next(const struct ct_shard *shard, uint32_t hash)
{
    const struct ct_buckets *b = shard_buckets(shard);
    const struct ct_node *n = head_candidate(head_load(&b->heads[hash
                                                                 & b->mask]),
                                             hash);

    if (n && n->hash != hash) {
        n = link_get(&n->next);
        if (n) {
            prefetch_conn(n);
        }
    }
}

size_t
ct_shard_collect(struct ct_shard *shard, uint32_t *cursor,
                 struct ct_conn **out, size_t max, size_t max_buckets)
    OVS_REQUIRES(shard->mutex)
{
    const struct ct_buckets *b = ovsrcu_get_protected(struct ct_buckets *,
                                                      &shard->buckets);
    uint32_t i = *cursor;
    size_t n = 0;

    for (size_t k = 0; k < max_buckets && n < max; k++, i++) {
        for (const struct ct_node *node = head_node(
                 head_load(&b->heads[i & b->mask]));
             node && n < max; node = link_get_protected(&node->next)) {
            struct ct_conn *c = ct_node_conn(node);

            if (!node->conn_ofs && !ct_conn_is_dead(c)) {
                out[n++] = c;
            }
        }
    }
    *cursor = i & b->mask;
    return n;
}

/* Writers. */

#define GROW_PREFETCH_AHEAD 16

static void
shard_grow(struct ct_shard *shard)
    OVS_REQUIRES(shard->mutex)
{
    struct ct_buckets *old = ovsrcu_get_protected(struct ct_buckets *,
                                                  &shard->buckets);
    uint32_t n_old = old->mask + 1;
    struct ct_buckets *new = buckets_alloc(shard->pool, n_old * 2);
    uint32_t seq;

    COVERAGE_INC(ct_shard_grow);

    /* Seqlock write side: odd while nodes move between chains.  The
     * relinking stores below are release stores (ovsrcu_set()), so a reader
     * that observes one of them also observes this odd value. */
    atomic_read_relaxed(&shard->seq, &seq);
    atomic_store_relaxed(&shard->seq, seq + 1);

    for (uint32_t i = 0; i < n_old; i++) {
        struct ct_node *n = head_node(head_load(&old->heads[i]));

        /* The chains' nodes lie anywhere in memory: fetch those a few
         * buckets ahead so that their misses overlap. */
        if (i + GROW_PREFETCH_AHEAD < n_old) {
            struct ct_node *ahead
                = head_node(head_load(&old->heads[i + GROW_PREFETCH_AHEAD]));

            if (ahead) {
                OVS_PREFETCH_WRITE(ahead);
            }
        }
        while (n) {
            struct ct_node *next = link_get_protected(&n->next);
            struct ct_head *head = &new->heads[n->hash & new->mask];
            uint64_t word = head_load(head);

            ovsrcu_set(&n->next.p, head_node(word));
            head_store(head, n, word | head_bit(n->hash));
            n = next;
        }
    }
    ovsrcu_set(&shard->buckets, new);
    /* Pairs with the acquire load in seq_begin(). */
    atomic_store_explicit(&shard->seq, seq + 2, memory_order_release);
    ovsrcu_postpone(buckets_free, old);
}

void
ct_shard_insert(struct ct_shard *shard, struct ct_node *node, uint32_t hash)
    OVS_REQUIRES(shard->mutex)
{
    struct ct_buckets *b = ovsrcu_get_protected(struct ct_buckets *,
                                                &shard->buckets);
    struct ct_head *head;
    uint64_t word;

    if (shard->n_nodes > b->mask) {
        shard_grow(shard);
        b = ovsrcu_get_protected(struct ct_buckets *, &shard->buckets);
    }
    node->hash = hash;
    head = &b->heads[hash & b->mask];
    word = head_load(head);
    ovsrcu_set_hidden(&node->next.p, head_node(word));
    head_store(head, node, word | head_bit(hash));
    shard->n_nodes++;
}

void
ct_shard_remove(struct ct_shard *shard, struct ct_node *node)
    OVS_REQUIRES(shard->mutex)
{
    struct ct_buckets *b = ovsrcu_get_protected(struct ct_buckets *,
                                                &shard->buckets);
    struct ct_head *head = &b->heads[node->hash & b->mask];
    struct ct_node *first = head_node(head_load(head));
    struct ct_node *next = link_get_protected(&node->next);

    /* 'node->next' stays intact for readers still on it.  The filter
     * loses 'node''s bit last, once 'node' is out of the chain, and keeps
     * the bits of the nodes left. */
    if (first == node) {
        first = next;
    } else {
        struct ct_node *prev = first;
        struct ct_node *cur;

        while ((cur = link_get_protected(&prev->next)) != node) {
            ovs_assert(cur);
            prev = cur;
        }
        ovsrcu_set(&prev->next.p, next);
    }
    head_store(head, first, chain_filter(first));
    shard->n_nodes--;
}

/* Memory. */

struct ct_conn *
ct_shard_alloc(struct ct_shard *shard, enum ct_conn_class class)
    OVS_REQUIRES(shard->mutex)
{
    struct ct_conn *c = ct_slab_alloc(&shard->slabs[class]);

    memset(c, 0, ct_conn_class_size(class));
    return c;
}


static void
retire_reclaim(struct ct_retire *r)
{
    struct ct_shard *shard = r->shard;

    ovs_mutex_lock(&shard->mutex);
    for (size_t i = 0; i < r->n; i++) {
        struct ct_conn *c = r->conns[i];

        ct_conn_release(c);
        ct_slab_free(&shard->slabs[ct_conn_class(c)], c);
    }
    ovs_mutex_unlock(&shard->mutex);
    /* Last access to the shard: ct_destroy() waits for this count. */
    atomic_count_dec(&shard->n_pending);
    free(r);
}

void
ct_shard_retire_flush(struct ct_shard *shard)
    OVS_REQUIRES(shard->mutex)
{
    struct ct_retire *r = shard->retire;

    if (r) {
        shard->retire = NULL;
        atomic_count_inc(&shard->n_pending);
        ovsrcu_postpone(retire_reclaim, r);
    }
}

void
ct_shard_retire(struct ct_shard *shard, struct ct_conn *conn)
    OVS_REQUIRES(shard->mutex)
{
    struct ct_retire *r = shard->retire;

    if (!r) {
        r = shard->retire = xmalloc(sizeof *r);
        r->shard = shard;
        r->n = 0;
    }
    r->conns[r->n++] = conn;
    if (r->n >= CT_RETIRE_BATCH) {
        ct_shard_retire_flush(shard);
    }
}

/* Scanning. */

static uint32_t
rev32(uint32_t v)
{
    v = ((v >> 1) & 0x55555555) | ((v & 0x55555555) << 1);
    v = ((v >> 2) & 0x33333333) | ((v & 0x33333333) << 2);
    v = ((v >> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
    v = ((v >> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
    return (v >> 16) | (v << 16);
}

#define CT_SCAN_BUCKET_MAX 64

uint32_t
ct_shard_scan(const struct ct_shard *shard, uint32_t cursor,
              struct ct_conn **out, size_t *n, size_t max)
{
    struct ct_conn *tmp[CT_SCAN_BUCKET_MAX];
    const struct ct_buckets *b;
    size_t cnt;

    /* The cursor advances in bit-reversed order of the bucket index, so
     * that buckets visited before the table doubled map to buckets the
     * scan will not visit again. */
    for (;;) {
        uint32_t seq = seq_begin(shard);
        const struct ct_node *node;

        b = shard_buckets(shard);
        cnt = 0;
        for (node = head_node(head_load(&b->heads[cursor & b->mask])); node;
             node = link_get(&node->next)) {
            struct ct_conn *c = ct_node_conn(node);

            if (!node->conn_ofs && !ct_conn_is_dead(c)
                && cnt < CT_SCAN_BUCKET_MAX) {
                tmp[cnt++] = c;
            }
        }
        if (!seq_retry(shard, seq)) {
            break;
        }
    }

    if (*n + cnt > max) {
        if (*n) {
            return cursor;
        }
        cnt = max;
    }
    memcpy(&out[*n], tmp, cnt * sizeof tmp[0]);
    *n += cnt;

    cursor |= ~b->mask;
    cursor = rev32(cursor);
    cursor++;
    return rev32(cursor);
}

void
ct_shard_chain_histogram(const struct ct_shard *shard, uint32_t *hist,
                         size_t n_hist, uint32_t *n_buckets)
{
    const struct ct_buckets *b = shard_buckets(shard);

    *n_buckets = b->mask + 1;
    for (uint32_t i = 0; i <= b->mask; i++) {
        size_t len = 0;

        for (const struct ct_node *n = head_node(head_load(&b->heads[i])); n;
             n = link_get(&n->next)) {
            len++;
        }
        hist[MIN(len, n_hist - 1)]++;
    }
}

size_t
ct_shard_live_objects(struct ct_shard *shard)
    OVS_EXCLUDED(shard->mutex)
{
    size_t n = 0;

    ovs_mutex_lock(&shard->mutex);
    for (int i = 0; i < CT_N_CLASSES; i++) {
        n += shard->slabs[i].n_objs;
    }
    ovs_mutex_unlock(&shard->mutex);
    return n;
}

size_t
ct_shard_memory(struct ct_shard *shard)
    OVS_EXCLUDED(shard->mutex)
{
    size_t bytes;

    ovs_mutex_lock(&shard->mutex);
    bytes = sizeof(struct ct_buckets)
            + (ovsrcu_get_protected(struct ct_buckets *,
                                    &shard->buckets)->mask + 1)
              * sizeof(struct ct_head);
    for (int i = 0; i < CT_N_CLASSES; i++) {
        bytes += ct_slab_bytes(&shard->slabs[i]);
    }
    ovs_mutex_unlock(&shard->mutex);
    return bytes;
}
