#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# ipip services whose backends run xgw-decap instead of a whole xgwd (#11.4):
# a lab with two backends, the VIPs on their loopback, a TCP line server on
# each; the gateway's xgwd encapsulates (IPv4 in IPv4, IPv6 in IPv6), the
# backends' xgw-decap strips.
#
#  - 20 connections per family through the VIP: all answered, both backends;
#  - xgw-decap show: packets decapsulated, none malformed, maps of a few
#    KiB (the figure is printed next to the gateway's own);
#  - watch follows the host's addresses; detach takes only its own program;
#    attaching over another XDP program is refused and changes nothing;
#    cleanup leaves no program and no pin.
. "$(dirname "$0")/lib.sh"

VIP=10.99.0.11
VIP6=fd00:99::11
PORT=7100
NCONN=20
MAPS_MAX=262144		# bytes: "a few hundred KiB" at most

xt_plan 9
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] && [ -x "$XT_BUILD/xgw-decap" ] ||
	xt_skip_rest "no xgwd/xgwctl/xgw-decap in $XT_BUILD (run make)"
command -v jq >/dev/null || xt_skip_rest "no jq"

xt_lab_up --backends 2 || { xt_fail "lab up"; exit 1; }
xt_ok "lab $XT_PFX up with 2 backends"

X=("$XT_BUILD/xgwctl" -s "$XT_TMP/gw.sock")
# decap I ARGS...: xgw-decap in backend I's namespace, its own pin dir
decap() { xt_nsenter "$XT_PFX-be$1" "$XT_BUILD/xgw-decap" -P "/sys/fs/bpf/$XT_PFX-decap$1" "${@:2}"; }

SRV_PY="$XT_ROOT/tests/netns/lb_servers.py"

setup()
{
	local i

	for i in 1 2; do
		ip -n "$XT_PFX-be$i" addr add $VIP/32 dev lo &&
		ip -n "$XT_PFX-be$i" addr add $VIP6/128 dev lo || return 1
		nsenter --net="/var/run/netns/$XT_PFX-be$i" "$XT_PY" "$SRV_PY" tcp $PORT "be$i" >/dev/null 2>&1 &
		xt_defer "kill $! 2>/dev/null"
		xt_defer "'$XT_BUILD/xgw-decap' -P '/sys/fs/bpf/$XT_PFX-decap$i' cleanup 2>/dev/null; ip netns exec '$XT_PFX-be$i' ip link set eth0 xdp off 2>/dev/null"
		decap $i attach eth0 || return 1
	done
	ip -n "$LAB_CLIENT_NS" route add $VIP/32 via "$LAB_GW_CLIENT_IP4" &&
	ip -n "$LAB_CLIENT_NS" -6 route add $VIP6/128 via "$LAB_GW_CLIENT_IP6" || return 1
	xt_xgwd_start gw "$LAB_GW_NS" || return 1
	for dev in gw-c gw-b1 gw-b2; do
		"${X[@]}" link attach $dev || return 1
	done
	"${X[@]}" route add "$LAB_CLIENT_IP4" dev gw-c &&
	"${X[@]}" route add "$LAB_CLIENT_IP6" dev gw-c &&
	"${X[@]}" service add $VIP:$PORT/tcp mode ipip &&
	"${X[@]}" service add "[$VIP6]:$PORT/tcp" mode ipip || return 1
	for i in 1 2; do
		"${X[@]}" backend add $VIP:$PORT/tcp 10.10.10$i.2 &&
		"${X[@]}" backend add "[$VIP6]:$PORT/tcp" fd00:10:10$i::2 || return 1
	done
	sleep 0.5
}
xt_check "backends: VIPs on lo, a TCP server, xgw-decap attach eth0 (no xgwd); gateway: two ipip services" setup

# spread HOST [N [TIMEOUT]]: new connections, "beN=count ..." (fail for none)
spread()
{
	xt_nsenter "$LAB_CLIENT_NS" "$XT_PY" - "$1" $PORT "${2:-$NCONN}" "${3:-2}" <<'EOF'
import collections, socket, sys
host, port, n, tmo = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
c = collections.Counter()
for _ in range(n):
    try:
        s = socket.create_connection((host, port), timeout=tmo)
        s.sendall(b"x\n")
        c[s.makefile("rb").readline().decode().strip() or "fail"] += 1
        s.close()
    except OSError:
        c["fail"] += 1
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))
EOF
}

for fam in 4 6; do
	host=$([ $fam = 4 ] && echo $VIP || echo $VIP6)
	s=$(spread "$host")
	if [[ $s != *fail* && $s == *be1=* && $s == *be2=* ]]; then
		xt_ok "IPv$fam in IPv$fam: $NCONN connections answered through xgw-decap, both backends ($s)"
	else
		xt_fail "IPv$fam in IPv$fam through xgw-decap" "spread: $s" "$(decap 1 show 2>&1)"
	fi
