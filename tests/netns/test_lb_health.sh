#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Health checks operators tune, end to end: a lab with two DSR backends,
# each running a TCP line server and a UDP server ("ping" -> "pong-beN").
#
#  - a UDP service says no check and its backends stay up though nothing
#    listens on TCP there (a TCP check used to mark them down);
#  - failover, measured: a TCP service checked every 200 ms (timeout 100 ms,
#    fall 3, rise 2); be2's server is killed while a client opens a new
#    connection every 20 ms. The time to `down` must stay within
#    fall x interval + timeout (+ slack for a loaded machine), and so must
#    the last connection the client saw refused; both figures are printed.
#    be2's server back: up within rise x interval + timeout;
#  - `service set ... check udp ping pong`: both up; `backend set` of one
#    backend's check to an answer it never gives: that one alone goes down,
#    and comes back when set right again;
#  - every backend down: all-down drop (the default) drops datagrams
#    (no_backend), all-down use-all spreads them over the down backends,
#    which answer; `service show` says which policy is in force;
#  - the state file keeps what was said (service and backend checks).
. "$(dirname "$0")/lib.sh"

VIP=10.99.0.9
P_TCP=7100
P_UDP=5300
INTERVAL_MS=200
TIMEOUT_MS=100
FALL=3
RISE=2
SLACK_MS=400	# polling and a shared, loaded machine
DOWN_BOUND_MS=$((FALL * INTERVAL_MS + TIMEOUT_MS))
UP_BOUND_MS=$((RISE * INTERVAL_MS + TIMEOUT_MS))

xt_plan 12
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] || xt_skip_rest "no xgwd/xgwctl in $XT_BUILD (run make)"
command -v jq >/dev/null || xt_skip_rest "no jq"

xt_lab_up --backends 2 || { xt_fail "lab up"; exit 1; }
xt_ok "lab $XT_PFX up with 2 backends"

GW_SOCK=$XT_TMP/gw.sock
X=("$XT_BUILD/xgwctl" -s "$GW_SOCK")

SRV_PY="$XT_ROOT/tests/netns/lb_servers.py"

# start_srv BE PROTO: (re)start backend BE's server, pid in $XT_TMP/BE-PROTO.pid
start_srv()
{
	nsenter --net="/var/run/netns/$XT_PFX-$1" "$XT_PY" "$SRV_PY" "$2" \
		"$([ "$2" = tcp ] && echo $P_TCP || echo $P_UDP)" "$1" >/dev/null 2>&1 &
	echo $! >"$XT_TMP/$1-$2.pid"
	xt_defer "kill \$(cat '$XT_TMP/$1-$2.pid') 2>/dev/null"
}

setup()
{
	local i

	for i in 1 2; do
		ip -n "$XT_PFX-be$i" addr add $VIP/32 dev lo || return 1
		start_srv "be$i" tcp
		start_srv "be$i" udp
	done
	ip -n "$LAB_CLIENT_NS" route add $VIP/32 via "$LAB_GW_CLIENT_IP4" || return 1
	xt_xgwd_start gw "$LAB_GW_NS" || return 1
	for dev in gw-c gw-b1 gw-b2; do
		"${X[@]}" link attach $dev || return 1
	done
	"${X[@]}" route add "$LAB_CLIENT_IP4" dev gw-c &&
	"${X[@]}" service add $VIP:$P_TCP/tcp check tcp interval ${INTERVAL_MS}ms \
		timeout ${TIMEOUT_MS}ms fall $FALL rise $RISE &&
	"${X[@]}" service add $VIP:$P_UDP/udp || return 1
	for i in 1 2; do
		"${X[@]}" backend add $VIP:$P_TCP/tcp 10.10.10$i.2 &&
		"${X[@]}" backend add $VIP:$P_UDP/udp 10.10.10$i.2 || return 1
	done
	sleep 0.5	# servers listening
}
xt_check "backends with TCP and UDP servers, gateway with a TCP and a UDP service" setup

svc_json() { "${X[@]}" -j service show "$1"; }
# be_field SERVICE ADDR JQ-FIELD
be_field() { svc_json "$1" | jq -r --arg a "$2" ".[0].backends[] | select(.addr == \$a) | $3"; }

