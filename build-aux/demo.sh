#!/usr/bin/env bash
# Copyright (c) 2026 The ctdp authors.
# SPDX-License-Identifier: Apache-2.0
#
# The ctdp demo: a sandboxed switch with a ctdp bridge, a stateful firewall
# plus SNAT pipeline written with ovs-ofctl, traffic pushed through dummy
# ports, and the connection table it built.
#
# usage: build-aux/demo.sh BUILD-DIR
set -euo pipefail
build=$(cd "${1:?usage: demo.sh BUILD-DIR}" && pwd)
ovs_build=$(sed -n 's/^OVS_BUILD = //p' "$build/Makefile")

sandbox=${CTDP_DEMO_DIR:-$(mktemp -d /tmp/ctdp-demo.XXXXXX)}
mkdir -p "$sandbox"
export OVS_RUNDIR=$sandbox OVS_LOGDIR=$sandbox OVS_DBDIR=$sandbox \
       OVS_SYSCONFDIR=$sandbox
export PATH=$build/utilities:$ovs_build/utilities:$ovs_build/vswitchd:$ovs_build/ovsdb:$PATH

step () { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
note () { printf '\n# %s\n' "$*"; }
cleanup () { ctdp-ctl -q stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

note "Start ovsdb-server and ovs-vswitchd with the ctdp plugin (sandbox $sandbox)"
step ctdp-ctl --dummy --no-system start
step ctdp-ctl status

note "A ctdp bridge: port 1 'inside' (10.0.0.0/24), port 2 'outside'.  Megaflows"
note "idle for max-idle ms are removed by ofproto's revalidators (default 10 s);"
note "the demo keeps them for a minute so that a slow machine still shows them."
step ovs-vsctl set Open_vSwitch . other_config:max-idle=60000
step ovs-vsctl add-br br0 -- set bridge br0 datapath_type=ctdp fail-mode=secure \
    -- add-port br0 inside -- set interface inside type=dummy ofport_request=1 \
           options:tx_pcap="$sandbox/inside-tx.pcap" \
    -- add-port br0 outside -- set interface outside type=dummy ofport_request=2 \
           options:tx_pcap="$sandbox/outside-tx.pcap"
step ovs-appctl dpif/show

note "Pipeline: table 0 sends IP through conntrack in zone 1 (with NAT of known"
note "connections); table 1 is the firewall: new connections only from inside,"
note "masqueraded to 192.0.2.1; replies and established traffic pass."
cat > "$sandbox/flows.txt" <<'FLOWS'
table=0, priority=100, ip, actions=ct(table=1,zone=1,nat)
table=0, priority=0, actions=drop
table=1, priority=100, in_port=1, ip, ct_state=+trk+new, actions=ct(commit,zone=1,nat(src=192.0.2.1)),output:2
table=1, priority=100, in_port=1, ip, ct_state=+trk+est, actions=output:2
table=1, priority=100, in_port=2, ip, ct_state=+trk+est, actions=output:1
table=1, priority=100, ip, ct_state=+trk+rel, actions=output:1
table=1, priority=0, actions=drop
FLOWS
cat "$sandbox/flows.txt"
step ovs-ofctl add-flows br0 "$sandbox/flows.txt"

eth_in='eth(src=50:54:00:00:00:01,dst=50:54:00:00:00:02),eth_type(0x0800)'
eth_out='eth(src=50:54:00:00:00:02,dst=50:54:00:00:00:01),eth_type(0x0800)'
send () { ovs-appctl netdev-dummy/receive "$1" "$2" >/dev/null; }

note "Inside hosts open UDP, TCP and ICMP connections to 203.0.113.5"
for i in 2 3 4; do
    send inside "in_port(1),$eth_in,ipv4(src=10.0.0.$i,dst=203.0.113.5,proto=17,tos=0,ttl=64,frag=no),udp(src=5000,dst=53)"
done
send inside "in_port(1),$eth_in,ipv4(src=10.0.0.2,dst=203.0.113.5,proto=6,tos=0,ttl=64,frag=no),tcp(src=40000,dst=80),tcp_flags(syn)"
send inside "in_port(1),$eth_in,ipv4(src=10.0.0.3,dst=203.0.113.5,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)"
note "The server answers the first UDP flow (to the masqueraded address)"
send outside "in_port(2),$eth_out,ipv4(src=203.0.113.5,dst=192.0.2.1,proto=17,tos=0,ttl=64,frag=no),udp(src=53,dst=5000)"
note "An outside host tries a new connection in: the firewall drops it"
send outside "in_port(2),$eth_out,ipv4(src=198.51.100.7,dst=192.0.2.1,proto=6,tos=0,ttl=64,frag=no),tcp(src=1234,dst=22),tcp_flags(syn)"
ovs-appctl ctdp/wait-idle

note "Megaflows the datapath installed, with their packet counts"
step ovs-appctl dpctl/dump-flows

note "Packets the switch sent out of each port (translated source on 'outside')"
step ovs-ofctl parse-pcap "$sandbox/outside-tx.pcap"
step ovs-ofctl parse-pcap "$sandbox/inside-tx.pcap"
note "The connection table"
step ovs-appctl dpctl/dump-conntrack
step ovs-appctl dpctl/ct-get-nconns
note "The datapath's own view"
printf '\n\033[1m$ ovs-appctl ctdp/show | head -n 16\033[0m\n'
ovs-appctl ctdp/show | head -n 16

note "Stop"
step ctdp-ctl stop
trap - EXIT
