/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_L4_H
#define CTDP_CT_L4_H 1

/* Per-protocol connection state: dispatch to the TCP and SCTP trackers
 * (ct-tcp.h, ct-sctp.h) and the two small state machines kept here.
 *
 * "Other" (UDP and every protocol without a tracker), as Open vSwitch 3.1:
 *
 *     FIRST --orig--> MULTIPLE --reply--> BIDIR
 *       \____________reply_______________/
 *
 * with timeouts UDP_FIRST, UDP_SINGLE and UDP_MULTIPLE; packets are +new
 * until a reply was seen, +est from then on.
 *
 * ICMP/ICMPv6 queries: FIRST until a reply, then REPLY (timeouts ICMP_FIRST,
 * ICMP_REPLY); +new until a reply.
 *
 * Thread-safety: the small state machines live in the connection's atomic
 * 'status' byte and advance with compare-and-swap; TCP and SCTP updates
 * take the connection's spinlock. */

#include <stdbool.h>
#include <stdint.h>
#include "ct-conn.h"

struct ct_dpif_protoinfo;
struct ct_pkt;

enum ct_l4_kind {
    CT_L4_OTHER,
    CT_L4_ICMP,
    CT_L4_TCP,
    CT_L4_SCTP,
};

enum ct_l4_result {
    CT_L4_VALID,        /* +est. */
    CT_L4_VALID_NEW,    /* Still +new (no reply seen). */
    CT_L4_INVALID,      /* +inv, state unchanged. */
    CT_L4_REOPEN,       /* End the connection, track the packet as new. */
};

enum ct_l4_kind ct_l4_kind(bool v6, uint8_t proto);
enum ct_l4_kind ct_l4_kind_of_conn(const struct ct_conn *);

/* Whether 'p' (not related, already validated) may start a connection. */
bool ct_l4_valid_new(enum ct_l4_kind, const struct ct_pkt *p);

/* Initializes the state of new connection 'c' from its first packet 'p' and
 * returns the timeout attribute (CT_DPIF_TP_ATTR_*) that applies. */
int ct_l4_init(struct ct_conn *c, enum ct_l4_kind, const struct ct_pkt *p);

/* Updates 'c' with packet 'p' of direction 'reply'.  Stores the timeout
 * attribute that now applies in '*attr' (unless the result is
 * CT_L4_INVALID or CT_L4_REOPEN). */
enum ct_l4_result ct_l4_update(struct ct_conn *c, enum ct_l4_kind,
                               const struct ct_pkt *p, bool reply,
                               bool seq_chk, int *attr);

/* Whether 'c' saw its reply / completed its handshake: connections that did
 * not are the ones early drop evicts. */
bool ct_l4_assured(struct ct_conn *c, enum ct_l4_kind);

void ct_l4_protoinfo(struct ct_conn *c, enum ct_l4_kind,
                     struct ct_dpif_protoinfo *);

#endif /* ct-l4.h */
