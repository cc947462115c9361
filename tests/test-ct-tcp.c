/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Unit tests of the TCP tracker (lib/ct-tcp.c).
 *
 *     ctdp-test ct-tcp check         every test below
 *     ctdp-test ct-tcp TEST          one of them
 *     ctdp-test ct-tcp random [N]    N (default 200,000) random segments
 *     ctdp-test ct-tcp benchmark [N] N (default 10,000,000) updates of an
 *                                    established connection
 *
 * The expected edges and states are worked out in the comments from the
 * segments sent, not taken from the tracker's output. */

#include <config.h>
#include "ct-tcp.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "ctdp-test.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

#define ORIG false
#define RPL true

/* Flag shorthands. */
#define F TCP_FIN
#define S TCP_SYN
#define R TCP_RST
#define P TCP_PSH
#define A TCP_ACK
#define U TCP_URG

/* Segments are built at an offset of 2 modulo 4 from an 8-byte boundary,
 * like a TCP header behind Ethernet and IPv4 headers. */
#define SEG_ALIGN_OFS 2
static uint64_t seg_buf[(SEG_ALIGN_OFS + 60 + 65535 + 7) / 8];

/* Options of a built segment. */
struct seg_opts {
    int wscale;         /* Window scale shift, or -1 for no option. */
    const uint8_t *raw; /* Or raw option bytes (overrides 'wscale')... */
    size_t raw_len;     /* ...of this length, a multiple of 4. */
};

static const struct seg_opts no_opts = { .wscale = -1 };

/* Builds a TCP segment with 'flags', 'seq', 'ack', window 'win', 'plen' zero
 * bytes of payload and 'opts', and returns it; '*lenp' receives its L4
 * length. */
static const struct tcp_header *
build_seg(uint16_t flags, uint32_t seq, uint32_t ack, uint16_t win,
          size_t plen, const struct seg_opts *opts, size_t *lenp)
{
    struct tcp_header *th = (struct tcp_header *)
                            ((uint8_t *) seg_buf + SEG_ALIGN_OFS);
    uint8_t *opt = (uint8_t *) (th + 1);
    size_t olen = 0;

    memset(th, 0, TCP_HEADER_LEN + 40 + plen);
    if (opts->raw) {
        memcpy(opt, opts->raw, opts->raw_len);
        olen = opts->raw_len;
    } else if (opts->wscale >= 0) {
        /* MSS 1460, SACK permitted, NOP, window scale: 12 bytes. */
        static const uint8_t head[] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3 };

        memcpy(opt, head, sizeof head);
        opt[9] = opts->wscale;
        opt[10] = 1;            /* NOP */
        opt[11] = 0;            /* EOL */
        olen = 12;
    }
    th->tcp_src = htons(40000);
    th->tcp_dst = htons(80);
    put_16aligned_be32(&th->tcp_seq, htonl(seq));
    put_16aligned_be32(&th->tcp_ack, htonl(ack));
    th->tcp_ctl = TCP_CTL(flags, (TCP_HEADER_LEN + olen) / 4);
    th->tcp_winsz = htons(win);
    *lenp = TCP_HEADER_LEN + olen + plen;
    return th;
}

/* Feeds a segment to 'tcp' with sequence checking 'chk'. */
static enum ct_tcp_result
feed_opts(struct ct_tcp *tcp, bool reply, uint16_t flags, uint32_t seq,
          uint32_t ack, uint16_t win, size_t plen, bool chk,
          const struct seg_opts *opts)
{
    size_t len;
    const struct tcp_header *th = build_seg(flags, seq, ack, win, plen, opts,
                                            &len);

    CT_ASSERT(ct_tcp_header_ok(th, len));
    return ct_tcp_update(tcp, reply, th, len, chk);
}

static enum ct_tcp_result
feed(struct ct_tcp *tcp, bool reply, uint16_t flags, uint32_t seq,
     uint32_t ack, uint16_t win, size_t plen)
{
    return feed_opts(tcp, reply, flags, seq, ack, win, plen, true, &no_opts);
}

static enum ct_tcp_result
feed_liberal(struct ct_tcp *tcp, bool reply, uint16_t flags, uint32_t seq,
             uint32_t ack, uint16_t win, size_t plen)
{
    return feed_opts(tcp, reply, flags, seq, ack, win, plen, false,
                     &no_opts);
}

/* Starts 'tcp' with a segment from the initiator. */
static void
start_opts(struct ct_tcp *tcp, uint16_t flags, uint32_t seq, uint32_t ack,
           uint16_t win, size_t plen, const struct seg_opts *opts)
{
    size_t len;
    const struct tcp_header *th = build_seg(flags, seq, ack, win, plen, opts,
                                            &len);

    CT_ASSERT(ct_tcp_header_ok(th, len));
    memset(tcp, 0xa5, sizeof *tcp);     /* ct_tcp_init() sets everything. */
    ct_tcp_init(tcp, th, len);
}

static void
start_syn(struct ct_tcp *tcp, uint32_t isn, uint16_t win)
{
    start_opts(tcp, S, isn, 0, win, 0, &no_opts);
}

/* Returns the "protoinfo=(...)" part of the line that dpctl/dump-conntrack
 * prints for a TCP connection with 'tcp''s state.  The caller frees it. */
static char *
dump_protoinfo(const struct ct_tcp *tcp, bool verbose)
{
    struct ct_dpif_entry entry;
    struct ds ds = DS_EMPTY_INITIALIZER;
    const char *p;
    char *s;

    memset(&entry, 0, sizeof entry);
    entry.tuple_orig.l3_type = AF_INET;
    entry.tuple_orig.ip_proto = IPPROTO_TCP;
    entry.tuple_reply = entry.tuple_orig;
    ct_tcp_get_protoinfo(tcp, &entry.protoinfo);
    ct_dpif_format_entry(&entry, &ds, verbose, false);
    p = strstr(ds_cstr(&ds), "protoinfo=");
    s = xstrdup(p ? p : ds_cstr(&ds));
    ds_destroy(&ds);
    return s;
}

static void
check_dump(const struct ct_tcp *tcp, bool verbose, const char *expected,
           int line)
{
    char *s = dump_protoinfo(tcp, verbose);

    if (strcmp(s, expected)) {
        fprintf(stderr, "%s:%d: dump is\n  %s\nexpected\n  %s\n",
                __FILE__, line, s, expected);
        abort();
    }
    free(s);
}
#define CHECK_DUMP(TCP, EXPECTED) check_dump(TCP, false, EXPECTED, __LINE__)
#define CHECK_DUMP_VERBOSE(TCP, EXPECTED) \
    check_dump(TCP, true, EXPECTED, __LINE__)

