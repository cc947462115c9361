/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* libFuzzer harness: raw Ethernet frames through ct_execute().
 *
 * Every input is one ct() action applied to a batch of frames, against one
 * long-lived engine (1000 connections at most, 4 shards) whose state carries
 * over from input to input, as a datapath's does.  A fake clock advances by
 * an input-chosen step after each input and ct_sweep() runs, so that
 * connections expire and the table stays bounded; every 4096 inputs the
 * harness sweeps everything expired and checks the table invariants of
 * fuzz_check_table() exactly (count, unique tuples, zone counts, every
 * connection found from both tuples), and every 16384 inputs it flushes the
 * table.
 *
 * Input layout (missing bytes read as zero):
 *
 *   byte 0  bit 0     commit
 *           bits 1-2  NAT: none, SNAT with a range, DNAT, "nat" without
 *                     arguments
 *           bit 3     force
 *           bits 4-5  dl_type argument: from the frame (0, 1), IPv4 (2),
 *                     IPv6 (3)
 *           bits 6-7  batch: one frame (0), 2-9 copies of it (1), 2-9
 *                     different frames (2), one frame through two ct()
 *                     actions as after a recirculation (3)
 *   byte 1  bits 0-1  zone: 0, 1, 2, 65535
 *           bits 2-4  NAT range, see nat_range(); 7 reads it from the input
 *           bit 5     use NAT flags of byte 2
 *           bit 6     set_mark and set_label
 *   byte 2  bits 0-1  clock step after the input: 0, 1-255 ms, 10 s, 10 min
 *           bits 2-4  NAT flags: random, hash, persistent
 *           bits 5-7  batch 1: number of extra copies; batch 3: the second
 *                     action (bit 5: other zone, bits 6-7: no NAT, the same
 *                     NAT, "nat" without arguments, the same NAT + commit)
 *   byte 3  bits 0-2  receive offload flags (see set_offload())
 *           bit 3     packet arrives marked +inv (as after fragment handling)
 *           bit 4     packet arrives tracked in another zone
 *           bits 5-6  timeout policy id
 *           bit 7     TCP sequence checking off
 *   [NAT range, if byte 1 asks for it and byte 0 for SNAT or DNAT: 36
 *    bytes, minimum and maximum address (16 bytes each, IPv4 in the first
 *    4), minimum and maximum port (big endian)]
 *   batch 2: a count byte, then a length byte before each frame but the
 *            last, which takes the rest
 *   the frame(s).
 *
 * After each ct() the harness checks every packet: +trk and a sane state
 * combination (fuzz_check_ct_state()), the zone, an unchanged length, IPv4
 * header and L4 checksums that stay right if they were right, and untouched
 * bytes whenever the packet came out without +snat/+dnat.
 *
 * Building and running
 * ====================
 *
 * Configure with CC=clang --enable-fuzz; 'make fuzz-run' (see
 * tests/fuzz/automake.mk) builds both harnesses and runs each briefly.  A
 * long run, on a scratch copy of the corpus, on one core:
 *
 *   mkdir -p /tmp/corpus-packet
 *   cp -r tests/fuzz/corpus-packet/. /tmp/corpus-packet
 *   tests/fuzz/fuzz-ct-packet -max_len=1600 -timeout=60 -runs=10000000 \
 *       -print_final_stats=1 /tmp/corpus-packet
 *
 * (add -fork=1 -ignore_crashes=1 to go on after a crash).  Because the
 * engine's state carries over, a crash input replayed alone
 * ('tests/fuzz/fuzz-ct-packet CRASH-FILE') may not crash;
 * CTDP_FUZZ_FRESH=1 in the environment gives each input a new engine (and
 * the same random seed), which makes runs reproducible at some cost in
 * depth, and CTDP_FUZZ_VERBOSE=1 prints every packet's outcome. */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "dp-packet.h"
#include "fuzz-util.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "random.h"
#include "util.h"

#define MAX_FRAMES 9
#define NAT_RAW_RANGE 36
#define MAX_CONNS 1000
#define CHECK_EVERY 4096
#define FLUSH_EVERY 16384
#define FULL_SWEEP (1 << 24)     /* More than the table can hold. */

static struct ct *ct;
static long long now = 1000 * 1000;
static unsigned long long n_inputs;
static bool fresh;
static bool verbose;

static const uint16_t zones[4] = { 0, 1, 2, 65535 };

static struct ct *
engine_create(void)
{
    struct ct_config cfg = { .max_conns = MAX_CONNS, .n_shards = 4 };

    random_set_seed(0x5eed);
    return ct_create(&cfg);
}

