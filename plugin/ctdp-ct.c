/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "ctdp-ct.h"

#include <errno.h>
#include <string.h>

#include "bitmap.h"
#include "coverage.h"
#include "ct-dpif.h"
#include "ct.h"
#include "ctdp-flow.h"
#include "dp-packet.h"
#include "dpif-ctdp.h"
#include "latch.h"
#include "netlink.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ctdp_ct);

COVERAGE_DEFINE(ctdp_ct_bad_timeout_name);
COVERAGE_DEFINE(ctdp_ct_helper_refused);

/* Set once the refusal of a ct() helper has been logged. */
static atomic_flag ctdp_ct_helper_logged = ATOMIC_FLAG_INIT;

/* The ct() action. */

/* Size each OVS_CT_ATTR_* must have; -1: variable (string or nested). */
static const int ctdp_ct_attr_len[] = {
    [OVS_CT_ATTR_COMMIT] = 0,
    [OVS_CT_ATTR_ZONE] = sizeof(uint16_t),
    [OVS_CT_ATTR_MARK] = 2 * sizeof(uint32_t),
    [OVS_CT_ATTR_LABELS] = 2 * sizeof(struct ovs_key_ct_labels),
    [OVS_CT_ATTR_HELPER] = -1,
    [OVS_CT_ATTR_NAT] = -1,
    [OVS_CT_ATTR_FORCE_COMMIT] = 0,
    [OVS_CT_ATTR_EVENTMASK] = sizeof(uint32_t),
    [OVS_CT_ATTR_TIMEOUT] = -1,
};

static int
ctdp_ct_refuse(bool quiet, const char *what)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    if (!quiet) {
        VLOG_WARN_RL(&rl, "ct() action refused: %s", what);
    }
    return EINVAL;
}

static int
ctdp_ct_validate_nat(const struct nlattr *nat, bool quiet)
{
    const struct nlattr *a;
    bool src = false, dst = false;
    size_t addr_len = 0;
    unsigned int left;

    NL_NESTED_FOR_EACH (a, left, nat) {
        size_t len = nl_attr_get_size(a);

        switch (nl_attr_type(a)) {
        case OVS_NAT_ATTR_SRC:
            src = true;
            break;
        case OVS_NAT_ATTR_DST:
            dst = true;
            break;
        case OVS_NAT_ATTR_PERSISTENT:
        case OVS_NAT_ATTR_PROTO_HASH:
        case OVS_NAT_ATTR_PROTO_RANDOM:
            if (len) {
                return ctdp_ct_refuse(quiet, "malformed nat flag");
            }
            break;
        case OVS_NAT_ATTR_IP_MIN:
        case OVS_NAT_ATTR_IP_MAX:
            if ((len != sizeof(ovs_be32) && len != sizeof(struct in6_addr))
                || (addr_len && len != addr_len)) {
                return ctdp_ct_refuse(quiet, "malformed nat address");
            }
            addr_len = len;
            break;
        case OVS_NAT_ATTR_PROTO_MIN:
        case OVS_NAT_ATTR_PROTO_MAX:
            if (len != sizeof(uint16_t)) {
                return ctdp_ct_refuse(quiet, "malformed nat port");
            }
            break;
        default:
            return ctdp_ct_refuse(quiet, "unknown nat attribute");
        }
    }
    if (left) {
        return ctdp_ct_refuse(quiet, "malformed nat attributes");
    }
    if (src && dst) {
        return ctdp_ct_refuse(quiet, "nat cannot be both src and dst");
    }
    return 0;
}

