/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Unit tests of the SCTP tracker (lib/ct-sctp.c).
 *
 *     ctdp-test ct-sctp check        every test below
 *     ctdp-test ct-sctp TEST         one of them
 *     ctdp-test ct-sctp random [N]   N (default 200,000) random packets */

#include <config.h>
#include "ct-sctp.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "ctdp-test.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

#define ORIG false
#define RPL true

/* Chunk types. */
#define DATA 0
#define INIT 1
#define INIT_ACK 2
#define SACK 3
#define HEARTBEAT 4
#define ABORT 6
#define SHUTDOWN 7
#define SHUTDOWN_ACK 8
#define ERROR 9
#define COOKIE_ECHO 10
#define COOKIE_ACK 11
#define SHUTDOWN_COMPLETE 14

#define T_BIT 0x01

/* Tags chosen by the client (in its INIT) and the server (INIT ACK). */
#define CTAG 0x11223344u
#define STAG 0x55667788u

/* A packet under construction: built at an offset of 2 modulo 4, like an
 * SCTP header behind Ethernet and IPv4 headers. */
static uint64_t pkt_buf[256];
#define PKT ((uint8_t *) pkt_buf + 2)

static void
put_be32(uint8_t *p, uint32_t x)
{
    p[0] = x >> 24;
    p[1] = x >> 16;
    p[2] = x >> 8;
    p[3] = x;
}

/* Builds a packet with tag 'vtag' whose first chunk has 'type', 'flags' and
 * a value of 'value_len' bytes (the first four being 'itag' for INIT and INIT
 * ACK), declared as 'chunk_len' bytes long (0: the real length).  Returns the
 * L4 length. */
static size_t
build_pkt(uint32_t vtag, uint8_t type, uint8_t flags, uint32_t itag,
          size_t value_len, size_t chunk_len)
{
    uint8_t *p = PKT;
    size_t len = 4 + value_len;

    memset(p, 0, 12 + len + 3);
    p[0] = 0x13; p[1] = 0x88;           /* Source port 5000. */
    p[2] = 0x0b; p[3] = 0xb8;           /* Destination port 3000. */
    put_be32(p + 4, vtag);
    p[12] = type;
    p[13] = flags;
    chunk_len = chunk_len ? chunk_len : len;
    p[14] = chunk_len >> 8;
    p[15] = chunk_len;
    if (value_len >= 4) {
        put_be32(p + 16, itag);
    }
    return 12 + ROUND_UP(len, 4);
}

/* A packet with a single chunk of the usual size for its type. */
static size_t
build(uint32_t vtag, uint8_t type, uint8_t flags, uint32_t itag)
{
    size_t value_len;

    switch (type) {
    case INIT:
    case INIT_ACK:
        value_len = 16;
        break;
    case DATA:
        value_len = 12 + 20;
        break;
    case SACK:
        value_len = 12;
        break;
    case SHUTDOWN:
        value_len = 4;
        break;
    case COOKIE_ECHO:
        value_len = 32;
        break;
    default:
        value_len = 0;
    }
    return build_pkt(vtag, type, flags, itag, value_len, 0);
}

static enum ct_tcp_result
feed(struct ct_sctp *sctp, bool reply, uint32_t vtag, uint8_t type,
     uint8_t flags, uint32_t itag)
{
    size_t len = build(vtag, type, flags, itag);

    CT_ASSERT(ct_sctp_header_ok(PKT, len));
    return ct_sctp_update(sctp, reply, PKT, len);
}

