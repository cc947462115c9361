/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ct-l4.h"

#include <netinet/icmp6.h>
#include "ct-dpif.h"
#include "ct-sctp.h"
#include "ct-tcp.h"
#include "ct-tuple.h"
#include "packets.h"

enum { CT_OTHER_FIRST, CT_OTHER_MULTIPLE, CT_OTHER_BIDIR };
enum { CT_ICMP_FIRST, CT_ICMP_REPLY };

enum ct_l4_kind
ct_l4_kind(bool v6, uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP:
        return CT_L4_TCP;
    case IPPROTO_SCTP:
        return CT_L4_SCTP;
    case IPPROTO_ICMP:
        return v6 ? CT_L4_OTHER : CT_L4_ICMP;
    case IPPROTO_ICMPV6:
        return v6 ? CT_L4_ICMP : CT_L4_OTHER;
    default:
        return CT_L4_OTHER;
    }
}

enum ct_l4_kind
ct_l4_kind_of_conn(const struct ct_conn *c)
{
    bool v6 = ct_conn_is_v6(c);

    return ct_l4_kind(v6, v6 ? c->orig.t6.proto : c->orig.t4.proto);
}

static uint8_t
key_icmp_type(const struct ct_key *k)
{
    return k->v6 ? k->t6.icmp_type : k->t4.icmp_type;
}

bool
ct_l4_valid_new(enum ct_l4_kind kind, const struct ct_pkt *p)
{
    switch (kind) {
    case CT_L4_TCP:
        /* Open vSwitch creates connections from any segment with a sane
         * combination of flags except SYN+ACK (mid-stream pickup), whatever
         * its sequence checking setting; so do we. */
        return ct_tcp_valid_new(p->l4, p->l4_len, true);
    case CT_L4_SCTP:
        return ct_sctp_valid_new(p->l4, p->l4_len);
    case CT_L4_ICMP: {
        uint8_t type = key_icmp_type(&p->key);

        if (p->key.v6) {
            return type == ICMP6_ECHO_REQUEST;
        }
        return (type == ICMP4_ECHO_REQUEST || type == ICMP4_INFOREQUEST
                || type == ICMP4_TIMESTAMP);
    }
    case CT_L4_OTHER:
    default:
        return true;
    }
}

static void
status_set_l4(struct ct_conn *c, uint8_t state)
{
    uint8_t st;

    atomic_read_relaxed(&c->status, &st);
    atomic_store_relaxed(&c->status, (st & ~CT_ST_L4_MASK) | state);
}

int
ct_l4_init(struct ct_conn *c, enum ct_l4_kind kind, const struct ct_pkt *p)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    /* No analysis: 'c' is not yet visible to any other thread. */
    switch (kind) {
    case CT_L4_TCP:
        ct_tcp_init(&c->l4.tcp, p->l4, p->l4_len);
        return ct_tcp_timeout_attr(&c->l4.tcp);
    case CT_L4_SCTP:
        ct_sctp_init(&c->l4.sctp, p->l4, p->l4_len);
        return ct_sctp_timeout_attr(&c->l4.sctp);
    case CT_L4_ICMP:
        status_set_l4(c, CT_ICMP_FIRST);
        return CT_DPIF_TP_ATTR_ICMP_FIRST;
    case CT_L4_OTHER:
    default:
        status_set_l4(c, CT_OTHER_FIRST);
        return CT_DPIF_TP_ATTR_UDP_FIRST;
    }
}

/* Moves the L4 bits of 'status' from what they are to what 'next' computes
 * from them; returns the final L4 state. */
static uint8_t
status_advance(struct ct_conn *c, uint8_t (*next)(uint8_t, bool), bool reply)
{
    uint8_t st, want;

    atomic_read_relaxed(&c->status, &st);
    for (;;) {
        uint8_t cur = st & CT_ST_L4_MASK;
        uint8_t nxt = next(cur, reply);

        if (nxt == cur) {
            return cur;
        }
        want = (st & ~CT_ST_L4_MASK) | nxt;
        /* On failure 'st' is reloaded (another packet moved the state or a
         * remover set CT_ST_DEAD); recompute from it. */
        if (atomic_compare_exchange_weak_relaxed(&c->status, &st, want)) {
            return nxt;
        }
    }
}