#define CHECK_STATES(TCP, ORIG_STATE, REPLY_STATE)                  \
    do {                                                            \
        CT_ASSERT_EQ((TCP)->peer[0].state, CT_DPIF_TCPS_##ORIG_STATE);  \
        CT_ASSERT_EQ((TCP)->peer[1].state, CT_DPIF_TCPS_##REPLY_STATE); \
    } while (0)

#define CHECK_ATTR(TCP, ATTR) \
    CT_ASSERT_EQ(ct_tcp_timeout_attr(TCP), CT_DPIF_TP_ATTR_TCP_##ATTR)

/* Asserts that a segment is invalid and leaves 'tcp' as it was. */
#define CHECK_INVALID(TCP, CALL)                                    \
    do {                                                            \
        struct ct_tcp before__ = *(TCP);                            \
        CT_ASSERT_EQ(CALL, CT_TCP_INVALID);                         \
        CT_ASSERT(!memcmp(&before__, (TCP), sizeof before__));      \
    } while (0)

/* Same for CT_TCP_REOPEN. */
#define CHECK_REOPEN(TCP, CALL)                                     \
    do {                                                            \
        struct ct_tcp before__ = *(TCP);                            \
        CT_ASSERT_EQ(CALL, CT_TCP_REOPEN);                          \
        CT_ASSERT(!memcmp(&before__, (TCP), sizeof before__));      \
    } while (0)

/* ct_tcp_syn_is_new() for a segment with 'flags' from peer 'reply'. */
static bool
is_new_syn(const struct ct_tcp *tcp, bool reply, uint16_t flags)
{
    size_t len;
    const struct tcp_header *th = build_seg(flags, 1, 0, 1, 0, &no_opts,
                                            &len);

    return ct_tcp_syn_is_new(tcp, reply, th);
}

/* Client and server initial sequence numbers of most tests. */
#define CISN 1000u
#define SISN 5000u

/* Builds an established connection without window scaling: the client
 * (ISN CISN, window 64240) connects, the server (ISN SISN) answers with
 * window 'swin'. */
static void
establish(struct ct_tcp *tcp, uint16_t swin)
{
    start_syn(tcp, CISN, 64240);
    CT_ASSERT_EQ(feed(tcp, RPL, S | A, SISN, CISN + 1, swin, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(tcp, ORIG, A, CISN + 1, SISN + 1, 64240, 0),
                 CT_TCP_OK);
    CHECK_STATES(tcp, ESTABLISHED, ESTABLISHED);
}

/* The flags rule, written independently of the tracker's table. */
static bool
flags_impossible(uint16_t f)
{
    return ((f & S && f & F)
            || (f & S && f & R)
            || (!(f & S) && !(f & A) && !(f & R))
            || (!(f & A) && f & (F | P | U)));
}

static void
test_flags(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    int n_invalid = 0;

    /* All 12 flag bits: ECE, CWR and NS must not matter. */
    for (uint16_t f = 0; f < 0x1000; f++) {
        bool impossible = flags_impossible(f);
        struct ct_tcp tcp;
        size_t len;
        const struct tcp_header *th;

        th = build_seg(f, CISN, 0, 1000, 0, &no_opts, &len);
        if (impossible) {
            n_invalid++;
            CT_ASSERT(!ct_tcp_valid_new(th, len, false));
            CT_ASSERT(!ct_tcp_valid_new(th, len, true));
        } else if ((f & (S | A)) == S) {
            /* A plain SYN (possibly ECE/CWR for ECN) opens. */
            CT_ASSERT(ct_tcp_valid_new(th, len, false));
            CT_ASSERT(ct_tcp_valid_new(th, len, true));
        } else {
            /* Mid-stream pickup only when liberal, never from a RST or a
             * SYN+ACK. */
            CT_ASSERT(!ct_tcp_valid_new(th, len, false));
            CT_ASSERT_EQ(ct_tcp_valid_new(th, len, true),
                         !(f & R) && !(f & S));
        }

        /* On an established connection, with the segment in window: the
         * impossible ones are invalid in both modes and change nothing. */
        establish(&tcp, 64240);
        if (impossible) {
            CHECK_INVALID(&tcp, feed(&tcp, ORIG, f, CISN + 1, SISN + 1,
                                     64240, 0));
            CHECK_INVALID(&tcp, feed_liberal(&tcp, RPL, f, SISN + 1,
                                             CISN + 1, 64240, 0));
        } else if (!(f & (S | R))) {
            CT_ASSERT_EQ(feed(&tcp, ORIG, f, CISN + 1, SISN + 1, 64240, 10),
                         CT_TCP_OK);
            CT_ASSERT_EQ(tcp.peer[0].state, f & F ? CT_DPIF_TCPS_CLOSING
                                                  : CT_DPIF_TCPS_ESTABLISHED);
        } else if (f & R) {
            /* Valid RSTs, exact sequence number: reset. */
            CT_ASSERT_EQ(feed(&tcp, ORIG, f, CISN + 1, SISN + 1, 0, 0),
                         CT_TCP_OK);
            CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);
        }
    }
    /* Of the 64 combinations of FIN, SYN, RST, PSH, ACK and URG, these are
     * valid:
     *   no SYN, ACK: 16 (FIN, RST, PSH, URG free);
     *   no SYN, no ACK: RST alone: 1;
     *   SYN, neither RST nor FIN: with ACK 4 (PSH, URG free), without 1;
     * 22 in all, so 42 are impossible, each 64 times (ECE, CWR, NS). */
    CT_ASSERT_EQ(n_invalid, 42 * 64);
}

static void
test_header(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    size_t len;
    struct tcp_header *th = CONST_CAST(struct tcp_header *,
                                       build_seg(S, 1, 0, 1, 0, &no_opts,
                                                 &len));

    CT_ASSERT_EQ(len, 20);
    CT_ASSERT(ct_tcp_header_ok(th, 20));
    CT_ASSERT(ct_tcp_header_ok(th, 1500));
    CT_ASSERT(!ct_tcp_header_ok(th, 19));
    CT_ASSERT(!ct_tcp_header_ok(th, 0));
    CT_ASSERT(!ct_tcp_header_ok(NULL, 20));

    /* Data offset below 5 words. */
    for (int off = 0; off < 5; off++) {
        th->tcp_ctl = TCP_CTL(S, off);
        CT_ASSERT(!ct_tcp_header_ok(th, 60));
    }
    /* Data offset beyond the data present. */
    th->tcp_ctl = TCP_CTL(S, 15);
    CT_ASSERT(ct_tcp_header_ok(th, 60));
    CT_ASSERT(!ct_tcp_header_ok(th, 59));
    th->tcp_ctl = TCP_CTL(S, 6);
    CT_ASSERT(ct_tcp_header_ok(th, 24));
    CT_ASSERT(!ct_tcp_header_ok(th, 23));
}

/* Three-way handshake, data, and the close started by the client. */
static void
test_handshake(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_tcp tcp;

    /* SYN: the client's edge is after its SYN; the server has not spoken. */
    start_syn(&tcp, CISN, 64240);
    CHECK_STATES(&tcp, SYN_SENT, CLOSED);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, CISN + 1);
    CT_ASSERT_EQ(tcp.peer[0].max_win, 64240);
    CT_ASSERT_EQ(tcp.peer[0].wscale, 0);
    CHECK_ATTR(&tcp, SYN_SENT);
    CT_ASSERT(!ct_tcp_assured(&tcp));
    CHECK_DUMP(&tcp, "protoinfo=(state=SYN_SENT)");
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=SYN_SENT,"
                       "state_reply=CLOSED,flags_orig=0,flags_reply=0)");

    /* SYN+ACK acknowledges the SYN: the client is established, the server
     * waits for its own SYN to be acknowledged.  The client may now send up
     * to the server's acknowledgement plus window: CISN + 1 + 65160. */
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, SISN, CISN + 1, 65160, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, SYN_SENT);
    CT_ASSERT_EQ(tcp.peer[1].seqlo, SISN + 1);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 1 + 65160);
    CHECK_ATTR(&tcp, SYN_RECV);
    CT_ASSERT(!ct_tcp_assured(&tcp));
    CHECK_DUMP(&tcp, "protoinfo=(state=ESTABLISHED)");
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=ESTABLISHED,"
                       "state_reply=SYN_SENT,flags_orig=0,flags_reply=0)");

    /* The client's ACK completes the handshake. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1, SISN + 1, 64240, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
    CT_ASSERT_EQ(tcp.peer[1].seqhi, SISN + 1 + 64240);
    CHECK_ATTR(&tcp, ESTABLISHED);
    CT_ASSERT(ct_tcp_assured(&tcp));
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=ESTABLISHED,"
                       "state_reply=ESTABLISHED,flags_orig=0,flags_reply=0)");

    /* Data both ways moves the edges. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A | P, CISN + 1, SISN + 1, 64240, 100),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, CISN + 101);
    CT_ASSERT_EQ(feed(&tcp, RPL, A | P, SISN + 1, CISN + 101, 65160, 200),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].seqlo, SISN + 201);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 101 + 65160);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 101, SISN + 201, 64240, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].seqhi, SISN + 201 + 64240);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
    CHECK_ATTR(&tcp, ESTABLISHED);

    /* The client closes: its FIN takes one sequence number. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, F | A, CISN + 101, SISN + 201, 64240, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, CLOSING, ESTABLISHED);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, CISN + 102);
    CHECK_ATTR(&tcp, FIN_WAIT);
    CHECK_DUMP(&tcp, "protoinfo=(state=CLOSING)");

    /* The server acknowledges the FIN. */
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 201, CISN + 102, 65160, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, ESTABLISHED);
    CHECK_ATTR(&tcp, FIN_WAIT);
    /* dump-conntrack prints FIN_WAIT_2 as TIME_WAIT. */
    CHECK_DUMP(&tcp, "protoinfo=(state=TIME_WAIT)");

    /* The server may still send data, then closes too. */
    CT_ASSERT_EQ(feed(&tcp, RPL, A | P, SISN + 201, CISN + 102, 65160, 50),
                 CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 102, SISN + 251, 64240, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, ESTABLISHED);
    CT_ASSERT_EQ(feed(&tcp, RPL, F | A, SISN + 251, CISN + 102, 65160, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, CLOSING);
    CHECK_ATTR(&tcp, TIME_WAIT);
    CHECK_DUMP(&tcp, "protoinfo=(state=TIME_WAIT)");

    /* The last ACK. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 102, SISN + 252, 64240, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, FIN_WAIT_2);
    CHECK_ATTR(&tcp, CLOSE);
    CT_ASSERT(ct_tcp_assured(&tcp));
    CHECK_DUMP(&tcp, "protoinfo=(state=TIME_WAIT)");
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=FIN_WAIT_2,"
                       "state_reply=FIN_WAIT_2,flags_orig=0,flags_reply=0)");

    /* A repeated FIN of the server (its ACK was lost) is still fine. */
    CT_ASSERT_EQ(feed(&tcp, RPL, F | A, SISN + 251, CISN + 102, 65160, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, FIN_WAIT_2);

    /* A new SYN on the same 4-tuple reopens. */
    CHECK_REOPEN(&tcp, feed(&tcp, ORIG, S, 777777, 0, 64240, 0));
}

/* Closes in the other orders. */
static void
test_teardown(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_tcp tcp;

    /* The server closes first; the client's FIN+ACK acknowledges it. */
    establish(&tcp, 65160);
    CT_ASSERT_EQ(feed(&tcp, RPL, F | A, SISN + 1, CISN + 1, 65160, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, CLOSING);
    CHECK_ATTR(&tcp, FIN_WAIT);
    CHECK_DUMP(&tcp, "protoinfo=(state=CLOSING)");
    CT_ASSERT_EQ(feed(&tcp, ORIG, F | A, CISN + 1, SISN + 2, 64240, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, CLOSING, FIN_WAIT_2);
    CHECK_ATTR(&tcp, TIME_WAIT);
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 2, CISN + 2, 65160, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, FIN_WAIT_2);
    CHECK_ATTR(&tcp, CLOSE);
    CHECK_DUMP(&tcp, "protoinfo=(state=TIME_WAIT)");
    /* Both closed: a SYN from the reply direction reopens as well. */
    CHECK_REOPEN(&tcp, feed(&tcp, RPL, S, 424242, 0, 65160, 0));

    /* Both close at once: each FIN crosses the other, acknowledging only
     * data.  The ACK in each FIN still counts as the other's close being
     * seen, as in Open vSwitch. */
    establish(&tcp, 65160);
    CT_ASSERT_EQ(feed(&tcp, ORIG, F | A, CISN + 1, SISN + 1, 64240, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, CLOSING, ESTABLISHED);
    CT_ASSERT_EQ(feed(&tcp, RPL, F | A, SISN + 1, CISN + 1, 65160, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, CLOSING);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 2, SISN + 2, 64240, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 2, CISN + 2, 65160, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, FIN_WAIT_2);
    CHECK_ATTR(&tcp, CLOSE);

    /* Half-close: only one side's FIN, a SYN is no reuse yet; a far-away
     * sequence number is simply out of window. */
    establish(&tcp, 65160);
    CT_ASSERT_EQ(feed(&tcp, ORIG, F | A, CISN + 1, SISN + 1, 64240, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 1, CISN + 2, 65160, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, ESTABLISHED);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, S, 0x80000000u, 0, 64240, 0));
}

/* Both ends send a SYN before seeing the other's (RFC 9293, 3.5).  The
 * initial sequence numbers are far apart, as real ones are. */
static void
test_simultaneous_open(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    const uint32_t c = 3000000000u, s = 123456789;
    struct ct_tcp tcp;

    start_syn(&tcp, c, 1000);
    /* The other SYN, without ACK, is the server's first segment: nothing
     * acknowledged, both wait. */
    CT_ASSERT_EQ(feed(&tcp, RPL, S, s, 0, 2000, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, SYN_SENT, SYN_SENT);
    CT_ASSERT(is_new_syn(&tcp, RPL, S));
    CT_ASSERT_EQ(tcp.peer[1].seqlo, s + 1);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, c + 1 + 2000);
    CHECK_ATTR(&tcp, SYN_RECV);
    CHECK_DUMP(&tcp, "protoinfo=(state=SYN_SENT)");
    CT_ASSERT(!ct_tcp_assured(&tcp));

    /* Each side answers with SYN+ACK, repeating its own SYN. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, S | A, c, s + 1, 1000, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, SYN_SENT, ESTABLISHED);
    CT_ASSERT(!is_new_syn(&tcp, ORIG, S | A));
    /* The client's SYN, repeated now, is still a new one. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, S, c, 0, 1000, 0), CT_TCP_OK);
    CT_ASSERT(is_new_syn(&tcp, ORIG, S));
    CHECK_STATES(&tcp, SYN_SENT, ESTABLISHED);
    /* A SYN+ACK acknowledging something else is not an answer. */
    CHECK_INVALID(&tcp, feed(&tcp, RPL, S | A, s, c + 100000, 2000, 0));
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, s, c + 1, 2000, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
    CHECK_ATTR(&tcp, ESTABLISHED);
    CT_ASSERT(ct_tcp_assured(&tcp));

    /* Data flows within the windows the SYNs announced. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, c + 1, s + 1, 1000, 2000), CT_TCP_OK);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, c + 2001, s + 1, 1000, 1));
    CT_ASSERT_EQ(feed(&tcp, RPL, A, s + 1, c + 2001, 2000, 1000), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].seqlo, s + 1001);
}

static void
test_rst(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_tcp tcp;

    /* In window, exact sequence number: reset, both go to TIME_WAIT. */
    establish(&tcp, 65160);
    CT_ASSERT_EQ(feed(&tcp, RPL, R, SISN + 1, 0, 0, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);
    CHECK_ATTR(&tcp, CLOSE);
    CT_ASSERT(!ct_tcp_assured(&tcp));
    CHECK_DUMP(&tcp, "protoinfo=(state=TIME_WAIT)");
    /* A SYN reuses the reset connection's 4-tuple. */
    CHECK_REOPEN(&tcp, feed(&tcp, ORIG, S, 99, 0, 64240, 0));
    /* A SYN+ACK does not. */
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, S | A, 0x90000000u, 1, 64240, 0));

    /* One off either way is tolerated; RST+ACK with a zero acknowledgement
     * too. */
    establish(&tcp, 65160);
    CT_ASSERT_EQ(feed(&tcp, ORIG, R | A, CISN + 2, SISN + 1, 0, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);
    establish(&tcp, 65160);
    CT_ASSERT_EQ(feed(&tcp, ORIG, R | A, CISN, 0, 0, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);

    /* Inside the window but not where the sender is: a blind reset attempt
     * (RFC 5961), invalid. */
    establish(&tcp, 65160);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, R, CISN + 3, 0, 0, 0));
    CHECK_INVALID(&tcp, feed(&tcp, RPL, R, SISN + 1000, 0, 0, 0));
    /* Out of window. */
    CHECK_INVALID(&tcp, feed(&tcp, RPL, R, SISN + 1000000, 0, 0, 0));
    /* Exact sequence number but acknowledging what was never sent. */
    CHECK_INVALID(&tcp, feed(&tcp, RPL, R | A, SISN + 1, CISN + 100000, 0,
                             0));
    /* Without sequence checking, any RST resets. */
    CT_ASSERT_EQ(feed_liberal(&tcp, RPL, R, SISN + 1000000, 0, 0, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);

    /* Connection refused: the server answers the SYN with RST+ACK, sequence
     * number 0, acknowledging the SYN. */
    start_syn(&tcp, CISN, 64240);
    CT_ASSERT_EQ(feed(&tcp, RPL, R | A, 0, CISN + 1, 0, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);
    CHECK_ATTR(&tcp, CLOSE);
    CT_ASSERT(!ct_tcp_assured(&tcp));
    /* A RST may carry data explaining it (RFC 9293, 3.5.3). */
    start_syn(&tcp, CISN, 64240);
    CT_ASSERT_EQ(feed(&tcp, RPL, R | A, 0, CISN + 1, 0, 40), CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);
    /* A refusal that does not acknowledge the SYN is not one. */
    start_syn(&tcp, CISN, 64240);
    CHECK_INVALID(&tcp, feed(&tcp, RPL, R | A, 0, CISN + 200000, 0, 0));

    /* The client gives up before any answer. */
    start_syn(&tcp, CISN, 64240);
    CT_ASSERT_EQ(feed(&tcp, ORIG, R, CISN + 1, 0, 0, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);

    /* After a normal close, a RST near the edges is still taken, even when
     * its sequence number is not exact. */
    establish(&tcp, 65160);
    CT_ASSERT_EQ(feed(&tcp, ORIG, F | A, CISN + 1, SISN + 1, 64240, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, RPL, F | A, SISN + 1, CISN + 2, 65160, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 2, SISN + 2, 64240, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, FIN_WAIT_2);
    CT_ASSERT_EQ(feed(&tcp, RPL, R, SISN + 100, 0, 0, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);
}

/* The server offers a 1000-byte window: the client's edge is
 * CISN + 1 + 1000. */
static void
test_window(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_tcp tcp, copy;

    establish(&tcp, 1000);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 1001);

    /* Exactly the window. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1, SISN + 1, 64240, 1000),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, CISN + 1001);
    /* One byte more: invalid with the sequence check, the state stays. */
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, CISN + 1001, SISN + 1, 64240, 1));
    /* Accepted without it, and the edge moves. */
    copy = tcp;
    CT_ASSERT_EQ(feed_liberal(&copy, ORIG, A, CISN + 1001, SISN + 1, 64240,
                              1), CT_TCP_OK);
    CT_ASSERT_EQ(copy.peer[0].seqlo, CISN + 1002);
    CHECK_STATES(&copy, ESTABLISHED, ESTABLISHED);

    /* The server acknowledges and opens the window again. */
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 1, CISN + 1001, 1000, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 2001);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1001, SISN + 1, 64240, 1000),
                 CT_TCP_OK);

    /* Retransmissions: up to one window (the server's largest, 1000) behind
     * the edge CISN + 2001. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1001, SISN + 1, 64240, 500),
                 CT_TCP_OK);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, CISN + 1000, SISN + 1, 64240,
                             500));
    CT_ASSERT_EQ(feed_liberal(&tcp, ORIG, A, CISN + 1000, SISN + 1, 64240,
                              500), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, CISN + 2001);

    /* Acknowledgements: at most 65535 + 1500 beyond what the other side
     * sent, or behind it. */
    CHECK_INVALID(&tcp, feed(&tcp, RPL, A, SISN + 1, CISN + 2001 + 67036,
                             1000, 0));
    CHECK_INVALID(&tcp, feed(&tcp, RPL, A, SISN + 1, CISN + 2001 - 67036,
                             1000, 0));
    copy = tcp;
    CT_ASSERT_EQ(feed(&copy, RPL, A, SISN + 1, CISN + 2001 - 67035, 1000, 0),
                 CT_TCP_OK);
    copy = tcp;
    CT_ASSERT_EQ(feed(&copy, RPL, A, SISN + 1, CISN + 2001 + 67035, 1000, 0),
                 CT_TCP_OK);

    /* A pure ACK is judged by its acknowledgement only: a wild sequence
     * number passes. */
    CT_ASSERT_EQ(feed(&tcp, RPL, A, 0xdeadbeef, CISN + 2001, 1000, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].seqlo, SISN + 1);

    /* The largest window seen grows. */
    CT_ASSERT_EQ(tcp.peer[1].max_win, 1000);
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 1, CISN + 2001, 3000, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].max_win, 3000);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 5001);
    /* A shrinking window does not pull the edge back. */
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 1, CISN + 2001, 10, 0), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 5001);
    /* A zero window allows nothing new. */
    establish(&tcp, 0);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, CISN + 1, SISN + 1, 64240, 2));
}

