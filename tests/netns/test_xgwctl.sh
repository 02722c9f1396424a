#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# xgwctl against a real xgwd: the daemon runs in a private network
# namespace of its own (a veth pair, nothing of the host's) with a private
# socket, pin dir and state file. Every class of mistake exits non-zero
# with one stderr line naming the bad word and changes nothing (the state
# file and the pinned route/next-hop maps compared byte for byte, the IPv4
# FIB's arrays by digest); -batch is all or nothing and names the file's
# line, a full IPv4 FIB included; -j output parses with jq; help for every
# object; abbreviations as ip(8) takes them.
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl
FIBGET=$XT_BUILD/tests/netns/fibget

xt_plan 70
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] && [ -x "$FIBGET" ] ||
	xt_skip_rest "no $XGWD, $XGWCTL or $FIBGET (run make)"

NS=${XT_PFX}ctl
PIN=/sys/fs/bpf/${XT_PFX}ctl
CONF=$XT_TMP/xgw.conf
SOCK=$XT_TMP/xgw.sock
XGWD_PID=

ctl() { "$XGWCTL" -s "$SOCK" "$@"; }

ip netns add "$NS" || { xt_fail "netns $NS"; exit 1; }
xt_defer "ip netns del '$NS'"
# The next hops 10.77.0.2 and fd77::2 are permanent neighbours (xb's MAC), so
# xgwd resolves them at once and nothing changes the maps behind our back.
ip -n "$NS" link add xa type veth peer name xb address 02:00:00:77:00:02 &&
	ip -n "$NS" addr add 10.77.0.1/24 dev xa &&
	ip -n "$NS" addr add fd77::1/64 dev xa nodad &&
	ip -n "$NS" link set xa up && ip -n "$NS" link set xb up &&
	ip -n "$NS" neigh add 10.77.0.2 lladdr 02:00:00:77:00:02 dev xa nud permanent &&
	ip -n "$NS" neigh add fd77::2 lladdr 02:00:00:77:00:02 dev xa nud permanent ||
	{ xt_fail "veth pair in $NS"; exit 1; }

# ---- no daemon ------------------------------------------------------------------------
# expect_err NAME TOKEN CMD...: fails, nothing on stdout, one stderr line
# that contains TOKEN.
expect_err()
{
	local name=$1 token=$2 rc

	shift 2
	"$@" >"$XT_TMP/out" 2>"$XT_TMP/err"
	rc=$?
	if [ $rc -ne 0 ] && [ ! -s "$XT_TMP/out" ] && [ "$(wc -l <"$XT_TMP/err")" -eq 1 ] &&
		grep -qF -- "$token" "$XT_TMP/err"; then
		xt_ok "$name"
	else
		xt_fail "$name" "command: $*" "exit $rc, want non-zero and one line naming '$token'" \
			"stderr: $(cat "$XT_TMP/err")" "stdout: $(head -3 "$XT_TMP/out")"
	fi
}

"$XGWCTL" -s "$SOCK" route show >/dev/null 2>"$XT_TMP/err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$XT_TMP/err")" -eq 1 ] && grep -qF "$SOCK" "$XT_TMP/err" &&
	xt_ok "no daemon: exit 1, one line naming the socket" ||
	xt_fail "no daemon: exit 1, one line naming the socket" "exit $rc" "$(cat "$XT_TMP/err")"
out=$("$XGWCTL" -j -s "$SOCK" route show 2>&1 >/dev/null)
echo "$out" | jq -e --arg s "$SOCK" '.error | contains($s)' >/dev/null 2>&1 &&
	xt_ok "no daemon, -j: {\"error\"} naming the socket" ||
	xt_fail "no daemon, -j: {\"error\"} naming the socket" "$out"
expect_err "no daemon: a bad prefix is still refused first, by name" "10.1.0.0/33" \
	ctl route add 10.1.0.0/33 blackhole

