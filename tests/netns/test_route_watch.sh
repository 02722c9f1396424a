#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# xgwd watching what others do to its links and next hops (issue 12), on
# the lab with the gateway's kernel forwarding off:
#  - 12.3: `ip link set dev gw-c xdp off` stops forwarding; xgwd notices
#    (link show: detached, xgw_link_xdp_lost_total, a log line), and
#    `link attach` puts the program back; the same for a program that
#    replaces xgw's;
#  - 12.4: a next hop changes its MAC while its kernel entry is STALE.
#    With xgwd stopped (the datapath forwarding on its own) the entry stays
#    STALE with the old MAC and every packet is lost: the reported failure.
#    With xgwd running, it asks the kernel to revalidate and the new MAC is
#    followed within seconds.
. "$(dirname "$0")/lib.sh"

xt_plan 18
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] || xt_skip_rest "no xgwd or xgwctl in $XT_BUILD (run make)"
command -v jq >/dev/null && command -v curl >/dev/null || xt_skip_rest "no jq or curl"

xt_lab_up || { xt_fail "lab up"; xt_skip_rest "no lab"; }
GW=$LAB_GW_NS
METRICS=127.0.0.1:$((20000 + $$ % 20000))
ctl() { "$XT_BUILD/xgwctl" -s "$XT_TMP/gw.sock" "$@"; }
ping_recv() # COUNT INTERVAL
{
	ip netns exec "$LAB_CLIENT_NS" ping -n -q -c "$1" -i "$2" -W 1 "$LAB_REMOTE4_HOST" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
xdp_state() { ctl -j link show | jq -r '.[] | select(.dev == "gw-c") | "\(.xdp) \(.xdp_lost)"'; }
# xgw_link_xdp_lost_total{dev="gw-c"} once it is WANT (a scrape may serve
# the snapshot before last: up to 5 s), else what it is
lost_metric() # WANT
{
	local v i

	for ((i = 0; i < 50; i++)); do
		v=$(ip netns exec "$GW" curl -s "http://$METRICS/metrics" |
			sed -n 's/^xgw_link_xdp_lost_total{dev="gw-c"} //p')
		[ "$v" = "$1" ] && break
		sleep 0.1
	done
	echo "$v"
}
# wait_until SECONDS CMD...: seconds (one decimal) until CMD succeeds, or "timeout"
wait_until()
{
	local limit=$1 t0 now

	shift
	t0=$(date +%s%N)
	while ! "$@" >/dev/null 2>&1; do
		now=$(date +%s%N)
		if [ $(((now - t0) / 1000000000)) -ge "$limit" ]; then
			echo timeout
			return 1
		fi
		sleep 0.1
	done
	awk -v n="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.1f", n / 1e9 }'
}
within() # NAME LIMIT_S WAITED
{
	if [ "$3" != timeout ]; then xt_ok "$1 (${3} s)"; else xt_fail "$1" "not within $2 s"; fi
}
pong() { [ "$(ping_recv 1 0.2)" = 1 ]; }
xgwd_stop()
{
	local pid

	pid=$(cat "$XT_TMP/gw.pid")
	kill "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

xt_check "xgwd starts" xt_xgwd_start gw "$GW" "$METRICS"
xt_check "links, routes both ways" sh -c "
	c() { '$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' \"\$@\"; }
	c link attach gw-c && c link attach gw-s && c route add $LAB_REMOTE4 via $LAB_SRV_IP4 &&
	c route add 10.10.1.0/24 via $LAB_CLIENT_IP4 dev gw-c"
xt_is "$(ping_recv 3 0.05)" 3 "forwarded by xgw"

# ---- 12.3: detached, replaced ----------------------------------------------------------
ip -n "$GW" link set dev gw-c xdp off
xt_is "$(ping_recv 3 0.05)" 0 "xgw's program detached with ip link: nothing is forwarded any more"
within "xgwd notices: link show says detached" 2 "$(wait_until 2 sh -c "[ \"\$(
	'$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' -j link show |
	jq -r '.[] | select(.dev == \"gw-c\") | .xdp')\" = detached ]")"
xt_is "$(xdp_state),$(lost_metric 1),$(grep -c "gw-c: xgw's XDP program was detached by someone else" "$XT_TMP/gw.log")" \
	"detached 1,1,1" "counted (link show, xgw_link_xdp_lost_total) and logged once"
xt_check "link attach puts it back" ctl link attach gw-c
xt_is "$(xdp_state),$(ping_recv 3 0.05)" "attached 1,3" "attached again, forwarded again"
ip -n "$GW" -force link set dev gw-c xdpdrv obj "$XT_BUILD/bpf/baseline.bpf.o" sec xdp
within "another program in its place: link show says replaced" 2 "$(wait_until 2 sh -c "[ \"\$(
	'$XT_BUILD/xgwctl' -s '$XT_TMP/gw.sock' -j link show |
	jq -r '.[] | select(.dev == \"gw-c\") | .xdp')\" = replaced ]")"
