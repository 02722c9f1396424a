#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Same backend from any gateway (#13.2): two labs, each a gateway with its
# own xgwd, the same service and the same four backends (addresses, weights)
# configured in different orders, with ids shifted on one of them by a
# service added and deleted first.
#
#  - `service show VIP table -j` is byte-identical on both, the backend ids
#    are not, and the digest in `service show` is the table's;
#  - TCP packets that are not SYNs, of flows neither gateway has seen (as
#    after an ECMP change), are forwarded by both (forward_lb), each flow to
#    the same backend on both gateways (the one whose counter moved), and
#    that backend is the one an independent Python model of the flow hash
#    and the canonical table picks;
#  - draining a backend on one gateway only makes the digests differ;
#    undraining makes them equal again.
. "$(dirname "$0")/lib.sh"

VIP=10.99.0.7
PORT=80
NFLOWS=64

xt_plan 8
METRICS_PORT=$((20000 + $$ % 20000))
xt_require_root
[ -x "$XT_BUILD/xgwd" ] && [ -x "$XT_BUILD/xgwctl" ] || xt_skip_rest "no xgwd/xgwctl in $XT_BUILD (run make)"
command -v jq >/dev/null || xt_skip_rest "no jq"

# Two labs, A and B: identical addressing, so a client flow is the same
# 5-tuple through either gateway.
declare -A GW_NS CLIENT_NS GW_CLIENT_IP4
lab_up()
{
	local g

	for g in a b; do
		XGW_LAB_PREFIX=$XT_PFX$g "$XT_ROOT/tools/lab" up --backends 4 >/dev/null || return 1
		xt_defer "XGW_LAB_PREFIX=$XT_PFX$g '$XT_ROOT/tools/lab' down"
		eval "$(XGW_LAB_PREFIX=$XT_PFX$g "$XT_ROOT/tools/lab" env)" || return 1
		GW_NS[$g]=$LAB_GW_NS
		CLIENT_NS[$g]=$LAB_CLIENT_NS
		GW_CLIENT_IP4[$g]=$LAB_GW_CLIENT_IP4
		ip -n "$LAB_CLIENT_NS" route add $VIP/32 via "$LAB_GW_CLIENT_IP4" || return 1
	done
}
# The daemons start inside xt_check's subshell, where their own cleanup is
# lost: their pins go here (before the labs go down and kill the daemons).
xt_defer "rm -rf /sys/fs/bpf/$XT_PFX-gwa /sys/fs/bpf/$XT_PFX-gwb"
# not in xt_check's subshell: the variables must stay
if lab_up >"$XT_TMP/lab.out" 2>&1; then
	xt_ok "two labs (gateway, client, four backends each) up"
else
	xt_fail "two labs up" "$(tail -5 "$XT_TMP/lab.out")"
	xt_skip_rest "no lab"
fi

ctl() { "$XT_BUILD/xgwctl" -s "$XT_TMP/gw$1.sock" "${@:2}"; }

# backend I's address and weight
be_addr() { echo "10.10.10$1.2"; }
be_weight() { echo $(( (($1 * 7) % 4) + 1 )); }

gateways_setup()
{
	local g i dev

	for g in a b; do
		xt_xgwd_start "gw$g" "${GW_NS[$g]}" "127.0.0.1:$METRICS_PORT" || return 1
		for dev in gw-c gw-b1 gw-b2 gw-b3 gw-b4; do
			ctl $g link attach $dev || return 1
		done
	done
	# A: ids used up by a service that comes and goes
	ctl a service add 10.99.0.8:80/tcp &&
	for i in 1 2 3 4; do ctl a backend add 10.99.0.8:80/tcp "$(be_addr $i)" check none || return 1; done
	ctl a service del 10.99.0.8:80/tcp || return 1
	ctl a service add $VIP:$PORT/tcp check none || return 1
	for i in 1 2 3 4; do
		ctl a backend add $VIP:$PORT/tcp "$(be_addr $i)" weight "$(be_weight $i)" || return 1
	done
	# B: the other way round, weights set after the fact
	ctl b service add $VIP:$PORT/tcp check none || return 1
	for i in 4 3 2 1; do
		ctl b backend add $VIP:$PORT/tcp "$(be_addr $i)" || return 1
	done
	for i in 2 4 1 3; do
		ctl b backend set $VIP:$PORT/tcp "$(be_addr $i)" weight "$(be_weight $i)" || return 1
	done
}
xt_check "gateways: same service and backends, added in other orders" gateways_setup

