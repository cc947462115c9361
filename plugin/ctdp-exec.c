/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "ctdp-exec.h"

#include <errno.h>
#include <string.h>

#include "coverage.h"
#include "ctdp-ct.h"
#include "ctdp-flow.h"
#include "ctdp-port.h"
#include "dp-packet.h"
#include "dpif-ctdp.h"
#include "dpif.h"
#include "flow.h"
#include "openvswitch/match.h"
#include "netdev.h"
#include "netlink.h"
#include "odp-execute.h"
#include "odp-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ctdp_exec);

COVERAGE_DEFINE(ctdp_drop_recirc_depth);
COVERAGE_DEFINE(ctdp_drop_no_port);
COVERAGE_DEFINE(ctdp_drop_upcall_disabled);
COVERAGE_DEFINE(ctdp_drop_upcall_error);
COVERAGE_DEFINE(ctdp_drop_bad_actions);
COVERAGE_DEFINE(ctdp_drop_bad_packet);
COVERAGE_DEFINE(ctdp_upcall_enospc);

/* Recirculation depth of the current thread's packet processing. */
#define CTDP_MAX_RECIRC_DEPTH 6
DEFINE_STATIC_PER_THREAD_DATA(uint32_t, ctdp_recirc_depth, 0)

/* Upcall log lines, as rate-limited as the megaflow log. */
static struct vlog_rate_limit ctdp_upcall_rl = VLOG_RATE_LIMIT_INIT(600, 600);

/* State passed through odp_execute_actions() to ctdp_exec_cb(). */
struct ctdp_exec_ctx {
    struct ctdp *dp;
    ovs_be16 dl_type;           /* Of the key the actions belong to. */
    long long now;              /* time_msec() of the batch. */
};

static void ctdp_exec_process(struct ctdp *, struct dp_packet_batch *,
                              long long now);

static void
ctdp_count(atomic_uint64_t *counter, uint64_t n)
{
    uint64_t orig;

    atomic_add_relaxed(counter, n, &orig);
}

/* Validation. */

static int ctdp_exec_validate__(const struct nlattr *, size_t, bool quiet,
                                int depth);

static int
ctdp_exec_refuse(bool quiet, const char *what)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    if (!quiet) {
        VLOG_WARN_RL(&rl, "datapath action refused: %s", what);
    }
    return EINVAL;
}

static int
ctdp_exec_validate_nested(const struct nlattr *a, bool quiet, int depth)
{
    return ctdp_exec_validate__(nl_attr_get(a), nl_attr_get_size(a), quiet,
                                depth + 1);
}

static int
ctdp_exec_validate_sample(const struct nlattr *a, bool quiet, int depth)
{
    const struct nlattr *sub;
    unsigned int left;

    NL_NESTED_FOR_EACH (sub, left, a) {
        if (nl_attr_type(sub) == OVS_SAMPLE_ATTR_ACTIONS) {
            return ctdp_exec_validate_nested(sub, quiet, depth);
        }
    }
    return 0;
}

static int
ctdp_exec_validate_check_pkt_len(const struct nlattr *a, bool quiet,
                                 int depth)
{
    const struct nlattr *sub;
    unsigned int left;

    NL_NESTED_FOR_EACH (sub, left, a) {
        int type = nl_attr_type(sub);

        if (type == OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER
            || type == OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL) {
            int error = ctdp_exec_validate_nested(sub, quiet, depth);

            if (error) {
                return error;
            }
        }
    }
    return 0;
}

/* Returns true for the set()/set_masked() fields odp-execute rewrites. */
static bool
ctdp_exec_settable(enum ovs_key_attr type, bool masked)
{
    switch (type) {
    case OVS_KEY_ATTR_PRIORITY:
    case OVS_KEY_ATTR_SKB_MARK:
    case OVS_KEY_ATTR_ETHERNET:
    case OVS_KEY_ATTR_NSH:
    case OVS_KEY_ATTR_IPV4:
    case OVS_KEY_ATTR_IPV6:
    case OVS_KEY_ATTR_TCP:
    case OVS_KEY_ATTR_UDP:
    case OVS_KEY_ATTR_SCTP:
    case OVS_KEY_ATTR_MPLS:
    case OVS_KEY_ATTR_ARP:
    case OVS_KEY_ATTR_ND:
    case OVS_KEY_ATTR_ND_EXTENSIONS:
    case OVS_KEY_ATTR_DP_HASH:
    case OVS_KEY_ATTR_RECIRC_ID:
        return true;
    case OVS_KEY_ATTR_TUNNEL:
    case OVS_KEY_ATTR_ICMP:
    case OVS_KEY_ATTR_ICMPV6:
        return !masked;
    default:
        return false;
    }
}

