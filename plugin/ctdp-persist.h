/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_PERSIST_H
#define CTDP_PERSIST_H 1

/* Keeping a ctdp datapath's connection table across a graceful restart of
 * ovs-vswitchd.
 *
 * Configuration
 * =============
 *
 * Two keys of the Open_vSwitch table's other_config column, handed to the
 * datapath by dpif set_config:
 *
 *   ctdp-ct-persist       "true" or "false" (default false).
 *   ctdp-ct-persist-file  the file (default "<rundir>/<datapath>.conntrack",
 *                         e.g. /usr/local/var/run/openvswitch/
 *                         ovs-ctdp.conntrack); a relative name is taken
 *                         relative to the Open vSwitch run directory.
 *
 * Life cycle
 * ==========
 *
 *   - The first configuration after the datapath is created restores the
 *     file if persistence is on (ct_restore(): all or nothing, the file
 *     is validated as a whole first), logs one line saying what happened,
 *     and consumes the file: a restored file is removed and a rejected one
 *     renamed to "<file>.bad", so that a crash later on never brings back
 *     a stale table.  Later configurations change only what the next save
 *     does.
 *
 *   - ctdp_persist_save() writes the table (ct_save(): to a temporary
 *     file, then renamed) if persistence is on.  The datapath calls it when
 *     its last handle closes without the datapath having been deleted,
 *     which in ovs-vswitchd happens only at "ovs-appctl exit" without
 *     --cleanup (the bridges are torn down but the datapath is kept).
 *     Deleting the datapath ("exit --cleanup", del-br) saves nothing, and
 *     neither does a signal or a crash.
 *
 * Thread-safety
 * =============
 *
 * Every function may be called from any thread; 'mutex' serializes them.
 * ctdp_persist_configure() and ctdp_persist_save() call into the
 * connection tracker, which does its own locking (see ct-persist.h for
 * what a save concurrent with traffic contains); the caller stops its
 * packet threads first when it wants an exact snapshot. */

#include <stdbool.h>
#include "ovs-thread.h"

struct ct;
struct smap;

struct ctdp_persist {
    struct ovs_mutex mutex;
    bool enabled OVS_GUARDED;       /* other_config:ctdp-ct-persist. */
    char *path OVS_GUARDED;         /* Absolute name of the file. */
    bool configured OVS_GUARDED;    /* Configured once: restore done. */
};

/* Initializes 'p' for the datapath named 'dp_name': persistence off, the
 * default file name. */
void ctdp_persist_init(struct ctdp_persist *p, const char *dp_name);
void ctdp_persist_destroy(struct ctdp_persist *p);

/* Applies 'other_config' to 'p' (bad values are logged and replaced by
 * the defaults).  The first call restores the saved table into 'ct' if
 * persistence is on; see above. */
void ctdp_persist_configure(struct ctdp_persist *p, const char *dp_name,
                            struct ct *ct, const struct smap *other_config)
    OVS_EXCLUDED(p->mutex);

/* Saves 'ct' to the configured file if persistence is on, logging the
 * outcome.  Returns true if a file was written. */
bool ctdp_persist_save(struct ctdp_persist *p, const char *dp_name,
                       struct ct *ct)
    OVS_EXCLUDED(p->mutex);

#endif /* ctdp-persist.h */
