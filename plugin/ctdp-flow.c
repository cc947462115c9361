/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Megaflow cache: tuple space search over masked keys.
 *
 * Design
 * ======
 *
 * A subtable holds every megaflow with one particular mask.  It records the
 * indexes of the 64-bit words of 'struct flow' in which the mask has a bit
 * set, the mask words themselves, and a cmap of its megaflows keyed by the
 * hash of the masked key words.  A lookup hashes the packet's key through
 * each subtable's mask and probes the subtable's cmap: the cost is one hash
 * over a handful of words per subtable, independent of the number of
 * megaflows.
 *
 * The set of subtables that lookups walk is an RCU-published array,
 * replaced as a whole when a subtable appears or disappears.
 * ctdp_flow_table_optimize(), run periodically, republishes it sorted by
 * recent hits (most used first), so that common traffic is found in the
 * first probes.
 *
 * Invariants (under 'table->mutex'):
 *   - A flow is in 'by_ufid' and in its subtable's 'rules' or in neither.
 *   - A subtable is in 'table->subtables' and in the published array iff it
 *     has at least one flow.
 *   - Removed flows and subtables are freed only after an RCU grace period;
 *     removed flows are marked 'dead' first so that a lookup racing with the
 *     removal never returns them after the remover has returned. */

#include <config.h>

#include "ctdp-flow.h"

#include <stdlib.h>
#include <string.h>

#include "dpif.h"
#include "hash.h"
#include "openvswitch/match.h"
#include "odp-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ctdp_flow);

/* Keys and masks are serialised with the same capabilities as Open
 * vSwitch's userspace datapath, so dumps are comparable. */
const struct odp_support ctdp_odp_support = {
    .max_vlan_headers = SIZE_MAX,
    .max_mpls_depth = SIZE_MAX,
    .recirc = true,
    .ct_state = true,
    .ct_zone = true,
    .ct_mark = true,
    .ct_label = true,
    .ct_state_nat = true,
    .ct_orig_tuple = true,
    .ct_orig_tuple6 = true,
};

struct ctdp_subtable {
    struct hmap_node node;          /* In 'table->subtables'. [mutex] */
    struct cmap rules;              /* Its flows. Written under the table
                                     * mutex, read under RCU. */
    size_t n_rules;                 /* [table mutex] */
    atomic_uint64_t hits;           /* Lookups that matched here. [relaxed] */
    uint64_t last_hits;             /* 'hits' at the last optimisation. */
    uint64_t recent_hits;           /* Hits between the last two.
                                     * Both [table mutex]. */

    /* Immutable. */
    struct flow_wildcards mask;
    size_t n_words;                 /* Words with a mask bit set. */
    uint8_t idx[FLOW_U64S];         /* Their indexes in 'struct flow'. */
    uint64_t words[FLOW_U64S];      /* Their mask values. */
};
BUILD_ASSERT_DECL(FLOW_U64S <= UINT8_MAX + 1);

struct ctdp_subtable_vec {
    size_t n;
    struct ctdp_subtable *tables[];
};

static const uint64_t *
ctdp_flow_words(const struct flow *flow)
{
    return (const uint64_t *) flow;
}

static uint32_t
ctdp_ufid_hash(const ovs_u128 *ufid)
{
    return ufid->u32[0];
}

static uint32_t
ctdp_mask_hash(const struct flow_wildcards *wc)
{
    return hash_bytes64(ctdp_flow_words(&wc->masks), sizeof wc->masks, 0);
}

/* Hash of 'flow' seen through 'st''s mask. */
static uint32_t
ctdp_subtable_hash(const struct ctdp_subtable *st, const struct flow *flow)
{
    const uint64_t *w = ctdp_flow_words(flow);
    uint32_t h = 0;

    for (size_t i = 0; i < st->n_words; i++) {
        h = hash_add64(h, w[st->idx[i]] & st->words[i]);
    }
    return hash_finish(h, st->n_words * 8);
}

static bool
ctdp_subtable_match(const struct ctdp_subtable *st,
                    const struct ctdp_flow *rule, const struct flow *flow)
{
    const uint64_t *w = ctdp_flow_words(flow);

    for (size_t i = 0; i < st->n_words; i++) {
        if ((w[st->idx[i]] & st->words[i]) != rule->masked[i]) {
            return false;
        }
    }
    return true;
}

