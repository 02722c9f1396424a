#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# ICMP errors from the datapath, end to end: traceroute (UDP, ICMP, IPv6)
# and tracepath (IPv4, IPv6) through a chain of two xgw gateways whose
# kernels do not forward (ip_forward 0, IPv6 forwarding 0), so every hop
# and every "too big" comes from XDP. The last link has MTU 1400.
#
#   C c0 ---- g1a G1 g1b ---- g2a G2 g2b ---- s0 S     (g2b, s0: MTU 1400)
#     10.81.1.0/24     10.81.2.0/24     10.81.3.0/24   (fd81:N::/64 alike)
. "$(dirname "$0")/lib.sh"

xt_plan 12
xt_require_root
for t in traceroute tracepath; do
	command -v $t >/dev/null || xt_skip_rest "$t not installed (make deps)"
done
[ -x "$XT_BUILD/xgwd" ] || xt_skip_rest "no $XT_BUILD/xgwd (make)"

C=$XT_PFX-c G1=$XT_PFX-g1 G2=$XT_PFX-g2 S=$XT_PFX-s
X1=("$XT_BUILD/xgwctl" -s "$XT_TMP/g1.sock")
X2=("$XT_BUILD/xgwctl" -s "$XT_TMP/g2.sock")
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# addr NS DEV N HOST [MTU]: 10.81.N.HOST/24 and fd81:N::HOST/64 on DEV, up
addr()
{
	ip -n "$1" addr add "10.81.$3.$4/24" dev "$2" &&
	ip -n "$1" addr add "fd81:$3::$4/64" dev "$2" nodad &&
	ip -n "$1" link set dev "$2" mtu "${5:-1500}" up
}

topology()
{
	local ns

	for ns in "$C" "$G1" "$G2" "$S"; do
		ip netns add "$ns" || return 1
		xt_defer "ip netns del $ns"
		ip -n "$ns" link set dev lo up
	done
	ip link add c0 netns "$C" type veth peer name g1a netns "$G1" &&
	ip link add g1b netns "$G1" type veth peer name g2a netns "$G2" &&
	ip link add g2b netns "$G2" type veth peer name s0 netns "$S" &&
	addr "$C" c0 1 2 && addr "$G1" g1a 1 1 && addr "$G1" g1b 2 1 &&
	addr "$G2" g2a 2 2 && addr "$G2" g2b 3 1 1400 && addr "$S" s0 3 2 1400 || return 1
	ip -n "$C" route add default via 10.81.1.1 &&
	ip -n "$C" -6 route add default via fd81:1::1 &&
	ip -n "$S" route add default via 10.81.3.1 &&
	ip -n "$S" -6 route add default via fd81:3::1 || return 1
	for ns in "$G1" "$G2"; do
		in_ns "$ns" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 ||
			return 1
	done
	# hosts: checksums done in software (redirected frames keep no offload
	# state), GRO so a veth takes XDP_TX and redirected frames
	in_ns "$C" ethtool -K c0 tx off gro on >/dev/null &&
	in_ns "$S" ethtool -K s0 tx off gro on >/dev/null
}
xt_check "four namespaces, kernel forwarding off on both gateways" topology

gateways()
{
	xt_xgwd_start g1 "$G1" && xt_xgwd_start g2 "$G2" || return 1
	"${X1[@]}" link attach g1a && "${X1[@]}" link attach g1b &&
	"${X1[@]}" route add 10.81.3.0/24 via 10.81.2.2 &&
	"${X1[@]}" route add fd81:3::/64 via fd81:2::2 &&
	"${X1[@]}" route add 10.81.1.2 dev g1a &&
	"${X1[@]}" route add fd81:1::2 dev g1a || return 1
	"${X2[@]}" link attach g2a && "${X2[@]}" link attach g2b &&
	"${X2[@]}" route add 10.81.1.0/24 via 10.81.2.1 &&
	"${X2[@]}" route add fd81:1::/64 via fd81:2::1 &&
	"${X2[@]}" route add 10.81.3.2 dev g2b &&
	"${X2[@]}" route add fd81:3::2 dev g2b
}
xt_check "two xgwd gateways: links attached, routes both ways" gateways

# Until xgwd has resolved every next hop, packets go to a kernel that drops
# them: ping until one gets through (a few seconds at most).
reach()
{
	local i

	for ((i = 0; i < 40; i++)); do
		in_ns "$C" ping "$@" -n -q -c 1 -W 1 >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	return 1
}
xt_check "ping C -> S over both gateways (IPv4)" reach 10.81.3.2
xt_check "ping C -> S over both gateways (IPv6)" reach -6 fd81:3::2

# The addresses traceroute lists, one per hop.
hops() { in_ns "$C" "$@" 2>/dev/null | awk 'NR > 1 { print $2 }' | tr '\n' ' '; }

xt_is "$(hops traceroute -n -q 1 -w 2 -m 5 10.81.3.2)" "10.81.1.1 10.81.2.2 10.81.3.2 " \
	"traceroute (UDP): both gateways, by their ingress addresses, then S"
xt_is "$(hops traceroute -I -n -q 1 -w 2 -m 5 10.81.3.2)" "10.81.1.1 10.81.2.2 10.81.3.2 " \
	"traceroute -I (ICMP echo): both gateways, then S"
xt_is "$(hops traceroute -6 -n -q 1 -w 2 -m 5 fd81:3::2)" "fd81:1::1 fd81:2::2 fd81:3::2 " \
	"traceroute -6: both gateways, then S"

# tracepath probes with DF at the local MTU (1500): G2 answers "too big,
# 1400" for its last link, and the path MTU is found.
pmtu()
{
	local out

	out=$(in_ns "$C" tracepath "$@" 2>&1)
	echo "$out" | grep -q "Resume: pmtu 1400 hops 3" || { echo "$out"; return 1; }
}
xt_check "tracepath: path MTU 1400, 3 hops" pmtu -n 10.81.3.2
xt_check "tracepath -6: path MTU 1400, 3 hops" pmtu -6 -n fd81:3::2

# The errors were the gateways' own: counted under the ICMP reasons.
count() { "$@" -j stats show | jq -r "[.reasons[] | select(.reason == \"$R\") | .packets] | add"; }
R=icmp_time_exceeded
t1=$(count "${X1[@]}") t2=$(count "${X2[@]}")
R=icmp_frag_needed
f2=$(count "${X2[@]}")
[ "${t1:-0}" -ge 3 ] && [ "${t2:-0}" -ge 3 ] && [ "${f2:-0}" -ge 2 ] &&
	xt_ok "counted: G1 $t1 and G2 $t2 time exceeded, G2 $f2 frag needed / too big" ||
	xt_fail "counted by the gateways" "G1 time exceeded $t1, G2 $t2, G2 frag needed $f2"
fwd=$(in_ns "$G1" sysctl -n net.ipv4.ip_forward)$(in_ns "$G2" sysctl -n net.ipv6.conf.all.forwarding)
xt_is "$fwd" "00" "kernel forwarding still off on both gateways"
# The same without the gateways' own errors: nobody answers at hop 1.
"${X1[@]}" set icmp-rate 0 >/dev/null
xt_is "$(hops traceroute -n -q 1 -w 1 -m 1 10.81.3.2)" "* " \
	"icmp-rate 0 on G1: hop 1 silent (its kernel neither forwards nor answers)"
