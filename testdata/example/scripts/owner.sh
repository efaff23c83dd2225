#!/bin/sh
# owner.sh KIND DIR: writes an owner governance report into DIR.
set -eu
kind=$1 dir=$2
mkdir -p "$dir"
case "$kind" in
parameter-matrix)
  printf '# Owner parameter matrix\n\n| Subsystem | Parameter | Command |\n| --- | --- | --- |\n| RewardEngineMB | kappa | `owner:parameters --set kappa` |\n| Thermostat | kp | `updateThermostat --kp` |\n' >"$dir/parameter-matrix.md"
  ;;
emergency-runbook)
  printf '# Emergency runbook\n\n1. Pause every module through SystemPause.\n2. Rotate the compromised signer.\n3. Resume and re-run the mission.\n' >"$dir/emergency-runbook.md"
  ;;
*)
  echo "owner.sh: unknown report $kind" >&2
  exit 2
  ;;
esac
echo "wrote $kind"
