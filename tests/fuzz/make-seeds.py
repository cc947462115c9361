#! /usr/bin/env python3
# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora of the conntrack fuzz harnesses.

    tests/fuzz/make-seeds.py [DIR]

creates DIR/corpus-packet/ (inputs of fuzz-ct-packet: a 4-byte header that
selects the ct() arguments, then Ethernet frames) and DIR/corpus-ops/
(inputs of fuzz-ct-ops: a configuration byte, then operations), DIR being
tests/fuzz by default.  The encodings are described at the top of
fuzz-ct-packet.c and fuzz-ct-ops.c; keep the three files in step.  Output
is deterministic: rerunning the script rewrites the same files.
"""

import os
import struct
import sys

# ---------------------------------------------------------------------------
# Checksums.


def csum(data):
    """Internet checksum of 'data' (ones' complement of the ones' complement
    sum)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return table


CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---------------------------------------------------------------------------
# Addresses and headers.


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    """fd00::1 style addresses (one '::' at most)."""
    head, _, tail = s.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    words = h + [0] * (8 - len(h) - len(t)) + t
    return struct.pack("!8H", *words)


MAC_A = bytes([0x02, 0, 0, 0, 0, 0x01])
MAC_B = bytes([0x02, 0, 0, 0, 0, 0x02])

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def eth(ethertype, payload, vlan=None):
    hdr = MAC_A + MAC_B
    if vlan is not None:
        hdr += struct.pack("!HH", 0x8100, vlan)
    return hdr + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, l4, options=b"", frag=0, tot_len=None, ttl=64):
    ihl = 5 + len(options) // 4
    if tot_len is None:
        tot_len = ihl * 4 + len(l4)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot_len, 0x1234, frag,
                      ttl, proto, 0, ip4(src), ip4(dst)) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def pseudo4(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, proto, length):
    return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, proto)


def ipv6(src, dst, nxt, payload, ext=b""):
    return (struct.pack("!IHBB", 6 << 28, len(ext) + len(payload), nxt, 64)
            + ip6(src) + ip6(dst) + ext + payload)


def l4_fill(l4, proto, pseudo, csum_ofs):
    """Returns 'l4' with the checksum at 'csum_ofs' filled in over 'pseudo'
    plus the message."""
    l4 = l4[:csum_ofs] + b"\0\0" + l4[csum_ofs + 2:]
    c = csum(pseudo + l4)
    if proto == 17 and c == 0:
        c = 0xFFFF
    return l4[:csum_ofs] + struct.pack("!H", c) + l4[csum_ofs + 2:]


def tcp(sport, dport, flags, seq=0, ack=0, win=8192, payload=b"",
        options=b""):
    off = 5 + len(options) // 4
    return struct.pack("!HHIIHHHH", sport, dport, seq, ack,
                       (off << 12) | flags, win, 0, 0) + options + payload


def udp(sport, dport, payload=b"", length=None):
    if length is None:
        length = 8 + len(payload)
    return struct.pack("!HHHH", sport, dport, length, 0) + payload


def sctp(sport, dport, vtag, chunk_type, itag=0):
    chunk = struct.pack("!BBHIIHHI", chunk_type, 0, 20, itag, 0x10000, 1, 1,
                        1)
    hdr = struct.pack("!HHII", sport, dport, vtag, 0)
    body = hdr + chunk
    return body[:8] + struct.pack("<I", crc32c(body)) + body[12:]


def icmp4(type_, code, rest):
    msg = struct.pack("!BBH", type_, code, 0) + rest
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def icmp6(src, dst, type_, code, rest):
    msg = struct.pack("!BBH", type_, code, 0) + rest
    return l4_fill(msg, 58, pseudo6(src, dst, 58, len(msg)), 2)


def tcp4_frame(src, dst, sport, dport, flags, seq=0, ack=0, payload=b"",
               options=b"", win=8192):
    seg = tcp(sport, dport, flags, seq, ack, win, payload, options)
    seg = l4_fill(seg, 6, pseudo4(src, dst, 6, len(seg)), 16)
    return eth(0x0800, ipv4(src, dst, 6, seg))


def tcp6_frame(src, dst, sport, dport, flags, seq=0, ack=0, payload=b""):
    seg = tcp(sport, dport, flags, seq, ack, 8192, payload)
    seg = l4_fill(seg, 6, pseudo6(src, dst, 6, len(seg)), 16)
    return eth(0x86DD, ipv6(src, dst, 6, seg))


def udp4_packet(src, dst, sport, dport, payload=b"x" * 8, zero_csum=False):
    dgram = udp(sport, dport, payload)
    if not zero_csum:
        dgram = l4_fill(dgram, 17, pseudo4(src, dst, 17, len(dgram)), 6)
    return ipv4(src, dst, 17, dgram)


def udp4_frame(src, dst, sport, dport, payload=b"x" * 8, zero_csum=False):
    return eth(0x0800, udp4_packet(src, dst, sport, dport, payload,
                                   zero_csum))


def udp6_packet(src, dst, sport, dport, payload=b"x" * 8, ext=b"", nxt=17):
    dgram = udp(sport, dport, payload)
    dgram = l4_fill(dgram, 17, pseudo6(src, dst, 17, len(dgram)), 6)
    return ipv6(src, dst, nxt, dgram, ext)


