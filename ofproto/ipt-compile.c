/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ipt-compile.h"

#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include "ipt-diag.h"
#include "ipt-parse.h"
#include "ipt-term.h"
#include "ipt-topo.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

/* The compiler works in phases over all rulesets: resolve jumps, reject
 * loops, find which hooks reach each chain, check and translate every
 * reachable rule into OpenFlow terms, place resume points, number chains
 * and give them tables, then print.  See ipt-compile.h for the resulting
 * pipeline. */

#define MAX_TERMS 4096          /* Flows per rule, at most. */
#define PRIO_RULE0 60000        /* Priority of rule 0 of a chain. */
#define MAX_RULES 19000         /* Rules per chain, at most. */
#define HASH_SPACE 65536        /* Values of the statistic hash. */

#define STAGE_BIT(HOOK) (1u << (HOOK))

struct cchain;

/* Compile-time state of one rule. */
struct crule {
    const struct ipt_rule *rule;
    bool skip;                  /* Left out: unsupported, or an error. */
    bool dead;                  /* Never matches or does nothing. */
    const char *dead_why;       /* Explanation for the comment, if dead. */
    struct cchain *callee;      /* IPT_T_JUMP, IPT_T_GOTO. */
    struct ipt_dnf pos;         /* Matches OpenFlow can express. */
    struct ipt_dnf *skips;      /* Negated matches, as skip flows. */
    size_t n_skips;
    bool resume_after;          /* Execution may resume after this rule. */
};

/* Compile-time state of one chain. */
struct cchain {
    struct ipt_chain *chain;
    struct crs *crs;
    struct crule *rules;
    unsigned int hooks;         /* STAGE_BIT()s of the hooks reaching it. */
    enum { WHITE, GRAY, BLACK } color;
    bool visited;
    uint16_t id;                /* Nonzero if reachable. */
    int level;                  /* Call depth. */
    bool has_statistic;
    int *pc_of;                 /* [0..n_rules]: resume point or -1. */
    int *seg;                   /* [0..n_rules): last resume point <= i. */
    int n_resume;
};

/* One ruleset. */
struct crs {
    struct ipt_ruleset *rs;
    int family;
    struct cchain *chains;      /* Indexed by ipt_chain's 'index'. */
};

/* A NAT decision that the commit tables apply. */
struct nat_entry {
    int family;
    int proto;                  /* DNAT with a port: protocol. */
    bool has_port;              /* DNAT: rewrites the port too. */
    char *spec;                 /* Argument of nat(), e.g. "dst=1.2.3.4". */
    struct ipt_dnf addrs;       /* SNAT: destination terms of replies. */
};

struct cctx {
    const struct ipt_compile_options *opts;
    const struct ipt_topo *topo;
    struct ipt_diag *diag;
    struct crs crs[2];
    size_t n_crs;
    struct ds *out;
    int n_levels;
    uint16_t n_ids;

    struct nat_entry *dnats;    /* Index + 1 is the DNAT id. */
    size_t n_dnats;
    struct nat_entry *snats;    /* Index + 1 is the SNAT id. */
    size_t n_snats;

    bool connmark_used;         /* Any connmark match or target. */
    bool connmark_set;          /* Any target that changes ct_mark. */
};

static void OVS_PRINTF_FORMAT(4, 5)
cerr(struct cctx *ctx, const struct crs *crs, int line,
     const char *format, ...)
{
    struct ds msg = DS_EMPTY_INITIALIZER;
    va_list args;

    va_start(args, format);
    ds_put_format_valist(&msg, format, args);
    va_end(args);
    ipt_diag_error(ctx->diag, crs->rs->file_name, line, "%s", ds_cstr(&msg));
    ds_destroy(&msg);
}

/* Reports that 'cr' uses an unsupported construct; the rule is left out
 * (and listed as skipped, or recorded as an error). */
static void OVS_PRINTF_FORMAT(4, 5)
cunsupported(struct cctx *ctx, const struct crs *crs, struct crule *cr,
             const char *format, ...)
{
    struct ds msg = DS_EMPTY_INITIALIZER;
    va_list args;

    va_start(args, format);
    ds_put_format_valist(&msg, format, args);
    va_end(args);
    ipt_diag_unsupported(ctx->diag, crs->rs->file_name, cr->rule->line,
                         "%s", ds_cstr(&msg));
    ds_destroy(&msg);
    cr->skip = true;
}

static struct cchain *
cchain_of(struct crs *crs, const struct ipt_chain *chain)
{
    return &crs->chains[chain->index];
}

static const char *
target_name(const struct ipt_target *t)
{
    switch (t->type) {
    case IPT_T_DNAT:
        return "DNAT";
    case IPT_T_SNAT:
        return "SNAT";
    case IPT_T_MASQUERADE:
        return "MASQUERADE";
    case IPT_T_REDIRECT:
        return "REDIRECT";
    case IPT_T_REJECT:
        return "REJECT";
    case IPT_T_NOTRACK:
        return "NOTRACK";
    case IPT_T_NONE:
    case IPT_T_ACCEPT:
    case IPT_T_DROP:
    case IPT_T_RETURN:
    case IPT_T_JUMP:
    case IPT_T_GOTO:
    case IPT_T_MARK:
    case IPT_T_CONNMARK:
    case IPT_T_SAVE_MARK:
    case IPT_T_RESTORE_MARK:
    case IPT_T_LOG:
    default:
        return "?";
    }
}

/* Phase 1: jumps. */

static void
resolve_jumps(struct cctx *ctx, struct crs *crs)
{
    for (size_t c = 0; c < crs->rs->n_chains; c++) {
        struct cchain *cc = &crs->chains[c];

        for (size_t i = 0; i < cc->chain->n_rules; i++) {
            struct crule *cr = &cc->rules[i];
            const struct ipt_target *t = &cr->rule->target;
            struct ipt_chain *callee;

            if (t->type != IPT_T_JUMP && t->type != IPT_T_GOTO) {
                continue;
            }
            callee = ipt_ruleset_find_chain(crs->rs, cc->chain->table,
                                            t->chain);
            if (!callee) {
                cerr(ctx, crs, cr->rule->line, "%s to missing chain '%s'",
                     t->type == IPT_T_JUMP ? "jump" : "goto", t->chain);
                cr->skip = true;
            } else if (callee->builtin) {
                cerr(ctx, crs, cr->rule->line, "%s to built-in chain '%s'",
                     t->type == IPT_T_JUMP ? "jump" : "goto", t->chain);
                cr->skip = true;
            } else {
                cr->callee = cchain_of(crs, callee);
            }
        }
    }
}

/* Phase 2: loops.  Depth-first search; 'stack' holds the current path. */
static bool
find_loops(struct cctx *ctx, struct cchain *cc, struct cchain **stack,
           size_t depth)
{
    cc->color = GRAY;
    stack[depth] = cc;
    for (size_t i = 0; i < cc->chain->n_rules; i++) {
        struct crule *cr = &cc->rules[i];
        struct cchain *callee = cr->callee;

        if (!callee || cr->skip) {
            continue;
        }
        if (callee->color == GRAY) {
            struct ds path = DS_EMPTY_INITIALIZER;
            size_t start = depth;

            while (stack[start] != callee) {
                start--;
            }
            for (size_t k = start; k <= depth; k++) {
                ds_put_format(&path, "%s -> ", stack[k]->chain->name);
            }
            ds_put_cstr(&path, callee->chain->name);
            cerr(ctx, cc->crs, cr->rule->line, "chain loop: %s",
                 ds_cstr(&path));
            ds_destroy(&path);
            return false;
        }
        if (callee->color == WHITE
            && !find_loops(ctx, callee, stack, depth + 1)) {
            return false;
        }
    }
    cc->color = BLACK;
    return true;
}

/* Phase 3: which hooks reach each chain. */
static void
mark_hook(struct cchain *cc, unsigned int hook_bit)
{
    if (cc->hooks & hook_bit) {
        return;
    }
    cc->hooks |= hook_bit;
    for (size_t i = 0; i < cc->chain->n_rules; i++) {
        struct crule *cr = &cc->rules[i];

        if (cr->callee && !cr->skip) {
            mark_hook(cr->callee, hook_bit);
        }
    }
}

/* Phase 4: rules to terms. */

static void
dnf_add_term_field(struct ipt_dnf *dnf, enum ipt_field field, uint32_t value,
                   uint32_t mask)
{
    struct ipt_term term;

    ipt_term_init(&term);
    ipt_term_set(&term, field, value, mask);
    ipt_dnf_add(dnf, &term);
}

static void
dnf_add_addr(struct ipt_dnf *dnf, bool dst, const struct in6_addr *addr,
             const struct in6_addr *mask)
{
    struct ipt_term term;

    ipt_term_init(&term);
    ipt_term_set_addr(&term, dst, addr, mask);
    ipt_dnf_add(dnf, &term);
}

/* Resolves interface 'name' to OpenFlow ports, adding one term per port of
 * 'field' to 'dnf'.  "NAME+" matches every port map name that starts with
 * NAME, "+" matches everything, and "lo" matches nothing unless it is in the
 * port map. */
static bool
ifname_to_dnf(struct cctx *ctx, const struct crs *crs, const struct crule *cr,
              const char *name, enum ipt_field field, struct ipt_dnf *dnf)
{
    const struct ipt_topo *topo = ctx->topo;
    size_t len = strlen(name);

    if (!strcmp(name, "+")) {
        struct ipt_term term;

        ipt_term_init(&term);
        ipt_dnf_add(dnf, &term);
        return true;
    }
    if (name[len - 1] == '+') {
        for (size_t i = 0; i < topo->n_ports; i++) {
            if (!strncmp(topo->ports[i].name, name, len - 1)) {
                dnf_add_term_field(dnf, field, topo->ports[i].ofport,
                                   UINT32_MAX);
            }
        }
    } else {
        const struct ipt_port *port = ipt_topo_find_port(topo, name);

        if (port) {
            dnf_add_term_field(dnf, field, port->ofport, UINT32_MAX);
        } else if (strcmp(name, "lo")) {
            cerr(ctx, crs, cr->rule->line, "interface '%s' is not in the "
                 "port map", name);
            return false;
        }
    }

    /* Hooks without an input (output) device match no name. */
    uint32_t no_dev = (field == IPT_F_IN_PORT ? IPT_FLAG_NO_IN_DEV
                       : IPT_FLAG_NO_OUT_DEV);
    for (size_t i = 0; i < dnf->n; i++) {
        ipt_term_set(&dnf->terms[i], IPT_F_FLAGS, 0, no_dev);
    }
    return true;
}

static void
ports_to_dnf(const struct ipt_pred *pred, enum ipt_field field,
             struct ipt_dnf *dnf)
{
    for (size_t i = 0; i < pred->n_ranges; i++) {
        ipt_dnf_add_range(dnf, field, pred->ranges[i].min,
                          pred->ranges[i].max, 16);
    }
}

/* Adds the local addresses of 'family' (as "-m addrtype LOCAL" sees them) to
 * 'dnf' as source or destination terms. */
static void
local_addrs_to_dnf(const struct cctx *ctx, int family, bool dst,
                   struct ipt_dnf *dnf)
{
    const struct ipt_topo *topo = ctx->topo;
    struct in6_addr full = ipt_addr_mask_from_plen(family,
                                                   family == AF_INET
                                                   ? 32 : 128);

