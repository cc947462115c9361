/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* libFuzzer harness: sequences of packets and table operations, with the
 * engine's invariants checked after every step.
 *
 * World
 * =====
 *
 * Each input starts from an empty engine in its default configuration (the
 * random seed is reset too, so that an input replays the same way) and
 * decodes into up to MAX_OPS operations over a small world: 4 IPv4 and 4
 * IPv6 hosts, 4 ports, 4 zones, TCP/UDP/ICMP/SCTP and generic protocols, and
 * NAT specs (nat_spec()) onto the world's own hosts and ports, so that tuple
 * clashes, NAT port clashes and exhaustion are frequent.  TCP sequence
 * numbers and SCTP tags depend only on the sender's role (initiator or
 * responder), so that handshakes, data and teardown pass the trackers'
 * checks, through NAT too, when the fuzzer orders the packets right.
 * Engines (one per shard count) are emptied after each input and recreated
 * every RECREATE_EVERY inputs; CTDP_FUZZ_FRESH=1 in the environment creates
 * one per input instead, and CTDP_FUZZ_VERBOSE=1 traces every packet.
 *
 * Checks
 * ======
 *
 * After every operation fuzz_check_table() checks, from a full dump: shard
 * counts add up to ct_get_nconns(); the dump size equals it (exactly when no
 * connection can be expired but still counted: the harness knows when the
 * clock moved without a complete sweep); no tuple of one connection equals a
 * tuple of another in the same zone; zone counts equal the dump's; every
 * connection is found from its original tuple (+rel, no +rpl) and from its
 * reply tuple (+rel+rpl): PROBES_PER_STEP connections after each step, the
 * next ones after the next step, all of them after the last step of the
 * input (a table of a few connections is probed whole after every step).
 * Those probes are ICMP errors because they leave the connections alone:
 * probing with real packets after every step would make every UDP
 * connection bidirectional and refresh every timeout, hiding the states
 * that early drop and expiry work on.  OP_PROBE sends a real
 * packet from one tuple of one connection and expects +est+rpl from the
 * reply tuple, +new or +est without +rpl from the original one (UDP, ICMP,
 * other protocols; TCP and SCTP answer to their trackers).
 *
 * Operations check more where they can: every packet's ct_state is sane
 * and its checksums stay right; admissions never exceed a limit; a packet
 * of a connection leaves with the reverse of the other direction's tuple
 * if translated, its own direction's tuple if not, and with its
 * connection's mark and label; SNAT over a small range runs out of tuples only when every
 * candidate reply tuple is taken; an ICMP error never creates a connection;
 * a flushed tuple's connection is gone and nothing else is; a flushed zone
 * is empty; limits and timeout policies read back as set; a saved and
 * restored table comes back unchanged, a damaged file is refused whole, and
 * whatever a restore accepts satisfies the table invariants.  ICMP errors
 * found related quote, after ct(), the packet of their connection's other
 * direction as it was on the far side of the translation.
 *
 * Input
 * =====
 *
 * Byte 0 configures the engine (bits 0-1: 1, 2, 4 or 8 shards; bits 2-3: at
 * most 4, 16, 64 or 1000 connections; bit 4: TCP sequence checking off;
 * bit 5: per-connection accounting on).
 * Then operations, each an opcode byte (low 4 bits: the operation, high 4
 * bits: 'param') and its argument bytes:
 *
 *   0-3, 15  packet: a 3-byte descriptor (decode_packet()); param: NAT
 *            flags random, hash, persistent, and set_label
 *   4   recirc   the last packet through another ct(); param: other zone,
 *                NAT (none, no arguments, a spec, unchanged), commit;
 *                1 byte: zone, NAT spec, NAT flags
 *   5   sweep    param: clock jump (3 bits), complete; 1 byte: budget
 *   6   flush    param: all, zone, tuple of a live connection, tuple of
 *                the world (+ descriptor), malformed tuple; 1 byte
 *   7   limit    param: set/del zone limit, set/del default, max_conns,
 *                out-of-range zone; 1 byte: zone and value
 *   8   policy   param: id, delete; 4 bytes: attributes present, 1 byte:
 *                values
 *   9   seq_chk  param bit 0: TCP sequence checking on; bit 1: also set
 *                accounting, on if bit 2
 *   10  probe    param bit 0: from the reply tuple; 1 byte: connection
 *   11  dump     of zone 'param'
 *   12  stats    ct_shard_counts(), ct_format_shards()
 *   13  batch    2 + (param & 7) descriptors through one ct(); param bit 3:
 *                all NAT flags
 *   14  persist  ct_save() and ct_restore(), see op_persist()
 *
 * tests/fuzz/make-seeds.py writes seeds in this format.
 *
 * Running
 * =======
 *
 * 'make fuzz-run' (tests/fuzz/automake.mk) runs it briefly.  A long run, on a
 * scratch copy of the corpus, on one core:
 *
 *   mkdir -p /tmp/corpus-ops && cp -r tests/fuzz/corpus-ops/. /tmp/corpus-ops
 *   tests/fuzz/fuzz-ct-ops -max_len=512 -timeout=60 -runs=10000000 \
 *       -print_final_stats=1 /tmp/corpus-ops
 *
 * (add -fork=1 -ignore_crashes=1 to go on after a crash; crash inputs are
 * written to the current directory and replay with
 * 'tests/fuzz/fuzz-ct-ops CRASH-FILE'). */

#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/icmp6.h>

#include "ct.h"
#include "ct-dpif.h"
#include "ct-persist.h"
#include "dp-packet.h"
#include "fuzz-util.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "random.h"
#include "util.h"

#define MAX_OPS 64

/* CTDP_FUZZ_FRESH set: a new engine for every input.  CTDP_FUZZ_VERBOSE
 * set: the outcome of each packet on stderr. */
static bool fresh;
static bool verbose;

enum {
    OP_PACKET0, OP_PACKET1, OP_PACKET2, OP_PACKET3,
    OP_RECIRC,
    OP_SWEEP,
    OP_FLUSH,
    OP_LIMIT,
    OP_POLICY,
    OP_SEQ_CHK,
    OP_PROBE,
    OP_DUMP_ZONE,
    OP_STATS,
    OP_BATCH,
    OP_PERSIST,
    OP_PACKET15,
};

static const uint16_t zones[4] = { 0, 1, 2, 65535 };
static struct ct *fuzz_trace_ct;    /* For trace(). */
static const uint16_t ports[4] = { 1000, 1001, 80, 33000 };

/* Protocols of packet descriptors. */
enum {
    P_TCP, P_UDP, P_ICMP, P_SCTP, P_OTHER, P_TCP2, P_UDP2, P_ERROR,
};

struct world {
    struct ct *ct;
    long long now;
    bool clean;             /* No connection expired but still counted. */
    bool zero_timeouts;     /* A policy with a 0 s timeout was set. */
    struct dp_packet *last; /* Last packet sent, for OP_RECIRC. */
    struct ct_exec last_args;
    struct ct_nat_spec last_nat;
    struct fuzz_dump dump;  /* Scratch. */
    bool own_limit[4];      /* Zone i has a limit of its own. */
    uint32_t default_limit;
    bool limits_changed;    /* An OP_LIMIT ran. */
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc OVS_UNUSED, char ***argv OVS_UNUSED)
{
    fuzz_init();
    fresh = getenv("CTDP_FUZZ_FRESH") != NULL;
    verbose = getenv("CTDP_FUZZ_VERBOSE") != NULL;
    return 0;
}

/* Addresses. */

static void
host_addr(bool v6, unsigned int idx, uint8_t addr[16])
{
    memset(addr, 0, 16);
    if (!v6) {
        addr[0] = 10;
        addr[3] = 1 + (idx & 3);
    } else {
        addr[0] = 0xfd;
        addr[15] = 1 + (idx & 3);
    }
}

/* NAT specs: SNAT and DNAT onto the world's own hosts and ports. */
static const struct {
    uint16_t flags;
    uint8_t min_host, max_host;     /* 1-4, 0 = keep address. */
    uint16_t min_port, max_port;
} specs[8] = {
    { 0, 0, 0, 0, 0 },
    { CT_NAT_SRC, 3, 4, 1000, 1001 },
    { CT_NAT_SRC, 1, 1, 0, 0 },
    { CT_NAT_SRC, 0, 0, 0, 0 },
    { CT_NAT_DST, 2, 2, 80, 80 },
    { CT_NAT_DST, 3, 4, 0, 0 },
    { CT_NAT_SRC, 0, 0, 1000, 1000 },
    { 0, 0, 0, 0, 0 },              /* "nat" without arguments. */
};

