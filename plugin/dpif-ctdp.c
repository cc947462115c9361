/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* The dpif_class of the ctdp datapath: datapath lifetime, ports, megaflow
 * operations (put/get/del by ufid, dumps), upcall registration and
 * statistics.  Packet processing is in ctdp-exec.c, conntrack in
 * ctdp-ct.c. */

#include <config.h>

#include "dpif-ctdp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "ct.h"
#include "ctdp-ct.h"
#include "ctdp-exec.h"
#include "ctdp-unixctl.h"
#include "dp-packet.h"
#include "dpif.h"
#include "flow.h"
#include "hash.h"
#include "openvswitch/match.h"
#include "netdev.h"
#include "odp-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "seq.h"
#include "smap.h"
#include "sset.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(dpif_ctdp);

/* Protects 'ctdp_datapaths'.  Lock order: first (see dpif-ctdp.h). */
static struct ovs_mutex ctdp_registry_mutex = OVS_MUTEX_INITIALIZER;
static struct shash ctdp_datapaths OVS_GUARDED_BY(ctdp_registry_mutex)
    = SHASH_INITIALIZER(&ctdp_datapaths);

/* Megaflow log lines, rate-limited like the userspace datapath's. */
static struct vlog_rate_limit ctdp_flow_rl = VLOG_RATE_LIMIT_INIT(600, 600);

/* ct_state bits a megaflow key may match on. */
#define CTDP_CS_SUPPORTED (CS_NEW | CS_ESTABLISHED | CS_RELATED | CS_INVALID \
                           | CS_REPLY_DIR | CS_TRACKED | CS_SRC_NAT        \
                           | CS_DST_NAT)

static struct dpif_ctdp *
dpif_ctdp_cast(const struct dpif *dpif)
{
    dpif_assert_class(dpif, &dpif_ctdp_class);
    return CONTAINER_OF(dpif, struct dpif_ctdp, dpif);
}

struct ctdp *
ctdp_cast(const struct dpif *dpif)
{
    return dpif_ctdp_cast(dpif)->dp;
}

/* Datapath lifetime. */

static int
dpif_ctdp_init(void)
{
    ctdp_unixctl_register();
    return 0;
}

static int
dpif_ctdp_enumerate(struct sset *all_dps, const struct dpif_class *class)
{
    struct shash_node *node;

    ovs_mutex_lock(&ctdp_registry_mutex);
    SHASH_FOR_EACH (node, &ctdp_datapaths) {
        struct ctdp *dp = node->data;

        if (dp->class == class) {
            sset_add(all_dps, node->name);
        }
    }
    ovs_mutex_unlock(&ctdp_registry_mutex);
    return 0;
}

static const char *
dpif_ctdp_port_open_type(const struct dpif_class *class OVS_UNUSED,
                         const char *type)
{
    return ctdp_port_open_type(type);
}

static void
ctdp_counters_init(struct ctdp_counters *c)
{
    atomic_init(&c->n_hit, 0);
    atomic_init(&c->n_missed, 0);
    atomic_init(&c->n_lost, 0);
    atomic_init(&c->n_upcalls, 0);
    atomic_init(&c->n_action_upcalls, 0);
    atomic_init(&c->n_recirc, 0);
    atomic_init(&c->n_recirc_drops, 0);
    atomic_init(&c->n_output_drops, 0);
    atomic_init(&c->n_refused, 0);
    atomic_init(&c->n_flow_installs, 0);
}

/* Upcalls start disabled: the write side of 'upcall_rwlock' is held until
 * ofproto enables them.  The lock is taken in one callback and released in
 * another, which the analysis cannot follow. */
static void
ctdp_upcall_disable__(struct ctdp *dp)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    if (!dp->upcalls_disabled) {
        ovs_rwlock_wrlock(&dp->upcall_rwlock);
        dp->upcalls_disabled = true;
    }
}

static void
ctdp_upcall_enable__(struct ctdp *dp)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    if (dp->upcalls_disabled) {
        dp->upcalls_disabled = false;
        ovs_rwlock_unlock(&dp->upcall_rwlock);
    }
}

/* Releases everything 'dp' owns.  No dpif refers to it any more. */
static void
ctdp_free(struct ctdp *dp)
{
    struct ctdp_port *port;

    /* ofproto is gone: forget its callback, and let packet threads that
     * still run see "no upcalls" rather than wait for the lock. */
    ctdp_upcall_disable__(dp);
    dp->upcall_cb = NULL;
    dp->upcall_aux = NULL;
    ctdp_upcall_enable__(dp);

    /* Stop receiving first, then release the ports. */
    ctdp_rx_destroy(&dp->rx);
    ovs_mutex_lock(&dp->ports.mutex);
    CMAP_FOR_EACH (port, node, &dp->ports.by_no) {
        ctdp_port_unlink(&dp->ports, port);
        ctdp_port_free(port);
    }
    ovs_mutex_unlock(&dp->ports.mutex);

    ctdp_sweeper_destroy(dp->sweeper);
    ctdp_flow_table_destroy(&dp->flows);
    ctdp_persist_destroy(&dp->persist);
    ct_destroy(dp->ct);
    ctdp_ports_destroy(&dp->ports);
    ovs_mutex_lock(&dp->ct_mutex);
    bitmap_free(dp->zone_limited);
    ovs_mutex_unlock(&dp->ct_mutex);
    ovs_mutex_destroy(&dp->ct_mutex);

    ovs_rwlock_destroy(&dp->upcall_rwlock);
    free(dp->name);
    free(dp);
}