    for (size_t i = 0; i < topo->n_ports; i++) {
        for (size_t j = 0; j < topo->ports[i].n_addrs; j++) {
            const struct ipt_addr *a = &topo->ports[i].addrs[j];

            if (a->family == family) {
                dnf_add_addr(dnf, dst, &a->addr, &full);
            }
        }
    }
    for (size_t i = 0; i < topo->n_locals; i++) {
        if (topo->locals[i].family == family) {
            dnf_add_addr(dnf, dst, &topo->locals[i].addr, &full);
        }
    }

    /* Loopback: 127.0.0.0/8 or ::1. */
    struct in6_addr lo, mask;
    if (family == AF_INET) {
        lo = ipt_addr_from_v4(htonl(0x7f000000));
        mask = ipt_addr_mask_from_plen(AF_INET, 8);
    } else {
        lo = in6addr_loopback;
        mask = full;
    }
    dnf_add_addr(dnf, dst, &lo, &mask);
}

/* Terms of a positive "--ctstate" list: one per state. */
static void
ctstate_to_dnf(uint32_t states, struct ipt_dnf *dnf)
{
    static const struct {
        uint32_t state;
        uint32_t cs_value, cs_mask;
    } map[] = {
        { IPT_ST_NEW, IPT_CS_NEW | IPT_CS_TRK, IPT_CS_NEW | IPT_CS_TRK },
        { IPT_ST_ESTABLISHED, IPT_CS_EST | IPT_CS_TRK,
          IPT_CS_EST | IPT_CS_TRK },
        { IPT_ST_RELATED, IPT_CS_REL | IPT_CS_TRK, IPT_CS_REL | IPT_CS_TRK },
        { IPT_ST_INVALID, IPT_CS_INV | IPT_CS_TRK, IPT_CS_INV | IPT_CS_TRK },
        { IPT_ST_UNTRACKED, 0, IPT_CS_TRK },
    };

    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        if (states & map[i].state) {
            dnf_add_term_field(dnf, IPT_F_CT_STATE, map[i].cs_value,
                               map[i].cs_mask);
        }
    }
    if (states & IPT_ST_SNAT) {
        struct ipt_term term;

        ipt_term_init(&term);
        ipt_term_set(&term, IPT_F_CT_STATE, IPT_CS_TRK, IPT_CS_TRK);
        ipt_term_set(&term, IPT_F_CT_LABEL, IPT_LABEL_SNAT, IPT_LABEL_SNAT);
        ipt_dnf_add(dnf, &term);
    }
    if (states & IPT_ST_DNAT) {
        struct ipt_term term;

        /* A committed DNAT'ed connection, or a new one that nat PREROUTING
         * or OUTPUT just decided to DNAT. */
        ipt_term_init(&term);
        ipt_term_set(&term, IPT_F_CT_STATE, IPT_CS_TRK, IPT_CS_TRK);
        ipt_term_set(&term, IPT_F_CT_LABEL, IPT_LABEL_DNAT, IPT_LABEL_DNAT);
        ipt_dnf_add(dnf, &term);
        dnf_add_term_field(dnf, IPT_F_FLAGS, IPT_FLAG_DNAT, IPT_FLAG_DNAT);
    }
}

/* The single term of a negated "--ctstate" list: none of the states. */
static void
ctstate_not_to_dnf(uint32_t states, struct ipt_dnf *dnf)
{
    uint32_t cs_value = 0, cs_mask = 0;
    struct ipt_term term;

    ipt_term_init(&term);
    cs_mask |= (states & IPT_ST_NEW ? IPT_CS_NEW : 0)
               | (states & IPT_ST_ESTABLISHED ? IPT_CS_EST : 0)
               | (states & IPT_ST_RELATED ? IPT_CS_REL : 0)
               | (states & IPT_ST_INVALID ? IPT_CS_INV : 0);
    if (states & IPT_ST_UNTRACKED) {
        cs_value |= IPT_CS_TRK;
        cs_mask |= IPT_CS_TRK;
    }
    ipt_term_set(&term, IPT_F_CT_STATE, cs_value, cs_mask);
    if (states & (IPT_ST_SNAT | IPT_ST_DNAT)) {
        ipt_term_set(&term, IPT_F_CT_LABEL, 0,
                     (states & IPT_ST_SNAT ? IPT_LABEL_SNAT : 0)
                     | (states & IPT_ST_DNAT ? IPT_LABEL_DNAT : 0));
    }
    if (states & IPT_ST_DNAT) {
        ipt_term_set(&term, IPT_F_FLAGS, 0, IPT_FLAG_DNAT);
    }
    ipt_dnf_add(dnf, &term);
}

/* Translates the positive form of 'pred' into terms.  Returns false if an
 * error was reported. */
static bool
pred_to_dnf(struct cctx *ctx, const struct crs *crs, const struct crule *cr,
            const struct ipt_pred *pred, struct ipt_dnf *dnf)
{
    switch (pred->type) {
    case IPT_P_SRC:
    case IPT_P_DST:
        for (size_t i = 0; i < pred->n_addrs; i++) {
            dnf_add_addr(dnf, pred->type == IPT_P_DST, &pred->addrs[i].addr,
                         &pred->addrs[i].mask);
        }
        return true;

    case IPT_P_PROTO:
        dnf_add_term_field(dnf, IPT_F_NW_PROTO, pred->value, UINT32_MAX);
        return true;

    case IPT_P_IN_IF:
    case IPT_P_OUT_IF:
        return ifname_to_dnf(ctx, crs, cr, pred->ifname,
                             (pred->type == IPT_P_IN_IF
                              ? IPT_F_IN_PORT : IPT_F_OUT_PORT), dnf);

    case IPT_P_SPORT:
        ports_to_dnf(pred, IPT_F_TP_SRC, dnf);
        return true;

    case IPT_P_DPORT:
        ports_to_dnf(pred, IPT_F_TP_DST, dnf);
        return true;

    case IPT_P_PORTS:
        ports_to_dnf(pred, IPT_F_TP_SRC, dnf);
        ports_to_dnf(pred, IPT_F_TP_DST, dnf);
        return true;

    case IPT_P_ICMP: {
        struct ipt_term term;

        ipt_term_init(&term);
        ipt_term_set(&term, IPT_F_ICMP_TYPE, pred->value, UINT32_MAX);
        if (pred->ranges[0].min == pred->ranges[0].max) {
            ipt_term_set(&term, IPT_F_ICMP_CODE, pred->ranges[0].min,
                         UINT32_MAX);
        }
        ipt_dnf_add(dnf, &term);
        return true;
    }

    case IPT_P_TCP_FLAGS:
        dnf_add_term_field(dnf, IPT_F_TCP_FLAGS, pred->value, pred->mask);
        return true;

    case IPT_P_CTSTATE:
        ctstate_to_dnf(pred->value, dnf);
        return true;

    case IPT_P_CTDIR: {
        struct ipt_term term;

        ipt_term_init(&term);
        ipt_term_set(&term, IPT_F_CT_STATE,
                     IPT_CS_TRK | (pred->value ? IPT_CS_RPL : 0),
                     IPT_CS_TRK | IPT_CS_RPL);
        ipt_dnf_add(dnf, &term);
        return true;
    }

    case IPT_P_MARK:
        dnf_add_term_field(dnf, IPT_F_PKT_MARK, pred->value, pred->mask);
        return true;

    case IPT_P_CONNMARK:
        dnf_add_term_field(dnf, IPT_F_CONNMARK, pred->value, pred->mask);
        return true;

    case IPT_P_STATISTIC: {
        /* The hash range is added once the chain's statistic rules are
         * known. */
        struct ipt_term term;

        ipt_term_init(&term);
        ipt_dnf_add(dnf, &term);
        return true;
    }

    case IPT_P_SRC_LOCAL:
    case IPT_P_DST_LOCAL:
        local_addrs_to_dnf(ctx, crs->family, pred->type == IPT_P_DST_LOCAL,
                           dnf);
        return true;

    default:
        OVS_NOT_REACHED();
    }
}

static int
popcount32(uint32_t x)
{
    int n = 0;

    for (; x; x &= x - 1) {
        n++;
    }
    return n;
}

/* Checks the restrictions that depend on the table and the hooks reaching
 * the rule's chain.  Returns false if the rule was left out. */
static bool
check_rule_context(struct cctx *ctx, struct cchain *cc, struct crule *cr)
{
    const struct ipt_rule *rule = cr->rule;
    const struct ipt_target *t = &rule->target;
    enum ipt_table_id table = cc->chain->table;
    const struct crs *crs = cc->crs;
    unsigned int allowed = 0;

    switch (t->type) {
    case IPT_T_DNAT:
    case IPT_T_REDIRECT:
        allowed = STAGE_BIT(IPT_HOOK_PRE) | STAGE_BIT(IPT_HOOK_OUT);
        break;
    case IPT_T_SNAT:
        allowed = STAGE_BIT(IPT_HOOK_POST) | STAGE_BIT(IPT_HOOK_IN);
        break;
    case IPT_T_MASQUERADE:
        allowed = STAGE_BIT(IPT_HOOK_POST);
        break;
    case IPT_T_REJECT:
        allowed = (STAGE_BIT(IPT_HOOK_IN) | STAGE_BIT(IPT_HOOK_FWD)
                   | STAGE_BIT(IPT_HOOK_OUT));
        break;
    case IPT_T_NONE:
    case IPT_T_ACCEPT:
    case IPT_T_DROP:
    case IPT_T_RETURN:
    case IPT_T_JUMP:
    case IPT_T_GOTO:
    case IPT_T_MARK:
    case IPT_T_CONNMARK:
    case IPT_T_SAVE_MARK:
    case IPT_T_RESTORE_MARK:
    case IPT_T_LOG:
    case IPT_T_NOTRACK:
    default:
        allowed = UINT32_MAX;
        break;
    }

    bool is_nat = (t->type == IPT_T_DNAT || t->type == IPT_T_REDIRECT
                   || t->type == IPT_T_SNAT || t->type == IPT_T_MASQUERADE);
    if (is_nat && table != IPT_NAT) {
        cerr(ctx, crs, rule->line, "target '%s' is only valid in the nat "
             "table", target_name(t));
        return false;
    }
    if (t->type == IPT_T_NOTRACK && table != IPT_RAW) {
        cerr(ctx, crs, rule->line, "target 'NOTRACK' is only valid in the "
             "raw table");
        return false;
    }
    if (cc->hooks & ~allowed) {
        struct ds hooks = DS_EMPTY_INITIALIZER;
        int n = popcount32(allowed), k = 0, bad = -1;

        for (int h = 0; h < IPT_N_HOOKS; h++) {
            if (allowed & STAGE_BIT(h)) {
                ds_put_format(&hooks, "%s%s", !k ? "" : k == n - 1 ? " and "
                              : ", ", ipt_hook_name(h));
                k++;
            } else if (bad < 0 && cc->hooks & STAGE_BIT(h)) {
                bad = h;
            }
        }
        if (cc->chain->builtin) {
            cerr(ctx, crs, rule->line, "target '%s' is only valid in %s, not "
                 "in %s", target_name(t), ds_cstr(&hooks),
                 ipt_hook_name(bad));
        } else {
            cerr(ctx, crs, rule->line, "target '%s' is only valid in %s, not "
                 "in %s (which reaches chain '%s')", target_name(t),
                 ds_cstr(&hooks), ipt_hook_name(bad), cc->chain->name);
        }
        ds_destroy(&hooks);
        return false;
    }
    if (t->type == IPT_T_REDIRECT && cc->hooks & STAGE_BIT(IPT_HOOK_OUT)) {
        cunsupported(ctx, crs, cr, "REDIRECT in OUTPUT (delivery to the "
                     "loopback interface) is not supported");
        return false;
    }

    for (size_t i = 0; i < rule->n_preds; i++) {
        const struct ipt_pred *pred = &rule->preds[i];

        if (table == IPT_RAW
            && (pred->type == IPT_P_CTSTATE || pred->type == IPT_P_CTDIR
                || pred->type == IPT_P_CONNMARK)) {
            cunsupported(ctx, crs, cr, "connection tracking matches in the "
                         "raw table (conntrack has not run yet)");
            return false;
        }
    }
    if (table == IPT_RAW
        && (t->type == IPT_T_CONNMARK || t->type == IPT_T_SAVE_MARK
            || t->type == IPT_T_RESTORE_MARK)) {
        cunsupported(ctx, crs, cr, "CONNMARK in the raw table (conntrack "
                     "has not run yet)");
        return false;
    }
    return true;
}