static void
test_wscale(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct seg_opts ws7 = { .wscale = 7 }, ws8 = { .wscale = 8 };
    struct seg_opts ws0 = { .wscale = 0 }, ws20 = { .wscale = 20 };
    struct ct_tcp tcp;

    /* Client: window 65535, shift 7.  Kept in units of 128: 512 (rounded
     * up). */
    start_opts(&tcp, S, CISN, 0, 65535, 0, &ws7);
    CT_ASSERT_EQ(tcp.peer[0].wscale, CT_TCP_WSCALE_SEEN | 7);
    CT_ASSERT_EQ(tcp.peer[0].max_win, 512);

    /* Server: window 65535, shift 8: 256 units.  The client may send up to
     * CISN + 1 + 256 * 256. */
    CT_ASSERT_EQ(feed_opts(&tcp, RPL, S | A, SISN, CISN + 1, 65535, 0, true,
                           &ws8), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].wscale, CT_TCP_WSCALE_SEEN | 8);
    CT_ASSERT_EQ(tcp.peer[1].max_win, 256);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 1 + 65536);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1, SISN + 1, 20, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=ESTABLISHED,"
                       "state_reply=ESTABLISHED,wscale_orig=7,wscale_reply=8,"
                       "flags_orig=WINDOW_SCALE,flags_reply=WINDOW_SCALE)");

    /* The server's window 1000 means 256000 bytes. */
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 1, CISN + 1, 1000, 0), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 1 + 256000);
    for (int i = 0; i < 4; i++) {
        CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1 + i * 60000, SISN + 1, 20,
                          60000), CT_TCP_OK);
    }
    CT_ASSERT_EQ(tcp.peer[0].seqlo, CISN + 240001);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, CISN + 240001, SISN + 1, 20,
                             16001));
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 240001, SISN + 1, 20, 16000),
                 CT_TCP_OK);
    /* Retransmission: one scaled window back is fine, the server's largest
     * window being 1000 << 8 = 256000 bytes. */
    CT_ASSERT_EQ(tcp.peer[1].max_win, 1000);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 256001 - 256000, SISN + 1, 20,
                      1000), CT_TCP_OK);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, CISN + 256000 - 256000, SISN + 1,
                             20, 1000));
    /* An acknowledgement far behind is tolerated in proportion to the
     * sender's scale: up to (65535 + 1500) << 7 = 8580480 for the client. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 256001, SISN + 1 - 8580480, 20,
                      0), CT_TCP_OK);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, CISN + 256001,
                             SISN + 1 - 8580481, 20, 0));

    /* Only the client sends the option: no scaling, and the client's window
     * counts in bytes again (512 << 7 = 65536, capped at 65535).  The same
     * burst is now out of the server's window. */
    start_opts(&tcp, S, CISN, 0, 65535, 0, &ws7);
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, SISN, CISN + 1, 65535, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].wscale, 0);
    CT_ASSERT_EQ(tcp.peer[0].max_win, 65535);
    CT_ASSERT_EQ(tcp.peer[1].wscale, 0);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1, SISN + 1, 20, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, RPL, A, SISN + 1, CISN + 1, 1000, 0), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, CISN + 1 + 65535);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1, SISN + 1, 20, 60000),
                 CT_TCP_OK);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, CISN + 60001, SISN + 1, 20,
                             60000));
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=ESTABLISHED,"
                       "state_reply=ESTABLISHED,flags_orig=0,flags_reply=0)");

    /* Only the server sends it: its option is not even looked at. */
    start_syn(&tcp, CISN, 65535);
    CT_ASSERT_EQ(feed_opts(&tcp, RPL, S | A, SISN, CISN + 1, 65535, 0, true,
                           &ws8), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].wscale, 0);
    CT_ASSERT_EQ(tcp.peer[1].max_win, 65535);

    /* Shift 0 on both sides: scaling agreed, by a factor of 1. */
    start_opts(&tcp, S, CISN, 0, 65535, 0, &ws0);
    CT_ASSERT_EQ(feed_opts(&tcp, RPL, S | A, SISN, CISN + 1, 65535, 0, true,
                           &ws0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1, SISN + 1, 20, 0), CT_TCP_OK);
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=ESTABLISHED,"
                       "state_reply=ESTABLISHED,"
                       "flags_orig=WINDOW_SCALE,flags_reply=WINDOW_SCALE)");

    /* Shifts above 14 count as 14. */
    start_opts(&tcp, S, CISN, 0, 65535, 0, &ws20);
    CT_ASSERT_EQ(tcp.peer[0].wscale, CT_TCP_WSCALE_SEEN | 14);
    CT_ASSERT_EQ(tcp.peer[0].max_win, 4);
}

