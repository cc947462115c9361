/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Unit tests of connection limits: the global limit, per-zone and default
 * zone limits with live counts, and early drop of connections that never
 * saw a reply. */

#include <config.h>
#include <errno.h>
#include "ct.h"
#include "ct-test-packets.h"
#include "ctdp-test.h"
#include "dp-packet.h"
#include "packets.h"
#include "util.h"

#define TRK CS_TRACKED
#define NEW CS_NEW
#define EST CS_ESTABLISHED
#define RPL CS_REPLY_DIR

/* Commits a UDP connection from 10.<zone>.0.<i> and returns the state. */
static uint8_t
commit(struct ct *ct, uint16_t zone, int i, bool reply)
{
    struct ct_exec c = ctt_args(zone, true, 0);
    char client[32];
    struct dp_packet *pkt;
    uint8_t state;

    snprintf(client, sizeof client, "10.%d.%d.%d", zone, i / 250, i % 250);
    pkt = ctt_udp4(client, "8.8.8.8", 1000, 53);
    state = ctt_exec1(ct, pkt, &c);
    dp_packet_delete(pkt);
    if (reply && state == (TRK | NEW)) {
        pkt = ctt_udp4("8.8.8.8", client, 53, 1000);
        CT_ASSERT_EQ(ctt_exec1(ct, pkt, &c), TRK | EST | RPL);
        dp_packet_delete(pkt);
    }
    return state;
}

/* Sends a reply-direction packet for connection 'i' of 'zone' without
 * commit and returns its state. */
static uint8_t
reply_only(struct ct *ct, uint16_t zone, int i)
{
    struct ct_exec a = ctt_args(zone, false, 0);
    char client[32];
    struct dp_packet *pkt;
    uint8_t state;

    snprintf(client, sizeof client, "10.%d.%d.%d", zone, i / 250, i % 250);
    pkt = ctt_udp4("8.8.8.8", client, 53, 1000);
    state = ctt_exec1(ct, pkt, &a);
    dp_packet_delete(pkt);
    return state;
}

static void
test_global_limit(void)
{
    struct ct *ct = ct_create(&(struct ct_config) { .max_conns = 10,
                                                    .n_shards = 1 });
    struct ct_stats st;
    int gone = 0;

    CT_ASSERT_EQ(ct_get_maxconns(ct), 10);
    /* Five assured connections, five that never saw a reply. */
    for (int i = 0; i < 10; i++) {
        CT_ASSERT_EQ(commit(ct, 0, i, i < 5), TRK | NEW);
    }
    CT_ASSERT_EQ(ct_get_nconns(ct), 10);

    /* Full: one of the unreplied ones makes room. */
    CT_ASSERT_EQ(commit(ct, 0, 10, false), TRK | NEW);
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.early_drops, 1);
    CT_ASSERT_EQ(st.limit_drops, 0);
    CT_ASSERT_EQ(st.n_conns, 10);
    for (int i = 0; i < 5; i++) {
        CT_ASSERT_EQ(reply_only(ct, 0, i), TRK | EST | RPL);
    }
    /* Replies make the others assured, except the evicted one. */
    for (int i = 5; i <= 10; i++) {
        uint8_t state = reply_only(ct, 0, i);

        CT_ASSERT(state == (TRK | EST | RPL) || state == (TRK | NEW));
        gone += state == (TRK | NEW);
    }
    CT_ASSERT_EQ(gone, 1);

    /* Everything is assured: the commit is refused, the packet stays
     * +new. */
    CT_ASSERT_EQ(commit(ct, 0, 100, false), TRK | NEW);
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.early_drops, 1);
    CT_ASSERT_EQ(st.limit_drops, 1);
    CT_ASSERT_EQ(st.n_conns, 10);

    /* A higher limit lets it in. */
    CT_ASSERT_EQ(ct_set_maxconns(ct, 11), 0);
    CT_ASSERT_EQ(commit(ct, 0, 100, false), TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 11);
    /* A limit of 0 admits nothing (as Open vSwitch). */
    CT_ASSERT_EQ(ct_set_maxconns(ct, 0), 0);
    ct_flush(ct, NULL);
    CT_ASSERT_EQ(commit(ct, 0, 1, false), TRK | NEW);
    CT_ASSERT_EQ(ct_get_nconns(ct), 0);
    ct_destroy(ct);
}

