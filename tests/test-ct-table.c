/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Unit tests of the conntrack core: UDP, ICMP and generic state machines,
 * commit semantics, metadata, invalid input, expiry, dump and flush; and a
 * quick single-engine benchmark. */

#include <config.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "csum.h"
#include "ct.h"
#include "ct-dpif.h"
#include "ct-private.h"
#include "ct-test-packets.h"
#include "ctdp-test.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

#define TRK CS_TRACKED
#define NEW CS_NEW
#define EST CS_ESTABLISHED
#define RPL CS_REPLY_DIR
#define INV CS_INVALID
#define REL CS_RELATED

/* Runs a fresh packet and frees it; returns the state. */
static uint8_t
run(struct ct *ct, struct dp_packet *pkt, const struct ct_exec *args)
{
    uint8_t state = ctt_exec1(ct, pkt, args);

    dp_packet_delete(pkt);
    return state;
}

static void
assert_dump(struct ct *ct, const uint16_t *zone, long long now,
            const char *expected)
{
    char *s = ctt_dump(ct, zone, now, false);

    if (strcmp(s, expected)) {
        fprintf(stderr, "dump mismatch:\n--- expected\n%s--- got\n%s",
                expected, s);
        abort();
    }
    free(s);
}

static void
test_udp(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec a = ctt_args(0, false, 1000);
    struct ct_exec c = ctt_args(0, true, 1000);
    struct dp_packet *pkt;
    struct ct_stats st;

    /* Unknown connection, no commit: +new, nothing created. */
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2000), &a),
                 TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 0);

    /* Commit: +new, the connection exists; metadata describes it. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2000);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | NEW);
    CT_ASSERT_EQ(pkt->md.ct_zone, 0);
    CT_ASSERT(!pkt->md.ct_orig_tuple_ipv6);
    CT_ASSERT_EQ(pkt->md.ct_orig_tuple.ipv4.ipv4_src, ctt_ip4("10.0.0.1"));
    CT_ASSERT_EQ(pkt->md.ct_orig_tuple.ipv4.ipv4_dst, ctt_ip4("10.0.0.2"));
    CT_ASSERT_EQ(ntohs(pkt->md.ct_orig_tuple.ipv4.src_port), 1000);
    CT_ASSERT_EQ(ntohs(pkt->md.ct_orig_tuple.ipv4.dst_port), 2000);
    CT_ASSERT_EQ(pkt->md.ct_orig_tuple.ipv4.ipv4_proto, IPPROTO_UDP);
    CT_ASSERT(pkt->md.conn != NULL);
    CT_ASSERT(!pkt->md.reply);
    dp_packet_delete(pkt);
    CT_ASSERT_EQ(ct_get_nconns(ct), 1);
    assert_dump(ct, NULL, 1000,
                "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1000,dport=2000),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,sport=2000,dport=1000),"
                "timeout=60\n");

    /* Second packet in the original direction: still +new (UDP stays new
     * until a reply), timeout UDP_SINGLE. */
    a.now = 2000;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2000), &a),
                 TRK | NEW);
    assert_dump(ct, NULL, 2000,
                "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1000,dport=2000),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,sport=2000,dport=1000),"
                "timeout=60\n");

    /* The reply: +est+rpl, and the original tuple in the metadata. */
    a.now = 3000;
    pkt = ctt_udp4("10.0.0.2", "10.0.0.1", 2000, 1000);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &a), TRK | EST | RPL);
    CT_ASSERT_EQ(pkt->md.ct_orig_tuple.ipv4.ipv4_src, ctt_ip4("10.0.0.1"));
    CT_ASSERT_EQ(ntohs(pkt->md.ct_orig_tuple.ipv4.src_port), 1000);
    CT_ASSERT(pkt->md.reply);
    dp_packet_delete(pkt);
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2000), &a),
                 TRK | EST);
    /* UDP_MULTIPLE: 30 s from the last packet. */
    assert_dump(ct, NULL, 3000,
                "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1000,dport=2000),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,sport=2000,dport=1000),"
                "timeout=30\n");
    assert_dump(ct, NULL, 3000 + 29999,
                "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1000,dport=2000),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,sport=2000,dport=1000),"
                "timeout=0\n");

    /* Another zone is another connection. */
    c.zone = 5;
    c.now = 3000;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2000), &c),
                 TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 2);
    {
        uint16_t z = 5;

        assert_dump(ct, &z, 3000,
                    "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1000,"
                    "dport=2000),reply=(src=10.0.0.2,dst=10.0.0.1,sport=2000,"
                    "dport=1000),zone=5,timeout=60\n");
    }

    /* Expiry: at 3000 + 30000 the zone-0 connection is gone for lookups. */
    a.now = 33000;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.2", "10.0.0.1", 2000, 1000), &a),
                 TRK | NEW);
    ct_get_stats(ct, &st);
    /* The lookup reaped it. */
    CT_ASSERT_EQ(st.expired, 1);
    CT_ASSERT_EQ(st.n_conns, 1);
    CT_ASSERT_EQ(ct_get_nconns(ct), 1);
    ct_destroy(ct);
}