xt_is "$(xdp_state),$(lost_metric 2),$(grep -c "gw-c: xgw's XDP program was replaced by someone else's" "$XT_TMP/gw.log")" \
	"replaced 2,2,1" "counted and logged"
ip -n "$GW" link set dev gw-c xdp off
ctl link attach gw-c
xt_is "$(xdp_state),$(ping_recv 3 0.05)" "attached 2,3" "the foreign program removed, link attach: forwarded again"

# ---- 12.4: a next hop's MAC changes while its entry is STALE -------------------------------
# A learnt (not permanent) entry for the server, and short neighbour timers
# so that it goes STALE within a second of being confirmed.
ip netns exec "$GW" sysctl -qw net.ipv4.neigh.gw-s.base_reachable_time_ms=1000 \
	net.ipv4.neigh.gw-s.delay_first_probe_time=1
ip -n "$GW" neigh del "$LAB_SRV_IP4" dev gw-s
within "the server's entry learnt again (xgwd asks the kernel to resolve it)" 5 "$(wait_until 5 pong)"
kentry() { ip -n "$GW" neigh show "$LAB_SRV_IP4" dev gw-s | awk '{ print $3, $NF }'; }
xgwd_stop
# The entry is made STALE by hand: left alone it often cycles REACHABLE,
# DELAY, PROBE for many seconds after xgwd is gone (something in the
# namespace keeps using it: seen with and without forwarded traffic), and the
# failure needs a STALE entry whose MAC goes out of date.
ip -n "$GW" neigh replace "$LAB_SRV_IP4" dev gw-s lladdr "$LAB_SRV_MAC" nud stale
xt_is "$(kentry)" "$LAB_SRV_MAC STALE" "xgwd stopped: the kernel's entry is STALE"
ip -n "$LAB_SRV_NS" link set dev eth0 address 02:00:0a:0a:02:77
lost=$(ping_recv 30 0.2)
xt_is "$lost,$(kentry | grep -c 02:00:0a:0a:02:77)" "0,0" \
	"the server's MAC changed: 6 s of traffic all lost, the kernel never learns the new MAC"
xt_check "xgwd starts again" xt_xgwd_start gw "$GW" "$METRICS"
within "with xgwd, the new MAC is followed within 15 s" 15 "$(wait_until 15 pong)"
# the entry in use: REACHABLE, or DELAY/PROBE between two confirmations
xt_is "$(kentry | sed 's/ \(DELAY\|PROBE\)$/ REACHABLE/'),$(ctl -j neigh show | jq -r ".[] | select(.addr == \"$LAB_SRV_IP4\") | .lladdr")" \
	"02:00:0a:0a:02:77 REACHABLE,02:00:0a:0a:02:77" "the kernel's entry (valid) and xgw's next hop have it"
ping_recv 20 0.1 >/dev/null
ip -n "$LAB_SRV_NS" link set dev eth0 address "$LAB_SRV_MAC"
within "changed again while xgwd runs: followed within 15 s" 15 "$(wait_until 15 pong)"
