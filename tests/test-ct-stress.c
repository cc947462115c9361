/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Concurrency stress test of the conntrack engine.
 *
 * Five threads work on one table at the same time:
 *
 *   - two workers commit and look up the same flows in the same order
 *     (plain in zone 0, SNAT in zone 1, so that both single-shard and
 *     two-shard inserts race);
 *   - a sweeper, standing in for the datapath's revalidator, advances a fake
 *     clock past every timeout and sweeps;
 *   - a controller dumps (checking that no tuple appears twice in a dump)
 *     and flushes by zone, everything, and by tuple;
 *   - the main thread waits until the racy paths have been seen.
 *
 * At the end the counts of the shards, of the zones and of a full dump must
 * agree, and a flush must return every object to the slabs.  The test fails
 * unless the counters show that the racy paths ran: lost insert races,
 * expiries, sweeps that overlapped a dump or flush, and dumps and flushes
 * during which connections were committed. */

#include <config.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
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
#include "hash.h"
#include "openvswitch/hmap.h"
#include "timeval.h"
#include "util.h"

#define N_FLOWS 8000
#define N_WORKERS 2
#define N_TUPLE_FLUSHES 32      /* Tuples flushed by one controller step. */

/* What the threads share.  Each counter is written by one thread (relaxed:
 * the main thread only polls them, and reads the final values after
 * joining the writers). */
struct stress {
    struct ct *ct;
    atomic_bool stop;
    atomic_llong now;                   /* Fake clock (sweeper). */
    struct ct_nat_spec snat;            /* Immutable. */

    /* Controller. */
    atomic_uint64_t ctl_started;        /* Dumps and flushes begun... */
    atomic_uint64_t ctl_ended;          /* ...and finished. */
    atomic_uint64_t n_dumps;
    atomic_uint64_t n_moving_dumps;     /* Commits happened during them. */
    atomic_uint64_t n_flushes;          /* By zone or all. */
    atomic_uint64_t n_moving_flushes;
    atomic_uint64_t n_tuple_flushes;    /* ct_flush_tuple() calls that
                                         * removed a connection. */
    /* Sweeper. */
    atomic_uint64_t n_sweeps;
    atomic_uint64_t n_overlapping_sweeps;  /* While a dump or flush ran. */
};

struct worker {
    struct stress *s;
    pthread_t thread;
    uint64_t packets;                   /* Owner thread, read after join. */
};

static void
counter_inc(atomic_uint64_t *c)
{
    uint64_t orig;

    atomic_add_relaxed(c, 1, &orig);
}

static uint64_t
counter_get(atomic_uint64_t *c)
{
    uint64_t v;

    atomic_read_relaxed(c, &v);
    return v;
}

static bool
stopping(struct stress *s)
{
    bool stop;

    atomic_read_relaxed(&s->stop, &stop);
    return stop;
}

static ovs_be32
flow_src(uint32_t f)
{
    return htonl(0x0a000000 | f);
}

static ovs_be16
flow_sport(uint32_t f)
{
    return htons(1024 + f % 50000);
}

#define FLOW_DST htonl(0xac100001)
#define FLOW_DPORT htons(53)

