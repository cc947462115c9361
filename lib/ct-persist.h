/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_PERSIST_H
#define CTDP_CT_PERSIST_H 1

/* Saving the connection table to a file and restoring it, so that
 * connections survive a restart of the datapath.
 *
 * File format, version 1 (all integers big-endian)
 * ================================================
 *
 *   header (32 bytes)
 *     0  magic      8 bytes "CTDPCONN"
 *     8  version    u32, 1
 *    12  rec_len    u32, length of one record (CT_PERSIST_REC_LEN)
 *    16  count      u64, number of records
 *    24  checksum   u32, Open vSwitch's hash_bytes() chained over the
 *                   records: h = 0, then h = hash_bytes(record, rec_len, h)
 *                   for each record.  hash_bytes() reads 32-bit words in
 *                   host order, so a file restores on hosts of the byte
 *                   order that wrote it (the use is a restart in place).
 *    28  reserved   u32, 0
 *   'count' records of 'rec_len' bytes each, nothing after them.
 *
 *   record (144 bytes)
 *     0  flags      u8: 1 = IPv6, 2 = has a translated reply tuple
 *     1  nat        u8: 0, CT_NAT_SRC or CT_NAT_DST
 *     2  l4_status  u8: UDP/other/ICMP state (0...3)
 *     3  pad        u8, 0
 *     4  zone       u16
 *     6  pad        u16, 0
 *     8  mark       u32
 *    12  tp_id      u32, timeout policy id
 *    16  remaining  u64, milliseconds until expiry (> 0)
 *    24  label      16 bytes (high 64 bits, then low 64 bits)
 *    40  orig       tuple (40 bytes, below)
 *    80  reply      tuple (40 bytes), after NAT
 *   120  l4         24 bytes: TCP: per peer seqlo u32, seqhi u32,
 *                   max_win u16, wscale u8, state u8; SCTP: vtag[0] u32,
 *                   vtag[1] u32, state u8, zeros; otherwise zeros
 *
 *   tuple: src 16 bytes, dst 16 bytes (IPv4: address then 12 zero bytes),
 *          sport 2, dport 2 (network order), proto 1, icmp_type 1, zeros 2
 *
 * Thread-safety
 * =============
 *
 * ct_save() may run while other threads process traffic: it walks the
 * shards lock-free a bucket at a time like a dump, and takes only each
 * connection's one-byte lock to copy its TCP/SCTP state.  Connections
 * committed or removed during the save may or may not be in the file; each
 * connection is written at most once.  The calling thread must be
 * registered with ovs-rcu and must not be inside an RCU-quiescent period.
 *
 * ct_restore() is meant to run on a table that is not yet carrying traffic
 * (at datapath open), but is safe against concurrent traffic: it inserts
 * under the shard locks exactly like a commit. */

#include <stdint.h>

struct ct;
struct ds;

#define CT_PERSIST_VERSION 1
#define CT_PERSIST_HDR_LEN 32
#define CT_PERSIST_REC_LEN 144

/* Writes every live connection of 'ct' (those not expired at 'now') to
 * 'path' atomically: to "'path'.tmp", fsync'ed, then renamed over 'path'
 * (and the directory fsync'ed).  Returns 0, or a positive errno value with
 * a message appended to 'err' (which may be NULL); on failure 'path' is
 * untouched.  If 'n_saved' is nonnull, stores the number of connections
 * written. */
int ct_save_ext(struct ct *, const char *path, long long now,
                struct ds *err, uint64_t *n_saved);

/* What a restore did. */
struct ct_restore_stats {
    uint64_t n_records;         /* Records in the file. */
    uint64_t n_restored;        /* Connections inserted. */
    uint64_t n_limit;           /* Refused: global or zone limit reached. */
    uint64_t n_clash;           /* Refused: tuple already in the table. */
};

/* Reads 'path' and inserts its connections into 'ct' with expiration
 * 'now' + remaining and the original and reply (NAT) tuples, mark, label,
 * timeout policy id and L4 state exactly as saved.
 *
 * The whole file is validated before anything is inserted.  Returns:
 *
 *   0        every connection was restored;
 *   ENOSPC   the file was valid, but some connections were refused because
 *            the table or their zone was full or their tuple was already
 *            taken; the others are in the table and 'err' says how many of
 *            each (this is the only outcome that leaves a partial table);
 *   ENOENT   'path' does not exist;
 *   EINVAL   the file is empty, truncated, too long, has a bad magic, a
 *            bad record length, a count that does not match its size, a bad
 *            checksum or an impossible field value (among them a tuple that
 *            no packet has, such as TCP port 0, or a reply tuple that the
 *            record's NAT action cannot have made);
 *   ENOTSUP  the file has a format version this code does not read;
 *   other    an I/O error.
 *
 * On every error other than ENOSPC nothing of the file is left in the
 * table (should the file change between validation and insertion, the
 * whole table is flushed), and 'err' (may be NULL) gets a message naming
 * 'path' and the problem.  'stats' may be NULL. */
int ct_restore_ext(struct ct *, const char *path, long long now,
                   struct ds *err, struct ct_restore_stats *stats);

#endif /* ct-persist.h */
