/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Unit tests of NAT: SNAT, DNAT, ranges and flags, all-zero SNAT,
 * exhaustion; and of ICMP errors related to connections, with and without
 * NAT, IPv4 and IPv6, compared byte by byte with packets built directly in
 * their expected translated form. */

#include <config.h>
#include <limits.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <string.h>
#include "ct.h"
#include "ct-dpif.h"
#include "ct-test-packets.h"
#include "ctdp-test.h"
#include "dp-packet.h"
#include "packets.h"
#include "util.h"

#define TRK CS_TRACKED
#define NEW CS_NEW
#define EST CS_ESTABLISHED
#define RPL CS_REPLY_DIR
#define INV CS_INVALID
#define REL CS_RELATED
#define SNAT CS_SRC_NAT
#define DNAT CS_DST_NAT

static const struct ct_nat_spec nat_apply = { .flags = 0 };

static struct ct_nat_spec
snat4(const char *min, const char *max, uint16_t pmin, uint16_t pmax)
{
    struct ct_nat_spec s;

    memset(&s, 0, sizeof s);
    s.flags = CT_NAT_SRC;
    if (min) {
        s.min_addr.ipv4 = ctt_ip4(min);
        s.max_addr.ipv4 = ctt_ip4(max ? max : min);
    }
    s.min_port = pmin;
    s.max_port = pmax;
    return s;
}

/* Asserts that 'pkt' is byte for byte 'expected' (from the L3 header on),
 * and frees both. */
static void
assert_same_packet(struct dp_packet *pkt, struct dp_packet *expected)
{
    size_t len = dp_packet_l3_size(pkt);
    size_t elen = dp_packet_l3_size(expected);

    CT_ASSERT_EQ(len, elen);
    if (memcmp(dp_packet_l3(pkt), dp_packet_l3(expected), len)) {
        const uint8_t *a = dp_packet_l3(pkt), *b = dp_packet_l3(expected);

        for (size_t i = 0; i < len; i++) {
            if (a[i] != b[i]) {
                fprintf(stderr, "byte %"PRIuSIZE": got %02x expected %02x\n",
                        i, a[i], b[i]);
            }
        }
        CT_ASSERT(!"packets differ");
    }
    dp_packet_delete(pkt);
    dp_packet_delete(expected);
}

/* Runs a fresh packet with 'args' and asserts state; returns the packet. */
static struct dp_packet *
exec(struct ct *ct, struct dp_packet *pkt, const struct ct_exec *args,
     uint8_t state)
{
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, args), state);
    CT_ASSERT(ctt_csums_ok(pkt));
    return pkt;
}

