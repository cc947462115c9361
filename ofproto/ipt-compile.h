/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef IPT_COMPILE_H
#define IPT_COMPILE_H 1

/* Compiling iptables rulesets into an OpenFlow pipeline.
 *
 * ipt_compile() turns the rulesets read by ipt_parse() (at most one IPv4 and
 * one IPv6 ruleset) into text for "ovs-ofctl --bundle replace-flows": one
 * flow per line, "#" comment lines, ordinary ovs-ofctl syntax that works
 * with OpenFlow 1.3 and later.  No groups are used, so the whole pipeline is
 * replaced in one atomic bundle.
 *
 * Traversal
 * =========
 *
 * Packets follow netfilter's hooks.  A packet that arrives on any port
 * other than LOCAL is "received": PREROUTING (raw, then conntrack, then
 * mangle, then nat), then routing, then either INPUT (mangle, filter, nat)
 * and out of the LOCAL port if its destination is a local address, or else
 * FORWARD (mangle, filter) and POSTROUTING (mangle, nat) and out of the
 * routed port.  A packet from the LOCAL port is "locally generated": OUTPUT
 * (raw, conntrack, mangle, nat, then routing, filter) and POSTROUTING.  The
 * nat chains see only the first packet of a connection (ct_state +new), as
 * in netfilter.  Non-IP packets, and IP packets of a family for which no
 * ruleset was given, are output with NORMAL.
 *
 * Table layout
 * ============
 *
 *   0  INGRESS   raw PREROUTING or raw OUTPUT, then table 1.
 *   1  CT        Conntrack lookup: ct(zone=SNAT_ZONE,nat,table=2) for
 *                packets to an address used by SNAT or MASQUERADE (undoes
 *                the SNAT of replies), otherwise straight to
 *                ct(zone=ZONE,nat,table=3).  Packets dropped in raw stop
 *                here; NOTRACK'ed packets skip conntrack (ct_state -trk).
 *   2  CT_MAIN   ct(zone=ZONE,nat,table=3) after the SNAT zone lookup.
 *   3  HOOKS     Calls the built-in chains of PREROUTING (or OUTPUT), the
 *                routing table 4, then table 5 (received) or FORWARD/
 *                POSTROUTING stages (locally generated), then table 6.
 *   4  ROUTE     Sets reg5 to the output port: LOCAL (and the LOCAL_IN
 *                flag) for local addresses (and broadcast and multicast, if
 *                the family has local addresses), else longest prefix
 *                match over --route and connected routes, else 0 (NORMAL).
 *   5  PATH      INPUT stages for local traffic, FORWARD and POSTROUTING
 *                stages for forwarded traffic, then table 6.
 *   6  COMMIT    Final disposition of accepted packets: new connections
 *                are committed in ZONE, with nat(dst=...) if a DNAT was
 *                decided (the original destination, saved in registers, is
 *                restored first); packets of SNAT'ed connections go through
 *                the SNAT zone.  Dropped packets stop here.
 *   7  SNAT      ct(commit,zone=SNAT_ZONE,nat(src=...)) of new connections.
 *   8  OUTPUT    Output to reg5 (IN_PORT if it is the input port, NORMAL for
 *                0, LOCAL for 0xfffe).
 *  10+ CHAINS    Chains.  A chain's call depth from a built-in chain (0 for
 *                built-in chains) gives its table: 10 + depth, so every
 *                jump resubmits to a later table.  Chains of the same
 *                depth share a table and are told apart by their id in
 *                reg6.
 *
 * Chains
 * ======
 *
 * Rule i of a chain is a set of flows at priority 60000 - 3 * i matching
 * the chain's id and the rule's matches.  A "!" that OpenFlow cannot
 * express in the same flow becomes "skip" flows one priority higher that
 * resume the chain after the rule.  Resuming uses the low 16 bits of reg6,
 * the resume point: each flow also matches the resume points from which
 * its rule is still ahead.  With at most 16 resume points in a chain,
 * resume point k is written as k one bits, so that "still ahead of resume
 * point s" is the single masked match "bit s clear"; larger chains number
 * them in binary and match ranges.  A jump loads the callee's id into reg6,
 * resubmits to the callee's table, and then resumes the caller after the
 * rule; since resubmit returns, RETURN is simply the end of the callee's
 * actions.  A verdict (ACCEPT, DROP, REJECT, a NAT target) sets the STOP
 * flag, which makes every pending resume of the current hook do nothing,
 * and DROP also sets the DROP flag, which stops the later stages.  A
 * built-in chain's DROP policy is a flow at priority 1.
 *
 * Each matched non-terminating rule or skip nests one resubmit; Open
 * vSwitch allows a nesting depth of 64.
 *
 * Registers and metadata
 * ======================
 *
 *   reg0        Original IPv4 destination of a DNAT'ed new connection
 *   xxreg0      (reg0-reg3) original IPv6 destination of one.
 *   reg4        [0..15] original destination port, [16..31] DNAT id.
 *   reg5        Output port chosen by routing.
 *   reg6        [16..31] chain id, [0..15] resume point.
 *   reg7        [0..15] flags IPT_FLAG_*, [16..31] SNAT id.
 *   reg8        Connection mark (ct_mark) being built by CONNMARK.
 *   reg9        [0..15] per-connection hash for "-m statistic".
 *   ct_label    Bit 0: connection is SNAT'ed; bit 1: it is DNAT'ed.
 *   ct_mark     CONNMARK, committed with the connection.
 *   pkt_mark    MARK.
 *   cookie      Line number of the iptables rule a flow comes from.
 *
 * NAT
 * ===
 *
 * Netfilter commits a connection (and its NAT) only when its first packet
 * leaves; Open vSwitch can commit NAT for a connection only once and only
 * one of nat(src) and nat(dst) at a time.  So decisions are carried in
 * registers and applied at the end, in two zones: ZONE holds every
 * connection and its DNAT, SNAT_ZONE holds the SNAT of connections that
 * have one.  DNAT (and REDIRECT) in PREROUTING or OUTPUT saves the original
 * destination, rewrites the packet to the first address and port of the
 * target range (so that later chains and routing see the translated
 * destination, as in netfilter), and records the DNAT id.  SNAT and
 * MASQUERADE in POSTROUTING (or nat INPUT) record the SNAT id.  Table 6
 * restores the destination and commits with the real nat() action, then
 * table 7 commits the SNAT.  A new connection dropped by a later chain is
 * never committed.  Later packets are translated by the ct(nat) lookups of
 * tables 1 and 2 (replies: SNAT zone first, then ZONE) and table 6 (packets
 * in the original direction of an SNAT'ed connection go through the SNAT
 * zone on the way out).
 *
 * "-m statistic --mode random --probability P" uses a hash of the
 * connection's addresses and ports computed with multipath() into reg9 when
 * the chain is entered: the chain's statistic rules split the hash space in
 * order, rule k taking fraction P_k of what the earlier ones left, so that
 * rule k matches with probability P_k when the earlier ones did not.  This
 * equals netfilter's independent draws when all statistic rules of a chain
 * have the same other matches (as kube-proxy writes them), which the
 * compiler checks.  The draw is per connection rather than per packet.
 *
 * Thread-safety: ipt_compile() uses only its arguments; calls on different
 * arguments may run concurrently. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds;
struct ipt_diag;
struct ipt_ruleset;
struct ipt_topo;

/* Table numbers. */
enum {
    IPT_TABLE_INGRESS = 0,
    IPT_TABLE_CT = 1,
    IPT_TABLE_CT_MAIN = 2,
    IPT_TABLE_HOOKS = 3,
    IPT_TABLE_ROUTE = 4,
    IPT_TABLE_PATH = 5,
    IPT_TABLE_COMMIT = 6,
    IPT_TABLE_SNAT = 7,
    IPT_TABLE_OUTPUT = 8,
    IPT_TABLE_CHAINS = 10,
    IPT_TABLE_MAX = 254
};

