#!/usr/bin/env bash
# Installs what mcc's demo and tests need on Debian 12, idempotently, starting
# from a plain root (debootstrap minbase: no sudo, no Node.js, python3 only).
# deb-src is enabled by copying the existing sources entries as deb-src, so no
# host name is written here. scripts/setup-bazel.sh adds the Bazel side
# (Bazel's rule packages, nginx for the remote cache test).
set -euo pipefail

PKGS=(
  build-essential make git ca-certificates curl gnupg xz-utils file
  patch python3 cmake         # the Mono runtime recipe: patches/mono, genmdesc.py, BoringSSL (BTLS)
  musl-tools qemu-user-static
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu
  gcc-i686-linux-gnu gcc-powerpc64le-linux-gnu gcc-s390x-linux-gnu gcc-mips64el-linux-gnuabi64 gcc-mipsel-linux-gnu
  g++-aarch64-linux-gnu       # Mono's linux/arm64 configure probes a C++ compiler
  podman runc umoci skopeo uidmap
  mono-devel                  # mcs compiles the examples; mkbundle takes its class libraries
  libmono-sqlite4.0-cil libsqlite3-0  # mkbundle's Mono.Data.Sqlite test: --libc glibc finds libsqlite3.so.0
  openssl                     # TLS tests: OpenSSL's subject hash, the SslStream server's .pfx
  bazel-bootstrap
  tzdata
)

if [ "$(id -u)" != 0 ]; then
  echo "setup-debian.sh: run as root (it installs Debian packages)" >&2
  exit 2
fi

# deb-src entries, from either format of apt's sources.
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ] && [ ! -f /etc/apt/sources.list.d/mcc-deb-src.sources ]; then
  sed 's/^Types:.*/Types: deb-src/' "$src" > /etc/apt/sources.list.d/mcc-deb-src.sources
  rm -f /var/lib/mcc-apt-updated
fi
if [ ! -f "$src" ] && [ -f /etc/apt/sources.list ] && ! grep -q '^deb-src ' /etc/apt/sources.list &&
  [ ! -f /etc/apt/sources.list.d/mcc-deb-src.list ]; then
  sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/mcc-deb-src.list
  rm -f /var/lib/mcc-apt-updated
fi

# Another apt run (unattended upgrades, a second make) is waited for.
APT=(apt-get -qq -o DPkg::Lock::Timeout=600)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ! -f /var/lib/mcc-apt-updated ] || [ ${#missing[@]} -gt 0 ]; then
  "${APT[@]}" update
  touch /var/lib/mcc-apt-updated
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-debian.sh: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