static void
test_snat_basic(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec = snat4("192.0.2.1", NULL, 1024, 65535);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_exec a = ctt_args(0, false, 0);
    struct dp_packet *pkt;
    uint16_t port2;
    char *dump;

    c.nat = &spec;
    a.nat = &nat_apply;

    /* The source port is in range and free: kept. */
    pkt = exec(ct, ctt_udp4("10.0.0.1", "8.8.8.8", 5000, 53), &c,
               TRK | NEW | SNAT);
    CT_ASSERT(pkt->md.conn == NULL);   /* Not cached after NAT. */
    assert_same_packet(pkt, ctt_udp4("192.0.2.1", "8.8.8.8", 5000, 53));

    /* The reply is translated back. */
    pkt = exec(ct, ctt_udp4("8.8.8.8", "192.0.2.1", 53, 5000), &a,
               TRK | EST | RPL | DNAT);
    CT_ASSERT_EQ(pkt->md.ct_orig_tuple.ipv4.ipv4_src, ctt_ip4("10.0.0.1"));
    assert_same_packet(pkt, ctt_udp4("8.8.8.8", "10.0.0.1", 53, 5000));

    /* Further packets in the original direction. */
    pkt = exec(ct, ctt_udp4("10.0.0.1", "8.8.8.8", 5000, 53), &a,
               TRK | EST | SNAT);
    assert_same_packet(pkt, ctt_udp4("192.0.2.1", "8.8.8.8", 5000, 53));

    /* Without a nat action the packet is tracked but left alone. */
    a.nat = NULL;
    pkt = exec(ct, ctt_udp4("10.0.0.1", "8.8.8.8", 5000, 53), &a, TRK | EST);
    assert_same_packet(pkt, ctt_udp4("10.0.0.1", "8.8.8.8", 5000, 53));
    a.nat = &nat_apply;

    dump = ctt_dump(ct, NULL, 0, false);
    CT_ASSERT(!strcmp(dump,
                      "udp,orig=(src=10.0.0.1,dst=8.8.8.8,sport=5000,"
                      "dport=53),reply=(src=8.8.8.8,dst=192.0.2.1,sport=53,"
                      "dport=5000),timeout=30\n"));
    free(dump);

    /* Another client with the same source port: the port collides and
     * another one in the range is chosen. */
    pkt = exec(ct, ctt_udp4("10.0.0.2", "8.8.8.8", 5000, 53), &c,
               TRK | NEW | SNAT);
    CT_ASSERT_EQ(ctt_ip4_src(pkt), ctt_ip4("192.0.2.1"));
    port2 = ctt_l4_sport(pkt);
    CT_ASSERT(port2 != 5000 && port2 >= 1024);
    dp_packet_delete(pkt);
    pkt = exec(ct, ctt_udp4("8.8.8.8", "192.0.2.1", 53, port2), &a,
               TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_udp4("8.8.8.8", "10.0.0.2", 53, 5000));
    pkt = exec(ct, ctt_udp4("8.8.8.8", "192.0.2.1", 53, 5000), &a,
               TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_udp4("8.8.8.8", "10.0.0.1", 53, 5000));

    /* A packet to an unbound translated port is simply new. */
    pkt = exec(ct, ctt_udp4("8.8.8.8", "192.0.2.1", 53, 4999), &a,
               TRK | NEW);
    dp_packet_delete(pkt);

    /* TCP: ports and checksum. */
    pkt = exec(ct, ctt_tcp4("10.0.0.1", "8.8.8.8", 6000, 80, TCP_SYN, 100, 0,
                            1000, 0), &c, TRK | NEW | SNAT);
    assert_same_packet(pkt, ctt_tcp4("192.0.2.1", "8.8.8.8", 6000, 80,
                                     TCP_SYN, 100, 0, 1000, 0));
    pkt = exec(ct, ctt_tcp4("8.8.8.8", "192.0.2.1", 80, 6000,
                            TCP_SYN | TCP_ACK, 500, 101, 1000, 0), &a,
               TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_tcp4("8.8.8.8", "10.0.0.1", 80, 6000,
                                     TCP_SYN | TCP_ACK, 500, 101, 1000, 0));
    ct_destroy(ct);
}

static void
test_dnat(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec;
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_exec a = ctt_args(0, false, 0);
    struct dp_packet *pkt;
    ovs_be32 backend;
    int seen[2] = { 0, 0 };

    memset(&spec, 0, sizeof spec);
    spec.flags = CT_NAT_DST;
    spec.min_addr.ipv4 = ctt_ip4("10.1.0.1");
    spec.max_addr.ipv4 = ctt_ip4("10.1.0.2");
    spec.min_port = spec.max_port = 8080;
    c.nat = &spec;
    a.nat = &nat_apply;

    for (int i = 0; i < 40; i++) {
        char client[32];

        snprintf(client, sizeof client, "10.0.%d.1", i);
        pkt = exec(ct, ctt_tcp4(client, "172.16.0.1", 5000, 80, TCP_SYN, 1,
                                0, 1000, 0), &c, TRK | NEW | DNAT);
        backend = ctt_ip4_dst(pkt);
        CT_ASSERT(backend == ctt_ip4("10.1.0.1")
                  || backend == ctt_ip4("10.1.0.2"));
        seen[backend == ctt_ip4("10.1.0.2")]++;
        CT_ASSERT_EQ(ctt_l4_dport(pkt), 8080);
        CT_ASSERT_EQ(ctt_l4_sport(pkt), 5000);
        dp_packet_delete(pkt);

        pkt = ctt_tcp4(backend == ctt_ip4("10.1.0.1") ? "10.1.0.1"
                       : "10.1.0.2", client, 8080, 5000, TCP_SYN | TCP_ACK,
                       9, 2, 1000, 0);
        pkt = exec(ct, pkt, &a, TRK | EST | RPL | SNAT);
        assert_same_packet(pkt, ctt_tcp4("172.16.0.1", client, 80, 5000,
                                         TCP_SYN | TCP_ACK, 9, 2, 1000, 0));
    }
    /* Both backends get some (the address is a hash of the addresses). */
    CT_ASSERT(seen[0] > 0 && seen[1] > 0);
    ct_destroy(ct);
}

