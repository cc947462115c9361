/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "ctdp-rx.h"

#include <errno.h>
#include <limits.h>

#include "coverage.h"
#include "ctdp-exec.h"
#include "ctdp-port.h"
#include "dp-packet.h"
#include "dpif-ctdp.h"
#include "latch.h"
#include "netdev.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "seq.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ctdp_rx);

/* One receive queue in a thread's poll list. */
struct ctdp_rxq_poll {
    struct ctdp_port *port;         /* Not freed while listed here. */
    struct netdev_rxq *rxq;
};

struct ctdp_rx_thread {
    /* Immutable. */
    struct ctdp_rx *rx;
    unsigned int id;
    bool in_main;                   /* Polled by ovs-vswitchd's main loop
                                     * (ctdp_rx_run()), no thread of its
                                     * own. */
    pthread_t thread;
    struct latch exit_latch;        /* Set to make the thread exit. */
    struct seq *wake_seq;           /* Changed to wake the thread. */

    /* Held by the thread during each pass over its queues. */
    struct ovs_mutex mutex;
    pthread_cond_t cond;            /* Broadcast on each acknowledgement. */
    struct ctdp_rxq_poll *polls OVS_GUARDED;/* [mutex] */
    size_t n_polls OVS_GUARDED;/* [mutex] */
    size_t allocated OVS_GUARDED;/* [mutex] */
    uint64_t gen OVS_GUARDED;         /* [mutex] Poll list version. */
    uint64_t acked_gen OVS_GUARDED;   /* [mutex] Seen by the thread. */
    uint64_t drain_req OVS_GUARDED;   /* [mutex] Idle wait requested. */
    uint64_t drained OVS_GUARDED;     /* [mutex] Idle wait satisfied. */

    /* Statistics.  [atomic, relaxed] */
    atomic_uint64_t n_batches;
    atomic_uint64_t n_packets;
    atomic_uint64_t n_sleeps;
};

static size_t ctdp_rx_n_pollers(const struct ctdp_rx *rx)
    OVS_REQUIRES(rx->mutex);

/* One pass over 't''s queues.  Returns true if any packet arrived;
 * otherwise registers the queues' wake-up conditions. */
static bool
ctdp_rx_thread_pass(struct ctdp_rx_thread *t)
    OVS_REQUIRES(t->mutex)
{
    struct ctdp *dp = t->rx->dp;
    bool busy = false;

    for (size_t i = 0; i < t->n_polls; i++) {
        struct ctdp_rxq_poll *poll = &t->polls[i];
        struct dp_packet_batch batch;
        uint64_t orig;
        int error;

        dp_packet_batch_init(&batch);
        error = netdev_rxq_recv(poll->rxq, &batch, NULL);
        if (!error) {
            size_t n = dp_packet_batch_size(&batch);

            busy = true;
            atomic_add_relaxed(&t->n_batches, 1, &orig);
            atomic_add_relaxed(&t->n_packets, n, &orig);
            atomic_add_relaxed(&poll->port->rx_packets, n, &orig);
            ctdp_exec_input(dp, &batch, poll->port->port_no);
        } else if (error != EAGAIN && error != EOPNOTSUPP) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

            VLOG_ERR_RL(&rl, "%s: error receiving data (%s)",
                        poll->port->name, ovs_strerror(error));
        }
    }
    if (!busy) {
        for (size_t i = 0; i < t->n_polls; i++) {
            netdev_rxq_wait(t->polls[i].rxq);
        }
    }
    return busy;
}

/* How long an rx thread that always finds packets works between two passes
 * through poll_block(). */
#define CTDP_RX_BUSY_BLOCK_MS 100

