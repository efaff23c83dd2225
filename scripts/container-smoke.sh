#!/usr/bin/env bash
# Container smoke test: builds the users' Dockerfile and runs the image the
# way the GitHub runner runs a Docker action, then checks what the runner
# would read back.
#
# This machine has no Docker engine and no registry, so the base images are
# local: a Debian bookworm minbase root made with debootstrap, plus the
# host's Go (the build stage) or the host's Node 20 (the runtime stage;
# Debian's own nodejs is 18). The Dockerfile itself is built unchanged, with
# --build-arg GO_IMAGE / RUNTIME_IMAGE pointing at those bases and the
# host's module and build caches mounted into its RUN steps (no download,
# a warm compile; what gets built is the same).
#
# Needs (as root): podman, runc, debootstrap, go, git, sha256sum. It installs
# nothing; .ci/run does:
#   apt-get install -y podman runc debootstrap
# Bases are cached in ${XDG_CACHE_HOME:-/var/cache}/helios-smoke and podman's
# image store; HELIOS_SMOKE_KEEP=1 keeps the built image and the work folder.
set -euo pipefail

# The whole script is bounded: it re-runs itself under timeout once.
if [ -z "${HELIOS_SMOKE_BOUNDED:-}" ]; then
  HELIOS_SMOKE_BOUNDED=1 exec timeout --kill-after=30 900 bash "$0" "$@"
fi

cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
start=$SECONDS
step() { printf '\n--- %s (%ds)\n' "$1" "$((SECONDS - start))"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "tools"
missing=()
for t in podman runc debootstrap; do command -v "$t" >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]}; install with:"
  echo "  apt-get update && apt-get install -y podman runc debootstrap"
  exit 1
fi
for t in go git sha256sum; do command -v "$t" >/dev/null || fail "$t is not installed"; done
[ "$(id -u)" = 0 ] || fail "run as root (podman import/build with runc, chown of the workspace)"
# crun fails here (cgroups hybrid mode) and runc cannot set podman's default
# RLIMITs in this sandbox: runc with no default ulimits works.
if [ ! -e /etc/containers/containers.conf ]; then
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n' >/etc/containers/containers.conf
  echo "wrote /etc/containers/containers.conf (default_ulimits = [])"
fi
podman --version; runc --version | sed -n 1p; go version

