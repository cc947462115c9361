# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

## ---------------------------------------------------------------- ##
## The pipeline layer: iptables rulesets compiled into OpenFlow      ##
## tables of ct() and nat() flows, and its command-line front end.   ##
## ---------------------------------------------------------------- ##
noinst_LTLIBRARIES += ofproto/libctdp-ofproto.la
ofproto_libctdp_ofproto_la_SOURCES = \
	ofproto/ipt-compile.c \
	ofproto/ipt-compile.h \
	ofproto/ipt-diag.c \
	ofproto/ipt-diag.h \
	ofproto/ipt-parse.c \
	ofproto/ipt-parse.h \
	ofproto/ipt-term.c \
	ofproto/ipt-term.h \
	ofproto/ipt-topo.c \
	ofproto/ipt-topo.h

bin_PROGRAMS += utilities/ctdp-iptables
utilities_ctdp_iptables_SOURCES = utilities/ctdp-iptables.c
utilities_ctdp_iptables_LDADD = ofproto/libctdp-ofproto.la $(OVS_LIBS)
man_MANS += utilities/ctdp-iptables.8

EXTRA_DIST += \
	utilities/ctdp-iptables.8 \
	tests/iptables/docker.rules \
	tests/iptables/docker.flows \
	tests/iptables/features.rules \
	tests/iptables/home-router.rules \
	tests/iptables/home-router.flows \
	tests/iptables/ipv6-firewall.rules \
	tests/iptables/ipv6-firewall.flows \
	tests/iptables/kube-proxy.rules \
	tests/iptables/kube-proxy.flows \
	tests/iptables/nat6.rules
