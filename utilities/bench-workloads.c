/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

#include <config.h>

#include "bench-workloads.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench-clock.h"
#include "bench-engine.h"
#include "bench-packets.h"
#include "bitmap.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

/* Batches per chunk.  Packets are written, and their results checked, a
 * chunk at a time outside the timed region; the engine calls of a chunk and
 * one ovsrcu_quiesce() after them are timed as one region. */
#define BENCH_CHUNK 64
#define BENCH_CHUNK_PKTS (BENCH_CHUNK * BENCH_BATCH)

/* The bits of 'md.ct_state' that the checks compare, all of them. */
#define BENCH_CS_MASK (CS_NEW | CS_ESTABLISHED | CS_RELATED | CS_REPLY_DIR \
                       | CS_INVALID | CS_TRACKED | CS_SRC_NAT | CS_DST_NAT)
#define BENCH_CS_NEW (CS_TRACKED | CS_NEW)
#define BENCH_CS_EST (CS_TRACKED | CS_ESTABLISHED)
#define BENCH_CS_RPL (CS_TRACKED | CS_ESTABLISHED | CS_REPLY_DIR)

/* The measurement that this process runs (one per process). */
static const struct bench_params *bench_params;

/* Progress line state, used by one thread at a time: the one that called
 * bench_measure(), or the first of two threads while that one waits. */
static uint64_t bench_progress_ns;

/* Resident memory of the process before the tracker was created. */
static uint64_t bench_rss_start;

