/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* ctdp-e2e-gen: the traffic source of the end-to-end benchmark
 * (tests/bench-e2e.sh, "make bench-e2e").
 *
 * It writes 60-byte Ethernet + IPv4 + UDP frames, as fast as one thread
 * can, with sendmmsg() on an AF_PACKET socket bound to the client's
 * interface; the switch under test receives them on the other end of that
 * interface's veth and forwards them to the server's.  What the switch
 * forwarded is read from the transmit counter of the switch's output port
 * (its 'tx_packets' in sysfs), at the end of a warm-up and at the end of a
 * timed interval, so that neither the control channel nor a receiving
 * program takes part in the measurement.
 *
 * Two modes:
 *
 *   est  'flows' fixed 5-tuples, sent round-robin.  Before the warm-up
 *        each flow is sent once and the server's answer to it is forged on
 *        the server's interface (addresses and ports swapped, so that it
 *        goes back through the switch's NAT), because a UDP connection that
 *        was never answered stays "new" in conntrack.  The timed packets
 *        are then those of established connections.
 *
 *   new  Every packet is the first of a connection: packet k goes from
 *        port 1024 + (k / 64000) % 64000 to port 1024 + k % 64000, so
 *        connections to the same server port are 64000 packets apart and
 *        source NAT has free ports to choose from.
 *
 * The namespaces are entered with setns() only to open the sockets; the
 * counters are read in the namespace the program started in.
 *
 * Output: one line of KEY=VALUE pairs, see print_result(). */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "csum.h"
#include "hash.h"
#include "openvswitch/hmap.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "util.h"

#define FRAME_LEN 60
#define PAYLOAD_LEN (FRAME_LEN - ETH_HEADER_LEN - IP_HEADER_LEN \
                     - UDP_HEADER_LEN)
#define MAX_BATCH 256
#define MAX_FLOWS 65536

/* Ports of "new" mode: 64000 server ports, then the next source port. */
#define NEW_PORT_BASE 1024
#define NEW_PORT_SPAN 64000

/* Ports of "est" mode: flow f goes from EST_SPORT_BASE + f to EST_DPORT. */
#define EST_SPORT_BASE 10000
#define EST_DPORT 5000

/* How long "est" mode tries to get every flow answered, and how long it
 * waits for forwarded frames between two rounds. */
#define EST_SETUP_MS 5000
#define EST_ROUND_MS 200

enum gen_mode { MODE_EST, MODE_NEW };

struct gen_options {
    char *client_ns;            /* Network namespace name, or NULL. */
    char *client_dev;
    char *server_ns;            /* Network namespace name, or NULL. */
    char *server_dev;           /* Required in "est" mode. */
    char *count_dev;            /* Output port of the switch. */
    struct eth_addr dst_mac;    /* eth_dst of the client's frames. */
    ovs_be32 src, dst;          /* Client and server addresses. */
    enum gen_mode mode;
    unsigned int flows;         /* "est" mode. */
    unsigned int batch;
    double warmup, duration;    /* Seconds. */
};

/* The client's socket and what goes into every frame it sends. */
struct gen_client {
    int fd;
    struct sockaddr_ll addr;
    struct eth_addr mac;
};

static double
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs 'fn'('ns', 'dev', 'aux') inside network namespace 'ns' (if
 * nonnull) and returns to the original namespace afterwards.  Sockets
 * opened by 'fn' stay in 'ns'. */
static void
in_netns(const char *ns, void (*fn)(const char *dev, void *aux),
         const char *dev, void *aux)
{
    int home = -1, there;

    if (ns) {
        char *path = xasprintf("/run/netns/%s", ns);

        home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        there = open(path, O_RDONLY | O_CLOEXEC);
        if (home < 0 || there < 0) {
            ovs_fatal(errno, "cannot open %s", home < 0
                      ? "/proc/self/ns/net" : path);
        }
        if (setns(there, CLONE_NEWNET)) {
            ovs_fatal(errno, "cannot enter network namespace %s", ns);
        }
        close(there);
        free(path);
    }
    fn(dev, aux);
    if (ns) {
        if (setns(home, CLONE_NEWNET)) {
            ovs_fatal(errno, "cannot return to the original namespace");
        }
        close(home);
    }
}