/* Connections live in memory that the engine maps itself (its slab arena),
 * which LeakSanitizer does not scan: the labels of connections that stay in
 * this harness's long-lived table would look leaked whenever libFuzzer
 * checks for leaks.  fuzz-ct-ops, which empties its table after each input,
 * checks label leaks exactly.  (With fast unwinding the allocating frame may
 * be the caller of ct_conn_set_label(), hence both names.) */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
    return "leak:ct_conn_set_label\nleak:apply_mark_label\n";
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc OVS_UNUSED, char ***argv OVS_UNUSED)
{
    fuzz_init();
    fresh = getenv("CTDP_FUZZ_FRESH") != NULL;
    verbose = getenv("CTDP_FUZZ_VERBOSE") != NULL;
    ct = engine_create();
    return 0;
}

/* Fills 'spec''s addresses and ports with NAT range 'variant' for the
 * family of 'v6'. */
static void
nat_range(struct ct_nat_spec *spec, unsigned int variant, bool v6,
          const uint8_t raw[NAT_RAW_RANGE])
{
    static const struct {
        uint8_t min4[4], max4[4];
        uint8_t min6_last, max6_last;
        uint16_t min_port, max_port;
    } ranges[] = {
        /* All zero: keep address and port unless they collide. */
        { { 0 }, { 0 }, 0, 0, 0, 0 },
        /* One address, ports kept. */
        { { 10, 0, 0, 1 }, { 10, 0, 0, 1 }, 1, 1, 0, 0 },
        /* Four addresses, four ports: clashes and exhaustion. */
        { { 10, 0, 0, 1 }, { 10, 0, 0, 4 }, 1, 4, 1000, 1003 },
        /* One address, one port. */
        { { 10, 0, 0, 1 }, { 10, 0, 0, 1 }, 1, 1, 80, 80 },
        /* A /16 and the ephemeral ports. */
        { { 192, 168, 0, 0 }, { 192, 168, 255, 255 }, 0, 255, 1024, 65535 },
        /* Reversed bounds. */
        { { 10, 0, 0, 9 }, { 10, 0, 0, 1 }, 9, 1, 5000, 4000 },
        /* Everything. */
        { { 0, 0, 0, 1 }, { 255, 255, 255, 255 }, 1, 255, 1, 65535 },
    };

    if (variant >= ARRAY_SIZE(ranges)) {
        /* Two 16-byte addresses (IPv4 uses the first 4 bytes of each),
         * then the two ports. */
        if (!v6) {
            memcpy(&spec->min_addr.ipv4, raw, 4);
            memcpy(&spec->max_addr.ipv4, raw + 16, 4);
        } else {
            memcpy(&spec->min_addr.ipv6, raw, 16);
            memcpy(&spec->max_addr.ipv6, raw + 16, 16);
        }
        spec->min_port = (raw[32] << 8) | raw[33];
        spec->max_port = (raw[34] << 8) | raw[35];
        return;
    }
    if (!v6) {
        memcpy(&spec->min_addr.ipv4, ranges[variant].min4, 4);
        memcpy(&spec->max_addr.ipv4, ranges[variant].max4, 4);
    } else if (ranges[variant].min6_last || ranges[variant].max6_last) {
        /* fd00::x, and all of fd00::/120 for the "everything" case. */
        spec->min_addr.ipv6.s6_addr[0] = 0xfd;
        spec->max_addr.ipv6.s6_addr[0] = 0xfd;
        spec->min_addr.ipv6.s6_addr[15] = ranges[variant].min6_last;
        spec->max_addr.ipv6.s6_addr[15] = ranges[variant].max6_last;
        if (variant == 6) {
            memset(spec->max_addr.ipv6.s6_addr, 0xff, 16);
            memset(spec->min_addr.ipv6.s6_addr, 0, 15);
        }
    }
    spec->min_port = ranges[variant].min_port;
    spec->max_port = ranges[variant].max_port;
}

/* Receive offload state as a NIC could report it. */
static void
set_offload(struct dp_packet *pkt, unsigned int mode)
{
    static const uint64_t flags[8] = {
        0,
        DP_PACKET_OL_RX_IP_CKSUM_GOOD | DP_PACKET_OL_RX_L4_CKSUM_GOOD,
        DP_PACKET_OL_RX_IP_CKSUM_BAD,
        DP_PACKET_OL_RX_L4_CKSUM_BAD,
        DP_PACKET_OL_TX_IPV4 | DP_PACKET_OL_TX_TCP_CKSUM,
        DP_PACKET_OL_TX_IPV6 | DP_PACKET_OL_TX_UDP_CKSUM,
        DP_PACKET_OL_RX_L4_CKSUM_GOOD,
        DP_PACKET_OL_RX_IP_CKSUM_GOOD,
    };

    *dp_packet_ol_flags_ptr(pkt) |= flags[mode & 7];
}

