#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Full NAT end to end with the real daemon and CLI: a lab with two backends
# that know nothing of any VIP (no address on lo, no decapsulation), TCP and
# UDP servers on ports other than the VIP's, nginx for wrk.
#
#  - TCP and UDP (IPv4) and TCP (IPv6) through nat services: every
#    connection answered, both backends used, and the backends see the
#    gateway's address on their link as the client, not the client;
#  - service show: mode nat, the NAT flows in use; metrics: xgw_nat_flows;
#  - a source pool (snat A-B): the backends see only pool addresses;
#  - persist: every connection of one client on one backend;
#  - port exhaustion: with nat-ports of two ports and a pool of one address,
#    a third flow is refused and counted nat_no_port, the two stay;
#  - the state file keeps mode nat, snat, persist and the settings;
#  - xgwd restarted over its pins: open NAT connections (through a pool)
#    carry on, new ones too;
#  - wrk through a NAT service to nginx: no error, figures printed.
. "$(dirname "$0")/lib.sh"

VIP=10.99.0.20
VIP6=fd00:99::20
BE_PORT=8080
NGINX_PORT=8081
NCONN=20

xt_plan 13
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] || xt_skip_rest "no xgwd/xgwctl in $XT_BUILD (run make)"
command -v jq >/dev/null || xt_skip_rest "no jq"

xt_lab_up --backends 2 || { xt_fail "lab up"; exit 1; }
xt_ok "lab $XT_PFX up with 2 backends"

X=("$XT_BUILD/xgwctl" -s "$XT_TMP/gw.sock")
SRV_PY="$XT_ROOT/tests/netns/lb_servers.py"

nginx_start()
{
	local i=$1 d=$XT_TMP/nginx$i

	mkdir -p "$d/www" && echo "be$i" >"$d/www/id" || return 1
	cat >"$d/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $d; proxy_temp_path $d; fastcgi_temp_path $d;
	uwsgi_temp_path $d; scgi_temp_path $d;
	server { listen $NGINX_PORT; listen [::]:$NGINX_PORT; root $d/www; }
}
EOF
	ip netns exec "$XT_PFX-be$i" nginx -c "$d/nginx.conf" || return 1
	xt_defer "kill \$(cat '$d/nginx.pid') 2>/dev/null"
}

setup()
{
	local i

	for i in 1 2; do
		for p in tcp udp; do
			nsenter --net="/var/run/netns/$XT_PFX-be$i" "$XT_PY" "$SRV_PY" $p $BE_PORT "be$i" \
				>/dev/null 2>&1 &
			xt_defer "kill $! 2>/dev/null"
		done
		if command -v nginx >/dev/null; then
			nginx_start $i || return 1
		fi
	done
	ip -n "$LAB_CLIENT_NS" route add $VIP/32 via "$LAB_GW_CLIENT_IP4" &&
	ip -n "$LAB_CLIENT_NS" route add 10.99.1.0/24 via "$LAB_GW_CLIENT_IP4" &&
	ip -n "$LAB_CLIENT_NS" -6 route add $VIP6/128 via "$LAB_GW_CLIENT_IP6" || return 1
	# the pool addresses are the gateway's: its kernel answers ARP for them
	ip -n "$LAB_GW_NS" addr add 10.99.1.1/32 dev lo &&
	ip -n "$LAB_GW_NS" addr add 10.99.1.2/32 dev lo &&
	ip -n "$LAB_GW_NS" addr add 10.99.1.9/32 dev lo || return 1
	xt_xgwd_start gw "$LAB_GW_NS" "127.0.0.1:$((20000 + $$ % 20000))" || return 1
	for dev in gw-c gw-b1 gw-b2; do
		"${X[@]}" link attach $dev || return 1
	done
	"${X[@]}" route add "$LAB_CLIENT_IP4" dev gw-c &&
	"${X[@]}" route add "$LAB_CLIENT_IP6" dev gw-c &&
	"${X[@]}" service add $VIP:80/tcp mode nat &&
	"${X[@]}" service add $VIP:53/udp mode nat &&
	"${X[@]}" service add "[$VIP6]:80/tcp" mode nat &&
	"${X[@]}" service add $VIP:81/tcp mode nat check http /id &&
	"${X[@]}" service add $VIP:82/tcp mode nat persist 60 &&
	"${X[@]}" service add $VIP:83/tcp mode nat snat 10.99.1.1-10.99.1.2 || return 1
	for i in 1 2; do
		"${X[@]}" backend add $VIP:80/tcp 10.10.10$i.2:$BE_PORT &&
		"${X[@]}" backend add $VIP:53/udp 10.10.10$i.2:$BE_PORT &&
		"${X[@]}" backend add "[$VIP6]:80/tcp" "[fd00:10:10$i::2]:$BE_PORT" &&
		"${X[@]}" backend add $VIP:81/tcp 10.10.10$i.2:$NGINX_PORT &&
		"${X[@]}" backend add $VIP:82/tcp 10.10.10$i.2:$BE_PORT &&
		"${X[@]}" backend add $VIP:83/tcp 10.10.10$i.2:$BE_PORT || return 1
	done
	sleep 0.5
}
xt_check "backends without VIPs (TCP, UDP servers on $BE_PORT, nginx), gateway with six nat services" setup

