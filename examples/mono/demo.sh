#!/usr/bin/env bash
# The Mono part of `make demo`: C# source -> one static executable -> runs
# with nothing else, in an empty root and from a FROM scratch image.
# usage: demo.sh MCC MIRROR_DIR OUT_DIR
set -euo pipefail
mcc=${1:?usage: demo.sh MCC MIRROR_DIR OUT_DIR}
mirror=${2:?}
out=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
M=("$mcc" --mirror "$mirror")

echo "== mcs: compile examples/mono/{hello,server}.cs"
mcs -out:"$out/hello.exe" "$here/hello.cs" >/dev/null
mcs -out:"$out/server.exe" "$here/server.cs" >/dev/null

echo "== mcc toolchain install --mono (static musl Mono runtime from pinned, patched sources; once)"
time "${M[@]}" toolchain install --mono

echo "== mcc mkbundle: one static file per program (+ images)"
time "${M[@]}" mkbundle -o "$out/hello" --image "$out/hello.tar" --tag mcc-demo/mono-hello:latest "$out/hello.exe"
"${M[@]}" mkbundle -o "$out/server" --image "$out/server.tar" --tag mcc-demo/mono-server:latest "$out/server.exe"
"$mcc" verify "$out/hello" "$out/server"
ls -l "$out/hello" "$out/server" "$out/hello.tar" "$out/server.tar"

echo "== hello in an empty root (only the bundle, /etc/hosts and /proc)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/proc" "$root/etc" "$root/tmp"
printf '127.0.0.1\tlocalhost\n' > "$root/etc/hosts"
cp "$out/hello" "$out/server" "$root/"
unshare --mount --pid --fork --root="$root" --mount-proc=/proc /hello from an empty root

echo "== HttpListener server in the empty root, asked by curl"
port=18480
unshare --mount --pid --fork --kill-child --root="$root" --mount-proc=/proc /server $port &
pid=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/demo" 2>/dev/null && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$port/quit" >/dev/null
wait $pid

echo "== the hello image under podman (runc, private vfs store, no network)"
P=(podman --root "$out/podman/storage" --runroot "$out/podman/run" --storage-driver vfs --runtime runc
   --cgroup-manager cgroupfs --events-backend none)
"${P[@]}" load -q -i "$out/hello.tar"
"${P[@]}" run --rm --network=none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 mcc-demo/mono-hello:latest from podman

echo "== the HttpListener server image under podman (host network, bound to 127.0.0.1), asked by curl"
"${P[@]}" load -q -i "$out/server.tar"
"${P[@]}" run -d --rm --name mcc-demo-mono-server --network=host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  mcc-demo/mono-server:latest 18481 >/dev/null
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:18481/from-podman" 2>/dev/null && break; sleep 0.3; done
curl -fsS "http://127.0.0.1:18481/quit" >/dev/null