udp_default()
{
	local i

	sleep 1	# several check rounds, were there any
	for i in 1 2; do
		[ "$(be_field $VIP:$P_UDP/udp 10.10.10$i.2 .check.type)" = none ] &&
		[ "$(be_field $VIP:$P_UDP/udp 10.10.10$i.2 .state)" = up ] ||
			{ svc_json $VIP:$P_UDP/udp; return 1; }
	done
	[ "$(be_field $VIP:$P_TCP/tcp 10.10.101.2 .check.interval_ms)" = $INTERVAL_MS ] &&
	[ "$(be_field $VIP:$P_TCP/tcp 10.10.101.2 .check.fall)" = $FALL ] ||
		{ svc_json $VIP:$P_TCP/tcp; return 1; }
}
xt_check "UDP service: no check by default, backends up with nothing on TCP; TCP service shows its timing" \
	udp_default

# ---- failover, measured --------------------------------------------------------------
FAIL_PY=$XT_TMP/failover.py
cat >"$FAIL_PY" <<'EOF'
# New connections every 20 ms while be2's server is killed (at t = 0) and,
# once be2 is down, started again. Prints "down_ms last_refused_ms up_ms".
import json, os, socket, subprocess, threading, time
vip, port = os.environ["VIP"], int(os.environ["P_TCP"])
state = {"down": None, "up": None}
t0 = None
stop = False

def be2_state():
    j = json.loads(subprocess.check_output(os.environ["STATE"], shell=True))
    return [b["state"] for b in j[0]["backends"] if b["addr"] == "10.10.102.2"][0]

def watch():
    while not stop:
        st = be2_state()
        now = (time.monotonic() - t0) * 1000
        if st == "down" and state["down"] is None:
            state["down"] = now
        if st == "up" and state["down"] is not None and state["up"] is None and restarted:
            state["up"] = (time.monotonic() - restarted) * 1000
        time.sleep(0.02)

restarted = None
refused = []
t0 = time.monotonic()
subprocess.run(os.environ["KILL_BE2"], shell=True)
w = threading.Thread(target=watch)
w.start()
while (time.monotonic() - t0) < float(os.environ["RUN_S"]):
    t = (time.monotonic() - t0) * 1000
    try:
        s = socket.create_connection((vip, port), timeout=0.5)
        s.sendall(b"x\n")
        if not s.makefile("rb").readline():
            refused.append(t)
        s.close()
    except OSError:
        refused.append(t)
    if state["down"] is not None and restarted is None and t > state["down"] + 300:
        subprocess.run(os.environ["START_BE2"], shell=True)
        restarted = time.monotonic()
    time.sleep(0.02)
stop = True
w.join()
last = [r for r in refused if restarted is None or r < (restarted - t0) * 1000]
print("%d %d %d %d" % (state["down"] if state["down"] is not None else -1,
                       last[-1] if last else -1, state["up"] if state["up"] is not None else -1,
                       len(refused)))
EOF

export VIP P_TCP RUN_S=4
export STATE="'$XT_BUILD/xgwctl' -s '$GW_SOCK' -j service show $VIP:$P_TCP/tcp"
export KILL_BE2="kill \$(cat '$XT_TMP/be2-tcp.pid')"
export START_BE2="nsenter --net=/var/run/netns/$XT_PFX-be2 '$XT_PY' '$SRV_PY' tcp $P_TCP be2 >/dev/null 2>&1 & echo \$! > '$XT_TMP/be2-tcp.pid'"
read -r down_ms last_ms up_ms nref < <(xt_nsenter "$LAB_CLIENT_NS" "$XT_PY" "$FAIL_PY" 2>"$XT_TMP/failover.err")
echo "# failover: be2 down ${down_ms:-?} ms after its server died (bound fall x interval + timeout = $DOWN_BOUND_MS ms);"
echo "#   last new connection refused at ${last_ms:-?} ms ($nref refused in all); be2 up ${up_ms:-?} ms after its restart (bound $UP_BOUND_MS ms)"
if [ "${down_ms:--1}" -ge 0 ] && [ "$down_ms" -le $((DOWN_BOUND_MS + SLACK_MS)) ]; then
	xt_ok "be2 marked down in $down_ms ms (fall x interval + timeout = $DOWN_BOUND_MS ms, + $SLACK_MS ms slack)"
