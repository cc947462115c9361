/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* TCP window tracking.
 *
 * Design
 * ======
 *
 * ct_tcp_update() runs for every TCP packet of every tracked connection, so
 * it is written for the common case: a segment of an established connection
 * that lies inside both windows.  That case takes no call, no allocation,
 * and only predictable branches: a bit test for the flags, the window scale
 * choice, four comparisons for the window check and the updates of the
 * edges.  The rare cases (SYNs, the first segment of the responder, segments
 * outside the windows) sit behind branches marked unlikely.
 *
 * The work is done on copies of the two peers, which are written back only
 * when the segment is accepted: an invalid segment leaves 'struct ct_tcp'
 * untouched, whatever stage of the checks rejected it.
 *
 * Window check
 * ------------
 *
 * With 's' the sender's peer and 'd' the receiver's, a segment [seq, end)
 * acknowledging 'ack' is in window when
 *
 *     end <= s.seqhi                  it fits in what 'd' can receive;
 *     seq >= s.seqlo - d.max_win      it repeats at most one window of old
 *                                     data (retransmission);
 *     -MAX_ACK_SKEW <= d.seqlo - ack <= MAX_ACK_SKEW << sws
 *                                     it acknowledges neither much more than
 *                                     'd' sent nor much less;
 *     a RST carries seq within one of s.seqlo.
 *
 * with windows scaled by the peers' shifts.  Zero-length segments (pure
 * ACKs) are checked on their acknowledgement only.  Accepted segments push
 * s.seqlo to 'end' and d.seqhi to ack + window.
 *
 * The responder's first segment sets its edges from what it carries.  Its
 * acknowledgement is checked against the initiator's SYN, except for
 * connections picked up in the middle, where the tracker saw too little of
 * the initiator's sequence space to judge. */

#include <config.h>
#include "ct-tcp.h"

#include <netinet/in.h>
#include <string.h>
#include "coverage.h"
#include "packets.h"

COVERAGE_DEFINE(ct_tcp_invalid_flags);
COVERAGE_DEFINE(ct_tcp_out_of_window);
COVERAGE_DEFINE(ct_tcp_reopen);
COVERAGE_DEFINE(ct_tcp_seq_chk_bypass);

/* TCP option kinds. */
#define TCPOPT_EOL    0
#define TCPOPT_NOP    1
#define TCPOPT_WSCALE 3
#define TCPOLEN_WSCALE 3

/* How far an acknowledgement may lag behind or run ahead of the other
 * peer's edge: the largest unscaled window plus a full-size Ethernet
 * segment. */
#define MAX_ACK_SKEW (UINT16_MAX + 1500)

/* 'seqhi' of a peer that has neither sent anything nor been told a window by
 * its receiver yet. */
#define SEQHI_UNSET 0

#define SEQ_GT(A, B)  INT_MOD_GT(A, B)
#define SEQ_GEQ(A, B) INT_MOD_GEQ(A, B)

/* The flags that decide whether a combination is valid. */
#define FLAG_BITS (TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG)

/* Bit 'f' is set when 'f', a combination of the FLAG_BITS, is valid:
 *
 *   - with SYN: neither RST nor FIN, and PSH or URG only along with ACK;
 *   - without SYN: ACK, or else RST alone (no FIN, PSH or URG).
 *
 * ECE, CWR and NS are irrelevant.  This is the set Open vSwitch accepts; the
 * unit test checks the constant against the rule above. */
#define VALID_FLAGS UINT64_C(0x3737000037370014)

/* A parsed segment. */
struct ct_tcp_seg {
    uint32_t seq;       /* Sequence number of the first octet. */
    uint32_t end;       /* 'seq' + payload, plus one for SYN and for FIN. */
    uint32_t ack;       /* Acknowledgement number. */
    uint16_t flags;     /* TCP_* flags. */
    uint16_t win;       /* Window field, in units of the sender's scale. */
};

static inline bool
flags_valid(uint16_t flags)
{
    return (VALID_FLAGS >> (flags & FLAG_BITS)) & 1;
}

static inline void
seg_parse(const struct tcp_header *th, size_t tcp_len, struct ct_tcp_seg *seg)
{
    uint16_t ctl = ntohs(th->tcp_ctl);
    uint32_t payload = tcp_len - (size_t) (ctl >> 12) * 4;

    seg->flags = ctl & 0x0fff;
    seg->seq = ntohl(get_16aligned_be32(&th->tcp_seq));
    seg->ack = ntohl(get_16aligned_be32(&th->tcp_ack));
    seg->win = ntohs(th->tcp_winsz);
    seg->end = seg->seq + payload + ((seg->flags & TCP_SYN) != 0)
               + ((seg->flags & TCP_FIN) != 0);
}

