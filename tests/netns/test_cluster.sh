#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Several gateways behind ECMP (#13), with the real engines: the cluster lab
# (tools/lab cluster: an upstream router running BIRD with merge paths and
# an L4 multipath hash, three gateways each running xgwd + BIRD over eBGP,
# BFD 100 ms x 3, hold time 3 s, three DSR backends on a bridge) and real
# TCP: NCONN connections through the VIP that talk every 100 ms
# (tools/cluster/echo.py; each answer names its backend), all through one
# run of the phases below. Which gateway carries which flow comes from the
# gateways' connection tables (tools/lab cluster flows).
#
#  - the three gateways, given the backends in different orders, publish the
#    same Maglev table (table-digest);
#  - IPv6: the same for VIP6 over each gateway's IPv6 session (/128 routes),
#    and connections through it;
#  - each gateway announces the VIP (a blackhole /32 of protocol 88 in table
#    100); the router has one route with three next hops; the flows spread
#    over all three gateways;
#  - kill -9 of one gateway's xgwd: its route stays; the restarted xgwd
#    adopts it: no route change on the gateway or the router;
#  - drain (`set announce off`): the router drops that gateway, its flows
#    move on with no gap and no reset; `on` brings it back;
#  (a) a dead host (kill -9 of BIRD and xgwd, links deleted): BFD withdraws
#    it; every flow it carried goes on through another gateway to the same
#    backend, 0 resets, no stall longer than the hold time; the flows of the
#    other gateways see no gap (none > 3 intervals);
#  (b) it comes back (fresh, as after a reboot): the router has three next
#    hops again; the flows ECMP moves onto it keep their backends;
#  (c) one backend fails its health checks everywhere (it stops listening,
#    its connections stay open): its flows re-home (the next backend resets
#    them, the client reconnects elsewhere), no other flow is touched;
#  (d) every backend fails: every gateway withdraws the VIP, the router has
#    no route to it; back up: three next hops again;
#  - `xgwd --cleanup` (the datapath goes) withdraws the gateway's VIPs.
# Takes about 60 s.
. "$(dirname "$0")/lib.sh"

VIP=10.99.0.1
VIP6=fd00:99::1
PORT=7000
NCONN=30
HOLD=3
GAP=0.3		# "no gap": no answer missing for more than 3 x 100 ms
LAB=("$XT_ROOT/tools/lab" cluster --prefix "$XT_PFX")
ECHO=$XT_ROOT/tools/cluster/echo.py

xt_plan 23
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] || xt_skip_rest "no xgwd/xgwctl in $XT_BUILD (run make)"
command -v bird >/dev/null && command -v birdc >/dev/null ||
	xt_skip_rest "no BIRD: bird2 could not be installed (make deps)"

xt_defer "${LAB[*]} down"
if ! out=$("${LAB[@]}" up --gateways 3 --backends 3 --hold $HOLD --bfd on 2>&1); then
	xt_fail "cluster lab up" "$out"
	exit 1
fi
eval "$("${LAB[@]}" env)"
xt_ok "cluster lab $XT_PFX up: router, client, 3 gateways (xgwd + BIRD), 3 backends"

x() { local i=$1; shift; "$XT_BUILD/xgwctl" -s "$CL_RUN/gw$i.sock" "$@"; }
now() { date +%s.%N; }
# router's next hops for VIP (default $VIP): "gw1 gw2 gw3", "" when it has
# no route (gateway I is 10.40.0.10+I or fd00:40::10+I)
rtr_hops()
{
	local v=${1:-$VIP}

	ip -n "$CL_RTR_NS" -j "$([[ $v == *:* ]] && echo -6 || echo -4)" route show "$v" | jq -r '[.[] | (.nexthops // [{gateway: .gateway}])[] |
		.gateway | select(. != null) | split(".") | last | split(":") | last |
		tonumber - 10 | "gw" + tostring] | join(" ")'
}
# wait_hops WANT TIMEOUT_S [VIP]: until the router's next hops are WANT
wait_hops()
{
	local t_end

	t_end=$(echo "$(now) + $2" | bc)
	while [ "$(rtr_hops "${3:-$VIP}")" != "$1" ]; do
		(($(echo "$(now) > $t_end" | bc))) && return 1
		sleep 0.01
	done
}
gw_table() { ip -n "$(eval echo "\$CL_GW$1_NS")" ${2:-} route show table "$CL_TABLE" proto "$CL_PROTO"; }
svc_json() { x "$1" -j service show | jq ".[] | select(.service == \"$2\")"; }

