/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* SCTP association tracking: see ct-sctp.h for the states.
 *
 * The verification tags come from the setup: an INIT sent by peer 'i'
 * carries in its Initiate Tag the tag that the other peer must put in every
 * packet it sends to 'i', so it sets 'vtag[!i]'; the INIT ACK in answer does
 * the same in the other direction.  When both endpoints send an INIT at the
 * same time (RFC 9260, 5.2.1), each INIT sets its tag the same way and each
 * INIT ACK repeats it. */

#include <config.h>
#include "ct-sctp.h"

#include <netinet/in.h>
#include <string.h>
#include "coverage.h"
#include "packets.h"

COVERAGE_DEFINE(ct_sctp_invalid);

/* Chunk types (RFC 9260, 3.2). */
enum {
    SCTP_CHUNK_DATA = 0,
    SCTP_CHUNK_INIT = 1,
    SCTP_CHUNK_INIT_ACK = 2,
    SCTP_CHUNK_SACK = 3,
    SCTP_CHUNK_HEARTBEAT = 4,
    SCTP_CHUNK_HEARTBEAT_ACK = 5,
    SCTP_CHUNK_ABORT = 6,
    SCTP_CHUNK_SHUTDOWN = 7,
    SCTP_CHUNK_SHUTDOWN_ACK = 8,
    SCTP_CHUNK_ERROR = 9,
    SCTP_CHUNK_COOKIE_ECHO = 10,
    SCTP_CHUNK_COOKIE_ACK = 11,
    SCTP_CHUNK_SHUTDOWN_COMPLETE = 14,
};

/* The T bit of ABORT and SHUTDOWN COMPLETE: the packet carries its sender's
 * own tag because it has no other (RFC 9260, 8.5.1). */
#define SCTP_CHUNK_FLAG_T 0x01

#define SCTP_CHUNK_HEADER_LEN 4
/* An INIT or INIT ACK chunk: header, Initiate Tag, Advertised Receiver
 * Window Credit, Number of Outbound and Inbound Streams, Initial TSN. */
#define SCTP_INIT_CHUNK_LEN 20

/* The parts of a packet that the tracker looks at. */
struct ct_sctp_pkt {
    uint32_t vtag;      /* Verification tag of the common header. */
    uint32_t itag;      /* Initiate Tag of an INIT or INIT ACK, else 0. */
    uint8_t type;       /* Type of the first chunk. */
    uint8_t flags;      /* Flags of the first chunk. */
};

static inline uint32_t
get_be32_bytes(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}

/* Parses the common header and the first chunk of the packet at 'hdr_', with
 * 'len' octets present, into 'pkt'.  Returns false if they are incomplete or
 * malformed. */
static bool
pkt_parse(const void *hdr_, size_t len, struct ct_sctp_pkt *pkt)
{
    const struct sctp_header *hdr = hdr_;
    const uint8_t *chunk;
    size_t chunk_len;

    if (!hdr || len < SCTP_HEADER_LEN + SCTP_CHUNK_HEADER_LEN) {
        return false;
    }
    chunk = (const uint8_t *) hdr + SCTP_HEADER_LEN;
    chunk_len = ((size_t) chunk[2] << 8) | chunk[3];
    if (chunk_len < SCTP_CHUNK_HEADER_LEN
        || chunk_len > len - SCTP_HEADER_LEN) {
        return false;
    }

    pkt->vtag = ntohl(get_16aligned_be32(&hdr->sctp_vtag));
    pkt->type = chunk[0];
    pkt->flags = chunk[1];
    pkt->itag = 0;
    if (pkt->type == SCTP_CHUNK_INIT || pkt->type == SCTP_CHUNK_INIT_ACK) {
        if (chunk_len < SCTP_INIT_CHUNK_LEN) {
            return false;
        }
        pkt->itag = get_be32_bytes(chunk + SCTP_CHUNK_HEADER_LEN);
    }
    return true;
}

bool
ct_sctp_header_ok(const void *sctp_hdr, size_t len)
{
    struct ct_sctp_pkt pkt;

    return pkt_parse(sctp_hdr, len, &pkt);
}

