/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Saving and restoring the connection table (see ct-persist.h). */

#include <config.h>
#include "ct-persist.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ct-dpif.h"
#include "ct-l4.h"
#include "ct-private.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

static const char ctp_magic[8] = "CTDPCONN";

#define CTP_CHUNK 64                /* Connections per scan step. */
#define CTP_TUPLE_LEN 40
#define CTP_MAX_REMAINING (UINT32_MAX * 1000LL)

/* Big-endian encoding helpers. */

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void
put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static void
put64(uint8_t *p, uint64_t v)
{
    put32(p, v >> 32);
    put32(p + 4, v);
}

static uint16_t
get16(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
    return ((uint32_t) get16(p) << 16) | get16(p + 2);
}

static uint64_t
get64(const uint8_t *p)
{
    return ((uint64_t) get32(p) << 32) | get32(p + 4);
}

static bool
all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Tuples. */

static void
put_tuple(uint8_t *p, const struct ct_key *k)
{
    memset(p, 0, CTP_TUPLE_LEN);
    if (k->v6) {
        memcpy(p, &k->t6.src, 16);
        memcpy(p + 16, &k->t6.dst, 16);
        memcpy(p + 32, &k->t6.sport, 2);
        memcpy(p + 34, &k->t6.dport, 2);
        p[36] = k->t6.proto;
        p[37] = k->t6.icmp_type;
    } else {
        memcpy(p, &k->t4.src, 4);
        memcpy(p + 16, &k->t4.dst, 4);
        memcpy(p + 32, &k->t4.sport, 2);
        memcpy(p + 34, &k->t4.dport, 2);
        p[36] = k->t4.proto;
        p[37] = k->t4.icmp_type;
    }
}

static bool
get_tuple(const uint8_t *p, bool v6, uint16_t zone, struct ct_key *k)
{
    memset(k, 0, sizeof *k);
    k->v6 = v6;
    if (!all_zero(p + 38, 2)) {
        return false;
    }
    if (v6) {
        memcpy(&k->t6.src, p, 16);
        memcpy(&k->t6.dst, p + 16, 16);
        memcpy(&k->t6.sport, p + 32, 2);
        memcpy(&k->t6.dport, p + 34, 2);
        k->t6.proto = p[36];
        k->t6.icmp_type = p[37];
        k->t6.zone = zone;
    } else {
        if (!all_zero(p + 4, 12) || !all_zero(p + 20, 12)) {
            return false;
        }
        memcpy(&k->t4.src, p, 4);
        memcpy(&k->t4.dst, p + 16, 4);
        memcpy(&k->t4.sport, p + 32, 2);
        memcpy(&k->t4.dport, p + 34, 2);
        k->t4.proto = p[36];
        k->t4.icmp_type = p[37];
        k->t4.zone = zone;
    }
    return true;
}

static uint8_t
key_proto(const struct ct_key *k)
{
    return k->v6 ? k->t6.proto : k->t4.proto;
}

/* Whether a packet could have given tuple 'k' (see ct-tuple.h): ICMP
 * queries carry their identifier in both ports and a query or reply type,
 * TCP, UDP and SCTP two nonzero ports, every other protocol neither ports
 * nor type, and an IPv6 tuple never names an extension header that packet
 * parsing skips.  A restored connection with another tuple could never be
 * found by a packet. */
static bool
tuple_is_trackable(const struct ct_key *k)
{
    uint8_t proto = key_proto(k);
    ovs_be16 sport = k->v6 ? k->t6.sport : k->t4.sport;
    ovs_be16 dport = k->v6 ? k->t6.dport : k->t4.dport;
    uint8_t type = k->v6 ? k->t6.icmp_type : k->t4.icmp_type;

    if (ct_proto_is_icmp(k->v6, proto)) {
        return sport == dport && ct_icmp_reverse_type(k->v6, type) != type;
    }
    if (type) {
        return false;
    }
    switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_SCTP:
        return sport && dport;
    case IPPROTO_HOPOPTS:
    case IPPROTO_ROUTING:
    case IPPROTO_FRAGMENT:
    case IPPROTO_AH:
    case IPPROTO_DSTOPTS:
        if (k->v6) {
            return false;
        }
        /* fall through */
    default:
        return !sport && !dport;
    }
}