static int
ctdp_create(const struct dpif_class *class, const char *name,
            struct ctdp **dpp)
    OVS_REQUIRES(ctdp_registry_mutex)
{
    struct ct_config ct_config = { .max_conns = 0 };
    struct ctdp_port *port;
    struct ctdp *dp;
    int error;

    dp = xzalloc(sizeof *dp);
    dp->class = class;
    dp->name = xstrdup(name);
    ovs_refcount_init(&dp->ref_cnt);
    dp->destroyed = false;
    ctdp_ports_init(&dp->ports);
    ctdp_flow_table_init(&dp->flows);
    ctdp_counters_init(&dp->counters);
    ovs_rwlock_init(&dp->upcall_rwlock);
    ctdp_upcall_disable__(dp);
    dp->ct = ct_create(&ct_config);
    ctdp_persist_init(&dp->persist, name);
    ovs_mutex_init(&dp->ct_mutex);
    ovs_mutex_lock(&dp->ct_mutex);
    dp->zone_limited = bitmap_allocate(UINT16_MAX + 1);
    ovs_mutex_unlock(&dp->ct_mutex);
    ctdp_rx_init(&dp->rx, dp);
    ctdp_rx_set_n_threads(&dp->rx, CTDP_RX_DEFAULT_THREADS);

    /* The datapath's own port, numbered ODPP_LOCAL. */
    ovs_mutex_lock(&dp->ports.mutex);
    error = ctdp_port_open(&dp->ports, name, ctdp_port_open_type("internal"),
                           ODPP_LOCAL, &port);
    ovs_mutex_unlock(&dp->ports.mutex);
    if (error) {
        ctdp_free(dp);
        return error;
    }
    ctdp_rx_add_port(&dp->rx, port);

    dp->sweeper = ctdp_sweeper_create(dp);
    shash_add(&ctdp_datapaths, name, dp);
    *dpp = dp;
    return 0;
}

static struct dpif *
ctdp_open_handle(struct ctdp *dp)
    OVS_REQUIRES(ctdp_registry_mutex)
{
    uint16_t netflow_id = hash_string(dp->name, 0);
    struct dpif_ctdp *dpif = xzalloc(sizeof *dpif);

    ovs_refcount_ref(&dp->ref_cnt);
    dpif_init(&dpif->dpif, dp->class, dp->name, netflow_id >> 8, netflow_id);
    dpif->dp = dp;
    ctdp_port_cursor_init(&dp->ports, &dpif->port_cursor);
    return &dpif->dpif;
}

static int
dpif_ctdp_open(const struct dpif_class *class, const char *name,
               bool create, struct dpif **dpifp)
{
    struct ctdp *dp;
    int error;

    ovs_mutex_lock(&ctdp_registry_mutex);
    dp = shash_find_data(&ctdp_datapaths, name);
    if (!dp) {
        error = create ? ctdp_create(class, name, &dp) : ENODEV;
    } else {
        error = dp->class != class ? EINVAL : create ? EEXIST : 0;
    }
    if (!error) {
        *dpifp = ctdp_open_handle(dp);
    }
    ovs_mutex_unlock(&ctdp_registry_mutex);
    return error;
}

/* Drops a reference; the last one frees the datapath.  The registry lock
 * keeps a concurrent open from reviving a dying datapath. */
static void
ctdp_unref__(struct ctdp *dp)
    OVS_EXCLUDED(ctdp_registry_mutex)
{
    bool last;

    ovs_mutex_lock(&ctdp_registry_mutex);
    last = ovs_refcount_unref_relaxed(&dp->ref_cnt) == 1;
    if (last) {
        shash_find_and_delete(&ctdp_datapaths, dp->name);
    }
    ovs_mutex_unlock(&ctdp_registry_mutex);
    if (last) {
        ctdp_free(dp);
    }
}

void
ctdp_unref(struct ctdp *dp)
{
    if (dp) {
        ctdp_unref__(dp);
    }
}

struct ctdp *
ctdp_find(const char *name)
{
    struct ctdp *dp = NULL;

    ovs_mutex_lock(&ctdp_registry_mutex);
    if (name) {
        dp = shash_find_data(&ctdp_datapaths, name);
    } else if (shash_count(&ctdp_datapaths) == 1) {
        dp = shash_first(&ctdp_datapaths)->data;
    }
    if (dp && !ovs_refcount_try_ref_rcu(&dp->ref_cnt)) {
        dp = NULL;
    }
    ovs_mutex_unlock(&ctdp_registry_mutex);
    return dp;
}