/* Opens an AF_PACKET socket on 'dev' that receives frames of 'protocol'
 * (0: none) and fills 'addr' to send on it. */
static int
open_packet_socket(const char *dev, ovs_be16 protocol,
                   struct sockaddr_ll *addr, struct eth_addr *mac)
{
    int fd = socket(AF_PACKET, SOCK_RAW, protocol);
    if (fd < 0) {
        ovs_fatal(errno, "cannot open an AF_PACKET socket (are you root?)");
    }

    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ovs_strzcpy(ifr.ifr_name, dev, sizeof ifr.ifr_name);
    if (ioctl(fd, SIOCGIFINDEX, &ifr)) {
        ovs_fatal(errno, "%s: no such interface", dev);
    }
    int ifindex = ifr.ifr_ifindex;
    if (mac) {
        if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
            ovs_fatal(errno, "%s: cannot read the MAC address", dev);
        }
        memcpy(mac->ea, ifr.ifr_hwaddr.sa_data, ETH_ADDR_LEN);
    }

    memset(addr, 0, sizeof *addr);
    addr->sll_family = AF_PACKET;
    addr->sll_protocol = protocol;
    addr->sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *) addr, sizeof *addr)) {
        ovs_fatal(errno, "%s: cannot bind an AF_PACKET socket", dev);
    }
    addr->sll_protocol = htons(ETH_TYPE_IP);
    addr->sll_halen = ETH_ADDR_LEN;
    return fd;
}

static void
open_client(const char *dev, void *client_)
{
    struct gen_client *client = client_;
    int sndbuf = 4 << 20;

    /* Protocol 0: the socket only sends. */
    client->fd = open_packet_socket(dev, 0, &client->addr, &client->mac);
    if (setsockopt(client->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
                   sizeof sndbuf)) {
        ovs_fatal(errno, "cannot set SO_SNDBUF");
    }
}

struct gen_server {
    int fd;
    struct sockaddr_ll addr;
};

static void
open_server(const char *dev, void *server_)
{
    struct gen_server *server = server_;
    struct timeval tv = { .tv_sec = 0, .tv_usec = 20 * 1000 };

    /* ETH_P_ALL: a socket bound to one protocol gets its frames only after
     * the ingress hooks, which drop everything on the benchmark's server
     * interface; one bound to all protocols gets them before. */
    server->fd = open_packet_socket(dev, htons(ETH_P_ALL), &server->addr,
                                    NULL);
    if (setsockopt(server->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv)) {
        ovs_fatal(errno, "cannot set SO_RCVTIMEO");
    }
}

/* Writes into 'frame' a 60-byte UDP frame with valid IP and UDP
 * checksums. */
static void
build_frame(uint8_t frame[FRAME_LEN], struct eth_addr dst_mac,
            struct eth_addr src_mac, ovs_be32 src, ovs_be32 dst,
            ovs_be16 sport, ovs_be16 dport)
{
    struct eth_header *eth = (struct eth_header *) frame;
    struct ip_header *ip = (struct ip_header *) (eth + 1);
    struct udp_header *udp = (struct udp_header *) (ip + 1);
    uint8_t *payload = (uint8_t *) (udp + 1);

    memset(frame, 0, FRAME_LEN);
    eth->eth_dst = dst_mac;
    eth->eth_src = src_mac;
    eth->eth_type = htons(ETH_TYPE_IP);

    ip->ip_ihl_ver = IP_IHL_VER(5, 4);
    ip->ip_tot_len = htons(FRAME_LEN - ETH_HEADER_LEN);
    ip->ip_frag_off = htons(IP_DONT_FRAGMENT);
    ip->ip_ttl = 64;
    ip->ip_proto = IPPROTO_UDP;
    put_16aligned_be32(&ip->ip_src, src);
    put_16aligned_be32(&ip->ip_dst, dst);
    ip->ip_csum = csum(ip, IP_HEADER_LEN);

    udp->udp_src = sport;
    udp->udp_dst = dport;
    udp->udp_len = htons(UDP_HEADER_LEN + PAYLOAD_LEN);
    memcpy(payload, "ctdp-e2e", 8);
    udp->udp_csum = csum_finish(csum_continue(packet_csum_pseudoheader(ip),
                                              udp,
                                              UDP_HEADER_LEN + PAYLOAD_LEN));
    if (!udp->udp_csum) {
        udp->udp_csum = htons(0xffff);
    }
}

