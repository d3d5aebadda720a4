#!/usr/bin/env bash
# Installs what mcc's demo and tests need on Debian 12, idempotently.
# deb-src is enabled by copying the existing sources entry with Types: deb-src,
# so no host name is written here.
set -euo pipefail

PKGS=(
  build-essential make git ca-certificates curl gnupg xz-utils file
  musl-tools qemu-user-static
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu
  g++-aarch64-linux-gnu
  podman runc umoci skopeo uidmap
  mono-devel
  bazel-bootstrap
  tzdata
)

if [ "$(id -u)" != 0 ]; then
  echo "setup-debian.sh: run as root (it installs Debian packages)" >&2
  exit 2
fi

src=/etc/apt/sources.list.d/debian.sources
srcdeb=/etc/apt/sources.list.d/mcc-deb-src.sources
if [ -f "$src" ] && [ ! -f "$srcdeb" ]; then
  sed 's/^Types:.*/Types: deb-src/' "$src" > "$srcdeb"
  rm -f /var/lib/mcc-apt-updated
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ! -f /var/lib/mcc-apt-updated ] || [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  touch /var/lib/mcc-apt-updated
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-debian.sh: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
