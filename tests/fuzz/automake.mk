# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

## ------------------------------------------------------------ ##
## libFuzzer harnesses of the conntrack engine (--enable-fuzz). ##
## ------------------------------------------------------------ ##

# Built when configured with CC=clang --enable-fuzz.  The harnesses link a
# copy of the engine compiled with libFuzzer's coverage instrumentation,
# ASan and UBSan, whatever flags the rest of the build uses (Open vSwitch's
# library is not instrumented).
#
#   make fuzz-regress
#
# runs each harness once over every input of its seed corpus
# tests/fuzz/corpus-<harness>/ and of tests/fuzz/regress-<harness>/ (inputs
# that once found a bug), without fuzzing;
#
#   make fuzz-run [FUZZ_SECONDS=60] [FUZZ_FLAGS='...']
#
# does the same, then fuzzes each harness for FUZZ_SECONDS seconds on a
# scratch copy of its seed corpus in tests/fuzz/run-<harness>/ (the source
# tree's corpus is never written), prints the number of executions, and
# fails on any crash, leak, UBSan report or timeout (artifacts in
# tests/fuzz/run-*/artifacts/, logs beside them).  'make fuzz-clean'
# removes the scratch directories.

EXTRA_DIST += \
	tests/fuzz/make-seeds.py \
	tests/fuzz/corpus-packet \
	tests/fuzz/corpus-ops \
	tests/fuzz/regress-packet \
	tests/fuzz/regress-ops

FUZZ_SECONDS = 60
FUZZ_FLAGS =
# Per-harness libFuzzer options: longest input and per-input time limit.
FUZZ_PACKET_FLAGS = -max_len=1600 -timeout=60
FUZZ_OPS_FLAGS = -max_len=512 -timeout=60
# Any UBSan report ends the run with a stack trace; so does a leak.
FUZZ_ENV = UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ASAN_OPTIONS=detect_leaks=1

if CTDP_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz-ct-packet tests/fuzz/fuzz-ct-ops

# The engine and the harnesses' decoders carry libFuzzer's coverage
# instrumentation; the shared checking code only the sanitizers (its
# comparisons would cost time and tell the fuzzer nothing about the engine).
FUZZ_SAN_FLAGS = -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CC_FLAGS = $(AM_CFLAGS) $(FUZZ_SAN_FLAGS) -fsanitize=fuzzer-no-link
FUZZ_LD_FLAGS = $(AM_LDFLAGS) $(FUZZ_SAN_FLAGS) -fsanitize=fuzzer
FUZZ_LIBS = tests/fuzz/libfuzz-engine.la tests/fuzz/libfuzz-util.la \
	$(OVS_LIBS)

noinst_LTLIBRARIES += tests/fuzz/libfuzz-engine.la tests/fuzz/libfuzz-util.la
tests_fuzz_libfuzz_engine_la_SOURCES = $(lib_libctdp_engine_la_SOURCES)
tests_fuzz_libfuzz_engine_la_CFLAGS = $(FUZZ_CC_FLAGS)

# fuzz-ct-ops links a copy of the engine without comparison tracing.  Its
# inputs are decoded by the harness into a small world of hosts, ports and
# zones, so the engine's comparisons have nothing to teach the mutator; the
# tracing calls made up a quarter of the harness's time (table scans in the
# per-step dumps compare every pointer they follow).  Edge coverage stays.
noinst_LTLIBRARIES += tests/fuzz/libfuzz-engine-ops.la
tests_fuzz_libfuzz_engine_ops_la_SOURCES = $(lib_libctdp_engine_la_SOURCES)
tests_fuzz_libfuzz_engine_ops_la_CFLAGS = $(FUZZ_CC_FLAGS) \
	-fno-sanitize-coverage=trace-cmp

tests_fuzz_libfuzz_util_la_SOURCES = \
	tests/fuzz/fuzz-util.c \
	tests/fuzz/fuzz-util.h
tests_fuzz_libfuzz_util_la_CFLAGS = $(AM_CFLAGS) $(FUZZ_SAN_FLAGS)

tests_fuzz_fuzz_ct_packet_SOURCES = tests/fuzz/fuzz-ct-packet.c
tests_fuzz_fuzz_ct_packet_CFLAGS = $(FUZZ_CC_FLAGS)
tests_fuzz_fuzz_ct_packet_LDFLAGS = $(FUZZ_LD_FLAGS)
tests_fuzz_fuzz_ct_packet_LDADD = $(FUZZ_LIBS)