static bool
pkt_is_valid_init(const struct ct_sctp_pkt *pkt)
{
    return pkt->type == SCTP_CHUNK_INIT && pkt->vtag == 0 && pkt->itag != 0;
}

bool
ct_sctp_valid_new(const void *sctp_hdr, size_t len)
{
    struct ct_sctp_pkt pkt;

    return pkt_parse(sctp_hdr, len, &pkt) && pkt_is_valid_init(&pkt);
}

void
ct_sctp_init(struct ct_sctp *sctp, const void *sctp_hdr, size_t len)
{
    struct ct_sctp_pkt pkt;

    memset(sctp, 0, sizeof *sctp);
    if (pkt_parse(sctp_hdr, len, &pkt) && pkt_is_valid_init(&pkt)) {
        sctp->vtag[1] = pkt.itag;
        sctp->state = CT_DPIF_SCTP_STATE_COOKIE_WAIT;
    }
}

/* Whether 'pkt', sent by peer 'dir', carries the tag it must carry. */
static bool
vtag_ok(const struct ct_sctp *sctp, int dir, const struct ct_sctp_pkt *pkt)
{
    if ((pkt->type == SCTP_CHUNK_ABORT
         || pkt->type == SCTP_CHUNK_SHUTDOWN_COMPLETE)
        && pkt->flags & SCTP_CHUNK_FLAG_T) {
        /* Reflected: the sender's own tag, chosen by its INIT. */
        return sctp->vtag[!dir] && pkt->vtag == sctp->vtag[!dir];
    }
    return sctp->vtag[dir] && pkt->vtag == sctp->vtag[dir];
}

/* Returns the state that chunk 'pkt', sent by peer 'dir' with a valid tag,
 * leads to from 'state'. */
static uint8_t
next_state(uint8_t state, int dir, const struct ct_sctp_pkt *pkt)
{
    switch (pkt->type) {
    case SCTP_CHUNK_COOKIE_ECHO:
        return (state == CT_DPIF_SCTP_STATE_COOKIE_WAIT
                ? CT_DPIF_SCTP_STATE_COOKIE_ECHOED : state);

    case SCTP_CHUNK_COOKIE_ACK:
        return (state == CT_DPIF_SCTP_STATE_COOKIE_ECHOED
                ? CT_DPIF_SCTP_STATE_ESTABLISHED : state);

    case SCTP_CHUNK_SHUTDOWN:
        if (state == CT_DPIF_SCTP_STATE_ESTABLISHED) {
            return (dir == 0 ? CT_DPIF_SCTP_STATE_SHUTDOWN_SENT
                    : CT_DPIF_SCTP_STATE_SHUTDOWN_RECD);
        }
        return state;

    case SCTP_CHUNK_SHUTDOWN_ACK:
        return (state == CT_DPIF_SCTP_STATE_SHUTDOWN_SENT
                || state == CT_DPIF_SCTP_STATE_SHUTDOWN_RECD
                ? CT_DPIF_SCTP_STATE_SHUTDOWN_ACK_SENT : state);

    case SCTP_CHUNK_SHUTDOWN_COMPLETE:
        return (state == CT_DPIF_SCTP_STATE_SHUTDOWN_ACK_SENT
                ? CT_DPIF_SCTP_STATE_CLOSED : state);

    case SCTP_CHUNK_ABORT:
        return CT_DPIF_SCTP_STATE_CLOSED;

    default:
        /* DATA, SACK, HEARTBEAT (ACK), ERROR, ...: no change. */
        return state;
    }
}

