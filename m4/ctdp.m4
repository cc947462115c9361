# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0

# CTDP_CHECK_OVS
# --------------
# Locates the Open vSwitch 3.1 source and shared-library build that ctdp
# compiles and links against.  Defaults to the cache directory that
# build-aux/setup-ovs.sh fills.  Substitutes OVS_SOURCE, OVS_BUILD,
# OVS_CPPFLAGS, OVS_LIBS and OVS_VERSION.
AC_DEFUN([CTDP_CHECK_OVS], [
  ctdp_default_ovs=${CTDP_OVS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctdp/ovs-3.1.0}
  AC_ARG_WITH([ovs-source],
    [AS_HELP_STRING([--with-ovs-source=DIR],
       [Open vSwitch 3.1 source tree (default: build-aux/setup-ovs.sh's cache)])],
    [OVS_SOURCE=$withval], [OVS_SOURCE=])
  AC_ARG_WITH([ovs-build],
    [AS_HELP_STRING([--with-ovs-build=DIR],
       [Open vSwitch 3.1 build tree, configured with --enable-shared
        (default: the source tree)])],
    [OVS_BUILD=$withval], [OVS_BUILD=])
  AS_IF([test -z "$OVS_SOURCE" && test -z "$OVS_BUILD"],
        [OVS_SOURCE=$ctdp_default_ovs])
  AS_IF([test -z "$OVS_SOURCE"], [OVS_SOURCE=$OVS_BUILD])
  AS_IF([test -z "$OVS_BUILD"], [OVS_BUILD=$OVS_SOURCE])

  AC_MSG_CHECKING([for the Open vSwitch source tree])
  AS_IF([test ! -f "$OVS_SOURCE/lib/dpif-provider.h" ||
         test ! -f "$OVS_SOURCE/tests/ofproto-macros.at"],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([$OVS_SOURCE is not an Open vSwitch source tree.
Run build-aux/setup-ovs.sh to build Open vSwitch 3.1.0 into its cache, or
pass --with-ovs-source=DIR (and --with-ovs-build=DIR for a separate build).])])
  OVS_SOURCE=`cd "$OVS_SOURCE" && pwd`
  AC_MSG_RESULT([$OVS_SOURCE])

  AC_MSG_CHECKING([for the Open vSwitch version])
  OVS_VERSION=`sed -n 's/^@<:@A-Z_@:>@*(openvswitch, *\(@<:@0-9.@:>@*\),.*/\1/p' "$OVS_SOURCE/configure.ac"`
  AC_MSG_RESULT([${OVS_VERSION:-unknown}])
  AS_CASE([$OVS_VERSION],
    [3.1.*], [],
    [AC_MSG_ERROR([ctdp needs Open vSwitch 3.1.x, but $OVS_SOURCE is version '${OVS_VERSION:-unknown}'.])])

  AC_MSG_CHECKING([for a shared-library Open vSwitch build])
  AS_IF([test ! -f "$OVS_BUILD/config.h" ||
         test ! -f "$OVS_BUILD/lib/libopenvswitch.la" ||
         ! grep -q "^dlname='libopenvswitch" "$OVS_BUILD/lib/libopenvswitch.la"],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([$OVS_BUILD holds no shared-library build of Open vSwitch
(lib/libopenvswitch.la with a shared library).  Configure OVS with
--enable-shared and build it, or run build-aux/setup-ovs.sh.])])
  OVS_BUILD=`cd "$OVS_BUILD" && pwd`
  AC_MSG_RESULT([$OVS_BUILD])

  # OVS headers are included as system headers so that their own warnings
  # do not trip -Werror in ctdp's code.
  OVS_CPPFLAGS="-isystem $OVS_BUILD -isystem $OVS_BUILD/include -isystem $OVS_SOURCE/include -isystem $OVS_BUILD/lib -isystem $OVS_SOURCE/lib"
  OVS_LIBS="$OVS_BUILD/lib/libopenvswitch.la"
  AC_SUBST([OVS_SOURCE])
  AC_SUBST([OVS_BUILD])
  AC_SUBST([OVS_VERSION])
  AC_SUBST([OVS_CPPFLAGS])
  AC_SUBST([OVS_LIBS])
])

# CTDP_ENABLE_WERROR
# ------------------
AC_DEFUN([CTDP_ENABLE_WERROR], [
  AC_ARG_ENABLE([Werror],
    [AS_HELP_STRING([--disable-Werror], [do not treat warnings as errors])],
    [], [enable_Werror=yes])
])

# _CTDP_CC_OPTION(FLAG, VAR)
# --------------------------
# Appends FLAG to VAR if the compiler accepts it without a warning.
AC_DEFUN([_CTDP_CC_OPTION], [
  AS_VAR_PUSHDEF([ctdp_cv], [ctdp_cv_cc_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [ctdp_cv], [
    ctdp_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -Werror $1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([ctdp_cv], [yes])], [AS_VAR_SET([ctdp_cv], [no])])
    CFLAGS=$ctdp_save_CFLAGS])
  AS_VAR_IF([ctdp_cv], [yes], [$2="$$2 $1"])
  AS_VAR_POPDEF([ctdp_cv])
])

# CTDP_CHECK_CC_WARNINGS
# ----------------------
# The warning set for ctdp's own code.  -Wthread-safety is enabled wherever
# the compiler has it (clang), so a clang build checks every lock annotation.
AC_DEFUN([CTDP_CHECK_CC_WARNINGS], [
  CTDP_WARNING_CFLAGS=
  for flag in -Wall -Wextra -Wno-sign-compare -Wno-unused-parameter \
              -Wno-missing-field-initializers -Wpointer-arith \
              -Wformat -Wformat-security -Wstrict-prototypes \
              -Wold-style-definition -Wmissing-prototypes \
              -Wmissing-field-initializers -Wthread-safety \
              -Wno-unused-command-line-argument; do
    _CTDP_CC_OPTION([$flag], [CTDP_WARNING_CFLAGS])
  done
  # -Wextra turns -Wmissing-field-initializers back on; designated
  # initializers of large OVS structures make it noise.
  CTDP_WARNING_CFLAGS="$CTDP_WARNING_CFLAGS -Wno-missing-field-initializers"
  AS_IF([test "$enable_Werror" = yes],
        [CTDP_WARNING_CFLAGS="$CTDP_WARNING_CFLAGS -Werror"])
  AC_SUBST([CTDP_WARNING_CFLAGS])
])

# CTDP_ENABLE_SANITIZERS
# ----------------------
# --enable-asan builds with AddressSanitizer and UndefinedBehaviorSanitizer;
# --enable-tsan with ThreadSanitizer (for the concurrency stress tests).
AC_DEFUN([CTDP_ENABLE_SANITIZERS], [
  AC_ARG_ENABLE([asan],
    [AS_HELP_STRING([--enable-asan], [build with ASan and UBSan])],
    [], [enable_asan=no])
  AC_ARG_ENABLE([tsan],
    [AS_HELP_STRING([--enable-tsan], [build with ThreadSanitizer])],
    [], [enable_tsan=no])
  CTDP_SANITIZE_CFLAGS=
  CTDP_SANITIZER_RUNTIME=
  AS_IF([test "$enable_asan" = yes && test "$enable_tsan" = yes],
        [AC_MSG_ERROR([--enable-asan and --enable-tsan exclude each other])])
  AS_IF([test "$enable_asan" = yes], [
    CTDP_SANITIZE_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    ctdp_rt=libasan.so])
  AS_IF([test "$enable_tsan" = yes], [
    CTDP_SANITIZE_CFLAGS="-fsanitize=thread -fno-omit-frame-pointer"
    ctdp_rt=libtsan.so])
  AS_IF([test -n "$CTDP_SANITIZE_CFLAGS"], [
    # ovs-vswitchd itself is not instrumented: the sanitizer runtime must be
    # preloaded ahead of the plugin.
    AS_IF([$CC --version 2>/dev/null | grep -q clang],
      [ctdp_rt_arch=`uname -m`
       ctdp_rt=`echo $ctdp_rt | sed 's/^lib\(.*\)\.so$/libclang_rt.\1-'$ctdp_rt_arch'.so/'`
       CTDP_SANITIZER_RUNTIME=`$CC -print-file-name=$ctdp_rt`],
      [CTDP_SANITIZER_RUNTIME=`$CC -print-file-name=$ctdp_rt`])
    AS_IF([test ! -f "$CTDP_SANITIZER_RUNTIME"],
      [AC_MSG_ERROR([cannot find the sanitizer runtime $ctdp_rt for $CC])])
    CTDP_SANITIZER_RUNTIME=`readlink -f "$CTDP_SANITIZER_RUNTIME"`])
  AC_SUBST([CTDP_SANITIZE_CFLAGS])
  AC_SUBST([CTDP_SANITIZER_RUNTIME])
  AM_CONDITIONAL([CTDP_TSAN], [test "$enable_tsan" = yes])
])

# CTDP_ENABLE_COVERAGE
# --------------------
AC_DEFUN([CTDP_ENABLE_COVERAGE], [
  AC_ARG_ENABLE([coverage],
    [AS_HELP_STRING([--enable-coverage], [build with gcov instrumentation])],
    [], [enable_coverage=no])
  CTDP_COVERAGE_CFLAGS=
  AS_IF([test "$enable_coverage" = yes],
        [CTDP_COVERAGE_CFLAGS="--coverage -fprofile-update=atomic -O0 -g"
         AC_PATH_PROG([GCOVR], [gcovr], [no])
         AS_IF([test "$GCOVR" = no],
               [AC_MSG_ERROR([--enable-coverage needs gcovr (Debian package gcovr)])])])
  AC_SUBST([CTDP_COVERAGE_CFLAGS])
  AM_CONDITIONAL([CTDP_COVERAGE], [test "$enable_coverage" = yes])
])

# CTDP_ENABLE_FUZZ
# ----------------
# --enable-fuzz builds the libFuzzer harnesses of tests/fuzz.  They need a
# compiler with -fsanitize=fuzzer (clang; on Debian libFuzzer comes with
# libclang-rt-NN-dev), checked here by linking a tiny fuzz target.
AC_DEFUN([CTDP_ENABLE_FUZZ], [
  AC_ARG_ENABLE([fuzz],
    [AS_HELP_STRING([--enable-fuzz],
                    [build the libFuzzer harnesses (needs CC=clang)])],
    [], [enable_fuzz=no])
  AS_IF([test "$enable_fuzz" = yes], [
    AC_CACHE_CHECK([whether $CC links libFuzzer targets],
                   [ctdp_cv_cc_libfuzzer], [
      ctdp_save_CFLAGS=$CFLAGS
      ctdp_save_LDFLAGS=$LDFLAGS
      CFLAGS="$CFLAGS -fsanitize=fuzzer,address,undefined"
      LDFLAGS="$LDFLAGS -fsanitize=fuzzer,address,undefined"
      AC_LINK_IFELSE(
        [AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{ return size && data[0] == 'x'; }
]])],
        [ctdp_cv_cc_libfuzzer=yes], [ctdp_cv_cc_libfuzzer=no])
      CFLAGS=$ctdp_save_CFLAGS
      LDFLAGS=$ctdp_save_LDFLAGS])
    AS_IF([test "$ctdp_cv_cc_libfuzzer" != yes],
      [AC_MSG_ERROR([--enable-fuzz needs a compiler with -fsanitize=fuzzer: configure with CC=clang (Debian packages clang and libclang-rt-dev)])])])
  AM_CONDITIONAL([CTDP_FUZZ], [test "$enable_fuzz" = yes])
])

