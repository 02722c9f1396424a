#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shipping xgw: `make deb` builds xgw_VERSION_ARCH.deb from a copy of the
# tree without .git (its xgwd prints the package version; lintian finds
# nothing to say); `make install`
# puts every file under DESTDIR/PREFIX and `make uninstall` takes them all
# back; `apt-get install ./xgw_*.deb` on this host installs the files, the
# conffile and the enabled unit, which `systemd-analyze verify` accepts;
# xgwd started the way the unit starts it (its ExecStart, EnvironmentFile,
# CapabilityBoundingSet and NoNewPrivileges, a NOTIFY_SOCKET and a journal
# stream) says READY=1, logs with journal priorities, attaches a link and
# resolves a next hop; a stop leaves the datapath forwarding and a restart
# adopts it; ExecStopPost detaches only when asked; each capability of the
# bounding set is needed; --pidfile and the log fallback of a detached
# xgwd; `apt-get purge` removes it all and its prerm cleans the datapath
# named by /etc/default/xgwd.
#
# Not exercised where systemd is not PID 1 (the development VMs and CI):
# systemctl itself, and the unit's sandboxing (ProtectSystem=, ...); the
# test says so as a skip. The package steps hold a lock so that two runs
# on one host do not install and purge under each other, and are skipped
# when an xgw package this test did not install is present.
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl
UNIT=/lib/systemd/system/xgwd.service

xt_plan 32
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] || xt_skip_rest "no $XGWD or $XGWCTL (run make)"
for t in dpkg-buildpackage dh apt-get systemd-analyze setpriv; do
	command -v $t >/dev/null || xt_skip_rest "no $t (run make deps)"
done

# ---- the .deb ------------------------------------------------------------------
DEB_OUT=$XT_TMP/deb
if "$XT_ROOT/debian/build-deb" "$DEB_OUT" >"$XT_TMP/build-deb.out" 2>&1; then
	DEB=$(tail -1 "$XT_TMP/build-deb.out")
	xt_ok "make deb builds $(basename "$DEB")"
else
	xt_fail "make deb" "$(tail -20 "$XT_TMP/build-deb.out")"
	xt_skip_rest "no package"
fi
DEB_VER=$(dpkg-deb -f "$DEB" Version)
DEB_ARCH=$(dpkg-deb -f "$DEB" Architecture)
xt_is "$(basename "$DEB")" "xgw_${DEB_VER}_${DEB_ARCH}.deb" "named xgw_VERSION_ARCH.deb"

want_files="/etc/default/xgwd
/lib/systemd/system/xgwd.service
/usr/sbin/xgw-decap
/usr/sbin/xgwctl
/usr/sbin/xgwd
/usr/share/bash-completion/completions/xgwctl
/usr/share/doc/xgw/changelog.gz
/usr/share/doc/xgw/copyright
/usr/share/man/man8/xgw-decap.8.gz
/usr/share/man/man8/xgwctl.8.gz
/usr/share/man/man8/xgwd.8.gz"
got_files=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort)
xt_is "$got_files" "$want_files" "the package holds the three programs, man pages, completion, unit and default config"

if command -v lintian >/dev/null; then
	out=$(lintian --fail-on warning "$DEB" 2>&1)
	rc=$?
	xt_is "$rc:$(grep -v 'root privileges' <<<"$out")" "0:" "lintian: no error, no warning"
else
	xt_skip "lintian" "not installed (make deps)"
fi

X=$XT_TMP/x
dpkg-deb -x "$DEB" "$X"
xt_is "$("$X/usr/sbin/xgwd" --version)" "xgwd $DEB_VER (map layout $(sed -n \
	's/^#define XGW_LAYOUT_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$XT_ROOT/common/xgw_shared.h"))" \
	"the packaged xgwd, built without .git, prints the package version"
PROTO=$(sed -n 's/^#define XGW_PROTO_MAGIC[[:space:]]*"\(.*\)"$/\1/p' "$XT_ROOT/common/proto.h")
xt_is "$("$X/usr/sbin/xgwctl" --version)" "xgwctl $DEB_VER (protocol $PROTO)" \
	"the packaged xgwctl prints it too"

# ---- make install / uninstall --------------------------------------------------------
DEST=$XT_TMP/dest
mk() { make -s --no-print-directory -C "$XT_ROOT" BUILD="$XT_BUILD" DESTDIR="$DEST" PREFIX=/opt/xgwt "$@"; }
if mk install >"$XT_TMP/install.out" 2>&1; then
	got=$(cd "$DEST" && find . -type f | sed 's/^\.//' | sort)
	xt_is "$got" "/opt/xgwt/lib/systemd/system/xgwd.service