static void
nat_spec(unsigned int idx, bool v6, unsigned int flag_bits,
         struct ct_nat_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->flags = specs[idx].flags;
    if (spec->flags) {
        spec->flags |= ((flag_bits & 1 ? CT_NAT_RANDOM : 0)
                        | (flag_bits & 2 ? CT_NAT_HASH : 0)
                        | (flag_bits & 4 ? CT_NAT_PERSISTENT : 0));
    }
    if (specs[idx].min_host) {
        uint8_t a[16];

        host_addr(v6, specs[idx].min_host - 1, a);
        memcpy(&spec->min_addr, a, v6 ? 16 : 4);
        host_addr(v6, specs[idx].max_host - 1, a);
        memcpy(&spec->max_addr, a, v6 ? 16 : 4);
    }
    spec->min_port = specs[idx].min_port;
    spec->max_port = specs[idx].max_port;
}

/* A decoded packet descriptor, see decode_packet(). */
struct pkt_desc {
    unsigned int proto;         /* P_*. */
    bool v6;
    unsigned int src, dst;      /* Host indexes. */
    unsigned int sport, dport;  /* Port indexes. */
    unsigned int zone;          /* Zone index. */
    bool commit, force;
    unsigned int nat;           /* nat_spec() index, 0 = none. */
    unsigned int kind;          /* Per protocol, see build_packet(). */
    bool mark;
    unsigned int tp_id;
    /* P_TCP kind 6: raw segment. */
    uint8_t raw_flags;
    uint32_t raw_seq, raw_ack;
    uint16_t raw_win;
};

/* A packet descriptor is 3 bytes:
 *
 *   a: protocol P_* (3 bits), IPv6, source host (2), destination host (2)
 *   b: source port (2), destination port (2), zone (2), commit, force
 *   c: NAT spec (3, nat_spec() index), kind (3), set_mark, timeout policy 1
 *
 * followed, for a raw TCP segment (kind 6), by flags (1 byte), sequence and
 * acknowledgement numbers (4 bytes each) and window (2 bytes). */
static void
decode_packet(struct fuzz_in *in, struct pkt_desc *d)
{
    uint8_t a = fuzz_u8(in), b = fuzz_u8(in), c = fuzz_u8(in);

    d->proto = a >> 5;
    d->v6 = (a >> 4) & 1;
    d->src = (a >> 2) & 3;
    d->dst = a & 3;
    d->sport = b >> 6;
    d->dport = (b >> 4) & 3;
    d->zone = (b >> 2) & 3;
    d->commit = (b >> 1) & 1;
    d->force = b & 1;
    d->nat = c >> 5;
    d->kind = (c >> 2) & 7;
    d->mark = (c >> 1) & 1;
    d->tp_id = c & 1;
    if ((d->proto == P_TCP || d->proto == P_TCP2) && d->kind == 6) {
        d->raw_flags = fuzz_u8(in);
        d->raw_seq = fuzz_u32(in);
        d->raw_ack = fuzz_u32(in);
        d->raw_win = fuzz_u16(in);
    }
}

static void
desc_tuple(const struct pkt_desc *d, unsigned int proto,
           struct fuzz_tuple *t)
{
    memset(t, 0, sizeof *t);
    t->zone = zones[d->zone];
    t->l3_type = d->v6 ? AF_INET6 : AF_INET;
    host_addr(d->v6, d->src, t->src);
    host_addr(d->v6, d->dst, t->dst);
    t->sport = htons(ports[d->sport]);
    t->dport = htons(ports[d->dport]);
    switch (proto) {
    case P_TCP:
    case P_TCP2:
        t->proto = IPPROTO_TCP;
        break;
    case P_UDP:
    case P_UDP2:
        t->proto = IPPROTO_UDP;
        break;
    case P_SCTP:
        t->proto = IPPROTO_SCTP;
        break;
    case P_ICMP: {
        static const uint8_t types4[8] = {
            ICMP4_ECHO_REQUEST, ICMP4_ECHO_REPLY, ICMP4_TIMESTAMP,
            ICMP4_TIMESTAMPREPLY, ICMP4_INFOREQUEST, ICMP4_INFOREPLY,
            ICMP4_ECHO_REQUEST, ICMP4_ECHO_REPLY,
        };

        t->proto = d->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
        t->icmp_type = (d->v6
                        ? (d->kind & 1 ? ICMP6_ECHO_REPLY : ICMP6_ECHO_REQUEST)
                        : types4[d->kind]);
        /* The identifier: the source port, or for kinds 6 and 7 the
         * destination port, so that a request and its reply agree. */
        t->sport = t->dport = d->kind >= 6 ? t->dport : t->sport;
        break;
    }
    default: {
        static const uint8_t others[4] = { 47, 0, 255, 1 };

        t->proto = others[d->kind & 3];
        if (d->v6 && !t->proto) {
            t->proto = 47;      /* 0 is an IPv6 extension header. */
        } else if (t->proto == 1 && !d->v6) {
            t->proto = IPPROTO_ICMPV6;  /* ICMPv6 over IPv4: generic. */
        }
        t->sport = t->dport = 0;
        break;
    }
    }
}

/* TCP initial sequence numbers and SCTP verification tags of the initiator
 * and the responder of every connection.  They do not depend on addresses
 * or ports, so that handshakes stay valid through NAT. */
#define ISN_I 1000000u
#define ISN_R 5000000u
#define TAG_I 0x1111u
#define TAG_R 0x2222u

/* TCP kinds: segments of a connection's life, from the initiator (i) or the
 * responder (r). */
static const struct {
    uint16_t flags;
    uint32_t seq, ack;
    uint16_t payload;
} tcp_kinds[8] = {
    { TCP_SYN, ISN_I, 0, 0 },                               /* SYN (i) */
    { TCP_SYN | TCP_ACK, ISN_R, ISN_I + 1, 0 },             /* SYN+ACK (r) */
    { TCP_ACK, ISN_I + 1, ISN_R + 1, 0 },                   /* ACK (i) */
    { TCP_ACK | TCP_PSH, ISN_I + 1, ISN_R + 1, 100 },       /* data (i) */
    { TCP_FIN | TCP_ACK, ISN_I + 101, ISN_R + 1, 0 },       /* FIN (i) */
    { TCP_ACK, ISN_R + 1, ISN_I + 102, 0 },                 /* ACK (r) */
    { 0, 0, 0, 0 },                                         /* raw */
    { TCP_FIN | TCP_ACK, ISN_R + 1, ISN_I + 102, 0 },       /* FIN (r) */
};

/* SCTP kinds: first chunk and whether the responder sends it. */
static const struct {
    uint8_t chunk;
    bool responder;
} sctp_kinds[8] = {
    { 1, false },       /* INIT */
    { 2, true },        /* INIT ACK */
    { 10, false },      /* COOKIE ECHO */
    { 11, true },       /* COOKIE ACK */
    { 0, false },       /* DATA */
    { 7, false },       /* SHUTDOWN */
    { 8, true },        /* SHUTDOWN ACK */
    { 14, false },      /* SHUTDOWN COMPLETE */
};

static struct dp_packet *
build_desc_packet(const struct pkt_desc *d, unsigned int proto)
{
    struct fuzz_tuple t;
    struct fuzz_l4 l4;

    desc_tuple(d, proto, &t);
    memset(&l4, 0, sizeof l4);
    l4.win = 8192;
    if (t.proto == IPPROTO_TCP) {
        if (d->kind == 6) {
            l4.tcp_flags = d->raw_flags;
            l4.seq = d->raw_seq;
            l4.ack = d->raw_ack;
            l4.win = d->raw_win;
            l4.payload = d->raw_win & 0x3f;
        } else {
            l4.tcp_flags = tcp_kinds[d->kind].flags;
            l4.seq = tcp_kinds[d->kind].seq;
            l4.ack = tcp_kinds[d->kind].ack;
            l4.payload = tcp_kinds[d->kind].payload;
        }
    } else if (t.proto == IPPROTO_SCTP) {
        bool r = sctp_kinds[d->kind].responder;

        l4.sctp_chunk = sctp_kinds[d->kind].chunk;
        l4.sctp_itag = r ? TAG_R : TAG_I;
        l4.sctp_vtag = d->kind == 0 ? 0 : r ? TAG_I : TAG_R;
    } else if (t.proto == IPPROTO_UDP) {
        l4.payload = d->kind * 8;
    }
    return fuzz_build(&t, &l4);
}