cache=${XDG_CACHE_HOME:-/var/cache}/helios-smoke
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/helios-smoke.XXXXXX")
image=localhost/helios-action:smoke-$$
chain_pid=""
: >"$work/dangling.before"
cleanup() {
  local rc=$?
  if [ -n "$chain_pid" ]; then kill "$chain_pid" 2>/dev/null || true; wait "$chain_pid" 2>/dev/null || true; fi
  if [ -n "${HELIOS_SMOKE_KEEP:-}" ]; then
    echo "kept: image $image, work folder $work"
  else
    podman rmi -f "$image" >/dev/null 2>&1 || true
    # The build stage leaves untagged images: remove the ones this run made.
    podman images -q --filter dangling=true 2>/dev/null | sort -u >"$work/dangling.after" || true
    comm -13 "$work/dangling.before" "$work/dangling.after" | xargs -r podman rmi -f >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT

debian=localhost/debian:bookworm-local
step "Debian bookworm base ($debian)"
if podman image exists "$debian"; then
  echo "reusing $debian"
else
  if [ ! -e "$cache/rootfs/.helios-complete" ]; then
    rm -rf "$cache/rootfs" "$cache/rootfs.tmp"
    timeout 300 debootstrap --variant=minbase bookworm "$cache/rootfs.tmp" >"$cache/debootstrap.log" 2>&1 ||
      { tail -20 "$cache/debootstrap.log"; fail "debootstrap"; }
    touch "$cache/rootfs.tmp/.helios-complete"
    mv "$cache/rootfs.tmp" "$cache/rootfs"
  fi
  tar -C "$cache/rootfs" --exclude=./.helios-complete -c . | timeout 120 podman import - "$debian" >/dev/null
  echo "imported $debian"
fi

# The build stage's base: Debian plus the host's Go, laid out like the
# official golang image (GOROOT /usr/local/go, GOPATH /go).
gover=$(go env GOVERSION)
gobase=localhost/helios-smoke/golang:${gover#go}-bookworm-local
step "Go base ($gobase)"
if podman image exists "$gobase"; then
  echo "reusing $gobase"
else
  cat >"$work/Containerfile.go" <<EOF
FROM $debian
COPY . /usr/local/go
ENV GOROOT=/usr/local/go GOPATH=/go GOTOOLCHAIN=local PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN go version
EOF
  timeout 300 podman build --runtime runc --pull=never -q -f "$work/Containerfile.go" -t "$gobase" "$(go env GOROOT)" >/dev/null
  echo "built $gobase"
fi

# The runtime stage's base: Debian plus the host's Node 20 and npm, where
# the official node image puts them.
nodever=$(node --version 2>/dev/null || true)
case "$nodever" in v20.*) ;; *) fail "the host's node is ${nodever:-missing}; the runtime base needs Node 20" ;; esac
nodebase=localhost/helios-smoke/node:${nodever#v}-bookworm-local
step "Node base ($nodebase)"
if podman image exists "$nodebase"; then
  echo "reusing $nodebase"
else
  npmdir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$work/nodectx"
  cp "$(readlink -f "$(command -v node)")" "$work/nodectx/node"
  cp -a "$npmdir" "$work/nodectx/npm"
  cat >"$work/nodectx/Containerfile" <<EOF
FROM $debian
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
EOF
  timeout 300 podman build --runtime runc --pull=never -q -t "$nodebase" "$work/nodectx" >/dev/null
  rm -rf "$work/nodectx"
  echo "built $nodebase"
fi

step "build the Dockerfile"
podman images -q --filter dangling=true | sort -u >"$work/dangling.before"
t0=$SECONDS
timeout 600 podman build --runtime runc --pull=never \
  --build-arg GO_IMAGE="$gobase" --build-arg RUNTIME_IMAGE="$nodebase" --build-arg VERSION=v0.0.0-smoke \
  -v "$(go env GOMODCACHE):/go/pkg/mod" -v "$(go env GOCACHE):/root/.cache/go-build" \
  -t "$image" -f Dockerfile . >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log"; fail "podman build"; }
build_secs=$((SECONDS - t0))
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "built $image in ${build_secs}s; size $size bytes ($((size / 1024 / 1024)) MiB)"
[ "$(podman image inspect --format '{{.Config.User}}' "$image")" = "" ] || fail "the image sets USER"
[ "$(podman image inspect --format '{{.Config.WorkingDir}}' "$image")" = "" ] || fail "the image sets WORKDIR"
podman image inspect --format '{{json .Config.Entrypoint}}' "$image" | grep -qx '\["/usr/local/bin/helios"\]' ||
  fail "the entrypoint is not [\"/usr/local/bin/helios\"]"
for tool in sh git make node npm; do
  timeout 60 podman run --runtime runc --rm --entrypoint sh "$image" -c "command -v $tool >/dev/null" || fail "$tool missing in the image"
done
timeout 60 podman run --runtime runc --rm "$image" version | tee "$work/version.txt"
grep -q 'v0.0.0-smoke' "$work/version.txt" || fail "helios version does not carry the build's VERSION"

step "dev chain"
timeout 300 go build -o "$work/devchain" ./cmd/devchain
"$work/devchain" --addr 127.0.0.1:0 >"$work/devchain.log" 2>&1 &
chain_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^devchain: rpc //p' "$work/devchain.log")
  [ -n "$url" ] && break
  kill -0 "$chain_pid" 2>/dev/null || { cat "$work/devchain.log"; fail "the dev chain exited"; }
  sleep 0.1
done
[ -n "$url" ] || fail "the dev chain did not start within 10 s"
echo "dev chain on ${url%%/*}//127.0.0.1:…"
# A secret-looking query value: the action must mask it everywhere.
secret=helios-smoke-secret-$RANDOM$RANDOM
rpc="$url/?key=$secret"

step "workspace (testdata/example, owned by 1001:1001 like the runner's user)"
ws=$work/workspace tmp=$work/runner_temp
mkdir -p "$tmp/_github_workflow" "$tmp/_runner_file_commands" "$tmp/_github_home"
cp -a testdata/example "$ws"
git -C "$ws" init -q -b main
git -C "$ws" add -A
git -C "$ws" -c user.name=smoke -c user.email=smoke@example.invalid commit -q -m smoke
head=$(git -C "$ws" rev-parse HEAD)
printf '{"ref":"refs/heads/main","after":"%s","repository":{"full_name":"octo/helios"}}\n' "$head" >"$tmp/_github_workflow/event.json"
id=$RANDOM$RANDOM
: >"$tmp/_runner_file_commands/set_output_$id"
: >"$tmp/_runner_file_commands/step_summary_$id"
: >"$tmp/_runner_file_commands/set_env_$id"
: >"$tmp/_runner_file_commands/add_path_$id"
: >"$tmp/_runner_file_commands/save_state_$id"
chown -R 1001:1001 "$ws" "$tmp"

step "run the action as the runner does"
# Every input arrives with its action.yml default, as the runner passes them;
# no github-token, so reporting to GitHub is skipped with a notice (the Go
# tests cover it against a fake API). --network host stands in for a chain
# the container can reach.
inputs=(
  -e "INPUT_MISSION=" -e "INPUT_REPORT-ROOT=" -e "INPUT_NETWORK=" -e "INPUT_RPC-URL=$rpc"
  -e "INPUT_GITHUB-TOKEN=" -e "INPUT_COMMENT=update" -e "INPUT_CHECK-NAME=Helios mission"
  -e "INPUT_STATUS=check-run" -e "INPUT_BASELINE=" -e "INPUT_FAIL-ON-DRIFT=false" -e "INPUT_NEEDS="
  -e "INPUT_KEY=" -e "INPUT_FAIL-ON-FAILURE=true" -e "INPUT_RUN=true" -e "INPUT_UPLOAD=true"
  -e "INPUT_ARTIFACT-NAME=" -e "INPUT_RETENTION-DAYS=" -e "INPUT_COMPRESSION-LEVEL=6" -e "INPUT_JOBS="
)
ghenv=(
  -e HOME=/github/home -e CI=true -e GITHUB_ACTIONS=true
  -e GITHUB_WORKSPACE=/github/workspace -e GITHUB_EVENT_PATH=/github/workflow/event.json
  -e GITHUB_EVENT_NAME=push -e GITHUB_REPOSITORY=octo/helios -e GITHUB_REPOSITORY_OWNER=octo
  -e GITHUB_SHA="$head" -e GITHUB_REF=refs/heads/main -e GITHUB_REF_NAME=main
  -e GITHUB_RUN_ID=4242 -e GITHUB_RUN_NUMBER=7 -e GITHUB_RUN_ATTEMPT=1 -e GITHUB_JOB=smoke
  -e GITHUB_WORKFLOW=smoke -e GITHUB_ACTOR=octocat -e GITHUB_SERVER_URL=https://github.com
  -e GITHUB_API_URL=https://api.github.com -e GITHUB_GRAPHQL_URL=https://api.github.com/graphql
  -e "GITHUB_OUTPUT=/github/file_commands/set_output_$id"
  -e "GITHUB_STEP_SUMMARY=/github/file_commands/step_summary_$id"
  -e "GITHUB_ENV=/github/file_commands/set_env_$id" -e "GITHUB_PATH=/github/file_commands/add_path_$id"
  -e "GITHUB_STATE=/github/file_commands/save_state_$id"
  -e RUNNER_OS=Linux -e RUNNER_ARCH=X64 -e RUNNER_NAME=smoke -e RUNNER_ENVIRONMENT=github-hosted
)
t0=$SECONDS
rc=0
timeout 600 podman run --runtime runc --rm --network host --workdir /github/workspace \
  -v "$ws:/github/workspace" -v "$tmp/_github_workflow:/github/workflow" \
  -v "$tmp/_runner_file_commands:/github/file_commands" -v "$tmp/_github_home:/github/home" \
  "${inputs[@]}" "${ghenv[@]}" "$image" action >"$work/action.log" 2>&1 || rc=$?
run_secs=$((SECONDS - t0))
cat "$work/action.log"
[ "$rc" = 0 ] || fail "the action exited $rc"
echo "the action ran in ${run_secs}s"

step "check what the runner reads back"
outputs=$tmp/_runner_file_commands/set_output_$id
summary=$tmp/_runner_file_commands/step_summary_$id
# name<<DELIM / value / DELIM, as the toolkit writes GITHUB_OUTPUT.
output() {
  awk -v want="$1" '
    d == "" && index($0, "<<") { n = substr($0, 1, index($0, "<<") - 1); d = substr($0, index($0, "<<") + 2); v = ""; c = 0; next }
    d != "" && $0 == d { if (n == want) { print v; found = 1 } d = ""; next }
    d != "" { v = (c++ ? v "\n" : "") $0 }
    END { exit found ? 0 : 1 }' "$outputs"
}
conclusion=$(output conclusion) || fail "no conclusion output"
[ "$conclusion" = success ] || fail "conclusion=$conclusion"
echo "ok: output conclusion=success"
root=$(output report-root) || fail "no report-root output"
bundle=$ws/$root
[ -f "$bundle/SHA256SUMS" ] || fail "no $root/SHA256SUMS"
digest=$(output ledger-digest) || fail "no ledger-digest output"
want=$(sha256sum "$bundle/SHA256SUMS" | cut -d' ' -f1)
[ "$digest" = "$want" ] || fail "ledger-digest $digest, sha256sum of SHA256SUMS $want"
echo "ok: output ledger-digest equals sha256sum of $root/SHA256SUMS ($digest)"
[ "$(output sha256sums)" = "$root/SHA256SUMS" ] || fail "sha256sums output: $(output sha256sums)"
files=$(output files) || fail "no files output"
[ "$files" = "$(wc -l <"$bundle/SHA256SUMS")" ] || fail "files=$files, SHA256SUMS has $(wc -l <"$bundle/SHA256SUMS") lines"
echo "ok: outputs sha256sums=$root/SHA256SUMS, files=$files"
subjects=$(output base64-subjects) || fail "no base64-subjects output"
[ "$(printf '%s' "$subjects" | base64 -d | sha256sum | cut -d' ' -f1)" = "$want" ] ||
  fail "base64-subjects does not decode to SHA256SUMS"
echo "ok: output base64-subjects decodes to SHA256SUMS"

[ -s "$summary" ] || fail "the job summary is empty"
grep -q '^```mermaid' "$summary" || fail "the job summary has no mermaid block"
echo "ok: job summary $(wc -c <"$summary") bytes, with a mermaid block"

(cd "$bundle" && sha256sum -c --quiet --strict SHA256SUMS) || fail "sha256sum -c SHA256SUMS in the bundle"
echo "ok: sha256sum -c SHA256SUMS passes on the host ($files files)"

commit=$(sed -n 's/.*"commit": *"\([0-9a-f]*\)".*/\1/p' "$bundle/manifest.json" | sed -n 1p)
[ "$commit" = "$head" ] || fail "manifest.json git commit '${commit}', workspace HEAD $head (safe.directory?)"
echo "ok: manifest.json records the workspace's commit (git works on the 1001-owned checkout)"

# ::add-mask:: lines are how the runner learns the secret (it never shows
# them); anywhere else the key is a leak.
grep -rlF "$secret" "$ws" "$tmp" && fail "the RPC URL's key leaked into the files above"
grep -vF '::add-mask::' "$work/action.log" | grep -F "$secret" && fail "the RPC URL's key leaked into the log"
grep -qxF "::add-mask::$secret" "$work/action.log" || fail "the action did not mask the RPC URL's key"
echo "ok: the RPC URL's key is masked (::add-mask::) and appears in no file, output, summary or other log line"

grep -q 'no github-token' "$work/action.log" || fail "expected the notice about reporting without a github-token"
echo "ok: without a token the action says it reports in the summary and outputs only"

wrong=$(find "$ws" \( ! -uid 1001 -o ! -gid 1001 \) -printf '%U:%G %P\n' | head -20 || true)
if [ -n "$wrong" ]; then
  echo "$wrong"
  fail "files in the workspace not owned by the workspace owner 1001:1001 (first 20 above)"
fi
echo "ok: every file in the workspace belongs to 1001:1001"

step "steps cannot read the action's own environment"
# A mission step runs as root like helios; /proc/<ppid>/environ would hand
# it the GitHub token unless helios is non-dumpable (no CAP_SYS_PTRACE here).
pws=$(mktemp -d "$tmp/proc.XXXX")
printf 'version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n      - run: cat /proc/$PPID/environ > "$HELIOS_REPORT_ROOT/environ" || echo denied > "$HELIOS_REPORT_ROOT/environ"\n' >"$pws/helios.yml"
timeout 120 podman run --runtime runc --rm --workdir /github/workspace -v "$pws:/github/workspace" \
  -e GITHUB_TOKEN=ghs_smoke_token_in_env -e INPUT_GITHUB-TOKEN=ghs_smoke_token_in_env "$image" run >"$work/proc.log" 2>&1 || { cat "$work/proc.log"; fail "helios run of the /proc mission"; }
grep -q ghs_smoke_token_in_env "$pws/out/environ" && fail "a step read the token from /proc/\$PPID/environ"
grep -qx denied "$pws/out/environ" || fail "expected the step's read of /proc/\$PPID/environ to be refused"
echo "ok: a step's read of /proc/\$PPID/environ is refused (helios is non-dumpable)"

step "done"
echo "checked: the Dockerfile builds from local bases (${build_secs}s); no USER, no WORKDIR, exec-form ENTRYPOINT;"
echo "  sh, git, make, node, npm in the image; helios version carries VERSION;"
echo "  the action run as the runner runs it (${run_secs}s): outputs, summary, ledger, commit, masking, ownership"
echo "image size: $size bytes ($((size / 1024 / 1024)) MiB; local bases, not the pinned ones)"
echo "smoke test: $((SECONDS - start))s"
