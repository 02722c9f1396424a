#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The datapath on real links, without the daemon: xgw.bpf.o loaded with
# bpftool, xgw_xdp attached in native mode to the lab gateway's two veths,
# routes written straight into the pinned FIBs (fibget --write), kernel
# forwarding off in the gateway so only xgw can carry a packet across. Real
# UDP and TCP over IPv4 and IPv6, via host routes and prefix routes; the
# server's captures must show TTL/hop limit decremented and both MACs
# rewritten, and the counters must equal what crossed. Negative control: without the route,
# nothing crosses.
. "$(dirname "$0")/lib.sh"

OBJ=$XT_BUILD/bpf/xgw.bpf.o
PORT_U=5101
PORT_T=5102
NPKT=25
SIZE=100
R_FWD=0
R_NO_ROUTE=6

xt_plan 29
xt_require_root
[ -r "$OBJ" ] || xt_skip_rest "no $OBJ (run make)"

xt_lab_up || { xt_fail "lab up"; exit 1; }
xt_ok "lab $XT_PFX up"
PIN=$LAB_PIN_DIR

# Peers get xgw_pass instead of GRO: the receive-side captures must see
# every frame as it crossed, not GRO-merged TCP segments.
setup()
{
	mkdir -p "$PIN/maps" &&
	bpftool prog loadall "$OBJ" "$PIN/progs" pinmaps "$PIN/maps" &&
	xt_nsenter "$LAB_GW_NS" ip link set dev gw-c xdpdrv pinned "$PIN/progs/xgw_xdp" &&
	xt_nsenter "$LAB_GW_NS" ip link set dev gw-s xdpdrv pinned "$PIN/progs/xgw_xdp" &&
	for ns in "$LAB_CLIENT_NS" "$LAB_SRV_NS"; do
		ip netns exec "$ns" ethtool -K eth0 gro off >/dev/null &&
		xt_nsenter "$ns" ip link set dev eth0 xdpdrv pinned "$PIN/progs/xgw_pass" ||
		return 1
	done
}
xt_check "load xgw.bpf.o, attach xgw_xdp (native) to gw-c and gw-s" setup
[ -e "$PIN/progs/xgw_xdp" ] || xt_skip_rest "xgw_xdp not loaded"
M=$PIN/maps

# ---- program the maps ----
# struct xgw_nh_slot: gen 0 (v[0] live), pad, v[0], v[1], pad; a version
# (struct xgw_nexthop): dmac[6], smac[6], ifindex, mtu, vlan, flags
nexthop_hex()
{
	echo "$(xt_le32 0) $(xt_le32 0)" \
		"$(xt_mac "$3") $(xt_mac "$2") $(xt_le32 "$1") $(xt_le16 1500) $(xt_le16 0) $(xt_le32 1)" \
		"$(printf '00 %.0s' $(seq 32))"
}
NH_C=1
NH_S=2

# ---- the FIBs, written without xgwd (fibget --write: the FIBs hold exactly
# the routes of a file, as common/fib.c writes them) ----
FIBGET=$XT_BUILD/tests/netns/fibget
ROUTES4="$LAB_SRV_IP4/32 nexthop $NH_S
$LAB_CLIENT_IP4/32 nexthop $NH_C
10.20.0.0/16 nexthop $NH_S"
ROUTES6="$LAB_SRV_IP6/128 nexthop $NH_S
$LAB_CLIENT_IP6/128 nexthop $NH_C
fd00:20::/48 nexthop $NH_S"
routes_write() # ROUTE-LINES: the FIBs hold exactly these
{
	printf '%s\n' "$1" >"$XT_TMP/routes"
	"$FIBGET" "$M" --write "$XT_TMP/routes"
}