/* Options that do not hold a usable window scale. */
static void
test_options(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    static const struct {
        uint8_t bytes[8];
        uint8_t wscale;
    } cases[] = {
        /* NOP NOP wscale(5) EOL. */
        { { 1, 1, 3, 3, 5, 0, 0, 0 }, CT_TCP_WSCALE_SEEN | 5 },
        /* EOL first: what follows is padding. */
        { { 0, 3, 3, 5, 0, 0, 0, 0 }, 0 },
        /* Wrong length for a window scale option. */
        { { 3, 4, 5, 0, 0, 0, 0, 0 }, 0 },
        /* Length below 2: malformed, stop. */
        { { 1, 2, 1, 3, 3, 5, 0, 0 }, 0 },
        /* Length past the end of the options. */
        { { 1, 1, 1, 1, 1, 1, 3, 3 }, 0 },
        /* Kind with no room for its length byte. */
        { { 1, 1, 1, 1, 1, 1, 1, 3 }, 0 },
        /* Timestamps-like option cut short, then nothing. */
        { { 8, 10, 0, 0, 0, 0, 0, 0 }, 0 },
        /* Unknown option skipped, then a window scale. */
        { { 30, 2, 1, 3, 3, 9, 1, 1 }, CT_TCP_WSCALE_SEEN | 9 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct seg_opts opts = { .raw = cases[i].bytes, .raw_len = 8 };
        struct ct_tcp tcp;

        start_opts(&tcp, S, CISN, 0, 1000, 0, &opts);
        CT_ASSERT_EQ(tcp.peer[0].wscale, cases[i].wscale);
    }
}

/* SYNs repeated before the answer. */
static void
test_syn_retransmit(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_tcp tcp, before;

    start_syn(&tcp, CISN, 64240);
    before = tcp;
    CT_ASSERT_EQ(feed(&tcp, ORIG, S, CISN, 0, 64240, 0), CT_TCP_OK);
    CT_ASSERT(!memcmp(&before, &tcp, sizeof tcp));
    CHECK_ATTR(&tcp, SYN_SENT);
    CT_ASSERT(is_new_syn(&tcp, ORIG, S));
    CT_ASSERT(is_new_syn(&tcp, ORIG, S | TCP_ECE | TCP_CWR));

    /* A new attempt with another ISN starts over from it. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, S, 90000, 0, 64240, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, SYN_SENT, CLOSED);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 90001);
    /* An answer to the old attempt is out of the window now. */
    CHECK_INVALID(&tcp, feed(&tcp, RPL, S | A, SISN, CISN + 1, 65160, 0));
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, SISN, 90001, 65160, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, SYN_SENT);

    /* The SYN repeated once more, and the SYN+ACK: no change.  The client's
     * handshake is complete: its SYN is no longer new. */
    before = tcp;
    CT_ASSERT_EQ(feed(&tcp, ORIG, S, 90000, 0, 64240, 0), CT_TCP_OK);
    CT_ASSERT(!is_new_syn(&tcp, ORIG, S));
    CT_ASSERT(!is_new_syn(&tcp, RPL, S | A));
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, SISN, 90001, 65160, 0), CT_TCP_OK);
    CT_ASSERT(!memcmp(&before, &tcp, sizeof tcp));
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, 90001, SISN + 1, 64240, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
}

