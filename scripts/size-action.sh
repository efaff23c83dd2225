#!/bin/sh
# Prints the size of the production binary (cmd/action, stripped) as built,
# and as it would be if it imported go-ethereum's simulated backend: the
# reason internal/builtin's guard test keeps that import out. The second
# build adds the import through -overlay, so no file of the tree changes.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$repo"
printf 'package main\n\nimport _ "github.com/ethereum/go-ethereum/ethclient/simulated"\n' > "$tmp/sim.go"
printf '{"Replace":{"%s":"%s"}}\n' "$repo/cmd/action/zz_simulated.go" "$tmp/sim.go" > "$tmp/overlay.json"
go build -trimpath -ldflags "-s -w" -o "$tmp/helios" ./cmd/action
go build -trimpath -ldflags "-s -w" -overlay "$tmp/overlay.json" -o "$tmp/helios-sim" ./cmd/action
go build -trimpath -ldflags "-s -w" -o "$tmp/devchain" ./cmd/devchain
size() { wc -c < "$1" | tr -d ' '; }
a=$(size "$tmp/helios"); b=$(size "$tmp/helios-sim"); d=$(size "$tmp/devchain")
echo "cmd/action                         $a bytes ($((a / 1048576)) MiB)"
echo "cmd/action + ethclient/simulated   $b bytes ($((b / 1048576)) MiB), ratio $(awk "BEGIN{printf \"%.2f\", $b/$a}")"
echo "cmd/devchain                       $d bytes ($((d / 1048576)) MiB)"
if go list -deps ./cmd/action | grep -q 'ethclient/simulated'; then
	echo "FAIL: cmd/action imports ethclient/simulated" >&2
	exit 1
fi
echo "ok: go list -deps ./cmd/action has no ethclient/simulated"