static void
test_icmp(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec a = ctt_args(0, false, 0);
    struct ct_exec c = ctt_args(0, true, 0);
    struct dp_packet *pkt;

    /* A reply without a request is invalid, even with commit. */
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.2", "10.0.0.1", ICMP4_ECHO_REPLY,
                                   0, 7), &c), TRK | INV);
    /* Echo with a non-zero code is malformed. */
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.1", "10.0.0.2",
                                   ICMP4_ECHO_REQUEST, 1, 7), &c), TRK | INV);
    CT_ASSERT_EQ(ct_get_nconns(ct), 0);

    pkt = ctt_icmp4("10.0.0.1", "10.0.0.2", ICMP4_ECHO_REQUEST, 0, 7);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | NEW);
    /* Open vSwitch puts the type in the source port, the code in the
     * destination port of the original tuple. */
    CT_ASSERT_EQ(ntohs(pkt->md.ct_orig_tuple.ipv4.src_port),
                 ICMP4_ECHO_REQUEST);
    CT_ASSERT_EQ(ntohs(pkt->md.ct_orig_tuple.ipv4.dst_port), 0);
    CT_ASSERT_EQ(pkt->md.ct_orig_tuple.ipv4.ipv4_proto, IPPROTO_ICMP);
    dp_packet_delete(pkt);
    /* A second request: still new.  Another id: another connection. */
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.1", "10.0.0.2",
                                   ICMP4_ECHO_REQUEST, 0, 7), &a), TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.1", "10.0.0.2",
                                   ICMP4_ECHO_REQUEST, 0, 8), &a), TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 1);
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.2", "10.0.0.1", ICMP4_ECHO_REPLY,
                                   0, 7), &a), TRK | EST | RPL);
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.1", "10.0.0.2",
                                   ICMP4_ECHO_REQUEST, 0, 7), &a), TRK | EST);
    assert_dump(ct, NULL, 0,
                "icmp,orig=(src=10.0.0.1,dst=10.0.0.2,id=7,type=8,code=0),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,id=7,type=0,code=0),"
                "timeout=30\n");

    /* Timestamp requests are queries too. */
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.1", "10.0.0.3", ICMP4_TIMESTAMP,
                                   0, 9), &c), TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.3", "10.0.0.1",
                                   ICMP4_TIMESTAMPREPLY, 0, 9), &a),
                 TRK | EST | RPL);
    ct_destroy(ct);
}

static void
test_other(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec a = ctt_args(0, false, 0);
    struct ct_exec c = ctt_args(0, true, 0);

    CT_ASSERT_EQ(run(ct, ctt_proto4("10.0.0.1", "10.0.0.2", 47), &c),
                 TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_proto4("10.0.0.1", "10.0.0.2", 47), &a),
                 TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_proto4("10.0.0.2", "10.0.0.1", 47), &a),
                 TRK | EST | RPL);
    /* Another protocol between the same hosts is another connection. */
    CT_ASSERT_EQ(run(ct, ctt_proto4("10.0.0.2", "10.0.0.1", 50), &a),
                 TRK | NEW);
    assert_dump(ct, NULL, 0,
                "47,orig=(src=10.0.0.1,dst=10.0.0.2,sport=0,dport=0),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,sport=0,dport=0),"
                "timeout=30\n");
    ct_destroy(ct);
}

