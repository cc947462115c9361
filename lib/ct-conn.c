/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>
#include "ct-conn.h"

#include <sys/mman.h>
#include "util.h"

BUILD_ASSERT_DECL(CT_CONN_NAT4_OFS == 88);
BUILD_ASSERT_DECL(CT_CONN_NAT6_OFS == 112);
BUILD_ASSERT_DECL(sizeof(union ct_l4) == 24);
BUILD_ASSERT_DECL(sizeof(struct ct_conn_acct) == 40);

#define CT_ARENA_REGION CT_HUGE_PAGE
size_t
ct_conn_class_size(enum ct_conn_class class)
{
    switch (class) {
    case CT_CLASS_V4:
        return CT_CONN_NAT4_OFS;
    case CT_CLASS_V4_NAT:
        return CT_CONN_NAT4_OFS + sizeof(struct ct_conn_nat4);
    case CT_CLASS_V6:
        return CT_CONN_NAT6_OFS;
    case CT_CLASS_V6_NAT:
        return ROUND_UP(CT_CONN_NAT6_OFS + sizeof(struct ct_conn_nat6), 8);
    case CT_CLASS_V4_ACCT:
    case CT_CLASS_V4_NAT_ACCT:
    case CT_CLASS_V6_ACCT:
    case CT_CLASS_V6_NAT_ACCT:
        return (ct_conn_class_size(class - CT_CLASS_V4_ACCT)
                + sizeof(struct ct_conn_acct));
    case CT_N_CLASSES:
    default:
        OVS_NOT_REACHED();
    }
}

enum ct_conn_class
ct_conn_class_of(bool v6, bool reply_node, bool acct)
{
    enum ct_conn_class c = (v6 ? (reply_node ? CT_CLASS_V6_NAT : CT_CLASS_V6)
                               : (reply_node ? CT_CLASS_V4_NAT : CT_CLASS_V4));

    return acct ? c + CT_CLASS_V4_ACCT : c;
}

void
ct_conn_orig_key(const struct ct_conn *c, struct ct_key *k)
{
    k->v6 = ct_conn_is_v6(c);
    if (k->v6) {
        k->t6 = c->orig.t6;
    } else {
        k->t4 = c->orig.t4;
    }
}

void
ct_conn_reply_key(const struct ct_conn *c, struct ct_key *k)
{
    if (!ct_conn_has_reply_node(c)) {
        struct ct_key orig;

        ct_conn_orig_key(c, &orig);
        ct_key_reverse(k, &orig);
    } else if (ct_conn_is_v6(c)) {
        const struct ct_conn_nat6 *nat = (const void *) ct_conn_reply_node(c);

        k->v6 = true;
        k->t6 = nat->reply;
    } else {
        const struct ct_conn_nat4 *nat = (const void *) ct_conn_reply_node(c);

        k->v6 = false;
        k->t4 = nat->reply;
    }
}

uint32_t
ct_conn_get_mark(const struct ct_conn *c)
{
    uint32_t mark;

    atomic_read_relaxed(&CONST_CAST(struct ct_conn *, c)->mark, &mark);
    return mark;
}

ovs_u128
ct_conn_get_label(const struct ct_conn *c)
{
    /* Pairs with ovsrcu_set() in ct_conn_set_label(). */
    const ovs_u128 *label = ovsrcu_get(ovs_u128 *, &c->label);

    return label ? *label : OVS_U128_ZERO;
}

uint32_t
ct_conn_set_mark(struct ct_conn *c, uint32_t cur, uint32_t value,
                 uint32_t mask)
{
    uint32_t mark = value | (cur & ~mask);

    ct_spin_lock(&c->lock);
    atomic_store_relaxed(&c->mark, mark);
    ct_spin_unlock(&c->lock);
    return mark;
}

ovs_u128
ct_conn_set_label(struct ct_conn *c, ovs_u128 cur, ovs_u128 value,
                  ovs_u128 mask)
{
    ovs_u128 label;
    ovs_u128 *old, *new = NULL;

    label.u64.lo = value.u64.lo | (cur.u64.lo & ~mask.u64.lo);
    label.u64.hi = value.u64.hi | (cur.u64.hi & ~mask.u64.hi);

    if (!ovs_u128_is_zero(label)) {
        new = xmalloc(sizeof *new);
        *new = label;
    }
    ct_spin_lock(&c->lock);
    old = ovsrcu_get_protected(ovs_u128 *, &c->label);
    if (old && new && ovs_u128_equals(*old, *new)) {
        ct_spin_unlock(&c->lock);
        free(new);
        return label;
    }
    ovsrcu_set(&c->label, new);
    ct_spin_unlock(&c->lock);
    if (old) {
        ovsrcu_postpone(free, old);
    }
    return label;
}