/* The 'i'th frame the client sends: flow 'i' % 'flows' in "est" mode,
 * packet 'i' in "new" mode. */
static void
client_frame(const struct gen_options *opt, const struct gen_client *client,
             uint64_t i, uint8_t frame[FRAME_LEN])
{
    uint16_t sport, dport;

    if (opt->mode == MODE_EST) {
        sport = EST_SPORT_BASE + i % opt->flows;
        dport = EST_DPORT;
    } else {
        dport = NEW_PORT_BASE + i % NEW_PORT_SPAN;
        sport = NEW_PORT_BASE + (i / NEW_PORT_SPAN) % NEW_PORT_SPAN;
    }
    build_frame(frame, opt->dst_mac, client->mac, opt->src, opt->dst,
                htons(sport), htons(dport));
}

/* Sends 'n' frames from 'frames' in as few sendmmsg() calls as possible.
 * Returns the number sent. */
static size_t
send_frames(const struct gen_client *client, uint8_t (*frames)[FRAME_LEN],
            size_t n)
{
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iovs[MAX_BATCH];
    size_t sent = 0;

    ovs_assert(n <= MAX_BATCH);
    for (size_t i = 0; i < n; i++) {
        iovs[i].iov_base = frames[i];
        iovs[i].iov_len = FRAME_LEN;
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_name = CONST_CAST(struct sockaddr_ll *,
                                              &client->addr);
        msgs[i].msg_hdr.msg_namelen = sizeof client->addr;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (sent < n) {
        int retval = sendmmsg(client->fd, msgs + sent, n - sent, 0);
        if (retval < 0) {
            if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) {
                continue;
            }
            ovs_fatal(errno, "sendmmsg failed");
        }
        sent += retval;
    }
    return sent;
}

/* Reads the tx_packets counter of 'fd', an open sysfs statistics file. */
static uint64_t
read_counter(int fd, const char *dev)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

    if (n <= 0) {
        ovs_fatal(n < 0 ? errno : 0, "%s: cannot read tx_packets", dev);
    }
    buf[n] = '\0';
    return strtoull(buf, NULL, 10);
}

/* A translated source (address, port) that the server has answered. */
struct answered {
    struct hmap_node node;
    ovs_be32 addr;
    ovs_be16 port;
};

static bool
answer_once(struct hmap *answered, ovs_be32 addr, ovs_be16 port)
{
    uint32_t hash = hash_2words((OVS_FORCE uint32_t) addr,
                                (OVS_FORCE uint16_t) port);
    struct answered *a;

    HMAP_FOR_EACH_WITH_HASH (a, node, hash, answered) {
        if (a->addr == addr && a->port == port) {
            return false;
        }
    }
    a = xmalloc(sizeof *a);
    a->addr = addr;
    a->port = port;
    hmap_insert(answered, &a->node, hash);
    return true;
}

/* Receives on 'server' for 'ms' milliseconds and answers every UDP frame
 * to the server's address whose source the server has not answered yet.
 * Returns the number of new answers. */
static unsigned int
answer_round(const struct gen_options *opt, const struct gen_server *server,
             struct hmap *answered, int ms)
{
    double deadline = now_sec() + ms / 1e3;
    unsigned int n = 0;

    while (now_sec() < deadline) {
        uint8_t frame[2048];
        ssize_t len = recv(server->fd, frame, sizeof frame, 0);

        if (len < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                continue;
            }
            ovs_fatal(errno, "%s: receive failed", opt->server_dev);
        }
        if (len < ETH_HEADER_LEN + IP_HEADER_LEN + UDP_HEADER_LEN) {
            continue;
        }