# ---- setup: echo servers, the service on every gateway ------------------------
setup()
{
	local i j

	for ((j = 1; j <= 3; j++)); do
		ns=$(eval echo "\$CL_BE${j}_NS")
		ip -n "$ns" addr add $VIP/32 dev lo || return 1
		ip -n "$ns" addr add $VIP6/128 dev lo || return 1
		nsenter --net="/var/run/netns/$ns" "$XT_PY" "$ECHO" server $PORT "be$j" \
			>"$XT_TMP/echo$j.log" 2>&1 &
		echo $! >"$XT_TMP/echo$j.pid"
	done
	for ((i = 1; i <= 3; i++)); do
		# backends in a different order on every gateway: the Maglev
		# tables must not depend on it
		{
			echo "service add $VIP:$PORT/tcp"
			echo "service add [$VIP6]:$PORT/tcp"
			for j in $(case $i in 1) echo 1 2 3 ;; 2) echo 3 2 1 ;; 3) echo 2 3 1 ;; esac); do
				echo "backend add $VIP:$PORT/tcp $(eval echo "\$CL_BE${j}_IP4")"
				echo "backend add [$VIP6]:$PORT/tcp $(eval echo "\$CL_BE${j}_IP6")"
			done
		} >"$XT_TMP/batch$i"
		x "$i" -batch "$XT_TMP/batch$i" || return 1
	done
}
xt_check "echo servers on 3 backends; services $VIP:$PORT/tcp and [$VIP6]:$PORT/tcp (DSR, 3 backends) on every gateway" setup

digests=$(for i in 1 2 3; do x "$i" -j service show | jq -r '.[] | .service + " " + .table_digest'; done | sort -u)
if [ "$(echo "$digests" | wc -l)" = 2 ] && ! echo "$digests" | grep -q null; then
	xt_ok "the 3 gateways publish the same Maglev tables ($(echo $digests))"
else
	xt_fail "the 3 gateways publish the same Maglev table" "digests: $digests"
fi
if wait_hops "gw1 gw2 gw3" 10; then
	xt_ok "router: $VIP via gw1 gw2 gw3 (one multipath route from BGP)"
else
	xt_fail "router: $VIP via gw1 gw2 gw3" "got: '$(rtr_hops)'" "$(ip -n "$CL_RTR_NS" route)"
fi
if wait_hops "gw1 gw2 gw3" 10 $VIP6 && [ "$(gw_table 1 -6 | awk '{ print $1, $2 }')" = "blackhole $VIP6" ]; then
	xt_ok "IPv6: blackhole $VIP6/128 on the gateways, router via gw1 gw2 gw3 (IPv6 sessions)"
else
	xt_fail "IPv6: router: $VIP6 via gw1 gw2 gw3" "got: '$(rtr_hops $VIP6)'" "gw1: $(gw_table 1 -6)"
fi
ip netns exec "$CL_CLIENT_NS" "$XT_PY" "$ECHO" client $VIP6 $PORT 6 2 "$XT_TMP/conns6.json" >/dev/null 2>&1
res6=$(jq -r '[.conns[] | select(.answers >= 15 and .why == "open" and (.backends | length) == 1)] | length' \
	"$XT_TMP/conns6.json" 2>/dev/null)
if [ "$res6" = 6 ]; then
	xt_ok "IPv6: 6 connections through [$VIP6]:$PORT answered for 2 s, each by one backend"
else
	xt_fail "IPv6: 6 connections through [$VIP6]:$PORT" "$(cat "$XT_TMP/conns6.json" 2>&1)"
fi
want=$(printf 'blackhole %s \n' $VIP)
ok=1
for i in 1 2 3; do [ "$(gw_table $i)" = "$want" ] || ok=0; done
if [ $ok = 1 ]; then
	xt_ok "every gateway: blackhole $VIP in table $CL_TABLE, protocol $CL_PROTO"
else
	xt_fail "every gateway: blackhole $VIP in table $CL_TABLE" "$(for i in 1 2 3; do echo "gw$i: $(gw_table $i)"; done)"
fi

# ---- the connections --------------------------------------------------------------
ip netns exec "$CL_CLIENT_NS" "$XT_PY" "$ECHO" client $VIP $PORT $NCONN 300 "$XT_TMP/conns.json" \
	--ready "$XT_TMP/ready" >"$XT_TMP/client.log" 2>&1 &
