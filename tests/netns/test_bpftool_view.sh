#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# bpftool prints addresses and ports as network-order bytes: the maps that
# hold them are declared with the BTF views of common/xgw_shared.h. A
# service, a backend, an IPv6 prefix and an IPv6 host route pushed with
# xgwctl read back from `bpftool map dump -j` byte for byte.
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl

xt_plan 4
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] || xt_skip_rest "no $XGWD or $XGWCTL (run make)"

NS=${XT_PFX}bv
PIN=/sys/fs/bpf/${XT_PFX}bv
SOCK=$XT_TMP/xgw.sock
ip netns add "$NS" || { xt_fail "netns"; exit 1; }
xt_defer "ip netns del $NS"
ip -n "$NS" link add xbv0 type veth peer name xbv1
ip -n "$NS" addr add 10.77.0.1/24 dev xbv0
ip -n "$NS" addr add fd00:77::1/64 dev xbv0 nodad
ip -n "$NS" link set lo up && ip -n "$NS" link set xbv0 up && ip -n "$NS" link set xbv1 up
xt_defer "nsenter --net=/var/run/netns/$NS $XGWD --cleanup --pin-dir $PIN"
out=$(nsenter --net="/var/run/netns/$NS" "$XGWD" --config "$XT_TMP/xgw.conf" --socket "$SOCK" \
	--pin-dir "$PIN" --metrics none 2>&1)
pid=$(echo "$out" | sed -n 's/.*running as pid \([0-9]*\).*/\1/p')
[ -n "$pid" ] || { xt_fail "xgwd starts" "$out"; exit 1; }
xt_defer "kill $pid"
ctl() { "$XGWCTL" -s "$SOCK" "$@" >/dev/null; }
ctl link attach xbv0 && ctl service add 10.99.0.1:8080/tcp && ctl backend add 10.99.0.1:8080/tcp 10.77.0.2 &&
	ctl route add fd00:99::/32 via fd00:77::2 && ctl route add fd00:98::5 via fd00:77::2 ||
	xt_fail "xgwctl commands"

# -j gives raw hex bytes and, under "formatted", what BTF makes of them
dump() { bpftool map dump pinned "$PIN/$1" -j | jq -c "map(.formatted) | $2"; }
z12='0,0,0,0,0,0,0,0,0,0,0,0'
xt_is "$(dump xgw_services '.[0].key')" \
	"{\"addr\":[10,99,0,1,$z12],\"port\":[31,144],\"proto\":6,\"family\":2}" \
	"xgw_services: VIP and port as bytes (10.99.0.1, 8080 = 31*256+144)"
xt_is "$(dump xgw_backends '[.[] | select(.value.family == 2) | .value | {addr, src}][0]')" \
	"{\"addr\":[10,77,0,2,$z12],\"src\":[10,77,0,1,$z12]}" "xgw_backends: addresses as bytes"
xt_is "$(dump xgw_lpm6 '.[] | select(.key.prefixlen == 32) | .key.addr')" \
	"[253,0,0,153,0,0,0,0,0,0,0,0,0,0,0,0]" "xgw_lpm6: the prefix as bytes (fd00:99::/32)"
xt_is "$(dump xgw_host6 '[.[].key.addr | select(.[3] == 152)][0]')" \
	"[253,0,0,152,0,0,0,0,0,0,0,0,0,0,0,5]" "xgw_host6: the host as bytes (fd00:98::5)"