/* An ICMP error about the packet 'd' describes, sent to its source by a
 * router (even kinds) or by its destination (odd kinds). */
static struct dp_packet *
build_error(const struct pkt_desc *d)
{
    static const unsigned int inner_protos[4] = {
        P_TCP, P_UDP, P_ICMP, P_SCTP
    };
    struct pkt_desc id = *d;
    uint8_t from[16];
    struct dp_packet *inner, *err;

    id.proto = inner_protos[(d->kind >> 1) & 3];
    id.kind = 0;
    inner = build_desc_packet(&id, id.proto);
    if (d->kind & 1) {
        host_addr(d->v6, d->dst, from);
    } else {
        memset(from, 0, sizeof from);
        from[0] = d->v6 ? 0x20 : 192;
        from[1] = d->v6 ? 0x01 : 0;
        from[2] = d->v6 ? 0x0d : 2;
        from[3] = d->v6 ? 0xb8 : 1;
    }
    /* IPv4 errors quote the header and 8 bytes, IPv6 ones all they can. */
    err = fuzz_build_icmp_error(inner, from, d->v6 ? 1232 : 28);
    dp_packet_delete(inner);
    return err;
}

static struct dp_packet *
build_packet(const struct pkt_desc *d)
{
    return d->proto == P_ERROR ? build_error(d) : build_desc_packet(d,
                                                                    d->proto);
}

static void
desc_args(struct world *w, const struct pkt_desc *d, unsigned int flag_bits,
          struct ct_nat_spec *nat, struct ct_exec *args)
{
    static const uint32_t mark[2] = { 0xa5, 0xff };
    static const ovs_u128 label[2] = {
        { .u64 = { .lo = 0x1, .hi = 0x8000000000000000ULL } },
        { .u64 = { .lo = 0xf, .hi = UINT64_MAX } },
    };

    memset(args, 0, sizeof *args);
    args->dl_type = htons(d->v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);
    args->zone = zones[d->zone];
    args->commit = d->commit;
    args->force = d->force;
    args->tp_id = d->tp_id;
    args->now = w->now;
    if (d->mark) {
        args->set_mark = mark;
        args->set_label = flag_bits & 8 ? label : NULL;
    }
    if (d->nat) {
        nat_spec(d->nat, d->v6, flag_bits, nat);
        args->nat = nat;
    }
}

/* Checks. */

static void
trace(const char *what, const struct dp_packet *pkt, const struct ct_exec *a)
{
    struct fuzz_tuple t;
    char s[FUZZ_TUPLE_STRLEN], st[64];

    if (!verbose) {
        return;
    }
    if (!fuzz_packet_tuple(pkt, a->zone, &t)) {
        memset(&t, 0, sizeof t);
    }
    fprintf(stderr, "%s: %s%s%s%s -> %s, %"PRIu32" connections\n", what,
            fuzz_tuple_str(&t, s), a->commit ? " commit" : "",
            a->force ? " force" : "", a->nat ? " nat" : "",
            fuzz_state_str(pkt->md.ct_state, st, sizeof st),
            ct_get_nconns(fuzz_trace_ct));
}

struct counts {
    uint32_t nconns;
    uint32_t zone[4];
};

static void
counts_get(struct world *w, struct counts *c)
{
    c->nconns = ct_get_nconns(w->ct);
    for (size_t i = 0; i < ARRAY_SIZE(zones); i++) {
        uint32_t limit;

        ct_zone_limit_get(w->ct, zones[i], &limit, &c->zone[i]);
    }
}

/* After an operation that may commit: whatever was admitted respected the
 * limits in force. */
static void
check_limits(struct world *w, const struct counts *before)
{
    struct counts after;

    counts_get(w, &after);
    if (after.nconns > before->nconns
        && after.nconns > ct_get_maxconns(w->ct)) {
        fuzz_fail("%"PRIu32" connections admitted with a limit of %"PRIu32,
                  after.nconns, ct_get_maxconns(w->ct));
    }
    for (size_t i = 0; i < ARRAY_SIZE(zones); i++) {
        uint32_t limit, count;

        ct_zone_limit_get(w->ct, zones[i], &limit, &count);
        if (after.zone[i] > before->zone[i] && limit && count > limit) {
            fuzz_fail("zone %"PRIu16" admitted %"PRIu32" connections with a "
                      "limit of %"PRIu32, zones[i], count, limit);
        }
    }
}

/* The connection in the current dump that the packet whose tuple was
 * 'pre' before ct() belongs to in the direction 'reply', with the original
 * tuple that its metadata shows; NULL if none. */
static const struct fuzz_conn *
find_conn(struct world *w, const struct dp_packet *pkt,
          const struct fuzz_tuple *pre, bool reply)
{
    for (size_t i = 0; i < w->dump.n; i++) {
        const struct fuzz_conn *c = &w->dump.conns[i];

        if (!fuzz_tuple_cmp(reply ? &c->reply : &c->orig, pre)) {
            return fuzz_md_orig_tuple_is(&pkt->md, &c->orig) ? c : NULL;
        }
    }
    return NULL;
}

/* A tracked, valid, non-related packet of a connection carries after ct()
 * the tuple its direction has on the other side of the translation: the
 * reverse of the other direction's tuple if it was translated, its own
 * direction's tuple if not.  'pre' is its tuple before ct(). */
static void
check_translation(struct world *w, const struct dp_packet *pkt,
                  const struct fuzz_tuple *pre, uint16_t zone)
{
    uint8_t st = pkt->md.ct_state;
    bool reply = st & CS_REPLY_DIR;
    const struct fuzz_conn *c;
    struct fuzz_tuple out, want;
    char s[4][FUZZ_TUPLE_STRLEN];

    if (st & (CS_INVALID | CS_RELATED)) {
        return;
    }
    c = find_conn(w, pkt, pre, reply);
    if (!c || !fuzz_packet_tuple(pkt, zone, &out)) {
        return;
    }
    if (st & (CS_SRC_NAT | CS_DST_NAT)) {
        fuzz_tuple_reverse(reply ? &c->orig : &c->reply, &want);
    } else {
        want = reply ? c->reply : c->orig;
    }
    if (fuzz_tuple_cmp(&out, &want)) {
        fuzz_fail("%s packet of connection orig %s reply %s %s leaves as "
                  "%s, expected %s", reply ? "reply" : "original",
                  fuzz_tuple_str(&c->orig, s[0]),
                  fuzz_tuple_str(&c->reply, s[1]),
                  st & (CS_SRC_NAT | CS_DST_NAT) ? "(translated)"
                                                 : "(untranslated)",
                  fuzz_tuple_str(&out, s[2]), fuzz_tuple_str(&want, s[3]));
    }
    if (pkt->md.ct_mark != c->mark
        || !ovs_u128_equals(pkt->md.ct_label, c->label)) {
        fuzz_fail("packet of connection orig %s leaves with mark %#"PRIx32
                  " label %#"PRIx64"%016"PRIx64", the connection has mark "
                  "%#"PRIx32" label %#"PRIx64"%016"PRIx64,
                  fuzz_tuple_str(&c->orig, s[0]), pkt->md.ct_mark,
                  pkt->md.ct_label.u64.hi, pkt->md.ct_label.u64.lo, c->mark,
                  c->label.u64.hi, c->label.u64.lo);
    }
}

/* An ICMP error that ct() found related to a connection quotes afterwards
 * the packet of the opposite direction as the error's recipient sent it:
 * if translated, the connection's original tuple for errors in the reply
 * direction and its reply tuple otherwise; if not, what it quoted before
 * ('pre').  The connection must be live, with the tuple the error is
 * about in the error's direction. */