CLIENT=$!
xt_defer "kill $CLIENT"
for ((k = 0; k < 100; k++)); do [ -e "$XT_TMP/ready" ] && break; sleep 0.1; done
sleep 1
# flows NAME: the connection tables now, one JSON line per entry of our flows
flows()
{
	"${LAB[@]}" flows | jq -c "select(.dst == \"$VIP\" and .src == \"$CL_CLIENT_IP4\")" >"$XT_TMP/flows.$1"
}
flows start
spread=$(jq -r 'select(.age_ms < 1000) | .gw' "$XT_TMP/flows.start" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
if [ -e "$XT_TMP/ready" ] && [ "$(jq -r .gw "$XT_TMP/flows.start" | sort -u | wc -l)" = 3 ]; then
	xt_ok "$NCONN connections answered, spread over the 3 gateways ($spread)"
else
	xt_fail "$NCONN connections spread over the 3 gateways" "ready: $([ -e "$XT_TMP/ready" ] && echo yes || echo no)" "spread: $spread"
fi

# ---- restart: kill -9 xgwd, the route stays, the new one adopts it -------------------
ip -n "$CL_GW1_NS" monitor route >"$XT_TMP/mon.gw1" 2>&1 &
MON1=$!
ip -n "$CL_RTR_NS" monitor route >"$XT_TMP/mon.rtr" 2>&1 &
MON2=$!
kill -9 "$(cat "$CL_RUN/xgwd-gw1.pid")"
sleep 0.5
if [ "$(gw_table 1)" = "$want" ]; then
	xt_ok "kill -9 of gw1's xgwd leaves its route in table $CL_TABLE"
else
	xt_fail "kill -9 of gw1's xgwd leaves its route" "$(gw_table 1)"
fi
"${LAB[@]}" restart 1 >/dev/null
sleep 2.5	# the new xgwd's first health round compares the table
kill $MON1 $MON2
# route changes for the VIPs (ip monitor also prints unrelated notices)
vip_changes() { grep -E "$VIP|$VIP6" "$@"; }
if ! vip_changes "$XT_TMP/mon.gw1" "$XT_TMP/mon.rtr" >/dev/null && [ "$(gw_table 1)" = "$want" ] &&
	[ "$(rtr_hops)" = "gw1 gw2 gw3" ]; then
	xt_ok "the restarted xgwd adopts its route: no route change on gw1 or on the router"
else
	xt_fail "restarted xgwd adopts its route without a flap" "gw1: $(vip_changes "$XT_TMP/mon.gw1")" \
		"router: $(vip_changes "$XT_TMP/mon.rtr")" "table: $(gw_table 1)"
fi

# ---- drain: set announce off ---------------------------------------------------------------------
T_DRAIN=$(now)
x 2 set announce off
if wait_hops "gw1 gw3" 5 && [ -z "$(gw_table 2)" ]; then
	xt_ok "gw2 'set announce off': route withdrawn, router via gw1 gw3 after $(echo "$(now) - $T_DRAIN" | bc | cut -c1-5) s"
else
	xt_fail "gw2 'set announce off' withdraws" "router: $(rtr_hops)" "gw2: $(gw_table 2)"
fi
sleep 1.5
x 2 set announce on
wait_hops "gw1 gw2 gw3" 5 || true
T_UNDRAIN=$(now)
sleep 1.5

# ---- (a) a gateway's host dies -------------------------------------------------------------------------
flows before_kill
T_KILL=$(now)
"${LAB[@]}" kill 3
if wait_hops "gw1 gw2" $HOLD; then
	T_GONE=$(now)
	xt_ok "(a) gw3 dead: the router drops it after $(echo "$T_GONE - $T_KILL" | bc | cut -c1-5) s (BFD; hold time $HOLD s)"
else
	T_GONE=$(now)
	xt_fail "(a) gw3 dead: the router drops it within the hold time" "router: $(rtr_hops)"
fi
sleep 3
flows after_kill

# ---- (b) it comes back -----------------------------------------------------------------------------------
T_REV=$(now)
"${LAB[@]}" revive 3 >/dev/null
if wait_hops "gw1 gw2 gw3" 15; then
	xt_ok "(b) gw3 back (fresh: no pins, empty tables): router via gw1 gw2 gw3 after $(echo "$(now) - $T_REV" | bc | cut -c1-5) s"
else
	xt_fail "(b) gw3 back: router via gw1 gw2 gw3" "router: $(rtr_hops)"
fi
sleep 3
flows after_revive

# ---- (c) one backend fails its health checks everywhere -----------------------------------------
T_C=$(now)
kill -USR1 "$(cat "$XT_TMP/echo1.pid")"
be1_down()
{
	local i

	for i in 1 2 3; do
		svc_json "$i" "$VIP:$PORT/tcp" | jq -e ".backends[] | select(.addr == \"$CL_BE1_IP4\") |
			.healthy == false" >/dev/null || return 1
	done
}
for ((k = 0; k < 100; k++)); do be1_down && break; sleep 0.1; done
if be1_down; then
	xt_ok "(c) be1 stops listening: down on every gateway after $(echo "$(now) - $T_C" | bc | cut -c1-5) s"
else
	xt_fail "(c) be1 down on every gateway"
fi
sleep 3
kill "$CLIENT"
for ((k = 0; k < 50; k++)); do [ -e "$XT_TMP/conns.json" ] && break; sleep 0.1; done

# ---- judging the connections -----------------------------------------------------------------------------
# judge PHASE: one line "ok|not ok<TAB>message" from the connections' record
judge()
{
	"$XT_PY" - "$1" "$XT_TMP" "$T_DRAIN" "$T_UNDRAIN" "$T_KILL" "$T_GONE" "$T_REV" \
		"$T_C" "$HOLD" "$GAP" <<'EOF'
import json, sys
phase, tmp = sys.argv[1], sys.argv[2]
t_drain, t_undrain, t_kill, t_gone, t_rev, t_c, hold, gap = map(float, sys.argv[3:11])
conns = json.load(open(tmp + "/conns.json"))["conns"]
def flows(name):
    return [json.loads(l) for l in open(tmp + "/flows." + name)]
def by_port(fl):
    """sport -> the entry of the gateway carrying it (the youngest, < 1 s)"""
    out = {}
    for f in fl:
        if f["age_ms"] < 1000 and (f["sport"] not in out or f["age_ms"] < out[f["sport"]]["age_ms"]):
            out[f["sport"]] = f
    return out
def max_gap(c, t0, t1):
    """longest stretch without an answer that overlaps [t0, t1]"""
    return max([g[1] for g in c["gaps"] if g[0] < t1 and g[0] + g[1] > t0] + [0])
def alive(t0, t1):
    """connections open over the whole of [t0, t1]"""
    return [c for c in conns if c["start"] < t0 and c["end"] > t1]
def verdict(ok, msg):
    print(("ok" if ok else "not ok") + "\t" + msg)
    sys.exit(0)
def resets(cs):
    return [c for c in cs if c["why"] not in ("open",)]
before = by_port(flows("before_kill"))
if phase == "drain":
    cs = alive(t_drain - 0.5, t_undrain + 1)
    bad = [c["sport"] for c in cs if max_gap(c, t_drain, t_undrain + 1) > gap or len(c["backends"]) != 1]
    lost = [c["sport"] for c in conns if c["start"] < t_drain < c["end"] < t_undrain + 1]
    verdict(len(cs) == 30 and not bad and not lost,
            "drain: %d connections, none lost, none with a gap > %ss or a new backend%s" %
            (len(cs), gap, "" if not bad and not lost else " (bad: %s, lost: %s)" % (bad, lost)))
if phase in ("a_dead", "a_others"):
    cs = alive(t_kill - 0.5, t_rev)
    dead = [c for c in cs if c["sport"] in before and before[c["sport"]]["gw"] == "gw3"]
    ended = [c["sport"] for c in conns if t_kill - 0.5 < c["end"] < t_rev]
    after = by_port(flows("after_kill"))
    if phase == "a_dead":
        moved = [c for c in dead if c["sport"] in after and after[c["sport"]]["gw"] != "gw3"]
        same_be = [c for c in moved if len(c["backends"]) == 1 and
                   before[c["sport"]]["backend"] == after[c["sport"]]["backend"]]
        stall = max([max_gap(c, t_kill, t_rev) for c in dead] + [0])
        ok = dead and len(moved) == len(dead) == len(same_be) and not ended and stall <= hold
        verdict(ok, "(a) %d connections went through gw3: all %d moved to another gateway, "
                "%d to the same backend, %d reset, longest stall %.2f s (hold %ss)" %
                (len(dead), len(moved), len(same_be), len(ended), stall, hold))
    others = [c for c in cs if c not in dead]
    bad = [c["sport"] for c in others if max_gap(c, t_kill, t_rev) > gap or len(c["backends"]) != 1]
    verdict(others and not bad and not ended,
            "(a) %d connections through gw1/gw2: none with a gap > %ss, a new backend or a reset%s" %
            (len(others), gap, "" if not bad else " (bad: %s)" % bad))
if phase == "b":
    cs = alive(t_rev - 0.5, t_c)
    rev = by_port(flows("after_revive"))
    onto = [c for c in cs if c["sport"] in rev and rev[c["sport"]]["gw"] == "gw3"]
    kept = [c for c in onto if len(c["backends"]) == 1 and c["sport"] in before and
            rev[c["sport"]]["backend"] == before[c["sport"]]["backend"]]
    ended = [c["sport"] for c in conns if t_rev - 0.5 < c["end"] < t_c]
    stall = max([max_gap(c, t_rev, t_c) for c in cs] + [0])
    verdict(onto and len(kept) == len(onto) and not ended and stall <= gap,
            "(b) %d connections moved onto the returning gw3, %d kept their backend; "
            "%d resets; longest gap %.2f s" % (len(onto), len(kept), len(ended), stall))
if phase in ("c_be1", "c_others"):
    cs = alive(t_c - 0.5, t_c)
    on1 = [c for c in cs if c["backends"] == ["be1"]]
    if phase == "c_be1":
        # each slot of a be1 connection: it ended, its successor is elsewhere
        rehomed = []
        for c in on1:
            nxt = [d for d in conns if d["slot"] == c["slot"] and d["start"] >= c["end"] and d["answers"]]
            if c["why"] != "open" and nxt and all("be1" not in d["backends"] for d in nxt):
                rehomed.append(c)
        verdict(on1 and len(rehomed) == len(on1),
                "(c) %d connections on be1: %d ended and came back on another backend" %
                (len(on1), len(rehomed)))
    others = [c for c in cs if c not in on1]
    bad = [c["sport"] for c in others if c["why"] != "open" or len(c["backends"]) != 1 or
           max_gap(c, t_c, t_c + 6) > gap]
    verdict(others and not bad,
            "(c) %d connections on be2/be3: none reset, moved or with a gap > %ss%s" %
            (len(others), gap, "" if not bad else " (bad: %s)" % bad))
EOF
}
for phase in drain a_dead a_others b c_be1 c_others; do
	res=$(judge $phase 2>&1)
	case $res in
	ok*) xt_ok "${res#*	}" ;;
	*) xt_fail "connections, phase $phase" "$res" ;;
	esac
