# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

bin_SCRIPTS += utilities/ctdp-ctl
man_MANS += utilities/ctdp-ctl.8
EXTRA_DIST += utilities/ctdp-ctl.in utilities/ctdp-ctl.8
DISTCLEANFILES += utilities/ctdp-ctl
