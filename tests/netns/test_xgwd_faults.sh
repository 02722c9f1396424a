#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Faults around the state file (#14 reliability suite), xgwd in a private
# namespace:
# - kill -9 at random points of a 100k-route batch, several rounds: after
#   each restart the state is the old one or the new one, never a mix
#   (state file, route show and the IPv4 FIB agree), and no temp file is
#   left;
# - disk full (the state file on a small tmpfs): the change is refused and
#   undone, the file is untouched, no temp file; with room again it works;
# - a state file of 500k routes (1M in make fuzz; over the old 16 MiB cut):
#   every route back after kill -9 and restart, the IPv4 FIB byte-identical.
# XGW_FAULT_ROUNDS sets the kill rounds (default 6), XGW_FAULT_ROUTES the
# big state file's routes (default 500000, ~17.5 MB: over the old 16 MiB
# cut; make fuzz: 1000000, ~35 MB).
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl
FIBGET=$XT_BUILD/tests/netns/fibget
ROUNDS=${XGW_FAULT_ROUNDS:-6}
M=${XGW_FAULT_ROUTES:-500000}

xt_plan $((ROUNDS + 7))
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] && [ -x "$FIBGET" ] ||
	xt_skip_rest "no $XGWD, $XGWCTL or $FIBGET (run make)"

NS=${XT_PFX}ft
PIN=/sys/fs/bpf/${XT_PFX}ft
CONF=$XT_TMP/xgw.conf
SOCK=$XT_TMP/xgw.sock
XPID=

