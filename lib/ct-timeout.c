/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ct-timeout.h"

#include <errno.h>
#include "hash.h"
#include "util.h"

/* Open vSwitch 3.1's defaults for its userspace datapath, in seconds. */
static const uint32_t tp_defaults[CT_DPIF_TP_ATTR_MAX] = {
    [CT_DPIF_TP_ATTR_TCP_SYN_SENT] = 30,
    [CT_DPIF_TP_ATTR_TCP_SYN_RECV] = 30,
    [CT_DPIF_TP_ATTR_TCP_ESTABLISHED] = 24 * 60 * 60,
    [CT_DPIF_TP_ATTR_TCP_FIN_WAIT] = 15 * 60,
    [CT_DPIF_TP_ATTR_TCP_TIME_WAIT] = 45,
    [CT_DPIF_TP_ATTR_TCP_CLOSE] = 30,
    [CT_DPIF_TP_ATTR_UDP_FIRST] = 60,
    [CT_DPIF_TP_ATTR_UDP_SINGLE] = 60,
    [CT_DPIF_TP_ATTR_UDP_MULTIPLE] = 30,
    [CT_DPIF_TP_ATTR_ICMP_FIRST] = 60,
    [CT_DPIF_TP_ATTR_ICMP_REPLY] = 30,
};

/* Where an attribute without an Open vSwitch default takes its value. */
static int
tp_fallback(int attr)
{
    switch (attr) {
    case CT_DPIF_TP_ATTR_TCP_CLOSE_WAIT:
    case CT_DPIF_TP_ATTR_TCP_LAST_ACK:
        return CT_DPIF_TP_ATTR_TCP_FIN_WAIT;
    case CT_DPIF_TP_ATTR_TCP_SYN_SENT2:
        return CT_DPIF_TP_ATTR_TCP_SYN_SENT;
    case CT_DPIF_TP_ATTR_TCP_RETRANSMIT:
    case CT_DPIF_TP_ATTR_TCP_UNACK:
        return CT_DPIF_TP_ATTR_TCP_ESTABLISHED;
    default:
        return attr;
    }
}

uint32_t
ct_timeout_default(int attr)
{
    return attr >= 0 && attr < CT_DPIF_TP_ATTR_MAX ? tp_defaults[attr] : 0;
}

static struct ct_tp *
tp_create(const struct ct_dpif_timeout_policy *in)
{
    struct ct_tp *tp = xzalloc(sizeof *tp);

    tp->policy.id = in->id;
    for (int i = 0; i < CT_DPIF_TP_ATTR_MAX; i++) {
        if (in->present & (1u << i)) {
            tp->policy.present |= 1u << i;
            tp->policy.attrs[i] = in->attrs[i];
        } else {
            tp->policy.attrs[i] = tp_defaults[i];
        }
    }
    for (int i = 0; i < CT_DPIF_TP_ATTR_MAX; i++) {
        int src = i;

        if (!(tp->policy.present & (1u << i)) && !tp_defaults[i]) {
            src = tp_fallback(i);
        }
        tp->ms[i] = tp->policy.attrs[src] * 1000LL;
    }
    return tp;
}

static struct ct_tp *
tp_find(const struct ct_timeouts *t, uint32_t id)
{
    struct ct_tp *tp;

    CMAP_FOR_EACH_WITH_HASH (tp, node, hash_int(id, t->basis),
                             &t->policies) {
        if (tp->policy.id == id) {
            return tp;
        }
    }
    return NULL;
}

static long long default_ms[CT_DPIF_TP_ATTR_MAX];

void
ct_timeouts_init(struct ct_timeouts *t, uint32_t basis)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;
    struct ct_dpif_timeout_policy zero = { .id = 0 };

    if (ovsthread_once_start(&once)) {
        struct ct_tp *tp = tp_create(&zero);

        memcpy(default_ms, tp->ms, sizeof default_ms);
        free(tp);
        ovsthread_once_done(&once);
    }

    ovs_mutex_init(&t->mutex);
    cmap_init(&t->policies);
    t->basis = basis;
    ovsrcu_init(&t->def, NULL);
    ct_timeouts_set(t, &zero);
}

void
ct_timeouts_destroy(struct ct_timeouts *t)
{
    struct ct_tp *tp;

    CMAP_FOR_EACH (tp, node, &t->policies) {
        cmap_remove(&t->policies, &tp->node, hash_int(tp->policy.id,
                                                      t->basis));
        ovsrcu_postpone(free, tp);
    }
    cmap_destroy(&t->policies);
    ovs_mutex_destroy(&t->mutex);
}

long long
ct_timeout_ms(const struct ct_timeouts *t, uint32_t tp_id, int attr)
{
    const struct ct_tp *tp;

    if (OVS_LIKELY(!tp_id)) {
        tp = ovsrcu_get(struct ct_tp *, &t->def);
    } else {
        tp = tp_find(t, tp_id);
    }
    return tp ? tp->ms[attr] : default_ms[attr];
}

int
ct_timeouts_set(struct ct_timeouts *t,
                const struct ct_dpif_timeout_policy *policy)
{
    struct ct_tp *new = tp_create(policy);
    uint32_t hash = hash_int(policy->id, t->basis);
    struct ct_tp *old;

    ovs_mutex_lock(&t->mutex);
    old = tp_find(t, policy->id);
    if (old) {
        cmap_replace(&t->policies, &old->node, &new->node, hash);
        ovsrcu_postpone(free, old);
    } else {
        cmap_insert(&t->policies, &new->node, hash);
    }
    if (!policy->id) {
        ovsrcu_set(&t->def, new);
    }
    ovs_mutex_unlock(&t->mutex);
    return 0;
}

int
ct_timeouts_get(const struct ct_timeouts *t, uint32_t tp_id,
                struct ct_dpif_timeout_policy *policy)
{
    const struct ct_tp *tp = tp_find(t, tp_id);

    if (!tp) {
        return ENOENT;
    }
    *policy = tp->policy;
    return 0;
}

int
ct_timeouts_del(struct ct_timeouts *t, uint32_t tp_id)
{
    struct ct_tp *tp;
    int error = 0;

    ovs_mutex_lock(&t->mutex);
    tp = tp_find(t, tp_id);
    if (tp) {
        cmap_remove(&t->policies, &tp->node, hash_int(tp_id, t->basis));
        if (!tp_id) {
            ovsrcu_set(&t->def, NULL);
        }
        ovsrcu_postpone(free, tp);
    } else {
        error = ENOENT;
    }
    ovs_mutex_unlock(&t->mutex);
    return error;
}