#define CHECK_STATE(SCTP, STATE) \
    CT_ASSERT_EQ((SCTP)->state, CT_DPIF_SCTP_STATE_##STATE)

#define CHECK_ATTR(SCTP, ATTR) \
    CT_ASSERT_EQ(ct_sctp_timeout_attr(SCTP), CT_DPIF_TP_ATTR_TCP_##ATTR)

#define CHECK_UNCHANGED(SCTP, CALL, RESULT)                         \
    do {                                                            \
        struct ct_sctp before__ = *(SCTP);                          \
        CT_ASSERT_EQ(CALL, RESULT);                                 \
        CT_ASSERT(!memcmp(&before__, (SCTP), sizeof before__));     \
    } while (0)
#define CHECK_INVALID(SCTP, CALL) CHECK_UNCHANGED(SCTP, CALL, CT_TCP_INVALID)

/* Starts 'sctp' with the client's INIT. */
static void
start(struct ct_sctp *sctp)
{
    size_t len = build(0, INIT, 0, CTAG);

    CT_ASSERT(ct_sctp_header_ok(PKT, len));
    CT_ASSERT(ct_sctp_valid_new(PKT, len));
    memset(sctp, 0xa5, sizeof *sctp);
    ct_sctp_init(sctp, PKT, len);
}

/* INIT, INIT ACK, COOKIE ECHO, COOKIE ACK. */
static void
establish(struct ct_sctp *sctp)
{
    start(sctp);
    CT_ASSERT_EQ(feed(sctp, RPL, CTAG, INIT_ACK, 0, STAG), CT_TCP_OK);
    CT_ASSERT_EQ(feed(sctp, ORIG, STAG, COOKIE_ECHO, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(sctp, RPL, CTAG, COOKIE_ACK, 0, 0), CT_TCP_OK);
    CHECK_STATE(sctp, ESTABLISHED);
}

static char *
dump_protoinfo(const struct ct_sctp *sctp)
{
    struct ct_dpif_entry entry;
    struct ds ds = DS_EMPTY_INITIALIZER;
    const char *p;
    char *s;

    memset(&entry, 0, sizeof entry);
    entry.tuple_orig.l3_type = AF_INET;
    entry.tuple_orig.ip_proto = IPPROTO_SCTP;
    entry.tuple_reply = entry.tuple_orig;
    ct_sctp_get_protoinfo(sctp, &entry.protoinfo);
    ct_dpif_format_entry(&entry, &ds, false, false);
    p = strstr(ds_cstr(&ds), "protoinfo=");
    s = xstrdup(p ? p : ds_cstr(&ds));
    ds_destroy(&ds);
    return s;
}

static void
test_setup(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_sctp sctp;
    char *s;

    /* INIT: the client's tag is what the server must send. */
    start(&sctp);
    CHECK_STATE(&sctp, COOKIE_WAIT);
    CT_ASSERT_EQ(sctp.vtag[0], 0);
    CT_ASSERT_EQ(sctp.vtag[1], CTAG);
    CHECK_ATTR(&sctp, SYN_SENT);
    CT_ASSERT(!ct_sctp_assured(&sctp));

    /* The INIT repeated, with the same or a new tag. */
    CT_ASSERT_EQ(feed(&sctp, ORIG, 0, INIT, 0, CTAG), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, ORIG, 0, INIT, 0, CTAG + 1), CT_TCP_OK);
    CT_ASSERT_EQ(sctp.vtag[1], CTAG + 1);
    CT_ASSERT_EQ(feed(&sctp, ORIG, 0, INIT, 0, CTAG), CT_TCP_OK);

    /* Nothing from the client can be checked before the INIT ACK. */
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, 0, COOKIE_ECHO, 0, 0));
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, STAG, DATA, 0, 0));

    /* INIT ACK: carries the client's tag and sets the server's. */
    CHECK_INVALID(&sctp, feed(&sctp, RPL, CTAG + 7, INIT_ACK, 0, STAG));
    CHECK_INVALID(&sctp, feed(&sctp, RPL, CTAG, INIT_ACK, 0, 0));
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, CTAG, INIT_ACK, 0, STAG));
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, INIT_ACK, 0, STAG), CT_TCP_OK);
    CHECK_STATE(&sctp, COOKIE_WAIT);
    CT_ASSERT_EQ(sctp.vtag[0], STAG);
    CT_ASSERT_EQ(sctp.vtag[1], CTAG);

    /* Once both tags are known, INITs may only repeat them. */
    CT_ASSERT_EQ(feed(&sctp, ORIG, 0, INIT, 0, CTAG), CT_TCP_OK);
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, 0, INIT, 0, CTAG + 1));
    CT_ASSERT_EQ(feed(&sctp, RPL, 0, INIT, 0, STAG), CT_TCP_OK);
    CHECK_INVALID(&sctp, feed(&sctp, RPL, 0, INIT, 0, STAG + 1));

    /* COOKIE ECHO, repeated. */
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, CTAG, COOKIE_ECHO, 0, 0));
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, COOKIE_ECHO, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, COOKIE_ECHOED);
    CHECK_ATTR(&sctp, SYN_RECV);
    CT_ASSERT(!ct_sctp_assured(&sctp));
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, COOKIE_ECHO, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, COOKIE_ECHOED);
    /* The INIT ACK repeated: same tag only. */
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, INIT_ACK, 0, STAG), CT_TCP_OK);
    CHECK_INVALID(&sctp, feed(&sctp, RPL, CTAG, INIT_ACK, 0, STAG + 1));
    CHECK_STATE(&sctp, COOKIE_ECHOED);
    /* No INIT any more. */
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, 0, INIT, 0, CTAG));

    /* COOKIE ACK. */
    CHECK_INVALID(&sctp, feed(&sctp, RPL, STAG, COOKIE_ACK, 0, 0));
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, COOKIE_ACK, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, ESTABLISHED);
    CHECK_ATTR(&sctp, ESTABLISHED);
    CT_ASSERT(ct_sctp_assured(&sctp));

    s = dump_protoinfo(&sctp);
    CT_ASSERT(!strcmp(s, "protoinfo=(state=ESTABLISHED,vtag_orig=1432778632,"
                      "vtag_reply=287454020)"));
    free(s);

    /* Data, SACK, heartbeats, errors, late setup chunks: no change. */
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, DATA, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, SACK, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, HEARTBEAT, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, ERROR, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, COOKIE_ECHO, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, COOKIE_ACK, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, SHUTDOWN_ACK, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, SHUTDOWN_COMPLETE, 0, 0),
                 CT_TCP_OK);
    CHECK_STATE(&sctp, ESTABLISHED);
    /* ...an INIT ACK is no longer expected. */
    CHECK_INVALID(&sctp, feed(&sctp, RPL, CTAG, INIT_ACK, 0, STAG));
}