int
ctdp_ct_validate(const struct nlattr *ct_action, bool quiet)
{
    const struct nlattr *a;
    unsigned int left;

    NL_NESTED_FOR_EACH (a, left, ct_action) {
        int type = nl_attr_type(a);
        size_t len = nl_attr_get_size(a);

        if (type <= OVS_CT_ATTR_UNSPEC || type >= ARRAY_SIZE(ctdp_ct_attr_len)
            || (ctdp_ct_attr_len[type] >= 0
                && len != ctdp_ct_attr_len[type])) {
            return ctdp_ct_refuse(quiet, "unknown or malformed attribute");
        }
        switch (type) {
        case OVS_CT_ATTR_HELPER:
            COVERAGE_INC(ctdp_ct_helper_refused);
            if (!quiet && !atomic_flag_test_and_set(&ctdp_ct_helper_logged)) {
                /* Once per process: every later refusal is only counted. */
                VLOG_WARN("ct(alg=%.*s) refused: the ctdp datapath has no "
                          "connection helpers (ALGs); flows using one are "
                          "not installed and their packets are dropped",
                          (int) MIN(len, 32), (const char *) nl_attr_get(a));
            }
            return EINVAL;
        case OVS_CT_ATTR_TIMEOUT:
            if (!len || ((const char *) nl_attr_get(a))[len - 1]) {
                return ctdp_ct_refuse(quiet, "malformed timeout policy");
            }
            break;
        case OVS_CT_ATTR_NAT: {
            int error = ctdp_ct_validate_nat(a, quiet);

            if (error) {
                return error;
            }
            break;
        }
        default:
            break;
        }
    }
    return left ? ctdp_ct_refuse(quiet, "malformed attributes") : 0;
}

/* Fills 'nat' from a validated OVS_CT_ATTR_NAT attribute. */
static void
ctdp_ct_parse_nat(const struct nlattr *nat_attr, struct ct_nat_spec *nat)
{
    bool addr_min = false, addr_max = false;
    bool port_min = false, port_max = false;
    const struct nlattr *a;
    unsigned int left;

    memset(nat, 0, sizeof *nat);
    NL_NESTED_FOR_EACH (a, left, nat_attr) {
        switch (nl_attr_type(a)) {
        case OVS_NAT_ATTR_SRC:
            nat->flags |= CT_NAT_SRC;
            break;
        case OVS_NAT_ATTR_DST:
            nat->flags |= CT_NAT_DST;
            break;
        case OVS_NAT_ATTR_PERSISTENT:
            nat->flags |= CT_NAT_PERSISTENT;
            break;
        case OVS_NAT_ATTR_PROTO_HASH:
            nat->flags |= CT_NAT_HASH;
            break;
        case OVS_NAT_ATTR_PROTO_RANDOM:
            nat->flags |= CT_NAT_RANDOM;
            break;
        case OVS_NAT_ATTR_IP_MIN:
            memcpy(&nat->min_addr, nl_attr_get(a), nl_attr_get_size(a));
            addr_min = true;
            break;
        case OVS_NAT_ATTR_IP_MAX:
            memcpy(&nat->max_addr, nl_attr_get(a), nl_attr_get_size(a));
            addr_max = true;
            break;
        case OVS_NAT_ATTR_PROTO_MIN:
            nat->min_port = nl_attr_get_u16(a);
            port_min = true;
            break;
        case OVS_NAT_ATTR_PROTO_MAX:
            nat->max_port = nl_attr_get_u16(a);
            port_max = true;
            break;
        default:
            break;
        }
    }
    /* A range given by its lower end alone is that one value. */
    if (addr_min && !addr_max) {
        nat->max_addr = nat->min_addr;
    }
    if (port_min && !port_max) {
        nat->max_port = nat->min_port;
    }
}

/* Parses the timeout policy name, which is the policy id in decimal (see
 * ctdp_ct_get_timeout_policy_name()).  Another name selects the default
 * policy, counted. */
static uint32_t
ctdp_ct_parse_timeout(const struct nlattr *a)
{
    unsigned int tp_id;

    if (!str_to_uint(nl_attr_get_string(a), 10, &tp_id)) {
        COVERAGE_INC(ctdp_ct_bad_timeout_name);
        return DEFAULT_TP_ID;
    }
    return tp_id;
}