static void
test_invalid(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 0);
    struct dp_packet *pkt;
    struct ct_stats st;
    int n_invalid = 0;

    /* Bad IPv4 header checksum. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 1, 2);
    ((struct ip_header *) dp_packet_l3(pkt))->ip_csum ^= htons(1);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | INV);
    n_invalid++;
    /* ...unless offload vouched for it. */
    pkt->md.ct_state = 0;
    pkt->md.conn = NULL;
    ctt_csum_good(pkt);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | NEW);
    dp_packet_delete(pkt);

    /* Bad UDP checksum. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 3, 4);
    ((struct udp_header *) dp_packet_l4(pkt))->udp_csum ^= htons(1);
    CT_ASSERT_EQ(run(ct, pkt, &c), TRK | INV);
    n_invalid++;

    /* UDP over IPv4 without checksum is fine. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 5, 6);
    ((struct udp_header *) dp_packet_l4(pkt))->udp_csum = 0;
    CT_ASSERT_EQ(run(ct, pkt, &c), TRK | NEW);

    /* UDP length beyond the packet. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 7, 8);
    ((struct udp_header *) dp_packet_l4(pkt))->udp_len = htons(200);
    ctt_csum_good(pkt);
    CT_ASSERT_EQ(run(ct, pkt, &c), TRK | INV);
    n_invalid++;

    /* Port 0. */
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 0, 8), &c),
                 TRK | INV);
    n_invalid++;

    /* A fragment. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 9, 10);
    {
        struct ip_header *ip = dp_packet_l3(pkt);

        ip->ip_frag_off = htons(IP_MORE_FRAGMENTS);
        ip->ip_csum = 0;
        ip->ip_csum = csum(ip, sizeof *ip);
    }
    CT_ASSERT_EQ(run(ct, pkt, &c), TRK | INV);
    n_invalid++;

    /* Truncated: the L4 header is cut. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 11, 12);
    dp_packet_set_size(pkt, dp_packet_size(pkt) - 12);
    CT_ASSERT_EQ(run(ct, pkt, &c), TRK | INV);
    n_invalid++;

    /* IPv4 packet under an IPv6 ct(). */
    c.dl_type = htons(ETH_TYPE_IPV6);
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 13, 14), &c),
                 TRK | INV);
    n_invalid++;
    c.dl_type = htons(ETH_TYPE_IP);

    /* No L3 at all. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 15, 16);
    pkt->l3_ofs = UINT16_MAX;
    CT_ASSERT_EQ(run(ct, pkt, &c), TRK | INV);
    n_invalid++;

    /* Invalid packets get zero tuple metadata. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 0, 1);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | INV);
    CT_ASSERT_EQ(pkt->md.ct_orig_tuple.ipv4.ipv4_proto, 0);
    CT_ASSERT(pkt->md.conn == NULL);
    dp_packet_delete(pkt);
    n_invalid++;

    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.invalid, n_invalid);
    CT_ASSERT_EQ(st.n_conns, 2);
    ct_destroy(ct);
}

static void
test_commit_semantics(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec a = ctt_args(0, false, 0);
    struct ct_exec c = ctt_args(0, true, 0);
    uint32_t mark[2] = { 0x12, 0xff };
    ovs_u128 label[2] = { { .u64 = { .lo = 0xab, .hi = 0 } },
                          { .u64 = { .lo = 0xff, .hi = 0 } } };
    struct dp_packet *pkt;

    /* Mark and label without a connection: no effect. */
    a.set_mark = mark;
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 1, 2);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &a), TRK | NEW);
    CT_ASSERT_EQ(pkt->md.ct_mark, 0);
    dp_packet_delete(pkt);
    a.set_mark = NULL;

    /* With commit they stick to the connection. */
    c.set_mark = mark;
    c.set_label = label;
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 1, 2);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | NEW);
    CT_ASSERT_EQ(pkt->md.ct_mark, 0x12);
    CT_ASSERT_EQ(pkt->md.ct_label.u64.lo, 0xab);
    dp_packet_delete(pkt);
    c.set_mark = NULL;
    c.set_label = NULL;
    pkt = ctt_udp4("10.0.0.2", "10.0.0.1", 2, 1);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &a), TRK | EST | RPL);
    CT_ASSERT_EQ(pkt->md.ct_mark, 0x12);
    CT_ASSERT_EQ(pkt->md.ct_label.u64.lo, 0xab);

    /* The same packet again: the cached connection is used and the state
     * is left as it was. */
    pkt->md.ct_state = TRK | EST | RPL;
    mark[0] = 0x3400;
    mark[1] = 0xff00;
    a.set_mark = mark;
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &a), TRK | EST | RPL);
    CT_ASSERT_EQ(pkt->md.ct_mark, 0x3412);
    dp_packet_delete(pkt);
    a.set_mark = NULL;
    assert_dump(ct, NULL, 0,
                "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1,dport=2),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,sport=2,dport=1),"
                "timeout=30,mark=13330,labels=0xab\n");

    /* 'force' on a reply-direction packet ends the connection and commits
     * a new one in the packet's direction. */
    c.force = true;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.2", "10.0.0.1", 2, 1), &c),
                 TRK | NEW);
    assert_dump(ct, NULL, 0,
                "udp,orig=(src=10.0.0.2,dst=10.0.0.1,sport=2,dport=1),"
                "reply=(src=10.0.0.1,dst=10.0.0.2,sport=1,dport=2),"
                "timeout=60\n");
    /* 'force' in the original direction changes nothing. */
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.2", "10.0.0.1", 2, 1), &c),
                 TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 1);
    c.force = false;

    /* Entering another zone resets the state of a tracked packet. */
    pkt = ctt_udp4("10.0.0.2", "10.0.0.1", 2, 1);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &a), TRK | NEW);
    pkt->md.conn = NULL;
    a.zone = 9;
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &a), TRK | NEW);
    CT_ASSERT_EQ(pkt->md.ct_zone, 9);
    dp_packet_delete(pkt);

    ct_destroy(ct);
}

static void
test_flush(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_dpif_tuple tuple;
    struct ct_stats st;
    uint16_t zone = 3;

    for (int i = 0; i < 100; i++) {
        c.zone = i % 4;
        CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000 + i, 53),
                         &c), TRK | NEW);
    }
    CT_ASSERT_EQ(ct_get_nconns(ct), 100);
    {
        struct ds ds = DS_EMPTY_INITIALIZER;
        uint32_t counts[64];
        uint32_t sum = 0;

        CT_ASSERT(ct_n_shards(ct) <= ARRAY_SIZE(counts));
        ct_shard_counts(ct, counts, ct_n_shards(ct));
        for (unsigned int i = 0; i < ct_n_shards(ct); i++) {
            sum += counts[i];
        }
        CT_ASSERT_EQ(sum, 100);
        ct_format_shards(ct, &ds);
        CT_ASSERT(strstr(ds_cstr(&ds), "total: conns=100 "));
        CT_ASSERT(strstr(ds_cstr(&ds), " new="));
        ds_destroy(&ds);
    }
    CT_ASSERT_EQ(ct_flush(ct, &zone), 0);
    CT_ASSERT_EQ(ct_get_nconns(ct), 75);

    /* By tuple: original or reply direction; ENOENT when absent. */
    memset(&tuple, 0, sizeof tuple);
    tuple.l3_type = AF_INET;
    tuple.ip_proto = IPPROTO_UDP;
    tuple.src.ip = ctt_ip4("10.0.0.1");
    tuple.dst.ip = ctt_ip4("10.0.0.2");
    tuple.src_port = htons(1000);
    tuple.dst_port = htons(53);
    CT_ASSERT_EQ(ct_flush_tuple(ct, &tuple, 0), 0);
    CT_ASSERT_EQ(ct_flush_tuple(ct, &tuple, 0), ENOENT);
    tuple.src.ip = ctt_ip4("10.0.0.2");
    tuple.dst.ip = ctt_ip4("10.0.0.1");
    tuple.src_port = htons(53);
    tuple.dst_port = htons(1001);
    CT_ASSERT_EQ(ct_flush_tuple(ct, &tuple, 1), 0);
    CT_ASSERT_EQ(ct_get_nconns(ct), 73);
    tuple.l3_type = 99;
    CT_ASSERT_EQ(ct_flush_tuple(ct, &tuple, 1), EINVAL);

    CT_ASSERT_EQ(ct_flush(ct, NULL), 0);
    CT_ASSERT_EQ(ct_get_nconns(ct), 0);
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.n_conns, 0);
    CT_ASSERT_EQ(st.new_conns, 100);
    ct_destroy(ct);
}