static bool
pred_uses(const struct ipt_rule *rule, enum ipt_pred_type type)
{
    for (size_t i = 0; i < rule->n_preds; i++) {
        if (rule->preds[i].type == type) {
            return true;
        }
    }
    return false;
}

/* Translates the matches of 'cr' into 'cr->pos' and 'cr->skips'. */
static void
compile_matches(struct cctx *ctx, struct cchain *cc, struct crule *cr)
{
    const struct ipt_rule *rule = cr->rule;
    const struct crs *crs = cc->crs;

    ipt_dnf_init_true(&cr->pos);
    for (size_t i = 0; i < rule->n_preds && !cr->skip; i++) {
        const struct ipt_pred *pred = &rule->preds[i];
        struct ipt_dnf dnf, neg;

        ipt_dnf_init(&dnf);
        if (pred->negated && pred->type == IPT_P_CTSTATE) {
            ctstate_not_to_dnf(pred->value, &dnf);
        } else if (!pred_to_dnf(ctx, crs, cr, pred, &dnf)) {
            cr->skip = true;
        } else if (pred->negated) {
            if (ipt_dnf_complement(&dnf, &neg)) {
                ipt_dnf_swap(&dnf, &neg);
                ipt_dnf_destroy(&neg);
            } else {
                cr->skips = xrealloc(cr->skips,
                                     (cr->n_skips + 1) * sizeof *cr->skips);
                cr->skips[cr->n_skips++] = dnf;
                continue;
            }
        }
        if (!cr->skip && !ipt_dnf_and(&cr->pos, &dnf, MAX_TERMS)) {
            cunsupported(ctx, crs, cr, "rule needs more than %d flows",
                         MAX_TERMS);
        }
        ipt_dnf_destroy(&dnf);
    }
    if (pred_uses(rule, IPT_P_CONNMARK)) {
        ctx->connmark_used = true;
    }
}

/* Classifies the target of 'cr': whether the rule does anything and where
 * execution may resume after it. */
static void
classify_target(struct crule *cr)
{
    const struct ipt_target *t = &cr->rule->target;

    switch (t->type) {
    case IPT_T_NONE:
        cr->dead = true;
        cr->dead_why = "no target: counts only, compiled as nothing";
        return;
    case IPT_T_LOG:
        cr->dead = true;
        cr->dead_why = "LOG is compiled as nothing";
        return;
    case IPT_T_JUMP:
    case IPT_T_MARK:
    case IPT_T_CONNMARK:
    case IPT_T_SAVE_MARK:
    case IPT_T_RESTORE_MARK:
    case IPT_T_NOTRACK:
        cr->resume_after = true;
        break;
    case IPT_T_ACCEPT:
    case IPT_T_DROP:
    case IPT_T_REJECT:
    case IPT_T_RETURN:
    case IPT_T_GOTO:
    case IPT_T_DNAT:
    case IPT_T_SNAT:
    case IPT_T_MASQUERADE:
    case IPT_T_REDIRECT:
    default:
        break;
    }
    if (cr->n_skips) {
        cr->resume_after = true;
    }
    if (!cr->pos.n) {
        cr->dead = true;
        cr->dead_why = "never matches";
    }
}

/* Gives the statistic rules of 'cc' consecutive slices of the hash space:
 * rule k gets fraction P_k of what the earlier ones left, i.e. it matches
 * hashes below H_k = 65536 * (1 - (1 - P_1) * ... * (1 - P_k)). */
static void
place_statistic(struct cctx *ctx, struct cchain *cc)
{
    const struct ipt_rule *first = NULL;
    double used = 0.0;

    for (size_t i = 0; i < cc->chain->n_rules; i++) {
        struct crule *cr = &cc->rules[i];
        const struct ipt_pred *stat = NULL;

        for (size_t j = 0; j < cr->rule->n_preds; j++) {
            if (cr->rule->preds[j].type == IPT_P_STATISTIC) {
                stat = &cr->rule->preds[j];
            }
        }
        if (!stat || cr->skip) {
            continue;
        }
        if (!first) {
            first = cr->rule;
        } else if (strcmp(first->match_key, cr->rule->match_key)) {
            cunsupported(ctx, cc->crs, cr, "statistic rules of chain '%s' "
                         "have different matches (line %d differs)",
                         cc->chain->name, first->line);
            continue;
        }

        /* A packet that reaches this rule failed the earlier ones, so its
         * hash is at least their bound; testing the upper bound is
         * enough. */
        used += stat->probability * (1.0 - used);
        uint32_t hi = (stat->probability >= 1.0 ? HASH_SPACE
                       : (uint32_t) (used * HASH_SPACE + 0.5));
        struct ipt_dnf range;

        ipt_dnf_init(&range);
        if (hi > 0) {
            ipt_dnf_add_range(&range, IPT_F_HASH, 0, hi - 1, 16);
        }
        ipt_dnf_and(&cr->pos, &range, MAX_TERMS);
        ipt_dnf_destroy(&range);
        cc->has_statistic = true;
        if (!cr->pos.n) {
            cr->dead = true;
            cr->dead_why = "never matches";
        }
    }
}

static void
compile_chain_rules(struct cctx *ctx, struct cchain *cc)
{
    if (cc->chain->n_rules > MAX_RULES) {
        cerr(ctx, cc->crs, cc->chain->line, "chain '%s' has more than %d "
             "rules", cc->chain->name, MAX_RULES);
        return;
    }
    for (size_t i = 0; i < cc->chain->n_rules; i++) {
        struct crule *cr = &cc->rules[i];
        const struct ipt_target *t = &cr->rule->target;

        if (cr->skip || !check_rule_context(ctx, cc, cr)) {
            cr->skip = true;
            continue;
        }
        compile_matches(ctx, cc, cr);
        if (cr->skip) {
            continue;
        }
        classify_target(cr);
        if (t->type == IPT_T_CONNMARK || t->type == IPT_T_SAVE_MARK
            || t->type == IPT_T_RESTORE_MARK) {
            ctx->connmark_used = ctx->connmark_set = true;
        }
    }
    place_statistic(ctx, cc);
}

/* Phase 5: resume points. */
static void
place_resume_points(struct cchain *cc)
{
    size_t n = cc->chain->n_rules;
    bool *is_rp = xzalloc(n + 1);
    bool end_useful = cc->chain->builtin && cc->chain->policy_drop;

    is_rp[0] = true;
    for (size_t i = 0; i < n; i++) {
        const struct crule *cr = &cc->rules[i];

        if (cr->skip || cr->dead) {
            continue;
        }
        if (cr->resume_after) {
            is_rp[i + 1] = true;
        }
        if (cr->rule->target.type == IPT_T_GOTO && cc->chain->builtin) {
            is_rp[n] = true;
        }
    }
    if (!end_useful) {
        is_rp[n] = n == 0;
    }

    cc->pc_of = xmalloc((n + 1) * sizeof *cc->pc_of);
    cc->seg = xmalloc((n + 1) * sizeof *cc->seg);
    cc->n_resume = 0;
    for (size_t i = 0; i <= n; i++) {
        cc->pc_of[i] = is_rp[i] ? cc->n_resume++ : -1;
        cc->seg[i] = cc->n_resume - 1;
    }
    free(is_rp);

    /* With at most 16 resume points, resume point k is written as k one
     * bits ("thermometer" code): a rule after resume point s is still
     * ahead exactly when bit s is clear, a single masked match.  Beyond
     * that, resume points are numbered in binary and each rule matches a
     * range. */
    if (cc->n_resume <= 16) {
        for (size_t i = 0; i <= n; i++) {
            if (cc->pc_of[i] >= 0) {
                cc->pc_of[i] = (1 << cc->pc_of[i]) - 1;
            }
        }
    }
}

/* Phase 6: chain ids and tables. */
static void
topo_visit(struct cchain *cc, struct cchain ***order, size_t *n,
           size_t *allocated)
{
    cc->visited = true;
    for (size_t i = 0; i < cc->chain->n_rules; i++) {
        struct crule *cr = &cc->rules[i];

        if (cr->callee && !cr->skip && !cr->callee->visited) {
            topo_visit(cr->callee, order, n, allocated);
        }
    }
    if (*n >= *allocated) {
        *order = x2nrealloc(*order, allocated, sizeof **order);
    }
    (*order)[(*n)++] = cc;
}

static bool
number_chains(struct cctx *ctx)
{
    struct cchain **order = NULL;
    size_t n = 0, allocated = 0;

    for (size_t r = 0; r < ctx->n_crs; r++) {
        struct crs *crs = &ctx->crs[r];

        for (size_t c = 0; c < crs->rs->n_chains; c++) {
            struct cchain *cc = &crs->chains[c];

            if (cc->chain->builtin && !cc->visited) {
                topo_visit(cc, &order, &n, &allocated);
            }
        }
    }

    /* 'order' is a post-order: callees before callers. */
    int max_level = 0;
    for (size_t i = n; i-- > 0;) {
        struct cchain *cc = order[i];

        for (size_t j = 0; j < cc->chain->n_rules; j++) {
            struct crule *cr = &cc->rules[j];

            if (cr->callee && !cr->skip
                && cr->callee->level < cc->level + 1) {
                cr->callee->level = cc->level + 1;
                max_level = MAX(max_level, cr->callee->level);
            }
        }
    }
    free(order);

    for (size_t r = 0; r < ctx->n_crs; r++) {
        struct crs *crs = &ctx->crs[r];

        for (size_t c = 0; c < crs->rs->n_chains; c++) {
            struct cchain *cc = &crs->chains[c];

            if (cc->hooks) {
                if (ctx->n_ids == UINT16_MAX) {
                    cerr(ctx, crs, cc->chain->line, "too many chains");
                    return false;
                }
                cc->id = ++ctx->n_ids;
            }
        }
    }
    if (IPT_TABLE_CHAINS + max_level > IPT_TABLE_MAX) {
        cerr(ctx, &ctx->crs[0], 0, "chains are nested %d deep, more than "
             "the %d OpenFlow tables allow", max_level,
             IPT_TABLE_MAX - IPT_TABLE_CHAINS);
        return false;
    }
    ctx->n_levels = ctx->n_ids ? max_level + 1 : 0;
    return true;
}

