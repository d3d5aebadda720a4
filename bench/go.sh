#!/usr/bin/env bash
# Measures the figures of BENCHMARKS.md's "mcc go build" section.
#   usage: bench/go.sh MCC [TARGETS...]
# Writes a Markdown table to stdout. Uses a fresh store for the cold
# installs, the default store otherwise.
set -euo pipefail
mcc=$(readlink -f "${1:?usage: bench/go.sh MCC [TARGETS...]}"); shift
targets=("${@:-linux/amd64 linux/arm64 linux/arm/v7 linux/riscv64}")
read -r -a targets <<<"${targets[*]}"
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }

echo "## Cold toolchain install (fresh store, sources from the local mirror)"
echo; echo '| target | seconds |'; echo '|---|---|'
for t in "${targets[@]}"; do
  s=$(now); "$mcc" -q --cache "$work/cold" --offline --target "$t" toolchain install >/dev/null; e=$(now)
  echo "| $t | $(secs "$s" "$e") |"
done

echo; echo "## Cached toolchain resolution (mcc toolchain path, 50 runs)"
"$mcc" toolchain path >/dev/null
s=$(now); for i in $(seq 50); do "$mcc" toolchain path >/dev/null; done; e=$(now)
echo; echo "mean $(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.1f", (b-a)*1000/50}') ms per run"

echo; echo "## mcc go build vs plain go build, same environment (cgo test program)"
cp -a "$root/cmd/mcc/testdata/cgoapp" "$work/app"; cd "$work/app"
eval "$("$mcc" env)"
ld='-linkmode external -extldflags -static'
plain() { go build -trimpath -ldflags "$ld" -o "$work/plain" .; }
viamcc() { "$mcc" go build -o "$work/mcc" .; }
unset GOFLAGS
plain; viamcc
tp=0; tm=0
for i in $(seq 10); do
  s=$(now); plain; e=$(now); tp=$(awk -v t="$tp" -v a="$s" -v b="$e" 'BEGIN{print t+b-a}')
  s=$(now); viamcc; e=$(now); tm=$(awk -v t="$tm" -v a="$s" -v b="$e" 'BEGIN{print t+b-a}')
done
echo; echo "| case | go build (s, mean) | mcc go build (s, mean) | ratio |"; echo '|---|---|---|---|'
awk -v p="$tp" -v m="$tm" 'BEGIN{printf "| warm no-op, 10 runs | %.3f | %.3f | %.3f |\n", p/10, m/10, m/p}'
tp=0; tm=0
for i in $(seq 5); do
  sed -i "s/c=%d/c=%d edit$i/" main.go
  s=$(now); plain; e=$(now); tp=$(awk -v t="$tp" -v a="$s" -v b="$e" 'BEGIN{print t+b-a}')
  sed -i "s/c=%d edit$i/c=%d edit${i}b/" main.go
  s=$(now); viamcc; e=$(now); tm=$(awk -v t="$tm" -v a="$s" -v b="$e" 'BEGIN{print t+b-a}')
  sed -i "s/c=%d edit${i}b/c=%d/" main.go
done
awk -v p="$tp" -v m="$tm" 'BEGIN{printf "| after a one-line edit, 5 runs | %.3f | %.3f | %.3f |\n", p/5, m/5, m/p}'

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
