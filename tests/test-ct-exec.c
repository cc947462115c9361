/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* TCP through ct_execute(): the engine core with the TCP tracker, window
 * violations, flag checks, checksums, connection reuse, liberal mode, and
 * batches in which one packet creates the connection of the next. */

#include <config.h>
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

#define C "10.0.0.1"
#define S "10.0.0.2"

static uint8_t
tcp(struct ct *ct, const struct ct_exec *args, bool reply, uint16_t flags,
    uint32_t seq, uint32_t ack, size_t len)
{
    struct dp_packet *pkt = (reply
                             ? ctt_tcp4(S, C, 80, 4000, flags, seq, ack,
                                        10000, len)
                             : ctt_tcp4(C, S, 4000, 80, flags, seq, ack,
                                        10000, len));
    uint8_t state = ctt_exec1(ct, pkt, args);

    dp_packet_delete(pkt);
    return state;
}

static void
assert_dump_has(struct ct *ct, const char *needle)
{
    char *s = ctt_dump(ct, NULL, 0, false);

    if (!strstr(s, needle)) {
        fprintf(stderr, "dump lacks '%s':\n%s", needle, s);
        abort();
    }
    free(s);
}

static void
test_handshake(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_exec a = ctt_args(0, false, 0);
    struct ct_stats st;

    /* Segments that may not start a connection. */
    CT_ASSERT_EQ(tcp(ct, &c, false, TCP_SYN | TCP_ACK, 1, 1, 0), TRK | INV);
    CT_ASSERT_EQ(tcp(ct, &c, false, TCP_RST, 1, 0, 0), TRK | INV);
    CT_ASSERT_EQ(tcp(ct, &c, false, TCP_SYN | TCP_FIN, 1, 0, 0), TRK | INV);
    CT_ASSERT_EQ(ct_get_nconns(ct), 0);

    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_SYN, 1000, 0, 0), TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 0);
    CT_ASSERT_EQ(tcp(ct, &c, false, TCP_SYN, 1000, 0, 0), TRK | NEW);
    assert_dump_has(ct, "tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=4000,"
                    "dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,"
                    "dport=4000),timeout=30,protoinfo=(state=SYN_SENT)");
    CT_ASSERT_EQ(tcp(ct, &a, true, TCP_SYN | TCP_ACK, 5000, 1001, 0),
                 TRK | EST | RPL);
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_ACK, 1001, 5001, 0), TRK | EST);
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_ACK | TCP_PSH, 1001, 5001, 100),
                 TRK | EST);
    CT_ASSERT_EQ(tcp(ct, &a, true, TCP_ACK, 5001, 1101, 0),
                 TRK | EST | RPL);
    assert_dump_has(ct, "timeout=86400,protoinfo=(state=ESTABLISHED)");

    /* Far outside the window: invalid, state unchanged. */
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_ACK, 1001 + 3000000, 5001, 10),
                 TRK | INV);
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_ACK, 1101, 5001, 10), TRK | EST);
    /* Impossible flags on an existing connection. */
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_SYN | TCP_FIN, 1111, 5001, 0),
                 TRK | INV);
    /* Liberal mode accepts the out-of-window segment. */
    ct_set_tcp_seq_chk(ct, false);
    CT_ASSERT(!ct_get_tcp_seq_chk(ct));
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_ACK, 1001 + 3000000, 5001, 10),
                 TRK | EST);
    ct_set_tcp_seq_chk(ct, true);
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.invalid, 5);
    ct_destroy(ct);
}