# All updates in one bpftool run, inside the gateway's network namespace:
# the devmap resolves ifindexes in the writer's namespace.
program()
{
	local u="map update pinned $M"

	[ -x "$FIBGET" ] || { echo "no $FIBGET (run make)"; return 1; }
	{
		echo "$u/xgw_tx_ports key hex $(xt_le32 "$LAB_GW_CLIENT_IFINDEX") value hex $(xt_le32 "$LAB_GW_CLIENT_IFINDEX") 00 00 00 00"
		echo "$u/xgw_tx_ports key hex $(xt_le32 "$LAB_GW_SRV_IFINDEX") value hex $(xt_le32 "$LAB_GW_SRV_IFINDEX") 00 00 00 00"
		echo "$u/xgw_nexthops key hex $(xt_le32 $NH_C) value hex $(nexthop_hex "$LAB_GW_CLIENT_IFINDEX" "$LAB_GW_CLIENT_MAC" "$LAB_CLIENT_MAC")"
		echo "$u/xgw_nexthops key hex $(xt_le32 $NH_S) value hex $(nexthop_hex "$LAB_GW_SRV_IFINDEX" "$LAB_GW_SRV_MAC" "$LAB_SRV_MAC")"
	} >"$XT_TMP/program.batch"
	xt_nsenter "$LAB_GW_NS" bpftool batch file "$XT_TMP/program.batch" &&
		routes_write "$ROUTES4
$ROUTES6"
}
xt_check "program tx ports, next hops, host and prefix routes" program

# Counters, summed over CPUs, in one bpftool run:
# "forward no_route nh_srv_packets nh_srv_bytes nh_client_packets"
counters()
{
	local l="map lookup pinned $M"

	printf '%s\n' "$l/xgw_stats key hex $(xt_le32 $R_FWD)" \
		"$l/xgw_stats key hex $(xt_le32 $R_NO_ROUTE)" \
		"$l/xgw_nh_stats key hex $(xt_le32 $NH_S)" \
		"$l/xgw_nh_stats key hex $(xt_le32 $NH_C)" >"$XT_TMP/counters.batch"
	bpftool -j batch file "$XT_TMP/counters.batch" |
		jq -r '[.[].output.formatted.values] | map(reduce .[].value as $v ({packets: 0, bytes: 0};
			.packets += $v.packets | .bytes += $v.bytes)) |
			"\(.[0].packets) \(.[1].packets) \(.[2].packets) \(.[2].bytes) \(.[3].packets)"'
}

# One UDP run: NAME DST; checks delivery, captures and counters.
udp_case()
{
	local name=$1 dst=$2 out=$XT_TMP/udp.json fwd0 nh0 nhb0 fwd1 nh1 nhb1 got bad bytes x

	read -r fwd0 x nh0 nhb0 x <<<"$(counters)"
	xt_sniff_start "$LAB_SRV_NS" eth0 "$out" --proto udp --port $PORT_U \
		--count $NPKT --timeout 5 --udp-sink || { xt_fail "$name: sniffer"; return; }
	xt_udp_send "$LAB_CLIENT_NS" "$dst" $PORT_U $NPKT $SIZE 64
	wait "$XT_SNIFF_PID"
	got=$(jq '.udp_datagrams' "$out")
	xt_is "$got" $NPKT "$name: $NPKT datagrams delivered to the server"
	bad=$(jq --arg s "$LAB_GW_SRV_MAC" --arg d "$LAB_SRV_MAC" --arg dst "$dst" \
		'[.frames[] | select(.ttl != 63 or .smac != $s or .dmac != $d or .dst != $dst)] | length' "$out")
	got=$(jq '.frames | length' "$out")
	if [ "$got" = $NPKT ] && [ "$bad" = 0 ]; then
		xt_ok "$name: every frame has TTL 63, smac $LAB_GW_SRV_MAC, dmac $LAB_SRV_MAC"
	else
		xt_fail "$name: frames rewritten" "frames $got, wrong $bad" "$(jq -c '.frames[0]' "$out")"
	fi
	read -r fwd1 x nh1 nhb1 x <<<"$(counters)"
	bytes=$(jq '[.frames[].len] | add // 0' "$out")
	xt_is "$((fwd1 - fwd0)) $((nh1 - nh0)) $((nhb1 - nhb0))" "$NPKT $NPKT $bytes" \
		"$name: forward and next-hop counters = $NPKT packets, $bytes bytes"
}

udp_case "UDP IPv4 host route" "$LAB_SRV_IP4"
udp_case "UDP IPv6 host route" "$LAB_SRV_IP6"
udp_case "UDP IPv4 prefix route" "$LAB_REMOTE4_HOST"
udp_case "UDP IPv6 prefix route" "$LAB_REMOTE6_HOST"