        const struct eth_header *eth = (const struct eth_header *) frame;
        const struct ip_header *ip = (const struct ip_header *) (eth + 1);
        const struct udp_header *udp = (const struct udp_header *) (ip + 1);
        if (eth->eth_type != htons(ETH_TYPE_IP)
            || ip->ip_ihl_ver != IP_IHL_VER(5, 4)
            || ip->ip_proto != IPPROTO_UDP
            || get_16aligned_be32(&ip->ip_dst) != opt->dst) {
            continue;
        }

        ovs_be32 src = get_16aligned_be32(&ip->ip_src);
        if (answer_once(answered, src, udp->udp_src)) {
            uint8_t reply[FRAME_LEN];
            struct mmsghdr msg;
            struct iovec iov = { .iov_base = reply, .iov_len = FRAME_LEN };

            build_frame(reply, eth->eth_src, eth->eth_dst, opt->dst, src,
                        udp->udp_dst, udp->udp_src);
            memset(&msg, 0, sizeof msg);
            msg.msg_hdr.msg_name = CONST_CAST(struct sockaddr_ll *,
                                              &server->addr);
            msg.msg_hdr.msg_namelen = sizeof server->addr;
            msg.msg_hdr.msg_iov = &iov;
            msg.msg_hdr.msg_iovlen = 1;
            if (sendmmsg(server->fd, &msg, 1, 0) != 1) {
                ovs_fatal(errno, "%s: cannot send an answer",
                          opt->server_dev);
            }
            n++;
        }
    }
    return n;
}

/* "est" mode: makes every flow an answered connection.  Sends all flows,
 * answers what the server receives, and repeats with the flows still
 * unanswered until all are or EST_SETUP_MS passed. */
static void
establish_flows(const struct gen_options *opt,
                const struct gen_client *client)
{
    struct hmap answered = HMAP_INITIALIZER(&answered);
    struct gen_server server;
    double deadline = now_sec() + EST_SETUP_MS / 1e3;

    in_netns(opt->server_ns, open_server, opt->server_dev, &server);
    while (hmap_count(&answered) < opt->flows) {
        if (now_sec() > deadline) {
            ovs_fatal(0, "only %"PRIuSIZE" of %u flows reached the server "
                      "and were answered within %d ms",
                      hmap_count(&answered), opt->flows, EST_SETUP_MS);
        }
        /* Every flow once.  (Answered ones too: their source, as
         * translated, is unknown here, and a few extra packets of an
         * established connection do no harm.) */
        for (unsigned int f = 0; f < opt->flows; f += opt->batch) {
            uint8_t frames[MAX_BATCH][FRAME_LEN];
            size_t n = MIN(opt->batch, opt->flows - f);

            for (size_t i = 0; i < n; i++) {
                client_frame(opt, client, f + i, frames[i]);
            }
            send_frames(client, frames, n);
        }
        answer_round(opt, &server, &answered, EST_ROUND_MS);
    }
    close(server.fd);

    struct answered *a;
    HMAP_FOR_EACH_POP (a, node, &answered) {
        free(a);
    }
    hmap_destroy(&answered);
}

struct gen_result {
    uint64_t sent;              /* Frames sent in the timed interval. */
    uint64_t forwarded;         /* Frames forwarded in that interval. */
    double seconds;             /* Length of the interval. */
};

/* Sends frames without pause for the warm-up and the timed interval. */
static void
blast(const struct gen_options *opt, const struct gen_client *client,
      struct gen_result *r)
{
    char *path = xasprintf("/sys/class/net/%s/statistics/tx_packets",
                           opt->count_dev);
    int counter = open(path, O_RDONLY | O_CLOEXEC);
    if (counter < 0) {
        ovs_fatal(errno, "cannot open %s", path);
    }

    static uint8_t frames[MAX_FLOWS][FRAME_LEN];
    uint64_t next = 0;          /* Index of the next frame to send. */
    if (opt->mode == MODE_EST) {
        for (unsigned int f = 0; f < opt->flows; f++) {
            client_frame(opt, client, f, frames[f]);
        }
    }