/opt/xgwt/sbin/xgw-decap
/opt/xgwt/sbin/xgwctl
/opt/xgwt/sbin/xgwd
/opt/xgwt/share/bash-completion/completions/xgwctl
/opt/xgwt/share/man/man8/xgw-decap.8
/opt/xgwt/share/man/man8/xgwctl.8
/opt/xgwt/share/man/man8/xgwd.8" "make install: every file under DESTDIR/PREFIX"
else
	xt_fail "make install" "$(cat "$XT_TMP/install.out")"
fi
xt_is "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$DEST/opt/xgwt/lib/systemd/system/xgwd.service")" \
	/opt/xgwt/sbin/xgwd "the installed unit runs PREFIX's xgwd"
mk uninstall >/dev/null 2>&1
xt_is "$(cd "$DEST" && find . -type f | wc -l)" 0 "make uninstall removes every installed file"

# ---- on this host: install, run as the unit does, purge ------------------------------
exec 9>/run/lock/xgw-test-package.lock
flock -w 300 9 || xt_skip_rest "another test run holds the package lock"
st=$(dpkg-query -W -f='${db:Status-Status} ${Version}' xgw 2>/dev/null || true)
case $st in
installed*|unpacked*|half*|config-files*)
	xt_skip_rest "an xgw package is on this host ($st): not replacing it" ;;
esac

apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 "$@"; }
xt_defer 'apt_get purge xgw'
if apt_get install "$DEB" >"$XT_TMP/apt.out" 2>&1; then
	xt_is "$(dpkg-query -W -f='${db:Status-Status} ${Version}' xgw)" "installed $DEB_VER" \
		"apt-get install ./xgw_*.deb"
else
	xt_fail "apt-get install ./xgw_*.deb" "$(tail -20 "$XT_TMP/apt.out")"
	xt_skip_rest "package not installed"
fi
missing=""
for f in $want_files /etc/xgw; do [ -e "$f" ] || missing+=" $f"; done
xt_is "$missing" "" "its files are in place (and /etc/xgw for the state file)"
xt_is "$(dpkg-query -W -f='${Conffiles}' xgw | awk '{print $1}')" /etc/default/xgwd \
	"/etc/default/xgwd is a conffile"
xt_check "the unit is enabled (multi-user.target.wants)" \
	test -L /etc/systemd/system/multi-user.target.wants/xgwd.service
out=$(systemd-analyze verify "$UNIT" 2>&1)
xt_is "$?:$out" "0:" "systemd-analyze verify accepts the installed unit"

pid1=$(cat /proc/1/comm)
if [ "$pid1" = systemd ]; then
	if systemctl start xgwd && systemctl is-active -q xgwd &&
		/usr/sbin/xgwctl link show >/dev/null; then
		xt_ok "systemctl start xgwd gives a running daemon"
	else
		xt_fail "systemctl start xgwd" "$(systemctl status xgwd 2>&1 | tail -20)"
	fi
	systemctl stop xgwd
	/usr/sbin/xgwd --cleanup >/dev/null 2>&1
else
	xt_skip "systemctl start xgwd" "systemd is not PID 1 here ($pid1): the unit is run by hand below"
fi

# Two namespaces: the gateway's link (xgw attaches here) and a neighbour.
GW=${XT_PFX}pg
NB=${XT_PFX}pn
ip netns add "$GW" && ip netns add "$NB" || { xt_fail "netns"; exit 1; }
xt_defer "ip netns del $GW; ip netns del $NB"
ip -n "$GW" link add xgp0 type veth peer name xgp1 netns "$NB"
ip -n "$GW" addr add 10.77.0.1/24 dev xgp0
ip -n "$NB" addr add 10.77.0.2/24 dev xgp1
ip -n "$GW" link set lo up && ip -n "$GW" link set xgp0 up && ip -n "$NB" link set xgp1 up
PIN=/sys/fs/bpf/${XT_PFX}pk
CONF=$XT_TMP/xgw.conf
SOCK=$XT_TMP/xgw.sock
NOTIFY=$XT_TMP/notify
LOG=$XT_TMP/xgwd.log
xt_defer "nsenter --net=/var/run/netns/$GW $XGWD --cleanup --pin-dir $PIN"
ctl() { "$XGWCTL" -s "$SOCK" "$@"; }