static void
test_exhaustion(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec = snat4("192.0.2.1", NULL, 2000, 2003);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_dpif_tuple tuple;
    struct dp_packet *pkt;
    struct ct_stats st;
    bool used[4] = { false };
    uint16_t freed;

    c.nat = &spec;
    for (int i = 0; i < 4; i++) {
        char client[32];
        uint16_t port;

        snprintf(client, sizeof client, "10.0.0.%d", i + 1);
        pkt = exec(ct, ctt_udp4(client, "8.8.8.8", 40000, 53), &c,
                   TRK | NEW | SNAT);
        port = ctt_l4_sport(pkt);
        CT_ASSERT(port >= 2000 && port <= 2003 && !used[port - 2000]);
        used[port - 2000] = true;
        dp_packet_delete(pkt);
    }
    /* The fifth finds no tuple: +inv, counted, nothing committed, packet
     * untouched. */
    pkt = exec(ct, ctt_udp4("10.0.0.5", "8.8.8.8", 40000, 53), &c,
               TRK | INV);
    assert_same_packet(pkt, ctt_udp4("10.0.0.5", "8.8.8.8", 40000, 53));
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.nat_exhausted, 1);
    CT_ASSERT_EQ(st.n_conns, 4);
    CT_ASSERT_EQ(ct_get_nconns(ct), 4);

    /* Another server: the same ports are free again. */
    pkt = exec(ct, ctt_udp4("10.0.0.5", "8.8.4.4", 40000, 53), &c,
               TRK | NEW | SNAT);
    dp_packet_delete(pkt);

    /* Nearly full: free one binding, the next client gets exactly it. */
    memset(&tuple, 0, sizeof tuple);
    tuple.l3_type = AF_INET;
    tuple.ip_proto = IPPROTO_UDP;
    tuple.src.ip = ctt_ip4("10.0.0.3");
    tuple.dst.ip = ctt_ip4("8.8.8.8");
    tuple.src_port = htons(40000);
    tuple.dst_port = htons(53);
    pkt = ctt_udp4("10.0.0.3", "8.8.8.8", 40000, 53);
    c.nat = &nat_apply;
    c.commit = false;
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | NEW | SNAT);
    freed = ctt_l4_sport(pkt);
    dp_packet_delete(pkt);
    CT_ASSERT_EQ(ct_flush_tuple(ct, &tuple, 0), 0);
    c.nat = &spec;
    c.commit = true;
    pkt = exec(ct, ctt_udp4("10.0.0.6", "8.8.8.8", 40000, 53), &c,
               TRK | NEW | SNAT);
    CT_ASSERT_EQ(ctt_l4_sport(pkt), freed);
    dp_packet_delete(pkt);
    ct_destroy(ct);
}

/* A binding held by a connection that expired but was not swept yet is free
 * for a new connection, and committing it removes the expired one: the
 * table never holds a tuple twice. */
static void
test_expired_holder(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec = snat4("192.0.2.1", NULL, 2000, 2000);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_dpif_entry e;
    struct dp_packet *pkt;
    struct ct_dump *dump;
    struct ct_stats st;

    c.nat = &spec;
    pkt = exec(ct, ctt_udp4("10.0.0.1", "8.8.8.8", 40000, 53), &c,
               TRK | NEW | SNAT);
    CT_ASSERT_EQ(ctt_l4_sport(pkt), 2000);
    dp_packet_delete(pkt);

    /* Ten minutes later, far past the UDP timeouts, with no sweep: the
     * range's only reply tuple is still linked, held by the expired
     * connection of another client. */
    c.now = 10 * 60 * 1000;
    pkt = exec(ct, ctt_udp4("10.0.0.2", "8.8.8.8", 40000, 53), &c,
               TRK | NEW | SNAT);
    CT_ASSERT_EQ(ctt_l4_sport(pkt), 2000);
    dp_packet_delete(pkt);
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.n_conns, 1);
    CT_ASSERT_EQ(st.expired, 1);
    CT_ASSERT_EQ(st.nat_exhausted, 0);

    /* Even a dump that lists expired connections (now = LLONG_MIN) sees
     * only the new one. */
    dump = ct_dump_start(ct, NULL, LLONG_MIN);
    CT_ASSERT_EQ(ct_dump_next(dump, &e), 0);
    CT_ASSERT_EQ(e.tuple_orig.src.ip, ctt_ip4("10.0.0.2"));
    CT_ASSERT_EQ(e.tuple_reply.dst.ip, ctt_ip4("192.0.2.1"));
    CT_ASSERT_EQ(e.tuple_reply.dst_port, htons(2000));
    ct_dpif_entry_uninit(&e);
    CT_ASSERT_EQ(ct_dump_next(dump, &e), EOF);
    ct_dump_done(dump);
    ct_destroy(ct);
}