void
ctdp_names(struct sset *names)
{
    struct shash_node *node;

    ovs_mutex_lock(&ctdp_registry_mutex);
    SHASH_FOR_EACH (node, &ctdp_datapaths) {
        sset_add(names, node->name);
    }
    ovs_mutex_unlock(&ctdp_registry_mutex);
}

/* The handle through which ofproto received upcalls (its dpif backer) is
 * closing and the datapath was not deleted: in ovs-vswitchd that happens
 * only at "ovs-appctl exit" without --cleanup, which leaves the datapath
 * behind.  (Handles opened by dpctl commands never register upcalls; a
 * datapath created by dpctl/add-dp outlives them with its rx threads.)
 * Stops the rx threads, so that no packet changes the table any more
 * (ofproto is gone and with it every other source of packets), and saves
 * the table if configured. */
static void
ctdp_left_behind(struct ctdp *dp)
{
    ctdp_rx_set_n_threads(&dp->rx, 0);
    ctdp_persist_save(&dp->persist, dp->name, dp->ct);
}

static void
dpif_ctdp_close(struct dpif *dpif_)
{
    struct dpif_ctdp *dpif = dpif_ctdp_cast(dpif_);
    struct ctdp *dp = dpif->dp;
    bool left_behind;

    ovs_mutex_lock(&ctdp_registry_mutex);
    left_behind = dpif->upcall_owner && !dp->destroyed;
    ovs_mutex_unlock(&ctdp_registry_mutex);

    if (left_behind) {
        ctdp_left_behind(dp);
    }
    ctdp_unref__(dp);
    free(dpif);
}

static int
dpif_ctdp_destroy(struct dpif *dpif)
{
    struct ctdp *dp = ctdp_cast(dpif);

    /* Drop the reference the datapath was created with; the handles'
     * references keep it alive until they close. */
    ovs_mutex_lock(&ctdp_registry_mutex);
    if (!dp->destroyed) {
        dp->destroyed = true;
        ovs_assert(ovs_refcount_unref_relaxed(&dp->ref_cnt) > 1);
    }
    ovs_mutex_unlock(&ctdp_registry_mutex);
    return 0;
}

static bool
dpif_ctdp_run(struct dpif *dpif)
{
    ctdp_rx_run(&ctdp_cast(dpif)->rx);
    return false;
}

static void
dpif_ctdp_wait(struct dpif *dpif)
{
    ctdp_rx_wait(&ctdp_cast(dpif)->rx);
}

static int
dpif_ctdp_get_stats(const struct dpif *dpif, struct dpif_dp_stats *stats)
{
    struct ctdp *dp = ctdp_cast(dpif);

    memset(stats, 0, sizeof *stats);
    stats->n_flows = ctdp_flow_count(&dp->flows);
    atomic_read_relaxed(&dp->counters.n_hit, &stats->n_hit);
    atomic_read_relaxed(&dp->counters.n_missed, &stats->n_missed);
    atomic_read_relaxed(&dp->counters.n_lost, &stats->n_lost);
    /* Like Open vSwitch's userspace datapath, no mask statistics: the
     * "masks:" line of dpif/show is not printed. */
    stats->n_masks = UINT32_MAX;
    stats->n_mask_hit = UINT64_MAX;
    stats->n_cache_hit = UINT64_MAX;
    return 0;
}

/* other_config:ctdp-ct-acct: per-connection packet and byte counters and
 * creation times, for connections created from now on (ct_set_acct()).
 * Absent means off; a value other than "true" or "false" is reported and
 * leaves the setting as it was. */
static void
ctdp_set_acct(struct ctdp *dp, const struct smap *other_config)
{
    const char *value = smap_get(other_config, "ctdp-ct-acct");
    bool enabled;

    if (!value || !strcasecmp(value, "false")) {
        enabled = false;
    } else if (!strcasecmp(value, "true")) {
        enabled = true;
    } else {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "%s: other_config:ctdp-ct-acct=%s is not true or "
                     "false; connection accounting stays %s", dp->name,
                     value, ct_get_acct(dp->ct) ? "on" : "off");
        return;
    }
    if (enabled != ct_get_acct(dp->ct)) {
        VLOG_INFO("%s: connection accounting %s", dp->name,
                  enabled ? "on for new connections" : "off for new "
                  "connections");
        ct_set_acct(dp->ct, enabled);
    }
}

