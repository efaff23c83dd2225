#!/bin/sh
# rehearse.sh NAME DIR: writes the receipts of a dry-run rehearsal into DIR,
# laid out like the upstream asi-takeoff / asi-global demos.
set -eu
name=$1 dir=$2
mkdir -p "$dir/mission-bundle" "$dir/logs"
jobs=$(grep -c '"' "demo/$name/project-plan.json")
printf '{\n  "mission": "%s",\n  "network": "%s",\n  "status": "dry-run-complete"\n}\n' "$name" "$HELIOS_NETWORK" >"$dir/dry-run.json"
printf '{\n  "roleShares": {"agent": 65, "validator": 15, "operator": 15, "employer": 5},\n  "temperature": "1.0"\n}\n' >"$dir/thermodynamics.json"
printf '# %s mission control\n\n| Step | Status |\n| --- | --- |\n| dry-run | complete |\n| thermodynamics | within envelope |\n' "$name" >"$dir/mission-control.md"
printf '# %s summary\n\nThe rehearsal completed on %s.\n' "$name" "$HELIOS_NETWORK" >"$dir/summary.md"
printf '{\n  "mission": "%s",\n  "planLines": %s\n}\n' "$name" "$jobs" >"$dir/summary.json"
printf '{"receipt": "%s"}\n' "$name" >"$dir/mission-bundle/receipt.json"
echo "rehearsal $name started" | tee "$dir/logs/rehearsal.log"
echo "rehearsal $name complete" | tee -a "$dir/logs/rehearsal.log"