static int
ctdp_exec_validate_set(const struct nlattr *a, bool masked, bool quiet)
{
    const struct nlattr *key = nl_attr_get(a);

    if (nl_attr_get_size(a) < NLA_HDRLEN
        || !ctdp_exec_settable(nl_attr_type(key), masked)) {
        return ctdp_exec_refuse(quiet, "cannot set this field");
    }
    return 0;
}

static int
ctdp_exec_validate__(const struct nlattr *actions, size_t actions_len,
                     bool quiet, int depth)
{
    const struct nlattr *a;
    unsigned int left;
    int error = 0;

    if (depth > 8) {
        return ctdp_exec_refuse(quiet, "actions nested too deeply");
    }
    NL_ATTR_FOR_EACH (a, left, actions, actions_len) {
        switch ((enum ovs_action_attr) nl_attr_type(a)) {
        case OVS_ACTION_ATTR_OUTPUT:
        case OVS_ACTION_ATTR_RECIRC:
            if (nl_attr_get_size(a) != sizeof(uint32_t)) {
                return ctdp_exec_refuse(quiet, "malformed action");
            }
            break;

        case OVS_ACTION_ATTR_USERSPACE:
        case OVS_ACTION_ATTR_PUSH_VLAN:
        case OVS_ACTION_ATTR_POP_VLAN:
        case OVS_ACTION_ATTR_PUSH_MPLS:
        case OVS_ACTION_ATTR_POP_MPLS:
        case OVS_ACTION_ATTR_ADD_MPLS:
        case OVS_ACTION_ATTR_TRUNC:
        case OVS_ACTION_ATTR_PUSH_ETH:
        case OVS_ACTION_ATTR_POP_ETH:
        case OVS_ACTION_ATTR_PUSH_NSH:
        case OVS_ACTION_ATTR_POP_NSH:
        case OVS_ACTION_ATTR_CT_CLEAR:
        case OVS_ACTION_ATTR_DROP:
            break;

        case OVS_ACTION_ATTR_SET:
        case OVS_ACTION_ATTR_SET_MASKED:
            error = ctdp_exec_validate_set(
                a, nl_attr_type(a) == OVS_ACTION_ATTR_SET_MASKED, quiet);
            break;

        case OVS_ACTION_ATTR_HASH: {
            const struct ovs_action_hash *hash;

            if (nl_attr_get_size(a) != sizeof *hash) {
                return ctdp_exec_refuse(quiet, "malformed hash action");
            }
            hash = nl_attr_get(a);
            if (hash->hash_alg != OVS_HASH_ALG_L4
                && hash->hash_alg != OVS_HASH_ALG_SYM_L4) {
                return ctdp_exec_refuse(quiet, "unknown hash algorithm");
            }
            break;
        }

        case OVS_ACTION_ATTR_CLONE:
            error = ctdp_exec_validate_nested(a, quiet, depth);
            break;

        case OVS_ACTION_ATTR_SAMPLE:
            error = ctdp_exec_validate_sample(a, quiet, depth);
            break;

        case OVS_ACTION_ATTR_CHECK_PKT_LEN:
            error = ctdp_exec_validate_check_pkt_len(a, quiet, depth);
            break;

        case OVS_ACTION_ATTR_CT:
            error = ctdp_ct_validate(a, quiet);
            break;

        case OVS_ACTION_ATTR_METER:
            return ctdp_exec_refuse(quiet, "meters are not supported");
        case OVS_ACTION_ATTR_LB_OUTPUT:
        case OVS_ACTION_ATTR_TUNNEL_PUSH:
        case OVS_ACTION_ATTR_TUNNEL_POP:
            return ctdp_exec_refuse(quiet, "tunnel and balanced-output "
                                    "actions are not supported");
        case OVS_ACTION_ATTR_UNSPEC:
        case __OVS_ACTION_ATTR_MAX:
        default:
            return ctdp_exec_refuse(quiet, "unknown action");
        }
        if (error) {
            return error;
        }
    }
    if (left) {
        return ctdp_exec_refuse(quiet, "malformed actions");
    }
    return 0;
}