def udp6_frame(src, dst, sport, dport, payload=b"x" * 8):
    return eth(0x86DD, udp6_packet(src, dst, sport, dport, payload))


def echo4(src, dst, type_, ident, seq=1):
    return eth(0x0800, ipv4(src, dst, 1,
                            icmp4(type_, 0, struct.pack("!HH", ident, seq)
                                  + b"ping")))


def echo6(src, dst, type_, ident, seq=1):
    return eth(0x86DD, ipv6(src, dst, 58,
                            icmp6(src, dst, type_, 0,
                                  struct.pack("!HH", ident, seq) + b"ping")))


def error4(router, type_, code, quoted_ip):
    """ICMPv4 error from 'router' about 'quoted_ip' (its IPv4 packet), sent
    to the quoted packet's source."""
    dst = ".".join(str(b) for b in quoted_ip[12:16])
    return eth(0x0800, ipv4(router, dst, 1,
                            icmp4(type_, code, b"\0" * 4 + quoted_ip)))


def error6(router, type_, code, quoted_ip6):
    words = struct.unpack("!8H", quoted_ip6[8:24])
    dst = ":".join("%x" % w for w in words)
    return eth(0x86DD, ipv6(router, dst, 58,
                            icmp6(router, dst, type_, code,
                                  b"\0" * 4 + quoted_ip6)))


# ---------------------------------------------------------------------------
# fuzz-ct-packet inputs.

NAT_NONE, NAT_SNAT, NAT_DNAT, NAT_ARGLESS = range(4)
DL_AUTO, DL_IP4, DL_IP6 = 0, 2, 3
BATCH_ONE, BATCH_COPIES, BATCH_FRAMES, BATCH_RECIRC = range(4)


def pkt_header(commit=False, nat=NAT_NONE, force=False, dl=DL_AUTO,
               batch=BATCH_ONE, zone=0, nat_range=0, nat_flags=None,
               mark=False, step=0, extra=0, offload=0, pre_invalid=False,
               other_zone=False, tp_id=0, seq_chk_off=False):
    b0 = int(commit) | nat << 1 | int(force) << 3 | dl << 4 | batch << 6
    b1 = (zone | nat_range << 2 | int(nat_flags is not None) << 5
          | int(mark) << 6)
    b2 = step | (nat_flags or 0) << 2 | extra << 5
    b3 = (offload | int(pre_invalid) << 3 | int(other_zone) << 4
          | tp_id << 5 | int(seq_chk_off) << 7)
    return bytes([b0, b1, b2, b3])


def raw_range(min_addr, max_addr, min_port, max_port):
    """The 36-byte NAT range of nat_range() variant 7."""
    return (min_addr.ljust(16, b"\0") + max_addr.ljust(16, b"\0")
            + struct.pack("!HH", min_port, max_port))


def frames(*fs):
    """Batch of different frames: count byte, then a length byte before
    every frame but the last."""
    out = bytes([len(fs) - 2])
    for f in fs[:-1]:
        assert len(f) < 256
        out += bytes([len(f)]) + f
    return out + fs[-1]