static void *
ctdp_rx_thread_main(void *t_)
{
    struct ctdp_rx_thread *t = t_;
    long long int fold_at = LLONG_MAX;  /* See below. */
    long long int block_at = 0;         /* Busy: next poll_block(). */

    for (;;) {
        uint64_t seq = seq_read(t->wake_seq);
        uint64_t orig;
        bool busy;

        ovs_mutex_lock(&t->mutex);
        if (t->acked_gen != t->gen) {
            t->acked_gen = t->gen;
            xpthread_cond_broadcast(&t->cond);
        }
        uint64_t drain_req = t->drain_req;
        busy = ctdp_rx_thread_pass(t);
        if (!busy && t->drained != drain_req) {
            t->drained = drain_req;
            xpthread_cond_broadcast(&t->cond);
        }
        ovs_mutex_unlock(&t->mutex);

        if (latch_is_set(&t->exit_latch)) {
            break;
        }
        if (busy) {
            long long int now = time_msec();

            fold_at = now + COVERAGE_CLEAR_INTERVAL + 1;
            if (now >= block_at) {
                /* A thread kept busy by a flood still passes through
                 * poll_block() now and then, without sleeping: that folds
                 * its coverage counts and tells OVS's timeval that it is
                 * alive, which otherwise logs an "Unreasonably long poll
                 * interval" warning after a second of work. */
                block_at = now + CTDP_RX_BUSY_BLOCK_MS;
                poll_immediate_wake();
                poll_block();
            } else {
                ovsrcu_quiesce();
            }
        } else {
            atomic_add_relaxed(&t->n_sleeps, 1, &orig);
            seq_wait(t->wake_seq, seq);
            latch_wait(&t->exit_latch);
            /* This thread's coverage counts reach the totals only from a
             * poll_block() at least COVERAGE_CLEAR_INTERVAL after the last
             * fold.  Sleep no later than that after the last busy pass, or
             * its last counts would stay invisible while it idles. */
            if (fold_at != LLONG_MAX) {
                if (time_msec() >= fold_at) {
                    fold_at = LLONG_MAX;
                } else {
                    poll_timer_wait_until(fold_at);
                }
            }
            poll_block();
            block_at = time_msec() + CTDP_RX_BUSY_BLOCK_MS;
        }
    }
    return NULL;
}

static struct ctdp_rx_thread *
ctdp_rx_thread_create(struct ctdp_rx *rx, unsigned int id, bool in_main)
{
    struct ctdp_rx_thread *t = xzalloc(sizeof *t);

    t->rx = rx;
    t->id = id;
    t->in_main = in_main;
    latch_init(&t->exit_latch);
    t->wake_seq = seq_create();
    ovs_mutex_init(&t->mutex);
    xpthread_cond_init(&t->cond, NULL);
    atomic_init(&t->n_batches, 0);
    atomic_init(&t->n_packets, 0);
    atomic_init(&t->n_sleeps, 0);
    if (!in_main) {
        t->thread = ovs_thread_create("ctdp_rx", ctdp_rx_thread_main, t);
    }
    return t;
}

/* Stops 't' and frees it.  Its poll list must be empty. */
static void
ctdp_rx_thread_destroy(struct ctdp_rx_thread *t)
{
    if (!t->in_main) {
        latch_set(&t->exit_latch);
        xpthread_join(t->thread, NULL);
    }
    ovs_mutex_lock(&t->mutex);
    ovs_assert(!t->n_polls);
    free(t->polls);
    ovs_mutex_unlock(&t->mutex);
    xpthread_cond_destroy(&t->cond);
    ovs_mutex_destroy(&t->mutex);
    seq_destroy(t->wake_seq);
    latch_destroy(&t->exit_latch);
    free(t);
}

static void
ctdp_rx_thread_add_poll(struct ctdp_rx_thread *t, struct ctdp_port *port,
                        struct netdev_rxq *rxq)
{
    ovs_mutex_lock(&t->mutex);
    if (t->n_polls == t->allocated) {
        t->polls = x2nrealloc(t->polls, &t->allocated, sizeof *t->polls);
    }
    t->polls[t->n_polls].port = port;
    t->polls[t->n_polls].rxq = rxq;
    t->n_polls++;
    t->gen++;
    ovs_mutex_unlock(&t->mutex);
    seq_change(t->wake_seq);
}

/* Removes from 't' every queue of 'port' (all queues if 'port' is NULL) and
 * waits until the thread no longer uses them.  Appends the removed entries
 * to 'removed' if nonnull. */
static void
ctdp_rx_thread_del_polls(struct ctdp_rx_thread *t,
                         const struct ctdp_port *port,
                         struct ctdp_rxq_poll **removed, size_t *n_removed,
                         size_t *allocated)
{
    uint64_t gen;

    ovs_mutex_lock(&t->mutex);
    for (size_t i = 0; i < t->n_polls; ) {
        if (!port || t->polls[i].port == port) {
            if (removed) {
                if (*n_removed == *allocated) {
                    *removed = x2nrealloc(*removed, allocated,
                                          sizeof **removed);
                }
                (*removed)[(*n_removed)++] = t->polls[i];
            }
            t->polls[i] = t->polls[--t->n_polls];
        } else {
            i++;
        }
    }
    gen = ++t->gen;
    if (t->in_main) {
        /* The caller is the polling thread itself. */
        t->acked_gen = gen;
    }
    ovs_mutex_unlock(&t->mutex);

    seq_change(t->wake_seq);
    ovs_mutex_lock(&t->mutex);
    while (t->acked_gen < gen) {
        ovs_mutex_cond_wait(&t->cond, &t->mutex);
    }
    ovs_mutex_unlock(&t->mutex);
}

