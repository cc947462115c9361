/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ipt-parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "ipt-diag.h"
#include "ipt-term.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "svec.h"
#include "util.h"

/* Tables, hooks, and which hooks each table has. */

static const char *const table_names[IPT_N_TABLES] = {
    [IPT_RAW] = "raw",
    [IPT_MANGLE] = "mangle",
    [IPT_NAT] = "nat",
    [IPT_FILTER] = "filter",
};

static const char *const hook_names[IPT_N_HOOKS] = {
    [IPT_HOOK_PRE] = "PREROUTING",
    [IPT_HOOK_IN] = "INPUT",
    [IPT_HOOK_FWD] = "FORWARD",
    [IPT_HOOK_OUT] = "OUTPUT",
    [IPT_HOOK_POST] = "POSTROUTING",
};

#define HOOK_BIT(HOOK) (1u << (HOOK))

static const unsigned int table_hooks[IPT_N_TABLES] = {
    [IPT_RAW] = HOOK_BIT(IPT_HOOK_PRE) | HOOK_BIT(IPT_HOOK_OUT),
    [IPT_MANGLE] = (HOOK_BIT(IPT_HOOK_PRE) | HOOK_BIT(IPT_HOOK_IN)
                    | HOOK_BIT(IPT_HOOK_FWD) | HOOK_BIT(IPT_HOOK_OUT)
                    | HOOK_BIT(IPT_HOOK_POST)),
    [IPT_NAT] = (HOOK_BIT(IPT_HOOK_PRE) | HOOK_BIT(IPT_HOOK_IN)
                 | HOOK_BIT(IPT_HOOK_OUT) | HOOK_BIT(IPT_HOOK_POST)),
    [IPT_FILTER] = (HOOK_BIT(IPT_HOOK_IN) | HOOK_BIT(IPT_HOOK_FWD)
                    | HOOK_BIT(IPT_HOOK_OUT)),
};

const char *
ipt_table_name(enum ipt_table_id table)
{
    return table_names[table];
}

const char *
ipt_hook_name(enum ipt_hook hook)
{
    return hook_names[hook];
}

bool
ipt_table_has_hook(enum ipt_table_id table, enum ipt_hook hook)
{
    return (table_hooks[table] & HOOK_BIT(hook)) != 0;
}

static bool
ipt_hook_from_name(const char *name, enum ipt_hook *hook)
{
    for (int i = 0; i < IPT_N_HOOKS; i++) {
        if (!strcmp(name, hook_names[i])) {
            *hook = i;
            return true;
        }
    }
    return false;
}

/* Name tables. */

struct ipt_name_value {
    const char *name;
    int value;
};

