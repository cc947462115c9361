/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Unit tests of saving and restoring the connection table: round trips of
 * every kind of connection (compared with the dump of the original table
 * and by how packets behave afterwards), NAT bindings, timeouts, limits,
 * damaged files, and a save racing with commits. */

#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ct.h"
#include "ct-dpif.h"
#include "ct-persist.h"
#include "ct-test-packets.h"
#include "ctdp-test.h"
#include "dp-packet.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "ovs-thread.h"
#include "packets.h"
#include "util.h"

#define TRK CS_TRACKED
#define NEW CS_NEW
#define EST CS_ESTABLISHED
#define RPL CS_REPLY_DIR
#define INV CS_INVALID
#define SNAT CS_SRC_NAT
#define DNAT CS_DST_NAT

static const struct ct_nat_spec nat_apply = { .flags = 0 };

static void
put_be32(uint8_t *p, uint32_t v)
{
    ovs_be32 be = htonl(v);
    memcpy(p, &be, 4);
}

static void
put16_be(uint8_t *p, uint16_t v)
{
    ovs_be16 be = htons(v);
    memcpy(p, &be, 2);
}

static char *
tmp_path(const char *name)
{
    return xasprintf("ct-persist-%ld-%s.db", (long) getpid(), name);
}

/* Runs 'pkt' through 'ct', frees it, returns its state. */
static uint8_t
run(struct ct *ct, struct dp_packet *pkt, const struct ct_exec *args)
{
    uint8_t state = ctt_exec1(ct, pkt, args);

    dp_packet_delete(pkt);
    return state;
}

static void
assert_same_dump(struct ct *a, long long now_a, struct ct *b,
                 long long now_b)
{
    char *da = ctt_dump(a, NULL, now_a, true);
    char *db = ctt_dump(b, NULL, now_b, true);

    if (strcmp(da, db)) {
        fprintf(stderr, "before save:\n%s\nafter restore:\n%s\n", da, db);
        CT_ASSERT(!"dumps differ");
    }
    free(da);
    free(db);
}

static void
save_ok(struct ct *ct, const char *path, long long now)
{
    struct ds err = DS_EMPTY_INITIALIZER;
    int error = ct_save(ct, path, now, &err);

    if (error) {
        fprintf(stderr, "%s\n", ds_cstr(&err));
    }
    CT_ASSERT_EQ(error, 0);
    CT_ASSERT(access(path, F_OK) == 0);
    ds_destroy(&err);
}

static struct ct *
restore_ok(const char *path, long long now, uint64_t expected)
{
    struct ds err = DS_EMPTY_INITIALIZER;
    struct ct *ct = ct_create(NULL);
    struct ct_restore_stats st;
    int error = ct_restore_ext(ct, path, now, &err, &st);

    if (error) {
        fprintf(stderr, "%s\n", ds_cstr(&err));
    }
    CT_ASSERT_EQ(error, 0);
    CT_ASSERT_EQ(st.n_records, expected);
    CT_ASSERT_EQ(st.n_restored, expected);
    CT_ASSERT_EQ(ct_get_nconns(ct), expected);
    ds_destroy(&err);
    return ct;
}

/* Round trip of UDP, ICMP, generic, IPv4 and IPv6, zones, marks, labels
 * and a timeout policy. */
