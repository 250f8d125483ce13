#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# File-driven checks of `sbgw -t -c FILE`:
#   good/NAME.conf   must print exactly "NAME.conf: ok", nothing on stderr, exit 0
#   bad/NAME.conf    must exit non-zero with stderr exactly bad/NAME.expect
#   ../../config/sbgw.conf and ../../config/examples/*.conf must be good too
# Every case runs from its own directory with a relative file name, so the
# expected messages read "NAME.conf:LINE: path: message".
#
# usage: tests/config/run.sh BUILD_DIR
# Prints "ok CASE" or "FAIL CASE" (with a diff) per case, then
# "N passed, N failed"; exits non-zero if any case failed.

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$(cd "$1" && pwd) || exit 2
sbgw="$build/app/sbgw/sbgw"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ ! -x "$sbgw" ]; then
	echo "$0: $sbgw not found; build first" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# good/everything.conf reads a secret from the environment; the bad cases
# rely on this one being unset.
SBGW_CONFIG_TEST_TOKEN=not-a-real-token
export SBGW_CONFIG_TEST_TOKEN
unset SBGW_CONFIG_TEST_UNSET

passed=0
failed=0

pass() {
	echo "ok $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1"
	failed=$((failed + 1))
}

# run DIR FILE: sbgw -t in DIR; stdout, stderr and status into $tmp.
run() {
	(cd "$1" && "$sbgw" -t -c "$2") >"$tmp/out" 2>"$tmp/err"
	echo $? >"$tmp/rc"
}

check_good() { # DIR FILE CASE
	run "$1" "$2"
	printf '%s: ok\n' "$2" >"$tmp/want"
	if [ "$(cat "$tmp/rc")" -eq 0 ] && cmp -s "$tmp/want" "$tmp/out" && [ ! -s "$tmp/err" ]; then
		pass "$3"
		return
	fi
	fail "$3"
	echo "  exit status $(cat "$tmp/rc") (want 0)"
	diff -u "$tmp/want" "$tmp/out" | sed 's/^/  /'
	sed 's/^/  stderr: /' "$tmp/err"
}

check_bad() { # DIR NAME
	run "$1" "$2.conf"
	if [ ! -f "$1/$2.expect" ]; then
		fail "bad/$2"
		echo "  missing bad/$2.expect; stderr was:"
		sed 's/^/  /' "$tmp/err"
		return
	fi
	if [ "$(cat "$tmp/rc")" -ne 0 ] && cmp -s "$1/$2.expect" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		pass "bad/$2"
		return
	fi
	fail "bad/$2"
	echo "  exit status $(cat "$tmp/rc") (want non-zero)"
	diff -u "$1/$2.expect" "$tmp/err" | sed 's/^/  /'
}

for f in "$here"/good/*.conf; do
	name=$(basename "$f" .conf)
	check_good "$here/good" "$name.conf" "good/$name"
done
check_good "$root/config" sbgw.conf "config/sbgw.conf"
for f in "$root"/config/examples/*.conf; do
	name=$(basename "$f" .conf)
	check_good "$root/config/examples" "$name.conf" "config/examples/$name"
done
for f in "$here"/bad/*.conf; do
	check_bad "$here/bad" "$(basename "$f" .conf)"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
