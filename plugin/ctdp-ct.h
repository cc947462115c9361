/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef PLUGIN_CTDP_CT_H
#define PLUGIN_CTDP_CT_H 1

/* Connection tracking glue of the ctdp datapath.
 *
 *   - The ct() datapath action: its netlink attributes (zone, commit,
 *     force, mark, labels, nat with address/port ranges and flags, timeout
 *     policy, event mask) become a 'struct ct_exec' for the engine.  A ct()
 *     with a helper (ALG) is refused at validation: one log line, and the
 *     flow is not installed.
 *   - The dpif ct_* callbacks behind ovs-appctl dpctl/...-conntrack,
 *     ct-set-maxconns, ct-set-limits, timeout policies, ovs-ofctl ct-flush.
 *   - The sweeper thread that drives expiry through ct_sweep(): it sleeps
 *     the interval the engine asks for, between CTDP_SWEEP_MIN_MS and
 *     CTDP_SWEEP_MAX_MS, and also re-sorts the megaflow subtables.
 *
 * Thread-safety: everything here may be called from any thread; the
 * engine does its own locking.  The sweeper is created and destroyed by
 * the thread that creates and destroys the datapath. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct ctdp;
struct ctdp_sweeper;
struct dp_packet_batch;
struct dpif;
struct ds;
struct nlattr;
struct ovs_list;
struct ct_dpif_dump_state;
struct ct_dpif_entry;
struct ct_dpif_tuple;
struct ct_dpif_timeout_policy;
enum ct_features;

#define CTDP_SWEEP_MIN_MS 20
#define CTDP_SWEEP_MAX_MS 1000
/* Work allowed to one ct_sweep() call: connections (and, for the engine's
 * table walk, hash buckets) examined.  Large enough that a sweep every
 * CTDP_SWEEP_MAX_MS walks a default-sized table in a few seconds, so that
 * expired connections stop counting against limits promptly; small enough
 * that one sweep stays well under a millisecond per thousand entries. */
#define CTDP_SWEEP_BUDGET 65536

/* ct() action. */
int ctdp_ct_validate(const struct nlattr *ct_action, bool quiet);
void ctdp_ct_execute(struct ctdp *, struct dp_packet_batch *,
                     const struct nlattr *ct_action, ovs_be16 dl_type,
                     long long now);

/* Sweeper thread. */
struct ctdp_sweeper *ctdp_sweeper_create(struct ctdp *);
void ctdp_sweeper_destroy(struct ctdp_sweeper *);
void ctdp_sweeper_format(const struct ctdp_sweeper *, struct ds *);

/* dpif callbacks. */
int ctdp_ct_dump_start(struct dpif *, struct ct_dpif_dump_state **,
                       const uint16_t *zone, int *ptot_bkts);
int ctdp_ct_dump_next(struct dpif *, struct ct_dpif_dump_state *,
                      struct ct_dpif_entry *);
int ctdp_ct_dump_done(struct dpif *, struct ct_dpif_dump_state *);
int ctdp_ct_flush(struct dpif *, const uint16_t *zone,
                  const struct ct_dpif_tuple *);
int ctdp_ct_set_maxconns(struct dpif *, uint32_t maxconns);
int ctdp_ct_get_maxconns(struct dpif *, uint32_t *maxconns);
int ctdp_ct_get_nconns(struct dpif *, uint32_t *nconns);
int ctdp_ct_set_tcp_seq_chk(struct dpif *, bool enabled);
int ctdp_ct_get_tcp_seq_chk(struct dpif *, bool *enabled);
int ctdp_ct_set_limits(struct dpif *, const uint32_t *default_limit,
                       const struct ovs_list *zone_limits);
int ctdp_ct_get_limits(struct dpif *, uint32_t *default_limit,
                       const struct ovs_list *zone_limits_in,
                       struct ovs_list *zone_limits_out);
int ctdp_ct_del_limits(struct dpif *, const struct ovs_list *zone_limits);
int ctdp_ct_set_timeout_policy(struct dpif *,
                               const struct ct_dpif_timeout_policy *);
int ctdp_ct_get_timeout_policy(struct dpif *, uint32_t tp_id,
                               struct ct_dpif_timeout_policy *);
int ctdp_ct_del_timeout_policy(struct dpif *, uint32_t tp_id);
int ctdp_ct_get_timeout_policy_name(struct dpif *, uint32_t tp_id,
                                    uint16_t dl_type, uint8_t nw_proto,
                                    char **tp_name, bool *is_generic);
int ctdp_ct_get_features(struct dpif *, enum ct_features *);

/* Fragment reassembly.  ctdp has none (fragments are +inv), so the status
 * reads "disabled" with every count zero and the list of fragments is
 * empty; enabling it or tuning it stays unsupported (EOPNOTSUPP). */
struct dpif_ipf_status;
struct ipf_dump_ctx;
int ctdp_ct_ipf_get_status(struct dpif *, struct dpif_ipf_status *);
int ctdp_ct_ipf_dump_start(struct dpif *, struct ipf_dump_ctx **);
int ctdp_ct_ipf_dump_next(struct dpif *, void *ctx, char **dump);
int ctdp_ct_ipf_dump_done(struct dpif *, void *ctx);

#endif /* ctdp-ct.h */
