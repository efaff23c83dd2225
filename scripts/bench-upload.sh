#!/usr/bin/env bash
# bench-upload.sh: upload a 256 MiB report bundle to the loopback fake of the
# artifact service with the real client (internal/artifact), against
# `zip -q -r -6` of the same folder, and check what was uploaded.
#
#   scripts/bench-upload.sh
#   RUNS=5 SIZE_MIB=256 BENCH_TMPDIR=/dev/shm scripts/bench-upload.sh
#
# The bundle is half JSON/Markdown text, half random bytes, in files of mixed
# sizes (internal/artifact/cmd/benchupload gen). The fake runs in a process of
# its own, so the client's peak RSS is measured alone. Targets: the upload's
# median wall time at most 1.25 times zip's (both write about 160 MB: zip to a
# file, the fake to its store, in the same folder); peak RSS in constant
# memory: under 128 MiB, and within 16 MiB of the RSS for a bundle a quarter
# the size. A missed target prints FAIL but exits 0, as timings on shared
# machines are noisy; a wrong upload (a protocol violation, a zip that does
# not verify) exits 1.
set -euo pipefail

RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-256}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/helios-upload.XXXXXX")
fake_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [[ -n $fake_pid ]]; then
		kill "$fake_pid" 2>/dev/null || true
		wait "$fake_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
export LC_ALL=C

say() { printf '%s\n' "$*" >&2; }

for tool in timeout zip unzip sha256sum awk; do
	command -v "$tool" >/dev/null || {
		say "bench-upload: $tool not found (apt-get install zip unzip coreutils gawk)"
		exit 2
	}
done
gnu_time=
if /usr/bin/time -f %M true 2>/dev/null; then
	gnu_time=/usr/bin/time
else
	say "/usr/bin/time (GNU time) not found: peak RSS is not measured (apt-get install time)"
fi

say "building internal/artifact/cmd/benchupload"
(cd "$repo" && timeout 180 go build -o "$tmp/benchupload" ./internal/artifact/cmd/benchupload)
bin=$tmp/benchupload

say "generating a ${SIZE_MIB} MiB bundle and a $((SIZE_MIB / 4)) MiB one in $tmp"
timeout 300 "$bin" gen -size $((SIZE_MIB << 20)) -seed 1 "$tmp/bundle" >&2
timeout 300 "$bin" gen -size $((SIZE_MIB << 18)) -seed 2 "$tmp/small" >&2
timeout 120 sync

mkdir -p "$tmp/store"
"$bin" fake -dir "$tmp/store" -env "$tmp/env" -report "$tmp/report.json" &
fake_pid=$!
for ((i = 0; i < 100; i++)); do
	[[ -s $tmp/env ]] && break
	sleep 0.1
done
[[ -s $tmp/env ]] || {
	say "bench-upload: the fake did not start"
	exit 1
}
set -a
# shellcheck disable=SC1091
. "$tmp/env"
set +a

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