/* Returns the window scale option of 'th' as CT_TCP_WSCALE_SEEN plus the
 * shift, or 0 without a well-formed option.  The caller validated the data
 * offset, so the options lie inside the packet. */
static uint8_t
parse_wscale(const struct tcp_header *th)
{
    const uint8_t *opt = (const uint8_t *) (th + 1);
    const uint8_t *lim = (const uint8_t *) th + TCP_OFFSET(th->tcp_ctl) * 4;
    uint8_t wscale = 0;

    while (opt < lim) {
        uint8_t kind = opt[0];
        uint8_t len;

        if (kind == TCPOPT_EOL) {
            break;
        } else if (kind == TCPOPT_NOP) {
            opt++;
            continue;
        }
        if (lim - opt < 2) {
            break;
        }
        len = opt[1];
        if (len < 2 || len > lim - opt) {
            break;
        }
        if (kind == TCPOPT_WSCALE && len == TCPOLEN_WSCALE) {
            wscale = CT_TCP_WSCALE_SEEN | MIN(opt[2], CT_TCP_MAX_WSCALE);
        }
        opt += len;
    }
    return wscale;
}

/* Converts window 'win', in octets, to units of 2**'shift', rounding up so
 * that the result is never 0 for a nonzero window. */
static inline uint16_t
win_unscale(uint16_t win, uint8_t shift)
{
    return ((uint32_t) win + (1u << shift) - 1) >> shift;
}

bool
ct_tcp_header_ok(const struct tcp_header *th, size_t tcp_len)
{
    size_t hlen;

    if (!th || tcp_len < TCP_HEADER_LEN) {
        return false;
    }
    hlen = (size_t) TCP_OFFSET(th->tcp_ctl) * 4;
    return hlen >= TCP_HEADER_LEN && hlen <= tcp_len;
}

bool
ct_tcp_valid_new(const struct tcp_header *th, size_t tcp_len OVS_UNUSED,
                 bool liberal)
{
    uint16_t flags = TCP_FLAGS(th->tcp_ctl);

    if (!flags_valid(flags)) {
        return false;
    }
    if (flags & TCP_SYN) {
        /* A valid SYN carries neither RST nor FIN. */
        return !(flags & TCP_ACK);
    }
    return liberal && !(flags & TCP_RST);
}

void
ct_tcp_init(struct ct_tcp *tcp, const struct tcp_header *th, size_t tcp_len)
{
    struct ct_tcp_peer *src = &tcp->peer[0];
    struct ct_tcp_peer *dst = &tcp->peer[1];
    struct ct_tcp_seg seg;

    seg_parse(th, tcp_len, &seg);
    memset(tcp, 0, sizeof *tcp);

    src->seqlo = seg.end;
    /* The receiver's window is unknown until it answers. */
    src->seqhi = seg.end + 1;
    src->max_win = MAX(seg.win, 1);
    if (seg.flags & TCP_SYN) {
        /* The window of a SYN is never scaled: keep 'max_win' in units of
         * the sender's scale, as in the segments that will follow. */
        src->wscale = parse_wscale(th);
        src->max_win = win_unscale(src->max_win,
                                   src->wscale & CT_TCP_WSCALE_MASK);
    } else {
        /* Picked up in the middle: the scales were in the SYNs, missed. */
        src->wscale = CT_TCP_WSCALE_UNSET;
        dst->wscale = CT_TCP_WSCALE_UNSET;
    }
    src->state = CT_DPIF_TCPS_SYN_SENT;

    dst->seqhi = SEQHI_UNSET;
    dst->max_win = 1;
    dst->state = CT_DPIF_TCPS_CLOSED;
}

/* Sets up sender 's' from its first segment 'seg', sent to 'd'.  For a SYN
 * in answer to a SYN with the window scale option, this is where the scales
 * are agreed on; '*sws' and '*dws' receive the shifts that apply to 'seg'. */
static void
first_segment(struct ct_tcp_peer *s, struct ct_tcp_peer *d,
              struct ct_tcp_seg *seg, const struct tcp_header *th,
              uint8_t *sws, uint8_t *dws)
{
    uint32_t hi;

    if (seg->flags & TCP_SYN && d->wscale & CT_TCP_WSCALE_SEEN) {
        s->wscale = parse_wscale(th);
        if (s->wscale & CT_TCP_WSCALE_SEEN) {
            *sws = s->wscale & CT_TCP_WSCALE_MASK;
            *dws = d->wscale & CT_TCP_WSCALE_MASK;
            seg->win = win_unscale(seg->win, *sws);
        } else {
            /* Scaling is off: 'd''s window counts in octets again. */
            uint32_t win = (uint32_t) d->max_win
                           << (d->wscale & CT_TCP_WSCALE_MASK);

            d->max_win = MIN(win, UINT16_MAX);
            d->wscale = 0;
        }
    }

    s->seqlo = seg->seq;
    s->state = CT_DPIF_TCPS_SYN_SENT;
    hi = seg->end + MAX(1, (uint32_t) d->max_win << *dws);
    if (s->seqhi == SEQHI_UNSET || SEQ_GEQ(hi, s->seqhi)) {
        s->seqhi = hi;
    }
}