static void
test_big_range_full(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec = snat4("192.0.2.1", NULL, 1024, 65535);
    struct ct_exec c = ctt_args(0, true, 0);
    struct dp_packet *pkt;
    struct ct_stats st;
    int n = 65535 - 1024 + 1;
    int ok = 0;

    c.nat = &spec;
    /* Clients keep their source ports: the whole range gets used. */
    for (int i = 0; i < n; i++) {
        char client[32];

        snprintf(client, sizeof client, "10.%d.%d.1", i / 256, i % 256);
        pkt = ctt_udp4(client, "8.8.8.8", 1024 + i, 53);
        ctt_csum_good(pkt);
        ok += ctt_exec1(ct, pkt, &c) == (TRK | NEW | SNAT);
        dp_packet_delete(pkt);
    }
    CT_ASSERT_EQ(ok, n);
    /* Full: bounded searches fail cleanly, every time. */
    for (int i = 0; i < 100; i++) {
        char client[32];

        snprintf(client, sizeof client, "10.200.%d.1", i);
        CT_ASSERT_EQ(ctt_exec1(ct, pkt = ctt_udp4(client, "8.8.8.8", 7777,
                                                  53), &c), TRK | INV);
        dp_packet_delete(pkt);
    }
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.nat_exhausted, 100);
    CT_ASSERT_EQ(st.n_conns, n);
    ct_destroy(ct);
}

static void
test_flags(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec = snat4("192.0.2.1", "192.0.2.10", 1024, 65535);
    struct ct_exec c = ctt_args(0, true, 0);
    struct dp_packet *pkt;
    ovs_be32 first = 0;
    bool differ = false;
    int kept = 0;

    c.nat = &spec;

    /* Persistent: one source, one address, whatever the destination. */
    spec.flags = CT_NAT_SRC | CT_NAT_PERSISTENT;
    for (int i = 0; i < 20; i++) {
        char server[32];

        snprintf(server, sizeof server, "8.8.%d.8", i);
        pkt = exec(ct, ctt_udp4("10.0.0.1", server, 5000, 53), &c,
                   TRK | NEW | SNAT);
        if (!i) {
            first = ctt_ip4_src(pkt);
        }
        CT_ASSERT_EQ(ctt_ip4_src(pkt), first);
        dp_packet_delete(pkt);
    }

    /* Default: the address depends on source and destination. */
    spec.flags = CT_NAT_SRC;
    for (int i = 0; i < 20; i++) {
        char server[32];

        snprintf(server, sizeof server, "9.9.%d.9", i);
        pkt = exec(ct, ctt_udp4("10.0.0.2", server, 5000, 53), &c,
                   TRK | NEW | SNAT);
        differ |= i && ctt_ip4_src(pkt) != first;
        first = ctt_ip4_src(pkt);
        dp_packet_delete(pkt);
    }
    CT_ASSERT(differ);

    /* Random: the source port is not kept (unless by chance). */
    spec = snat4("192.0.2.1", NULL, 1024, 65535);
    spec.flags |= CT_NAT_RANDOM;
    for (int i = 0; i < 20; i++) {
        char client[32];

        snprintf(client, sizeof client, "10.3.0.%d", i + 1);
        pkt = exec(ct, ctt_udp4(client, "8.8.8.8", 5000, 53), &c,
                   TRK | NEW | SNAT);
        kept += ctt_l4_sport(pkt) == 5000;
        CT_ASSERT(ctt_l4_sport(pkt) >= 1024);
        dp_packet_delete(pkt);
    }
    CT_ASSERT(kept <= 1);

    /* Hash: same. */
    spec.flags = CT_NAT_SRC | CT_NAT_HASH;
    kept = 0;
    for (int i = 0; i < 20; i++) {
        char client[32];

        snprintf(client, sizeof client, "10.4.0.%d", i + 1);
        pkt = exec(ct, ctt_udp4(client, "8.8.4.4", 5000, 53), &c,
                   TRK | NEW | SNAT);
        kept += ctt_l4_sport(pkt) == 5000;
        dp_packet_delete(pkt);
    }
    CT_ASSERT(kept <= 1);

    /* Random and hash with a range of just the original source port: that
     * port, free, is taken (neither tries it first, but both try it). */
    for (int i = 0; i < 2; i++) {
        char server[32];

        spec = snat4("192.0.2.1", NULL, 5000, 5000);
        spec.flags |= i ? CT_NAT_HASH : CT_NAT_RANDOM;
        snprintf(server, sizeof server, "8.8.7.%d", i + 1);
        pkt = exec(ct, ctt_udp4("10.5.0.1", server, 5000, 53), &c,
                   TRK | NEW | SNAT);
        CT_ASSERT_EQ(ctt_l4_sport(pkt), 5000);
        CT_ASSERT_EQ(ctt_ip4_src(pkt), ctt_ip4("192.0.2.1"));
        dp_packet_delete(pkt);
    }
    ct_destroy(ct);
}