static void OVS_PRINTF_FORMAT(1, 2) OVS_NO_RETURN
bench_fail(const char *format, ...)
{
    va_list args;

    if (bench_params->progress) {
        putc('\n', stderr);
    }
    fprintf(stderr, "%s: %s: ", program_name, bench_params->label);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    putc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

/* Updates the progress line with 'phase' and 'done' of 'total', at most five
 * times a second. */
static void
bench_progress(const char *phase, uint64_t done, uint64_t total)
{
    uint64_t now;

    if (!bench_params->progress) {
        return;
    }
    now = bench_clock_ns();
    if (done < total && now - bench_progress_ns < 200 * 1000 * 1000) {
        return;
    }
    bench_progress_ns = now;
    fprintf(stderr, "\r%-28s %-10s %3d%%    ", bench_params->label, phase,
            (int) (100 * done / MAX(total, 1)));
    fflush(stderr);
}

/* Formats 'state' as "+trk+est" into 'buf'. */
static const char *
bench_cs_format(uint32_t state, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (uint32_t bit = 1; bit && bit <= CS_DST_NAT; bit <<= 1) {
        if (state & bit && n < size) {
            n += snprintf(buf + n, size - n, "+%s", ct_state_to_string(bit));
        }
    }
    if (!n) {
        snprintf(buf, size, "(none)");
    }
    return buf;
}

/* Fails unless 'pkt', the 'index'th packet of flow 'flow' in phase 'phase',
 * came out of conntrack with exactly 'expected'. */
static void
bench_check_state(const struct dp_packet *pkt, uint32_t expected,
                  const char *phase, uint64_t index, uint32_t flow)
{
    uint32_t state = pkt->md.ct_state & BENCH_CS_MASK;

    if (state != expected) {
        char got[80], want[80];

        bench_fail("%s: packet %"PRIu64" of flow %"PRIu32" came out %s, "
                   "expected %s", phase, index, flow,
                   bench_cs_format(state, got, sizeof got),
                   bench_cs_format(expected, want, sizeof want));
    }
}

static uint64_t
bench_rss_bytes(void)
{
    unsigned long int size, resident;
    FILE *stream = fopen("/proc/self/statm", "r");

    if (!stream || fscanf(stream, "%lu %lu", &size, &resident) != 2) {
        bench_fail("cannot read /proc/self/statm");
    }
    fclose(stream);
    return (uint64_t) resident * sysconf(_SC_PAGESIZE);
}

/* Pseudo-random numbers (splitmix64): the same seed gives both engines the
 * same packets. */
static uint64_t
bench_rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Returns a uniformly distributed number in [0, n). */
static uint32_t
bench_rng_below(uint64_t *state, uint32_t n)
{
    return ((bench_rng_next(state) >> 32) * n) >> 32;
}

/* Runner: one thread's chunk of packets and its timing. */
struct bench_runner {
    const struct bench_engine *engine;
    void *ct;
    struct bench_pool pool;     /* BENCH_CHUNK batches. */
    size_t n_batches;           /* Batches in use in the current chunk. */
    bool virtual_time;          /* Use 'now[]' and advance the virtual
                                 * clock (W-churn). */
    long long int now[BENCH_CHUNK]; /* Time of each batch if virtual. */
    uint64_t ns;                /* Time spent in timed regions. */
    uint64_t rng;
};

static void
bench_runner_init(struct bench_runner *r, const struct bench_engine *engine,
                  void *ct, uint64_t seed)
{
    r->engine = engine;
    r->ct = ct;
    bench_pool_init(&r->pool, BENCH_CHUNK);
    r->n_batches = 0;
    r->virtual_time = false;
    r->ns = 0;
    r->rng = seed;
}

/* Prepares the runner's chunk for 'n' packets, 0 < n <= BENCH_CHUNK_PKTS,
 * filling batches in order. */
static void
bench_runner_chunk(struct bench_runner *r, size_t n)
{
    ovs_assert(n > 0 && n <= BENCH_CHUNK_PKTS);
    r->n_batches = DIV_ROUND_UP(n, BENCH_BATCH);
    for (size_t b = 0; b < r->n_batches; b++) {
        r->pool.batches[b].count = MIN(BENCH_BATCH, n - b * BENCH_BATCH);
    }
}

static struct dp_packet *
bench_runner_packet(struct bench_runner *r, size_t index)
{
    return r->pool.batches[index / BENCH_BATCH].packets[index % BENCH_BATCH];
}

/* Runs the chunk through the engine, timed. */
static void
bench_runner_execute(struct bench_runner *r, bool commit, bool snat)
{
    struct bench_exec exec = { .commit = commit, .snat = snat };
    uint64_t start;

    if (!r->virtual_time) {
        exec.now = time_msec();     /* Stands still outside W-churn. */
    }
    start = bench_clock_ns();
    for (size_t b = 0; b < r->n_batches; b++) {
        if (r->virtual_time) {
            exec.now = r->now[b];
            bench_clock_set_virtual(exec.now);
        }
        r->engine->execute(r->ct, &r->pool.batches[b], &exec);
    }
    ovsrcu_quiesce();
    r->ns += bench_clock_ns() - start;
}

static void
bench_check_conns(const struct bench_runner *r, uint64_t expected,
                  const char *phase)
{
    uint32_t n = r->engine->n_conns(r->ct);

    if (n != expected) {
        bench_fail("%s: %"PRIu32" connections in the table, expected "
                   "%"PRIu64, phase, n, expected);
    }
}

/* Converts 'n' events in 'ns' nanoseconds into millions per second. */
static double
bench_mega_per_sec(uint64_t n, uint64_t ns)
{
    return ns ? n * 1e3 / ns : 0;
}

/* The translated tuples of W-snat seen so far: one bit per destination
 * (flow % 250) and port.  No two connections may share a reply tuple. */
struct bench_nat_seen {
    unsigned long int *bits;
};

#define BENCH_NAT_SEEN_BITS (250 * 65536)

static void
bench_nat_seen_init(struct bench_nat_seen *seen)
{
    /* Touched now, so that it adds nothing to the memory measured later. */
    seen->bits = bitmap_allocate(BENCH_NAT_SEEN_BITS);
    memset(seen->bits, 0, bitmap_n_bytes(BENCH_NAT_SEEN_BITS));
}

/* Fails unless 'pkt', the SNATed first packet of flow 'flow', has a source
 * in the NAT range that no other connection has been given. */
static void
bench_check_snat(struct bench_nat_seen *seen, const struct dp_packet *pkt,
                 uint32_t flow, const char *phase)
{
    ovs_be32 addr;
    ovs_be16 port;
    size_t bit;

    bench_packet_get_src(pkt, &addr, &port);
    if (addr != htonl(BENCH_SNAT_ADDR)
        || ntohs(port) < BENCH_SNAT_MIN_PORT) {
        bench_fail("%s: flow %"PRIu32" left with source "IP_FMT":%"PRIu16
                   ", outside the NAT range", phase, flow, IP_ARGS(addr),
                   ntohs(port));
    }
    bit = (flow % 250) * 65536 + ntohs(port);
    if (bitmap_is_set(seen->bits, bit)) {
        bench_fail("%s: flow %"PRIu32" was given source "IP_FMT":%"PRIu16
                   ", the translation of an earlier connection to the same "
                   "destination", phase, flow, IP_ARGS(addr), ntohs(port));
    }
    bitmap_set1(seen->bits, bit);
}

/* Commits flows [0, n) in the original direction, checking each packet.
 * With 'seen', they are SNATed, and their translations recorded there. */
static void
bench_commit_flows(struct bench_runner *r, uint32_t n,
                   struct bench_nat_seen *seen, const char *phase)
{
    for (uint32_t k = 0; k < n; k += BENCH_CHUNK_PKTS) {
        size_t m = MIN(BENCH_CHUNK_PKTS, n - k);

        bench_runner_chunk(r, m);
        for (size_t j = 0; j < m; j++) {
            bench_packet_udp(bench_runner_packet(r, j), k + j, false);
        }
        bench_runner_execute(r, true, seen != NULL);
        for (size_t j = 0; j < m; j++) {
            const struct dp_packet *pkt = bench_runner_packet(r, j);

            bench_check_state(pkt, BENCH_CS_NEW | (seen ? CS_SRC_NAT : 0),
                              phase, 0, k + j);
            if (seen) {
                bench_check_snat(seen, pkt, k + j, phase);
            }
        }
        bench_progress(phase, k + m, n);
    }
}

/* W-new and W-snat: commits N new connections to an empty table, with SNAT
 * if 'seen' is nonnull. */
static void
bench_new(struct bench_runner *r, struct bench_nat_seen *seen,
          struct bench_sample *s)
{
    uint32_t n = bench_params->n_conns;
    uint64_t rss_before, rss_after;

    rss_before = bench_rss_bytes();
    bench_commit_flows(r, n, seen, "commit");
    rss_after = bench_rss_bytes();
    bench_check_conns(r, n, "commit");

    s->rate = bench_mega_per_sec(n, r->ns);
    s->bytes_per_conn = (rss_after > rss_before
                         ? (double) (rss_after - rss_before) / n : 0);
    s->footprint_per_conn = (rss_after > bench_rss_start
                             ? (double) (rss_after - bench_rss_start) / n
                             : 0);
}

/* Sends one reply packet of each flow in [0, n), which makes UDP
 * connections bidirectional, so that later packets are +est. */
static void
bench_reply_flows(struct bench_runner *r, uint32_t n, const char *phase)
{
    for (uint32_t k = 0; k < n; k += BENCH_CHUNK_PKTS) {
        size_t m = MIN(BENCH_CHUNK_PKTS, n - k);

        bench_runner_chunk(r, m);
        for (size_t j = 0; j < m; j++) {
            bench_packet_udp(bench_runner_packet(r, j), k + j, true);
        }
        bench_runner_execute(r, false, false);
        for (size_t j = 0; j < m; j++) {
            bench_check_state(bench_runner_packet(r, j), BENCH_CS_RPL,
                              phase, 1, k + j);
        }
        bench_progress(phase, k + m, n);
    }
}

/* Sends 'n_packets' packets, each of a uniformly random flow in [lo, hi),
 * without commit, checking that each is +est.  Returns the rate in Mpps. */
static double
bench_est_run(struct bench_runner *r, uint32_t lo, uint32_t hi,
              uint64_t n_packets, const char *phase, bool report)
{
    uint32_t flows[BENCH_CHUNK_PKTS];
    uint64_t ns_before = r->ns;

    for (uint64_t k = 0; k < n_packets; k += BENCH_CHUNK_PKTS) {
        size_t m = MIN(BENCH_CHUNK_PKTS, n_packets - k);

        bench_runner_chunk(r, m);
        for (size_t j = 0; j < m; j++) {
            flows[j] = lo + bench_rng_below(&r->rng, hi - lo);
            bench_packet_udp(bench_runner_packet(r, j), flows[j], false);
        }
        bench_runner_execute(r, false, false);
        for (size_t j = 0; j < m; j++) {
            bench_check_state(bench_runner_packet(r, j), BENCH_CS_EST,
                              phase, k + j, flows[j]);
        }
        if (report) {
            bench_progress(phase, k + m, n_packets);
        }
    }
    return bench_mega_per_sec(n_packets, r->ns - ns_before);
}

/* Pins the calling thread to 'cpu', unless it is -1. */
static void
bench_pin(int cpu)
{
    if (cpu >= 0) {
        cpu_set_t set;
        int error;

        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        error = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
        if (error) {
            bench_fail("cannot pin a thread to CPU %d (%s)", cpu,
                       ovs_strerror(error));
        }
    }
}

/* One of the two threads of W-est-2t. */
struct bench_est_thread {
    const struct bench_engine *engine;
    void *ct;
    uint32_t lo, hi;            /* Its flows. */
    uint64_t n_packets;
    uint64_t seed;
    int cpu;                    /* -1: not pinned. */
    bool report;                /* Updates the progress line. */
    struct ovs_barrier *start;
    double rate;                /* Result, Mpps. */
};

static void *
bench_est_thread_main(void *t_)
{
    struct bench_est_thread *t = t_;
    struct bench_runner r;

    bench_pin(t->cpu);
    bench_runner_init(&r, t->engine, t->ct, t->seed);
    ovs_barrier_block(t->start);
    t->rate = bench_est_run(&r, t->lo, t->hi, t->n_packets, "2 threads",
                            t->report);
    return NULL;
}

/* W-est and W-est-2t: N established bidirectional connections, then random
 * packets of them without commit. */
static void
bench_est(struct bench_runner *r, struct bench_sample *s)
{
    const struct bench_params *p = bench_params;
    uint32_t n = p->n_conns;

    bench_commit_flows(r, n, NULL, "commit");
    bench_reply_flows(r, n, "reply");
    bench_check_conns(r, n, "set-up");

    if (p->est_1t) {
        s->rate = bench_est_run(r, 0, n, p->n_packets, "1 thread", true);
    }
    if (p->est_2t) {
        struct bench_est_thread threads[2];
        struct ovs_barrier start;
        pthread_t ids[2];

        ovs_barrier_init(&start, 2);
        for (int i = 0; i < 2; i++) {
            struct bench_est_thread *t = &threads[i];

            t->engine = r->engine;
            t->ct = r->ct;
            t->lo = i ? n / 2 : 0;
            t->hi = i ? n : n / 2;
            t->n_packets = p->n_packets / 2;
            t->seed = r->rng + 1 + i;
            t->cpu = p->cpus[i];
            t->report = !i;
            t->start = &start;
            t->rate = 0;
        }
        ovsrcu_quiesce_start();
        for (int i = 0; i < 2; i++) {
            ids[i] = ovs_thread_create("bench_est", bench_est_thread_main,
                                       &threads[i]);
        }
        for (int i = 0; i < 2; i++) {
            xpthread_join(ids[i], NULL);
        }
        ovsrcu_quiesce_end();
        ovs_barrier_destroy(&start);

        /* Both threads run the same number of packets of the same kind, so
         * they run side by side for nearly all of their time: the sum of
         * their rates is the table's throughput. */
        s->rate_2t = threads[0].rate + threads[1].rate;
    }
}

/* W-tcp: each connection exchanges these segments, in this order.  Sequence
 * and acknowledgement numbers are offsets from the client's ('c') or the
 * server's ('s') initial sequence number; every segment falls inside the
 * window the other side advertised (65535, no window scaling). */
struct bench_tcp_step {
    bool reply;
    uint16_t flags;
    uint32_t seq;               /* Offset from the sender's ISN. */
    uint32_t ack;               /* Offset from the receiver's ISN. */
    uint16_t payload;
};

#define BENCH_TCP_DATA (TCP_PSH | TCP_ACK)

static const struct bench_tcp_step bench_tcp_steps[] = {
    { false, TCP_SYN,           0, 0, 0 },                      /* SYN */
    { true,  TCP_SYN | TCP_ACK, 0, 1, 0 },                      /* SYN-ACK */
    { false, TCP_ACK,           1, 1, 0 },                      /* ACK */
    { false, BENCH_TCP_DATA,    1, 1, BENCH_TCP_PAYLOAD },      /* data */
    { true,  BENCH_TCP_DATA,    1, 7, BENCH_TCP_PAYLOAD },      /* data */
    { false, BENCH_TCP_DATA,    7, 7, BENCH_TCP_PAYLOAD },      /* data */
    { true,  BENCH_TCP_DATA,    7, 13, BENCH_TCP_PAYLOAD },     /* data */
    { false, TCP_FIN | TCP_ACK, 13, 13, 0 },                    /* FIN */
    { true,  TCP_ACK,           13, 14, 0 },                    /* ACK */
    { true,  TCP_FIN | TCP_ACK, 13, 14, 0 },                    /* FIN */
    { false, TCP_ACK,           14, 14, 0 },                    /* ACK */
};
#define BENCH_TCP_STEPS ARRAY_SIZE(bench_tcp_steps)

/* Connections per chunk: groups of BENCH_BATCH connections, as many as fit
 * with one batch per group and step. */
#define BENCH_TCP_GROUPS (BENCH_CHUNK / BENCH_TCP_STEPS)

static uint32_t
bench_tcp_isn(uint32_t i, bool server)
{
    return server ? 0x80000000u ^ (i * 40503u) : 0x01000000u + i * 2654435761u;
}

static void
bench_tcp_segment(uint32_t i, const struct bench_tcp_step *step,
                  struct bench_tcp_seg *seg)
{
    seg->reply = step->reply;
    seg->flags = step->flags;
    seg->seq = bench_tcp_isn(i, step->reply) + step->seq;
    seg->ack = (step->flags & TCP_ACK
                ? bench_tcp_isn(i, !step->reply) + step->ack : 0);
    seg->payload = step->payload;
}

/* W-tcp: complete TCP connections, all segments with commit.  Within a
 * chunk, the batches go step by step: every group's SYNs, then every
 * group's SYN-ACKs, and so on, so that consecutive batches interleave
 * connections as a busy link does. */
static void
bench_tcp(struct bench_runner *r, struct bench_sample *s)
{
    uint32_t n = bench_params->n_tcp_conns;
    uint32_t per_chunk = BENCH_TCP_GROUPS * BENCH_BATCH;

    for (uint32_t k = 0; k < n; k += per_chunk) {
        uint32_t m = MIN(per_chunk, n - k);
        size_t n_groups = DIV_ROUND_UP(m, BENCH_BATCH);

        r->n_batches = n_groups * BENCH_TCP_STEPS;
        for (size_t st = 0; st < BENCH_TCP_STEPS; st++) {
            for (size_t g = 0; g < n_groups; g++) {
                struct dp_packet_batch *batch
                    = &r->pool.batches[st * n_groups + g];
                size_t count = MIN(BENCH_BATCH, m - g * BENCH_BATCH);

                batch->count = count;
                for (size_t j = 0; j < count; j++) {
                    uint32_t i = k + g * BENCH_BATCH + j;
                    struct bench_tcp_seg seg;

                    bench_tcp_segment(i, &bench_tcp_steps[st], &seg);
                    bench_packet_tcp(batch->packets[j], i, &seg);
                }
            }
        }
        bench_runner_execute(r, true, false);
        for (size_t st = 0; st < BENCH_TCP_STEPS; st++) {
            const struct bench_tcp_step *step = &bench_tcp_steps[st];
            uint32_t expected = (!st ? BENCH_CS_NEW
                                 : step->reply ? BENCH_CS_RPL
                                 : BENCH_CS_EST);

            for (size_t g = 0; g < n_groups; g++) {
                struct dp_packet_batch *batch
                    = &r->pool.batches[st * n_groups + g];

                for (size_t j = 0; j < batch->count; j++) {
                    bench_check_state(batch->packets[j], expected, "tcp",
                                      st, k + g * BENCH_BATCH + j);
                }
            }
        }
        bench_progress("tcp", k + m, n);
    }
    bench_check_conns(r, n, "tcp");

    s->rate = bench_mega_per_sec((uint64_t) n * BENCH_TCP_STEPS, r->ns);
    s->conns_per_sec = bench_mega_per_sec(n, r->ns) * 1e6;
}

/* W-churn.
 *
 * The table holds flows 0, 1, 2, ... in order of creation.  In steady
 * state, one packet in BENCH_CHURN_NEW creates the next flow, one in
 * BENCH_CHURN_NEW answers the flow created BENCH_CHURN_LAG flows earlier
 * (making it bidirectional), and the others belong to a uniformly random
 * flow of the window: the W = N / 2 flows created before the
 * BENCH_CHURN_GAP most recent ones (whose replies are at least a batch in
 * the past, so that no result depends on an earlier packet of the same
 * batch).  Flows older than the window get no more packets and expire.
 *
 * Time is virtual: it advances with the packet count, by
 * BENCH_CHURN_TIMEOUT_MS (UDP's timeout for a bidirectional connection, in
 * both engines) over BENCH_CHURN_SPAN * N packets.  A flow stays in the
 * window for about 10 W = 5 N packets, less than that span, so every flow
 * of the window is alive when one of its packets arrives; a flow that leaves
 * the window expires at most 30 virtual seconds later.  The live table thus
 * stays near N: about W flows in the window plus those that left it in the
 * last 30 seconds.  How many expired flows the table holds besides depends
 * on each engine's expiry.
 *
 * Before the timed packets, the table is filled with the history that leads
 * to this state: flows 0 to N-1, each created and answered at the virtual
 * time of its place in the sequence (the oldest 40% of them have expired
 * when the timed packets start). */
#define BENCH_CHURN_NEW 10
#define BENCH_CHURN_LAG 8
#define BENCH_CHURN_GAP 16
#define BENCH_CHURN_TIMEOUT_MS 30000
#define BENCH_CHURN_SPAN 6

struct bench_churn {
    uint32_t n;                 /* N. */
    uint32_t window;            /* W. */
    long long int base;         /* Virtual time of the first packet. */
};

/* Virtual time of packet 'g' of the sequence, history included. */
static long long int
bench_churn_time(const struct bench_churn *c, uint64_t g)
{
    return c->base + (long long int) (g * BENCH_CHURN_TIMEOUT_MS
                                      / ((uint64_t) BENCH_CHURN_SPAN * c->n));
}

/* Creates flows [0, N) and answers each one, at their virtual times: per
 * chunk, batches of new flows, then batches of their replies. */
static void
bench_churn_history(struct bench_runner *r, const struct bench_churn *c)
{
    uint32_t per_chunk = BENCH_CHUNK_PKTS / 2;

    for (uint32_t k = 0; k < c->n; k += per_chunk) {
        uint32_t m = MIN(per_chunk, c->n - k);
        size_t nb = DIV_ROUND_UP(m, BENCH_BATCH);

        r->n_batches = 2 * nb;
        for (size_t b = 0; b < 2 * nb; b++) {
            struct dp_packet_batch *batch = &r->pool.batches[b];
            uint32_t first = k + (b % nb) * BENCH_BATCH;
            bool reply = b >= nb;

            batch->count = MIN(BENCH_BATCH, k + m - first);
            for (size_t j = 0; j < batch->count; j++) {
                bench_packet_udp(batch->packets[j], first + j, reply);
            }
            r->now[b] = bench_churn_time(c, (uint64_t) first
                                            * BENCH_CHURN_NEW);
        }
        bench_runner_execute(r, true, false);
        for (size_t b = 0; b < 2 * nb; b++) {
            const struct dp_packet_batch *batch = &r->pool.batches[b];
            uint32_t first = k + (b % nb) * BENCH_BATCH;
            bool reply = b >= nb;

            for (size_t j = 0; j < batch->count; j++) {
                bench_check_state(batch->packets[j],
                                  reply ? BENCH_CS_RPL : BENCH_CS_NEW,
                                  "history", reply, first + j);
            }
        }
        bench_progress("history", k + m, c->n);
    }
}

static void
bench_churn(struct bench_runner *r, struct bench_sample *s)
{
    const struct bench_params *p = bench_params;
    struct bench_churn c = {
        .n = p->n_conns,
        .window = p->n_conns / 2,
        .base = time_msec(),
    };
    uint64_t history = (uint64_t) c.n * BENCH_CHURN_NEW;
    uint32_t flows[BENCH_CHUNK_PKTS];
    uint32_t expected[BENCH_CHUNK_PKTS];
    uint64_t max_conns = 0;

    r->virtual_time = true;
    bench_churn_history(r, &c);

    for (uint64_t k = 0; k < p->n_packets; k += BENCH_CHUNK_PKTS) {
        size_t m = MIN(BENCH_CHUNK_PKTS, p->n_packets - k);

        bench_runner_chunk(r, m);
        for (size_t j = 0; j < m; j++) {
            uint64_t g = k + j;
            uint32_t newest = c.n + g / BENCH_CHURN_NEW;
            bool reply = false;

            switch (g % BENCH_CHURN_NEW) {
            case 0:
                flows[j] = newest;
                expected[j] = BENCH_CS_NEW;
                break;
            case BENCH_CHURN_NEW / 2:
                flows[j] = newest - BENCH_CHURN_LAG;
                expected[j] = BENCH_CS_RPL;
                reply = true;
                break;
            default:
                flows[j] = (newest - BENCH_CHURN_GAP - c.window
                            + bench_rng_below(&r->rng, c.window));
                expected[j] = BENCH_CS_EST;
                break;
            }
            bench_packet_udp(bench_runner_packet(r, j), flows[j], reply);
        }
        for (size_t b = 0; b < r->n_batches; b++) {
            r->now[b] = bench_churn_time(&c, history + k + b * BENCH_BATCH);
        }
        bench_runner_execute(r, true, false);
        for (size_t j = 0; j < m; j++) {
            bench_check_state(bench_runner_packet(r, j), expected[j],
                              "churn", k + j, flows[j]);
        }
        max_conns = MAX(max_conns, r->engine->n_conns(r->ct));
        bench_progress("churn", k + m, p->n_packets);
    }
    s->rate = bench_mega_per_sec(p->n_packets, r->ns);
    s->max_conns = max_conns;
    s->end_conns = r->engine->n_conns(r->ct);
}

/* Silences the modules of libopenvswitch that report on wall-clock behaviour
 * (long poll intervals, threads slow to quiesce) by reading time_msec():
 * with a virtual clock that runs many times faster than real time, what
 * they would report is an artefact. */
static void
bench_silence_clock_logs(void)
{
    static const char *const modules[] = { "timeval", "ovs_rcu", "coverage" };

    for (size_t i = 0; i < ARRAY_SIZE(modules); i++) {
        struct vlog_module *module = vlog_module_from_name(modules[i]);

        if (module) {
            vlog_set_levels(module, VLF_ANY_DESTINATION, VLL_OFF);
        }
    }
}

void
bench_measure(enum bench_measurement m, const struct bench_engine *engine,
              const struct bench_params *p, struct bench_sample *s)
{
    struct bench_nat_seen seen;
    struct bench_runner r;
    void *ct;

    bench_params = p;
    memset(s, 0, sizeof *s);
    /* Virtual time from the start, so that the engine's expiry thread never
     * sees real time.  Only W-churn makes it advance: elsewhere no
     * connection may expire, however long a slow or busy machine takes. */
    bench_silence_clock_logs();
    bench_clock_set_virtual(time_msec());
    if (m == BENCH_M_SNAT) {
        /* Before the first memory reading: the checks' memory is not the
         * tracker's. */
        bench_nat_seen_init(&seen);
    }
    bench_rss_start = bench_rss_bytes();
    ct = engine->create();
    /* The engine's own threads exist now, and so does Open vSwitch's RCU
     * thread once this thread quiesces with others running: they keep the
     * process's CPUs, only the measuring thread is pinned. */
    ovsrcu_quiesce();
    bench_pin(p->cpus[0]);
    bench_runner_init(&r, engine, ct, UINT64_C(0x5eed) * (p->seed + 1));

    switch (m) {
    case BENCH_M_NEW:
        bench_new(&r, NULL, s);
        break;
    case BENCH_M_SNAT:
        bench_new(&r, &seen, s);
        break;
    case BENCH_M_EST:
        bench_est(&r, s);
        break;
    case BENCH_M_TCP:
        bench_tcp(&r, s);
        break;
    case BENCH_M_CHURN:
        bench_churn(&r, s);
        break;
    default:
        OVS_NOT_REACHED();
    }
}