static void
test_vtag(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_sctp sctp;

    establish(&sctp);
    /* Each direction has its own tag. */
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, CTAG, DATA, 0, 0));
    CHECK_INVALID(&sctp, feed(&sctp, RPL, STAG, SACK, 0, 0));
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, 0, DATA, 0, 0));
    CHECK_INVALID(&sctp, feed(&sctp, RPL, 0xdeadbeef, DATA, 0, 0));
    /* An ABORT or SHUTDOWN COMPLETE with the wrong tag changes nothing. */
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, CTAG, ABORT, 0, 0));
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, STAG, ABORT, T_BIT, 0));
    CHECK_INVALID(&sctp, feed(&sctp, RPL, 1, SHUTDOWN, 0, 0));
    /* An INIT carries tag 0 and a nonzero initiate tag. */
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, STAG, INIT, 0, CTAG));
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, 0, INIT, 0, 0));
    /* An INIT for the established association (a restart) is not
     * followed. */
    CHECK_INVALID(&sctp, feed(&sctp, RPL, 0, INIT, 0, 99));
    CHECK_STATE(&sctp, ESTABLISHED);

    /* valid_new(): only an INIT with tag 0 and a nonzero initiate tag. */
    CT_ASSERT(ct_sctp_valid_new(PKT, build(0, INIT, 0, 1)));
    CT_ASSERT(!ct_sctp_valid_new(PKT, build(1, INIT, 0, 1)));
    CT_ASSERT(!ct_sctp_valid_new(PKT, build(0, INIT, 0, 0)));
    CT_ASSERT(!ct_sctp_valid_new(PKT, build(0, INIT_ACK, 0, 1)));
    CT_ASSERT(!ct_sctp_valid_new(PKT, build(0, DATA, 0, 0)));
    CT_ASSERT(!ct_sctp_valid_new(PKT, build(0, ABORT, 0, 0)));
}