def packet_seeds():
    c4, s4, r4 = "10.0.0.1", "10.0.0.2", "192.0.2.1"
    c6, s6, r6 = "fd00::1", "fd00::2", "2001:db8::1"
    syn = tcp4_frame(c4, s4, 40000, 80, TCP_SYN, seq=1000,
                     options=bytes([2, 4, 5, 0xb4, 1, 3, 3, 7]))
    synack = tcp4_frame(s4, c4, 80, 40000, TCP_SYN | TCP_ACK, seq=5000,
                        ack=1001, options=bytes([2, 4, 5, 0xb4, 1, 3, 3, 7]))
    ack = tcp4_frame(c4, s4, 40000, 80, TCP_ACK, seq=1001, ack=5001)
    data = tcp4_frame(c4, s4, 40000, 80, TCP_ACK | TCP_PSH, seq=1001,
                      ack=5001, payload=b"GET / HTTP/1.0\r\n\r\n")
    fin = tcp4_frame(c4, s4, 40000, 80, TCP_FIN | TCP_ACK, seq=1019,
                     ack=5001)
    rst = tcp4_frame(s4, c4, 80, 40000, TCP_RST, seq=5001)
    udp_a = udp4_frame(c4, s4, 5353, 53)
    udp_b = udp4_frame(s4, c4, 53, 5353)
    inner_udp4 = udp4_packet(c4, s4, 5353, 53)
    inner_tcp4 = ipv4(c4, s4, 6, tcp(40000, 80, TCP_SYN, 1000))
    inner_echo4 = ipv4(c4, s4, 1, icmp4(8, 0, struct.pack("!HH", 7, 1)))
    inner_udp6 = udp6_packet(c6, s6, 5353, 53)
    inner_tcp6 = ipv6(c6, s6, 6, tcp(40000, 80, TCP_SYN, 1000))
    hbh = bytes([17, 0, 1, 4, 0, 0, 0, 0])      # Hop-by-hop, PadN.
    frag6 = struct.pack("!BBHI", 17, 0, 1, 0x1234)   # First fragment.
    v4_range = raw_range(ip4("10.9.0.1"), ip4("10.9.0.2"), 2000, 2001)
    v6_range = raw_range(ip6("fd00::9:1"), ip6("fd00::9:2"), 2000, 2001)

    return {
        # TCP over IPv4.
        "tcp4-syn-commit": pkt_header(commit=True) + syn,
        "tcp4-syn-snat": pkt_header(commit=True, nat=NAT_SNAT, nat_range=2)
        + syn,
        "tcp4-syn-dnat": pkt_header(commit=True, nat=NAT_DNAT, nat_range=3)
        + syn,
        "tcp4-syn-nat-argless": pkt_header(commit=True, nat=NAT_ARGLESS)
        + syn,
        "tcp4-synack-nocommit": pkt_header() + synack,
        "tcp4-ack-commit": pkt_header(commit=True) + ack,
        "tcp4-handshake-batch-snat": pkt_header(commit=True, nat=NAT_SNAT,
                                                nat_range=1,
                                                batch=BATCH_FRAMES)
        + frames(syn, synack, ack, data),
        "tcp4-close-batch": pkt_header(commit=True, batch=BATCH_FRAMES)
        + frames(syn, synack, ack, fin, rst),
        "tcp4-syn-mark-label": pkt_header(commit=True, mark=True, zone=1)
        + syn,
        "tcp4-syn-seqchk-off": pkt_header(commit=True, seq_chk_off=True)
        + data,
        "tcp4-truncated": pkt_header(commit=True) + syn[:14 + 20 + 12],
        "tcp4-force-reply": pkt_header(commit=True, force=True) + synack,
        # TCP over IPv6.
        "tcp6-syn-snat": pkt_header(commit=True, nat=NAT_SNAT, nat_range=2)
        + tcp6_frame(c6, s6, 40000, 443, TCP_SYN, seq=7),
        "tcp6-handshake-batch": pkt_header(commit=True, batch=BATCH_FRAMES)
        + frames(tcp6_frame(c6, s6, 40000, 443, TCP_SYN, seq=7),
                 tcp6_frame(s6, c6, 443, 40000, TCP_SYN | TCP_ACK, seq=9,
                            ack=8),
                 tcp6_frame(c6, s6, 40000, 443, TCP_ACK, seq=8, ack=10)),
        # UDP.
        "udp4-snat-zero": pkt_header(commit=True, nat=NAT_SNAT, nat_range=0)
        + udp_a,
        "udp4-dnat-copies": pkt_header(commit=True, nat=NAT_DNAT,
                                       nat_range=2, batch=BATCH_COPIES,
                                       extra=3) + udp_a,
        "udp4-request-reply": pkt_header(commit=True, batch=BATCH_FRAMES)
        + frames(udp_a, udp_b),
        "udp4-recirc-argless": pkt_header(commit=True, nat=NAT_SNAT,
                                          nat_range=1, batch=BATCH_RECIRC,
                                          extra=2 << 1) + udp_a,
        "udp4-recirc-other-zone": pkt_header(commit=True, nat=NAT_DNAT,
                                             nat_range=1, batch=BATCH_RECIRC,
                                             extra=1 | 3 << 1) + udp_a,
        "udp4-recirc-cached": pkt_header(commit=True, batch=BATCH_RECIRC)
        + udp_a,
        "udp4-zero-csum-snat": pkt_header(commit=True, nat=NAT_SNAT,
                                          nat_range=2)
        + udp4_frame(c4, s4, 5353, 53, zero_csum=True),
        "udp4-random-hash": pkt_header(commit=True, nat=NAT_SNAT,
                                       nat_range=4, nat_flags=3) + udp_a,
        "udp4-persistent": pkt_header(commit=True, nat=NAT_SNAT, nat_range=6,
                                      nat_flags=4) + udp_a,
        "udp4-reversed-range": pkt_header(commit=True, nat=NAT_DNAT,
                                          nat_range=5) + udp_a,
        "udp4-raw-range": pkt_header(commit=True, nat=NAT_SNAT, nat_range=7)
        + v4_range + udp_a,
        "udp6-raw-range": pkt_header(commit=True, nat=NAT_DNAT, nat_range=7)
        + v6_range + udp6_frame(c6, s6, 5353, 53),
        "udp6-dnat": pkt_header(commit=True, nat=NAT_DNAT, nat_range=1,
                                zone=3) + udp6_frame(c6, s6, 5353, 53),
        "udp4-ip-options": pkt_header(commit=True)
        + eth(0x0800, ipv4(c4, s4, 17,
                           l4_fill(udp(1, 2, b"abcd"), 17,
                                   pseudo4(c4, s4, 17, 12), 6),
                           options=bytes([1, 1, 1, 0]))),
        "udp4-fragment": pkt_header(commit=True)
        + eth(0x0800, ipv4(c4, s4, 17, udp(1, 2, b"abcd"), frag=0x2000)),
        "udp4-vlan": pkt_header(commit=True)
        + eth(0x0800, udp4_packet(c4, s4, 1, 2), vlan=10),
        "udp4-bad-csum-offload-good": pkt_header(commit=True, offload=1)
        + udp4_frame(c4, s4, 5353, 53)[:-1] + b"y",
        "udp4-ip-csum-bad-flag": pkt_header(commit=True, offload=2) + udp_a,
        "udp4-pre-invalid": pkt_header(commit=True, pre_invalid=True)
        + udp_a,
        "udp4-other-zone": pkt_header(commit=True, other_zone=True,
                                      zone=2) + udp_a,
        "udp4-dltype-mismatch": pkt_header(commit=True, dl=DL_IP6) + udp_a,
        "udp4-short-ip": pkt_header(commit=True)
        + eth(0x0800, ipv4(c4, s4, 17, udp(1, 2, b"abcd"), tot_len=200)),
        "udp6-hop-by-hop": pkt_header(commit=True)
        + eth(0x86DD, udp6_packet(c6, s6, 1, 2, ext=hbh, nxt=0)),
        "udp6-fragment": pkt_header(commit=True)
        + eth(0x86DD, udp6_packet(c6, s6, 1, 2, ext=frag6, nxt=44)),
        # ICMP.
        "icmp4-echo-snat": pkt_header(commit=True, nat=NAT_SNAT,
                                      nat_range=2) + echo4(c4, s4, 8, 77),
        "icmp4-echo-exchange": pkt_header(commit=True, batch=BATCH_FRAMES)
        + frames(echo4(c4, s4, 8, 77), echo4(s4, c4, 0, 77)),
        "icmp4-timestamp": pkt_header(commit=True) + echo4(c4, s4, 13, 5),
        "icmp4-echo-reply-alone": pkt_header(commit=True)
        + echo4(s4, c4, 0, 77),
        "icmp4-unreach-udp": pkt_header(commit=True, batch=BATCH_FRAMES,
                                        nat=NAT_SNAT, nat_range=1)
        + frames(udp_a, error4(r4, 3, 3, inner_udp4)),
        "icmp4-ttl-tcp": pkt_header(commit=True, batch=BATCH_FRAMES)
        + frames(syn, error4(r4, 11, 0, inner_tcp4[:28])),
        "icmp4-unreach-echo": pkt_header(commit=True, batch=BATCH_FRAMES,
                                         nat=NAT_DNAT, nat_range=1)
        + frames(echo4(c4, s4, 8, 7), error4(r4, 3, 1, inner_echo4)),
        "icmp6-echo-snat": pkt_header(commit=True, nat=NAT_SNAT, nat_range=2)
        + echo6(c6, s6, 128, 9),
        "icmp6-unreach-udp": pkt_header(commit=True, batch=BATCH_FRAMES)
        + frames(udp6_frame(c6, s6, 5353, 53),
                 error6(r6, 1, 4, inner_udp6)),
        "icmp6-too-big-tcp": pkt_header(commit=True, batch=BATCH_FRAMES,
                                        nat=NAT_SNAT, nat_range=1)
        + frames(tcp6_frame(c6, s6, 40000, 80, TCP_SYN, seq=1000),
                 error6(r6, 2, 0, inner_tcp6)),
        # SCTP and others.
        "sctp4-init": pkt_header(commit=True)
        + eth(0x0800, ipv4(c4, s4, 132, sctp(5000, 6000, 0, 1, itag=0x11))),
        "sctp4-init-exchange": pkt_header(commit=True, batch=BATCH_FRAMES)
        + frames(eth(0x0800, ipv4(c4, s4, 132,
                                  sctp(5000, 6000, 0, 1, itag=0x11))),
                 eth(0x0800, ipv4(s4, c4, 132,
                                  sctp(6000, 5000, 0x11, 2, itag=0x22)))),
        "sctp6-init-dnat": pkt_header(commit=True, nat=NAT_DNAT, nat_range=2)
        + eth(0x86DD, ipv6(c6, s6, 132, sctp(5000, 6000, 0, 1, itag=0x11))),
        "gre4-snat": pkt_header(commit=True, nat=NAT_SNAT, nat_range=1)
        + eth(0x0800, ipv4(c4, s4, 47, b"\0\0\x08\0abcd")),
        "gre6": pkt_header(commit=True)
        + eth(0x86DD, ipv6(c6, s6, 47, b"\0\0\x86\xddabcd")),
        # Not IP, too short.
        "arp": pkt_header(commit=True)
        + eth(0x0806, bytes.fromhex("0001080006040001") + MAC_A + ip4(c4)
              + b"\0" * 6 + ip4(s4)),
        "runt": pkt_header(commit=True) + b"\x02\0\0\0\0",
        "empty": pkt_header(commit=True),
    }


