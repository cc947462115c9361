/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Concurrency stress test of the conntrack engine.
 *
 * Two threads commit and look up the same flows at the same time (plain in
 * zone 0, SNAT in zone 1, so that both single-shard and two-shard inserts
 * race), while the main thread advances a fake clock, sweeps, flushes a
 * zone and dumps.  Every dump must list each tuple at most once.  At the
 * end the counts of the shards, of the zones and of a full dump must agree,
 * and a flush must return every object to the slabs.  The counters must
 * show that the racy paths ran: lost insert races and expiries. */

#include <config.h>
#include <string.h>
#include "ct.h"
#include "ct-dpif.h"
#include "ct-private.h"
#include "ct-test-packets.h"
#include "ctdp-test.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "packets.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"

#define N_FLOWS 20000
#define N_WORKERS 2

struct stress {
    struct ct *ct;
    atomic_bool stop;
    atomic_llong now;
    struct ct_nat_spec snat;
};

struct worker {
    struct stress *s;
    pthread_t thread;
    unsigned int id;
    uint64_t packets;
};

static void
flow_packet(struct dp_packet *pkt, uint32_t f, bool reply)
{
    struct ip_header *ip = dp_packet_l3(pkt);
    struct udp_header *uh = dp_packet_l4(pkt);
    ovs_be32 a = htonl(0x0a000000 | f), b = htonl(0xac100001);
    ovs_be16 pa = htons(1024 + f % 50000), pb = htons(53);

    put_16aligned_be32(&ip->ip_src, reply ? b : a);
    put_16aligned_be32(&ip->ip_dst, reply ? a : b);
    uh->udp_src = reply ? pb : pa;
    uh->udp_dst = reply ? pa : pb;
    pkt->md.ct_state = 0;
    pkt->md.conn = NULL;
}

static void *
worker_main(void *w_)
{
    struct worker *w = w_;
    struct stress *s = w->s;
    struct dp_packet *pkts[NETDEV_MAX_BURST];
    uint32_t iter = 0;

    for (int j = 0; j < NETDEV_MAX_BURST; j++) {
        pkts[j] = ctt_udp4("10.0.0.1", "172.16.0.1", 1, 53);
        ctt_csum_good(pkts[j]);
    }
    for (;;) {
        bool stop;

        atomic_read_relaxed(&s->stop, &stop);
        if (stop) {
            break;
        }
        /* Both workers walk the same flows in the same order, so that
         * they often try to create the same connection at once. */
        for (uint16_t zone = 0; zone < 2; zone++) {
            struct dp_packet_batch batch;
            struct ct_exec args = ctt_args(zone, true, 0);

            atomic_read_relaxed(&s->now, &args.now);
            args.nat = zone ? &s->snat : NULL;
            dp_packet_batch_init(&batch);
            for (int j = 0; j < NETDEV_MAX_BURST; j++) {
                uint32_t f = (iter * NETDEV_MAX_BURST + j) % N_FLOWS;

                flow_packet(pkts[j], f, !zone && (f + iter) % 3 == 0);
                dp_packet_batch_add(&batch, pkts[j]);
            }
            ct_execute(s->ct, &batch, &args);
            w->packets += NETDEV_MAX_BURST;
        }
        iter++;
        ovsrcu_quiesce();
    }
    for (int j = 0; j < NETDEV_MAX_BURST; j++) {
        dp_packet_delete(pkts[j]);
    }
    return NULL;
}

/* Dumps everything (expired or not) and checks that no tuple appears
 * twice; returns the number of entries. */
static size_t
dump_check(struct ct *ct, long long now)
{
    struct ct_dump *dump = ct_dump_start(ct, NULL, now);
    struct sset orig = SSET_INITIALIZER(&orig);
    struct sset reply = SSET_INITIALIZER(&reply);
    struct ct_dpif_entry e;
    size_t n = 0;

    while (!ct_dump_next(dump, &e)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        ds_put_format(&s, "%"PRIu16",", e.zone);
        ct_dpif_format_tuple(&s, &e.tuple_orig);
        CT_ASSERT(sset_add(&orig, ds_cstr(&s)));
        ds_clear(&s);
        ds_put_format(&s, "%"PRIu16",", e.zone);
        ct_dpif_format_tuple(&s, &e.tuple_reply);
        CT_ASSERT(sset_add(&reply, ds_cstr(&s)));
        ds_destroy(&s);
        ct_dpif_entry_uninit(&e);
        /* A dump holds no connection across calls: quiescing in the
         * middle is allowed. */
        if (!(++n % 1024)) {
            ovsrcu_quiesce();
        }
    }
    ct_dump_done(dump);
    sset_destroy(&orig);
    sset_destroy(&reply);
    return n;
}