    double start = now_sec();
    double t0 = start + opt->warmup;
    double t1 = t0 + opt->duration;
    bool timing = false;
    uint64_t c0 = 0, sent0 = 0;
    double now = start;

    for (;;) {
        uint8_t (*batch)[FRAME_LEN];
        uint8_t new_frames[MAX_BATCH][FRAME_LEN];
        size_t n = opt->batch;

        if (opt->mode == MODE_EST) {
            /* Frames of consecutive flows, wrapping at 'flows'. */
            uint64_t f = next % opt->flows;

            n = MIN(n, opt->flows - f);
            batch = &frames[f];
        } else {
            for (size_t i = 0; i < n; i++) {
                client_frame(opt, client, next + i, new_frames[i]);
            }
            batch = new_frames;
        }
        next += send_frames(client, batch, n);

        now = now_sec();
        if (!timing && now >= t0) {
            timing = true;
            c0 = read_counter(counter, opt->count_dev);
            sent0 = next;
            t0 = now;
            t1 = t0 + opt->duration;
        } else if (timing && now >= t1) {
            break;
        }
    }
    r->forwarded = read_counter(counter, opt->count_dev) - c0;
    r->seconds = now_sec() - t0;
    r->sent = next - sent0;
    close(counter);
    free(path);
}

static void
print_result(const struct gen_options *opt, const struct gen_result *r)
{
    printf("mode=%s flows=%u seconds=%.3f sent=%"PRIu64" forwarded=%"PRIu64
           " offered_pps=%.0f forwarded_pps=%.0f\n",
           opt->mode == MODE_EST ? "est" : "new",
           opt->mode == MODE_EST ? opt->flows : 0, r->seconds, r->sent,
           r->forwarded, r->sent / r->seconds, r->forwarded / r->seconds);
}

static void OVS_NO_RETURN
usage(void)
{
    printf("\
%s: traffic source of ctdp's end-to-end benchmark\n\
usage: %s [OPTION]...\n\
\n\
Sends 60-byte UDP frames as fast as it can on the client interface and\n\
reports how many the switch forwarded, read from the transmit counter\n\
of the switch's output port, during a timed interval after a warm-up.\n\
\n\
Options:\n\
  --client [NETNS:]DEV   interface to send on (in namespace NETNS)\n\
  --server [NETNS:]DEV   the server's interface (\"est\" mode: answers)\n\
  --count DEV            the switch's output port, in this namespace\n\
  --src IP --dst IP      client and server addresses\n\
  --dst-mac MAC          destination MAC of the client's frames\n\
  --mode est|new         fixed flows, or a new connection per packet\n\
  --flows N              flows of \"est\" mode (default 100)\n\
  --batch N              frames per sendmmsg() (default 64, at most %d)\n\
  --warmup SEC           untimed sending first (default 0.5)\n\
  --duration SEC         timed interval (default 2)\n\
  -h, --help             show this help\n",
           program_name, program_name, MAX_BATCH);
    exit(EXIT_SUCCESS);
}

/* Splits "NETNS:DEV" into 'ns' (NULL if there is no colon) and 'dev'. */
static void
parse_ns_dev(const char *arg, char **ns, char **dev)
{
    const char *colon = strchr(arg, ':');

    if (colon) {
        *ns = xmemdup0(arg, colon - arg);
        *dev = xstrdup(colon + 1);
    } else {
        *ns = NULL;
        *dev = xstrdup(arg);
    }
}

static double
parse_seconds(const char *name, const char *arg, double min)
{
    char *end;
    double v = strtod(arg, &end);

    if (*end || !(v >= min) || v > 3600) {
        ovs_fatal(0, "--%s: \"%s\" is not a number of seconds from %g to "
                  "3600", name, arg, min);
    }
    return v;
}

static unsigned int
parse_count(const char *name, const char *arg, unsigned int max)
{
    unsigned int v;

    if (!str_to_uint(arg, 10, &v) || !v || v > max) {
        ovs_fatal(0, "--%s: \"%s\" is not a number from 1 to %u",
                  name, arg, max);
    }
    return v;
}