static const struct ipt_name_value protocols[] = {
    { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
    { "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
    { "ipv6-icmp", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
    { "udplite", 136 }, { "esp", 50 }, { "ah", 51 }, { "gre", 47 },
    { "dccp", 33 }, { "igmp", 2 }, { "ipv6", 41 }, { "ipip", 4 },
    { "mh", 135 }, { "ipv6-mh", 135 },
};

/* ICMP type names: 'value' is type << 8 | code, or type << 8 | 0xff... for
 * all codes, encoded as -1 in the code byte by ICMP_ANY_CODE. */
#define ICMP_ANY_CODE 0x100
#define ICMP_NAME(NAME, TYPE) { NAME, ((TYPE) << 9) | ICMP_ANY_CODE }
#define ICMP_NAME_CODE(NAME, TYPE, CODE) { NAME, ((TYPE) << 9) | (CODE) }

static const struct ipt_name_value icmp4_types[] = {
    ICMP_NAME("echo-reply", 0), ICMP_NAME("pong", 0),
    ICMP_NAME("destination-unreachable", 3),
    ICMP_NAME_CODE("network-unreachable", 3, 0),
    ICMP_NAME_CODE("host-unreachable", 3, 1),
    ICMP_NAME_CODE("protocol-unreachable", 3, 2),
    ICMP_NAME_CODE("port-unreachable", 3, 3),
    ICMP_NAME_CODE("fragmentation-needed", 3, 4),
    ICMP_NAME_CODE("source-route-failed", 3, 5),
    ICMP_NAME_CODE("network-unknown", 3, 6),
    ICMP_NAME_CODE("host-unknown", 3, 7),
    ICMP_NAME_CODE("network-prohibited", 3, 9),
    ICMP_NAME_CODE("host-prohibited", 3, 10),
    ICMP_NAME_CODE("TOS-network-unreachable", 3, 11),
    ICMP_NAME_CODE("TOS-host-unreachable", 3, 12),
    ICMP_NAME_CODE("communication-prohibited", 3, 13),
    ICMP_NAME_CODE("host-precedence-violation", 3, 14),
    ICMP_NAME_CODE("precedence-cutoff", 3, 15),
    ICMP_NAME("source-quench", 4), ICMP_NAME("redirect", 5),
    ICMP_NAME_CODE("network-redirect", 5, 0),
    ICMP_NAME_CODE("host-redirect", 5, 1),
    ICMP_NAME_CODE("TOS-network-redirect", 5, 2),
    ICMP_NAME_CODE("TOS-host-redirect", 5, 3),
    ICMP_NAME("echo-request", 8), ICMP_NAME("ping", 8),
    ICMP_NAME("router-advertisement", 9),
    ICMP_NAME("router-solicitation", 10),
    ICMP_NAME("time-exceeded", 11), ICMP_NAME("ttl-exceeded", 11),
    ICMP_NAME_CODE("ttl-zero-during-transit", 11, 0),
    ICMP_NAME_CODE("ttl-zero-during-reassembly", 11, 1),
    ICMP_NAME("parameter-problem", 12),
    ICMP_NAME_CODE("ip-header-bad", 12, 0),
    ICMP_NAME_CODE("required-option-missing", 12, 1),
    ICMP_NAME("timestamp-request", 13), ICMP_NAME("timestamp-reply", 14),
    ICMP_NAME("address-mask-request", 17),
    ICMP_NAME("address-mask-reply", 18),
};

static const struct ipt_name_value icmp6_types[] = {
    ICMP_NAME("destination-unreachable", 1),
    ICMP_NAME_CODE("no-route", 1, 0),
    ICMP_NAME_CODE("communication-prohibited", 1, 1),
    ICMP_NAME_CODE("beyond-scope", 1, 2),
    ICMP_NAME_CODE("address-unreachable", 1, 3),
    ICMP_NAME_CODE("port-unreachable", 1, 4),
    ICMP_NAME_CODE("failed-policy", 1, 5),
    ICMP_NAME_CODE("reject-route", 1, 6),
    ICMP_NAME("packet-too-big", 2),
    ICMP_NAME("time-exceeded", 3), ICMP_NAME("ttl-exceeded", 3),
    ICMP_NAME_CODE("ttl-zero-during-transit", 3, 0),
    ICMP_NAME_CODE("ttl-zero-during-reassembly", 3, 1),
    ICMP_NAME("parameter-problem", 4),
    ICMP_NAME_CODE("bad-header", 4, 0),
    ICMP_NAME_CODE("unknown-header-type", 4, 1),
    ICMP_NAME_CODE("unknown-option", 4, 2),
    ICMP_NAME("echo-request", 128), ICMP_NAME("ping", 128),
    ICMP_NAME("echo-reply", 129), ICMP_NAME("pong", 129),
    ICMP_NAME("mld-listener-query", 130),
    ICMP_NAME("mld-listener-report", 131),
    ICMP_NAME("mld-listener-done", 132),
    ICMP_NAME("router-solicitation", 133),
    ICMP_NAME("router-advertisement", 134),
    ICMP_NAME("neighbour-solicitation", 135),
    ICMP_NAME("neighbor-solicitation", 135),
    ICMP_NAME("neighbour-advertisement", 136),
    ICMP_NAME("neighbor-advertisement", 136),
    ICMP_NAME("redirect", 137),
};

static const struct ipt_name_value tcp_flag_names[] = {
    { "FIN", 0x01 }, { "SYN", 0x02 }, { "RST", 0x04 }, { "PSH", 0x08 },
    { "ACK", 0x10 }, { "URG", 0x20 }, { "ALL", 0x3f }, { "NONE", 0 },
};

static const struct ipt_name_value ct_state_names[] = {
    { "NEW", IPT_ST_NEW }, { "ESTABLISHED", IPT_ST_ESTABLISHED },
    { "RELATED", IPT_ST_RELATED }, { "INVALID", IPT_ST_INVALID },
    { "UNTRACKED", IPT_ST_UNTRACKED }, { "SNAT", IPT_ST_SNAT },
    { "DNAT", IPT_ST_DNAT },
};

/* Extension targets that exist in iptables but are not compiled. */
static const char *const unsupported_targets[] = {
    "AUDIT", "CHECKSUM", "CLASSIFY", "CLUSTERIP", "CONNSECMARK", "DNPT",
    "DSCP", "ECN", "HL", "HMARK", "IDLETIMER", "LED", "MIRROR", "NETMAP",
    "NFLOG", "NFQUEUE", "QUEUE", "RATEEST", "SAME", "SECMARK", "SET",
    "SNPT", "SYNPROXY", "TCPMSS", "TCPOPTSTRIP", "TEE", "TOS", "TPROXY",
    "TRACE", "TTL", "ULOG",
};

static bool
ipt_lookup_name(const struct ipt_name_value *table, size_t n,
                const char *name, bool nocase, int *value)
{
    for (size_t i = 0; i < n; i++) {
        if (nocase ? !strcasecmp(name, table[i].name)
                   : !strcmp(name, table[i].name)) {
            *value = table[i].value;
            return true;
        }
    }
    return false;
}

/* Parses 's' as an unsigned integer of at most 'max', in decimal or, with a
 * "0x" prefix, hexadecimal. */
static bool
ipt_parse_uint(const char *s, uint32_t max, uint32_t *value)
{
    unsigned long long int x;
    char *end;

    if (!*s || *s == '-' || *s == '+' || isspace((unsigned char) *s)) {
        return false;
    }
    errno = 0;
    x = strtoull(s, &end, 0);
    if (errno || *end || x > max) {
        return false;
    }
    *value = x;
    return true;
}

/* One input line is split into tokens by white space, with "..." and '...'
 * quoting ('\' escapes the next character inside double quotes), as
 * iptables-restore does for comments. */
static char *
ipt_tokenize(const char *line, struct svec *tokens)
{
    const char *p = line;

    for (;;) {
        struct ds token = DS_EMPTY_INITIALIZER;

        while (isspace((unsigned char) *p)) {
            p++;
        }
        if (!*p) {
            return NULL;
        }
        while (*p && !isspace((unsigned char) *p)) {
            if (*p == '"' || *p == '\'') {
                char quote = *p++;

                while (*p && *p != quote) {
                    if (quote == '"' && *p == '\\' && p[1]) {
                        p++;
                    }
                    ds_put_char(&token, *p++);
                }
                if (!*p) {
                    ds_destroy(&token);
                    return xstrdup("unterminated quoted string");
                }
                p++;
            } else {
                ds_put_char(&token, *p++);
            }
        }
        svec_add_nocopy(tokens, ds_steal_cstr(&token));
    }
}

/* Parser state for one file. */
struct ipt_parser {
    struct ipt_ruleset *rs;
    struct ipt_diag *diag;
    int line;                   /* Current line number. */
    int table_line;             /* Line of the open "*table", 0 if none. */
    const char *table_name;     /* Name of the open table. */
    bool table_known;           /* Is the open table one we compile? */
    enum ipt_table_id table;    /* If 'table_known'. */
};

/* Chains. */

static struct ipt_chain *
ipt_add_chain(struct ipt_ruleset *rs, enum ipt_table_id table,
              const char *name, int line)
{
    struct ipt_chain *chain = xzalloc(sizeof *chain);
    enum ipt_hook hook;

    chain->name = xstrdup(name);
    chain->line = line;
    chain->table = table;
    if (ipt_hook_from_name(name, &hook) && ipt_table_has_hook(table, hook)) {
        chain->builtin = true;
        chain->hook = hook;
    }
    chain->index = rs->n_chains;
    if (rs->n_chains >= rs->allocated_chains) {
        rs->chains = x2nrealloc(rs->chains, &rs->allocated_chains,
                                sizeof *rs->chains);
    }
    rs->chains[rs->n_chains++] = chain;
    shash_add(&rs->chain_map[table], name, chain);
    return chain;
}

struct ipt_chain *
ipt_ruleset_find_chain(const struct ipt_ruleset *rs, enum ipt_table_id table,
                       const char *name)
{
    return shash_find_data(&rs->chain_map[table], name);
}

static void
ipt_pred_destroy(struct ipt_pred *pred)
{
    free(pred->addrs);
    free(pred->ranges);
    free(pred->ifname);
}

static void
ipt_rule_destroy(struct ipt_rule *rule)
{
    for (size_t i = 0; i < rule->n_preds; i++) {
        ipt_pred_destroy(&rule->preds[i]);
    }
    free(rule->preds);
    free(rule->text);
    free(rule->target.chain);
    free(rule->match_key);
}

void
ipt_ruleset_destroy(struct ipt_ruleset *rs)
{
    if (!rs) {
        return;
    }
    for (size_t i = 0; i < rs->n_chains; i++) {
        struct ipt_chain *chain = rs->chains[i];

        for (size_t j = 0; j < chain->n_rules; j++) {
            ipt_rule_destroy(&chain->rules[j]);
        }
        free(chain->rules);
        free(chain->name);
        free(chain);
    }
    free(rs->chains);
    for (int t = 0; t < IPT_N_TABLES; t++) {
        shash_destroy(&rs->chain_map[t]);
    }
    free(rs->file_name);
    free(rs);
}

/* Rules.
 *
 * A rule line is parsed left to right.  Match options are handled by the
 * match modules loaded so far with "-m" (or implicitly by "-p tcp", "-p udp",
 * "-p sctp", "-p icmp" and "-p icmpv6"), most recent first, as iptables does;
 * everything after "-j" belongs to the target. */

struct ipt_rule_parser;
typedef bool ipt_option_func(struct ipt_rule_parser *, const char *option,
                             bool *handled);

struct ipt_module {
    const char *name;
    ipt_option_func *option;
    bool in_key;                /* Part of the rule's 'match_key'? */
};

#define IPT_MAX_MODULES 32

struct ipt_rule_parser {
    struct ipt_parser *p;
    struct ipt_rule *rule;
    char **tokens;
    size_t n_tokens;
    size_t i;                   /* Next token. */

    bool negate;                /* A "!" is pending. */
    const struct ipt_module *modules[IPT_MAX_MODULES];
    size_t n_modules;
    bool have_target;
    const char *target_name;
    size_t n_target_options;
    bool ct_notrack;            /* Saw "-j CT --notrack". */

    /* -m statistic. */
    bool stat_loaded;
    const char *stat_mode;
    bool stat_has_probability;
    double stat_probability;
    bool stat_negated;

    /* Result. */
    char *error;
    bool unsupported;
};

static bool OVS_PRINTF_FORMAT(2, 3)
rp_fail(struct ipt_rule_parser *rp, const char *format, ...)
{
    va_list args;

    if (!rp->error) {
        va_start(args, format);
        rp->error = xvasprintf(format, args);
        va_end(args);
    }
    return false;
}

static bool OVS_PRINTF_FORMAT(2, 3)
rp_unsupported(struct ipt_rule_parser *rp, const char *format, ...)
{
    va_list args;

    if (!rp->error) {
        va_start(args, format);
        rp->error = xvasprintf(format, args);
        va_end(args);
        rp->unsupported = true;
    }
    return false;
}

static bool
rp_arg(struct ipt_rule_parser *rp, const char *option, const char **arg)
{
    if (rp->i >= rp->n_tokens) {
        *arg = NULL;
        return rp_fail(rp, "option '%s' requires an argument", option);
    }
    *arg = rp->tokens[rp->i++];
    return true;
}

static bool
rp_no_negate(struct ipt_rule_parser *rp, const char *option)
{
    if (rp->negate) {
        return rp_fail(rp, "'!' is not allowed before '%s'", option);
    }
    return true;
}

static struct ipt_pred *
rp_add_pred(struct ipt_rule_parser *rp, enum ipt_pred_type type)
{
    struct ipt_rule *rule = rp->rule;
    struct ipt_pred *pred;

    rule->preds = xrealloc(rule->preds,
                           (rule->n_preds + 1) * sizeof *rule->preds);
    pred = &rule->preds[rule->n_preds++];
    memset(pred, 0, sizeof *pred);
    pred->type = type;
    pred->negated = rp->negate;
    rp->negate = false;
    return pred;
}

static int
rp_family(const struct ipt_rule_parser *rp)
{
    return rp->p->rs->family;
}

/* Parses one address with optional "/len" or "/mask" into 'prefix'. */
static bool
rp_parse_prefix(struct ipt_rule_parser *rp, const char *s,
                struct ipt_prefix *prefix)
{
    int plen;

    if (!ipt_prefix_parse(s, rp_family(rp), &prefix->addr, &prefix->mask,
                          &plen)) {
        return rp_fail(rp, "invalid %s address '%s'",
                       rp_family(rp) == AF_INET ? "IPv4" : "IPv6", s);
    }
    prefix->addr = ipv6_addr_bitand(&prefix->addr, &prefix->mask);
    return true;
}

static bool
rp_parse_addrs(struct ipt_rule_parser *rp, enum ipt_pred_type type,
               const char *s)
{
    bool negated = rp->negate;
    struct ipt_pred *pred = rp_add_pred(rp, type);
    char *copy = xstrdup(s);
    char *save_ptr = NULL;
    bool ok = true;

    for (char *a = strtok_r(copy, ",", &save_ptr); a && ok;
         a = strtok_r(NULL, ",", &save_ptr)) {
        pred->addrs = xrealloc(pred->addrs,
                               (pred->n_addrs + 1) * sizeof *pred->addrs);
        ok = rp_parse_prefix(rp, a, &pred->addrs[pred->n_addrs++]);
    }
    free(copy);
    if (ok && !pred->n_addrs) {
        ok = rp_fail(rp, "missing address");
    }
    if (ok && negated && pred->n_addrs > 1) {
        ok = rp_fail(rp, "'!' is not allowed with several addresses");
    }
    return ok;
}

static bool
rp_parse_port(struct ipt_rule_parser *rp, const char *s, uint32_t *port)
{
    if (!ipt_parse_uint(s, UINT16_MAX, port)) {
        return rp_fail(rp, "invalid port '%s'", s);
    }
    return true;
}

/* Parses "P", "P:Q", ":Q" or "P:" ('sep' is ':') into 'range'. */
static bool
rp_parse_port_range(struct ipt_rule_parser *rp, const char *s, char sep,
                    struct ipt_range *range)
{
    const char *colon = strchr(s, sep);

    if (!colon) {
        if (!rp_parse_port(rp, s, &range->min)) {
            return false;
        }
        range->max = range->min;
        return true;
    }

    char *first = xmemdup0(s, colon - s);
    bool ok = ((!*first ? (range->min = 0, true)
                : rp_parse_port(rp, first, &range->min))
               && (!colon[1] ? (range->max = UINT16_MAX, true)
                   : rp_parse_port(rp, colon + 1, &range->max)));
    free(first);
    if (ok && range->min > range->max) {
        ok = rp_fail(rp, "invalid port range '%s'", s);
    }
    return ok;
}

static bool
rp_port_option(struct ipt_rule_parser *rp, const char *option,
               enum ipt_pred_type type, bool list)
{
    const char *arg;

    if (!rp_arg(rp, option, &arg)) {
        return false;
    }

    struct ipt_pred *pred = rp_add_pred(rp, type);
    char *copy = xstrdup(arg);
    char *save_ptr = NULL;
    bool ok = true;

    for (char *s = strtok_r(copy, ",", &save_ptr); s && ok;
         s = strtok_r(NULL, ",", &save_ptr)) {
        pred->ranges = xrealloc(pred->ranges,
                                (pred->n_ranges + 1) * sizeof *pred->ranges);
        ok = rp_parse_port_range(rp, s, ':', &pred->ranges[pred->n_ranges++]);
    }
    free(copy);
    if (ok && !pred->n_ranges) {
        ok = rp_fail(rp, "missing port");
    } else if (ok && !list && pred->n_ranges > 1) {
        ok = rp_fail(rp, "'%s' takes one port or range; use -m multiport "
                     "for lists", option);
    } else if (ok && pred->n_ranges > 15) {
        ok = rp_fail(rp, "too many ports in '%s' (at most 15)", option);
    }
    return ok;
}

/* Match modules. */

static bool
opt_is(const char *option, const char *a, const char *b)
{
    return !strcmp(option, a) || (b && !strcmp(option, b));
}

static bool
mod_tcp_udp_sctp(struct ipt_rule_parser *rp, const char *option,
                 bool *handled)
{
    *handled = true;
    if (opt_is(option, "--sport", "--source-port")) {
        return rp_port_option(rp, option, IPT_P_SPORT, false);
    } else if (opt_is(option, "--dport", "--destination-port")) {
        return rp_port_option(rp, option, IPT_P_DPORT, false);
    }
    *handled = false;
    return true;
}

static bool
rp_parse_tcp_flag_list(struct ipt_rule_parser *rp, const char *s,
                       uint32_t *flags)
{
    char *copy = xstrdup(s);
    char *save_ptr = NULL;
    bool ok = true;

    *flags = 0;
    for (char *f = strtok_r(copy, ",", &save_ptr); f && ok;
         f = strtok_r(NULL, ",", &save_ptr)) {
        int bit;

        if (ipt_lookup_name(tcp_flag_names, ARRAY_SIZE(tcp_flag_names), f,
                            true, &bit)) {
            *flags |= bit;
        } else {
            ok = rp_fail(rp, "unknown TCP flag '%s'", f);
        }
    }
    free(copy);
    return ok;
}

static bool
mod_tcp(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    const char *mask_s, *comp_s;
    uint32_t mask, comp;

    if (!mod_tcp_udp_sctp(rp, option, handled) || *handled) {
        return !rp->error;
    }
    *handled = true;
    if (!strcmp(option, "--tcp-flags")) {
        if (!rp_arg(rp, option, &mask_s) || !rp_arg(rp, option, &comp_s)
            || !rp_parse_tcp_flag_list(rp, mask_s, &mask)
            || !rp_parse_tcp_flag_list(rp, comp_s, &comp)) {
            return false;
        }
    } else if (!strcmp(option, "--syn")) {
        mask = 0x17;            /* SYN,RST,ACK,FIN */
        comp = 0x02;            /* SYN */
    } else if (!strcmp(option, "--tcp-option")) {
        return rp_unsupported(rp, "unsupported option '--tcp-option' of "
                              "match 'tcp'");
    } else {
        *handled = false;
        return true;
    }

    struct ipt_pred *pred = rp_add_pred(rp, IPT_P_TCP_FLAGS);
    pred->mask = mask;
    pred->value = comp & mask;
    return true;
}

static bool
mod_sctp(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    if (!mod_tcp_udp_sctp(rp, option, handled) || *handled) {
        return !rp->error;
    }
    if (!strcmp(option, "--chunk-types")) {
        *handled = true;
        return rp_unsupported(rp, "unsupported option '--chunk-types' of "
                              "match 'sctp'");
    }
    return true;
}

static bool
rp_icmp_option(struct ipt_rule_parser *rp, const char *option,
               const struct ipt_name_value *names, size_t n_names)
{
    const char *arg;
    uint32_t type, code;
    int value;

    if (!rp_arg(rp, option, &arg)) {
        return false;
    }
    if (!strcmp(arg, "any")) {
        if (rp->negate) {
            return rp_fail(rp, "'! %s any' never matches", option);
        }
        return true;            /* Only the protocol, already required. */
    }

    struct ipt_pred *pred = rp_add_pred(rp, IPT_P_ICMP);
    pred->ranges = xmalloc(sizeof *pred->ranges);
    pred->n_ranges = 1;
    if (ipt_lookup_name(names, n_names, arg, true, &value)) {
        pred->value = value >> 9;
        if (value & ICMP_ANY_CODE) {
            pred->ranges[0].min = 0;
            pred->ranges[0].max = UINT8_MAX;
        } else {
            pred->ranges[0].min = pred->ranges[0].max = value & 0xff;
        }
        return true;
    }

    const char *slash = strchr(arg, '/');
    char *type_s = slash ? xmemdup0(arg, slash - arg) : xstrdup(arg);
    bool ok = ipt_parse_uint(type_s, UINT8_MAX, &type);
    free(type_s);
    if (!ok) {
        return rp_fail(rp, "unknown ICMP type '%s'", arg);
    }
    pred->value = type;
    if (slash) {
        if (!ipt_parse_uint(slash + 1, UINT8_MAX, &code)) {
            return rp_fail(rp, "unknown ICMP type '%s'", arg);
        }
        pred->ranges[0].min = pred->ranges[0].max = code;
    } else {
        pred->ranges[0].min = 0;
        pred->ranges[0].max = UINT8_MAX;
    }
    return true;
}

static bool
mod_icmp(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    *handled = !strcmp(option, "--icmp-type");
    return (!*handled
            || rp_icmp_option(rp, option, icmp4_types,
                              ARRAY_SIZE(icmp4_types)));
}

static bool
mod_icmp6(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    *handled = !strcmp(option, "--icmpv6-type");
    return (!*handled
            || rp_icmp_option(rp, option, icmp6_types,
                              ARRAY_SIZE(icmp6_types)));
}

static bool
mod_multiport(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    *handled = true;
    if (opt_is(option, "--sports", "--source-ports")) {
        return rp_port_option(rp, option, IPT_P_SPORT, true);
    } else if (opt_is(option, "--dports", "--destination-ports")) {
        return rp_port_option(rp, option, IPT_P_DPORT, true);
    } else if (!strcmp(option, "--ports")) {
        return rp_port_option(rp, option, IPT_P_PORTS, true);
    }
    *handled = false;
    return true;
}

static bool
rp_state_option(struct ipt_rule_parser *rp, const char *option,
                uint32_t allowed)
{
    const char *arg;

    if (!rp_arg(rp, option, &arg)) {
        return false;
    }

    struct ipt_pred *pred = rp_add_pred(rp, IPT_P_CTSTATE);
    char *copy = xstrdup(arg);
    char *save_ptr = NULL;
    bool ok = true;

    for (char *s = strtok_r(copy, ",", &save_ptr); s && ok;
         s = strtok_r(NULL, ",", &save_ptr)) {
        int bit;

        if (ipt_lookup_name(ct_state_names, ARRAY_SIZE(ct_state_names), s,
                            false, &bit) && bit & allowed) {
            pred->value |= bit;
        } else {
            ok = rp_fail(rp, "unknown state '%s' in '%s'", s, option);
        }
    }
    free(copy);
    return ok && (pred->value || rp_fail(rp, "missing state in '%s'", option));
}

static bool
mod_conntrack(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    static const char *const unsupported[] = {
        "--ctproto", "--ctorigsrc", "--ctorigdst", "--ctreplsrc",
        "--ctrepldst", "--ctorigsrcport", "--ctorigdstport",
        "--ctreplsrcport", "--ctrepldstport", "--ctstatus", "--ctexpire",
    };
    const char *arg;

    *handled = true;
    if (!strcmp(option, "--ctstate")) {
        return rp_state_option(rp, option, UINT32_MAX);
    } else if (!strcmp(option, "--ctdir")) {
        if (!rp_no_negate(rp, option) || !rp_arg(rp, option, &arg)) {
            return false;
        }
        if (strcmp(arg, "ORIGINAL") && strcmp(arg, "REPLY")) {
            return rp_fail(rp, "--ctdir must be ORIGINAL or REPLY");
        }
        rp_add_pred(rp, IPT_P_CTDIR)->value = !strcmp(arg, "REPLY");
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
        if (!strcmp(option, unsupported[i])) {
            return rp_unsupported(rp, "unsupported option '%s' of match "
                                  "'conntrack'", option);
        }
    }
    *handled = false;
    return true;
}

static bool
mod_state(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    *handled = !strcmp(option, "--state");
    return (!*handled
            || rp_state_option(rp, option,
                               (IPT_ST_NEW | IPT_ST_ESTABLISHED
                                | IPT_ST_RELATED | IPT_ST_INVALID
                                | IPT_ST_UNTRACKED)));
}

/* Parses "V" or "V/M" (M defaults to all ones). */
static bool
rp_parse_value_mask(struct ipt_rule_parser *rp, const char *option,
                    const char *s, uint32_t *value, uint32_t *mask)
{
    const char *slash = strchr(s, '/');
    char *v = slash ? xmemdup0(s, slash - s) : xstrdup(s);
    bool ok = ipt_parse_uint(v, UINT32_MAX, value);

    free(v);
    if (ok) {
        *mask = UINT32_MAX;
        ok = !slash || ipt_parse_uint(slash + 1, UINT32_MAX, mask);
    }
    if (!ok) {
        return rp_fail(rp, "invalid value '%s' for '%s'", s, option);
    }
    return true;
}

static bool
rp_mark_option(struct ipt_rule_parser *rp, const char *option,
               enum ipt_pred_type type, bool *handled)
{
    const char *arg;
    uint32_t value, mask;

    *handled = !strcmp(option, "--mark");
    if (!*handled) {
        return true;
    }
    if (!rp_arg(rp, option, &arg)
        || !rp_parse_value_mask(rp, option, arg, &value, &mask)) {
        return false;
    }

    struct ipt_pred *pred = rp_add_pred(rp, type);
    pred->value = value & mask;
    pred->mask = mask;
    return true;
}

static bool
mod_mark(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    return rp_mark_option(rp, option, IPT_P_MARK, handled);
}

static bool
mod_connmark(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    return rp_mark_option(rp, option, IPT_P_CONNMARK, handled);
}

static bool
mod_comment(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    const char *arg;

    *handled = !strcmp(option, "--comment");
    return (!*handled
            || (rp_no_negate(rp, option) && rp_arg(rp, option, &arg)));
}

static bool
mod_statistic(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    const char *arg;

    *handled = true;
    if (!strcmp(option, "--mode")) {
        if (!rp_no_negate(rp, option) || !rp_arg(rp, option, &arg)) {
            return false;
        }
        rp->stat_mode = arg;
    } else if (!strcmp(option, "--probability")) {
        char *end;

        rp->stat_negated = rp->negate;
        rp->negate = false;
        if (!rp_arg(rp, option, &arg)) {
            return false;
        }
        rp->stat_probability = strtod(arg, &end);
        if (*end || end == arg || !(rp->stat_probability >= 0.0)
            || rp->stat_probability > 1.0) {
            return rp_fail(rp, "invalid probability '%s'", arg);
        }
        rp->stat_has_probability = true;
    } else if (!strcmp(option, "--every") || !strcmp(option, "--packet")) {
        return rp_unsupported(rp, "unsupported statistic mode 'nth'");
    } else {
        *handled = false;
    }
    return true;
}

static bool
rp_addrtype_option(struct ipt_rule_parser *rp, const char *option,
                   enum ipt_pred_type type)
{
    const char *arg;

    if (!rp_arg(rp, option, &arg)) {
        return false;
    }
    if (strcmp(arg, "LOCAL")) {
        return rp_unsupported(rp, "unsupported address type '%s' (only "
                              "LOCAL is supported)", arg);
    }
    rp_add_pred(rp, type);
    return true;
}

static bool
mod_addrtype(struct ipt_rule_parser *rp, const char *option, bool *handled)
{
    *handled = true;
    if (!strcmp(option, "--src-type")) {
        return rp_addrtype_option(rp, option, IPT_P_SRC_LOCAL);
    } else if (!strcmp(option, "--dst-type")) {
        return rp_addrtype_option(rp, option, IPT_P_DST_LOCAL);
    } else if (!strcmp(option, "--limit-iface-in")
               || !strcmp(option, "--limit-iface-out")) {
        return rp_unsupported(rp, "unsupported option '%s' of match "
                              "'addrtype'", option);
    }
    *handled = false;
    return true;
}

static const struct ipt_module modules[] = {
    { "tcp", mod_tcp, true },
    { "udp", mod_tcp_udp_sctp, true },
    { "sctp", mod_sctp, true },
    { "icmp", mod_icmp, true },
    { "icmp6", mod_icmp6, true },
    { "multiport", mod_multiport, true },
    { "conntrack", mod_conntrack, true },
    { "state", mod_state, true },
    { "mark", mod_mark, true },
    { "connmark", mod_connmark, true },
    { "comment", mod_comment, false },
    { "statistic", mod_statistic, false },
    { "addrtype", mod_addrtype, true },
};

static const struct ipt_module *
ipt_find_module(const char *name)
{
    if (!strcmp(name, "icmpv6") || !strcmp(name, "ipv6-icmp")) {
        name = "icmp6";
    }
    for (size_t i = 0; i < ARRAY_SIZE(modules); i++) {
        if (!strcmp(name, modules[i].name)) {
            return &modules[i];
        }
    }
    return NULL;
}

/* Returns the name of a module that has option 'option', or NULL. */
static const char *
ipt_find_module_option(const char *option)
{
    static const struct {
        const char *option;
        const char *module;
    } options[] = {
        { "--sport", "tcp" }, { "--dport", "tcp" },
        { "--source-port", "tcp" }, { "--destination-port", "tcp" },
        { "--tcp-flags", "tcp" }, { "--syn", "tcp" },
        { "--icmp-type", "icmp" }, { "--icmpv6-type", "icmp6" },
        { "--sports", "multiport" }, { "--dports", "multiport" },
        { "--ports", "multiport" }, { "--ctstate", "conntrack" },
        { "--state", "state" }, { "--mark", "mark" },
        { "--comment", "comment" }, { "--probability", "statistic" },
        { "--src-type", "addrtype" }, { "--dst-type", "addrtype" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        if (!strcmp(option, options[i].option)) {
            return options[i].module;
        }
    }
    return NULL;
}

static bool
rp_load_module(struct ipt_rule_parser *rp, const char *name)
{
    const struct ipt_module *module = ipt_find_module(name);

    if (!module) {
        return rp_unsupported(rp, "unsupported match module '%s'", name);
    }
    if (!strcmp(module->name, "icmp") && rp_family(rp) != AF_INET) {
        return rp_fail(rp, "match 'icmp' needs IPv4; use 'icmp6'");
    }
    if (!strcmp(module->name, "icmp6") && rp_family(rp) != AF_INET6) {
        return rp_fail(rp, "match 'icmp6' needs IPv6; use 'icmp'");
    }
    if (rp->n_modules >= IPT_MAX_MODULES) {
        return rp_fail(rp, "too many match modules");
    }
    if (module->option == mod_statistic) {
        if (rp->stat_loaded) {
            return rp_unsupported(rp, "more than one statistic match");
        }
        rp->stat_loaded = true;
    }
    rp->modules[rp->n_modules++] = module;
    return true;
}

static bool
rp_parse_proto(struct ipt_rule_parser *rp, const char *s)
{
    uint32_t proto;
    int value;

    if (!strcmp(s, "all") || !strcmp(s, "0")) {
        if (rp->negate) {
            return rp_fail(rp, "'! -p all' never matches");
        }
        return true;
    }
    if (ipt_lookup_name(protocols, ARRAY_SIZE(protocols), s, true, &value)) {
        proto = value;
    } else if (!ipt_parse_uint(s, UINT8_MAX, &proto)) {
        return rp_fail(rp, "unknown protocol '%s'", s);
    }

    bool negated = rp->negate;
    rp_add_pred(rp, IPT_P_PROTO)->value = proto;
    if (negated) {
        return true;
    }
    if (rp->rule->proto >= 0) {
        return rp_fail(rp, "multiple -p flags");
    }
    rp->rule->proto = proto;

    /* "-p tcp" and friends make their match's options usable. */
    const char *implicit = (proto == IPPROTO_TCP ? "tcp"
                            : proto == IPPROTO_UDP ? "udp"
                            : proto == IPPROTO_SCTP ? "sctp"
                            : proto == IPPROTO_ICMP ? "icmp"
                            : proto == IPPROTO_ICMPV6 ? "icmp6"
                            : NULL);
    if (implicit && (rp_family(rp) == AF_INET
                     ? proto != IPPROTO_ICMPV6 : proto != IPPROTO_ICMP)) {
        return rp_load_module(rp, implicit);
    }
    return true;
}

static bool
rp_parse_ifname(struct ipt_rule_parser *rp, enum ipt_pred_type type,
                const char *s)
{
    if (!*s || strlen(s) > 15) {
        return rp_fail(rp, "invalid interface name '%s'", s);
    }
    rp_add_pred(rp, type)->ifname = xstrdup(s);
    return true;
}

/* Targets. */

static bool
rp_parse_nat_port_range(struct ipt_rule_parser *rp, const char *s,
                        struct ipt_target *t)
{
    struct ipt_range range;

    if (!rp_parse_port_range(rp, s, '-', &range)) {
        return false;
    }
    t->has_port = true;
    t->port_min = range.min;
    t->port_max = range.max;
    return true;
}

static bool
rp_parse_nat_addr(struct ipt_rule_parser *rp, const char *s,
                  struct in6_addr *addr)
{
    if (!ipt_addr_parse(s, rp_family(rp), addr)) {
        return rp_fail(rp, "invalid address '%s' in NAT range", s);
    }
    return true;
}

/* Parses the argument of --to-destination or --to-source:
 * IPv4 "A[-B][:P[-Q]]", IPv6 "A[-B]" or "[A][-[B]]:P[-Q]". */
static bool
rp_parse_nat_spec(struct ipt_rule_parser *rp, const char *option,
                  const char *s, struct ipt_target *t)
{
    char *copy = xstrdup(s);
    char *addrs = copy, *ports = NULL;
    char *first, *second = NULL;
    bool ok;

    if (t->has_addr) {
        free(copy);
        return rp_unsupported(rp, "more than one '%s'", option);
    }
    if (rp_family(rp) == AF_INET) {
        ports = strchr(copy, ':');
        if (ports) {
            *ports++ = '\0';
        }
        first = addrs;
        second = strchr(addrs, '-');
        if (second) {
            *second++ = '\0';
        }
    } else if (*copy == '[') {
        char *close = strchr(copy, ']');

        first = copy + 1;
        if (!close) {
            free(copy);
            return rp_fail(rp, "invalid NAT range '%s'", s);
        }
        *close = '\0';
        char *rest = close + 1;
        if (!strncmp(rest, "-[", 2)) {
            second = rest + 2;
            close = strchr(second, ']');
            if (!close) {
                free(copy);
                return rp_fail(rp, "invalid NAT range '%s'", s);
            }
            *close = '\0';
            rest = close + 1;
        }
        if (*rest == ':') {
            ports = rest + 1;
        } else if (*rest) {
            free(copy);
            return rp_fail(rp, "invalid NAT range '%s'", s);
        }
    } else {
        first = addrs;
        second = strchr(addrs, '-');
        if (second) {
            *second++ = '\0';
        }
    }

    if (!*first) {
        ok = rp_unsupported(rp, "'%s' without an address", option);
    } else {
        ok = (rp_parse_nat_addr(rp, first, &t->addr_min)
              && (second ? rp_parse_nat_addr(rp, second, &t->addr_max)
                  : (t->addr_max = t->addr_min, true))
              && (!ports || rp_parse_nat_port_range(rp, ports, t)));
        if (ok && memcmp(&t->addr_min, &t->addr_max, sizeof t->addr_min) > 0) {
            ok = rp_fail(rp, "invalid NAT range '%s'", s);
        }
    }
    t->has_addr = true;
    free(copy);
    return ok;
}

/* Parses a mark target option into the (value, mask) form of
 * "--set-xmark": new = (old & ~mask) ^ value. */
static bool
rp_parse_xmark(struct ipt_rule_parser *rp, const char *option,
               struct ipt_target *t, bool *handled)
{
    const char *arg;
    uint32_t value, mask;

    *handled = true;
    if (!strcmp(option, "--set-xmark") || !strcmp(option, "--set-mark")) {
        if (!rp_arg(rp, option, &arg)
            || !rp_parse_value_mask(rp, option, arg, &value, &mask)) {
            return false;
        }
        t->value = value;
        t->mask = option[6] == 'x' ? mask : mask | value;
    } else if (!strcmp(option, "--and-mark") || !strcmp(option, "--or-mark")
               || !strcmp(option, "--xor-mark")) {
        if (!rp_arg(rp, option, &arg)
            || !ipt_parse_uint(arg, UINT32_MAX, &value)) {
            return rp_fail(rp, "invalid value for '%s'", option);
        }
        t->value = option[2] == 'a' ? 0 : value;
        t->mask = (option[2] == 'a' ? ~value
                   : option[2] == 'o' ? value : 0);
    } else {
        *handled = false;
    }
    return true;
}

static bool
rp_target_option(struct ipt_rule_parser *rp, const char *option)
{
    struct ipt_target *t = &rp->rule->target;
    const char *name = rp->target_name;
    const char *arg;
    bool handled;

    if (!rp_no_negate(rp, option)) {
        return false;
    }
    rp->n_target_options++;
    switch (t->type) {
    case IPT_T_REJECT:
        if (!strcmp(option, "--reject-with")) {
            return rp_arg(rp, option, &arg);
        }
        break;

    case IPT_T_DNAT:
    case IPT_T_SNAT:
        if (!strcmp(option, t->type == IPT_T_DNAT ? "--to-destination"
                                                  : "--to-source")) {
            return (rp_arg(rp, option, &arg)
                    && rp_parse_nat_spec(rp, option, arg, t));
        }
        /* Fall through. */
    case IPT_T_MASQUERADE:
    case IPT_T_REDIRECT:
        if (!strcmp(option, "--random") || !strcmp(option, "--random-fully")) {
            t->random = true;
            return true;
        } else if (!strcmp(option, "--persistent")
                   && (t->type == IPT_T_DNAT || t->type == IPT_T_SNAT)) {
            t->persistent = true;
            return true;
        } else if (!strcmp(option, "--to-ports")
                   && (t->type == IPT_T_MASQUERADE
                       || t->type == IPT_T_REDIRECT)) {
            return (rp_arg(rp, option, &arg)
                    && rp_parse_nat_port_range(rp, arg, t));
        }
        break;

    case IPT_T_MARK:
        if (!rp_parse_xmark(rp, option, t, &handled) || handled) {
            return !rp->error;
        }
        break;

    case IPT_T_CONNMARK:
    case IPT_T_SAVE_MARK:
    case IPT_T_RESTORE_MARK:
        if (!strcmp(option, "--save-mark")
            || !strcmp(option, "--restore-mark")) {
            t->type = (option[2] == 's' ? IPT_T_SAVE_MARK
                       : IPT_T_RESTORE_MARK);
            t->value = t->mask = UINT32_MAX;
            return true;
        } else if (!strcmp(option, "--nfmask") || !strcmp(option, "--ctmask")
                   || !strcmp(option, "--mask")) {
            uint32_t mask;

            if (!rp_arg(rp, option, &arg)
                || !ipt_parse_uint(arg, UINT32_MAX, &mask)) {
                return rp_fail(rp, "invalid value for '%s'", option);
            }
            if (option[2] != 'c') {
                t->value = mask;    /* nfmask */
            }
            if (option[2] != 'n') {
                t->mask = mask;     /* ctmask */
            }
            return true;
        }
        if (!rp_parse_xmark(rp, option, t, &handled) || handled) {
            return !rp->error;
        }
        break;

    case IPT_T_LOG:
        if (!strcmp(option, "--log-prefix")
            || !strcmp(option, "--log-level")) {
            return rp_arg(rp, option, &arg);
        } else if (!strcmp(option, "--log-tcp-sequence")
                   || !strcmp(option, "--log-tcp-options")
                   || !strcmp(option, "--log-ip-options")
                   || !strcmp(option, "--log-uid")
                   || !strcmp(option, "--log-macdecode")) {
            return true;
        }
        break;

    case IPT_T_NOTRACK:
        if (!strcmp(name, "CT")) {
            if (!strcmp(option, "--notrack")) {
                rp->ct_notrack = true;
                return true;
            }
            return rp_unsupported(rp, "unsupported option '%s' of target "
                                  "'CT'", option);
        }
        break;

    case IPT_T_NONE:
    case IPT_T_ACCEPT:
    case IPT_T_DROP:
    case IPT_T_RETURN:
    case IPT_T_JUMP:
    case IPT_T_GOTO:
    default:
        break;
    }
    return rp_fail(rp, "unknown option '%s' for target '%s'", option, name);
}

static bool
rp_parse_target(struct ipt_rule_parser *rp, const char *name, bool is_goto)
{
    static const struct ipt_name_value targets[] = {
        { "ACCEPT", IPT_T_ACCEPT }, { "DROP", IPT_T_DROP },
        { "REJECT", IPT_T_REJECT }, { "RETURN", IPT_T_RETURN },
        { "DNAT", IPT_T_DNAT }, { "SNAT", IPT_T_SNAT },
        { "MASQUERADE", IPT_T_MASQUERADE }, { "REDIRECT", IPT_T_REDIRECT },
        { "MARK", IPT_T_MARK }, { "CONNMARK", IPT_T_CONNMARK },
        { "LOG", IPT_T_LOG }, { "NOTRACK", IPT_T_NOTRACK },
        { "CT", IPT_T_NOTRACK },
    };
    struct ipt_target *t = &rp->rule->target;
    int type;

    if (rp->have_target) {
        return rp_fail(rp, "more than one -j or -g");
    }
    if (!rp_no_negate(rp, is_goto ? "-g" : "-j")) {
        return false;
    }
    rp->have_target = true;
    rp->target_name = name;

    if (ipt_lookup_name(targets, ARRAY_SIZE(targets), name, false, &type)) {
        if (is_goto) {
            return rp_fail(rp, "-g needs a chain, not target '%s'", name);
        }
        t->type = type;
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(unsupported_targets); i++) {
        if (!strcmp(name, unsupported_targets[i])) {
            return rp_unsupported(rp, "unsupported target '%s'", name);
        }
    }
    t->type = is_goto ? IPT_T_GOTO : IPT_T_JUMP;
    t->chain = xstrdup(name);
    return true;
}

/* Checks what can only be checked once the whole rule has been read. */
static bool
rp_finish(struct ipt_rule_parser *rp)
{
    struct ipt_rule *rule = rp->rule;
    struct ipt_target *t = &rule->target;
    int proto = rule->proto;
    bool l4 = (proto == IPPROTO_TCP || proto == IPPROTO_UDP
               || proto == IPPROTO_SCTP);

    if (rp->negate) {
        return rp_fail(rp, "'!' at the end of the rule");
    }
    for (size_t i = 0; i < rule->n_preds; i++) {
        const struct ipt_pred *pred = &rule->preds[i];

        switch (pred->type) {
        case IPT_P_SPORT:
        case IPT_P_DPORT:
        case IPT_P_PORTS:
            if (!l4) {
                return rp_fail(rp, "port matches need -p tcp, udp or sctp");
            }
            break;
        case IPT_P_ICMP:
            if (proto != (rp_family(rp) == AF_INET ? IPPROTO_ICMP
                          : IPPROTO_ICMPV6)) {
                return rp_fail(rp, "ICMP type matches need -p %s",
                               rp_family(rp) == AF_INET ? "icmp"
                               : "ipv6-icmp");
            }
            break;
        case IPT_P_TCP_FLAGS:
            if (proto != IPPROTO_TCP) {
                return rp_fail(rp, "--tcp-flags needs -p tcp");
            }
            break;
        case IPT_P_SRC:
        case IPT_P_DST:
        case IPT_P_PROTO:
        case IPT_P_IN_IF:
        case IPT_P_OUT_IF:
        case IPT_P_CTSTATE:
        case IPT_P_CTDIR:
        case IPT_P_MARK:
        case IPT_P_CONNMARK:
        case IPT_P_STATISTIC:
        case IPT_P_SRC_LOCAL:
        case IPT_P_DST_LOCAL:
        default:
            break;
        }
    }

    if (rp->stat_loaded) {
        if (!rp->stat_mode || strcmp(rp->stat_mode, "random")) {
            return (rp->stat_mode && !strcmp(rp->stat_mode, "nth")
                    ? rp_unsupported(rp, "unsupported statistic mode 'nth'")
                    : rp_fail(rp, "statistic match needs --mode random"));
        }
        if (!rp->stat_has_probability) {
            return rp_fail(rp, "statistic match needs --probability");
        }
        if (rp->stat_negated) {
            return rp_unsupported(rp, "negated statistic match");
        }
        rp_add_pred(rp, IPT_P_STATISTIC)->probability = rp->stat_probability;
    }

    if ((t->type == IPT_T_MARK || t->type == IPT_T_CONNMARK)
        && !rp->n_target_options) {
        return rp_fail(rp, "target '%s' needs an option", rp->target_name);
    }
    if (t->type == IPT_T_NOTRACK && !strcmp(rp->target_name, "CT")
        && !rp->ct_notrack) {
        return rp_unsupported(rp, "target 'CT' without --notrack");
    }
    if ((t->type == IPT_T_DNAT || t->type == IPT_T_SNAT) && !t->has_addr) {
        return rp_fail(rp, "%s needs --to-%s", rp->target_name,
                       t->type == IPT_T_DNAT ? "destination" : "source");
    }
    if (t->has_port && !l4) {
        return rp_fail(rp, "%s with a port needs -p tcp, udp or sctp",
                       rp->target_name);
    }
    if (t->type == IPT_T_SAVE_MARK || t->type == IPT_T_RESTORE_MARK) {
        /* 'value' is nfmask, 'mask' is ctmask; both default to all ones. */
        uint32_t m = t->mask;

        if (t->value != m || !m || ((m >> ctz32(m)) & ((m >> ctz32(m)) + 1))) {
            return rp_unsupported(rp, "CONNMARK --%s-mark with different or "
                                  "non-contiguous --nfmask and --ctmask",
                                  t->type == IPT_T_SAVE_MARK ? "save"
                                  : "restore");
        }
    }
    return true;
}

/* Appends tokens [start, end) of 'rp' to 'key' separated by spaces. */
static void
rp_key_append(struct ipt_rule_parser *rp, struct ds *key, size_t start,
              size_t end)
{
    for (size_t i = start; i < end; i++) {
        if (key->length) {
            ds_put_char(key, ' ');
        }
        ds_put_cstr(key, rp->tokens[i]);
    }
}

static bool
rp_parse_option(struct ipt_rule_parser *rp, const char *option,
                bool *in_key)
{
    const char *arg;

    *in_key = true;
    if (rp->have_target && !opt_is(option, "-j", "--jump")
        && !opt_is(option, "-g", "--goto")) {
        if (option[0] == '-' && option[1] == '-') {
            *in_key = false;
            return rp_target_option(rp, option);
        }
        return rp_fail(rp, "option '%s' after the target", option);
    }

    if (opt_is(option, "-s", "--source") || !strcmp(option, "--src")) {
        return rp_arg(rp, option, &arg) && rp_parse_addrs(rp, IPT_P_SRC, arg);
    } else if (opt_is(option, "-d", "--destination")
               || !strcmp(option, "--dst")) {
        return rp_arg(rp, option, &arg) && rp_parse_addrs(rp, IPT_P_DST, arg);
    } else if (opt_is(option, "-p", "--protocol")) {
        return rp_arg(rp, option, &arg) && rp_parse_proto(rp, arg);
    } else if (opt_is(option, "-i", "--in-interface")) {
        return rp_arg(rp, option, &arg) && rp_parse_ifname(rp, IPT_P_IN_IF,
                                                           arg);
    } else if (opt_is(option, "-o", "--out-interface")) {
        return rp_arg(rp, option, &arg) && rp_parse_ifname(rp, IPT_P_OUT_IF,
                                                           arg);
    } else if (opt_is(option, "-m", "--match")) {
        if (!rp_no_negate(rp, option) || !rp_arg(rp, option, &arg)
            || !rp_load_module(rp, arg)) {
            return false;
        }
        *in_key = rp->modules[rp->n_modules - 1]->in_key;
        return true;
    } else if (opt_is(option, "-j", "--jump")) {
        *in_key = false;
        return rp_arg(rp, option, &arg) && rp_parse_target(rp, arg, false);
    } else if (opt_is(option, "-g", "--goto")) {
        *in_key = false;
        return rp_arg(rp, option, &arg) && rp_parse_target(rp, arg, true);
    } else if (opt_is(option, "-c", "--set-counters")) {
        *in_key = false;
        return rp_arg(rp, option, &arg) && rp_arg(rp, option, &arg);
    } else if (opt_is(option, "-f", "--fragment")) {
        return rp_unsupported(rp, "unsupported fragment match '-f'");
    } else if (option[0] == '-' && option[1] == '-') {
        for (size_t i = rp->n_modules; i-- > 0;) {
            const struct ipt_module *module = rp->modules[i];
            bool handled;

            if (!module->option(rp, option, &handled)) {
                return false;
            }
            if (handled) {
                *in_key = module->in_key;
                return true;
            }
        }
        if (ipt_find_module_option(option)) {
            return rp_fail(rp, "option '%s' needs a match: -m %s, or a "
                           "matching -p", option,
                           ipt_find_module_option(option));
        }
        return rp_fail(rp, "unknown option '%s'", option);
    }
    return rp_fail(rp, "unknown option '%s'", option);
}

/* Parses the tokens of a rule, which start after "-A CHAIN" (or "-I CHAIN
 * [N]"), into 'rule'.  Returns true if successful, otherwise false with the
 * error in rp->error (and rp->unsupported if the rule is valid but uses an
 * unsupported construct). */
static bool
rp_parse_rule(struct ipt_rule_parser *rp)
{
    struct ds key = DS_EMPTY_INITIALIZER;
    bool ok = true;
    bool bang = false;

    while (ok && rp->i < rp->n_tokens) {
        size_t start = rp->i;
        const char *token = rp->tokens[rp->i++];
        bool in_key;

        if (!strcmp(token, "!")) {
            if (rp->negate) {
                ok = rp_fail(rp, "'!' twice in a row");
            }
            rp->negate = bang = true;
            continue;
        }
        ok = rp_parse_option(rp, token, &in_key);
        if (ok && in_key) {
            if (bang) {
                rp_key_append(rp, &key, start - 1, start);
            }
            rp_key_append(rp, &key, start, rp->i);
        }
        bang = false;
    }
    ok = ok && rp_finish(rp);
    rp->rule->match_key = ds_steal_cstr(&key);
    return ok;
}

static void
ipt_parse_rule_line(struct ipt_parser *p, struct svec *tokens,
                    const char *line)
{
    const char *command = tokens->names[0];
    bool insert = !strcmp(command, "-I") || !strcmp(command, "--insert");
    struct ipt_rule_parser rp;
    struct ipt_rule rule;
    struct ipt_chain *chain;
    size_t position = SIZE_MAX;
    size_t first = 2;

    if (tokens->n < 2) {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "'%s' needs a chain name", command);
        return;
    }
    chain = ipt_ruleset_find_chain(p->rs, p->table, tokens->names[1]);
    if (!chain) {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "rule for undeclared chain '%s' in table '%s'",
                       tokens->names[1], p->table_name);
        return;
    }
    if (insert) {
        uint32_t n;

        position = 0;
        if (tokens->n > 2
            && ipt_parse_uint(tokens->names[2], UINT32_MAX, &n)) {
            if (!n || n > chain->n_rules + 1) {
                ipt_diag_error(p->diag, p->rs->file_name, p->line,
                               "invalid rule position %"PRIu32" for chain "
                               "'%s'", n, chain->name);
                return;
            }
            position = n - 1;
            first = 3;
        }
    }

    memset(&rule, 0, sizeof rule);
    rule.line = p->line;
    rule.text = xstrdup(line);
    rule.proto = -1;

    memset(&rp, 0, sizeof rp);
    rp.p = p;
    rp.rule = &rule;
    rp.tokens = tokens->names;
    rp.n_tokens = tokens->n;
    rp.i = first;

    if (!rp_parse_rule(&rp)) {
        if (rp.unsupported) {
            ipt_diag_unsupported(p->diag, p->rs->file_name, p->line, "%s",
                                 rp.error);
        } else {
            ipt_diag_error(p->diag, p->rs->file_name, p->line, "%s",
                           rp.error);
        }
        free(rp.error);
        ipt_rule_destroy(&rule);
        return;
    }

    if (chain->n_rules >= chain->allocated_rules) {
        chain->rules = x2nrealloc(chain->rules, &chain->allocated_rules,
                                  sizeof *chain->rules);
    }
    if (position == SIZE_MAX) {
        position = chain->n_rules;
    }
    memmove(&chain->rules[position + 1], &chain->rules[position],
            (chain->n_rules - position) * sizeof *chain->rules);
    chain->rules[position] = rule;
    chain->n_rules++;
}

/* Table-level lines. */

static bool
ipt_parse_policy(struct ipt_parser *p, struct ipt_chain *chain,
                 const char *policy)
{
    if (!chain->builtin) {
        if (strcmp(policy, "-")) {
            ipt_diag_error(p->diag, p->rs->file_name, p->line,
                           "user-defined chain '%s' cannot have a policy",
                           chain->name);
            return false;
        }
    } else if (!strcmp(policy, "ACCEPT") || !strcmp(policy, "DROP")) {
        chain->policy_drop = !strcmp(policy, "DROP");
    } else {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "invalid policy '%s' for built-in chain '%s'",
                       policy, chain->name);
        return false;
    }
    return true;
}

static void
ipt_parse_chain_line(struct ipt_parser *p, struct svec *tokens)
{
    const char *name = tokens->names[0] + 1;
    enum ipt_hook hook;
    struct ipt_chain *chain;

    if (!*name || tokens->n < 2) {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "malformed chain line");
        return;
    }
    if (strlen(name) > 28) {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "chain name '%s' is too long", name);
        return;
    }
    chain = ipt_ruleset_find_chain(p->rs, p->table, name);
    if (chain && chain->line) {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "chain '%s' declared twice (first at line %d)",
                       name, chain->line);
        return;
    }
    if (!chain && ipt_hook_from_name(name, &hook)
        && !ipt_table_has_hook(p->table, hook)
        && strcmp(tokens->names[1], "-")) {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "table '%s' has no built-in chain '%s'",
                       p->table_name, name);
        return;
    }
    if (!chain) {
        chain = ipt_add_chain(p->rs, p->table, name, p->line);
    }
    chain->line = p->line;
    ipt_parse_policy(p, chain, tokens->names[1]);
}