void
ctdp_ct_execute(struct ctdp *dp, struct dp_packet_batch *batch,
                const struct nlattr *ct_action, ovs_be16 dl_type,
                long long now)
{
    ovs_u128 labels[2];
    struct ct_nat_spec nat;
    struct ct_exec args = {
        .dl_type = dl_type,
        .now = now,
    };
    const struct nlattr *a;
    unsigned int left;

    NL_NESTED_FOR_EACH_UNSAFE (a, left, ct_action) {
        switch (nl_attr_type(a)) {
        case OVS_CT_ATTR_FORCE_COMMIT:
            args.force = true;
            args.commit = true;
            break;
        case OVS_CT_ATTR_COMMIT:
            args.commit = true;
            break;
        case OVS_CT_ATTR_ZONE:
            args.zone = nl_attr_get_u16(a);
            break;
        case OVS_CT_ATTR_MARK:
            args.set_mark = nl_attr_get(a);
            break;
        case OVS_CT_ATTR_LABELS:
            /* Value then mask, as the engine wants them. */
            memcpy(labels, nl_attr_get(a), sizeof labels);
            args.set_label = labels;
            break;
        case OVS_CT_ATTR_NAT:
            ctdp_ct_parse_nat(a, &nat);
            args.nat = &nat;
            break;
        case OVS_CT_ATTR_TIMEOUT:
            args.tp_id = ctdp_ct_parse_timeout(a);
            break;
        case OVS_CT_ATTR_EVENTMASK:
            /* No conntrack events in this datapath. */
            break;
        case OVS_CT_ATTR_HELPER:
        default:
            /* Refused by ctdp_ct_validate() before execution. */
            break;
        }
    }
    ct_execute(dp->ct, batch, &args);
}

/* Sweeper thread. */

struct ctdp_sweeper {
    struct ctdp *dp;                /* Immutable. */
    pthread_t thread;
    struct latch exit_latch;

    /* Statistics for ctdp/show.  [atomic, relaxed] */
    atomic_uint64_t n_sweeps;
    atomic_llong last_interval;     /* ms until the next sweep. */
    atomic_llong last_duration_us;  /* Time the last sweep took. */
};

/* Interval between re-sorts of the megaflow subtables. */
#define CTDP_OPTIMIZE_MS 1000

static void *
ctdp_sweeper_main(void *s_)
{
    struct ctdp_sweeper *s = s_;
    long long next_optimize = time_msec() + CTDP_OPTIMIZE_MS;

    while (!latch_is_set(&s->exit_latch)) {
        long long start_us = time_usec();
        long long now = time_msec();
        long long interval;
        uint64_t orig;

        interval = ct_sweep(s->dp->ct, now, CTDP_SWEEP_BUDGET);
        interval = MAX(CTDP_SWEEP_MIN_MS, MIN(interval, CTDP_SWEEP_MAX_MS));
        atomic_add_relaxed(&s->n_sweeps, 1, &orig);
        atomic_store_relaxed(&s->last_interval, interval);
        atomic_store_relaxed(&s->last_duration_us, time_usec() - start_us);

        if (now >= next_optimize) {
            ctdp_flow_table_optimize(&s->dp->flows);
            next_optimize = now + CTDP_OPTIMIZE_MS;
        }

        latch_wait(&s->exit_latch);
        poll_timer_wait(interval);
        poll_block();
    }
    return NULL;
}

struct ctdp_sweeper *
ctdp_sweeper_create(struct ctdp *dp)
{
    struct ctdp_sweeper *s = xzalloc(sizeof *s);

    s->dp = dp;
    latch_init(&s->exit_latch);
    atomic_init(&s->n_sweeps, 0);
    atomic_init(&s->last_interval, 0);
    atomic_init(&s->last_duration_us, 0);
    s->thread = ovs_thread_create("ctdp_sweep", ctdp_sweeper_main, s);
    return s;
}

void
ctdp_sweeper_destroy(struct ctdp_sweeper *s)
{
    if (s) {
        latch_set(&s->exit_latch);
        xpthread_join(s->thread, NULL);
        latch_destroy(&s->exit_latch);
        free(s);
    }
}

void
ctdp_sweeper_format(const struct ctdp_sweeper *s_, struct ds *out)
{
    struct ctdp_sweeper *s = CONST_CAST(struct ctdp_sweeper *, s_);
    long long interval, duration;
    uint64_t n;

    atomic_read_relaxed(&s->n_sweeps, &n);
    atomic_read_relaxed(&s->last_interval, &interval);
    atomic_read_relaxed(&s->last_duration_us, &duration);
    ds_put_format(out, "  expiry: sweeps:%"PRIu64" interval:%lldms "
                  "last sweep:%lldus\n", n, interval, duration);
}

/* dpif callbacks. */