table() { ctl "$1" -j service show $VIP:$PORT/tcp table; }
ids() { ctl "$1" -j service show | jq -c '[.[0].backends[] | {addr, id}] | sort_by(.addr)'; }
digest() { ctl "$1" -j service show | jq -r '.[0].table_digest'; }

tables_identical()
{
	local ta tb

	ta=$(table a) && tb=$(table b) || return 1
	[ "$(jq '.slots | length' <<<"$ta")" = 65537 ] || { echo "not 65537 slots"; return 1; }
	[ "$(jq '[.slots[] | select(. < 0)] | length' <<<"$ta")" = 0 ] || { echo "empty slots"; return 1; }
	[ "$ta" = "$tb" ] || { echo "tables differ"; diff <(jq -c .backends <<<"$ta") <(jq -c .backends <<<"$tb"); return 1; }
	[ "$(ids a)" != "$(ids b)" ] || { echo "ids are the same: the test proves nothing"; ids a; return 1; }
	[ "$(digest a)" = "$(jq -r .table_digest <<<"$ta")" ] &&
	[ "$(digest b)" = "$(digest a)" ] || { echo "digests: $(digest a) $(digest b)"; return 1; }
	echo "$ta" >"$XT_TMP/table.json"
}
xt_check "service show ... table byte-identical on both gateways (other ids), digests agree" \
	tables_identical

# NFLOWS TCP ACKs (no SYN), one per source port, from the client of lab G,
# one at a time: "sport backend-address" for each, the backend being the one
# whose packet counter moved on gateway G.
flows_via()
{
	STATE="'$XT_BUILD/xgwctl' -s '$XT_TMP/gw$1.sock' -j service show $VIP:$PORT/tcp" \
	xt_nsenter "${CLIENT_NS[$1]}" "$XT_PY" - "$VIP" "$PORT" "$NFLOWS" <<'EOF'
import json, os, socket, struct, subprocess, sys, time
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def counts():
    j = json.loads(subprocess.check_output(os.environ["STATE"], shell=True))
    return {b["addr"]: b["packets"] for b in j[0]["backends"]}
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
before = counts()
for i in range(n):
    # sport, dport, seq, ack, offset 5, flags ACK, window, csum (unchecked), urg
    s.sendto(struct.pack("!HHIIBBHHH", 30000 + i, port, 1000 + i, 1, 5 << 4, 0x10,
                         1024, 0, 0), (vip, 0))
    for _ in range(50):
        after = counts()
        moved = [a for a in after if after[a] != before.get(a, 0)]
        if moved:
            break
        time.sleep(0.01)
    print(30000 + i, " ".join(moved) or "none")
    before = after
EOF
}

fwd_lb() { ctl "$1" -j stats | jq '[.reasons[] | select(.reason == "forward_lb") | .packets] | add // 0'; }

# What the flow hash (common/lbhash.h, here in Python) and the canonical
# table say: "sport backend-address" per flow.
model_flows()
{
	"$XT_PY" - "$XT_TMP/table.json" "$VIP" "$PORT" "$NFLOWS" "$LAB_CLIENT_IP4" <<'EOF'
import json, socket, struct, sys
t = json.load(open(sys.argv[1]))
vip, port, n, client = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
M32 = 0xffffffff
def rotl(x, r): return ((x << r) | (x >> (32 - r))) & M32
def mix(h, k):
    k = (k * 0xcc9e2d51) & M32; k = rotl(k, 15); k = (k * 0x1b873593) & M32
    h ^= k; h = rotl(h, 13); return (h * 5 + 0xe6546b64) & M32
def final(h, ln):
    h ^= ln; h ^= h >> 16; h = (h * 0x85ebca6b) & M32; h ^= h >> 13
    h = (h * 0xc2b2ae35) & M32; h ^= h >> 16; return h
def word(addr): return struct.unpack("<I", socket.inet_aton(addr))[0]  # as stored, read by the host
def host16(v): return struct.unpack("<H", struct.pack(">H", v))[0]     # a __be16 read by the host
for i in range(n):
    sport = 30000 + i
    h = 0x78677731
    for w in (word(client), 0, 0, 0, word(vip), 0, 0, 0):
        h = mix(h, w)
    h = mix(h, (host16(sport) << 16) | host16(port))
    h = mix(h, (6 << 8) | socket.AF_INET)
    slot = final(h, 40) % t["table_size"]
    print(sport, t["backends"][t["slots"][slot]]["backend"])
EOF
}