/* Whether 'reply' is what NAT action 'nat_action' (0 for none) could have
 * made of the reverse of 'orig': SNAT changes only the reply's destination
 * address and port, DNAT its source address and port and, when the
 * destination ports run out, its destination port (for ICMP, NAT changes
 * the identifier, which is both ports). */
static bool
reply_matches_nat(const struct ct_key *orig, const struct ct_key *reply,
                  uint8_t nat_action)
{
    bool icmp = ct_proto_is_icmp(orig->v6, key_proto(orig));
    bool snat = nat_action == CT_NAT_SRC;
    bool dnat = nat_action == CT_NAT_DST;
    struct ct_key expect;

    ct_key_reverse(&expect, orig);
    if (expect.v6) {
        if (snat) {
            expect.t6.dst = reply->t6.dst;
        } else if (dnat) {
            expect.t6.src = reply->t6.src;
        }
        if (dnat || (snat && icmp)) {
            expect.t6.sport = reply->t6.sport;
        }
        if (snat || dnat) {
            expect.t6.dport = reply->t6.dport;
        }
    } else {
        if (snat) {
            expect.t4.dst = reply->t4.dst;
        } else if (dnat) {
            expect.t4.src = reply->t4.src;
        }
        if (dnat || (snat && icmp)) {
            expect.t4.sport = reply->t4.sport;
        }
        if (snat || dnat) {
            expect.t4.dport = reply->t4.dport;
        }
    }
    return ct_key_equal(&expect, reply);
}

/* Records. */

static void
encode_conn(const struct ct_conn *c_, long long now, uint8_t *r)
{
    struct ct_conn *c = CONST_CAST(struct ct_conn *, c_);
    enum ct_l4_kind kind = ct_l4_kind_of_conn(c);
    ovs_u128 label = ct_conn_get_label(c);
    long long left = ct_conn_expiration(c) - now;
    union ct_l4 l4;
    struct ct_key k;

    memset(r, 0, CT_PERSIST_REC_LEN);
    r[0] = (ct_conn_is_v6(c) ? 1 : 0) | (ct_conn_has_reply_node(c) ? 2 : 0);
    r[1] = c->nat_action;
    r[2] = ct_conn_status(c) & CT_ST_L4_MASK;
    put16(r + 4, ct_conn_zone(c));
    put32(r + 8, ct_conn_get_mark(c));
    put32(r + 12, c->tp_id);
    put64(r + 16, MIN(MAX(left, 1), CTP_MAX_REMAINING));
    put64(r + 24, label.u64.hi);
    put64(r + 32, label.u64.lo);
    ct_conn_orig_key(c, &k);
    put_tuple(r + 40, &k);
    ct_conn_reply_key(c, &k);
    put_tuple(r + 80, &k);

    if (kind == CT_L4_TCP || kind == CT_L4_SCTP) {
        ct_spin_lock(&c->lock);
        l4 = c->l4;
        ct_spin_unlock(&c->lock);
    }
    if (kind == CT_L4_TCP) {
        for (int i = 0; i < 2; i++) {
            const struct ct_tcp_peer *p = &l4.tcp.peer[i];
            uint8_t *q = r + 120 + 12 * i;

            put32(q, p->seqlo);
            put32(q + 4, p->seqhi);
            put16(q + 8, p->max_win);
            q[10] = p->wscale;
            q[11] = p->state;
        }
    } else if (kind == CT_L4_SCTP) {
        put32(r + 120, l4.sctp.vtag[0]);
        put32(r + 124, l4.sctp.vtag[1]);
        r[128] = l4.sctp.state;
    }
}

/* A decoded, validated record. */
struct ctp_rec {
    struct ct_key orig;
    struct ct_key reply;
    bool reply_node;
    uint8_t nat_action;
    uint8_t l4_status;
    uint16_t zone;
    uint32_t mark;
    uint32_t tp_id;
    long long remaining;
    ovs_u128 label;
    enum ct_l4_kind kind;
    union ct_l4 l4;
};

/* Decodes record 'r' into 'rec'.  Returns NULL if it is valid, otherwise a
 * description of what is wrong. */