# ---- start the daemon in the namespace ---------------------------------------------------
# nsenter --net keeps our mount namespace, so the pins stay visible here.
# A plain command (not the xt_nsenter function, which would run in a
# subshell) so that $! is xgwd itself: nsenter execs it.
nsenter --net="/var/run/netns/$NS" "$XGWD" --foreground --config "$CONF" --socket "$SOCK" \
	--pin-dir "$PIN" --metrics none >"$XT_TMP/xgwd.log" 2>&1 &
XGWD_PID=$!
xt_defer "kill $XGWD_PID; for i in \$(seq 50); do kill -0 $XGWD_PID || break; sleep 0.1; done;
	xt_nsenter '$NS' '$XGWD' --cleanup --pin-dir '$PIN'; rm -rf '$PIN'"
for _ in $(seq 600); do
	ctl route show >/dev/null 2>&1 && break
	kill -0 "$XGWD_PID" 2>/dev/null || break
	sleep 0.1
done
ctl route show >/dev/null 2>&1 && xt_ok "xgwd serves on its socket" ||
	{ xt_fail "xgwd serves on its socket" "$(tail -5 "$XT_TMP/xgwd.log")"; exit 1; }

setup()
{
	ctl link attach xa &&
	ctl route add 10.80.0.0/16 via 10.77.0.2 &&
	ctl route add 10.81.0.1 blackhole &&
	ctl route add 10.82.0.0/24 dev xa &&
	ctl route add fd80::/32 via fd77::2 dev xa &&
	ctl set latency-sample 16
}
xt_check "attach and routes pushed" setup
resolved() { ctl -j neigh show | jq -r '[.[] | select(.resolved) | .addr] | sort | join(" ")'; }
for _ in $(seq 30); do [ "$(resolved)" = "10.77.0.2 fd77::2" ] && break; sleep 0.1; done
xt_is "$(resolved)" "10.77.0.2 fd77::2" "next hops resolved from the neighbour table"
xt_is "$(ctl -j route show | jq -r '[.[] | select(.type != "local") | .dst] | sort | join(" ")')" \
	"10.80.0.0/16 10.81.0.1 10.82.0.0/24 fd80::/32" "route show -j lists what was added"

