#! /bin/sh
# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0
#
# bench-e2e.sh: the end-to-end benchmark.  One ovs-vswitchd (the Open
# vSwitch 3.1 build with the ctdp plugin preloaded), one OpenFlow pipeline
# (conntrack in a zone, source NAT of new connections, the reply direction
# back through ct(nat)), two ports of type "system" on veths to a client
# and a server namespace, and one traffic source (tests/ctdp-e2e-gen).  The
# bridge is created with datapath_type=netdev (Open vSwitch's userspace
# datapath and conntrack) and with datapath_type=ctdp in turn, and the
# script prints the packets per second forwarded on established
# connections, the new connections per second, and the ratio ctdp/netdev:
# median and range over the repetitions.
#
#   client ns "ctdpb-c"                                 server ns "ctdpb-s"
#   c0 10.1.1.1  ==veth==  ctdpb-cli  [ctdpb0]  ctdpb-srv  ==veth==  s0
#                          port 1                port 2          172.16.1.1
#
# Run as root, from the build tree through 'make bench-e2e'.  Every
# namespace, interface and daemon it creates is removed when it exits,
# whatever the reason.  Options: see usage() or ctdp-bench(1).

set -u

ns_c=ctdpb-c
ns_s=ctdpb-s
port_c=ctdpb-cli
port_s=ctdpb-srv
bridge=ctdpb0
zone=7
client_ip=10.1.1.1
server_ip=172.16.1.1
snat=172.16.1.254:1024-65535
client_mac=02:00:0a:01:01:01
server_mac=02:00:ac:10:01:01
gw_in_mac=02:00:0a:01:01:fe
gw_out_mac=02:00:ac:10:01:fe

reps=5
duration=2
warmup=0.5
flows=100
datapaths="netdev ctdp"
cpus=0,1
rx_threads=1
keep=no
ovs_build=
ovs_source=
vswitchd=
gen=

usage () {
    cat <<EOF
usage: $0 --ovs-build=DIR --ovs-source=DIR --vswitchd=PROG --gen=PROG [OPTION]...
End-to-end benchmark of ovs-vswitchd: datapath_type=netdev against ctdp.

  --reps N            repetitions per datapath (default $reps)
  --duration SEC      timed interval of each measurement (default $duration)
  --warmup SEC        untimed traffic before it (default $warmup)
  --flows N           flows of the established-traffic figure (default $flows)
  --datapaths LIST    datapath types, in the order of odd repetitions
                      (default "$datapaths"; even repetitions reverse it)
  --cpus G,S          CPU of the traffic source and CPU of ovs-vswitchd
                      (all its threads); "none": no pinning (default $cpus)
  --rx-threads N      ctdp's other_config:ctdp-rx-threads (default $rx_threads)
  --quick             --reps 1 --duration 0.3 --warmup 0.2 --flows 10
  --keep              keep the logs directory even on success
EOF
}

die () {
    echo "bench-e2e: $*" >&2
    exit 1
}

for arg; do
    case $arg in
    --ovs-build=*) ovs_build=${arg#*=} ;;
    --ovs-source=*) ovs_source=${arg#*=} ;;
    --vswitchd=*) vswitchd=${arg#*=} ;;
    --gen=*) gen=${arg#*=} ;;
    --reps=*) reps=${arg#*=} ;;
    --duration=*) duration=${arg#*=} ;;
    --warmup=*) warmup=${arg#*=} ;;
    --flows=*) flows=${arg#*=} ;;
    --datapaths=*) datapaths=${arg#*=} ;;
    --cpus=*) cpus=${arg#*=} ;;
    --rx-threads=*) rx_threads=${arg#*=} ;;
    --quick) reps=1 duration=0.3 warmup=0.2 flows=10 ;;
    --keep) keep=yes ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $arg" ;;
    esac
done

case $reps in ''|*[!0-9]*|0) die "--reps: a positive number is needed" ;; esac
case $rx_threads in ''|*[!0-9]*) die "--rx-threads: a number is needed" ;; esac
test -n "$ovs_build" && test -n "$ovs_source" && test -n "$vswitchd" &&
    test -n "$gen" || { usage >&2; exit 1; }
test "$(id -u)" = 0 || die "needs root (namespaces, veths, AF_PACKET)"
for prog in ip nft taskset; do
    command -v $prog >/dev/null 2>&1 || die "$prog is not installed"
