#!/usr/bin/env bash
# hardhat-e2e.sh: the chain end-to-end tests against a second real node.
# It installs Hardhat from npm into a temp folder, starts `hardhat node` on
# a free loopback port, and runs the e2e tests named TestHardhat* with
# HELIOS_HARDHAT_URL pointing at it. The tests load the dev chain's state
# into the node themselves (hardhat_reset, hardhat_setCode,
# hardhat_setStorageAt, hardhat_setBalance, hardhat_setNonce, evm_mine: see
# e2e/hardhat_test.go), run the example mission against both chains and
# compare the chain reports byte for byte.
#
#   scripts/hardhat-e2e.sh
#   TIMEOUT=900 scripts/hardhat-e2e.sh
#
# `hardhat node` compiles nothing, so no solc download is needed; it wants a
# hardhat.config.js in its folder, written here with Hardhat's chain id.
set -euo pipefail

HARDHAT_VERSION=2.26 # npm hardhat; chain id 31337
TIMEOUT=${TIMEOUT:-600} # seconds for the whole check, install included

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'hardhat-e2e: %s\n' "$*" >&2; }

for tool in node npm go timeout setsid; do
	command -v "$tool" >/dev/null || {
		say "$tool not found (apt-get install -y nodejs npm coreutils util-linux)"
		exit 2
	}
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hardhat-e2e.XXXXXX")
node_pid=""
cleanup() {
	if [[ -n $node_pid ]]; then
		# The node runs in its own process group (setsid): npx, node and
		# anything they started go together.
		kill -TERM -- "-$node_pid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 -- "-$node_pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL -- "-$node_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start=$SECONDS
deadline=$((SECONDS + TIMEOUT))
left() { echo $((deadline - SECONDS > 1 ? deadline - SECONDS : 1)); }

say "installing hardhat@$HARDHAT_VERSION"
mkdir -p "$tmp/hardhat"
cd "$tmp/hardhat"
echo '{"private": true}' >package.json
cat >hardhat.config.js <<'EOF'
// Only the in-process network matters: Hardhat's chain id, automine (the
// default) so evm_mine after loading puts the state at "latest".
module.exports = { networks: { hardhat: { chainId: 31337 } } };
EOF
timeout "$(left)" npm install --no-save --no-audit --no-fund --loglevel=error \
	"hardhat@$HARDHAT_VERSION" >"$tmp/npm.log" 2>&1 || {
	cat "$tmp/npm.log" >&2
	say "npm install failed"
	exit 2
}
version=$(node -p 'require("hardhat/package.json").version')
say "hardhat $version installed in $((SECONDS - start)) s"

# A free loopback port: bind port 0 and let it go. Another process could
# take it before Hardhat does; the wait below then fails clearly.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
url="http://127.0.0.1:$port"
setsid npx --no-install hardhat node --hostname 127.0.0.1 --port "$port" >"$tmp/node.log" 2>&1 &
node_pid=$!

# Wait for eth_chainId to answer 31337 (0x7a69), at most 120 tries (node's
# fetch: Node 18+, no curl needed).
chain_id=""
for _ in $(seq 1 120); do
	chain_id=$(timeout 3 node -e '
		fetch(process.argv[1], {method: "POST", headers: {"Content-Type": "application/json"},
			body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_chainId", params: []})})
			.then(r => r.text()).then(console.log, () => process.exit(1))' "$url" 2>/dev/null || true)
	[[ $chain_id == *'"0x7a69"'* ]] && break
	if ! kill -0 "$node_pid" 2>/dev/null; then
		cat "$tmp/node.log" >&2
		say "hardhat node exited before serving"
		exit 1
	fi
	chain_id=""
	sleep 0.5
done
if [[ -z $chain_id ]]; then
	tail -20 "$tmp/node.log" >&2
	say "hardhat node did not answer eth_chainId 0x7a69 at $url after 120 tries"
	exit 1
fi
say "hardhat node $version serves chain id 31337 at $url"

cd "$repo"
set +e
HELIOS_HARDHAT_URL=$url timeout "$(left)" go test ./e2e -run '^TestHardhat' -count=1 -v >"$tmp/test.log" 2>&1
status=$?
set -e
grep -E '^(=== RUN|--- |PASS|FAIL|ok )|hardhat_test.go|^ {10}' "$tmp/test.log" || true
if [[ $status -ne 0 ]]; then
	say "the Hardhat tests failed (exit $status); node log tail:"
	tail -20 "$tmp/node.log" >&2
	exit 1
fi
if grep -q -- '--- SKIP' "$tmp/test.log"; then
	say "a Hardhat test skipped although HELIOS_HARDHAT_URL was set"
	exit 1
fi
same=$(grep -c 'same: ' "$tmp/test.log" || true)
say "checked: $same chain reports and manifest step data byte-identical to the simulated backend's (block normalised), the 429 retry and Hardhat's revert, no-code and malformed answers; $((SECONDS - start)) s"