static const char *
decode_rec(const uint8_t *r, struct ctp_rec *rec)
{
    struct ct_key rrev;
    bool v6;

    memset(rec, 0, sizeof *rec);
    if (r[0] & ~3) {
        return "unknown flags";
    }
    v6 = r[0] & 1;
    rec->reply_node = r[0] & 2;
    rec->nat_action = r[1];
    if (rec->nat_action != 0 && rec->nat_action != CT_NAT_SRC
        && rec->nat_action != CT_NAT_DST) {
        return "bad NAT action";
    }
    rec->l4_status = r[2];
    if (rec->l4_status & ~CT_ST_L4_MASK) {
        return "bad L4 status";
    }
    if (r[3] || r[6] || r[7]) {
        return "nonzero padding";
    }
    rec->zone = get16(r + 4);
    rec->mark = get32(r + 8);
    rec->tp_id = get32(r + 12);
    if (get64(r + 16) < 1 || get64(r + 16) > CTP_MAX_REMAINING) {
        return "bad remaining time";
    }
    rec->remaining = get64(r + 16);
    rec->label.u64.hi = get64(r + 24);
    rec->label.u64.lo = get64(r + 32);
    if (!get_tuple(r + 40, v6, rec->zone, &rec->orig)
        || !get_tuple(r + 80, v6, rec->zone, &rec->reply)) {
        return "bad tuple";
    }
    if (key_proto(&rec->orig) != key_proto(&rec->reply)) {
        return "tuples of different protocols";
    }
    ct_key_reverse(&rrev, &rec->orig);
    if (rec->reply_node == ct_key_equal(&rrev, &rec->reply)) {
        return "reply tuple inconsistent with flags";
    }
    if (rec->reply_node && !rec->nat_action) {
        return "translated reply tuple without NAT";
    }
    if (!tuple_is_trackable(&rec->orig) || !tuple_is_trackable(&rec->reply)) {
        return "tuple that no packet has";
    }
    if (!reply_matches_nat(&rec->orig, &rec->reply, rec->nat_action)) {
        return "reply tuple that the NAT action cannot give";
    }

    rec->kind = ct_l4_kind(v6, key_proto(&rec->orig));
    if (rec->kind == CT_L4_TCP) {
        for (int i = 0; i < 2; i++) {
            struct ct_tcp_peer *p = &rec->l4.tcp.peer[i];
            const uint8_t *q = r + 120 + 12 * i;

            p->seqlo = get32(q);
            p->seqhi = get32(q + 4);
            p->max_win = get16(q + 8);
            p->wscale = q[10];
            p->state = q[11];
            if ((p->wscale & ~(CT_TCP_WSCALE_MASK | CT_TCP_WSCALE_UNSET
                               | CT_TCP_WSCALE_SEEN))
                || (p->wscale & CT_TCP_WSCALE_MASK) > CT_TCP_MAX_WSCALE
                || p->state > CT_DPIF_TCPS_TIME_WAIT) {
                return "bad TCP state";
            }
        }
        if (rec->l4_status) {
            return "bad L4 status";
        }
    } else if (rec->kind == CT_L4_SCTP) {
        rec->l4.sctp.vtag[0] = get32(r + 120);
        rec->l4.sctp.vtag[1] = get32(r + 124);
        rec->l4.sctp.state = r[128];
        if (rec->l4.sctp.state >= CT_DPIF_SCTP_STATE_MAX_NUM
            || !all_zero(r + 129, 15) || rec->l4_status) {
            return "bad SCTP state";
        }
    } else if (!all_zero(r + 120, 24)) {
        return "L4 state for a protocol that has none";
    }
    return NULL;
}

/* Save. */

static int
write_all(int fd, const void *buf, size_t len, off_t ofs)
{
    const char *p = buf;

    while (len) {
        ssize_t n = pwrite(fd, p, len, ofs);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        p += n;
        len -= n;
        ofs += n;
    }
    return 0;
}

static void
encode_header(uint8_t *h, uint64_t count, uint32_t checksum)
{
    memset(h, 0, CT_PERSIST_HDR_LEN);
    memcpy(h, ctp_magic, 8);
    put32(h + 8, CT_PERSIST_VERSION);
    put32(h + 12, CT_PERSIST_REC_LEN);
    put64(h + 16, count);
    put32(h + 24, checksum);
}

