#!/bin/sh
# sector.sh rehearse|review: one shard's work, into its own folder
# ($HELIOS_REPORT_ROOT is shards/<id>/ for a sharded phase). The output
# depends only on the shard, so every run of a commit writes the same files.
set -eu
out="$HELIOS_REPORT_ROOT"
case "$1" in
rehearse)
	mkdir -p "$out/rehearsal"
	i=1
	while [ "$i" -le "${SECTOR_FILES:-4}" ]; do
		printf '{"shard":"%s","region":"%s","sector":"%s","step":%d}\n' \
			"$HELIOS_SHARD" "$HELIOS_MATRIX_REGION" "$HELIOS_MATRIX_SECTOR" "$i" >"$out/rehearsal/$i.json"
		i=$((i + 1))
	done
	echo "rehearsed $HELIOS_SHARD: $((i - 1)) files"
	;;
review)
	n=$(find "$out/rehearsal" -name '*.json' -type f | wc -l)
	{
		echo "# Review of $HELIOS_MATRIX_SECTOR in $HELIOS_MATRIX_REGION"
		echo
		echo "- Rehearsal files: $n"
		echo "- Verdict: ready"
	} >"$out/review.md"
	echo "reviewed $HELIOS_SHARD"
	;;
*)
	echo "usage: sector.sh rehearse|review" >&2
	exit 2
	;;
esac
