#!/usr/bin/env bash
# bench-shards.sh: what a sharded mission's merge job costs, through the
# real action binary (`helios action`, built from ./cmd/action) and the
# loopback fake of the artifact service (one workflow run, a runtime token
# per job, in a process of its own: internal/merge/cmd/benchshards).
#
#   BENCH_TMPDIR=/dev/shm scripts/bench-shards.sh                    # the figures (about 5 min)
#   SHARDS=8 FILES=1000 SCALE="8 16 32 64" RUNS=3 scripts/bench-shards.sh
#   SHARDS=2 FILES=10 SCALE="2 4" RUNS=1 scripts/bench-shards.sh    # a quick check
#   PLAN_SLEEP=2 SCALE= scripts/bench-shards.sh                       # shards with real work
#   KEEP=1 SHARDS=8 SCALE= RUNS=1 scripts/bench-shards.sh              # keep the runs' folders
#
# The mission (benchshards mission) has one matrix axis of SHARDS values; its
# sharded phase, plan, writes FILES small JSON files per shard with one awk,
# then sleeps PLAN_SLEEP seconds (default 0; stands for a rehearsal's wait
# on a chain, the work that makes sharding pay); kits (a summary over every
# shard) and digest (sha256sum of every shard's files) need plan, so the
# merge runs them.
#
# 1. The merge job's own wall time against the one-job run of the same
#    mission (target: under 10 %). The SHARDS legs run one after another,
#    so the 2 cores here do not blur them; each merge and each one-job run
#    gets a fresh workflow run of the fake (median of RUNS). The one job runs
#    with the action's default jobs (the machine's CPUs), as a user's would.
# 2. How the merge's wall time and peak RSS grow with the number of shards
#    (SCALE, FILES files each); peak RSS is the child's rusage (wait4's
#    ru_maxrss: helios or the largest step it waited for, as GNU time -v
#    reports it).
#
# Use a tmpfs (BENCH_TMPDIR=/dev/shm) for figures of helios's own cost: on
# an ext4 where many files were just deleted (the earlier runs' workspaces,
# other jobs' temp folders), creating a file spends most of its time in the
# inode allocator's search past recently deleted inodes (perf: ext4_create
# -> recently_deleted), and the merge, which creates every shard's files,
# measured 3 to 4 times slower there than on tmpfs.
#
# Every merged bundle is checked: conclusion success, sha256sum -c of its
# SHA256SUMS, every shard's files in it, the digest over all of them, the
# same content digest as the one job's, and no protocol violation at the
# fake. A missed target prints FAIL but exits 0, as timings on shared
# machines are noisy; a wrong result exits 1. Everything lives in one temp
# folder (BENCH_TMPDIR, else TMPDIR), removed at the end unless KEEP is
# set; every child is killed after TIMEOUT seconds. Not run in CI.
set -euo pipefail