int
ctdp_exec_validate(const struct nlattr *actions, size_t actions_len,
                   bool quiet)
{
    return ctdp_exec_validate__(actions, actions_len, quiet, 0);
}

/* Execution. */

static void ctdp_exec_actions(struct ctdp *, struct dp_packet_batch *,
                              bool steal, ovs_be16 dl_type, long long now,
                              const struct nlattr *, size_t);

static void
ctdp_exec_output(struct ctdp *dp, struct dp_packet_batch *batch, bool steal,
                 odp_port_t port_no)
{
    struct ctdp_port *port = ctdp_port_lookup(&dp->ports, port_no);
    struct dp_packet_batch out;
    size_t n;
    int error;

    if (!port) {
        n = dp_packet_batch_size(batch);
        COVERAGE_ADD(ctdp_drop_no_port, n);
        ctdp_count(&dp->counters.n_output_drops, n);
        dp_packet_delete_batch(batch, steal);
        return;
    }
    if (!steal) {
        dp_packet_batch_clone(&out, batch);
        dp_packet_batch_reset_cutlen(batch);
        batch = &out;
    }
    dp_packet_batch_apply_cutlen(batch);
    n = dp_packet_batch_size(batch);
    if (!n) {
        return;
    }
    error = netdev_send(port->netdev, 0, batch, true);
    if (error) {
        ctdp_count(&port->tx_dropped, n);
    } else {
        ctdp_count(&port->tx_packets, n);
    }
}

/* Logs an upcall at debug level, as the userspace datapath does. */
static void
ctdp_exec_log_upcall(const struct ctdp *dp, const struct dp_packet *packet,
                     const struct flow *flow, const struct flow_wildcards *wc,
                     enum dpif_upcall_type type)
{
    struct odp_flow_key_parms parms = {
        .flow = flow,
        .mask = wc ? &wc->masks : NULL,
        .support = ctdp_odp_support,
    };
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpbuf key;
    char *packet_str;

    if (OVS_LIKELY(VLOG_DROP_DBG(&ctdp_upcall_rl))) {
        return;
    }
    ofpbuf_init(&key, 0);
    odp_flow_key_from_flow(&parms, &key);
    odp_flow_key_format(key.data, key.size, &s);
    packet_str = ofp_dp_packet_to_string(packet);
    VLOG_DBG("%s: %s upcall:\n%s\n%s", dp->name,
             dpif_upcall_type_to_string(type), ds_cstr(&s), packet_str);
    free(packet_str);
    ofpbuf_uninit(&key);
    ds_destroy(&s);
}

/* Calls ofproto's upcall callback.  The caller holds the read side of
 * 'dp->upcall_rwlock'. */
static int
ctdp_exec_upcall(struct ctdp *dp, const struct dp_packet *packet,
                 const struct flow *flow, ovs_u128 *ufid,
                 enum dpif_upcall_type type, const struct nlattr *userdata,
                 struct ofpbuf *actions, struct flow_wildcards *wc,
                 struct ofpbuf *put_actions)
{
    if (!dp->upcall_cb) {
        return ENODEV;
    }
    ctdp_exec_log_upcall(dp, packet, flow, wc, type);
    return dp->upcall_cb(packet, flow, ufid, NON_PMD_CORE_ID, type, userdata,
                         actions, wc, put_actions, dp->upcall_aux);
}

static bool
ctdp_upcall_lock(struct ctdp *dp)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    /* Fails while upcalls are disabled (write side held or wanted). */
    return !ovs_rwlock_tryrdlock(&dp->upcall_rwlock);
}

static void
ctdp_upcall_unlock(struct ctdp *dp)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    ovs_rwlock_unlock(&dp->upcall_rwlock);
}

/* Handles a packet that missed the megaflow cache: upcall, execute the
 * actions on it, install the megaflow.  Takes ownership of 'packet'. */