static void
check_related(struct world *w, const struct dp_packet *pkt,
              const struct fuzz_tuple *pre, uint16_t zone)
{
    uint8_t st = pkt->md.ct_state;
    bool reply = st & CS_REPLY_DIR;
    const struct fuzz_conn *c = NULL;
    struct fuzz_tuple key, out, want;
    char s[4][FUZZ_TUPLE_STRLEN];

    if (!(st & CS_RELATED) || st & CS_INVALID) {
        return;
    }
    fuzz_tuple_reverse(pre, &key);
    for (size_t i = 0; i < w->dump.n && !c; i++) {
        const struct fuzz_conn *conn = &w->dump.conns[i];

        if (!fuzz_tuple_cmp(reply ? &conn->reply : &conn->orig, &key)
            || (!fuzz_tuple_cmp(&conn->orig, &conn->reply)
                && !fuzz_tuple_cmp(&conn->orig, &key))) {
            c = conn;
        }
    }
    if (!c) {
        fuzz_fail("ICMP error about %s is +rel%s, but no connection has "
                  "that %s tuple", fuzz_tuple_str(pre, s[0]),
                  reply ? "+rpl" : "", reply ? "reply" : "original");
    }
    if (!fuzz_md_orig_tuple_is(&pkt->md, &c->orig)) {
        fuzz_fail("ICMP error related to connection orig %s carries "
                  "another original tuple", fuzz_tuple_str(&c->orig, s[0]));
    }
    if (!fuzz_packet_inner_tuple(pkt, zone, &out)) {
        return;
    }
    if (st & (CS_SRC_NAT | CS_DST_NAT)) {
        want = reply ? c->orig : c->reply;
    } else {
        want = *pre;
    }
    if (fuzz_tuple_cmp(&out, &want)) {
        fuzz_fail("ICMP error (%s) related to connection orig %s reply %s "
                  "quotes %s after ct(), expected %s",
                  reply ? "reply direction" : "original direction",
                  fuzz_tuple_str(&c->orig, s[0]),
                  fuzz_tuple_str(&c->reply, s[1]),
                  fuzz_tuple_str(&out, s[2]), fuzz_tuple_str(&want, s[3]));
    }
}

static bool
tuple_in_use(const struct fuzz_dump *d, const struct fuzz_tuple *t)
{
    struct fuzz_tuple r;

    fuzz_tuple_reverse(t, &r);
    for (size_t i = 0; i < d->n; i++) {
        const struct fuzz_conn *c = &d->conns[i];

        if (!fuzz_tuple_cmp(&c->orig, t) || !fuzz_tuple_cmp(&c->reply, t)
            || !fuzz_tuple_cmp(&c->orig, &r)
            || !fuzz_tuple_cmp(&c->reply, &r)) {
            return true;
        }
    }
    return false;
}

/* SNAT with a port range (nat_spec() 1 and 6) has a candidate set small
 * enough for the bounded search to try all of it (unless 'persistent'
 * restricts it to one address): if such a commit ran out of tuples, every
 * candidate reply tuple of 'orig' must have been in use in 'before'. */
static void
check_exhaustion(unsigned int spec_idx, const struct ct_nat_spec *nat,
                 const struct fuzz_tuple *orig,
                 const struct fuzz_dump *before)
{
    bool v6 = orig->l3_type == AF_INET6;
    bool ports = (orig->proto == IPPROTO_TCP || orig->proto == IPPROTO_UDP
                  || orig->proto == IPPROTO_SCTP
                  || fuzz_tuple_is_icmp(orig));
    char s[2][FUZZ_TUPLE_STRLEN];

    if ((spec_idx != 1 && spec_idx != 6) || nat->flags & CT_NAT_PERSISTENT) {
        return;
    }
    for (unsigned int h = specs[spec_idx].min_host;
         h <= specs[spec_idx].max_host; h++) {
        for (unsigned int port = nat->min_port;
             port <= (ports ? nat->max_port : nat->min_port); port++) {
            struct fuzz_tuple cand;

            fuzz_tuple_reverse(orig, &cand);
            if (h) {
                host_addr(v6, h - 1, cand.dst);
            }
            if (ports) {
                cand.dport = htons(port);
                if (fuzz_tuple_is_icmp(orig)) {
                    cand.sport = cand.dport;
                }
            }
            if (!tuple_in_use(before, &cand)) {
                fuzz_fail("SNAT of %s ran out of tuples, but reply tuple %s "
                          "was free", fuzz_tuple_str(orig, s[0]),
                          fuzz_tuple_str(&cand, s[1]));
            }
        }
    }
}

/* The checks after each step.  Probing costs two ct() calls per
 * connection, so each step probes a bounded slice of the table (the next
 * slice at the next step) and the last step of an input all of it. */
#define PROBES_PER_STEP 8

static void
check_table(struct world *w)
{
    fuzz_check_table(w->ct, w->now, w->clean, PROBES_PER_STEP, zones,
                     ARRAY_SIZE(zones), &w->dump);
}

static void
check_table_fully(struct world *w)
{
    fuzz_check_table(w->ct, w->now, w->clean, SIZE_MAX, zones,
                     ARRAY_SIZE(zones), &w->dump);
}

/* Operations. */

static void
keep_last(struct world *w, struct dp_packet *pkt, const struct ct_exec *args)
{
    if (w->last != pkt) {
        dp_packet_delete(w->last);
        w->last = pkt;
    }
    w->last_args = *args;
    if (args->nat) {
        w->last_nat = *args->nat;
        w->last_args.nat = &w->last_nat;
    }
    w->last_args.set_mark = NULL;
    w->last_args.set_label = NULL;
}

static void
after_packets(struct world *w)
{
    if (w->zero_timeouts) {
        w->clean = false;
    }
}

static void
op_packet(struct world *w, struct fuzz_in *in, unsigned int param)
{
    struct ct_nat_spec nat;
    struct ct_exec args;
    struct pkt_desc d;
    struct dp_packet *pkt;
    struct counts before;
    struct fuzz_dump dump_before = { NULL, 0, 0 };
    struct fuzz_csums csums_before, csums_after;
    struct ct_stats stats_before, stats_after;
    struct fuzz_tuple pre;
    uint32_t n_before;
    bool exhaustible;
    bool pre_ok;

    decode_packet(in, &d);
    desc_args(w, &d, param, &nat, &args);
    pkt = build_packet(&d);
    pre_ok = (d.proto == P_ERROR
              ? fuzz_packet_inner_tuple(pkt, args.zone, &pre)
              : fuzz_packet_tuple(pkt, args.zone, &pre));
    fuzz_csums_get(pkt, &csums_before);
    counts_get(w, &before);
    n_before = before.nconns;
    exhaustible = (args.commit && args.nat && d.proto != P_ERROR && pre_ok
                   && (d.nat == 1 || d.nat == 6));
    if (exhaustible) {
        ct_get_stats(w->ct, &stats_before);
        fuzz_dump(w->ct, w->now, NULL, &dump_before);
    }

    fuzz_exec1(w->ct, pkt, &args);
    fuzz_csums_get(pkt, &csums_after);
    fuzz_csums_check(&csums_before, &csums_after, "packet");
    if (exhaustible) {
        ct_get_stats(w->ct, &stats_after);
        if (stats_after.nat_exhausted > stats_before.nat_exhausted) {
            check_exhaustion(d.nat, &nat, &pre, &dump_before);
        }
        fuzz_dump_destroy(&dump_before);
    }
    after_packets(w);
    trace("packet", pkt, &args);
    fuzz_check_ct_state(pkt, args.zone, "packet");
    check_limits(w, &before);
    if (d.proto == P_ERROR) {
        if (ct_get_nconns(w->ct) > n_before) {
            fuzz_fail("an ICMP error created a connection");
        }
        if (pkt->md.ct_state & (CS_NEW | CS_ESTABLISHED)) {
            fuzz_fail("an ICMP error is +new or +est");
        }
    }
    check_table(w);
    if (pre_ok && d.proto == P_ERROR) {
        check_related(w, pkt, &pre, args.zone);
    } else if (pre_ok) {
        check_translation(w, pkt, &pre, args.zone);
    }
    keep_last(w, pkt, &args);
}