struct ctdp_ct_dump {
    struct ct_dpif_dump_state up;
    struct ct_dump *dump;
    unsigned int n_buckets;
};

int
ctdp_ct_dump_start(struct dpif *dpif, struct ct_dpif_dump_state **statep,
                   const uint16_t *zone, int *ptot_bkts)
{
    struct ctdp *dp = ctdp_cast(dpif);
    struct ctdp_ct_dump *d = xzalloc(sizeof *d);

    d->up.dpif = dpif;
    d->n_buckets = ct_n_shards(dp->ct);
    d->dump = ct_dump_start(dp->ct, zone, time_msec());
    if (ptot_bkts) {
        *ptot_bkts = d->n_buckets;
    }
    *statep = &d->up;
    return 0;
}

int
ctdp_ct_dump_next(struct dpif *dpif OVS_UNUSED,
                  struct ct_dpif_dump_state *state,
                  struct ct_dpif_entry *entry)
{
    struct ctdp_ct_dump *d = CONTAINER_OF(state, struct ctdp_ct_dump, up);
    int error = ct_dump_next(d->dump, entry);

    if (!error && entry->bkt >= d->n_buckets) {
        entry->bkt = d->n_buckets - 1;
    }
    return error;
}

int
ctdp_ct_dump_done(struct dpif *dpif OVS_UNUSED,
                  struct ct_dpif_dump_state *state)
{
    struct ctdp_ct_dump *d = CONTAINER_OF(state, struct ctdp_ct_dump, up);

    ct_dump_done(d->dump);
    free(d);
    return 0;
}

int
ctdp_ct_flush(struct dpif *dpif, const uint16_t *zone,
              const struct ct_dpif_tuple *tuple)
{
    struct ctdp *dp = ctdp_cast(dpif);

    if (tuple) {
        return ct_flush_tuple(dp->ct, tuple, zone ? *zone : 0);
    }
    return ct_flush(dp->ct, zone);
}

int
ctdp_ct_set_maxconns(struct dpif *dpif, uint32_t maxconns)
{
    return ct_set_maxconns(ctdp_cast(dpif)->ct, maxconns);
}

int
ctdp_ct_get_maxconns(struct dpif *dpif, uint32_t *maxconns)
{
    *maxconns = ct_get_maxconns(ctdp_cast(dpif)->ct);
    return 0;
}

int
ctdp_ct_get_nconns(struct dpif *dpif, uint32_t *nconns)
{
    *nconns = ct_get_nconns(ctdp_cast(dpif)->ct);
    return 0;
}

int
ctdp_ct_set_tcp_seq_chk(struct dpif *dpif, bool enabled)
{
    ct_set_tcp_seq_chk(ctdp_cast(dpif)->ct, enabled);
    return 0;
}

int
ctdp_ct_get_tcp_seq_chk(struct dpif *dpif, bool *enabled)
{
    *enabled = ct_get_tcp_seq_chk(ctdp_cast(dpif)->ct);
    return 0;
}

/* Zone limits.  The datapath remembers which zones have a limit of their
 * own, so that a dump of all limits lists exactly those. */

int
ctdp_ct_set_limits(struct dpif *dpif, const uint32_t *default_limit,
                   const struct ovs_list *zone_limits)
{
    struct ctdp *dp = ctdp_cast(dpif);
    const struct ct_dpif_zone_limit *zl;
    int error;

    if (default_limit) {
        error = ct_zone_limit_set(dp->ct, CT_ZONE_DEFAULT, *default_limit);
        if (error) {
            return error;
        }
    }
    LIST_FOR_EACH (zl, node, zone_limits) {
        error = ct_zone_limit_set(dp->ct, zl->zone, zl->limit);
        if (error) {
            return error;
        }
        ovs_mutex_lock(&dp->ct_mutex);
        bitmap_set1(dp->zone_limited, zl->zone);
        ovs_mutex_unlock(&dp->ct_mutex);
    }
    return 0;
}

int
ctdp_ct_get_limits(struct dpif *dpif, uint32_t *default_limit,
                   const struct ovs_list *zone_limits_in,
                   struct ovs_list *zone_limits_out)
{
    struct ctdp *dp = ctdp_cast(dpif);
    const struct ct_dpif_zone_limit *zl;
    uint32_t limit, count;

