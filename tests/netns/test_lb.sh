#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The load balancer end to end, with the real daemon and CLI: a lab with
# three backends, xgwd in the gateway (client and backend links attached),
# one xgwd per backend with `link attach eth0 mode decap` (this kernel has
# no ipip module), the VIP on every backend's loopback.
#
#  - DSR and ipip: 30 HTTP requests each reach all three backends;
#  - persistent connections (a line echo server that answers with its
#    backend's name) on a DSR service: killing one backend's server takes
#    it out within fall x interval (+ one timeout and 1 s of slack), its
#    clients reconnect elsewhere while every other connection stays up and
#    on its backend; restarting it brings it back (rise);
#  - drain keeps existing connections, takes no new ones; undrain restores;
#  - the metrics endpoint shows xgw_backend_up.
. "$(dirname "$0")/lib.sh"

VIP=10.99.0.1
VIP6=fd00:99::1
P_HTTP6=8081
P_HTTP=80
P_IPIP=8080
P_ECHO=7000
NCONN=30
# health defaults (ctl/xgwd/lb.h): interval 1 s, timeout 0.5 s, fall 3, rise 2
DOWN_BOUND_MS=$((3 * 1000 + 500 + 1000))
UP_BOUND_MS=$((2 * 1000 + 500 + 1000))

xt_plan 19
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] || xt_skip_rest "no xgwd/xgwctl in $XT_BUILD (run make)"
command -v curl >/dev/null || xt_skip_rest "no curl"

xt_lab_up --backends 3 || { xt_fail "lab up"; exit 1; }
xt_ok "lab $XT_PFX up with 3 backends"

GW_SOCK=$XT_TMP/gw.sock
X=("$XT_BUILD/xgwctl" -s "$GW_SOCK")
METRICS_PORT=$((20000 + $$ % 20000))

# Per backend: VIP on lo, GRO so redirected frames are accepted, HTTP on two
# ports (python's http.server serving a file naming the backend), echo server.
ECHO_PY=$XT_TMP/echo.py
cat >"$ECHO_PY" <<'EOF'
import socketserver, sys
name = sys.argv[2].encode() + b"\n"
class H(socketserver.StreamRequestHandler):
    def handle(self):
        for _ in self.rfile:
            self.wfile.write(name)
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(("0.0.0.0", int(sys.argv[1])), H).serve_forever()
EOF

start_echo()
{
	local i=$1

	nsenter --net="/var/run/netns/$XT_PFX-be$i" python3 "$ECHO_PY" $P_ECHO "be$i" >/dev/null 2>&1 &
	echo $! >"$XT_TMP/echo$i.pid"
	xt_defer "kill $! 2>/dev/null"
}

backends_setup()
{
	local i port

	for i in 1 2 3; do
		local ns=$XT_PFX-be$i
		ip -n "$ns" addr add $VIP/32 dev lo || return 1
		ip netns exec "$ns" ethtool -K eth0 gro on >/dev/null || return 1
		mkdir -p "$XT_TMP/www$i" && echo "be$i" >"$XT_TMP/www$i/id"
		ip -n "$ns" addr add $VIP6/128 dev lo || return 1
		for port in $P_HTTP $P_IPIP $P_HTTP6; do
			# "::" is dual-stack in http.server: v4 and v6 VIPs alike
			(cd "$XT_TMP/www$i" && exec nsenter --net="/var/run/netns/$ns" \
				python3 -m http.server $port --bind :: >/dev/null 2>&1) &
			xt_defer "kill $! 2>/dev/null"
		done
		start_echo "$i"
		xt_xgwd_start "be$i" "$ns" || return 1
		"$XT_BUILD/xgwctl" -s "$XT_TMP/be$i.sock" link attach eth0 mode decap || return 1
	done
	ip netns exec "$LAB_CLIENT_NS" ethtool -K eth0 gro on >/dev/null &&
	ip -n "$LAB_CLIENT_NS" route add $VIP/32 via "$LAB_GW_CLIENT_IP4" &&
	ip -n "$LAB_CLIENT_NS" -6 route add $VIP6/128 via "$LAB_GW_CLIENT_IP6"
}
xt_check "backends: VIP on lo, HTTP + echo servers, xgwd with decap on eth0" backends_setup