static void
test_close_and_reuse(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 0);
    struct ct_exec a = ctt_args(0, false, 0);

    CT_ASSERT_EQ(tcp(ct, &c, false, TCP_SYN, 1000, 0, 0), TRK | NEW);
    CT_ASSERT_EQ(tcp(ct, &a, true, TCP_SYN | TCP_ACK, 5000, 1001, 0),
                 TRK | EST | RPL);
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_ACK, 1001, 5001, 0), TRK | EST);
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_FIN | TCP_ACK, 1001, 5001, 0),
                 TRK | EST);
    CT_ASSERT_EQ(tcp(ct, &a, true, TCP_ACK, 5001, 1002, 0), TRK | EST | RPL);
    CT_ASSERT_EQ(tcp(ct, &a, true, TCP_FIN | TCP_ACK, 5001, 1002, 0),
                 TRK | EST | RPL);
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_ACK, 1002, 5002, 0), TRK | EST);
    assert_dump_has(ct, "protoinfo=(state=TIME_WAIT)");

    /* A new SYN on the closed 4-tuple ends the old connection and, with
     * commit, starts a new one. */
    CT_ASSERT_EQ(tcp(ct, &c, false, TCP_SYN, 90000, 0, 0), TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 1);
    assert_dump_has(ct, "protoinfo=(state=SYN_SENT)");
    CT_ASSERT_EQ(tcp(ct, &a, true, TCP_SYN | TCP_ACK, 7000, 90001, 0),
                 TRK | EST | RPL);

    /* A RST closes. */
    CT_ASSERT_EQ(tcp(ct, &a, false, TCP_RST, 90001, 0, 0), TRK | EST);
    assert_dump_has(ct, "timeout=30,protoinfo=(state=TIME_WAIT)");
    ct_destroy(ct);
}

static void
test_checksum(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 0);
    struct dp_packet *pkt = ctt_tcp4(C, S, 4000, 80, TCP_SYN, 1, 0, 100, 0);
    struct tcp_header *th = dp_packet_l4(pkt);

    th->tcp_csum ^= htons(0x100);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | INV);
    dp_packet_delete(pkt);

    /* A data offset past the segment. */
    pkt = ctt_tcp4(C, S, 4000, 80, TCP_SYN, 1, 0, 100, 0);
    th = dp_packet_l4(pkt);
    th->tcp_ctl = TCP_CTL(TCP_SYN, 15);
    ctt_csum_good(pkt);
    CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | INV);
    dp_packet_delete(pkt);
    CT_ASSERT_EQ(ct_get_nconns(ct), 0);
    ct_destroy(ct);
}

/* One batch: the SYN commits, the SYN-ACK behind it in the same batch
 * sees the connection. */
static void
test_batch(void)
{
    struct ct *ct = ct_create(NULL);
    struct ct_exec c = ctt_args(0, true, 0);
    struct dp_packet_batch batch;
    struct dp_packet *p[3];

    p[0] = ctt_tcp4(C, S, 4000, 80, TCP_SYN, 1000, 0, 10000, 0);
    p[1] = ctt_tcp4(S, C, 80, 4000, TCP_SYN | TCP_ACK, 5000, 1001, 10000, 0);
    p[2] = ctt_tcp4(C, S, 4000, 80, TCP_ACK, 1001, 5001, 10000, 0);
    dp_packet_batch_init(&batch);
    for (int i = 0; i < 3; i++) {
        dp_packet_batch_add(&batch, p[i]);
    }
    ct_execute(ct, &batch, &c);
    CT_ASSERT_EQ(p[0]->md.ct_state, TRK | NEW);
    CT_ASSERT_EQ(p[1]->md.ct_state, TRK | EST | RPL);
    CT_ASSERT_EQ(p[2]->md.ct_state, TRK | EST);
    CT_ASSERT_EQ(ct_get_nconns(ct), 1);
    for (int i = 0; i < 3; i++) {
        dp_packet_delete(p[i]);
    }
    ct_destroy(ct);
}

static void
check(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_handshake();
    test_close_and_reuse();
    test_checksum();
    test_batch();
    printf("ct-exec: all tests passed\n");
}

static void
cmd_test_handshake(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_handshake();
}

static void
cmd_test_close_and_reuse(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_close_and_reuse();
}

static void
cmd_test_checksum(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_checksum();
}

static void
cmd_test_batch(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_batch();
}

static void
ct_exec_main(int argc, char *argv[])
{
    static const struct ctdp_test_subcmd cmds[] = {
        { "check", check },
        { "handshake", cmd_test_handshake },
        { "close-reuse", cmd_test_close_and_reuse },
        { "checksum", cmd_test_checksum },
        { "batch", cmd_test_batch },
        { NULL, NULL },
    };

    ctdp_test_dispatch("ct-exec", cmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-exec", ct_exec_main);