/* Phase 7: output. */

static int
chain_table(const struct cchain *cc)
{
    return IPT_TABLE_CHAINS + cc->level;
}

/* Appends one action to the comma-separated list 'acts'. */
static void OVS_PRINTF_FORMAT(2, 3)
act(struct ds *acts, const char *format, ...)
{
    va_list args;

    if (acts->length) {
        ds_put_char(acts, ',');
    }
    va_start(args, format);
    ds_put_format_valist(acts, format, args);
    va_end(args);
}

static void
emit_flow(struct cctx *ctx, int table, int priority, int cookie,
          const char *match, const char *actions)
{
    ds_put_format(ctx->out, "table=%d, priority=%d", table, priority);
    if (cookie) {
        ds_put_format(ctx->out, ", cookie=%#x", cookie);
    }
    ds_put_format(ctx->out, ", %s%sactions=%s\n", match, *match ? " " : "",
                  *actions ? actions : "drop");
}

static void OVS_PRINTF_FORMAT(2, 3)
emit_comment(struct cctx *ctx, const char *format, ...)
{
    va_list args;

    if (!ctx->opts->comments) {
        return;
    }
    ds_put_cstr(ctx->out, "# ");
    va_start(args, format);
    ds_put_format_valist(ctx->out, format, args);
    va_end(args);
    ds_put_char(ctx->out, '\n');
}

static void
emit_term_flow(struct cctx *ctx, int family, int table, int priority,
               int cookie, const struct ipt_term *term, const char *actions)
{
    struct ds match = DS_EMPTY_INITIALIZER;

    ipt_term_format(term, family, &match);
    emit_flow(ctx, table, priority, cookie, ds_cstr(&match), actions);
    ds_destroy(&match);
}

static const char *
family_keyword(int family)
{
    return family == AF_INET ? "ip" : "ipv6";
}

static void
put_hash(struct ds *acts, const struct cchain *cc)
{
    if (cc->has_statistic) {
        act(acts, "multipath(symmetric_l3l4+udp,%d,hash_threshold,%d,0,"
            "reg9[0..15])", cc->id, HASH_SPACE);
    }
}

/* Actions that run chain 'cc' from its start. */
static void
put_call(struct ds *acts, const struct cchain *cc)
{
    act(acts, "set_field:%#x->reg6", (unsigned int) cc->id << 16);
    put_hash(acts, cc);
    act(acts, "resubmit(,%d)", chain_table(cc));
}

/* Actions that resume chain 'cc' before rule 't' (t may be the number of
 * rules, for the policy).  Nothing if no resume point exists there, which
 * means that returning does the same. */
static void
put_resume(struct ds *acts, const struct cchain *cc, size_t t)
{
    if (cc->pc_of[t] < 0) {
        return;
    }
    act(acts, "set_field:%#x->reg6",
        ((unsigned int) cc->id << 16) | cc->pc_of[t]);
    put_hash(acts, cc);
    act(acts, "resubmit(,%d)", chain_table(cc));
}

/* Is built-in chain 'cc' worth calling at all? */
static bool
stage_active(const struct cchain *cc)
{
    if (!cc || !cc->id) {
        return false;
    }
    if (cc->chain->policy_drop) {
        return true;
    }
    for (size_t i = 0; i < cc->chain->n_rules; i++) {
        if (!cc->rules[i].skip && !cc->rules[i].dead) {
            return true;
        }
    }
    return false;
}

static struct cchain *
builtin_chain(struct crs *crs, enum ipt_table_id table, enum ipt_hook hook)
{
    struct ipt_chain *chain;

    if (!crs->rs->has_table[table]) {
        return NULL;
    }
    chain = ipt_ruleset_find_chain(crs->rs, table, ipt_hook_name(hook));
    return chain ? cchain_of(crs, chain) : NULL;
}

/* Actions that run the built-in chain of 'table' at 'hook', if any. */
static bool
put_stage(struct ds *acts, struct crs *crs, enum ipt_table_id table,
          enum ipt_hook hook)
{
    struct cchain *cc = builtin_chain(crs, table, hook);

    if (!stage_active(cc)) {
        return false;
    }
    uint32_t no_dev = (hook == IPT_HOOK_OUT || hook == IPT_HOOK_POST
                       ? IPT_FLAG_NO_IN_DEV
                       : hook == IPT_HOOK_FWD ? 0 : IPT_FLAG_NO_OUT_DEV);
    act(acts, "set_field:%#"PRIx32"/%#x->reg7", no_dev,
        IPT_FLAG_STOP | IPT_FLAG_NO_IN_DEV | IPT_FLAG_NO_OUT_DEV);
    put_call(acts, cc);
    return true;
}

static void
put_nat_addr(struct ds *s, int family, const struct in6_addr *addr,
             bool bracket)
{
    if (bracket) {
        ds_put_char(s, '[');
    }
    ipt_addr_format(addr, family, s);
    if (bracket) {
        ds_put_char(s, ']');
    }
}

/* Formats the argument of nat() for 'kind' ("dst" or "src"). */
static char *
nat_spec(const char *kind, int family, const struct in6_addr *min,
         const struct in6_addr *max, bool has_port, uint16_t port_min,
         uint16_t port_max, bool random, bool persistent)
{
    bool bracket = family == AF_INET6 && has_port;
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "%s=", kind);
    put_nat_addr(&s, family, min, bracket);
    if (!ipv6_addr_equals(min, max)) {
        ds_put_char(&s, '-');
        put_nat_addr(&s, family, max, bracket);
    }
    if (has_port) {
        ds_put_format(&s, ":%"PRIu16, port_min);
        if (port_max != port_min) {
            ds_put_format(&s, "-%"PRIu16, port_max);
        }
    }
    if (random) {
        ds_put_cstr(&s, ",random");
    }
    if (persistent) {
        ds_put_cstr(&s, ",persistent");
    }
    return ds_steal_cstr(&s);
}

/* Returns the id of the NAT entry with these properties in 'entries',
 * adding it if needed.  Takes ownership of 'spec'. */
static int
nat_entry_id(struct nat_entry **entries, size_t *n, int family, int proto,
             bool has_port, char *spec)
{
    for (size_t i = 0; i < *n; i++) {
        struct nat_entry *e = &(*entries)[i];

        if (e->family == family && e->proto == proto
            && e->has_port == has_port && !strcmp(e->spec, spec)) {
            free(spec);
            return i + 1;
        }
    }
    *entries = xrealloc(*entries, (*n + 1) * sizeof **entries);

    struct nat_entry *e = &(*entries)[(*n)++];
    e->family = family;
    e->proto = proto;
    e->has_port = has_port;
    e->spec = spec;
    ipt_dnf_init(&e->addrs);
    return *n;
}

static const char *
l4_dst_field(int proto)
{
    return (proto == IPPROTO_TCP ? "tcp_dst"
            : proto == IPPROTO_UDP ? "udp_dst" : "sctp_dst");
}

/* Actions of a DNAT to 'addr' (and port 'port_min' if 'has_port') whose
 * nat() range is described by the other arguments. */
static void
put_dnat(struct cctx *ctx, struct ds *acts, int family, int proto,
         const struct ipt_target *t, const struct in6_addr *addr_min,
         const struct in6_addr *addr_max)
{
    char *spec = nat_spec("dst", family, addr_min, addr_max, t->has_port,
                          t->port_min, t->port_max, t->random,
                          t->persistent);
    int id = nat_entry_id(&ctx->dnats, &ctx->n_dnats, family, proto,
                          t->has_port, spec);
    struct ds addr = DS_EMPTY_INITIALIZER;

    ipt_addr_format(addr_min, family, &addr);
    if (family == AF_INET) {
        act(acts, "move:ip_dst->reg0");
    } else {
        act(acts, "move:ipv6_dst->xxreg0");
    }
    if (t->has_port) {
        act(acts, "move:%s->reg4[0..15]", l4_dst_field(proto));
    }
    act(acts, "set_field:%#x/0xffff0000->reg4", (unsigned int) id << 16);
    act(acts, "set_field:%s->%s", ds_cstr(&addr),
        family == AF_INET ? "ip_dst" : "ipv6_dst");
    if (t->has_port) {
        act(acts, "set_field:%"PRIu16"->%s", t->port_min,
            l4_dst_field(proto));
    }
    act(acts, "set_field:%#x/%#x->reg7", IPT_FLAG_DNAT | IPT_FLAG_STOP,
        IPT_FLAG_DNAT | IPT_FLAG_STOP);
    ds_destroy(&addr);
}

static void
put_snat(struct cctx *ctx, struct ds *acts, int family,
         const struct ipt_target *t, const struct in6_addr *addr_min,
         const struct in6_addr *addr_max)
{
    char *spec = nat_spec("src", family, addr_min, addr_max, t->has_port,
                          t->port_min, t->port_max, t->random,
                          t->persistent);
    int id = nat_entry_id(&ctx->snats, &ctx->n_snats, family, 0, false,
                          spec);
    struct nat_entry *e = &ctx->snats[id - 1];

    if (!e->addrs.n) {
        /* Replies come back to the translated addresses. */
        if (family == AF_INET) {
            uint32_t lo = ntohl(ipt_addr_to_v4(addr_min));
            uint32_t hi = ntohl(ipt_addr_to_v4(addr_max));
            struct ipt_dnf blocks;

            ipt_dnf_init(&blocks);
            ipt_dnf_add_range(&blocks, IPT_F_PKT_MARK, lo, hi, 32);
            for (size_t i = 0; i < blocks.n; i++) {
                struct in6_addr a, m;

                a = ipt_addr_from_v4(htonl(blocks.terms[i].value
                                           [IPT_F_PKT_MARK]));
                m = ipt_addr_from_v4(htonl(blocks.terms[i].mask
                                           [IPT_F_PKT_MARK]));
                dnf_add_addr(&e->addrs, true, &a, &m);
            }
            ipt_dnf_destroy(&blocks);
        } else {
            struct in6_addr full = ipv6_create_mask(128);

            dnf_add_addr(&e->addrs, true, addr_min, &full);
        }
    }
    act(acts, "set_field:%#x/0xffff0000->reg7", (unsigned int) id << 16);
    act(acts, "set_field:%#x/%#x->reg7", IPT_FLAG_SNAT | IPT_FLAG_STOP,
        IPT_FLAG_SNAT | IPT_FLAG_STOP);
}

struct variant {
    struct ipt_term term;       /* Extra match. */
    struct ds actions;
    bool fallback;              /* One priority lower. */
};

struct variants {
    struct variant *v;
    size_t n;
};