static void
test_roundtrip(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 1000);
    struct ct_exec c6 = ctt_args(0, true, 1000);
    uint32_t mark[2] = { 0x1234, UINT32_MAX };
    ovs_u128 label[2] = { { .u64 = { .lo = 0xabcdef, .hi = 0x42 } },
                          { .u64 = { .lo = UINT64_MAX, .hi = UINT64_MAX } } };
    char *path = tmp_path("roundtrip");
    struct ct *ct2, *ct3;

    c6.dl_type = htons(ETH_TYPE_IPV6);

    /* UDP seen both ways. */
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 53), &c),
                 TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.2", "10.0.0.1", 53, 1000), &c),
                 TRK | EST | RPL);
    /* ICMP echo, IPv6 UDP and ICMPv6 echo, generic protocol. */
    CT_ASSERT_EQ(run(ct, ctt_icmp4("10.0.0.1", "10.0.0.3", ICMP4_ECHO_REQUEST,
                                   0, 77), &c), TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_udp6("2001:db8::1", "2001:db8::2", 5, 6), &c6),
                 TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_icmp6("2001:db8::1", "2001:db8::2",
                                   ICMP6_ECHO_REQUEST, 0, 9), &c6),
                 TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_proto4("10.0.0.1", "10.0.0.2", 47), &c),
                 TRK | NEW);
    /* Zone 5 with mark and label; zone 9 with all-ones mark and label. */
    c.zone = 5;
    c.set_mark = mark;
    c.set_label = label;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 53), &c),
                 TRK | NEW);
    c.zone = 9;
    mark[0] = UINT32_MAX;
    label[0] = label[1];
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1000, 53), &c),
                 TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 7);

    save_ok(ct, path, 4000);
    /* The temporary file is gone. */
    {
        char *tmp = xasprintf("%s.tmp", path);
        CT_ASSERT(access(tmp, F_OK) != 0);
        free(tmp);
    }

    /* Same time: identical dump (tuples, zones, marks, labels, timeouts). */
    ct2 = restore_ok(path, 4000, 7);
    assert_same_dump(ct, 4000, ct2, 4000);
    /* Later clock: the remaining time is kept. */
    ct3 = restore_ok(path, 1000000, 7);
    assert_same_dump(ct, 4000, ct3, 1000000);

    /* Zone 5's mark and label come back on its packets. */
    {
        struct ct_exec a = ctt_args(5, false, 1000000);
        struct dp_packet *pkt = ctt_udp4("10.0.0.2", "10.0.0.1", 53, 1000);

        CT_ASSERT_EQ(ctt_exec1(ct3, pkt, &a), TRK | EST | RPL);
        CT_ASSERT_EQ(pkt->md.ct_mark, 0x1234);
        CT_ASSERT(pkt->md.ct_label.u64.lo == 0xabcdef
                  && pkt->md.ct_label.u64.hi == 0x42);
        CT_ASSERT_EQ(pkt->md.ct_zone, 5);
        dp_packet_delete(pkt);
    }
    /* The ICMP echo reply is a reply in the restored table. */
    {
        struct ct_exec a = ctt_args(0, false, 1000000);

        CT_ASSERT_EQ(run(ct3, ctt_icmp4("10.0.0.3", "10.0.0.1",
                                        ICMP4_ECHO_REPLY, 0, 77), &a),
                     TRK | EST | RPL);
    }

    ct_destroy(ct);
    ct_destroy(ct2);
    ct_destroy(ct3);
    unlink(path);
    free(path);
}

/* Number of connections a dump at 'now' shows (expired ones are not). */
static int
dump_lines(struct ct *ct, long long now)
{
    char *s = ctt_dump(ct, NULL, now, false);
    int n = 0;

    for (const char *p = s; *p; p++) {
        n += *p == '\n';
    }
    free(s);
    return n;
}

/* Remaining timeouts: a connection with a 10 s policy, saved 3 s after its
 * creation, lives 7 s after the restore. */
static void
test_timeouts(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 1000);
    struct ct_dpif_timeout_policy tp;
    char *path = tmp_path("timeouts");
    struct ct *ct2;

    memset(&tp, 0, sizeof tp);
    tp.id = 7;
    tp.present = ((1u << CT_DPIF_TP_ATTR_UDP_FIRST)
                  | (1u << CT_DPIF_TP_ATTR_UDP_SINGLE));
    tp.attrs[CT_DPIF_TP_ATTR_UDP_FIRST] = 10;
    tp.attrs[CT_DPIF_TP_ATTR_UDP_SINGLE] = 10;
    CT_ASSERT_EQ(ct_timeout_policy_set(ct, &tp), 0);
    c.tp_id = 7;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1, 2), &c),
                 TRK | NEW);

    /* Saving after expiry writes nothing. */
    save_ok(ct, path, 11000);
    ct2 = restore_ok(path, 0, 0);
    ct_destroy(ct2);

    save_ok(ct, path, 4000);
    ct2 = restore_ok(path, 50000, 1);
    CT_ASSERT_EQ(ct_timeout_policy_set(ct2, &tp), 0);
    CT_ASSERT_EQ(dump_lines(ct2, 56999), 1);
    CT_ASSERT_EQ(dump_lines(ct2, 57000), 0);

    /* The policy id survives: a second packet in the same direction (still
     * +new, the state becomes "multiple") refreshes with policy 7's 10 s,
     * not the default 60 s. */
    ct_destroy(ct2);
    ct2 = restore_ok(path, 50000, 1);
    CT_ASSERT_EQ(ct_timeout_policy_set(ct2, &tp), 0);
    c.now = 52000;
    c.tp_id = 0;
    CT_ASSERT_EQ(run(ct2, ctt_udp4("10.0.0.1", "10.0.0.2", 1, 2), &c),
                 TRK | NEW);
    CT_ASSERT_EQ(dump_lines(ct2, 61999), 1);
    CT_ASSERT_EQ(dump_lines(ct2, 62000), 0);

    ct_destroy(ct);
    ct_destroy(ct2);
    unlink(path);
    free(path);
}