gateway_setup()
{
	xt_xgwd_start gw "$LAB_GW_NS" "127.0.0.1:$METRICS_PORT" || return 1
	for dev in gw-c gw-b1 gw-b2 gw-b3; do
		"${X[@]}" link attach $dev || return 1
	done
	"${X[@]}" route add "$LAB_CLIENT_IP4" dev gw-c &&
	"${X[@]}" route add "$LAB_CLIENT_IP6" dev gw-c &&
	"${X[@]}" service add "[$VIP6]:$P_HTTP6/tcp" mode dsr &&
	"${X[@]}" service add "[$VIP6]:$P_IPIP/tcp" mode ipip &&
	"${X[@]}" service add $VIP:$P_HTTP/tcp mode dsr &&
	"${X[@]}" service add $VIP:$P_IPIP/tcp mode ipip &&
	"${X[@]}" service add $VIP:$P_ECHO/tcp mode dsr || return 1
	for i in 1 2 3; do
		"${X[@]}" backend add $VIP:$P_HTTP/tcp 10.10.10$i.2 check http /id &&
		"${X[@]}" backend add $VIP:$P_IPIP/tcp 10.10.10$i.2 &&
		"${X[@]}" backend add $VIP:$P_ECHO/tcp 10.10.10$i.2 &&
		"${X[@]}" backend add "[$VIP6]:$P_HTTP6/tcp" fd00:10:10$i::2 &&
		"${X[@]}" backend add "[$VIP6]:$P_IPIP/tcp" fd00:10:10$i::2 || return 1
	done
}
xt_check "gateway: xgwd, links, five services (dsr/ipip http v4 and v6, dsr echo) x 3 backends" \
	gateway_setup

# A batch is all or nothing: a bad last line undoes the service added and
# the service deleted before it.
batch_rollback()
{
	local before after

	before=$("${X[@]}" -j service show) || return 1
	printf '%s\n' "service add 10.99.0.5:80/tcp" "backend add 10.99.0.5:80/tcp 10.10.101.2" \
		"service del $VIP:$P_HTTP/tcp" "backend add 10.99.0.77:80/tcp 10.10.101.2" \
		>"$XT_TMP/bad.batch"
	if "${X[@]}" -batch "$XT_TMP/bad.batch" 2>"$XT_TMP/bad.err"; then
		echo "bad batch accepted"
		return 1
	fi
	after=$("${X[@]}" -j service show) || return 1
	# same services, backends, ids, weights and states
	[ "$(jq -S 'map({service, id, mode, backends: [.backends[] | {addr, id, weight, state}]}) | sort_by(.service)' <<<"$before")" = \
	  "$(jq -S 'map({service, id, mode, backends: [.backends[] | {addr, id, weight, state}]}) | sort_by(.service)' <<<"$after")" ] ||
		{ echo "state changed"; diff <(echo "$before") <(echo "$after"); return 1; }
	grep -q "line 4" "$XT_TMP/bad.err" || { cat "$XT_TMP/bad.err"; return 1; }
}
xt_check "batch with a bad 4th line: refused, earlier service add/del rolled back" batch_rollback

# Backends were checked for the service's mode when added: changing the mode
# of a service that has backends is refused, and nothing changes.
mode_change_refused()
{
	local before after

	before=$("${X[@]}" -j service show) || return 1
	if "${X[@]}" service replace $VIP:$P_HTTP/tcp mode ipip 2>"$XT_TMP/mode.err"; then
		echo "mode change with backends accepted"
		return 1
	fi
	grep -q "has backends" "$XT_TMP/mode.err" || { cat "$XT_TMP/mode.err"; return 1; }
	after=$("${X[@]}" -j service show) || return 1
	[ "$before" = "$after" ] || { echo "service state changed"; return 1; }
}
xt_check "service replace: mode change refused while the service has backends" mode_change_refused

# HTTP GETs from the client: "beN" counts, one per line.
http_spread()
{
	local port=$1 host=${2:-$VIP} i

	for ((i = 0; i < NCONN; i++)); do
		ip netns exec "$LAB_CLIENT_NS" curl -s -m 2 "http://$host:$port/id" || echo fail
	done | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
}

for mode in dsr ipip dsr6 ipip6; do
	case $mode in
	dsr) port=$P_HTTP host=$VIP ;;
	ipip) port=$P_IPIP host=$VIP ;;
	dsr6) port=$P_HTTP6 host="[$VIP6]" ;;
	ipip6) port=$P_IPIP host="[$VIP6]" ;;
	esac
	spread=$(http_spread $port "$host")
	if [[ $spread != *fail* && $spread == *be1=* && $spread == *be2=* && $spread == *be3=* ]]; then
		xt_ok "$mode: $NCONN HTTP requests all answered, every backend used ($spread)"
	else
		xt_fail "$mode: $NCONN HTTP requests over three backends" "spread: $spread" \
			"$("${X[@]}" service show 2>&1)"
	fi
done

# ---- persistent connections: failure, recovery, drain ------------------------------
CLIENT_PY=$XT_TMP/client.py
cat >"$CLIENT_PY" <<'EOF'
# Runs in the client namespace. Keeps connections to VIP:PORT open and asks
# each which backend it is on; runs the scenario's shell steps itself.
import json, os, socket, subprocess, sys, time
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
env = os.environ