done
case $cpus in
none) gen_cpu='' switch_cpu='' ;;
*,*)
    gen_cpu=${cpus%,*} switch_cpu=${cpus#*,}
    taskset -c "$gen_cpu" true && taskset -c "$switch_cpu" true ||
        die "--cpus=$cpus: cannot pin to these CPUs"
    ;;
*) die "--cpus: G,S or none" ;;
esac

abs () {
    case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac
}
vswitchd=$(abs "$vswitchd")
gen=$(abs "$gen")
PATH=$ovs_build/utilities:$ovs_build/ovsdb:$PATH
export PATH

tmp=$(mktemp -d /tmp/ctdp-bench-e2e.XXXXXX) || die "mktemp failed"
OVS_RUNDIR=$tmp OVS_LOGDIR=$tmp OVS_DBDIR=$tmp OVS_SYSCONFDIR=$tmp
export OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR
status=1

# Removes everything this script created.  Runs on every exit.
cleanup () {
    trap - EXIT INT TERM HUP
    set +e
    if test -f "$tmp/ovs-vswitchd.pid"; then
        ovs-appctl --timeout=10 -t ovs-vswitchd exit >/dev/null 2>&1 ||
            kill "$(cat "$tmp/ovs-vswitchd.pid")" 2>/dev/null
    fi
    if test -f "$tmp/ovsdb-server.pid"; then
        ovs-appctl --timeout=10 -t ovsdb-server exit >/dev/null 2>&1 ||
            kill "$(cat "$tmp/ovsdb-server.pid")" 2>/dev/null
    fi
    remove_network
    if test $status = 0 && test $keep = no; then
        rm -rf "$tmp"
    else
        echo "bench-e2e: logs are in $tmp" >&2
    fi
    exit $status
}

remove_network () {
    ip netns del $ns_c 2>/dev/null
    ip netns del $ns_s 2>/dev/null
    ip link del $port_c 2>/dev/null
    ip link del $port_s 2>/dev/null
}

trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# One end of a veth in namespace NS as DEV with MAC, the other as PORT in
# this namespace.  No IPv6 (no router solicitations or MLD through the
# bridge), and everything arriving at DEV is dropped by an nftables
# ingress hook before the IP stack sees it, so that the receiving side
# costs little and answers nothing; AF_PACKET sockets still see the frames
# (they come first).
add_host () {
    ns=$1 dev=$2 mac=$3 port=$4
    ip netns add $ns &&
    ip netns exec $ns sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 &&
    ip link add $port type veth peer name $dev netns $ns &&
    echo 1 > /proc/sys/net/ipv6/conf/$port/disable_ipv6 &&
    ip netns exec $ns ip link set $dev address $mac up &&
    ip netns exec $ns nft -f - <<EOF &&
table netdev ctdpb {
    chain in {
        type filter hook ingress device $dev priority 0; policy drop;
    }
}
EOF
    ip link set $port up
}

# Leftovers of an interrupted run.
remove_network
add_host $ns_c c0 $client_mac $port_c || die "cannot create the client"
add_host $ns_s s0 $server_mac $port_s || die "cannot create the server"

# The pipeline.  Table 0: every IP packet through conntrack in the zone,
# applying existing NAT bindings, then table 1.  Table 1: new connections
# from the client are committed with source NAT and routed to the server;
# packets of established connections are routed either way.
cat > "$tmp/flows.txt" <<EOF
table=0,priority=100,ip,in_port=1,actions=ct(zone=$zone,nat,table=1)
table=0,priority=100,ip,in_port=2,actions=ct(zone=$zone,nat,table=1)
table=0,priority=0,actions=drop
table=1,priority=100,cookie=0x1,ip,in_port=1,ct_state=+trk+new,actions=ct(commit,zone=$zone,nat(src=$snat)),mod_dl_src:$gw_out_mac,mod_dl_dst:$server_mac,dec_ttl,output:2
table=1,priority=100,cookie=0x2,ip,in_port=1,ct_state=+trk+est,actions=mod_dl_src:$gw_out_mac,mod_dl_dst:$server_mac,dec_ttl,output:2
table=1,priority=100,cookie=0x3,ip,in_port=2,ct_state=+trk+est,actions=mod_dl_src:$gw_in_mac,mod_dl_dst:$client_mac,dec_ttl,output:1
table=1,priority=0,cookie=0x4,actions=drop
EOF

# The daemons.
pin_switch=
test -z "$switch_cpu" || pin_switch="taskset -c $switch_cpu"
pin_gen=
test -z "$gen_cpu" || pin_gen="taskset -c $gen_cpu"
ovsdb-tool create "$tmp/conf.db" "$ovs_source/vswitchd/vswitch.ovsschema" ||
    die "cannot create the database"