ctl() { "$XGWCTL" -s "$SOCK" "$@"; }
fib4() { "$FIBGET" "$PIN" "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

ip netns add "$NS" || { xt_fail "netns"; exit 1; }
xt_defer "ip netns del '$NS'"
xt_defer 'kill -9 $XPID 2>/dev/null; "$XGWD" --cleanup --pin-dir "$PIN"'
ip -n "$NS" link set lo up

# start [CONF]: the daemon in the foreground, in the background; waits
# until it answers.
start()
{
	rm -f "$SOCK"
	nsenter --net="/var/run/netns/$NS" "$XGWD" -f --config "${1:-$CONF}" --socket "$SOCK" \
		--pin-dir "$PIN" --metrics none >>"$XT_TMP/xgwd.log" 2>&1 &
	XPID=$!
	for _ in $(seq 1200); do
		[ -S "$SOCK" ] && ctl daemon show >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}
stop() { kill "-${1:-TERM}" "$XPID" 2>/dev/null; wait "$XPID" 2>/dev/null; XPID=; }

# N /24 blackholes from A.0.0.0 on: "route add" (or del) lines
routes() # N FIRST_OCTET add|del
{
	"$XT_PY" -c '
import sys
n, a, verb = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
tail = " blackhole" if verb == "add" else ""
for i in range(n):
    print("route %s %d.%d.%d.0/24%s" % (verb, a + i // 65536, i // 256 % 256, i % 256, tail))
' "$@"
}
# One address in every 1000th of those /24s.
samples() { routes "$1" "$2" add | awk 'NR % 1000 == 1 { split($3, p, "/"); sub(/0$/, "7", p[1]); print p[1] }'; }
# The state the batch leaves: "old" (none of it) or "new" (all of it), or
# what mix was found.
which_state() # N FIRST_OCTET
{
	local f r b n=$1 a=$2

	f=$(grep -c "^route add \($a\|$((a + 1))\)\.[0-9.]*/24 blackhole$" "$CONF")
	r=$(ctl -j route show | jq "[.[] | select(.type == \"blackhole\")] | length")
	# shellcheck disable=SC2046
	b=$(fib4 $(samples "$n" "$a") | grep -c ' blackhole$')
	if [ "$f" -eq 0 ] && [ "$r" -eq 0 ] && [ "$b" -eq 0 ]; then
		echo old
	elif [ "$f" -eq "$n" ] && [ "$r" -eq "$n" ] && [ "$b" -eq $(((n + 999) / 1000)) ]; then
		echo new
	else
		echo "mixed: file $f, route show $r, FIB samples $b"
	fi
}

start && xt_ok "xgwd starts" || xt_fail "xgwd starts" "$(cat "$XT_TMP/xgwd.log")"

# ---- kill -9 during a big batch ----------------------------------------------------------------
N=100000
routes $N 30 add >"$XT_TMP/add"
routes $N 30 del >"$XT_TMP/del"
t0=$(date +%s%N)
ctl -batch "$XT_TMP/add" >/dev/null
t_add=$(ms "$t0")
t0=$(date +%s%N)
ctl -batch "$XT_TMP/del" >/dev/null
t_del=$(ms "$t0")
xt_is "$(which_state $N 30)" old "a $N-route batch applies ($t_add ms) and deletes ($t_del ms)"
b=add
for r in $(seq "$ROUNDS"); do
	delay=$(( $(od -An -N2 -tu2 /dev/urandom) % (t_add + 200) ))
	ctl -batch "$XT_TMP/$b" >/dev/null 2>&1 &
	CPID=$!
	sleep "$(printf '0.%03d' $((delay % 1000)))"
	sleep $((delay / 1000))
	kill -9 "$XPID"
	wait "$CPID" 2>/dev/null
	wait "$XPID" 2>/dev/null
	tmp=$(ls "$CONF".tmp* 2>/dev/null)
	start
	got=$(which_state $N 30)
	left=$(ls "$CONF".tmp* 2>/dev/null)
	if { [ "$got" = old ] || [ "$got" = new ]; } && [ -z "$left" ]; then
		xt_ok "round $r: kill -9 $delay ms into the '$b' batch: state is $got, no temp file${tmp:+ (one was left: removed at start)}"
		# the batch took effect: the next round undoes it
		{ [ $b = add ] && [ "$got" = new ]; } && b=del && continue
		{ [ $b = del ] && [ "$got" = old ]; } && b=add
	else
		xt_fail "round $r: kill -9 $delay ms into the '$b' batch" "$got" "temp files: $left" \
			"$(tail -5 "$XT_TMP/xgwd.log")"
	fi
done
[ "$(which_state $N 30)" = new ] && ctl -batch "$XT_TMP/del" >/dev/null

# ---- disk full ------------------------------------------------------------------------------------
FULL=$XT_TMP/full
mkdir -p "$FULL" && mount -t tmpfs -o size=256k tmpfs "$FULL"
xt_defer "umount '$FULL'"
stop
cp "$CONF" "$FULL/xgw.conf"
start "$FULL/xgw.conf"
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
sum0=$(md5sum <"$FULL/xgw.conf")
! ctl route add 10.70.0.0/16 blackhole 2>"$XT_TMP/err" &&
	grep -q "No space left on device; change undone" "$XT_TMP/err" &&
	[ "$(fib4 10.70.0.1)" = "10.70.0.1 none" ] && [ "$(md5sum <"$FULL/xgw.conf")" = "$sum0" ] &&
	! ls "$FULL"/xgw.conf.tmp* >/dev/null 2>&1 &&
	xt_ok "disk full: the change is refused and undone, the file untouched, no temp file" ||
	xt_fail "disk full: the change is refused and undone, the file untouched, no temp file" \
		"$(cat "$XT_TMP/err")" "$(fib4 10.70.0.1)" "$(ls "$FULL")"
rm -f "$FULL/filler"
ctl route add 10.70.0.0/16 blackhole && [ "$(fib4 10.70.0.1)" = "10.70.0.1 blackhole" ] &&
	grep -q "^route add 10.70.0.0/16 blackhole$" "$FULL/xgw.conf" &&
	xt_ok "room again: the same change applies and is saved" ||
	xt_fail "room again: the same change applies and is saved"
ctl route del 10.70.0.0/16
stop
cp "$FULL/xgw.conf" "$CONF"
start

# ---- a big state file (1M routes in make fuzz), restarted ------------------------------------------------------------
routes $M 32 add >"$XT_TMP/big"
t0=$(date +%s%N)
ctl -batch "$XT_TMP/big" >/dev/null 2>"$XT_TMP/err"
t_big=$(ms "$t0")
size=$(stat -c %s "$CONF")
sum1=$(fib4 --sum)
n1=$(grep -c ' blackhole$' "$CONF")
[ "$n1" -eq $M ] && [ "$size" -gt $((16 << 20)) ] &&
	xt_ok "a $M-route batch (one request, $(stat -c %s "$XT_TMP/big") bytes) applies in $t_big ms; state file $size bytes" ||
	xt_fail "a $M-route batch applies" "$n1 routes, $size bytes" "$(cat "$XT_TMP/err")"
stop KILL
t0=$(date +%s%N)
start
t_restart=$(ms "$t0")
xt_diag "$M routes: batch $t_big ms, restart (replay and FIB commit) $t_restart ms"
xt_is "$(fib4 --sum)" "$sum1" "after kill -9 and restart ($t_restart ms): the IPv4 FIB is byte-identical"
xt_is "$(ctl -j route show | jq '[.[] | select(.type == "blackhole")] | length') $(ctl -j daemon show | jq -r .state)" \
	"$M ok" "every one of the $M routes is back, state ok"
stop
