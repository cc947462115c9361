/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "ctdp-unixctl.h"

#include "ct.h"
#include "ctdp-ct.h"
#include "ctdp-flow.h"
#include "ctdp-port.h"
#include "ctdp-rx.h"
#include "dpif-ctdp.h"
#include "openvswitch/dynamic-string.h"
#include "sset.h"
#include "unixctl.h"
#include "util.h"

/* How long ctdp/wait-idle waits for busy rx threads. */
#define CTDP_WAIT_IDLE_MS 10000

static uint64_t
ctdp_read(atomic_uint64_t *counter)
{
    uint64_t value;

    atomic_read_relaxed(counter, &value);
    return value;
}

static void
ctdp_show_dp(struct ctdp *dp, struct ds *s)
{
    struct ctdp_counters *c = &dp->counters;
    struct ct_stats st;

    ds_put_format(s, "%s:\n", dp->name);
    ctdp_ports_format(&dp->ports, s);
    ctdp_rx_format(&dp->rx, s);
    ctdp_flow_table_format(&dp->flows, s);
    ds_put_format(s, "  packets: hit:%"PRIu64" missed:%"PRIu64" lost:%"PRIu64
                  " upcalls:%"PRIu64" action upcalls:%"PRIu64
                  " flows installed:%"PRIu64"\n",
                  ctdp_read(&c->n_hit), ctdp_read(&c->n_missed),
                  ctdp_read(&c->n_lost), ctdp_read(&c->n_upcalls),
                  ctdp_read(&c->n_action_upcalls),
                  ctdp_read(&c->n_flow_installs));
    ds_put_format(s, "  recirculated:%"PRIu64" recirc drops:%"PRIu64
                  " output drops:%"PRIu64" refused:%"PRIu64"\n",
                  ctdp_read(&c->n_recirc), ctdp_read(&c->n_recirc_drops),
                  ctdp_read(&c->n_output_drops), ctdp_read(&c->n_refused));

    ct_get_stats(dp->ct, &st);
    ds_put_format(s, "  conntrack: connections:%"PRIu64" max:%"PRIu32
                  " tcp seq check:%s\n", st.n_conns,
                  ct_get_maxconns(dp->ct),
                  ct_get_tcp_seq_chk(dp->ct) ? "on" : "off");
    ds_put_format(s, "    found:%"PRIu64" committed:%"PRIu64
                  " invalid:%"PRIu64" insert races:%"PRIu64
                  " early drops:%"PRIu64" limit drops:%"PRIu64
                  " nat exhausted:%"PRIu64" expired:%"PRIu64"\n",
                  st.found, st.new_conns, st.invalid, st.insert_races,
                  st.early_drops, st.limit_drops, st.nat_exhausted,
                  st.expired);
    ct_format_shards(dp->ct, s);
    ctdp_sweeper_format(dp->sweeper, s);
}

/* Calls 'cb' for the datapath named by argv[1], or for every datapath if
 * there is no argument.  Replies with an error for an unknown name. */
static void
ctdp_for_each_dp(struct unixctl_conn *conn, int argc, const char *argv[],
                 bool (*cb)(struct ctdp *, struct ds *))
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct sset names;
    const char *name;
    bool ok = true;

    sset_init(&names);
    if (argc > 1) {
        sset_add(&names, argv[1]);
    } else {
        ctdp_names(&names);
    }

    SSET_FOR_EACH (name, &names) {
        struct ctdp *dp = ctdp_find(name);

        if (!dp) {
            ds_clear(&s);
            ds_put_format(&s, "no ctdp datapath named \"%s\"", name);
            ok = false;
            break;
        }
        ok = cb(dp, &s);
        ctdp_unref(dp);
        if (!ok) {
            break;
        }
    }
    sset_destroy(&names);

    if (ok) {
        unixctl_command_reply(conn, ds_cstr(&s));
    } else {
        unixctl_command_reply_error(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
}

static bool
ctdp_show_cb(struct ctdp *dp, struct ds *s)
{
    ctdp_show_dp(dp, s);
    return true;
}

static void
ctdp_unixctl_show(struct unixctl_conn *conn, int argc, const char *argv[],
                  void *aux OVS_UNUSED)
{
    ctdp_for_each_dp(conn, argc, argv, ctdp_show_cb);
}

static bool
ctdp_wait_idle_cb(struct ctdp *dp, struct ds *s)
{
    if (!ctdp_rx_wait_idle(&dp->rx, CTDP_WAIT_IDLE_MS)) {
        ds_clear(s);
        ds_put_format(s, "%s: rx threads still busy after %d ms",
                      dp->name, CTDP_WAIT_IDLE_MS);
        return false;
    }
    return true;
}

static void
ctdp_unixctl_wait_idle(struct unixctl_conn *conn, int argc,
                       const char *argv[], void *aux OVS_UNUSED)
{
    ctdp_for_each_dp(conn, argc, argv, ctdp_wait_idle_cb);
}

void
ctdp_unixctl_register(void)
{
    unixctl_command_register("ctdp/show", "[dp]", 0, 1, ctdp_unixctl_show,
                             NULL);
    unixctl_command_register("ctdp/wait-idle", "[dp]", 0, 1,
                             ctdp_unixctl_wait_idle, NULL);
}
