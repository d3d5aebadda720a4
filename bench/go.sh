#!/usr/bin/env bash
# Measures the figures of BENCHMARKS.md's "mcc go build" section.
#   usage: bench/go.sh MCC [TARGETS...]
# Writes a Markdown table to stdout. Uses a fresh store for the cold
# installs, the default store otherwise.
set -euo pipefail
mcc=$(readlink -f "${1:?usage: bench/go.sh MCC [TARGETS...]}"); shift
read -r -a targets <<<"${*:-linux/amd64 linux/arm64 linux/arm/v7 linux/riscv64}"
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }

echo "## Cold toolchain install (fresh store, sources from the local mirror)"
echo; echo '| target | seconds |'; echo '|---|---|'
[ -n "${SKIP_COLD:-}" ] && targets=()
for t in "${targets[@]}"; do
  s=$(now); "$mcc" -q --cache "$work/cold" --offline --target "$t" toolchain install >/dev/null; e=$(now)
  echo "| $t | $(secs "$s" "$e") |"
done

echo; echo "## Cached toolchain resolution (mcc toolchain path, 50 runs)"
"$mcc" toolchain path >/dev/null
s=$(now); for i in $(seq 50); do "$mcc" toolchain path >/dev/null; done; e=$(now)
echo; echo "mean $(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.1f", (b-a)*1000/50}') ms per run"

echo; echo "## mcc go build vs plain go build, same environment (cgo test program, hyperfine)"
command -v hyperfine >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
cp -a "$root/cmd/mcc/testdata/cgoapp" "$work/app"; cd "$work/app"
eval "$("$mcc" env)"; unset GOFLAGS
ld='-linkmode external -extldflags -static'
plain="go build -trimpath -ldflags='$ld' -o $work/plain ."
viamcc="$mcc go build -o $work/mcc ."
# edit.sh rewrites one line of Go (a package-level string), forcing a compile and a link.
cat > "$work/edit.sh" <<EDIT
printf 'package main\\n\\nvar Stamp = "%s"\\n' "\$(date +%s%N)" > $work/app/stamp.go
EDIT
sh "$work/edit.sh"
ratio() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; p,m=r[0]["mean"],r[1]["mean"]; print("| %s | %.3f ± %.3f | %.3f ± %.3f | %.3f |" % (sys.argv[2], p, r[0]["stddev"], m, r[1]["stddev"], m/p))' "$1" "$2"; }
echo; echo "| case | go build (s) | mcc go build (s) | ratio |"; echo '|---|---|---|---|'
hyperfine -N -w 5 -r 60 --export-json "$work/noop.json" "$plain" "$viamcc" >/dev/null 2>&1
ratio "$work/noop.json" "warm no-op (60 runs each)"
hyperfine -w 2 -r 20 --prepare "sh $work/edit.sh" --export-json "$work/edit.json" "$plain" "$viamcc" >/dev/null 2>&1
ratio "$work/edit.json" "after a one-line edit (20 runs each)"
hyperfine -N -w 3 -r 30 --export-json "$work/start.json" "$mcc version" >/dev/null 2>&1
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("\nmcc process start alone (mcc version): %.1f ± %.1f ms" % (r["mean"]*1e3, r["stddev"]*1e3))' "$work/start.json"
echo; echo "## Binary sizes (cgo test program, amd64, not stripped)"
# The pure-Go baseline: the same program with its C call replaced.
mkdir -p "$work/pureapp" && cp go.mod "$work/pureapp/"
sed -e 's/^import "C"$//' -e 's/int(C.triple(14))/42/' main.go > "$work/pureapp/main.go"
(cd "$work/pureapp" && CGO_ENABLED=0 go build -trimpath -o "$work/pure" .)
CC=gcc go build -trimpath -ldflags "$ld" -o "$work/glibc" . 2>/dev/null
echo; echo '| build | bytes |'; echo '|---|---|'
echo "| mcc go build (musl, static) | $(stat -c %s "$work/mcc") |"
echo "| glibc -static (gcc, same flags) | $(stat -c %s "$work/glibc") |"
echo "| CGO_ENABLED=0 (same program, C call replaced) | $(stat -c %s "$work/pure") |"
