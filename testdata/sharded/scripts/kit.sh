#!/bin/sh
# kit.sh: the merge's regional kit, built from every shard's review.
set -eu
root="$HELIOS_REPORT_ROOT"
mkdir -p "$root/kits"
{
	echo "# Regional kit"
	echo
	for review in $(find "$root/shards" -name review.md -type f | LC_ALL=C sort); do
		shard=$(basename "$(dirname "$review")")
		echo "- $shard: $(grep -c . "$review") lines, $(grep Verdict "$review" | cut -d' ' -f3)"
	done
} >"$root/kits/regional.md"
cat "$root/kits/regional.md"