static void
op_batch(struct world *w, struct fuzz_in *in, unsigned int param)
{
    size_t n = 2 + (param & 7);
    struct dp_packet_batch batch;
    struct ct_nat_spec nat;
    struct pkt_desc first;
    struct ct_exec args;
    struct fuzz_csums csums[NETDEV_MAX_BURST];
    struct fuzz_tuple pre[NETDEV_MAX_BURST];
    bool pre_ok[NETDEV_MAX_BURST];
    size_t last_new;
    struct dp_packet *pkt;
    struct counts before;

    /* One ct() action: the first descriptor gives the arguments and the
     * family; the others contribute their packets.  ICMP errors are left
     * out of the translation check. */
    decode_packet(in, &first);
    desc_args(w, &first, param >> 3 ? 7 : 0, &nat, &args);
    dp_packet_batch_init(&batch);
    for (size_t i = 0; i < n; i++) {
        struct pkt_desc d = first;

        if (i) {
            decode_packet(in, &d);
            d.v6 = first.v6;
            d.zone = first.zone;
        }
        pkt = build_packet(&d);
        pre_ok[i] = (d.proto != P_ERROR
                     && fuzz_packet_tuple(pkt, args.zone, &pre[i]));
        fuzz_csums_get(pkt, &csums[i]);
        dp_packet_batch_add(&batch, pkt);
    }
    counts_get(w, &before);
    ct_execute(w->ct, &batch, &args);
    after_packets(w);
    check_limits(w, &before);
    DP_PACKET_BATCH_FOR_EACH (i, pkt, &batch) {
        struct fuzz_csums after;

        trace("batch", pkt, &args);
        fuzz_check_ct_state(pkt, args.zone, "batch");
        fuzz_csums_get(pkt, &after);
        fuzz_csums_check(&csums[i], &after, "batch");
    }
    check_table(w);
    /* A packet's connection may be replaced by a later packet of the batch
     * (through 'force' or a TCP reopen), and only packets that end up +new
     * create connections: check the packets after the last +new one. */
    last_new = 0;
    DP_PACKET_BATCH_FOR_EACH (i, pkt, &batch) {
        if (pkt->md.ct_state & CS_NEW) {
            last_new = i;
        }
    }
    DP_PACKET_BATCH_FOR_EACH (i, pkt, &batch) {
        if (pre_ok[i] && i >= last_new) {
            check_translation(w, pkt, &pre[i], args.zone);
        }
    }
    dp_packet_delete_batch(&batch, true);
}

static void
op_recirc(struct world *w, struct fuzz_in *in, unsigned int param)
{
    uint8_t b = fuzz_u8(in);
    struct fuzz_csums csums_before, csums_after;
    struct ct_exec args;
    struct ct_nat_spec nat;
    struct counts before;

    if (!w->last) {
        return;
    }
    args = w->last_args;
    args.now = w->now;
    if (param & 1) {
        args.zone = zones[b & 3];
    }
    switch ((param >> 1) & 3) {
    case 0:
        args.nat = NULL;
        break;
    case 1:
        memset(&nat, 0, sizeof nat);
        args.nat = &nat;
        break;
    case 2:
        nat_spec((b >> 2) & 7, args.dl_type == htons(ETH_TYPE_IPV6),
                 b >> 5, &nat);
        args.nat = &nat;
        break;
    default:
        break;
    }
    args.commit = param & 8;
    args.force = false;
    fuzz_reparse(w->last, NULL);
    fuzz_csums_get(w->last, &csums_before);
    counts_get(w, &before);
    fuzz_exec1(w->ct, w->last, &args);
    fuzz_csums_get(w->last, &csums_after);
    fuzz_csums_check(&csums_before, &csums_after, "recirculated packet");
    after_packets(w);
    trace("recirculated", w->last, &args);
    fuzz_check_ct_state(w->last, args.zone, "recirculated packet");
    check_limits(w, &before);
    check_table(w);
    keep_last(w, w->last, &args);
}

static void
op_sweep(struct world *w, struct fuzz_in *in, unsigned int param)
{
    static const long long jumps[8] = {
        0, 1, 999, 10 * 1000, 61 * 1000, 300 * 1000, 3600 * 1000,
        5LL * 86400 * 1000,
    };
    static const size_t budgets[8] = {
        0, 1, 8, 64, 1000, 1 << 20, SIZE_MAX / 2, SIZE_MAX,
    };
    long long interval;

    w->now += jumps[param & 7];
    if (param & 8) {
        /* Complete: from wherever the last sweep stopped, then a whole
         * round. */
        size_t budget = budgets[5 + fuzz_u8(in) % 3];

        ct_sweep(w->ct, w->now, budget);
        interval = ct_sweep(w->ct, w->now, budget);
        w->clean = true;
    } else {
        interval = ct_sweep(w->ct, w->now, budgets[fuzz_u8(in) & 7]);
        if (jumps[param & 7]) {
            w->clean = false;
        }
    }
    if (interval < 1) {
        fuzz_fail("ct_sweep() asked to be called again after %lld ms",
                  interval);
    }
    check_table(w);
}

static void
op_flush(struct world *w, struct fuzz_in *in, unsigned int param)
{
    uint8_t b = fuzz_u8(in);
    uint32_t n_before = ct_get_nconns(w->ct);
    char s[2][FUZZ_TUPLE_STRLEN];

    switch (param & 7) {
    case 0:
    case 5:
        ct_flush(w->ct, NULL);
        if (ct_get_nconns(w->ct)) {
            fuzz_fail("%"PRIu32" connections left after ct_flush()",
                      ct_get_nconns(w->ct));
        }
        break;

    case 1:
    case 6: {
        uint16_t zone = zones[b & 3];
        uint32_t limit, count;

        ct_flush(w->ct, &zone);
        ct_zone_limit_get(w->ct, zone, &limit, &count);
        fuzz_dump(w->ct, w->now, &zone, &w->dump);
        if (count || w->dump.n) {
            fuzz_fail("zone %"PRIu16" flushed but %"PRIu32" counted, "
                      "%"PRIuSIZE" dumped", zone, count, w->dump.n);
        }
        break;
    }

    case 2:
    case 7: {
        /* A tuple of a live connection: exactly that one goes. */
        struct ct_dpif_tuple dt;
        struct fuzz_conn c;
        bool reply = b & 1;
        int error;

        fuzz_dump(w->ct, w->now, NULL, &w->dump);
        if (!w->dump.n) {
            break;
        }
        c = w->dump.conns[(b >> 1) % w->dump.n];
        fuzz_tuple_to_dpif(reply ? &c.reply : &c.orig, &dt);
        error = ct_flush_tuple(w->ct, &dt, c.orig.zone);
        if (error) {
            fuzz_fail("ct_flush_tuple(%s) of a live connection: %s",
                      fuzz_tuple_str(reply ? &c.reply : &c.orig, s[0]),
                      ovs_strerror(error));
        }
        if (ct_get_nconns(w->ct) != n_before - 1) {
            fuzz_fail("ct_flush_tuple() took %"PRIu32" connections to "
                      "%"PRIu32, n_before, ct_get_nconns(w->ct));
        }
        fuzz_dump(w->ct, w->now, NULL, &w->dump);
        for (size_t i = 0; i < w->dump.n; i++) {
            if (!fuzz_tuple_cmp(&w->dump.conns[i].orig, &c.orig)) {
                fuzz_fail("connection %s still there after ct_flush_tuple()",
                          fuzz_tuple_str(&c.orig, s[1]));
            }
        }
        break;
    }

    case 3: {
        /* A tuple of the world, live or not. */
        struct pkt_desc d;
        struct fuzz_tuple t;
        struct ct_dpif_tuple dt;
        int error;

        decode_packet(in, &d);
        desc_tuple(&d, d.proto == P_ERROR ? P_UDP : d.proto, &t);
        fuzz_tuple_to_dpif(&t, &dt);
        error = ct_flush_tuple(w->ct, &dt, t.zone);
        if (error && error != ENOENT && error != EINVAL) {
            fuzz_fail("ct_flush_tuple() returned %d", error);
        }
        if ((error ? 0 : 1) != n_before - ct_get_nconns(w->ct)) {
            fuzz_fail("ct_flush_tuple() returned %d and took %"PRIu32
                      " connections to %"PRIu32, error, n_before,
                      ct_get_nconns(w->ct));
        }
        break;
    }

    default: {
        /* Malformed tuples. */
        struct ct_dpif_tuple dt;
        int error;

        memset(&dt, 0, sizeof dt);
        dt.l3_type = b & 1 ? AF_INET : 12345;
        dt.ip_proto = IPPROTO_ICMP;
        dt.icmp_type = ICMP4_DST_UNREACH;
        dt.icmp_code = b >> 1;
        error = ct_flush_tuple(w->ct, &dt, zones[b & 3]);
        if (error != EINVAL) {
            fuzz_fail("ct_flush_tuple() of a malformed tuple returned %d",
                      error);
        }
        break;
    }
    }
    check_table(w);
}

