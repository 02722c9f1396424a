#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# xgwd with the real binaries on the lab: routes pushed with xgwctl carry
# traffic (the gateway's kernel forwarding is off, so only XDP can); kill -9
# while a ping flood runs loses nothing and the restarted daemon adopts
# routes, counters and settings; neighbour MAC changes and link down/up are
# followed live; bad commands leave the state file and the maps
# byte-identical; the IPv4 FIB (read with fibget) answers longest match
# across /24 boundaries, carries VIP marks over the route beneath, survives
# a restart byte for byte and drops what the state file lost meanwhile;
# --cleanup removes the datapath and a restart restores it from the state
# file; pins of an older layout are refused; the metrics endpoint is
# strict Prometheus text.
. "$(dirname "$0")/lib.sh"

xt_plan 60
. "$(dirname "$0")/xgwd_lib.sh"
xgwd_lab

reason() { ctl -j stats show | jq -r ".reasons[] | select(.reason == \"$1\") | .packets"; }

# Map and state-file snapshot for "nothing changed" checks. The IPv4 FIB's
# arrays by digest: of their bytes, and of what every address resolves to
# (with "answers" only that: a group handed out and released again leaves
# the answers as they were, not its bytes).
snapshot() # [answers]
{
	local m

	cat "$CONF"
	echo "== xgw_fib answers $(fib4 --answers)"
	[ "${1:-}" = answers ] || echo "== xgw_fib bytes $(fib4 --sum)"
	for m in xgw_config xgw_tx_ports; do
		echo "== $m"
		bpftool map dump pinned "$PIN/$m" -j | jq -cS 'sort_by(.key)'
	done
	# next hops as the datapath reads them: the live version of each slot
	# (a change switches versions; the retired one keeps its old bytes)
	echo "== xgw_nexthops"
	bpftool map dump pinned "$PIN/xgw_nexthops" -j |
		jq -cS '[.[].formatted | {key, nh: .value.v[.value.gen % 2]}] | sort_by(.key)'
}
# nh_id of the route for prefix $1
nh_of() { ctl -j route show | jq -r ".[] | select(.dst == \"$1\") | .nh_id"; }