# ---------------------------------------------------------------------------
# fuzz-ct-ops inputs.

(OP_PACKET, OP_RECIRC, OP_SWEEP, OP_FLUSH, OP_LIMIT, OP_POLICY, OP_SEQ_CHK,
 OP_PROBE, OP_DUMP_ZONE, OP_STATS, OP_BATCH, OP_PERSIST) = (0, 4, 5, 6, 7, 8,
                                                           9, 10, 11, 12, 13,
                                                           14)
P_TCP, P_UDP, P_ICMP, P_SCTP, P_OTHER, P_ERROR = 0, 1, 2, 3, 4, 7
# TCP kinds: (i) initiator, (r) responder.
SYN, SYNACK, ACK_I, DATA_I, FIN_I, ACK_R, RAW, FIN_R = range(8)
# SCTP kinds.
INIT, INIT_ACK, COOKIE_ECHO, COOKIE_ACK, DATA, SHUTDOWN, SHUTDOWN_ACK, \
    SHUTDOWN_COMPLETE = range(8)
# ICMP kinds (IPv4 types; IPv6 uses echo request/reply by parity).
ECHO, ECHO_REPLY, TIMESTAMP, TIMESTAMP_REPLY, INFO, INFO_REPLY = range(6)
# nat_spec() indexes: hosts and ports are indexes into the world's tables.
N_NONE = 0
N_SNAT_RANGE = 1        # SNAT to hosts 2-3, ports 0-1.
N_SNAT_ONE = 2          # SNAT to host 0, ports kept.
N_SNAT_ZERO = 3         # SNAT keeping address and port unless they clash.
N_DNAT_ONE = 4          # DNAT to host 1, port 2.
N_DNAT_RANGE = 5        # DNAT to hosts 2-3, ports kept.
N_SNAT_ONEPORT = 6      # SNAT keeping address, to port 0.
N_ARGLESS = 7           # "nat" without arguments.