static void
ctdp_exec_miss(struct ctdp *dp, struct dp_packet *packet,
               const struct flow *flow, long long now)
{
    uint64_t actions_stub[512 / 8], put_stub[512 / 8];
    struct ofpbuf actions, put_actions;
    struct dp_packet_batch b;
    struct match match;
    ovs_u128 ufid;
    int error;

    ctdp_count(&dp->counters.n_missed, 1);
    if (!ctdp_upcall_lock(dp)) {
        COVERAGE_INC(ctdp_drop_upcall_disabled);
        ctdp_count(&dp->counters.n_lost, 1);
        dp_packet_delete(packet);
        return;
    }

    ofpbuf_use_stub(&actions, actions_stub, sizeof actions_stub);
    ofpbuf_use_stub(&put_actions, put_stub, sizeof put_stub);
    match.flow = *flow;
    memset(&match.wc, 0, sizeof match.wc);
    match.tun_md.valid = false;
    odp_flow_key_hash(&match.flow, sizeof match.flow, &ufid);

    ctdp_count(&dp->counters.n_upcalls, 1);
    error = ctdp_exec_upcall(dp, packet, &match.flow, &ufid, DPIF_UC_MISS,
                             NULL, &actions, &match.wc, &put_actions);
    if (error && error != ENOSPC) {
        COVERAGE_INC(ctdp_drop_upcall_error);
        ctdp_count(&dp->counters.n_lost, 1);
        dp_packet_delete(packet);
    } else if (ctdp_exec_validate(actions.data, actions.size, false)
               || (put_actions.size
                   && ctdp_exec_validate(put_actions.data, put_actions.size,
                                         false))) {
        COVERAGE_INC(ctdp_drop_bad_actions);
        ctdp_count(&dp->counters.n_refused, 1);
        dp_packet_delete(packet);
    } else {
        const struct ofpbuf *add = put_actions.size ? &put_actions : &actions;

        /* Install the megaflow first, so that this packet's own
         * recirculations, and the packets behind it, find it instead of
         * missing again; then run the actions on this packet. */
        if (error == ENOSPC) {
            COVERAGE_INC(ctdp_upcall_enospc);
        } else if (ctdp_install_flow(dp, &match, &ufid, add->data,
                                     add->size)) {
            ctdp_count(&dp->counters.n_flow_installs, 1);
        }
        dp_packet_batch_init_packet(&b, packet);
        ctdp_exec_actions(dp, &b, true, flow->dl_type, now,
                          actions.data, actions.size);
    }
    ctdp_upcall_unlock(dp);
    ofpbuf_uninit(&actions);
    ofpbuf_uninit(&put_actions);
}

/* userspace() action: an upcall of type DPIF_UC_ACTION per packet, and the
 * actions it returns run on that packet. */
static void
ctdp_exec_userspace(struct ctdp *dp, struct dp_packet_batch *batch,
                    bool steal, const struct nlattr *a, long long now)
{
    const struct nlattr *userdata;
    struct dp_packet_batch clone;
    struct dp_packet *packet;
    struct ofpbuf actions;
    bool cloned = false;

    if (!ctdp_upcall_lock(dp)) {
        COVERAGE_ADD(ctdp_drop_upcall_disabled, dp_packet_batch_size(batch));
        ctdp_count(&dp->counters.n_lost, dp_packet_batch_size(batch));
        dp_packet_delete_batch(batch, steal);
        return;
    }

    userdata = nl_attr_find_nested(a, OVS_USERSPACE_ATTR_USERDATA);
    if (batch->trunc) {
        if (!steal) {
            dp_packet_batch_clone(&clone, batch);
            dp_packet_batch_reset_cutlen(batch);
            batch = &clone;
            cloned = true;
        }
        dp_packet_batch_apply_cutlen(batch);
    }

    ofpbuf_init(&actions, 0);
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        struct dp_packet_batch b;
        struct flow flow;
        ovs_u128 ufid;
        int error;

        flow_extract(packet, &flow);
        odp_flow_key_hash(&flow, sizeof flow, &ufid);
        ofpbuf_clear(&actions);
        ctdp_count(&dp->counters.n_action_upcalls, 1);
        error = ctdp_exec_upcall(dp, packet, &flow, &ufid, DPIF_UC_ACTION,
                                 userdata, &actions, NULL, NULL);
        if (error && error != ENOSPC) {
            COVERAGE_INC(ctdp_drop_upcall_error);
            if (steal || cloned) {
                dp_packet_delete(packet);
            }
        } else if (!ctdp_exec_validate(actions.data, actions.size, false)) {
            dp_packet_batch_init_packet(&b, packet);
            ctdp_exec_actions(dp, &b, steal || cloned, flow.dl_type, now,
                              actions.data, actions.size);
        } else {
            COVERAGE_INC(ctdp_drop_bad_actions);
            ctdp_count(&dp->counters.n_refused, 1);
            if (steal || cloned) {
                dp_packet_delete(packet);
            }
        }
    }
    ofpbuf_uninit(&actions);
    ctdp_upcall_unlock(dp);
}