/* TCP window state: after the restore, in-window and out-of-window segments
 * get the same verdicts as in the original table. */
static void
test_tcp(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 1000);
    char *path = tmp_path("tcp");
    struct ct *ct2;

    CT_ASSERT_EQ(run(ct, ctt_tcp4("10.0.0.1", "10.0.0.2", 1234, 80, TCP_SYN,
                                  1000, 0, 1000, 0), &c), TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_tcp4("10.0.0.2", "10.0.0.1", 80, 1234,
                                  TCP_SYN | TCP_ACK, 5000, 1001, 2000, 0),
                     &c), TRK | EST | RPL);
    CT_ASSERT_EQ(run(ct, ctt_tcp4("10.0.0.1", "10.0.0.2", 1234, 80, TCP_ACK,
                                  1001, 5001, 1000, 100), &c), TRK | EST);

    save_ok(ct, path, 2000);
    ct2 = restore_ok(path, 2000, 1);
    assert_same_dump(ct, 2000, ct2, 2000);

    for (int i = 0; i < 2; i++) {
        struct ct *t = i ? ct2 : ct;

        /* Next segment in order: accepted. */
        CT_ASSERT_EQ(run(t, ctt_tcp4("10.0.0.1", "10.0.0.2", 1234, 80,
                                     TCP_ACK, 1101, 5001, 1000, 100), &c),
                     TRK | EST);
        /* Acknowledged by the server: accepted. */
        CT_ASSERT_EQ(run(t, ctt_tcp4("10.0.0.2", "10.0.0.1", 80, 1234,
                                     TCP_ACK, 5001, 1201, 2000, 0), &c),
                     TRK | EST | RPL);
        /* Far beyond the window the server advertised: invalid. */
        CT_ASSERT_EQ(run(t, ctt_tcp4("10.0.0.1", "10.0.0.2", 1234, 80,
                                     TCP_ACK, 1201 + 1000000, 5001, 1000,
                                     100), &c), TRK | INV);
    }
    assert_same_dump(ct, 3000, ct2, 3000);

    ct_destroy(ct);
    ct_destroy(ct2);
    unlink(path);
    free(path);
}

/* An SCTP packet between ports 5000 (10.0.0.1) and 3000 (10.0.0.2), from
 * the client unless 'reply', with tag 'vtag' and one chunk of 'type' (INIT
 * and INIT ACK carry 'itag'), checksums marked good. */
static struct dp_packet *
sctp4(bool reply, uint32_t vtag, uint8_t type, uint32_t itag)
{
    uint8_t l4[32];
    struct dp_packet *pkt;

    memset(l4, 0, sizeof l4);
    put16_be(l4, reply ? 3000 : 5000);
    put16_be(l4 + 2, reply ? 5000 : 3000);
    put_be32(l4 + 4, vtag);
    l4[12] = type;
    put16_be(l4 + 14, 20);              /* Chunk length. */
    put_be32(l4 + 16, itag);            /* INIT: initiate tag. */
    put_be32(l4 + 20, 65536);           /* a_rwnd. */
    put16_be(l4 + 24, 1);               /* Outbound streams. */
    put16_be(l4 + 26, 1);               /* Inbound streams. */
    put_be32(l4 + 28, 1);               /* Initial TSN. */
    pkt = ctt_ip4_raw(ctt_ip4(reply ? "10.0.0.2" : "10.0.0.1"),
                      ctt_ip4(reply ? "10.0.0.1" : "10.0.0.2"), IPPROTO_SCTP,
                      l4, sizeof l4);
    ctt_csum_good(pkt);
    return pkt;
}

/* SCTP: state and both tags survive; a packet with a wrong tag stays
 * invalid after the restore. */