static void
test_sweep(void)
{
    struct ct *ct = ct_create(&(struct ct_config) { .n_shards = 4,
                                                    .max_conns = 10000 });
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_stats st;
    long long interval;
    size_t calls;

    /* 1000 UDP connections created at 0 expire at 60000; ICMP ones at
     * 60000 too, TCP never here. */
    for (int i = 0; i < 1000; i++) {
        char src[32];

        snprintf(src, sizeof src, "10.1.%d.%d", i / 250, i % 250);
        CT_ASSERT_EQ(run(ct, ctt_udp4(src, "10.0.0.2", 1000, 53), &c),
                     TRK | NEW);
    }
    /* Before expiry nothing goes, whatever the budget. */
    ct_sweep(ct, 59999, 100000);
    CT_ASSERT_EQ(ct_get_nconns(ct), 1000);

    /* After: bounded steps remove everything; the interval shrinks while
     * most of what is seen has expired. */
    calls = 0;
    do {
        interval = ct_sweep(ct, 60000, 100);
        calls++;
        CT_ASSERT(interval >= 1);
        CT_ASSERT(calls < 1000);
    } while (ct_get_nconns(ct));
    /* Each call does bounded work: at least 1000 / 100 calls. */
    CT_ASSERT(calls >= 5);
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.expired, 1000);
    /* An empty table: the interval grows back to its 1 s maximum, given a
     * budget that covers more than a tenth of the buckets per call (a full
     * pass must fit in 10 s). */
    for (int i = 0; i < 20; i++) {
        interval = ct_sweep(ct, 60000, 100000);
    }
    CT_ASSERT_EQ(interval, 1000);

    /* Memory comes back after RCU. */
    ovsrcu_quiesce();
    for (unsigned int i = 0; i < ct->n_shards; i++) {
        CT_ASSERT_EQ(ct_shard_live_objects(&ct->shards[i]), 0);
    }
    ct_destroy(ct);
}

static void
test_timeout_policy(void)
{
    struct ct *ct = ct_create(&(struct ct_config) { .max_conns = 1000 });
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_dpif_timeout_policy tp, got;

    /* The default policy exists and equals Open vSwitch's defaults. */
    CT_ASSERT_EQ(ct_timeout_policy_get(ct, 0, &got), 0);
    CT_ASSERT_EQ(got.attrs[CT_DPIF_TP_ATTR_TCP_ESTABLISHED], 86400);
    CT_ASSERT_EQ(got.attrs[CT_DPIF_TP_ATTR_UDP_FIRST], 60);
    CT_ASSERT_EQ(got.attrs[CT_DPIF_TP_ATTR_ICMP_REPLY], 30);
    CT_ASSERT_EQ(got.present, 0);
    CT_ASSERT_EQ(ct_timeout_policy_get(ct, 7, &got), ENOENT);
    CT_ASSERT_EQ(ct_timeout_policy_del(ct, 7), ENOENT);

    memset(&tp, 0, sizeof tp);
    tp.id = 7;
    tp.present = 1u << CT_DPIF_TP_ATTR_UDP_FIRST;
    tp.attrs[CT_DPIF_TP_ATTR_UDP_FIRST] = 5;
    CT_ASSERT_EQ(ct_timeout_policy_set(ct, &tp), 0);
    CT_ASSERT_EQ(ct_timeout_policy_get(ct, 7, &got), 0);
    CT_ASSERT_EQ(got.attrs[CT_DPIF_TP_ATTR_UDP_FIRST], 5);
    CT_ASSERT_EQ(got.attrs[CT_DPIF_TP_ATTR_UDP_SINGLE], 60);

    c.tp_id = 7;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1, 2), &c),
                 TRK | NEW);
    c.tp_id = 0;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 3, 4), &c),
                 TRK | NEW);
    assert_dump(ct, NULL, 0,
                "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1,dport=2),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,sport=2,dport=1),"
                "timeout=5\n"
                "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=3,dport=4),"
                "reply=(src=10.0.0.2,dst=10.0.0.1,sport=4,dport=3),"
                "timeout=60\n");
    ct_sweep(ct, 5000, 100000);
    CT_ASSERT_EQ(ct_get_nconns(ct), 1);
    CT_ASSERT_EQ(ct_timeout_policy_del(ct, 7), 0);
    CT_ASSERT_EQ(ct_timeout_policy_get(ct, 7, &got), ENOENT);
    ct_destroy(ct);
}

/* Per-connection accounting. */

/* The dump entry of the connection of 'zone' whose original source port is
 * 'sport' (there must be exactly one). */
static struct ct_dpif_entry
acct_entry(struct ct *ct, uint16_t zone, uint16_t sport, long long now)
{
    struct ct_dump *dump = ct_dump_start(ct, &zone, now);
    struct ct_dpif_entry e, found;
    int n = 0;

    memset(&found, 0, sizeof found);
    while (!ct_dump_next(dump, &e)) {
        if (ntohs(e.tuple_orig.src_port) == sport) {
            found = e;
            n++;
        }
        ct_dpif_entry_uninit(&e);
    }
    ct_dump_done(dump);
    CT_ASSERT_EQ(n, 1);
    return found;
}

