/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_CONN_H
#define CTDP_CT_CONN_H 1

/* Connection layout and per-shard slab allocation.
 *
 * Layout
 * ======
 *
 * A connection is one allocation of one of four size classes:
 *
 *     class        bytes  contents
 *     IPv4          88    header (68) + IPv4 original tuple (16)
 *     IPv4 + NAT   120    ... + reply node (16) + IPv4 reply tuple (16)
 *     IPv6         112    header (68) + IPv6 original tuple (40)
 *     IPv6 + NAT   168    ... + reply node (16) + IPv6 reply tuple (40)
 *
 * and, when accounting was on as the connection was created (ct_set_acct()),
 * the same four followed by 'struct ct_conn_acct' (40 bytes: 128, 160, 152,
 * 208).
 *
 * The header starts with the hash-table node of the original tuple.  A
 * connection whose reply tuple is the reverse of its original tuple (every
 * connection without address or port translation) has no second node: the
 * tuple hash is symmetric, so replies find the original node and compare
 * against the reversed tuple.  Connections with a translated reply tuple
 * carry it, with its own node, in the NAT extension.
 *
 * Nothing is allocated per connection besides the slab object: labels, which
 * most connections never get, live out of line and are allocated only when a
 * non-zero label is set; packet and byte counters and the creation time are
 * an opt-in extension, as Linux's nf_conntrack_acct is (Open vSwitch 3.1's
 * userspace conntrack keeps none), so that a table without them pays
 * nothing; and there is no mutex: the multi-field L4 updates (TCP windows, SCTP tags) take a
 * one-byte spinlock held for a few dozen instructions, the simple UDP/ICMP
 * state machines use atomic compare-and-swap on the 'status' byte (and only
 * when the state changes), and the fields read on every packet
 * ('expiration', 'mark', 'label') are atomics or RCU pointers.
 *
 * Field protection tags
 * =====================
 *
 *   [I]  immutable from insertion until the memory is reused;
 *   [A]  atomic, any thread;
 *   [R]  RCU-protected pointer, written under 'lock';
 *   [S]  written under the lock of the shard whose table holds the node,
 *        read under RCU;
 *   [L]  guarded by the connection's 'lock' (OVS_GUARDED: clang cannot name
 *        a sibling member in C, so the analysis checks that some lock is
 *        held).
 *
 * Lifetime: a connection is inserted by ct_shard_insert...() and removed
 * (marked CT_ST_DEAD, unlinked) under its shard locks; its memory returns to
 * the slab of the shard that owns its original node only after an RCU grace
 * period, so lookups may follow a stale pointer safely and must check
 * CT_ST_DEAD and the expiration before trusting what they found. */

#include <stdbool.h>
#include <stdint.h>
#include "ct-tuple.h"
#include "ct-tcp.h"
#include "ct-sctp.h"
#include "openvswitch/thread.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"

/* A node in a shard's hash table.  The original-direction node is the first
 * member of the connection ('conn_ofs' 0); the reply node sits in the NAT
 * extension. */
struct ct_node;

/* An RCU link in a hash chain (a named type, so that bucket heads and node
 * links can be handled alike). */
struct ct_link {
    OVSRCU_TYPE(struct ct_node *) p;
};

struct ct_node {
    struct ct_link next;                  /* [S] Hash chain. */
    uint32_t hash;                        /* [I] Hash of the node's tuple. */
    uint16_t conn_ofs;                    /* [I] Offset of the node in its
                                           * connection. */
    uint8_t pad[2];
};
BUILD_ASSERT_DECL(sizeof(struct ct_node) == 16);

/* A lock of one byte, for the few updates that change several fields of one
 * connection at once.  Never held while taking any other lock. */
struct OVS_LOCKABLE ct_spin {
    atomic_uint8_t locked;
};

static inline void
ct_spin_lock(struct ct_spin *s)
    OVS_ACQUIRES(s) OVS_NO_THREAD_SAFETY_ANALYSIS
{
    /* No analysis inside: the capability is the lock object itself, which
     * the analysis cannot see being set.  Acquire pairs with the release
     * store in ct_spin_unlock(). */
    uint8_t expected = 0;

    while (!atomic_compare_exchange_weak_explicit(&s->locked, &expected, 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed)) {
        uint8_t cur;

        do {
            atomic_read_relaxed(&s->locked, &cur);
        } while (cur);
        expected = 0;
    }
}

static inline void
ct_spin_unlock(struct ct_spin *s)
    OVS_RELEASES(s) OVS_NO_THREAD_SAFETY_ANALYSIS
{
    atomic_store_explicit(&s->locked, 0, memory_order_release);
}

/* 'flags' (immutable). */
enum {
    CT_CONN_V6 = 1 << 0,          /* IPv6 tuples. */
    CT_CONN_REPLY_NODE = 1 << 1,  /* Has the NAT extension and a reply node
                                   * (reply tuple != reverse of original). */
    CT_CONN_ACCT = 1 << 2,        /* Has 'struct ct_conn_acct' at the end. */
};

