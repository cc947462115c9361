#!/usr/bin/env bash
# setup-ovs.sh — install ctdp's build dependencies and build Open vSwitch 3.1.0
# as shared libraries into a cache directory outside the source tree.
#
# Usage: build-aux/setup-ovs.sh [--tsan] [--print-dir] [--no-apt]
#
#   CTDP_OVS_CACHE   where the OVS build lives
#                    (default: ${XDG_CACHE_HOME:-$HOME/.cache}/ctdp/ovs-3.1.0)
#   --tsan           build only libopenvswitch, with ThreadSanitizer, into
#                    "$CTDP_OVS_CACHE-tsan" (for ctdp's TSan flavour: an
#                    uninstrumented library hides its synchronization)
#
# A finished build leaves the stamp file "$CTDP_OVS_CACHE/.ctdp-complete"; when
# it is present the build is reused as it is.  A directory without the stamp
# is a partial build and is removed and rebuilt from scratch.
set -euo pipefail

OVS_VERSION=3.1.0
cache=${CTDP_OVS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctdp/ovs-$OVS_VERSION}
use_apt=yes
tsan=no
print_dir=no

for arg in "$@"; do
    case $arg in
        --tsan) tsan=yes ;;
        --print-dir) print_dir=yes ;;
        --no-apt) use_apt=no ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "setup-ovs.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done
if [ "$tsan" = yes ]; then
    cache=$cache-tsan
fi
stamp=$cache/.ctdp-complete
if [ "$print_dir" = yes ]; then
    echo "$cache"
    exit 0
fi

# Packages needed to build OVS and ctdp, run the test suites (including the
# system tests' traffic tools and the kernel's conntrack for comparison),
# fuzz, and measure coverage.
packages=(
    build-essential autoconf automake libtool pkg-config python3
    libssl-dev libcap-ng-dev clang llvm libclang-rt-14-dev
    lcov gcovr openvswitch-source iproute2 procps psmisc
    uuid-runtime tcpdump iputils-ping netcat-openbsd curl iperf3 hping3
    nftables iptables conntrack ethtool patchelf
)

need_install=()
if [ "$use_apt" = yes ]; then
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
            || need_install+=("$p")
    done
    if [ ${#need_install[@]} -gt 0 ]; then
        echo "setup-ovs.sh: installing ${need_install[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need_install[@]}" >/dev/null
    fi
fi

if [ -f "$stamp" ]; then
    echo "setup-ovs.sh: reusing OVS $OVS_VERSION build in $cache" >&2
    echo "$cache"
    exit 0
fi

tarball=/usr/src/openvswitch/openvswitch.tar.gz
if [ ! -f "$tarball" ]; then
    echo "setup-ovs.sh: $tarball is missing; install the Debian package openvswitch-source" >&2
    exit 1
fi

echo "setup-ovs.sh: building OVS $OVS_VERSION (shared) in $cache" >&2
rm -rf "$cache"
mkdir -p "$cache"
tar -xzf "$tarball" -C "$cache" --strip-components=1
cd "$cache"
grep -q "AC_INIT(openvswitch, $OVS_VERSION" configure.ac || {
    echo "setup-ovs.sh: $tarball is not Open vSwitch $OVS_VERSION" >&2
    exit 1
}
[ -x configure ] || ./boot.sh >/dev/null
if [ "$tsan" = yes ]; then
    ./configure -q --enable-shared --disable-static CC=clang \
        CFLAGS="-g -O1 -fsanitize=thread" LDFLAGS="-fsanitize=thread" >/dev/null
    # The library alone, after the headers the build generates.
    built=$(printf 'ctdp-print-built:\n\t@echo $(BUILT_SOURCES)\n' \
                | make -s -f Makefile -f - ctdp-print-built)
    make -s -j"$(nproc)" V=0 $built >/dev/null
    make -s -j"$(nproc)" V=0 lib/libopenvswitch.la >/dev/null
else
    ./configure -q --enable-shared --disable-static \
        CFLAGS="-g -O2" >/dev/null
    make -s -j"$(nproc)" V=0 >/dev/null
fi
touch "$stamp"
echo "$cache"