static size_t
ctdp_rx_thread_load(struct ctdp_rx_thread *t)
{
    size_t n;

    ovs_mutex_lock(&t->mutex);
    n = t->n_polls;
    ovs_mutex_unlock(&t->mutex);
    return n;
}

static void
ctdp_rx_assign(struct ctdp_rx *rx, struct ctdp_port *port,
               struct netdev_rxq *rxq)
    OVS_REQUIRES(rx->mutex)
{
    struct ctdp_rx_thread *best = NULL;
    size_t best_load = SIZE_MAX;

    for (size_t i = 0; i < ctdp_rx_n_pollers(rx); i++) {
        size_t load = ctdp_rx_thread_load(rx->threads[i]);

        if (load < best_load) {
            best = rx->threads[i];
            best_load = load;
        }
    }
    if (best) {
        ctdp_rx_thread_add_poll(best, port, rxq);
    }
}

/* Number of entries in 'rx->threads': the threads, or the main-loop
 * poller. */
static size_t
ctdp_rx_n_pollers(const struct ctdp_rx *rx)
    OVS_REQUIRES(rx->mutex)
{
    return rx->threads ? MAX(rx->n_threads, 1) : 0;
}

void
ctdp_rx_init(struct ctdp_rx *rx, struct ctdp *dp)
{
    ovs_mutex_init(&rx->mutex);
    rx->dp = dp;
    ovs_mutex_lock(&rx->mutex);
    rx->threads = NULL;
    rx->n_threads = 0;
    ovs_mutex_unlock(&rx->mutex);
}

void
ctdp_rx_destroy(struct ctdp_rx *rx)
{
    ovs_mutex_lock(&rx->mutex);
    for (size_t i = 0; i < ctdp_rx_n_pollers(rx); i++) {
        ctdp_rx_thread_del_polls(rx->threads[i], NULL, NULL, NULL, NULL);
        ctdp_rx_thread_destroy(rx->threads[i]);
    }
    free(rx->threads);
    rx->threads = NULL;
    rx->n_threads = 0;
    ovs_mutex_unlock(&rx->mutex);
    ovs_mutex_destroy(&rx->mutex);
}

/* Changes the number of rx threads to 'n' (at most CTDP_RX_MAX_THREADS;
 * 0 means polling from the main loop), moving every queue to the new set
 * of pollers. */
void
ctdp_rx_set_n_threads(struct ctdp_rx *rx, size_t n)
{
    struct ctdp_rxq_poll *polls = NULL;
    size_t n_polls = 0, allocated = 0;
    size_t n_pollers;

    n = MIN(n, CTDP_RX_MAX_THREADS);
    ovs_mutex_lock(&rx->mutex);
    if (n == rx->n_threads && rx->threads) {
        ovs_mutex_unlock(&rx->mutex);
        return;
    }
    for (size_t i = 0; i < ctdp_rx_n_pollers(rx); i++) {
        ctdp_rx_thread_del_polls(rx->threads[i], NULL, &polls, &n_polls,
                                 &allocated);
        ctdp_rx_thread_destroy(rx->threads[i]);
    }
    free(rx->threads);

    n_pollers = MAX(n, 1);
    rx->threads = xcalloc(n_pollers, sizeof *rx->threads);
    rx->n_threads = n;
    for (size_t i = 0; i < n_pollers; i++) {
        rx->threads[i] = ctdp_rx_thread_create(rx, i, n == 0);
    }
    for (size_t i = 0; i < n_polls; i++) {
        ctdp_rx_assign(rx, polls[i].port, polls[i].rxq);
    }
    ovs_mutex_unlock(&rx->mutex);
    free(polls);
}

size_t
ctdp_rx_n_threads(struct ctdp_rx *rx)
{
    size_t n;

    ovs_mutex_lock(&rx->mutex);
    n = rx->n_threads;
    ovs_mutex_unlock(&rx->mutex);
    return n;
}