def ops_cfg(shards=1, max_conns=1, seq_chk_off=False, acct=False):
    """Configuration byte: shards index (1, 2, 4, 8 shards), max_conns
    index (4, 16, 64, 1000)."""
    return bytes([shards | max_conns << 2 | int(seq_chk_off) << 4
                  | int(acct) << 5])


def desc(proto=P_UDP, v6=False, src=0, dst=1, sport=0, dport=2, zone=0,
         commit=False, force=False, nat=N_NONE, kind=0, mark=False, tp=0):
    a = proto << 5 | int(v6) << 4 | src << 2 | dst
    b = sport << 6 | dport << 4 | zone << 2 | int(commit) << 1 | int(force)
    c = nat << 5 | kind << 2 | int(mark) << 1 | tp
    return bytes([a, b, c])


def pkt(param=0, **kw):
    """A packet operation; 'param' bits: NAT random, hash, persistent,
    label."""
    return bytes([param << 4 | OP_PACKET]) + desc(**kw)


def conversation(proto, kinds, v6=False, zone=0, nat=N_NONE, client=(0, 0),
                 server=(1, 2), client_seen=None, server_target=None,
                 first_param=0):
    """Packets of one connection: 'kinds' lists (kind, from_responder).
    The first packet commits with 'nat'; later ones use "nat" without
    arguments if 'nat' binds.  'client_seen' is the (host, port) the
    server sees after SNAT, 'server_target' the one the client sends to
    before DNAT."""
    client_seen = client_seen or client
    server_target = server_target or server
    out = b""
    for i, (kind, from_responder) in enumerate(kinds):
        if from_responder:
            (src, sport), (dst, dport) = server, client_seen
        else:
            (src, sport), (dst, dport) = client, server_target
        out += pkt(param=first_param if i == 0 else 0, proto=proto, v6=v6,
                   src=src, sport=sport, dst=dst, dport=dport, zone=zone,
                   commit=(i == 0), kind=kind,
                   nat=nat if i == 0 else (N_ARGLESS if nat else N_NONE))
    return out


TCP_LIFE = [(SYN, False), (SYNACK, True), (ACK_I, False), (DATA_I, False),
            (ACK_R, True), (FIN_I, False), (FIN_R, True), (ACK_I, False)]
SCTP_LIFE = [(INIT, False), (INIT_ACK, True), (COOKIE_ECHO, False),
             (COOKIE_ACK, True), (DATA, False), (SHUTDOWN, False),
             (SHUTDOWN_ACK, True), (SHUTDOWN_COMPLETE, False)]
REQ_REPLY = [(0, False), (0, True), (0, False)]
ECHO_PAIR = [(ECHO, False), (ECHO_REPLY, True), (ECHO, False)]


def sweep(jump=0, full=True, budget=0):
    """Clock jump index (0, 1 ms, 999 ms, 10 s, 61 s, 5 min, 1 h, 5 days);
    complete sweeps take budget 'budget % 3' of the large ones."""
    return bytes([(jump | int(full) << 3) << 4 | OP_SWEEP, budget])


def flush(kind, b=0):
    return bytes([kind << 4 | OP_FLUSH, b])


def limit(kind, zone=0, value=1):
    return bytes([kind << 4 | OP_LIMIT, zone | value << 2])


def policy(id_=1, delete=False, present=0xFFFFFFFF, values=1):
    return (bytes([(id_ | int(delete) << 1) << 4 | OP_POLICY])
            + struct.pack("!I", present) + bytes([values]))


def recirc(zone_change=False, nat_mode=0, commit=False, b=0):
    param = int(zone_change) | nat_mode << 1 | int(commit) << 3
    return bytes([param << 4 | OP_RECIRC, b])


def probe(reply, idx=0):
    return bytes([int(reply) << 4 | OP_PROBE, idx])


def batch(descs, nat_flags=False):
    param = (len(descs) - 2) | int(nat_flags) << 3
    return bytes([param << 4 | OP_BATCH]) + b"".join(desc(**d)
                                                     for d in descs)