ovsdb-server --detach --no-chdir --pidfile --log-file -vconsole:off \
    --remote=punix:"$tmp/db.sock" "$tmp/conf.db" ||
    die "cannot start ovsdb-server"
ovs-vsctl --no-wait init -- \
    set Open_vSwitch . other_config:ctdp-rx-threads=$rx_threads ||
    die "cannot initialize the database"
$pin_switch "$vswitchd" --detach --no-chdir --pidfile --log-file \
    -vconsole:off --disable-system ||
    die "cannot start ovs-vswitchd"

results=$tmp/results.txt
: > "$results"

# measure DP MODE REP: one run of the traffic source; appends
# "DP MODE REP FORWARDED_PPS OFFERED_PPS FORWARDED" to the results.
measure () {
    dp=$1 mode=$2 rep=$3
    out=$tmp/gen-$dp-$mode-$rep.txt
    $pin_gen "$gen" --client=$ns_c:c0 --server=$ns_s:s0 --count=$port_s \
        --src=$client_ip --dst=$server_ip --dst-mac=$gw_in_mac \
        --mode=$mode --flows=$flows --warmup=$warmup --duration=$duration \
        > "$out" 2> "$tmp/gen-$dp-$mode-$rep.err" ||
        die "$dp $mode: the traffic source failed: $(cat "$tmp/gen-$dp-$mode-$rep.err")"
    fwd=$(sed -n 's/.* forwarded_pps=\([0-9]*\).*/\1/p' "$out")
    off=$(sed -n 's/.* offered_pps=\([0-9]*\).*/\1/p' "$out")
    count=$(sed -n 's/.* forwarded=\([0-9]*\) .*/\1/p' "$out")
    test -n "$fwd" && test "$fwd" -gt 0 && test -n "$count" ||
        die "$dp $mode: nothing was forwarded: $(cat "$out")"
    echo "$dp $mode $rep $fwd $off $count" >> "$results"
}

# flow_packets COOKIE: the packets of the flow of table 1 with COOKIE, once
# the revalidators have brought the statistics up to date.
flow_packets () {
    ovs-ofctl dump-flows $bridge "table=1,cookie=$1/-1" |
        sed -n 's/.* n_packets=\([0-9]*\),.*/\1/p'
}
settle_stats () {
    ovs-appctl revalidator/wait >/dev/null &&
        ovs-appctl revalidator/wait >/dev/null ||
        die "revalidator/wait failed"
}

# run_dp DP REP: the bridge on datapath DP, both measurements, and the
# bridge deleted again.  Figures of wrong behaviour are not reported: the
# timed packets of "est" must have gone through the flow for established
# connections (the flow for new ones sees at most the warm-up's rounds),
# each of those connections translated, and every frame forwarded in "new"
# must have been a new connection, committed (in the table, and through
# the flow for new ones).
run_dp () {
    dp=$1 rep=$2
    dpname=$dp@ovs-$dp
    ovs-vsctl --timeout=30 add-br $bridge -- \
        set bridge $bridge datapath_type=$dp fail-mode=secure -- \
        add-port $bridge $port_c -- set interface $port_c ofport_request=1 -- \
        add-port $bridge $port_s -- set interface $port_s ofport_request=2 ||
        die "cannot create $bridge on $dp"
    ovs-ofctl --bundle add-flows $bridge "$tmp/flows.txt" ||
        die "cannot add the flows"

    measure $dp est $rep
    settle_stats
    est_new=$(flow_packets 0x1) est_est=$(flow_packets 0x2)
    test "$est_est" -ge "$count" && test "$est_new" -le $((25 * flows)) ||
        die "$dp est: $count frames forwarded, but $est_est packets matched +est and $est_new +new"
    ovs-appctl dpctl/dump-conntrack $dpname zone=$zone > "$tmp/ct-$dp-$rep.txt" ||
        die "cannot dump the connections of $dpname"
    translated=$(grep -c "^udp,orig=(src=$client_ip,dst=$server_ip,.*reply=(src=$server_ip,dst=${snat%%:*},.*zone=$zone" \
        "$tmp/ct-$dp-$rep.txt")
    test "$translated" = "$flows" ||
        die "$dp est: $translated of $flows connections translated"
    echo "$dp est $rep +new=$est_new +est=$est_est translated=$translated" >> "$tmp/checks.txt"
    ovs-ofctl ct-flush-zone $bridge $zone || die "cannot flush zone $zone"

    measure $dp new $rep
    n=$(ovs-appctl dpctl/ct-get-nconns $dpname) ||
        die "cannot count the connections of $dpname"
    max=$(ovs-appctl dpctl/ct-get-maxconns $dpname)
    test "$n" -ge "$count" ||
        die "$dp new: $count frames forwarded, but only $n connections"
    test "$n" -lt "$max" ||
        echo "bench-e2e: $dp: the table is full ($n connections): shorten --duration" >&2
    settle_stats
    new_new=$(($(flow_packets 0x1) - est_new))
    test "$new_new" -ge "$count" ||
        die "$dp new: $count frames forwarded, but $new_new packets matched +new"
    echo "$dp new $rep connections=$n +new=$new_new" >> "$tmp/checks.txt"
    ovs-ofctl ct-flush-zone $bridge $zone || die "cannot flush zone $zone"
    ovs-vsctl --timeout=30 del-br $bridge || die "cannot delete $bridge"
}

