/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* Registration of the ctdp datapath with the ovs-vswitchd that loads this
 * shared object.
 *
 * The object is preloaded into a stock ovs-vswitchd built as a shared
 * library.  Its constructor runs before main(), after the constructors of
 * libopenvswitch, and registers the "ctdp" dpif class there.
 *
 * Version guard
 * =============
 *
 * struct dpif_class and every structure it passes around are private to one
 * Open vSwitch release, so the class may only be registered into the exact
 * release it was compiled against (OVS 3.1).  The constructor reads the
 * DT_NEEDED entries of the main program: the program must itself depend on
 * libopenvswitch-3.1.so.  A program that depends on another release, or a
 * statically linked ovs-vswitchd (which would leave this object talking to
 * a private copy of the library that the program never uses), gets one
 * clear error line and no registration; nothing else changes in it. */

#include <config.h>

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "dpif-ctdp.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(ctdp_plugin);

/* The release this object is built for, as libopenvswitch names itself. */
#define CTDP_OVS_LIB_PREFIX "libopenvswitch-"
#define CTDP_OVS_SERIES "3.1"

struct ctdp_needed_scan {
    bool main_seen;             /* The main program's entry was visited. */
    char found[64];             /* Release series of the libopenvswitch the
                                 * main program needs ("" if none). */
};

/* Copies into 'scan->found' the release series ("3.1") out of a DT_NEEDED
 * name such as "libopenvswitch-3.1.so.0". */
static void
ctdp_plugin_note_needed(struct ctdp_needed_scan *scan, const char *name)
{
    const char *base = strrchr(name, '/');
    const char *series, *end;

    base = base ? base + 1 : name;
    if (strncmp(base, CTDP_OVS_LIB_PREFIX, strlen(CTDP_OVS_LIB_PREFIX))) {
        return;
    }
    series = base + strlen(CTDP_OVS_LIB_PREFIX);
    end = strstr(series, ".so");
    if (!end || end - series >= sizeof scan->found) {
        return;
    }
    memcpy(scan->found, series, end - series);
    scan->found[end - series] = '\0';
}

/* dl_iterate_phdr() callback.  The first object reported is the main
 * program; its dynamic section lists the libraries it was linked with. */
static int
ctdp_plugin_scan_main(struct dl_phdr_info *info, size_t size OVS_UNUSED,
                      void *scan_)
{
    struct ctdp_needed_scan *scan = scan_;
    const ElfW(Dyn) *dyn = NULL;
    const char *strtab = NULL;

    scan->main_seen = true;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *) (info->dlpi_addr
                                       + info->dlpi_phdr[i].p_vaddr);
            break;
        }
    }
    if (!dyn) {
        return 1;               /* Statically linked: nothing needed. */
    }

    /* The dynamic loader has relocated DT_STRTAB to an absolute address. */
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_STRTAB) {
            strtab = (const char *) d->d_un.d_ptr;
        }
    }
    if (strtab) {
        for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_NEEDED) {
                ctdp_plugin_note_needed(scan, strtab + d->d_un.d_val);
            }
        }
    }
    return 1;                   /* Stop after the main program. */
}

/* Returns true if the running program is linked against the libopenvswitch
 * release this object was built for; otherwise logs why not. */
static bool
ctdp_plugin_version_ok(void)
{
    struct ctdp_needed_scan scan;

    memset(&scan, 0, sizeof scan);
    dl_iterate_phdr(ctdp_plugin_scan_main, &scan);
    if (!scan.main_seen) {
        VLOG_ERR("ctdp datapath not registered: cannot inspect the running "
                 "program");
        return false;
    }
    if (!scan.found[0]) {
        /* Not an Open vSwitch program at all (a shell or a tool that
         * inherited LD_PRELOAD): stay silent.  A statically linked
         * ovs-vswitchd deserves an explanation. */
        if (!strstr(program_invocation_short_name, "ovs-vswitchd")) {
            return false;
        }
        VLOG_ERR("ctdp datapath not registered: this program is not linked "
                 "with a shared libopenvswitch (the plugin needs an Open "
                 "vSwitch " CTDP_OVS_SERIES " shared-library build)");
        return false;
    }
    if (strcmp(scan.found, CTDP_OVS_SERIES)) {
        VLOG_ERR("ctdp datapath not registered: this program uses Open "
                 "vSwitch %s, the plugin was built for Open vSwitch "
                 CTDP_OVS_SERIES, scan.found);
        return false;
    }
    return true;
}

static void ctdp_plugin_init(void) __attribute__((constructor));

static void
ctdp_plugin_init(void)
{
    if (ctdp_plugin_version_ok()) {
        dpif_ctdp_register();
    }
}
