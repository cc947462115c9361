/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* ctdp-bench: ctdp's connection-tracking engine against Open vSwitch 3.1's
 * userspace conntrack, on the same packets, in the same run.  See
 * ctdp-bench(1) for the workloads and the figures.
 *
 * The parent process only parses options, forks one child per measurement
 * (one workload, one engine, one repetition), collects the children's
 * figures through a pipe and prints them.  It starts no thread, so that
 * forking is safe; each child builds its own tracker from nothing, so that
 * neither engine's memory or caches are left over for the other. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-engine.h"
#include "bench-workloads.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "process.h"
#include "util.h"

/* Workloads, in the order they are reported. */
enum bench_wl {
    WL_NEW,
    WL_EST,
    WL_SNAT,
    WL_TCP,
    WL_CHURN,
    WL_EST_2T,
    N_WL
};

struct bench_wl_info {
    const char *name;
    const char *unit;
    enum bench_measurement m;
    double ratio_target;        /* ctdp / OVS to reach, or 0. */
};

static const struct bench_wl_info bench_wls[N_WL] = {
    [WL_NEW]    = { "W-new",    "Mconn/s", BENCH_M_NEW,   4.5 },
    [WL_EST]    = { "W-est",    "Mpps",    BENCH_M_EST,   7.0 },
    [WL_SNAT]   = { "W-snat",   "Mconn/s", BENCH_M_SNAT,  8.0 },
    [WL_TCP]    = { "W-tcp",    "Mpps",    BENCH_M_TCP,   0 },
    [WL_CHURN]  = { "W-churn",  "Mpps",    BENCH_M_CHURN, 0 },
    [WL_EST_2T] = { "W-est-2t", "Mpps",    BENCH_M_EST,   0 },
};

/* Other targets of the project, reported beside the figures. */
#define TARGET_EST_MPPS 10.0
#define TARGET_BYTES 128.0
#define TARGET_BYTES_NAT 160.0
#define TARGET_SPEEDUP 1.8

/* Measurements, in the order they run. */
static const enum bench_measurement bench_run_order[] = {
    BENCH_M_NEW, BENCH_M_EST, BENCH_M_SNAT, BENCH_M_TCP, BENCH_M_CHURN,
};
#define N_MEASUREMENTS 5

enum { E_CTDP, E_OVS, N_ENGINES };
static const struct bench_engine *const bench_engines[N_ENGINES] = {
    [E_CTDP] = &bench_engine_ctdp,
    [E_OVS] = &bench_engine_ovs,
};

/* Command-line settings. */
struct bench_options {
    uint32_t n_conns;
    uint64_t n_packets;
    unsigned int reps;
    bool workloads[N_WL];
    bool engines[N_ENGINES];
    bool json;
    bool progress;
    int cpus[2];                /* See struct bench_params. */
};

/* Default sizes, and those of --quick. */
#define DEFAULT_CONNS 1000000
#define DEFAULT_PACKETS 10000000
#define DEFAULT_REPS 5
#define QUICK_CONNS 10000
#define QUICK_PACKETS 100000
#define QUICK_REPS 3
#define MIN_CONNS 1024

/* Every sample of one measurement on one engine. */
struct bench_samples {
    struct bench_sample *s;     /* 'reps' of them. */
    unsigned int n;
};