def persist(mode, keep=False, flips=(), records=()):
    """ct_save()/ct_restore(): mode 0 round trip, 1 flipped bytes with the
    checksum fixed, 2 without, 3 records from the input."""
    out = bytes([(mode | int(keep) << 2) << 4 | OP_PERSIST])
    if mode in (1, 2):
        out += bytes([len(flips) - 1]) + b"".join(
            struct.pack("!HB", ofs, xor) for ofs, xor in flips)
    elif mode == 3:
        out += bytes([len(records) - 1]) + b"".join(records)
    return out


def persist_record(orig, reply, zone=0, nat=0, flags=0, mark=0,
                   remaining=30000, l4_status=0):
    """A record of the ct_save() file format (see lib/ct-persist.h); tuples
    are (src, dst, sport, dport, proto, icmp_type) with 4-byte addresses."""
    def tuple_(t):
        src, dst, sport, dport, proto, icmp_type = t
        return (src.ljust(16, b"\0") + dst.ljust(16, b"\0")
                + struct.pack("!HHBBxx", sport, dport, proto, icmp_type))
    return (struct.pack("!BBBxHxxIIQQQ", flags, nat, l4_status, zone, mark,
                        0, remaining, 0, 0)
            + tuple_(orig) + tuple_(reply) + bytes(24))


HDR, REC = 32, 144