void
ctdp_flow_table_init(struct ctdp_flow_table *table)
{
    struct ctdp_subtable_vec *vec = xzalloc(sizeof *vec);

    ovs_mutex_init(&table->mutex);
    cmap_init(&table->by_ufid);
    ovs_mutex_lock(&table->mutex);
    hmap_init(&table->subtables);
    ovs_mutex_unlock(&table->mutex);
    ovsrcu_init(&table->vec, vec);
    atomic_init(&table->n_lookups, 0);
    atomic_init(&table->n_subtable_probes, 0);
}

void
ctdp_flow_table_destroy(struct ctdp_flow_table *table)
{
    ctdp_flow_flush(table);
    ovs_mutex_lock(&table->mutex);
    ovs_assert(hmap_is_empty(&table->subtables));
    hmap_destroy(&table->subtables);
    ovs_mutex_unlock(&table->mutex);
    ovsrcu_postpone(free, ovsrcu_get_protected(struct ctdp_subtable_vec *,
                                               &table->vec));
    cmap_destroy(&table->by_ufid);
    ovs_mutex_destroy(&table->mutex);
}

/* Returns the live megaflow that matches 'flow', or NULL.  Stores in
 * '*n_probes' (if nonnull) the number of subtables searched. */
struct ctdp_flow *
ctdp_flow_lookup(const struct ctdp_flow_table *table, const struct flow *flow,
                 size_t *n_probes)
{
    const struct ctdp_subtable_vec *vec;
    size_t i;

    vec = ovsrcu_get(struct ctdp_subtable_vec *, &table->vec);
    for (i = 0; i < vec->n; i++) {
        struct ctdp_subtable *st = vec->tables[i];
        uint32_t hash = ctdp_subtable_hash(st, flow);
        struct ctdp_flow *rule;

        CMAP_FOR_EACH_WITH_HASH (rule, key_node, hash, &st->rules) {
            bool dead;

            atomic_read_relaxed(&rule->dead, &dead);
            if (!dead && ctdp_subtable_match(st, rule, flow)) {
                atomic_add_relaxed(&st->hits, 1, &(uint64_t) {0});
                if (n_probes) {
                    *n_probes = i + 1;
                }
                return rule;
            }
        }
    }
    if (n_probes) {
        *n_probes = i;
    }
    return NULL;
}

struct ctdp_flow *
ctdp_flow_find(const struct ctdp_flow_table *table, const ovs_u128 *ufid)
{
    struct ctdp_flow *flow;

    CMAP_FOR_EACH_WITH_HASH (flow, ufid_node, ctdp_ufid_hash(ufid),
                             &table->by_ufid) {
        if (ovs_u128_equals(flow->ufid, *ufid)) {
            return flow;
        }
    }
    return NULL;
}

size_t
ctdp_flow_count(const struct ctdp_flow_table *table)
{
    return cmap_count(&table->by_ufid);
}

size_t
ctdp_flow_n_subtables(const struct ctdp_flow_table *table)
{
    return ovsrcu_get(struct ctdp_subtable_vec *, &table->vec)->n;
}

/* Applies the normalisation described in the header to 'match''s mask. */
void
ctdp_flow_normalize_match(struct match *match)
{
    struct flow_wildcards wc;
    struct flowmap fmap;
    size_t idx;

    /* A key without a VLAN header matches only packets without one. */
    if (!match->wc.masks.vlans[0].tci) {
        match->wc.masks.vlans[0].tci = htons(VLAN_VID_MASK | VLAN_CFI);
    }

    /* Keep only mask words that can be nonzero in a packet of this key. */
    flow_wildcards_init_catchall(&wc);
    flow_wc_map(&match->flow, &fmap);
    FLOWMAP_FOR_EACH_INDEX (idx, fmap) {
        ((uint64_t *) &wc.masks)[idx] = flow_u64_value(&match->wc.masks, idx);
    }
    wc.masks.in_port.odp_port = ODPP_NONE;
    match->wc = wc;
}

static void
ctdp_subtable_vec_publish(struct ctdp_flow_table *table)
    OVS_REQUIRES(table->mutex)
{
    struct ctdp_subtable_vec *old, *vec;
    struct ctdp_subtable *st;
    size_t n = hmap_count(&table->subtables);

    vec = xmalloc(sizeof *vec + n * sizeof vec->tables[0]);
    vec->n = 0;
    HMAP_FOR_EACH (st, node, &table->subtables) {
        vec->tables[vec->n++] = st;
    }
    old = ovsrcu_get_protected(struct ctdp_subtable_vec *, &table->vec);
    ovsrcu_set(&table->vec, vec);
    ovsrcu_postpone(free, old);
}

