# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

## ---------------------------------------------------------------- ##
## Unit-test driver: one module per lib/ area, "check" / "benchmark". ##
## ---------------------------------------------------------------- ##
check_PROGRAMS += tests/ctdp-test
tests_ctdp_test_SOURCES = tests/ctdp-test.c tests/ctdp-test.h \
	$(CTDP_TEST_MODULES)
tests_ctdp_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_ctdp_test_LDADD = lib/libctdp-engine.la $(OVS_LIBS)
CTDP_TEST_MODULES = \
	tests/ct-test-packets.c \
	tests/ct-test-packets.h \
	tests/test-ct-exec.c \
	tests/test-ct-nat.c \
	tests/test-ct-persist.c \
	tests/test-ct-sctp.c \
	tests/test-ct-stress.c \
	tests/test-ct-table.c \
	tests/test-ct-tcp.c \
	tests/test-ct-zone.c

## ------------------------- ##
## The autotest test suites. ##
## ------------------------- ##

# Test files of the main suite, in the order they run.
TESTSUITE_AT = \
	tests/testsuite.at \
	tests/ctdp-macros.at \
	tests/foundation.at \
	tests/ct-engine.at \
	tests/ct-tcp.at \
	tests/ct-persist.at \
	tests/dpif-ctdp.at \
	tests/ct-datapath.at \
	tests/ct-restart.at \
	tests/ovs-equivalents.at \
	tests/iptables.at \
	tests/bench.at

EXTRA_DIST += $(TESTSUITE_AT) $(TESTSUITE) tests/atlocal.in \
	tests/package.m4 tests/ovs-vswitchd.in tests/lsan.supp tests/tsan.supp
TESTSUITE = $(srcdir)/tests/testsuite
DISTCLEANFILES += tests/atconfig tests/atlocal

AUTOTEST = $(AUTOM4TE) -l autotest
AUTOM4TE = autom4te

# Programs the suite runs, first match wins: the ovs-vswitchd wrapper that
# preloads the plugin, ctdp's own programs, then Open vSwitch's.
AUTOTEST_PATH = tests/bin:tests:utilities:$(OVS_BUILD)/utilities:$(OVS_BUILD)/vswitchd:$(OVS_BUILD)/ovsdb:$(OVS_BUILD)/tests

$(srcdir)/tests/package.m4: $(top_srcdir)/configure.ac
	$(AM_V_GEN):;{ \
	  echo '# Signature of the current package.' && \
	  echo 'm4_define([AT_PACKAGE_NAME],      [$(PACKAGE_NAME)])' && \
	  echo 'm4_define([AT_PACKAGE_TARNAME],   [$(PACKAGE_TARNAME)])' && \
	  echo 'm4_define([AT_PACKAGE_VERSION],   [$(PACKAGE_VERSION)])' && \
	  echo 'm4_define([AT_PACKAGE_STRING],    [$(PACKAGE_STRING)])' && \
	  echo 'm4_define([AT_PACKAGE_BUGREPORT], [$(PACKAGE_BUGREPORT)])'; \
	} >'$@.tmp' && mv '$@.tmp' '$@'

$(TESTSUITE): $(TESTSUITE_AT) $(srcdir)/tests/package.m4 \
	$(OVS_SOURCE)/tests/ovs-macros.at $(OVS_SOURCE)/tests/ofproto-macros.at
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -I '$(srcdir)/tests' \
	  -I '$(OVS_SOURCE)' -o $@.tmp $@.at && mv $@.tmp $@

# The wrapper through which every test starts ovs-vswitchd.
tests/bin/ovs-vswitchd: $(srcdir)/tests/ovs-vswitchd.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/bin && \
	sed -e 's|@OVS_BUILD[@]|$(OVS_BUILD)|g' \
	    -e 's|@PLUGIN[@]|$(abs_builddir)/plugin/.libs/libctdp.so|g' \
	    -e 's|@SANITIZER_RUNTIME[@]|$(CTDP_SANITIZER_RUNTIME)|g' \
	    $(srcdir)/tests/ovs-vswitchd.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
check_SCRIPTS += tests/bin/ovs-vswitchd tests/atlocal
CLEANFILES += tests/bin/ovs-vswitchd

# Builds everything the suites need without running them.
build-tests: $(check_PROGRAMS) $(check_SCRIPTS) $(TESTSUITE)
.PHONY: build-tests

check-local: tests/atconfig tests/atlocal $(TESTSUITE) $(check_PROGRAMS) \
		$(check_SCRIPTS) $(lib_LTLIBRARIES) $(bin_PROGRAMS)
	$(SHELL) '$(TESTSUITE)' -C tests AUTOTEST_PATH='$(AUTOTEST_PATH)' \
	  $(TESTSUITEFLAGS)

clean-local:
	test ! -f '$(TESTSUITE)' || $(SHELL) '$(TESTSUITE)' -C tests --clean

