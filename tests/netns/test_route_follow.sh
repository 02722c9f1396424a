#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Followed kernel tables (issue 9.2), on the lab with the gateway's kernel
# forwarding off, so only xgw forwards:
#  - a route added with `ip route` in a followed table is in xgw's FIB
#    within a second and forwarded; deleted, it is gone within a second;
#  - the proto filter; xgw's own route wins and the followed one comes back
#    when the own one is deleted; unreachable hands packets to the kernel;
#  - the state file keeps the follow line, never the followed routes, and a
#    restarted xgwd has them back from the kernel; IPv6 too;
#  - 20k routes with ip -batch, in and out;
#  - a followed route through a link attached later takes it, and falls
#    back to the kernel when the link is detached;
#  - a route via the gateway's own address is refused (issue 14.6).
. "$(dirname "$0")/lib.sh"

xt_plan 38
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] && [ -x "$XT_BUILD/tests/netns/fibget" ] ||
	xt_skip_rest "no xgwd, xgwctl or fibget in $XT_BUILD (run make)"
command -v jq >/dev/null && command -v curl >/dev/null || xt_skip_rest "no jq or curl"

xt_lab_up --backends 1 || { xt_fail "lab up"; xt_skip_rest "no lab"; }
GW=$LAB_GW_NS
PIN=/sys/fs/bpf/$XT_PFX-gw
CONF=$XT_TMP/gw.conf
REMOTE=10.20.0.0/16
T=100

