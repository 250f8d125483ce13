#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sbgw's benchmarks in one command (docs/benchmarks.md):
#
#   sudo tests/bench/run.sh [bench.py options]      e.g. --quick, --cases est,new
#
# Installs what is missing (Debian packages), builds sbgw twice from this
# tree (build-bench: release; build-bench-profile: release with the stage
# counters), then runs tests/bench/bench.py, which makes its own captures,
# reserves hugepages (and gives them back), runs every case and prints one
# table. Results also land in the work directory (default /tmp/sbgw-bench:
# results.md, results.json, every process's log).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: needs root (hugepages, network namespaces, nftables)" >&2
	exit 1
fi

scripts/deps bench

[ -f build-bench/build.ninja ] || meson setup build-bench -Dbuildtype=release >/dev/null
[ -f build-bench-profile/build.ninja ] ||
	meson setup build-bench-profile -Dbuildtype=release -Dprofile=true -Dtests=false >/dev/null
ninja -C build-bench -j2 app/sbgw/sbgw tests/bench/bench_fixed_seed.so >/dev/null
ninja -C build-bench-profile -j2 app/sbgw/sbgw >/dev/null

exec python3 tests/bench/bench.py \
	--sbgw build-bench/app/sbgw/sbgw \
	--sbgw-profile build-bench-profile/app/sbgw/sbgw \
	--seed-shim "$root/build-bench/tests/bench/bench_fixed_seed.so" \
	"$@"