# The concurrency tests only (keyword "tsan"), with nothing but the unit
# program: the tsan flavour links a libopenvswitch built alone, without
# ovs-vswitchd, so neither the plugin nor the utilities are built there.
# Open vSwitch's test macros still want to print the versions of
# ovs-vswitchd and ovs-vsctl (AT_TESTED); OVS_TOOLS_BUILD names a complete
# OVS 3.1 build to take them from (build.sh passes the default one).  These
# tests run neither.
OVS_TOOLS_BUILD = $(OVS_BUILD)
check-tsan: tests/atconfig tests/atlocal $(TESTSUITE) tests/ctdp-test
	$(SHELL) '$(TESTSUITE)' -C tests \
	  AUTOTEST_PATH='$(AUTOTEST_PATH):$(OVS_TOOLS_BUILD)/utilities:$(OVS_TOOLS_BUILD)/vswitchd' \
	  -k tsan $(TESTSUITEFLAGS)
.PHONY: check-tsan

## ------------------------------------------------------------- ##
## Open vSwitch's own conntrack tests on ctdp (check-ovs-conntrack) ##
## ------------------------------------------------------------- ##
OVS_TESTSUITE = $(srcdir)/tests/ovs-testsuite
EXTRA_DIST += tests/ovs-testsuite.at $(OVS_TESTSUITE) tests/ovs-exceptions.txt
# The selection of OVS 3.1's tests: the 19 'ofproto-dpif - conntrack - *'
# tests, 'nat - ofproto/trace', 'continuation with conntrack' and
# 'ovs-ofctl ct-flush'.
OVS_CONNTRACK_KEYWORDS = -k 'ofproto-dpif - conntrack' \
	-k 'nat - ofproto/trace' -k 'continuation with conntrack' \
	-k 'ovs-ofctl ct-flush'

$(OVS_TESTSUITE): tests/ovs-testsuite.at tests/ctdp-macros.at \
	$(srcdir)/tests/package.m4 $(OVS_SOURCE)/tests/ofproto-dpif.at \
	$(OVS_SOURCE)/tests/ovs-ofctl.at
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -I '$(srcdir)/tests' \
	  -I '$(OVS_SOURCE)' -o $@.tmp $@.at && mv $@.tmp $@

# Runs the selection minus the tests listed in tests/ovs-exceptions.txt.
check-ovs-conntrack: tests/atconfig tests/atlocal $(OVS_TESTSUITE) \
		$(check_SCRIPTS) $(lib_LTLIBRARIES)
	@numbers=`$(SHELL) '$(OVS_TESTSUITE)' -C tests --list \
	    $(OVS_CONNTRACK_KEYWORDS) | \
	  sed -n 's/^ *\([0-9][0-9]*\): [^ ]*  *\(.*\)$$/\1\t\2/p' | \
	  while IFS='	' read -r n title; do \
	    if cut -f1 '$(srcdir)/tests/ovs-exceptions.txt' | \
	       grep -qxF "$$title"; then \
	      echo "check-ovs-conntrack: exception: $$title" >&2; \
	    else \
	      echo $$n; \
	    fi; \
	  done`; \
	test -n "$$numbers" || { echo "no tests selected" >&2; exit 1; }; \
	$(SHELL) '$(OVS_TESTSUITE)' -C tests AUTOTEST_PATH='$(AUTOTEST_PATH)' \
	  $$numbers $(TESTSUITEFLAGS)
.PHONY: check-ovs-conntrack

## ------------------------------------- ##
## Coverage: line summary + HTML report. ##
## ------------------------------------- ##
if CTDP_COVERAGE
COVERAGE_DIRS = lib plugin ofproto utilities
check-coverage:
	find . -name '*.gcda' -delete
	-$(MAKE) $(AM_MAKEFLAGS) check
	$(MKDIR_P) coverage
	@root=`cd $(top_srcdir) && pwd`; \
	filters=; \
	for d in $(COVERAGE_DIRS); do filters="$$filters --filter $$root/$$d/"; done; \
	$(GCOVR) --gcov-ignore-parse-errors --root "$$root" --object-directory $(abs_builddir) $$filters \
	  --html-details coverage/index.html --txt coverage/summary.txt \
	  >/dev/null && \
	echo "Line coverage per directory:" && \
	for d in $(COVERAGE_DIRS); do \
	  $(GCOVR) --gcov-ignore-parse-errors --root "$$root" --object-directory $(abs_builddir) \
	    --filter "$$root/$$d/" --print-summary 2>/dev/null \
	  | sed -n "s|^lines: |  $$d/: |p"; \
	done; \
	echo "Per-file table: $(abs_builddir)/coverage/summary.txt"; \
	echo "HTML report: $(abs_builddir)/coverage/index.html"
else
check-coverage:
	@echo "configure with --enable-coverage to measure coverage" >&2; exit 1
endif
.PHONY: check-coverage