static void
test_sctp(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    const uint32_t ctag = 0x11223344, stag = 0x55667788;
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 1000);
    char *path = tmp_path("sctp");
    struct ct *ct2;

    CT_ASSERT_EQ(run(ct, sctp4(false, 0, 1, ctag), &c),
                 TRK | NEW);
    CT_ASSERT_EQ(run(ct, sctp4(true, ctag, 2, stag), &c),
                 TRK | EST | RPL);
    CT_ASSERT_EQ(run(ct, sctp4(false, stag, 10, 0), &c),
                 TRK | EST);
    CT_ASSERT_EQ(run(ct, sctp4(true, ctag, 11, 0), &c),
                 TRK | EST | RPL);

    save_ok(ct, path, 2000);
    ct2 = restore_ok(path, 2000, 1);
    assert_same_dump(ct, 2000, ct2, 2000);
    for (int i = 0; i < 2; i++) {
        struct ct *t = i ? ct2 : ct;

        /* DATA with the server's tag from the client: accepted. */
        CT_ASSERT_EQ(run(t, sctp4(false, stag, 0, 0), &c),
                     TRK | EST);
        /* DATA with the client's own tag: not this association's. */
        CT_ASSERT_EQ(run(t, sctp4(false, ctag, 0, 0), &c),
                     TRK | INV);
    }
    ct_destroy(ct);
    ct_destroy(ct2);
    unlink(path);
    free(path);
}

/* SNAT and DNAT bindings come back exactly, translate replies, and keep
 * their ports from new connections. */
static void
test_nat(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 1000);
    struct ct_exec a = ctt_args(0, false, 1000);
    struct ct_nat_spec snat, dnat;
    char *path = tmp_path("nat");
    struct dp_packet *pkt;
    struct ct *ct2;

    memset(&snat, 0, sizeof snat);
    snat.flags = CT_NAT_SRC;
    snat.min_addr.ipv4 = snat.max_addr.ipv4 = ctt_ip4("192.0.2.1");
    snat.min_port = snat.max_port = 1024;
    memset(&dnat, 0, sizeof dnat);
    dnat.flags = CT_NAT_DST;
    dnat.min_addr.ipv4 = dnat.max_addr.ipv4 = ctt_ip4("172.16.0.5");
    dnat.min_port = dnat.max_port = 8080;
    a.nat = &nat_apply;

    c.nat = &snat;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "8.8.8.8", 5000, 53), &c),
                 TRK | NEW | SNAT);
    c.nat = &dnat;
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "192.0.2.100", 6000, 80), &c),
                 TRK | NEW | DNAT);

    save_ok(ct, path, 2000);
    ct2 = restore_ok(path, 2000, 2);
    assert_same_dump(ct, 2000, ct2, 2000);
    ct_destroy(ct);

    /* SNAT reply: back to the client. */
    pkt = ctt_udp4("8.8.8.8", "192.0.2.1", 53, 1024);
    CT_ASSERT_EQ(ctt_exec1(ct2, pkt, &a), TRK | EST | RPL | DNAT);
    CT_ASSERT(ctt_ip4_dst(pkt) == ctt_ip4("10.0.0.1"));
    CT_ASSERT_EQ(ctt_l4_dport(pkt), 5000);
    CT_ASSERT(ctt_csums_ok(pkt));
    dp_packet_delete(pkt);
    /* SNAT original direction: translated again. */
    pkt = ctt_udp4("10.0.0.1", "8.8.8.8", 5000, 53);
    CT_ASSERT_EQ(ctt_exec1(ct2, pkt, &a), TRK | EST | SNAT);
    CT_ASSERT(ctt_ip4_src(pkt) == ctt_ip4("192.0.2.1"));
    CT_ASSERT_EQ(ctt_l4_sport(pkt), 1024);
    dp_packet_delete(pkt);

    /* DNAT: forward to the backend, reply from it. */
    pkt = ctt_udp4("10.0.0.1", "192.0.2.100", 6000, 80);
    /* No reply seen yet: still +new, as before the save. */
    CT_ASSERT_EQ(ctt_exec1(ct2, pkt, &a), TRK | NEW | DNAT);
    CT_ASSERT(ctt_ip4_dst(pkt) == ctt_ip4("172.16.0.5"));
    CT_ASSERT_EQ(ctt_l4_dport(pkt), 8080);
    dp_packet_delete(pkt);
    pkt = ctt_udp4("172.16.0.5", "10.0.0.1", 8080, 6000);
    CT_ASSERT_EQ(ctt_exec1(ct2, pkt, &a), TRK | EST | RPL | SNAT);
    CT_ASSERT(ctt_ip4_src(pkt) == ctt_ip4("192.0.2.100"));
    CT_ASSERT_EQ(ctt_l4_sport(pkt), 80);
    CT_ASSERT(ctt_csums_ok(pkt));
    dp_packet_delete(pkt);

    /* The only port of the SNAT range is held by the restored binding: a
     * new client to the same server finds no free tuple... */
    c.nat = &snat;
    CT_ASSERT_EQ(run(ct2, ctt_udp4("10.0.0.7", "8.8.8.8", 5000, 53), &c),
                 TRK | INV);
    CT_ASSERT_EQ(ct_get_nconns(ct2), 2);
    /* ...while in an empty table the same commit succeeds. */
    ct = ct_create(NULL);
    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.7", "8.8.8.8", 5000, 53), &c),
                 TRK | NEW | SNAT);
    ct_destroy(ct);

    ct_destroy(ct2);
    unlink(path);
    free(path);
}

