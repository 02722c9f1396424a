#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Multipath routes (issue 9.3) on the lab, the gateway's kernel forwarding
# off: a 2-way route over the links to backends 1 and 2.
#  - 64 UDP flows (one source port each) are spread over both next hops,
#    each flow to one of them, the same one when sent again; route show
#    gives each member its buckets, stats counts packets per next hop;
#  - next hop 2's neighbour goes away (its address gone, its entry
#    deleted): every flow now reaches next hop 1, and those that were on
#    next hop 1 did not move (resilient buckets);
#  - a multipath route written into a followed kernel table is one too;
#  - the state file keeps the route as typed.
. "$(dirname "$0")/lib.sh"

xt_plan 12
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] || xt_skip_rest "no xgwd or xgwctl in $XT_BUILD (run make)"
command -v jq >/dev/null || xt_skip_rest "no jq"

xt_lab_up --backends 2 || { xt_fail "lab up"; xt_skip_rest "no lab"; }
GW=$LAB_GW_NS
PORT=5353
NFLOWS=64
ctl() { "$XT_BUILD/xgwctl" -s "$XT_TMP/gw.sock" "$@"; }

# send DST: NFLOWS UDP flows from the client, source ports 20000.., 2 datagrams each
send()
{
	ip netns exec "$LAB_CLIENT_NS" "$XT_PY" - "$1" $PORT $NFLOWS <<'EOF'
import socket, sys, time
dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for rep in range(2):
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 20000 + i))
        s.sendto(b"x" * 32, (dst, port))
        s.close()
    time.sleep(0.05)
EOF
}
# round NAME DST: send the flows, capture on both backends; NAME.map gets
# "sport backend" per flow seen, sorted
round()
{
	local be out

	for be in 1 2; do
		out=$XT_TMP/$1.be$be
		ns_var=LAB_BE${be}_NS
		xt_sniff_start "${!ns_var}" eth0 "$out" --proto udp --port $PORT --timeout 4 --idle 1 ||
			return 1
		eval "pid$be=\$XT_SNIFF_PID"
	done
	send "$2"
	wait "$pid1" "$pid2"
	for be in 1 2; do
		jq -r --arg b "$be" '.frames[] | "\(.sport) \($b)"' "$XT_TMP/$1.be$be"
	done | sort -u -n >"$XT_TMP/$1.map"
}
flows_on() { awk -v b="$2" '$2 == b' "$XT_TMP/$1.map" | wc -l; }
# a flow seen on both backends in one round would be listed twice
flows_seen() { cut -d' ' -f1 "$XT_TMP/$1.map" | sort -u | wc -l; }
nh_packets() { ctl -j stats show | jq "[.nexthops[] | select(.via == \"$1\") | .packets] | add // 0"; }

xt_check "xgwd starts" xt_xgwd_start gw "$GW"
xt_check "links and a 2-way multipath route" sh -c "
	c() { '$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' \"\$@\"; }
	c link attach gw-c && c link attach gw-b1 && c link attach gw-b2 &&
	c route add 10.60.0.0/16 nexthop via $LAB_BE1_IP4 nexthop via $LAB_BE2_IP4"
xt_is "$(ctl -j route show | jq -c '[.[] | select(.dst == "10.60.0.0/16") | .nexthops[] | .buckets] | add')" \
	256 "route show: the members hold all 256 buckets between them"

p1=$(nh_packets "$LAB_BE1_IP4") p2=$(nh_packets "$LAB_BE2_IP4")
round r1 10.60.0.5 || xt_fail "capture"
n1=$(flows_on r1 1) n2=$(flows_on r1 2)
if [ "$(flows_seen r1)" = $NFLOWS ] && [ "$n1" -ge 8 ] && [ "$n2" -ge 8 ] && [ $((n1 + n2)) = $NFLOWS ]; then
	xt_ok "$NFLOWS flows spread over both next hops ($n1 and $n2), each flow to one"
else
	xt_fail "flows spread over both next hops" "seen $(flows_seen r1), on 1: $n1, on 2: $n2"
fi
xt_is "$(($(nh_packets "$LAB_BE1_IP4") - p1)),$(($(nh_packets "$LAB_BE2_IP4") - p2))" \
	"$((2 * n1)),$((2 * n2))" "per next hop counters: 2 packets per flow on each"
round r2 10.60.0.5
xt_is "$(cat "$XT_TMP/r2.map")" "$(cat "$XT_TMP/r1.map")" "sent again, every flow sticks to its next hop"

# ---- next hop 2's neighbour goes away -------------------------------------------------
ip -n "$LAB_BE2_NS" addr flush dev eth0
ip -n "$GW" neigh del "$LAB_BE2_IP4" dev gw-b2
for _ in $(seq 50); do
	[ "$(ctl -j route show | jq -r ".[] | select(.dst == \"10.60.0.0/16\") | .nexthops[] |
		select(.via == \"$LAB_BE2_IP4\") | .buckets")" = 0 ] && break
	sleep 0.1
done
xt_is "$(ctl -j route show | jq -c ".[] | select(.dst == \"10.60.0.0/16\") | [.nexthops[] | [.resolved, .buckets]]")" \
	"[[true,256],[false,0]]" "next hop 2 unresolved: next hop 1 holds every bucket"
round r3 10.60.0.5
xt_is "$(flows_on r3 1),$(flows_on r3 2)" "$NFLOWS,0" "every flow now reaches next hop 1"
xt_is "$(comm -23 "$XT_TMP/r1.map" "$XT_TMP/r3.map" | awk '$2 == 1' | wc -l)" 0 \
	"none of next hop 1's flows moved: only next hop 2's did"

# ---- a followed kernel multipath route ----------------------------------------------------
ip -n "$LAB_BE2_NS" addr add "$LAB_BE2_IP4/24" dev eth0
ip -n "$GW" neigh replace "$LAB_BE2_IP4" lladdr "$LAB_BE2_MAC" dev gw-b2 nud permanent
ctl route follow table 100
ip -n "$GW" route add 10.61.0.0/16 table 100 nexthop via "$LAB_BE1_IP4" nexthop via "$LAB_BE2_IP4" weight 3
sleep 0.5
xt_is "$(ctl -j route show | jq -c '.[] | select(.dst == "10.61.0.0/16") | [.origin, .type, [.nexthops[] | .weight]]')" \
	'["kernel","multipath",[1,3]]' "a kernel multipath route in a followed table is a multipath route"
round r4 10.61.0.5
n1=$(flows_on r4 1) n2=$(flows_on r4 2)
if [ $((n1 + n2)) = $NFLOWS ] && [ "$n2" -gt "$n1" ] && [ "$n1" -ge 4 ]; then
	xt_ok "and forwarded by xgw, weighted 1:3 ($n1 and $n2 flows)"
else
	xt_fail "forwarded, weighted 1:3" "on 1: $n1, on 2: $n2"
fi
xt_is "$(grep -c "^route add 10.60.0.0/16 nexthop via $LAB_BE1_IP4 weight 1 nexthop via $LAB_BE2_IP4 weight 1$" \
	"$XT_TMP/gw.conf")" 1 "the state file keeps the multipath route as typed"
