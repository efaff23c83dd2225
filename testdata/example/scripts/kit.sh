#!/bin/sh
# kit.sh DIR NAME: indexes the artefacts in DIR as NAME.json and NAME.md
# (path and size of every file but the logs, which change between runs).
set -eu
dir=$1 name=$2
cd "$dir"
files=$(LC_ALL=C find . -type f ! -path './logs/*' ! -name "$name.*" | LC_ALL=C sort)
{
  printf '{\n  "kit": "%s",\n  "artefacts": [' "$name"
  sep=''
  for f in $files; do
    printf '%s\n    {"path": "%s", "size": %s}' "$sep" "${f#./}" "$(wc -c <"$f" | tr -d ' ')"
    sep=','
  done
  printf '\n  ]\n}\n'
} >"$name.json"
{
  printf '# %s\n\n| Artefact | Bytes |\n| --- | --- |\n' "$name"
  for f in $files; do printf '| %s | %s |\n' "${f#./}" "$(wc -c <"$f" | tr -d ' ')"; done
} >"$name.md"
echo "kit $name: $(echo "$files" | wc -l) artefacts"