static void
test_zone_limits(void)
{
    struct ct *ct = ct_create(&(struct ct_config) { .max_conns = 1000,
                                                    .n_shards = 1 });
    uint32_t limit, count;
    struct ct_stats st;

    CT_ASSERT_EQ(ct_zone_limit_set(ct, 70000, 1), EINVAL);
    CT_ASSERT_EQ(ct_zone_limit_set(ct, -2, 1), EINVAL);
    ct_zone_limit_get(ct, 1, &limit, &count);
    CT_ASSERT_EQ(limit, 0);
    CT_ASSERT_EQ(count, 0);

    CT_ASSERT_EQ(ct_zone_limit_set(ct, 1, 3), 0);
    for (int i = 0; i < 3; i++) {
        CT_ASSERT_EQ(commit(ct, 1, i, true), TRK | NEW);
    }
    ct_zone_limit_get(ct, 1, &limit, &count);
    CT_ASSERT_EQ(limit, 3);
    CT_ASSERT_EQ(count, 3);
    /* Full and all assured: refused.  Other zones are not limited. */
    CT_ASSERT_EQ(commit(ct, 1, 3, false), TRK | NEW);
    ct_zone_limit_get(ct, 1, &limit, &count);
    CT_ASSERT_EQ(count, 3);
    for (int i = 0; i < 5; i++) {
        CT_ASSERT_EQ(commit(ct, 2, i, false), TRK | NEW);
    }
    ct_zone_limit_get(ct, 2, &limit, &count);
    CT_ASSERT_EQ(limit, 0);
    CT_ASSERT_EQ(count, 5);

    /* Early drop within the zone only: zone 2's unreplied connections are
     * not victims for zone 1. */
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.early_drops, 0);
    CT_ASSERT_EQ(st.limit_drops, 1);

    /* The default limit governs zones without their own. */
    CT_ASSERT_EQ(ct_zone_limit_set(ct, CT_ZONE_DEFAULT, 6), 0);
    CT_ASSERT_EQ(commit(ct, 2, 5, false), TRK | NEW);
    ct_zone_limit_get(ct, 2, &limit, &count);
    CT_ASSERT_EQ(limit, 6);
    CT_ASSERT_EQ(count, 6);
    /* Zone 2 is full of unreplied connections: one is evicted. */
    CT_ASSERT_EQ(commit(ct, 2, 6, false), TRK | NEW);
    ct_zone_limit_get(ct, 2, &limit, &count);
    CT_ASSERT_EQ(count, 6);
    ct_get_stats(ct, &st);
    CT_ASSERT_EQ(st.early_drops, 1);
    ct_zone_limit_get(ct, CT_ZONE_DEFAULT, &limit, &count);
    CT_ASSERT_EQ(limit, 6);
    CT_ASSERT_EQ(count, 6);

    /* Deleting zone 1's limit: the default applies. */
    CT_ASSERT_EQ(ct_zone_limit_del(ct, 1), 0);
    ct_zone_limit_get(ct, 1, &limit, &count);
    CT_ASSERT_EQ(limit, 6);
    CT_ASSERT_EQ(count, 3);
    /* A zone limit of 0 means unlimited. */
    CT_ASSERT_EQ(ct_zone_limit_set(ct, 1, 0), 0);
    ct_zone_limit_get(ct, 1, &limit, &count);
    CT_ASSERT_EQ(limit, 0);
    for (int i = 10; i < 20; i++) {
        CT_ASSERT_EQ(commit(ct, 1, i, true), TRK | NEW);
    }
    ct_zone_limit_get(ct, 1, &limit, &count);
    CT_ASSERT_EQ(count, 13);

    /* Counts follow removals. */
    {
        uint16_t zone = 1;

        ct_flush(ct, &zone);
    }
    ct_zone_limit_get(ct, 1, &limit, &count);
    CT_ASSERT_EQ(count, 0);
    CT_ASSERT_EQ(ct_get_nconns(ct), 6);
    ct_destroy(ct);
}

static void
check(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_global_limit();
    test_zone_limits();
    printf("ct-zone: all tests passed\n");
}

static void
cmd_test_global_limit(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_global_limit();
}

static void
cmd_test_zone_limits(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    test_zone_limits();
}

static void
ct_zone_main(int argc, char *argv[])
{
    static const struct ctdp_test_subcmd cmds[] = {
        { "check", check },
        { "global", cmd_test_global_limit },
        { "zones", cmd_test_zone_limits },
        { NULL, NULL },
    };

    ctdp_test_dispatch("ct-zone", cmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-zone", ct_zone_main);