/* What a packet looked like before one ct() action. */
struct before {
    size_t size;
    uint8_t *data;
    struct fuzz_csums csums;
};

static void
before_take(struct before *b, struct dp_packet *pkt)
{
    b->size = dp_packet_size(pkt);
    b->data = b->size ? xmemdup(dp_packet_data(pkt), b->size) : NULL;
    fuzz_csums_get(pkt, &b->csums);
}

static void
check_after(struct before *b, struct dp_packet *pkt, uint16_t zone,
            const char *where)
{
    struct fuzz_csums after;

    fuzz_check_ct_state(pkt, zone, where);
    if (dp_packet_size(pkt) != b->size) {
        fuzz_fail("%s: packet length changed from %"PRIuSIZE" to %"PRIu32,
                  where, b->size, dp_packet_size(pkt));
    }
    if (!(pkt->md.ct_state & (CS_SRC_NAT | CS_DST_NAT)) && b->size
        && memcmp(b->data, dp_packet_data(pkt), b->size)) {
        fuzz_fail("%s: packet modified without +snat or +dnat", where);
    }
    fuzz_csums_get(pkt, &after);
    fuzz_csums_check(&b->csums, &after, where);
    free(b->data);
    b->data = NULL;
}

/* Runs one ct() over 'batch' and checks every packet. */
static void
run_ct(struct dp_packet_batch *batch, const struct ct_exec *args,
       const char *where)
{
    struct before b[NETDEV_MAX_BURST];
    struct dp_packet *pkt;

    DP_PACKET_BATCH_FOR_EACH (i, pkt, batch) {
        before_take(&b[i], pkt);
    }
    ct_execute(ct, batch, args);
    if (dp_packet_batch_size(batch) > NETDEV_MAX_BURST) {
        fuzz_fail("%s: batch grew", where);
    }
    DP_PACKET_BATCH_FOR_EACH (i, pkt, batch) {
        if (verbose) {
            char st[64];

            fprintf(stderr, "%s: packet %"PRIuSIZE": %s zone %"PRIu16"%s\n",
                    where, i, fuzz_state_str(pkt->md.ct_state, st, sizeof st),
                    pkt->md.ct_zone,
                    b[i].size && memcmp(b[i].data, dp_packet_data(pkt),
                                        b[i].size) ? " (rewritten)" : "");
        }
        check_after(&b[i], pkt, args->zone, where);
    }
}

/* Splits the frames of the input into 'frames'; returns their number. */
static size_t
split_frames(struct fuzz_in *in, unsigned int batch_mode,
             unsigned int copies, struct fuzz_in frames[MAX_FRAMES])
{
    size_t n;

    if (batch_mode == 1) {
        n = 2 + copies;
        for (size_t i = 0; i < n; i++) {
            frames[i] = *in;
        }
        return n;
    } else if (batch_mode != 2) {
        frames[0] = *in;
        return 1;
    }

    n = 2 + fuzz_u8(in) % (MAX_FRAMES - 1);
    for (size_t i = 0; i < n; i++) {
        size_t len = in->n;

        if (i + 1 < n) {
            size_t want = fuzz_u8(in);

            len = MIN(want, in->n);
        }

        frames[i].p = in->p;
        frames[i].n = len;
        in->p += len;
        in->n -= len;
    }
    return n;
}