static int
dpif_ctdp_set_config(struct dpif *dpif, const struct smap *other_config)
{
    struct ctdp *dp = ctdp_cast(dpif);
    int n = smap_get_int(other_config, "ctdp-rx-threads",
                         CTDP_RX_DEFAULT_THREADS);

    if (n < 0 || n > CTDP_RX_MAX_THREADS) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "%s: other_config:ctdp-rx-threads=%s is not a "
                     "number between 0 and %d; using %d", dp->name,
                     smap_get(other_config, "ctdp-rx-threads"),
                     CTDP_RX_MAX_THREADS, CTDP_RX_DEFAULT_THREADS);
        n = CTDP_RX_DEFAULT_THREADS;
    }
    if (n != ctdp_rx_n_threads(&dp->rx)) {
        VLOG_INFO("%s: %d rx thread%s%s", dp->name, n, n == 1 ? "" : "s",
                  n ? "" : ", ports polled by the main loop");
        ctdp_rx_set_n_threads(&dp->rx, n);
    }
    ctdp_set_acct(dp, other_config);
    ctdp_persist_configure(&dp->persist, dp->name, dp->ct, other_config);
    return 0;
}

/* Ports. */

static int
dpif_ctdp_port_add(struct dpif *dpif, struct netdev *netdev,
                   odp_port_t *port_nop)
{
    struct ctdp *dp = ctdp_cast(dpif);
    struct ctdp_port *port;
    int error;

    ovs_mutex_lock(&dp->ports.mutex);
    error = ctdp_port_add(&dp->ports, netdev, port_nop, &port);
    ovs_mutex_unlock(&dp->ports.mutex);
    if (!error) {
        ctdp_rx_add_port(&dp->rx, port);
    }
    return error;
}

static int
dpif_ctdp_port_del(struct dpif *dpif, odp_port_t port_no)
{
    struct ctdp *dp = ctdp_cast(dpif);
    struct ctdp_port *port;

    if (port_no == ODPP_LOCAL) {
        return EINVAL;
    }
    if (port_no == ODPP_NONE) {
        return EINVAL;
    }

    ovs_mutex_lock(&dp->ports.mutex);
    port = ctdp_port_lookup(&dp->ports, port_no);
    if (port) {
        ctdp_port_unlink(&dp->ports, port);
    }
    ovs_mutex_unlock(&dp->ports.mutex);
    if (!port) {
        return ENODEV;
    }

    /* Wait until no rx thread polls the port, then release it. */
    ctdp_rx_del_port(&dp->rx, port);
    ctdp_port_free(port);
    return 0;
}

static int
dpif_ctdp_port_query_by_number(const struct dpif *dpif, odp_port_t port_no,
                               struct dpif_port *dpif_port)
{
    struct ctdp *dp = ctdp_cast(dpif);
    struct ctdp_port *port;
    int error = 0;

    if (port_no == ODPP_NONE) {
        return EINVAL;
    }
    ovs_mutex_lock(&dp->ports.mutex);
    port = ctdp_port_lookup(&dp->ports, port_no);
    if (!port) {
        error = ENODEV;
    } else if (dpif_port) {
        ctdp_port_to_dpif_port(port, dpif_port);
    }
    ovs_mutex_unlock(&dp->ports.mutex);
    return error;
}

static int
dpif_ctdp_port_query_by_name(const struct dpif *dpif, const char *devname,
                             struct dpif_port *dpif_port)
{
    struct ctdp *dp = ctdp_cast(dpif);
    struct ctdp_port *port;
    int error = 0;

    ovs_mutex_lock(&dp->ports.mutex);
    port = ctdp_port_lookup_by_name(&dp->ports, devname);
    if (!port) {
        error = ENODEV;
    } else if (dpif_port) {
        ctdp_port_to_dpif_port(port, dpif_port);
    }
    ovs_mutex_unlock(&dp->ports.mutex);
    return error;
}

static int
dpif_ctdp_port_dump_start(const struct dpif *dpif, void **statep)
{
    struct ctdp_port_snapshot *snap = xzalloc(sizeof *snap);

    ctdp_ports_snapshot(&ctdp_cast(dpif)->ports, snap);
    *statep = snap;
    return 0;
}

static int
dpif_ctdp_port_dump_next(const struct dpif *dpif OVS_UNUSED, void *state,
                         struct dpif_port *port)
{
    struct ctdp_port_snapshot *snap = state;

    if (snap->pos >= snap->n) {
        return EOF;
    }
    *port = snap->ports[snap->pos++];
    return 0;
}

static int
dpif_ctdp_port_dump_done(const struct dpif *dpif OVS_UNUSED, void *state)
{
    struct ctdp_port_snapshot *snap = state;

    ctdp_port_snapshot_destroy(snap);
    free(snap);
    return 0;
}

static int
dpif_ctdp_port_poll(const struct dpif *dpif_, char **devnamep)
{
    struct dpif_ctdp *dpif = dpif_ctdp_cast(dpif_);

    return ctdp_port_poll(&dpif->dp->ports, &dpif->port_cursor, devnamep);
}

