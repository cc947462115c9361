#! /bin/sh
# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0
#
# Generates ./configure from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
autoreconf --install --force