static void
ipt_parse_command(struct ipt_parser *p, struct svec *tokens,
                  const char *line)
{
    const char *command = tokens->names[0];

    if (!strcmp(command, "-A") || !strcmp(command, "--append")
        || !strcmp(command, "-I") || !strcmp(command, "--insert")) {
        ipt_parse_rule_line(p, tokens, line);
    } else if (!strcmp(command, "-N") || !strcmp(command, "--new-chain")) {
        struct svec decl = SVEC_EMPTY_INITIALIZER;

        if (tokens->n != 2) {
            ipt_diag_error(p->diag, p->rs->file_name, p->line,
                           "'%s' needs exactly one chain name", command);
            return;
        }
        svec_add_nocopy(&decl, xasprintf(":%s", tokens->names[1]));
        svec_add(&decl, "-");
        ipt_parse_chain_line(p, &decl);
        svec_destroy(&decl);
    } else if (!strcmp(command, "-P") || !strcmp(command, "--policy")) {
        struct ipt_chain *chain;

        if (tokens->n != 3) {
            ipt_diag_error(p->diag, p->rs->file_name, p->line,
                           "'%s' needs a chain and a policy", command);
            return;
        }
        chain = ipt_ruleset_find_chain(p->rs, p->table, tokens->names[1]);
        if (!chain || !chain->builtin) {
            ipt_diag_error(p->diag, p->rs->file_name, p->line,
                           "'%s' needs a built-in chain of table '%s'",
                           command, p->table_name);
            return;
        }
        ipt_parse_policy(p, chain, tokens->names[2]);
    } else {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "unsupported command '%s'", command);
    }
}