static void
test_shutdown(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_sctp sctp;

    /* The client shuts down. */
    establish(&sctp);
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, SHUTDOWN, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, SHUTDOWN_SENT);
    CHECK_ATTR(&sctp, FIN_WAIT);
    CT_ASSERT(ct_sctp_assured(&sctp));
    /* The server still sends data, and its own SHUTDOWN crosses. */
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, DATA, 0, 0), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, SHUTDOWN, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, SHUTDOWN_SENT);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, SHUTDOWN_ACK, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, SHUTDOWN_ACK_SENT);
    CHECK_ATTR(&sctp, TIME_WAIT);
    CT_ASSERT(ct_sctp_assured(&sctp));
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, SHUTDOWN_ACK, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, SHUTDOWN_ACK_SENT);
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, SHUTDOWN_COMPLETE, 0, 0),
                 CT_TCP_OK);
    CHECK_STATE(&sctp, CLOSED);
    CHECK_ATTR(&sctp, CLOSE);
    CT_ASSERT(!ct_sctp_assured(&sctp));
    /* Late chunks are still recognized. */
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, SHUTDOWN_COMPLETE, 0, 0),
                 CT_TCP_OK);
    CHECK_STATE(&sctp, CLOSED);

    /* A new INIT on the same ports reopens, from either side. */
    CHECK_UNCHANGED(&sctp, feed(&sctp, ORIG, 0, INIT, 0, 1234),
                    CT_TCP_REOPEN);
    CHECK_UNCHANGED(&sctp, feed(&sctp, RPL, 0, INIT, 0, 1234),
                    CT_TCP_REOPEN);
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, 5, INIT, 0, 1234));

    /* The server shuts down; the SHUTDOWN COMPLETE reflects the server's
     * own tag (T bit), which is the one the client uses. */
    establish(&sctp);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, SHUTDOWN, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, SHUTDOWN_RECD);
    CHECK_ATTR(&sctp, FIN_WAIT);
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, SHUTDOWN_ACK, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, SHUTDOWN_ACK_SENT);
    CHECK_INVALID(&sctp, feed(&sctp, RPL, CTAG, SHUTDOWN_COMPLETE, T_BIT,
                              0));
    CT_ASSERT_EQ(feed(&sctp, RPL, STAG, SHUTDOWN_COMPLETE, T_BIT, 0),
                 CT_TCP_OK);
    CHECK_STATE(&sctp, CLOSED);
}

static void
test_abort(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_sctp sctp;

    establish(&sctp);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, ABORT, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, CLOSED);
    CHECK_ATTR(&sctp, CLOSE);

    /* The T bit: the sender's own tag. */
    establish(&sctp);
    CT_ASSERT_EQ(feed(&sctp, ORIG, CTAG, ABORT, T_BIT, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, CLOSED);

    /* The server refuses the INIT: before its INIT ACK, only its ABORT
     * carrying the client's tag can be checked... */
    start(&sctp);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, ABORT, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, CLOSED);
    /* ...and the client's own ABORT with the T bit. */
    start(&sctp);
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, 0, ABORT, 0, 0));
    CHECK_INVALID(&sctp, feed(&sctp, ORIG, 0, ABORT, T_BIT, 0));
    CT_ASSERT_EQ(feed(&sctp, ORIG, CTAG, ABORT, T_BIT, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, CLOSED);
}

/* Both ends send an INIT at the same time (RFC 9260, 5.2.1). */
static void
test_collision(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_sctp sctp;

    start(&sctp);
    CT_ASSERT_EQ(feed(&sctp, RPL, 0, INIT, 0, STAG), CT_TCP_OK);
    CT_ASSERT_EQ(sctp.vtag[0], STAG);
    CT_ASSERT_EQ(sctp.vtag[1], CTAG);
    /* Each answers the other's INIT, repeating its own tag. */
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, INIT_ACK, 0, CTAG), CT_TCP_OK);
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, INIT_ACK, 0, STAG), CT_TCP_OK);
    CHECK_STATE(&sctp, COOKIE_WAIT);
    /* The server's cookie wins. */
    CT_ASSERT_EQ(feed(&sctp, RPL, CTAG, COOKIE_ECHO, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, COOKIE_ECHOED);
    CT_ASSERT_EQ(feed(&sctp, ORIG, STAG, COOKIE_ACK, 0, 0), CT_TCP_OK);
    CHECK_STATE(&sctp, ESTABLISHED);
    CT_ASSERT_EQ(sctp.vtag[0], STAG);
    CT_ASSERT_EQ(sctp.vtag[1], CTAG);
}