int
ct_save_ext(struct ct *ct, const char *path, long long now, struct ds *err,
            uint64_t *n_saved)
{
    uint8_t *buf = xmalloc(CTP_CHUNK * CT_PERSIST_REC_LEN);
    char *tmp = xasprintf("%s.tmp", path);
    struct ct_conn *conns[CTP_CHUNK];
    uint8_t hdr[CT_PERSIST_HDR_LEN];
    off_t ofs = CT_PERSIST_HDR_LEN;
    uint32_t checksum = 0;
    uint64_t count = 0;
    const char *what;
    int fd, error = 0;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = errno;
        what = "cannot create";
        goto out;
    }

    for (unsigned int i = 0; !error && i < ct->n_shards; i++) {
        struct ct_shard *shard = &ct->shards[i];
        uint32_t cursor = 0;

        do {
            size_t n = 0, m = 0;

            /* Lock-free scan, one bucket at a time, as in a dump. */
            do {
                uint32_t next = ct_shard_scan(shard, cursor, conns, &n,
                                              CTP_CHUNK);
                if (next == cursor && n) {
                    break;
                }
                cursor = next;
            } while (cursor && n < CTP_CHUNK / 2);

            for (size_t j = 0; j < n; j++) {
                uint8_t *r = buf + m * CT_PERSIST_REC_LEN;

                if (ct_conn_is_dead(conns[j])
                    || ct_conn_expired(conns[j], now)) {
                    continue;
                }
                encode_conn(conns[j], now, r);
                checksum = hash_bytes(r, CT_PERSIST_REC_LEN, checksum);
                m++;
            }
            if (m) {
                error = write_all(fd, buf, m * CT_PERSIST_REC_LEN, ofs);
                ofs += m * CT_PERSIST_REC_LEN;
                count += m;
            }
        } while (cursor && !error);
    }
    if (!error) {
        encode_header(hdr, count, checksum);
        error = write_all(fd, hdr, sizeof hdr, 0);
    }
    what = "cannot write";
    if (!error && fsync(fd)) {
        error = errno;
        what = "cannot sync";
    }
    if (close(fd) && !error) {
        error = errno;
        what = "cannot close";
    }
    if (!error && rename(tmp, path)) {
        error = errno;
        what = "cannot rename to final name";
    }
    if (!error) {
        /* Make the rename itself durable (best effort). */
        char *dir = dir_name(path);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (dfd >= 0) {
            ignore(fsync(dfd));
            close(dfd);
        }
        free(dir);
    }
    if (error) {
        unlink(tmp);
    }

out:
    if (error && err) {
        ds_put_format(err, "%s: %s: %s", tmp, what, ovs_strerror(error));
    }
    if (n_saved) {
        *n_saved = error ? 0 : count;
    }
    free(tmp);
    free(buf);
    return error;
}

int
ct_save(struct ct *ct, const char *path, long long now, struct ds *err)
{
    return ct_save_ext(ct, path, now, err, NULL);
}

/* Restore. */

/* Reads exactly 'len' bytes.  Returns 0, EOF at a short read, or errno. */
static int
read_exact(FILE *f, void *buf, size_t len)
{
    if (fread(buf, 1, len, f) == len) {
        return 0;
    }
    return ferror(f) ? (errno ? errno : EIO) : EOF;
}

/* Checks the whole of 'f': header, size, every record and the checksum.
 * Stores the record count in '*count'.  Returns 0 or an errno value with a
 * message in 'msg'. */
