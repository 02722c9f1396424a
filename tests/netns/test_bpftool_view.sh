#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# bpftool prints addresses and ports as network-order bytes: the maps that
# hold them are declared with the BTF views of common/xgw_shared.h. A
# service, a backend, an IPv6 prefix and an IPv6 host route pushed with
# xgwctl, and a backend address xgw-decap keeps, read back from
# `bpftool map dump -j` (lookup -j) byte for byte.
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
XGWCTL=$XT_BUILD/xgwctl

xt_plan 5
xt_require_root
[ -x "$XGWD" ] && [ -x "$XGWCTL" ] || xt_skip_rest "no $XGWD or $XGWCTL (run make)"

NS=${XT_PFX}bv
PIN=/sys/fs/bpf/$XT_PFX-gw
SOCK=$XT_TMP/gw.sock
xt_ns "$NS" && xt_veth "$NS" xbv0 "$NS" xbv1 || { xt_fail "netns"; exit 1; }
ip -n "$NS" addr add 10.77.0.1/24 dev xbv0
ip -n "$NS" addr add fd00:77::1/64 dev xbv0 nodad
xt_xgwd_start gw "$NS" || { xt_fail "xgwd starts"; exit 1; }
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
# the IPv6 FIB's route records (2M slots: the first few hold our routes)
recs()
{
	local i

	for i in $(seq 0 31); do
		bpftool -j map lookup pinned "$PIN/xgw_fib6_routes" key $i 0 0 0 2>/dev/null |
			jq -c '.formatted.value | select(.e != 0) | .addr'
	done
}
recs >"$XT_TMP/recs"
xt_is "$(grep -c '^\[253,0,0,153,0,0,0,0,0,0,0,0,0,0,0,0\]$' "$XT_TMP/recs")" 1 \
	"xgw_fib6_routes: the prefix as bytes (fd00:99::/32)"
xt_is "$(grep -c '^\[253,0,0,152,0,0,0,0,0,0,0,0,0,0,0,5\]$' "$XT_TMP/recs")" 1 \
	"xgw_fib6_routes: the host as bytes (fd00:98::5)"

# xgw-decap's map of the host's addresses (its own object).
DECAP=$XT_BUILD/xgw-decap
DPIN=/sys/fs/bpf/${XT_PFX}bd
xt_defer "nsenter --net=/var/run/netns/$NS $DECAP -P $DPIN cleanup"
nsenter --net="/var/run/netns/$NS" "$DECAP" -P "$DPIN" attach xbv1 >/dev/null 2>&1
PIN=$DPIN
xt_is "$(dump xgw_decap_addrs '[.[].key | select(.family == 2 and .addr[0] == 10)][0]')" \
	"{\"addr\":[10,77,0,1,$z12],\"family\":2,\"pad\":[0,0,0]}" \
	"xgw_decap_addrs (xgw-decap): the host's address as bytes"
