#!/usr/bin/env bash
# test-bazel.sh checks mcc's Bazel build end to end; every check fails (never
# skips) when something it needs is missing. Steps (all by default, or name
# some: test-bazel.sh build digest):
#
#   build     bazel build //app:image //app:app; the binary runs and says musl
#   static    the Bazel-built binary is static (mcc verify + file)
#   digest    `mcc image -o out.tar <that binary>` == //app:image, byte for byte
#   mono      //examples/mono/...: Bazel's mcs output == `mcs -deterministic`
#             in another directory, //examples/mono:server_image == `mcc
#             mkbundle --image` of that assembly, and the bundle serves HTTP
#   arm64     --config=arm64 (--platforms=//toolchains:linux_arm64): static
#             aarch64, runs under qemu
#   test      bazel test //... (the Go tests that run inside Bazel's sandbox)
#   lint      buildifier: every Bazel file formatted and lint-clean
#   errors    no bazel, setup not run, an unbuildable toolchain: each error
#             names its fix (mcc's own message for the toolchain)
#   cache     a remote cache (nginx WebDAV on 127.0.0.1): a clean output base
#             in another directory builds //app:image from the cache alone
#
# One cold build serves every step. The checkout's builds write Bazel's disk
# cache (.cache/bazel-disk; `make demo` does too), and the remote cache
# starts as a copy of it: after `make demo` (as in CI) the build step is a
# no-op and the cache step's clean build is served from what the demo built.
# Only when that copy holds too little, or misses some Go action, does the
# cache step fill it with a cold build in a clean output base (A).
#
# Environment: MCC (mcc binary, default bin/mcc), BAZEL_DISK_CACHE (default
# .cache/bazel-disk), BAZEL_TEST_KEEP=1 keeps the temp dir, BENCH_OUT=FILE
# appends timings as markdown table rows (the remote cache then starts
# empty, not from the disk cache, so that a cold build is measured).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export USE_BAZEL_VERSION=4
MCC=${MCC:-$ROOT/bin/mcc}
DEPS=$ROOT/.bazel-deps
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(build static digest mono arm64 test lint errors cache)
DISK=${BAZEL_DISK_CACHE:-$ROOT/.cache/bazel-disk}

fail() { echo "test-bazel: FAIL: $*" >&2; exit 1; }
say() { echo "test-bazel: $*" >&2; }
pass() { echo "test-bazel: ok: $*" >&2; passed=$((passed + 1)); }
passed=0

# --- preconditions, each with the command that fixes it --------------------------
command -v bazel >/dev/null ||
  fail "bazel not found: install Debian's Bazel 4 with 'apt-get install bazel-bootstrap' (or run 'make setup')"
[ -f "$DEPS/READY" ] ||
  fail "Bazel dependencies missing (.bazel-deps/): run 'bash scripts/setup-bazel.sh' (part of 'make demo')"
[ -x "$MCC" ] || fail "no mcc binary at $MCC: run 'make build'"