static void
ipt_open_table(struct ipt_parser *p, const char *name)
{
    p->table_line = p->line;
    p->table_known = false;
    free(CONST_CAST(char *, p->table_name));
    p->table_name = xstrdup(name);

    for (int t = 0; t < IPT_N_TABLES; t++) {
        if (!strcmp(name, table_names[t])) {
            if (p->rs->has_table[t]) {
                ipt_diag_error(p->diag, p->rs->file_name, p->line,
                               "table '%s' appears twice", name);
                return;
            }
            p->rs->has_table[t] = true;
            p->table = t;
            p->table_known = true;

            /* Built-in chains always exist, with policy ACCEPT. */
            for (int h = 0; h < IPT_N_HOOKS; h++) {
                if (ipt_table_has_hook(t, h)) {
                    ipt_add_chain(p->rs, t, hook_names[h], 0);
                }
            }
            return;
        }
    }
    if (!strcmp(name, "security")) {
        ipt_diag_unsupported(p->diag, p->rs->file_name, p->line,
                             "unsupported table 'security'");
    } else {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "unknown table '%s'", name);
    }
}

static void
ipt_parse_line(struct ipt_parser *p, const char *line)
{
    struct svec tokens = SVEC_EMPTY_INITIALIZER;
    const char *first;
    char *error;

    line += strspn(line, " \t\r");
    if (*line == '#') {
        return;
    }
    error = ipt_tokenize(line, &tokens);
    if (error) {
        ipt_diag_error(p->diag, p->rs->file_name, p->line, "%s", error);
        free(error);
        goto out;
    }
    if (!tokens.n) {
        goto out;
    }

    first = tokens.names[0];
    if (first[0] == '[' && tokens.n > 1) {
        /* "[packets:bytes] -A ..." from iptables-save -c. */
        free(tokens.names[0]);
        memmove(&tokens.names[0], &tokens.names[1],
                --tokens.n * sizeof *tokens.names);
        first = tokens.names[0];
    }

    if (first[0] == '*') {
        if (p->table_line) {
            ipt_diag_error(p->diag, p->rs->file_name, p->table_line,
                           "missing COMMIT for table '%s'", p->table_name);
        }
        if (tokens.n != 1 || !first[1]) {
            ipt_diag_error(p->diag, p->rs->file_name, p->line,
                           "malformed table line");
            p->table_line = 0;
            goto out;
        }
        ipt_open_table(p, first + 1);
    } else if (!p->table_line) {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "'%s' outside of a table (expected '*table')", first);
    } else if (!strcmp(first, "COMMIT")) {
        p->table_line = 0;
    } else if (!p->table_known) {
        /* Lines of an unknown table: reported once, at its start. */
    } else if (first[0] == ':') {
        ipt_parse_chain_line(p, &tokens);
    } else if (first[0] == '-') {
        ipt_parse_command(p, &tokens, line);
    } else {
        ipt_diag_error(p->diag, p->rs->file_name, p->line,
                       "unexpected '%s'", first);
    }

