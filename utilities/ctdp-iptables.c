/*
 * Copyright (c) 2026 The ctdp authors.
 * SPDX-License-Identifier: Apache-2.0
 */

/* ctdp-iptables: compiles iptables-save output into an OpenFlow pipeline of
 * ct() and nat() flows, and optionally loads it into a bridge. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "command-line.h"
#include "ofproto/ipt-compile.h"
#include "ofproto/ipt-diag.h"
#include "ofproto/ipt-parse.h"
#include "ofproto/ipt-topo.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

#ifndef CTDP_VERSION
#define CTDP_VERSION "0.1"
#endif

/* Exit statuses. */
enum {
    EXIT_RULES = 1,             /* Errors in the rules, or apply failed. */
    EXIT_USAGE = 2,             /* Bad command line. */
};

struct options {
    int family;                 /* Of the positional FILE. */
    const char *extra[2];       /* --rules4, --rules6 files. */
    struct ipt_compile_options compile;
    struct ipt_topo topo;
    bool zone_set, snat_zone_set;
    bool skip_unsupported;
    const char *output;
    const char *ovs_ofctl;
    bool bridge_ports;          /* apply: read ports from the bridge. */
};

static void OVS_NO_RETURN
usage(void)
{
    printf("%s: compile iptables rules into OpenFlow flows\n"
           "usage: %s compile [OPTIONS] [FILE]\n"
           "       %s apply [OPTIONS] BRIDGE [FILE]\n"
           "\n"
           "FILE is iptables-save output (ip6tables-save output with -6);\n"
           "standard input if omitted or \"-\".\n"
           "\n"
           "Options:\n"
           "  -4, --ipv4               FILE holds IPv4 rules (default)\n"
           "  -6, --ipv6               FILE holds IPv6 rules\n"
           "  --rules4=FILE            also compile IPv4 rules from FILE\n"
           "  --rules6=FILE            also compile IPv6 rules from FILE\n"
           "  -z, --zone=ZONE          conntrack zone (default 1)\n"
           "  --snat-zone=ZONE         zone for SNAT (default ZONE + 1)\n"
           "  -p, --port-map=MAP       NAME=PORT[:ADDRESS[/PLEN]],...\n"
           "  -r, --route=CIDR=PORT    route CIDR (or \"default\") to PORT\n"
           "  -l, --local=ADDRESS      extra local address\n"
           "  --skip-unsupported       leave out unsupported rules\n"
           "  --no-comments            no comment lines in the output\n"
           "  -o, --output=FILE        write flows to FILE (compile)\n"
           "  --ovs-ofctl=PROGRAM      ovs-ofctl to run (apply)\n"
           "  --no-bridge-ports        do not add the bridge's ports to the\n"
           "                           port map (apply)\n"
           "  -h, --help               display this help message\n"
           "  -V, --version            display version information\n",
           program_name, program_name, program_name);
    exit(EXIT_SUCCESS);
}

