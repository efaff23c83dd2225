#!/usr/bin/env bash
# Lints every workflow with actionlint (from the Go module proxy, pinned),
# which also runs shellcheck on `run:` scripts when shellcheck is installed.
# Workflows that use the action as `uses: ./` make actionlint read
# action.yml too: an unknown input, a missing required one or a malformed
# action.yml is an error there. action.yml's own shape is checked first.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
version=v1.7.12

workflows=(.github/workflows/*.yml)
[ -e "${workflows[0]}" ] || { echo "no workflows under .github/workflows"; exit 1; }

echo "actionlint $version"
timeout 300 go run "github.com/rhysd/actionlint/cmd/actionlint@$version" -version | sed -n 1p

# action.yml: a Docker action whose image is the Dockerfile on main, or a
# prebuilt image by digest on a release commit.
grep -q '^  using: docker$' action.yml || { echo "action.yml: runs.using is not docker"; exit 1; }
image=$(sed -n 's/^  image: *//p' action.yml | tr -d "\"'")
case "$image" in
  Dockerfile) [ -f Dockerfile ] || { echo "action.yml: image Dockerfile, but there is no Dockerfile"; exit 1; } ;;
  docker://*@sha256:*) ;;
  *) echo "action.yml: image must be Dockerfile or docker://IMAGE@sha256:DIGEST, got '$image'"; exit 1 ;;
esac
echo "action.yml: runs.using docker, image $image"

if command -v shellcheck >/dev/null; then
  echo "shellcheck: $(shellcheck --version | sed -n 's/^version: //p') (run: scripts are checked)"
else
  echo "shellcheck: not installed (run: scripts are not checked)"
fi
timeout 300 go run "github.com/rhysd/actionlint/cmd/actionlint@$version" -no-color "${workflows[@]}"
uses_local=$(grep -l -E '^\s*(-\s*)?uses:\s*\./?\s*$' "${workflows[@]}" || true)
echo "actionlint: ${#workflows[@]} workflows clean: ${workflows[*]}"
if [ -n "$uses_local" ]; then
  echo "action.yml checked against the inputs used in: $(echo "$uses_local" | tr '\n' ' ')"
else
  echo "no workflow uses ./ : action.yml inputs were not checked by actionlint"; exit 1
fi