/* Moves the edges of 's' and 'd' for accepted segment 'seg' whose last octet
 * is at 'end' (or s->seqlo for a zero-length segment), with the sender's
 * window scaled by 'sws'. */
static inline void
advance(struct ct_tcp_peer *s, struct ct_tcp_peer *d,
        const struct ct_tcp_seg *seg, uint32_t end, uint8_t sws)
{
    uint32_t hi = seg->ack + MAX((uint32_t) seg->win << sws, 1);

    if (seg->win > s->max_win) {
        s->max_win = seg->win;
    }
    if (SEQ_GT(end, s->seqlo)) {
        s->seqlo = end;
    }
    if (SEQ_GEQ(hi, d->seqhi)) {
        d->seqhi = hi;
    }
    if (seg->flags & TCP_FIN && s->state < CT_DPIF_TCPS_CLOSING) {
        s->state = CT_DPIF_TCPS_CLOSING;
    }
}

enum ct_tcp_result
ct_tcp_update(struct ct_tcp *tcp, bool reply, const struct tcp_header *th,
              size_t tcp_len, bool seq_chk)
{
    struct ct_tcp_peer *srcp = &tcp->peer[reply];
    struct ct_tcp_peer *dstp = &tcp->peer[!reply];
    struct ct_tcp_peer s = *srcp;
    struct ct_tcp_peer d = *dstp;
    bool check_ackskew = true;
    uint8_t sws = 0, dws = 0;
    struct ct_tcp_seg seg;
    uint32_t seq, end;
    int32_t ackskew;
    bool in_window;

    seg_parse(th, tcp_len, &seg);
    if (OVS_UNLIKELY(!flags_valid(seg.flags))) {
        COVERAGE_INC(ct_tcp_invalid_flags);
        return CT_TCP_INVALID;
    }

    if (OVS_UNLIKELY(seg.flags & TCP_SYN)) {
        if (!(seg.flags & TCP_ACK)) {
            if (s.state >= CT_DPIF_TCPS_FIN_WAIT_2
                && d.state >= CT_DPIF_TCPS_FIN_WAIT_2) {
                COVERAGE_INC(ct_tcp_reopen);
                return CT_TCP_REOPEN;
            }
            if (!reply && d.state == CT_DPIF_TCPS_CLOSED) {
                /* The initiator repeats its SYN before any answer, maybe
                 * with a new sequence number: start over from it. */
                ct_tcp_init(tcp, th, tcp_len);
                return CT_TCP_OK;
            }
        }
        /* The window of a SYN is never scaled: 'sws' = 'dws' = 0. */
    } else if (s.wscale & d.wscale & CT_TCP_WSCALE_SEEN) {
        sws = s.wscale & CT_TCP_WSCALE_MASK;
        dws = d.wscale & CT_TCP_WSCALE_MASK;
    } else if (s.wscale & d.wscale & CT_TCP_WSCALE_UNSET) {
        sws = dws = CT_TCP_MAX_WSCALE;
    }

    if (OVS_UNLIKELY(s.state < CT_DPIF_TCPS_SYN_SENT)) {
        first_segment(&s, &d, &seg, th, &sws, &dws);
        check_ackskew = !(d.wscale & CT_TCP_WSCALE_UNSET);
    }

    if (!(seg.flags & TCP_ACK) || (seg.ack == 0 && seg.flags & TCP_RST)) {
        /* Nothing acknowledged (some stacks send RST+ACK with a zero
         * acknowledgement): let it pass the acknowledgement check. */
        seg.ack = d.seqlo;
    }

    seq = seg.seq;
    end = seg.end;
    if (seq == end) {
        /* No data: judge the acknowledgement only. */
        seq = end = s.seqlo;
    }

    ackskew = check_ackskew ? (int32_t) (d.seqlo - seg.ack) : 0;
    in_window = (SEQ_GEQ(s.seqhi, end)
                 && SEQ_GEQ(seq, s.seqlo - ((uint32_t) d.max_win << dws))
                 && ackskew >= -MAX_ACK_SKEW
                 && ackskew <= (MAX_ACK_SKEW << sws)
                 && (!(seg.flags & TCP_RST)
                     || (uint32_t) (seg.seq - s.seqlo + 1) <= 2));

    if (OVS_LIKELY(in_window) || !seq_chk) {
        if (!in_window) {
            COVERAGE_INC(ct_tcp_seq_chk_bypass);
        }
        advance(&s, &d, &seg, end, sws);
        if (seg.flags & TCP_ACK) {
            if (d.state == CT_DPIF_TCPS_SYN_SENT) {
                d.state = CT_DPIF_TCPS_ESTABLISHED;
            } else if (d.state == CT_DPIF_TCPS_CLOSING) {
                d.state = CT_DPIF_TCPS_FIN_WAIT_2;
            }
        }
    } else if ((d.state < CT_DPIF_TCPS_SYN_SENT
                || d.state >= CT_DPIF_TCPS_FIN_WAIT_2
                || s.state >= CT_DPIF_TCPS_FIN_WAIT_2)
               && SEQ_GEQ(s.seqhi + MAX_ACK_SKEW, end)
               && SEQ_GEQ(seq, s.seqlo - MAX_ACK_SKEW)) {
        /* Outside the windows, but near them while the other peer has not
         * answered yet (a SYN repeated before the answer arrived) or after
         * the close (late segments).  Accept it without letting it move the
         * handshake or the close forward. */
        advance(&s, &d, &seg, end, sws);
    } else {
        COVERAGE_INC(ct_tcp_out_of_window);
        return CT_TCP_INVALID;
    }

    if (seg.flags & TCP_RST) {
        s.state = d.state = CT_DPIF_TCPS_TIME_WAIT;
    }
    *srcp = s;
    *dstp = d;
    return CT_TCP_OK;
}

