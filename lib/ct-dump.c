/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Dump and flush.
 *
 * Both walk the shards with ct_shard_scan(), lock-free, a chunk at a time:
 * a dump converts what it found into Open vSwitch's 'struct ct_dpif_entry'
 * before returning (so that no connection pointer outlives the RCU grace
 * period of the call), a flush removes what it found one connection at a
 * time under that connection's shard locks.  Traffic never waits for more
 * than one removal.
 *
 * Entries carry what Open vSwitch 3.1's userspace conntrack fills in (its
 * conn_to_ct_dpif_entry()): both tuples (the reply tuple after NAT), zone,
 * mark, labels, the remaining timeout in seconds and the TCP/SCTP
 * protoinfo.  Like it, we keep no per-connection counters or timestamps,
 * report id 0 and no status flags, so that ct_dpif_format_entry() prints
 * the same text. */

#include <config.h>

#include <errno.h>
#include <limits.h>
#include "ct-dpif.h"
#include "ct-l4.h"
#include "ct-private.h"
#include "timeval.h"
#include "util.h"

#define CT_DUMP_CHUNK 32

struct ct_dump {
    struct ct *ct;
    bool filter_zone;
    uint16_t zone;
    long long now;
    long long wall_ofs;         /* time_wall_msec() - 'now' at the start. */
    unsigned int shard;         /* Shard being walked. */
    uint32_t cursor;            /* ct_shard_scan() cursor in 'shard'. */
    bool done;
    size_t n, pos;              /* Buffered entries and next to return. */
    struct ct_dpif_entry buf[CT_DUMP_CHUNK];
};

static void
conn_to_entry(const struct ct_conn *c, long long now, long long wall_ofs,
              struct ct_dpif_entry *e)
{
    long long exp = ct_conn_expiration(c);
    struct ct_key k;

    memset(e, 0, sizeof *e);
    ct_conn_orig_key(c, &k);
    ct_key_to_dpif(&k, &e->tuple_orig);
    ct_conn_reply_key(c, &k);
    ct_key_to_dpif(&k, &e->tuple_reply);
    e->zone = ct_conn_zone(c);
    e->mark = ct_conn_get_mark(c);
    e->labels = ct_conn_get_label(c);
    if (exp > now) {
        /* Unsigned: 'now' may be far in the past (LLONG_MIN). */
        uint64_t left = ((unsigned long long) exp
                         - (unsigned long long) now) / 1000;

        e->timeout = MIN(left, UINT32_MAX);
    } else {
        e->timeout = 0;
    }
    ct_l4_protoinfo(CONST_CAST(struct ct_conn *, c), ct_l4_kind_of_conn(c),
                    &e->protoinfo);
    if (ct_conn_has_acct(c)) {
        struct ct_conn_acct *a = ct_conn_acct(c);
        long long start_ms = a->created + wall_ofs;

        atomic_read_relaxed(&a->packets[0], &e->counters_orig.packets);
        atomic_read_relaxed(&a->bytes[0], &e->counters_orig.bytes);
        atomic_read_relaxed(&a->packets[1], &e->counters_reply.packets);
        atomic_read_relaxed(&a->bytes[1], &e->counters_reply.bytes);
        e->timestamp.start = start_ms > 0 ? start_ms * UINT64_C(1000000) : 0;
    }
}

struct ct_dump *
ct_dump_start(struct ct *ct, const uint16_t *zone, long long now)
{
    /* Not zeroed: 'buf' (most of the size) is written before it is read. */
    struct ct_dump *dump = xmalloc(sizeof *dump);

    dump->ct = ct;
    dump->filter_zone = zone != NULL;
    dump->zone = zone ? *zone : 0;
    dump->now = now;
    /* Connections' start times are on the clock of 'now', unless 'now'
     * lies outside it (LLONG_MIN lists expired connections too). */
    dump->wall_ofs = time_wall_msec() - (now > 0 ? now : time_msec());
    dump->shard = 0;
    dump->cursor = 0;
    dump->done = false;
    dump->n = dump->pos = 0;
    return dump;
}

/* Collects the next chunk of connections of the dump. */
static void
dump_refill(struct ct_dump *dump)
{
    struct ct *ct = dump->ct;
    struct ct_conn *conns[CT_DUMP_CHUNK];

    dump->n = dump->pos = 0;
    while (!dump->done && !dump->n) {
        struct ct_shard *shard = &ct->shards[dump->shard];
        size_t n = 0;

        do {
            uint32_t next = ct_shard_scan(shard, dump->cursor, conns, &n,
                                          CT_DUMP_CHUNK);
            if (next == dump->cursor && n) {
                break;
            }
            dump->cursor = next;
        } while (dump->cursor && n < CT_DUMP_CHUNK / 2);

        for (size_t i = 0; i < n; i++) {
            const struct ct_conn *c = conns[i];

            if (ct_conn_expired(c, dump->now)
                || (dump->filter_zone && ct_conn_zone(c) != dump->zone)) {
                continue;
            }
            conn_to_entry(c, dump->now, dump->wall_ofs,
                          &dump->buf[dump->n++]);
        }
        if (!dump->cursor && ++dump->shard >= ct->n_shards) {
            dump->done = true;
        }
    }
}

int
ct_dump_next(struct ct_dump *dump, struct ct_dpif_entry *entry)
{
    if (dump->pos >= dump->n) {
        dump_refill(dump);
        if (!dump->n) {
            return EOF;
        }
    }
    *entry = dump->buf[dump->pos++];
    return 0;
}

void
ct_dump_done(struct ct_dump *dump)
{
    free(dump);
}

/* Flush. */

int
ct_flush(struct ct *ct, const uint16_t *zone)
{
    struct ct_conn *conns[CT_DUMP_CHUNK];

    for (unsigned int i = 0; i < ct->n_shards; i++) {
        struct ct_shard *shard = &ct->shards[i];
        uint32_t cursor = 0;

        do {
            size_t n = 0;

            do {
                uint32_t next = ct_shard_scan(shard, cursor, conns, &n,
                                              CT_DUMP_CHUNK);
                if (next == cursor && n) {
                    break;
                }
                cursor = next;
            } while (cursor && n < CT_DUMP_CHUNK / 2);

            for (size_t j = 0; j < n; j++) {
                if (!zone || ct_conn_zone(conns[j]) == *zone) {
                    ct_conn_remove(ct, conns[j]);
                }
            }
        } while (cursor);

        ovs_mutex_lock(&shard->mutex);
        ct_shard_retire_flush(shard);
        ovs_mutex_unlock(&shard->mutex);
    }
    return 0;
}

int
ct_flush_tuple(struct ct *ct, const struct ct_dpif_tuple *tuple,
               uint16_t zone)
{
    struct ct_key key, rkey;
    struct ct_conn *conn;
    uint32_t hash;
    bool reply;

    if (!ct_key_from_dpif(tuple, zone, &key)) {
        return EINVAL;
    }
    ct_key_reverse(&rkey, &key);
    hash = ct_key_hash(&key, ct->hash_basis);
    /* Expired connections still in the table count: LLONG_MIN is before
     * every expiration. */
    conn = ct_shard_lookup(ct_shard_of(ct, hash), &key, &rkey, hash,
                           LLONG_MIN, &reply, NULL);
    if (!conn) {
        return ENOENT;
    }
    ct_conn_remove(ct, conn);
    return 0;
}
