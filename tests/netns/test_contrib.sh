#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# contrib/: the Prometheus alert rules pass `promtool check rules` and
# their unit tests (`promtool test rules`: each alert fires on the series
# that should fire it and stays quiet otherwise); the Grafana dashboard is
# JSON whose every query parses as PromQL (promtool checks it as a
# recording rule, Grafana's $variables replaced); and every xgw_* metric
# that the rules and the dashboard name is one a live xgwd exports.
# Grafana itself is not a Debian package: the panels are not rendered.
. "$(dirname "$0")/lib.sh"

XGWD=$XT_BUILD/xgwd
RULES=$XT_ROOT/contrib/prometheus/xgw-alerts.yml
DASH=$XT_ROOT/contrib/grafana/xgw-dashboard.json

xt_plan 7
xt_require_root
command -v promtool >/dev/null || xt_skip_rest "no promtool (Debian package prometheus: make deps)"
[ -x "$XGWD" ] || xt_skip_rest "no $XGWD (run make)"

xt_check "promtool check rules contrib/prometheus/xgw-alerts.yml" promtool check rules "$RULES"
xt_check "promtool test rules: every alert fires when it should, only then" \
	sh -c "cd '$XT_ROOT/contrib/prometheus' && promtool test rules xgw-alerts.test.yml"

xt_is "$(jq -r '[.panels[].id] | (length == (unique | length))' "$DASH" 2>&1)" true \
	"the dashboard is JSON with unique panel ids"

# Every panel query and the template variable's, as recording rules.
exprs=$XT_TMP/exprs
jq -r '.panels[].targets[]?.expr' "$DASH" |
	sed -e 's/\$__rate_interval/5m/g' -e 's/\$instance/.*/g' >"$exprs"
n=$(wc -l <"$exprs")
{
	echo "groups:"
	echo "  - name: dashboard"
	echo "    rules:"
	i=0
	while IFS= read -r e; do
		i=$((i + 1))
		printf '      - record: xgw_dashboard_q%d\n        expr: %s\n' "$i" \
			"$(jq -Rn --arg e "$e" '$e')"
	done <"$exprs"
} >"$XT_TMP/dash-rules.yml"
out=$(promtool check rules "$XT_TMP/dash-rules.yml" 2>&1)
xt_is "$?:$(echo "$out" | grep -c SUCCESS)" "0:1" "all $n dashboard queries parse as PromQL" ||
	xt_diag "$out"

# What a live xgwd exports (HELP/TYPE lines come even for empty families).
NS=${XT_PFX}pm
PORT=19469
xt_ns "$NS" || { xt_fail "netns"; exit 1; }
xt_xgwd_start gw "$NS" "127.0.0.1:$PORT"
nsenter --net="/var/run/netns/$NS" curl -sf "http://127.0.0.1:$PORT/metrics" >"$XT_TMP/metrics"
exported=$(awk '$1 == "#" && $2 == "TYPE" {
		print $3
		if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" }
	}' "$XT_TMP/metrics" | sort -u)
xt_is "$([ -n "$exported" ] && echo yes)" yes "a live xgwd's /metrics lists its metric families" ||
	xt_diag "$(cat "$XT_TMP/gw.log")"

# metric names, not label values such as map="xgw_tx_ports"
used() { grep -ohP '(?<!["a-z0-9_])xgw_[a-z0-9_]+' "$@" | sort -u; }
missing=$(comm -23 <(used "$RULES" "$XT_ROOT/contrib/prometheus/xgw-alerts.test.yml") <(echo "$exported"))
xt_is "$missing" "" "every metric the alert rules (and their tests) name is exported"
missing=$(comm -23 <(jq -r '.panels[].targets[]?.expr, .templating.list[].definition' "$DASH" | used) \
	<(echo "$exported"))
xt_is "$missing" "" "every metric the dashboard names is exported"
