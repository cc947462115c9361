/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* The engine: ct_execute() and configuration.
 *
 * Per batch, ct_execute() first parses and hashes every packet, then loads
 * each bucket head and prefetches its first node, then its second node where
 * the first does not match, then looks every packet up (and, for misses
 * that will bind NAT, prefetches the chains of the first candidate reply
 * tuples), then processes the packets in order, reusing each lookup unless
 * an earlier packet of the batch created or removed a connection.
 *
 * Packets of known connections take no lock: lookup is RCU, state updates
 * are atomics (TCP/SCTP: the connection's spinlock).
 * A commit takes the mutex of the shard of the new connection's original
 * tuple (and, with NAT, of the shard of its reply tuple, through
 * ct_shard_lock2()), re-checks that the tuples are still free, and inserts.
 * A lost race is counted and the packet is processed against the winner.
 *
 * Decisions where Open vSwitch 3.1 gave no guidance or where we differ:
 *   - NAT exhaustion marks the packet +inv (counted in 'nat_exhausted'):
 *     Open vSwitch leaves it +new and untranslated, which lets the
 *     untranslated packet through a "ct(commit,nat(...)),output" pipeline;
 *     +inv lets the usual "ct_state=+inv actions=drop" flow catch it.
 *   - A table or zone limit refusal leaves the packet +new and uncommitted,
 *     as Open vSwitch does (counted in 'limit_drops'), after trying to evict
 *     a connection that never saw a reply.
 *   - 'nat' without SRC/DST on a commit creates a connection without a
 *     binding (Open vSwitch builds a broken reply tuple in that case).
 *   - IP fragments are +inv: there is no reassembly. */

#include <config.h>
#include "ct.h"

#include <errno.h>
#include "coverage.h"
#include "ct-dpif.h"
#include "ct-l4.h"
#include "ct-nat.h"
#include "ct-private.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "random.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ct);

COVERAGE_DEFINE(ct_insert_race);
COVERAGE_DEFINE(ct_nat_exhausted);
COVERAGE_DEFINE(ct_table_full);
COVERAGE_DEFINE(ct_zone_full);
COVERAGE_DEFINE(ct_natted_miss);
COVERAGE_DEFINE(ct_reap);
COVERAGE_DEFINE(ct_tuple_clash);

#define CT_DEFAULT_MAX_CONNS 3000000
#define CT_MAX_SHARDS 1024

/* Creation. */

/* Enough shards that inserts on different threads rarely meet on one
 * mutex, few enough that per-shard overheads (partly used slab chunks,
 * counters) stay small: 16 for the default limit. */
static unsigned int
default_n_shards(uint32_t max_conns)
{
    uint32_t n = ROUND_UP_POW2(MAX(1, max_conns / 131072));

    return MIN(MAX(n, 4), 16);
}

struct ct *
ct_create(const struct ct_config *cfg)
{
    uint32_t max_conns = (cfg && cfg->max_conns
                          ? cfg->max_conns : CT_DEFAULT_MAX_CONNS);
    unsigned int n_shards = (cfg && cfg->n_shards
                             ? cfg->n_shards : default_n_shards(max_conns));
    struct ct *ct = xzalloc(sizeof *ct);

    n_shards = MIN(ROUND_UP_POW2(n_shards), CT_MAX_SHARDS);
    ct->hash_basis = random_uint32();
    ct->n_shards = n_shards;
    ct->shards = xzalloc_cacheline(n_shards * sizeof *ct->shards);
    ct_arena_init(&ct->arena);
    ct_bucket_pool_init(&ct->buckets, n_shards);
    for (unsigned int i = 0; i < n_shards; i++) {
        /* An eighth of the limit's share: a few doublings to reach it,
         * little memory for small tables. */
        ct_shard_init(&ct->shards[i], i, max_conns / n_shards / 8,
                      &ct->arena, &ct->buckets);
    }
    ct->counters = xzalloc_cacheline(CT_N_SLOTS * n_shards * CT_N_COUNTERS
                                     * sizeof *ct->counters);
    ct_zones_init(&ct->zones, max_conns);
    ct_timeouts_init(&ct->timeouts, ct->hash_basis);
    atomic_init(&ct->tcp_seq_chk, true);
    atomic_init(&ct->acct, false);
    atomic_init(&ct->labels_used, false);
    for (size_t i = 0; i < CT_NAT_HINTS; i++) {
        atomic_init(&ct->nat_hints[i], 0);
    }
    ovs_mutex_init(&ct->sweep_mutex);
    ovs_mutex_lock(&ct->sweep_mutex);
    ct->sweep_shard = 0;
    ct->sweep_cursor = 0;
    ct->sweep_interval = 1000;
    ovs_mutex_unlock(&ct->sweep_mutex);
    return ct;
}

static bool
retire_pending(struct ct *ct)
{
    for (unsigned int i = 0; i < ct->n_shards; i++) {
        if (atomic_count_get(&ct->shards[i].n_pending)) {
            return true;
        }
    }
    return false;
}

void
ct_destroy(struct ct *ct)
{
    bool labels_used;

    if (!ct) {
        return;
    }
    /* No other thread uses 'ct' any more: instead of unlinking every
     * connection, release what live ones own out of line (labels, if any
     * was ever set); the arena takes their memory back all at once. */
    atomic_read_relaxed(&ct->labels_used, &labels_used);
    for (unsigned int i = 0; labels_used && i < ct->n_shards; i++) {
        struct ct_conn *conns[64];
        uint32_t cursor = 0;

        do {
            size_t n = 0;

            cursor = ct_shard_scan(&ct->shards[i], cursor, conns, &n,
                                   ARRAY_SIZE(conns));
            for (size_t j = 0; j < n; j++) {
                ct_conn_release(conns[j]);
            }
        } while (cursor);
    }
    for (unsigned int i = 0; i < ct->n_shards; i++) {
        struct ct_shard *shard = &ct->shards[i];

        ovs_mutex_lock(&shard->mutex);
        ct_shard_retire_flush(shard);
        ovs_mutex_unlock(&shard->mutex);
    }
    /* Wait until RCU gave every retired connection back. */
    while (retire_pending(ct)) {
        ovsrcu_quiesce();
        if (retire_pending(ct)) {
            xnanosleep(1000 * 1000);
        }
    }
    for (unsigned int i = 0; i < ct->n_shards; i++) {
        ct_shard_destroy(&ct->shards[i]);
    }
    free_cacheline(ct->shards);
    free_cacheline(ct->counters);
    ct_arena_destroy(&ct->arena);
    ct_bucket_pool_destroy(&ct->buckets);
    ct_zones_destroy(&ct->zones);
    ct_timeouts_destroy(&ct->timeouts);
    ovs_mutex_destroy(&ct->sweep_mutex);
    free(ct);
}

/* Counters. */

uint64_t
ct_counter_shard(const struct ct *ct, unsigned int shard, enum ct_counter c)
{
    uint64_t sum = 0;

    for (unsigned int slot = 0; slot < CT_N_SLOTS; slot++) {
        uint64_t v;

        atomic_read_relaxed(&ct->counters[((size_t) slot * ct->n_shards
                                           + shard) * CT_N_COUNTERS + c],
                            &v);
        sum += v;
    }
    return sum;
}

uint64_t
ct_counter_sum(const struct ct *ct, enum ct_counter c)
{
    uint64_t sum = 0;

    for (unsigned int i = 0; i < ct->n_shards; i++) {
        sum += ct_counter_shard(ct, i, c);
    }
    return sum;
}

/* Connections. */

struct ct_shard *
ct_conn_shard(const struct ct *ct, const struct ct_conn *conn)
{
    return ct_shard_of(ct, conn->node.hash);
}

struct ct_shard *
ct_conn_reply_shard(const struct ct *ct, const struct ct_conn *conn)
{
    return (ct_conn_has_reply_node(conn)
            ? ct_shard_of(ct, ct_conn_reply_node(conn)->hash)
            : ct_conn_shard(ct, conn));
}

bool
ct_conn_remove_locked(struct ct *ct, struct ct_conn *conn,
                      struct ct_shard *a, struct ct_shard *b)
    OVS_REQUIRES(a->mutex, b->mutex)
{
    uint8_t orig;
    uint32_t n;

    if (ct_conn_is_dead(conn)) {
        return false;
    }
    /* Readers that still hold 'conn' see it dead from here on.  Release
     * pairs with the acquire in ct_conn_status(). */
    atomic_or_explicit(&conn->status, CT_ST_DEAD, &orig,
                       memory_order_release);
    ct_shard_remove(a, &conn->node);
    if (ct_conn_has_reply_node(conn)) {
        ct_shard_remove(b, ct_conn_reply_node(conn));
    }
    atomic_read_relaxed(&a->n_conns, &n);
    atomic_store_relaxed(&a->n_conns, n - 1);
    ct_zones_release(&ct->zones, ct_conn_zone(conn));
    ct_shard_retire(a, conn);
    return true;
}

bool
ct_conn_remove(struct ct *ct, struct ct_conn *conn)
{
    struct ct_shard *a = ct_conn_shard(ct, conn);
    struct ct_shard *b = ct_conn_reply_shard(ct, conn);
    bool removed;

    ct_shard_lock2(a, b);
    removed = ct_conn_remove_locked(ct, conn, a, b);
    ct_shard_unlock2(a, b);
    return removed;
}

/* 'conn' comes zeroed from ct_shard_alloc(), of a class with the
 * accounting extension if 'acct' and with the NAT extension if
 * 'reply_node' (which conn_set_reply() fills in). */
static void
conn_init(struct ct *ct, struct ct_conn *conn, const struct ct_pkt *p,
          const struct ct_exec *args, enum ct_l4_kind kind, bool reply_node,
          bool acct)
{
    int attr;

    conn->node.conn_ofs = 0;
    conn->flags = ((p->key.v6 ? CT_CONN_V6 : 0)
                   | (reply_node ? CT_CONN_REPLY_NODE : 0)
                   | (acct ? CT_CONN_ACCT : 0));
    if (acct) {
        /* (The extension's place depends on the flags above.) */
        ct_conn_acct(conn)->created = args->now;
    }
    if (p->key.v6) {
        conn->orig.t6 = p->key.t6;
    } else {
        conn->orig.t4 = p->key.t4;
    }
    conn->tp_id = args->tp_id;
    atomic_init(&conn->mark, 0);
    ovsrcu_init(&conn->label, NULL);
    atomic_init(&conn->status, 0);
    atomic_init(&conn->lock.locked, 0);
    attr = ct_l4_init(conn, kind, p);
    atomic_init(&conn->expiration,
                args->now + ct_timeout_ms(&ct->timeouts, args->tp_id, attr));
}

static void
conn_set_reply(struct ct_conn *conn, const struct ct_key *reply)
{
    struct ct_node *node = ct_conn_reply_node(conn);

    node->conn_ofs = (char *) node - (char *) conn;
    if (reply->v6) {
        ((struct ct_conn_nat6 *) node)->reply = reply->t6;
    } else {
        ((struct ct_conn_nat4 *) node)->reply = reply->t4;
    }
}

static void
shard_count_conn(struct ct_shard *shard)
    OVS_REQUIRES(shard->mutex)
{
    uint32_t n;

    atomic_read_relaxed(&shard->n_conns, &n);
    atomic_store_relaxed(&shard->n_conns, n + 1);
}

/* Metadata. */

static void
write_md(struct dp_packet *pkt, uint16_t zone, const struct ct_conn *conn,
         const struct ct_key *key)
{
    struct pkt_metadata *md = &pkt->md;

    md->ct_state |= CS_TRACKED;
    md->ct_zone = zone;
    if (conn) {
        struct ct_key orig;

        md->ct_mark = ct_conn_get_mark(conn);
        md->ct_label = ct_conn_get_label(conn);
        ct_conn_orig_key(conn, &orig);
        ct_key_to_md(&orig, md);
    } else {
        md->ct_mark = 0;
        md->ct_label = OVS_U128_ZERO;
        ct_key_to_md(key, md);
    }
}

static void
apply_mark_label(struct ct *ct, struct dp_packet *pkt, struct ct_conn *conn,
                 const struct ct_exec *args)
{
    struct pkt_metadata *md = &pkt->md;

    if (args->set_mark) {
        md->ct_mark = ct_conn_set_mark(conn, md->ct_mark, args->set_mark[0],
                                       args->set_mark[1]);
    }
    if (args->set_label) {
        atomic_store_relaxed(&ct->labels_used, true);
        md->ct_label = ct_conn_set_label(conn, md->ct_label,
                                         args->set_label[0],
                                         args->set_label[1]);
    }
}

/* NAT of packets of existing connections. */

static void
nat_packet(struct dp_packet *pkt, const struct ct_conn *conn, bool reply,
           bool related)
{
    uint8_t action = conn->nat_action;

    if (reply) {
        action = ((action & CT_NAT_SRC ? CT_NAT_DST : 0)
                  | (action & CT_NAT_DST ? CT_NAT_SRC : 0));
    }
    if (action & CT_NAT_SRC) {
        pkt->md.ct_state |= CS_SRC_NAT;
    } else if (action & CT_NAT_DST) {
        pkt->md.ct_state |= CS_DST_NAT;
    }
    ct_nat_packet(pkt, conn, reply, related);
}

static void
handle_nat(struct dp_packet *pkt, const struct ct_conn *conn, uint16_t zone,
           bool reply, bool related)
{
    struct pkt_metadata *md = &pkt->md;

    /* Translate once per zone: a packet that was already translated in
     * this zone keeps its translation. */
    if (conn->nat_action
        && (!(md->ct_state & (CS_SRC_NAT | CS_DST_NAT))
            || zone != md->ct_zone)) {
        md->ct_state &= ~(CS_SRC_NAT | CS_DST_NAT);
        nat_packet(pkt, conn, reply, related);
    }
}

/* Lookups. */

/* Removes expired connection 'conn', found by a lookup or an insertion
 * check, unless another thread did.  The caller holds no shard mutex and
 * has not quiesced since it found 'conn'. */
static void
reap(struct ct *ct, struct ct_conn *conn)
{
    if (ct_conn_remove(ct, conn)) {
        COVERAGE_INC(ct_reap);
        ct_count(ct, ct_conn_shard(ct, conn), CT_CTR_EXPIRED, 1);
    }
}

static struct ct_conn *
lookup(struct ct *ct, const struct ct_key *key, const struct ct_key *rkey,
       uint32_t hash, long long now, bool *reply)
{
    struct ct_shard *shard = ct_shard_of(ct, hash);
    struct ct_conn *expired = NULL;
    struct ct_conn *conn;

    conn = ct_shard_lookup(shard, key, rkey, hash, now, reply, &expired);
    if (!conn && expired) {
        /* Reap what we tripped over, so that a new connection with the
         * same tuple does not have to wait for the sweeper. */
        reap(ct, expired);
    }
    return conn;
}

/* Lookup for a packet that a previous ct() in the same zone translated:
 * its tuple is the connection's translated one, whose reverse the table
 * knows. */
static struct ct_conn *
lookup_natted(struct ct *ct, struct ct_pkt *p, long long now, bool *reply)
{
    struct ct_conn *conn;
    bool r = false;

    conn = lookup(ct, &p->rkey, &p->key, p->hash, now, &r);
    if (conn) {
        *reply = !r;
        if (*reply) {
            ct_conn_reply_key(conn, &p->key);
        } else {
            ct_conn_orig_key(conn, &p->key);
        }
        ct_key_reverse(&p->rkey, &p->key);
        p->hash = ct_key_hash(&p->key, ct->hash_basis);
    } else {
        COVERAGE_INC(ct_natted_miss);
    }
    return conn;
}

/* Lookup through the original tuple recorded in the metadata. */
static struct ct_conn *
lookup_orig_tuple(struct ct *ct, const struct dp_packet *pkt,
                  const struct ct_pkt *p, long long now)
{
    struct ct_key k, rk;
    uint32_t hash;
    bool reply;

    if (!ct_key_from_md(&pkt->md, &p->key, &k)) {
        return NULL;
    }
    ct_key_reverse(&rk, &k);
    hash = ct_key_hash(&k, ct->hash_basis);
    return lookup(ct, &k, &rk, hash, now, &reply);
}

/* Accounting: counts 'p', a packet of 'conn' in direction 'reply', if
 * 'conn' keeps counters.  Bytes are the IP datagram's own length (validated
 * by ct_tuple_extract()), without link-layer padding. */
static inline void
account(struct ct_conn *conn, bool reply, const struct ct_pkt *p)
{
    if (OVS_UNLIKELY(ct_conn_has_acct(conn))) {
        uint32_t len;

        if (p->key.v6) {
            const struct ovs_16aligned_ip6_hdr *ip6 = p->l3;

            len = IPV6_HEADER_LEN + ntohs(ip6->ip6_ctlun.ip6_un1.ip6_un1_plen);
        } else {
            const struct ip_header *ip = p->l3;

            len = ntohs(ip->ip_tot_len);
        }
        ct_conn_account(conn, reply, len);
    }
}

/* State update of a known connection.  Returns true if the packet must be
 * tracked as a new connection instead. */
static bool
update_state(struct ct *ct, struct dp_packet *pkt, const struct ct_pkt *p,
             struct ct_conn *conn, bool reply, const struct ct_exec *args)
{
    struct pkt_metadata *md = &pkt->md;
    enum ct_l4_result res;
    bool seq_chk;
    int attr = 0;

    ct_count(ct, ct_conn_shard(ct, conn), CT_CTR_FOUND, 1);
    if (p->related) {
        md->ct_state |= CS_RELATED;
        if (reply) {
            md->ct_state |= CS_REPLY_DIR;
        }
        return false;
    }

    atomic_read_relaxed(&ct->tcp_seq_chk, &seq_chk);
    res = ct_l4_update(conn, ct_l4_kind_of_conn(conn), p, reply, seq_chk,
                       &attr);
    switch (res) {
    case CT_L4_VALID:
        md->ct_state |= CS_ESTABLISHED;
        md->ct_state &= ~CS_NEW;
        if (reply) {
            md->ct_state |= CS_REPLY_DIR;
        }
        break;
    case CT_L4_VALID_NEW:
        md->ct_state |= CS_NEW;
        break;
    case CT_L4_INVALID:
        md->ct_state = CS_INVALID;
        return false;
    case CT_L4_REOPEN:
        ct_conn_remove(ct, conn);
        return true;
    default:
        OVS_NOT_REACHED();
    }
    ct_conn_set_expiration(conn, args->now
                           + ct_timeout_ms(&ct->timeouts, conn->tp_id, attr));
    account(conn, reply, p);
    return false;
}

/* Commit. */

struct commit_ctx {
    struct ct *ct;
    const struct ct_pkt *p;
    const struct ct_exec *args;
    enum ct_l4_kind kind;
    struct ct_shard *shard;         /* Of the original tuple. */
    bool acct;                      /* With the accounting extension. */
    struct ct_conn *conn;           /* Result. */
    bool orig_race;                 /* The original tuple got taken. */
};

/* Sentinel of conn_commit(): the original tuple appeared meanwhile. */
#define CT_RACE ((struct ct_conn *) 1)

static struct ct_conn *
insert_plain(struct commit_ctx *cc)
{
    struct ct_shard *a = cc->shard;
    const struct ct_pkt *p = cc->p;
    long long now = cc->args->now;
    enum ct_tuple_check check;
    struct ct_conn *expired;
    struct ct_conn *conn;

    ovs_mutex_lock(&a->mutex);
    check = ct_shard_check(a, &p->key, &p->rkey, p->hash, now, &expired);
    while (expired) {
        /* An expired connection still holds the tuple (it may have been
         * inserted with an older 'now' than ours): remove it first, so
         * that the table never holds a tuple twice. */
        ovs_mutex_unlock(&a->mutex);
        reap(cc->ct, expired);
        ovs_mutex_lock(&a->mutex);
        check = ct_shard_check(a, &p->key, &p->rkey, p->hash, now, &expired);
    }
    if (check == CT_TUPLE_TAKEN) {
        ovs_mutex_unlock(&a->mutex);
        return CT_RACE;
    }
    if (check == CT_TUPLE_CLASH) {
        /* The reverse of the tuple is another connection's translated
         * reply tuple: without NAT this connection's replies would be
         * ambiguous.  (An all-zero SNAT resolves this.) */
        ovs_mutex_unlock(&a->mutex);
        COVERAGE_INC(ct_tuple_clash);
        return NULL;
    }
    conn = ct_shard_alloc(a, ct_conn_class_of(p->key.v6, false, cc->acct));
    conn_init(cc->ct, conn, p, cc->args, cc->kind, false, cc->acct);
    ct_shard_insert(a, &conn->node, p->hash);
    shard_count_conn(a);
    ovs_mutex_unlock(&a->mutex);
    return conn;
}

static bool
nat_try(void *cc_, const struct ct_key *reply)
{
    struct commit_ctx *cc = cc_;
    struct ct *ct = cc->ct;
    const struct ct_pkt *p = cc->p;
    long long now = cc->args->now;
    bool identity = ct_key_equal(reply, &p->rkey);
    struct ct_shard *a = cc->shard;
    struct ct_shard *b;
    struct ct_conn *expired;
    struct ct_conn *conn;
    struct ct_key rrev;
    uint32_t hash;

    ct_key_reverse(&rrev, reply);
    hash = identity ? p->hash : ct_key_hash(reply, ct->hash_basis);
    b = ct_shard_of(ct, hash);
    /* Lock-free first: most taken candidates are rejected here. */
    if (ct_shard_check(b, reply, &rrev, hash, now, NULL) != CT_TUPLE_FREE) {
        return false;
    }

    for (;;) {
        enum ct_tuple_check check;

        ct_shard_lock2(a, b);
        if (ct_shard_check(a, &p->key, &p->rkey, p->hash, now, &expired)
            == CT_TUPLE_TAKEN) {
            ct_shard_unlock2(a, b);
            cc->orig_race = true;
            return true;
        }
        if (!expired) {
            check = ct_shard_check(b, reply, &rrev, hash, now, &expired);
            if (check != CT_TUPLE_FREE) {
                ct_shard_unlock2(a, b);
                ct_count(ct, b, CT_CTR_INSERT_RACE, 1);
                COVERAGE_INC(ct_insert_race);
                return false;
            }
        }
        if (!expired) {
            break;
        }
        /* An expired connection still holds the original tuple or the
         * candidate reply tuple: remove it and check again (see
         * insert_plain()). */
        ct_shard_unlock2(a, b);
        reap(ct, expired);
    }
    conn = ct_shard_alloc(a, ct_conn_class_of(p->key.v6, !identity,
                                              cc->acct));
    conn_init(ct, conn, p, cc->args, cc->kind, !identity, cc->acct);
    conn->nat_action = (cc->args->nat->flags & CT_NAT_SRC
                        ? CT_NAT_SRC : CT_NAT_DST);
    if (!identity) {
        conn_set_reply(conn, reply);
        ct_shard_insert(b, ct_conn_reply_node(conn), hash);
    }
    ct_shard_insert(a, &conn->node, p->hash);
    shard_count_conn(a);
    ct_shard_unlock2(a, b);
    cc->conn = conn;
    return true;
}

/* Tries to get room for one more connection in 'zone'. */
static bool
admit(struct ct *ct, struct ct_shard *shard, uint16_t zone, long long now)
{
    enum ct_admit adm = ct_zones_admit(&ct->zones, zone);
    bool dropped;

    if (adm == CT_ADMIT_OK) {
        return true;
    }
    ovs_mutex_lock(&shard->mutex);
    dropped = ct_early_drop(ct, shard, adm == CT_ADMIT_ZONE_FULL, zone, now);
    ovs_mutex_unlock(&shard->mutex);
    if (dropped) {
        adm = ct_zones_admit(&ct->zones, zone);
        if (adm == CT_ADMIT_OK) {
            return true;
        }
    }
    if (adm == CT_ADMIT_TABLE_FULL) {
        COVERAGE_INC(ct_table_full);
    } else {
        COVERAGE_INC(ct_zone_full);
    }
    ct_count(ct, shard, CT_CTR_LIMIT_DROP, 1);
    return false;
}

/* Creates the connection of 'p'.  Returns it, NULL if it could not be
 * created (the metadata says why), or CT_RACE. */
static struct ct_conn *
conn_commit(struct ct *ct, struct dp_packet *pkt, const struct ct_pkt *p,
            const struct ct_exec *args, enum ct_l4_kind kind)
{
    struct commit_ctx cc = {
        .ct = ct, .p = p, .args = args, .kind = kind,
        .shard = ct_shard_of(ct, p->hash),
    };
    struct ct_conn *conn;

    if (!admit(ct, cc.shard, args->zone, args->now)) {
        return NULL;
    }
    atomic_read_relaxed(&ct->acct, &cc.acct);

    if (!ct_nat_spec_binds(args->nat)) {
        conn = insert_plain(&cc);
        if (!conn) {
            /* Tuple clash: counted with the races, left uncommitted. */
            ct_zones_release(&ct->zones, args->zone);
            ct_count(ct, cc.shard, CT_CTR_INSERT_RACE, 1);
            return NULL;
        }
    } else if (ct_nat_search(ct, &p->key, args->nat, nat_try, &cc, NULL)) {
        conn = cc.orig_race ? CT_RACE : cc.conn;
        if (!cc.orig_race) {
            struct ct_key reply;

            ct_conn_reply_key(conn, &reply);
            ct_nat_commit_hint(ct, &reply, args->nat);
            nat_packet(pkt, conn, false, false);
        }
    } else {
        ct_zones_release(&ct->zones, args->zone);
        ct_count(ct, cc.shard, CT_CTR_NAT_EXHAUSTED, 1);
        COVERAGE_INC(ct_nat_exhausted);
        pkt->md.ct_state = CS_INVALID;
        return NULL;
    }

    if (conn == CT_RACE) {
        ct_zones_release(&ct->zones, args->zone);
        ct_count(ct, cc.shard, CT_CTR_INSERT_RACE, 1);
        COVERAGE_INC(ct_insert_race);
    } else {
        ct_count(ct, cc.shard, CT_CTR_NEW, 1);
        account(conn, false, p);
    }
    return conn;
}

static struct ct_conn *
conn_not_found(struct ct *ct, struct dp_packet *pkt, const struct ct_pkt *p,
               const struct ct_exec *args)
{
    enum ct_l4_kind kind = ct_l4_kind(p->key.v6, p->key.v6 ? p->key.t6.proto
                                                           : p->key.t4.proto);

    if (!ct_l4_valid_new(kind, p)) {
        pkt->md.ct_state = CS_INVALID;
        return NULL;
    }
    pkt->md.ct_state = CS_NEW;
    if (!args->commit) {
        return NULL;
    }
    return conn_commit(ct, pkt, p, args, kind);
}

static void
count_invalid(struct ct *ct, const struct dp_packet *pkt, uint32_t hash)
{
    if (pkt->md.ct_state & CS_INVALID) {
        ct_count(ct, ct_shard_of(ct, hash), CT_CTR_INVALID, 1);
    }
}

/* Per-packet state of one batch. */
struct batch_pkt {
    struct ct_pkt p;
    uint8_t class;              /* enum pkt_class. */
    bool looked_up;             /* 'conn' and 'reply' hold a lookup done
                                 * while this thread's generation was
                                 * 'gen'. */
    bool reply;
    struct ct_conn *conn;
    unsigned int gen;
    uint32_t nat_hashes[2];
    size_t n_nat_hashes;
};

/* Per-batch state: 'gen' counts the insertions and removals this thread
 * made while processing the batch, to know when an early lookup may have
 * gone stale (a miss may have become a hit). */
struct batch_state {
    unsigned int gen;
};

/* The lookup of 'bp', reusing the one of the prefetch phase if nothing
 * could have changed it. */
static struct ct_conn *
batch_lookup(struct ct *ct, struct batch_pkt *bp, const struct batch_state *bs,
             long long now, bool *reply)
{
    if (bp->looked_up) {
        bp->looked_up = false;
        if (bp->conn ? !ct_conn_is_dead(bp->conn) : bp->gen == bs->gen) {
            *reply = bp->reply;
            return bp->conn;
        }
    }
    return lookup(ct, &bp->p.key, &bp->p.rkey, bp->p.hash, now, reply);
}

static bool
state_natted(const struct pkt_metadata *md, uint16_t zone)
{
    return (md->ct_state && md->ct_zone == zone
            && (md->ct_state & (CS_SRC_NAT | CS_DST_NAT)));
}

/* Open vSwitch's process_one(), for a packet whose tuple is in 'bp'. */
static void
process_one(struct ct *ct, struct dp_packet *pkt, struct batch_pkt *bp,
            struct batch_state *bs, const struct ct_exec *args)
{
    struct pkt_metadata *md = &pkt->md;
    struct ct_pkt *p = &bp->p;
    struct ct_conn *conn = NULL;
    bool reply = false;

    /* Entering a new zone resets the state.  In the same zone, only the NAT
     * bits of an earlier ct() still matter (they tell whether the packet was
     * translated): the verdict is made afresh, so a packet found invalid
     * before and valid now is not both. */
    if (md->ct_state && md->ct_zone != args->zone) {
        md->ct_state = 0;
    } else {
        md->ct_state &= CS_TRACKED | CS_SRC_NAT | CS_DST_NAT;
    }

    for (int attempt = 0; attempt < 2; attempt++) {
        bool natted = md->ct_state & (CS_SRC_NAT | CS_DST_NAT);
        bool create = false;

        reply = false;
        if (natted) {
            conn = lookup_natted(ct, p, args->now, &reply);
        } else {
            conn = batch_lookup(ct, bp, bs, args->now, &reply);
        }

        /* 'force' ends a connection seen in the reply direction. */
        if (OVS_UNLIKELY(args->force && conn && reply)) {
            ct_conn_remove(ct, conn);
            bs->gen++;
            conn = NULL;
        }

        if (OVS_LIKELY(conn)) {
            create = update_state(ct, pkt, p, conn, reply, args);
            if (args->nat && !create) {
                handle_nat(pkt, conn, args->zone, reply, p->related);
            }
        } else if (natted && !args->nat
                   && (conn = lookup_orig_tuple(ct, pkt, p, args->now))) {
            reply = false;
            create = update_state(ct, pkt, p, conn, false, args);
        } else if (p->related) {
            /* An ICMP error never creates a connection. */
            md->ct_state = CS_INVALID;
        } else {
            create = true;
        }

        if (!create) {
            break;
        }
        bs->gen++;
        conn = conn_not_found(ct, pkt, p, args);
        if (conn != CT_RACE) {
            break;
        }
        conn = NULL;
    }

    write_md(pkt, args->zone, conn, &p->key);
    if (conn) {
        apply_mark_label(ct, pkt, conn, args);
    }
    md->conn = args->nat ? NULL : (struct conn *) conn;
    md->reply = reply;
    md->icmp_related = p->related;
    count_invalid(ct, pkt, p->hash);
}

/* Open vSwitch's process_one_fast(): the packet carries the connection that
 * an earlier ct() in the same zone found. */
static void
process_cached(struct ct *ct, struct dp_packet *pkt, struct ct_conn *conn,
               const struct ct_exec *args)
{
    struct pkt_metadata *md = &pkt->md;

    ct_count(ct, ct_conn_shard(ct, conn), CT_CTR_FOUND, 1);
    if (args->nat) {
        handle_nat(pkt, conn, args->zone, md->reply, md->icmp_related);
        md->conn = NULL;
    }
    md->ct_zone = args->zone;
    md->ct_mark = ct_conn_get_mark(conn);
    md->ct_label = ct_conn_get_label(conn);
    apply_mark_label(ct, pkt, conn, args);
}

static struct ct_conn *
cached_conn(const struct dp_packet *pkt, const struct ct_exec *args)
{
    struct ct_conn *conn = (struct ct_conn *) pkt->md.conn;

    if (conn && !args->force && ct_conn_zone(conn) == args->zone
        && ct_conn_is_v6(conn) == (args->dl_type == htons(ETH_TYPE_IPV6))
        && !ct_conn_is_dead(conn) && !ct_conn_expired(conn, args->now)) {
        return conn;
    }
    return NULL;
}

enum pkt_class {
    PKT_CACHED,             /* md->conn is set: decided when processed. */
    PKT_INVALID,            /* Could not be parsed. */
    PKT_LOOKUP,             /* Parsed, hashed. */
};

/* Whether the batch may create NAT bindings: then the first candidate
 * reply tuples of the packets that miss get prefetched too. */
static bool
batch_binds(const struct ct_exec *args)
{
    return args->commit && ct_nat_spec_binds(args->nat);
}

static void
execute_burst(struct ct *ct, struct dp_packet **packets, size_t cnt,
              const struct ct_exec *args)
{
    struct batch_pkt bps[NETDEV_MAX_BURST];
    struct batch_state bs = { .gen = 0 };
    bool binds = batch_binds(args);

    /* 1. Parse and hash.  (Prefetching the bucket heads here measured
     * slower, and in a loop of their own before step 2 no faster, than
     * loading them in step 2: those loads are independent of each other
     * and the processor overlaps them by itself.) */
    for (size_t i = 0; i < cnt; i++) {
        struct dp_packet *pkt = packets[i];
        struct batch_pkt *bp = &bps[i];

        bp->looked_up = false;
        bp->n_nat_hashes = 0;
        if (pkt->md.conn || pkt->md.ct_state == CS_INVALID) {
            bp->class = PKT_CACHED;
        } else if (ct_tuple_extract(pkt, args->dl_type, args->zone,
                                    ct->hash_basis, &bp->p)) {
            bp->class = PKT_LOOKUP;
        } else {
            bp->class = PKT_INVALID;
        }
    }

    /* 2. Load each bucket head and prefetch its first node. */
    for (size_t i = 0; i < cnt; i++) {
        if (bps[i].class == PKT_LOOKUP) {
            ct_shard_prefetch_node(ct_shard_of(ct, bps[i].p.hash),
                                   bps[i].p.hash);
        }
    }

    /* 2b. Chains are one node long on average, but not always: prefetch
     * the second node where the first is not the one. */
    for (size_t i = 0; i < cnt; i++) {
        if (bps[i].class == PKT_LOOKUP) {
            ct_shard_prefetch_next(ct_shard_of(ct, bps[i].p.hash),
                                   bps[i].p.hash);
        }
    }

    /* 3. Look up; for misses that will bind NAT, compute the hashes of the
     * first candidate reply tuples, whose chains step 3b prefetches. */
    for (size_t i = 0; i < cnt; i++) {
        struct batch_pkt *bp = &bps[i];

        if (bp->class != PKT_LOOKUP
            || state_natted(&packets[i]->md, args->zone)) {
            continue;
        }
        bp->reply = false;
        bp->conn = lookup(ct, &bp->p.key, &bp->p.rkey, bp->p.hash,
                          args->now, &bp->reply);
        bp->looked_up = true;
        bp->gen = 0;
        if (binds && !bp->conn && !bp->p.related) {
            bp->n_nat_hashes = ct_nat_first_hashes(ct, &bp->p.key, args->nat,
                                                   bp->nat_hashes, 2);
        }
    }
    if (binds) {
        /* 3b. */
        for (size_t i = 0; i < cnt; i++) {
            for (size_t j = 0; j < bps[i].n_nat_hashes; j++) {
                uint32_t h = bps[i].nat_hashes[j];

                ct_shard_prefetch_node(ct_shard_of(ct, h), h);
            }
        }
        for (size_t i = 0; i < cnt; i++) {
            for (size_t j = 0; j < bps[i].n_nat_hashes; j++) {
                uint32_t h = bps[i].nat_hashes[j];

                ct_shard_prefetch_next(ct_shard_of(ct, h), h);
            }
        }
    }

    /* 4. Process in order. */
    for (size_t i = 0; i < cnt; i++) {
        struct dp_packet *pkt = packets[i];
        struct batch_pkt *bp = &bps[i];

        if (bp->class == PKT_CACHED) {
            struct ct_conn *conn;

            if (pkt->md.ct_state == CS_INVALID) {
                /* Marked invalid before conntrack (as Open vSwitch's
                 * fragment handling does). */
                write_md(pkt, args->zone, NULL, NULL);
                count_invalid(ct, pkt, 0);
                continue;
            }
            conn = cached_conn(pkt, args);
            if (conn) {
                process_cached(ct, pkt, conn, args);
                continue;
            }
            bp->class = (ct_tuple_extract(pkt, args->dl_type, args->zone,
                                          ct->hash_basis, &bp->p)
                         ? PKT_LOOKUP : PKT_INVALID);
        }
        if (bp->class == PKT_INVALID) {
            pkt->md.ct_state = CS_INVALID;
            write_md(pkt, args->zone, NULL, NULL);
            pkt->md.conn = NULL;
            count_invalid(ct, pkt, 0);
        } else {
            process_one(ct, pkt, bp, &bs, args);
        }
    }
}

void
ct_execute(struct ct *ct, struct dp_packet_batch *batch,
           const struct ct_exec *args)
{
    size_t n = dp_packet_batch_size(batch);

    for (size_t base = 0; base < n; base += NETDEV_MAX_BURST) {
        execute_burst(ct, &batch->packets[base],
                      MIN(n - base, NETDEV_MAX_BURST), args);
    }
}

void
ct_clear_packet(struct dp_packet *packet)
{
    packet->md.ct_state = 0;
    pkt_metadata_init_conn(&packet->md);
}

/* Configuration. */

int
ct_set_maxconns(struct ct *ct, uint32_t max_conns)
{
    atomic_store_relaxed(&ct->zones.max_conns, max_conns);
    return 0;
}

uint32_t
ct_get_maxconns(const struct ct *ct)
{
    uint32_t max;

    atomic_read_relaxed(&CONST_CAST(struct ct *, ct)->zones.max_conns, &max);
    return max;
}

uint32_t
ct_get_nconns(const struct ct *ct)
{
    uint32_t n;

    atomic_read_relaxed(&CONST_CAST(struct ct *, ct)->zones.n_conns, &n);
    return n;
}

int
ct_zone_limit_set(struct ct *ct, int32_t zone, uint32_t limit)
{
    return ct_zones_set_limit(&ct->zones, zone, limit);
}

int
ct_zone_limit_del(struct ct *ct, int32_t zone)
{
    return ct_zones_del_limit(&ct->zones, zone);
}

void
ct_zone_limit_get(const struct ct *ct, int32_t zone, uint32_t *limit,
                  uint32_t *count)
{
    ct_zones_get_limit(&ct->zones, zone, limit, count);
}

void
ct_set_acct(struct ct *ct, bool enabled)
{
    atomic_store_relaxed(&ct->acct, enabled);
}

bool
ct_get_acct(const struct ct *ct)
{
    bool enabled;

    atomic_read_relaxed(&CONST_CAST(struct ct *, ct)->acct, &enabled);
    return enabled;
}

void
ct_set_tcp_seq_chk(struct ct *ct, bool enabled)
{
    atomic_store_relaxed(&ct->tcp_seq_chk, enabled);
}

bool
ct_get_tcp_seq_chk(const struct ct *ct)
{
    bool enabled;

    atomic_read_relaxed(&CONST_CAST(struct ct *, ct)->tcp_seq_chk, &enabled);
    return enabled;
}

int
ct_timeout_policy_set(struct ct *ct,
                      const struct ct_dpif_timeout_policy *policy)
{
    return ct_timeouts_set(&ct->timeouts, policy);
}

int
ct_timeout_policy_get(const struct ct *ct, uint32_t tp_id,
                      struct ct_dpif_timeout_policy *policy)
{
    return ct_timeouts_get(&ct->timeouts, tp_id, policy);
}

int
ct_timeout_policy_del(struct ct *ct, uint32_t tp_id)
{
    return ct_timeouts_del(&ct->timeouts, tp_id);
}

/* Statistics and introspection. */

void
ct_get_stats(const struct ct *ct, struct ct_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    for (unsigned int i = 0; i < ct->n_shards; i++) {
        uint32_t n;

        atomic_read_relaxed(&ct->shards[i].n_conns, &n);
        stats->n_conns += n;
    }
    stats->found = ct_counter_sum(ct, CT_CTR_FOUND);
    stats->new_conns = ct_counter_sum(ct, CT_CTR_NEW);
    stats->invalid = ct_counter_sum(ct, CT_CTR_INVALID);
    stats->insert_races = ct_counter_sum(ct, CT_CTR_INSERT_RACE);
    stats->early_drops = ct_counter_sum(ct, CT_CTR_EARLY_DROP);
    stats->limit_drops = ct_counter_sum(ct, CT_CTR_LIMIT_DROP);
    stats->nat_exhausted = ct_counter_sum(ct, CT_CTR_NAT_EXHAUSTED);
    stats->expired = ct_counter_sum(ct, CT_CTR_EXPIRED);
}

unsigned int
ct_n_shards(const struct ct *ct)
{
    return ct->n_shards;
}

void
ct_shard_counts(const struct ct *ct, uint32_t *counts, unsigned int n)
{
    for (unsigned int i = 0; i < n && i < ct->n_shards; i++) {
        atomic_read_relaxed(&ct->shards[i].n_conns, &counts[i]);
    }
}

void
ct_format_shards(const struct ct *ct, struct ds *ds)
{
    static const char *names[CT_N_COUNTERS] = {
        [CT_CTR_FOUND] = "found",
        [CT_CTR_NEW] = "new",
        [CT_CTR_INVALID] = "invalid",
        [CT_CTR_INSERT_RACE] = "insert_races",
        [CT_CTR_EARLY_DROP] = "early_drops",
        [CT_CTR_LIMIT_DROP] = "limit_drops",
        [CT_CTR_NAT_EXHAUSTED] = "nat_exhausted",
        [CT_CTR_EXPIRED] = "expired",
    };
    uint64_t total_conns = 0;
    size_t total_mem = 0;

    ds_put_format(ds, "shards: %u\n", ct->n_shards);
    for (unsigned int i = 0; i < ct->n_shards; i++) {
        struct ct_shard *shard = &ct->shards[i];
        uint32_t hist[4] = { 0 };
        uint32_t n_conns, n_buckets;
        size_t mem = ct_shard_memory(shard);

        atomic_read_relaxed(&shard->n_conns, &n_conns);
        ct_shard_chain_histogram(shard, hist, ARRAY_SIZE(hist), &n_buckets);
        total_conns += n_conns;
        total_mem += mem;
        ds_put_format(ds, "shard %u: conns=%"PRIu32" buckets=%"PRIu32
                      " chains(0/1/2/3+)=%"PRIu32"/%"PRIu32"/%"PRIu32
                      "/%"PRIu32" memory=%"PRIuSIZE,
                      i, n_conns, n_buckets, hist[0], hist[1], hist[2],
                      hist[3], mem);
        for (int c = 0; c < CT_N_COUNTERS; c++) {
            ds_put_format(ds, " %s=%"PRIu64, names[c],
                          ct_counter_shard(ct, i, c));
        }
        ds_put_char(ds, '\n');
    }
    ds_put_format(ds, "total: conns=%"PRIu64" memory=%"PRIuSIZE"\n",
                  total_conns, total_mem);
}