static void
dpif_ctdp_port_poll_wait(const struct dpif *dpif_)
{
    struct dpif_ctdp *dpif = dpif_ctdp_cast(dpif_);

    ctdp_port_poll_wait(&dpif->dp->ports, &dpif->port_cursor);
}

/* Megaflows. */

static int
dpif_ctdp_flow_flush(struct dpif *dpif)
{
    ctdp_flow_flush(&ctdp_cast(dpif)->flows);
    return 0;
}

/* Converts a netlink key and mask into 'match'.  Returns EINVAL for keys
 * the datapath cannot match on. */
static int
ctdp_match_from_nlattrs(const struct nlattr *key, size_t key_len,
                        const struct nlattr *mask, size_t mask_len,
                        struct match *match, bool quiet)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    memset(match, 0, sizeof *match);
    if (!key || !key_len
        || odp_flow_key_to_flow(key, key_len, &match->flow, NULL)) {
        if (!quiet && !VLOG_DROP_ERR(&rl)) {
            struct ds s = DS_EMPTY_INITIALIZER;

            odp_flow_format(key, key_len, NULL, 0, NULL, &s, true);
            VLOG_ERR("cannot parse flow key %s", ds_cstr(&s));
            ds_destroy(&s);
        }
        return EINVAL;
    }
    if (odp_flow_key_to_mask(mask, mask_len, &match->wc, &match->flow,
                             NULL)) {
        if (!quiet && !VLOG_DROP_ERR(&rl)) {
            struct ds s = DS_EMPTY_INITIALIZER;

            odp_flow_format(key, key_len, mask, mask_len, NULL, &s, true);
            VLOG_ERR("cannot parse flow mask %s", ds_cstr(&s));
            ds_destroy(&s);
        }
        return EINVAL;
    }
    if (match->flow.ct_state & ~CTDP_CS_SUPPORTED) {
        return EINVAL;
    }
    return 0;
}

/* Logs a megaflow change at debug level in the form Open vSwitch's
 * userspace datapath uses ("flow_add: ..." / "flow_mod: ..."). */
static void
ctdp_log_flow_change(const struct ctdp_flow *flow, const struct match *match,
                     const struct ctdp_actions *old_actions,
                     const struct nlattr *actions, size_t actions_len)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    if (OVS_LIKELY(VLOG_DROP_DBG(&ctdp_flow_rl))) {
        return;
    }
    ds_put_cstr(&s, old_actions ? "flow_mod: " : "flow_add: ");
    odp_format_ufid(&flow->ufid, &s);
    ds_put_cstr(&s, " mega_");
    odp_format_ufid(&flow->mega_ufid, &s);
    ds_put_char(&s, ' ');
    ctdp_flow_format_key(&match->flow, &match->wc, &s);
    if (old_actions) {
        ds_put_cstr(&s, ", old_actions:");
        format_odp_actions(&s, old_actions->actions, old_actions->size,
                           NULL);
    }
    ds_put_cstr(&s, ", actions:");
    format_odp_actions(&s, actions, actions_len, NULL);
    VLOG_DBG("%s", ds_cstr(&s));
    ds_destroy(&s);
}

/* Installs a megaflow for 'match' (raw, as from an upcall or a put) unless
 * one with 'ufid' or one matching 'match->flow' exists.  Returns the new
 * flow, or NULL if one existed. */
struct ctdp_flow *
ctdp_install_flow(struct ctdp *dp, struct match *match, const ovs_u128 *ufid,
                  const struct nlattr *actions, size_t actions_len)
{
    struct ctdp_flow *flow = NULL;
    struct match logged = *match;

    if (!logged.wc.masks.vlans[0].tci) {
        logged.wc.masks.vlans[0].tci = htons(VLAN_VID_MASK | VLAN_CFI);
    }
    ctdp_flow_normalize_match(match);

    ovs_mutex_lock(&dp->flows.mutex);
    if (!ctdp_flow_find(&dp->flows, ufid)
        && !ctdp_flow_lookup(&dp->flows, &match->flow, NULL)) {
        flow = ctdp_flow_insert(&dp->flows, match, ufid, actions,
                                actions_len);
        ctdp_log_flow_change(flow, &logged, NULL, actions, actions_len);
    }
    ovs_mutex_unlock(&dp->flows.mutex);
    return flow;
}

