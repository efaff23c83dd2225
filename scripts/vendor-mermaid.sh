#!/usr/bin/env bash
# Fetches Mermaid's UMD build for the browsable bundle (index.html) from the
# npm registry and stores it, with its licence, in internal/site/assets/,
# where go:embed puts it into the helios binary. Run it to change the pinned
# version, then commit the four files. It needs npm, tar, gzip and sha256sum.
#
# The script is stored gzipped (mermaid.min.js.gz: 3.4 MiB are 0.9 MiB so)
# and helios inflates it when it writes a bundle; mermaid.min.js.sha256
# records the npm package's bytes, which the bundles get and the tests
# check.
#
# The UMD build (dist/mermaid.min.js) is a classic script that defines the
# global `mermaid`: ES modules do not load from file://, and the bundle is
# meant to be opened from an unzipped artifact with no network.
set -euo pipefail
cd "$(dirname "$0")/.."

# 11.17.2 rather than 12.x: its mermaid.min.js is 3.4 MiB against 5.3 MiB,
# and every run ships a copy in its bundle.
version=11.17.2
dest=internal/site/assets

command -v npm >/dev/null || { echo "vendor-mermaid: npm is needed (apt-get install -y npm)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "mermaid@$version" >/dev/null)
tar -xzf "$tmp/mermaid-$version.tgz" -C "$tmp" package/dist/mermaid.min.js package/LICENSE
# The UMD build ends by assigning the global; refuse anything else (an ESM
# build would fail silently in the page).
tail -c 200 "$tmp/package/dist/mermaid.min.js" | grep -q 'globalThis\["mermaid"\]' ||
  { echo "vendor-mermaid: mermaid@$version dist/mermaid.min.js does not define the global mermaid" >&2; exit 1; }

mkdir -p "$dest"
# -n: no name or time in the header, so the same input gives the same file.
gzip -9 -n -c "$tmp/package/dist/mermaid.min.js" > "$dest/mermaid.min.js.gz"
(cd "$tmp/package/dist" && sha256sum mermaid.min.js) > "$dest/mermaid.min.js.sha256"
gzip -d -c "$dest/mermaid.min.js.gz" | sha256sum -c <(sed 's/ mermaid\.min\.js$/ -/' "$dest/mermaid.min.js.sha256") >/dev/null ||
  { echo "vendor-mermaid: mermaid.min.js.gz does not inflate to mermaid.min.js" >&2; exit 1; }
rm -f "$dest/mermaid.min.js" # the uncompressed copy of older versions of this script
cp "$tmp/package/LICENSE" "$dest/mermaid.LICENSE"
printf '%s\n' "$version" > "$dest/mermaid.version"
echo "vendor-mermaid: mermaid@$version → $dest"
cat "$dest/mermaid.min.js.sha256"
(cd "$dest" && sha256sum mermaid.LICENSE)
echo "mermaid.min.js: $(wc -c < "$tmp/package/dist/mermaid.min.js") bytes, $(wc -c < "$dest/mermaid.min.js.gz") gzipped"
