#!/usr/bin/env bash
# bench-digest.sh: time `helios digest DIR` against the coreutils pipeline it
# replaces, and check that both write the same SHA256SUMS.
#
#   scripts/bench-digest.sh            # builds ./cmd/action
#   HELIOS_BIN=/path/to/helios scripts/bench-digest.sh
#   RUNS=7 BENCH_TMPDIR=/dev/shm scripts/bench-digest.sh
#
# Cases: (a) 1 GiB in 64 files, (b) 20,000 files of 4 KiB in nested
# directories, (c) 100,000 small files (peak RSS only). Targets: (a) helios at
# most 0.25 of the pipeline's wall time, (b) at most 0.5, (c) peak RSS under
# 64 MiB. A missed target prints FAIL but exits 0, as timings on shared
# machines are noisy; differing ledgers or a failing command exit non-zero.
#
# `helios digest` has no secrets to look for. What `helios run` adds while it
# hashes, the scan for the token, RPC URL and pass-env values, is measured by
# the Go benchmarks on the same kinds of trees, with and without secrets and
# against the same pipeline, in CPU time as well as wall time:
#
#   go test ./internal/ledger -run '^$' -bench 'Scan|HashWrite' -benchtime=4x -count=6
set -euo pipefail

RUNS=${RUNS:-5}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/helios-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

say() { printf '[%3ds] %s\n' "$SECONDS" "$*" >&2; }

for tool in timeout sha256sum find sort xargs split head cmp awk; do
	command -v "$tool" >/dev/null || {
		say "bench-digest: $tool not found"
		exit 2
	}
done

bin=${HELIOS_BIN:-}
if [[ -z $bin ]]; then
	say "building ./cmd/action"
	(cd "$repo" && timeout 180 go build -o "$tmp/helios" ./cmd/action)
	bin=$tmp/helios
fi

# fill DIR COUNT SIZE: COUNT files of SIZE bytes of random data in DIR, made
# by one split per directory rather than one process per file.
fill() {
	mkdir -p "$1"
	timeout 60 head -c $(($2 * $3)) /dev/urandom |
		timeout 60 split -b "$3" -d -a 6 - "$1/f"
}

say "generating trees in $tmp"
fill "$tmp/a" 64 $((16 << 20))
for i in $(seq -w 0 9); do
	for j in 0 1 2 3 4; do
		fill "$tmp/b/d$i/e$j" 400 4096
	done
done
for i in $(seq -w 0 99); do
	fill "$tmp/c/d$i" 1000 512
done
# The ledger is written with fsync; flush the generated data now so that
# fsync does not pay for a gigabyte of someone else's dirty pages.
say "syncing"
timeout 120 sync

now_ms() { echo $(($(date +%s%N) / 1000000)); }

pipeline() { # DIR OUT
	(cd "$1" && timeout 120 find . -type f -print0 | timeout 120 sort -z | timeout 120 xargs -0 sha256sum >"$2")
}

digest() { # DIR OUT
	timeout 120 "$bin" digest "$1" >"$2"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

status=0

# check DIR: both ledgers must be identical, once the pipeline's line for
# ./SHA256SUMS (written by helios) is dropped, and helios must print the
# SHA-256 of what it wrote.
check() {
	local dir=$1 name=$2
	digest "$dir" "$tmp/out"
	pipeline "$dir" "$tmp/cu.sums"
	grep -av '^[0-9a-f]\{64\}  \./SHA256SUMS$' "$tmp/cu.sums" >"$tmp/cu.ledger" || true
	if cmp -s "$tmp/cu.ledger" "$dir/SHA256SUMS"; then
		say "($name) SHA256SUMS identical to coreutils: $(wc -l <"$dir/SHA256SUMS") lines"
	else
		say "($name) FAIL: SHA256SUMS differs from coreutils"
		status=1
	fi
	local want
	want=$(sha256sum <"$dir/SHA256SUMS" | cut -c1-64)
	if [[ $(awk 'NR == 1 { print $1 }' "$tmp/out") == "$want" ]]; then
		say "($name) printed digest is the SHA-256 of SHA256SUMS"
	else
		say "($name) FAIL: printed digest $(head -c 80 "$tmp/out") is not $want"
		status=1
	fi
}

rows=()

# bench NAME DIR TARGET: RUNS interleaved runs of each, medians compared.
bench() {
	local name=$1 dir=$2 target=$3 h=() c=() t i
	# Warm the page cache (and anything else) with one untimed run of each.
	digest "$dir" /dev/null
	pipeline "$dir" /dev/null
	for ((i = 0; i < RUNS; i++)); do
		t=$(now_ms)
		digest "$dir" /dev/null
		h+=($(($(now_ms) - t)))
		t=$(now_ms)
		pipeline "$dir" "$tmp/x"
		c+=($(($(now_ms) - t)))
	done
	local hm cm
	hm=$(printf '%s\n' "${h[@]}" | median)
	cm=$(printf '%s\n' "${c[@]}" | median)
	say "($name) helios ms: ${h[*]}; coreutils ms: ${c[*]}"
	rows+=("$(awk -v n="$name" -v h="$hm" -v c="$cm" -v t="$target" 'BEGIN {
		r = c > 0 ? h / c : 99
		printf "%-24s %10d %13d %7.3f %8s  %s", n, h, c, r, "<= " t, (r <= t ? "PASS" : "FAIL")
	}')")
}

check "$tmp/a" a
check "$tmp/b" b
check "$tmp/c" c
bench "a: 1 GiB in 64 files" "$tmp/a" 0.25
bench "b: 20000 x 4 KiB" "$tmp/b" 0.5

rss="-"
rss_verdict="SKIP (GNU time missing: apt-get install time)"
if command -v /usr/bin/time >/dev/null; then
	rss=$(timeout 120 /usr/bin/time -f %M -o "$tmp/rss" "$bin" digest "$tmp/c" >/dev/null && cat "$tmp/rss")
	if ((rss < 65536)); then rss_verdict=PASS; else rss_verdict=FAIL; fi
else
	say "/usr/bin/time not found: GNU time (Debian package 'time') measures peak RSS"
fi

echo
echo "helios: $bin"
echo "$(sha256sum --version | head -1); $(nproc) CPUs; median of $RUNS interleaved runs after one warm-up each"
printf '%-24s %10s %13s %7s %8s  %s\n' case "helios ms" "coreutils ms" ratio target result
printf '%s\n' "${rows[@]}"
printf '%-24s %10s %13s %7s %8s  %s\n' "c: 100000 files" "${rss} KiB" "" "" "< 65536" "peak RSS $rss_verdict"
if ((status != 0)); then
	echo "FAIL: helios and coreutils disagree (see above)"
fi
exit "$status"
