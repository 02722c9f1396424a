# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers of the xgwd suites on the lab (source after lib.sh and xt_plan):
# the lab and the daemon's files, start and stop the daemon in the
# gateway's network namespace (our mount namespace, so pins persist), read
# the FIBs, snapshot state and maps.
#
#   . "$(dirname "$0")/xgwd_lib.sh"	# XGWD XGWCTL FIBGET; skips without them
#   xgwd_lab [LAB OPTIONS]		# the lab; PIN CONF SOCK GW PIDF

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl
FIBGET=$XT_BUILD/tests/netns/fibget
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] && [ -x "$FIBGET" ] ||
	xt_skip_rest "no $XGWD, $XGWCTL or $FIBGET (run make)"

# Bring up the lab; the daemon's pin dir, state file, socket and pidfile.
# At exit the daemon stops and its pins go.
xgwd_lab()
{
	xt_lab_up "$@" || { xt_fail "lab up"; exit 1; }
	PIN=$LAB_PIN_DIR
	CONF=$XT_TMP/xgw.conf
	SOCK=$XT_TMP/xgw.sock
	GW=$LAB_GW_NS
	PIDF=$XT_TMP/xgwd.pid
	xt_defer 'xgwd_stop; gw "$XGWD" --cleanup --pin-dir "$PIN"'
}

gw() { xt_nsenter "$GW" "$@"; }
ctl() { "$XGWCTL" -s "$SOCK" "$@"; }
fib4() { "$FIBGET" "$PIN" "$@"; }

# Start the daemon (daemonized: returns once it serves).
xgwd_start()
{
	local out

	out=$(gw "$XGWD" --config "$CONF" --socket "$SOCK" --pin-dir "$PIN" "$@" 2>&1) ||
		{ echo "$out"; return 1; }
	echo "$out" | sed -n 's/.*running as pid \([0-9]*\).*/\1/p' >"$PIDF"
	[ -s "$PIDF" ]
}

# xgwd_stop [SIGNAL]: stop it and wait until it is gone.
xgwd_stop()
{
	local pid

	pid=$(cat "$PIDF" 2>/dev/null) && [ -n "$pid" ] || return 0
	kill "-${1:-TERM}" "$pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	rm -f "$PIDF"
}

# ping COUNT INTERVAL DST -> "transmitted received"
ping_count()
{
	ip netns exec "$LAB_CLIENT_NS" ping -n -q -c "$1" -i "$2" -W 1 "$3" 2>/dev/null |
		sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p'
}

# The program attached to a gateway device, "none" if none.
xdp_prog()
{
	gw ip -j link show dev "$1" |
		jq -r '.[0].xdp.prog.name // .[0].xdp.attached[0].prog.name // "none"'
}

# Map and state-file snapshot for "nothing changed" checks.
snapshot()
{
	local m

	cat "$CONF"
	echo "== xgw_fib bytes $(fib4 --sum)"
	# xgw_config.hz is measured by the connection-table sweeper (ctgc.c):
	# it may differ by a few from one start to the next
	echo "== xgw_config"
	bpftool map dump pinned "$PIN/xgw_config" -j | jq -cS '[.[].formatted.value | del(.hz)]'
	for m in xgw_nexthops xgw_tx_ports xgw_services; do
		echo "== $m"
		bpftool map dump pinned "$PIN/$m" -j | jq -cS 'sort_by(.key)'
	done
}

# wait_for EXPECTED CMD...: up to 3 s for CMD to print EXPECTED.
wait_for()
{
	local want=$1 i

	shift
	for i in $(seq 30); do [ "$("$@")" = "$want" ] && return 0; sleep 0.1; done
	return 1
}