# The unit's capability bounding set, for setpriv: "-all,+sys_admin,...".
unit_caps() # [CAP to drop]
{
	local c out=-all

	for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT"); do
		c=${c#CAP_}
		[ "$c" = "${1:-}" ] || out+=",+${c,,}"
	done
	echo "$out"
}

# Systemd's side of sd_notify: the datagrams land in $NOTIFY.out.
notify_listen()
{
	rm -f "$NOTIFY" "$NOTIFY.out"
	"$XT_PY" - "$NOTIFY" >"$NOTIFY.out" <<'EOF' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
end = time.time() + 60
while time.time() < end:
    try:
        m = s.recv(4096).decode()
    except socket.timeout:
        continue
    print(m.replace("\n", " "), flush=True)
    if "STOPPING=1" in m:
        break
EOF
	NOTIFY_PID=$!
	for _ in $(seq 50); do [ -S "$NOTIFY" ] && return 0; sleep 0.05; done
	return 1
}

# xgwd as xgwd.service starts it: EnvironmentFile, then XGWD_OPTS as a
# drop-in's Environment= would set it; ExecStart split as systemd splits
# $XGWD_OPTS; the bounding set and no_new_privs; stderr is the "journal".
# unit_start [CAP to drop] [more xgwd options]
unit_start()
{
	local drop=${1:-} cmd argv i

	shift
	notify_listen || return 1
	: >"$LOG"
	(
		set -a
		# shellcheck disable=SC1091
		. /etc/default/xgwd
		set +a
		XGWD_OPTS="--config $CONF --socket $SOCK --pin-dir $PIN --metrics none $*"
		cmd=$(sed -n 's/^ExecStart=//p' "$UNIT")
		cmd=${cmd//'$XGWD_OPTS'/$XGWD_OPTS}
		read -ra argv <<<"$cmd"
		export NOTIFY_SOCKET=$NOTIFY JOURNAL_STREAM=$(stat -c '%d:%i' "$LOG")
		exec nsenter --net="/var/run/netns/$GW" setpriv --no-new-privs \
			--bounding-set "$(unit_caps "$drop")" --inh-caps -all -- "${argv[@]}"
	) 2>>"$LOG" &
	XPID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q READY=1 "$NOTIFY.out" 2>/dev/null && return 0
		kill -0 "$XPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
unit_stop() # -> exit status of xgwd
{
	local rc

	kill "$XPID" 2>/dev/null
	wait "$XPID"
	rc=$?
	wait "$NOTIFY_PID" 2>/dev/null
	return $rc
}
xdp_id() { ip -n "$GW" -d link show xgp0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }

if unit_start ""; then
	xt_is "$(grep -c "READY=1.*MAINPID=$XPID" "$NOTIFY.out")" 1 \
		"READY=1 (with MAINPID) once it serves, as Type=notify wants"
else
	xt_fail "xgwd as the unit starts it" "$(cat "$LOG")"
	xt_skip_rest "xgwd did not start"
fi
xt_check "log lines carry journal priorities (<6>serving on ...)" \
	grep -q "^<6>serving on $SOCK" "$LOG"
ctl link attach xgp0 >/dev/null && ctl route add 10.88.0.0/16 via 10.77.0.2 >/dev/null
for _ in $(seq 50); do
	[ "$(ctl -j neigh show | jq -r '.[0].resolved' 2>/dev/null)" = true ] && break
	sleep 0.1
done
xt_is "$(ctl -j neigh show | jq -r '.[0].resolved'):$([ -n "$(xdp_id)" ] && echo attached)" \
	"true:attached" "with the unit's capabilities: link attached, next hop resolved"
ID=$(xdp_id)
unit_stop
xt_is "$?:$(grep -c STOPPING=1 "$NOTIFY.out"):$(xdp_id)" "0:1:$ID" \
	"a stop (SIGTERM) exits 0 after STOPPING=1; the datapath stays attached"
if unit_start ""; then
	xt_is "$(ctl -j link show | jq -r '.[0].adopted'):$(xdp_id)" "true:$ID" \
		"a restart adopts the attached program"
else
	xt_fail "restart" "$(cat "$LOG")"
fi
# ExecReload: SIGHUP applies the state file again; systemd hears RELOADING=1
# then READY=1, and the daemon serves on with its routes.
kill -HUP "$XPID"
for _ in $(seq 50); do
	[ "$(grep -c READY=1 "$NOTIFY.out")" -ge 2 ] && break
	sleep 0.1
done
xt_is "$(grep -o 'RELOADING=1\|READY=1' "$NOTIFY.out" | tail -2 | tr '\n' ' ')$(kill -0 "$XPID" && echo alive) $(ctl -j route show | jq -r '.[0].dst')" \
	"RELOADING=1 READY=1 alive 10.88.0.0/16" "a reload (SIGHUP) says RELOADING=1, then READY=1; xgwd serves on, routes kept"
unit_stop

# ExecStopPost as the unit has it, with systemd's $SERVICE_RESULT.
stop_post() # DETACH RESULT
{
	local cmd

	cmd=$(sed -n "s/^ExecStopPost=\/bin\/sh -c '\(.*\)'$/\1/p" "$UNIT" | sed 's/\$\$/$/g')
	XGWD_DETACH_ON_STOP=$1 SERVICE_RESULT=$2 \
		XGWD_OPTS="--config $CONF --socket $SOCK --pin-dir $PIN" \
		nsenter --net="/var/run/netns/$GW" /bin/sh -c "$cmd" >/dev/null 2>&1
}
stop_post no success
xt_is "$(xdp_id)" "$ID" "ExecStopPost leaves the datapath by default (XGWD_DETACH_ON_STOP=no)"
stop_post yes exit-code
xt_is "$(xdp_id)" "$ID" "... and after a failure (a restart must stay hitless)"
stop_post yes success
xt_is "$(xdp_id):$([ -e "$PIN" ] && echo pins)" ":" \
	"XGWD_DETACH_ON_STOP=yes: a stop detaches the datapath and removes its pins"

# Each capability in the bounding set is needed.
rm -f "$CONF"
if unit_start NET_ADMIN; then
	out=$(ctl link attach xgp0 2>&1)
	xt_is "$?:$(xdp_id)" "1:" "without CAP_NET_ADMIN link attach fails ($out)"
else
	xt_fail "start without CAP_NET_ADMIN" "$(cat "$LOG")"
fi
unit_stop
nsenter --net="/var/run/netns/$GW" "$XGWD" --cleanup --pin-dir "$PIN" >/dev/null 2>&1
# no_start NAME CAP [XGWD OPTIONS]: xgwd started without CAP must fail.
no_start()
{
	local name=$1

	shift
	if unit_start "$@"; then
		xt_fail "$name" "it started"
		unit_stop
	else
		xt_ok "$name ($(grep '^<4>' "$LOG" | tail -1))"
		wait "$XPID" 2>/dev/null
		kill "$NOTIFY_PID" 2>/dev/null
	fi
}
no_start "without CAP_SYS_ADMIN xgwd does not start" SYS_ADMIN
no_start "without CAP_CHOWN xgwd --group GROUP does not start" CHOWN --group daemon

# Detached (no systemd): --pidfile, and where the log goes.
PIDF=$XT_TMP/xgwd.pid
out=$(nsenter --net="/var/run/netns/$GW" /usr/sbin/xgwd --config "$CONF" --socket "$SOCK" \
	--pin-dir "$PIN" --metrics none --pidfile "$PIDF" 2>&1)
pid=$(echo "$out" | sed -n 's/.*running as pid \([0-9]*\).*/\1/p')
xt_is "$(cat "$PIDF" 2>/dev/null):$(ctl link show >/dev/null && echo serving)" "$pid:serving" \
	"--pidfile holds the pid of the daemon that serves"
if [ -S /dev/log ]; then
	xt_skip "log fallback without /dev/log" "this host has a syslog socket"
else
	xt_check "without /dev/log it says, before detaching, where it logs" \
		grep -q "no syslog socket at /dev/log: logging to /var/log/xgwd.log" <<<"$out"
fi
kill "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
xt_is "$([ -e "$PIDF" ] && echo left)" "" "the pidfile goes when the daemon stops"

# Purge: the prerm cleans the datapath /etc/default/xgwd names.
printf 'XGWD_OPTS="--pin-dir %s"\n' "$PIN" >/etc/default/xgwd
apt_get purge xgw >"$XT_TMP/apt.out" 2>&1
left=""
for f in $want_files /etc/xgw /etc/systemd/system/multi-user.target.wants/xgwd.service; do
	[ -e "$f" ] && left+=" $f"
done
st=$(dpkg-query -W -f='${db:Status-Status}' xgw 2>/dev/null || true)
xt_is "${st:-not-installed}|$left" "not-installed|" \
	"apt-get purge removes every file, the conffile, the state dir and the unit's link"
xt_is "$([ -e "$PIN" ] && echo pins)" "" "its prerm ran xgwd --cleanup with /etc/default/xgwd's options"