static void OVS_NO_RETURN
usage(void)
{
    printf("\
%s: benchmark ctdp's conntrack engine against Open vSwitch's\n\
usage: %s [OPTION]...\n\
\n\
Runs the engine workloads (W-new, W-est, W-snat, W-tcp, W-churn,\n\
W-est-2t) on ctdp's engine and on Open vSwitch 3.1's userspace conntrack\n\
with the same packets, and prints the median and range of each figure\n\
with the ratio ctdp/OVS.\n\
\n\
Options:\n\
  --conns N            connections of the table (default %d)\n\
  --packets N          timed packets of W-est and W-churn (default %d)\n\
  --reps N             repetitions of each measurement (default %d)\n\
  --workload NAME,...  run only these workloads\n\
  --engine ENGINE      ctdp, ovs or both (default both)\n\
  --quick              small sizes for a smoke test (N=%d, %d packets,\n\
                       %d repetitions), unless set explicitly\n\
  --json               print the figures as JSON\n\
  --progress           show progress on stderr even when not a terminal\n\
  --cpus A[,B]|none    pin the measuring thread to CPU A and W-est-2t's\n\
                       second thread to B (default: the first two CPUs\n\
                       this process may use); none: no pinning\n\
  -h, --help           display this help message and exit\n",
           program_name, program_name, DEFAULT_CONNS, DEFAULT_PACKETS,
           DEFAULT_REPS, QUICK_CONNS, QUICK_PACKETS, QUICK_REPS);
    exit(EXIT_SUCCESS);
}

static uint64_t
parse_count(const char *option, const char *arg, uint64_t min, uint64_t max)
{
    unsigned long long int value;
    char *end;

    errno = 0;
    value = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-'
        || value < min || value > max) {
        ovs_fatal(0, "--%s: \"%s\" is not an integer between %"PRIu64
                  " and %"PRIu64, option, arg, min, max);
    }
    return value;
}

static void
parse_workloads(const char *arg, bool workloads[N_WL])
{
    char *copy = xstrdup(arg);
    char *save = NULL;

    memset(workloads, 0, N_WL * sizeof workloads[0]);
    for (char *name = strtok_r(copy, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        int i;

        for (i = 0; i < N_WL; i++) {
            if (!strcasecmp(name, bench_wls[i].name)) {
                break;
            }
        }
        if (i == N_WL) {
            ovs_fatal(0, "--workload: unknown workload \"%s\" (known: W-new, "
                      "W-est, W-snat, W-tcp, W-churn, W-est-2t)", name);
        }
        workloads[i] = true;
    }
    free(copy);
}

/* The first two CPUs of the process's affinity mask (the same one twice if
 * it has one), or -1 if it cannot be read. */
static void
default_cpus(int cpus[2])
{
    cpu_set_t set;
    int n = 0;

    cpus[0] = cpus[1] = -1;
    if (sched_getaffinity(0, sizeof set, &set)) {
        return;
    }
    for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++) {
        if (CPU_ISSET(cpu, &set)) {
            cpus[n++] = cpu;
        }
    }
    if (n == 1) {
        cpus[1] = cpus[0];
    }
}

static void
parse_cpus(const char *arg, int cpus[2])
{
    char *copy, *comma;

    if (!strcmp(arg, "none")) {
        cpus[0] = cpus[1] = -1;
        return;
    }
    copy = xstrdup(arg);
    comma = strchr(copy, ',');
    if (comma) {
        *comma = '\0';
    }
    cpus[0] = parse_count("cpus", copy, 0, CPU_SETSIZE - 1);
    cpus[1] = comma ? parse_count("cpus", comma + 1, 0, CPU_SETSIZE - 1)
                    : cpus[0];
    free(copy);
}

