#!/usr/bin/env bash
# Install the Debian packages that the build, the tests, the demo and the
# benchmarks need. A fast no-op when they are all present.
set -euo pipefail

pkgs=(
	# build
	clang llvm gcc make pkg-config bpftool libbpf-dev libxdp-dev xdp-tools
	libnl-3-dev libnl-route-3-dev
	# ops-package: sd_notify, json-c (xgwctl top), the .deb, promtool
	libsystemd-dev libjson-c-dev debhelper lintian prometheus
	libmicrohttpd-dev	# xgwd: the metrics server (its own thread)
	# tests
	libcmocka-dev iproute2 ethtool jq iputils-ping socat procps python3 curl util-linux
	libclang-rt-dev	# libFuzzer runtime for tests/fuzz (clang only recommends it)
	# demo and benchmarks
	wrk nginx-light gnuplot-nox
	# cluster lab (tools/lab cluster, make demo-cluster, tests/netns/test_cluster*)
	bird2 bc
	# router-dp: tests/netns/test_icmp.sh (traceroute, tracepath through two gateways)
	traceroute iputils-tracepath
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (${missing[*]}); run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# nginx must not start a system-wide server on install: tests start their own.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.xgw
chmod +x /usr/sbin/policy-rc.d.xgw
had_policy=0
[ -e /usr/sbin/policy-rc.d ] && had_policy=1
[ $had_policy -eq 1 ] || cp /usr/sbin/policy-rc.d.xgw /usr/sbin/policy-rc.d
trap '[ $had_policy -eq 1 ] || rm -f /usr/sbin/policy-rc.d; rm -f /usr/sbin/policy-rc.d.xgw' EXIT
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