static void
assert_counters(const struct ct_dpif_entry *e, uint64_t op, uint64_t ob,
                uint64_t rp, uint64_t rb)
{
    CT_ASSERT_EQ(e->counters_orig.packets, op);
    CT_ASSERT_EQ(e->counters_orig.bytes, ob);
    CT_ASSERT_EQ(e->counters_reply.packets, rp);
    CT_ASSERT_EQ(e->counters_reply.bytes, rb);
}

/* Sends 'pkt' with 'args', expects 'state', frees it. */
static void
acct_send(struct ct *ct, struct dp_packet *pkt, const struct ct_exec *args,
          uint8_t state)
{
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, args), state);
    dp_packet_delete(pkt);
}

static void
test_acct(void)
{
    /* IP datagram lengths, worked out from the headers: IPv4 20 + UDP 8 +
     * the 8 bytes of payload of ctt_udp4(); IPv6 40 + UDP 8 + 8; IPv4 20 +
     * TCP 20 + 100 bytes of payload. */
    enum { UDP4 = 36, UDP6 = 56, TCP4_100 = 140 };
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(1, true, 1000);
    struct ct_exec a = ctt_args(1, false, 1000);
    struct ct_exec c6 = c, a6 = a;
    struct ct_nat_spec snat = {
        .flags = CT_NAT_SRC,
        .min_addr.ipv4 = htonl(0xc0000201),     /* 192.0.2.1 */
        .max_addr.ipv4 = htonl(0xc0000201),
    };
    struct ct_exec cn = ctt_args(2, true, 1000);
    struct ct_exec an = ctt_args(2, false, 1000);
    struct dp_packet *pkt, *inner;
    struct ct_dpif_entry e;
    long long wall;

    c6.dl_type = a6.dl_type = htons(ETH_TYPE_IPV6);
    cn.nat = an.nat = &snat;

    /* The extension's size: the layout table of lib/ct-conn.h. */
    CT_ASSERT_EQ(ct_conn_class_size(CT_CLASS_V4_ACCT), 128);
    CT_ASSERT_EQ(ct_conn_class_size(CT_CLASS_V4_NAT_ACCT), 160);
    CT_ASSERT_EQ(ct_conn_class_size(CT_CLASS_V6_ACCT), 152);
    CT_ASSERT_EQ(ct_conn_class_size(CT_CLASS_V6_NAT_ACCT), 208);

    /* Off by default: no counters, no timestamp, even after traffic. */
    CT_ASSERT(!ct_get_acct(ct));
    acct_send(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 53), &c, TRK | NEW);
    acct_send(ct, ctt_udp4("10.0.0.2", "10.0.0.1", 53, 1000), &a,
              TRK | EST | RPL);
    e = acct_entry(ct, 1, 1000, 1000);
    assert_counters(&e, 0, 0, 0, 0);
    CT_ASSERT_EQ(e.timestamp.start, 0);

    ct_set_acct(ct, true);
    CT_ASSERT(ct_get_acct(ct));

    /* IPv4 UDP: two packets out (the first commits), one back. */
    acct_send(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1001, 53), &c, TRK | NEW);
    a.now = 1500;
    acct_send(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1001, 53), &a, TRK | NEW);
    acct_send(ct, ctt_udp4("10.0.0.2", "10.0.0.1", 53, 1001), &a,
              TRK | EST | RPL);
    e = acct_entry(ct, 1, 1001, 2000);
    assert_counters(&e, 2, 2 * UDP4, 1, UDP4);

    /* Created at 1000 and dumped at 2000: started a second before the
     * wall-clock time of the dump (a second's slack for a slow run). */
    wall = time_wall_msec();
    CT_ASSERT(e.timestamp.start != 0);
    CT_ASSERT(llabs((long long) (e.timestamp.start / 1000000)
                    - (wall - 1000)) < 1000);
    CT_ASSERT_EQ(e.timestamp.stop, 0);

    /* The connection created before accounting was on stays without. */
    acct_send(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 53), &a,
              TRK | EST);
    e = acct_entry(ct, 1, 1000, 2000);
    assert_counters(&e, 0, 0, 0, 0);

    /* Link-layer padding (a minimum-size Ethernet frame) is not counted. */
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 1001, 53);
    dp_packet_put_zeros(pkt, 60 - dp_packet_size(pkt));
    CT_ASSERT_EQ(dp_packet_size(pkt), 60);
    acct_send(ct, pkt, &a, TRK | EST);
    e = acct_entry(ct, 1, 1001, 2000);
    assert_counters(&e, 3, 3 * UDP4, 1, UDP4);

    /* An ICMP error related to the connection, and an invalid packet (bad
     * UDP checksum), are not counted. */
    inner = ctt_udp4("10.0.0.1", "10.0.0.2", 1001, 53);
    acct_send(ct, ctt_icmp4_error("10.0.0.2", "10.0.0.1", 3, 3, inner, 8),
              &a, TRK | REL | RPL);
    dp_packet_delete(inner);
    pkt = ctt_udp4("10.0.0.1", "10.0.0.2", 1001, 53);
    ((struct udp_header *) dp_packet_l4(pkt))->udp_csum ^= htons(1);
    acct_send(ct, pkt, &a, TRK | INV);
    e = acct_entry(ct, 1, 1001, 2000);
    assert_counters(&e, 3, 3 * UDP4, 1, UDP4);

    /* IPv6. */
    acct_send(ct, ctt_udp6("fd00::1", "fd00::2", 1002, 53), &c6, TRK | NEW);
    acct_send(ct, ctt_udp6("fd00::2", "fd00::1", 53, 1002), &a6,
              TRK | EST | RPL);
    acct_send(ct, ctt_udp6("fd00::2", "fd00::1", 53, 1002), &a6,
              TRK | EST | RPL);
    e = acct_entry(ct, 1, 1002, 2000);
    assert_counters(&e, 1, UDP6, 2, 2 * UDP6);

    /* SNAT: the reply, addressed to the translated source, counts in the
     * reply direction; TCP payload counts. */
    pkt = ctt_tcp4("10.0.0.1", "10.0.0.9", 1003, 80, TCP_SYN, 100, 0, 1000,
                   0);
    acct_send(ct, pkt, &cn, TRK | NEW | CS_SRC_NAT);
    pkt = ctt_tcp4("10.0.0.9", "192.0.2.1", 80, 1003, TCP_SYN | TCP_ACK,
                   500, 101, 1000, 0);
    acct_send(ct, pkt, &an, TRK | EST | RPL | CS_DST_NAT);
    pkt = ctt_tcp4("10.0.0.1", "10.0.0.9", 1003, 80, TCP_ACK | TCP_PSH, 101,
                   501, 1000, 100);
    acct_send(ct, pkt, &an, TRK | EST | CS_SRC_NAT);
    e = acct_entry(ct, 2, 1003, 2000);
    CT_ASSERT_EQ(e.tuple_reply.dst.ip, htonl(0xc0000201));
    assert_counters(&e, 2, 40 + TCP4_100, 1, 40);

    /* Off again: new connections are created without counters; those that
     * have them keep counting. */
    ct_set_acct(ct, false);
    acct_send(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1004, 53), &c, TRK | NEW);
    e = acct_entry(ct, 1, 1004, 2000);
    assert_counters(&e, 0, 0, 0, 0);
    CT_ASSERT_EQ(e.timestamp.start, 0);
    acct_send(ct, ctt_udp4("10.0.0.2", "10.0.0.1", 53, 1001), &a,
              TRK | EST | RPL);
    e = acct_entry(ct, 1, 1001, 2000);
    assert_counters(&e, 3, 3 * UDP4, 2, 2 * UDP4);

    ct_destroy(ct);
}

