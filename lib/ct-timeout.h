/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_TIMEOUT_H
#define CTDP_CT_TIMEOUT_H 1

/* Timeouts: the defaults (equal to Open vSwitch 3.1's userspace datapath)
 * and the run-time timeout policies, indexed by CT_DPIF_TP_ATTR_*.
 *
 * A policy replaces the defaults of the attributes it marks present; the
 * others keep their default.  Setting a policy replaces any previous policy
 * of the same id entirely, as Open vSwitch does.  Policy 0 exists from the
 * start (the defaults) and may be redefined.
 *
 * Attributes Open vSwitch never applies (TCP CLOSE_WAIT, LAST_ACK,
 * SYN_SENT2, RETRANSMIT, UNACK) default to 0 there; when a tracker asks for
 * one of them and the policy does not set it, the closest attribute that
 * Open vSwitch does apply is used instead (FIN_WAIT, FIN_WAIT, SYN_SENT,
 * ESTABLISHED, ESTABLISHED).
 *
 * Thread-safety: ct_timeout_ms() is lock-free (RCU) and may run on any
 * thread; the set/get/del functions serialize on an internal mutex. */

#include <stdint.h>
#include "cmap.h"
#include "ct-dpif.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"

struct ct_tp {
    struct cmap_node node;          /* In 'struct ct_timeouts''s 'policies'. */
    struct ct_dpif_timeout_policy policy;   /* [I] As set. */
    long long ms[CT_DPIF_TP_ATTR_MAX];      /* [I] Effective values. */
};

struct ct_timeouts {
    struct ovs_mutex mutex;
    struct cmap policies;           /* Written under 'mutex', read RCU. */
    OVSRCU_TYPE(struct ct_tp *) def;        /* Policy 0, or NULL. */
    uint32_t basis;                 /* [I] */
};

void ct_timeouts_init(struct ct_timeouts *, uint32_t basis);
void ct_timeouts_destroy(struct ct_timeouts *);

/* Milliseconds that attribute 'attr' lasts for connections of policy
 * 'tp_id' (the defaults if that policy does not exist). */
long long ct_timeout_ms(const struct ct_timeouts *, uint32_t tp_id, int attr);

/* The Open vSwitch default of 'attr', in seconds (0 where Open vSwitch has
 * none). */
uint32_t ct_timeout_default(int attr);

int ct_timeouts_set(struct ct_timeouts *,
                    const struct ct_dpif_timeout_policy *);
int ct_timeouts_get(const struct ct_timeouts *, uint32_t tp_id,
                    struct ct_dpif_timeout_policy *);
int ct_timeouts_del(struct ct_timeouts *, uint32_t tp_id);

#endif /* ct-timeout.h */
