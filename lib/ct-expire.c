/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Expiry and eviction.
 *
 * ct_sweep() walks the shards one after the other with a resumable cursor
 * (ct_shard_scan()), a bounded number of buckets and connections per call,
 * and removes the expired connections it meets.  Like gVisor's reaper, it
 * adapts the interval it asks to be called again after: half as long when
 * most of what it saw had expired, twice as long when nothing had, and never
 * so long that a full pass over the table would exceed CT_SWEEP_MAX_ROUND_MS.
 *
 * ct_early_drop() makes room when a limit is reached, as Linux does: it
 * scans a bounded slice of one shard for a connection that never saw a
 * reply (or an expired one) and removes it. */

#include <config.h>

#include "coverage.h"
#include "ct-l4.h"
#include "ct-private.h"
#include "util.h"

COVERAGE_DEFINE(ct_early_drop);

#define CT_SWEEP_MIN_INTERVAL_MS 1
#define CT_SWEEP_MAX_INTERVAL_MS 1000
#define CT_SWEEP_MAX_ROUND_MS (10 * 1000)
#define CT_SCAN_CHUNK 64
#define CT_EVICT_SCAN 64

/* Removes the expired connections among 'conns'; returns how many. */
static size_t
reap(struct ct *ct, struct ct_conn **conns, size_t n, long long now)
{
    size_t reaped = 0;

    for (size_t i = 0; i < n; i++) {
        struct ct_conn *c = conns[i];

        if (ct_conn_expired(c, now) && ct_conn_remove(ct, c)) {
            ct_count(ct, ct_conn_shard(ct, c), CT_CTR_EXPIRED, 1);
            reaped++;
        }
    }
    return reaped;
}

static void
flush_retired(struct ct *ct)
{
    for (unsigned int i = 0; i < ct->n_shards; i++) {
        struct ct_shard *shard = &ct->shards[i];

        ovs_mutex_lock(&shard->mutex);
        ct_shard_retire_flush(shard);
        ovs_mutex_unlock(&shard->mutex);
    }
}

long long
ct_sweep(struct ct *ct, long long now, size_t budget)
{
    struct ct_conn *conns[CT_SCAN_CHUNK];
    size_t work = 0, seen = 0, reaped = 0;
    bool round_done = false;
    long long interval, max_interval;
    struct ct_stats stats;

    budget = MAX(budget, 1);
    ovs_mutex_lock(&ct->sweep_mutex);
    while (work < budget && !round_done) {
        struct ct_shard *shard = &ct->shards[ct->sweep_shard];
        uint32_t cursor = ct->sweep_cursor;
        size_t n = 0;

        /* Gather up to a chunk, one bucket at a time. */
        do {
            uint32_t next = ct_shard_scan(shard, cursor, conns, &n,
                                          CT_SCAN_CHUNK);
            if (next == cursor && n) {
                break;          /* The next bucket does not fit. */
            }
            cursor = next;
            work++;
        } while (cursor && n < CT_SCAN_CHUNK / 2 && work < budget);

        work += n;
        seen += n;
        reaped += reap(ct, conns, n, now);

        ct->sweep_cursor = cursor;
        if (!cursor) {
            if (++ct->sweep_shard >= ct->n_shards) {
                ct->sweep_shard = 0;
                round_done = true;
            }
        }
    }
    flush_retired(ct);

    interval = ct->sweep_interval;
    if (seen && reaped * 2 > seen) {
        interval = MAX(interval / 2, CT_SWEEP_MIN_INTERVAL_MS);
    } else if (!reaped) {
        interval = MIN(interval * 2, CT_SWEEP_MAX_INTERVAL_MS);
    }
    /* A full pass visits every bucket and every connection, one unit of
     * work each, so it takes about (n_buckets + n_conns) / budget calls. */
    ct_get_stats(ct, &stats);
    long long n_units = stats.n_conns + ct->n_shards;
    for (size_t i = 0; i < ct->n_shards; i++) {
        const struct ct_buckets *b
            = ovsrcu_get(struct ct_buckets *, &ct->shards[i].buckets);
        n_units += (long long) b->mask + 1;
    }
    /* A budget that covers the whole table (the callers that sweep
     * everything pass a huge one) must not overflow the product. */
    max_interval = (budget >= n_units ? CT_SWEEP_MAX_ROUND_MS
                    : CT_SWEEP_MAX_ROUND_MS * (long long) budget / n_units);
    interval = MAX(MIN(interval, max_interval), CT_SWEEP_MIN_INTERVAL_MS);
    ct->sweep_interval = interval;
    ovs_mutex_unlock(&ct->sweep_mutex);
    return interval;
}

static bool
evict(struct ct *ct, struct ct_shard *shard, struct ct_conn *c)
    OVS_REQUIRES(shard->mutex)
{
    struct ct_shard *b = ct_conn_reply_shard(ct, c);
    bool removed;

    if (b == shard) {
        return ct_conn_remove_locked(ct, c, shard, shard);
    }
    /* Lock order: never wait for a second shard mutex while holding one. */
    if (ovs_mutex_trylock(&b->mutex)) {
        return false;
    }
    removed = ct_conn_remove_locked(ct, c, shard, b);
    ovs_mutex_unlock(&b->mutex);
    return removed;
}

bool
ct_early_drop(struct ct *ct, struct ct_shard *shard, bool zone_only,
              uint16_t zone, long long now)
    OVS_REQUIRES(shard->mutex)
{
    struct ct_conn *conns[CT_EVICT_SCAN / 2];
    size_t n = ct_shard_collect(shard, &shard->evict_cursor, conns,
                                ARRAY_SIZE(conns), 4 * CT_EVICT_SCAN);

    for (size_t i = 0; i < n; i++) {
        struct ct_conn *c = conns[i];

        if (ct_conn_expired(c, now)) {
            if (evict(ct, shard, c)) {
                ct_count(ct, shard, CT_CTR_EXPIRED, 1);
                return true;
            }
            continue;
        }
        if ((zone_only && ct_conn_zone(c) != zone)
            || ct_l4_assured(c, ct_l4_kind_of_conn(c))) {
            continue;
        }
        if (evict(ct, shard, c)) {
            ct_count(ct, shard, CT_CTR_EARLY_DROP, 1);
            COVERAGE_INC(ct_early_drop);
            return true;
        }
    }
    return false;
}
