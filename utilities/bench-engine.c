/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "bench-engine.h"

#include "conntrack.h"
#include "ct.h"
#include "dp-packet.h"
#include "openvswitch/poll-loop.h"
#include "ovs-thread.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

/* Connections visited per sweep call: Open vSwitch's conntrack_clean()
 * stops after a 64th of its default limit of 3,000,000 connections, and the
 * ctdp sweeper gets the same budget. */
#define BENCH_SWEEP_BUDGET (3000000 / 64)

/* Open vSwitch. */

static const struct nat_action_info_t bench_ovs_snat = {
    .min_addr.ipv4 = CONSTANT_HTONL(BENCH_SNAT_ADDR),
    .max_addr.ipv4 = CONSTANT_HTONL(BENCH_SNAT_ADDR),
    .min_port = BENCH_SNAT_MIN_PORT,
    .max_port = BENCH_SNAT_MAX_PORT,
    .nat_action = NAT_ACTION_SRC | NAT_ACTION_SRC_PORT,
};

static void *
bench_ovs_create(void)
{
    return conntrack_init();
}

static void
bench_ovs_execute(void *ct, struct dp_packet_batch *batch,
                  const struct bench_exec *exec)
{
    conntrack_execute(ct, batch, htons(ETH_TYPE_IP), false, exec->commit, 0,
                      NULL, NULL, 0, 0, NULL,
                      exec->snat ? &bench_ovs_snat : NULL, exec->now, 0);
}

static uint32_t
bench_ovs_n_conns(void *ct)
{
    uint32_t n = 0;

    conntrack_get_nconns(ct, &n);
    return n;
}

const struct bench_engine bench_engine_ovs = {
    .name = "ovs",
    .title = "OVS",
    .create = bench_ovs_create,
    .execute = bench_ovs_execute,
    .n_conns = bench_ovs_n_conns,
};

/* ctdp. */

static const struct ct_nat_spec bench_ctdp_snat = {
    .flags = CT_NAT_SRC,
    .min_addr.ipv4 = CONSTANT_HTONL(BENCH_SNAT_ADDR),
    .max_addr.ipv4 = CONSTANT_HTONL(BENCH_SNAT_ADDR),
    .min_port = BENCH_SNAT_MIN_PORT,
    .max_port = BENCH_SNAT_MAX_PORT,
};

struct bench_ctdp {
    struct ct *ct;              /* Immutable after creation. */
};

/* Expiry driver: sweeps on time_msec() and sleeps for as long as ct_sweep()
 * asks.  Runs until the process exits. */
static void *
bench_ctdp_sweep_main(void *b_)
{
    struct bench_ctdp *b = b_;

    for (;;) {
        long long int now = time_msec();
        long long int interval = ct_sweep(b->ct, now, BENCH_SWEEP_BUDGET);

        if (interval > 0) {
            poll_timer_wait_until(now + interval);
        } else {
            poll_immediate_wake();
        }
        poll_block();
    }
    return NULL;
}

static void *
bench_ctdp_create(void)
{
    struct ct_config cfg = { .max_conns = 0, .n_shards = 0 };
    struct bench_ctdp *b = xzalloc(sizeof *b);

    b->ct = ct_create(&cfg);
    ovs_thread_create("ctdp_sweep", bench_ctdp_sweep_main, b);
    return b;
}

static void
bench_ctdp_execute(void *b_, struct dp_packet_batch *batch,
                   const struct bench_exec *exec)
{
    struct bench_ctdp *b = b_;
    struct ct_exec args = {
        .dl_type = htons(ETH_TYPE_IP),
        .zone = 0,
        .commit = exec->commit,
        .nat = exec->snat ? &bench_ctdp_snat : NULL,
        .now = exec->now,
    };

    ct_execute(b->ct, batch, &args);
}

static uint32_t
bench_ctdp_n_conns(void *b_)
{
    struct bench_ctdp *b = b_;

    return ct_get_nconns(b->ct);
}

const struct bench_engine bench_engine_ctdp = {
    .name = "ctdp",
    .title = "ctdp",
    .create = bench_ctdp_create,
    .execute = bench_ctdp_execute,
    .n_conns = bench_ctdp_n_conns,
};
