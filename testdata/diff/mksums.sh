#!/bin/sh
# mksums.sh regenerates the SHA256SUMS of the fixture bundles with coreutils,
# the way helios writes them (LC_ALL=C order, "./" names, the ledger itself
# left out), so the fixtures carry real sums. Run it after editing a fixture;
# TestFixtureLedgers fails until you do.
set -eu
cd "$(dirname "$0")"
for b in old new; do
	(
		cd "$b"
		LC_ALL=C find . -type f ! -path ./SHA256SUMS ! -path ./SHA256SUMS.tmp -print0 |
			LC_ALL=C sort -z |
			xargs -0 sha256sum >SHA256SUMS.tmp
		mv SHA256SUMS.tmp SHA256SUMS
	)
done
