#!/usr/bin/env bash
# The action on a real runner: nektos/act (an independent implementation of
# GitHub's runner, in Go) runs workflows that use this repository as
# `uses: ./` against podman's Docker API. act loads action.yml as a runner
# does, builds the Dockerfile, and runs the container with the runner's
# mounts, inputs, file commands and artifact service; the cases and their
# checks are Go tests (e2e/act_test.go, TestAct) run from here:
#
#   push                      outputs seen by the next step; the ledger, its digest,
#                             the artifact act's server stored; file ownership
#   pull_request              one sticky comment by the bot and a completed check
#                             run on the PR head; a second run edits the comment
#   failing mission           the step fails, outputs are still set, the check run
#                             concludes failure with an annotation, the bundle is uploaded
#   fork PR, no permissions   403s from GitHub: one notice, the summary keeps the report
#   hostile steps             steps read every /proc/*/environ they can and try the
#                             mounted Docker socket: no token, no secret, EACCES
#   README workflow_run       the README's fork-safe pair: the untrusted half's
#                             artifact verified and reported by the trusted half (run: false)
#   README usage workflow     the README's own workflow, RPC URL secret masked
#
# Needs (as root): podman, runc, debootstrap, go, node 20, git, sha256sum.
# It installs nothing; .ci/run does:
#   apt-get install -y podman runc debootstrap
# act itself is built from its Go module. The base images are built from
# nothing when absent (scripts/lib/local-bases.sh).
set -euo pipefail

# The whole script is bounded: it re-runs itself under timeout once.
if [ -z "${HELIOS_ACT_BOUNDED:-}" ]; then
  HELIOS_ACT_BOUNDED=1 exec timeout --kill-after=10 1150 bash "$0" "$@"
fi

cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
act_version=v0.2.87
start=$SECONDS
step() { printf '\n--- %s (%ds)\n' "$1" "$((SECONDS - start))"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "tools"
# shellcheck source=scripts/lib/local-bases.sh
source scripts/lib/local-bases.sh
bases_tools git || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/helios-act.XXXXXX")
svc_pid=""
cleanup() {
  local rc=$?
  # act names its containers and volumes act-…; the action's image is
  # always act-dockeraction:latest.
  if [ -n "$svc_pid" ]; then
    podman ps -aq --filter name='^act-' | xargs -r podman rm -f >/dev/null 2>&1 || true
    podman volume ls -q --filter name='^act-' | xargs -r podman volume rm -f >/dev/null 2>&1 || true
    podman rmi -f act-dockeraction:latest >/dev/null 2>&1 || true
    podman image prune -f >/dev/null 2>&1 || true
    kill "$svc_pid" 2>/dev/null || true
    wait "$svc_pid" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ] && [ -d "$work/logs" ]; then
    echo "act logs: $work/logs (kept)"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT

step "local base images"
bases_all || fail "base images"

step "act $act_version"
t0=$SECONDS
GOBIN=$work/bin GOFLAGS=-mod=mod timeout 600 go install "github.com/nektos/act@$act_version" ||
  fail "go install github.com/nektos/act@$act_version"
"$work/bin/act" --version
echo "built in $((SECONDS - t0))s"

step "podman's Docker API"
sock=$work/podman.sock
podman system service --time=0 "unix://$sock" >"$work/podman-service.log" 2>&1 &
svc_pid=$!
for _ in $(seq 1 100); do
  [ -S "$sock" ] && podman --url "unix://$sock" version >/dev/null 2>&1 && break
  kill -0 "$svc_pid" 2>/dev/null || { cat "$work/podman-service.log"; fail "podman system service exited"; }
  sleep 0.1
done
podman --url "unix://$sock" version --format 'API {{.Server.APIVersion}} on unix://'"$sock"
# A stale image from another tree would be run instead of this one.
podman rmi -f act-dockeraction:latest >/dev/null 2>&1 || true

step "TestAct (e2e/act_test.go)"
mkdir -p "$work/logs"
t0=$SECONDS
HELIOS_ACT=$work/bin/act DOCKER_HOST=unix://$sock HELIOS_ACT_PLATFORM=$HELIOS_DEBIAN_IMAGE \
  HELIOS_GO_IMAGE=$HELIOS_GO_IMAGE HELIOS_NODE_IMAGE=$HELIOS_NODE_IMAGE HELIOS_ACT_LOGS=$work/logs \
  go test ./e2e -run '^TestAct$' -count=1 -v -timeout 1000s 2>&1 | tee "$work/test.log" |
  grep -E '^(=== RUN|--- |\s+act_test.go|\s+--- |PASS|FAIL|ok|panic)' || true
grep -q '^ok ' "$work/test.log" || { tail -60 "$work/test.log"; fail "TestAct"; }
grep -q -- '--- SKIP' "$work/test.log" && fail "TestAct skipped a case"

step "done"
echo "checked under act $act_version: action.yml loads, the Dockerfile builds, and the action runs as a step:"
sed -n 's/^ *act_test.go:[0-9]*: \(act .*\) (log: .*)$/  \1/p' "$work/test.log"
echo "act cases: $((SECONDS - t0))s; whole script: $((SECONDS - start))s"