static void
parse_options(int argc, char *argv[], struct bench_options *o)
{
    enum {
        OPT_CONNS = UCHAR_MAX + 1,
        OPT_PACKETS,
        OPT_REPS,
        OPT_WORKLOAD,
        OPT_ENGINE,
        OPT_QUICK,
        OPT_JSON,
        OPT_PROGRESS,
        OPT_CPUS,
    };
    static const struct option long_options[] = {
        {"conns", required_argument, NULL, OPT_CONNS},
        {"packets", required_argument, NULL, OPT_PACKETS},
        {"reps", required_argument, NULL, OPT_REPS},
        {"workload", required_argument, NULL, OPT_WORKLOAD},
        {"engine", required_argument, NULL, OPT_ENGINE},
        {"quick", no_argument, NULL, OPT_QUICK},
        {"json", no_argument, NULL, OPT_JSON},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t conns = 0, packets = 0, reps = 0;
    bool quick = false;

    memset(o, 0, sizeof *o);
    for (int i = 0; i < N_WL; i++) {
        o->workloads[i] = true;
    }
    o->engines[E_CTDP] = o->engines[E_OVS] = true;
    o->progress = isatty(STDERR_FILENO);
    default_cpus(o->cpus);

    for (;;) {
        int c = getopt_long(argc, argv, "h", long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_CONNS:
            conns = parse_count("conns", optarg, MIN_CONNS,
                                BENCH_MAX_FLOWS / 2);
            break;
        case OPT_PACKETS:
            packets = parse_count("packets", optarg, 1, UINT64_C(1) << 40);
            break;
        case OPT_REPS:
            reps = parse_count("reps", optarg, 1, 1000);
            break;
        case OPT_WORKLOAD:
            parse_workloads(optarg, o->workloads);
            break;
        case OPT_ENGINE:
            if (!strcmp(optarg, "both")) {
                o->engines[E_CTDP] = o->engines[E_OVS] = true;
            } else if (!strcmp(optarg, "ctdp") || !strcmp(optarg, "ovs")) {
                o->engines[E_CTDP] = !strcmp(optarg, "ctdp");
                o->engines[E_OVS] = !o->engines[E_CTDP];
            } else {
                ovs_fatal(0, "--engine: \"%s\" is not ctdp, ovs or both",
                          optarg);
            }
            break;
        case OPT_QUICK:
            quick = true;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_PROGRESS:
            o->progress = true;
            break;
        case OPT_CPUS:
            parse_cpus(optarg, o->cpus);
            break;
        case 'h':
            usage();
        case '?':
            exit(EXIT_FAILURE);
        default:
            OVS_NOT_REACHED();
        }
    }
    if (optind < argc) {
        ovs_fatal(0, "unexpected argument \"%s\" (use --help for help)",
                  argv[optind]);
    }

    o->n_conns = conns ? conns : quick ? QUICK_CONNS : DEFAULT_CONNS;
    o->n_packets = packets ? packets : quick ? QUICK_PACKETS : DEFAULT_PACKETS;
    o->reps = reps ? reps : quick ? QUICK_REPS : DEFAULT_REPS;
    if (o->workloads[WL_CHURN]
        && o->n_conns + o->n_packets / 10 > BENCH_MAX_FLOWS) {
        ovs_fatal(0, "W-churn needs N + packets/10 <= %u distinct flows",
                  BENCH_MAX_FLOWS);
    }
}

/* Reads exactly 'size' bytes from 'fd' unless the writer closed it first.
 * Returns the number of bytes read. */
static size_t
read_fully(int fd, void *buf, size_t size)
{
    size_t done = 0;

    while (done < size) {
        ssize_t n = read(fd, (char *) buf + done, size - done);

        if (n > 0) {
            done += n;
        } else if (!n || errno != EINTR) {
            break;
        }
    }
    return done;
}

static bool
write_fully(int fd, const void *buf, size_t size)
{
    size_t done = 0;

    while (done < size) {
        ssize_t n = write(fd, (const char *) buf + done, size - done);

        if (n > 0) {
            done += n;
        } else if (n < 0 && errno != EINTR) {
            return false;
        }
    }
    return true;
}

static void
clear_progress(const struct bench_options *o)
{
    if (o->progress) {
        fprintf(stderr, "\r%60s\r", "");
        fflush(stderr);
    }
}

/* Runs measurement 'm' on 'engine' in a child process and stores its
 * figures in '*sample'.  Exits if the measurement fails. */
static void
run_measurement(enum bench_measurement m, const struct bench_engine *engine,
                const struct bench_params *params,
                const struct bench_options *o, struct bench_sample *sample)
{
    int fds[2];
    size_t n_read;
    int status;
    pid_t pid;

    if (pipe(fds)) {
        ovs_fatal(errno, "pipe failed");
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        ovs_fatal(errno, "fork failed");
    } else if (!pid) {
        struct bench_sample s;

        close(fds[0]);
        bench_measure(m, engine, params, &s);
        _exit(write_fully(fds[1], &s, sizeof s) ? EXIT_SUCCESS
              : EXIT_FAILURE);
    }

    close(fds[1]);
    n_read = read_fully(fds[0], sample, sizeof *sample);
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            ovs_fatal(errno, "waitpid failed");
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status)
        || n_read != sizeof *sample) {
        char *msg = process_status_msg(status);

        clear_progress(o);
        ovs_error(0, "%s: measurement failed (%s)", params->label, msg);
        free(msg);
        exit(EXIT_FAILURE);
    }
}

