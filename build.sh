#!/usr/bin/env bash
# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0
#
# One command from a fresh clone to a running demo or a passing test run.
#
#   ./build.sh demo     install dependencies, build OVS 3.1.0 (cached) and
#                       ctdp, then run the demo (build-aux/demo.sh)
#   ./build.sh check    the same set-up, then every test suite in every
#                       build flavour; ends with "check: N passed, N failed"
#   ./build.sh build    set-up and the default build only
#
# Builds live in _build/<flavour>: default (gcc, -Werror), clang (clang with
# -Wthread-safety, compile only), fuzz (clang, the libFuzzer harnesses, run
# for FUZZ_SECONDS per harness), asan (ASan+UBSan), tsan (ThreadSanitizer:
# the concurrency tests only, against a TSan libopenvswitch).
# Environment: CTDP_OVS_CACHE (see build-aux/setup-ovs.sh), JOBS,
# FUZZ_SECONDS (default 30).
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD
jobs=${JOBS:-$(nproc)}

log () { printf '\n=== %s\n' "$*"; }

setup () {
    log "dependencies and Open vSwitch 3.1.0"
    ovs=$(bash build-aux/setup-ovs.sh | tail -n 1)
    if [ ! -x configure ] || [ configure.ac -nt configure ] \
           || [ m4/ctdp.m4 -nt configure ]; then
        log "generating configure"
        ./boot.sh >/dev/null 2>&1 || ./boot.sh
    fi
}

# build FLAVOUR [CONFIGURE-ARGS...]: configures (once) and builds a flavour.
build () {
    local flavour=$1; shift
    local dir=$top/_build/$flavour
    log "building $flavour"
    mkdir -p "$dir"
    # Configure again when configure changed or the arguments did (for
    # example a tsan tree configured against the uninstrumented OVS).
    local args="--with-ovs-source=$ovs $*"
    if [ ! -f "$dir/Makefile" ] || [ "$top/configure" -nt "$dir/Makefile" ] \
           || [ "$(cat "$dir/.ctdp-configure-args" 2>/dev/null)" != "$args" ]; then
        (cd "$dir" && "$top/configure" -q --with-ovs-source="$ovs" "$@")
        printf '%s\n' "$args" > "$dir/.ctdp-configure-args"
    fi
    if [ "$flavour" = tsan ]; then
        # Only the unit programs: this OVS build has no ovs-vswitchd.
        make -C "$dir" -s -j"$jobs" tests/ctdp-test tests/atlocal tests/testsuite
    elif [ "$flavour" = fuzz ]; then
        # Only the harnesses: the clang flavour compiles everything else.
        make -C "$dir" -s -j"$jobs" tests/fuzz/fuzz-ct-packet tests/fuzz/fuzz-ct-ops
    else
        # Two make runs: automake's "all" recurses into a sub-make, which
        # must not race with a second goal building the same objects.
        make -C "$dir" -s -j"$jobs" all
        make -C "$dir" -s -j"$jobs" build-tests
    fi
}

passed=0 failed=0 skipped=0
# suite NAME COMMAND...: runs an autotest suite, counting its results.
suite () {
    local name=$1; shift
    log "tests: $name"
    local out rc=0
    out=$(mktemp)
    "$@" 2>&1 | tee "$out" || rc=$?
    local p f s
    p=$(grep -cE '^ *[0-9]+: .* (ok|expected failure)$' "$out" || true)
    f=$(grep -cE '^ *[0-9]+: .* FAILED \(' "$out" || true)
    s=$(grep -cE '^ *[0-9]+: .* skipped \(' "$out" || true)
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1     # The suite itself failed (build error, bad flags).
    fi
    echo "$name: $p passed, $f failed, $s skipped"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    rm -f "$out"
}

# fuzz_suite: replays the fuzz corpora and fuzzes each harness briefly
# (FUZZ_SECONDS, default 30, per harness); each harness's replay and run
# counts as one test.
fuzz_suite () {
    log "tests: fuzz"
    local out rc=0
    out=$(mktemp)
    make -C _build/fuzz fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-30}" 2>&1 \
        | tee "$out" || rc=$?
    local p f
    p=$(grep -cE '^fuzz-ct-[a-z]+: (replayed [0-9]+ inputs, 0 failed|ok,)' "$out" || true)
    f=$(grep -cE '^fuzz-ct-[a-z]+: (replayed [0-9]+ inputs, [1-9][0-9]* failed|FAILED,)' "$out" || true)
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    echo "fuzz: $p passed, $f failed, 0 skipped"
    passed=$((passed + p)) failed=$((failed + f))
    rm -f "$out"
}

# system_tests: the system tests (real traffic between network namespaces)
# on the default build.  They need root; otherwise the step counts as one
# skip and says why.  Other users' namespace tests on the same machine are
# kept apart by the lock file /tmp/ctdp-net.lock.
system_tests () {
    if [ "$(id -u)" -ne 0 ]; then
        log "tests: system"
        echo "system: skipped: the system tests need root" \
             "(network namespaces, veth pairs, tap devices)"
        skipped=$((skipped + 1))
        return
    fi
    local start=$SECONDS
    # -o: the daemons the tests start must not inherit the lock; -w: a
    # lock held by something stuck fails this step instead of hanging it.
    suite "system" flock -o -w 1200 /tmp/ctdp-net.lock \
        make -C _build/default check-system
    echo "system: took $((SECONDS - start)) s"
}

cmd=${1:-}
case $cmd in
    build)
        setup
        build default
        ;;
    demo)
        setup
        build default
        log "demo"
        exec bash build-aux/demo.sh "$top/_build/default"
        ;;
    check)
        setup
        build default
        suite "default" make -C _build/default check TESTSUITEFLAGS="-j$jobs ${TESTSUITEFLAGS:-}"
        suite "ovs-conntrack" make -C _build/default check-ovs-conntrack TESTSUITEFLAGS="-j$jobs"
        system_tests
        if command -v clang >/dev/null; then
            build clang CC=clang
            build fuzz CC=clang --enable-fuzz
            fuzz_suite
        fi
        build asan --enable-asan
        suite "asan+ubsan" make -C _build/asan check TESTSUITEFLAGS="-j$jobs ${TESTSUITEFLAGS:-}"
        # The TSan flavour links a TSan-instrumented libopenvswitch (built
        # once into its own cache), so that the synchronization inside
        # OVS's RCU and mutexes is seen; any report fails its test.
        log "ThreadSanitizer build of libopenvswitch"
        ovs_tsan=$(bash build-aux/setup-ovs.sh --no-apt --tsan | tail -n 1)
        build tsan CC=clang --enable-tsan --with-ovs-source="$ovs_tsan"
        suite "tsan" make -C _build/tsan check-tsan OVS_TOOLS_BUILD="$ovs"
        echo
        echo "check: $passed passed, $failed failed, $skipped skipped"
        [ "$failed" -eq 0 ]
        ;;
    *)
        sed -n '5,18p' "$0" >&2
        exit 2
        ;;
esac