/* Reuse of a closed 4-tuple, then the new connection. */
static void
test_reuse(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_tcp tcp;
    const struct tcp_header *th;
    size_t len;

    establish(&tcp, 65160);
    CT_ASSERT_EQ(feed(&tcp, ORIG, R | A, CISN + 1, SISN + 1, 0, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, TIME_WAIT, TIME_WAIT);
    /* Repeated RSTs are accepted while the entry lingers. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, R | A, CISN + 1, SISN + 1, 0, 0),
                 CT_TCP_OK);

    /* The SYN reopens; with sequence checking off too; not with an ACK. */
    CHECK_REOPEN(&tcp, feed(&tcp, ORIG, S, 3000000000u, 0, 64240, 0));
    CHECK_REOPEN(&tcp, feed_liberal(&tcp, ORIG, S, 3000000000u, 0, 64240,
                                    0));
    CT_ASSERT(feed(&tcp, ORIG, S | A, 3000000000u, 5, 64240, 0)
              != CT_TCP_REOPEN);

    /* The engine then starts a new connection from the same SYN. */
    th = build_seg(S, 3000000000u, 0, 64240, 0, &no_opts, &len);
    CT_ASSERT(ct_tcp_valid_new(th, len, false));
    ct_tcp_init(&tcp, th, len);
    CHECK_STATES(&tcp, SYN_SENT, CLOSED);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 3000000001u);
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, 1, 3000000001u, 65160, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, 3000000001u, 2, 64240, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
}

