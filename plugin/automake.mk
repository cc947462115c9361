# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

# The ctdp datapath, loaded into ovs-vswitchd as libctdp.so.
lib_LTLIBRARIES += plugin/libctdp.la
plugin_libctdp_la_SOURCES = \
	plugin/plugin.c \
	plugin/dpif-ctdp.c \
	plugin/dpif-ctdp.h \
	plugin/ctdp-ct.c \
	plugin/ctdp-ct.h \
	plugin/ctdp-exec.c \
	plugin/ctdp-exec.h \
	plugin/ctdp-flow.c \
	plugin/ctdp-flow.h \
	plugin/ctdp-persist.c \
	plugin/ctdp-persist.h \
	plugin/ctdp-port.c \
	plugin/ctdp-port.h \
	plugin/ctdp-rx.c \
	plugin/ctdp-rx.h \
	plugin/ctdp-unixctl.c \
	plugin/ctdp-unixctl.h
plugin_libctdp_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
plugin_libctdp_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared
plugin_libctdp_la_LIBADD = lib/libctdp-engine.la $(OVS_LIBS)