def out(kind, name, detail):
    print("%s %s | %s" % (kind, name, detail), flush=True)

def ask(c):
    try:
        c["s"].sendall(b"x\n")
        line = c["f"].readline().decode().strip()
        return line or "dead"
    except OSError:
        return "dead"

def connect():
    s = socket.create_connection((vip, port), timeout=2)
    c = {"s": s, "f": s.makefile("rb")}
    c["be"] = ask(c)
    return c

def state(be):
    j = json.loads(subprocess.check_output(env["STATE"], shell=True))
    for svc in j:
        if svc["service"] == "%s:%d/tcp" % (vip, port):
            for b in svc["backends"]:
                if b["addr"] == be:
                    return b["state"]
    return "?"

def wait_state(be, want, bound_ms):
    t0 = time.monotonic()
    while (time.monotonic() - t0) * 1000 < bound_ms + 3000:
        if state(be) == want:
            return int((time.monotonic() - t0) * 1000)
        time.sleep(0.1)
    return -1

def spread(conns):
    d = {}
    for c in conns:
        d[c["be"]] = d.get(c["be"], 0) + 1
    return " ".join("%s=%d" % kv for kv in sorted(d.items()))

conns = [connect() for _ in range(n)]
names = {c["be"] for c in conns}
out("ok" if names == {"be1", "be2", "be3"} else "fail",
    "%d persistent connections spread over all backends" % n, spread(conns))

# 1. be2's server dies: its connections die, it leaves within the bound
subprocess.run(env["KILL_BE2"], shell=True)
ms = wait_state(env["BE2"], "down", int(env["DOWN_BOUND_MS"]))
out("ok" if 0 <= ms <= int(env["DOWN_BOUND_MS"]) else "fail",
    "be2 stopped: down after %d ms (bound %s ms)" % (ms, env["DOWN_BOUND_MS"]), "")
moved_ok = kept = lost = 0
for c in conns:
    now = ask(c)
    if c["be"] == "be2":
        try:
            c["s"].close()
        except OSError:
            pass
        nc = connect()
        c.update(nc)
        moved_ok += c["be"] in ("be1", "be3")
    elif now == c["be"]:
        kept += 1
    else:
        lost += 1
n2 = sum(1 for c in conns if c["be"] != "be2")
out("ok" if lost == 0 and kept > 0 and moved_ok == n - kept else "fail",
    "others' connections stay up (%d kept, %d lost); be2's clients reconnect elsewhere (%d)"
    % (kept, lost, moved_ok), spread(conns))

# 2. be2 comes back after rise
subprocess.run(env["START_BE2"], shell=True)
ms = wait_state(env["BE2"], "up", int(env["UP_BOUND_MS"]))
fresh = [connect() for _ in range(n)]
out("ok" if 0 <= ms <= int(env["UP_BOUND_MS"]) and any(c["be"] == "be2" for c in fresh) else "fail",
    "be2 restarted: up after %d ms (bound %s ms), takes new connections" % (ms, env["UP_BOUND_MS"]),
    spread(fresh))
for c in fresh:
    c["s"].close()

# 3. drain be1: existing connections keep working, new ones avoid it
subprocess.run(env["DRAIN_BE1"], shell=True, check=True)
on_be1 = [c for c in conns if c["be"] == "be1"]
alive = sum(1 for c in on_be1 if ask(c) == "be1")
fresh = [connect() for _ in range(n)]
out("ok" if on_be1 and alive == len(on_be1) and not any(c["be"] == "be1" for c in fresh) else "fail",
    "drain be1: %d/%d of its connections still served, no new ones" % (alive, len(on_be1)),
    spread(fresh) + " state=" + state(env["BE1"]))
for c in fresh:
    c["s"].close()
subprocess.run(env["UNDRAIN_BE1"], shell=True, check=True)
fresh = [connect() for _ in range(n)]
out("ok" if any(c["be"] == "be1" for c in fresh) else "fail",
    "undrain be1: takes new connections again", spread(fresh))
for c in fresh:
    c["s"].close()

# 4. restart the gateway's xgwd: established connections carry on
before = [c["be"] for c in conns]
r = subprocess.run(env["RESTART_GW"], shell=True)
time.sleep(1.5)  # a health round after the restore
after = [ask(c) for c in conns]
same = sum(1 for a, b in zip(before, after) if a == b)
fresh = [connect() for _ in range(n)]
names = {c["be"] for c in fresh}
out("ok" if r.returncode == 0 and same == n and names == {"be1", "be2", "be3"} else "fail",
    "xgwd restarted: %d/%d connections still on their backend, new ones spread" % (same, n),
    spread(fresh))