static int
ctdp_subtable_compare_hits(const void *a_, const void *b_)
{
    const struct ctdp_subtable *const *a = a_;
    const struct ctdp_subtable *const *b = b_;
    uint64_t x = (*a)->recent_hits, y = (*b)->recent_hits;

    return x > y ? -1 : x < y;
}

/* Re-sorts the lookup order by the hits each subtable received since the
 * previous call. */
void
ctdp_flow_table_optimize(struct ctdp_flow_table *table)
{
    struct ctdp_subtable_vec *old, *vec;
    size_t n;

    ovs_mutex_lock(&table->mutex);
    old = ovsrcu_get_protected(struct ctdp_subtable_vec *, &table->vec);
    n = old->n;
    vec = xmalloc(sizeof *vec + n * sizeof vec->tables[0]);
    vec->n = n;
    for (size_t i = 0; i < n; i++) {
        struct ctdp_subtable *st = old->tables[i];
        uint64_t hits;

        atomic_read_relaxed(&st->hits, &hits);
        st->recent_hits = hits - st->last_hits;
        st->last_hits = hits;
        vec->tables[i] = st;
    }
    qsort(vec->tables, n, sizeof vec->tables[0], ctdp_subtable_compare_hits);
    ovsrcu_set(&table->vec, vec);
    ovsrcu_postpone(free, old);
    ovs_mutex_unlock(&table->mutex);
}

static struct ctdp_subtable *
ctdp_subtable_get(struct ctdp_flow_table *table,
                  const struct flow_wildcards *wc)
    OVS_REQUIRES(table->mutex)
{
    uint32_t hash = ctdp_mask_hash(wc);
    struct ctdp_subtable *st;

    HMAP_FOR_EACH_WITH_HASH (st, node, hash, &table->subtables) {
        if (flow_wildcards_equal(&st->mask, wc)) {
            return st;
        }
    }

    st = xzalloc(sizeof *st);
    cmap_init(&st->rules);
    atomic_init(&st->hits, 0);
    st->mask = *wc;
    for (size_t i = 0; i < FLOW_U64S; i++) {
        uint64_t m = ctdp_flow_words(&wc->masks)[i];

        if (m) {
            st->idx[st->n_words] = i;
            st->words[st->n_words] = m;
            st->n_words++;
        }
    }
    hmap_insert(&table->subtables, &st->node, hash);
    ctdp_subtable_vec_publish(table);
    return st;
}

static void
ctdp_subtable_free(struct ctdp_subtable *st)
{
    cmap_destroy(&st->rules);
    free(st);
}

static struct ctdp_actions *
ctdp_actions_create(const struct nlattr *actions, size_t size)
{
    struct ctdp_actions *a = xmalloc(sizeof *a + size);

    a->size = size;
    if (size) {
        memcpy(a->actions, actions, size);
    }
    return a;
}

/* The "miniflow_bits(...)" text that Open vSwitch's userspace datapath shows
 * as dp-extra-info: per 64-bit map unit, the number of mask words set,
 * counting in_port as wildcarded (it selects the classifier instead). */
static char *
ctdp_flow_extra_info(const struct flow_wildcards *wc)
{
    struct flow_wildcards m = *wc;
    struct ds s = DS_EMPTY_INITIALIZER;
    size_t unit;

    m.masks.in_port.odp_port = 0;
    ds_put_cstr(&s, "miniflow_bits(");
    for (unit = 0; unit < FLOWMAP_UNITS; unit++) {
        unsigned int n = 0;

        for (size_t i = unit * MAP_T_BITS;
             i < MIN(FLOW_U64S, (unit + 1) * MAP_T_BITS); i++) {
            n += ctdp_flow_words(&m.masks)[i] != 0;
        }
        ds_put_format(&s, "%s%u", unit ? "," : "", n);
    }
    ds_put_char(&s, ')');
    return ds_steal_cstr(&s);
}

/* Inserts a megaflow for 'match' (normalised with
 * ctdp_flow_normalize_match()) with 'ufid' and 'actions'.  The caller has
 * checked that no flow with 'ufid' exists. */
