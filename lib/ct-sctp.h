/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_SCTP_H
#define CTDP_CT_SCTP_H 1

/* SCTP association tracking.
 *
 * The tracker follows an association through its setup, data transfer and
 * shutdown (RFC 9260) by the type of the first chunk of each packet, and
 * checks every packet's verification tag against the tags the two endpoints
 * chose in their INIT and INIT ACK chunks.  'vtag[i]' is the tag that packets
 * sent by peer 'i' must carry (0 = not known yet; a valid tag is never 0),
 * where peer 0 is the original direction's sender, the one that sent the
 * first INIT.  'state' is an enum ct_dpif_sctp_state (CT_DPIF_SCTP_STATE_*):
 *
 *   COOKIE_WAIT      after the INIT (and the INIT ACK in answer to it);
 *   COOKIE_ECHOED    after a COOKIE ECHO;
 *   ESTABLISHED      after the COOKIE ACK in answer to it;
 *   SHUTDOWN_SENT    the original direction's sender sent a SHUTDOWN;
 *   SHUTDOWN_RECD    the reply direction's sender sent a SHUTDOWN;
 *   SHUTDOWN_ACK_SENT after a SHUTDOWN ACK in answer to a SHUTDOWN;
 *   CLOSED           after a SHUTDOWN COMPLETE in that state, or an ABORT.
 *
 * A packet is invalid when its first chunk is malformed, when its tag is not
 * the expected one (an INIT must carry tag 0; an ABORT or SHUTDOWN COMPLETE
 * with the T bit carries its sender's own tag), when it is an INIT ACK outside
 * the setup, an INIT that would change a tag once both are known, or an INIT
 * of an association that is past COOKIE_WAIT and not closed (association
 * restarts are not followed).  An INIT for a CLOSED association reopens it
 * (CT_TCP_REOPEN).  Chunks that do not move the association forward (DATA,
 * SACK, HEARTBEAT, a repeated COOKIE ECHO, ...) are accepted with a valid
 * tag and leave the state as it is.  Only the first chunk of a packet is
 * examined: chunks bundled after it are not.
 *
 * Checksums are the caller's business.
 *
 * Thread-safety
 * =============
 *
 * The functions keep no state of their own.  A 'struct ct_sctp' belongs to
 * one connection; the caller serializes all calls on the same 'struct
 * ct_sctp' (the engine holds the connection's lock). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ct-dpif.h"
#include "ct-tcp.h"
#include "util.h"

struct ct_sctp {
    uint32_t vtag[2];   /* Tag of packets sent by peer 0 / peer 1. */
    uint8_t state;      /* enum ct_dpif_sctp_state. */
    uint8_t pad[3];
};
BUILD_ASSERT_DECL(sizeof(struct ct_sctp) == 12);

/* Whether 'sctp_hdr', with 'len' octets of L4 data present, is an SCTP
 * common header followed by a complete first chunk: a chunk header whose
 * length is at least 4 and within 'len', and for INIT and INIT ACK long
 * enough for their fixed fields. */
bool ct_sctp_header_ok(const void *sctp_hdr, size_t len);

/* Whether the packet may create an association: its first chunk is an INIT
 * with a nonzero initiate tag, and its verification tag is 0. */
bool ct_sctp_valid_new(const void *sctp_hdr, size_t len);

/* Initializes 'sctp' from a packet for which ct_sctp_valid_new() is true,
 * sent by peer 0.  The state becomes COOKIE_WAIT. */
void ct_sctp_init(struct ct_sctp *sctp, const void *sctp_hdr, size_t len);

/* Updates 'sctp' with a packet sent by peer 'reply' (false = original
 * direction).  Returns CT_TCP_OK, CT_TCP_INVALID (the state is unchanged) or
 * CT_TCP_REOPEN (an INIT for a CLOSED association: the caller ends it and
 * treats the packet as the first of a new one). */
enum ct_tcp_result ct_sctp_update(struct ct_sctp *sctp, bool reply,
                                  const void *sctp_hdr, size_t len);

/* The timeout attribute for the current state.  Open vSwitch 3.1 has no SCTP
 * attributes; SCTP borrows the TCP ones of the matching stages:
 *
 *     COOKIE_WAIT                   CT_DPIF_TP_ATTR_TCP_SYN_SENT
 *     COOKIE_ECHOED                 CT_DPIF_TP_ATTR_TCP_SYN_RECV
 *     ESTABLISHED                   CT_DPIF_TP_ATTR_TCP_ESTABLISHED
 *     SHUTDOWN_SENT, SHUTDOWN_RECD  CT_DPIF_TP_ATTR_TCP_FIN_WAIT
 *     SHUTDOWN_ACK_SENT             CT_DPIF_TP_ATTR_TCP_TIME_WAIT
 *     CLOSED                        CT_DPIF_TP_ATTR_TCP_CLOSE
 *
 * (The UDP attributes would not do: an idle association sends a HEARTBEAT
 * every 30 s plus a round-trip time, longer than the 30 s of UDP_MULTIPLE.)
 * A timeout policy's TCP values therefore apply to SCTP as well. */
int ct_sctp_timeout_attr(const struct ct_sctp *sctp);

/* Whether the association was established and has not closed. */
bool ct_sctp_assured(const struct ct_sctp *sctp);

/* Fills the SCTP part of 'protoinfo': proto, state, and the tags of the
 * original and reply directions in host byte order. */
void ct_sctp_get_protoinfo(const struct ct_sctp *sctp,
                           struct ct_dpif_protoinfo *protoinfo);

#endif /* ct-sctp.h */
