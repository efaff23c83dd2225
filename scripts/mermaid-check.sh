#!/usr/bin/env bash
# mermaid-check.sh: render every ```mermaid block of the report golden files
# (internal/report/testdata/*.md) and of docs/architecture.md with the real Mermaid, through mermaid-cli
# from npm and Debian's chromium, and fail on any block that does not render.
#
#   scripts/mermaid-check.sh                 # the golden files
#   scripts/mermaid-check.sh FILE.md ...     # other Markdown files
#   TIMEOUT=600 scripts/mermaid-check.sh
#   MERMAID_OUT=/tmp/svg scripts/mermaid-check.sh   # keep the SVGs to look at
#
# mermaid-cli's own Chrome download cannot work here, so puppeteer is
# installed with PUPPETEER_SKIP_DOWNLOAD=1 and pointed at /usr/bin/chromium
# (apt-get install -y chromium), run with --no-sandbox since CI runs as root.
# Node 20 is enough for the pinned versions (mermaid-cli 12 needs node 22).
set -euo pipefail

MMDC_VERSION=11.17.0    # @mermaid-js/mermaid-cli
PUPPETEER_VERSION=24.43.1
TIMEOUT=${TIMEOUT:-300} # seconds for the whole check, install included
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'mermaid-check: %s\n' "$*" >&2; }

for tool in node npm timeout awk; do
	command -v "$tool" >/dev/null || {
		say "$tool not found (apt-get install -y nodejs npm coreutils gawk)"
		exit 2
	}
done
if [[ ! -x $CHROMIUM ]]; then
	say "chromium not found at $CHROMIUM; install it with: apt-get install -y chromium (or set CHROMIUM=/path/to/chrome)"
	exit 2
fi

if [[ $# -gt 0 ]]; then
	files=("$@")
else
	shopt -s nullglob
	files=("$repo"/internal/report/testdata/*.md "$repo"/docs/architecture.md)
fi
if [[ ${#files[@]} -eq 0 ]]; then
	say "no Markdown files to check"
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mermaid-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
deadline=$((SECONDS + TIMEOUT))
left() { echo $((deadline - SECONDS > 1 ? deadline - SECONDS : 1)); }

# Extract the blocks: one .mmd per block, named after its file and ordinal.
n=0
for f in "${files[@]}"; do
	base=$(basename "$f" .md)
	count=$(awk -v out="$tmp/blocks/$base" '
		BEGIN { system("mkdir -p \"" out "\"") }
		/^```mermaid[[:space:]]*$/ { inside = 1; k++; file = sprintf("%s/%02d.mmd", out, k); printf "" > file; next }
		inside && /^```[[:space:]]*$/ { inside = 0; close(file); next }
		inside { print >> file }
		END { print k + 0 }' "$f")
	say "$(basename "$f"): $count block(s)"
	n=$((n + count))
done
if [[ $n -eq 0 ]]; then
	say "no mermaid blocks found in ${#files[@]} file(s); nothing was checked"
	exit 1
fi

say "installing @mermaid-js/mermaid-cli@$MMDC_VERSION and puppeteer@$PUPPETEER_VERSION (no browser download)"
mkdir -p "$tmp/npm"
(
	cd "$tmp/npm"
	echo '{"private": true}' >package.json
	PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 timeout "$(left)" \
		npm install --no-save --no-audit --no-fund --loglevel=error \
		"@mermaid-js/mermaid-cli@$MMDC_VERSION" "puppeteer@$PUPPETEER_VERSION" >"$tmp/npm.log" 2>&1
) || {
	cat "$tmp/npm.log" >&2
	say "npm install failed"
	exit 2
}
mmdc="$tmp/npm/node_modules/.bin/mmdc"

cat >"$tmp/puppeteer.json" <<EOF
{
  "executablePath": "$CHROMIUM",
  "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-setuid-sandbox"],
  "headless": "shell"
}
EOF

failed=0
checked=0
same=0
# Many goldens share a block (the same phase graph in several layouts):
# each distinct block is rendered once, the others are named as the same.
declare -A seen=()
for mmd in "$tmp"/blocks/*/*.mmd; do
	name=${mmd#"$tmp/blocks/"}
	sum=$(sha256sum "$mmd" | awk '{ print $1 }')
	if [[ -n ${seen[$sum]:-} ]]; then
		say "same $name (as ${seen[$sum]})"
		same=$((same + 1))
		continue
	fi
	seen[$sum]=$name
	if out=$(timeout "$(left)" "$mmdc" --quiet -p "$tmp/puppeteer.json" -i "$mmd" -o "${mmd%.mmd}.svg" 2>&1) &&
		[[ -s ${mmd%.mmd}.svg ]] && ! grep -q 'Syntax error in text' "${mmd%.mmd}.svg"; then
		kind=$(awk 'NF { print $1; exit }' "$mmd")
		if [[ -n ${MERMAID_OUT:-} ]]; then
			mkdir -p "$MERMAID_OUT"
			cp "${mmd%.mmd}.svg" "$MERMAID_OUT/${name//\//-}.svg"
		fi
		say "ok   $name ($kind, $(wc -c <"$mmd") bytes → $(wc -c <"${mmd%.mmd}.svg") bytes of SVG)"
	else
		failed=$((failed + 1))
		say "FAIL $name"
		printf '%s\n' "$out" | sed 's/^/    /' >&2
	fi
	checked=$((checked + 1))
done

say "$checked distinct block(s) rendered ($same more the same) from ${#files[@]} file(s) with mermaid-cli $MMDC_VERSION and $("$CHROMIUM" --version 2>/dev/null | head -1); $failed failed"
[[ $failed -eq 0 ]]
