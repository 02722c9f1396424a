#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The datapath on real links, without the daemon: xgw.bpf.o loaded with
# bpftool, xgw_xdp attached in native mode to the lab gateway's two veths,
# routes written straight into the pinned maps, kernel forwarding off in the
# gateway so only xgw can carry a packet across. Real UDP and TCP over IPv4
# and IPv6, via host routes and prefix routes (IPv4: raw entries of the
# DIR-24-8 FIB; IPv6: the host map and the LPM trie); the server's captures
# must show TTL/hop limit decremented and both MACs rewritten, and the
# counters must equal what crossed. Negative control: without the route,
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
# struct xgw_route: action (1 = XGW_RT_NEXTHOP), flags, pad, nh_id
route_hex()
{
	echo "01 00 00 00 $(xt_le32 "$1")"
}
NH_C=1
NH_S=2

# ---- the IPv4 FIB, raw (common/xgw_shared.h, "The IPv4 FIB, DIR-24-8") ----
# An entry is a packed route: flags << 28 | action << 24 | prefix length
# << 16 | nh_id (action 1 = XGW_RT_NEXTHOP); xgw_fib4_24[a >> 8] is the
# entry of a's /24, or XGW_FIB4_EXT | g when the /24 has longer routes and
# its 256 answers are group g, xgw_fib4_8[g * 256 + (a & 0xff)]. F24 and F8
# hold what this test wrote (entry index -> value; any other entry is 0, as
# loaded), D24 and D8 the map values to write out: bpftool writes whole
# values, of however many entries a value holds.
declare -A F24=() F8=() D24=() D8=()
FIB4_EXT=$((0x80000000))

fib4_route() # NH LEN: the entry of a route via next hop NH
{
	echo $(((1 << 24) | ($2 << 16) | $1))
}

ip4_int()
{
	local IFS=.

	# shellcheck disable=SC2086
	set -- $1
	echo $((($1 << 24) | ($2 << 16) | ($3 << 8) | $4))
}

fib4_put24() { F24[$1]=$2; D24[$(($1 / FIB4_K24))]=1; }
fib4_put8() { F8[$1]=$2; D8[$(($1 / FIB4_K8))]=1; }

# fib4_prefix ADDR LEN ENTRY: a route of length LEN <= 24 (ENTRY 0: none)
fib4_prefix()
{
	local first=$(($(ip4_int "$1") >> 8 & ~((1 << (24 - $2)) - 1))) i

	for ((i = 0; i < 1 << (24 - $2); i++)); do fib4_put24 $((first + i)) "$3"; done
}

# fib4_host GROUP ADDR ENTRY: a /32 in group GROUP, alone in its /24 (no
# shorter route covers it: the group's other entries are 0)
fib4_host()
{
	local g=$1 a i

	a=$(ip4_int "$2")
	for ((i = 0; i < 256; i++)); do fib4_put8 $((g * 256 + i)) 0; done
	fib4_put8 $((g * 256 + (a & 255))) "$3"
	fib4_put24 $((a >> 8)) $((FIB4_EXT | g))
}

# bpftool batch lines for the map values written since the last call:
# groups first, then the /24 entries that may point at them.
fib4_flush()
{
	local v k j e hex out

	for v in 8 24; do
		local -n dirty=D$v ent=F$v
		k=$((v == 8 ? FIB4_K8 : FIB4_K24))
		for e in "${!dirty[@]}"; do
			hex=
			for ((j = e * k; j < (e + 1) * k; j++)); do
				printf -v out '%02x %02x %02x %02x ' $((${ent[$j]:-0} & 255)) \
					$((${ent[$j]:-0} >> 8 & 255)) $((${ent[$j]:-0} >> 16 & 255)) \
					$((${ent[$j]:-0} >> 24 & 255))
				hex+=$out
			done
			echo "map update pinned $M/xgw_fib4_$v key hex $(xt_le32 "$e") value hex ${hex% }"
		done
		dirty=()
		unset -n dirty ent
	done
}

