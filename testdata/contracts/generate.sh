#!/bin/sh
# Recompiles the dev chain's fixture contracts with a pinned solcjs from npm
# and refreshes the copy that internal/devchain embeds. Building helios needs
# only Go: the outputs are committed. Run from anywhere:
#   sh testdata/contracts/generate.sh
set -eu
SOLC_VERSION=0.8.26
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "solc@$SOLC_VERSION")
node "$here/generate.mjs" "$tmp/node_modules"
cp "$here/build/fixtures.json" "$repo/internal/devchain/fixtures.json"
echo "copied to internal/devchain/fixtures.json (solc $SOLC_VERSION)"