# CTDP_ENABLE_LTO
# ---------------
# Link-time optimization lets the compiler inline the engine's small
# cross-file helpers (bucket prefetches, tuple hashing, timeouts) into the
# packet loop.  On by default where the compiler links with -flto; off in
# sanitizer, coverage and fuzz builds, whose instrumentation wants the code
# as written.
AC_DEFUN([CTDP_ENABLE_LTO], [
  AC_ARG_ENABLE([lto],
    [AS_HELP_STRING([--disable-lto],
                    [no link-time optimization (default: on, except with
                     sanitizers, coverage or fuzz harnesses)])],
    [], [enable_lto=auto])
  AS_IF([test "$enable_lto" = auto],
        [AS_IF([test -z "$CTDP_SANITIZE_CFLAGS" && test "$enable_coverage" != yes \
                && test "$enable_fuzz" != yes],
               [enable_lto=yes], [enable_lto=no])])
  CTDP_LTO_CFLAGS=
  AS_IF([test "$enable_lto" = yes], [
    AC_CACHE_CHECK([whether $CC links with -flto=auto], [ctdp_cv_cc_lto], [
      ctdp_save_CFLAGS=$CFLAGS
      ctdp_save_LDFLAGS=$LDFLAGS
      CFLAGS="$CFLAGS -flto=auto"
      LDFLAGS="$LDFLAGS -flto=auto"
      AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
                     [ctdp_cv_cc_lto=yes], [ctdp_cv_cc_lto=no])
      CFLAGS=$ctdp_save_CFLAGS
      LDFLAGS=$ctdp_save_LDFLAGS])
    AS_IF([test "$ctdp_cv_cc_lto" = yes],
          [CTDP_LTO_CFLAGS=-flto=auto], [enable_lto=no])])
  AC_SUBST([CTDP_LTO_CFLAGS])
])