/* Names measurement 'm' after the selected workloads it measures. */
static const char *
measurement_name(enum bench_measurement m, const struct bench_options *o)
{
    if (m == BENCH_M_EST && o->workloads[WL_EST] && o->workloads[WL_EST_2T]) {
        return "W-est/W-est-2t";
    }
    for (int wl = 0; wl < N_WL; wl++) {
        if (o->workloads[wl] && bench_wls[wl].m == m) {
            return bench_wls[wl].name;
        }
    }
    OVS_NOT_REACHED();
}

static int
compare_doubles(const void *a_, const void *b_)
{
    double a = *(const double *) a_;
    double b = *(const double *) b_;

    return a < b ? -1 : a > b;
}

/* Median, minimum and maximum of a set of values. */
struct bench_stats {
    double median, min, max;
};

/* Computes the statistics of field 'get' of 'samples'. */
static struct bench_stats
bench_stats(const struct bench_samples *samples,
            double (*get)(const struct bench_sample *))
{
    struct bench_stats st = { 0, 0, 0 };
    unsigned int n = samples->n;
    double *v;

    if (!n) {
        return st;
    }
    v = xmalloc(n * sizeof *v);
    for (unsigned int i = 0; i < n; i++) {
        v[i] = get(&samples->s[i]);
    }
    qsort(v, n, sizeof *v, compare_doubles);
    st.min = v[0];
    st.max = v[n - 1];
    st.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    free(v);
    return st;
}

/* Accessors of the fields of 'struct bench_sample', for bench_stats(). */
static double
get_rate(const struct bench_sample *s)
{
    return s->rate;
}

static double
get_rate_2t(const struct bench_sample *s)
{
    return s->rate_2t;
}

static double
get_bytes(const struct bench_sample *s)
{
    return s->bytes_per_conn;
}

static double
get_footprint(const struct bench_sample *s)
{
    return s->footprint_per_conn;
}

static double
get_conns_per_sec(const struct bench_sample *s)
{
    return s->conns_per_sec;
}

static double
get_max_conns(const struct bench_sample *s)
{
    return s->max_conns;
}

/* The figures of one workload on one engine. */
struct bench_figures {
    bool present;
    struct bench_stats rate;
    double bytes_per_conn;      /* W-new, W-snat. */
    double footprint_per_conn;  /* W-new, W-snat. */
    double conns_per_sec;       /* W-tcp. */
    double max_conns;           /* W-churn: the largest of all runs. */
    double speedup;             /* W-est-2t. */
};

static void
bench_figures(enum bench_wl wl, const struct bench_samples *samples,
              struct bench_figures *f)
{
    memset(f, 0, sizeof *f);
    if (!samples->n) {
        return;
    }
    f->present = true;
    if (wl == WL_EST_2T) {
        f->rate = bench_stats(samples, get_rate_2t);
        f->speedup = f->rate.median / bench_stats(samples, get_rate).median;
    } else {
        f->rate = bench_stats(samples, get_rate);
    }
    if (wl == WL_NEW || wl == WL_SNAT) {
        f->bytes_per_conn = bench_stats(samples, get_bytes).median;
        f->footprint_per_conn = bench_stats(samples, get_footprint).median;
    } else if (wl == WL_TCP) {
        f->conns_per_sec = bench_stats(samples, get_conns_per_sec).median;
    } else if (wl == WL_CHURN) {
        f->max_conns = bench_stats(samples, get_max_conns).max;
    }
}