/* Table growth: enough connections for every shard's table to double many
 * times, to arrays large enough to come from the shared huge-page pool
 * (struct ct_bucket_pool); then removal of half of them, which rewrites the
 * bucket heads' filters, and lookups of present and absent tuples. */

#define GROWTH_BATCH NETDEV_MAX_BURST

static struct dp_packet *bench_packet(uint32_t i);

/* Packet of flow 'i' (10.x.y.z:sport -> 172.16.k.1:80), or its reply. */
static void
growth_packet(struct dp_packet *pkt, uint32_t i, bool reply)
{
    struct ip_header *ip = dp_packet_l3(pkt);
    struct udp_header *uh = dp_packet_l4(pkt);
    ovs_be32 a = htonl(0x0a000000 + (i & 0xffffff));
    ovs_be32 b = htonl(0xac100001 | ((i % 250) << 8));
    ovs_be16 pa = htons(1024 + i % 60000);
    ovs_be16 pb = htons(80);

    put_16aligned_be32(&ip->ip_src, reply ? b : a);
    put_16aligned_be32(&ip->ip_dst, reply ? a : b);
    uh->udp_src = reply ? pb : pa;
    uh->udp_dst = reply ? pa : pb;
    pkt->md.ct_state = 0;
    pkt->md.conn = NULL;
}

/* Runs flows [first, first + n) in batches, each batch of flows in zone
 * (batch number & 1), and checks that each packet gets 'state', or
 * 'state_odd' in the odd zone. */
static void
growth_run(struct ct *ct, struct dp_packet **pkts, uint32_t first,
           uint32_t n, bool reply, bool commit, uint8_t state,
           uint8_t state_odd)
{
    for (uint32_t base = first; base < first + n; base += GROWTH_BATCH) {
        uint16_t zone = (base / GROWTH_BATCH) & 1;
        struct ct_exec args = ctt_args(zone, commit, 1000);
        struct dp_packet_batch batch;

        dp_packet_batch_init(&batch);
        for (int j = 0; j < GROWTH_BATCH; j++) {
            growth_packet(pkts[j], base + j, reply);
            dp_packet_batch_add(&batch, pkts[j]);
        }
        ct_execute(ct, &batch, &args);
        for (int j = 0; j < GROWTH_BATCH; j++) {
            uint8_t expected = zone ? state_odd : state;

            if (pkts[j]->md.ct_state != expected) {
                fprintf(stderr, "flow %"PRIu32" (%s, zone %d): state %#x, "
                        "expected %#x\n", base + j,
                        reply ? "reply" : "original", zone,
                        pkts[j]->md.ct_state, expected);
                abort();
            }
        }
        ovsrcu_quiesce();
    }
}