void
ct_conn_release(struct ct_conn *c)
{
    free(ovsrcu_get_protected(ovs_u128 *, &c->label));
    ovsrcu_set_hidden(&c->label, NULL);
}

/* Arena. */

void
ct_arena_init(struct ct_arena *arena)
{
    ovs_mutex_init(&arena->mutex);
    ovs_mutex_lock(&arena->mutex);
    arena->cur = NULL;
    arena->left = 0;
    arena->regions = NULL;
    arena->n_regions = arena->allocated_regions = 0;
    ovs_mutex_unlock(&arena->mutex);
}

void
ct_arena_destroy(struct ct_arena *arena)
{
    ovs_mutex_lock(&arena->mutex);
    for (size_t i = 0; i < arena->n_regions; i++) {
        ct_huge_unmap(arena->regions[i], CT_ARENA_REGION);
    }
    free(arena->regions);
    ovs_mutex_unlock(&arena->mutex);
    ovs_mutex_destroy(&arena->mutex);
}

void *
ct_huge_map(size_t len)
{
    size_t span = ROUND_UP(len, CT_HUGE_PAGE) + CT_HUGE_PAGE;
    char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *aligned, *end;

    if (p == MAP_FAILED) {
        out_of_memory();
    }
    len = ROUND_UP(len, CT_HUGE_PAGE);
    aligned = (char *) ROUND_UP((uintptr_t) p, CT_HUGE_PAGE);
    end = aligned + len;
    if (aligned > p) {
        munmap(p, aligned - p);
    }
    if (p + span > end) {
        munmap(end, p + span - end);
    }
#ifdef MADV_HUGEPAGE
    /* Advisory: without huge pages everything works, just slower. */
    madvise(aligned, len, MADV_HUGEPAGE);
#endif
    return aligned;
}

void
ct_huge_unmap(void *p, size_t len)
{
    if (p) {
        munmap(p, ROUND_UP(len, CT_HUGE_PAGE));
    }
}

void *
ct_arena_chunk(struct ct_arena *arena)
    OVS_EXCLUDED(arena->mutex)
{
    void *chunk;

    ovs_mutex_lock(&arena->mutex);
    if (arena->left < CT_SLAB_CHUNK) {
        if (arena->n_regions >= arena->allocated_regions) {
            arena->regions = x2nrealloc(arena->regions,
                                        &arena->allocated_regions,
                                        sizeof *arena->regions);
        }
        arena->cur = ct_huge_map(CT_ARENA_REGION);
        arena->regions[arena->n_regions++] = arena->cur;
        arena->left = CT_ARENA_REGION;
    }
    chunk = arena->cur;
    arena->cur += CT_SLAB_CHUNK;
    arena->left -= CT_SLAB_CHUNK;
    ovs_mutex_unlock(&arena->mutex);
    return chunk;
}

/* Slab allocator. */

void
ct_slab_init(struct ct_slab *slab, size_t obj_size, struct ct_arena *arena)
{
    memset(slab, 0, sizeof *slab);
    slab->obj_size = ROUND_UP(obj_size, 8);
    slab->arena = arena;
}

void
ct_slab_destroy(struct ct_slab *slab)
{
    /* The chunks belong to the arena. */
    memset(slab, 0, sizeof *slab);
}

void *
ct_slab_alloc(struct ct_slab *slab)
{
    void *obj = slab->free;

    if (obj) {
        memcpy(&slab->free, obj, sizeof slab->free);
        if (slab->free) {
            /* The next allocation reads its link and writes it. */
            OVS_PREFETCH_WRITE(slab->free);
        }
    } else {
        if (slab->bump_left < slab->obj_size) {
            slab->bump = ct_arena_chunk(slab->arena);
            slab->bump_left = CT_SLAB_CHUNK;
            slab->n_chunks++;
        }
        obj = slab->bump;
        slab->bump += slab->obj_size;
        slab->bump_left -= slab->obj_size;
        if (slab->bump_left >= slab->obj_size) {
            /* Fresh memory, so the next object's first write would miss:
             * start fetching its lines now. */
            OVS_PREFETCH_WRITE(slab->bump);
            OVS_PREFETCH_WRITE(slab->bump + slab->obj_size - 1);
        }
    }
    slab->n_objs++;
    return obj;
}

void
ct_slab_free(struct ct_slab *slab, void *obj)
{
    memcpy(obj, &slab->free, sizeof slab->free);
    slab->free = obj;
    slab->n_objs--;
}

size_t
ct_slab_bytes(const struct ct_slab *slab)
{
    return slab->n_chunks * CT_SLAB_CHUNK;
}