struct ctdp_flow *
ctdp_flow_insert(struct ctdp_flow_table *table, const struct match *match,
                 const ovs_u128 *ufid, const struct nlattr *actions,
                 size_t actions_len)
{
    struct ctdp_subtable *st = ctdp_subtable_get(table, &match->wc);
    struct ctdp_flow *flow;
    struct flow masked;

    flow = xzalloc(sizeof *flow + st->n_words * sizeof flow->masked[0]);
    flow->ufid = *ufid;
    masked = match->flow;
    flow_zero_wildcards(&masked, &match->wc);
    odp_flow_key_hash(&masked, sizeof masked, &flow->mega_ufid);
    flow->flow = match->flow;
    flow->wc = match->wc;
    flow->subtable = st;
    for (size_t i = 0; i < st->n_words; i++) {
        flow->masked[i] = (ctdp_flow_words(&match->flow)[st->idx[i]]
                           & st->words[i]);
    }
    flow->hash = ctdp_subtable_hash(st, &match->flow);
    flow->extra_info = ctdp_flow_extra_info(&match->wc);
    ovsrcu_init(&flow->actions, ctdp_actions_create(actions, actions_len));
    atomic_init(&flow->dead, false);
    atomic_init(&flow->n_packets, 0);
    atomic_init(&flow->n_bytes, 0);
    atomic_init(&flow->used, 0);
    atomic_init(&flow->tcp_flags, 0);

    cmap_insert(&st->rules, &flow->key_node, flow->hash);
    st->n_rules++;
    cmap_insert(&table->by_ufid, &flow->ufid_node, ctdp_ufid_hash(ufid));
    return flow;
}

void
ctdp_flow_set_actions(struct ctdp_flow_table *table OVS_UNUSED,
                      struct ctdp_flow *flow, const struct nlattr *actions,
                      size_t actions_len)
{
    struct ctdp_actions *old = ovsrcu_get_protected(struct ctdp_actions *,
                                                    &flow->actions);

    ovsrcu_set(&flow->actions, ctdp_actions_create(actions, actions_len));
    ovsrcu_postpone(free, old);
}

static void
ctdp_flow_free(struct ctdp_flow *flow)
{
    free(ovsrcu_get_protected(struct ctdp_actions *, &flow->actions));
    free(flow->extra_info);
    free(flow);
}

void
ctdp_flow_remove(struct ctdp_flow_table *table, struct ctdp_flow *flow)
{
    struct ctdp_subtable *st = flow->subtable;

    atomic_store_relaxed(&flow->dead, true);
    cmap_remove(&table->by_ufid, &flow->ufid_node,
                ctdp_ufid_hash(&flow->ufid));
    cmap_remove(&st->rules, &flow->key_node, flow->hash);
    ovsrcu_postpone(ctdp_flow_free, flow);

    if (!--st->n_rules) {
        hmap_remove(&table->subtables, &st->node);
        ctdp_subtable_vec_publish(table);
        ovsrcu_postpone(ctdp_subtable_free, st);
    }
}

void
ctdp_flow_flush(struct ctdp_flow_table *table)
{
    struct ctdp_flow *flow;

    ovs_mutex_lock(&table->mutex);
    CMAP_FOR_EACH (flow, ufid_node, &table->by_ufid) {
        ctdp_flow_remove(table, flow);
    }
    ovs_mutex_unlock(&table->mutex);
}

void
ctdp_flow_used(struct ctdp_flow *flow, uint64_t n_packets, uint64_t n_bytes,
               uint16_t tcp_flags, long long now)
{
    uint64_t orig;
    uint16_t flags;

    atomic_add_relaxed(&flow->n_packets, n_packets, &orig);
    atomic_add_relaxed(&flow->n_bytes, n_bytes, &orig);
    atomic_store_relaxed(&flow->used, now);
    if (tcp_flags) {
        atomic_or_relaxed(&flow->tcp_flags, tcp_flags, &flags);
    }
}

void
ctdp_flow_get_stats(const struct ctdp_flow *flow_,
                    struct dpif_flow_stats *stats)
{
    struct ctdp_flow *flow = CONST_CAST(struct ctdp_flow *, flow_);
    uint16_t flags;

    atomic_read_relaxed(&flow->n_packets, &stats->n_packets);
    atomic_read_relaxed(&flow->n_bytes, &stats->n_bytes);
    atomic_read_relaxed(&flow->used, &stats->used);
    atomic_read_relaxed(&flow->tcp_flags, &flags);
    stats->tcp_flags = flags;
}

/* Zeroes 'flow''s statistics (dpctl mod-flow --clear).  Packets counted
 * concurrently by a packet thread may survive the reset. */