/* 'status' bits (atomic). */
enum {
    CT_ST_L4_MASK = 0x3,          /* UDP/other: CT_OTHER_*, ICMP: CT_ICMP_*. */
    CT_ST_DEAD = 1 << 2,          /* Removed from its table. */
};

union ct_l4 {
    struct ct_tcp tcp;
    struct ct_sctp sctp;
};

struct ct_conn {
    struct ct_node node;                  /* Original-direction node. */
    atomic_llong expiration;              /* [A] time_msec() of expiry. */
    atomic_uint32_t mark;                 /* [A] Written under 'lock'. */
    uint32_t tp_id;                       /* [I] Timeout policy. */
    OVSRCU_TYPE(ovs_u128 *) label;        /* [R] NULL = all-zero label. */
    union ct_l4 l4 OVS_GUARDED;           /* [L] TCP/SCTP tracker state. */
    struct ct_spin lock;
    uint8_t flags;                        /* [I] CT_CONN_*. */
    uint8_t nat_action;                   /* [I] CT_NAT_SRC / CT_NAT_DST. */
    atomic_uint8_t status;                /* [A] CT_ST_*.  CT_ST_DEAD is set
                                           * under the shard locks. */
    union {                               /* [I] Original tuple, followed
                                           * by 'struct ct_conn_nat4/6'. */
        struct ct_tuple4 t4;
        struct ct_tuple6 t6;
    } orig;
};
BUILD_ASSERT_DECL(offsetof(struct ct_conn, node) == 0);
BUILD_ASSERT_DECL(offsetof(struct ct_conn, orig) == 68);

/* The NAT extension: reply node and reply tuple. */
struct ct_conn_nat4 {
    struct ct_node node;
    struct ct_tuple4 reply;               /* [I] */
};
struct ct_conn_nat6 {
    struct ct_node node;
    struct ct_tuple6 reply;               /* [I] */
};

#define CT_CONN_NAT4_OFS ROUND_UP(offsetof(struct ct_conn, orig) \
                                  + sizeof(struct ct_tuple4), 8)
#define CT_CONN_NAT6_OFS ROUND_UP(offsetof(struct ct_conn, orig) \
                                  + sizeof(struct ct_tuple6), 8)

/* The accounting extension: [A] counters, indexed by direction (0:
 * original, 1: reply), and [I] the time_msec() of creation. */
struct ct_conn_acct {
    atomic_uint64_t packets[2];
    atomic_uint64_t bytes[2];
    long long created;
};

enum ct_conn_class {
    CT_CLASS_V4,
    CT_CLASS_V4_NAT,
    CT_CLASS_V6,
    CT_CLASS_V6_NAT,
    CT_CLASS_V4_ACCT,             /* The four above, in the same order, */
    CT_CLASS_V4_NAT_ACCT,         /* with the accounting extension. */
    CT_CLASS_V6_ACCT,
    CT_CLASS_V6_NAT_ACCT,
    CT_N_CLASSES
};

size_t ct_conn_class_size(enum ct_conn_class);
enum ct_conn_class ct_conn_class_of(bool v6, bool reply_node, bool acct);

static inline bool
ct_conn_is_v6(const struct ct_conn *c)
{
    return c->flags & CT_CONN_V6;
}

static inline bool
ct_conn_has_reply_node(const struct ct_conn *c)
{
    return c->flags & CT_CONN_REPLY_NODE;
}

static inline bool
ct_conn_has_acct(const struct ct_conn *c)
{
    return c->flags & CT_CONN_ACCT;
}

static inline enum ct_conn_class
ct_conn_class(const struct ct_conn *c)
{
    return ct_conn_class_of(ct_conn_is_v6(c), ct_conn_has_reply_node(c),
                            ct_conn_has_acct(c));
}

/* The accounting extension of 'c', which must have one. */
static inline struct ct_conn_acct *
ct_conn_acct(const struct ct_conn *c)
{
    size_t ofs = ct_conn_class_size(ct_conn_class_of(ct_conn_is_v6(c),
                                                     ct_conn_has_reply_node(c),
                                                     false));

    return (struct ct_conn_acct *) ((char *) CONST_CAST(struct ct_conn *, c)
                                    + ofs);
}

/* Counts a packet of 'bytes' bytes in direction 'reply' of 'c', which must
 * have the accounting extension. */
static inline void
ct_conn_account(struct ct_conn *c, bool reply, uint32_t bytes)
{
    struct ct_conn_acct *a = ct_conn_acct(c);
    uint64_t orig;

    atomic_add_relaxed(&a->packets[reply], 1, &orig);
    atomic_add_relaxed(&a->bytes[reply], bytes, &orig);
}

