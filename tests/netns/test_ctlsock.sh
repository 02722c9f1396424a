#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# xgwd's control socket and metrics port against hostile clients (#14.1,
# #14.3, #14.4), in a private namespace (xgwd on a veth pair):
# - 8 clients that never finish, one sending a byte every 1.5 s and 100
#   half-open metrics connections: a normal request and a next hop's MAC
#   change still take milliseconds (they took 15-40 s and 20 s); a
#   slow-loris on the metrics port holds at most 8 connections and each
#   only until its request's deadline;
# - the issue's cut request (backend del ... cut after 10.77.0.2) and a
#   fuzzed stream of garbage, cut, lying, oversized and malformed requests
#   change nothing: state file and maps byte-identical;
# - 30 clients at once, each a complete write: all applied;
# - a device named x"q: the scrape stays valid (labels escaped);
# - a veth whose peer has neither GRO nor XDP drops redirects: counted as
#   redirect_error (the tracing program xgwd attached), not only forwarded,
#   and link show warns of it until the peer has GRO; a frame longer than
#   that veth's peer's MTU is dropped by veth_xdp_xmit(): xmit_drop.
# - xgwctl -batch out of memory mid-file fails and applies nothing (#14.6).
# XGW_CTLFUZZ_COUNT sets the fuzzed requests (default 300; make fuzz: more).
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl
FIBGET=$XT_BUILD/tests/netns/fibget
FUZZ=$XT_ROOT/tests/netns/ctlfuzz.py
COUNT=${XGW_CTLFUZZ_COUNT:-300}

xt_plan 15
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] && [ -x "$FIBGET" ] ||
	xt_skip_rest "no $XGWD, $XGWCTL or $FIBGET (run make)"

NS=${XT_PFX}cs
CNS=${XT_PFX}cc
PIN=/sys/fs/bpf/${XT_PFX}cs
CONF=$XT_TMP/xgw.conf
SOCK=$XT_TMP/xgw.sock
PORT=$((20000 + $$ % 20000))
MET=127.0.0.1:$PORT