# ---- bad input changes nothing -------------------------------------------------------------
# The FIBs (both families) by digest: fib.sum of their lookup arrays'
# bytes, fib.answers of what they mean (which chunks written and released
# again leave as they were, though not every byte).
MAPS="xgw_nexthops xgw_config"
snapshot() # DIR
{
	local m

	mkdir -p "$1"
	cp "$CONF" "$1/conf"
	"$FIBGET" "$PIN" --sum >"$1/fib.sum" && "$FIBGET" "$PIN" --answers >"$1/fib.answers" ||
		return 1
	for m in $MAPS; do
		bpftool -j map dump pinned "$PIN/$m" >"$1/$m" || return 1
	done
	# xgw_config.hz is measured by the connection-table sweeper (ctgc.c) a
	# second after the start, maybe after the first snapshot: not compared
	jq -cS '[.[].formatted.value | del(.hz)]' "$1/xgw_config" >"$1/xgw_config.nohz" &&
		mv "$1/xgw_config.nohz" "$1/xgw_config"
}
same_as() # DIR [answers]: state file and maps byte-identical to the snapshot
{
	local m bad=() fib=fib.sum

	[ "${2:-}" = answers ] && fib=fib.answers
	snapshot "$XT_TMP/now" || return 1
	cmp -s "$1/conf" "$XT_TMP/now/conf" || bad+=(conf)
	for m in $fib fib.answers $MAPS; do
		cmp -s "$1/$m" "$XT_TMP/now/$m" || bad+=("$m")
	done
	[ ${#bad[@]} -eq 0 ] || { echo "differ: ${bad[*]}"; diff "$1/conf" "$XT_TMP/now/conf"; return 1; }
}
snapshot "$XT_TMP/before" && [ -s "$XT_TMP/before/fib.sum" ] && [ -s "$XT_TMP/before/xgw_nexthops" ] &&
	grep -q '^route add 10.80.0.0/16 via 10.77.0.2$' "$XT_TMP/before/conf" &&
	xt_ok "snapshot of the state file and pinned maps" ||
	xt_fail "snapshot of the state file and pinned maps" "$(ls -l "$XT_TMP/before")"
# what the datapath answers for a host route, a prefix, an own address, no
# route, and an IPv6 prefix
nh80=$(ctl -j route show | jq -r '.[] | select(.dst == "10.80.0.0/16") | .nh_id')
nh80v6=$(ctl -j route show | jq -r '.[] | select(.dst == "fd80::/32") | .nh_id')
fib4_before=$("$FIBGET" "$PIN" 10.81.0.1 10.80.3.4 10.77.0.1 10.79.0.1 fd80::3)
xt_is "$fib4_before" "10.81.0.1 blackhole
10.80.3.4 nexthop $nh80
10.77.0.1 local own
10.79.0.1 none
fd80::3 nexthop $nh80v6" "fibget: host route, prefix, own address, no route, IPv6 prefix"

expect_err "bad prefix length" "10.90.0.0/33" ctl route add 10.90.0.0/33 blackhole
expect_err "host bits beyond the length" "10.90.0.1/16" ctl route add 10.90.0.1/16 blackhole
expect_err "bad IPv6 prefix" "fd90:::/32" ctl route add fd90:::/32 blackhole
expect_err "bad next-hop address" "10.77.0.300" ctl route add 10.90.0.0/16 via 10.77.0.300
expect_err "next hop of the other family" "10.77.0.2" ctl route add fd90::/32 via 10.77.0.2
expect_err "unknown device in a route" "nosuch0" ctl route add 10.90.0.0/16 via 10.77.0.2 dev nosuch0
expect_err "device not attached" "xb" ctl route add 10.90.0.0/16 dev xb
expect_err "invalid device name" "a/b" ctl route add 10.90.0.0/16 dev a/b
expect_err "unknown device to attach" "nosuch0" ctl link attach nosuch0
expect_err "attach twice" "xa" ctl link attach xa
expect_err "detach what is not attached" "xb" ctl link detach xb
expect_err "unknown object" "routes" ctl routes show
expect_err "unknown command" "frob" ctl route frob 10.90.0.0/16
expect_err "unknown keyword" "gateway" ctl route add 10.90.0.0/16 gateway 10.77.0.2
expect_err "ambiguous abbreviation names the candidates" "stats, set, service" ctl s show
expect_err "trailing word" "extra" ctl route show extra
expect_err "missing argument after via" "via" ctl route add 10.90.0.0/16 via
expect_err "missing prefix" "PREFIX" ctl route add
expect_err "missing route type" "10.90.0.0/16" ctl route add 10.90.0.0/16
expect_err "blackhole with a next hop" "blackhole" ctl route add 10.90.0.0/16 via 10.77.0.2 blackhole
expect_err "duplicate route" "10.80.0.0/16" ctl route add 10.80.0.0/16 via 10.77.0.2
expect_err "duplicate host route" "10.81.0.1" ctl route add 10.81.0.1 blackhole
expect_err "delete an absent route" "10.99.0.0/16" ctl route del 10.99.0.0/16
expect_err "delete with the wrong length" "10.80.0.0/24" ctl route del 10.80.0.0/24
expect_err "setting out of range" "-1" ctl set latency-sample -1
expect_err "unknown setting" "latency-samples" ctl set latency-samples 3
expect_err "bad service port" "10.0.0.1:0/tcp" ctl service add 10.0.0.1:0/tcp
expect_err "backend of an absent service" "10.0.0.1:80/tcp" ctl backend del 10.0.0.1:80/tcp 10.77.0.5
expect_err "unknown option" "-x" ctl -x route show
out=$(ctl -j route add 10.90.0.0/33 blackhole 2>&1 >/dev/null)
echo "$out" | jq -e '.error | contains("10.90.0.0/33")' >/dev/null 2>&1 &&
	xt_ok "-j: the error is {\"error\": ...} naming the token" ||
	xt_fail "-j: the error is {\"error\": ...} naming the token" "$out"
xt_check "state file and maps byte-identical after every bad command" same_as "$XT_TMP/before"

# ---- -batch: all or nothing ---------------------------------------------------------------
printf '# routes\nroute add 10.91.0.0/16 via 10.77.0.2\n\nroute add 10.92.0.0/16 blackhole\nroute add 10.93.0.0/33 blackhole\nroute add 10.94.0.0/16 blackhole\n' \
	>"$XT_TMP/bad1"
expect_err "batch with a bad prefix names file line 5" "line 5:" ctl -batch "$XT_TMP/bad1"
# valid words, refused by xgwd only after two lines were applied: rolled back
printf 'route add 10.91.0.0/16 via 10.77.0.2\nroute add 10.92.0.0/16 blackhole\n# dup\nroute add 10.80.0.0/16 blackhole\n' \
	>"$XT_TMP/bad2"
expect_err "batch with a duplicate names line 4" "line 4:" ctl -batch "$XT_TMP/bad2"
printf 'route add 10.91.0.0/16 via 10.77.0.2\nroute del 10.98.0.0/16\n' >"$XT_TMP/bad3"
expect_err "batch deleting an absent route names line 2" "line 2:" ctl -batch "$XT_TMP/bad3"
xt_check "failed batches changed nothing (file and maps byte-identical)" same_as "$XT_TMP/before"
# IPv6 host routes whose keys all fall in one bucket of the host hash
# (XGW_FIB6_HD buckets of 2 keys, a key lives within XGW_FIB_PROBES
# buckets of its own): one more than fit there. The batch is refused as a
# whole, naming the limit, and nothing of it stays (chunks written for it
# released: the answers are as they were).
python3 - "$XT_ROOT/common/xgw_shared.h" >"$XT_TMP/full" <<'PY'
import re, sys
h = open(sys.argv[1]).read()
def define(name):
    return eval(re.search(r"#define %s\s+(\S.*?)\s*(/\*|$)" % name, h, re.M).group(1).replace("u", ""))
nb, probes, M = define("XGW_FIB6_HD"), define("XGW_FIB_PROBES"), (1 << 64) - 1
def bucket(hi, lo, ln):	# xgw_fib_hashd()
    x = (hi * 0x9e3779b97f4a7c15) & M
    x ^= (lo * 0xc2b2ae3d27d4eb4f) & M
    x ^= (ln * 0x165667b19e3779f9) & M
    return (x >> 32) & (nb - 1)
hi, want, i, n = 0xfd950000 << 32, None, 0, 0
while n < 2 * probes + 1:
    i += 1
    if want is None:
        want = bucket(hi, i, 128)
    if bucket(hi, i, 128) == want:
        print("route add fd95::%x:%x blackhole" % (i >> 16, i & 0xffff))
        n += 1
PY
expect_err "FIB full: one line naming the limit" "IPv6 host and deep hash full: XGW_FIB6_HD" \
	ctl -batch "$XT_TMP/full"
xt_check "FIB full: batch rolled back (file, maps and FIB answers as before)" \
	same_as "$XT_TMP/before" answers
printf 'route add 10.91.0.0/16 via 10.77.0.2\n  # comment\nr a 10.92.0.0/16 b\nroute add fd91::/32 via fd77::2\nroute del 10.81.0.1\n' \
	>"$XT_TMP/good"
xt_check "good batch accepted" ctl -batch "$XT_TMP/good"
xt_is "$(ctl -j route show | jq -r '[.[] | select(.type != "local") | .dst] | sort | join(" ")')" \
	"10.80.0.0/16 10.82.0.0/24 10.91.0.0/16 10.92.0.0/16 fd80::/32 fd91::/32" \
	"good batch applied every line"
xt_is "$(ctl -j route show summary | jq -r 'map(.routes) | add')" "$(ctl -j route show | jq length)" \
	"route show summary: the two FIBs hold every route shown, own addresses included"
xt_is "$(ctl route show summary | sed -E 's/ [0-9]+/ N/g'),$(ctl -j route show summary |
	jq -r 'all(.[]; .memory_bytes > 0 and .memory_bytes < .memory_max_bytes)')" \
	"ipv4 routes N memory N KiB of N chunks N leaves N
ipv6 routes N memory N KiB of N chunks N leaves N hash keys N of N,true" \
	"route show summary: one line per family, memory in use below the maximum"
xt_is "$(grep -cxE 'route add (10.91.0.0/16 via 10.77.0.2|10.92.0.0/16 blackhole|fd91::/32 via fd77::2)' "$CONF")" \
	3 "good batch saved in canonical form"
# the host route was "10.81.0.1 blackhole" at the snapshot (checked above)
xt_is "$("$FIBGET" "$PIN" 10.81.0.1 10.91.0.1)" "10.81.0.1 none
10.91.0.1 nexthop $nh80" "host route deleted by the batch is gone from the IPv4 FIB"
# the comparison used above can see a change
if same_as "$XT_TMP/before" >/dev/null 2>&1; then
	xt_fail "snapshot comparison sees the batch's change"
else
	xt_ok "snapshot comparison sees the batch's change"
fi

# ---- -j reads ------------------------------------------------------------------------------
for r in "link show" "route show" "route get 10.80.1.1" "neigh show" "stats show" \
	"stats latency" "service show"; do
	# shellcheck disable=SC2086
	out=$(ctl -j $r 2>&1)
	echo "$out" | jq -e . >/dev/null 2>&1 && xt_ok "-j $r parses with jq" ||
		xt_fail "-j $r parses with jq" "$out"
done
xt_is "$(ctl -j route get 10.80.1.1 | jq -r '.dst + " " + .via + " " + .dev')" \
	"10.80.0.0/16 10.77.0.2 xa" "route get -j: matching prefix, next hop, device"
xt_is "$(ctl -p link show | jq -r '.[0].dev // .[0].name')" "xa" "-p: pretty JSON parses too"

# ---- help and abbreviations ----------------------------------------------------------------
bad=()
for o in link route neigh stats set service backend top; do
	# first line only, without a pipe: grep -q exiting early would make
	# the writer's SIGPIPE fail the pipeline under pipefail
	out=$("$XGWCTL" -s /nonexistent "$o" help 2>&1) &&
		grep -qE "^Usage: xgwctl .*$o" <<<"${out%%$'\n'*}" || bad+=("$o: $out")
done
[ ${#bad[@]} -eq 0 ] && xt_ok "help for every object (no daemon needed)" ||
	xt_fail "help for every object (no daemon needed)" "${bad[@]}"
"$XGWCTL" help | grep -q '^OBJECT := ' && "$XGWCTL" -h | grep -q '^OBJECT := ' &&
	xt_ok "xgwctl help / -h list the objects" || xt_fail "xgwctl help / -h list the objects"
xt_check "abbreviated add (r a PREFIX v ADDR d DEV)" ctl r a 10.95.0.0/16 v 10.77.0.2 d xa
grep -qx 'route add 10.95.0.0/16 via 10.77.0.2 dev xa' "$CONF" &&
	xt_ok "abbreviation saved as the canonical line" ||
	xt_fail "abbreviation saved as the canonical line" "$(cat "$CONF")"
xt_is "$(ctl -j ro g 10.95.3.4 | jq -r .dst)" "10.95.0.0/16" "abbreviated route get (ro g)"
xt_is "$(ctl -j l | jq -r 'length')" 1 "object alone is show (l)"
xt_check "abbreviated delete (r d)" ctl r d 10.95.0.0/16
xt_is "$(ctl -j n sh | jq -r 'type')" "array" "n sh is neigh show"
