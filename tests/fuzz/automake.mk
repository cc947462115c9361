# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

## ------------------------------------------------------------ ##
## libFuzzer harnesses of the conntrack engine (--enable-fuzz). ##
## ------------------------------------------------------------ ##

# Built when configured with CC=clang --enable-fuzz.  Each harness compiles
# its own copy of the engine with libFuzzer's coverage instrumentation, ASan
# and UBSan, whatever flags the rest of the build uses.
#
#   make fuzz-run [FUZZ_SECONDS=60] [FUZZ_FLAGS='-jobs=1 ...']
#
# replays each input of tests/fuzz/regress-<harness>/ (inputs that once
# found a bug), then fuzzes each harness for FUZZ_SECONDS seconds on a
# scratch copy of its seed corpus in tests/fuzz/run-<harness>/, prints the
# number of executions, and fails on any crash, leak, UBSan report or
# timeout (artifacts in tests/fuzz/run-*/artifacts/, logs beside them).
# 'make fuzz-clean' removes the scratch directories.

EXTRA_DIST += \
	tests/fuzz/make-seeds.py \
	tests/fuzz/corpus-packet \
	tests/fuzz/corpus-ops \
	tests/fuzz/regress-ops

FUZZ_SECONDS = 60
FUZZ_FLAGS =
# Per-harness libFuzzer options: longest input and per-input time limit.
FUZZ_PACKET_FLAGS = -max_len=1600 -timeout=60
FUZZ_OPS_FLAGS = -max_len=512 -timeout=60

if CTDP_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz-ct-packet tests/fuzz/fuzz-ct-ops

# The engine and the harnesses' decoders carry libFuzzer's coverage
# instrumentation; the shared checking code only the sanitizers (its
# comparisons would cost time and tell the fuzzer nothing about the engine).
FUZZ_SAN_FLAGS = -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CC_FLAGS = $(AM_CFLAGS) $(FUZZ_SAN_FLAGS) -fsanitize=fuzzer-no-link
FUZZ_LD_FLAGS = $(AM_LDFLAGS) $(FUZZ_SAN_FLAGS) -fsanitize=fuzzer
FUZZ_LIBS = tests/fuzz/libfuzz-util.la $(OVS_LIBS)

noinst_LTLIBRARIES += tests/fuzz/libfuzz-util.la
tests_fuzz_libfuzz_util_la_SOURCES = \
	tests/fuzz/fuzz-util.c \
	tests/fuzz/fuzz-util.h
tests_fuzz_libfuzz_util_la_CFLAGS = $(AM_CFLAGS) $(FUZZ_SAN_FLAGS)

tests_fuzz_fuzz_ct_packet_SOURCES = \
	tests/fuzz/fuzz-ct-packet.c $(lib_libctdp_engine_la_SOURCES)
tests_fuzz_fuzz_ct_packet_CFLAGS = $(FUZZ_CC_FLAGS)
tests_fuzz_fuzz_ct_packet_LDFLAGS = $(FUZZ_LD_FLAGS)
tests_fuzz_fuzz_ct_packet_LDADD = $(FUZZ_LIBS)

tests_fuzz_fuzz_ct_ops_SOURCES = \
	tests/fuzz/fuzz-ct-ops.c $(lib_libctdp_engine_la_SOURCES)
tests_fuzz_fuzz_ct_ops_CFLAGS = $(FUZZ_CC_FLAGS)
tests_fuzz_fuzz_ct_ops_LDFLAGS = $(FUZZ_LD_FLAGS)
tests_fuzz_fuzz_ct_ops_LDADD = $(FUZZ_LIBS)

# For each harness: replay the regression inputs, then fuzz a scratch copy
# of the corpus.
fuzz-run: tests/fuzz/fuzz-ct-packet tests/fuzz/fuzz-ct-ops
	@status=0; \
	for name in packet ops; do \
	  prog=tests/fuzz/fuzz-ct-$$name; \
	  work=tests/fuzz/run-$$name; \
	  case $$name in \
	    packet) flags='$(FUZZ_PACKET_FLAGS)';; \
	    ops) flags='$(FUZZ_OPS_FLAGS)';; \
	  esac; \
	  rm -rf $$work && $(MKDIR_P) $$work/corpus $$work/artifacts || exit 1; \
	  cp $(srcdir)/tests/fuzz/corpus-$$name/* $$work/corpus/ || exit 1; \
	  for input in `ls $(srcdir)/tests/fuzz/regress-$$name/* 2>/dev/null`; \
	  do \
	    log=$$work/regress-`basename $$input`.log; \
	    if ! $$prog $$flags $$input > $$log 2>&1; then \
	      echo "fuzz-ct-$$name: FAILED on regression input $$input:"; \
	      grep -E 'violated|runtime error|ERROR: [A-Za-z]+Sanitizer' \
	        $$log | head -n 5; \
	      status=1; \
	    fi; \
	  done; \
	  if $$prog $$flags -max_total_time=$(FUZZ_SECONDS) \
	       -print_final_stats=1 -artifact_prefix=$$work/artifacts/ \
	       $(FUZZ_FLAGS) $$work/corpus > $$work/log 2>&1; then \
	    result=ok; \
	  else \
	    result=FAILED; status=1; \
	  fi; \
	  execs=`sed -n 's/^stat::number_of_executed_units: *//p' $$work/log`; \
	  echo "fuzz-ct-$$name: $$result, $${execs:-?} executions in" \
	       "$(FUZZ_SECONDS) s (log: $$work/log)"; \
	  if test $$result != ok; then \
	    grep -E 'violated|ERROR|runtime error|SUMMARY|Test unit written' \
	      $$work/log | head -n 20; \
	  fi; \
	done; \
	exit $$status
else
fuzz-run:
	@echo "configure with CC=clang --enable-fuzz to build the" \
	     "fuzz harnesses" >&2; \
	exit 1
endif
.PHONY: fuzz-run

fuzz-clean:
	rm -rf tests/fuzz/run-packet tests/fuzz/run-ops
.PHONY: fuzz-clean
