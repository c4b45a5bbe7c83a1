#!/usr/bin/env bash
# Builds the Azure DevOps extension (.vsix) with the brickci binary inside the task folder,
# then checks what went in: the marketplace takes at most 25 MB and nothing unexpected ships.
# Usage: package.sh [BINARY] [OUTPUT_DIR]
#   BINARY      default: target/x86_64-unknown-linux-gnu/release/brickci (scripts/build-static)
#   OUTPUT_DIR  default: azure-pipelines-task/dist
# tfx comes from PATH or $TFX (npm tfx-cli).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
binary=${1:-${CARGO_TARGET_DIR:-$repo/target}/x86_64-unknown-linux-gnu/release/brickci}
out=${2:-$here/dist}
tfx=${TFX:-tfx}
max_bytes=$((25 * 1024 * 1024))

[ -f "$binary" ] || { echo "package.sh: no binary at $binary (run scripts/build-static or pass its path)" >&2; exit 2; }
# An x86-64 ELF executable: the launcher refuses other agents, so nothing else may ship.
magic=$(head -c 20 "$binary" | od -An -tx1 | tr -d ' \n')
case "$magic" in
  7f454c46020101*3e00) ;;
  *) echo "package.sh: $binary is not an x86-64 Linux ELF binary" >&2; exit 2 ;;
esac

mkdir -p "$here/brickci/bin" "$out"
install -m 0755 "$binary" "$here/brickci/bin/brickci"
rm -f "$out"/*.vsix
"$tfx" extension create --root "$here" --manifest-globs vss-extension.json \
  --output-path "$out" --no-prompt >/dev/null
vsix=$(ls "$out"/*.vsix)

size=$(stat -c %s "$vsix")
if [ "$size" -ge "$max_bytes" ]; then
  echo "package.sh: $vsix is $size bytes, over the marketplace's 25 MB" >&2; exit 1
fi

# Exactly these entries: the manifests tfx writes, the README and the task folder.
expected='README.md
[Content_Types].xml
brickci/bin/brickci
brickci/launcher.js
brickci/task.json
extension.vsixmanifest
extension.vsomanifest'
actual=$(python3 -c 'import sys, zipfile; print("\n".join(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if not n.endswith("/"))))' "$vsix")
if [ "$actual" != "$(sort <<<"$expected")" ]; then
  echo "package.sh: unexpected .vsix contents:" >&2
  diff <(sort <<<"$expected") <(echo "$actual") >&2 || true
  exit 1
fi
echo "$vsix $size bytes"