static void
test_truncated(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    struct ct_sctp sctp;
    size_t len;

    CT_ASSERT(!ct_sctp_header_ok(NULL, 100));

    /* Common header only, or a partial chunk header. */
    len = build(0, INIT, 0, CTAG);
    for (size_t l = 0; l < 16; l++) {
        CT_ASSERT(!ct_sctp_header_ok(PKT, l));
        CT_ASSERT(!ct_sctp_valid_new(PKT, l));
    }
    /* An INIT chunk cut anywhere. */
    for (size_t l = 16; l < len; l++) {
        CT_ASSERT(!ct_sctp_header_ok(PKT, l));
        CT_ASSERT(!ct_sctp_valid_new(PKT, l));
    }
    CT_ASSERT(ct_sctp_header_ok(PKT, len));

    /* An INIT chunk too short for its fields, though complete. */
    len = build_pkt(0, INIT, 0, CTAG, 12, 0);
    CT_ASSERT_EQ(len, 28);
    CT_ASSERT(!ct_sctp_header_ok(PKT, len));
    CT_ASSERT(!ct_sctp_valid_new(PKT, len));
    /* A chunk length below 4, or past the end. */
    len = build_pkt(STAG, DATA, 0, 0, 0, 3);
    CT_ASSERT(!ct_sctp_header_ok(PKT, len));
    len = build_pkt(STAG, DATA, 0, 0, 16, 21);
    CT_ASSERT(!ct_sctp_header_ok(PKT, len));
    len = build_pkt(STAG, DATA, 0, 0, 16, 20);
    CT_ASSERT(ct_sctp_header_ok(PKT, len));

    /* The tracker itself rejects them too, leaving the state alone. */
    establish(&sctp);
    len = build_pkt(STAG, DATA, 0, 0, 16, 200);
    CHECK_INVALID(&sctp, ct_sctp_update(&sctp, ORIG, PKT, len));
    len = build_pkt(CTAG, ABORT, 0, 0, 0, 0);
    CHECK_INVALID(&sctp, ct_sctp_update(&sctp, RPL, PKT, 15));
    CHECK_INVALID(&sctp, ct_sctp_update(&sctp, RPL, NULL, 0));
    CT_ASSERT_EQ(ct_sctp_update(&sctp, RPL, PKT, len), CT_TCP_OK);
    CHECK_STATE(&sctp, CLOSED);

    /* ct_sctp_init() on something that is no INIT leaves a closed, empty
     * association rather than reading garbage. */
    len = build(0, INIT, 0, CTAG);
    memset(&sctp, 0xa5, sizeof sctp);
    ct_sctp_init(&sctp, PKT, 15);
    CHECK_STATE(&sctp, CLOSED);
    CT_ASSERT_EQ(sctp.vtag[0], 0);
    CT_ASSERT_EQ(sctp.vtag[1], 0);
}

static void
test_timeouts(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    static const struct {
        uint8_t state;
        int attr;
    } cases[] = {
        { CT_DPIF_SCTP_STATE_CLOSED, CT_DPIF_TP_ATTR_TCP_CLOSE },
        { CT_DPIF_SCTP_STATE_COOKIE_WAIT, CT_DPIF_TP_ATTR_TCP_SYN_SENT },
        { CT_DPIF_SCTP_STATE_COOKIE_ECHOED, CT_DPIF_TP_ATTR_TCP_SYN_RECV },
        { CT_DPIF_SCTP_STATE_ESTABLISHED, CT_DPIF_TP_ATTR_TCP_ESTABLISHED },
        { CT_DPIF_SCTP_STATE_SHUTDOWN_SENT, CT_DPIF_TP_ATTR_TCP_FIN_WAIT },
        { CT_DPIF_SCTP_STATE_SHUTDOWN_RECD, CT_DPIF_TP_ATTR_TCP_FIN_WAIT },
        { CT_DPIF_SCTP_STATE_SHUTDOWN_ACK_SENT,
          CT_DPIF_TP_ATTR_TCP_TIME_WAIT },
        { CT_DPIF_SCTP_STATE_MAX_NUM, CT_DPIF_TP_ATTR_TCP_CLOSE },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ct_sctp sctp = { .state = cases[i].state };

        CT_ASSERT_EQ(ct_sctp_timeout_attr(&sctp), cases[i].attr);
    }
}