static void
check(int argc, char *argv[])
{
    long long duration = argc > 1 ? atoll(argv[1]) : 3000;
    struct stress s;
    struct worker workers[N_WORKERS];
    long long start = time_msec();
    struct ct_stats st;
    uint64_t packets = 0;
    size_t n_dumps = 0, n_flushes = 0;
    uint32_t z0, z1, limit;

    memset(&s, 0, sizeof s);
    s.ct = ct_create(&(struct ct_config) { .n_shards = 8 });
    atomic_init(&s.stop, false);
    atomic_init(&s.now, 0);
    s.snat.flags = CT_NAT_SRC;
    s.snat.min_addr.ipv4 = htonl(0xc0000201);
    s.snat.max_addr.ipv4 = htonl(0xc0000204);
    s.snat.min_port = 1024;
    s.snat.max_port = 65535;

    for (int i = 0; i < N_WORKERS; i++) {
        workers[i] = (struct worker) { .s = &s, .id = i };
        workers[i].thread = ovs_thread_create("ct_stress", worker_main,
                                              &workers[i]);
    }

    /* Run at least 'duration' ms and until the racy paths were seen. */
    for (int round = 0; ; round++) {
        long long now;

        /* Jump past every timeout: what the workers do not touch again
         * in this round expires. */
        atomic_add_relaxed(&s.now, 61000, &now);
        ct_sweep(s.ct, now + 61000, 5000);
        if (round % 10 == 5) {
            uint16_t zone = round % 20 == 5;

            ct_flush(s.ct, &zone);
            n_flushes++;
        }
        if (round % 4 == 0) {
            dump_check(s.ct, LLONG_MIN);
            n_dumps++;
        }
        ovsrcu_quiesce();
        ct_get_stats(s.ct, &st);
        if (time_msec() - start >= duration
            && ((st.insert_races && st.expired && n_flushes && n_dumps)
                || time_msec() - start >= duration * 5)) {
            break;
        }
        xnanosleep(5 * 1000 * 1000);
    }
    atomic_store_relaxed(&s.stop, true);
    for (int i = 0; i < N_WORKERS; i++) {
        xpthread_join(workers[i].thread, NULL);
        packets += workers[i].packets;
    }

    /* The hard paths ran. */
    ct_get_stats(s.ct, &st);
    printf("ct-stress: %"PRIu64" packets, %"PRIu64" new, %"PRIu64
           " insert races, %"PRIu64" expired, %"PRIu64" found, %"PRIuSIZE
           " dumps, %"PRIuSIZE" flushes\n", packets, st.new_conns,
           st.insert_races, st.expired, st.found, n_dumps, n_flushes);
    CT_ASSERT(st.insert_races > 0);
    CT_ASSERT(st.expired > 0);
    CT_ASSERT(n_flushes > 0);

    /* Counts agree: shards, zones, global, dump. */
    ct_zone_limit_get(s.ct, 0, &limit, &z0);
    ct_zone_limit_get(s.ct, 1, &limit, &z1);
    CT_ASSERT_EQ(st.n_conns, ct_get_nconns(s.ct));
    CT_ASSERT_EQ(st.n_conns, z0 + z1);
    CT_ASSERT_EQ(dump_check(s.ct, LLONG_MIN), st.n_conns);
    /* Every connection ever created is live, expired, flushed or lost to
     * early drop (none here). */
    CT_ASSERT_EQ(st.early_drops, 0);
    CT_ASSERT(st.new_conns >= st.n_conns + st.expired);

    /* Nothing leaks: after a flush and a grace period every slab object
     * is back. */
    ct_flush(s.ct, NULL);
    ct_get_stats(s.ct, &st);
    CT_ASSERT_EQ(st.n_conns, 0);
    CT_ASSERT_EQ(ct_get_nconns(s.ct), 0);
    for (int i = 0; i < 100; i++) {
        size_t live = 0;

        ovsrcu_synchronize();
        ovsrcu_quiesce();
        for (unsigned int j = 0; j < s.ct->n_shards; j++) {
            live += ct_shard_live_objects(&s.ct->shards[j]);
        }
        if (!live) {
            break;
        }
        CT_ASSERT(i < 99);
        xnanosleep(10 * 1000 * 1000);
    }
    ct_destroy(s.ct);
    printf("ct-stress: all tests passed\n");
}

static void
ct_stress_main(int argc, char *argv[])
{
    static const struct ctdp_test_subcmd cmds[] = {
        { "check", check },
        { NULL, NULL },
    };

    ctdp_test_dispatch("ct-stress", cmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-stress", ct_stress_main);