static int
ctdp_flow_put(struct ctdp *dp, const struct dpif_flow_put *put)
{
    bool quiet = put->flags & DPIF_FP_PROBE;
    struct ctdp_flow *flow;
    struct match match, logged;
    ovs_u128 ufid;
    int error;

    if (put->stats) {
        memset(put->stats, 0, sizeof *put->stats);
    }
    error = ctdp_match_from_nlattrs(put->key, put->key_len, put->mask,
                                    put->mask_len, &match, quiet);
    if (error) {
        return error;
    }
    if (match.wc.masks.in_port.odp_port != ODPP_NONE) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        if (!quiet) {
            VLOG_ERR_RL(&rl, "%s: failed to put flow: in_port is not an "
                        "exact match", dp->name);
        }
        return EINVAL;
    }
    error = ctdp_exec_validate(put->actions, put->actions_len, quiet);
    if (error) {
        return error;
    }

    if (put->ufid) {
        ufid = *put->ufid;
    } else {
        odp_flow_key_hash(&match.flow, sizeof match.flow, &ufid);
    }
    logged = match;
    if (!logged.wc.masks.vlans[0].tci) {
        logged.wc.masks.vlans[0].tci = htons(VLAN_VID_MASK | VLAN_CFI);
    }
    ctdp_flow_normalize_match(&match);

    ovs_mutex_lock(&dp->flows.mutex);
    flow = ctdp_flow_find(&dp->flows, &ufid);
    if (!flow) {
        flow = ctdp_flow_lookup(&dp->flows, &match.flow, NULL);
    }
    if (!flow) {
        if (put->flags & DPIF_FP_CREATE) {
            flow = ctdp_flow_insert(&dp->flows, &match, &ufid, put->actions,
                                    put->actions_len);
            ctdp_log_flow_change(flow, &logged, NULL, put->actions,
                                 put->actions_len);
        } else {
            error = ENOENT;
        }
    } else if (put->flags & DPIF_FP_MODIFY) {
        if (put->stats) {
            ctdp_flow_get_stats(flow, put->stats);
        }
        ctdp_log_flow_change(flow, &logged, ctdp_flow_get_actions(flow),
                             put->actions, put->actions_len);
        ctdp_flow_set_actions(&dp->flows, flow, put->actions,
                              put->actions_len);
        if (put->flags & DPIF_FP_ZERO_STATS) {
            ctdp_flow_clear_stats(flow);
        }
    } else if (put->flags & DPIF_FP_CREATE) {
        error = EEXIST;
    } else {
        /* Overlaps a flow with another key. */
        error = EINVAL;
    }
    ovs_mutex_unlock(&dp->flows.mutex);
    return error;
}

/* Finds the flow named by 'ufid', or, without a ufid, by the ufid that
 * would have been derived from 'key'. */
static struct ctdp_flow *
ctdp_flow_find_for_op(struct ctdp *dp, const ovs_u128 *ufid,
                      const struct nlattr *key, size_t key_len)
{
    ovs_u128 key_ufid;

    if (!ufid) {
        struct flow flow;

        if (!key || !key_len
            || odp_flow_key_to_flow(key, key_len, &flow, NULL)) {
            return NULL;
        }
        odp_flow_key_hash(&flow, sizeof flow, &key_ufid);
        ufid = &key_ufid;
    }
    return ctdp_flow_find(&dp->flows, ufid);
}

static int
ctdp_flow_del(struct ctdp *dp, const struct dpif_flow_del *del)
{
    struct ctdp_flow *flow;
    int error = 0;

    if (del->stats) {
        memset(del->stats, 0, sizeof *del->stats);
    }
    ovs_mutex_lock(&dp->flows.mutex);
    flow = ctdp_flow_find_for_op(dp, del->ufid, del->key, del->key_len);
    if (flow) {
        if (del->stats) {
            ctdp_flow_get_stats(flow, del->stats);
        }
        ctdp_flow_remove(&dp->flows, flow);
    } else {
        error = ENOENT;
    }
    ovs_mutex_unlock(&dp->flows.mutex);
    return error;
}

static int
ctdp_flow_get(struct ctdp *dp, const struct dpif_flow_get *get)
{
    struct ctdp_flow *flow;

    flow = ctdp_flow_find_for_op(dp, get->ufid, get->key, get->key_len);
    if (!flow) {
        return ENOENT;
    }
    ctdp_flow_to_dpif_flow(flow, get->buffer, get->buffer, get->flow, false);
    return 0;
}

static void
dpif_ctdp_operate(struct dpif *dpif, struct dpif_op **ops, size_t n_ops,
                  enum dpif_offload_type offload_type OVS_UNUSED)
{
    struct ctdp *dp = ctdp_cast(dpif);

    for (size_t i = 0; i < n_ops; i++) {
        struct dpif_op *op = ops[i];

        switch (op->type) {
        case DPIF_OP_FLOW_PUT:
            op->error = ctdp_flow_put(dp, &op->flow_put);
            break;
        case DPIF_OP_FLOW_DEL:
            op->error = ctdp_flow_del(dp, &op->flow_del);
            break;
        case DPIF_OP_FLOW_GET:
            op->error = ctdp_flow_get(dp, &op->flow_get);
            break;
        case DPIF_OP_EXECUTE:
            op->error = ctdp_exec_execute(dp, &op->execute);
            break;
        default:
            op->error = EOPNOTSUPP;
            break;
        }
    }
}

/* Flow dumps.  Like Open vSwitch's userspace datapath, every flow reports
 * the main-thread pmd id: one shared table serves all threads. */

