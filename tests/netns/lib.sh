# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for the netns tests (source it): TAP output, a unique lab per run,
# cleanup that always runs, and byte helpers to program pinned maps with
# bpftool. Tests speak TAP: tests/run counts "ok", "not ok" and "# SKIP".
#
#   . "$(dirname "$0")/lib.sh"
#   xt_plan 5
#   xt_lab_up --backends 2        # tools/lab under a unique prefix, env loaded
#   xt_ok "name"  /  xt_fail "name" "why"  /  xt_is GOT WANT "name"
#   xt_check "name" CMD ARGS...   # ok when CMD succeeds
#   xt_skip "name" "reason"
#   xt_defer "shell command"      # run at exit, last registered first

set -uo pipefail

XT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$XT_ROOT/$BUILD ;; esac
XT_BUILD=$BUILD
# Unique per run, short: namespace names embed it, pin dirs too.
XT_PFX=${XT_PFX:-xt$$}
XT_PFX=${XT_PFX:0:12}
XT_TMP=$(mktemp -d "/tmp/$XT_PFX.XXXXXX")
XT_N=0
XT_FAILED=0
XT_PLANNED=0
XT_DEFERRED=()
# The system's python: a version-manager shim in PATH can cost a second a run.
XT_PY=python3
[ -x /usr/bin/python3 ] && XT_PY=/usr/bin/python3

xt_plan()
{
	XT_PLANNED=$1
	echo "1..$1"
}

