#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# xgwd never takes the datapath down for its state file (#12.1, #14.2):
# - a link's address changed while xgwd was stopped, so one line no longer
#   replays ("no route to fd00:10:2::2"): xgwd starts, applies every other
#   line, keeps that route forwarding as it was, says it is degraded (log,
#   metric, daemon show), keeps both links attached and the service map
#   full; a reload once the address is back applies the line;
# - a file cut off (no end line, a line without its newline) applies
#   nothing: the adopted datapath runs on byte for byte, changes are
#   refused, SIGHUP once it is whole restores it;
# - SIGHUP applies the difference, all or nothing; -batch of the state
#   file on the running daemon changes nothing (idempotent);
# - --cleanup of another pin dir leaves our links alone (#12.2);
# - temp files a killed save left are removed at start (#14.6);
# - the tracing programs are attached and pinned once (#12.5).
. "$(dirname "$0")/lib.sh"

xt_plan 27
. "$(dirname "$0")/xgwd_lib.sh"
xgwd_lab

state() { ctl -j daemon show | jq -r .state; }
metric() { gw curl -sf "http://127.0.0.1:9469/metrics" | sed -n "s/^$1 //p"; }
svc_count() { bpftool map dump pinned "$PIN/xgw_services" -j | jq length; }

# ---- a link's address changed while xgwd was stopped ---------------------------------
setup_ok()
{
	xgwd_start && ctl link attach gw-c && ctl link attach gw-s &&
	ctl route add "$LAB_REMOTE4" via "$LAB_SRV_IP4" &&
	ctl route add "$LAB_REMOTE6" via "$LAB_SRV_IP6" &&
	ctl route add 10.10.1.0/24 via "$LAB_CLIENT_IP4" &&
	ctl route add fd00:10:1::/64 via "$LAB_CLIENT_IP6" &&
	ctl route add 10.99.0.0/16 blackhole &&
	ctl service add 10.20.9.9:80/tcp
}
xt_check "xgwd up: two links, v4 and v6 routes via the server, a service" setup_ok
xt_is "$(ping_count 3 0.05 "$LAB_REMOTE6_HOST")" "3 3" "IPv6 crosses the gateway"
xgwd_stop
gw ip addr del "$LAB_GW_SRV_IP6/64" dev gw-s
gw ip addr add fd00:99:2::1/64 dev gw-s nodad
xgwd_start >"$XT_TMP/start.out" 2>&1
rc=$?
xt_is "$rc" 0 "xgwd starts although a line no longer replays"
xt_is "$(ctl -j daemon show | jq -r '.state + " " + (.failed | length | tostring) + " " + .failed[0].error')" \
	"degraded 1 no route to $LAB_SRV_IP6" "daemon show: degraded, the line and why"
xt_is "$(ctl -j daemon show | jq -r '.failed[0].kept')" true "its datapath entry is kept"
xt_is "$(xdp_prog gw-c) $(xdp_prog gw-s)" "xgw_xdp xgw_xdp" "both links keep the program"
xt_is "$(svc_count)" 1 "the service map keeps the service"
xt_is "$(ping_count 5 0.05 "$LAB_REMOTE6_HOST")" "5 5" "the kept IPv6 route still forwards"
xt_is "$(ping_count 5 0.05 "$LAB_REMOTE4_HOST")" "5 5" "the IPv4 route replayed and forwards"
xt_is "$(metric 'xgw_state{state="degraded"}') $(metric xgw_state_failed_lines)" "1 1" \
	"metrics: xgw_state degraded, one failed line"
grep -q "^route add $LAB_REMOTE6 via $LAB_SRV_IP6\$" "$CONF" &&
	ctl route add 10.98.0.0/16 blackhole && grep -q "^route add $LAB_REMOTE6 via $LAB_SRV_IP6\$" "$CONF" &&
	xt_ok "the failed line stays in the state file, also after a change" ||
	xt_fail "the failed line stays in the state file, also after a change" "$(cat "$CONF")"