static void
parse_options(int argc, char *argv[], struct gen_options *opt)
{
    enum {
        OPT_CLIENT = UCHAR_MAX + 1, OPT_SERVER, OPT_COUNT, OPT_SRC, OPT_DST,
        OPT_DST_MAC, OPT_MODE, OPT_FLOWS, OPT_BATCH, OPT_WARMUP,
        OPT_DURATION,
    };
    static const struct option long_options[] = {
        {"client", required_argument, NULL, OPT_CLIENT},
        {"server", required_argument, NULL, OPT_SERVER},
        {"count", required_argument, NULL, OPT_COUNT},
        {"src", required_argument, NULL, OPT_SRC},
        {"dst", required_argument, NULL, OPT_DST},
        {"dst-mac", required_argument, NULL, OPT_DST_MAC},
        {"mode", required_argument, NULL, OPT_MODE},
        {"flows", required_argument, NULL, OPT_FLOWS},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };

    memset(opt, 0, sizeof *opt);
    opt->mode = MODE_EST;
    opt->flows = 100;
    opt->batch = 64;
    opt->warmup = 0.5;
    opt->duration = 2;
    opt->dst_mac = (struct eth_addr) ETH_ADDR_C(02, 00, 00, 00, 00, fe);

    for (;;) {
        int c = getopt_long(argc, argv, "h", long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_CLIENT:
            parse_ns_dev(optarg, &opt->client_ns, &opt->client_dev);
            break;
        case OPT_SERVER:
            parse_ns_dev(optarg, &opt->server_ns, &opt->server_dev);
            break;
        case OPT_COUNT:
            opt->count_dev = xstrdup(optarg);
            break;
        case OPT_SRC:
        case OPT_DST:
            if (!ip_parse(optarg, c == OPT_SRC ? &opt->src : &opt->dst)) {
                ovs_fatal(0, "--%s: \"%s\" is not an IPv4 address",
                          c == OPT_SRC ? "src" : "dst", optarg);
            }
            break;
        case OPT_DST_MAC:
            if (!eth_addr_from_string(optarg, &opt->dst_mac)) {
                ovs_fatal(0, "--dst-mac: \"%s\" is not a MAC address",
                          optarg);
            }
            break;
        case OPT_MODE:
            if (!strcmp(optarg, "est")) {
                opt->mode = MODE_EST;
            } else if (!strcmp(optarg, "new")) {
                opt->mode = MODE_NEW;
            } else {
                ovs_fatal(0, "--mode: \"%s\" is neither est nor new",
                          optarg);
            }
            break;
        case OPT_FLOWS:
            opt->flows = parse_count("flows", optarg, MAX_FLOWS);
            break;
        case OPT_BATCH:
            opt->batch = parse_count("batch", optarg, MAX_BATCH);
            break;
        case OPT_WARMUP:
            opt->warmup = parse_seconds("warmup", optarg, 0);
            break;
        case OPT_DURATION:
            opt->duration = parse_seconds("duration", optarg, 0.01);
            break;
        case 'h':
            usage();
        default:
            exit(EXIT_FAILURE);
        }
    }
    if (optind < argc) {
        ovs_fatal(0, "unexpected argument \"%s\" (use --help)", argv[optind]);
    }
    if (!opt->client_dev || !opt->count_dev || !opt->src || !opt->dst) {
        ovs_fatal(0, "--client, --count, --src and --dst are required "
                  "(use --help)");
    }
    if (opt->mode == MODE_EST && !opt->server_dev) {
        ovs_fatal(0, "--mode=est needs --server");
    }
}

int
main(int argc, char *argv[])
{
    struct gen_options opt;
    struct gen_client client;
    struct gen_result result;

    set_program_name(argv[0]);
    parse_options(argc, argv, &opt);

    in_netns(opt.client_ns, open_client, opt.client_dev, &client);
    if (opt.mode == MODE_EST) {
        establish_flows(&opt, &client);
    }
    blast(&opt, &client, &result);
    print_result(&opt, &result);
    close(client.fd);
    return 0;
}