EOF

export STATE="'$XT_BUILD/xgwctl' -s '$GW_SOCK' -j service show"
export BE1=10.10.101.2 BE2=10.10.102.2 DOWN_BOUND_MS UP_BOUND_MS
export KILL_BE2="kill \$(cat '$XT_TMP/echo2.pid')"
export START_BE2="nsenter --net=/var/run/netns/$XT_PFX-be2 python3 '$ECHO_PY' $P_ECHO be2 >/dev/null 2>&1 & echo \$! > '$XT_TMP/echo2.pid'"
xt_defer "kill \$(cat '$XT_TMP/echo2.pid') 2>/dev/null"
# Restart the gateway's daemon: it adopts the pinned maps and attached links;
# flows must not notice.
cat >"$XT_TMP/restart_gw.sh" <<EOF
pid=\$(cat '$XT_TMP/gw.pid')
kill \$pid
while kill -0 \$pid 2>/dev/null; do sleep 0.05; done
nsenter --net=/var/run/netns/$LAB_GW_NS '$XT_BUILD/xgwd' -f -c '$XT_TMP/gw.conf' -s '$GW_SOCK' \\
	-P /sys/fs/bpf/$XT_PFX-gw -m 127.0.0.1:$METRICS_PORT >>'$XT_TMP/gw.log' 2>&1 &
echo \$! > '$XT_TMP/gw.pid'
for i in \$(seq 600); do [ -S '$GW_SOCK' ] && exit 0; sleep 0.05; done
exit 1
EOF
export RESTART_GW="bash '$XT_TMP/restart_gw.sh'"
export DRAIN_BE1="'$XT_BUILD/xgwctl' -s '$GW_SOCK' backend set $VIP:$P_ECHO/tcp $BE1 drain"
export UNDRAIN_BE1="'$XT_BUILD/xgwctl' -s '$GW_SOCK' backend set $VIP:$P_ECHO/tcp $BE1 undrain"

# nsenter (not ip netns exec): the steps it runs must see the real /sys/fs/bpf
xt_nsenter "$LAB_CLIENT_NS" timeout 60 python3 "$CLIENT_PY" $VIP $P_ECHO $NCONN \
	>"$XT_TMP/client.out" 2>"$XT_TMP/client.err"
nres=0
while IFS= read -r line; do
	kind=${line%% *}
	rest=${line#* }
	name=${rest%% | *}
	detail=${rest#* | }
	nres=$((nres + 1))
	if [ "$kind" = ok ]; then
		xt_ok "$name${detail:+ ($detail)}"
	else
		xt_fail "$name" "$detail"
	fi
done <"$XT_TMP/client.out"
while [ $nres -lt 7 ]; do
	xt_fail "persistent-connection scenario step $((nres + 1)) did not run" \
		"$(tail -5 "$XT_TMP/client.err")" "$(grep -v libxdp "$XT_TMP/gw.log" | tail -5)"
	nres=$((nres + 1))
done

if grep -q "datapath adopted" "$XT_TMP/gw.log" && [ -S "$GW_SOCK" ] &&
   "${X[@]}" -j service show | grep -q '"id": 3'; then
	xt_ok "restarted xgwd adopted the pinned datapath and kept service ids"
else
	xt_fail "restarted xgwd adopted the pinned datapath" "$(grep -v libxdp "$XT_TMP/gw.log" | tail -6)"
fi

# ---- state changes are logged; metrics ----------------------------------------------
if grep -q "backend 10.10.102.2 is down" "$XT_TMP/gw.log" &&
   grep -q "backend 10.10.102.2 is up" "$XT_TMP/gw.log"; then
	xt_ok "health transitions logged"
else
	xt_fail "health transitions logged" "$(grep -v libxdp "$XT_TMP/gw.log" | tail -5)"
fi
m=$(ip netns exec "$LAB_GW_NS" curl -s -m 10 "http://127.0.0.1:$METRICS_PORT/metrics")
if grep -q "^xgw_backend_up{service=\"$VIP:$P_ECHO/tcp\",backend=\"10.10.102.2\"} 1" <<<"$m" &&
   grep -qE "^xgw_backend_new_flows_total\{service=\"$VIP:$P_HTTP/tcp\",backend=\"10.10.101.2\"\} [1-9]" <<<"$m"; then
	xt_ok "metrics: xgw_backend_up and per-backend new flows"
else
	xt_fail "metrics: xgw_backend_up and per-backend new flows" \
		"$(grep -E 'xgw_backend_(up|new_flows)' <<<"$m" | head -12)" \
		"$(grep -v libxdp "$XT_TMP/gw.log" | tail -12)"
fi
