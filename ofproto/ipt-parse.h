/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef IPT_PARSE_H
#define IPT_PARSE_H 1

/* Reading iptables-save and ip6tables-save output.
 *
 * ipt_parse() reads the text format that iptables-save prints and
 * iptables-restore reads:
 *
 *     # comment
 *     *nat                              start of a table block
 *     :PREROUTING ACCEPT [0:0]          built-in chain and its policy
 *     :DOCKER - [0:0]                   user-defined chain
 *     -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
 *     COMMIT                            end of the table block
 *
 * into an "ipt_ruleset": for each of the raw, mangle, nat and filter tables
 * that appears, its chains in declaration order, each with its rules in
 * order.  A rule is a conjunction of predicates ("ipt_pred", one per
 * iptables match option such as "-s" or "--dport", possibly negated with
 * "!") and one target ("ipt_target").  Besides "-A", the commands "-I", "-N"
 * and "-P" are accepted; counters ("[p:b]" prefixes, "-c") are ignored.
 *
 * The parser checks everything that can be checked line by line: syntax,
 * values, options that need a protocol ("--dport" needs "-p tcp", "udp" or
 * "sctp"), table and chain declarations, and a COMMIT for every table.  What
 * needs the whole ruleset (jumps to missing chains, loops, which hooks reach
 * a chain) is checked by ipt_compile().  Every problem goes to the
 * 'struct ipt_diag' with its line number.  A rule that uses an unsupported
 * construct is left out of the ruleset: with 'skip_unsupported' set in the
 * diag it is listed as skipped, otherwise it is an error.
 *
 * Thread-safety: a ruleset is owned by one thread and immutable once
 * ipt_parse() returns. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "openvswitch/shash.h"

struct ipt_diag;

enum ipt_table_id {
    IPT_RAW,
    IPT_MANGLE,
    IPT_NAT,
    IPT_FILTER,
    IPT_N_TABLES
};

/* Netfilter hooks, i.e. the built-in chains. */
enum ipt_hook {
    IPT_HOOK_PRE,               /* PREROUTING */
    IPT_HOOK_IN,                /* INPUT */
    IPT_HOOK_FWD,               /* FORWARD */
    IPT_HOOK_OUT,               /* OUTPUT */
    IPT_HOOK_POST,              /* POSTROUTING */
    IPT_N_HOOKS
};

const char *ipt_table_name(enum ipt_table_id);
const char *ipt_hook_name(enum ipt_hook);
bool ipt_table_has_hook(enum ipt_table_id, enum ipt_hook);

/* Connection states of "-m conntrack --ctstate" and "-m state --state". */
#define IPT_ST_NEW        0x01
#define IPT_ST_ESTABLISHED 0x02
#define IPT_ST_RELATED    0x04
#define IPT_ST_INVALID    0x08
#define IPT_ST_UNTRACKED  0x10
#define IPT_ST_SNAT       0x20
#define IPT_ST_DNAT       0x40

enum ipt_pred_type {
    IPT_P_SRC,                  /* -s: 'addrs'. */
    IPT_P_DST,                  /* -d: 'addrs'. */
    IPT_P_PROTO,                /* -p: 'value' (never 0). */
    IPT_P_IN_IF,                /* -i: 'ifname'. */
    IPT_P_OUT_IF,               /* -o: 'ifname'. */
    IPT_P_SPORT,                /* --sport, --sports: 'ranges'. */
    IPT_P_DPORT,                /* --dport, --dports: 'ranges'. */
    IPT_P_PORTS,                /* multiport --ports: 'ranges', either. */
    IPT_P_ICMP,                 /* --icmp-type: type 'value', code
                                 * 'ranges[0]'. */
    IPT_P_TCP_FLAGS,            /* --tcp-flags: 'mask' and 'value'. */
    IPT_P_CTSTATE,              /* --ctstate, --state: IPT_ST_* 'value'. */
    IPT_P_CTDIR,                /* --ctdir: 'value' 1 for REPLY. */
    IPT_P_MARK,                 /* -m mark --mark: 'value'/'mask'. */
    IPT_P_CONNMARK,             /* -m connmark --mark: 'value'/'mask'. */
    IPT_P_STATISTIC,            /* --probability: 'probability'. */
    IPT_P_SRC_LOCAL,            /* -m addrtype --src-type LOCAL. */
    IPT_P_DST_LOCAL,            /* -m addrtype --dst-type LOCAL. */
};