gw ip addr del fd00:99:2::1/64 dev gw-s
gw ip addr add "$LAB_GW_SRV_IP6/64" dev gw-s nodad
ctl daemon reload && [ "$(state)" = ok ] &&
	[ "$(ctl -j route show | jq -r ".[] | select(.dst == \"$LAB_REMOTE6\") | .via")" = "$LAB_SRV_IP6" ] &&
	xt_ok "address back: daemon reload applies the line, state ok" ||
	xt_fail "address back: daemon reload applies the line, state ok" "$(ctl daemon show)"

# ---- a cut state file: nothing applied, the datapath runs on -------------------------
before=$(snapshot | grep -v '^#')
fib0=$(fib4 --sum)
xgwd_stop
cp "$CONF" "$XT_TMP/good.conf"
head -c $(($(stat -c %s "$CONF") - 40)) "$XT_TMP/good.conf" >"$CONF"	# mid-line, no end line
xt_check "xgwd starts over a cut state file" xgwd_start
xt_is "$(state)" not-loaded "daemon show: not-loaded"
xt_is "$(fib4 --sum)" "$fib0" "the IPv4 FIB is byte-identical (nothing applied, nothing swept)"
xt_is "$(svc_count) $(xdp_prog gw-c)" "1 xgw_xdp" "services and programs untouched"
xt_is "$(ping_count 5 0.05 "$LAB_REMOTE4_HOST")" "5 5" "traffic crosses as before"
! ctl route add 10.97.0.0/16 blackhole 2>"$XT_TMP/err" && grep -q "not loaded" "$XT_TMP/err" &&
	cmp -s "$CONF" <(head -c $(($(stat -c %s "$XT_TMP/good.conf") - 40)) "$XT_TMP/good.conf") &&
	xt_ok "changes refused, the cut file left as it is" ||
	xt_fail "changes refused, the cut file left as it is" "$(cat "$XT_TMP/err")"
cp "$XT_TMP/good.conf" "$CONF"
kill -HUP "$(cat "$PIDF")"
wait_for ok state && [ "$(snapshot | grep -v '^#')" = "$before" ] &&
	xt_ok "file whole again + SIGHUP: restored, state file and maps as before" ||
	xt_fail "file whole again + SIGHUP: restored, state file and maps as before" \
		"$(diff <(echo "$before") <(snapshot | grep -v '^#') | head)"

# ---- SIGHUP applies the difference, all or nothing ----------------------------------------
sed -i -e '/^route add 10.99.0.0\/16 blackhole$/d' -e 's/^set latency-sample .*/set latency-sample 7/' "$CONF"
echo "route add 10.60.0.0/16 blackhole" >>"$CONF"
kill -HUP "$(cat "$PIDF")"
sleep 0.5
xt_is "$(fib4 10.99.1.1 10.60.1.1 10.20.1.1 | cut -d' ' -f2 | tr '\n' ' ')$(ctl -j stats latency | jq .sample)" \
	"none blackhole nexthop 7" "SIGHUP: a route removed, one added, a setting changed; the rest kept"
grep -q '^route add 10.60.0.0/16 blackhole$' "$CONF" && grep -q '^# end of xgw state$' "$CONF" &&
	xt_ok "the file is rewritten with the change" || xt_fail "the file is rewritten with the change"
snap=$(snapshot)
echo "route add 10.61.0.0/16 via 192.0.2.1" >>"$CONF"
echo "route add 10.62.0.0/16 blackhole" >>"$CONF"
cp "$CONF" "$XT_TMP/bad.conf"
kill -HUP "$(cat "$PIDF")"
sleep 0.5
xt_is "$(fib4 10.62.1.1 | cut -d' ' -f2) $(ctl -j daemon show | jq -r '.reload_errors')" "none 1" \
	"a reload with a line that cannot apply changes nothing, counted"
ctl -j daemon show | jq -r .last_reload_error | grep -q "no route to 192.0.2.1" &&
	xt_ok "daemon show names the reload's error" || xt_fail "daemon show names the reload's error" \
	"$(ctl daemon show)"
sed -i -e '/10.61.0.0/d' -e '/10.62.0.0/d' "$CONF"
ctl daemon reload >/dev/null
snap=$(snapshot)
ctl -batch "$CONF" >"$XT_TMP/out" 2>&1 && [ "$(snapshot)" = "$snap" ] &&
	xt_ok "xgwctl -batch of the state file on the running daemon: ok, nothing changes" ||
	xt_fail "xgwctl -batch of the state file on the running daemon: ok, nothing changes" \
		"$(cat "$XT_TMP/out")" "$(diff <(echo "$snap") <(snapshot) | head)"

# ---- --cleanup of another pin dir ------------------------------------------------------------
OTHER=$PIN-other
gw "$XGWD" -f --config "$XT_TMP/other.conf" --socket "$XT_TMP/other.sock" --pin-dir "$OTHER" \
	--metrics none >"$XT_TMP/other.log" 2>&1 &
OPID=$!
xt_defer "kill $OPID 2>/dev/null; rm -rf '$OTHER'"
for _ in $(seq 300); do [ -S "$XT_TMP/other.sock" ] && break; sleep 0.1; done
kill "$OPID"; wait "$OPID" 2>/dev/null
gw "$XGWD" --cleanup --pin-dir "$OTHER" 2>/dev/null
gw "$XGWD" --cleanup --pin-dir "$PIN-nonexistent" 2>/dev/null
[ ! -e "$OTHER/xgw_config" ] && [ "$(xdp_prog gw-c) $(xdp_prog gw-s)" = "xgw_xdp xgw_xdp" ] &&
	[ "$(ping_count 5 0.05 "$LAB_REMOTE4_HOST")" = "5 5" ] &&
	xt_ok "--cleanup of another (or a missing) pin dir leaves our links attached" ||
	xt_fail "--cleanup of another (or a missing) pin dir leaves our links attached" \
		"$(xdp_prog gw-c) $(xdp_prog gw-s)"

# ---- temp files of a killed save; tracing ----------------------------------------------------
xgwd_stop KILL
touch "$CONF.tmp" "$CONF.tmpAb12Cd"
xgwd_start
ls "$CONF".tmp* >/dev/null 2>&1 && xt_fail "temp files of a killed save removed at start" "$(ls "$CONF".tmp*)" ||
	xt_ok "temp files of a killed save removed at start"
tr=$(ctl -j daemon show | jq -r '[.tracing[] | .tracepoint + ":" + .state] | join(" ")')
n=$(ls "$PIN" | grep -c '^link_xgw_trace_')
[ "$n" -eq 2 ] && echo "$tr" | grep -q "xdp_redirect_err:attached (pinned, kept)" &&
	echo "$tr" | grep -q "xdp_devmap_xmit:attached (pinned, kept)" &&
	xt_ok "tracing programs attached once, their links pinned and kept across restarts" ||
	xt_fail "tracing programs attached once, their links pinned and kept across restarts" \
		"pins $n: $tr"