static void
ctdp_exec_recirc(struct ctdp *dp, struct dp_packet_batch *batch, bool steal,
                 uint32_t recirc_id, long long now)
{
    uint32_t *depth = ctdp_recirc_depth_get();
    struct dp_packet_batch clone;
    struct dp_packet *packet;

    if (*depth >= CTDP_MAX_RECIRC_DEPTH) {
        size_t n = dp_packet_batch_size(batch);

        COVERAGE_ADD(ctdp_drop_recirc_depth, n);
        ctdp_count(&dp->counters.n_recirc_drops, n);
        dp_packet_delete_batch(batch, steal);
        return;
    }
    if (!steal) {
        dp_packet_batch_clone(&clone, batch);
        batch = &clone;
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        packet->md.recirc_id = recirc_id;
    }
    ctdp_count(&dp->counters.n_recirc, dp_packet_batch_size(batch));
    (*depth)++;
    ctdp_exec_process(dp, batch, now);
    (*depth)--;
}

/* odp_execute_actions() callback for the actions that need the
 * datapath. */
static void
ctdp_exec_cb(void *ctx_, struct dp_packet_batch *batch,
             const struct nlattr *a, bool steal)
{
    struct ctdp_exec_ctx *ctx = ctx_;
    struct ctdp *dp = ctx->dp;

    switch ((enum ovs_action_attr) nl_attr_type(a)) {
    case OVS_ACTION_ATTR_OUTPUT:
        ctdp_exec_output(dp, batch, steal, nl_attr_get_odp_port(a));
        return;

    case OVS_ACTION_ATTR_USERSPACE:
        ctdp_exec_userspace(dp, batch, steal, a, ctx->now);
        return;

    case OVS_ACTION_ATTR_RECIRC:
        ctdp_exec_recirc(dp, batch, steal, nl_attr_get_u32(a), ctx->now);
        return;

    case OVS_ACTION_ATTR_CT:
        ctdp_ct_execute(dp, batch, a, ctx->dl_type, ctx->now);
        break;

    default:
        /* Refused by ctdp_exec_validate(); never executed. */
        COVERAGE_ADD(ctdp_drop_bad_actions, dp_packet_batch_size(batch));
        break;
    }
    dp_packet_delete_batch(batch, steal);
}

static void
ctdp_exec_actions(struct ctdp *dp, struct dp_packet_batch *batch, bool steal,
                  ovs_be16 dl_type, long long now,
                  const struct nlattr *actions, size_t actions_len)
{
    struct ctdp_exec_ctx ctx = {
        .dp = dp,
        .dl_type = dl_type,
        .now = now,
    };

    odp_execute_actions(&ctx, batch, steal, actions, actions_len,
                        ctdp_exec_cb);
}

/* Packets of one batch that hit the same megaflow. */
struct ctdp_exec_group {
    struct ctdp_flow *flow;
    struct dp_packet_batch batch;
    uint64_t n_bytes;
    uint16_t tcp_flags;
};

struct ctdp_exec_groups {
    size_t n;
    struct ctdp_exec_group groups[NETDEV_MAX_BURST];
};

static void
ctdp_exec_groups_add(struct ctdp_exec_groups *g, struct ctdp_flow *flow,
                     struct dp_packet *packet, uint16_t tcp_flags)
{
    struct ctdp_exec_group *group = NULL;

