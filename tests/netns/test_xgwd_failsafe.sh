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

xt_plan 45
. "$(dirname "$0")/xgwd_lib.sh"
xgwd_lab --backends 2

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

# ---- a backend line that no longer replays: the service keeps forwarding ---------------
# The issue's case for the load balancer: gw-b1's address changed while xgwd
# was stopped, so `backend add VIP be1` fails (not on an attached link). The
# adopted datapath forwards to be1: its entry, the Maglev table and the
# connections on it must stay as they were, the line reported.
VIP=10.20.8.8
CLIENT_PY=$XT_TMP/conns.py
cat >"$CLIENT_PY" <<'PY'
# N connections to VIP:PORT; ask each which backend it is on, print the
# names; once GO exists, ask again on the same connections.
import os, socket, sys, time
vip, port, n, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cs = []
for i in range(n):
    s = socket.create_connection((vip, port), timeout=3)
    cs.append((s, s.makefile("rb")))
def ask():
    out = []
    for s, f in cs:
        try:
            s.sendall(b"x\n")
            out.append(f.readline().decode().strip() or "dead")
        except OSError:
            out.append("dead")
    print(" ".join(out), flush=True)
ask()
while not os.path.exists(go):
    time.sleep(0.05)
ask()
PY
lb_setup()
{
	local i

	for i in 1 2; do
		ip -n "$XT_PFX-be$i" addr add $VIP/32 dev lo || return 1
		xt_nsenter "$XT_PFX-be$i" "$XT_PY" "$(dirname "$0")/lb_servers.py" tcp 7000 "be$i" \
			>/dev/null 2>&1 &
		xt_defer "kill $! 2>/dev/null"
	done
	ip -n "$LAB_CLIENT_NS" route add $VIP/32 via "$LAB_GW_CLIENT_IP4" &&
	ctl link attach gw-b1 && ctl link attach gw-b2 &&
	ctl service add $VIP:7000/tcp mode dsr table-size 251 check none &&
	ctl backend add $VIP:7000/tcp "$LAB_BE1_IP4" &&
	ctl backend add $VIP:7000/tcp "$LAB_BE2_IP4"
}
xt_check "a dsr service over two backends" lb_setup
# The service's Maglev table in the datapath (an inner map: no BTF), and
# its backends' entries.
maglev()
{
	local id

	id=$(bpftool map lookup pinned "$PIN/xgw_maglev" key $(xt_le32 "$1") -j |
		jq -r '.value | map(ltrimstr("0x")) | reverse | join("")') || return 1
	bpftool map dump id $((16#$id)) -j | jq -c '[.[].value | map(ltrimstr("0x")) | join("")]'
}
backends()
{
	bpftool map dump pinned "$PIN/xgw_backends" -j |
		jq -c "[.[].formatted | select(.value.svc_id == $1)] | sort_by(.key)"
}
spread()
{
	ip netns exec "$LAB_CLIENT_NS" "$XT_PY" -c 'import socket, sys
for _ in range(20):
    try:
        s = socket.create_connection((sys.argv[1], 7000), timeout=2)
        s.sendall(b"x\n")
        print(s.makefile("rb").readline().decode().strip() or "fail")
    except OSError:
        print("fail")' $VIP | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
}
sid=$(ctl -j service show | jq ".[] | select(.service == \"$VIP:7000/tcp\") | .id")
table0=$(maglev "$sid")
bes0=$(backends "$sid")
rm -f "$XT_TMP/go"
ip netns exec "$LAB_CLIENT_NS" "$XT_PY" "$CLIENT_PY" $VIP 7000 16 "$XT_TMP/go" >"$XT_TMP/conns" 2>&1 &
cpid=$!
xt_defer "kill $cpid 2>/dev/null"
wait_for 1 sh -c "wc -l <'$XT_TMP/conns'"
xgwd_stop
gw ip addr del "$LAB_GW_BE1_IP4/24" dev gw-b1
gw ip addr add "$LAB_GW_BE1_IP4/32" dev gw-b1
xgwd_start
xt_is "$(ctl -j daemon show | jq -r '.state + " " + ([.failed[] | .command + " kept:" + (.kept | tostring)] | join(","))')" \
	"degraded backend add $VIP:7000/tcp $LAB_BE1_IP4 weight 1 kept:true" \
	"the backend line that no longer replays: degraded, reported, kept"
sleep 1.5	# the health thread finishes the adoption
xt_is "$(maglev "$sid")" "$table0" "the Maglev table is as the datapath had it"
xt_is "$(backends "$sid")" "$bes0" "both backends' entries are as they were"
touch "$XT_TMP/go"
wait "$cpid"
first=$(sed -n 1p "$XT_TMP/conns") second=$(sed -n 2p "$XT_TMP/conns")
[[ $first == *be1* && $first == *be2* && "$first" = "$second" ]] &&
	xt_ok "16 connections on both backends go on, each on its backend" ||
	xt_fail "16 connections on both backends go on, each on its backend" "before: $first" \
		"after:  $second"
s=$(spread)
[[ $s == *be1=* && $s == *be2=* && $s != *fail* ]] &&
	xt_ok "new connections reach both backends ($s)" || xt_fail "new connections reach both backends" "$s"
grep -q "^backend add $VIP:7000/tcp $LAB_BE1_IP4 weight 1\$" "$CONF" &&
	xt_ok "the failed backend line stays in the state file" ||
	xt_fail "the failed backend line stays in the state file" "$(cat "$CONF")"
xt_is "$(ctl -j service show | jq -r ".[] | select(.id == $sid) | [.backends[] | .addr + \":\" + (.kept | tostring)] | join(\" \")")" \
	"$LAB_BE1_IP4:true $LAB_BE2_IP4:false" "service show says which backend is kept"
! ctl daemon reload 2>/dev/null && [ "$(state)" = degraded ] && [ "$(maglev "$sid")" = "$table0" ] &&
	xt_ok "a reload while the line still fails: refused, the backend still kept" ||
	xt_fail "a reload while the line still fails: refused, the backend still kept" "$(ctl daemon show)"
gw ip addr del "$LAB_GW_BE1_IP4/32" dev gw-b1
gw ip addr add "$LAB_GW_BE1_IP4/24" dev gw-b1
ctl daemon reload && [ "$(state)" = ok ] &&
	[ "$(ctl -j service show | jq -r "[.[] | select(.id == $sid) | .backends[] | .kept] | any")" = false ] &&
	[ "$(maglev "$sid")" = "$table0" ] && [ "$(backends "$sid")" = "$bes0" ] &&
	xt_ok "address back, reload: the backend set up again, state ok, table and entries the same" ||
	xt_fail "address back, reload: the backend set up again, state ok, table and entries the same" \
		"$(ctl daemon show)" "$(ctl service show)"

# ---- a service line that no longer replays: kept as the datapath has it -------------------
# Sixteen nat services fill xgw_snat (4096 entries) but 128. While xgwd is
# stopped the operator adds a service before the others and grows the
# first one's pool to 256: that no longer fits. The new service takes no
# id or pool entry of the old ones; the grown one is kept as the datapath
# has it (entry, pool, table, backend), reported, and let go by a reload
# once its line fits again.
nat_setup()
{
	local i

	{
		echo "service add 10.30.0.1:80/tcp mode nat snat 10.31.0.0-10.31.0.127 check none"
		echo "backend add 10.30.0.1:80/tcp $LAB_BE2_IP4:7000"
		for i in $(seq 1 15); do
			echo "service add 10.30.$i.1:80/tcp mode nat snat 10.31.$i.0-10.31.$i.255 check none"
		done
	} >"$XT_TMP/nat.batch"
	ctl -batch "$XT_TMP/nat.batch"
}
xt_check "sixteen nat services, 3968 pool addresses" nat_setup
# the old services' pools: the 128 entries left free are the new one's
snat() { bpftool map dump pinned "$PIN/xgw_snat" -j |
	jq -c '[.[].formatted | select(.value.family != 0 and .key < 3968)]'; }
svcs() { bpftool map dump pinned "$PIN/xgw_services" -j |
	jq -c '[.[].formatted.value | select(.snat_n > 0 and .snat_first < 3968) |
		{id, snat_first, snat_n}] | sort_by(.id)'; }
nsid=$(ctl -j service show | jq '.[] | select(.service == "10.30.0.1:80/tcp") | .id')
snat0=$(snat) svcs0=$(svcs) ntable0=$(maglev "$nsid") nbes0=$(backends "$nsid")
xgwd_stop
sed -i -e '/^service add 10.30.0.1:80/s|snat 10.31.0.0-10.31.0.127|snat 10.31.0.0-10.31.0.255|' \
	-e '0,/^service add 10.30.0.1:80/s||service add 10.29.0.1:80/tcp mode nat snat 10.32.0.0-10.32.0.127\n&|' "$CONF"
xgwd_start
sleep 1.5	# the health thread finishes the adoption
xt_is "$(ctl -j daemon show | jq -r '[.failed[] | .error + " kept:" + (.kept | tostring)] | join(",")')" \
	"snat: no room for 256 addresses (4096 in all services) kept:true,no service 10.30.0.1:80/tcp kept:true" \
	"the grown service's line does not fit: it and its backend's line reported, kept"
xt_is "$(svcs)" "$svcs0" "every old service keeps its id and its pool entries"
xt_is "$(snat)" "$snat0" "xgw_snat is as it was"
xt_is "$(maglev "$nsid") $(backends "$nsid")" "$ntable0 $nbes0" \
	"the kept service's table and backend entry are as they were"
xt_is "$(ctl -j service show | jq -r '.[] | select(.service == "10.29.0.1:80/tcp") | .id')" 19 \
	"the new service got an id no adopted service had"
grep -q "^service add 10.30.0.1:80/tcp mode nat .*snat 10.31.0.0-10.31.0.255" "$CONF" &&
	xt_ok "the failed lines stay in the state file" || xt_fail "the failed lines stay in the state file"
sed -i 's|10.31.0.0-10.31.0.255|10.31.0.0-10.31.0.127|' "$CONF"
sed -i '/^service add 10.29.0.1:80/d' "$CONF"
ctl daemon reload && [ "$(state)" = ok ] &&
	[ "$(bpftool map dump pinned "$PIN/xgw_services" -j | jq 'length')" = 18 ] &&
	[ "$(ctl -j service show | jq -r '.[] | select(.service == "10.30.0.1:80/tcp") | .backends[0].addr')" = "$LAB_BE2_IP4" ] &&
	! bpftool map lookup pinned "$PIN/xgw_maglev" key $(xt_le32 "$nsid") >/dev/null 2>&1 &&
	xt_ok "its line fits again, reload: the service is set up again, what was kept is gone" ||
	xt_fail "its line fits again, reload: the service is set up again, what was kept is gone" \
		"$(ctl daemon show)" "$(bpftool map dump pinned "$PIN/xgw_services" -j | jq length)"