/* A connection seen first in the middle, with sequence checking off. */
static void
test_midstream(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_tcp tcp;
    const struct tcp_header *th;
    size_t len;

    th = build_seg(A | P, 1000000, 2000000, 500, 100, &no_opts, &len);
    CT_ASSERT(!ct_tcp_valid_new(th, len, false));
    CT_ASSERT(ct_tcp_valid_new(th, len, true));
    th = build_seg(R | A, 1000000, 2000000, 500, 0, &no_opts, &len);
    CT_ASSERT(!ct_tcp_valid_new(th, len, true));
    th = build_seg(S | A, 1000000, 2000000, 500, 0, &no_opts, &len);
    CT_ASSERT(!ct_tcp_valid_new(th, len, true));
    th = build_seg(F | A, 1000000, 2000000, 500, 0, &no_opts, &len);
    CT_ASSERT(ct_tcp_valid_new(th, len, true));

    start_opts(&tcp, A | P, 1000000, 2000000, 500, 100, &no_opts);
    CHECK_STATES(&tcp, SYN_SENT, CLOSED);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 1000100);
    CT_ASSERT_EQ(tcp.peer[0].wscale, CT_TCP_WSCALE_UNSET);
    CT_ASSERT_EQ(tcp.peer[1].wscale, CT_TCP_WSCALE_UNSET);
    CHECK_ATTR(&tcp, SYN_SENT);
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=SYN_SENT,"
                       "state_reply=CLOSED,"
                       "flags_orig=BE_LIBERAL,flags_reply=BE_LIBERAL)");

    /* The other side answers with data, acknowledging the first segment:
     * the initiator counts as established. */
    CT_ASSERT_EQ(feed_liberal(&tcp, RPL, A | P, 2000000, 1000100, 600, 50),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, SYN_SENT);
    CT_ASSERT_EQ(tcp.peer[1].seqlo, 2000050);
    CT_ASSERT_EQ(feed_liberal(&tcp, ORIG, A, 1000100, 2000050, 500, 0),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
    CHECK_ATTR(&tcp, ESTABLISHED);
    CT_ASSERT(ct_tcp_assured(&tcp));
    CHECK_DUMP(&tcp, "protoinfo=(state=ESTABLISHED)");

    /* Anything goes in liberal mode. */
    CT_ASSERT_EQ(feed_liberal(&tcp, ORIG, A, 123456789, 2000050, 500, 1000),
                 CT_TCP_OK);
    CT_ASSERT_EQ(feed_liberal(&tcp, RPL, A, 987654321, 1, 600, 1000),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);

    /* With checking on again, the unknown scales count as the largest: the
     * reply side's window 600 << 14 lets the initiator send far. */
    start_opts(&tcp, A | P, 1000000, 2000000, 500, 100, &no_opts);
    CT_ASSERT_EQ(feed(&tcp, RPL, A, 2000000, 1000100, 600, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, 1000100, 2000000, 500, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, 1000100, 2000000, 500, 60000),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, 1000100 + (600u << 14));

    /* A SYN from the initiator before the other side spoke starts over. */
    start_opts(&tcp, A, 1000000, 2000000, 500, 0, &no_opts);
    CT_ASSERT_EQ(feed(&tcp, ORIG, S, 7, 0, 1000, 0), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 8);
    CT_ASSERT_EQ(tcp.peer[1].wscale, 0);
    CHECK_DUMP_VERBOSE(&tcp, "protoinfo=(state_orig=SYN_SENT,"
                       "state_reply=CLOSED,flags_orig=0,flags_reply=0)");

    /* Segments of the initiator before any answer, with sequence checking
     * on, are taken while near the edges (the other side is silent). */
    start_opts(&tcp, A, 1000000, 2000000, 500, 0, &no_opts);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, 1000000, 2000000, 500, 1000),
                 CT_TCP_OK);
    CHECK_STATES(&tcp, SYN_SENT, CLOSED);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, 1000000 + 200000, 2000000, 500,
                             1000));
}