static int
validate(FILE *f, uint64_t *count, struct ds *msg)
{
    uint8_t hdr[CT_PERSIST_HDR_LEN];
    uint8_t rec[CT_PERSIST_REC_LEN];
    uint32_t version, rec_len, checksum = 0;
    const char *problem = NULL;
    uint64_t bad_rec = 0;
    struct ctp_rec r;
    struct stat st;
    int error;

    if (fstat(fileno(f), &st)) {
        ds_put_format(msg, "cannot stat: %s", ovs_strerror(errno));
        return errno;
    }
    if (st.st_size == 0) {
        ds_put_cstr(msg, "file is empty");
        return EINVAL;
    }
    error = read_exact(f, hdr, sizeof hdr);
    if (error) {
        if (error == EOF) {
            ds_put_format(msg, "truncated header (%lld bytes)",
                          (long long) st.st_size);
            return EINVAL;
        }
        ds_put_format(msg, "read error: %s", ovs_strerror(error));
        return error;
    }
    if (memcmp(hdr, ctp_magic, sizeof ctp_magic)) {
        ds_put_cstr(msg, "bad magic (not a connection table file)");
        return EINVAL;
    }
    version = get32(hdr + 8);
    if (version != CT_PERSIST_VERSION) {
        ds_put_format(msg, "unsupported format version %"PRIu32
                      " (expected %d)", version, CT_PERSIST_VERSION);
        return ENOTSUP;
    }
    rec_len = get32(hdr + 12);
    if (rec_len != CT_PERSIST_REC_LEN) {
        ds_put_format(msg, "bad record length %"PRIu32" (expected %d)",
                      rec_len, CT_PERSIST_REC_LEN);
        return EINVAL;
    }
    if (get32(hdr + 28)) {
        ds_put_cstr(msg, "nonzero reserved header field");
        return EINVAL;
    }
    *count = get64(hdr + 16);
    if (*count > (UINT64_MAX - CT_PERSIST_HDR_LEN) / CT_PERSIST_REC_LEN
        || (uint64_t) st.st_size
           != CT_PERSIST_HDR_LEN + *count * CT_PERSIST_REC_LEN) {
        ds_put_format(msg, "size %lld bytes does not match record count "
                      "%"PRIu64" (truncated or corrupt)",
                      (long long) st.st_size, *count);
        return EINVAL;
    }
    for (uint64_t i = 0; i < *count; i++) {
        const char *p;

        error = read_exact(f, rec, sizeof rec);
        if (error) {
            ds_put_format(msg, "record %"PRIu64": %s", i,
                          error == EOF ? "truncated" : ovs_strerror(error));
            return error == EOF ? EINVAL : error;
        }
        checksum = hash_bytes(rec, sizeof rec, checksum);
        p = decode_rec(rec, &r);
        if (p && !problem) {
            problem = p;
            bad_rec = i;
        }
    }
    /* A damaged file most likely fails the checksum; report that first,
     * and field errors only in a file whose checksum is right. */
    if (checksum != get32(hdr + 24)) {
        ds_put_format(msg, "checksum mismatch (file has %08"PRIx32
                      ", contents give %08"PRIx32")",
                      get32(hdr + 24), checksum);
        return EINVAL;
    }
    if (problem) {
        ds_put_format(msg, "record %"PRIu64": %s", bad_rec, problem);
        return EINVAL;
    }
    return 0;
}

enum insert_result {
    INSERTED,
    REFUSED_LIMIT,
    REFUSED_CLASH,
};

static enum insert_result
insert_rec(struct ct *ct, const struct ctp_rec *r, long long now)
{
    bool identity = !r->reply_node;
    struct ct_key rkey, rrev;
    struct ct_shard *a, *b;
    uint32_t hash, rhash, n;
    struct ct_conn *conn;
    bool acct;

    if (ct_zones_admit(&ct->zones, r->zone) != CT_ADMIT_OK) {
        return REFUSED_LIMIT;
    }

    ct_key_reverse(&rkey, &r->orig);
    hash = ct_key_hash(&r->orig, ct->hash_basis);
    a = ct_shard_of(ct, hash);
    if (identity) {
        rhash = hash;
        b = a;
    } else {
        ct_key_reverse(&rrev, &r->reply);
        rhash = ct_key_hash(&r->reply, ct->hash_basis);
        b = ct_shard_of(ct, rhash);
    }

    ct_shard_lock2(a, b);
    if (ct_shard_check(a, &r->orig, &rkey, hash, now, NULL) != CT_TUPLE_FREE
        || (!identity
            && ct_shard_check(b, &r->reply, &rrev, rhash, now, NULL)
               != CT_TUPLE_FREE)) {
        ct_shard_unlock2(a, b);
        ct_zones_release(&ct->zones, r->zone);
        return REFUSED_CLASH;
    }

    atomic_read_relaxed(&ct->acct, &acct);
    conn = ct_shard_alloc(a, ct_conn_class_of(r->orig.v6, !identity, acct));
    conn->node.conn_ofs = 0;
    conn->flags = ((r->orig.v6 ? CT_CONN_V6 : 0)
                   | (identity ? 0 : CT_CONN_REPLY_NODE)
                   | (acct ? CT_CONN_ACCT : 0));
    if (acct) {
        /* Counters are not saved: a restored connection counts afresh. */
        ct_conn_acct(conn)->created = now;
    }
    if (r->orig.v6) {
        conn->orig.t6 = r->orig.t6;
    } else {
        conn->orig.t4 = r->orig.t4;
    }
    conn->tp_id = r->tp_id;
    conn->nat_action = r->nat_action;
    atomic_init(&conn->mark, r->mark);
    ovsrcu_init(&conn->label, NULL);
    atomic_init(&conn->status, r->l4_status);
    atomic_init(&conn->lock.locked, 0);
    ct_spin_lock(&conn->lock);
    conn->l4 = r->l4;
    ct_spin_unlock(&conn->lock);
    if (!ovs_u128_is_zero(r->label)) {
        atomic_store_relaxed(&ct->labels_used, true);
        ct_conn_set_label(conn, OVS_U128_ZERO, r->label, OVS_U128_MAX);
    }
    atomic_init(&conn->expiration, now + r->remaining);

    if (!identity) {
        struct ct_node *node = ct_conn_reply_node(conn);

        node->conn_ofs = (char *) node - (char *) conn;
        if (r->reply.v6) {
            ((struct ct_conn_nat6 *) node)->reply = r->reply.t6;
        } else {
            ((struct ct_conn_nat4 *) node)->reply = r->reply.t4;
        }
        ct_shard_insert(b, node, rhash);
    }
    ct_shard_insert(a, &conn->node, hash);
    atomic_read_relaxed(&a->n_conns, &n);
    atomic_store_relaxed(&a->n_conns, n + 1);
    ct_shard_unlock2(a, b);
    return INSERTED;
}