# ask PROTO HOST PORT N: N new flows asking "beN peer"; prints
# "name=count ... peers=a,b" (fail for an unanswered one)
ask()
{
	xt_nsenter "$LAB_CLIENT_NS" "$XT_PY" - "$@" <<'EOF'
import collections, socket, sys
proto, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
names, peers = collections.Counter(), set()
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
for _ in range(n):
    try:
        if proto == "tcp":
            s = socket.create_connection((host, port), timeout=2)
            f = s.makefile("rb")
            s.sendall(b"x\npeer\n")
            names[f.readline().decode().strip()] += 1
            peers.add(f.readline().decode().strip())
        else:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.settimeout(1)
            s.sendto(b"ping", (host, port))
            names[s.recv(100).decode()] += 1
            s.sendto(b"peer", (host, port))
            peers.add(s.recv(100).decode())
        s.close()
    except OSError:
        names["fail"] += 1
print(" ".join("%s=%d" % kv for kv in sorted(names.items())), "peers=" + ",".join(sorted(peers)))
EOF
}

# check_ask NAME PROTO HOST PORT WANT-PEERS-REGEX
check_ask()
{
	local out

	out=$(ask "$2" "$3" "$4" $NCONN)
	if [[ $out != *fail* && $out == *be1*=* && $out == *be2*=* && ${out##*peers=} =~ $5 ]]; then
		xt_ok "$1 ($out)"
	else
		xt_fail "$1" "got: $out" "$("${X[@]}" service show 2>&1 | head -20)"
	fi
}

check_ask "TCP over IPv4: $NCONN connections, both backends, which see the gateway's link address" \
	tcp $VIP 80 '^10\.10\.101\.1,10\.10\.102\.1$'
check_ask "UDP over IPv4: $NCONN flows answered, both backends, the gateway as the client" \
	udp $VIP 53 '^10\.10\.101\.1,10\.10\.102\.1$'
check_ask "TCP over IPv6: $NCONN connections, both backends, the gateway as the client" \
	tcp "$VIP6" 80 '^fd00:10:101::1,fd00:10:102::1$'
check_ask "snat 10.99.1.1-10.99.1.2: the backends see only pool addresses" \
	tcp $VIP 83 '^10\.99\.1\.[12](,10\.99\.1\.[12])?$'

persist_one()
{
	local out

	out=$(ask tcp $VIP 82 $NCONN)
	[[ $out =~ ^be[12]=$NCONN\ peers ]] || { echo "spread: $out"; return 1; }
}
xt_check "persist 60: $NCONN connections of one client on one backend" persist_one

show_and_metrics()
{
	local j m

	j=$("${X[@]}" -j service show $VIP:80/tcp) || return 1
	[ "$(jq -r '.[0].mode' <<<"$j")" = nat ] && [ "$(jq '.[0].nat_flows' <<<"$j")" -ge $NCONN ] &&
	[ "$(jq -r '.[0].backends[0].port' <<<"$j")" = $BE_PORT ] || { echo "$j"; return 1; }
	"${X[@]}" service show | grep -q "service $VIP:83/tcp .* mode nat .* snat 10.99.1.1-10.99.1.2" ||
		{ "${X[@]}" service show; return 1; }
	m=$(ip netns exec "$LAB_GW_NS" curl -s -m 5 "http://127.0.0.1:$((20000 + $$ % 20000))/metrics") || return 1
	grep -qE "^xgw_nat_flows\{service=\"$VIP:80/tcp\"\} [1-9]" <<<"$m" ||
		{ grep xgw_nat <<<"$m"; return 1; }
}
xt_check "service show: mode nat, nat-flows, the backend port, snat; metrics xgw_nat_flows" show_and_metrics

reason() { "${X[@]}" -j stats | jq "[.reasons[] | select(.reason == \"$1\") | .packets] | add // 0"; }

# Two UDP flows held open, then a third: with two ports on one address
# towards one backend, the third is refused.
exhaustion()
{
	local before out

	"${X[@]}" set nat-ports 40000-40001 &&
	"${X[@]}" service add $VIP:54/udp mode nat snat 10.99.1.9 check none &&
	"${X[@]}" backend add $VIP:54/udp 10.10.101.2:$BE_PORT || return 1
	before=$(reason nat_no_port)
	out=$(xt_nsenter "$LAB_CLIENT_NS" "$XT_PY" - $VIP 54 <<'EOF'
import socket, sys
vip, port = sys.argv[1], int(sys.argv[2])
res = []
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for s in socks:
    s.settimeout(0.5)
    s.sendto(b"peer", (vip, port))
    try:
        res.append(s.recv(100).decode())
    except socket.timeout:
        res.append("none")
print(" ".join(res))
EOF
)
	[[ $out =~ ^10\.99\.1\.9\ 10\.99\.1\.9\ none$ ]] || { echo "answers: $out"; return 1; }
	[ $(($(reason nat_no_port) - before)) -ge 1 ] || { echo "nat_no_port +$(($(reason nat_no_port) - before))"; return 1; }
	"${X[@]}" set nat-ports 1024-32767
}
xt_check "nat-ports 40000-40001, a pool of one: two flows, the third refused and counted nat_no_port" exhaustion

settings_state()
{
	local f=$XT_TMP/gw.conf

	"${X[@]}" set ct-tcp-established-timeout 1800 && "${X[@]}" set ct-tcp-time-wait-timeout 30 &&
	"${X[@]}" set ct-tcp-syn-timeout 20 && "${X[@]}" set ct-tcp-fin-timeout 40 &&
	"${X[@]}" set ct-tcp-close-timeout 5 || return 1
	grep -qx "service add $VIP:83/tcp mode nat table-size 65537 snat 10.99.1.1-10.99.1.2" "$f" &&
	grep -qx "service add $VIP:82/tcp mode nat table-size 65537 persist 60" "$f" &&
	grep -qx "backend add \\[$VIP6\\]:80/tcp \\[fd00:10:101::2\\]:$BE_PORT weight 1" "$f" &&
	grep -qx "set nat-ports 1024-32767" "$f" &&
	grep -qx "set ct-tcp-established-timeout 1800" "$f" &&
	grep -qx "set ct-tcp-time-wait-timeout 30" "$f" || { cat "$f"; return 1; }
	bpftool -j map lookup pinned "/sys/fs/bpf/$XT_PFX-gw/xgw_config" key 0 0 0 0 |
		jq -e '.formatted.value | .ct_tcp_est_s == 1800 and .ct_tcp_tw_s == 30 and
			.ct_tcp_syn_s == 20 and .ct_tcp_fin_s == 40 and .ct_tcp_close_s == 5 and
			.nat_port_min == 1024 and .nat_port_max == 32767' >/dev/null ||
		{ bpftool -j map lookup pinned "/sys/fs/bpf/$XT_PFX-gw/xgw_config" key 0 0 0 0; return 1; }
}
xt_check "settings reach xgw_config; the state file keeps nat services, ports, pools, settings" settings_state

# Connections through the pool stay open across a restart of xgwd.
restart_keeps()
{
	xt_nsenter "$LAB_CLIENT_NS" "$XT_PY" - $VIP 83 "$XT_TMP" <<'EOF'
import os, socket, subprocess, sys, time
vip, port, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conns = []
for _ in range(8):
    s = socket.create_connection((vip, port), timeout=2)
    f = s.makefile("rb")
    s.sendall(b"x\n")
    conns.append((s, f, f.readline()))
pid = int(open(tmp + "/gw.pid").read())
os.kill(pid, 15)
while os.path.exists("/proc/%d" % pid):
    time.sleep(0.05)
if os.path.exists(tmp + "/gw.sock"):
    os.unlink(tmp + "/gw.sock")
subprocess.Popen(os.environ["RESTART"], shell=True).wait()
for _ in range(400):
    if os.path.exists(tmp + "/gw.sock"):
        break
    time.sleep(0.05)
time.sleep(1.5)    # restored, the checker's first round done
same = 0
for s, f, name in conns:
    s.sendall(b"x\n")
    same += f.readline() == name
s = socket.create_connection((vip, port), timeout=2)
s.sendall(b"x\n")
fresh = s.makefile("rb").readline().strip()
print(same, fresh.decode())
sys.exit(0 if same == len(conns) and fresh.startswith(b"be") else 1)
EOF
}
export RESTART="nsenter --net=/var/run/netns/$LAB_GW_NS '$XT_BUILD/xgwd' -f -c '$XT_TMP/gw.conf' \
	-s '$XT_TMP/gw.sock' -P /sys/fs/bpf/$XT_PFX-gw -m none >>'$XT_TMP/gw.log' 2>&1 & echo \$! > '$XT_TMP/gw.pid'"
xt_check "xgwd restarted: 8 open NAT connections through the pool carry on, a new one works" restart_keeps

wrk_nat()
{
	local out rps

	command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "SKIP"; return 0; }
	out=$(ip netns exec "$LAB_CLIENT_NS" wrk -t1 -c8 -d3s "http://$VIP:81/id" 2>&1) || { echo "$out"; return 1; }
	rps=$(awk '/Requests\/sec/ { print int($2) }' <<<"$out")
	echo "# wrk through nat (1 thread, 8 connections, 3 s): $rps requests/s" >&3
	! grep -qE "Non-2xx|Socket errors" <<<"$out" && [ "${rps:-0}" -gt 100 ] || { echo "$out"; return 1; }
}
exec 3>&1
if command -v wrk >/dev/null && command -v nginx >/dev/null; then
	xt_check "wrk through a nat service to nginx on the backends: no error" wrk_nat
else
	xt_skip "wrk through a nat service" "wrk or nginx not installed"
fi

no_errors()
{
	[ -s "$XT_TMP/gw.log" ] || { echo "no log"; return 1; }
	! grep -iE "error|cannot" "$XT_TMP/gw.log" | grep -v libxdp
}
xt_check "no errors in the daemon's log" no_errors
