/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_TCP_H
#define CTDP_CT_TCP_H 1

/* TCP connection tracking with window tracking.
 *
 * The tracker follows the sequence-window algorithm of Guido van Rooij
 * ("Real Stateful TCP Packet Filtering in IP Filter"), in the form that the
 * OpenBSD pf packet filter and Open vSwitch's userspace conntrack use, so that
 * the per-direction states it reports are the ones Open vSwitch 3.1 reports
 * for the same traffic.  Each direction ("peer") keeps:
 *
 *   - 'seqlo': the end of what it has sent (highest sequence number + 1);
 *   - 'seqhi': how far it may send, that is the highest acknowledgement
 *     plus window that its receiver announced;
 *   - 'max_win': the largest window it advertised, in units of its window
 *     scale;
 *   - 'wscale': its window scale (see CT_TCP_WSCALE_*);
 *   - 'state': a CT_DPIF_TCPS_* value.  Only CLOSED, SYN_SENT, ESTABLISHED,
 *     CLOSING, FIN_WAIT_2 and TIME_WAIT are used:
 *
 *         CLOSED       nothing seen from this peer yet;
 *         SYN_SENT     the peer sent its first segment (a SYN, or anything
 *                      for a connection picked up in the middle);
 *         ESTABLISHED  the other peer acknowledged this peer's first segment;
 *         CLOSING      the peer sent a FIN;
 *         FIN_WAIT_2   the other peer acknowledged after this peer's FIN;
 *         TIME_WAIT    a RST was accepted (both peers go there at once).
 *
 * A segment is accepted when it ends within what its receiver can accept,
 * starts at most one of the receiver's windows before what its sender has
 * already sent (a retransmission), acknowledges neither more than 65535 +
 * 1500 octets beyond what the receiver has sent nor more than that (scaled by
 * the sender's window scale) behind it, and, for a RST, carries the sequence
 * number its sender is at, within one.  A segment that fails these checks is
 * still accepted, without moving the handshake forward, if it lies within
 * 65535 + 1500 octets of the tracked edges while the other peer has not
 * spoken yet (a connection picked up in the middle, before any answer) or
 * once either peer has reached FIN_WAIT_2 (late segments around the close).
 * Otherwise it is invalid and leaves the connection exactly as it was.
 *
 * With 'seq_chk' false (liberal mode, Open vSwitch's "tcp_seq_chk" off) every
 * segment with a valid combination of flags is accepted and moves the states
 * as an in-window one would.
 *
 * Window scaling applies only when both peers sent the option in their SYNs.
 * SACK options are ignored: SACK blocks never widen what is accepted.
 *
 * Thread-safety
 * =============
 *
 * The functions keep no state of their own.  A 'struct ct_tcp' belongs to
 * one connection; the caller serializes all calls that read or write the
 * same 'struct ct_tcp' (the engine holds the connection's lock). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ct-dpif.h"
#include "util.h"

struct tcp_header;

/* Encoding of 'struct ct_tcp_peer''s 'wscale'. */
#define CT_TCP_WSCALE_MASK  0x0f  /* The shift count, 0...14. */
#define CT_TCP_WSCALE_UNSET 0x40  /* Unknown: the connection was picked up
                                   * without its SYNs (mid-stream). */
#define CT_TCP_WSCALE_SEEN  0x80  /* The peer sent the window scale option. */
#define CT_TCP_MAX_WSCALE   14    /* Larger shifts count as 14 (RFC 7323). */

/* One direction's view, pf-style.  Index 0 = the original direction's sender
 * (the connection's initiator), 1 = the reply direction's sender. */
struct ct_tcp_peer {
    uint32_t seqlo;     /* Highest sequence number sent + 1 ("end"). */
    uint32_t seqhi;     /* How far the peer may send: its receiver's
                         * acknowledgement plus window ("maxend"). */
    uint16_t max_win;   /* Largest window seen, in units of 'wscale'. */
    uint8_t wscale;     /* CT_TCP_WSCALE_* bits. */
    uint8_t state;      /* enum ct_dpif_tcp_state (CT_DPIF_TCPS_*). */
};