static void
json_stats(struct ds *s, const char *key, const struct bench_stats *st)
{
    ds_put_format(s, ", \"%s\": {\"median\": %.6g, \"min\": %.6g, "
                  "\"max\": %.6g}", key, st->median, st->min, st->max);
}

/* Appends ', "KEY": VALUE' for ctdp and ', "ovs_KEY": VALUE' for OVS. */
static void
json_extra(struct ds *s, const char *key, const struct bench_figures f[],
           double value_ctdp, double value_ovs)
{
    if (f[E_CTDP].present) {
        ds_put_format(s, ", \"%s\": %.6g", key, value_ctdp);
    }
    if (f[E_OVS].present) {
        ds_put_format(s, ", \"ovs_%s\": %.6g", key, value_ovs);
    }
}

static void
print_json(const struct bench_options *o,
           struct bench_figures figs[N_WL][N_ENGINES])
{
    struct ds s = DS_EMPTY_INITIALIZER;
    bool first = true;

    ds_put_cstr(&s, "{\"workloads\": [");
    for (int wl = 0; wl < N_WL; wl++) {
        const struct bench_figures *f = figs[wl];

        if (!o->workloads[wl]) {
            continue;
        }
        ds_put_format(&s, "%s\n  {\"name\": \"%s\", \"unit\": \"%s\"",
                      first ? "" : ",", bench_wls[wl].name,
                      bench_wls[wl].unit);
        first = false;
        if (f[E_CTDP].present) {
            json_stats(&s, "ctdp", &f[E_CTDP].rate);
        }
        if (f[E_OVS].present) {
            json_stats(&s, "ovs", &f[E_OVS].rate);
        }
        if (f[E_CTDP].present && f[E_OVS].present) {
            ds_put_format(&s, ", \"ratio\": %.6g",
                          f[E_CTDP].rate.median / f[E_OVS].rate.median);
        }
        switch ((enum bench_wl) wl) {
        case WL_NEW:
        case WL_SNAT:
            json_extra(&s, "bytes_per_conn", f, f[E_CTDP].bytes_per_conn,
                       f[E_OVS].bytes_per_conn);
            break;
        case WL_TCP:
            json_extra(&s, "conns_per_sec", f, f[E_CTDP].conns_per_sec,
                       f[E_OVS].conns_per_sec);
            break;
        case WL_CHURN:
            json_extra(&s, "max_conns", f, f[E_CTDP].max_conns,
                       f[E_OVS].max_conns);
            break;
        case WL_EST_2T:
            json_extra(&s, "speedup", f, f[E_CTDP].speedup,
                       f[E_OVS].speedup);
            break;
        case WL_EST:
        case N_WL:
            break;
        }
        ds_put_char(&s, '}');
    }
    ds_put_cstr(&s, "\n]}\n");
    fputs(ds_cstr(&s), stdout);
    ds_destroy(&s);
}

static void
put_stats(struct ds *s, const struct bench_figures *f)
{
    size_t start = s->length;

    if (f->present) {
        ds_put_format(s, "%.3f (%.3f-%.3f)", f->rate.median, f->rate.min,
                      f->rate.max);
    } else {
        ds_put_cstr(s, "-");
    }
    while (s->length - start < 26) {
        ds_put_char(s, ' ');
    }
}

/* Appends a line that compares 'value' with 'target' ('at_least' or at
 * most). */
static void
put_target(struct ds *s, const char *what, double value, const char *fmt,
           bool at_least, double target)
{
    bool met = at_least ? value >= target : value <= target;

    ds_put_format(s, "  %-40s ", what);
    ds_put_format(s, fmt, value);
    ds_put_format(s, "  (target %s ", at_least ? ">=" : "<=");
    ds_put_format(s, fmt, target);
    ds_put_format(s, "): %s\n", met ? "met" : "MISSED");
}

