#!/usr/bin/env bash
# Puts the Mono runtime build's pinned inputs into the mirror dir $1, from
# Debian's archive (deb-src must be enabled: scripts/setup-debian.sh does it):
#   mono_6.8.0.105+dfsg.orig.tar.xz      apt-get source --download-only mono
#   linux-libc-dev_<ver>_amd64.deb       apt-get download linux-libc-dev=<ver>
#   linux-libc-dev-arm64-cross_<ver>_all.deb   (linux/arm64 runtime)
#   ca-certificates_<ver>_all.deb        apt-get download ca-certificates=<ver>
# Idempotent: files already present are kept. mcc checks every file against
# its pin (sysroots/mono.json) when it uses it.
set -euo pipefail
dir=${1:?usage: fill-mirror-mono.sh MIRROR_DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cd "$dir"

if [ ! -f mono_6.8.0.105+dfsg.orig.tar.xz ]; then
  tmp=$(mktemp -d "$dir/.mono-src.XXXXXX"); chmod 0755 "$tmp"
  (cd "$tmp" && apt-get source --download-only -qq mono >/dev/null 2>&1 || apt-get source --download-only mono)
  mv -f "$tmp"/mono_6.8.0.105+dfsg.orig.tar.xz "$tmp"/mono_6.8.0.105+dfsg-*.dsc . 
  rm -rf "$tmp"
fi

khver=6.1.192-2
for arch in amd64; do
  f=linux-libc-dev_${khver}_${arch}.deb
  if [ ! -f "$f" ]; then
    tmp=$(mktemp -d "$dir/.kh.XXXXXX"); chmod 0777 "$tmp"
    (cd "$tmp" && apt-get download -qq "linux-libc-dev:${arch}=${khver}")
    mv -f "$tmp/$f" .
    rm -rf "$tmp"
  fi
done
# The linux/arm64 runtime's kernel headers (Architecture: all, no dpkg
# foreign architecture needed).
f=linux-libc-dev-arm64-cross_6.1.4-1cross1_all.deb
if [ ! -f "$f" ]; then
  tmp=$(mktemp -d "$dir/.kh.XXXXXX"); chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download -qq "linux-libc-dev-arm64-cross=6.1.4-1cross1")
  mv -f "$tmp/$f" .
  rm -rf "$tmp"
fi

# mcc mkbundle --image puts CA certificates in the image (pin: sysroots/cacerts.json).
f=ca-certificates_20230311+deb12u1_all.deb
if [ ! -f "$f" ]; then
  tmp=$(mktemp -d "$dir/.ca.XXXXXX"); chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download -qq "ca-certificates=20230311+deb12u1")
  mv -f "$tmp/$f" .
  rm -rf "$tmp"
fi
echo "fill-mirror-mono.sh: Mono sources in $dir" >&2