static void
flow_packet(struct dp_packet *pkt, uint32_t f, bool reply)
{
    struct ip_header *ip = dp_packet_l3(pkt);
    struct udp_header *uh = dp_packet_l4(pkt);

    put_16aligned_be32(&ip->ip_src, reply ? FLOW_DST : flow_src(f));
    put_16aligned_be32(&ip->ip_dst, reply ? flow_src(f) : FLOW_DST);
    uh->udp_src = reply ? FLOW_DPORT : flow_sport(f);
    uh->udp_dst = reply ? flow_sport(f) : FLOW_DPORT;
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
    while (!stopping(s)) {
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

/* The revalidator's part: it sweeps every couple of milliseconds, and every
 * tenth step first jumps past every timeout, so that what the workers do
 * not touch again before the next jump expires. */
static void *
sweeper_main(void *s_)
{
    struct stress *s = s_;

    for (unsigned int step = 0; !stopping(s); step++) {
        uint64_t started, ended, started_after;
        long long now;

        if (step % 10) {
            atomic_read_relaxed(&s->now, &now);
        } else {
            atomic_add_relaxed(&s->now, 61000, &now);
            now += 61000;
        }
        atomic_read_relaxed(&s->ctl_started, &started);
        atomic_read_relaxed(&s->ctl_ended, &ended);
        ct_sweep(s->ct, now, 5000);
        atomic_read_relaxed(&s->ctl_started, &started_after);
        counter_inc(&s->n_sweeps);
        if (started != ended || started_after != started) {
            counter_inc(&s->n_overlapping_sweeps);
        }
        ovsrcu_quiesce();
        xnanosleep(2 * 1000 * 1000);
    }
    return NULL;
}

/* A set of (zone, tuple) pairs.  Tuples are copied field by field into
 * zeroed memory, so that they compare with memcmp() whatever their
 * padding held. */
struct tuple_seen {
    struct hmap_node node;
    uint16_t zone;
    struct ct_dpif_tuple tuple;
};

/* Adds 'tuple' in 'zone' to 'set'; returns false if it was there already,
 * after printing it. */
static bool
tuple_set_add(struct hmap *set, uint16_t zone,
              const struct ct_dpif_tuple *tuple)
{
    struct ct_dpif_tuple t;
    struct tuple_seen *ts;
    uint32_t hash;

    memset(&t, 0, sizeof t);
    t.l3_type = tuple->l3_type;
    t.ip_proto = tuple->ip_proto;
    t.src = tuple->src;
    t.dst = tuple->dst;
    t.src_port = tuple->src_port;     /* Or the ICMP id... */
    t.dst_port = tuple->dst_port;     /* ...or the ICMP type and code. */

    hash = hash_bytes(&t, sizeof t, zone);
    HMAP_FOR_EACH_WITH_HASH (ts, node, hash, set) {
        if (ts->zone == zone && !memcmp(&ts->tuple, &t, sizeof t)) {
            struct ds s = DS_EMPTY_INITIALIZER;

            ct_dpif_format_tuple(&s, &t);
            fprintf(stderr, "ct-stress: zone %"PRIu16", tuple %s twice in "
                    "one dump\n", zone, ds_cstr(&s));
            ds_destroy(&s);
            return false;
        }
    }
    ts = xmalloc(sizeof *ts);
    ts->zone = zone;
    ts->tuple = t;
    hmap_insert(set, &ts->node, hash);
    return true;
}

static void
tuple_set_destroy(struct hmap *set)
{
    struct tuple_seen *ts;

    HMAP_FOR_EACH_POP (ts, node, set) {
        free(ts);
    }
    hmap_destroy(set);
}

/* Dumps everything (expired or not) and checks that no original tuple and
 * no reply tuple appears twice; returns the number of entries. */
static size_t
dump_check(struct ct *ct, long long now)
{
    struct ct_dump *dump = ct_dump_start(ct, NULL, now);
    struct hmap orig = HMAP_INITIALIZER(&orig);
    struct hmap reply = HMAP_INITIALIZER(&reply);
    struct ct_dpif_entry e;
    size_t n = 0;

    while (!ct_dump_next(dump, &e)) {
        CT_ASSERT(tuple_set_add(&orig, e.zone, &e.tuple_orig));
        CT_ASSERT(tuple_set_add(&reply, e.zone, &e.tuple_reply));
        ct_dpif_entry_uninit(&e);
        /* A dump holds no connection across calls: quiescing in the
         * middle is allowed. */
        if (!(++n % 1024)) {
            ovsrcu_quiesce();
        }
    }
    ct_dump_done(dump);
    tuple_set_destroy(&orig);
    tuple_set_destroy(&reply);
    return n;
}

/* Flushes N_TUPLE_FLUSHES flows from 'first' on by their original tuple in
 * 'zone'; returns how many connections that removed. */
static uint64_t
flush_tuples(struct ct *ct, uint32_t first, uint16_t zone)
{
    uint64_t removed = 0;

    for (uint32_t i = 0; i < N_TUPLE_FLUSHES; i++) {
        uint32_t f = (first + i) % N_FLOWS;
        struct ct_dpif_tuple t = {
            .l3_type = AF_INET,
            .ip_proto = IPPROTO_UDP,
            .src.ip = flow_src(f),
            .dst.ip = FLOW_DST,
            .src_port = flow_sport(f),
            .dst_port = FLOW_DPORT,
        };
        int error = ct_flush_tuple(ct, &t, zone);

        CT_ASSERT(!error || error == ENOENT);
        removed += !error;
    }
    return removed;
}

static void *
controller_main(void *s_)
{
    struct stress *s = s_;

    for (unsigned int step = 0; !stopping(s); step++) {
        struct ct_stats before, after;
        atomic_uint64_t *moving = NULL;
        uint64_t orig;

        atomic_add_relaxed(&s->ctl_started, 1, &orig);
        ct_get_stats(s->ct, &before);
        switch (step % 6) {
        case 0:
        case 3:
            dump_check(s->ct, LLONG_MIN);
            counter_inc(&s->n_dumps);
            moving = &s->n_moving_dumps;
            break;
        case 1:
        case 4: {
            uint16_t zone = step % 6 == 4;

            ct_flush(s->ct, &zone);
            counter_inc(&s->n_flushes);
            moving = &s->n_moving_flushes;
            break;
        }
        case 2: {
            uint64_t n = flush_tuples(s->ct, step * N_TUPLE_FLUSHES,
                                      step % 12 == 2);

            atomic_add_relaxed(&s->n_tuple_flushes, n, &orig);
            break;
        }
        default:
            ct_flush(s->ct, NULL);
            counter_inc(&s->n_flushes);
            moving = &s->n_moving_flushes;
            break;
        }
        ct_get_stats(s->ct, &after);
        if (moving && after.new_conns != before.new_conns) {
            counter_inc(moving);
        }
        atomic_add_relaxed(&s->ctl_ended, 1, &orig);
        ovsrcu_quiesce();
        xnanosleep(1000 * 1000);
    }
    return NULL;
}

/* True once every racy path the test is about has been seen, and the
 * controller went at least once through all its kinds of steps. */
static bool
racy_paths_ran(struct stress *s)
{
    struct ct_stats st;

    ct_get_stats(s->ct, &st);
    return (st.insert_races && st.expired
            && counter_get(&s->ctl_ended) >= 6
            && counter_get(&s->n_overlapping_sweeps)
            && counter_get(&s->n_moving_dumps)
            && counter_get(&s->n_moving_flushes)
            && counter_get(&s->n_tuple_flushes));
}

static void
check(int argc, char *argv[])
{
    long long duration = argc > 1 ? atoll(argv[1]) : 3000;
    struct stress s;
    struct worker workers[N_WORKERS];
    pthread_t sweeper, controller;
    long long start = time_msec();
    struct ct_stats st;
    uint64_t packets = 0;
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
        workers[i] = (struct worker) { .s = &s };
        workers[i].thread = ovs_thread_create("ct_stress", worker_main,
                                              &workers[i]);
    }
    sweeper = ovs_thread_create("ct_sweeper", sweeper_main, &s);
    controller = ovs_thread_create("ct_control", controller_main, &s);

    /* Run at least 'duration' ms and until the racy paths were seen, but
     * give up (and fail below) after ten times as long: TSan on a loaded
     * machine is slow. */
    for (;;) {
        long long elapsed;

        ovsrcu_quiesce();
        xnanosleep(20 * 1000 * 1000);
        elapsed = time_msec() - start;
        if (elapsed >= duration
            && (racy_paths_ran(&s) || elapsed >= duration * 10)) {
            break;
        }
    }
    atomic_store_relaxed(&s.stop, true);
    for (int i = 0; i < N_WORKERS; i++) {
        xpthread_join(workers[i].thread, NULL);
        packets += workers[i].packets;
    }
    xpthread_join(sweeper, NULL);
    xpthread_join(controller, NULL);

    /* The hard paths ran. */
    ct_get_stats(s.ct, &st);
    printf("ct-stress: %"PRIu64" packets, %"PRIu64" commits, %"PRIu64
           " insert races, %"PRIu64" expired, %"PRIu64" found\n",
           packets, st.new_conns, st.insert_races, st.expired, st.found);
    printf("ct-stress: %"PRIu64" sweeps (%"PRIu64" during a dump or flush), "
           "%"PRIu64" dumps (%"PRIu64" during commits), %"PRIu64" flushes "
           "(%"PRIu64" during commits), %"PRIu64" connections flushed by "
           "tuple\n",
           counter_get(&s.n_sweeps), counter_get(&s.n_overlapping_sweeps),
           counter_get(&s.n_dumps), counter_get(&s.n_moving_dumps),
           counter_get(&s.n_flushes), counter_get(&s.n_moving_flushes),
           counter_get(&s.n_tuple_flushes));
    CT_ASSERT(racy_paths_ran(&s));

    /* Counts agree: shards, zones, global, dump. */
    ct_zone_limit_get(s.ct, 0, &limit, &z0);
    ct_zone_limit_get(s.ct, 1, &limit, &z1);
    CT_ASSERT_EQ(st.n_conns, ct_get_nconns(s.ct));
    CT_ASSERT_EQ(st.n_conns, z0 + z1);
    CT_ASSERT_EQ(dump_check(s.ct, LLONG_MIN), st.n_conns);
    /* Every connection ever created is live, expired or flushed; none was
     * lost to early drop (the table has no limit). */
    CT_ASSERT_EQ(st.early_drops, 0);
    CT_ASSERT(st.new_conns >= st.n_conns + st.expired);

    /* Nothing leaks: after a flush and a grace period every slab object
     * is back. */
    ct_flush(s.ct, NULL);
    ct_get_stats(s.ct, &st);
    CT_ASSERT_EQ(st.n_conns, 0);
    CT_ASSERT_EQ(ct_get_nconns(s.ct), 0);
    CT_ASSERT_EQ(dump_check(s.ct, LLONG_MIN), 0);
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

/* A deliberate data race, so that a test can show that the tsan flavour
 * turns a ThreadSanitizer report into a failure.  The writer publishes its
 * plain store with a relaxed flag, which orders nothing: TSan must report
 * the main thread's store that follows. */
static int racy_value;
static atomic_bool racy_written;

static void *
race_writer(void *arg OVS_UNUSED)
{
    racy_value = 1;
    atomic_store_relaxed(&racy_written, true);
    return NULL;
}

static void
race(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    pthread_t writer = ovs_thread_create("ct_race", race_writer, NULL);
    bool written = false;

    while (!written) {
        atomic_read_relaxed(&racy_written, &written);
    }
    racy_value = 2;
    xpthread_join(writer, NULL);
    printf("ct-stress: race ran without a report (%d)\n", racy_value);
}

static void
ct_stress_main(int argc, char *argv[])
{
    static const struct ctdp_test_subcmd cmds[] = {
        { "check", check },
        { "race", race },
        { NULL, NULL },
    };

    ctdp_test_dispatch("ct-stress", cmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-stress", ct_stress_main);