SHARDS=${SHARDS:-8}
FILES=${FILES:-1000}
SCALE=${SCALE-8 16 32 64}
RUNS=${RUNS:-3}
PLAN_SLEEP=${PLAN_SLEEP:-0}
TIMEOUT=${TIMEOUT:-300}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/helios-shards.XXXXXX")
fake_pid=
wall_ms=0 rss_kib=0 # set by each run's measure file
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [[ -n $fake_pid ]]; then
		kill "$fake_pid" 2>/dev/null || true
		wait "$fake_pid" 2>/dev/null || true
	fi
	if [[ -n ${KEEP:-} ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
export LC_ALL=C

say() { printf '%s\n' "$*" >&2; }
die() {
	say "bench-shards: $*"
	exit 1
}

for tool in timeout unzip sha256sum awk; do
	command -v "$tool" >/dev/null || {
		say "bench-shards: $tool not found (apt-get install unzip coreutils gawk)"
		exit 2
	}
done

say "building ./cmd/action and internal/merge/cmd/benchshards"
(cd "$repo" && timeout 300 go build -o "$tmp/helios" ./cmd/action)
(cd "$repo" && timeout 300 go build -o "$tmp/benchshards" ./internal/merge/cmd/benchshards)
helios=$tmp/helios bs=$tmp/benchshards

# fake_start NAME JOBS [-load DIR]: a fresh workflow run at $tmp/NAME, with
# an env file for each job of the comma-separated JOBS in $tmp/NAME/env. It
# lives at most as long as its jobs may take.
fake_start() {
	local d=$tmp/$1 commas=${2//[^,]/}
	mkdir -p "$d/store" "$d/env"
	"$bs" fake -dir "$d/store" -env "$d/env" -jobs "$2" -report "$d/report.json" -save "$d/save" \
		-max "$((TIMEOUT * (${#commas} + 2)))s" "${@:3}" &
	fake_pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -e $d/env/ready ]] && return
		sleep 0.1
	done
	die "the fake did not start"
}

# fake_stop NAME: ends the run; its artifacts are then in $tmp/NAME/save.
fake_stop() {
	kill "$fake_pid"
	wait "$fake_pid" || die "the fake of $1 failed"
	fake_pid=
	grep -q '"violations": null' "$tmp/$1/report.json" ||
		die "$1: protocol violations at the fake: $(tr -d '\n' <"$tmp/$1/report.json" | sed 's/.*"violations"://')"
	fakes=$((fakes + 1))
}
fakes=0

# action MISSION ENVFILE JOB DIR [INPUT_X=... ...]: one run of `helios action`
# as a runner would start it, in a fresh workspace at DIR/ws holding
# MISSION's helios.yml; sets wall_ms and rss_kib. Outputs are in DIR/output,
# the console in DIR/log.
action() {
	local mission=$1 envfile=$2 job=$3 dir=$4
	shift 4
	mkdir -p "$dir/ws" "$dir/tmp"
	cp "$mission/helios.yml" "$dir/ws/"
	printf '{"ref":"refs/heads/main"}\n' >"$dir/event.json"
	: >"$dir/output"
	: >"$dir/summary"
	local runner=() line
	while IFS= read -r line; do runner+=("$line"); done <"$envfile"
	if ! env -i PATH="$PATH" HOME="$HOME" TMPDIR="$dir/tmp" LC_ALL=C \
		GITHUB_ACTIONS=true CI=true GITHUB_WORKSPACE="$dir/ws" \
		GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH="$dir/event.json" \
		GITHUB_OUTPUT="$dir/output" GITHUB_STEP_SUMMARY="$dir/summary" \
		GITHUB_REPOSITORY=octo/helios GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 \
		GITHUB_RUN_ID=4242 GITHUB_JOB="$job" GITHUB_SERVER_URL=https://github.example \
		RUNNER_NAME="bench-$(basename "$dir")" RUNNER_OS=Linux \
		"${runner[@]}" INPUT_BASELINE=none "$@" \
		"$bs" run -o "$dir/measure" -timeout "${TIMEOUT}s" -- "$helios" action >"$dir/log" 2>&1; then
		say "bench-shards: $job ($*) failed; its console's end:"
		tail -n 30 "$dir/log" >&2
		exit 1
	fi
	# shellcheck disable=SC1091
	. "$dir/measure"
}

# output DIR NAME: a one-line output of the run in DIR.
output() { awk -v n="$2<<" 'index($0, n) == 1 { getline; print; exit }' "$1/output"; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maxof() { sort -n | tail -n 1; }

checks=()
status=0
check() { # check OK TEXT
	if [[ $1 == 1 ]]; then checks+=("PASS  $2"); else
		checks+=("FAIL  $2")
		status=1
	fi
}

# verify N ZIP CONTENT: checks the merged bundle of N shards; CONTENT, when
# given, is the content digest it must have (the one job's).
verify() {
	local n=$1 zip=$2 dir=$tmp/verify
	rm -rf "$dir"
	mkdir -p "$dir"
	local ok=1 json=0 lines=0 parts=0
	timeout "$TIMEOUT" unzip -q "$zip" -d "$dir" || ok=0
	(cd "$dir" && timeout "$TIMEOUT" sha256sum -c --quiet --strict SHA256SUMS) || ok=0
	if [[ -d $dir/shards ]]; then json=$(find "$dir/shards" -path '*/files/*.json' -type f | wc -l); fi
	if [[ -f $dir/digest.txt ]]; then lines=$(wc -l <"$dir/digest.txt"); fi
	if [[ -f $dir/kits/summary.txt ]]; then parts=$(awk -v f="$FILES" '$2 == f' "$dir/kits/summary.txt" | wc -l); fi
	[[ $json == $((n * FILES)) && $lines == $((n * FILES)) && $parts == "$n" ]] || ok=0
	check "$ok" "$n shards: the merged zip unzips, sha256sum -c accepts its SHA256SUMS; $json shard files, $lines digest lines, $parts shards of $FILES files in kits"
}

# legs MISSION N NAME: the N shard jobs, one after another, in one workflow
# run; their artifacts end in $tmp/NAME/save. Sets legs_ms (total),
# leg_max (the slowest leg) and leg_rss (the largest peak RSS).
legs() {
	local mission=$1 n=$2 name=$3 ids=() i id bad=0 digest
	for ((i = 1; i <= n; i++)); do ids+=("$(printf 'p%03d' "$i")"); done
	fake_start "$name" "$(printf 'leg-%s,' "${ids[@]}" | sed 's/,$//')"
	legs_ms=0 leg_max=0 leg_rss=0
	for id in "${ids[@]}"; do
		job=leg-$id
		action "$mission" "$tmp/$name/env/$job.env" shards "$tmp/$name/$job" INPUT_SHARD="$id"
		legs_ms=$((legs_ms + wall_ms))
		if ((wall_ms > leg_max)); then leg_max=$wall_ms; fi
		if ((rss_kib > leg_rss)); then leg_rss=$rss_kib; fi
		digest=$(output "$tmp/$name/$job" shard-digest)
		[[ $(output "$tmp/$name/$job" conclusion) == success && $digest =~ ^[0-9a-f]{64}$ ]] || bad=$((bad + 1))
		rm -rf "$tmp/$name/$job/ws" # the leg's bundle is in its artifact
	done
	fake_stop "$name"
	check "$((bad == 0))" "$n legs: conclusion success and a shard-digest each ($(find "$tmp/$name/save" -name '*.zip' | wc -l) shard artifacts)"
}

# merges MISSION N LEGS: RUNS merge jobs, each in a fresh workflow run
# holding the artifacts of LEGS; sets merge_ms (median), merge_rss (max),
# merge_content and merge_zip (of the last).
merges() {
	local mission=$1 n=$2 from=$3 r ms=() rss=() name
	for ((r = 1; r <= RUNS; r++)); do
		name=merge$n-$r
		fake_start "$name" merge -load "$tmp/$from/save"
		action "$mission" "$tmp/$name/env/merge.env" merge "$tmp/$name/run" INPUT_MERGE=true
		fake_stop "$name"
		[[ $(output "$tmp/$name/run" conclusion) == success ]] ||
			die "merge of $n shards: conclusion $(output "$tmp/$name/run" conclusion); console: $tmp/$name/run/log"
		ms+=("$wall_ms")
		rss+=("$rss_kib")
		merge_content=$(output "$tmp/$name/run" content-digest)
		merge_zip=$(ls "$tmp/$name/save/merge/"*.zip)
		if ((r < RUNS)); then rm -rf "${tmp:?}/$name"; fi
	done
	merge_ms=$(printf '%s\n' "${ms[@]}" | median)
	merge_rss=$(printf '%s\n' "${rss[@]}" | maxof)
	say "  merge of $n shards: ${ms[*]} ms; peak RSS ${rss[*]} KiB"
}

# ---- 1. the merge against the one job ----

say "1. $SHARDS shards x $FILES files: the one job, $SHARDS legs one after another, the merge ($RUNS runs each)"
"$bs" mission -shards "$SHARDS" -files "$FILES" -sleep "${PLAN_SLEEP}s" "$tmp/mission$SHARDS"
(cd "$tmp" && timeout 60 "$helios" plan -C "mission$SHARDS" --shard p001 >"$tmp/plan.txt") || die "helios plan --shard p001 failed"

one=() one_kib=()
for ((r = 1; r <= RUNS; r++)); do
	fake_start "one-$r" one
	action "$tmp/mission$SHARDS" "$tmp/one-$r/env/one.env" mission "$tmp/one-$r/run"
	fake_stop "one-$r"
	[[ $(output "$tmp/one-$r/run" conclusion) == success ]] || die "one job: conclusion $(output "$tmp/one-$r/run" conclusion)"
	one+=("$wall_ms")
	one_kib+=("$rss_kib")
	one_content=$(output "$tmp/one-$r/run" content-digest)
	one_files=$(output "$tmp/one-$r/run" files)
	rm -rf "$tmp/one-$r/run/ws"
done
one_ms=$(printf '%s\n' "${one[@]}" | median)
one_rss=$(printf '%s\n' "${one_kib[@]}" | maxof)
say "  one job: ${one[*]} ms"

legs "$tmp/mission$SHARDS" "$SHARDS" "legs$SHARDS"
say "  $SHARDS legs: $legs_ms ms in all, the slowest $leg_max ms"
first_legs_ms=$legs_ms first_leg_max=$leg_max first_leg_rss=$leg_rss
merges "$tmp/mission$SHARDS" "$SHARDS" "legs$SHARDS"
verify "$SHARDS" "$merge_zip"
same=0
if [[ -n $one_content && $merge_content == "$one_content" ]]; then same=1; fi
check "$same" "the merged content digest is the one job's ($one_content)"
declare -A scale_ms scale_rss scale_zip
scale_ms[$SHARDS]=$merge_ms scale_rss[$SHARDS]=$merge_rss scale_zip[$SHARDS]=$(stat -c %s "$merge_zip")
first_ms=$merge_ms first_rss=$merge_rss

# ---- 2. how the merge grows ----

for n in $SCALE; do
	[[ -n ${scale_ms[$n]:-} ]] && continue
	say "2. $n shards x $FILES files: $n legs one after another, then the merge ($RUNS runs)"
	"$bs" mission -shards "$n" -files "$FILES" -sleep "${PLAN_SLEEP}s" "$tmp/mission$n"
	legs "$tmp/mission$n" "$n" "legs$n"
	say "  $n legs: $legs_ms ms in all, the slowest $leg_max ms"
	merges "$tmp/mission$n" "$n" "legs$n"
	verify "$n" "$merge_zip"
	scale_ms[$n]=$merge_ms scale_rss[$n]=$merge_rss scale_zip[$n]=$(stat -c %s "$merge_zip")
	rm -rf "$tmp/legs$n" "$tmp"/merge"$n"-*
done
check "$((fakes > 0))" "the fake saw no protocol violation in $fakes workflow runs (tokens, backend ids, blocks, finalize, read URLs)"

echo
echo "benchshards: $(go version | awk '{ print $3 }'); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mission: one axis; plan writes $FILES JSON files per shard (one awk), then sleeps ${PLAN_SLEEP} s; the merge runs kits and digest (sha256sum of every shard's file)"
echo "median of $RUNS runs; each merge in a fresh workflow run holding the same shard artifacts"
echo
echo "1. the merge against the one job, $SHARDS shards x $FILES files ($one_files files in the one job's ledger)"
printf '%-46s %9s %13s\n' case "wall ms" "peak RSS KiB"
printf '%-46s %9d %13d\n' "one job (all $SHARDS shards, then merge phases)" "$one_ms" "$one_rss"
printf '%-46s %9d %13d\n' "$SHARDS legs one after another (sum; slowest $first_leg_max)" "$first_legs_ms" "$first_leg_rss"
printf '%-46s %9d %13d\n' "merge job" "$first_ms" "$first_rss"
# The one job runs nproc instances of plan at a time, the legs one each:
# how much longer each instance would have to take for the target.
awk -v m="$first_ms" -v o="$one_ms" -v n="$SHARDS" -v j="$(nproc)" 'BEGIN {
	r = o > 0 ? m / o : 99
	printf "merge / one job: %.3f (target < 0.10): %s\n", r, (r < 0.10 ? "PASS" : "FAIL")
	if (r >= 0.10)
		printf "(about %.1f s more work in each shard would meet it: the one job runs %d shards at a time)\n", (10 * m - o) / 1000 / (n / j), j
}'
echo
echo "2. the merge as shards grow, $FILES files each"
printf '%6s %8s %9s %9s %13s %11s\n' shards files "merge ms" "ms/shard" "peak RSS KiB" "zip bytes"
for n in $(printf '%s\n' "${!scale_ms[@]}" | sort -n); do
	printf '%6d %8d %9d %9.1f %13d %11d\n' "$n" $((n * FILES)) "${scale_ms[$n]}" "$(awk -v a="${scale_ms[$n]}" -v n="$n" 'BEGIN { print a / n }')" "${scale_rss[$n]}" "${scale_zip[$n]}"
done
echo
printf '%s\n' "${checks[@]}"
exit "$status"
