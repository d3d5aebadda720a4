#!/usr/bin/env bash
# bench/image.sh MCC APP [MIRROR]: image sizes for APP (a static binary) with
# mcc image's three content sets, and the wall time of one `mcc image`.
# Prints one line per figure; see bench/image.md for the figures measured.
set -euo pipefail
mcc=${1:?usage: bench/image.sh MCC APP [MIRROR]} app=${2:?usage: bench/image.sh MCC APP [MIRROR]}
mirror=${3:-$(dirname "$0")/../.mirror/debian}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export MCC_CACHE=$tmp/cache
echo "binary $(basename "$app"): $(stat -c %s "$app") bytes, gzip -5 alone $(gzip -5 -c "$app" | wc -c) bytes"
for variant in --no-ca-certs default --tzdata; do
  flag=$variant; [ "$variant" = default ] && flag=
  "$mcc" -q --mirror "$mirror" image -o "$tmp/i.tar" --layout "$tmp/i.oci" $flag "$app" >/dev/null
  python3 - "$tmp/i.oci" "$tmp/i.tar" "$variant" <<'PY'
import gzip, json, os, sys
lay, tar, variant = sys.argv[1:]
blob = lambda d: open(os.path.join(lay, "blobs", "sha256", d.split(":")[1]), "rb").read()
man_raw = blob(json.load(open(os.path.join(lay, "index.json")))["manifests"][0]["digest"])
man = json.loads(man_raw)
layer = man["layers"][0]
total = layer["size"] + man["config"]["size"] + len(man_raw)
print(f"{variant:13} layer {layer['size']:>9} B gz, {len(gzip.decompress(blob(layer['digest']))):>9} B tar; "
      f"pulled total {total:>9} B; docker-archive {os.path.getsize(tar):>9} B")
PY
done
start=$(date +%s%N)
"$mcc" -q --mirror "$mirror" image -o "$tmp/t.tar" "$app" >/dev/null
echo "mcc image -o OUT.tar (CA certs): $(( ($(date +%s%N) - start) / 1000000 )) ms wall, load $(cut -d' ' -f1 /proc/loadavg)"