/* The default limit reads back as set, with the connections of the zones
 * that have no limit of their own (only the world's zones have any). */
static void
check_default_zone(struct world *w)
{
    uint32_t limit, count, sum = 0;

    /* Restored files may hold connections in other zones: count those from
     * a dump, which is only complete when nothing is expired. */
    if (!w->clean) {
        return;
    }
    fuzz_dump(w->ct, w->now, NULL, &w->dump);
    for (size_t i = 0; i < w->dump.n; i++) {
        uint16_t zone = w->dump.conns[i].orig.zone;
        size_t j;

        for (j = 0; j < ARRAY_SIZE(zones) && zones[j] != zone; j++) {
            continue;
        }
        sum += j == ARRAY_SIZE(zones);
    }
    for (size_t i = 0; i < ARRAY_SIZE(zones); i++) {
        uint32_t zl, zc;

        ct_zone_limit_get(w->ct, zones[i], &zl, &zc);
        if (!w->own_limit[i]) {
            sum += zc;
            if (zl != w->default_limit) {
                fuzz_fail("zone %"PRIu16" without a limit of its own has "
                          "limit %"PRIu32", the default is %"PRIu32,
                          zones[i], zl, w->default_limit);
            }
        }
    }
    ct_zone_limit_get(w->ct, CT_ZONE_DEFAULT, &limit, &count);
    if (limit != w->default_limit || count != sum) {
        fuzz_fail("default zone limit reads %"PRIu32" with %"PRIu32
                  " connections, expected %"PRIu32" with %"PRIu32, limit,
                  count, w->default_limit, sum);
    }
}

static void
op_limit(struct world *w, struct fuzz_in *in, unsigned int param)
{
    static const uint32_t limits[4] = { 0, 1, 2, 3 };
    static const uint32_t maxes[8] = { 0, 1, 2, 4, 16, 64, 1000, UINT32_MAX };
    uint8_t b = fuzz_u8(in);
    int32_t zone = zones[b & 3];
    uint32_t limit, count;

    switch (param & 7) {
    case 0:
    case 5:
        w->own_limit[b & 3] = true;
        ct_zone_limit_set(w->ct, zone, limits[(b >> 2) & 3]);
        ct_zone_limit_get(w->ct, zone, &limit, &count);
        if (limit != limits[(b >> 2) & 3]) {
            /* An own limit of 0 is "unlimited", which reads back as 0. */
            fuzz_fail("zone %"PRId32" limit set to %"PRIu32", reads "
                      "%"PRIu32, zone, limits[(b >> 2) & 3], limit);
        }
        break;
    case 1:
        w->own_limit[b & 3] = false;
        ct_zone_limit_del(w->ct, zone);
        break;
    case 2:
        w->default_limit = limits[(b >> 2) & 3];
        ct_zone_limit_set(w->ct, CT_ZONE_DEFAULT, w->default_limit);
        break;
    case 3:
        w->default_limit = 0;
        ct_zone_limit_del(w->ct, CT_ZONE_DEFAULT);
        break;
    case 4:
    case 6:
        ct_set_maxconns(w->ct, maxes[(b >> 2) & 7]);
        if (ct_get_maxconns(w->ct) != maxes[(b >> 2) & 7]) {
            fuzz_fail("max_conns set to %"PRIu32", reads %"PRIu32,
                      maxes[(b >> 2) & 7], ct_get_maxconns(w->ct));
        }
        break;
    default:
        /* Zones out of range are refused. */
        if (ct_zone_limit_set(w->ct, 65536 + b, 1) != EINVAL
            || ct_zone_limit_set(w->ct, -2 - b, 1) != EINVAL) {
            fuzz_fail("zone limit of an out-of-range zone accepted");
        }
        break;
    }
    /* check_default_zone() walks every zone: once, at the end. */
    w->limits_changed = true;
    check_table(w);
}

static void
op_policy(struct world *w, struct fuzz_in *in, unsigned int param)
{
    static const uint32_t values[8] = {
        0, 1, 2, 30, 60, 600, 86400, UINT32_MAX,
    };
    struct ct_dpif_timeout_policy tp, got;
    uint32_t present = fuzz_u32(in);
    uint8_t v = fuzz_u8(in);
    uint32_t id = param & 1;
    int error;

    if (param & 2) {
        error = ct_timeout_policy_del(w->ct, id);
        if (error && error != ENOENT) {
            fuzz_fail("ct_timeout_policy_del() returned %d", error);
        }
        check_table(w);
        return;
    }
    memset(&tp, 0, sizeof tp);
    tp.id = id;
    tp.present = present & ((1u << CT_DPIF_TP_ATTR_MAX) - 1);
    for (int i = 0; i < CT_DPIF_TP_ATTR_MAX; i++) {
        if (tp.present & (1u << i)) {
            tp.attrs[i] = values[(v + i) & 7];
            if (!tp.attrs[i]) {
                w->zero_timeouts = true;
            }
        }
    }
    error = ct_timeout_policy_set(w->ct, &tp);
    if (error) {
        fuzz_fail("ct_timeout_policy_set() returned %d", error);
    }
    error = ct_timeout_policy_get(w->ct, id, &got);
    if (error || got.id != id || got.present != tp.present) {
        fuzz_fail("timeout policy %"PRIu32" does not read back", id);
    }
    for (int i = 0; i < CT_DPIF_TP_ATTR_MAX; i++) {
        if ((tp.present & (1u << i)) && got.attrs[i] != tp.attrs[i]) {
            fuzz_fail("timeout policy %"PRIu32" attribute %d reads back "
                      "%"PRIu32" instead of %"PRIu32, id, i, got.attrs[i],
                      tp.attrs[i]);
        }
    }
    check_table(w);
}

/* A real packet from one of a connection's tuples, without commit. */
static void
op_probe(struct world *w, struct fuzz_in *in, unsigned int param)
{
    uint8_t b = fuzz_u8(in);
    bool reply = param & 1;
    struct fuzz_conn c;
    struct fuzz_l4 l4;
    struct dp_packet *pkt;
    struct ct_exec args;
    uint8_t st;
    char s[2][FUZZ_TUPLE_STRLEN];

    fuzz_dump(w->ct, w->now, NULL, &w->dump);
    if (!w->dump.n) {
        return;
    }
    c = w->dump.conns[b % w->dump.n];
    memset(&l4, 0, sizeof l4);
    l4.tcp_flags = TCP_ACK;
    l4.win = 1000;
    pkt = fuzz_build(reply ? &c.reply : &c.orig, &l4);
    memset(&args, 0, sizeof args);
    args.dl_type = htons(c.orig.l3_type == AF_INET6 ? ETH_TYPE_IPV6
                                                     : ETH_TYPE_IP);
    args.zone = c.orig.zone;
    args.now = w->now;
    fuzz_exec1(w->ct, pkt, &args);
    after_packets(w);
    trace("probe", pkt, &args);
    fuzz_check_ct_state(pkt, args.zone, "probe");
    st = pkt->md.ct_state;

    /* TCP and SCTP packets are judged by their trackers; for the others,
     * being found is enough to be +est in the reply direction. */
    if (!fuzz_tuple_cmp(&c.orig, &c.reply)) {
        reply = false;          /* See probe() in fuzz-util.c. */
    }
    if (c.orig.proto != IPPROTO_TCP && c.orig.proto != IPPROTO_SCTP) {
        bool ok = (reply
                   ? st == (CS_TRACKED | CS_ESTABLISHED | CS_REPLY_DIR)
                   : (st == (CS_TRACKED | CS_NEW)
                      || st == (CS_TRACKED | CS_ESTABLISHED)));

        if (!ok) {
            fuzz_fail("packet from the %s tuple %s of connection orig %s "
                      "got ct_state 0x%02"PRIx8, reply ? "reply" : "original",
                      fuzz_tuple_str(reply ? &c.reply : &c.orig, s[0]),
                      fuzz_tuple_str(&c.orig, s[1]), st);
        }
    }
    dp_packet_delete(pkt);
    check_table(w);
}

