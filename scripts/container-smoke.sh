#!/usr/bin/env bash
# Container smoke test: what the act cases (scripts/act-e2e.sh) cannot
# show. act builds the Dockerfile with no build arguments and runs the
# action as a step; this script builds it as the release workflow does
# (--build-arg VERSION) and checks the image itself:
#
#   - no USER and no WORKDIR (GitHub's Dockerfile rules for actions), the
#     exec-form ENTRYPOINT the runner's args are appended to;
#   - sh, git, make, node and npm in the image, for mission steps;
#   - `helios version` carries the build's VERSION;
#   - a mission step, running as root like helios (a root-owned workspace),
#     finds the action's token in no /proc/<pid>/environ it can read.
#
# The bases are local (scripts/lib/local-bases.sh: made from nothing when
# absent); the host's module and build caches are mounted into the build's
# RUN steps, which makes it a warm compile of the same sources.
#
# Needs (as root): podman, runc, debootstrap, go, node 20, sha256sum. It
# installs nothing; .ci/run does:
#   apt-get install -y podman runc debootstrap
# HELIOS_SMOKE_KEEP=1 keeps the built image and the work folder.
set -euo pipefail

# The whole script is bounded: it re-runs itself under timeout once.
if [ -z "${HELIOS_SMOKE_BOUNDED:-}" ]; then
  HELIOS_SMOKE_BOUNDED=1 exec timeout --kill-after=10 350 bash "$0" "$@"
fi

cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
start=$SECONDS
step() { printf '\n--- %s (%ds)\n' "$1" "$((SECONDS - start))"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "tools"
# shellcheck source=scripts/lib/local-bases.sh
source scripts/lib/local-bases.sh
bases_tools || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/helios-smoke.XXXXXX")
image=localhost/helios-action:smoke-$$
: >"$work/dangling.before"
cleanup() {
  local rc=$?
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

step "local base images"
bases_all || fail "base images"

step "build the Dockerfile (--build-arg VERSION, as release.yml does)"
podman images -q --filter dangling=true | sort -u >"$work/dangling.before"
t0=$SECONDS
timeout 300 podman build --pull=never \
  --build-arg GO_IMAGE="$HELIOS_GO_IMAGE" --build-arg RUNTIME_IMAGE="$HELIOS_NODE_IMAGE" --build-arg VERSION=v0.0.0-smoke \
  -v "$(go env GOMODCACHE):/go/pkg/mod" -v "$(go env GOCACHE):/root/.cache/go-build" \
  -t "$image" -f Dockerfile . >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log"; fail "podman build"; }
build_secs=$((SECONDS - t0))
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "built $image in ${build_secs}s; size $size bytes ($((size / 1024 / 1024)) MiB)"

step "the image"
[ "$(podman image inspect --format '{{.Config.User}}' "$image")" = "" ] || fail "the image sets USER"
[ "$(podman image inspect --format '{{.Config.WorkingDir}}' "$image")" = "" ] || fail "the image sets WORKDIR"
podman image inspect --format '{{json .Config.Entrypoint}}' "$image" | grep -qx '\["/usr/local/bin/helios"\]' ||
  fail "the entrypoint is not [\"/usr/local/bin/helios\"]"
echo "ok: no USER, no WORKDIR, ENTRYPOINT [\"/usr/local/bin/helios\"]"
for tool in sh git make node npm; do
  timeout 60 podman run --rm --entrypoint sh "$image" -c "command -v $tool >/dev/null" || fail "$tool missing in the image"
done
echo "ok: sh, git, make, node, npm in the image"
timeout 60 podman run --rm "$image" version | tee "$work/version.txt"
grep -q 'v0.0.0-smoke' "$work/version.txt" || fail "helios version does not carry the build's VERSION"
echo "ok: helios version carries the build's VERSION"

step "steps cannot read the action's own environment"
# Here the workspace is root's, so steps run as root, as helios does (no
# one to drop to; see README, Step isolation). A step reads every
# /proc/<pid>/environ it can: helios's (pid 1, re-executed with a sealed
# environment, non-dumpable) and its supervisor's (started with an empty
# one) must hold no token.
pws=$work/proc
mkdir -p "$pws"
printf 'version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n      - run: for f in /proc/[0-9]*/environ; do tr "\\\\0" "\\\\n" 2>/dev/null <"$f" || echo "denied $f"; done > "$HELIOS_REPORT_ROOT/environ"\n' >"$pws/helios.yml"
timeout 120 podman run --rm --workdir /github/workspace -v "$pws:/github/workspace" \
  -e GITHUB_TOKEN=ghs_smoke_token_in_env -e INPUT_GITHUB-TOKEN=ghs_smoke_token_in_env "$image" run >"$work/proc.log" 2>&1 || { cat "$work/proc.log"; fail "helios run of the /proc mission"; }
[ -s "$pws/out/environ" ] || fail "the step recorded nothing"
grep -q ghs_smoke_token_in_env "$pws/out/environ" && fail "a step read the token from a /proc/<pid>/environ"
if grep -qx 'denied /proc/1/environ' "$pws/out/environ"; then
  echo "ok: no token in any /proc/<pid>/environ a step can read (helios's own was refused: non-dumpable)"
else
  echo "ok: no token in any /proc/<pid>/environ a step can read (helios's own was readable here, and sealed)"
fi

step "done"
echo "checked: the Dockerfile builds from local bases with --build-arg VERSION (${build_secs}s); no USER, no WORKDIR,"
echo "  exec-form ENTRYPOINT; sh, git, make, node, npm in the image; helios version carries VERSION;"
echo "  no step finds the token through /proc. The action as a step: scripts/act-e2e.sh."
echo "image size: $size bytes ($((size / 1024 / 1024)) MiB; local bases, not the pinned ones)"
echo "smoke test: $((SECONDS - start))s"