    ct_zone_limit_get(dp->ct, CT_ZONE_DEFAULT, default_limit, &count);
    if (!ovs_list_is_empty(zone_limits_in)) {
        LIST_FOR_EACH (zl, node, zone_limits_in) {
            ct_zone_limit_get(dp->ct, zl->zone, &limit, &count);
            ct_dpif_push_zone_limit(zone_limits_out, zl->zone, limit, count);
        }
    } else {
        unsigned long *zones = bitmap_allocate(UINT16_MAX + 1);
        size_t zone;

        ovs_mutex_lock(&dp->ct_mutex);
        memcpy(zones, dp->zone_limited,
               bitmap_n_bytes(UINT16_MAX + 1));
        ovs_mutex_unlock(&dp->ct_mutex);
        BITMAP_FOR_EACH_1 (zone, UINT16_MAX + 1, zones) {
            ct_zone_limit_get(dp->ct, zone, &limit, &count);
            ct_dpif_push_zone_limit(zone_limits_out, zone, limit, count);
        }
        bitmap_free(zones);
    }
    return 0;
}

int
ctdp_ct_del_limits(struct dpif *dpif, const struct ovs_list *zone_limits)
{
    struct ctdp *dp = ctdp_cast(dpif);
    const struct ct_dpif_zone_limit *zl;
    int error;

    LIST_FOR_EACH (zl, node, zone_limits) {
        error = ct_zone_limit_del(dp->ct, zl->zone);
        if (error && error != ENOENT) {
            return error;
        }
        ovs_mutex_lock(&dp->ct_mutex);
        bitmap_set0(dp->zone_limited, zl->zone);
        ovs_mutex_unlock(&dp->ct_mutex);
    }
    return 0;
}

/* Timeout policies. */

int
ctdp_ct_set_timeout_policy(struct dpif *dpif,
                           const struct ct_dpif_timeout_policy *tp)
{
    return ct_timeout_policy_set(ctdp_cast(dpif)->ct, tp);
}

int
ctdp_ct_get_timeout_policy(struct dpif *dpif, uint32_t tp_id,
                           struct ct_dpif_timeout_policy *tp)
{
    return ct_timeout_policy_get(ctdp_cast(dpif)->ct, tp_id, tp);
}

int
ctdp_ct_del_timeout_policy(struct dpif *dpif, uint32_t tp_id)
{
    return ct_timeout_policy_del(ctdp_cast(dpif)->ct, tp_id);
}

/* The name of a policy in a ct() action is its id in decimal; one policy
 * covers every protocol. */
int
ctdp_ct_get_timeout_policy_name(struct dpif *dpif OVS_UNUSED, uint32_t tp_id,
                                uint16_t dl_type OVS_UNUSED,
                                uint8_t nw_proto OVS_UNUSED, char **tp_name,
                                bool *is_generic)
{
    *tp_name = xasprintf("%"PRIu32, tp_id);
    *is_generic = true;
    return 0;
}

int
ctdp_ct_ipf_get_status(struct dpif *dpif OVS_UNUSED,
                       struct dpif_ipf_status *status)
{
    /* Reporting the module as present but off, rather than failing, also
     * spares "dpctl/ipf-get-status" an error path of Open vSwitch 3.1's
     * dpctl that returns without closing the datapath it opened. */
    memset(status, 0, sizeof *status);
    return 0;
}

int
ctdp_ct_ipf_dump_start(struct dpif *dpif OVS_UNUSED,
                       struct ipf_dump_ctx **ctx)
{
    *ctx = NULL;
    return 0;
}

int
ctdp_ct_ipf_dump_next(struct dpif *dpif OVS_UNUSED, void *ctx OVS_UNUSED,
                      char **dump)
{
    *dump = NULL;
    return EOF;
}

int
ctdp_ct_ipf_dump_done(struct dpif *dpif OVS_UNUSED, void *ctx OVS_UNUSED)
{
    return 0;
}

int
ctdp_ct_get_features(struct dpif *dpif OVS_UNUSED,
                     enum ct_features *features)
{
    if (features) {
        *features = CONNTRACK_F_ZERO_SNAT;
    }
    return 0;
}