struct ipt_range {
    uint32_t min, max;          /* Inclusive. */
};

struct ipt_prefix {
    struct in6_addr addr, mask; /* Representation of ipt-term.h. */
};

struct ipt_pred {
    enum ipt_pred_type type;
    bool negated;               /* Preceded by "!". */
    struct ipt_prefix *addrs;
    size_t n_addrs;
    struct ipt_range *ranges;
    size_t n_ranges;
    char *ifname;               /* May end in '+' (prefix match). */
    uint32_t value, mask;
    double probability;
};

enum ipt_target_type {
    IPT_T_NONE,                 /* No -j: the rule only counts. */
    IPT_T_ACCEPT,
    IPT_T_DROP,
    IPT_T_REJECT,               /* Compiled as DROP. */
    IPT_T_RETURN,
    IPT_T_JUMP,                 /* -j CHAIN: 'chain'. */
    IPT_T_GOTO,                 /* -g CHAIN: 'chain'. */
    IPT_T_DNAT,
    IPT_T_SNAT,
    IPT_T_MASQUERADE,
    IPT_T_REDIRECT,
    IPT_T_MARK,                 /* pkt_mark = (pkt_mark & ~mask) ^ value. */
    IPT_T_CONNMARK,             /* ct_mark = (ct_mark & ~mask) ^ value. */
    IPT_T_SAVE_MARK,            /* ct_mark bits in 'mask' = pkt_mark's. */
    IPT_T_RESTORE_MARK,         /* pkt_mark bits in 'mask' = ct_mark's. */
    IPT_T_LOG,                  /* Compiled as nothing. */
    IPT_T_NOTRACK,              /* -j NOTRACK, -j CT --notrack. */
};

struct ipt_target {
    enum ipt_target_type type;
    char *chain;                /* IPT_T_JUMP, IPT_T_GOTO. */

    /* NAT targets.  A missing address means "the address of the interface"
     * (MASQUERADE, REDIRECT). */
    bool has_addr;
    struct in6_addr addr_min, addr_max;
    bool has_port;
    uint16_t port_min, port_max;
    bool random;                /* --random, --random-fully. */
    bool persistent;            /* --persistent. */

    /* Mark targets. */
    uint32_t value, mask;
};

struct ipt_rule {
    int line;                   /* Line number in the input. */
    char *text;                 /* The line as written, without counters. */
    struct ipt_pred *preds;     /* Conjunction. */
    size_t n_preds;
    struct ipt_target target;
    int proto;                  /* From a positive -p, or -1. */
    char *match_key;            /* The matches other than statistic and
                                 * comment, normalized, for comparisons. */
};

struct ipt_chain {
    char *name;
    int line;                   /* Declaration, 0 if implicit. */
    enum ipt_table_id table;
    bool builtin;
    enum ipt_hook hook;         /* If 'builtin'. */
    bool policy_drop;           /* If 'builtin': policy DROP? */
    size_t index;               /* In 'chains' of the ruleset. */
    struct ipt_rule *rules;
    size_t n_rules, allocated_rules;
};

struct ipt_ruleset {
    int family;                 /* AF_INET or AF_INET6. */
    char *file_name;
    bool has_table[IPT_N_TABLES];
    struct ipt_chain **chains;  /* All chains, in declaration order. */
    size_t n_chains, allocated_chains;
    struct shash chain_map[IPT_N_TABLES];   /* Name to struct ipt_chain. */
};

struct ipt_ruleset *ipt_parse(FILE *, const char *file_name, int family,
                              struct ipt_diag *);
void ipt_ruleset_destroy(struct ipt_ruleset *);
struct ipt_chain *ipt_ruleset_find_chain(const struct ipt_ruleset *,
                                         enum ipt_table_id, const char *name);

#endif /* ipt-parse.h */