else
	xt_fail "be2 marked down within $DOWN_BOUND_MS ms (+ $SLACK_MS)" "down after ${down_ms:-?} ms" "$(tail -3 "$XT_TMP/failover.err")"
fi
if [ "${last_ms:--2}" -ge -1 ] && [ "$last_ms" -le $((DOWN_BOUND_MS + SLACK_MS)) ] && [ "${nref:-0}" -gt 0 ]; then
	xt_ok "clients: last refused connection $last_ms ms after the kill, none after ($nref refused)"
else
	xt_fail "clients: no refused connection after $((DOWN_BOUND_MS + SLACK_MS)) ms" "last at ${last_ms:-?} ms, $nref refused"
fi
if [ "${up_ms:--1}" -ge 0 ] && [ "$up_ms" -le $((UP_BOUND_MS + SLACK_MS)) ]; then
	xt_ok "be2 back up $up_ms ms after its server restarted (rise x interval + timeout = $UP_BOUND_MS ms)"
else
	xt_fail "be2 back up within $UP_BOUND_MS ms (+ $SLACK_MS)" "up after ${up_ms:-?} ms"
fi

# ---- udp checks, service and backend level --------------------------------------------
# wait_state SERVICE ADDR STATE: within 3 s
wait_state()
{
	local i

	for ((i = 0; i < 60; i++)); do
		[ "$(be_field "$1" "$2" .state)" = "$3" ] && return 0
		sleep 0.05
	done
	echo "$2 of $1 is $(be_field "$1" "$2" .state), want $3"
	return 1
}

udp_checks()
{
	"${X[@]}" service set $VIP:$P_UDP/udp check udp ping pong interval 200ms timeout 100ms fall 2 rise 1 &&
	sleep 1 && wait_state $VIP:$P_UDP/udp 10.10.101.2 up && wait_state $VIP:$P_UDP/udp 10.10.102.2 up &&
	[ "$(be_field $VIP:$P_UDP/udp 10.10.102.2 .check.type)" = udp ] || return 1
	# be2's answer never starts with "pong-be1": be2 alone goes down
	"${X[@]}" backend set $VIP:$P_UDP/udp 10.10.102.2 check udp ping pong-be1 &&
	wait_state $VIP:$P_UDP/udp 10.10.102.2 down && wait_state $VIP:$P_UDP/udp 10.10.101.2 up &&
	"${X[@]}" backend set $VIP:$P_UDP/udp 10.10.102.2 check udp ping pong-be2 &&
	wait_state $VIP:$P_UDP/udp 10.10.102.2 up
}
xt_check "service set check udp: both up; backend set check of one to a wrong answer: that one down, back when fixed" \
	udp_checks

# ---- every backend down: drop or use-all ------------------------------------------------
# udp_ask COUNT: datagrams from the client, one answer awaited each; prints answers
udp_ask()
{
	xt_nsenter "$LAB_CLIENT_NS" "$XT_PY" - "$VIP" $P_UDP "$1" <<'EOF'
import socket, sys
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
got = 0
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # a new flow each time
    s.settimeout(0.2)
    s.sendto(b"ping", (vip, port))
    try:
        data, _ = s.recvfrom(100)
        got += data.startswith(b"pong-")
    except socket.timeout:
        pass
    s.close()
print(got)
EOF
}

reason() { "${X[@]}" -j stats | jq "[.reasons[] | select(.reason == \"$1\") | .packets] | add // 0"; }

all_down_drop()
{
	local before got

	for i in 1 2; do
		"${X[@]}" backend set $VIP:$P_UDP/udp 10.10.10$i.2 check udp ping nobody-says-this || return 1
	done
	wait_state $VIP:$P_UDP/udp 10.10.101.2 down && wait_state $VIP:$P_UDP/udp 10.10.102.2 down || return 1
	[ "$(svc_json $VIP:$P_UDP/udp | jq -r '.[0].all_down + " " + (.[0].all_down_in_force | tostring)')" = "drop false" ] ||
		{ svc_json $VIP:$P_UDP/udp; return 1; }
	before=$(reason no_backend)
	got=$(udp_ask 10) || return 1
	[ "$got" = 0 ] && [ $(($(reason no_backend) - before)) -ge 10 ] ||
		{ echo "answers $got, no_backend +$(($(reason no_backend) - before))"; return 1; }
}
xt_check "every backend down, all-down drop (default): datagrams dropped, counted no_backend" all_down_drop