static void
test_growth(void)
{
    /* A small limit at creation gives small initial tables (16 buckets a
     * shard); the limit is then raised. */
    struct ct *ct = ct_create(&(struct ct_config) { .n_shards = 16,
                                                    .max_conns = 2048 });
    const uint32_t n = 300 * 1024;
    struct dp_packet *pkts[GROWTH_BATCH];
    uint16_t zone1 = 1;

    CT_ASSERT_EQ(ct_set_maxconns(ct, 4 * n), 0);
    for (int j = 0; j < GROWTH_BATCH; j++) {
        pkts[j] = bench_packet(j);
    }

    growth_run(ct, pkts, 0, n, false, true, TRK | NEW, TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), n);
    for (unsigned int i = 0; i < ct_n_shards(ct); i++) {
        const struct ct_shard *shard = &ct->shards[i];
        const struct ct_buckets *b = ovsrcu_get(struct ct_buckets *,
                                                &shard->buckets);
        uint32_t hist[4] = { 0 };
        uint32_t n_buckets;

        /* 16 shards of at least 16384 heads of 8 bytes fill a huge page
         * together: these arrays come from a pool region. */
        ct_shard_chain_histogram(shard, hist, ARRAY_SIZE(hist), &n_buckets);
        CT_ASSERT(n_buckets >= 16384);
        CT_ASSERT(b->region != NULL);
    }

    /* Replies find their connections; the original direction of flows
     * never committed does not. */
    growth_run(ct, pkts, 0, n, true, false, TRK | EST | RPL, TRK | EST | RPL);
    growth_run(ct, pkts, n, n / 4, false, false, TRK | NEW, TRK | NEW);

    /* Removing the odd zone's half leaves the other half findable. */
    CT_ASSERT_EQ(ct_flush(ct, &zone1), 0);
    CT_ASSERT_EQ(ct_get_nconns(ct), n / 2);
    growth_run(ct, pkts, 0, n, false, false, TRK | EST, TRK | NEW);
    growth_run(ct, pkts, 0, n, true, false, TRK | EST | RPL, TRK | NEW);

    for (int j = 0; j < GROWTH_BATCH; j++) {
        dp_packet_delete(pkts[j]);
    }
    ct_destroy(ct);
}

static void
check(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_udp();
    test_icmp();
    test_other();
    test_invalid();
    test_commit_semantics();
    test_flush();
    test_sweep();
    test_timeout_policy();
    test_acct();
    test_growth();
    printf("ct-table: all tests passed\n");
}

/* Benchmark: the BENCHMARKS.md workloads W-new, W-est and W-snat on this
 * engine alone, single thread. */

static long
rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;

    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) {
            rss = 0;
        }
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static struct dp_packet *
bench_packet(uint32_t i)
{
    uint8_t l4[8];
    struct udp_header *uh = (struct udp_header *) l4;
    struct dp_packet *pkt;

    memset(l4, 0, sizeof l4);
    uh->udp_src = htons(1024 + i % 60000);
    uh->udp_dst = htons(80);
    uh->udp_len = htons(8);
    pkt = ctt_ip4_raw(htonl(0x0a000000 + (i & 0xffffff)),
                      htonl(0xac100001 | ((i % 250) << 8)), IPPROTO_UDP,
                      l4, sizeof l4);
    ctt_csum_good(pkt);
    return pkt;
}

static void
bench_rewrite(struct dp_packet *pkt, uint32_t i)
{
    struct ip_header *ip = dp_packet_l3(pkt);
    struct udp_header *uh = dp_packet_l4(pkt);

    put_16aligned_be32(&ip->ip_src, htonl(0x0a000000 + (i & 0xffffff)));
    put_16aligned_be32(&ip->ip_dst, htonl(0xac100001 | ((i % 250) << 8)));
    uh->udp_src = htons(1024 + i % 60000);
    uh->udp_dst = htons(80);
    pkt->md.ct_state = 0;
    pkt->md.conn = NULL;
}

static double
cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Returns the thread CPU time it took (less sensitive than wall time to
 * other load on a shared machine). */
static double
run_flows__(struct ct *ct, struct dp_packet **pkts, uint32_t first_flow,
            uint32_t n_flows, uint32_t n_packets, bool random_order,
            const struct ct_exec *args)
{
    struct dp_packet_batch batch;
    uint32_t seed = 12345;
    double start = cpu_seconds();

    for (uint32_t done = 0; done < n_packets; done += NETDEV_MAX_BURST) {
        dp_packet_batch_init(&batch);
        for (int j = 0; j < NETDEV_MAX_BURST; j++) {
            uint32_t flow;

            if (random_order) {
                seed = seed * 1103515245 + 12345;
                flow = first_flow + (seed >> 1) % n_flows;
            } else {
                flow = done + j;
            }
            bench_rewrite(pkts[j], flow);
            dp_packet_batch_add(&batch, pkts[j]);
        }
        ct_execute(ct, &batch, args);
        if (!(done & 0xffff)) {
            ovsrcu_quiesce();
        }
    }
    return cpu_seconds() - start;
}

static double
run_flows(struct ct *ct, struct dp_packet **pkts, uint32_t n_flows,
          uint32_t n_packets, bool random_order, const struct ct_exec *args)
{
    return run_flows__(ct, pkts, 0, n_flows, n_packets, random_order, args);
}

/* W-est-2t: two threads, each on its half of the flows. */
struct est_thread {
    struct ct *ct;
    uint32_t first, n_flows, n_packets;
    struct ct_exec args;
    double cpu;
    pthread_t thread;
};

