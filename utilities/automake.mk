# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

## ------------------------------------------------------------- ##
## ctdp-bench: the engine benchmark against Open vSwitch 3.1's.   ##
## ------------------------------------------------------------- ##
bin_PROGRAMS += utilities/ctdp-bench
utilities_ctdp_bench_SOURCES = \
	utilities/ctdp-bench.c \
	utilities/bench-clock.c \
	utilities/bench-clock.h \
	utilities/bench-engine.c \
	utilities/bench-engine.h \
	utilities/bench-packets.c \
	utilities/bench-packets.h \
	utilities/bench-workloads.c \
	utilities/bench-workloads.h
utilities_ctdp_bench_LDADD = lib/libctdp-engine.la $(OVS_LIBS)
# The program replaces libopenvswitch's time_msec() and time_poll() (see
# utilities/bench-clock.h), which works only if it exports them.
utilities_ctdp_bench_LDFLAGS = $(AM_LDFLAGS) -export-dynamic
man_MANS += utilities/ctdp-bench.1
EXTRA_DIST += utilities/ctdp-bench.1