reverse () {
    r=
    for w in $1; do
        r="$w${r:+ $r}"
    done
    echo "$r"
}

echo "bench-e2e: $reps repetition(s) of ${duration} s after ${warmup} s of warm-up, datapaths: $datapaths"
i=1
while test $i -le $reps; do
    order=$datapaths
    test $((i % 2)) = 1 || order=$(reverse "$datapaths")
    for dp in $order; do
        run_dp $dp $i
        sed -n "s/^$dp \([a-z]*\) $i \([0-9]*\) \([0-9]*\) \([0-9]*\)$/  rep $i $dp \1: \2 pps forwarded (\3 offered), \4 frames timed/p" "$results"
        sed -n "s/^$dp \([a-z]*\) $i /  rep $i $dp \1: /p" "$tmp/checks.txt"
    done
    i=$((i + 1))
done

# The report: per datapath and figure, the median and range; per figure,
# the median and range of the per-repetition ratios of each datapath to
# the first one, and whether the source, not the switch, was the limit.
echo
if test -n "$gen_cpu"; then
    echo "traffic source on CPU $gen_cpu, ovs-vswitchd (every thread) on CPU $switch_cpu; ctdp rx threads: $rx_threads"
else
    echo "no CPU pinning; ctdp rx threads: $rx_threads"
fi
echo "UDP, 60-byte frames; est: $flows flows; new: a new connection per frame"
awk -v dps="$datapaths" '
    function median(a, n,    i, j, t) {
        for (i = 2; i <= n; i++) {
            t = a[i]
            for (j = i - 1; j >= 1 && a[j] > t; j--) {
                a[j + 1] = a[j]
            }
            a[j + 1] = t
        }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function stats(a, n, fmt,    m) {
        m = median(a, n)
        return sprintf(fmt " [" fmt "-" fmt "]", m, a[1], a[n])
    }
    { v[$1, $2, $3] = $4; o[$1, $2, $3] = $5; if ($3 > reps) reps = $3 }
    END {
        nd = split(dps, dp, " ")
        name["est"] = "established, kpps"
        name["new"] = "new conn/s, k"
        printf "%-20s", "figure"
        for (d = 1; d <= nd; d++) {
            printf " %-26s", dp[d] " median [min-max]"
        }
        for (d = 2; d <= nd; d++) {
            printf " %s", dp[d] "/" dp[1] " median [min-max]"
        }
        printf "\n"
        split("est new", modes, " ")
        for (m = 1; m <= 2; m++) {
            mode = modes[m]
            printf "%-20s", name[mode]
            for (d = 1; d <= nd; d++) {
                for (r = 1; r <= reps; r++) {
                    a[r] = v[dp[d], mode, r] / 1000
                }
                printf " %-26s", stats(a, reps, "%.1f")
            }
            for (d = 2; d <= nd; d++) {
                for (r = 1; r <= reps; r++) {
                    a[r] = v[dp[d], mode, r] / v[dp[1], mode, r]
                }
                printf " %s", stats(a, reps, "%.2f")
            }
            printf "\n"
        }
        for (m = 1; m <= 2; m++) {
            for (d = 1; d <= nd; d++) {
                for (r = 1; r <= reps; r++) {
                    if (v[dp[d], modes[m], r] > 0.95 * o[dp[d], modes[m], r]) {
                        printf "note: %s %s rep %d forwarded more than 95%% of what was offered: the source was the limit\n", dp[d], modes[m], r
                    }
                }
            }
        }
    }' "$results"

status=0