static void
test_zero_snat(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec to9 = snat4("10.0.0.9", NULL, 0, 0);
    struct ct_nat_spec zero = snat4(NULL, NULL, 0, 0);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_exec a = ctt_args(0, false, 0);
    struct dp_packet *pkt;
    uint16_t port;
    char *dump;

    a.nat = &nat_apply;

    /* No collision: nothing changes, but the connection is SNAT. */
    c.nat = &zero;
    pkt = exec(ct, ctt_udp4("10.0.0.3", "8.8.8.8", 6000, 53), &c,
               TRK | NEW | SNAT);
    assert_same_packet(pkt, ctt_udp4("10.0.0.3", "8.8.8.8", 6000, 53));
    pkt = exec(ct, ctt_udp4("8.8.8.8", "10.0.0.3", 53, 6000), &a,
               TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_udp4("8.8.8.8", "10.0.0.3", 53, 6000));

    /* A binding to 10.0.0.9:5000 (port kept: no range). */
    c.nat = &to9;
    pkt = exec(ct, ctt_udp4("10.0.0.1", "8.8.8.8", 5000, 53), &c,
               TRK | NEW | SNAT);
    assert_same_packet(pkt, ctt_udp4("10.0.0.9", "8.8.8.8", 5000, 53));

    /* 10.0.0.9:5000 itself now collides with that binding: a plain
     * commit cannot be represented and stays uncommitted... */
    c.nat = NULL;
    CT_ASSERT_EQ(ct_get_nconns(ct), 2);
    pkt = exec(ct, ctt_udp4("10.0.0.9", "8.8.8.8", 5000, 53), &c, TRK | NEW);
    dp_packet_delete(pkt);
    CT_ASSERT_EQ(ct_get_nconns(ct), 2);

    /* ...while an all-zero SNAT moves it to another port. */
    c.nat = &zero;
    pkt = exec(ct, ctt_udp4("10.0.0.9", "8.8.8.8", 5000, 53), &c,
               TRK | NEW | SNAT);
    CT_ASSERT_EQ(ctt_ip4_src(pkt), ctt_ip4("10.0.0.9"));
    port = ctt_l4_sport(pkt);
    CT_ASSERT(port != 5000 && port >= 1024);
    dp_packet_delete(pkt);

    /* Replies go to the right owners. */
    pkt = exec(ct, ctt_udp4("8.8.8.8", "10.0.0.9", 53, port), &a,
               TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_udp4("8.8.8.8", "10.0.0.9", 53, 5000));
    pkt = exec(ct, ctt_udp4("8.8.8.8", "10.0.0.9", 53, 5000), &a,
               TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_udp4("8.8.8.8", "10.0.0.1", 53, 5000));

    /* 'nat' without arguments on a commit binds nothing. */
    c.nat = &nat_apply;
    pkt = exec(ct, ctt_udp4("10.0.0.7", "8.8.8.8", 1, 53), &c, TRK | NEW);
    assert_same_packet(pkt, ctt_udp4("10.0.0.7", "8.8.8.8", 1, 53));

    dump = ctt_dump(ct, NULL, 0, false);
    CT_ASSERT(strstr(dump, "udp,orig=(src=10.0.0.9,dst=8.8.8.8,sport=5000,"
                     "dport=53),reply=(src=8.8.8.8,dst=10.0.0.9,sport=53,"));
    CT_ASSERT(strstr(dump, "udp,orig=(src=10.0.0.7,dst=8.8.8.8,sport=1,"
                     "dport=53),reply=(src=8.8.8.8,dst=10.0.0.7,sport=53,"
                     "dport=1),timeout=60\n"));
    free(dump);
    ct_destroy(ct);
}