ctl() { "$XT_BUILD/xgwctl" -s "$XT_TMP/gw.sock" "$@"; }
kroute() { ip -n "$GW" route "$@"; }
fib4() { "$XT_BUILD/tests/netns/fibget" "$PIN" "$@"; }
# ping COUNT DST -> received
ping_recv()
{
	ip netns exec "$LAB_CLIENT_NS" ping -n -q -c "$1" -i 0.05 -W 1 "$2" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
reason() { ctl -j stats show | jq -r ".reasons[] | select(.reason == \"$1\") | .packets"; }
# wait_fib ADDR PATTERN: milliseconds until fibget's answer for ADDR
# matches PATTERN (grep -E), or "timeout" after 5 s
wait_fib()
{
	local t0 i

	t0=$(date +%s%N)
	for ((i = 0; i < 500; i++)); do
		if fib4 "$1" | grep -qE "$2"; then
			echo $((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		sleep 0.01
	done
	echo timeout
	return 1
}
# ok when a wait took under a second
within_1s() # NAME MS
{
	if [ "$2" != timeout ] && [ "$2" -lt 1000 ]; then
		xt_ok "$1 (${2} ms)"
	else
		xt_fail "$1" "took: $2 ms"
	fi
}
kroutes() { ctl -j route show | jq -c "[.[] | select(.origin == \"kernel\")]"; }

xt_check "xgwd starts" xt_xgwd_start gw "$GW"
xt_check "attach gw-c and gw-s, own routes back to the client" sh -c \
	"'$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' link attach gw-c &&
	 '$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' link attach gw-s &&
	 '$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' route add 10.10.1.0/24 via $LAB_CLIENT_IP4 dev gw-c &&
	 '$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' route add fd00:10:1::/64 via $LAB_CLIENT_IP6 dev gw-c"
xt_is "$(ping_recv 3 "$LAB_REMOTE4_HOST")" 0 "no route: the remote is unreachable (kernel forwarding off)"

# ---- follow, add, delete --------------------------------------------------------
xt_check "route follow table $T" ctl route follow table $T
kroute add $REMOTE via "$LAB_SRV_IP4" table $T
within_1s "a route added to table $T is in xgw's FIB within a second" \
	"$(wait_fib "$LAB_REMOTE4_HOST" "nexthop")"
fwd0=$(reason forward)
xt_is "$(ping_recv 5 "$LAB_REMOTE4_HOST")" 5 "the followed route is forwarded by xgw"
[ $(($(reason forward) - fwd0)) -ge 10 ] && xt_ok "counted as forward (both ways)" ||
	xt_fail "counted as forward" "forward: $fwd0 -> $(reason forward)"
xt_is "$(kroutes | jq -r '.[0] | [.dst, .via, .dev, .table, .proto, .active] | map(tostring) | join(" ")')" \
	"$REMOTE $LAB_SRV_IP4 gw-s $T boot true" "route show: the followed route, its table and protocol"
kroute del $REMOTE table $T
within_1s "deleted from the table, it leaves xgw's FIB within a second" \
	"$(wait_fib "$LAB_REMOTE4_HOST" "none")"
xt_is "$(ping_recv 3 "$LAB_REMOTE4_HOST"),$(kroutes)" "0,[]" "and is no longer forwarded or shown"
kroute add blackhole 10.88.0.1/32 table $T proto 88
sleep 0.5
xt_is "$(fib4 10.88.0.1),$(kroutes)" "10.88.0.1 none,[]" \
	"a VIP announcement of xgwd's own (proto 88) is never followed"
kroute del 10.88.0.1/32 table $T

# ---- proto filter ----------------------------------------------------------------
xt_check "follow only proto bird" sh -c "'$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' route unfollow table $T &&
	'$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' route follow table $T proto bird"
kroute add $REMOTE via "$LAB_SRV_IP4" table $T proto static
sleep 1
xt_is "$(fib4 "$LAB_REMOTE4_HOST"),$(kroutes)" "$LAB_REMOTE4_HOST none,[]" \
	"a route of another protocol is not followed"
kroute replace $REMOTE via "$LAB_SRV_IP4" table $T proto bird
within_1s "replaced with proto bird, it is followed" "$(wait_fib "$LAB_REMOTE4_HOST" "nexthop")"
xt_is "$(ping_recv 3 "$LAB_REMOTE4_HOST")" 3 "and forwarded"

# ---- own routes win ----------------------------------------------------------------
bh0=$(reason blackhole)
ctl route add $REMOTE blackhole
xt_is "$(ping_recv 3 "$LAB_REMOTE4_HOST"),$(($(reason blackhole) - bh0))" "0,3" \
	"an own route wins over the followed one (blackhole: 3 drops)"
xt_is "$(kroutes | jq -r '.[0].active')" false "route show: the followed route is shadowed"
ctl route del $REMOTE
xt_is "$(ping_recv 3 "$LAB_REMOTE4_HOST"),$(kroutes | jq -r '.[0].active')" "3,true" \
	"the own route deleted, the followed one is back"
kroute add unreachable 10.20.5.0/24 table $T proto bird
within_1s "an unreachable route hands its packets to the kernel" \
	"$(wait_fib 10.20.5.1 "local")"

# ---- state file, restart, IPv6 -------------------------------------------------------
xt_is "$(grep -c "^route follow table $T proto bird$" "$CONF"),$(grep -c '10\.20\.' "$CONF")" "1,0" \
	"the state file keeps the follow line, not the followed routes"
# a reload (xgwctl daemon reload, SIGHUP) applies what the file says
sed -i "/^route follow table $T proto bird$/d" "$CONF"
ctl daemon reload >/dev/null
xt_is "$(ping_recv 3 "$LAB_REMOTE4_HOST"),$(kroutes)" "0,[]" \
	"the follow line taken out of the file and reloaded: unfollowed, the routes gone"
echo "route follow table $T proto bird" >>"$CONF"
ctl daemon reload >/dev/null
xt_is "$(ping_recv 3 "$LAB_REMOTE4_HOST"),$(kroutes | jq length)" "3,2" \
	"put back and reloaded: followed again"
kill "$(cat "$XT_TMP/gw.pid")"
for _ in $(seq 100); do kill -0 "$(cat "$XT_TMP/gw.pid")" 2>/dev/null || break; sleep 0.1; done
kroute del 10.20.5.0/24 table $T
METRICS=127.0.0.1:$((20000 + $$ % 20000))
xt_check "xgwd restarts" xt_xgwd_start gw "$GW" "$METRICS"
xt_is "$(ping_recv 3 "$LAB_REMOTE4_HOST"),$(fib4 10.20.5.1 | cut -d' ' -f2),$(kroutes | jq length)" \
	"3,nexthop,1" "after the restart the followed route is back, the one deleted meanwhile is not"
ip -n "$GW" -6 route add fd00:20::/48 via "$LAB_SRV_IP6" table $T proto bird
sleep 0.5
xt_is "$(ip netns exec "$LAB_CLIENT_NS" ping -6 -n -q -c 3 -i 0.05 -W 1 "$LAB_REMOTE6_HOST" 2>/dev/null |
	sed -n 's/.* \([0-9]*\) received.*/\1/p')" 3 "IPv6: a followed route is forwarded"

# ---- 20k routes -------------------------------------------------------------------------
N=20000
"$XT_PY" - "$N" "$LAB_SRV_IP4" $T >"$XT_TMP/batch" <<'EOF'
import sys
n, via, t = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(n):
    a = (40 << 24) + (i << 8)
    print("route add %d.%d.%d.0/24 via %s table %s proto bird" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, via, t))
EOF
t0=$(date +%s%N)
ip -n "$GW" -batch "$XT_TMP/batch"
t1=$(date +%s%N)
last=$(tail -1 "$XT_TMP/batch" | awk '{ sub("0/24", "9", $3); print $3 }')
ms=$(wait_fib "$last" "nexthop")
xt_diag "ip -batch of $N routes: $(((t1 - t0) / 1000000)) ms; the last in xgw $ms ms after"
within_1s "$N routes with ip -batch: the last one is in xgw's FIB within a second of the kernel" "$ms"
# a scrape may serve the snapshot before last: ask until it is current (5 s)
for _ in $(seq 50); do
	m=$(ip netns exec "$GW" curl -s "http://$METRICS/metrics" |
		sed -n 's/^xgw_routes_followed{table="100",proto="bird"} //p')
	[ "$m" = $((N + 2)) ] && break
	sleep 0.1
done
xt_is "$(ctl -j route follow show | jq '.[0].routes'),$m" "$((N + 2)),$((N + 2))" \
	"route follow show and the metric xgw_routes_followed count them all"
sed 's/^route add/route del/' "$XT_TMP/batch" | ip -n "$GW" -batch -
within_1s "and deleted, they leave within a second" "$(wait_fib "$last" "none")"

# ---- lost events: xgwd stopped while 30k routes change ---------------------------
# xgwd restarted with a 1 MiB event buffer (XGWD_NETLINK_BUFFER), then
# stopped: deleting 1000 followed routes and adding 30k overflows it.
# Resumed, xgwd reads the whole table again and forgets what it did not see.
sed -n '1,1000p' "$XT_TMP/batch" | ip -n "$GW" -batch -
kill "$(cat "$XT_TMP/gw.pid")"
for _ in $(seq 100); do kill -0 "$(cat "$XT_TMP/gw.pid")" 2>/dev/null || break; sleep 0.1; done
XGWD_NETLINK_BUFFER=1048576 xt_xgwd_start gw "$GW"
wait_fib 40.0.3.9 nexthop >/dev/null
"$XT_PY" - 30000 "$LAB_SRV_IP4" $T >"$XT_TMP/batch2" <<'EOF'
import sys
n, via, t = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(n):
    a = (50 << 24) + (i << 8)
    print("route add %d.%d.%d.0/24 via %s table %s proto bird" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, via, t))