static inline struct ct_node *
ct_conn_reply_node(const struct ct_conn *c)
{
    size_t ofs = ct_conn_is_v6(c) ? CT_CONN_NAT6_OFS : CT_CONN_NAT4_OFS;
    return (struct ct_node *) ((char *) CONST_CAST(struct ct_conn *, c)
                               + ofs);
}

static inline struct ct_conn *
ct_node_conn(const struct ct_node *n)
{
    return (struct ct_conn *) ((char *) CONST_CAST(struct ct_node *, n)
                               - n->conn_ofs);
}

/* The connection's tuples as keys. */
void ct_conn_orig_key(const struct ct_conn *, struct ct_key *);
void ct_conn_reply_key(const struct ct_conn *, struct ct_key *);

static inline long long
ct_conn_expiration(const struct ct_conn *c)
{
    long long exp;

    atomic_read_relaxed(&CONST_CAST(struct ct_conn *, c)->expiration, &exp);
    return exp;
}

static inline bool
ct_conn_expired(const struct ct_conn *c, long long now)
{
    return now >= ct_conn_expiration(c);
}

static inline uint8_t
ct_conn_status(const struct ct_conn *c)
{
    uint8_t st;

    atomic_read_explicit(&CONST_CAST(struct ct_conn *, c)->status, &st,
                         memory_order_acquire);
    return st;
}

static inline bool
ct_conn_is_dead(const struct ct_conn *c)
{
    return ct_conn_status(c) & CT_ST_DEAD;
}

/* Stores 'exp' unless it is already the expiration, so that the packets of
 * one millisecond dirty the cache line once. */
static inline void
ct_conn_set_expiration(struct ct_conn *c, long long exp)
{
    if (ct_conn_expiration(c) != exp) {
        atomic_store_relaxed(&c->expiration, exp);
    }
}

uint32_t ct_conn_get_mark(const struct ct_conn *);
ovs_u128 ct_conn_get_label(const struct ct_conn *);

/* Applies 'value'/'mask' to the connection's mark or label, starting from
 * the value in the packet metadata as Open vSwitch does, and returns the new
 * value. */
uint32_t ct_conn_set_mark(struct ct_conn *, uint32_t cur, uint32_t value,
                          uint32_t mask);
ovs_u128 ct_conn_set_label(struct ct_conn *, ovs_u128 cur, ovs_u128 value,
                           ovs_u128 mask);

/* Releases what a connection owns out of line (its label).  Called once its
 * memory is about to be reused, after an RCU grace period. */
void ct_conn_release(struct ct_conn *);

/* Arena: 2 MB regions, backed by transparent huge pages where the system
 * allows it (random lookups over a large table otherwise spend much of
 * their time in TLB misses), cut into CT_SLAB_CHUNK chunks for the slabs.
 * One per engine; its mutex is a leaf lock, taken only when a slab needs a
 * new chunk.  Regions are released only by ct_arena_destroy(). */
#define CT_SLAB_CHUNK (64 * 1024)

struct ct_arena {
    struct ovs_mutex mutex;
    char *cur OVS_GUARDED;          /* Next unused chunk of the region. */
    size_t left OVS_GUARDED;        /* Bytes left in the region. */
    void **regions OVS_GUARDED;
    size_t n_regions OVS_GUARDED;
    size_t allocated_regions OVS_GUARDED;
};

/* Zeroed anonymous memory of at least 'len' bytes, aligned to and a multiple
 * of CT_HUGE_PAGE, advised to be backed by huge pages (random access to
 * tables of many megabytes otherwise misses the TLB on nearly every probe).
 * Aborts when out of memory.  ct_huge_unmap() takes the same 'len'. */
#define CT_HUGE_PAGE (2 * 1024 * 1024)
void *ct_huge_map(size_t len);
void ct_huge_unmap(void *, size_t len);

void ct_arena_init(struct ct_arena *);
void ct_arena_destroy(struct ct_arena *);
void *ct_arena_chunk(struct ct_arena *arena) OVS_EXCLUDED(arena->mutex);

/* Slab allocator: fixed-size objects carved from arena chunks, a free list
 * of returned objects.  Not thread-safe: each shard guards its slabs with
 * its mutex. */
struct ct_slab {
    size_t obj_size;
    struct ct_arena *arena;
    void *free;                 /* Singly linked through the first word. */
    char *bump;                 /* Next unused byte in the newest chunk. */
    size_t bump_left;
    size_t n_chunks;
    size_t n_objs;              /* Objects handed out and not returned. */
};

void ct_slab_init(struct ct_slab *, size_t obj_size, struct ct_arena *);
void ct_slab_destroy(struct ct_slab *);
void *ct_slab_alloc(struct ct_slab *);
void ct_slab_free(struct ct_slab *, void *);
size_t ct_slab_bytes(const struct ct_slab *);

#endif /* ct-conn.h */
