#!/usr/bin/env bash
# What ships beside the binary: the systemd unit and the man pages.
#   - contrib/systemd/sbgw.service passes `systemd-analyze verify` (its
#     ExecStart pointed at the built binary, its man: links resolvable),
#     keeps the hardening it promises, and rates "OK" or better in
#     `systemd-analyze security --offline`;
#   - man/sbgw.8 and man/sbgw.conf.5 are clean under `groff -z -wall` and
#     `man --warnings`, and sbgw.8 documents every option sbgw's usage names.
# usage: tests/packaging/run.sh BUILD_DIR      (TAP output)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || exit 2
sbgw=$build/app/sbgw/sbgw
unit=$root/contrib/systemd/sbgw.service
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

check() { # name cmd...
	local name=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "$out" | tail -n 15 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

# The unit as it would be installed here: the built binary, the man pages on MANPATH.
mkdir -p "$tmp/man/man8" "$tmp/man/man5"
cp "$root/man/sbgw.8" "$tmp/man/man8/"
cp "$root/man/sbgw.conf.5" "$tmp/man/man5/"
sed "s#/usr/local/bin/sbgw#$sbgw#g" "$unit" >"$tmp/sbgw.service"

verify() { # silent and successful, or it failed
	local out
	out=$(MANPATH=$tmp/man systemd-analyze verify "$tmp/sbgw.service" 2>&1) || { echo "$out"; return 1; }
	[ -z "$out" ] || { echo "$out"; return 1; }
}
check "systemd: sbgw.service passes systemd-analyze verify" verify

has() { # directive=value as a whole line of the unit
	grep -qx "$1" "$unit" || { echo "missing: $1"; return 1; }
}
has_caps() { # every capability named in both CapabilityBoundingSet and AmbientCapabilities
	local key
	for key in CapabilityBoundingSet AmbientCapabilities; do
		for cap in CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE CAP_IPC_LOCK; do
			grep -q "^$key=.*\b$cap\b" "$unit" || { echo "$key lacks $cap"; return 1; }
		done
	done
	! grep -q "^CapabilityBoundingSet=.*CAP_SYS_ADMIN" "$unit" || { echo "CAP_SYS_ADMIN kept"; return 1; }
}
check "systemd: the capabilities sbgw needs, and not CAP_SYS_ADMIN" has_caps
for d in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
	LimitMEMLOCK=infinity "ExecStartPre=/usr/local/bin/sbgw -t -c /etc/sbgw/sbgw.conf"; do
	check "systemd: $d" has "$d"
done
writable() { # state and runtime directories are writable, nothing else of /var or /run
	grep -q '^ReadWritePaths=.*/run/sbgw' "$unit" && grep -q '^ReadWritePaths=.*/var/lib/sbgw' "$unit"
}
check "systemd: ReadWritePaths has the state and runtime directories" writable
exposure() {
	local line level
	line=$(systemd-analyze security --offline=yes "$tmp/sbgw.service" 2>&1 | grep "Overall exposure level")
	echo "$line"
	level=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
	# systemd's scale: <= 4.9 is "OK" (5.0 and up: MEDIUM, EXPOSED, UNSAFE).
	awk -v l="$level" 'BEGIN { exit !(l != "" && l < 5.0) }'
}
check "systemd: systemd-analyze security rates the unit OK" exposure

for page in sbgw.8 sbgw.conf.5; do
	groff_clean() { local out; out=$(groff -man -z -wall "$root/man/$1" 2>&1); [ -z "$out" ] || { echo "$out"; return 1; }; }
	man_clean() { local out; out=$(MANWIDTH=80 man --warnings -l "$root/man/$1" 2>&1 >/dev/null); [ -z "$out" ] || { echo "$out"; return 1; }; }
	check "man: $page is clean under groff -z -wall" groff_clean "$page"
	check "man: $page is clean under man --warnings" man_clean "$page"
done
options_documented() { # every -X of sbgw's usage line appears in sbgw(8)
	local usage opt
	usage=$("$sbgw" -h 2>&1 | head -n 1)
	for opt in $(echo "$usage" | grep -o -- '-[a-z]' | sort -u); do
		grep -q "^\.B.* \\\\$opt\b\|^\.B \\\\$opt$\|^\.BI \\\\$opt " "$root/man/sbgw.8" ||
			{ echo "sbgw.8 does not document $opt (usage: $usage)"; return 1; }
	done
}
check "man: sbgw.8 documents every option of sbgw's usage" options_documented

echo "1..$n"
[ "$failed" -eq 0 ]