static void
test_icmp_nat(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec = snat4("192.0.2.1", NULL, 0, 0);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_exec a = ctt_args(0, false, 0);
    struct dp_packet *pkt;
    uint16_t id2;

    c.nat = &spec;
    a.nat = &nat_apply;
    pkt = exec(ct, ctt_icmp4("10.0.0.1", "8.8.8.8", ICMP4_ECHO_REQUEST, 0,
                             7), &c, TRK | NEW | SNAT);
    assert_same_packet(pkt, ctt_icmp4("192.0.2.1", "8.8.8.8",
                                      ICMP4_ECHO_REQUEST, 0, 7));
    pkt = exec(ct, ctt_icmp4("8.8.8.8", "192.0.2.1", ICMP4_ECHO_REPLY, 0, 7),
               &a, TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_icmp4("8.8.8.8", "10.0.0.1",
                                      ICMP4_ECHO_REPLY, 0, 7));

    /* Same id from another host: the identifier is translated. */
    pkt = exec(ct, ctt_icmp4("10.0.0.2", "8.8.8.8", ICMP4_ECHO_REQUEST, 0,
                             7), &c, TRK | NEW | SNAT);
    id2 = ntohs(((ovs_be16 *) dp_packet_l4(pkt))[2]);
    CT_ASSERT(id2 != 7);
    assert_same_packet(pkt, ctt_icmp4("192.0.2.1", "8.8.8.8",
                                      ICMP4_ECHO_REQUEST, 0, id2));
    pkt = exec(ct, ctt_icmp4("8.8.8.8", "192.0.2.1", ICMP4_ECHO_REPLY, 0,
                             id2), &a, TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_icmp4("8.8.8.8", "10.0.0.2",
                                      ICMP4_ECHO_REPLY, 0, 7));
    ct_destroy(ct);
}

/* ICMP errors. */

static void
test_related4(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec = snat4("192.0.2.1", NULL, 10000, 10000);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_exec a = ctt_args(0, false, 0);
    struct dp_packet *pkt, *inner, *einner;

    /* Without NAT: related, in either direction; errors about unknown
     * connections are invalid. */
    dp_packet_delete(exec(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2000),
                          &c, TRK | NEW));
    inner = ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2000);
    pkt = exec(ct, ctt_icmp4_error("10.9.9.9", "10.0.0.1", ICMP4_DST_UNREACH,
                                   1, inner, 8), &a, TRK | REL | RPL);
    /* The metadata names the connection's original tuple. */
    CT_ASSERT_EQ(pkt->md.ct_orig_tuple.ipv4.ipv4_src, ctt_ip4("10.0.0.1"));
    CT_ASSERT_EQ(ntohs(pkt->md.ct_orig_tuple.ipv4.dst_port), 2000);
    dp_packet_delete(pkt);
    dp_packet_delete(inner);
    inner = ctt_udp4("10.0.0.2", "10.0.0.1", 2000, 1000);
    dp_packet_delete(exec(ct, ctt_icmp4_error("10.0.0.1", "10.0.0.2",
                                              ICMP4_DST_UNREACH, 3, inner,
                                              8), &a, TRK | REL));
    dp_packet_delete(inner);
    inner = ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2001);
    dp_packet_delete(exec(ct, ctt_icmp4_error("10.9.9.9", "10.0.0.1",
                                              ICMP4_DST_UNREACH, 1, inner,
                                              8), &c, TRK | INV));
    dp_packet_delete(inner);
    /* The embedded source must be the error's destination. */
    inner = ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 2000);
    dp_packet_delete(exec(ct, ctt_icmp4_error("10.9.9.9", "10.0.0.3",
                                              ICMP4_DST_UNREACH, 1, inner,
                                              8), &a, TRK | INV));
    /* A truncated embedded header is invalid. */
    dp_packet_delete(exec(ct, ctt_icmp4_error("10.9.9.9", "10.0.0.1",
                                              ICMP4_DST_UNREACH, 1, inner,
                                              4), &a, TRK | INV));
    dp_packet_delete(inner);

    /* With SNAT (port 10000), an error in the reply direction: the outer
     * destination and the embedded source go back to the client, with
     * every checksum right. */
    c.nat = &spec;
    a.nat = &nat_apply;
    dp_packet_delete(exec(ct, ctt_udp4("10.0.0.5", "8.8.8.8", 5000, 53), &c,
                          TRK | NEW | SNAT));
    inner = ctt_udp4("192.0.2.1", "8.8.8.8", 10000, 53);
    einner = ctt_udp4("10.0.0.5", "8.8.8.8", 5000, 53);
    pkt = exec(ct, ctt_icmp4_error("203.0.113.1", "192.0.2.1",
                                   ICMP4_DST_UNREACH, 3, inner, 8), &a,
               TRK | REL | RPL | DNAT);
    assert_same_packet(pkt, ctt_icmp4_error("203.0.113.1", "10.0.0.5",
                                            ICMP4_DST_UNREACH, 3, einner, 8));
    /* The whole embedded datagram, too. */
    pkt = exec(ct, ctt_icmp4_error("203.0.113.1", "192.0.2.1",
                                   ICMP4_TIME_EXCEEDED, 0, inner, 64), &a,
               TRK | REL | RPL | DNAT);
    assert_same_packet(pkt, ctt_icmp4_error("203.0.113.1", "10.0.0.5",
                                            ICMP4_TIME_EXCEEDED, 0, einner,
                                            64));
    dp_packet_delete(inner);
    dp_packet_delete(einner);

    /* An error in the original direction, about a reply. */
    inner = ctt_udp4("8.8.8.8", "10.0.0.5", 53, 5000);
    einner = ctt_udp4("8.8.8.8", "192.0.2.1", 53, 10000);
    pkt = exec(ct, ctt_icmp4_error("10.0.0.5", "8.8.8.8", ICMP4_DST_UNREACH,
                                   3, inner, 8), &a, TRK | REL | SNAT);
    assert_same_packet(pkt, ctt_icmp4_error("192.0.2.1", "8.8.8.8",
                                            ICMP4_DST_UNREACH, 3, einner, 8));
    dp_packet_delete(inner);
    dp_packet_delete(einner);

    /* TCP, embedded header cut after 8 bytes (no checksum field). */
    dp_packet_delete(exec(ct, ctt_tcp4("10.0.0.5", "8.8.8.8", 7000, 80,
                                       TCP_SYN, 1, 0, 1000, 0), &c,
                          TRK | NEW | SNAT));
    inner = ctt_tcp4("192.0.2.1", "8.8.8.8", 10000, 80, TCP_SYN, 1, 0, 1000,
                     0);
    einner = ctt_tcp4("10.0.0.5", "8.8.8.8", 7000, 80, TCP_SYN, 1, 0, 1000,
                      0);
    pkt = exec(ct, ctt_icmp4_error("203.0.113.1", "192.0.2.1",
                                   ICMP4_DST_UNREACH, 4, inner, 8), &a,
               TRK | REL | RPL | DNAT);
    assert_same_packet(pkt, ctt_icmp4_error("203.0.113.1", "10.0.0.5",
                                            ICMP4_DST_UNREACH, 4, einner, 8));
    dp_packet_delete(inner);
    dp_packet_delete(einner);
    ct_destroy(ct);
}