# The checkout's Bazel server is stopped at exit unless it was already
# running (a test stops what it starts; a developer's server is left alone).
main_ob="$HOME/.cache/bazel/_bazel_$(id -un)/$(printf %s "$(cd "$ROOT" && pwd -P)" | md5sum | cut -d' ' -f1)"
server_pid=$(cat "$main_ob/server/server.pid.txt" 2>/dev/null || true)
server_was_up=0
[ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null && server_was_up=1

tmp=$(mktemp -d /tmp/mcc-bazel-test.XXXXXX)
cleanup() {
  [ "$server_was_up" = 1 ] || (cd "$ROOT" && bazel shutdown >/dev/null 2>&1) || true
  [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null || true
  local ob
  [ -n "${MONO_PID:-}" ] && kill "$MONO_PID" 2>/dev/null || true
  for ob in "${FILL_OB:-}" "${CACHE_OB:-}" "${CACHE_OB2:-}" "${ERR_OB:-}"; do
    [ -n "$ob" ] && [ -d "$ob" ] && (cd "$ROOT" && bazel --output_base="$ob" shutdown >/dev/null 2>&1) || true
  done
  if [ "${BAZEL_TEST_KEEP:-}" = 1 ]; then say "kept $tmp"; else chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"; fi
}
trap cleanup EXIT

BAZEL_FLAGS=(--repo_env=MCC="$MCC")
APP=bazel-bin/app/app_/app
IMAGE=bazel-bin/app/image.tar

bench() { # bench LABEL COMMAND... : runs it, records wall time
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "${@:2}" || rc=$?
  t1=$(date +%s.%N)
  [ "$rc" = 0 ] || return "$rc"
  local secs load
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  # The machine is shared: the load next to the time says how to read it.
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  say "$1: ${secs}s (load average $load)"
  [ -n "${BENCH_OUT:-}" ] && echo "| $1 | ${secs} s (load $load) | \`${*:2}\` |" >> "$BENCH_OUT"
  return 0
}

has_step() { local s; for s in "${STEPS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

# image_digest TAR: the image's digest (sha256 of its config, as docker and
# podman report the image ID) and the manifest list of the archive.
image_digest() {
  python3 - "$1" <<'EOF'
import hashlib, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    manifest = json.load(t.extractfile("manifest.json"))
    config = t.extractfile(manifest[0]["Config"]).read()
print("sha256:" + hashlib.sha256(config).hexdigest())
EOF
}

build_app() {
  bazel build "${BAZEL_FLAGS[@]}" --disk_cache="$DISK" "${CACHE[@]}" //app:image //app:app
}

start_cache() {
  command -v nginx >/dev/null || fail "nginx missing (the remote cache server): apt-get install nginx, or run 'bash scripts/setup-bazel.sh'"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$tmp/cache/data" "$tmp/cache/tmp" "$tmp/cache/logs"
  cat > "$tmp/cache/nginx.conf" <<EOF
daemon off;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
pid $tmp/cache/nginx.pid;
error_log $tmp/cache/logs/error.log;
events { worker_connections 256; }
http {
  access_log $tmp/cache/logs/access.log;
  client_body_temp_path $tmp/cache/tmp;
  proxy_temp_path $tmp/cache/tmp;
  fastcgi_temp_path $tmp/cache/tmp;
  uwsgi_temp_path $tmp/cache/tmp;
  scgi_temp_path $tmp/cache/tmp;
  server {
    listen 127.0.0.1:$port;
    root $tmp/cache/data;
    client_max_body_size 0;
    location / {
      # Bazel 4's disk cache keeps ac/HASH as ac/HA/HASH (cas likewise):
      # the remote cache uses the same layout, so either seeds the other.
      rewrite "^/(ac|cas)/(([0-9a-f]{2})[0-9a-f]*)\$" /\$1/\$3/\$2 break;
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
EOF
  nginx -c "$tmp/cache/nginx.conf" -p "$tmp/cache" &
  NGINX_PID=$!
  for _ in $(seq 50); do
    curl -fs -o /dev/null -X PUT --data x "http://127.0.0.1:$port/probe" && break
    sleep 0.1
  done
  curl -fs "http://127.0.0.1:$port/probe" >/dev/null || fail "remote cache (nginx) did not come up on 127.0.0.1:$port"
  CACHE=(--remote_cache="http://127.0.0.1:$port" --remote_upload_local_results)
  # Seeded with the disk cache (same layout, see the rewrite above): hard
  # links, so it costs no copy; nginx replaces a file by renaming, never
  # writing through a link.
  # Not for the benchmark (BENCH_OUT), which measures a cold build.
  local d
  SEEDED=0
  [ -z "${BENCH_OUT:-}" ] || return 0
  for d in ac cas; do
    [ -d "$DISK/$d" ] || continue
    cp -al "$DISK/$d" "$tmp/cache/data/" 2>/dev/null || cp -a "$DISK/$d" "$tmp/cache/data/" ||
      fail "copying the disk cache $DISK/$d into the remote cache"
  done
  SEEDED=$( (find "$tmp/cache/data/ac" "$tmp/cache/data/cas" -type f 2>/dev/null || true) | wc -l)
}

CACHE=()
# With the cache step, the remote cache runs from the start, seeded from
# the disk cache, so the checkout's build either finds its work there or
# fills it: no extra cold build.
# Snapshots of the checkout for the cache step, taken before anything is
# built: others may be editing the shared tree while this runs.
copy_tree() {
  mkdir -p "$1"
  (cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zv '^\.bazel-deps/' |
    xargs -0 cp --parents -P -t "$1") || fail "copying the checkout to $1"
  ln -s "$DEPS" "$1/.bazel-deps"
  # @mcc_pins and the musl toolchains pass the checkout's mirror (make
  # mirror) to mcc as --mirror.
  [ -d "$ROOT/.mirror" ] && ln -s "$ROOT/.mirror" "$1/.mirror"
  return 0
}
if has_step cache; then
  start_cache
  copy_tree "$tmp/a"
  copy_tree "$tmp/b"
fi

if has_step build || has_step static || has_step digest || has_step cache; then
  bench "bazel build //app:image //app:app" build_app || fail "bazel build //app:image //app:app"
  [ -x "$APP" ] && [ -f "$IMAGE" ] || fail "bazel build did not produce $APP and $IMAGE"
  out=$("$APP") || fail "$APP exited $?"
  echo "$out" | grep -q "libc=musl" || fail "$APP was not compiled against musl: $out"
  echo "$out" | grep -q "arch=amd64" || fail "$APP: unexpected arch: $out"
  pass "//app:app built by Bazel runs: $(echo "$out" | head -1)"
fi

if has_step static; then
  "$MCC" --target linux/amd64 verify "$APP" >/dev/null || fail "mcc verify: $APP is not a static linux/amd64 executable"
  file -L "$APP" | grep -q "statically linked" || fail "file(1) does not call $APP statically linked: $(file -L "$APP")"
  ! readelf -lW "$APP" | grep -q INTERP || fail "$APP has a program interpreter"
  pass "$APP is static (mcc verify, file, no PT_INTERP)"
fi

if has_step digest; then
  "$MCC" image -o "$tmp/cli.tar" "$APP" >/dev/null || fail "mcc image -o out.tar $APP failed"
  d_cli=$(image_digest "$tmp/cli.tar")
  d_bzl=$(image_digest "$IMAGE")
  [ "$d_cli" = "$d_bzl" ] || fail "image digests differ: mcc image $d_cli, //app:image $d_bzl"
  cmp -s "$tmp/cli.tar" "$IMAGE" || fail "image digests agree ($d_bzl) but the tar files differ"
  pass "mcc image and //app:image give the same image $d_bzl (and identical tar bytes)"
fi

if has_step mono; then
  command -v mcs >/dev/null || fail "mcs missing: apt-get install mono-devel (or run 'make setup')"
  bench "bazel build //examples/mono/..." bazel build "${BAZEL_FLAGS[@]}" --disk_cache="$DISK" "${CACHE[@]}" //examples/mono/... ||
    fail "bazel build //examples/mono/..."
  M=$tmp/mono
  mkdir -p "$M"
  # The same assembly from mcs outside Bazel, in another directory.
  cp examples/mono/server.cs "$M/"
  (cd "$M" && mcs -deterministic -out:server.exe server.cs >/dev/null) || fail "mcs -deterministic -out:server.exe server.cs"
  cmp -s "$M/server.exe" bazel-bin/examples/mono/server.exe ||
    fail "mcs gave another server.exe outside Bazel ($(sha256sum < "$M/server.exe" | cut -c1-16)) than //examples/mono:server ($(sha256sum < bazel-bin/examples/mono/server.exe | cut -c1-16))"
  # The image of that assembly from the CLI, with mcc's runtime from the
  # store (the one @mcc_mono_runtime_linux_amd64 copied).
  mirror=()
  [ -d "$ROOT/.mirror/debian" ] && mirror=(--mirror "$ROOT/.mirror/debian")
  (cd "$M" && env -u SOURCE_DATE_EPOCH "$MCC" --quiet "${mirror[@]}" mkbundle -o server --image server.tar server.exe >/dev/null) ||
    fail "mcc mkbundle -o server --image server.tar server.exe"
  d_cli=$(image_digest "$M/server.tar")
  d_bzl=$(image_digest bazel-bin/examples/mono/server_image.tar)
  [ "$d_cli" = "$d_bzl" ] || fail "image digests differ: mcc mkbundle --image $d_cli, //examples/mono:server_image $d_bzl"
  cmp -s "$M/server" bazel-bin/examples/mono/server_image/server || fail "the bundles differ: $M/server and bazel-bin/examples/mono/server_image/server"
  cmp -s "$M/server.tar" bazel-bin/examples/mono/server_image.tar || fail "image digests agree ($d_bzl) but the tar files differ"
  # The Bazel-built bundle runs and serves.
  mport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  bazel-bin/examples/mono/server_bundle/server "$mport" > "$M/server.log" 2>&1 &
  MONO_PID=$!
  answer=
  for _ in $(seq 100); do
    answer=$(curl -fsS "http://127.0.0.1:$mport/bazel" 2>/dev/null) && break
    kill -0 "$MONO_PID" 2>/dev/null || break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$mport/quit" >/dev/null 2>&1 || true
  wait "$MONO_PID" 2>/dev/null || true
  MONO_PID=
  echo "$answer" | grep -q "hello from a bundled Mono HttpListener: /bazel" ||
    fail "the Bazel-built server bundle did not answer on 127.0.0.1:$mport: '$answer' $(cat "$M/server.log")"
  pass "//examples/mono: mcs output as outside Bazel, server_image == mcc mkbundle --image ($d_bzl, same tar bytes), the bundle serves HTTP"
fi

if has_step arm64; then
  command -v qemu-aarch64-static >/dev/null || fail "qemu-aarch64-static missing: apt-get install qemu-user-static (make setup)"
  bazel build "${BAZEL_FLAGS[@]}" --config=arm64 //app:app ||
    fail "bazel build --config=arm64 //app:app (--platforms=//toolchains:linux_arm64)"
  # bazel-bin now points at the arm64 configuration's outputs.
  arm=$tmp/app-arm64
  cp "$(readlink -f bazel-bin)/app/app_/app" "$arm" || fail "no arm64 binary under bazel-bin after the arm64 build"
  file -L "$arm" | grep -q "ARM aarch64" || fail "$arm is not aarch64: $(file -L "$arm")"
  "$MCC" --target linux/arm64 verify "$arm" >/dev/null || fail "mcc verify: $arm is not a static linux/arm64 executable"
  out=$(qemu-aarch64-static "$arm") || fail "$arm under qemu-aarch64-static exited $?"
  echo "$out" | grep -q "libc=musl" && echo "$out" | grep -q "arch=arm64" || fail "$arm under qemu: $out"
  pass "linux/arm64 //app:app is static and runs under qemu: $(echo "$out" | sed -n 2p)"
fi

if has_step test; then
  bench "bazel test //..." bazel test "${BAZEL_FLAGS[@]}" //... || fail "bazel test //..."
  pass "bazel test //..."
fi

if has_step lint; then
  [ -x "$DEPS/bin/buildifier" ] || fail "buildifier missing: run 'bash scripts/setup-bazel.sh'"
  mapfile -t files < <(git ls-files -co --exclude-standard -- WORKSPACE WORKSPACE.bzlmod MODULE.bazel '*.bazel' '*.bzl' | grep -v '^\.bazel-deps/' | sort -u)
  [ ${#files[@]} -gt 5 ] || fail "found only ${#files[@]} Bazel files to lint"
  "$DEPS/bin/buildifier" -mode=check -lint=warn -warnings=all "${files[@]}" ||
    fail "buildifier: run '$DEPS/bin/buildifier -mode=fix -lint=fix' on the files above"
  pass "buildifier: ${#files[@]} Bazel files formatted and lint-clean"
fi

if has_step errors; then
  # 1. No bazel on PATH: this script (and make test-bazel) says how to install it.
  out=$(env PATH=/usr/local/go/bin:/nonexistent /bin/bash "$ROOT/scripts/test-bazel.sh" build 2>&1) &&
    fail "test-bazel.sh without bazel on PATH succeeded"
  echo "$out" | grep -q "apt-get install bazel-bootstrap" || fail "no install hint without bazel: $out"
  # 2. Setup not run: a checkout without .bazel-deps names the command to run.
  mkdir -p "$tmp/nosetup"
  (cd "$ROOT" && git ls-files -z -- WORKSPACE .bazelrc .bazelignore BUILD.bazel 'toolchains/*' 'app/*' 'sysroots/*' |
    xargs -0 cp --parents -P -t "$tmp/nosetup")
  ERR_OB=$tmp/ob-errors
  out=$(cd "$tmp/nosetup" && bazel --output_base="$ERR_OB" build "${BAZEL_FLAGS[@]}" //app:app 2>&1) &&
    fail "bazel build without .bazel-deps succeeded"
  echo "$out" | grep -q "run \`make demo\` (or \`bash scripts/setup-bazel.sh\`)" || fail "no setup hint without .bazel-deps: $out"
  # 3. A toolchain mcc cannot build (an mcc that finds no cross compiler on
  # its PATH, empty store): mcc's own message reaches the user through Bazel.
  ln -s "$DEPS" "$tmp/nosetup/.bazel-deps"
  mkdir -p "$tmp/empty-store"
  printf '#!/bin/sh\nPATH=/nonexistent exec "%s" "$@"\n' "$MCC" > "$tmp/mcc-nocross"
  chmod +x "$tmp/mcc-nocross"
  out=$(cd "$tmp/nosetup" && bazel --output_base="$ERR_OB" build --repo_env=MCC="$tmp/mcc-nocross" \
    --repo_env=MCC_CACHE="$tmp/empty-store" --platforms=//toolchains:linux_arm64 //app:app 2>&1) &&
    fail "bazel build with an unbuildable toolchain succeeded"
  direct=$(MCC_CACHE="$tmp/empty-store" "$tmp/mcc-nocross" --target linux/arm64 toolchain install 2>&1) &&
    fail "mcc toolchain install without a cross compiler succeeded"
  line=$(echo "$direct" | grep -m1 "mcc:" || echo "$direct" | head -1)
  echo "$out" | grep -qF "$line" || fail "Bazel did not pass mcc's message on ('$line'): $out"
  (cd "$tmp/nosetup" && bazel --output_base="$ERR_OB" shutdown >/dev/null 2>&1) || true
  pass "errors name their fix: no bazel, no setup, and mcc's own toolchain error ('$line')"
fi

if has_step cache; then
  REF_IMAGE=$IMAGE
  # fill_cache: the cold build A, in a copy with a clean output base; its
  # image is the one B must reproduce.
  fill_cache() {
    FILL_OB=$tmp/ob-a
    in_a() {
      (cd "$tmp/a" && bazel --output_base="$FILL_OB" build "${BAZEL_FLAGS[@]}" "${CACHE[@]}" //app:image //app:app) 2> "$tmp/a.log" ||
        { tail -30 "$tmp/a.log" >&2; return 1; }
    }
    bench "cold build (clean output base, empty remote cache)" in_a || fail "cold build in $tmp/a"
    actions=$(sed -n 's/^INFO: Build completed successfully, \([0-9]*\) total actions$/\1/p' "$tmp/a.log" | tail -1)
    say "cold build: ${actions:-?} actions"
    [ -n "${BENCH_OUT:-}" ] && echo "| actions of the cold build | ${actions:-?} | \`bazel build\` summary line |" >> "$BENCH_OUT"
    a_mb=$(du -sm "$FILL_OB" | cut -f1)
    say "output base after a cold build: ${a_mb} MB"
    [ -n "${BENCH_OUT:-}" ] && echo "| output base after a cold build | ${a_mb} MB | \`du -sm \$(bazel info output_base)\` |" >> "$BENCH_OUT"
    (cd "$tmp/a" && bazel --output_base="$FILL_OB" shutdown >/dev/null 2>&1) || true
    cp "$tmp/a/bazel-bin/app/image.tar" "$tmp/image-a.tar"
    REF_IMAGE=$tmp/image-a.tar
    chmod -R u+w "$FILL_OB"; rm -rf "$FILL_OB"
    FILLED=1
  }
  # The cache holds the disk cache's copy plus what the checkout's build
  # uploaded; when that is (nearly) nothing, A fills it.
  FILLED=
  objects=$(find "$tmp/cache/data" -type f | wc -l)
  say "remote cache: $objects objects ($SEEDED copied from the disk cache $DISK)"
  [ "$objects" -ge 100 ] || fill_cache
  objects=$(find "$tmp/cache/data" -type f | wc -l)
  [ "$objects" -ge 100 ] || fail "the remote cache holds only $objects objects after a build"
  say "remote cache: $objects objects, $(du -sm "$tmp/cache/data" | cut -f1) MB"

  # B: another directory, a clean output base; every Go action must come
  # from the cache. Then the no-op and one-line-edit figures, in B.
  # from_cache OB LOG: builds in B with output base OB; returns 1 when a Go
  # action ran locally.
  from_cache() {
    CACHE_OB=$1
    B_LOG=$2
    B_FLAGS=("${BAZEL_FLAGS[@]}" "${CACHE[@]}" --execution_log_json_file="$tmp/exec.json")
    second() {
      (cd "$tmp/b" && bazel --output_base="$CACHE_OB" build "${B_FLAGS[@]}" //app:image //app:app) 2> "$B_LOG"
    }
    bench "remote-cache build (clean output base, other directory)" second || { tail -30 "$B_LOG" >&2; fail "remote-cache build in $tmp/b"; }
    grep -E "processes" "$B_LOG" | tail -1 >&2 || true
    python3 - "$tmp/exec.json" <<'EOF'
import json, sys
# The log is a stream of JSON objects, one per spawn.
text = open(sys.argv[1]).read()
dec, i, spawns = json.JSONDecoder(), 0, []
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    obj, i = dec.raw_decode(text, i)
    spawns.append(obj)
local = [s for s in spawns if not s.get("remoteCacheHit")]
go_local = [s for s in local if s.get("mnemonic", "").startswith("Go")]
print("spawns: %d, from the remote cache: %d, run locally: %d" % (len(spawns), len(spawns) - len(local), len(local)), file=sys.stderr)
for s in local:
    print("  ran locally: %s %s" % (s.get("mnemonic"), (s.get("listedOutputs") or ["?"])[0]), file=sys.stderr)
if go_local or not spawns:
    sys.exit(1)
EOF
  }
  if ! from_cache "$tmp/ob-b" "$tmp/b.log"; then
    # A disk cache written by builds of other sources (the checkout was
    # built without it since) can miss actions of this checkout: only then
    # is the cache filled the slow way and B asked again, in a fresh output
    # base. A miss after A fails.
    [ -z "$FILLED" ] || fail "actions ran locally in the remote-cache build (see above)"
    say "the cache copied from $DISK missed Go actions of this checkout: filling it with a cold build"
    (cd "$tmp/b" && bazel --output_base="$CACHE_OB" shutdown >/dev/null 2>&1) || true
    CACHE_OB2=$CACHE_OB
    fill_cache
    from_cache "$tmp/ob-b2" "$tmp/b.log" || fail "actions ran locally in the remote-cache build (see above)"
  fi
  d1=$(image_digest "$REF_IMAGE")
  d2=$(image_digest "$tmp/b/bazel-bin/app/image.tar")
  [ "$d1" = "$d2" ] || fail "remote-cache build gave image $d2, the build that filled the cache $d1"
  cmp -s "$REF_IMAGE" "$tmp/b/bazel-bin/app/image.tar" || fail "remote-cache build: image tar bytes differ"
  ob_mb=$(du -sm "$CACHE_OB" | cut -f1)
  say "output base of the remote-cache build: ${ob_mb} MB"
  [ -n "${BENCH_OUT:-}" ] && echo "| output base after the remote-cache build | ${ob_mb} MB | \`du -sm \$(bazel info output_base)\` |" >> "$BENCH_OUT"
  in_b() {
    (cd "$tmp/b" && bazel --output_base="$CACHE_OB" build "${B_FLAGS[@]}" //app:image //app:app) 2> "$tmp/b2.log" ||
      { tail -30 "$tmp/b2.log" >&2; return 1; }
  }
  bench "no-op rebuild" in_b || fail "no-op rebuild in $tmp/b"
  sed -i 's/"arch=%s\\n"/"arch=%s (edited)\\n"/' "$tmp/b/app/main.go"
  grep -q "(edited)" "$tmp/b/app/main.go" || fail "could not edit $tmp/b/app/main.go for the incremental build"
  bench "incremental rebuild after a one-line edit of app/main.go" in_b || fail "incremental build in $tmp/b"
  out=$("$tmp/b/bazel-bin/app/app_/app") || fail "the incrementally built app exited $?"
  echo "$out" | grep -q "(edited)" || fail "the incremental build did not pick up the edit: $out"
  pass "remote cache: clean output base in $tmp/b built //app:image with no Go action run locally; same image $d2"
fi

echo "test-bazel: $passed passed, 0 failed"