int
ct_restore_ext(struct ct *ct, const char *path, long long now,
               struct ds *err, struct ct_restore_stats *stats)
{
    struct ct_restore_stats s = { 0 };
    struct ds msg = DS_EMPTY_INITIALIZER;
    uint64_t count = 0;
    int error;
    FILE *f;

    f = fopen(path, "rb");
    if (!f) {
        error = errno;
        ds_put_format(&msg, "cannot open: %s", ovs_strerror(error));
        goto out;
    }

    error = validate(f, &count, &msg);
    if (error) {
        goto out;
    }
    s.n_records = count;

    /* Second pass: the file was valid as a whole; insert. */
    if (fseeko(f, CT_PERSIST_HDR_LEN, SEEK_SET)) {
        error = errno;
        ds_put_format(&msg, "cannot seek: %s", ovs_strerror(error));
        goto out;
    }
    for (uint64_t i = 0; i < count; i++) {
        uint8_t rec[CT_PERSIST_REC_LEN];
        struct ctp_rec r;

        error = read_exact(f, rec, sizeof rec);
        if (!error && decode_rec(rec, &r)) {
            error = EINVAL;
        }
        if (error) {
            /* The file changed under us: take back everything. */
            if (error == EOF) {
                error = EINVAL;
            }
            ct_flush(ct, NULL);
            s.n_restored = s.n_limit = s.n_clash = 0;
            ds_put_format(&msg, "record %"PRIu64" changed after "
                          "validation; table flushed", i);
            goto out;
        }
        switch (insert_rec(ct, &r, now)) {
        case INSERTED:
            s.n_restored++;
            break;
        case REFUSED_LIMIT:
            s.n_limit++;
            break;
        case REFUSED_CLASH:
            s.n_clash++;
            break;
        }
    }
    for (unsigned int i = 0; i < ct->n_shards; i++) {
        ovs_mutex_lock(&ct->shards[i].mutex);
        ct_shard_retire_flush(&ct->shards[i]);
        ovs_mutex_unlock(&ct->shards[i].mutex);
    }
    if (s.n_limit || s.n_clash) {
        error = ENOSPC;
        ds_put_format(&msg, "restored %"PRIu64" of %"PRIu64" connections; "
                      "%"PRIu64" refused by the table or zone limits, "
                      "%"PRIu64" whose tuple was already taken",
                      s.n_restored, count, s.n_limit, s.n_clash);
    }

out:
    if (f) {
        fclose(f);
    }
    if (error && err) {
        ds_put_format(err, "%s: %s", path, ds_cstr(&msg));
    }
    ds_destroy(&msg);
    if (stats) {
        *stats = s;
    }
    return error;
}

int
ct_restore(struct ct *ct, const char *path, long long now, struct ds *err)
{
    return ct_restore_ext(ct, path, now, err, NULL);
}