/* Limits: refused connections are counted and reported with ENOSPC. */
static void
test_limits(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(5, true, 1000);
    struct ds err = DS_EMPTY_INITIALIZER;
    char *path = tmp_path("limits");
    struct ct_restore_stats st;
    struct ct *ct2;

    for (int i = 0; i < 4; i++) {
        CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 100 + i, 53),
                         &c), TRK | NEW);
    }
    c.zone = 6;
    for (int i = 0; i < 3; i++) {
        CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 100 + i, 53),
                         &c), TRK | NEW);
    }
    save_ok(ct, path, 1000);

    /* Zone 5 may hold 1: 3 refused. */
    ct2 = ct_create(NULL);
    CT_ASSERT_EQ(ct_zone_limit_set(ct2, 5, 1), 0);
    CT_ASSERT_EQ(ct_restore_ext(ct2, path, 1000, &err, &st), ENOSPC);
    CT_ASSERT(strstr(ds_cstr(&err), "restored 4 of 7"));
    CT_ASSERT_EQ(st.n_records, 7);
    CT_ASSERT_EQ(st.n_restored, 4);
    CT_ASSERT_EQ(st.n_limit, 3);
    CT_ASSERT_EQ(st.n_clash, 0);
    CT_ASSERT_EQ(ct_get_nconns(ct2), 4);

    /* Restoring again: zone 5 is full (its limit is checked first, as for
     * a commit), zone 6's tuples are taken. */
    ds_clear(&err);
    CT_ASSERT_EQ(ct_restore_ext(ct2, path, 1000, &err, &st), ENOSPC);
    CT_ASSERT_EQ(st.n_restored, 0);
    CT_ASSERT_EQ(st.n_limit, 4);
    CT_ASSERT_EQ(st.n_clash, 3);
    CT_ASSERT_EQ(ct_get_nconns(ct2), 4);
    ct_destroy(ct2);

    /* Global limit 5. */
    ct2 = ct_create(&(struct ct_config) { .max_conns = 5 });
    ds_clear(&err);
    CT_ASSERT_EQ(ct_restore_ext(ct2, path, 1000, &err, &st), ENOSPC);
    CT_ASSERT_EQ(st.n_restored, 5);
    CT_ASSERT_EQ(st.n_limit, 2);
    CT_ASSERT_EQ(ct_get_nconns(ct2), 5);
    ct_destroy(ct2);

    ds_destroy(&err);
    ct_destroy(ct);
    unlink(path);
    free(path);
}

static void
write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    CT_ASSERT(f);
    CT_ASSERT_EQ(fwrite(data, 1, len, f), len);
    CT_ASSERT_EQ(fclose(f), 0);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = xmalloc(4096);

    CT_ASSERT(f);
    *len = fread(buf, 1, 4096, f);
    CT_ASSERT(*len < 4096);
    fclose(f);
    return buf;
}

/* Restores 'path' into a fresh table, expecting 'error' with 'msg' in the
 * message and an empty table. */