# ---- start, attach, route ------------------------------------------------------
xt_check "xgwd starts (daemonizes once serving)" xgwd_start
out=$(gw "$XGWD" -f --config "$XT_TMP/x.conf" --socket "$XT_TMP/x.sock" --pin-dir "$PIN" \
	--metrics none 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "another xgwd manages $PIN" &&
	xt_ok "a second xgwd on the same pin dir is refused" ||
	xt_fail "a second xgwd on the same pin dir is refused" "$out"
xt_check "link attach gw-c, gw-s" sh -c "'$XGWCTL' -s '$SOCK' link attach gw-c &&
	'$XGWCTL' -s '$SOCK' link attach gw-s"
push_routes()
{
	ctl route add "$LAB_REMOTE4" via "$LAB_SRV_IP4" &&
	ctl route add 10.10.1.0/24 via "$LAB_CLIENT_IP4" dev gw-c &&
	ctl route add "$LAB_REMOTE6" via "$LAB_SRV_IP6" &&
	ctl route add fd00:10:1::/64 via "$LAB_CLIENT_IP6" &&
	ctl route add 10.99.0.0/16 blackhole &&
	ctl set latency-sample 3
}
xt_check "routes and settings pushed with xgwctl" push_routes

xt_is "$(ping_count 5 0.05 "$LAB_REMOTE4_HOST")" "5 5" "IPv4 ping crosses the gateway via a prefix route"
xt_is "$(ping_count 5 0.05 "$LAB_REMOTE6_HOST")" "5 5" "IPv6 ping crosses the gateway via a prefix route"
fwd=$(reason forward)
[ "${fwd:-0}" -ge 20 ] && xt_ok "forward counter counts both ways ($fwd)" ||
	xt_fail "forward counter counts both ways" "forward=$fwd"
xt_is "$(ctl -j route get 10.20.3.4 | jq -r '.dst + " " + .via + " " + .dev')" \
	"10.20.0.0/16 $LAB_SRV_IP4 gw-s" "route get: longest prefix, next hop, device"
xt_is "$(ctl -j route get "$LAB_GW_SRV_IP4" | jq -r .type)" "local" \
	"route get: the gateway's own address is local"
NH_S=$(nh_of "$LAB_REMOTE4") NH_C=$(nh_of 10.10.1.0/24)
xt_is "$(fib4 10.20.3.4 10.10.1.9 10.99.1.1 "$LAB_GW_SRV_IP4" 10.21.0.1)" "10.20.3.4 nexthop $NH_S
10.10.1.9 nexthop $NH_C
10.99.1.1 blackhole
$LAB_GW_SRV_IP4 local own
10.21.0.1 none" "IPv4 FIB: prefixes, blackhole, own address (flagged own), no route"
getr() { ctl -j route get "$1" | jq -r '.dst + " " + .type'; }
lpm_ok()
{
	ctl route add 10.20.5.0/24 blackhole && ctl route add 10.20.5.9 dev gw-s &&
	[ "$(getr 10.20.5.8)" = "10.20.5.0/24 blackhole" ] &&
	[ "$(getr 10.20.5.9)" = "10.20.5.9 dev" ] &&
	[ "$(getr 10.20.6.1)" = "10.20.0.0/16 via" ] &&
	[ "$(getr fd00:20::77)" = "fd00:20::/48 via" ] &&
	! ctl route get 192.0.2.1 2>/dev/null &&
	ctl route del 10.20.5.0/24 && ctl route del 10.20.5.9
}
xt_check "route get: host, then longest prefix, v4 and v6; none -> error" lpm_ok
xt_is "$(ctl -j neigh show | jq -r "[.[] | select(.addr == \"$LAB_SRV_IP4\")][0].lladdr")" \
	"$LAB_SRV_MAC" "neigh show: next-hop MAC from the kernel's neighbour table"

# ---- bad commands change nothing --------------------------------------------------
before=$(snapshot)
bad=0
printf 'route add 10.31.0.0/16 via %s\nroute add 10.31.0.0/16 blackhole\n' "$LAB_SRV_IP4" >"$XT_TMP/b1"
printf 'route add 10.32.0.0/16 blackhole\nroute add 10.33.0.0/33 blackhole\n' >"$XT_TMP/b2"
# applies a delete and a replace, then fails: both must be undone
printf 'route del 10.99.0.0/16\nroute replace %s via %s\nroute add %s blackhole\n' \
	"$LAB_REMOTE4" "$LAB_CLIENT_IP4" "$LAB_REMOTE4" >"$XT_TMP/b4"
for cmd in "route add $LAB_REMOTE4 via $LAB_SRV_IP4" "route del 10.98.0.0/16" \
	"route add 10.30.0.0/16 via $LAB_SRV_IP4 dev nosuchdev0" \
	"route add 10.30.0.0/16 via 192.0.2.1" "link detach gw-s" "link detach nosuchdev0" \
	"link attach gw-c" "-batch $XT_TMP/b1" "-batch $XT_TMP/b2" "-batch $XT_TMP/b4"; do
	# shellcheck disable=SC2086
	if ctl $cmd >/dev/null 2>"$XT_TMP/err"; then
		bad=1
		xt_diag "accepted: $cmd"
	elif [ "$(wc -l <"$XT_TMP/err")" -ne 1 ]; then
		bad=1
		xt_diag "not one error line for: $cmd" "$(cat "$XT_TMP/err")"
	fi
done
[ $bad = 0 ] && xt_ok "10 bad commands refused, one error line each" ||
	xt_fail "10 bad commands refused, one error line each"
ctl -batch "$XT_TMP/b1" 2>"$XT_TMP/err" >/dev/null
grep -q "line 2" "$XT_TMP/err" && xt_ok "failed batch names its line" ||
	xt_fail "failed batch names its line" "$(cat "$XT_TMP/err")"
after=$(snapshot)
after_answers=$(snapshot answers)
[ "$before" = "$after" ] && xt_ok "state file and maps byte-identical after the bad commands" ||
	xt_fail "state file and maps byte-identical after the bad commands" \
		"$(diff <(echo "$before") <(echo "$after") | head -20)"

# A good batch applies all of it; malformed and oversized requests are refused.
printf 'route add 10.34.0.0/16 blackhole\nroute add 10.35.0.0/16 blackhole\n' >"$XT_TMP/b3"
ctl -batch "$XT_TMP/b3" >/dev/null 2>&1
xt_is "$(grep -c '^route add 10.3[45].0.0/16 blackhole$' "$CONF")" 2 "good batch applied and saved"
ctl route del 10.34.0.0/16 && ctl route del 10.35.0.0/16

# Scale: 20000 prefixes in one batch, then all deleted in one batch.
python3 -c '
for i in range(20000):
    print("route add 10.%d.%d.%d/30 blackhole" % (128 + i // 16384, i // 64 % 256, i % 64 * 4))
' >"$XT_TMP/big"
sed 's/^route add \([^ ]*\) .*/route del \1/' "$XT_TMP/big" >"$XT_TMP/bigdel"
# one address inside each /30
sed 's/^route add 10\.\([0-9]*\)\.\([0-9]*\)\.\([0-9]*\)\/30 .*/10.\1.\2.\3/' "$XT_TMP/big" |
	awk -F. '{ print $1 "." $2 "." $3 "." $4 + 1 + NR % 3 }' >"$XT_TMP/bigaddr"
t0=$(date +%s%N)
ctl -batch "$XT_TMP/big" >/dev/null 2>"$XT_TMP/err"
t1=$(date +%s%N)
# shellcheck disable=SC2046
n=$(fib4 $(cat "$XT_TMP/bigaddr") | grep -c ' blackhole$')
r=$(gw curl -sf "http://127.0.0.1:9469/metrics" | sed -n 's/^xgw_fib_routes{family="ipv4"} //p')
ctl -batch "$XT_TMP/bigdel" >/dev/null 2>>"$XT_TMP/err"
t2=$(date +%s%N)
ms1=$(((t1 - t0) / 1000000)) ms2=$(((t2 - t1) / 1000000))
[ "$n" -eq 20000 ] && [ "${r:-0}" -ge 20000 ] && [ $ms1 -lt 15000 ] && [ $ms2 -lt 15000 ] &&
	[ "$(snapshot answers)" = "$after_answers" ] &&
	xt_ok "20000 prefixes added ($ms1 ms) and deleted ($ms2 ms) in batches" ||
	xt_fail "20000 prefixes added and deleted in batches" \
		"resolved $n, xgw_fib_routes ipv4 $r, add $ms1 ms del $ms2 ms" "$(cat "$XT_TMP/err")"
raw()
{
	python3 - "$SOCK" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
if sys.argv[2] == "big":
    try:
        s.sendall(b"XGW/2 json=0 pretty=0 batch=0 length=2000000000\n" + b"#" * (1 << 20))
    except OSError:
        pass
elif sys.argv[2] == "v1":
    s.sendall(b"XGW/1 json=0 pretty=0 batch=0\nroute show\n")
else:
    s.sendall(b"hello there\nroute show\n")
try:
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass
print(s.recv(300).decode().replace("\n", " ").strip())
EOF
}
xt_is "$(raw bad | cut -d' ' -f1)" "ERR" "malformed request header answered with ERR"
xt_is "$(raw big | cut -d' ' -f1-3)" "ERR length=59 request" "request over the protocol's 1 GiB refused"
raw v1 | grep -q "^ERR protocol XGW/1 is not served: this xgwctl is older" &&
	xt_ok "a version-1 client is told it is too old, in its own framing" ||
	xt_fail "a version-1 client is told it is too old, in its own framing" "$(raw v1)"
xt_check "daemon alive after bad requests" ctl route show

# ---- metrics --------------------------------------------------------------------------
promcheck()
{
	python3 -c '
import re, sys
text = sys.stdin.read()
assert text.endswith("\n"), "no final newline"
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lab_re = r"[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\n]|\\[\\\"n])*\""
sample = re.compile(r"^(%s)(\{(%s(,%s)*)?\})? (\S+)$" % (name_re, lab_re, lab_re))
types, helps, seen, hist = {}, set(), set(), {}
for n, line in enumerate(text.splitlines(), 1):
    if line.startswith("# HELP "):
        m = line.split(" ", 3); assert m[2] not in helps, "dup HELP %s" % m[2]; helps.add(m[2]); continue
    if line.startswith("# TYPE "):
        _, _, name, t = line.split(" ")
        assert t in ("counter", "gauge", "histogram", "summary", "untyped"), line
        assert name not in types, "dup TYPE " + name; types[name] = t; continue
    assert not line.startswith("#") and line, "line %d: %r" % (n, line)
    m = sample.match(line); assert m, "line %d: bad sample %r" % (n, line)
    name, labels, value = m.group(1), m.group(3) or "", m.group(5)
    float(value)
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    fam = name if name in types else base
    assert fam in types, "line %d: %s has no TYPE" % (n, name)
    if types[fam] == "counter": assert float(value) >= 0
    key = (name, labels); assert key not in seen, "dup series %s" % (key,); seen.add(key)
    if types[fam] == "histogram" and name.endswith("_bucket"):
        le = re.search(r"le=\"([^\"]+)\"", labels).group(1)
        hist.setdefault(fam, []).append((float(le), float(value)))
    if types[fam] == "histogram" and name.endswith("_count"):
        hist.setdefault(fam + "#count", float(value))
for fam, b in hist.items():
    if fam.endswith("#count"): continue
    assert b == sorted(b), fam + " buckets not ordered"
    assert all(b[i][1] <= b[i+1][1] for i in range(len(b)-1)), fam + " not cumulative"
    assert b[-1][0] == float("inf") and b[-1][1] == hist[fam + "#count"], fam + " +Inf != count"
assert "xgw_packets_total" in types and "xgw_latency_seconds" in types
print("ok")'
}
gw curl -sf "http://127.0.0.1:9469/metrics" >"$XT_TMP/metrics"
out=$(promcheck <"$XT_TMP/metrics" 2>&1)
xt_is "$out" "ok" "metrics endpoint is valid Prometheus text (strict check)"
m=$(grep '^xgw_packets_total{reason="forward",class="forwarded"}' "$XT_TMP/metrics" | cut -d' ' -f2)
[ "${m:-0}" -ge "$fwd" ] && xt_ok "metrics forward counter matches stats ($m)" ||
	xt_fail "metrics forward counter matches stats" "metrics $m, stats $fwd"

# ---- kill -9 while traffic flows ---------------------------------------------------------
fwd0=$(reason forward)
nhs() { ctl -j neigh show | jq -c 'map({addr, nh_id}) | sort_by(.addr)'; }
nh0=$(nhs)
fib0=$(fib4 --sum)
ip netns exec "$LAB_CLIENT_NS" ping -n -q -c 400 -i 0.01 -W 1 "$LAB_REMOTE4_HOST" >"$XT_TMP/ping" 2>&1 &
PING=$!
sleep 1
kill -9 "$(cat "$PIDF")"
rm -f "$PIDF"
sleep 0.5
xt_check "xgwd restarts over the running datapath" xgwd_start
wait $PING
xt_is "$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$XT_TMP/ping")" \
	"400 400" "zero packets lost across kill -9 and restart"
xt_is "$(ctl -j link show | jq -r '[.[] | select(.adopted)] | length')" 2 \
	"both links adopted, not re-attached"
xt_is "$(ctl -j route show | jq -r '[.[] | select(.type != "local")] | length')" 5 "routes intact"
xt_is "$(nhs)" "$nh0" "next-hop ids kept (per-next-hop counters stay with them)"
xt_is "$(fib4 --sum)" "$fib0" "IPv4 FIB byte-identical after the restart"
fwd1=$(reason forward)
[ "$fwd1" -ge $((fwd0 + 800)) ] && xt_ok "counters kept across the restart ($fwd0 -> $fwd1)" ||
	xt_fail "counters kept across the restart" "$fwd0 -> $fwd1"
xt_is "$(ctl -j stats latency | jq -r .sample)" 3 "latency sampling setting intact"
[ "$(ctl -j stats latency | jq -r .count)" -gt 100 ] && xt_ok "latency samples kept and still taken" ||
	xt_fail "latency samples kept and still taken"

# ---- the IPv4 FIB: longest match inside a /24, VIP marks, restart ----------------------------
longer_ok()
{
	ctl route add 10.20.7.64/26 via "$LAB_CLIENT_IP4" &&
	[ "$(fib4 10.20.7.63 10.20.7.64 10.20.7.127 10.20.7.128 10.20.8.1)" = "10.20.7.63 nexthop $NH_S
10.20.7.64 nexthop $NH_C
10.20.7.127 nexthop $NH_C
10.20.7.128 nexthop $NH_S
10.20.8.1 nexthop $NH_S" ]
}
xt_check "/26 inside a /24 the /16 covers: /26 inside, /16 on both sides" longer_ok
longer24_ok()
{
	ctl route add 10.20.9.0/24 blackhole && ctl route add 10.20.9.16/28 via "$LAB_CLIENT_IP4" &&
	[ "$(fib4 10.20.8.255 10.20.9.15 10.20.9.16 10.20.9.31 10.20.9.32 10.20.10.0)" = "10.20.8.255 nexthop $NH_S
10.20.9.15 blackhole
10.20.9.16 nexthop $NH_C
10.20.9.31 nexthop $NH_C
10.20.9.32 blackhole
10.20.10.0 nexthop $NH_S" ] &&
	ctl route del 10.20.9.16/28 &&
	[ "$(fib4 10.20.9.15 10.20.9.16 10.20.9.32)" = "10.20.9.15 blackhole
10.20.9.16 blackhole
10.20.9.32 blackhole" ] &&
	ctl route del 10.20.9.0/24 && [ "$(fib4 10.20.9.16)" = "10.20.9.16 nexthop $NH_S" ]
}
xt_check "/28 inside a /24 route inside the /16: each answers its own part, and leaves" longer24_ok
onlink_local_ok()
{
	ctl route add 10.20.6.0/24 dev gw-s &&
	[ "$(fib4 10.20.6.77 "$LAB_GW_SRV_IP4")" = "10.20.6.77 local
$LAB_GW_SRV_IP4 local own" ] &&
	ctl route del 10.20.6.0/24 && [ "$(fib4 10.20.6.77)" = "10.20.6.77 nexthop $NH_S" ]
}
xt_check "on-link prefix: local but not own (only the gateway's addresses are)" onlink_local_ok
vip_ok()
{
	ctl service add 10.20.5.5:80/tcp && ctl service add 10.20.7.200:80/tcp &&
	[ "$(fib4 10.20.5.5 10.20.5.6 10.20.7.200 10.20.7.70)" = "10.20.5.5 nexthop $NH_S vip
10.20.5.6 nexthop $NH_S
10.20.7.200 nexthop $NH_S vip
10.20.7.70 nexthop $NH_C" ] &&
	ctl route add 10.20.5.5 via "$LAB_CLIENT_IP4" &&
	[ "$(fib4 10.20.5.5)" = "10.20.5.5 nexthop $NH_C vip" ] &&
	ctl route del 10.20.5.5 &&
	[ "$(fib4 10.20.5.5)" = "10.20.5.5 nexthop $NH_S vip" ] &&
	ctl service del 10.20.5.5:80/tcp && ctl service del 10.20.7.200:80/tcp &&
	[ "$(fib4 10.20.5.5 10.20.7.200)" = "10.20.5.5 nexthop $NH_S
10.20.7.200 nexthop $NH_S" ]
}
xt_check "VIP mark keeps the route beneath (prefix, group, host route) and leaves with the service" vip_ok
# kill -9, then the state file loses routes before the restart
xt_check "a /32 and a /16 added" sh -c "'$XGWCTL' -s '$SOCK' route add 10.20.5.9 blackhole &&
	'$XGWCTL' -s '$SOCK' route add 10.30.0.0/16 via '$LAB_CLIENT_IP4'"
kill -9 "$(cat "$PIDF")"
rm -f "$PIDF"
sed -i -e '/^route add 10.20.5.9 blackhole$/d' -e '/^route add 10.20.7.64\/26 /d' "$CONF"
xt_is "$(fib4 10.20.5.9 10.20.7.64 10.30.1.1)" "10.20.5.9 blackhole
10.20.7.64 nexthop $NH_C
10.30.1.1 nexthop $NH_C" "daemon down: the datapath still has every route"
xt_check "xgwd restarts with two routes gone from the state file" xgwd_start
xt_is "$(fib4 10.20.5.9 10.20.7.64 10.20.7.128 10.30.1.1)" "10.20.5.9 nexthop $NH_S
10.20.7.64 nexthop $NH_S
10.20.7.128 nexthop $NH_S
10.30.1.1 nexthop $NH_C" "after the restart: the routes the state file lost are gone, the rest kept"
ctl route del 10.30.0.0/16
xt_is "$(fib4 10.30.1.1)" "10.30.1.1 none" "changes after a restart are written at once"
xt_is "$(ping_count 5 0.05 "$LAB_REMOTE4_HOST")" "5 5" "traffic still crosses after the second restart"

# ---- neighbour and link changes, live -------------------------------------------------------
nh_mac() { ctl -j neigh show | jq -r "[.[] | select(.addr == \"$LAB_SRV_IP4\")][0].lladdr"; }
gw ip neigh replace "$LAB_SRV_IP4" lladdr 02:00:00:00:00:99 dev gw-s nud permanent
wait_for 02:00:00:00:00:99 nh_mac && xt_ok "neighbour MAC change followed live" ||
	xt_fail "neighbour MAC change followed live" "$(nh_mac)"
gw ip neigh replace "$LAB_SRV_IP4" lladdr "$LAB_SRV_MAC" dev gw-s nud permanent
wait_for "$LAB_SRV_MAC" nh_mac
nh_resolved() { ctl -j neigh show | jq -r "[.[] | select(.addr == \"$LAB_SRV_IP4\")][0].resolved"; }
gw ip link set gw-s down
wait_for false nh_resolved && xt_ok "link down: its next hops unresolved" ||
	xt_fail "link down: its next hops unresolved"
u0=$(reason unresolved)
ping_count 3 0.05 "$LAB_REMOTE4_HOST" >/dev/null
u1=$(reason unresolved)
[ "$u1" -ge $((u0 + 3)) ] && xt_ok "link down: packets handed to the kernel (unresolved $u0 -> $u1)" ||
	xt_fail "link down: packets handed to the kernel" "unresolved $u0 -> $u1"
gw ip link set gw-s up
# IPv6 drops global addresses on link down; put the lab's back.
gw ip addr replace "$LAB_GW_SRV_IP6/64" dev gw-s nodad
wait_for true nh_resolved && xt_ok "link up: next hop resolved again" ||
	xt_fail "link up: next hop resolved again" "$(ctl neigh show)"
xt_is "$(ping_count 5 0.05 "$LAB_REMOTE4_HOST")" "5 5" "traffic forwarded again after link up"

# On-link prefix: each neighbour the kernel knows in it gets a host entry.
onlink_ok()
{
	ctl route replace 10.10.1.0/24 dev gw-c &&
	wait_for "10.10.1.2 onlink" getr "$LAB_CLIENT_IP4" &&
	[ "$(ping_count 5 0.05 "$LAB_REMOTE4_HOST")" = "5 5" ] &&
	gw ip neigh del "$LAB_CLIENT_IP4" dev gw-c &&
	wait_for "10.10.1.0/24 dev" getr "$LAB_CLIENT_IP4" &&
	gw ip neigh replace "$LAB_CLIENT_IP4" lladdr "$LAB_CLIENT_MAC" dev gw-c nud permanent &&
	wait_for "10.10.1.2 onlink" getr "$LAB_CLIENT_IP4" &&
	ctl route replace 10.10.1.0/24 via "$LAB_CLIENT_IP4" dev gw-c &&
	[ "$(getr "$LAB_CLIENT_IP4")" = "10.10.1.0/24 via" ]
}
xt_check "dev prefix: known neighbours forwarded in XDP, followed live" onlink_ok

# ---- cleanup, then restore from the state file ---------------------------------------------
xgwd_stop
gw "$XGWD" --cleanup --pin-dir "$PIN" 2>/dev/null
[ ! -e "$PIN/xgw_config" ] && [ "$(gw ip -j link show dev gw-c | jq -r '.[0].xdp // "none"')" = none ] &&
	xt_ok "--cleanup detaches and removes the pins" ||
	xt_fail "--cleanup detaches and removes the pins" "$(ls "$PIN" 2>&1; gw ip link show dev gw-c)"
xt_is "$(ping_count 3 0.05 "$LAB_REMOTE4_HOST" | cut -d' ' -f2)" 0 "no datapath: nothing crosses"
# This time with a group that may write, on a socket others can reach.
SOCK=/run/xgw-$XT_PFX/xgw.sock
xt_defer "rm -rf /run/xgw-$XT_PFX"
xt_check "xgwd starts from the state file" xgwd_start --group adm
xt_is "$(ping_count 5 0.05 "$LAB_REMOTE4_HOST")" "5 5" "state file restored: traffic crosses again"
xt_is "$(stat -c '%a %G' "$SOCK")" "660 adm" "control socket mode 0660, group from --group"

# SO_PEERCRED and SO_PEERGROUPS: the groups the peer has at connect()
# decide, never /etc/group. A reader without the group may read, not write;
# the group as primary gid or as a supplementary group may write; a process
# that dropped the group may not.
as_nobody() { setpriv --reuid=65534 --regid="$1" "${@:2}"; }
chmod 0666 "$SOCK"	# anyone may connect: only the groups decide writes
as_nobody 65534 --clear-groups "$XGWCTL" -s "$SOCK" route show >/dev/null 2>&1 &&
	! as_nobody 65534 --groups=65534 "$XGWCTL" -s "$SOCK" route add 10.50.0.0/16 blackhole 2>"$XT_TMP/err" &&
	grep -q "permission denied" "$XT_TMP/err" &&
	xt_ok "peer outside the group: reads yes, writes refused" ||
	xt_fail "peer outside the group: reads yes, writes refused" "$(cat "$XT_TMP/err")"
as_nobody 4 --clear-groups "$XGWCTL" -s "$SOCK" route add 10.50.0.0/16 blackhole &&
	ctl route del 10.50.0.0/16 &&
	as_nobody 65534 --groups=4 "$XGWCTL" -s "$SOCK" route add 10.50.0.0/16 blackhole &&
	ctl route del 10.50.0.0/16 &&
	xt_ok "peer with the group (primary or supplementary) may write" ||
	xt_fail "peer with the group (primary or supplementary) may write"
chmod 0660 "$SOCK"

# Pins of another layout: refused with a clear message, left untouched.
mkdir -p "$PIN-old"
bpftool map create "$PIN-old/xgw_config" type array key 4 value 32 entries 1 name xgw_config
bpftool map update pinned "$PIN-old/xgw_config" key 0 0 0 0 value hex $(xt_le32 99) $(printf '00 %.0s' $(seq 28))
out=$(gw "$XGWD" -f --config "$XT_TMP/none.conf" --socket "$XT_TMP/old.sock" \
	--pin-dir "$PIN-old" --metrics none 2>&1)
rc=$?
v=$(bpftool map dump pinned "$PIN-old/xgw_config" -j | jq -r '.[0].value[0]')
rm -rf "$PIN-old"
[ $rc -ne 0 ] && echo "$out" | grep -q "incompatible xgw layout (version 99, expected" &&
	[ "$v" = 0x63 ] && xt_ok "pins of another layout refused and left as they were" ||
	xt_fail "pins of another layout refused and left as they were" "rc=$rc v=$v" "$out"

# Pins of layout 1 (IPv4 in xgw_host4 / xgw_lpm4): refused before anything
# is touched; --cleanup (in a namespace of its own: it detaches xgw from
# every device it sees) removes whatever pins are there, stale ones too.
V1=$PIN-v1
mkdir -p "$V1"
bpftool map create "$V1/xgw_config" type array key 4 value 32 entries 1 name xgw_config &&
	bpftool map update pinned "$V1/xgw_config" key 0 0 0 0 value hex $(xt_le32 1) $(printf '00 %.0s' $(seq 28)) &&
	bpftool map create "$V1/xgw_host4" type hash key 4 value 8 entries 16 name xgw_host4 &&
	bpftool map create "$V1/xgw_lpm4" type lpm_trie key 8 value 8 entries 16 name xgw_lpm4 flags 1 ||
	xt_diag "could not make layout-1 pins"
out=$(gw "$XGWD" -f --config "$XT_TMP/none.conf" --socket "$XT_TMP/v1.sock" \
	--pin-dir "$V1" --metrics none 2>&1)
rc=$?
v=$(bpftool map dump pinned "$V1/xgw_config" -j | jq -r '.[0].value[0]')
pins=$(ls "$V1" | sort | tr '\n' ' ')
[ $rc -ne 0 ] && echo "$out" | grep -q "incompatible xgw layout (version 1, expected [0-9]*); run xgwd --cleanup" &&
	[ "$v" = 0x01 ] && [ "$pins" = "xgw_config xgw_host4 xgw_lpm4 " ] &&
	xt_ok "layout-1 pins refused with a clear message and left as they were" ||
	xt_fail "layout-1 pins refused with a clear message and left as they were" "rc=$rc v=$v pins=$pins" "$out"
unshare --net "$XGWD" --cleanup --pin-dir "$V1" 2>/dev/null
[ ! -e "$V1/xgw_host4" ] && [ ! -e "$V1/xgw_lpm4" ] && [ ! -e "$V1/xgw_config" ] &&
	xt_ok "--cleanup removes layout-1 pins, stale maps included" ||
	xt_fail "--cleanup removes layout-1 pins, stale maps included" "$(ls -l "$V1" 2>&1)"
rm -rf "$V1"

# ---- a state file that does not parse: applied not at all, reported ---------------------
cp "$CONF" "$XT_TMP/bad.conf"
echo "route add 10.40.0.0/16 via" >>"$XT_TMP/bad.conf"
n=$(wc -l <"$XT_TMP/bad.conf")
gw "$XGWD" -f --config "$XT_TMP/bad.conf" --socket "$XT_TMP/bad.sock" \
	--pin-dir "$PIN-bad" --metrics none >"$XT_TMP/bad.log" 2>&1 &
BADPID=$!
xt_defer "kill $BADPID 2>/dev/null"
for _ in $(seq 300); do [ -S "$XT_TMP/bad.sock" ] && break; sleep 0.1; done
st=$("$XGWCTL" -s "$XT_TMP/bad.sock" -j daemon show | jq -r .state)
"$XGWCTL" -s "$XT_TMP/bad.sock" route add 10.41.0.0/16 blackhole 2>"$XT_TMP/err"
rc=$?
kill "$BADPID"; wait "$BADPID" 2>/dev/null
rm -rf "$PIN-bad"
[ "$st" = not-loaded ] && [ $rc -ne 0 ] && grep -q "state file was not loaded" "$XT_TMP/err" &&
	grep -q "bad.conf:$n:" "$XT_TMP/bad.log" &&
	xt_ok "bad state file line: nothing applied, FILE:LINE said, changes refused" ||
	xt_fail "bad state file line: nothing applied, FILE:LINE said, changes refused" \
		"state $st rc $rc" "$(cat "$XT_TMP/err" "$XT_TMP/bad.log")"

# ---- under `ip netns exec` (a fresh sysfs hides /sys/fs/bpf) ------------------------
nsexec_ok()
{
	local pid i

	gw ip link add xd0 type veth peer name xd1 && gw ip link set xd0 up || return 1
	ip netns exec "$GW" "$XGWD" -f --config "$XT_TMP/ns.conf" --socket "$XT_TMP/ns.sock" \
		--pin-dir "/sys/fs/bpf/$XT_PFX-ns" --metrics none >"$XT_TMP/ns.log" 2>&1 &
	pid=$!
	for i in $(seq 300); do [ -S "$XT_TMP/ns.sock" ] && break; sleep 0.1; done
	"$XGWCTL" -s "$XT_TMP/ns.sock" link attach xd0 mode generic &&
	[ "$("$XGWCTL" -s "$XT_TMP/ns.sock" -j link show | jq -r '.[0].mode')" = generic ] &&
	grep -q "GENERIC mode" "$XT_TMP/ns.log" &&
	[ "$(gw ip -j link show dev xd0 | jq -r '.[0].xdp.prog.name // .[0].xdp.attached[0].prog.name // "none"')" = xgw_xdp ]
	i=$?
	kill "$pid"
	wait "$pid"
	# its pins died with its mount namespace: --cleanup cannot tell the
	# program is its own, leaves it (#12.2) and says how to remove it
	ip netns exec "$GW" "$XGWD" --cleanup --pin-dir "/sys/fs/bpf/$XT_PFX-ns" \
		>"$XT_TMP/ns.cleanup" 2>&1
	[ $i = 0 ] && grep -q "xd0: xgw_xdp uses no map pinned here: left attached" "$XT_TMP/ns.cleanup" &&
	[ "$(gw ip -j link show dev xd0 | jq -r '.[0].xdp.prog.name // .[0].xdp.attached[0].prog.name // "none"')" = xgw_xdp ] &&
	gw ip link set dev xd0 xdpgeneric off &&
	[ "$(gw ip -j link show dev xd0 | jq -r '.[0].xdp // "none"')" = none ]
}
xt_check "under ip netns exec: bpffs mounted, generic attach warned; pins gone: --cleanup leaves it, says so" nsexec_ok
gw ip link del xd0 2>/dev/null