/* Handles an INIT or INIT ACK chunk 'pkt' sent by peer 'dir'. */
static enum ct_tcp_result
update_setup(struct ct_sctp *sctp, int dir, const struct ct_sctp_pkt *pkt)
{
    if (!pkt->itag) {
        return CT_TCP_INVALID;
    }
    if (pkt->type == SCTP_CHUNK_INIT) {
        if (pkt->vtag != 0) {
            return CT_TCP_INVALID;
        } else if (sctp->state == CT_DPIF_SCTP_STATE_CLOSED) {
            return CT_TCP_REOPEN;
        } else if (sctp->state != CT_DPIF_SCTP_STATE_COOKIE_WAIT) {
            return CT_TCP_INVALID;
        }
        if (sctp->vtag[!dir] && sctp->vtag[dir]
            && sctp->vtag[!dir] != pkt->itag) {
            /* Both tags are known: another tag would hijack the setup. */
            return CT_TCP_INVALID;
        }
        /* A repeated INIT (with a new tag while unanswered), or one from the
         * other side crossing it. */
        sctp->vtag[!dir] = pkt->itag;
        return CT_TCP_OK;
    }

    /* INIT ACK: in answer to the other side's INIT, so it carries the tag
     * that INIT chose; repeated while the COOKIE ECHO is under way. */
    if (!vtag_ok(sctp, dir, pkt)) {
        return CT_TCP_INVALID;
    }
    if (sctp->state == CT_DPIF_SCTP_STATE_COOKIE_WAIT) {
        sctp->vtag[!dir] = pkt->itag;
        return CT_TCP_OK;
    } else if (sctp->state == CT_DPIF_SCTP_STATE_COOKIE_ECHOED
               && sctp->vtag[!dir] == pkt->itag) {
        return CT_TCP_OK;
    }
    return CT_TCP_INVALID;
}

enum ct_tcp_result
ct_sctp_update(struct ct_sctp *sctp, bool reply, const void *sctp_hdr,
               size_t len)
{
    enum ct_tcp_result res;
    struct ct_sctp_pkt pkt;
    int dir = reply;

    if (!pkt_parse(sctp_hdr, len, &pkt)) {
        res = CT_TCP_INVALID;
    } else if (pkt.type == SCTP_CHUNK_INIT
               || pkt.type == SCTP_CHUNK_INIT_ACK) {
        res = update_setup(sctp, dir, &pkt);
    } else if (!vtag_ok(sctp, dir, &pkt)) {
        res = CT_TCP_INVALID;
    } else {
        sctp->state = next_state(sctp->state, dir, &pkt);
        res = CT_TCP_OK;
    }

    if (res == CT_TCP_INVALID) {
        COVERAGE_INC(ct_sctp_invalid);
    }
    return res;
}

int
ct_sctp_timeout_attr(const struct ct_sctp *sctp)
{
    switch (sctp->state) {
    case CT_DPIF_SCTP_STATE_COOKIE_WAIT:
        return CT_DPIF_TP_ATTR_TCP_SYN_SENT;
    case CT_DPIF_SCTP_STATE_COOKIE_ECHOED:
        return CT_DPIF_TP_ATTR_TCP_SYN_RECV;
    case CT_DPIF_SCTP_STATE_ESTABLISHED:
        return CT_DPIF_TP_ATTR_TCP_ESTABLISHED;
    case CT_DPIF_SCTP_STATE_SHUTDOWN_SENT:
    case CT_DPIF_SCTP_STATE_SHUTDOWN_RECD:
        return CT_DPIF_TP_ATTR_TCP_FIN_WAIT;
    case CT_DPIF_SCTP_STATE_SHUTDOWN_ACK_SENT:
        return CT_DPIF_TP_ATTR_TCP_TIME_WAIT;
    case CT_DPIF_SCTP_STATE_CLOSED:
    default:
        return CT_DPIF_TP_ATTR_TCP_CLOSE;
    }
}

bool
ct_sctp_assured(const struct ct_sctp *sctp)
{
    return (sctp->state >= CT_DPIF_SCTP_STATE_ESTABLISHED
            && sctp->state <= CT_DPIF_SCTP_STATE_SHUTDOWN_ACK_SENT);
}

void
ct_sctp_get_protoinfo(const struct ct_sctp *sctp,
                      struct ct_dpif_protoinfo *protoinfo)
{
    protoinfo->proto = IPPROTO_SCTP;
    protoinfo->sctp.state = sctp->state;
    protoinfo->sctp.vtag_orig = sctp->vtag[0];
    protoinfo->sctp.vtag_reply = sctp->vtag[1];
}
