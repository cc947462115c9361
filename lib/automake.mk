# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

## ------------------------------------------------------------ ##
## The conntrack engine: tuples, sharded table, L4 trackers,    ##
## NAT, zones and limits, timeouts, expiry, dump and flush.     ##
## ------------------------------------------------------------ ##
noinst_LTLIBRARIES += lib/libctdp-engine.la
lib_libctdp_engine_la_SOURCES = \
	lib/ct.c \
	lib/ct.h \
	lib/ct-conn.c \
	lib/ct-conn.h \
	lib/ct-dump.c \
	lib/ct-expire.c \
	lib/ct-l4.c \
	lib/ct-l4.h \
	lib/ct-nat.c \
	lib/ct-nat.h \
	lib/ct-persist.c \
	lib/ct-persist.h \
	lib/ct-private.h \
	lib/ct-sctp.c \
	lib/ct-sctp.h \
	lib/ct-shard.c \
	lib/ct-shard.h \
	lib/ct-tcp.c \
	lib/ct-tcp.h \
	lib/ct-timeout.c \
	lib/ct-timeout.h \
	lib/ct-tuple.c \
	lib/ct-tuple.h \
	lib/ct-zone.c \
	lib/ct-zone.h