#define CTDP_DUMP_BATCH 50

struct dpif_ctdp_flow_dump {
    struct dpif_flow_dump up;
    struct ovs_mutex mutex;
    struct cmap_position pos OVS_GUARDED;/* [mutex] */
    bool done OVS_GUARDED;/* [mutex] */
};

struct dpif_ctdp_flow_dump_thread {
    struct dpif_flow_dump_thread up;
    struct dpif_ctdp_flow_dump *dump;
    struct odputil_keybuf keybuf[CTDP_DUMP_BATCH];
    struct odputil_keybuf maskbuf[CTDP_DUMP_BATCH];
};

static struct dpif_ctdp_flow_dump *
dpif_ctdp_flow_dump_cast(struct dpif_flow_dump *dump)
{
    return CONTAINER_OF(dump, struct dpif_ctdp_flow_dump, up);
}

static struct dpif_flow_dump *
dpif_ctdp_flow_dump_create(const struct dpif *dpif, bool terse,
                           struct dpif_flow_dump_types *types OVS_UNUSED)
{
    struct dpif_ctdp_flow_dump *dump = xzalloc(sizeof *dump);

    dpif_flow_dump_init(&dump->up, dpif);
    dump->up.terse = terse;
    ovs_mutex_init(&dump->mutex);
    return &dump->up;
}

static int
dpif_ctdp_flow_dump_destroy(struct dpif_flow_dump *dump_)
{
    struct dpif_ctdp_flow_dump *dump = dpif_ctdp_flow_dump_cast(dump_);

    ovs_mutex_destroy(&dump->mutex);
    free(dump);
    return 0;
}

static struct dpif_flow_dump_thread *
dpif_ctdp_flow_dump_thread_create(struct dpif_flow_dump *dump_)
{
    struct dpif_ctdp_flow_dump *dump = dpif_ctdp_flow_dump_cast(dump_);
    struct dpif_ctdp_flow_dump_thread *thread = xmalloc(sizeof *thread);

    dpif_flow_dump_thread_init(&thread->up, &dump->up);
    thread->dump = dump;
    return &thread->up;
}

static void
dpif_ctdp_flow_dump_thread_destroy(struct dpif_flow_dump_thread *thread_)
{
    free(CONTAINER_OF(thread_, struct dpif_ctdp_flow_dump_thread, up));
}

static int
dpif_ctdp_flow_dump_next(struct dpif_flow_dump_thread *thread_,
                         struct dpif_flow *flows, int max_flows)
{
    struct dpif_ctdp_flow_dump_thread *thread
        = CONTAINER_OF(thread_, struct dpif_ctdp_flow_dump_thread, up);
    struct dpif_ctdp_flow_dump *dump = thread->dump;
    struct ctdp *dp = ctdp_cast(thread->up.dpif);
    struct ctdp_flow *batch[CTDP_DUMP_BATCH];
    size_t n = 0;

    ovs_mutex_lock(&dump->mutex);
    if (!dump->done) {
        n = ctdp_flow_dump_next(&dp->flows, &dump->pos, batch,
                                MIN(max_flows, CTDP_DUMP_BATCH),
                                &dump->done);
    }
    ovs_mutex_unlock(&dump->mutex);

    for (size_t i = 0; i < n; i++) {
        struct ofpbuf key, mask;

        ofpbuf_use_stack(&key, &thread->keybuf[i], sizeof thread->keybuf[i]);
        ofpbuf_use_stack(&mask, &thread->maskbuf[i],
                         sizeof thread->maskbuf[i]);
        ctdp_flow_to_dpif_flow(batch[i], &key, &mask, &flows[i],
                               dump->up.terse);
    }
    return n;
}

/* Upcalls. */

static void
dpif_ctdp_register_upcall_cb(struct dpif *dpif, upcall_callback *cb,
                             void *aux)
{
    struct ctdp *dp = ctdp_cast(dpif);

    dp->upcall_aux = aux;
    dp->upcall_cb = cb;
    if (cb) {
        dpif_ctdp_cast(dpif)->upcall_owner = true;
    }
}

static void
dpif_ctdp_enable_upcall(struct dpif *dpif)
{
    ctdp_upcall_enable__(ctdp_cast(dpif));
}

static void
dpif_ctdp_disable_upcall(struct dpif *dpif)
{
    ctdp_upcall_disable__(ctdp_cast(dpif));
}

/* The purge callback lets ofproto collect flow statistics before a
 * datapath thread takes its flows away.  ctdp's megaflows belong to the
 * datapath, not to a thread, and only go away through ofproto's own
 * requests, so the callback is recorded but never needed. */
static void
dpif_ctdp_register_dp_purge_cb(struct dpif *dpif, dp_purge_callback *cb,
                               void *aux)
{
    struct ctdp *dp = ctdp_cast(dpif);

    dp->purge_aux = aux;
    dp->purge_cb = cb;
}