/* Flags in reg7. */
#define IPT_FLAG_STOP       0x01    /* Verdict reached in this hook. */
#define IPT_FLAG_DROP       0x02    /* Packet dropped. */
#define IPT_FLAG_NOTRACK    0x04    /* NOTRACK in raw. */
#define IPT_FLAG_DNAT       0x08    /* DNAT decided (id in reg4). */
#define IPT_FLAG_SNAT       0x10    /* SNAT decided (id in reg7[16..31]). */
#define IPT_FLAG_LOCAL_IN   0x20    /* Routed to a local address. */
#define IPT_FLAG_CONNMARK   0x40    /* CONNMARK changed reg8. */
#define IPT_FLAG_NO_IN_DEV  0x80    /* Hook without input device ("-i"
                                     * never matches): OUTPUT, POSTROUTING. */
#define IPT_FLAG_NO_OUT_DEV 0x100   /* Hook without output device ("-o"
                                     * never matches): PREROUTING, INPUT. */

/* ct_label bits. */
#define IPT_LABEL_SNAT 0x1
#define IPT_LABEL_DNAT 0x2

struct ipt_compile_options {
    uint16_t zone;              /* Conntrack zone, default 1. */
    uint16_t snat_zone;         /* Zone for SNAT, default zone + 1. */
    const struct ipt_topo *topo;    /* Ports, addresses, routes. */
    bool comments;              /* Emit "#" comment lines? */
};

void ipt_compile_options_init(struct ipt_compile_options *);

bool ipt_compile(struct ipt_ruleset *const rulesets[], size_t n_rulesets,
                 const struct ipt_compile_options *, struct ds *flows,
                 struct ipt_diag *);

#endif /* ipt-compile.h */