bool
ct_tcp_syn_is_new(const struct ct_tcp *tcp, bool reply,
                  const struct tcp_header *th)
{
    return ((TCP_FLAGS(th->tcp_ctl) & (TCP_SYN | TCP_ACK)) == TCP_SYN
            && tcp->peer[reply].state == CT_DPIF_TCPS_SYN_SENT);
}

int
ct_tcp_timeout_attr(const struct ct_tcp *tcp)
{
    uint8_t a = tcp->peer[0].state;
    uint8_t b = tcp->peer[1].state;
    uint8_t lo = MIN(a, b);
    uint8_t hi = MAX(a, b);

    if (lo >= CT_DPIF_TCPS_FIN_WAIT_2) {
        return CT_DPIF_TP_ATTR_TCP_CLOSE;
    } else if (lo >= CT_DPIF_TCPS_CLOSING) {
        return CT_DPIF_TP_ATTR_TCP_TIME_WAIT;
    } else if (b == CT_DPIF_TCPS_CLOSED) {
        return CT_DPIF_TP_ATTR_TCP_SYN_SENT;
    } else if (lo < CT_DPIF_TCPS_ESTABLISHED) {
        return CT_DPIF_TP_ATTR_TCP_SYN_RECV;
    } else if (hi >= CT_DPIF_TCPS_CLOSING) {
        return CT_DPIF_TP_ATTR_TCP_FIN_WAIT;
    } else {
        return CT_DPIF_TP_ATTR_TCP_ESTABLISHED;
    }
}

bool
ct_tcp_assured(const struct ct_tcp *tcp)
{
    uint8_t a = tcp->peer[0].state;
    uint8_t b = tcp->peer[1].state;

    /* A reset puts both peers in TIME_WAIT: no longer worth keeping. */
    return MIN(a, b) >= CT_DPIF_TCPS_ESTABLISHED
           && MAX(a, b) < CT_DPIF_TCPS_TIME_WAIT;
}

static uint8_t
peer_protoinfo_flags(const struct ct_tcp_peer *peer)
{
    return ((peer->wscale & CT_TCP_WSCALE_SEEN ? CT_DPIF_TCPF_WINDOW_SCALE : 0)
            | (peer->wscale & CT_TCP_WSCALE_UNSET
               ? CT_DPIF_TCPF_BE_LIBERAL : 0));
}

void
ct_tcp_get_protoinfo(const struct ct_tcp *tcp,
                     struct ct_dpif_protoinfo *protoinfo)
{
    const struct ct_tcp_peer *orig = &tcp->peer[0];
    const struct ct_tcp_peer *rpl = &tcp->peer[1];

    protoinfo->proto = IPPROTO_TCP;
    protoinfo->tcp.state_orig = orig->state;
    protoinfo->tcp.state_reply = rpl->state;
    protoinfo->tcp.wscale_orig = orig->wscale & CT_TCP_WSCALE_MASK;
    protoinfo->tcp.wscale_reply = rpl->wscale & CT_TCP_WSCALE_MASK;
    protoinfo->tcp.flags_orig = peer_protoinfo_flags(orig);
    protoinfo->tcp.flags_reply = peer_protoinfo_flags(rpl);
}