static void
op_dump_zone(struct world *w, struct fuzz_in *in OVS_UNUSED,
             unsigned int param)
{
    uint16_t zone = zones[param & 3];
    size_t n_all = 0;

    fuzz_dump(w->ct, w->now, NULL, &w->dump);
    for (size_t i = 0; i < w->dump.n; i++) {
        n_all += w->dump.conns[i].orig.zone == zone;
    }
    /* fuzz_dump() checks the zone of each entry. */
    fuzz_dump(w->ct, w->now, &zone, &w->dump);
    if (w->dump.n != n_all) {
        fuzz_fail("dump of zone %"PRIu16" returned %"PRIuSIZE" connections "
                  "of the %"PRIuSIZE" that a full dump has", zone,
                  w->dump.n, n_all);
    }
}

/* Persistence.  The files live in a directory of this process's own. */
static char *persist_dir;

static void
persist_cleanup(void)
{
    if (persist_dir) {
        char *path = xasprintf("%s/table", persist_dir);

        unlink(path);
        free(path);
        rmdir(persist_dir);
    }
}

static const char *
persist_path(void)
{
    static char *path;

    if (!path) {
        char tmpl_shm[] = "/dev/shm/ctdp-fuzz-XXXXXX";
        char tmpl_tmp[] = "/tmp/ctdp-fuzz-XXXXXX";
        char *dir = mkdtemp(tmpl_shm);

        dir = dir ? dir : mkdtemp(tmpl_tmp);
        if (!dir) {
            fuzz_fail("cannot create a directory for ct_save()");
        }
        persist_dir = xstrdup(dir);
        path = xasprintf("%s/table", persist_dir);
        atexit(persist_cleanup);
    }
    return path;
}

static uint8_t *
read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET)) {
        fuzz_fail("cannot read back %s", path);
    }
    buf = xmalloc(n + 1);
    if (fread(buf, 1, n, f) != (size_t) n) {
        fuzz_fail("short read of %s", path);
    }
    fclose(f);
    *size = n;
    return buf;
}

static void
write_file(const char *path, const uint8_t *buf, size_t size)
{
    FILE *f = fopen(path, "wb");

    if (!f || (size && fwrite(buf, 1, size, f) != size) || fclose(f)) {
        fuzz_fail("cannot write %s", path);
    }
}

/* Recomputes the checksum of the file image 'buf' (see ct-persist.h), if
 * its size fits whole records. */
static void
fix_checksum(uint8_t *buf, size_t size)
{
    uint32_t h = 0;

    if (size < CT_PERSIST_HDR_LEN
        || (size - CT_PERSIST_HDR_LEN) % CT_PERSIST_REC_LEN) {
        return;
    }
    for (size_t ofs = CT_PERSIST_HDR_LEN; ofs < size;
         ofs += CT_PERSIST_REC_LEN) {
        h = hash_bytes(buf + ofs, CT_PERSIST_REC_LEN, h);
    }
    buf[24] = h >> 24;
    buf[25] = h >> 16;
    buf[26] = h >> 8;
    buf[27] = h;
}

static int
conn_cmp(const void *a_, const void *b_)
{
    const struct fuzz_conn *a = a_, *b = b_;
    int c = fuzz_tuple_cmp(&a->orig, &b->orig);

    return c ? c : fuzz_tuple_cmp(&a->reply, &b->reply);
}

/* Whether dumps 'a' and 'b' hold the same connections, marks, labels and
 * timeouts. */
static bool
dumps_equal(struct fuzz_dump *a, struct fuzz_dump *b)
{
    if (a->n != b->n) {
        return false;
    } else if (!a->n) {
        return true;
    }
    qsort(a->conns, a->n, sizeof *a->conns, conn_cmp);
    qsort(b->conns, b->n, sizeof *b->conns, conn_cmp);
    for (size_t i = 0; i < a->n; i++) {
        const struct fuzz_conn *x = &a->conns[i], *y = &b->conns[i];

        if (conn_cmp(x, y) || x->mark != y->mark
            || !ovs_u128_equals(x->label, y->label)
            || x->timeout != y->timeout) {
            return false;
        }
    }
    return true;
}

/* ct_save() and ct_restore(): param bits 0-1 pick the mode.
 *
 *   0  round trip: save, flush, restore; the table must come back as it
 *      was (or, if limits refuse some connections, partly, with ENOSPC);
 *   1  save, then flip bytes of the file (1 byte: how many; 3 bytes each:
 *      offset, xor value) and fix its checksum, so that the field checks
 *      are what stands between the bytes and the table;
 *   2  the same without fixing the checksum: the file must be refused;
 *   3  a file of 1-4 records taken from the input (1 byte: count, then
 *      144 bytes per record), with a right header and checksum.
 *
 * Param bit 2: restore on top of the table instead of an empty one.  Every
 * outcome must leave the table consistent (the checks after each step), a
 * refused file must add nothing, and the statistics must add up. */
static void
op_persist(struct world *w, struct fuzz_in *in, unsigned int param)
{
    const char *path = persist_path();
    unsigned int mode = param & 3;
    bool keep = param & 4;
    struct fuzz_dump before = { NULL, 0, 0 };
    struct ct_restore_stats rs;
    struct ds err = DS_EMPTY_INITIALIZER;
    bool records_changed = false;
    uint64_t n_saved = 0;
    uint32_t n_start;
    int error;

    fuzz_dump(w->ct, w->now, NULL, &before);
    if (mode != 3) {
        error = ct_save_ext(w->ct, path, w->now, &err, &n_saved);
        if (error) {
            fuzz_fail("ct_save() failed: %s", ds_cstr(&err));
        }
        if (n_saved != before.n) {
            fuzz_fail("ct_save() wrote %"PRIu64" connections, a dump at the "
                      "same time has %"PRIuSIZE, n_saved, before.n);
        }
    }
    if (mode == 1 || mode == 2) {
        size_t size, n = 1 + fuzz_u8(in) % 8;
        uint8_t *buf = read_file(path, &size);

        uint8_t *orig = xmemdup(buf, size);

        for (size_t i = 0; i < n && size; i++) {
            uint16_t ofs = fuzz_u16(in);

            buf[ofs % size] ^= fuzz_u8(in);
        }
        records_changed = (size > CT_PERSIST_HDR_LEN
                           && memcmp(buf + CT_PERSIST_HDR_LEN,
                                     orig + CT_PERSIST_HDR_LEN,
                                     size - CT_PERSIST_HDR_LEN));
        free(orig);
        if (mode == 1) {
            fix_checksum(buf, size);
        }
        write_file(path, buf, size);
        free(buf);
    } else if (mode == 3) {
        size_t n = 1 + fuzz_u8(in) % 4;
        size_t size = CT_PERSIST_HDR_LEN + n * CT_PERSIST_REC_LEN;
        uint8_t *buf = xzalloc(size);

        memcpy(buf, "CTDPCONN", 8);
        buf[11] = CT_PERSIST_VERSION;
        buf[15] = CT_PERSIST_REC_LEN;
        buf[23] = n;
        fuzz_bytes(in, buf + CT_PERSIST_HDR_LEN, n * CT_PERSIST_REC_LEN);
        fix_checksum(buf, size);
        write_file(path, buf, size);
        free(buf);
    }

    if (!keep) {
        ct_flush(w->ct, NULL);
    }
    n_start = ct_get_nconns(w->ct);
    memset(&rs, 0, sizeof rs);
    ds_clear(&err);
    error = ct_restore_ext(w->ct, path, w->now, &err, &rs);
    after_packets(w);
    if (verbose) {
        fprintf(stderr, "persist mode %u: saved %"PRIu64", restore: %s, "
                "%"PRIu64" records, %"PRIu64" restored, %"PRIu64" over "
                "limits, %"PRIu64" clashing%s%s\n", mode, n_saved,
                ovs_retval_to_string(error), rs.n_records, rs.n_restored,
                rs.n_limit, rs.n_clash, err.length ? ": " : "",
                ds_cstr(&err));
    }

    switch (error) {
    case 0:
    case ENOSPC:
        if (rs.n_restored + rs.n_limit + rs.n_clash != rs.n_records
            || !error != !(rs.n_limit + rs.n_clash)) {
            fuzz_fail("ct_restore() returned %d for %"PRIu64" records: "
                      "%"PRIu64" restored, %"PRIu64" over limits, %"PRIu64
                      " clashing", error, rs.n_records, rs.n_restored,
                      rs.n_limit, rs.n_clash);
        }
        if (ct_get_nconns(w->ct) != n_start + rs.n_restored) {
            fuzz_fail("ct_restore() restored %"PRIu64" connections, the "
                      "table went from %"PRIu32" to %"PRIu32,
                      rs.n_restored, n_start, ct_get_nconns(w->ct));
        }
        break;
    case EINVAL:
    case ENOTSUP:
        if (mode == 0) {
            fuzz_fail("ct_restore() refused a file ct_save() wrote: %s",
                      ds_cstr(&err));
        }
        if (ct_get_nconns(w->ct) != n_start) {
            fuzz_fail("ct_restore() refused the file (%s) but the table "
                      "went from %"PRIu32" to %"PRIu32" connections",
                      ds_cstr(&err), n_start, ct_get_nconns(w->ct));
        }
        if (!err.length) {
            fuzz_fail("ct_restore() refused the file without a message");
        }
        break;
    default:
        fuzz_fail("ct_restore() returned %d (%s)", error, ds_cstr(&err));
    }
    if (mode == 2 && records_changed && (!error || error == ENOSPC)) {
        /* (A 32-bit checksum misses one change in 2**32: rare enough.) */
        fuzz_fail("ct_restore() accepted changed records with a stale "
                  "checksum");
    }

    check_table(w);
    if (mode == 0 && !keep && !error && !dumps_equal(&before, &w->dump)) {
        fuzz_fail("the table restored from a save differs from the saved "
                  "one");
    }
    fuzz_dump_destroy(&before);
    ds_destroy(&err);
}