void
ctdp_flow_clear_stats(struct ctdp_flow *flow)
{
    atomic_store_relaxed(&flow->n_packets, 0);
    atomic_store_relaxed(&flow->n_bytes, 0);
    atomic_store_relaxed(&flow->used, 0);
    atomic_store_relaxed(&flow->tcp_flags, 0);
}

void
ctdp_flow_to_dpif_flow(const struct ctdp_flow *flow, struct ofpbuf *key_buf,
                       struct ofpbuf *mask_buf, struct dpif_flow *out,
                       bool terse)
{
    memset(out, 0, sizeof *out);
    if (!terse) {
        struct odp_flow_key_parms parms = {
            .flow = &flow->flow,
            .mask = &flow->wc.masks,
            .support = ctdp_odp_support,
        };
        const struct ctdp_actions *actions = ctdp_flow_get_actions(flow);
        size_t key_ofs, mask_ofs;

        /* 'key_buf' and 'mask_buf' may be one buffer that moves as it
         * grows: take pointers only once both are written. */
        key_ofs = key_buf->size;
        odp_flow_key_from_flow(&parms, key_buf);
        out->key_len = key_buf->size - key_ofs;

        mask_ofs = mask_buf->size;
        parms.key_buf = key_buf;
        odp_flow_key_from_mask(&parms, mask_buf);
        out->mask_len = mask_buf->size - mask_ofs;

        out->key = (const struct nlattr *) ((const uint8_t *) key_buf->data
                                            + key_ofs);
        out->mask = (const struct nlattr *) ((const uint8_t *) mask_buf->data
                                             + mask_ofs);
        out->actions = actions->actions;
        out->actions_len = actions->size;
    }
    out->ufid = flow->ufid;
    out->ufid_present = true;
    out->pmd_id = NON_PMD_CORE_ID;
    ctdp_flow_get_stats(flow, &out->stats);
    out->attrs.offloaded = false;
    out->attrs.dp_layer = "ovs";
    out->attrs.dp_extra_info = flow->extra_info;
}

void
ctdp_flow_format_key(const struct flow *flow, const struct flow_wildcards *wc,
                     struct ds *s)
{
    struct odp_flow_key_parms parms = {
        .flow = flow,
        .mask = &wc->masks,
        .support = ctdp_odp_support,
    };
    struct ofpbuf key, mask;

    ofpbuf_init(&key, 0);
    ofpbuf_init(&mask, 0);
    odp_flow_key_from_flow(&parms, &key);
    parms.key_buf = &key;
    odp_flow_key_from_mask(&parms, &mask);
    odp_flow_format(key.data, key.size, mask.data, mask.size, NULL, s, false);
    ofpbuf_uninit(&key);
    ofpbuf_uninit(&mask);
}

size_t
ctdp_flow_dump_next(const struct ctdp_flow_table *table,
                    struct cmap_position *pos, struct ctdp_flow **flows,
                    size_t max, bool *done)
{
    size_t n = 0;

    while (n < max) {
        struct cmap_node *node = cmap_next_position(&table->by_ufid, pos);

        if (!node) {
            /* 'pos' has wrapped around to the start: the dump is over. */
            *done = true;
            break;
        }
        flows[n++] = CONTAINER_OF(node, struct ctdp_flow, ufid_node);
    }
    return n;
}

void
ctdp_flow_table_format(const struct ctdp_flow_table *table_, struct ds *s)
{
    struct ctdp_flow_table *table = CONST_CAST(struct ctdp_flow_table *,
                                               table_);
    const struct ctdp_subtable_vec *vec;
    uint64_t lookups, probes;

    atomic_read_relaxed(&table->n_lookups, &lookups);
    atomic_read_relaxed(&table->n_subtable_probes, &probes);
    vec = ovsrcu_get(struct ctdp_subtable_vec *, &table->vec);
    ds_put_format(s, "  megaflows: %"PRIuSIZE" in %"PRIuSIZE" subtables, "
                  "lookups:%"PRIu64" avg subtables/lookup:%.2f\n",
                  cmap_count(&table->by_ufid), vec->n, lookups,
                  lookups ? (double) probes / lookups : 0.0);
    for (size_t i = 0; i < vec->n; i++) {
        struct ctdp_subtable *st = vec->tables[i];
        uint64_t hits;

        atomic_read_relaxed(&st->hits, &hits);
        ds_put_format(s, "    subtable %"PRIuSIZE": flows:%"PRIuSIZE
                      " mask words:%"PRIuSIZE" hits:%"PRIu64"\n",
                      i, cmap_count(&st->rules), st->n_words, hits);
    }
}
