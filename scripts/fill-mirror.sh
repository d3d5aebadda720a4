#!/usr/bin/env bash
# Fills mcc's local mirror from Debian's archive, offline-friendly and
# idempotent: Debian's source packages hold the very upstream tarballs that
# mcc pins (musl_1.2.3.orig.tar.gz is upstream's musl-1.2.3.tar.gz), and
# `mcc mirror add` checks each file against its pin before copying it.
#   usage: fill-mirror.sh DOWNLOAD_DIR MCC
set -euo pipefail
dir=${1:?usage: fill-mirror.sh DOWNLOAD_DIR MCC}
mcc=${2:?usage: fill-mirror.sh DOWNLOAD_DIR MCC}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

if [ ! -f "$dir/musl_1.2.3.orig.tar.gz" ] || [ ! -f "$dir/musl_1.2.3.orig.tar.gz.asc" ]; then
  tmp=$(mktemp -d "$dir/.musl.XXXXXX"); chmod 0755 "$tmp"
  (cd "$tmp" && apt-get source --download-only -qq musl >/dev/null 2>&1)
  mv -f "$tmp"/musl_1.2.3.orig.tar.gz* "$dir"/
  rm -rf "$tmp"
fi

# Other areas (Mono sources, image CA certificates, ...) bring their own.
for extra in "$(dirname "$0")"/fill-mirror-*.sh; do
  [ -e "$extra" ] && bash "$extra" "$dir"
done

"$mcc" mirror add --skip-unpinned "$dir"/* >/dev/null
echo "fill-mirror.sh: local mirror filled from $dir" >&2