static uint32_t
rnd(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

/* Random packets, with tags the association knows most of the time, and
 * random lengths against invariants: no read past the packet (the build
 * under AddressSanitizer checks that: the packet is copied to a buffer of
 * exactly its length), an invalid or reopening packet changes nothing, the
 * state stays one of the seven. */
static void
test_random(int argc, char *argv[])
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    uint64_t st = 54321;
    long n_res[3] = { 0, 0, 0 };
    long n_state[CT_DPIF_SCTP_STATE_MAX_NUM] = { 0 };
    struct ct_sctp sctp;

    start(&sctp);
    for (long i = 0; i < n; i++) {
        static const uint8_t types[] = {
            DATA, INIT, INIT_ACK, SACK, HEARTBEAT, ABORT, SHUTDOWN,
            SHUTDOWN_ACK, ERROR, COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_COMPLETE,
            200,
        };
        uint32_t tags[] = { 0, sctp.vtag[0], sctp.vtag[1], rnd(&st) };
        struct ct_sctp before = sctp;
        enum ct_tcp_result r;
        uint8_t *copy;
        size_t len;

        len = build_pkt(tags[rnd(&st) % 4], types[rnd(&st) % sizeof types],
                        rnd(&st) % 4 ? 0 : T_BIT, tags[rnd(&st) % 4],
                        rnd(&st) % 40,
                        rnd(&st) % 8 ? 0 : rnd(&st) % 64);
        if (rnd(&st) % 8 == 0) {
            len = rnd(&st) % (len + 1);
        }
        copy = xmemdup(PKT, len);
        if (ct_sctp_header_ok(copy, len) || rnd(&st) % 2) {
            r = ct_sctp_update(&sctp, rnd(&st) & 1, copy, len);
        } else {
            r = CT_TCP_INVALID;
        }
        free(copy);
        n_res[r]++;
        if (r != CT_TCP_OK) {
            CT_ASSERT(!memcmp(&before, &sctp, sizeof sctp));
        }
        CT_ASSERT(sctp.state < CT_DPIF_SCTP_STATE_HEARTBEAT_SENT);
        n_state[sctp.state]++;
        if (r == CT_TCP_REOPEN || rnd(&st) % 500 == 0) {
            if (rnd(&st) & 1) {
                start(&sctp);
            } else {
                establish(&sctp);
            }
        }
    }
    CT_ASSERT(n < 10000 || (n_res[CT_TCP_OK] > n / 20
                            && n_res[CT_TCP_INVALID] > n / 20
                            && n_res[CT_TCP_REOPEN] > 0));
    for (int i = 0; n >= 10000 && i < CT_DPIF_SCTP_STATE_HEARTBEAT_SENT;
         i++) {
        CT_ASSERT(n_state[i] > 0);
    }
}

static void test_check(int argc, char *argv[]);

static const struct ctdp_test_subcmd subcmds[] = {
    { "check", test_check },
    { "setup", test_setup },
    { "vtag", test_vtag },
    { "shutdown", test_shutdown },
    { "abort", test_abort },
    { "collision", test_collision },
    { "truncated", test_truncated },
    { "timeouts", test_timeouts },
    { "random", test_random },
    { NULL, NULL },
};

static void
test_check(int argc, char *argv[])
{
    for (const struct ctdp_test_subcmd *c = subcmds; c->name; c++) {
        if (c->func != test_check) {
            c->func(0, NULL);
        }
    }
}

static void
test_ct_sctp_main(int argc, char *argv[])
{
    ctdp_test_dispatch("ct-sctp", subcmds, argc, argv);
}

CTDP_TEST_REGISTER("ct-sctp", test_ct_sctp_main);
