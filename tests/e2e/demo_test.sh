#!/usr/bin/env bash
# The README's demo command, as a newcomer runs it: `scripts/demo --once`
# on the default configuration. Each step the demo narrates is one check
# (its "-- step" line with the "->" verdict under it), then the exit status
# and the clean-up the demo promises. A program the demo calls but nobody
# installed fails here, in CI, instead of on a newcomer's machine.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
log=$(mktemp /tmp/sbgw-demo-test.XXXXXX)
trap 'rm -f "$log"' EXIT

timeout 600 "$root/scripts/demo" --once </dev/null >"$log" 2>&1
status=$?

n=0
failed=0
check() { # ok? name [details]
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && echo "$3" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

# Pair every "-- step" with the verdict ("   -> ...") that follows it.
steps=0
while IFS=$'\t' read -r title verdict; do
	steps=$((steps + 1))
	case "$verdict" in
	UNEXPECTED*) check 0 "demo step: $title" "$verdict" ;;
	"") check 0 "demo step: $title" "(no verdict printed)" ;;
	*) check 1 "demo step: $title" ;;
	esac
done < <(awk '
	/^-- / && !/^-- and the servers refused above/ && !/^-- the sandbox.s counters/ {
		if (title != "") print title "\t" verdict
		title = substr($0, 4); verdict = ""; next }
	/^   -> / && title != "" { verdict = substr($0, 7); print title "\t" verdict; title = ""; next }
	/^-- the sandbox.s counters/ { if (title != "") print title "\t" verdict; title = ""; counters = 1 }
	END { if (title != "") print title "\t" verdict }' "$log")

check "$([ $steps -ge 6 ] && echo 1 || echo 0)" "the demo ran its live steps ($steps)" "$(tail -n 30 "$log")"
check "$(grep -q 'flows .* created' "$log" && echo 1 || echo 0)" \
	"the counters step read sbgw's telemetry" "$(grep -A3 'the sandbox.s counters' "$log")"
check "$(grep -q 'UNEXPECTED\|did not go as expected\|is missing' "$log" && echo 0 || echo 1)" \
	"no step reported anything unexpected or missing" "$(grep 'UNEXPECTED\|did not go\|missing' "$log")"
check "$([ $status -eq 0 ] && echo 1 || echo 0)" "scripts/demo --once exits 0 (exit $status)" \
	"$(tail -n 30 "$log")"
left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep '^sbgw-demo-' || true)
check "$([ -z "$left" ] && echo 1 || echo 0)" "the demo removed its namespaces" "$left"
check "$([ ! -e /run/sbgw-demo.pid ] && echo 1 || echo 0)" "the demo removed its lock file"

echo "1..$n"
[ $failed -eq 0 ]