xt_diag()
{
	local l

	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

xt_ok()
{
	XT_N=$((XT_N + 1))
	echo "ok $XT_N - $1"
}

# xt_fail NAME [DIAGNOSTIC...]
xt_fail()
{
	XT_N=$((XT_N + 1))
	XT_FAILED=$((XT_FAILED + 1))
	echo "not ok $XT_N - $1"
	shift
	[ $# -eq 0 ] || xt_diag "$@"
}

xt_skip()
{
	XT_N=$((XT_N + 1))
	echo "ok $XT_N - $1 # SKIP $2"
}

# xt_is GOT WANT NAME
xt_is()
{
	if [ "$1" = "$2" ]; then
		xt_ok "$3"
	else
		xt_fail "$3" "got:  '$1'" "want: '$2'"
	fi
}

# xt_check NAME CMD...: ok when the command succeeds; its output is shown
# only on failure.
xt_check()
{
	local name=$1 out

	shift
	if out=$("$@" 2>&1); then
		xt_ok "$name"
	else
		xt_fail "$name" "command: $*" "$out"
	fi
}

# Skip the remaining planned tests (e.g. a missing object) and exit.
xt_skip_rest()
{
	while [ "$XT_N" -lt "$XT_PLANNED" ]; do
		xt_skip "remaining test $((XT_N + 1))" "$1"
	done
	exit 0
}

xt_defer()
{
	XT_DEFERRED+=("$1")
}

xt_cleanup()
{
	local i rc=$?

	trap - EXIT INT TERM
	for ((i = ${#XT_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${XT_DEFERRED[$i]}" >/dev/null 2>&1 || true
	done
	rm -rf "$XT_TMP"
	if [ "$XT_PLANNED" -gt 0 ] && [ "$XT_N" -ne "$XT_PLANNED" ]; then
		echo "# planned $XT_PLANNED tests, ran $XT_N"
		[ $rc -ne 0 ] || rc=1
	fi
	[ $XT_FAILED -eq 0 ] || [ $rc -ne 0 ] || rc=1
	exit $rc
}
trap xt_cleanup EXIT
trap 'exit 130' INT TERM

xt_require_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		xt_skip_rest "needs root"
	fi
}

# Bring up a lab under this run's prefix and load its LAB_* variables.
xt_lab_up()
{
	local env

	XGW_LAB_PREFIX=$XT_PFX "$XT_ROOT/tools/lab" up "$@" >/dev/null || return 1
	xt_defer "XGW_LAB_PREFIX=$XT_PFX '$XT_ROOT/tools/lab' down"
	env=$(XGW_LAB_PREFIX=$XT_PFX "$XT_ROOT/tools/lab" env) || return 1
	eval "$env"
}

# Run a command in a namespace's network stack only: unlike `ip netns exec`
# it keeps this mount namespace, so /sys/fs/bpf pins stay visible.
xt_nsenter()
{
	local ns=$1

	shift
	nsenter --net="/var/run/netns/$ns" "$@"
}

# Namespaces of this run, loopback up, deleted at exit: xt_ns NAME...
xt_ns()
{
	local ns

	for ns in "$@"; do
		ip netns add "$ns" || return 1
		xt_defer "ip netns del $ns"
		ip -n "$ns" link set lo up
	done
}

# A veth pair, both ends up (NS_B may be NS_A): xt_veth NS_A DEV_A NS_B DEV_B
xt_veth()
{
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
		ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# ---- bytes for `bpftool map update ... key hex ... value hex ...` ----
# Host-order (little-endian) integers and network-order addresses.
xt_le()
{
	local v=$1 n=$2 i out=""

	for ((i = 0; i < n; i++)); do
		out+=$(printf '%02x ' $(((v >> (8 * i)) & 0xff)))
	done
	echo "${out% }"
}
xt_le16() { xt_le "$1" 2; }
xt_le32() { xt_le "$1" 4; }

xt_ip4()
{
	local IFS=.

	# shellcheck disable=SC2086
	printf '%02x %02x %02x %02x' $1
}

xt_ip6()
{
	"$XT_PY" -c 'import ipaddress, sys
print(" ".join("%02x" % b for b in ipaddress.IPv6Address(sys.argv[1]).packed))' "$1"
}

xt_mac()
{
	echo "$1" | tr ':' ' '
}

# Sum a per-CPU array entry's field over CPUs: xt_percpu PIN KEY FIELD
xt_percpu()
{
	bpftool map lookup pinned "$1" key $(xt_le32 "$2") -j 2>/dev/null |
		jq "[.formatted.values[] | .value.$3] | add // 0"
}

# Send COUNT UDP datagrams of SIZE payload bytes with TTL/hop limit TTL:
# xt_udp_send NS DST PORT COUNT SIZE TTL
xt_udp_send()
{
	ip netns exec "$1" "$XT_PY" - "$2" "$3" "$4" "$5" "$6" <<'EOF'
import socket, sys, time
dst, port, count, size, ttl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
v6 = ":" in dst
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
if v6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
for i in range(count):
    s.sendto(bytes([i & 0xff]) * size, (dst, port))
    time.sleep(0.001)
EOF
}

# Start sniff.py in NS in the background; its JSON lands in FILE.
# xt_sniff_start NS DEV FILE ARGS...
xt_sniff_start()
{
	local ns=$1 dev=$2 out=$3 ready=$3.ready i

	shift 3
	rm -f "$ready"
	ip netns exec "$ns" "$XT_PY" "$XT_ROOT/tools/pktgen/sniff.py" --dev "$dev" \
		--ready "$ready" "$@" >"$out" 2>"$out.err" &
	XT_SNIFF_PID=$!
	for ((i = 0; i < 600; i++)); do
		[ -e "$ready" ] && return 0
		sleep 0.05
	done
	return 1
}

# Start xgwd in namespace NS under the name NAME, with its own pin dir
# (/sys/fs/bpf/$XT_PFX-NAME), socket ($XT_TMP/NAME.sock), state file and
# log; metrics on ADDR:PORT or off. Killed and unpinned at exit, unless it
# ran in a subshell (xt_check): then `tools/lab down` of a lab made by
# xt_lab_up kills it and removes pins under $XT_PFX-*; other labs must
# xt_defer the cleanup themselves.
# xt_xgwd_start NAME NS [METRICS]
xt_xgwd_start()
{
	local name=$1 ns=$2 i

	# nsenter execs: $! is the daemon itself, and /sys/fs/bpf stays shared
	nsenter --net="/var/run/netns/$ns" "$XT_BUILD/xgwd" -f -c "$XT_TMP/$name.conf" \
		-s "$XT_TMP/$name.sock" -P "/sys/fs/bpf/$XT_PFX-$name" -m "${3:-none}" \
		>>"$XT_TMP/$name.log" 2>&1 &
	echo $! >"$XT_TMP/$name.pid"
	xt_defer "kill \$(cat '$XT_TMP/$name.pid') 2>/dev/null; sleep 0.3; rm -rf /sys/fs/bpf/$XT_PFX-$name"
	# adopting pinned maps on a busy machine can take seconds
	for ((i = 0; i < 600; i++)); do
		[ -S "$XT_TMP/$name.sock" ] && return 0
		sleep 0.05
	done
	cat "$XT_TMP/$name.log" >&2
	return 1
}
