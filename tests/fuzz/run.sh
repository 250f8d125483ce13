#!/usr/bin/env bash
# tests/fuzz/run.sh [BUILD [SECONDS [TARGET...]]]: build the libFuzzer
# targets with clang, ASan and UBSan into BUILD (default build-fuzz) and
# run each for SECONDS (default 20) from its seed corpus, one at a time,
# under nice. TAP output: one line for the build, one per target.
# What the runs add to the corpus is thrown away; a finding leaves its
# input in /tmp/sbgw-fuzz.*/ and is printed. docs/fuzzing.md has more.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz}
secs=${2:-20}
shift 2 2>/dev/null || shift $#
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame frag dns_query dns_response first_flight config)

echo "1..$((${#targets[@]} + 1))"
work=$(mktemp -d /tmp/sbgw-fuzz.XXXXXX)
keep=${SBGW_FUZZ_KEEP:-0} # 1: keep the run's directory (new corpus, logs)
trap '[ "$keep" -eq 1 ] || rm -rf "$work"' EXIT

if ! command -v clang >/dev/null; then
	echo "not ok 1 - fuzz: clang is not installed (scripts/deps test)"
	exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >"$work/setup.log" 2>&1 ||
		{ tail -n 20 "$work/setup.log" | sed 's/^/# /'; echo "not ok 1 - fuzz: meson setup"; exit 1; }
fi
if ! nice ninja -C "$build" $(printf 'tests/fuzz/%s_fuzz ' "${targets[@]}") >"$work/build.log" 2>&1; then
	grep -E 'error|FAILED' "$work/build.log" | head -n 20 | sed 's/^/# /'
	echo "not ok 1 - fuzz: build the targets with clang"
	exit 1
fi
echo "ok 1 - fuzz: build the targets with clang"

export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
n=1
failed=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	mkdir -p "$work/$t/new"
	dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	# The corpus in the tree is read only: new inputs go to new/. A fixed
	# seed (SBGW_FUZZ_SEED, default 1) makes the suite's short run a
	# regression run that does the same mutations each time; exploring is
	# for the long runs (docs/fuzzing.md), which may set another seed.
	timeout $((secs + 120)) nice "$build/tests/fuzz/${t}_fuzz" \
		-max_total_time="$secs" -seed="${SBGW_FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
		-artifact_prefix="$work/$t/" "$work/$t/new" "tests/fuzz/corpus/$t" \
		>"$work/$t/log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$work/$t/log" | tail -n 1)
	if [ "$status" -eq 0 ]; then
		echo "ok $n - fuzz $t: ${execs:-?} executions in ${secs} s, ${cov:-no coverage line}"
	else
		failed=1
		keep=1
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$work/$t/log" |
			grep -vE 'fuzzer::|libc_start|in _start|__sanitizer|raise|abort ' | head -n 20 |
			sed 's/^/# /'
		for a in "$work/$t"/crash-* "$work/$t"/leak-* "$work/$t"/timeout-* "$work/$t"/oom-*; do
			[ -f "$a" ] && echo "# input: $a ($(stat -c %s "$a") bytes)"
		done
		echo "not ok $n - fuzz $t: exit status $status after ${execs:-?} executions (log: $work/$t/log)"
	fi
done
[ "$keep" -eq 1 ] && echo "# run directory kept: $work"
exit "$failed"
