#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Run every libFuzzer target for a bounded time, all at once, and report
# one TAP line per target. Installed by tests/fuzz/build.mk as
# build/tests/unit/test_fuzz (tests/run's unit layer), which passes the
# build's fuzz directory and the seed corpus:
#
#   tests/fuzz/run.sh FUZZ_DIR CORPUS_DIR [SECONDS]
#
# Each target starts from its seeds (tests/fuzz/corpus/TARGET/, read only)
# and a scratch corpus, with tests/fuzz/TARGET.dict when there is one; a crash leaves the input in FUZZ_DIR/artifacts/ and
# prints how to replay it. XGW_FUZZ_SECONDS overrides the time per target.
set -uo pipefail

fuzz_dir=$1
corpus=$2
secs=${3:-${XGW_FUZZ_SECONDS:-8}}
# ASan's default 256 MiB quarantine makes small-allocation targets slow and
# large; these parsers need far less to catch a use after free.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}
work=$(mktemp -d /tmp/xgw-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

targets=()
for t in "$fuzz_dir"/fuzz_*; do
	[ -f "$t" ] && [ -x "$t" ] && targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "1..1"
	echo "ok 1 - fuzz # SKIP no fuzz targets built (clang's libFuzzer runtime: make deps)"
	exit 0
fi

echo "1..${#targets[@]}"
mkdir -p "$fuzz_dir/artifacts"
pids=()
for t in "${targets[@]}"; do
	name=$(basename "$t")
	mkdir -p "$work/$name"
	dict=()
	[ -f "$corpus/../$name.dict" ] && dict=(-dict="$corpus/../$name.dict")
	# -timeout: one input taking a second is a bug in a line parser
	"$t" -max_total_time="$secs" -timeout=2 -rss_limit_mb=1024 -max_len=4096 \
		-artifact_prefix="$fuzz_dir/artifacts/$name-" -print_final_stats=1 \
		"${dict[@]}" "$work/$name" "$corpus/$name" >"$work/$name.log" 2>&1 &
	pids+=($!)
done

n=0
fail=0
for i in "${!targets[@]}"; do
	name=$(basename "${targets[$i]}")
	wait "${pids[$i]}"
	rc=$?
	n=$((n + 1))
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$work/$name.log")
	seeds=$(find "$corpus/$name" -type f 2>/dev/null | wc -l)
	if [ "$rc" -eq 0 ] && [ "${runs:-0}" -gt 0 ] && [ "$seeds" -gt 0 ]; then
		echo "ok $n - fuzz $name ($runs runs from $seeds seeds in ${secs}s)"
		continue
	fi
	fail=1
	echo "not ok $n - fuzz $name (exit $rc, ${runs:-0} runs, $seeds seeds)"
	grep -E 'ERROR|fuzz:|SUMMARY|artifact|#0 |#1 |#2 |#3 ' "$work/$name.log" |
		head -30 | sed 's/^/# /'
	art=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$work/$name.log" | head -1)
	[ -z "$art" ] || echo "# replay: ${targets[$i]} $art"
done
exit $fail