out:
    svec_destroy(&tokens);
}

/* Reads iptables-save (if 'family' is AF_INET) or ip6tables-save (AF_INET6)
 * output from 'stream', naming it 'file_name' in diagnostics.  Always
 * returns a ruleset, which the caller must destroy with
 * ipt_ruleset_destroy(); it is meaningful only if no error was added to
 * 'diag'. */
struct ipt_ruleset *
ipt_parse(FILE *stream, const char *file_name, int family,
          struct ipt_diag *diag)
{
    struct ipt_ruleset *rs = xzalloc(sizeof *rs);
    struct ds line = DS_EMPTY_INITIALIZER;
    struct ipt_parser p;

    rs->family = family;
    rs->file_name = xstrdup(file_name);
    for (int t = 0; t < IPT_N_TABLES; t++) {
        shash_init(&rs->chain_map[t]);
    }

    memset(&p, 0, sizeof p);
    p.rs = rs;
    p.diag = diag;
    while (!ds_get_line(&line, stream)) {
        p.line++;
        ipt_parse_line(&p, ds_cstr(&line));
    }
    if (p.table_line) {
        ipt_diag_error(diag, file_name, p.table_line,
                       "missing COMMIT for table '%s'", p.table_name);
    }
    free(CONST_CAST(char *, p.table_name));
    ds_destroy(&line);
    return rs;
}