static void *
est_thread_main(void *et_)
{
    struct est_thread *et = et_;
    struct dp_packet *pkts[NETDEV_MAX_BURST];

    for (int j = 0; j < NETDEV_MAX_BURST; j++) {
        pkts[j] = bench_packet(j);
    }
    et->cpu = run_flows__(et->ct, pkts, et->first, et->n_flows,
                          et->n_packets, true, &et->args);
    for (int j = 0; j < NETDEV_MAX_BURST; j++) {
        dp_packet_delete(pkts[j]);
    }
    return NULL;
}

static void
run_est_2t(struct ct *ct, uint32_t n, uint32_t n_est,
           const struct ct_exec *args, double t1)
{
    struct est_thread et[2];
    long long start = time_msec();
    double cpu = 0;

    for (int i = 0; i < 2; i++) {
        et[i] = (struct est_thread) {
            .ct = ct, .first = i * (n / 2), .n_flows = n / 2,
            .n_packets = n_est / 2, .args = *args,
        };
        et[i].thread = ovs_thread_create("ct_bench", est_thread_main,
                                         &et[i]);
    }
    for (int i = 0; i < 2; i++) {
        xpthread_join(et[i].thread, NULL);
        cpu = MAX(cpu, et[i].cpu);
    }
    printf("W-est-2t: %u packets, slowest thread %.3f s CPU = %.2f Mpps, "
           "%.2fx one thread (wall %.3f s)\n", n_est, cpu, n_est / cpu / 1e6,
           t1 / cpu, (time_msec() - start) / 1e3);
}

static void
benchmark(int argc, char *argv[])
{
    uint32_t n = argc > 1 ? atoi(argv[1]) : 1000000;
    uint32_t n_est = argc > 2 ? atoi(argv[2]) : 10000000;
    struct dp_packet *pkts[NETDEV_MAX_BURST];
    struct ct_exec c = ctt_args(0, true, 1000);
    struct ct_exec a = ctt_args(0, false, 2000);
    struct ct_nat_spec snat = {
        .flags = CT_NAT_SRC,
        .min_addr.ipv4 = htonl(0xc0000201),
        .max_addr.ipv4 = htonl(0xc0000201),
        .min_port = 1024,
        .max_port = 65535,
    };
    struct ct_config cfg = {
        .n_shards = argc > 4 ? atoi(argv[4]) : 0,
    };
    struct ct_stats st;
    struct ct *ct;
    double t;
    long rss0;

    n = ROUND_UP(n, NETDEV_MAX_BURST);
    n_est = ROUND_UP(n_est, NETDEV_MAX_BURST);
    for (int j = 0; j < NETDEV_MAX_BURST; j++) {
        pkts[j] = bench_packet(j);
    }

    if (argc > 3 && !strcmp(argv[3], "snat")) {
        goto snat;
    }
    ct = ct_create(&cfg);
    rss0 = rss_kb();
    t = run_flows(ct, pkts, n, n, false, &c);
    ovsrcu_quiesce();
    printf("W-new:  %u conns in %.3f s CPU = %.2f Mconn/s, %.1f bytes/conn "
           "(RSS)\n", n, t, n / t / 1e6,
           (rss_kb() - rss0) * 1024.0 / n);
    ct_get_stats(ct, &st);
    ovs_assert(st.n_conns == n);

    t = run_flows(ct, pkts, n, n_est, true, &a);
    printf("W-est:  %u packets in %.3f s CPU = %.2f Mpps\n", n_est, t,
           n_est / t / 1e6);
    if (argc > 3 && !strcmp(argv[3], "est2")) {
        run_est_2t(ct, n, n_est, &a, t);
    }
    ct_destroy(ct);
    if (argc > 3 && !strcmp(argv[3], "new")) {
        goto out;
    }

snat:
    ct = ct_create(&cfg);
    rss0 = rss_kb();
    c.nat = &snat;
    t = run_flows(ct, pkts, n, n, false, &c);
    ovsrcu_quiesce();
    ct_get_stats(ct, &st);
    printf("W-snat: %u conns in %.3f s CPU = %.2f Mconn/s, %.1f bytes/conn "
           "(RSS), %"PRIu64" exhausted\n", n, t, n / t / 1e6,
           (rss_kb() - rss0) * 1024.0 / n, st.nat_exhausted);
    ct_destroy(ct);

out:
    for (int j = 0; j < NETDEV_MAX_BURST; j++) {
        dp_packet_delete(pkts[j]);
    }
}

static void
cmd_test_udp(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_udp();
}

static void
cmd_test_icmp(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_icmp();
}

static void
cmd_test_other(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_other();
}

static void
cmd_test_invalid(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_invalid();
}

static void
cmd_test_commit_semantics(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_commit_semantics();
}

static void
cmd_test_flush(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_flush();
}

static void
cmd_test_sweep(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_sweep();
}

static void
cmd_test_timeout_policy(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_timeout_policy();
}

static void
cmd_test_acct(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_acct();
}

static void
cmd_test_growth(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_growth();
}

static void
ct_table_main(int argc, char *argv[])
{
    static const struct ctdp_test_subcmd cmds[] = {
        { "check", check },
        { "udp", cmd_test_udp },
        { "icmp", cmd_test_icmp },
        { "other", cmd_test_other },
        { "invalid", cmd_test_invalid },
        { "commit", cmd_test_commit_semantics },
        { "flush", cmd_test_flush },
        { "sweep", cmd_test_sweep },
        { "timeout-policy", cmd_test_timeout_policy },
        { "acct", cmd_test_acct },
        { "growth", cmd_test_growth },
        { "benchmark", benchmark },
        { NULL, NULL },
    };

    ctdp_test_dispatch("ct-table", cmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-table", ct_table_main);
