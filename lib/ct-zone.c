/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ct-zone.h"

#include <errno.h>
#include "util.h"

#define OWN_UNLIMITED UINT32_MAX

void
ct_zones_init(struct ct_zones *z, uint32_t max_conns)
{
    atomic_init(&z->max_conns, max_conns);
    atomic_init(&z->n_conns, 0);
    atomic_init(&z->default_limit, 0);
    atomic_init(&z->n_own_limits, 0);
    /* Zeroed pages cost no memory until a zone is used. */
    z->slots = xcalloc(CT_N_ZONES, sizeof *z->slots);
}

void
ct_zones_destroy(struct ct_zones *z)
{
    free(z->slots);
}

static uint32_t
slot_limit(const struct ct_zones *z, const struct ct_zone_slot *s)
{
    uint32_t own, def;

    atomic_read_relaxed(&CONST_CAST(struct ct_zone_slot *, s)->limit, &own);
    if (own == OWN_UNLIMITED) {
        return 0;
    } else if (own) {
        return own;
    }
    atomic_read_relaxed(&CONST_CAST(struct ct_zones *, z)->default_limit,
                        &def);
    return def;
}

uint32_t
ct_zones_limit(const struct ct_zones *z, uint16_t zone)
{
    return slot_limit(z, &z->slots[zone]);
}

uint32_t
ct_zones_count(const struct ct_zones *z, uint16_t zone)
{
    uint32_t count;

    atomic_read_relaxed(&z->slots[zone].count, &count);
    return count;
}

enum ct_admit
ct_zones_admit(struct ct_zones *z, uint16_t zone)
{
    struct ct_zone_slot *s = &z->slots[zone];
    uint32_t max, limit, orig;

    atomic_read_relaxed(&z->max_conns, &max);
    atomic_add_relaxed(&z->n_conns, 1, &orig);
    if (orig >= max) {
        atomic_sub_relaxed(&z->n_conns, 1, &orig);
        return CT_ADMIT_TABLE_FULL;
    }
    limit = slot_limit(z, s);
    atomic_add_relaxed(&s->count, 1, &orig);
    if (limit && orig >= limit) {
        atomic_sub_relaxed(&s->count, 1, &orig);
        atomic_sub_relaxed(&z->n_conns, 1, &orig);
        return CT_ADMIT_ZONE_FULL;
    }
    return CT_ADMIT_OK;
}

void
ct_zones_release(struct ct_zones *z, uint16_t zone)
{
    uint32_t orig;

    atomic_sub_relaxed(&z->slots[zone].count, 1, &orig);
    atomic_sub_relaxed(&z->n_conns, 1, &orig);
}

int
ct_zones_set_limit(struct ct_zones *z, int32_t zone, uint32_t limit)
{
    if (zone == -1) {
        atomic_store_relaxed(&z->default_limit, limit);
        return 0;
    } else if (zone < 0 || zone >= CT_N_ZONES) {
        return EINVAL;
    } else {
        struct ct_zone_slot *s = &z->slots[zone];
        uint32_t old, orig;

        atomic_read_relaxed(&s->limit, &old);
        if (!old) {
            atomic_add_relaxed(&z->n_own_limits, 1, &orig);
        }
        atomic_store_relaxed(&s->limit, limit ? limit : OWN_UNLIMITED);
        return 0;
    }
}

int
ct_zones_del_limit(struct ct_zones *z, int32_t zone)
{
    if (zone == -1) {
        atomic_store_relaxed(&z->default_limit, 0);
        return 0;
    } else if (zone < 0 || zone >= CT_N_ZONES) {
        return EINVAL;
    } else {
        struct ct_zone_slot *s = &z->slots[zone];
        uint32_t old, orig;

        atomic_read_relaxed(&s->limit, &old);
        if (old) {
            atomic_sub_relaxed(&z->n_own_limits, 1, &orig);
        }
        atomic_store_relaxed(&s->limit, 0);
        return 0;
    }
}

void
ct_zones_get_limit(const struct ct_zones *z, int32_t zone, uint32_t *limit,
                   uint32_t *count)
{
    if (zone == -1) {
        /* The default limit, and the connections of the zones it governs. */
        uint32_t total = 0;
        uint32_t n_own;

        atomic_read_relaxed(&CONST_CAST(struct ct_zones *, z)->default_limit,
                            limit);
        atomic_read_relaxed(&CONST_CAST(struct ct_zones *, z)->n_own_limits,
                            &n_own);
        if (!n_own) {
            /* The default governs every zone: no walk over 64K slots. */
            atomic_read_relaxed(&CONST_CAST(struct ct_zones *, z)->n_conns,
                                count);
            return;
        }
        for (int i = 0; i < CT_N_ZONES; i++) {
            uint32_t own, c;

            atomic_read_relaxed(&z->slots[i].limit, &own);
            if (!own) {
                atomic_read_relaxed(&z->slots[i].count, &c);
                total += c;
            }
        }
        *count = total;
    } else if (zone < 0 || zone >= CT_N_ZONES) {
        *limit = 0;
        *count = 0;
    } else {
        *limit = ct_zones_limit(z, zone);
        *count = ct_zones_count(z, zone);
    }
}