flows_agree()
{
	local before_a before_b a b m spread

	before_a=$(fwd_lb a) && before_b=$(fwd_lb b) || return 1
	a=$(flows_via a | sort) && b=$(flows_via b | sort) && m=$(model_flows | sort) || return 1
	[ $(($(fwd_lb a) - before_a)) -ge $NFLOWS ] && [ $(($(fwd_lb b) - before_b)) -ge $NFLOWS ] ||
		{ echo "forward_lb: a +$(($(fwd_lb a) - before_a)) b +$(($(fwd_lb b) - before_b)), want +$NFLOWS"; return 1; }
	[ "$(wc -l <<<"$a")" = $NFLOWS ] || { echo "gateway a: $(wc -l <<<"$a") flows"; return 1; }
	[ "$a" = "$b" ] || { echo "backends differ between gateways"; diff <(echo "$a") <(echo "$b") | head; return 1; }
	[ "$a" = "$m" ] || { echo "datapath and model differ"; diff <(echo "$a") <(echo "$m") | head; return 1; }
	spread=$(awk '{ print $2 }' <<<"$a" | sort -u | wc -l)
	[ "$spread" = 4 ] || { echo "flows reached $spread backends"; return 1; }
}
xt_check "$NFLOWS non-SYN flows unknown to both gateways: forwarded through Maglev, same backend on both (= the Python model)" \
	flows_agree

metrics_digest()
{
	local m g

	for g in a b; do
		m=$(ip netns exec "${GW_NS[$g]}" curl -s -m 5 "http://127.0.0.1:$METRICS_PORT/metrics") || return 1
		grep -qx "xgw_service_table_info{service=\"$VIP:$PORT/tcp\",digest=\"$(digest $g)\"} 1" <<<"$m" ||
			{ grep xgw_service_table_info <<<"$m"; return 1; }
	done
}
xt_check "metrics: xgw_service_table_info carries the same digest on both gateways" metrics_digest

drain_diverges()
{
	ctl a backend set $VIP:$PORT/tcp "$(be_addr 2)" drain || return 1
	[ "$(digest a)" != "$(digest b)" ] || { echo "drain on a alone left the digests equal"; return 1; }
	[ "$(table a)" != "$(table b)" ] || { echo "tables still identical"; return 1; }
	ctl a backend set $VIP:$PORT/tcp "$(be_addr 2)" undrain || return 1
	[ "$(digest a)" = "$(digest b)" ] && [ "$(table a)" = "$(table b)" ] ||
		{ echo "undrained: digests $(digest a) $(digest b)"; return 1; }
}
xt_check "drain on one gateway only: digests differ; undrain: identical again" drain_diverges

# the digest follows the restart: same table, ids kept
restart_same()
{
	local d0

	d0=$(digest a)
	kill "$(cat "$XT_TMP/gwa.pid")" || return 1
	while kill -0 "$(cat "$XT_TMP/gwa.pid")" 2>/dev/null; do sleep 0.05; done
	rm -f "$XT_TMP/gwa.sock"
	xt_xgwd_start gwa "${GW_NS[a]}" || return 1
	sleep 1.5	# the table is published after the restore, by the checker's first round
	[ "$(digest a)" = "$d0" ] && [ "$(table a)" = "$(table b)" ] ||
		{ echo "after restart: $(digest a), was $d0"; return 1; }
}
xt_check "gateway A's xgwd restarted over its pins: the same table and digest" restart_same

no_leftover_errors()
{
	[ -s "$XT_TMP/gwa.log" ] && [ -s "$XT_TMP/gwb.log" ] || { echo "no logs"; return 1; }
	! grep -iE "error|cannot" "$XT_TMP/gwa.log" "$XT_TMP/gwb.log" | grep -v libxdp
}
xt_check "no errors in either daemon's log" no_leftover_errors