    for (size_t i = 0; i < g->n; i++) {
        if (g->groups[i].flow == flow) {
            group = &g->groups[i];
            break;
        }
    }
    if (!group) {
        ovs_assert(g->n < ARRAY_SIZE(g->groups));
        group = &g->groups[g->n++];
        group->flow = flow;
        dp_packet_batch_init(&group->batch);
        group->n_bytes = 0;
        group->tcp_flags = 0;
    }
    dp_packet_batch_add(&group->batch, packet);
    group->n_bytes += dp_packet_size(packet);
    group->tcp_flags |= tcp_flags;
}

/* Runs each group's megaflow actions on its packets, in the order the
 * groups were formed, and empties 'g'. */
static void
ctdp_exec_groups_flush(struct ctdp *dp, struct ctdp_exec_groups *g,
                       long long now)
{
    for (size_t i = 0; i < g->n; i++) {
        struct ctdp_exec_group *group = &g->groups[i];
        const struct ctdp_actions *actions;

        ctdp_flow_used(group->flow, dp_packet_batch_size(&group->batch),
                       group->n_bytes, group->tcp_flags, now);
        actions = ctdp_flow_get_actions(group->flow);
        ctdp_exec_actions(dp, &group->batch, true, group->flow->flow.dl_type,
                          now, actions->actions, actions->size);
    }
    g->n = 0;
}

/* Looks up and processes every packet of 'batch', whose metadata is
 * valid.  Takes ownership of the packets. */
static void
ctdp_exec_process(struct ctdp *dp, struct dp_packet_batch *batch,
                  long long now)
{
    struct ctdp_exec_groups groups;
    struct dp_packet *packet;
    size_t n_hit = 0, n_probes = 0, n_lookups = 0;

    groups.n = 0;
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        struct {
            struct miniflow mf;
            uint64_t buf[FLOW_U64S];
        } key;
        struct ctdp_flow *flow;
        struct flow f;
        size_t probes;

        if (OVS_UNLIKELY(dp_packet_size(packet) < ETH_HEADER_LEN)) {
            COVERAGE_INC(ctdp_drop_bad_packet);
            dp_packet_delete(packet);
            continue;
        }
        miniflow_extract(packet, &key.mf);
        miniflow_expand(&key.mf, &f);

        flow = ctdp_flow_lookup(&dp->flows, &f, &probes);
        n_lookups++;
        n_probes += probes;
        if (OVS_LIKELY(flow)) {
            n_hit++;
            ctdp_exec_groups_add(&groups, flow, packet,
                                 miniflow_get_tcp_flags(&key.mf));
        } else {
            /* Earlier packets leave first; later ones see the new
             * megaflow. */
            ctdp_exec_groups_flush(dp, &groups, now);
            ctdp_exec_miss(dp, packet, &f, now);
        }
    }
    ctdp_exec_groups_flush(dp, &groups, now);
    ctdp_count(&dp->counters.n_hit, n_hit);
    ctdp_count(&dp->flows.n_lookups, n_lookups);
    ctdp_count(&dp->flows.n_subtable_probes, n_probes);
}

void
ctdp_exec_input(struct ctdp *dp, struct dp_packet_batch *batch,
                odp_port_t in_port)
{
    struct dp_packet *packet;

    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        pkt_metadata_init(&packet->md, in_port);
    }
    ctdp_exec_process(dp, batch, time_msec());
}

int
ctdp_exec_execute(struct ctdp *dp, struct dpif_execute *execute)
{
    struct dp_packet *packet = execute->packet;
    size_t size = dp_packet_size(packet);
    struct dp_packet_batch b;
    ovs_be16 dl_type;
    int error;

    if (size < ETH_HEADER_LEN || size > UINT16_MAX) {
        return EINVAL;
    }
    error = ctdp_exec_validate(execute->actions, execute->actions_len,
                               execute->probe);
    if (error || execute->probe) {
        /* A probe only asks whether the actions are supported: running
         * them could send packets into the network. */
        return error;
    }

    if (execute->flow) {
        dl_type = execute->flow->dl_type;
    } else {
        struct flow flow;

        flow_extract(packet, &flow);
        dl_type = flow.dl_type;
    }
    if (execute->needs_help) {
        packet = dp_packet_clone(packet);
    }
    dp_packet_batch_init_packet(&b, packet);
    ctdp_exec_actions(dp, &b, execute->needs_help, dl_type, time_msec(),
                      execute->actions, execute->actions_len);
    return 0;
}