static struct variant *
variant_add(struct variants *vs)
{
    struct variant *v;

    vs->v = xrealloc(vs->v, (vs->n + 1) * sizeof *vs->v);
    v = &vs->v[vs->n++];
    ipt_term_init(&v->term);
    ds_init(&v->actions);
    v->fallback = false;
    return v;
}

static void
variants_destroy(struct variants *vs)
{
    for (size_t i = 0; i < vs->n; i++) {
        ds_destroy(&vs->v[i].actions);
    }
    free(vs->v);
}

/* Variants for "field = (field & ~mask) ^ value": bits outside 'mask' set
 * in 'value' are flipped, which OpenFlow can only do by matching their
 * current values, so there is one variant per combination. */
static bool
mark_variants(struct cctx *ctx, struct cchain *cc, struct crule *cr,
              const char *field, enum ipt_field match_field, uint32_t value,
              uint32_t mask, uint32_t flags, struct variants *vs)
{
    uint32_t flip = value & ~mask;
    uint32_t set_mask = mask | flip;
    uint32_t c = 0;

    if (popcount32(flip) > 4) {
        cunsupported(ctx, cc->crs, cr, "XOR of more than 4 mark bits "
                     "outside the mask");
        return false;
    }
    do {
        struct variant *v = variant_add(vs);

        if (flip) {
            ipt_term_set(&v->term, match_field, c, flip);
        }
        if (set_mask) {
            act(&v->actions, "set_field:%#"PRIx32"/%#"PRIx32"->%s",
                (value & mask) | (~c & flip), set_mask, field);
        }
        if (flags) {
            act(&v->actions, "set_field:%#"PRIx32"/%#"PRIx32"->reg7",
                flags, flags);
        }
        c = (c - flip) & flip;
    } while (c);
    return true;
}

/* Formats the bit range of 'mask' (contiguous) as "[a..b]". */
static void
put_bits(struct ds *s, uint32_t mask)
{
    int lo = ctz32(mask);
    int hi = 31 - clz32(mask);

    ds_put_format(s, "[%d..%d]", lo, hi);
}

/* Builds the variants of the target of rule 'i' of 'cc'.  Returns false if
 * the rule was left out. */
/* Can some term of 'base' match together with 'term'? */
static bool
dnf_meets(const struct ipt_dnf *base, const struct ipt_term *term)
{
    for (size_t i = 0; i < base->n; i++) {
        struct ipt_term tmp;

        if (ipt_term_intersect(&tmp, &base->terms[i], term)) {
            return true;
        }
    }
    return false;
}

/* Does every term of 'base' fix 'field' to the port of an interface that
 * has an address of 'family'? */