static struct ct_nat_spec
snat6(const char *addr, uint16_t port)
{
    struct ct_nat_spec s;

    memset(&s, 0, sizeof s);
    s.flags = CT_NAT_SRC;
    s.min_addr.ipv6 = s.max_addr.ipv6 = ctt_ip6(addr);
    s.min_port = s.max_port = port;
    return s;
}

static void
test_ipv6(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_nat_spec spec = snat6("2001:db8:ff::1", 10000);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_exec a = ctt_args(0, false, 0);
    struct dp_packet *pkt, *inner, *einner;
    char *dump;

    c.dl_type = a.dl_type = htons(ETH_TYPE_IPV6);

    /* Plain UDP and ICMPv6 echo. */
    dp_packet_delete(exec(ct, ctt_udp6("fd00::1", "fd00::2", 1, 2), &c,
                          TRK | NEW));
    pkt = exec(ct, ctt_udp6("fd00::2", "fd00::1", 2, 1), &a, TRK | EST | RPL);
    CT_ASSERT(pkt->md.ct_orig_tuple_ipv6);
    {
        struct in6_addr src = ctt_ip6("fd00::1");

        CT_ASSERT(ipv6_addr_equals(&pkt->md.ct_orig_tuple.ipv6.ipv6_src,
                                   &src));
    }
    dp_packet_delete(pkt);
    dp_packet_delete(exec(ct, ctt_icmp6("fd00::1", "fd00::2",
                                        ICMP6_ECHO_REQUEST, 0, 3), &c,
                          TRK | NEW));
    dp_packet_delete(exec(ct, ctt_icmp6("fd00::2", "fd00::1",
                                        ICMP6_ECHO_REPLY, 0, 3), &a,
                          TRK | EST | RPL));
    /* Neighbor discovery is not tracked. */
    dp_packet_delete(exec(ct, ctt_icmp6("fd00::2", "fd00::1", 135, 0, 0), &c,
                          TRK | INV));
    /* The IPv4 ct() does not take IPv6 packets. */
    dp_packet_delete(exec(ct, ctt_udp6("fd00::1", "fd00::2", 1, 2),
                          &(struct ct_exec) { .dl_type = htons(ETH_TYPE_IP),
                                              .commit = true },
                          TRK | INV));
    dump = ctt_dump(ct, NULL, 0, false);
    CT_ASSERT(!strcmp(dump,
                      "icmpv6,orig=(src=fd00::1,dst=fd00::2,id=3,type=128,"
                      "code=0),reply=(src=fd00::2,dst=fd00::1,id=3,type=129,"
                      "code=0),timeout=30\n"
                      "udp,orig=(src=fd00::1,dst=fd00::2,sport=1,dport=2),"
                      "reply=(src=fd00::2,dst=fd00::1,sport=2,dport=1),"
                      "timeout=30\n"));
    free(dump);

    /* SNAT and its reversal, with ICMPv6 errors both ways. */
    c.nat = &spec;
    a.nat = &nat_apply;
    pkt = exec(ct, ctt_udp6("fd00::5", "2001:db8::53", 5000, 53), &c,
               TRK | NEW | SNAT);
    assert_same_packet(pkt, ctt_udp6("2001:db8:ff::1", "2001:db8::53",
                                     10000, 53));
    pkt = exec(ct, ctt_udp6("2001:db8::53", "2001:db8:ff::1", 53, 10000), &a,
               TRK | EST | RPL | DNAT);
    assert_same_packet(pkt, ctt_udp6("2001:db8::53", "fd00::5", 53, 5000));

    inner = ctt_udp6("2001:db8:ff::1", "2001:db8::53", 10000, 53);
    einner = ctt_udp6("fd00::5", "2001:db8::53", 5000, 53);
    pkt = exec(ct, ctt_icmp6_error("2001:db8::fe", "2001:db8:ff::1",
                                   ICMP6_DST_UNREACH, 4, inner, 1000), &a,
               TRK | REL | RPL | DNAT);
    assert_same_packet(pkt, ctt_icmp6_error("2001:db8::fe", "fd00::5",
                                            ICMP6_DST_UNREACH, 4, einner,
                                            1000));
    dp_packet_delete(inner);
    dp_packet_delete(einner);

    inner = ctt_udp6("2001:db8::53", "fd00::5", 53, 5000);
    einner = ctt_udp6("2001:db8::53", "2001:db8:ff::1", 53, 10000);
    pkt = exec(ct, ctt_icmp6_error("fd00::5", "2001:db8::53",
                                   ICMP6_PACKET_TOO_BIG, 0, inner, 1000), &a,
               TRK | REL | SNAT);
    assert_same_packet(pkt, ctt_icmp6_error("2001:db8:ff::1", "2001:db8::53",
                                            ICMP6_PACKET_TOO_BIG, 0, einner,
                                            1000));
    dp_packet_delete(inner);
    dp_packet_delete(einner);
    ct_destroy(ct);
}