n=0 ms=0
# up DIR: one upload as a new artifact; sets ms to its wall time and appends
# its peak RSS (KiB) to $tmp/rss.<DIR's name>.
up() {
	n=$((n + 1))
	rm -f "$tmp"/store/*.zip
	sync
	local t cmd=("$bin" upload -name "bench-$n" "$1")
	if [[ -n $gnu_time ]]; then cmd=("$gnu_time" -f %M -o "$tmp/rss.one" "${cmd[@]}"); fi
	t=$(now_ms)
	if ! timeout 300 "${cmd[@]}" >"$tmp/result.json" 2>"$tmp/upload.log"; then
		say "bench-upload: upload failed:"
		cat "$tmp/upload.log" >&2
		exit 1
	fi
	ms=$(($(now_ms) - t))
	if [[ -n $gnu_time ]]; then cat "$tmp/rss.one" >>"$tmp/rss.$(basename "$1")"; fi
}

# zipit DIR: zip -q -r -6 of the folder into $tmp/info.zip; sets ms.
zipit() {
	rm -f "$tmp/info.zip"
	sync
	local t
	t=$(now_ms)
	(cd "$1" && timeout 300 zip -q -r -6 "$tmp/info.zip" .)
	ms=$(($(now_ms) - t))
}

say "warming up (one untimed run of each)"
up "$tmp/bundle"
zipit "$tmp/bundle"
: >"$tmp/rss.bundle"

u=() z=()
for ((i = 0; i < RUNS; i++)); do
	up "$tmp/bundle"
	u+=("$ms")
	zipit "$tmp/bundle"
	z+=("$ms")
done
say "upload ms: ${u[*]}; zip -6 ms: ${z[*]}"
um=$(printf '%s\n' "${u[@]}" | median)
zm=$(printf '%s\n' "${z[@]}" | median)

status=0
checks=()

# What the last upload stored: the fake's committed blob.
last=$(ls "$tmp"/store/*.zip)
digest=$(awk -F'"digest":"' '{ split($2, a, "\""); print a[1] }' "$tmp/result.json")
if [[ $digest == "sha256:$(sha256sum <"$last" | cut -c1-64)" ]]; then
	checks+=("PASS  the reported digest is the SHA-256 of the committed blob ($digest)")
else
	checks+=("FAIL  reported digest $digest is not the committed blob's")
	status=1
fi
mkdir "$tmp/unzipped"
if timeout 120 unzip -q "$last" -d "$tmp/unzipped" && (cd "$tmp/unzipped" && timeout 120 sha256sum -c --quiet SHA256SUMS); then
	checks+=("PASS  unzip of the committed blob, then sha256sum -c SHA256SUMS in it")
else
	checks+=("FAIL  the committed blob does not unzip and verify")
	status=1
fi
entries=$(unzip -Z1 "$last" | wc -l)
want=$(($(wc -l <"$tmp/bundle/SHA256SUMS") + 1))
if [[ $entries == "$want" && $(unzip -Z1 "$last" | tail -1) == SHA256SUMS ]]; then
	checks+=("PASS  $entries entries: every file of the ledger, then SHA256SUMS")
else
	checks+=("FAIL  $entries entries, want $want ending with SHA256SUMS")
	status=1
fi
if cmp -s <(unzip -Z1 "$last" | head -n -1) <(cd "$tmp/bundle" && awk '{ sub(/^[0-9a-f]+  \.\//, ""); print }' SHA256SUMS); then
	checks+=("PASS  entries in ledger order")
else
	checks+=("FAIL  entries not in ledger order")
	status=1
fi
ours=$(stat -c %s "$last")
theirs=$(stat -c %s "$tmp/info.zip")

rss=- rss_small=- rss_verdict="SKIP (GNU time missing: apt-get install time)"
if [[ -n $gnu_time ]]; then
	up "$tmp/small"
	up "$tmp/small"
	rss=$(sort -n "$tmp/rss.bundle" | tail -1)
	rss_small=$(sort -n "$tmp/rss.small" | tail -1)
	if ((rss < 131072 && rss - rss_small < 16384)); then rss_verdict=PASS; else rss_verdict=FAIL; fi
fi

kill "$fake_pid"
wait "$fake_pid" || true
fake_pid=
if grep -q '"violations": null' "$tmp/report.json"; then
	checks+=("PASS  the fake saw no protocol violation in $(grep -c '"name"' "$tmp/report.json") uploads (token, ids, block ids, order, finalize hash and size)")
else
	checks+=("FAIL  protocol violations: $(tr -d '\n' <"$tmp/report.json" | sed 's/.*"violations"://')")
	status=1
fi
if grep -q '"finalized": false' "$tmp/report.json"; then
	checks+=("FAIL  an upload was not finalized")
	status=1
fi

echo
echo "benchupload: $(go version | awk '{ print $3 }'); $(zip -v | awk 'NR == 2 { print $1, $2, $3, $4 }'); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bundle: ${SIZE_MIB} MiB, $(wc -l <"$tmp/bundle/SHA256SUMS") files; zip sizes: upload $ours bytes, zip -6 $theirs bytes"
echo "median of $RUNS interleaved runs after one warm-up each"
printf '%-28s %10s %10s %7s %8s  %s\n' case "upload ms" "zip -6 ms" ratio target result
awk -v h="$um" -v c="$zm" 'BEGIN {
	r = c > 0 ? h / c : 99
	printf "%-28s %10d %10d %7.3f %8s  %s\n", "wall time, 256 MiB bundle", h, c, r, "<= 1.25", (r <= 1.25 ? "PASS" : "FAIL")
}'
printf '%-28s %10s %10s %7s %8s  %s\n' "peak RSS KiB (quarter size)" "$rss" "($rss_small)" "" "< 131072" "$rss_verdict"
echo
printf '%s\n' "${checks[@]}"
exit "$status"