static void
periodic_checks(void)
{
    if (n_inputs % CHECK_EVERY == 0) {
        /* Two full sweeps: the first may start in the middle of a round. */
        ct_sweep(ct, now, FULL_SWEEP);
        ct_sweep(ct, now, FULL_SWEEP);
        fuzz_check_table(ct, now, true, SIZE_MAX, zones, ARRAY_SIZE(zones),
                         NULL);
    }
    if (n_inputs % FLUSH_EVERY == 0) {
        uint32_t n;

        ct_flush(ct, NULL);
        n = ct_get_nconns(ct);
        if (n) {
            fuzz_fail("%"PRIu32" connections left after ct_flush()", n);
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long long steps[4] = { 0, 0, 10 * 1000, 600 * 1000 };
    struct fuzz_in in = { data, size };
    uint8_t b0 = fuzz_u8(&in);
    uint8_t b1 = fuzz_u8(&in);
    uint8_t b2 = fuzz_u8(&in);
    uint8_t b3 = fuzz_u8(&in);
    unsigned int nat_mode = (b0 >> 1) & 3;
    unsigned int batch_mode = b0 >> 6;
    struct fuzz_in frames[MAX_FRAMES];
    struct dp_packet_batch batch;
    struct ct_nat_spec nat;
    static const uint32_t mark[2] = { 0x12345678, 0xffff00ff };
    static const ovs_u128 label[2] = {
        { .u64 = { .lo = 0x1111, .hi = 0x2222 } },
        { .u64 = { .lo = UINT64_MAX, .hi = 0xffff } },
    };
    struct ct_exec args = {
        .commit = b0 & 1,
        .force = (b0 >> 3) & 1,
        .zone = zones[b1 & 3],
        .tp_id = (b3 >> 5) & 3,
        .now = now,
    };
    uint8_t raw_range[NAT_RAW_RANGE];
    ovs_be16 frame_type;
    size_t n_frames;

    if (fresh) {
        ct_destroy(ct);
        ct = engine_create();
    }
    ct_set_tcp_seq_chk(ct, !(b3 & 0x80));

    switch ((b0 >> 4) & 3) {
    case 2:
        args.dl_type = htons(ETH_TYPE_IP);
        break;
    case 3:
        args.dl_type = htons(ETH_TYPE_IPV6);
        break;
    default:
        args.dl_type = htons(0);    /* From the first frame, below. */
        break;
    }

    /* A range from the input precedes the frames. */
    memset(raw_range, 0, sizeof raw_range);
    if ((nat_mode == 1 || nat_mode == 2) && ((b1 >> 2) & 7) == 7) {
        fuzz_bytes(&in, raw_range, sizeof raw_range);
    }
    if (b1 & 0x40) {
        args.set_mark = mark;
        args.set_label = label;
    }

    n_frames = split_frames(&in, batch_mode, (b2 >> 5) & 7, frames);
    dp_packet_batch_init(&batch);
    for (size_t i = 0; i < n_frames; i++) {
        struct dp_packet *pkt = fuzz_packet(frames[i].p, frames[i].n,
                                            &frame_type);

        if (!i && !args.dl_type) {
            args.dl_type = (frame_type == htons(ETH_TYPE_IPV6)
                            ? htons(ETH_TYPE_IPV6) : htons(ETH_TYPE_IP));
        }
        set_offload(pkt, b3 & 7);
        if (b3 & 0x08) {
            pkt->md.ct_state = CS_INVALID;
        } else if (b3 & 0x10) {
            pkt->md.ct_state = CS_TRACKED | CS_ESTABLISHED;
            pkt->md.ct_zone = args.zone ^ 1;
        }
        dp_packet_batch_add(&batch, pkt);
    }

    memset(&nat, 0, sizeof nat);
    if (nat_mode == 1 || nat_mode == 2) {
        nat.flags = nat_mode == 1 ? CT_NAT_SRC : CT_NAT_DST;
        if (b1 & 0x20) {
            nat.flags |= ((b2 >> 2) & 1 ? CT_NAT_RANDOM : 0)
                         | ((b2 >> 3) & 1 ? CT_NAT_HASH : 0)
                         | ((b2 >> 4) & 1 ? CT_NAT_PERSISTENT : 0);
        }
        nat_range(&nat, (b1 >> 2) & 7,
                  args.dl_type == htons(ETH_TYPE_IPV6), raw_range);
        args.nat = &nat;
    } else if (nat_mode == 3) {
        args.nat = &nat;
    }

    run_ct(&batch, &args, "first ct()");

    if (batch_mode == 3) {
        /* A second ct() after recirculation: the datapath parses the
         * packet again. */
        struct ct_exec args2 = args;
        struct dp_packet *pkt;
        unsigned int v = b2 >> 5;

        DP_PACKET_BATCH_FOR_EACH (i, pkt, &batch) {
            fuzz_reparse(pkt, NULL);
        }
        if (v & 1) {
            args2.zone = zones[(b1 + 1) & 3];
        }
        switch (v >> 1) {
        case 0:
            args2.nat = NULL;
            break;
        case 2:
            args2.nat = &(struct ct_nat_spec) { .flags = 0 };
            break;
        case 3:
            args2.commit = true;
            break;
        default:
            break;
        }
        run_ct(&batch, &args2, "second ct()");
    }
    dp_packet_delete_batch(&batch, true);

    n_inputs++;
    now += (b2 & 3) == 1 ? 1 + (b3 % 255) : steps[b2 & 3];
    ct_sweep(ct, now, 64);
    periodic_checks();
    ovsrcu_quiesce();
    return 0;
}