tests_fuzz_fuzz_ct_ops_SOURCES = tests/fuzz/fuzz-ct-ops.c
tests_fuzz_fuzz_ct_ops_CFLAGS = $(FUZZ_CC_FLAGS)
tests_fuzz_fuzz_ct_ops_LDFLAGS = $(FUZZ_LD_FLAGS)
tests_fuzz_fuzz_ct_ops_LDADD = tests/fuzz/libfuzz-engine-ops.la \
	tests/fuzz/libfuzz-util.la $(OVS_LIBS)

# Each input of the corpus and of the regression directory, once, in one
# process per harness (libFuzzer runs each file it is given once and stops
# at the first failure, after naming the input it was running).
fuzz-regress: tests/fuzz/fuzz-ct-packet tests/fuzz/fuzz-ct-ops
	@status=0; \
	for name in packet ops; do \
	  prog=tests/fuzz/fuzz-ct-$$name; \
	  work=tests/fuzz/run-$$name; \
	  log=$$work/replay.log; \
	  case $$name in \
	    packet) flags='$(FUZZ_PACKET_FLAGS)';; \
	    ops) flags='$(FUZZ_OPS_FLAGS)';; \
	  esac; \
	  $(MKDIR_P) $$work || exit 1; \
	  inputs=`ls -d $(srcdir)/tests/fuzz/corpus-$$name/* \
	             $(srcdir)/tests/fuzz/regress-$$name/* 2>/dev/null`; \
	  n=`echo "$$inputs" | grep -c .`; \
	  if $(FUZZ_ENV) $$prog $$flags $$inputs > $$log 2>&1; then \
	    echo "fuzz-ct-$$name: replayed $$n inputs, 0 failed"; \
	  else \
	    echo "fuzz-ct-$$name: replayed $$n inputs, 1 failed (log: $$log):"; \
	    grep -E '^Running:' $$log | tail -n 1; \
	    grep -E 'violated|runtime error|ERROR: [A-Za-z]+Sanitizer|SUMMARY' \
	      $$log | head -n 5; \
	    status=1; \
	  fi; \
	done; \
	exit $$status

# Replays, then fuzzes a scratch copy of each corpus.
fuzz-run: fuzz-regress
	@status=0; \
	for name in packet ops; do \
	  prog=tests/fuzz/fuzz-ct-$$name; \
	  work=tests/fuzz/run-$$name; \
	  case $$name in \
	    packet) flags='$(FUZZ_PACKET_FLAGS)';; \
	    ops) flags='$(FUZZ_OPS_FLAGS)';; \
	  esac; \
	  rm -rf $$work/corpus $$work/artifacts $$work/log; \
	  $(MKDIR_P) $$work/corpus $$work/artifacts || exit 1; \
	  cp $(srcdir)/tests/fuzz/corpus-$$name/* $$work/corpus/ || exit 1; \
	  if $(FUZZ_ENV) $$prog $$flags -max_total_time=$(FUZZ_SECONDS) \
	       -print_final_stats=1 -artifact_prefix=$$work/artifacts/ \
	       $(FUZZ_FLAGS) $$work/corpus > $$work/log 2>&1; then \
	    result=ok; \
	  else \
	    result=FAILED; status=1; \
	  fi; \
	  execs=`sed -n 's/^stat::number_of_executed_units: *//p' $$work/log`; \
	  rate=`sed -n 's/^stat::average_exec_per_sec: *//p' $$work/log`; \
	  echo "fuzz-ct-$$name: $$result, $${execs:-?} executions" \
	       "($${rate:-?}/s) in at most $(FUZZ_SECONDS) s (log: $$work/log)"; \
	  if test $$result != ok; then \
	    grep -E 'violated|ERROR|runtime error|SUMMARY|Test unit written' \
	      $$work/log | head -n 20; \
	  fi; \
	done; \
	exit $$status
else
fuzz-run fuzz-regress:
	@echo "configure with CC=clang --enable-fuzz to build the" \
	     "fuzz harnesses" >&2; \
	exit 1
endif
.PHONY: fuzz-run fuzz-regress

fuzz-clean:
	rm -rf tests/fuzz/run-packet tests/fuzz/run-ops
.PHONY: fuzz-clean