static void
op_stats(struct world *w)
{
    unsigned int n = ct_n_shards(w->ct);
    uint32_t *counts = xcalloc(n, sizeof *counts);
    struct ds s = DS_EMPTY_INITIALIZER;
    uint64_t sum = 0;

    ct_shard_counts(w->ct, counts, n);
    for (unsigned int i = 0; i < n; i++) {
        sum += counts[i];
    }
    if (sum != ct_get_nconns(w->ct)) {
        fuzz_fail("shard counts add up to %"PRIu64", ct_get_nconns() says "
                  "%"PRIu32, sum, ct_get_nconns(w->ct));
    }
    ct_format_shards(w->ct, &s);
    ds_destroy(&s);
    free(counts);
}

/* One engine per shard count, reused from input to input: creating one
 * costs more than most inputs.  reset_engine() brings it back to its
 * initial configuration. */
#define RECREATE_EVERY 64
static struct ct *engines[4];
static unsigned int n_uses[4];
static long long clock_ms = 1000 * 1000;

static void
reset_engine(struct ct *ct, uint32_t max_conns, bool seq_chk)
{
    struct ct_dpif_timeout_policy defaults = { .id = 0 };

    ct_flush(ct, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(zones); i++) {
        ct_zone_limit_del(ct, zones[i]);
    }
    ct_zone_limit_del(ct, CT_ZONE_DEFAULT);
    ct_set_maxconns(ct, max_conns);
    ct_timeout_policy_del(ct, 1);
    ct_timeout_policy_set(ct, &defaults);
    ct_set_tcp_seq_chk(ct, seq_chk);
    ct_set_acct(ct, false);
    ovsrcu_quiesce();
    if (ct_get_nconns(ct)) {
        fuzz_fail("%"PRIu32" connections left after ct_flush()",
                  ct_get_nconns(ct));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t max_conns[4] = { 4, 16, 64, 1000 };
    struct fuzz_in in = { data, size };
    uint8_t cfg_byte = fuzz_u8(&in);
    unsigned int shards_idx = cfg_byte & 3;
    struct world w;

    /* Hash tables only grow: a table that once held many connections
     * makes every later dump and flush walk its empty buckets.  Start
     * afresh now and then. */
    if (engines[shards_idx]
        && (fresh || ++n_uses[shards_idx] % RECREATE_EVERY == 0)) {
        ct_destroy(engines[shards_idx]);
        engines[shards_idx] = NULL;
    }
    random_set_seed(0x5eed);
    if (!engines[shards_idx]) {
        struct ct_config cfg = {
            .n_shards = 1u << shards_idx,
            .max_conns = 1000,
        };

        engines[shards_idx] = ct_create(&cfg);
    }
    memset(&w, 0, sizeof w);
    w.ct = fuzz_trace_ct = engines[shards_idx];
    /* The previous input left the engine empty, in its defaults. */
    ct_set_maxconns(w.ct, max_conns[(cfg_byte >> 2) & 3]);
    ct_set_tcp_seq_chk(w.ct, !(cfg_byte & 0x10));
    ct_set_acct(w.ct, cfg_byte & 0x20);
    w.now = clock_ms;
    w.clean = true;

    for (int i = 0; i < MAX_OPS && !fuzz_empty(&in); i++) {
        uint8_t op = fuzz_u8(&in);
        unsigned int param = op >> 4;

        /* The datapath quiesces between batches, but a recirculated packet
         * comes back within the same grace period, with the connection
         * handle in its metadata still usable; after a quiescent state the
         * handle must not be used any more. */
        if ((op & 15) != OP_RECIRC) {
            ovsrcu_quiesce();
            if (w.last) {
                w.last->md.conn = NULL;
            }
        }

        switch (op & 15) {
        case OP_PACKET0: case OP_PACKET1: case OP_PACKET2: case OP_PACKET3:
        case OP_PACKET15:
            op_packet(&w, &in, param);
            break;
        case OP_RECIRC:
            op_recirc(&w, &in, param);
            break;
        case OP_SWEEP:
            op_sweep(&w, &in, param);
            break;
        case OP_FLUSH:
            op_flush(&w, &in, param);
            break;
        case OP_LIMIT:
            op_limit(&w, &in, param);
            break;
        case OP_POLICY:
            op_policy(&w, &in, param);
            break;
        case OP_SEQ_CHK:
            ct_set_tcp_seq_chk(w.ct, param & 1);
            if (ct_get_tcp_seq_chk(w.ct) != (param & 1)) {
                fuzz_fail("TCP sequence checking does not read back");
            }
            if (param & 2) {
                /* Accounting applies to connections created from now on:
                 * a table mixes connections with and without counters. */
                ct_set_acct(w.ct, param & 4);
                if (ct_get_acct(w.ct) != !!(param & 4)) {
                    fuzz_fail("connection accounting does not read back");
                }
            }
            break;
        case OP_PROBE:
            op_probe(&w, &in, param);
            break;
        case OP_DUMP_ZONE:
            op_dump_zone(&w, &in, param);
            break;
        case OP_STATS:
            op_stats(&w);
            break;
        case OP_BATCH:
            op_batch(&w, &in, param);
            break;
        case OP_PERSIST:
            op_persist(&w, &in, param);
            break;
        default:
            OVS_NOT_REACHED();
        }
    }

    check_table_fully(&w);
    if (w.limits_changed) {
        check_default_zone(&w);
    }
    dp_packet_delete(w.last);
    fuzz_dump_destroy(&w.dump);
    /* Empty the table now rather than at the start of the next input: the
     * connections live in memory that the engine maps itself, which
     * LeakSanitizer does not scan, so labels still hanging off connections
     * when libFuzzer looks for leaks would look leaked.  With the table
     * empty, any label left is a real leak. */
    reset_engine(w.ct, 1000, true);
    /* Keep time monotonic across inputs, as the datapath's clock is. */
    clock_ms = w.now + 1000;
    return 0;
}