done

counters()
{
	local j gw_bytes

	j=$(decap 1 -j show) || return 1
	[ "$(jq '.counters.decapsulated.packets' <<<"$j")" -gt 0 ] &&
	[ "$(jq '.counters.malformed.packets' <<<"$j")" = 0 ] &&
	[ "$(jq -r '.attached[0].dev + " " + .attached[0].mode' <<<"$j")" = "eth0 native" ] &&
	jq -e --arg a 10.10.101.2 '.addresses | index($a)' <<<"$j" >/dev/null || { echo "$j"; return 1; }
	[ "$(jq .maps_bytes <<<"$j")" -le $MAPS_MAX ] || { echo "maps: $(jq .maps_bytes <<<"$j") bytes"; return 1; }
	gw_bytes=$(for m in /sys/fs/bpf/$XT_PFX-gw/*; do bpftool -j map show pinned "$m" 2>/dev/null; done |
		jq -s '[.[].bytes_memlock // 0] | add')
	echo "# xgw-decap maps: $(jq .maps_bytes <<<"$j") bytes; the gateway's xgwd maps: $gw_bytes bytes" >&3
}
exec 3>&1
xt_check "xgw-decap show: decapsulated > 0, malformed 0, eth0 native, its addresses, maps <= $MAPS_MAX bytes" counters

# knows ADDR true|false: backend 1's xgw-decap says so within 2 s
knows()
{
	local i

	for ((i = 0; i < 40; i++)); do
		[ "$(decap 1 -j show | jq --arg a "$1" '.addresses | index($a) != null')" = "$2" ] &&
			return 0
		sleep 0.05
	done
	return 1
}

watch_addresses()
{
	local pid i

	# nsenter execs: $! is xgw-decap itself; its output must not hold ours
	nsenter --net="/var/run/netns/$XT_PFX-be1" "$XT_BUILD/xgw-decap" \
		-P "/sys/fs/bpf/$XT_PFX-decap1" watch >/dev/null 2>&1 &
	pid=$!
	xt_defer "kill $pid 2>/dev/null"
	sleep 0.3
	ip -n "$XT_PFX-be1" addr add 10.10.101.77/24 dev eth0 || return 1
	knows 10.10.101.77 true || { echo "added address not seen"; return 1; }
	ip -n "$XT_PFX-be1" addr del 10.10.101.77/24 dev eth0 || return 1
	knows 10.10.101.77 false || { echo "deleted address still there"; return 1; }
	kill "$pid" && wait "$pid"
}
xt_check "xgw-decap watch follows the host's addresses (added, deleted)" watch_addresses

refuse_other()
{
	local before

	before=$(ip -n "$LAB_GW_NS" -d link show gw-c | grep -o 'prog/xdp id [0-9]*')
	if xt_nsenter "$LAB_GW_NS" "$XT_BUILD/xgw-decap" -P "/sys/fs/bpf/$XT_PFX-decapgw" attach gw-c \
		2>"$XT_TMP/refuse.err"; then
		echo "attached over xgwd's program"
		return 1
	fi
	"$XT_BUILD/xgw-decap" -P "/sys/fs/bpf/$XT_PFX-decapgw" cleanup
	grep -q "gw-c runs another XDP program" "$XT_TMP/refuse.err" || { cat "$XT_TMP/refuse.err"; return 1; }
	[ "$(ip -n "$LAB_GW_NS" -d link show gw-c | grep -o 'prog/xdp id [0-9]*')" = "$before" ]
}
xt_check "attach over another XDP program (xgwd's on the gateway): refused, untouched" refuse_other

detach_cleanup()
{
	decap 2 detach eth0 || return 1
	! ip -n "$XT_PFX-be2" link show eth0 | grep -q xdp || { echo "still attached"; return 1; }
	[ "$(decap 2 -j show | jq '.attached | length')" = 0 ] || { decap 2 -j show; return 1; }
	decap 2 detach eth0 2>/dev/null && { echo "second detach accepted"; return 1; }
	decap 2 cleanup && decap 1 cleanup || return 1
	! ip -n "$XT_PFX-be1" link show eth0 | grep -q xdp || { echo "be1 still attached"; return 1; }
	[ ! -e "/sys/fs/bpf/$XT_PFX-decap1" ] && [ ! -e "/sys/fs/bpf/$XT_PFX-decap2" ] || { echo "pins left"; return 1; }
	# refused, and says why
	! out=$(decap 1 show 2>&1) && grep -q "not loaded" <<<"$out" || { echo "$out"; return 1; }
}
xt_check "detach (only its own), cleanup: no program, no pin left" detach_cleanup

after=$(spread $VIP 6 0.5)
if [[ $after == fail=6 ]]; then
	xt_ok "without xgw-decap the backends no longer answer ipip traffic ($after)"
else
	xt_fail "without xgw-decap the backends no longer answer ipip traffic" "spread: $after"
fi