struct ct_tcp {
    struct ct_tcp_peer peer[2];
};
BUILD_ASSERT_DECL(sizeof(struct ct_tcp) == 24);

enum ct_tcp_result {
    CT_TCP_OK,          /* Accept: packet belongs to the connection. */
    CT_TCP_INVALID,     /* Mark +inv; the state is unchanged. */
    CT_TCP_REOPEN,      /* A new SYN reuses a closed/TIME_WAIT 4-tuple: the
                         * caller ends this connection and treats the packet
                         * as a new connection.  The state is unchanged. */
};

/* Whether 'th' is a TCP header that the other functions may parse: 'tcp_len'
 * (the L4 length present in the packet, header and payload) holds at least
 * 20 bytes, and the data offset is at least 5 words and within 'tcp_len'.
 * Callers check this before calling any other function of this module, which
 * then read no more than the header and its options. */
bool ct_tcp_header_ok(const struct tcp_header *th, size_t tcp_len);

/* Whether the segment 'th' may create a connection: a SYN without ACK, RST or
 * FIN, or, when 'liberal' (sequence checking off), any other segment with a
 * valid combination of flags except a RST or a SYN+ACK (a SYN+ACK would make
 * the responder the connection's initiator).  Impossible flag combinations
 * (SYN+FIN, SYN+RST, FIN, PSH or URG without ACK, neither ACK nor RST nor
 * SYN) never create a connection. */
bool ct_tcp_valid_new(const struct tcp_header *th, size_t tcp_len,
                      bool liberal);

/* Initializes 'tcp' from the first segment 'th' of a connection, sent by the
 * initiator (peer 0). */
void ct_tcp_init(struct ct_tcp *tcp, const struct tcp_header *th,
                 size_t tcp_len);

/* Updates 'tcp' with segment 'th' sent by peer 'reply' (false = the original
 * direction).  'seq_chk' false = liberal mode: states still advance but
 * segments outside the windows are accepted.  Invalid flag combinations are
 * invalid in both modes.  Returns CT_TCP_REOPEN for a SYN (without ACK) when
 * both peers are at FIN_WAIT_2 or TIME_WAIT. */
enum ct_tcp_result ct_tcp_update(struct ct_tcp *tcp, bool reply,
                                 const struct tcp_header *th, size_t tcp_len,
                                 bool seq_chk);

/* Whether segment 'th', just accepted by ct_tcp_update() (CT_TCP_OK) from
 * peer 'reply', is a SYN without ACK from a peer whose handshake has not gone
 * past its SYN: a repeated SYN, or the answering SYN of a simultaneous open.
 * Open vSwitch 3.1 marks such a packet +new rather than +est (and without
 * +rpl); a caller that wants the same calls this after CT_TCP_OK. */
bool ct_tcp_syn_is_new(const struct ct_tcp *tcp, bool reply,
                       const struct tcp_header *th);

/* The timeout that applies in the current state, one of
 * CT_DPIF_TP_ATTR_TCP_SYN_SENT (only the initiator has spoken),
 * _SYN_RECV (handshake in progress), _ESTABLISHED, _FIN_WAIT (one peer sent a
 * FIN), _TIME_WAIT (both sent a FIN) and _CLOSE (both peers at FIN_WAIT_2 or
 * TIME_WAIT, which includes every reset connection).  These are the
 * attributes Open vSwitch 3.1 applies in the same states. */
int ct_tcp_timeout_attr(const struct ct_tcp *tcp);

/* Whether both peers completed their part of the handshake (each saw its
 * first segment acknowledged) and the connection was not reset since.  A
 * connection that is not assured is the first to be dropped when the table
 * is full. */
bool ct_tcp_assured(const struct ct_tcp *tcp);

/* Fills the TCP part of 'protoinfo' (proto, states, window scales and the
 * WINDOW_SCALE and BE_LIBERAL flags) as Open vSwitch 3.1 reports it. */
void ct_tcp_get_protoinfo(const struct ct_tcp *tcp,
                          struct ct_dpif_protoinfo *protoinfo);

#endif /* ct-tcp.h */
