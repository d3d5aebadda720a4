#!/usr/bin/env bash
# Mono benchmarks for bench/mono.md: cold runtime build, warm bundling, sizes.
# usage: bench/mono.sh MCC MIRROR_DIR [--cold]
#   --cold also times a static Mono runtime build in a fresh store (musl
#   toolchain first, then the runtime; ~5 min on 2 shared cores).
set -euo pipefail
mcc=${1:?usage: bench/mono.sh MCC MIRROR_DIR [--cold]}
mirror=${2:?}
cold=${3:-}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
M=("$mcc" --mirror "$mirror" --offline)

secs() { local s=$EPOCHREALTIME; "$@" >/dev/null; awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }

mcs -out:"$work/hello.exe" "$here/examples/mono/hello.cs" >/dev/null
mcs -out:"$work/server.exe" "$here/examples/mono/server.cs" >/dev/null

if [ "$cold" = --cold ]; then
  # A fresh store for everything below; kept (printed) so its runtime can be
  # compared with another build's.
  store=$(mktemp -d /tmp/mcc-bench-store.XXXXXX)
  M+=(--cache "$store")
  echo "store: $store" >&2
  t=$(secs "${M[@]}" toolchain install)
  echo "| cold musl toolchain (amd64) | \`mcc --cache EMPTY toolchain install\` | ${t} s |"
  t=$(secs "${M[@]}" toolchain install --mono)
  echo "| cold static Mono runtime (toolchain warm) | \`mcc --cache STORE toolchain install --mono\` | ${t} s |"
fi

"${M[@]}" toolchain install --mono >/dev/null
t=$(secs "${M[@]}" mkbundle -o "$work/hello" "$work/hello.exe")
echo "| bundle hello, warm runtime | \`mcc mkbundle -o hello hello.exe\` | ${t} s |"
t=$(secs "${M[@]}" mkbundle -o "$work/server" "$work/server.exe")
echo "| bundle HTTP server, warm runtime | \`mcc mkbundle -o server server.exe\` | ${t} s |"
t=$(secs "${M[@]}" mkbundle -o "$work/server" --image "$work/server.tar" "$work/server.exe")
echo "| bundle + image, HTTP server | \`mcc mkbundle -o server --image server.tar server.exe\` | ${t} s |"
"${M[@]}" mkbundle -o "$work/hello" --image "$work/hello.tar" "$work/hello.exe" >/dev/null
rt=$("${M[@]}" --json toolchain install --mono | sed -n 's/.*"path": *"\([^"]*\)".*/\1/p' | head -1)
size() { stat -c %s "$1"; }
[ -n "$rt" ] && echo "| static musl Mono runtime (stripped) | \`ls -l\` on the path \`mcc toolchain install --mono\` prints | $(size "$rt") bytes |"
echo "| hello bundle | \`ls -l hello\` | $(size "$work/hello") bytes |"
echo "| hello image | \`ls -l hello.tar\` | $(size "$work/hello.tar") bytes |"
echo "| HTTP server bundle | \`ls -l server\` | $(size "$work/server") bytes |"
echo "| HTTP server image | \`ls -l server.tar\` | $(size "$work/server.tar") bytes |"
a=$(sha256sum < "$work/server"); "${M[@]}" mkbundle -o "$work/server2" "$work/server.exe" >/dev/null; b=$(sha256sum < "$work/server2")
[ "$a" = "$b" ] && echo "| reproducible | two bundlings of server.exe | identical |" || echo "| reproducible | two bundlings of server.exe | DIFFER |"
