#!/usr/bin/env bash
# The Go part of `make demo`: build the demo app (Go with cgo) static for
# amd64 and arm64 with mcc, prove both static, run both (arm64 under qemu).
set -euo pipefail
mcc=${1:?usage: demo-go.sh MCC}
cd "$(dirname "$0")/.."
mkdir -p out
for t in linux/amd64 linux/arm64; do
  arch=${t#linux/}
  echo "== mcc --target $t go build -o out/app-$arch ./app" >&2
  "$mcc" --target "$t" go build -o "out/app-$arch" ./app
done
"$mcc" verify out/app-amd64 out/app-arm64
echo "== out/app-amd64" >&2
./out/app-amd64
echo "== qemu-aarch64-static out/app-arm64" >&2
qemu-aarch64-static out/app-arm64