/* Ends the line of a table, without trailing spaces. */
static void
end_line(struct ds *s)
{
    while (ds_last(s) == ' ') {
        ds_chomp(s, ' ');
    }
    ds_put_char(s, '\n');
}

static void
put_bytes(struct ds *s, const char *engine, const char *wl,
          const struct bench_figures *f)
{
    ds_put_format(s, "%-5s %-8s bytes per connection:   %.1f "
                  "(%.1f counting the empty tracker)\n",
                  engine, wl, f->bytes_per_conn, f->footprint_per_conn);
}

static void
print_text(const struct bench_options *o,
           struct bench_figures figs[N_WL][N_ENGINES])
{
    bool both = o->engines[E_CTDP] && o->engines[E_OVS];
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "ctdp-bench: N = %"PRIu32" connections, %"PRIu64
                  " packets (W-est, W-churn), %"PRIu32" TCP connections, "
                  "batches of 32\n", o->n_conns, o->n_packets,
                  o->n_conns / 5);
    if (o->cpus[0] >= 0) {
        ds_put_format(&s, "Measuring thread on CPU %d, W-est-2t's threads "
                      "on CPUs %d and %d.\n", o->cpus[0], o->cpus[0],
                      o->cpus[1]);
    } else {
        ds_put_cstr(&s, "Threads not pinned to CPUs.\n");
    }
    ds_put_format(&s, "Median (min-max) of %u repetition%s%s.\n\n", o->reps,
                  o->reps == 1 ? "" : "s",
                  both ? "; ratio = ctdp median / OVS median" : "");
    ds_put_format(&s, "%-10s%-9s%-26s%-26s%s", "workload", "unit", "ctdp",
                  "OVS", both ? "ctdp/OVS" : "");
    end_line(&s);
    for (int wl = 0; wl < N_WL; wl++) {
        const struct bench_figures *f = figs[wl];

        if (!o->workloads[wl]) {
            continue;
        }
        ds_put_format(&s, "%-10s%-9s", bench_wls[wl].name,
                      bench_wls[wl].unit);
        put_stats(&s, &f[E_CTDP]);
        put_stats(&s, &f[E_OVS]);
        if (both) {
            ds_put_format(&s, "%.2fx",
                          f[E_CTDP].rate.median / f[E_OVS].rate.median);
        }
        end_line(&s);
    }

    ds_put_cstr(&s, "\n");
    for (int e = 0; e < N_ENGINES; e++) {
        const char *title = bench_engines[e]->title;

        if (!o->engines[e]) {
            continue;
        }
        if (o->workloads[WL_NEW]) {
            put_bytes(&s, title, "W-new", &figs[WL_NEW][e]);
        }
        if (o->workloads[WL_SNAT]) {
            put_bytes(&s, title, "W-snat", &figs[WL_SNAT][e]);
        }
        if (o->workloads[WL_TCP]) {
            ds_put_format(&s, "%-5s W-tcp    connections per second: %.0f\n",
                          title, figs[WL_TCP][e].conns_per_sec);
        }
        if (o->workloads[WL_CHURN]) {
            ds_put_format(&s, "%-5s W-churn  largest table:          %.0f "
                          "connections\n", title, figs[WL_CHURN][e].max_conns);
        }
        if (o->workloads[WL_EST_2T]) {
            ds_put_format(&s, "%-5s W-est-2t speed-up over 1 thread:"
                          " %.2fx\n", title, figs[WL_EST_2T][e].speedup);
        }
    }

    if (o->engines[E_CTDP]) {
        const struct bench_figures *ctdp = NULL;

        ds_put_cstr(&s, "\nTargets:\n");
        for (int wl = 0; wl < N_WL; wl++) {
            if (o->workloads[wl] && both && bench_wls[wl].ratio_target) {
                char what[64];

                snprintf(what, sizeof what, "%s ctdp/OVS", bench_wls[wl].name);
                put_target(&s, what, (figs[wl][E_CTDP].rate.median
                                      / figs[wl][E_OVS].rate.median),
                           "%.2fx", true, bench_wls[wl].ratio_target);
            }
        }
        if (o->workloads[WL_EST]) {
            ctdp = &figs[WL_EST][E_CTDP];
            put_target(&s, "W-est ctdp Mpps", ctdp->rate.median, "%.2f",
                       true, TARGET_EST_MPPS);
        }
        if (o->workloads[WL_NEW]) {
            ctdp = &figs[WL_NEW][E_CTDP];
            put_target(&s, "W-new ctdp bytes per connection",
                       ctdp->bytes_per_conn, "%.0f", false, TARGET_BYTES);
        }
        if (o->workloads[WL_SNAT]) {
            ctdp = &figs[WL_SNAT][E_CTDP];
            put_target(&s, "W-snat ctdp bytes per connection",
                       ctdp->bytes_per_conn, "%.0f", false, TARGET_BYTES_NAT);
        }
        if (o->workloads[WL_EST_2T]) {
            ctdp = &figs[WL_EST_2T][E_CTDP];
            put_target(&s, "W-est-2t ctdp speed-up", ctdp->speedup, "%.2fx",
                       true, TARGET_SPEEDUP);
        }
    }
    fputs(ds_cstr(&s), stdout);
    ds_destroy(&s);
}