# Entries per map value: bytes_value / 4.
fib4_init()
{
	local b24 b8

	b24=$(bpftool -j map show pinned "$M/xgw_fib4_24" | jq -e .bytes_value) &&
	b8=$(bpftool -j map show pinned "$M/xgw_fib4_8" | jq -e .bytes_value) || return 1
	FIB4_K24=$((b24 / 4)) FIB4_K8=$((b8 / 4))
	[ "$FIB4_K24" -ge 1 ] && [ "$FIB4_K8" -ge 1 ]
}

# IPv4: the server's and the client's /32 (groups 0 and 1), 10.20.0.0/16.
# Here, not in program(): xt_check runs that in a subshell, and the removal
# below writes map values that also hold entries written now.
rm -f "$XT_TMP/fib4.batch"
if fib4_init; then
	fib4_host 0 "$LAB_SRV_IP4" "$(fib4_route $NH_S 32)"
	fib4_host 1 "$LAB_CLIENT_IP4" "$(fib4_route $NH_C 32)"
	fib4_prefix 10.20.0.0 16 "$(fib4_route $NH_S 16)"
	fib4_flush >"$XT_TMP/fib4.batch"
fi

# All updates in one bpftool run, inside the gateway's network namespace:
# the devmap resolves ifindexes in the writer's namespace.
program()
{
	local u="map update pinned $M"

	[ -s "$XT_TMP/fib4.batch" ] || { echo "no IPv4 FIB entries (xgw_fib4_24/8 layout?)"; return 1; }
	{
		echo "$u/xgw_tx_ports key hex $(xt_le32 "$LAB_GW_CLIENT_IFINDEX") value hex $(xt_le32 "$LAB_GW_CLIENT_IFINDEX") 00 00 00 00"
		echo "$u/xgw_tx_ports key hex $(xt_le32 "$LAB_GW_SRV_IFINDEX") value hex $(xt_le32 "$LAB_GW_SRV_IFINDEX") 00 00 00 00"
		echo "$u/xgw_nexthops key hex $(xt_le32 $NH_C) value hex $(nexthop_hex "$LAB_GW_CLIENT_IFINDEX" "$LAB_GW_CLIENT_MAC" "$LAB_CLIENT_MAC")"
		echo "$u/xgw_nexthops key hex $(xt_le32 $NH_S) value hex $(nexthop_hex "$LAB_GW_SRV_IFINDEX" "$LAB_GW_SRV_MAC" "$LAB_SRV_MAC")"
		echo "$u/xgw_host6 key hex $(xt_ip6 "$LAB_SRV_IP6") value hex $(route_hex $NH_S)"
		echo "$u/xgw_host6 key hex $(xt_ip6 "$LAB_CLIENT_IP6") value hex $(route_hex $NH_C)"
		echo "$u/xgw_lpm6 key hex $(xt_le32 48) $(xt_ip6 fd00:20::) value hex $(route_hex $NH_S)"
		cat "$XT_TMP/fib4.batch"
	} >"$XT_TMP/program.batch"
	xt_nsenter "$LAB_GW_NS" bpftool batch file "$XT_TMP/program.batch"
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

# As common/fib4.c deletes them: the server's /24 keeps no longer route, so
# its entry stops pointing at the group and is 0; the /16's entries are 0.
unroute4()
{
	[ -s "$XT_TMP/fib4.batch" ] || return 1
	fib4_put24 $(($(ip4_int "$LAB_SRV_IP4") >> 8)) 0
	fib4_prefix 10.20.0.0 16 0
	fib4_flush >"$XT_TMP/unroute.batch"
	bpftool batch file "$XT_TMP/unroute.batch" >/dev/null
}
unroute4
xt_is "$?" 0 "delete the IPv4 routes to the server"
noroute_case "IPv4 without a route" "$LAB_SRV_IP4"
noroute_case "IPv4 prefix without a route" "$LAB_REMOTE4_HOST"
bpftool map delete pinned "$M/xgw_host6" key hex $(xt_ip6 "$LAB_SRV_IP6")
noroute_case "IPv6 without a route" "$LAB_SRV_IP6"