static void
restore_fails(const char *path, int error, const char *msg)
{
    struct ds err = DS_EMPTY_INITIALIZER;
    struct ct *ct = ct_create(NULL);
    int got = ct_restore(ct, path, 1000, &err);

    if (got != error || (msg && !strstr(ds_cstr(&err), msg))) {
        fprintf(stderr, "expected error %d (%s), got %d: %s\n", error,
                msg ? msg : "", got, ds_cstr(&err));
        CT_ASSERT(!"unexpected restore result");
    }
    CT_ASSERT(strstr(ds_cstr(&err), path));
    CT_ASSERT_EQ(ct_get_nconns(ct), 0);
    ds_destroy(&err);
    ct_destroy(ct);
}


/* Damaged files of every kind. */
static void
test_corrupt(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 1000);
    char *path = tmp_path("corrupt");
    char *bad = tmp_path("corrupt-bad");
    uint8_t *data, *copy;
    size_t len;

    CT_ASSERT_EQ(run(ct, ctt_udp4("10.0.0.1", "10.0.0.2", 1, 2), &c),
                 TRK | NEW);
    CT_ASSERT_EQ(run(ct, ctt_tcp4("10.0.0.1", "10.0.0.2", 3, 4, TCP_SYN,
                                  1, 0, 1000, 0), &c), TRK | NEW);
    save_ok(ct, path, 1000);
    ct_destroy(ct);
    data = read_file(path, &len);
    CT_ASSERT_EQ(len, CT_PERSIST_HDR_LEN + 2 * CT_PERSIST_REC_LEN);
    copy = xmalloc(len);

    /* Missing and empty. */
    unlink(bad);
    restore_fails(bad, ENOENT, "cannot open");
    write_file(bad, data, 0);
    restore_fails(bad, EINVAL, "empty");

    /* Every cut. */
    for (size_t cut = 1; cut < len; cut++) {
        write_file(bad, data, cut);
        restore_fails(bad, EINVAL, cut < CT_PERSIST_HDR_LEN
                      ? "truncated header" : "does not match");
    }
    /* Trailing garbage. */
    memcpy(copy, data, len);
    write_file(bad, data, len);
    {
        FILE *f = fopen(bad, "ab");
        fputc(0, f);
        fclose(f);
    }
    restore_fails(bad, EINVAL, "does not match");

    /* Every flipped byte.  The version field gives ENOTSUP. */
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, data, len);
        copy[i] ^= 0x20;
        write_file(bad, copy, len);
        restore_fails(bad, i >= 8 && i < 12 ? ENOTSUP : EINVAL, NULL);
    }

    /* Wrong version. */
    memcpy(copy, data, len);
    put_be32(copy + 8, CT_PERSIST_VERSION + 1);
    write_file(bad, copy, len);
    restore_fails(bad, ENOTSUP, "unsupported format version 2");

    /* Bad magic, record length, count. */
    memcpy(copy, data, len);
    copy[0] = 'X';
    write_file(bad, copy, len);
    restore_fails(bad, EINVAL, "bad magic");
    memcpy(copy, data, len);
    put_be32(copy + 12, CT_PERSIST_REC_LEN + 8);
    write_file(bad, copy, len);
    restore_fails(bad, EINVAL, "bad record length");
    memcpy(copy, data, len);
    put_be32(copy + 20, 3);
    write_file(bad, copy, len);
    restore_fails(bad, EINVAL, "does not match record count 3");

    /* A checksum error names itself. */
    memcpy(copy, data, len);
    copy[len - 1] ^= 1;
    write_file(bad, copy, len);
    restore_fails(bad, EINVAL, "checksum mismatch");

    /* Impossible field values with a correct checksum: the second record
     * (UDP or TCP) gets, one at a time, a NAT action that does not exist, a
     * remaining time of zero, source port 0 in both tuples (which no packet
     * has), and an SNAT action with a reply tuple whose source (the
     * original destination) changed, which only DNAT does. */
    static const char *const impossible[] = {
        "record 1: bad NAT action",
        "record 1: bad remaining time",
        "record 1: tuple that no packet has",
        "record 1: reply tuple that the NAT action cannot give",
    };
    for (int k = 0; k < ARRAY_SIZE(impossible); k++) {
        uint8_t *rec = copy + CT_PERSIST_HDR_LEN + CT_PERSIST_REC_LEN;
        uint32_t h = 0;

        memcpy(copy, data, len);
        if (k == 0) {
            rec[1] = 3;
        } else if (k == 1) {
            memset(rec + 16, 0, 8);
        } else if (k == 2) {
            memset(rec + 40 + 32, 0, 2);      /* Original source port. */
            memset(rec + 80 + 34, 0, 2);      /* Reply destination port. */
        } else {
            rec[0] |= 2;                      /* Translated reply tuple. */
            rec[1] = CT_NAT_SRC;
            rec[80 + 3] ^= 1;                 /* Reply source address. */
        }
        for (int r = 0; r < 2; r++) {
            h = hash_bytes(copy + CT_PERSIST_HDR_LEN + r * CT_PERSIST_REC_LEN,
                           CT_PERSIST_REC_LEN, h);
        }
        put_be32(copy + 24, h);
        write_file(bad, copy, len);
        restore_fails(bad, EINVAL, impossible[k]);
    }

    /* The intact file still restores. */
    ct = restore_ok(path, 1000, 2);
    ct_destroy(ct);

    /* A failed save leaves no file. */
    {
        struct ds err = DS_EMPTY_INITIALIZER;

        ct = ct_create(NULL);
        CT_ASSERT_EQ(ct_save(ct, "/nonexistent-dir/x.db", 0, &err), ENOENT);
        CT_ASSERT(strstr(ds_cstr(&err), "cannot create"));
        ds_destroy(&err);
        ct_destroy(ct);
    }

    free(copy);
    free(data);
    unlink(bad);
    unlink(path);
    free(bad);
    free(path);
}

