/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef CTDP_CT_ZONE_H
#define CTDP_CT_ZONE_H 1

/* Connection limits: one global limit and per-zone limits, with live counts.
 *
 * Every zone has a live count of its connections, kept whether or not a
 * limit applies, and an optional limit of its own; zones without one use
 * the default zone limit.  A limit of 0 means unlimited.
 *
 * Admission adds first and checks after, undoing on failure, so that
 * concurrent admissions never push a count past its limit.
 *
 * Thread-safety: all functions are lock-free (atomics) and may be called
 * from any thread. */

#include <stdbool.h>
#include <stdint.h>
#include "ovs-atomic.h"

#define CT_N_ZONES 65536

struct ct_zone_slot {
    atomic_uint32_t count;      /* Live connections in the zone. */
    atomic_uint32_t limit;      /* 0: the default applies; UINT32_MAX: own
                                 * limit "unlimited"; else own limit. */
};

struct ct_zones {
    atomic_uint32_t max_conns;      /* Global limit. */
    atomic_uint32_t n_conns;        /* Global count. */
    atomic_uint32_t default_limit;  /* 0 = unlimited. */
    atomic_uint32_t n_own_limits;   /* Zones with a limit of their own. */
    struct ct_zone_slot *slots;     /* [I] pointer; CT_N_ZONES entries. */
};

void ct_zones_init(struct ct_zones *, uint32_t max_conns);
void ct_zones_destroy(struct ct_zones *);

/* Result of an admission attempt. */
enum ct_admit {
    CT_ADMIT_OK,
    CT_ADMIT_TABLE_FULL,
    CT_ADMIT_ZONE_FULL,
};

/* Counts one more connection in 'zone' if the global and the zone limit
 * allow it. */
enum ct_admit ct_zones_admit(struct ct_zones *, uint16_t zone);
/* Undoes one admission in 'zone'. */
void ct_zones_release(struct ct_zones *, uint16_t zone);

/* Limit in effect for 'zone' (0 = unlimited). */
uint32_t ct_zones_limit(const struct ct_zones *, uint16_t zone);
uint32_t ct_zones_count(const struct ct_zones *, uint16_t zone);

/* 'zone' -1 (CT_ZONE_DEFAULT) names the default limit.  EINVAL for a zone
 * outside -1...65535. */
int ct_zones_set_limit(struct ct_zones *, int32_t zone, uint32_t limit);
int ct_zones_del_limit(struct ct_zones *, int32_t zone);
void ct_zones_get_limit(const struct ct_zones *, int32_t zone,
                        uint32_t *limit, uint32_t *count);

#endif /* ct-zone.h */
