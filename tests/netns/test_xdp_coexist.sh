#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# xgw next to other XDP programs, with xdp-loader's own (xdp-tools'
# xdpfilt_alw_all, which passes everything). Where the kernel allows
# libxdp's dispatcher, both share the device whichever comes first, xgw at
# its --run-prio, and a restarted xgwd adopts its program inside the
# dispatcher. Where it does not (this 6.18 kernel refuses freplace loads:
# the README says why), neither replaces the other: each refuses with a
# clear error and the program already there keeps running; the sharing
# cases are then skips that say so.
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl
FILTER=/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o

xt_plan 6
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] || xt_skip_rest "no $XGWD or $XGWCTL (run make)"
command -v xdp-loader >/dev/null && [ -r "$FILTER" ] || xt_skip_rest "no xdp-tools (make deps)"

NS=${XT_PFX}xc
PIN=/sys/fs/bpf/${XT_PFX}xc
SOCK=$XT_TMP/xgw.sock
CONF=$XT_TMP/xgw.conf
ip netns add "$NS" || { xt_fail "netns"; exit 1; }
xt_defer "ip netns del $NS"
for i in 0 1 2; do
	ip -n "$NS" link add "xc$i" type veth peer name "xp$i"
	ip -n "$NS" link set "xc$i" up && ip -n "$NS" link set "xp$i" up
done
in_ns() { nsenter --net="/var/run/netns/$NS" "$@"; }
loader() { in_ns xdp-loader "$@"; }
xt_defer "for d in xc0 xc1 xc2; do nsenter --net=/var/run/netns/$NS xdp-loader unload \$d --all; done"
xt_defer "nsenter --net=/var/run/netns/$NS $XGWD --cleanup --pin-dir $PIN"
ctl() { "$XGWCTL" -s "$SOCK" "$@"; }
start()
{
	local out

	out=$(in_ns "$XGWD" --config "$CONF" --socket "$SOCK" --pin-dir "$PIN" --metrics none \
		--run-prio 40 2>&1)
	XPID=$(echo "$out" | sed -n 's/.*running as pid \([0-9]*\).*/\1/p')
	[ -n "$XPID" ] || { echo "$out"; return 1; }
}
stop() { kill "$XPID"; for _ in $(seq 50); do kill -0 "$XPID" 2>/dev/null || break; sleep 0.1; done; }
start || { xt_fail "xgwd starts"; exit 1; }
xt_defer 'kill $XPID'
# "PRIO NAME ..." of the programs in DEV's dispatcher (xdp-loader's " =>" rows)
progs() { loader status "$1" | awk '$1 == "=>" { print $2 " " $3 }' | sort -n | tr '\n' ' '; }
xdp_id() { in_ns ip -d link show "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }

# Does this kernel give libxdp a dispatcher? (xdp-loader says when not.)
probe=$(loader load -v -m native xc2 "$FILTER" 2>&1)
loader unload xc2 --all >/dev/null 2>&1
if grep -q "Compatibility check for dispatcher program failed" <<<"$probe"; then
	why=$(grep -o "Compatibility check for dispatcher program failed: .*" <<<"$probe")
	DISPATCHER=0
else
	DISPATCHER=1
fi

# xdp-loader first, then xgw
loader load -m native xc0 "$FILTER" >/dev/null 2>&1
before=$(xdp_id xc0)
out=$(ctl link attach xc0 2>&1)
rc=$?
if [ $DISPATCHER = 1 ]; then
	xt_is "$rc:$(progs xc0)" "0:40 xgw_xdp 50 xdpfilt_alw_all " \
		"xdp-loader's program, then xgw: both in the dispatcher, xgw at run prio 40"
	xt_skip "xgw refuses to replace a program outside a dispatcher" "the kernel has a dispatcher"
else
	xt_skip "xdp-loader's program, then xgw: both in the dispatcher" "no dispatcher here ($why)"
	xt_is "$rc:$(xdp_id xc0)" "1:$before" \
		"no dispatcher: xgw refuses to replace xdp-loader's program, which keeps running ($out)"
fi

# xgw first, then xdp-loader
ctl link attach xc1 >/dev/null
before=$(xdp_id xc1)
out=$(loader load -m native xc1 "$FILTER" 2>&1)
rc=$?
if [ $DISPATCHER = 1 ]; then
	xt_is "$rc:$(progs xc1)" "0:40 xgw_xdp 50 xdpfilt_alw_all " \
		"xgw, then xdp-loader's program: both in the dispatcher"
	xt_skip "xdp-loader refuses to replace xgw" "the kernel has a dispatcher"
else
	xt_skip "xgw, then xdp-loader's program: both in the dispatcher" "no dispatcher here ($why)"
	xt_is "$([ $rc -ne 0 ] && echo refused):$(xdp_id xc1)" "refused:$before" \
		"no dispatcher: xdp-loader cannot replace xgw, which keeps running" || xt_diag "$out"
fi

# A restart adopts what is attached (in the dispatcher or alone).
ids="$(xdp_id xc0) $(xdp_id xc1)"
stop
start || xt_fail "xgwd restarts"
want='[{"dev":"xc1","adopted":true}]'
[ $DISPATCHER = 0 ] || want='[{"dev":"xc0","adopted":true},{"dev":"xc1","adopted":true}]'
xt_is "$(ctl -j link show | jq -c '[.[] | {dev, adopted}]'):$(xdp_id xc0) $(xdp_id xc1)" \
	"$want:$ids" "a restarted xgwd adopts its program; nothing is reloaded"
# The first attachment learns whether a dispatcher exists; later ones
# attach the daemon's own program when none does (no second load).
ctl link attach xc2 >/dev/null
xt_is "$(loader status xc2 | awk '$1 == "xc2" { print $2 }')" xgw_xdp "xgw attaches to a free device"
