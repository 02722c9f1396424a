#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# xgw-pktgen and its sink on the lab, through the kernel's own forwarding
# (the generator is tested apart from xgw): the sink counts exactly what was
# sent, IPv4 and IPv6; flows and destination ranges vary the source port and
# address frame by frame; checksums stay valid (the server's stack accepts
# every datagram); --rate holds; bad arguments are refused.
. "$(dirname "$0")/lib.sh"

PKTGEN=$XT_BUILD/xgw-pktgen

xt_plan 8
xt_require_root
[ -x "$PKTGEN" ] || xt_skip_rest "no $PKTGEN (run make)"
XGW_LAB_PREFIX=$XT_PFX "$XT_ROOT/tools/lab" up --forwarding >/dev/null &&
	xt_defer "XGW_LAB_PREFIX=$XT_PFX '$XT_ROOT/tools/lab' down" &&
	eval "$(XGW_LAB_PREFIX=$XT_PFX "$XT_ROOT/tools/lab" env)" &&
	xt_ok "lab $XT_PFX up, kernel forwarding on" || { xt_fail "lab up"; exit 1; }

gen() { ip netns exec "$LAB_CLIENT_NS" "$PKTGEN" --dev eth0 --dmac "$LAB_GW_CLIENT_MAC" "$@"; }

# sink_run GEN-ARGS...: sink on the server while the generator runs;
# prints the sink's JSON.
sink_run()
{
	local spid i

	ip netns exec "$LAB_SRV_NS" "$PKTGEN" sink --dev eth0 -j >"$XT_TMP/sink.json" &
	spid=$!
	for ((i = 0; i < 600; i++)); do
		ip -d -n "$LAB_SRV_NS" link show dev eth0 | grep -q 'prog/xdp' && break
		sleep 0.05
	done
	gen "$@" -j >"$XT_TMP/gen.json"
	sleep 0.2
	kill -INT $spid
	wait $spid
	cat "$XT_TMP/sink.json"
}

out=$(sink_run --src "$LAB_CLIENT_IP4" --dst "$LAB_REMOTE4_HOST" --count 10000 --size 64)
xt_is "$(echo "$out" | jq -c '[.packets, .bytes]')" "[10000,640000]" \
	"IPv4: the sink counts the 10000 frames of 64 bytes sent"
out=$(sink_run --src "$LAB_CLIENT_IP6" --dst "$LAB_REMOTE6_HOST" --count 5000 --size 1500 --flows 7)
xt_is "$(echo "$out" | jq -c '[.packets, .bytes]')" "[5000,7500000]" \
	"IPv6: the sink counts the 5000 frames of 1500 bytes sent"

# Frame by frame: source port cycles over the flows, destination over the range.
xt_sniff_start "$LAB_SRV_NS" eth0 "$XT_TMP/s.json" --proto udp --port 9 --count 6 --timeout 3
gen --src "$LAB_CLIENT_IP4" --dst 10.20.0.1-10.20.0.3 --flows 2 --count 6 --rate 1000 >/dev/null
wait "$XT_SNIFF_PID"
xt_is "$(jq -c '[.frames[] | [.sport, .dst, .ttl]]' "$XT_TMP/s.json")" \
	'[[10000,"10.20.0.1",63],[10001,"10.20.0.2",63],[10000,"10.20.0.3",63],[10001,"10.20.0.1",63],[10000,"10.20.0.2",63],[10001,"10.20.0.3",63]]' \
	"flows and destination range vary frame by frame, TTL 64 forwarded to 63"

# The server's own UDP socket takes only datagrams with good checksums.
csum_case()
{
	local name=$1 src=$2 dst=$3

	xt_sniff_start "$LAB_SRV_NS" eth0 "$XT_TMP/c.json" --proto udp --port 5301 --count 50 \
		--timeout 3 --udp-sink
	gen --src "$src" --dst "$dst" --dport 5301 --flows 50 --count 50 --size 300 --rate 5000 >/dev/null
	wait "$XT_SNIFF_PID"
	xt_is "$(jq -c '[.udp_datagrams, .udp_bytes]' "$XT_TMP/c.json")" "[50,$4]" \
		"$name: all 50 datagrams (50 flows) pass the server's checksum check"
}
csum_case IPv4 "$LAB_CLIENT_IP4" "$LAB_REMOTE4_HOST" $((50 * (300 - 42)))
csum_case IPv6 "$LAB_CLIENT_IP6" "$LAB_REMOTE6_HOST" $((50 * (300 - 62)))

gen --src "$LAB_CLIENT_IP4" --dst "$LAB_REMOTE4_HOST" --rate 20000 --duration 1 -j >"$XT_TMP/r.json"
n=$(jq .packets "$XT_TMP/r.json")
if [ "$n" -ge 18000 ] && [ "$n" -le 22000 ]; then
	xt_ok "--rate 20000 for 1 s sends $n packets (within 10%)"
else
	xt_fail "--rate 20000 for 1 s" "sent $n" "$(cat "$XT_TMP/r.json")"
fi

err=$(gen --src "$LAB_CLIENT_IP4" --dst 10.20.0.x --count 1 2>&1 >/dev/null)
rc=$?
xt_is "$rc $(echo "$err" | wc -l) $(echo "$err" | grep -c '10.20.0.x')" "2 1 1" \
	"bad destination: exit 2, one error line naming it"