# One TCP transfer: NAME DST LISTEN CONNECT; the bytes must arrive intact
# and each direction's next-hop counter must equal the frames captured at
# that end.
tcp_case()
{
	local name=$1 dst=$2 listen=$3 connect=$4 src=$XT_TMP/tcp.src dstf=$XT_TMP/tcp.dst
	local cs=$XT_TMP/tcp_c.json ss=$XT_TMP/tcp_s.json c0 s0 c1 s1 spid cpid ncli nsrv bad x

	head -c 200000 /dev/urandom >"$src"
	rm -f "$dstf"
	read -r x x s0 x c0 <<<"$(counters)"
	xt_sniff_start "$LAB_SRV_NS" eth0 "$ss" --proto tcp --port $PORT_T --timeout 10 --idle 0.5
	spid=$XT_SNIFF_PID
	xt_sniff_start "$LAB_CLIENT_NS" eth0 "$cs" --proto tcp --port $PORT_T --timeout 10 --idle 0.5
	cpid=$XT_SNIFF_PID
	ip netns exec "$LAB_SRV_NS" timeout 8 socat -u "$listen" "OPEN:$dstf,creat,trunc" &
	local lpid=$!
	sleep 0.3
	ip netns exec "$LAB_CLIENT_NS" timeout 8 socat -u "FILE:$src" "$connect"
	wait $lpid
	wait "$spid" "$cpid"
	if cmp -s "$src" "$dstf"; then
		xt_ok "$name: 200000 bytes arrive intact"
	else
		xt_fail "$name: 200000 bytes arrive intact" "$(ls -l "$dstf" 2>&1)"
	fi
	bad=$(jq --arg s "$LAB_GW_SRV_MAC" --arg d "$LAB_SRV_MAC" \
		'[.frames[] | select(.ttl != 63 or .smac != $s or .dmac != $d)] | length' "$ss")
	nsrv=$(jq '.frames | length' "$ss")
	ncli=$(jq '.frames | length' "$cs")
	if [ "$nsrv" -gt 0 ] && [ "$bad" = 0 ]; then
		xt_ok "$name: $nsrv frames at the server, all rewritten with TTL decremented"
	else
		xt_fail "$name: frames at the server rewritten" "frames $nsrv, wrong $bad" "$(jq -c '.frames[0]' "$ss")"
	fi
	read -r x x s1 x c1 <<<"$(counters)"
	xt_is "$((s1 - s0)) $((c1 - c0))" "$nsrv $ncli" \
		"$name: next-hop counters = frames captured (to server, to client)"
}

tcp_case "TCP IPv4" "$LAB_SRV_IP4" "TCP4-LISTEN:$PORT_T,reuseaddr" "TCP4:$LAB_SRV_IP4:$PORT_T"
tcp_case "TCP IPv6" "$LAB_SRV_IP6" "TCP6-LISTEN:$PORT_T,reuseaddr" "TCP6:[$LAB_SRV_IP6]:$PORT_T"

# ---- negative control: no route, no crossing (kernel forwarding is off) ----
fwd_off=$(ip netns exec "$LAB_GW_NS" sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding | tr '\n' ' ')
xt_is "$fwd_off" "0 0 " "kernel forwarding is off in the gateway"

noroute_case()
{
	local name=$1 dst=$2 out=$XT_TMP/nr.json nr0 nr1 fwd0 fwd1 x

	read -r fwd0 nr0 x <<<"$(counters)"
	xt_sniff_start "$LAB_SRV_NS" eth0 "$out" --proto udp --port $PORT_U --timeout 1 --udp-sink
	xt_udp_send "$LAB_CLIENT_NS" "$dst" $PORT_U $NPKT $SIZE 64
	wait "$XT_SNIFF_PID"
	xt_is "$(jq '.frames | length' "$out")" 0 "$name: nothing reaches the server"
	read -r fwd1 nr1 x <<<"$(counters)"
	xt_is "$((nr1 - nr0)) $((fwd1 - fwd0))" "$NPKT 0" "$name: counted no_route, not forwarded"
}

# Only the client's IPv4 route stays (and the IPv6 ones).
unroute4()
{
	routes_write "$LAB_CLIENT_IP4/32 nexthop $NH_C
$ROUTES6"
}
unroute4
xt_is "$?" 0 "delete the IPv4 routes to the server"
noroute_case "IPv4 without a route" "$LAB_SRV_IP4"
noroute_case "IPv4 prefix without a route" "$LAB_REMOTE4_HOST"
routes_write "$LAB_CLIENT_IP4/32 nexthop $NH_C
$LAB_CLIENT_IP6/128 nexthop $NH_C
fd00:20::/48 nexthop $NH_S"
noroute_case "IPv6 without a route" "$LAB_SRV_IP6"
