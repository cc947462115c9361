# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

## ------------------------------------------------------------------- ##
## System tests: traffic between network namespaces (check-system).    ##
## ------------------------------------------------------------------- ##

# They need root.  The datapath under test is CTDP_SYSTEM_DP from the
# environment or the make command line, "ctdp" when unset; with
# CTDP_SYSTEM_DP=netdev the same scenarios run on Open vSwitch's own
# userspace datapath.  Namespace and interface names are global, so the
# tests run one at a time (-j1).
#
#   make check-system                          all tests, on ctdp
#   make check-system CTDP_SYSTEM_DP=netdev    all tests, on OVS's datapath
#   make check-system TESTSUITEFLAGS='-k nat'  tests with keyword "nat"
#   make check-system TESTSUITEFLAGS='-v 3'    test 3, log on the terminal
SYSTEM_TESTSUITE = $(srcdir)/tests/system-testsuite
SYSTEM_TESTSUITE_AT = \
	tests/system-testsuite.at \
	tests/system-ctdp-macros.at \
	tests/system-traffic.at \
	tests/system-netfilter.at \
	tests/system-bench.at \
	tests/system-flood.at \
	tests/system-datapath.at \
	tests/system-iptables.at
EXTRA_DIST += $(SYSTEM_TESTSUITE_AT) $(SYSTEM_TESTSUITE)

$(SYSTEM_TESTSUITE): $(SYSTEM_TESTSUITE_AT) tests/ctdp-macros.at \
	$(srcdir)/tests/package.m4 $(OVS_SOURCE)/tests/ovs-macros.at \
	$(OVS_SOURCE)/tests/ofproto-macros.at \
	$(OVS_SOURCE)/tests/system-common-macros.at
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -I '$(srcdir)/tests' \
	  -I '$(OVS_SOURCE)' -o $@.tmp $@.at && mv $@.tmp $@

check-system: tests/atconfig tests/atlocal $(SYSTEM_TESTSUITE) \
		$(check_SCRIPTS) $(lib_LTLIBRARIES)
	@test "$$(id -u)" = 0 || \
	  echo "check-system: not running as root, every test will be skipped"
	$(SHELL) '$(SYSTEM_TESTSUITE)' -C tests AUTOTEST_PATH='$(AUTOTEST_PATH)' \
	  CTDP_SYSTEM_DP="$${CTDP_SYSTEM_DP:-ctdp}" $(TESTSUITEFLAGS) -j1
.PHONY: check-system

clean-local: clean-system
clean-system:
	test ! -f '$(SYSTEM_TESTSUITE)' || \
	  $(SHELL) '$(SYSTEM_TESTSUITE)' -C tests --clean
.PHONY: clean-system

## ------------------------------------------------------------------- ##
## End-to-end benchmark: netdev against ctdp in ovs-vswitchd (root).   ##
## ------------------------------------------------------------------- ##

# The traffic source (see tests/bench-e2e.sh).
check_PROGRAMS += tests/ctdp-e2e-gen
tests_ctdp_e2e_gen_SOURCES = tests/ctdp-e2e-gen.c
tests_ctdp_e2e_gen_LDADD = $(OVS_LIBS)
EXTRA_DIST += tests/bench-e2e.sh

# Creates namespaces and veths: on a shared machine, run it under the lock
# that the system tests use, e.g. 'flock -o /tmp/ctdp-net.lock make bench-e2e'.
# BENCH_E2E_FLAGS passes options to the script (--quick, --reps N, ...).
bench-e2e: tests/ctdp-e2e-gen tests/bin/ovs-vswitchd $(lib_LTLIBRARIES)
	$(SHELL) '$(srcdir)/tests/bench-e2e.sh' \
	  --ovs-build='$(OVS_BUILD)' --ovs-source='$(OVS_SOURCE)' \
	  --vswitchd=tests/bin/ovs-vswitchd --gen=tests/ctdp-e2e-gen \
	  $(BENCH_E2E_FLAGS)
.PHONY: bench-e2e