static bool
dnf_has_port_addr(const struct cctx *ctx, const struct ipt_dnf *base,
                  enum ipt_field field, int family)
{
    for (size_t i = 0; i < base->n; i++) {
        const struct ipt_term *t = &base->terms[i];
        bool found = false;

        for (size_t p = 0; p < ctx->topo->n_ports && !found; p++) {
            found = (t->mask[field] == UINT32_MAX
                     && t->value[field] == ctx->topo->ports[p].ofport
                     && ipt_port_first_addr(&ctx->topo->ports[p], family));
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

/* Adds to 'vs' the variants of DNAT target 't' for packets that it would
 * leave as they are: netfilter keeps a destination that is already the
 * target's only address, with a port in the target's port range (if it
 * has one), and then does not count the connection as DNAT'ed (no
 * --ctstate DNAT).  Such a packet gets the verdict of a NAT target
 * without a DNAT: it is committed without nat(dst).  For an address range
 * netfilter picks the address by a hash, and with --random a port of a
 * port range at random, so there is no such variant then.
 * Only variants that packets matching 'base' can meet are added; returns
 * true if there is any. */
static bool
dnat_identity_variants(int family, const struct ipt_target *t,
                       const struct ipt_dnf *base, struct variants *vs)
{
    bool any = false;
    struct in6_addr all = ipt_addr_mask_from_plen(family,
                                                  family == AF_INET ? 32
                                                  : 128);
    struct ipt_dnf ports;

    if (!ipv6_addr_equals(&t->addr_min, &t->addr_max)
        || (t->has_port && t->port_min != t->port_max && t->random)) {
        return false;
    }
    ipt_dnf_init(&ports);
    if (t->has_port) {
        ipt_dnf_add_range(&ports, IPT_F_TP_DST, t->port_min, t->port_max,
                          16);
    } else {
        struct ipt_term any;

        ipt_term_init(&any);
        ipt_dnf_add(&ports, &any);
    }
    for (size_t i = 0; i < ports.n; i++) {
        struct ipt_term term = ports.terms[i];

        ipt_term_set_addr(&term, true, &t->addr_min, &all);
        if (dnf_meets(base, &term)) {
            struct variant *v = variant_add(vs);

            v->term = term;
            act(&v->actions, "set_field:%#x/%#x->reg7", IPT_FLAG_STOP,
                IPT_FLAG_STOP);
            any = true;
        }
    }
    ipt_dnf_destroy(&ports);
    return any;
}

/* Builds the variants of the target of rule 'i' of 'cc', whose flows will
 * match 'base'.  Returns false if the rule was left out. */
static bool
target_variants(struct cctx *ctx, struct cchain *cc, size_t i,
                const struct ipt_dnf *base, struct variants *vs)
{
    struct crule *cr = &cc->rules[i];
    const struct ipt_target *t = &cr->rule->target;
    int family = cc->crs->family;
    const struct ipt_topo *topo = ctx->topo;
    struct variant *v;
    struct ds bits;

    switch (t->type) {
    case IPT_T_ACCEPT:
        act(&variant_add(vs)->actions, "set_field:%#x/%#x->reg7",
            IPT_FLAG_STOP, IPT_FLAG_STOP);
        break;

    case IPT_T_DROP:
    case IPT_T_REJECT:
        act(&variant_add(vs)->actions, "set_field:%#x/%#x->reg7",
            IPT_FLAG_STOP | IPT_FLAG_DROP, IPT_FLAG_STOP | IPT_FLAG_DROP);
        break;

    case IPT_T_RETURN:
        v = variant_add(vs);
        if (cc->chain->builtin && cc->chain->policy_drop) {
            act(&v->actions, "set_field:%#x/%#x->reg7",
                IPT_FLAG_STOP | IPT_FLAG_DROP, IPT_FLAG_STOP | IPT_FLAG_DROP);
        }
        break;

    case IPT_T_JUMP:
        v = variant_add(vs);
        put_call(&v->actions, cr->callee);
        put_resume(&v->actions, cc, i + 1);
        break;

    case IPT_T_GOTO:
        v = variant_add(vs);
        put_call(&v->actions, cr->callee);
        if (cc->chain->builtin) {
            put_resume(&v->actions, cc, cc->chain->n_rules);
        }
        break;

    case IPT_T_DNAT: {
        bool identity = dnat_identity_variants(family, t, base, vs);

        v = variant_add(vs);
        v->fallback = identity;
        put_dnat(ctx, &v->actions, family, cr->rule->proto, t,
                 &t->addr_min, &t->addr_max);
        break;
    }

    case IPT_T_REDIRECT:
    case IPT_T_MASQUERADE: {
        /* To (from) the address of the input (output) interface. */
        enum ipt_field field = (t->type == IPT_T_REDIRECT ? IPT_F_IN_PORT
                                : IPT_F_OUT_PORT);

        for (size_t p = 0; p < topo->n_ports; p++) {
            const struct ipt_addr *a = ipt_port_first_addr(&topo->ports[p],
                                                           family);
            struct ipt_term term;

            ipt_term_init(&term);
            ipt_term_set(&term, field, topo->ports[p].ofport, UINT32_MAX);
            if (!a || !dnf_meets(base, &term)) {
                continue;
            }
            v = variant_add(vs);
            v->term = term;
            if (t->type == IPT_T_REDIRECT) {
                put_dnat(ctx, &v->actions, family, cr->rule->proto, t,
                         &a->addr, &a->addr);
            } else {
                put_snat(ctx, &v->actions, family, t, &a->addr, &a->addr);
            }
        }
        /* An interface without an address: netfilter drops the packet. */
        if (!dnf_has_port_addr(ctx, base, field, family)) {
            v = variant_add(vs);
            v->fallback = true;
            act(&v->actions, "set_field:%#x/%#x->reg7",
                IPT_FLAG_STOP | IPT_FLAG_DROP, IPT_FLAG_STOP | IPT_FLAG_DROP);
        }
        break;
    }

    case IPT_T_SNAT:
        put_snat(ctx, &variant_add(vs)->actions, family, t, &t->addr_min,
                 &t->addr_max);
        break;

    case IPT_T_MARK:
        if (!mark_variants(ctx, cc, cr, "pkt_mark", IPT_F_PKT_MARK,
                           t->value, t->mask, 0, vs)) {
            return false;
        }
        for (size_t k = 0; k < vs->n; k++) {
            put_resume(&vs->v[k].actions, cc, i + 1);
        }
        break;

    case IPT_T_CONNMARK:
        if (!mark_variants(ctx, cc, cr, "reg8", IPT_F_CONNMARK, t->value,
                           t->mask, IPT_FLAG_CONNMARK, vs)) {
            return false;
        }
        for (size_t k = 0; k < vs->n; k++) {
            put_resume(&vs->v[k].actions, cc, i + 1);
        }
        break;

    case IPT_T_SAVE_MARK:
    case IPT_T_RESTORE_MARK:
        ds_init(&bits);
        put_bits(&bits, t->mask);
        v = variant_add(vs);
        if (t->type == IPT_T_SAVE_MARK) {
            act(&v->actions, "move:pkt_mark%s->reg8%s", ds_cstr(&bits),
                ds_cstr(&bits));
            act(&v->actions, "set_field:%#x/%#x->reg7", IPT_FLAG_CONNMARK,
                IPT_FLAG_CONNMARK);
        } else {
            act(&v->actions, "move:reg8%s->pkt_mark%s", ds_cstr(&bits),
                ds_cstr(&bits));
        }
        ds_destroy(&bits);
        put_resume(&v->actions, cc, i + 1);
        break;

    case IPT_T_NOTRACK:
        v = variant_add(vs);
        act(&v->actions, "set_field:%#x/%#x->reg7", IPT_FLAG_NOTRACK,
            IPT_FLAG_NOTRACK);
        put_resume(&v->actions, cc, i + 1);
        break;

    case IPT_T_NONE:
    case IPT_T_LOG:
    default:
        OVS_NOT_REACHED();
    }
    return true;
}

/* The terms that select rule 'i' of 'cc': its chain id and the resume
 * points from which it is still ahead. */
static void
chain_dnf(const struct cchain *cc, size_t i, struct ipt_dnf *dnf)
{
    uint32_t id = (uint32_t) cc->id << 16;

    ipt_dnf_init(dnf);
    if (cc->n_resume <= 1) {
        dnf_add_term_field(dnf, IPT_F_CHAIN, id, UINT32_MAX);
        return;
    } else if (cc->n_resume <= 16) {
        dnf_add_term_field(dnf, IPT_F_CHAIN, id,
                           0xffff0000 | 1u << cc->seg[i]);
        return;
    }
    ipt_dnf_add_range(dnf, IPT_F_CHAIN, 0, cc->seg[i], 16);
    for (size_t k = 0; k < dnf->n; k++) {
        dnf->terms[k].value[IPT_F_CHAIN] |= id;
        dnf->terms[k].mask[IPT_F_CHAIN] |= 0xffff0000;
    }
}

static void
emit_rule(struct cctx *ctx, struct cchain *cc, size_t i)
{
    struct crule *cr = &cc->rules[i];
    int family = cc->crs->family;
    int table = chain_table(cc);
    int prio = PRIO_RULE0 - 3 * i;
    int line = cr->rule->line;
    struct ipt_dnf base;
    struct variants vs = { NULL, 0 };

    if (cr->skip) {
        emit_comment(ctx, "line %d: %s (left out: unsupported)", line,
                     cr->rule->text);
        return;
    } else if (cr->dead) {
        emit_comment(ctx, "line %d: %s (%s)", line, cr->rule->text,
                     cr->dead_why);
        return;
    }
    chain_dnf(cc, i, &base);
    ipt_dnf_and(&base, &cr->pos, SIZE_MAX);
    if (!target_variants(ctx, cc, i, &base, &vs)) {
        emit_comment(ctx, "line %d: %s (left out: unsupported)", line,
                     cr->rule->text);
        variants_destroy(&vs);
        ipt_dnf_destroy(&base);
        return;
    }
    emit_comment(ctx, "line %d: %s", line, cr->rule->text);

    /* Skip flows: the rule's other matches hold but a negated one does
     * not, so the chain goes on after the rule. */
    struct ds resume = DS_EMPTY_INITIALIZER;
    put_resume(&resume, cc, i + 1);
    for (size_t s = 0; s < cr->n_skips; s++) {
        for (size_t k = 0; k < base.n; k++) {
            for (size_t j = 0; j < cr->skips[s].n; j++) {
                struct ipt_term term;

                if (ipt_term_intersect(&term, &base.terms[k],
                                       &cr->skips[s].terms[j])) {
                    emit_term_flow(ctx, family, table, prio + 2, line, &term,
                                   ds_cstr(&resume));
                }
            }
        }
    }
    ds_destroy(&resume);

    for (size_t k = 0; k < base.n; k++) {
        for (size_t j = 0; j < vs.n; j++) {
            struct ipt_term term;

            if (ipt_term_intersect(&term, &base.terms[k], &vs.v[j].term)) {
                emit_term_flow(ctx, family, table,
                               prio + (vs.v[j].fallback ? 0 : 1), line, &term,
                               ds_cstr(&vs.v[j].actions));
            }
        }
    }
    ipt_dnf_destroy(&base);
    variants_destroy(&vs);
}

static void
emit_chain(struct cctx *ctx, struct cchain *cc)
{
    const struct ipt_chain *chain = cc->chain;

    emit_comment(ctx, "chain %s %s (%s, id %#x)%s",
                 ipt_table_name(chain->table), chain->name,
                 cc->crs->family == AF_INET ? "IPv4" : "IPv6", cc->id,
                 !chain->builtin ? ""
                 : chain->policy_drop ? ", policy DROP" : ", policy ACCEPT");
    for (size_t i = 0; i < chain->n_rules; i++) {
        emit_rule(ctx, cc, i);
    }
    if (chain->builtin && chain->policy_drop) {
        struct ipt_term term;
        struct ds acts = DS_EMPTY_INITIALIZER;

        ipt_term_init(&term);
        ipt_term_set(&term, IPT_F_CHAIN, (uint32_t) cc->id << 16,
                     0xffff0000);
        act(&acts, "set_field:%#x/%#x->reg7", IPT_FLAG_STOP | IPT_FLAG_DROP,
            IPT_FLAG_STOP | IPT_FLAG_DROP);
        emit_term_flow(ctx, cc->crs->family, chain_table(cc), 1, chain->line,
                       &term, ds_cstr(&acts));
        ds_destroy(&acts);
    }
}

static void
emit_chains(struct cctx *ctx)
{
    for (int level = 0; level < ctx->n_levels; level++) {
        int table = IPT_TABLE_CHAINS + level;

        emit_comment(ctx, "Table %d: chains at call depth %d.", table, level);
        emit_flow(ctx, table, 65535, 0, "reg7=0x1/0x1", "drop");
        emit_flow(ctx, table, 65535, 0, "reg7=0x2/0x2", "drop");
        for (size_t r = 0; r < ctx->n_crs; r++) {
            struct crs *crs = &ctx->crs[r];

            for (size_t c = 0; c < crs->rs->n_chains; c++) {
                struct cchain *cc = &crs->chains[c];

                if (cc->id && cc->level == level) {
                    emit_chain(ctx, cc);
                }
            }
        }
    }
}

/* The infrastructure tables, 0 to 8. */

/* Does the host have addresses of 'family'? */
static bool
family_has_locals(const struct cctx *ctx, int family)
{
    const struct ipt_topo *topo = ctx->topo;

    for (size_t i = 0; i < topo->n_ports; i++) {
        if (ipt_port_first_addr(&topo->ports[i], family)) {
            return true;
        }
    }
    for (size_t i = 0; i < topo->n_locals; i++) {
        if (topo->locals[i].family == family) {
            return true;
        }
    }
    return false;
}

/* Does routing decide anything for 'family'? */
static bool
family_has_routes(const struct cctx *ctx, int family)
{
    for (size_t i = 0; i < ctx->topo->n_routes; i++) {
        if (ctx->topo->routes[i].family == family) {
            return true;
        }
    }
    return family_has_locals(ctx, family);
}

static bool
family_has_snat(const struct cctx *ctx, int family)
{
    for (size_t i = 0; i < ctx->n_snats; i++) {
        if (ctx->snats[i].family == family) {
            return true;
        }
    }
    return false;
}

static void
emit_ingress(struct cctx *ctx)
{
    emit_comment(ctx, "Table %d: raw PREROUTING or raw OUTPUT.",
                 IPT_TABLE_INGRESS);
    emit_flow(ctx, IPT_TABLE_INGRESS, 0, 0, "", "NORMAL");
    for (size_t r = 0; r < ctx->n_crs; r++) {
        struct crs *crs = &ctx->crs[r];
        const char *fam = family_keyword(crs->family);
        struct ds acts = DS_EMPTY_INITIALIZER;
        struct ds match = DS_EMPTY_INITIALIZER;
        bool raw_out, raw_pre;

        ds_put_format(&match, "%s,in_port=LOCAL", fam);
        raw_out = put_stage(&acts, crs, IPT_RAW, IPT_HOOK_OUT);
        act(&acts, "resubmit(,%d)", IPT_TABLE_CT);
        raw_pre = stage_active(builtin_chain(crs, IPT_RAW, IPT_HOOK_PRE));
        if (raw_out || raw_pre) {
            emit_flow(ctx, IPT_TABLE_INGRESS, 100, 0, ds_cstr(&match),
                      ds_cstr(&acts));
        }

        ds_clear(&acts);
        put_stage(&acts, crs, IPT_RAW, IPT_HOOK_PRE);
        act(&acts, "resubmit(,%d)", IPT_TABLE_CT);
        emit_flow(ctx, IPT_TABLE_INGRESS, 90, 0, fam, ds_cstr(&acts));
        ds_destroy(&acts);
        ds_destroy(&match);
    }
}

static void
emit_conntrack(struct cctx *ctx)
{
    uint16_t zone = ctx->opts->zone;
    uint16_t snat_zone = ctx->opts->snat_zone;
    bool any_raw = false;
    char *acts;

    for (size_t r = 0; r < ctx->n_crs; r++) {
        any_raw |= ctx->crs[r].rs->has_table[IPT_RAW];
    }
    emit_comment(ctx, "Table %d: conntrack, zone %"PRIu16" (SNAT zone %"
                 PRIu16" first for replies to SNAT addresses).",
                 IPT_TABLE_CT, zone, snat_zone);
    if (any_raw) {
        emit_flow(ctx, IPT_TABLE_CT, 100, 0, "reg7=0x2/0x2", "drop");
    }
    for (size_t r = 0; r < ctx->n_crs; r++) {
        const char *fam = family_keyword(ctx->crs[r].family);
        struct ds match = DS_EMPTY_INITIALIZER;

        if (ctx->crs[r].rs->has_table[IPT_RAW]) {
            ds_put_format(&match, "%s,reg7=%#x/%#x", fam, IPT_FLAG_NOTRACK,
                          IPT_FLAG_NOTRACK);
            acts = xasprintf("resubmit(,%d)", IPT_TABLE_HOOKS);
            emit_flow(ctx, IPT_TABLE_CT, 90, 0, ds_cstr(&match), acts);
            free(acts);
        }

        /* Replies to SNAT addresses: undo the SNAT first. */
        struct ipt_dnf seen;
        ipt_dnf_init(&seen);
        acts = xasprintf("ct(zone=%"PRIu16",nat,table=%d)", snat_zone,
                         IPT_TABLE_CT_MAIN);
        for (size_t i = 0; i < ctx->n_snats; i++) {
            const struct nat_entry *e = &ctx->snats[i];

            if (e->family != ctx->crs[r].family) {
                continue;
            }
            for (size_t k = 0; k < e->addrs.n; k++) {
                const struct ipt_term *t = &e->addrs.terms[k];
                bool dup = false;

                for (size_t j = 0; j < seen.n && !dup; j++) {
                    dup = !memcmp(&seen.terms[j], t, sizeof *t);
                }
                if (!dup) {
                    ipt_dnf_add(&seen, t);
                    emit_term_flow(ctx, e->family, IPT_TABLE_CT, 80, 0, t,
                                   acts);
                }
            }
        }
        free(acts);
        ipt_dnf_destroy(&seen);

        acts = xasprintf("ct(zone=%"PRIu16",nat,table=%d)", zone,
                         IPT_TABLE_HOOKS);
        emit_flow(ctx, IPT_TABLE_CT, 70, 0, fam, acts);
        if (family_has_snat(ctx, ctx->crs[r].family)) {
            emit_flow(ctx, IPT_TABLE_CT_MAIN, 0, 0, fam, acts);
        }
        free(acts);
        ds_destroy(&match);
    }
}

/* Emits the flows of one path of table 'table': 'match' with and without
 * ct_state=+new+trk, the latter without the nat stages. */
struct path_stage {
    enum ipt_table_id table;    /* IPT_N_TABLES: routing, not a chain. */
    enum ipt_hook hook;
    bool new_only;              /* nat stages run for new connections;
                                 * routing after one runs again only if
                                 * that stage ran. */
};

static void
emit_path(struct cctx *ctx, struct crs *crs, int table, int priority,
          const char *match, const struct path_stage *stages,
          size_t n_stages, const char *prefix, const char *last)
{
    struct ds acts[2] = { DS_EMPTY_INITIALIZER, DS_EMPTY_INITIALIZER };
    bool differ = false;
    bool routes = family_has_routes(ctx, crs->family);

    for (int is_new = 0; is_new < 2; is_new++) {
        bool nat_ran = false;

        if (*prefix) {
            act(&acts[is_new], "%s", prefix);
        }
        for (size_t i = 0; i < n_stages; i++) {
            const struct path_stage *st = &stages[i];

            if (st->table == IPT_N_TABLES) {
                if (routes && (!st->new_only || nat_ran)) {
                    act(&acts[is_new], "resubmit(,%d)", IPT_TABLE_ROUTE);
                }
            } else if (!st->new_only || is_new) {
                nat_ran = (put_stage(&acts[is_new], crs, st->table, st->hook)
                           && st->new_only);
                differ |= nat_ran;
            }
        }
        act(&acts[is_new], "%s", last);
    }
    if (differ) {
        char *m = xasprintf("%s,ct_state=+new+trk", match);

        emit_flow(ctx, table, priority + 10, 0, m, ds_cstr(&acts[1]));
        free(m);
    }
    emit_flow(ctx, table, priority, 0, match, ds_cstr(&acts[0]));
    ds_destroy(&acts[0]);
    ds_destroy(&acts[1]);
}

static void
emit_hooks(struct cctx *ctx)
{
    static const struct path_stage local_out[] = {
        { IPT_N_TABLES, 0, false },
        { IPT_MANGLE, IPT_HOOK_OUT, false },
        { IPT_NAT, IPT_HOOK_OUT, true },
        { IPT_N_TABLES, 0, true },
        { IPT_FILTER, IPT_HOOK_OUT, false },
        { IPT_MANGLE, IPT_HOOK_POST, false },
        { IPT_NAT, IPT_HOOK_POST, true },
    };
    static const struct path_stage received[] = {
        { IPT_MANGLE, IPT_HOOK_PRE, false },
        { IPT_NAT, IPT_HOOK_PRE, true },
        { IPT_N_TABLES, 0, false },
    };
    static const struct path_stage local_in[] = {
        { IPT_MANGLE, IPT_HOOK_IN, false },
        { IPT_FILTER, IPT_HOOK_IN, false },
        { IPT_NAT, IPT_HOOK_IN, true },
    };
    static const struct path_stage forward[] = {
        { IPT_MANGLE, IPT_HOOK_FWD, false },
        { IPT_FILTER, IPT_HOOK_FWD, false },
        { IPT_MANGLE, IPT_HOOK_POST, false },
        { IPT_NAT, IPT_HOOK_POST, true },
    };
    char *commit = xasprintf("resubmit(,%d)", IPT_TABLE_COMMIT);
    char *path = xasprintf("resubmit(,%d)", IPT_TABLE_PATH);
    const char *copy_mark = ctx->connmark_used ? "move:ct_mark->reg8" : "";

    emit_comment(ctx, "Table %d: hooks of received (PREROUTING) and locally "
                 "generated (OUTPUT, POSTROUTING) packets.", IPT_TABLE_HOOKS);
    for (size_t r = 0; r < ctx->n_crs; r++) {
        struct crs *crs = &ctx->crs[r];
        const char *fam = family_keyword(crs->family);
        char *match = xasprintf("%s,in_port=LOCAL", fam);

        emit_path(ctx, crs, IPT_TABLE_HOOKS, 20, match, local_out,
                  ARRAY_SIZE(local_out), copy_mark, commit);
        emit_path(ctx, crs, IPT_TABLE_HOOKS, 0, fam, received,
                  ARRAY_SIZE(received), copy_mark, path);
        free(match);
    }

    emit_comment(ctx, "Table %d: routing: reg5 = output port.",
                 IPT_TABLE_ROUTE);
    for (size_t r = 0; r < ctx->n_crs; r++) {
        int family = ctx->crs[r].family;
        const struct ipt_topo *topo = ctx->topo;
        struct in6_addr full = ipt_addr_mask_from_plen(family,
                                                       family == AF_INET
                                                       ? 32 : 128);
        struct ipt_term term;
        char *acts;

        if (!family_has_routes(ctx, family)) {
            continue;
        }
        acts = xasprintf("set_field:%#x->reg5,set_field:%#x/%#x->reg7",
                         IPT_PORT_LOCAL, IPT_FLAG_LOCAL_IN,
                         IPT_FLAG_LOCAL_IN);
        for (size_t i = 0; i < topo->n_ports; i++) {
            for (size_t j = 0; j < topo->ports[i].n_addrs; j++) {
                const struct ipt_addr *a = &topo->ports[i].addrs[j];

                if (a->family == family) {
                    ipt_term_init(&term);
                    ipt_term_set_addr(&term, true, &a->addr, &full);
                    emit_term_flow(ctx, family, IPT_TABLE_ROUTE, 300, 0,
                                   &term, acts);
                }
            }
        }
        for (size_t i = 0; i < topo->n_locals; i++) {
            if (topo->locals[i].family == family) {
                ipt_term_init(&term);
                ipt_term_set_addr(&term, true, &topo->locals[i].addr, &full);
                emit_term_flow(ctx, family, IPT_TABLE_ROUTE, 300, 0, &term,
                               acts);
            }
        }

        /* Broadcast and multicast are for the host's stack too, if it has
         * addresses. */
        static const char *const v4_group[] = {
            "255.255.255.255", "224.0.0.0/4",
        };
        if (!family_has_locals(ctx, family)) {
            /* Nothing is local. */
        } else if (family == AF_INET) {
            for (size_t i = 0; i < ARRAY_SIZE(v4_group); i++) {
                char *m = xasprintf("ip,nw_dst=%s", v4_group[i]);

                emit_flow(ctx, IPT_TABLE_ROUTE, 300, 0, m, acts);
                free(m);
            }
        } else {
            emit_flow(ctx, IPT_TABLE_ROUTE, 300, 0, "ipv6,ipv6_dst=ff00::/8",
                      acts);
        }
        free(acts);

        for (size_t i = 0; i < topo->n_routes; i++) {
            const struct ipt_route *rt = &topo->routes[i];
            struct in6_addr mask;

            if (rt->family != family) {
                continue;
            }
            mask = ipt_addr_mask_from_plen(family, rt->plen);
            ipt_term_init(&term);
            ipt_term_set_addr(&term, true, &rt->prefix, &mask);
            acts = xasprintf("set_field:%#"PRIx32"->reg5", rt->ofport);
            /* Longest prefix first; --route before a connected route. */
            emit_term_flow(ctx, family, IPT_TABLE_ROUTE,
                           100 + 2 * rt->plen + !rt->connected, 0, &term,
                           acts);
            free(acts);
        }
    }
    emit_flow(ctx, IPT_TABLE_ROUTE, 0, 0, "", "set_field:0->reg5");

    emit_comment(ctx, "Table %d: INPUT of local traffic, FORWARD and "
                 "POSTROUTING of forwarded traffic.", IPT_TABLE_PATH);
    for (size_t r = 0; r < ctx->n_crs; r++) {
        struct crs *crs = &ctx->crs[r];
        const char *fam = family_keyword(crs->family);
        char *match = xasprintf("%s,reg7=%#x/%#x", fam, IPT_FLAG_LOCAL_IN,
                                IPT_FLAG_LOCAL_IN);

        if (family_has_locals(ctx, crs->family)) {
            emit_path(ctx, crs, IPT_TABLE_PATH, 20, match, local_in,
                      ARRAY_SIZE(local_in), "", commit);
        }
        emit_path(ctx, crs, IPT_TABLE_PATH, 0, fam, forward,
                  ARRAY_SIZE(forward), "", commit);
        free(match);
    }
    free(commit);
    free(path);
}

static void
emit_commit(struct cctx *ctx)
{
    uint16_t zone = ctx->opts->zone;
    uint16_t snat_zone = ctx->opts->snat_zone;
    const char *cm = ctx->connmark_set ? "move:reg8->ct_mark" : "";
    char *acts, *match;

    emit_comment(ctx, "Table %d: commit new connections (restoring the "
                 "pre-DNAT destination first), SNAT zone for established "
                 "SNAT'ed ones.", IPT_TABLE_COMMIT);
    emit_flow(ctx, IPT_TABLE_COMMIT, 100, 0, "reg7=0x2/0x2", "drop");
    for (size_t r = 0; r < ctx->n_crs; r++) {
        int family = ctx->crs[r].family;
        const char *fam = family_keyword(family);
        bool snat = family_has_snat(ctx, family);

        for (size_t i = 0; i < ctx->n_dnats; i++) {
            const struct nat_entry *e = &ctx->dnats[i];
            struct ds restore = DS_EMPTY_INITIALIZER;
            struct ipt_term term;
            struct ds m = DS_EMPTY_INITIALIZER;

            if (e->family != family) {
                continue;
            }
            ipt_term_init(&term);
            ipt_term_set(&term, IPT_F_CT_STATE, IPT_CS_NEW | IPT_CS_TRK,
                         IPT_CS_NEW | IPT_CS_TRK);
            if (e->has_port) {
                ipt_term_set(&term, IPT_F_NW_PROTO, e->proto, UINT32_MAX);
            }
            ipt_term_format(&term, family, &m);
            ds_put_format(&m, ",reg4=%#x/0xffff0000", (unsigned int) (i + 1)
                          << 16);
            act(&restore, "%s", family == AF_INET ? "move:reg0->ip_dst"
                : "move:xxreg0->ipv6_dst");
            if (e->has_port) {
                act(&restore, "move:reg4[0..15]->%s", l4_dst_field(e->proto));
            }
            if (snat) {
                match = xasprintf("%s,reg7=%#x/%#x", ds_cstr(&m),
                                  IPT_FLAG_SNAT, IPT_FLAG_SNAT);
                acts = xasprintf("%s,ct(commit,zone=%"PRIu16",nat(%s),"
                                 "exec(%s%sset_field:%#x->ct_label),"
                                 "table=%d)", ds_cstr(&restore), zone,
                                 e->spec, cm, *cm ? "," : "",
                                 IPT_LABEL_SNAT | IPT_LABEL_DNAT,
                                 IPT_TABLE_SNAT);
                emit_flow(ctx, IPT_TABLE_COMMIT, 60, 0, match, acts);
                free(match);
                free(acts);
            }
            acts = xasprintf("%s,ct(commit,zone=%"PRIu16",nat(%s),exec(%s%s"
                             "set_field:%#x->ct_label)),resubmit(,%d)",
                             ds_cstr(&restore), zone, e->spec, cm,
                             *cm ? "," : "", IPT_LABEL_DNAT,
                             IPT_TABLE_OUTPUT);
            emit_flow(ctx, IPT_TABLE_COMMIT, 50, 0, ds_cstr(&m), acts);
            free(acts);
            ds_destroy(&m);
            ds_destroy(&restore);
        }

        if (snat) {
            match = xasprintf("%s,ct_state=+new+trk,reg7=%#x/%#x", fam,
                              IPT_FLAG_SNAT, IPT_FLAG_SNAT);
            acts = xasprintf("ct(commit,zone=%"PRIu16",exec(%s%s"
                             "set_field:%#x->ct_label),table=%d)", zone, cm,
                             *cm ? "," : "", IPT_LABEL_SNAT, IPT_TABLE_SNAT);
            emit_flow(ctx, IPT_TABLE_COMMIT, 40, 0, match, acts);
            free(match);
            free(acts);
        }

        match = xasprintf("%s,ct_state=+new+trk", fam);
        acts = xasprintf("ct(commit,zone=%"PRIu16"%s%s%s),resubmit(,%d)",
                         zone, *cm ? ",exec(" : "", cm, *cm ? ")" : "",
                         IPT_TABLE_OUTPUT);
        emit_flow(ctx, IPT_TABLE_COMMIT, 30, 0, match, acts);
        free(match);
        free(acts);

        char *cm_commit = (*cm
                           ? xasprintf("ct(commit,zone=%"PRIu16",exec(%s)),",
                                       zone, cm)
                           : NULL);
        if (snat) {
            if (cm_commit) {
                match = xasprintf("%s,ct_state=-new-inv-rpl+trk,"
                                  "ct_label=%#x/%#x,reg7=%#x/%#x", fam,
                                  IPT_LABEL_SNAT, IPT_LABEL_SNAT,
                                  IPT_FLAG_CONNMARK, IPT_FLAG_CONNMARK);
                acts = xasprintf("%sct(zone=%"PRIu16",nat,table=%d)",
                                 cm_commit, snat_zone, IPT_TABLE_OUTPUT);
                emit_flow(ctx, IPT_TABLE_COMMIT, 25, 0, match, acts);
                free(match);
                free(acts);
            }
            match = xasprintf("%s,ct_state=-new-inv-rpl+trk,"
                              "ct_label=%#x/%#x", fam, IPT_LABEL_SNAT,
                              IPT_LABEL_SNAT);
            acts = xasprintf("ct(zone=%"PRIu16",nat,table=%d)", snat_zone,
                             IPT_TABLE_OUTPUT);
            emit_flow(ctx, IPT_TABLE_COMMIT, 20, 0, match, acts);
            free(match);
            free(acts);
        }
        if (cm_commit) {
            match = xasprintf("%s,ct_state=-new-inv+trk,reg7=%#x/%#x", fam,
                              IPT_FLAG_CONNMARK, IPT_FLAG_CONNMARK);
            acts = xasprintf("%sresubmit(,%d)", cm_commit, IPT_TABLE_OUTPUT);
            emit_flow(ctx, IPT_TABLE_COMMIT, 15, 0, match, acts);
            free(match);
            free(acts);
        }
        free(cm_commit);
    }
    acts = xasprintf("resubmit(,%d)", IPT_TABLE_OUTPUT);
    emit_flow(ctx, IPT_TABLE_COMMIT, 0, 0, "", acts);
    free(acts);

    if (ctx->n_snats) {
        emit_comment(ctx, "Table %d: SNAT of new connections.",
                     IPT_TABLE_SNAT);
    }
    for (size_t i = 0; i < ctx->n_snats; i++) {
        const struct nat_entry *e = &ctx->snats[i];

        match = xasprintf("%s,reg7=%#x/0xffff0000", family_keyword(e->family),
                          (unsigned int) (i + 1) << 16);
        acts = xasprintf("ct(commit,zone=%"PRIu16",nat(%s)),resubmit(,%d)",
                         snat_zone, e->spec, IPT_TABLE_OUTPUT);
        emit_flow(ctx, IPT_TABLE_SNAT, 10, 0, match, acts);
        free(match);
        free(acts);
    }
}

static void
emit_output(struct cctx *ctx)
{
    const struct ipt_topo *topo = ctx->topo;
    uint32_t *ports = NULL;
    size_t n = 0;

    /* Every port that routing can choose. */
    for (size_t i = 0; i < topo->n_routes; i++) {
        if (topo->routes[i].ofport != IPT_ROUTE_NORMAL) {
            ports = xrealloc(ports, (n + 1) * sizeof *ports);
            ports[n++] = topo->routes[i].ofport;
        }
    }
    bool locals = topo->n_locals > 0;
    for (size_t i = 0; i < topo->n_ports; i++) {
        locals |= topo->ports[i].n_addrs > 0;
    }
    if (locals) {
        ports = xrealloc(ports, (n + 1) * sizeof *ports);
        ports[n++] = IPT_PORT_LOCAL;
    }

    emit_comment(ctx, "Table %d: output to the routed port.",
                 IPT_TABLE_OUTPUT);
    emit_flow(ctx, IPT_TABLE_OUTPUT, 0, 0, "", "NORMAL");
    for (size_t i = 0; i < n; i++) {
        bool dup = false;

        for (size_t j = 0; j < i; j++) {
            dup |= ports[j] == ports[i];
        }
        if (dup) {
            continue;
        }

        char *port = (ports[i] == IPT_PORT_LOCAL ? xstrdup("LOCAL")
                      : xasprintf("%"PRIu32, ports[i]));
        char *match = xasprintf("reg5=%#"PRIx32",in_port=%s", ports[i], port);
        emit_flow(ctx, IPT_TABLE_OUTPUT, 20, 0, match, "IN_PORT");
        free(match);
        match = xasprintf("reg5=%#"PRIx32, ports[i]);
        char *acts = (ports[i] == IPT_PORT_LOCAL ? xstrdup("LOCAL")
                      : xasprintf("output:%s", port));
        emit_flow(ctx, IPT_TABLE_OUTPUT, 10, 0, match, acts);
        free(match);
        free(acts);
        free(port);
    }
    free(ports);
}

/* Main entry point. */

void
ipt_compile_options_init(struct ipt_compile_options *opts)
{
    opts->zone = 1;
    opts->snat_zone = 2;
    opts->topo = NULL;
    opts->comments = true;
}

static void
crs_init(struct crs *crs, struct ipt_ruleset *rs)
{
    crs->rs = rs;
    crs->family = rs->family;
    crs->chains = xcalloc(rs->n_chains ? rs->n_chains : 1,
                          sizeof *crs->chains);
    for (size_t c = 0; c < rs->n_chains; c++) {
        struct cchain *cc = &crs->chains[c];
        struct ipt_chain *chain = rs->chains[c];

        cc->chain = chain;
        cc->crs = crs;
        cc->rules = xcalloc(chain->n_rules ? chain->n_rules : 1,
                            sizeof *cc->rules);
        for (size_t i = 0; i < chain->n_rules; i++) {
            cc->rules[i].rule = &chain->rules[i];
            ipt_dnf_init(&cc->rules[i].pos);
        }
    }
}

static void
crs_destroy(struct crs *crs)
{
    for (size_t c = 0; c < crs->rs->n_chains; c++) {
        struct cchain *cc = &crs->chains[c];

        for (size_t i = 0; i < cc->chain->n_rules; i++) {
            struct crule *cr = &cc->rules[i];

            ipt_dnf_destroy(&cr->pos);
            for (size_t s = 0; s < cr->n_skips; s++) {
                ipt_dnf_destroy(&cr->skips[s]);
            }
            free(cr->skips);
        }
        free(cc->rules);
        free(cc->pc_of);
        free(cc->seg);
    }
    free(crs->chains);
}

static void
nat_entries_destroy(struct nat_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(entries[i].spec);
        ipt_dnf_destroy(&entries[i].addrs);
    }
    free(entries);
}

static bool
ipt_compile__(struct cctx *ctx, size_t n_errors)
{
    for (size_t r = 0; r < ctx->n_crs; r++) {
        struct crs *crs = &ctx->crs[r];
        struct cchain **stack;

        resolve_jumps(ctx, crs);
        stack = xmalloc((crs->rs->n_chains + 1) * sizeof *stack);
        for (size_t c = 0; c < crs->rs->n_chains; c++) {
            if (crs->chains[c].color == WHITE
                && !find_loops(ctx, &crs->chains[c], stack, 0)) {
                break;
            }
        }
        free(stack);
    }
    if (ctx->diag->n_errors > n_errors) {
        return false;
    }

    for (size_t r = 0; r < ctx->n_crs; r++) {
        struct crs *crs = &ctx->crs[r];

        for (size_t c = 0; c < crs->rs->n_chains; c++) {
            struct cchain *cc = &crs->chains[c];

            if (cc->chain->builtin) {
                mark_hook(cc, STAGE_BIT(cc->chain->hook));
            }
        }
        for (size_t c = 0; c < crs->rs->n_chains; c++) {
            if (crs->chains[c].hooks) {
                compile_chain_rules(ctx, &crs->chains[c]);
            }
        }
    }
    if (ctx->diag->n_errors > n_errors || !number_chains(ctx)) {
        return false;
    }
    for (size_t r = 0; r < ctx->n_crs; r++) {
        for (size_t c = 0; c < ctx->crs[r].rs->n_chains; c++) {
            place_resume_points(&ctx->crs[r].chains[c]);
        }
    }

    /* The chains come last in the output but are generated first, because
     * they allocate the NAT ids that tables 1, 6 and 7 use. */
    struct ds chains = DS_EMPTY_INITIALIZER;
    struct ds *out = ctx->out;

    ctx->out = &chains;
    emit_chains(ctx);
    ctx->out = out;
    if (ctx->diag->n_errors > n_errors) {
        ds_destroy(&chains);
        return false;
    }

    for (size_t r = 0; r < ctx->n_crs; r++) {
        emit_comment(ctx, "%s rules from %s.",
                     ctx->crs[r].family == AF_INET ? "IPv4" : "IPv6",
                     ctx->crs[r].rs->file_name);
    }
    emit_ingress(ctx);
    emit_conntrack(ctx);
    emit_hooks(ctx);
    emit_commit(ctx);
    emit_output(ctx);
    ds_put_buffer(out, chains.string, chains.length);
    ds_destroy(&chains);
    return true;
}

/* Compiles 'rulesets' (at most one per address family) into flows appended
 * to 'flows'.  Returns true if successful; otherwise the errors are in
 * 'diag' and 'flows' is unchanged.  Rules left out because of
 * 'diag->skip_unsupported' are listed in 'diag'. */
bool
ipt_compile(struct ipt_ruleset *const rulesets[], size_t n_rulesets,
            const struct ipt_compile_options *opts, struct ds *flows,
            struct ipt_diag *diag)
{
    struct ipt_topo empty_topo;
    struct cctx ctx;
    size_t n_errors = diag->n_errors;
    bool ok;

    ipt_topo_init(&empty_topo);
    memset(&ctx, 0, sizeof ctx);
    ctx.opts = opts;
    ctx.topo = opts->topo ? opts->topo : &empty_topo;
    ctx.diag = diag;
    ctx.out = flows;

    if (n_rulesets > 2
        || (n_rulesets == 2 && rulesets[0]->family == rulesets[1]->family)) {
        ipt_diag_error(diag, rulesets[0]->file_name, 0,
                       "at most one ruleset per address family");
        return false;
    }
    if (opts->zone == opts->snat_zone) {
        ipt_diag_error(diag, n_rulesets ? rulesets[0]->file_name : "-", 0,
                       "the SNAT zone must differ from the zone");
        return false;
    }
    for (size_t r = 0; r < n_rulesets; r++) {
        crs_init(&ctx.crs[ctx.n_crs++], rulesets[r]);
    }

    size_t old_length = flows->length;
    ok = ipt_compile__(&ctx, n_errors);
    if (!ok) {
        ds_truncate(flows, old_length);
    }

    for (size_t r = 0; r < ctx.n_crs; r++) {
        crs_destroy(&ctx.crs[r]);
    }
    nat_entries_destroy(ctx.dnats, ctx.n_dnats);
    nat_entries_destroy(ctx.snats, ctx.n_snats);
    ipt_topo_destroy(&empty_topo);
    return ok;
}