/* Sequence numbers that wrap around 2**32. */
static void
test_wrap(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    const uint32_t c = 0xffffff00u, s = 0xfffffff0u;
    struct ct_tcp tcp;

    start_syn(&tcp, c, 65535);
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, s, c + 1, 65535, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, c + 1, s + 1, 65535, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, ESTABLISHED, ESTABLISHED);
    /* The server's edge wraps with its SYN+ACK's window. */
    CT_ASSERT_EQ(tcp.peer[1].seqhi, s + 1 + 65535);
    CT_ASSERT(tcp.peer[1].seqhi < s);

    /* 1000 bytes from 0xffffff01 end at 0x2e9. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, c + 1, s + 1, 65535, 1000), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 0x2e9);
    /* 100 bytes from 0xfffffff1 end at 0x55. */
    CT_ASSERT_EQ(feed(&tcp, RPL, A, s + 1, 0x2e9, 65535, 100), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].seqlo, 0x55);
    CT_ASSERT_EQ(tcp.peer[0].seqhi, 0x2e9 + 65535);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, 0x2e9, 0x55, 65535, 100), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 0x34d);

    /* A retransmission from before the wrap is within one window. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, c + 1, 0x55, 65535, 1000), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 0x34d);
    /* Half the sequence space away, either way: invalid. */
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, 0x80000000u, 0x55, 65535, 10));
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, 0x2e9 - 0x70000000u, 0x55, 65535,
                             10));
    /* An acknowledgement of the wrapped data is fine, one beyond it by more
     * than a window is not. */
    CT_ASSERT_EQ(feed(&tcp, RPL, A, 0x55, 0x34d, 65535, 0), CT_TCP_OK);
    CHECK_INVALID(&tcp, feed(&tcp, RPL, A, 0x55, 0x34d + 67036, 65535, 0));
    /* Close across the wrap. */
    CT_ASSERT_EQ(feed(&tcp, ORIG, F | A, 0x34d, 0x55, 65535, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, RPL, F | A, 0x55, 0x34e, 65535, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, 0x34e, 0x56, 65535, 0), CT_TCP_OK);
    CHECK_STATES(&tcp, FIN_WAIT_2, FIN_WAIT_2);

    /* A server ISN in the upper half of the space: its edge is still set
     * from its SYN+ACK (whatever the sign of the numbers). */
    start_syn(&tcp, CISN, 64240);
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, 0x90000000u, CISN + 1, 65535, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[1].seqhi, 0x90000001u + 64240);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, CISN + 1, 0x90000001u, 64240, 0),
                 CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, RPL, A, 0x90000001u, CISN + 1, 65535, 64240),
                 CT_TCP_OK);
    CHECK_INVALID(&tcp, feed(&tcp, RPL, A, 0x90000001u + 64240, CISN + 1,
                             65535, 1));

    /* An ISN of 0xffffffff: the SYN itself ends at 0. */
    start_syn(&tcp, 0xffffffffu, 100);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 0);
    CT_ASSERT_EQ(feed(&tcp, RPL, S | A, 0xffffffffu, 0, 100, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&tcp, ORIG, A, 0, 0, 100, 100), CT_TCP_OK);
    CT_ASSERT_EQ(tcp.peer[0].seqlo, 100);
    CHECK_INVALID(&tcp, feed(&tcp, ORIG, A, 100, 0, 100, 1));
}

/* The timeout attribute of every state combination the tracker produces
 * that the sequences above do not all reach. */
static void
test_timeouts(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    static const struct {
        uint8_t a, b;
        int attr;
        bool assured;
    } cases[] = {
        { CT_DPIF_TCPS_SYN_SENT, CT_DPIF_TCPS_CLOSED,
          CT_DPIF_TP_ATTR_TCP_SYN_SENT, false },
        { CT_DPIF_TCPS_CLOSING, CT_DPIF_TCPS_CLOSED,
          CT_DPIF_TP_ATTR_TCP_SYN_SENT, false },
        { CT_DPIF_TCPS_SYN_SENT, CT_DPIF_TCPS_SYN_SENT,
          CT_DPIF_TP_ATTR_TCP_SYN_RECV, false },
        { CT_DPIF_TCPS_CLOSING, CT_DPIF_TCPS_SYN_SENT,
          CT_DPIF_TP_ATTR_TCP_SYN_RECV, false },
        { CT_DPIF_TCPS_ESTABLISHED, CT_DPIF_TCPS_ESTABLISHED,
          CT_DPIF_TP_ATTR_TCP_ESTABLISHED, true },
        { CT_DPIF_TCPS_ESTABLISHED, CT_DPIF_TCPS_FIN_WAIT_2,
          CT_DPIF_TP_ATTR_TCP_FIN_WAIT, true },
        { CT_DPIF_TCPS_CLOSING, CT_DPIF_TCPS_CLOSING,
          CT_DPIF_TP_ATTR_TCP_TIME_WAIT, true },
        { CT_DPIF_TCPS_FIN_WAIT_2, CT_DPIF_TCPS_CLOSING,
          CT_DPIF_TP_ATTR_TCP_TIME_WAIT, true },
        { CT_DPIF_TCPS_FIN_WAIT_2, CT_DPIF_TCPS_FIN_WAIT_2,
          CT_DPIF_TP_ATTR_TCP_CLOSE, true },
        { CT_DPIF_TCPS_TIME_WAIT, CT_DPIF_TCPS_TIME_WAIT,
          CT_DPIF_TP_ATTR_TCP_CLOSE, false },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ct_tcp tcp;

        memset(&tcp, 0, sizeof tcp);
        tcp.peer[0].state = cases[i].a;
        tcp.peer[1].state = cases[i].b;
        CT_ASSERT_EQ(ct_tcp_timeout_attr(&tcp), cases[i].attr);
        CT_ASSERT_EQ(ct_tcp_assured(&tcp), cases[i].assured);
        /* The attribute does not depend on which side is which, except
         * while the reply side has not spoken. */
        if (cases[i].b != CT_DPIF_TCPS_CLOSED) {
            tcp.peer[0].state = cases[i].b;
            tcp.peer[1].state = cases[i].a;
            CT_ASSERT_EQ(ct_tcp_timeout_attr(&tcp), cases[i].attr);
        }
    }
}