static uint8_t
other_next(uint8_t cur, bool reply)
{
    if (reply) {
        return CT_OTHER_BIDIR;
    }
    return cur == CT_OTHER_FIRST ? CT_OTHER_MULTIPLE : cur;
}

static uint8_t
icmp_next(uint8_t cur, bool reply)
{
    return reply ? CT_ICMP_REPLY : cur;
}

static enum ct_l4_result
tcp_result(enum ct_tcp_result r)
{
    switch (r) {
    case CT_TCP_OK:
        return CT_L4_VALID;
    case CT_TCP_REOPEN:
        return CT_L4_REOPEN;
    case CT_TCP_INVALID:
    default:
        return CT_L4_INVALID;
    }
}

enum ct_l4_result
ct_l4_update(struct ct_conn *c, enum ct_l4_kind kind, const struct ct_pkt *p,
             bool reply, bool seq_chk, int *attr)
{
    enum ct_tcp_result r;

    switch (kind) {
    case CT_L4_TCP:
        ct_spin_lock(&c->lock);
        r = ct_tcp_update(&c->l4.tcp, reply, p->l4, p->l4_len, seq_chk);
        *attr = ct_tcp_timeout_attr(&c->l4.tcp);
        ct_spin_unlock(&c->lock);
        return tcp_result(r);

    case CT_L4_SCTP:
        ct_spin_lock(&c->lock);
        r = ct_sctp_update(&c->l4.sctp, reply, p->l4, p->l4_len);
        *attr = ct_sctp_timeout_attr(&c->l4.sctp);
        ct_spin_unlock(&c->lock);
        return tcp_result(r);

    case CT_L4_ICMP: {
        uint8_t st = status_advance(c, icmp_next, reply);

        *attr = (st == CT_ICMP_REPLY ? CT_DPIF_TP_ATTR_ICMP_REPLY
                                     : CT_DPIF_TP_ATTR_ICMP_FIRST);
        return st == CT_ICMP_REPLY ? CT_L4_VALID : CT_L4_VALID_NEW;
    }

    case CT_L4_OTHER:
    default: {
        uint8_t st = status_advance(c, other_next, reply);

        *attr = (st == CT_OTHER_BIDIR ? CT_DPIF_TP_ATTR_UDP_MULTIPLE
                 : st == CT_OTHER_MULTIPLE ? CT_DPIF_TP_ATTR_UDP_SINGLE
                 : CT_DPIF_TP_ATTR_UDP_FIRST);
        return st == CT_OTHER_BIDIR ? CT_L4_VALID : CT_L4_VALID_NEW;
    }
    }
}

bool
ct_l4_assured(struct ct_conn *c, enum ct_l4_kind kind)
{
    bool assured;

    switch (kind) {
    case CT_L4_TCP:
        ct_spin_lock(&c->lock);
        assured = ct_tcp_assured(&c->l4.tcp);
        ct_spin_unlock(&c->lock);
        return assured;
    case CT_L4_SCTP:
        ct_spin_lock(&c->lock);
        assured = ct_sctp_assured(&c->l4.sctp);
        ct_spin_unlock(&c->lock);
        return assured;
    case CT_L4_ICMP:
        return (ct_conn_status(c) & CT_ST_L4_MASK) == CT_ICMP_REPLY;
    case CT_L4_OTHER:
    default:
        return (ct_conn_status(c) & CT_ST_L4_MASK) == CT_OTHER_BIDIR;
    }
}

void
ct_l4_protoinfo(struct ct_conn *c, enum ct_l4_kind kind,
                struct ct_dpif_protoinfo *info)
{
    memset(info, 0, sizeof *info);
    switch (kind) {
    case CT_L4_TCP:
        ct_spin_lock(&c->lock);
        ct_tcp_get_protoinfo(&c->l4.tcp, info);
        ct_spin_unlock(&c->lock);
        break;
    case CT_L4_SCTP:
        ct_spin_lock(&c->lock);
        ct_sctp_get_protoinfo(&c->l4.sctp, info);
        ct_spin_unlock(&c->lock);
        break;
    case CT_L4_ICMP:
    case CT_L4_OTHER:
    default:
        break;
    }
}