void
ctdp_rx_add_port(struct ctdp_rx *rx, struct ctdp_port *port)
{
    ovs_mutex_lock(&rx->mutex);
    for (int i = 0; i < port->n_rxq; i++) {
        ctdp_rx_assign(rx, port, port->rxqs[i]);
    }
    ovs_mutex_unlock(&rx->mutex);
}

/* Returns once no rx thread polls any queue of 'port'. */
void
ctdp_rx_del_port(struct ctdp_rx *rx, struct ctdp_port *port)
{
    ovs_mutex_lock(&rx->mutex);
    for (size_t i = 0; i < ctdp_rx_n_pollers(rx); i++) {
        ctdp_rx_thread_del_polls(rx->threads[i], port, NULL, NULL, NULL);
    }
    ovs_mutex_unlock(&rx->mutex);
}

bool
ctdp_rx_wait_idle(struct ctdp_rx *rx, long long timeout_ms)
{
    long long deadline = time_msec() + timeout_ms;
    bool ok = true;

    ovs_mutex_lock(&rx->mutex);
    for (size_t i = 0; i < rx->n_threads && ok; i++) {
        struct ctdp_rx_thread *t = rx->threads[i];
        uint64_t req;

        /* With n_threads == 0 the caller, the main loop, is the poller,
         * and it processed what was queued before it took this
         * request. */
        ovs_mutex_lock(&t->mutex);
        req = ++t->drain_req;
        ovs_mutex_unlock(&t->mutex);
        seq_change(t->wake_seq);

        ovs_mutex_lock(&t->mutex);
        while (t->drained < req) {
            if (time_msec() >= deadline) {
                ok = false;
                break;
            }
            /* Wake up now and then to honour the deadline. */
            ovs_mutex_unlock(&t->mutex);
            seq_change(t->wake_seq);
            xnanosleep(1000 * 1000);
            ovs_mutex_lock(&t->mutex);
        }
        ovs_mutex_unlock(&t->mutex);
    }
    ovs_mutex_unlock(&rx->mutex);
    return ok;
}

void
ctdp_rx_format(struct ctdp_rx *rx, struct ds *s)
{
    ovs_mutex_lock(&rx->mutex);
    ds_put_format(s, "  rx threads: %"PRIuSIZE"%s\n", rx->n_threads,
                  rx->n_threads ? "" : " (ports polled by the main loop)");
    for (size_t i = 0; i < ctdp_rx_n_pollers(rx); i++) {
        struct ctdp_rx_thread *t = rx->threads[i];
        uint64_t batches, packets, sleeps;
        size_t n_polls;

        ovs_mutex_lock(&t->mutex);
        n_polls = t->n_polls;
        ds_put_format(s, "    %s %u: queues:",
                      t->in_main ? "main loop" : "rx thread", t->id);
        for (size_t j = 0; j < n_polls; j++) {
            ds_put_format(s, " %s", t->polls[j].port->name);
        }
        ovs_mutex_unlock(&t->mutex);
        atomic_read_relaxed(&t->n_batches, &batches);
        atomic_read_relaxed(&t->n_packets, &packets);
        atomic_read_relaxed(&t->n_sleeps, &sleeps);
        ds_put_format(s, "%s batches:%"PRIu64" packets:%"PRIu64
                      " sleeps:%"PRIu64"\n", n_polls ? "" : " (none)",
                      batches, packets, sleeps);
    }
    ovs_mutex_unlock(&rx->mutex);
}

/* Polls the main-loop poller's queues once (ctdp-rx-threads=0). */
void
ctdp_rx_run(struct ctdp_rx *rx)
{
    ovs_mutex_lock(&rx->mutex);
    if (!rx->n_threads && rx->threads) {
        struct ctdp_rx_thread *t = rx->threads[0];

        ovs_mutex_lock(&t->mutex);
        t->acked_gen = t->gen;
        ctdp_rx_thread_pass(t);
        ovs_mutex_unlock(&t->mutex);
    }
    ovs_mutex_unlock(&rx->mutex);
}

/* Makes the main loop wake up when a queue of the main-loop poller has
 * packets. */
void
ctdp_rx_wait(struct ctdp_rx *rx)
{
    ovs_mutex_lock(&rx->mutex);
    if (!rx->n_threads && rx->threads) {
        struct ctdp_rx_thread *t = rx->threads[0];

        ovs_mutex_lock(&t->mutex);
        for (size_t i = 0; i < t->n_polls; i++) {
            netdev_rxq_wait(t->polls[i].rxq);
        }
        ovs_mutex_unlock(&t->mutex);
    }
    ovs_mutex_unlock(&rx->mutex);
}
