/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ctdp-persist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "ct.h"
#include "ct-persist.h"
#include "dirs.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "smap.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ctdp_persist);

/* Configuration warnings: set_config runs on every database change. */
static struct vlog_rate_limit ctdp_persist_rl = VLOG_RATE_LIMIT_INIT(1, 5);

static char *
ctdp_persist_default_path(const char *dp_name)
{
    return xasprintf("%s/%s.conntrack", ovs_rundir(), dp_name);
}

void
ctdp_persist_init(struct ctdp_persist *p, const char *dp_name)
{
    ovs_mutex_init(&p->mutex);
    ovs_mutex_lock(&p->mutex);
    p->enabled = false;
    p->path = ctdp_persist_default_path(dp_name);
    p->configured = false;
    ovs_mutex_unlock(&p->mutex);
}

void
ctdp_persist_destroy(struct ctdp_persist *p)
{
    if (p) {
        ovs_mutex_lock(&p->mutex);
        free(p->path);
        p->path = NULL;
        ovs_mutex_unlock(&p->mutex);
        ovs_mutex_destroy(&p->mutex);
    }
}

/* Parses other_config:ctdp-ct-persist.  Anything but "true" or "false" is
 * reported and taken as the default, off. */
static bool
ctdp_persist_parse_enabled(const char *dp_name, const struct smap *cfg)
{
    const char *value = smap_get(cfg, "ctdp-ct-persist");

    if (!value || !strcasecmp(value, "false")) {
        return false;
    } else if (!strcasecmp(value, "true")) {
        return true;
    }
    VLOG_WARN_RL(&ctdp_persist_rl, "%s: other_config:ctdp-ct-persist=%s is "
                 "not true or false; the connection table is not kept "
                 "across restarts", dp_name, value);
    return false;
}

/* Restores the file once, at the first configuration, and consumes it. */
static void
ctdp_persist_restore__(struct ctdp_persist *p, const char *dp_name,
                       struct ct *ct)
    OVS_REQUIRES(p->mutex)
{
    struct ds err = DS_EMPTY_INITIALIZER;
    struct ct_restore_stats st;
    int error;

    error = ct_restore_ext(ct, p->path, time_msec(), &err, &st);
    if (error == ENOENT) {
        VLOG_INFO("%s: no saved connection table %s, starting with an empty "
                  "one", dp_name, p->path);
    } else if (!error || error == ENOSPC) {
        if (!error) {
            VLOG_INFO("%s: restored %"PRIu64" connections from %s",
                      dp_name, st.n_restored, p->path);
        } else {
            VLOG_WARN("%s: connection table partly restored: %s",
                      dp_name, ds_cstr(&err));
        }
        if (unlink(p->path) && errno != ENOENT) {
            VLOG_WARN("%s: cannot remove %s: %s", dp_name, p->path,
                      ovs_strerror(errno));
        }
    } else {
        char *bad = xasprintf("%s.bad", p->path);
        bool kept = !rename(p->path, bad);

        VLOG_WARN("%s: connection table not restored, starting with an empty "
                  "one: %s%s%s", dp_name, ds_cstr(&err),
                  kept ? "; file moved to " : "", kept ? bad : "");
        free(bad);
    }
    ds_destroy(&err);
}

void
ctdp_persist_configure(struct ctdp_persist *p, const char *dp_name,
                       struct ct *ct, const struct smap *other_config)
    OVS_EXCLUDED(p->mutex)
{
    const char *file = smap_get(other_config, "ctdp-ct-persist-file");
    bool enabled = ctdp_persist_parse_enabled(dp_name, other_config);
    char *path = (file && file[0]
                  ? abs_file_name(ovs_rundir(), file)
                  : ctdp_persist_default_path(dp_name));

    ovs_mutex_lock(&p->mutex);
    if (enabled != p->enabled || (enabled && strcmp(path, p->path))) {
        VLOG_INFO("%s: connection table %s%s", dp_name,
                  enabled ? "kept across restarts in " : "not kept across "
                  "restarts", enabled ? path : "");
    }
    p->enabled = enabled;
    free(p->path);
    p->path = path;
    if (!p->configured) {
        p->configured = true;
        if (p->enabled) {
            ctdp_persist_restore__(p, dp_name, ct);
        }
    }
    ovs_mutex_unlock(&p->mutex);
}

bool
ctdp_persist_save(struct ctdp_persist *p, const char *dp_name, struct ct *ct)
    OVS_EXCLUDED(p->mutex)
{
    struct ds err = DS_EMPTY_INITIALIZER;
    uint64_t n_saved = 0;
    int error = 0;

    ovs_mutex_lock(&p->mutex);
    if (p->enabled) {
        error = ct_save_ext(ct, p->path, time_msec(), &err, &n_saved);
        if (!error) {
            VLOG_INFO("%s: saved %"PRIu64" connections to %s",
                      dp_name, n_saved, p->path);
        } else {
            VLOG_WARN("%s: connection table not saved: %s",
                      dp_name, ds_cstr(&err));
        }
    }
    bool saved = p->enabled && !error;
    ovs_mutex_unlock(&p->mutex);
    ds_destroy(&err);
    return saved;
}