static void OVS_NO_RETURN OVS_PRINTF_FORMAT(1, 2)
usage_error(const char *format, ...)
{
    va_list args;

    fprintf(stderr, "%s: ", program_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\n(use --help for help)\n");
    exit(EXIT_USAGE);
}

static void
check_option_error(char *error)
{
    if (error) {
        usage_error("%s", error);
    }
}

static uint16_t
parse_zone(const char *s)
{
    unsigned int zone;

    if (!str_to_uint(s, 10, &zone) || zone > UINT16_MAX) {
        usage_error("invalid zone '%s'", s);
    }
    return zone;
}

static int
parse_options(int argc, char *argv[], struct options *o)
{
    enum {
        OPT_RULES4 = UCHAR_MAX + 1,
        OPT_RULES6,
        OPT_SNAT_ZONE,
        OPT_SKIP_UNSUPPORTED,
        OPT_NO_COMMENTS,
        OPT_OVS_OFCTL,
        OPT_NO_BRIDGE_PORTS,
    };
    static const struct option long_options[] = {
        {"ipv4", no_argument, NULL, '4'},
        {"ipv6", no_argument, NULL, '6'},
        {"rules4", required_argument, NULL, OPT_RULES4},
        {"rules6", required_argument, NULL, OPT_RULES6},
        {"zone", required_argument, NULL, 'z'},
        {"snat-zone", required_argument, NULL, OPT_SNAT_ZONE},
        {"port-map", required_argument, NULL, 'p'},
        {"route", required_argument, NULL, 'r'},
        {"local", required_argument, NULL, 'l'},
        {"skip-unsupported", no_argument, NULL, OPT_SKIP_UNSUPPORTED},
        {"no-comments", no_argument, NULL, OPT_NO_COMMENTS},
        {"output", required_argument, NULL, 'o'},
        {"ovs-ofctl", required_argument, NULL, OPT_OVS_OFCTL},
        {"no-bridge-ports", no_argument, NULL, OPT_NO_BRIDGE_PORTS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case '4':
            o->family = AF_INET;
            break;
        case '6':
            o->family = AF_INET6;
            break;
        case OPT_RULES4:
            o->extra[0] = optarg;
            break;
        case OPT_RULES6:
            o->extra[1] = optarg;
            break;
        case 'z':
            o->compile.zone = parse_zone(optarg);
            o->zone_set = true;
            break;
        case OPT_SNAT_ZONE:
            o->compile.snat_zone = parse_zone(optarg);
            o->snat_zone_set = true;
            break;
        case 'p':
            check_option_error(ipt_topo_add_port_map(&o->topo, optarg));
            break;
        case 'r':
            check_option_error(ipt_topo_add_route(&o->topo, optarg));
            break;
        case 'l':
            check_option_error(ipt_topo_add_local(&o->topo, optarg));
            break;
        case OPT_SKIP_UNSUPPORTED:
            o->skip_unsupported = true;
            break;
        case OPT_NO_COMMENTS:
            o->compile.comments = false;
            break;
        case 'o':
            o->output = optarg;
            break;
        case OPT_OVS_OFCTL:
            o->ovs_ofctl = optarg;
            break;
        case OPT_NO_BRIDGE_PORTS:
            o->bridge_ports = false;
            break;
        case 'h':
            usage();
        case 'V':
            printf("%s (ctdp) %s\n", program_name, CTDP_VERSION);
            exit(EXIT_SUCCESS);
        case '?':
            fprintf(stderr, "(use --help for help)\n");
            exit(EXIT_USAGE);
        default:
            OVS_NOT_REACHED();
        }
    }
    free(short_options);

    if (!o->snat_zone_set) {
        if (o->compile.zone == UINT16_MAX) {
            usage_error("zone %d leaves no room for the SNAT zone; use "
                        "--snat-zone", UINT16_MAX);
        }
        o->compile.snat_zone = o->compile.zone + 1;
    }
    if (o->compile.zone == o->compile.snat_zone) {
        usage_error("--zone and --snat-zone must differ");
    }
    return optind;
}

/* Runs 'argv' with its standard input from 'input' (if nonnull) and, if
 * 'output' is nonnull, its standard output into 'output'.  Returns its exit
 * status, or -1 if it could not be run. */
static int
run_program(char *argv[], const struct ds *input, struct ds *output)
{
    int in_pipe[2], out_pipe[2];
    pid_t pid;
    int status;

    if (pipe(in_pipe) || pipe(out_pipe)) {
        ovs_error(errno, "pipe");
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        ovs_error(errno, "fork");
        return -1;
    } else if (!pid) {
        dup2(in_pipe[0], STDIN_FILENO);
        if (output) {
            dup2(out_pipe[1], STDOUT_FILENO);
        }
        close(in_pipe[0]);
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(out_pipe[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "%s: cannot run %s (%s)\n", program_name, argv[0],
                ovs_strerror(errno));
        _exit(127);
    }

    close(in_pipe[0]);
    close(out_pipe[1]);
    if (input) {
        const char *p = input->string;
        size_t left = input->length;

        while (left) {
            ssize_t n = write(in_pipe[1], p, left);

            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            p += n;
            left -= n;
        }
    }
    close(in_pipe[1]);

    FILE *stream = fdopen(out_pipe[0], "r");
    if (stream) {
        int c;

        while ((c = getc(stream)) != EOF) {
            if (output) {
                ds_put_char(output, c);
            }
        }
        fclose(stream);
    } else {
        close(out_pipe[0]);
    }

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            ovs_error(errno, "waitpid");
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Adds the ports listed by "ovs-ofctl show BRIDGE", lines such as
 * " 1(p1): addr:...", to the port map, unless already there. */
static bool
add_bridge_ports(struct options *o, const char *bridge)
{
    char *argv[] = { CONST_CAST(char *, o->ovs_ofctl), "show",
                     CONST_CAST(char *, bridge), NULL };
    struct ds output = DS_EMPTY_INITIALIZER;
    char *save_ptr = NULL;

    if (run_program(argv, NULL, &output)) {
        fprintf(stderr, "%s: \"%s show %s\" failed\n", program_name,
                o->ovs_ofctl, bridge);
        ds_destroy(&output);
        return false;
    }
    for (char *line = strtok_r(ds_cstr(&output), "\n", &save_ptr); line;
         line = strtok_r(NULL, "\n", &save_ptr)) {
        char number[16], name[64];
        unsigned int ofport;

        if (sscanf(line, " %15[^(](%63[^)]):", number, name) != 2) {
            continue;
        }
        if (!strcmp(number, "LOCAL")) {
            ipt_topo_add_port_if_missing(&o->topo, name, 0xfffe);
        } else if (str_to_uint(number, 10, &ofport) && ofport
                   && ofport < 0xff00) {
            ipt_topo_add_port_if_missing(&o->topo, name, ofport);
        }
    }
    ds_destroy(&output);
    return true;
}

static struct ipt_ruleset *
read_rules(const char *file_name, int family, struct ipt_diag *diag)
{
    struct ipt_ruleset *rs;
    FILE *stream;

    if (!strcmp(file_name, "-")) {
        return ipt_parse(stdin, "<stdin>", family, diag);
    }
    stream = fopen(file_name, "r");
    if (!stream) {
        fprintf(stderr, "%s: %s: %s\n", program_name, file_name,
                ovs_strerror(errno));
        exit(EXIT_RULES);
    }
    rs = ipt_parse(stream, file_name, family, diag);
    fclose(stream);
    return rs;
}

static void
print_lines(const struct ds *lines)
{
    const char *p = lines->string;
    const char *end = p + lines->length;

    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        size_t len = nl ? nl - p : end - p;

        fprintf(stderr, "%s: %.*s\n", program_name, (int) len, p);
        p += len + 1;
    }
}

/* Compiles the rules named by 'argv' into 'flows'.  Exits on errors. */
static void
compile_rules(struct options *o, const char *file_name, struct ds *flows)
{
    struct ipt_ruleset *rulesets[3];
    size_t n = 0;
    struct ipt_diag diag;
    bool ok;

    check_option_error(ipt_topo_finish(&o->topo));
    ipt_diag_init(&diag, o->skip_unsupported);
    if (file_name) {
        rulesets[n++] = read_rules(file_name, o->family, &diag);
    }
    if (o->extra[0]) {
        rulesets[n++] = read_rules(o->extra[0], AF_INET, &diag);
    }
    if (o->extra[1]) {
        rulesets[n++] = read_rules(o->extra[1], AF_INET6, &diag);
    }

    o->compile.topo = &o->topo;
    ok = !diag.n_errors && ipt_compile(rulesets, n, &o->compile, flows,
                                       &diag);
    print_lines(&diag.skipped);
    print_lines(&diag.errors);
    for (size_t i = 0; i < n; i++) {
        ipt_ruleset_destroy(rulesets[i]);
    }
    ipt_diag_destroy(&diag);
    if (!ok) {
        exit(EXIT_RULES);
    }
}

static int
cmd_compile(struct options *o, int argc, char *argv[])
{
    struct ds flows = DS_EMPTY_INITIALIZER;
    const char *file_name = argc > 0 ? argv[0] : "-";
    FILE *out = stdout;

    if (argc > 1) {
        usage_error("compile takes at most one file");
    }
    if (argc == 0 && (o->extra[0] || o->extra[1])) {
        file_name = NULL;
    }
    compile_rules(o, file_name, &flows);

    if (o->output) {
        out = fopen(o->output, "w");
        if (!out) {
            fprintf(stderr, "%s: %s: %s\n", program_name, o->output,
                    ovs_strerror(errno));
            ds_destroy(&flows);
            return EXIT_RULES;
        }
    }
    fwrite(flows.string, 1, flows.length, out);
    ds_destroy(&flows);
    if (fflush(out) || (out != stdout && fclose(out))) {
        fprintf(stderr, "%s: write failed (%s)\n", program_name,
                ovs_strerror(errno));
        return EXIT_RULES;
    }
    return EXIT_SUCCESS;
}

static int
cmd_apply(struct options *o, int argc, char *argv[])
{
    struct ds flows = DS_EMPTY_INITIALIZER;
    const char *bridge;
    const char *file_name;

    if (argc < 1 || argc > 2) {
        usage_error("apply takes a bridge and at most one file");
    }
    bridge = argv[0];
    file_name = argc > 1 ? argv[1] : (o->extra[0] || o->extra[1] ? NULL
                                      : "-");
    if (o->bridge_ports && !add_bridge_ports(o, bridge)) {
        return EXIT_RULES;
    }
    compile_rules(o, file_name, &flows);

    char *replace[] = { CONST_CAST(char *, o->ovs_ofctl), "-O", "OpenFlow15",
                        "--bundle", "replace-flows",
                        CONST_CAST(char *, bridge), "-", NULL };
    int status = run_program(replace, &flows, NULL);
    ds_destroy(&flows);
    if (status) {
        fprintf(stderr, "%s: loading the flows into %s failed\n",
                program_name, bridge);
        return EXIT_RULES;
    }
    return EXIT_SUCCESS;
}

int
main(int argc, char *argv[])
{
    struct options o;
    int first;

    set_program_name(argv[0]);
    memset(&o, 0, sizeof o);
    o.family = AF_INET;
    o.ovs_ofctl = "ovs-ofctl";
    o.bridge_ports = true;
    ipt_compile_options_init(&o.compile);
    ipt_topo_init(&o.topo);

    first = parse_options(argc, argv, &o);
    if (first >= argc) {
        usage_error("missing command (compile or apply)");
    }

    const char *command = argv[first];
    int status;
    if (!strcmp(command, "compile")) {
        status = cmd_compile(&o, argc - first - 1, argv + first + 1);
    } else if (!strcmp(command, "apply")) {
        status = cmd_apply(&o, argc - first - 1, argv + first + 1);
    } else {
        usage_error("unknown command '%s'", command);
    }
    ipt_topo_destroy(&o.topo);
    return status;
}