static char *
dpif_ctdp_get_datapath_version(void)
{
    return xstrdup("ctdp");
}

const struct dpif_class dpif_ctdp_class = {
    .type = "ctdp",
    .cleanup_required = true,
    .init = dpif_ctdp_init,
    .enumerate = dpif_ctdp_enumerate,
    .port_open_type = dpif_ctdp_port_open_type,
    .open = dpif_ctdp_open,
    .close = dpif_ctdp_close,
    .destroy = dpif_ctdp_destroy,
    .run = dpif_ctdp_run,
    .wait = dpif_ctdp_wait,
    .get_stats = dpif_ctdp_get_stats,
    .set_features = NULL,
    .port_add = dpif_ctdp_port_add,
    .port_del = dpif_ctdp_port_del,
    .port_set_config = NULL,
    .port_query_by_number = dpif_ctdp_port_query_by_number,
    .port_query_by_name = dpif_ctdp_port_query_by_name,
    .port_get_pid = NULL,
    .port_dump_start = dpif_ctdp_port_dump_start,
    .port_dump_next = dpif_ctdp_port_dump_next,
    .port_dump_done = dpif_ctdp_port_dump_done,
    .port_poll = dpif_ctdp_port_poll,
    .port_poll_wait = dpif_ctdp_port_poll_wait,
    .flow_flush = dpif_ctdp_flow_flush,
    .flow_dump_create = dpif_ctdp_flow_dump_create,
    .flow_dump_destroy = dpif_ctdp_flow_dump_destroy,
    .flow_dump_thread_create = dpif_ctdp_flow_dump_thread_create,
    .flow_dump_thread_destroy = dpif_ctdp_flow_dump_thread_destroy,
    .flow_dump_next = dpif_ctdp_flow_dump_next,
    .operate = dpif_ctdp_operate,
    .offload_stats_get = NULL,
    .recv_set = NULL,
    .handlers_set = NULL,
    .number_handlers_required = NULL,
    .set_config = dpif_ctdp_set_config,
    .queue_to_priority = NULL,
    .recv = NULL,
    .recv_wait = NULL,
    .recv_purge = NULL,
    .register_dp_purge_cb = dpif_ctdp_register_dp_purge_cb,
    .register_upcall_cb = dpif_ctdp_register_upcall_cb,
    .enable_upcall = dpif_ctdp_enable_upcall,
    .disable_upcall = dpif_ctdp_disable_upcall,
    .get_datapath_version = dpif_ctdp_get_datapath_version,
    .ct_dump_start = ctdp_ct_dump_start,
    .ct_dump_next = ctdp_ct_dump_next,
    .ct_dump_done = ctdp_ct_dump_done,
    .ct_flush = ctdp_ct_flush,
    .ct_set_maxconns = ctdp_ct_set_maxconns,
    .ct_get_maxconns = ctdp_ct_get_maxconns,
    .ct_get_nconns = ctdp_ct_get_nconns,
    .ct_set_tcp_seq_chk = ctdp_ct_set_tcp_seq_chk,
    .ct_get_tcp_seq_chk = ctdp_ct_get_tcp_seq_chk,
    .ct_set_limits = ctdp_ct_set_limits,
    .ct_get_limits = ctdp_ct_get_limits,
    .ct_del_limits = ctdp_ct_del_limits,
    .ct_set_timeout_policy = ctdp_ct_set_timeout_policy,
    .ct_get_timeout_policy = ctdp_ct_get_timeout_policy,
    .ct_del_timeout_policy = ctdp_ct_del_timeout_policy,
    .ct_timeout_policy_dump_start = NULL,
    .ct_timeout_policy_dump_next = NULL,
    .ct_timeout_policy_dump_done = NULL,
    .ct_get_timeout_policy_name = ctdp_ct_get_timeout_policy_name,
    .ct_get_features = ctdp_ct_get_features,
    .ipf_set_enabled = NULL,
    .ipf_set_min_frag = NULL,
    .ipf_set_max_nfrags = NULL,
    .ipf_get_status = ctdp_ct_ipf_get_status,
    .ipf_dump_start = ctdp_ct_ipf_dump_start,
    .ipf_dump_next = ctdp_ct_ipf_dump_next,
    .ipf_dump_done = ctdp_ct_ipf_dump_done,
    .meter_get_features = NULL,
    .meter_set = NULL,
    .meter_get = NULL,
    .meter_del = NULL,
    .bond_add = NULL,
    .bond_del = NULL,
    .bond_stats_get = NULL,
    .cache_get_supported_levels = NULL,
    .cache_get_name = NULL,
    .cache_get_size = NULL,
    .cache_set_size = NULL,
};

void
dpif_ctdp_register(void)
{
    int error = dp_register_provider(&dpif_ctdp_class);

    if (error) {
        VLOG_ERR("cannot register the ctdp datapath type (%s)",
                 ovs_strerror(error));
    }
}