all_down_use_all()
{
	local got

	"${X[@]}" service set $VIP:$P_UDP/udp all-down use-all || return 1
	[ "$(svc_json $VIP:$P_UDP/udp | jq -r '.[0].all_down + " " + (.[0].all_down_in_force | tostring)')" = "use-all true" ] ||
		{ svc_json $VIP:$P_UDP/udp; return 1; }
	"${X[@]}" service show | grep -q "all-down use-all (in force" || { "${X[@]}" service show; return 1; }
	got=$(udp_ask 10) || return 1
	[ "$got" -ge 9 ] || { echo "$got of 10 answered under use-all"; return 1; }
	"${X[@]}" service set $VIP:$P_UDP/udp all-down drop && got=$(udp_ask 5) && [ "$got" = 0 ] ||
		{ echo "back to drop: $got answered"; return 1; }
}
xt_check "all-down use-all: in force, the down backends answer; back to drop: dropped again" all_down_use_all

state_file()
{
	local f=$XT_TMP/gw.conf

	grep -qx "service add $VIP:$P_TCP/tcp mode dsr table-size 65537 check tcp interval 200ms timeout 100ms rise 2 fall 3" "$f" &&
	grep -qx "service add $VIP:$P_UDP/udp mode dsr table-size 65537 check udp ping pong interval 200ms timeout 100ms rise 1 fall 2" "$f" &&
	grep -qx "backend add $VIP:$P_UDP/udp 10.10.102.2 weight 1 check udp ping nobody-says-this" "$f" &&
	grep -qx "backend add $VIP:$P_TCP/tcp 10.10.101.2 weight 1" "$f" || { cat "$f"; return 1; }
}
xt_check "state file keeps service checks, backend overrides, nothing inherited spelled out" state_file

no_errors()
{
	[ -s "$XT_TMP/gw.log" ] || { echo "no log"; return 1; }
	! grep -iE "error|cannot" "$XT_TMP/gw.log" | grep -v libxdp
}
xt_check "no errors in the daemon's log" no_errors

# A VIP is announced (set announce-table, scale's announcer) only once a
# backend's check has passed: a gateway that cannot reach its backends must
# not attract traffic for fall x interval. A service whose only backend
# never answers stays out of the table; one whose backend answers enters it.
ann_routes() { ip -n "$LAB_GW_NS" route show table 150 proto 88 2>/dev/null; }
announce_after_check()
{
	local i mon=$XT_TMP/route-monitor

	ip -n "$LAB_GW_NS" monitor route >"$mon" 2>&1 &
	xt_defer "kill $!"
	"${X[@]}" set announce-table 150 || return 1
	# slow checks: without the rule it would be announced for 4 s
	"${X[@]}" service add 10.99.0.77:7777/tcp check tcp interval 2s timeout 100ms &&
	"${X[@]}" backend add 10.99.0.77:7777/tcp 10.10.101.2 || return 1
	"${X[@]}" service add 10.99.0.78:$P_TCP/tcp check tcp interval 200ms timeout 100ms &&
	"${X[@]}" backend add 10.99.0.78:$P_TCP/tcp 10.10.101.2 || return 1
	for ((i = 0; i < 50; i++)); do
		ann_routes | grep -q "10.99.0.78" && break
		sleep 0.1
	done
	ann_routes | grep -q "10.99.0.78" || { echo "answering backend: VIP not announced"; ann_routes; return 1; }
	sleep 0.5
	! grep -q "10.99.0.77" "$mon" && ! ann_routes | grep -q "10.99.0.77" ||
		{ echo "unreachable backend: VIP announced"; cat "$mon"; return 1; }
}
xt_check "a VIP is announced once a backend passed its check, never before" announce_after_check
