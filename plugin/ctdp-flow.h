/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_FLOW_H
#define CTDP_FLOW_H 1

/* The megaflow cache of a ctdp datapath.
 *
 * A megaflow is a (key, mask) pair with actions and statistics, identified
 * by the 128-bit ufid it was created with.  Lookup is a tuple space search:
 * megaflows with the same mask share a subtable, which hashes the masked key
 * into a cmap; a packet's key is looked up in each subtable in turn.
 * ofproto never installs overlapping megaflows for the same packet, so the
 * first match is the match.
 *
 * Masks are normalised on insertion the way Open vSwitch's userspace
 * datapath normalises them, so that dumps of the same traffic print the
 * same keys and masks: bits of fields that cannot exist for the key's
 * protocols are dropped (flow_wc_map()), in_port is always exact, and a
 * missing VLAN mask means "exactly no VLAN".
 *
 * Thread-safety
 * =============
 *
 * Lookups (ctdp_flow_lookup(), ctdp_flow_find()) and reading a flow's
 * actions and statistics may run on any number of threads without locks,
 * under RCU: a flow found stays valid until the thread quiesces.  Writers
 * (insert, remove, modify, flush) hold 'table->mutex'.  Statistics are
 * relaxed atomics updated by the packet threads. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cmap.h"
#include "flow.h"
#include "openvswitch/hmap.h"
#include "openvswitch/thread.h"
#include "openvswitch/types.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"

struct ds;
struct dpif_flow;
struct dpif_flow_stats;
struct match;
struct nlattr;
struct ofpbuf;

/* A flow's actions.  Immutable once published; replaced as a whole. */
struct ctdp_actions {
    size_t size;                    /* Bytes in 'actions'. */
    struct nlattr actions[];
};

struct ctdp_subtable;

struct ctdp_flow {
    struct cmap_node ufid_node;     /* In 'table->by_ufid'. [RCU] */
    struct cmap_node key_node;      /* In 'subtable->rules'. [RCU] */

    /* Immutable after insertion. */
    ovs_u128 ufid;                  /* As given at creation. */
    ovs_u128 mega_ufid;             /* Hash of the masked key. */
    struct flow flow;               /* Key as installed (unmasked). */
    struct flow_wildcards wc;       /* Normalised mask. */
    struct ctdp_subtable *subtable;
    uint32_t hash;                  /* Masked-key hash in 'subtable'. */
    char *extra_info;               /* dpctl "dp-extra-info". */

    /* Written under 'table->mutex', read under RCU. */
    OVSRCU_TYPE(struct ctdp_actions *) actions;
    atomic_bool dead;               /* Removed: lookups skip it. */

    /* Statistics.  [atomic, relaxed] */
    atomic_uint64_t n_packets;
    atomic_uint64_t n_bytes;
    atomic_llong used;              /* time_msec() of last packet, or 0. */
    atomic_uint16_t tcp_flags;

    uint64_t masked[];              /* Masked key words, one per word of
                                     * 'subtable''s mask. */
};

struct ctdp_subtable_vec;

struct ctdp_flow_table {
    struct ovs_mutex mutex;
    struct cmap by_ufid;            /* All flows. Written under 'mutex'. */
    struct hmap subtables OVS_GUARDED;   /* [mutex] By mask hash. */
    OVSRCU_TYPE(struct ctdp_subtable_vec *) vec;   /* Lookup order. */

    /* Statistics.  [atomic, relaxed] */
    atomic_uint64_t n_lookups;      /* Packet lookups. */
    atomic_uint64_t n_subtable_probes;  /* Subtables searched by them. */
};

void ctdp_flow_table_init(struct ctdp_flow_table *);
void ctdp_flow_table_destroy(struct ctdp_flow_table *);

/* Lookups. */
struct ctdp_flow *ctdp_flow_lookup(const struct ctdp_flow_table *,
                                   const struct flow *, size_t *n_probes);
struct ctdp_flow *ctdp_flow_find(const struct ctdp_flow_table *,
                                 const ovs_u128 *ufid);
size_t ctdp_flow_count(const struct ctdp_flow_table *);
size_t ctdp_flow_n_subtables(const struct ctdp_flow_table *);

/* Writers. */
void ctdp_flow_normalize_match(struct match *);
struct ctdp_flow *ctdp_flow_insert(struct ctdp_flow_table *table,
                                   const struct match *,
                                   const ovs_u128 *ufid,
                                   const struct nlattr *actions,
                                   size_t actions_len)
    OVS_REQUIRES(table->mutex);
void ctdp_flow_set_actions(struct ctdp_flow_table *table, struct ctdp_flow *,
                           const struct nlattr *actions, size_t actions_len)
    OVS_REQUIRES(table->mutex);
void ctdp_flow_remove(struct ctdp_flow_table *table, struct ctdp_flow *)
    OVS_REQUIRES(table->mutex);
void ctdp_flow_flush(struct ctdp_flow_table *table)
    OVS_EXCLUDED(table->mutex);

/* Per-flow data. */
static inline const struct ctdp_actions *
ctdp_flow_get_actions(const struct ctdp_flow *flow)
{
    return ovsrcu_get(struct ctdp_actions *, &flow->actions);
}

void ctdp_flow_used(struct ctdp_flow *, uint64_t n_packets, uint64_t n_bytes,
                    uint16_t tcp_flags, long long now);
void ctdp_flow_get_stats(const struct ctdp_flow *, struct dpif_flow_stats *);
void ctdp_flow_clear_stats(struct ctdp_flow *);

/* Fills 'out' from 'flow': key and mask are written into 'key_buf' and
 * 'mask_buf' (which may be the same buffer); actions point to RCU-protected
 * data.  With 'terse', only the ufid and statistics. */
void ctdp_flow_to_dpif_flow(const struct ctdp_flow *, struct ofpbuf *key_buf,
                            struct ofpbuf *mask_buf, struct dpif_flow *out,
                            bool terse);

/* Formats 'match'/'actions' the way the megaflow log line prints them. */
void ctdp_flow_format_key(const struct flow *, const struct flow_wildcards *,
                          struct ds *);

/* Dump iteration over all flows: stores up to 'max' flows into 'flows' and
 * returns how many.  Sets '*done' once the end was reached (after which
 * the caller must not call again: 'pos' starts over).  'pos' starts
 * zeroed. */
size_t ctdp_flow_dump_next(const struct ctdp_flow_table *,
                           struct cmap_position *pos,
                           struct ctdp_flow **flows, size_t max, bool *done);

/* Re-sorts the subtable search order by recent hits. */
void ctdp_flow_table_optimize(struct ctdp_flow_table *table)
    OVS_EXCLUDED(table->mutex);

/* Appends per-subtable statistics for ctdp/show. */
void ctdp_flow_table_format(const struct ctdp_flow_table *, struct ds *);

/* The odp_support used to serialise keys and masks. */
extern const struct odp_support ctdp_odp_support;

#endif /* ctdp-flow.h */
