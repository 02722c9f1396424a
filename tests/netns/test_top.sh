#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# xgwctl top reads xgwd's `stats show -j` with json-c. While a client sends
# UDP to the gateway's own address (reason "local", passed to the kernel),
# `xgwctl -j top -n 3` prints three JSON lines, each with every reason of
# the table and the classes; the "local" rate is that of the traffic and
# "received" covers it; the text view lists the moving reason; without a
# daemon, -j top prints one {"error": ...} line and exits 1.
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl

xt_plan 6
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] || xt_skip_rest "no $XGWD or $XGWCTL (run make)"

GW=${XT_PFX}tg
CL=${XT_PFX}tc
SOCK=$XT_TMP/gw.sock
xt_ns "$GW" "$CL" && xt_veth "$GW" xta0 "$CL" xtb0 || { xt_fail "netns"; exit 1; }
ip -n "$GW" addr add 10.78.0.1/24 dev xta0
ip -n "$CL" addr add 10.78.0.2/24 dev xtb0
xt_xgwd_start gw "$GW" || { xt_fail "xgwd starts"; exit 1; }
ctl() { "$XGWCTL" -s "$SOCK" "$@"; }
ctl link attach xta0 >/dev/null || xt_fail "link attach"
ip netns exec "$CL" ping -c 1 -W 2 10.78.0.1 >/dev/null 2>&1	# ARP first

# ~4000 datagrams over ~6 s while top samples, in JSON and in text.
xt_udp_send "$CL" 10.78.0.1 9 4000 32 64 &
SENDER=$!
xt_defer "kill $SENDER"
sleep 0.5
ctl top -n 2 >"$XT_TMP/top.txt" 2>&1 &
TEXT=$!
ctl -j top -n 3 >"$XT_TMP/top.json" 2>"$XT_TMP/top.err"
rc=$?
wait "$TEXT" "$SENDER"	# (xgwd is a background job too)

xt_is "$rc:$(wc -l <"$XT_TMP/top.json"):$(jq -c 'type' "$XT_TMP/top.json" | sort -u)" \
	'0:3:"object"' "-j top -n 3: three lines, each a JSON object" ||
	xt_diag "$(cat "$XT_TMP/top.err")"
want=$(grep -c '^	X(' "$XT_ROOT/common/xgw_shared.h")
xt_is "$(jq -c '[(.reasons | length), (.received | keys), (.forwarded | has("pps"))]' \
	"$XT_TMP/top.json" | sort -u)" "[$want,[\"bps\",\"pps\"],true]" \
	"every frame has all $want reasons, rates for received and each class"
local_pps=$(jq -s '[.[].reasons[] | select(.reason == "local") | .pps] | max' "$XT_TMP/top.json")
xt_is "$(jq -n --argjson p "$local_pps" '$p > 100 and $p < 2000')" true \
	"the local rate is the traffic's (max $local_pps pkt/s; ~600 sent a second)"
xt_is "$(jq -s '[.[] | .received.pps >= ([.reasons[] | select(.class != "errors") | .pps] | add) - 0.001] | all' \
	"$XT_TMP/top.json")" true "received covers every reason but the error events"
xt_check "the text view lists the moving reason" grep -qE '^local +[0-9.]+k?$' "$XT_TMP/top.txt" ||
	xt_diag "$(cat "$XT_TMP/top.txt")"

out=$("$XGWCTL" -s "$XT_TMP/nobody.sock" -j top -n 1 2>&1)
xt_is "$?:$(echo "$out" | jq -r 'keys[0]' 2>/dev/null)" "1:error" "no daemon: one {\"error\": ...} line, exit 1"