static void
nat_check(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_snat_basic();
    test_dnat();
    test_exhaustion();
    test_expired_holder();
    test_big_range_full();
    test_flags();
    test_zero_snat();
    test_icmp_nat();
    printf("ct-nat: all tests passed\n");
}

static void
related_check(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_related4();
    test_ipv6();
    printf("ct-related: all tests passed\n");
}

static void
cmd_test_snat_basic(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_snat_basic();
}

static void
cmd_test_dnat(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_dnat();
}

static void
cmd_test_exhaustion(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_exhaustion();
}

static void
cmd_test_expired_holder(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_expired_holder();
}

static void
cmd_test_big_range_full(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_big_range_full();
}

static void
cmd_test_flags(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_flags();
}

static void
cmd_test_zero_snat(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_zero_snat();
}

static void
cmd_test_icmp_nat(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_icmp_nat();
}

static void
cmd_test_related4(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_related4();
}

static void
cmd_test_ipv6(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_ipv6();
}

static void
ct_nat_main(int argc, char *argv[])
{
    static const struct ctdp_test_subcmd cmds[] = {
        { "check", nat_check },
        { "snat", cmd_test_snat_basic },
        { "dnat", cmd_test_dnat },
        { "exhaustion", cmd_test_exhaustion },
        { "expired-holder", cmd_test_expired_holder },
        { "full-range", cmd_test_big_range_full },
        { "flags", cmd_test_flags },
        { "zero-snat", cmd_test_zero_snat },
        { "icmp", cmd_test_icmp_nat },
        { NULL, NULL },
    };

    ctdp_test_dispatch("ct-nat", cmds, argc, argv);
}

static void
ct_related_main(int argc, char *argv[])
{
    static const struct ctdp_test_subcmd cmds[] = {
        { "check", related_check },
        { "ipv4", cmd_test_related4 },
        { "ipv6", cmd_test_ipv6 },
        { NULL, NULL },
    };

    ctdp_test_dispatch("ct-related", cmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-nat", ct_nat_main);
CTDP_TEST_REGISTER("ct-related", ct_related_main);