int
main(int argc, char *argv[])
{
    struct bench_samples samples[N_MEASUREMENTS][N_ENGINES];
    struct bench_figures figs[N_WL][N_ENGINES];
    struct bench_options o;
    bool need[N_MEASUREMENTS];

    set_program_name(argv[0]);
    parse_options(argc, argv, &o);

    memset(need, 0, sizeof need);
    for (int wl = 0; wl < N_WL; wl++) {
        if (o.workloads[wl]) {
            need[bench_wls[wl].m] = true;
        }
    }
    for (int m = 0; m < N_MEASUREMENTS; m++) {
        for (int e = 0; e < N_ENGINES; e++) {
            samples[m][e].s = xcalloc(o.reps, sizeof *samples[m][e].s);
            samples[m][e].n = 0;
        }
    }

    for (size_t i = 0; i < ARRAY_SIZE(bench_run_order); i++) {
        enum bench_measurement m = bench_run_order[i];
        const char *name;

        if (!need[m]) {
            continue;
        }
        name = measurement_name(m, &o);
        for (unsigned int rep = 0; rep < o.reps; rep++) {
            /* Alternate which engine goes first, so that a drift in the
             * machine's speed weighs on both alike. */
            for (int k = 0; k < N_ENGINES; k++) {
                int e = (rep % 2) ? N_ENGINES - 1 - k : k;
                struct bench_samples *ss = &samples[m][e];
                struct bench_params params;
                char label[64];

                if (!o.engines[e]) {
                    continue;
                }
                snprintf(label, sizeof label, "%s %s %u/%u", name,
                         bench_engines[e]->title, rep + 1, o.reps);
                params = (struct bench_params) {
                    .n_conns = o.n_conns,
                    .n_packets = o.n_packets,
                    .n_tcp_conns = o.n_conns / 5,
                    .seed = rep,
                    .est_1t = true,
                    .est_2t = o.workloads[WL_EST_2T],
                    .progress = o.progress,
                    .cpus = { o.cpus[0], o.cpus[1] },
                    .label = label,
                };
                run_measurement(m, bench_engines[e], &params, &o,
                                &ss->s[ss->n++]);
            }
        }
    }
    clear_progress(&o);

    for (int wl = 0; wl < N_WL; wl++) {
        for (int e = 0; e < N_ENGINES; e++) {
            bench_figures(wl, &samples[bench_wls[wl].m][e], &figs[wl][e]);
        }
    }
    if (o.json) {
        print_json(&o, figs);
    } else {
        print_text(&o, figs);
    }

    for (int m = 0; m < N_MEASUREMENTS; m++) {
        for (int e = 0; e < N_ENGINES; e++) {
            free(samples[m][e].s);
        }
    }
    return 0;
}