def ops_seeds():
    snat_one = dict(nat=N_SNAT_ONE, client=(2, 0), client_seen=(0, 0))
    dnat_one = dict(nat=N_DNAT_ONE, server=(1, 2), server_target=(3, 0))
    udp = dict(proto=P_UDP, src=0, dst=1, sport=0, dport=2)

    return {
        # Connection lives, plain and through NAT.
        "tcp4-life": ops_cfg() + conversation(P_TCP, TCP_LIFE)
        + sweep(jump=4),
        "tcp4-life-snat": ops_cfg() + conversation(P_TCP, TCP_LIFE,
                                                   **snat_one)
        + probe(True) + probe(False),
        "tcp6-life-dnat": ops_cfg(shards=2)
        + conversation(P_TCP, TCP_LIFE, v6=True, zone=1, **dnat_one),
        "tcp4-life-snat-range": ops_cfg()
        + conversation(P_TCP, TCP_LIFE, nat=N_SNAT_RANGE, client=(0, 2),
                       client_seen=(2, 0)),
        "tcp4-seqchk-off-raw": ops_cfg(seq_chk_off=True)
        + pkt(proto=P_TCP, kind=SYN, commit=True)
        + pkt(proto=P_TCP, kind=RAW) + bytes([0x10]) + struct.pack(
            "!IIH", 0xdeadbeef, 0x12345678, 1000)
        + bytes([1 << 4 | OP_SEQ_CHK]) + pkt(proto=P_TCP, kind=ACK_I),
        # Counters on, then off for later connections, then saved and
        # restored: a table that mixes both kinds.
        "acct-mixed": ops_cfg(acct=True) + conversation(P_TCP, TCP_LIFE)
        + bytes([(1 | 2) << 4 | OP_SEQ_CHK])
        + conversation(P_UDP, REQ_REPLY, client=(2, 1))
        + persist(0) + bytes([(1 | 2 | 4) << 4 | OP_SEQ_CHK])
        + conversation(P_UDP, REQ_REPLY, v6=True),
        "tcp4-reopen": ops_cfg() + conversation(P_TCP, TCP_LIFE)
        + sweep(jump=2, full=False)
        + pkt(proto=P_TCP, kind=SYN, commit=True),
        "tcp4-force": ops_cfg()
        + pkt(proto=P_TCP, kind=SYN, commit=True)
        + pkt(proto=P_TCP, src=1, dst=0, sport=2, dport=0, kind=SYN,
              commit=True, force=True),
        "tcp4-rst": ops_cfg() + conversation(P_TCP, TCP_LIFE[:3])
        + pkt(proto=P_TCP, kind=RAW) + bytes([0x04]) + struct.pack(
            "!IIH", 1000001, 0, 0),
        "udp4-request-reply": ops_cfg() + conversation(P_UDP, REQ_REPLY)
        + sweep(jump=4) + sweep(jump=3),
        "udp4-snat": ops_cfg() + conversation(P_UDP, REQ_REPLY, **snat_one),
        "udp6-dnat": ops_cfg(shards=3)
        + conversation(P_UDP, REQ_REPLY, v6=True, zone=2, **dnat_one),
        "udp4-dnat-persistent": ops_cfg()
        + conversation(P_UDP, REQ_REPLY, nat=N_DNAT_RANGE, first_param=4)
        + pkt(param=4, proto=P_UDP, src=0, dst=2, sport=1, dport=2,
              commit=True, nat=N_DNAT_RANGE)
        + pkt(param=3, proto=P_UDP, src=1, dst=2, sport=1, dport=2,
              commit=True, nat=N_DNAT_RANGE),
        "udp4-snat-oneport-clash": ops_cfg(max_conns=2)
        + pkt(**udp, commit=True, nat=N_SNAT_ONEPORT)
        + pkt(proto=P_UDP, src=0, dst=1, sport=1, dport=2, commit=True,
              nat=N_SNAT_ONEPORT)
        + pkt(proto=P_UDP, src=0, dst=1, sport=3, dport=2, commit=True,
              nat=N_SNAT_ONEPORT)
        + pkt(proto=P_UDP, src=1, dst=0, sport=2, dport=0, nat=N_ARGLESS),
        "udp4-snat-onto-host": ops_cfg()
        + pkt(proto=P_UDP, src=2, dst=1, commit=True, nat=N_SNAT_ONE)
        + pkt(proto=P_UDP, src=0, dst=1, commit=True)
        + pkt(proto=P_UDP, src=1, dst=0, sport=2, dport=0) + probe(True, 1),
        "udp4-self": ops_cfg()
        + pkt(proto=P_UDP, src=0, dst=0, sport=0, dport=0, commit=True)
        + pkt(proto=P_UDP, src=0, dst=0, sport=0, dport=0, nat=N_SNAT_ZERO,
              commit=True) + probe(True),
        "icmp4-echo": ops_cfg() + conversation(P_ICMP, ECHO_PAIR,
                                               client=(0, 1),
                                               server=(1, 1)),
        "icmp4-echo-snat": ops_cfg()
        + conversation(P_ICMP, ECHO_PAIR, client=(2, 1), server=(1, 1),
                       client_seen=(0, 1), nat=N_SNAT_ONE),
        "icmp4-timestamp-info": ops_cfg()
        + pkt(proto=P_ICMP, kind=TIMESTAMP, commit=True)
        + pkt(proto=P_ICMP, src=1, dst=0, kind=TIMESTAMP_REPLY)
        + pkt(proto=P_ICMP, kind=INFO, commit=True)
        + pkt(proto=P_ICMP, src=1, dst=0, kind=INFO_REPLY)
        + pkt(proto=P_ICMP, kind=ECHO_REPLY, commit=True),
        "icmp6-echo-snat": ops_cfg()
        + conversation(P_ICMP, ECHO_PAIR, v6=True, client=(0, 1),
                       server=(1, 1), nat=N_SNAT_ZERO),
        "sctp4-life": ops_cfg() + conversation(P_SCTP, SCTP_LIFE)
        + sweep(jump=3),
        "sctp6-life-snat": ops_cfg()
        + conversation(P_SCTP, SCTP_LIFE, v6=True, **snat_one),
        "other-protos": ops_cfg()
        + pkt(proto=P_OTHER, kind=0, commit=True, nat=N_SNAT_ONE)
        + pkt(proto=P_OTHER, kind=1, commit=True)
        + pkt(proto=P_OTHER, kind=2, v6=True, commit=True)
        + pkt(proto=P_OTHER, kind=3, v6=True, commit=True, nat=N_DNAT_ONE)
        + pkt(proto=P_OTHER, kind=0, src=1, dst=0),
        # ICMP errors about tracked connections.
        "error4-udp-snat": ops_cfg()
        + conversation(P_UDP, REQ_REPLY[:1], **snat_one)
        # About the request after SNAT, back to the client; about the
        # reply after un-SNAT, back to the server.
        + pkt(proto=P_ERROR, src=0, dst=1, sport=0, dport=2, kind=2,
              nat=N_ARGLESS)
        + pkt(proto=P_ERROR, src=1, dst=2, sport=2, dport=0, kind=2,
              nat=N_ARGLESS),
        "error4-echo-dnat": ops_cfg()
        + conversation(P_ICMP, ECHO_PAIR[:1], client=(0, 1),
                       server=(1, 1), server_target=(3, 1), nat=N_DNAT_ONE)
        # About the request after DNAT, back to the client.
        + pkt(proto=P_ERROR, src=0, dst=1, sport=1, dport=1, kind=4,
              nat=N_ARGLESS),
        "error6-tcp": ops_cfg()
        + conversation(P_TCP, TCP_LIFE[:2], v6=True)
        + pkt(proto=P_ERROR, v6=True, src=1, dst=0, sport=2, dport=0,
              kind=0)
        + pkt(proto=P_ERROR, v6=True, src=0, dst=1, sport=0, dport=2,
              kind=1),
        "error4-sctp": ops_cfg()
        + conversation(P_SCTP, SCTP_LIFE[:1])
        + pkt(proto=P_ERROR, src=1, dst=0, sport=2, dport=0, kind=6),
        # Table operations.
        "limits-zones": ops_cfg()
        + limit(0, zone=1, value=1) + limit(2, value=2)
        + pkt(**udp, zone=1, commit=True)
        + pkt(proto=P_UDP, src=2, dst=1, zone=1, commit=True)
        + pkt(**udp, zone=2, commit=True)
        + pkt(proto=P_UDP, src=2, dst=1, zone=2, commit=True)
        + pkt(proto=P_UDP, src=3, dst=1, zone=2, commit=True)
        + limit(1, zone=1) + limit(3),
        "limits-maxconns": ops_cfg()
        + limit(4, value=1)
        + pkt(**udp, commit=True) + pkt(proto=P_UDP, src=1, dst=0,
                                        sport=2, dport=0)
        + pkt(proto=P_UDP, src=2, dst=1, commit=True)
        + pkt(proto=P_UDP, src=3, dst=1, commit=True) + limit(4, value=0)
        + pkt(proto=P_UDP, src=3, dst=2, commit=True),
        "flushes": ops_cfg()
        + pkt(**udp, commit=True) + pkt(**udp, zone=1, commit=True)
        + pkt(proto=P_ICMP, commit=True, nat=N_SNAT_RANGE)
        + flush(2, 0) + flush(3) + desc(**udp, zone=1) + flush(4, 3)
        + flush(1, 1) + flush(0),
        "flush-nat-reply-tuple": ops_cfg()
        + conversation(P_TCP, TCP_LIFE[:3], **snat_one) + flush(2, 1),
        "policies": ops_cfg()
        + policy(values=1) + pkt(**udp, commit=True, tp=1)
        + sweep(jump=2, full=False) + sweep(jump=3)
        + policy(id_=0, present=0x3FF, values=4) + pkt(**udp, commit=True)
        + policy(delete=True) + policy(id_=0, values=0)
        + pkt(**udp, commit=True) + sweep(jump=1),
        "sweeps": ops_cfg(shards=3, max_conns=3)
        + pkt(**udp, commit=True) + pkt(proto=P_ICMP, commit=True)
        + sweep(jump=1, full=False, budget=1)
        + sweep(jump=4, full=False, budget=2)
        + sweep(jump=7, full=False, budget=4) + sweep(jump=0, budget=0),
        "recirc": ops_cfg()
        + pkt(**udp, commit=True, nat=N_SNAT_RANGE)
        + recirc(nat_mode=1) + recirc(zone_change=True, b=1, nat_mode=2,
                                      commit=True)
        + pkt(**udp, commit=True) + recirc() + recirc(nat_mode=3),
        "recirc-dnat-then-snat": ops_cfg()
        + pkt(proto=P_UDP, src=0, dst=3, sport=1, dport=0, commit=True,
              nat=N_DNAT_ONE)
        + recirc(zone_change=True, b=2 | N_SNAT_ONE << 2, nat_mode=2,
                 commit=True),
        "batch-handshake": ops_cfg()
        + batch([dict(proto=P_TCP, kind=SYN, commit=True, nat=N_SNAT_ZERO),
                 dict(proto=P_TCP, src=1, dst=0, sport=2, dport=0,
                      kind=SYNACK),
                 dict(proto=P_TCP, kind=ACK_I),
                 dict(proto=P_ERROR, src=1, dst=0, sport=2, dport=0)]),
        "batch-oneport-clash": ops_cfg()
        + batch([dict(proto=P_UDP, sport=0, commit=True,
                      nat=N_SNAT_ONEPORT),
                 dict(proto=P_UDP, sport=1), dict(proto=P_UDP, sport=3),
                 dict(proto=P_UDP, src=1, dst=0, sport=2, dport=0)]),
        "introspection": ops_cfg()
        + pkt(**udp, commit=True, zone=3) + bytes([3 << 4 | OP_DUMP_ZONE])
        + bytes([OP_STATS]) + probe(False) + probe(True)
        + limit(7, value=0),
        # Save and restore.
        "persist-round-trip": ops_cfg()
        + conversation(P_TCP, TCP_LIFE[:3], **snat_one)
        + conversation(P_UDP, REQ_REPLY, zone=1, **dnat_one)
        + pkt(param=8, proto=P_SCTP, commit=True, mark=True, zone=3)
        + pkt(proto=P_ICMP, v6=True, commit=True, nat=N_SNAT_RANGE)
        + persist(0) + conversation(P_TCP, TCP_LIFE[3:], **snat_one),
        "persist-on-top": ops_cfg()
        + conversation(P_UDP, REQ_REPLY) + persist(0, keep=True),
        "persist-flip-fixed": ops_cfg()
        + conversation(P_TCP, TCP_LIFE[:3], **snat_one)
        + pkt(proto=P_UDP, commit=True, zone=2)
        + persist(1, flips=[(HDR + 4, 0x07), (HDR + REC + 36, 0x01),
                            (HDR + 120 + 10, 0x0f)]),
        "persist-flip-stale": ops_cfg()
        + pkt(proto=P_UDP, commit=True) + persist(2, flips=[(HDR + 9, 1)]),
        "persist-records": ops_cfg()
        + persist(3, records=[
            persist_record((ip4("10.0.0.1"), ip4("10.0.0.2"), 1000, 80, 17,
                            0),
                           (ip4("10.0.0.2"), ip4("10.0.0.1"), 80, 1000, 17,
                            0), zone=7),
            persist_record((ip4("10.0.0.1"), ip4("10.0.0.2"), 1001, 80, 17,
                            0),
                           (ip4("10.0.0.2"), ip4("10.0.0.3"), 80, 1001, 17,
                            0), nat=1, flags=2, mark=5)])
        + pkt(proto=P_UDP, src=1, dst=2, sport=2, dport=1, nat=N_ARGLESS),
        "mark-label": ops_cfg()
        + pkt(param=8, **udp, commit=True, mark=True)
        + pkt(param=8, proto=P_UDP, src=1, dst=0, sport=2, dport=0,
              mark=True)
        + pkt(param=8, **udp, mark=True, nat=N_ARGLESS) + flush(0),
    }


# ---------------------------------------------------------------------------


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    write(os.path.join(top, "corpus-packet"), packet_seeds())
    write(os.path.join(top, "corpus-ops"), ops_seeds())


if __name__ == "__main__":
    main()