done

# ---- (d) every backend fails: withdrawn everywhere ------------------------------------------------
T_D=$(now)
for j in 2 3; do kill -USR1 "$(cat "$XT_TMP/echo$j.pid")"; done
if wait_hops "" 10 && wait_hops "" 5 $VIP6 &&
	[ -z "$(for i in 1 2 3; do gw_table $i; gw_table $i -6; done)" ]; then
	xt_ok "(d) every backend down: every gateway withdrew $VIP and $VIP6, the router has no route after $(echo "$(now) - $T_D" | bc | cut -c1-5) s"
else
	xt_fail "(d) every backend down: VIP withdrawn everywhere" "router: $(rtr_hops)" \
		"$(for i in 1 2 3; do echo "gw$i: $(gw_table $i)"; done)"
fi
for j in 1 2 3; do kill -USR2 "$(cat "$XT_TMP/echo$j.pid")"; done
if wait_hops "gw1 gw2 gw3" 10 && wait_hops "gw1 gw2 gw3" 5 $VIP6; then
	xt_ok "(d) backends back: the router has $VIP and $VIP6 via gw1 gw2 gw3 again"
else
	xt_fail "(d) backends back: $VIP via gw1 gw2 gw3" "router: $(rtr_hops)"
fi

# ---- xgwd --cleanup: no datapath, no announcement --------------------------------------------------
kill -9 "$(cat "$CL_RUN/xgwd-gw1.pid")"
nsenter --net="/var/run/netns/$CL_GW1_NS" "$XT_BUILD/xgwd" --cleanup -P "$CL_GW1_PIN" >/dev/null 2>&1
if wait_hops "gw2 gw3" 5 && wait_hops "gw2 gw3" 5 $VIP6 && [ -z "$(gw_table 1)$(gw_table 1 -6)" ]; then
	xt_ok "xgwd --cleanup on gw1 deletes its VIP route: the router goes via gw2 gw3"
else
	xt_fail "xgwd --cleanup withdraws" "router: $(rtr_hops)" "gw1: $(gw_table 1)"
fi