ctl() { "$XGWCTL" -s "$SOCK" "$@"; }
fib4() { "$FIBGET" "$PIN" "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

ip netns add "$NS" && ip netns add "$CNS" || { xt_fail "netns"; exit 1; }
xt_defer "ip netns del '$NS'; ip netns del '$CNS'"
# xa: towards a client namespace (xb); ya: a veth whose peer yb has
# neither GRO nor an XDP program; x"q: a device with a quote in its name.
setup_net()
{
	ip -n "$NS" link set lo up &&
	ip -n "$NS" link add xa type veth peer name xb netns "$CNS" &&
	ip -n "$NS" addr add 10.77.0.1/24 dev xa && ip -n "$NS" link set xa up &&
	ip -n "$CNS" addr add 10.77.0.2/24 dev xb && ip -n "$CNS" link set xb up &&
	ip -n "$CNS" link set lo up &&
	ip -n "$CNS" route add default via 10.77.0.1 &&
	ip -n "$NS" neigh add 10.77.0.2 lladdr "$(ip -n "$CNS" -j link show xb | jq -r '.[0].address')" \
		dev xa nud permanent &&
	ip -n "$NS" link add ya type veth peer name yb &&
	ip -n "$NS" addr add 10.78.0.1/24 dev ya && ip -n "$NS" link set ya up &&
	ip -n "$NS" link set yb up &&
	ip netns exec "$NS" ethtool -K yb gro off >/dev/null &&
	ip -n "$NS" neigh add 10.78.0.2 lladdr 02:00:00:78:00:02 dev ya nud permanent &&
	ip -n "$NS" link add 'x"q' type veth peer name xq1 &&
	ip -n "$NS" link set 'x"q' up && ip -n "$NS" link set xq1 up &&
	ip netns exec "$CNS" ethtool -K xb tx off >/dev/null
}
xt_check "namespaces: a client, a veth without GRO or XDP, a device named x\"q" setup_net

nsenter --net="/var/run/netns/$NS" "$XGWD" -f --config "$CONF" --socket "$SOCK" \
	--pin-dir "$PIN" --metrics "0.0.0.0:$PORT" >"$XT_TMP/xgwd.log" 2>&1 &
XPID=$!
xt_defer "kill $XPID 2>/dev/null; sleep 0.3; nsenter --net=/var/run/netns/$NS '$XGWD' --cleanup --pin-dir '$PIN'"
for _ in $(seq 600); do [ -S "$SOCK" ] && break; sleep 0.05; done
setup_ok()
{
	ctl link attach xa && ctl link attach ya && ctl link attach 'x"q' mode generic &&
	ctl route add 10.88.0.0/16 via 10.77.0.2 && ctl route add 10.66.0.0/16 via 10.78.0.2 &&
	ctl route add 10.89.0.1 dev 'x"q' &&
	ctl service add 10.77.0.100:80/tcp && ctl backend add 10.77.0.100:80/tcp 10.77.0.2 check none &&
	ctl backend add 10.77.0.100:80/tcp 10.77.0.250 check none
}
xt_check "xgwd: three links, routes, a service with two backends" setup_ok

snapshot()
{
	local m

	cat "$CONF"
	echo "== xgw_fib4 $(fib4 --sum)"
	for m in xgw_config xgw_nexthops xgw_tx_ports xgw_services xgw_backends; do
		echo "== $m"
		bpftool map dump pinned "$PIN/$m" -j | jq -cS 'sort_by(.key)'
	done
	ctl -j service show | jq -cS .
}

# ---- slow and stuck clients hold nothing but their own slot --------------------------------
# the live version of next hop 1's slot (xgw_nh_slot: v[gen % 2])
nh_mac() { bpftool map lookup pinned "$PIN/xgw_nexthops" key 1 0 0 0 -j | jq -r '.formatted.value | .v[.gen % 2].dmac | map(tostring) | join(",")'; }
XB_MAC=$(ip -n "$CNS" -j link show xb | jq -r '.[0].address')
# mac_change MAC WANT: ms until the datapath has it (polling bpftool: an upper bound)
mac_change()
{
	local t0=$(date +%s%N)

	ip -n "$NS" neigh replace 10.77.0.2 lladdr "$1" dev xa nud permanent
	for _ in $(seq 400); do [ "$(nh_mac)" = "$2" ] && break; sleep 0.005; done
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
t0=$(date +%s%N)
ctl route show >/dev/null
t_req0=$(ms "$t0")
t_mac0=$(mac_change 02:00:00:00:00:98 "2,0,0,0,0,152")
ip -n "$NS" neigh replace 10.77.0.2 lladdr "$XB_MAC" dev xa nud permanent
nsenter --net="/var/run/netns/$NS" "$XT_PY" "$FUZZ" stall "$SOCK" 127.0.0.1 "$PORT" 12 \
	>"$XT_TMP/stall" 2>&1 &
SPID=$!
xt_defer "kill $SPID 2>/dev/null"
for _ in $(seq 600); do grep -q ready "$XT_TMP/stall" && break; sleep 0.05; done
sleep 1
t0=$(date +%s%N)
ctl route show >/dev/null
t_req=$(ms "$t0")
t_mac=$(mac_change 02:00:00:00:00:99 "2,0,0,0,0,153")
xt_diag "with 8 stuck control clients, a trickling one and 100 half-open metrics" \
	"connections: route show took $t_req ms, a MAC change reached the datapath in $t_mac ms" \
	"(without them, just before: $t_req0 ms and $t_mac0 ms)"
[ "$t_req" -lt 500 ] && xt_ok "a normal request takes milliseconds meanwhile ($t_req ms)" ||
	xt_fail "a normal request takes milliseconds meanwhile" "$t_req ms"
[ "$(nh_mac)" = "2,0,0,0,0,153" ] && [ "$t_mac" -lt 1000 ] &&
	xt_ok "a next hop's MAC change reaches the datapath meanwhile ($t_mac ms)" ||
	xt_fail "a next hop's MAC change reaches the datapath meanwhile" "$t_mac ms, $(nh_mac)"
ip -n "$NS" neigh replace 10.77.0.2 lladdr "$XB_MAC" dev xa nud permanent
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
sleep 0.3

# ---- a slow-loris on the metrics port: never idle, still cut -----------------------------------
# 40 connections from 10.77.0.1 that send their request's header a byte
# every 2 s (MHD's idle timeout never fires): the address gets 8 of MHD's
# 32 connections, so a scraper from elsewhere is answered at once, and each
# request has a total deadline, so even from that address a scrape gets in
# once they are cut (they used to hold every connection for as long as they
# liked: no scrape at all).
nsenter --net="/var/run/netns/$NS" "$XT_PY" "$FUZZ" loris 10.77.0.1 "$PORT" 40 20 \
	>"$XT_TMP/loris" 2>&1 &
LPID=$!
xt_defer "kill $LPID 2>/dev/null"
for _ in $(seq 600); do grep -q ready "$XT_TMP/loris" && break; sleep 0.05; done
scrape() { nsenter --net="/var/run/netns/$NS" curl -sf -m 2 -o /dev/null "http://$1:$PORT/metrics"; }
t0=$(date +%s%N)
scrape 127.0.0.1 && other=$(ms "$t0") || other=fail
t0=$(date +%s%N)
until scrape 10.77.0.1 || [ "$(ms "$t0")" -gt 16000 ]; do sleep 0.5; done
same=$(ms "$t0")
xt_diag "40 slow-loris metrics connections from 10.77.0.1: a scrape from 127.0.0.1 took" \
	"$other ms, one from 10.77.0.1 got in after $same ms (deadline 10 s)"
[ "$other" != fail ] && [ "$same" -le 16000 ] &&
	[ "$(nsenter --net="/var/run/netns/$NS" curl -sf "http://$MET/metrics" |
		sed -n 's/^xgw_metrics_dropped_total{why="deadline"} //p')" -ge 8 ] &&
	xt_ok "a slow-loris on the metrics port: other scrapers served at once, its own cut at the deadline" ||
	xt_fail "a slow-loris on the metrics port: other scrapers served at once, its own cut at the deadline" \
		"from 127.0.0.1: $other ms; from 10.77.0.1: $same ms"
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null

# ---- requests that are not complete and valid change nothing ---------------------------------
before=$(snapshot)
cut=$(nsenter --net="/var/run/netns/$NS" "$XT_PY" - "$SOCK" <<'EOF'
import socket, sys
body = b"backend del 10.77.0.100:80/tcp 10.77.0.250\n"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"XGW/2 json=0 pretty=0 batch=0 length=%d\n" % len(body) + body[:body.index(b"0.2") + 3])
s.shutdown(socket.SHUT_WR)
print(s.recv(300).decode().replace("\n", " ").strip())
EOF
)
xt_is "$cut" "ERR length=58 request cut off after 40 of its 43 bytes: nothing applied" \
	"'backend del ... 10.77.0.250' cut after 10.77.0.2: refused"
xt_is "$(ctl -j service show | jq -r '[.[0].backends[].addr] | sort | join(" ")')" \
	"10.77.0.2 10.77.0.250" "... and both backends are still there"
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
t0=$(date +%s%N)
"$XT_PY" "$FUZZ" fuzz "$SOCK" "$seed" "$COUNT" >"$XT_TMP/fuzz" 2>&1
rc=$?
t_fuzz=$(ms "$t0")
xt_diag "$(cat "$XT_TMP/fuzz")" "($COUNT requests in $t_fuzz ms; replay: ctlfuzz.py fuzz SOCK $seed $COUNT)"
after=$(snapshot)
[ $rc -eq 0 ] && [ "$before" = "$after" ] &&
	! awk '$2 == "sent" && $3 != $5 { bad = 1 } END { exit !bad }' "$XT_TMP/fuzz" &&
	xt_ok "$COUNT fuzzed requests (seed $seed): each answered ERR, state file and maps byte-identical" ||
	xt_fail "$COUNT fuzzed requests (seed $seed): each answered ERR, state file and maps byte-identical" \
		"$(diff <(echo "$before") <(echo "$after") | head -20)"
kill -0 "$XPID" && ctl route show >/dev/null && xt_ok "xgwd serves on" || xt_fail "xgwd serves on"

n=$("$XT_PY" "$FUZZ" concurrent "$SOCK" 30 10.59)
xt_is "$n $(fib4 10.59.0.1 10.59.29.1 | grep -c blackhole)" "30 2" "30 clients at once: all 30 writes applied"

# ---- xgwctl -batch: a read that fails is not the end of the file (#14.6) ------------------
{ echo "route add 10.95.0.0/16 blackhole"; head -c $((48 << 20)) /dev/zero | tr '\0' x; } >"$XT_TMP/huge"
(ulimit -v 40000; "$XGWCTL" -s "$SOCK" -batch "$XT_TMP/huge") >"$XT_TMP/out" 2>&1
rc=$?
rm -f "$XT_TMP/huge"
[ $rc -ne 0 ] && grep -q 'after line 1: Cannot allocate memory; nothing applied' "$XT_TMP/out" &&
	[ "$(fib4 10.95.0.1)" = "10.95.0.1 none" ] &&
	xt_ok "-batch out of memory after line 1: fails, applies nothing" ||
	xt_fail "-batch out of memory after line 1: fails, applies nothing" "rc $rc" "$(cat "$XT_TMP/out")"

# ---- labels escaped ---------------------------------------------------------------------------
promcheck()
{
	"$XT_PY" -c '
import re, sys
text = sys.stdin.read()
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lab = r"[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\n]|\\[\\\"n])*\""
sample = re.compile(r"^(%s)(\{(%s(,%s)*)?\})? (\S+)$" % (name, lab, lab))
for n, line in enumerate(text.splitlines(), 1):
    if line.startswith("#"):
        continue
    assert sample.match(line), "line %d: %r" % (n, line)
assert "dev=\"x\\\"q\"" in text, "no escaped x\"q label"
print("ok")'
}
out=$(nsenter --net="/var/run/netns/$NS" curl -sf "http://$MET/metrics" | promcheck 2>&1)
xt_is "$out" ok "a device named x\"q: label escaped, every sample valid"

# ---- a veth that cannot take redirects: redirect_error -----------------------------------------
r0=$(ctl -j stats show | jq '.reasons[] | select(.reason == "redirect_error") | .packets')
f0=$(ctl -j stats show | jq '.reasons[] | select(.reason == "forward") | .packets')
ip netns exec "$CNS" "$XT_PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(b"x" * 32, ("10.66.0.1", 9))
    time.sleep(0.002)'
sleep 0.3
r1=$(ctl -j stats show | jq '.reasons[] | select(.reason == "redirect_error") | .packets')
f1=$(ctl -j stats show | jq '.reasons[] | select(.reason == "forward") | .packets')
xt_diag "50 frames to a veth whose peer has no GRO nor XDP: forward +$((f1 - f0)), redirect_error +$((r1 - r0))"
[ $((r1 - r0)) -ge 50 ] &&
	xt_ok "redirects into a veth without GRO or XDP on its peer count as redirect_error" ||
	xt_fail "redirects into a veth without GRO or XDP on its peer count as redirect_error" \
		"forward +$((f1 - f0)), redirect_error +$((r1 - r0))"

# ---- ... and link show says why, live --------------------------------------------------------
warn() { ctl -j link show | jq -r ".[] | select(.dev == \"$1\") | .warning // \"\""; }
w1=$(warn ya)
ip netns exec "$NS" ethtool -K yb gro on >/dev/null
w2=$(warn ya)
echo "$w1" | grep -q "cannot take redirected frames" && ! echo "$w2" | grep -q "cannot take redirected" &&
	echo "$w1" | grep -q "IPv4 and IPv6 kernel forwarding is off" &&
	xt_ok "link show warns of a peer without GRO or XDP (gone once GRO is on) and of forwarding off" ||
	xt_fail "link show warns of a peer without GRO or XDP (gone once GRO is on) and of forwarding off" \
		"before: $w1" "after: $w2"

# ---- a frame the egress veth cannot hand its peer: xmit_drop -----------------------------------
# veth_xdp_xmit() refuses a frame longer than the peer's MTU (the egress
# side, ya, has 1500, so xgw's own MTU check passes it): the devmap flush
# reports it dropped (tracepoint xdp_devmap_xmit), counted xmit_drop.
reason() { ctl -j stats show | jq ".reasons[] | select(.reason == \"$1\") | .packets"; }
ip -n "$NS" link set yb mtu 1000
x0=$(reason xmit_drop) f0=$(reason forward)
ip netns exec "$CNS" "$XT_PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for size in (1200, 200):
    for i in range(50):
        s.sendto(b"x" * size, ("10.66.0.1", 9))
        time.sleep(0.002)'
sleep 0.3
x1=$(reason xmit_drop) f1=$(reason forward)
xt_diag "50 frames of 1242 bytes and 50 of 242 to a veth whose peer has MTU 1000:" \
	"forward +$((f1 - f0)), xmit_drop +$((x1 - x0))"
[ $((x1 - x0)) -eq 50 ] && [ $((f1 - f0)) -eq 100 ] &&
	xt_ok "frames longer than the egress veth's peer's MTU count as xmit_drop, the others not" ||
	xt_fail "frames longer than the egress veth's peer's MTU count as xmit_drop, the others not" \
		"forward +$((f1 - f0)), xmit_drop +$((x1 - x0))"