/* Save while another thread commits. */
#define N_RACE 20000

struct race {
    struct ct *ct;
    atomic_bool done;
};

static void *
committer_main(void *r_)
{
    struct race *r = r_;
    struct ct_exec c = ctt_args(0, true, 1000);

    for (int i = 0; i < N_RACE; i++) {
        char src[32];

        snprintf(src, sizeof src, "10.%d.%d.1", i / 256, i % 256);
        CT_ASSERT_EQ(run(r->ct, ctt_udp4(src, "10.255.0.1", 1, 2), &c),
                     TRK | NEW);
    }
    atomic_store(&r->done, true);
    return NULL;
}

static void
test_concurrent(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct race r = { .ct = ct_create(NULL) };
    char *path = tmp_path("concurrent");
    pthread_t thread;
    int n_saves = 0;
    bool done;

    atomic_init(&r.done, false);
    thread = ovs_thread_create("ct_persist_commit", committer_main, &r);
    do {
        uint32_t before, after;
        uint64_t saved;
        struct ct *ct2;

        atomic_read(&r.done, &done);
        before = ct_get_nconns(r.ct);
        CT_ASSERT_EQ(ct_save_ext(r.ct, path, 1000, NULL, &saved), 0);
        after = ct_get_nconns(r.ct);
        CT_ASSERT(saved >= before && saved <= after);
        ct2 = restore_ok(path, 1000, saved);
        ct_destroy(ct2);
        n_saves++;
    } while (!done);
    xpthread_join(thread, NULL);
    CT_ASSERT(n_saves >= 1);

    /* Everything is there at the end. */
    save_ok(r.ct, path, 1000);
    {
        struct ct *ct2 = restore_ok(path, 1000, N_RACE);

        assert_same_dump(r.ct, 1000, ct2, 1000);
        ct_destroy(ct2);
    }
    ct_destroy(r.ct);
    unlink(path);
    free(path);
}

static void
persist_check(int argc, char *argv[])
{
    test_roundtrip(argc, argv);
    test_timeouts(argc, argv);
    test_tcp(argc, argv);
    test_sctp(argc, argv);
    test_nat(argc, argv);
    test_limits(argc, argv);
    test_corrupt(argc, argv);
    test_concurrent(argc, argv);
}

static void
ct_persist_main(int argc, char *argv[])
{
    static const struct ctdp_test_subcmd cmds[] = {
        { "check", persist_check },
        { "roundtrip", test_roundtrip },
        { "timeouts", test_timeouts },
        { "tcp", test_tcp },
        { "sctp", test_sctp },
        { "nat", test_nat },
        { "limits", test_limits },
        { "corrupt", test_corrupt },
        { "concurrent", test_concurrent },
        { NULL, NULL },
    };

    ctdp_test_dispatch("ct-persist", cmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-persist", ct_persist_main);