EOF
xt_defer "kill -CONT \$(cat '$XT_TMP/gw.pid') 2>/dev/null"	# runs before the kill
kill -STOP "$(cat "$XT_TMP/gw.pid")"
sed -n '1,1000p' "$XT_TMP/batch" | sed 's/^route add/route del/' | ip -n "$GW" -batch -
ip -n "$GW" -batch "$XT_TMP/batch2"
kill -CONT "$(cat "$XT_TMP/gw.pid")"
ms=$(wait_fib 50.117.47.9 nexthop)
xt_is "$(grep -c 'resyncing' "$XT_TMP/gw.log")" 1 "events were lost (the log says so) and the table read again"
xt_is "$ms,$(fib4 40.0.3.9)" "${ms%timeout},40.0.3.9 none" \
	"after the resync the 30k routes are in, the 1000 deleted meanwhile are gone"
sed 's/^route add/route del/' "$XT_TMP/batch2" | ip -n "$GW" -batch -
xt_is "$(wait_fib 50.117.47.9 none >/dev/null; ctl -j route follow show | jq '.[0].routes')" 2 \
	"and deleted again, none is left"

# ---- a link attached later, then detached ---------------------------------------------------
kroute add 10.30.0.0/16 via "$LAB_BE1_IP4" table $T proto bird
sleep 0.5
xt_is "$(fib4 10.30.0.1)" "10.30.0.1 local" "a followed route through a link xgw has not attached goes to the kernel"
ctl link attach gw-b1
xt_is "$(fib4 10.30.0.1 | cut -d' ' -f2),$(kroutes | jq -r '.[] | select(.dst == "10.30.0.0/16") | .dev')" \
	"nexthop,gw-b1" "attached, the link carries it"
xt_check "detaching the link is not refused because of followed routes" ctl link detach gw-b1
xt_is "$(fib4 10.30.0.1)" "10.30.0.1 local" "detached, the route goes back to the kernel"

# ---- via the gateway's own address ------------------------------------------------------------
before=$(cat "$CONF")
out=$(ctl route add 10.77.0.2 via "$LAB_GW_CLIENT_IP4" 2>&1)
rc=$?
xt_is "$rc,$out" "1,via $LAB_GW_CLIENT_IP4: that is the gateway's own address (on gw-c)" \
	"route via the gateway's own address is refused, naming it"
printf 'route add 10.78.0.0/16 via %s\nroute add 10.77.0.2 via %s\n' "$LAB_SRV_IP4" "$LAB_GW_SRV_IP4" |
	ctl -batch - >"$XT_TMP/b.out" 2>&1
xt_is "$?,$(grep -c 'line 2: via' "$XT_TMP/b.out"),$(fib4 10.78.0.1)" "1,1,10.78.0.1 none" \
	"in a batch: refused at its line, nothing applied"
xt_is "$(cat "$CONF")" "$before" "the state file is unchanged"