/* A tiny deterministic generator, so that failures repeat. */
static uint32_t
rnd(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

/* A number near 'base' most of the time, anything otherwise. */
static uint32_t
rnd_near(uint64_t *state, uint32_t base)
{
    uint32_t r = rnd(state);

    switch (r % 4) {
    case 0:
        return rnd(state);
    case 1:
        return base + (r >> 8) % 3 - 1;
    default:
        return base + (int32_t) ((r >> 8) % 200000) - 100000;
    }
}

static bool
state_used(uint8_t state)
{
    return (state == CT_DPIF_TCPS_CLOSED || state == CT_DPIF_TCPS_SYN_SENT
            || state == CT_DPIF_TCPS_ESTABLISHED
            || state == CT_DPIF_TCPS_CLOSING
            || state == CT_DPIF_TCPS_FIN_WAIT_2
            || state == CT_DPIF_TCPS_TIME_WAIT);
}

/* Random segments, mostly near the edges, against invariants: an invalid or
 * reopening segment changes nothing, states only move forward (except when
 * a SYN restarts a connection whose responder never spoke), only the states
 * listed in ct-tcp.h occur, shifts stay within 14. */
static void
test_random(int argc, char *argv[])
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    uint64_t st = 12345;
    long n_res[3] = { 0, 0, 0 };
    struct ct_tcp tcp;

    start_syn(&tcp, rnd(&st), 1000);
    for (long i = 0; i < n; i++) {
        bool reply = rnd(&st) & 1;
        const struct ct_tcp_peer *src = &tcp.peer[reply];
        const struct ct_tcp_peer *dst = &tcp.peer[!reply];
        uint16_t flags = rnd(&st) & 0xfff;
        uint8_t raw[40];
        struct seg_opts opts = { .raw = raw, .raw_len = 4 * (rnd(&st) % 11) };
        const struct tcp_header *th;
        struct ct_tcp before = tcp;
        enum ct_tcp_result r;
        size_t len;

        if (rnd(&st) % 4) {
            /* Mostly plausible flags: ACK, with PSH or FIN sometimes. */
            flags = (flags & (TCP_PSH | TCP_FIN)) | TCP_ACK;
            if (rnd(&st) % 50 == 0) {
                flags = TCP_RST | (rnd(&st) & 1 ? TCP_ACK : 0);
            } else if (rnd(&st) % 50 == 0) {
                flags = TCP_SYN | (rnd(&st) & 1 ? TCP_ACK : 0);
            }
        }
        for (size_t j = 0; j < sizeof raw; j++) {
            raw[j] = rnd(&st) % 5 ? rnd(&st) % 5 : rnd(&st);
        }
        th = build_seg(flags, rnd_near(&st, src->seqlo),
                       rnd_near(&st, dst->seqlo), rnd(&st),
                       rnd(&st) % 3 ? 0 : rnd(&st) % 3000, &opts, &len);
        CT_ASSERT(ct_tcp_header_ok(th, len));
        r = ct_tcp_update(&tcp, reply, th, len, rnd(&st) % 8);
        n_res[r]++;
        if (r != CT_TCP_OK) {
            CT_ASSERT(!memcmp(&before, &tcp, sizeof tcp));
        } else if (!reply && before.peer[1].state == CT_DPIF_TCPS_CLOSED
                   && (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
            CHECK_STATES(&tcp, SYN_SENT, CLOSED);
        } else {
            CT_ASSERT(tcp.peer[0].state >= before.peer[0].state);
            CT_ASSERT(tcp.peer[1].state >= before.peer[1].state);
        }
        for (int p = 0; p < 2; p++) {
            CT_ASSERT(state_used(tcp.peer[p].state));
            CT_ASSERT((tcp.peer[p].wscale & CT_TCP_WSCALE_MASK)
                      <= CT_TCP_MAX_WSCALE);
        }
        CT_ASSERT(tcp.peer[0].state != CT_DPIF_TCPS_CLOSED);

        if (r == CT_TCP_REOPEN || rnd(&st) % 1000 == 0
            || (ct_tcp_timeout_attr(&tcp) == CT_DPIF_TP_ATTR_TCP_CLOSE
                && rnd(&st) % 20 == 0)) {
            /* Start over, sometimes in the middle of a stream. */
            if (rnd(&st) & 1) {
                start_opts(&tcp, TCP_SYN, rnd(&st), 0, rnd(&st), 0, &opts);
            } else {
                start_opts(&tcp, TCP_ACK, rnd(&st), rnd(&st), rnd(&st), 0,
                           &no_opts);
            }
        }
    }
    /* Each outcome happened: the generator explores. */
    CT_ASSERT(n < 10000 || (n_res[CT_TCP_OK] > n / 10
                            && n_res[CT_TCP_INVALID] > n / 10
                            && n_res[CT_TCP_REOPEN] > 0));
}

static double
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Measures ct_tcp_update() on an established connection: the client sends
 * 1448-byte segments, the server acknowledges every other one. */
static void
test_benchmark(int argc, char *argv[])
{
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    uint8_t data_buf[2][TCP_HEADER_LEN + 1448 + 4];
    struct tcp_header *data = (struct tcp_header *) (data_buf[0] + 2);
    struct tcp_header *ack = (struct tcp_header *) (data_buf[1] + 2);
    uint32_t cseq = CISN + 1;
    struct ct_tcp tcp;
    long n_ok = 0;
    double t0, t;

    establish(&tcp, 65535);
    memset(data_buf, 0, sizeof data_buf);
    data->tcp_ctl = TCP_CTL(A, 5);
    data->tcp_winsz = htons(65535);
    put_16aligned_be32(&data->tcp_ack, htonl(SISN + 1));
    ack->tcp_ctl = TCP_CTL(A, 5);
    ack->tcp_winsz = htons(65535);
    put_16aligned_be32(&ack->tcp_seq, htonl(SISN + 1));

    t0 = now_sec();
    for (long i = 0; i < n; i++) {
        if (i & 1) {
            put_16aligned_be32(&ack->tcp_ack, htonl(cseq));
            n_ok += ct_tcp_update(&tcp, RPL, ack, TCP_HEADER_LEN,
                                  true) == CT_TCP_OK;
        } else {
            put_16aligned_be32(&data->tcp_seq, htonl(cseq));
            n_ok += ct_tcp_update(&tcp, ORIG, data, TCP_HEADER_LEN + 1448,
                                  true) == CT_TCP_OK;
            cseq += 1448;
        }
    }
    t = now_sec() - t0;
    CT_ASSERT_EQ(n_ok, n);
    printf("ct_tcp_update: %ld segments in %.3f s: %.1f ns/segment, "
           "%.1f M segments/s\n", n, t, t * 1e9 / n, n / t / 1e6);
}

static void test_check(int argc, char *argv[]);

static const struct ctdp_test_subcmd subcmds[] = {
    { "check", test_check },
    { "flags", test_flags },
    { "header", test_header },
    { "handshake", test_handshake },
    { "teardown", test_teardown },
    { "simultaneous-open", test_simultaneous_open },
    { "rst", test_rst },
    { "window", test_window },
    { "wscale", test_wscale },
    { "options", test_options },
    { "syn-retransmit", test_syn_retransmit },
    { "reuse", test_reuse },
    { "midstream", test_midstream },
    { "wrap", test_wrap },
    { "timeouts", test_timeouts },
    { "random", test_random },
    { "benchmark", test_benchmark },
    { NULL, NULL },
};

static void
test_check(int argc, char *argv[])
{
    for (const struct ctdp_test_subcmd *c = subcmds; c->name; c++) {
        if (c->func != test_check && c->func != test_benchmark) {
            c->func(0, NULL);
        }
    }
}

static void
test_ct_tcp_main(int argc, char *argv[])
{
    ctdp_test_dispatch("ct-tcp", subcmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-tcp", test_ct_tcp_main);
