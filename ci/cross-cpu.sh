#!/usr/bin/env bash
# The Go half of the reproducibility contract (README, "Reproducibility"): what lrpsim computes
# from a trace and a config is the same bytes on every machine. Go may fuse x*y+z into one
# fused multiply-add where the CPU has one (arm64, ppc64le, s390x, riscv64 always; amd64 when
# built with GOAMD64=v3 or later), which rounds once instead of twice and moves the last digits
# of energies, ratios and the float rules of the pruning policies. The code prevents fusion with
# explicit float64() conversions where it matters; this script holds it to that:
#
#   1. no fused multiply-add instruction in lrpsim's own functions of an arm64 build
#      (go tool objdump; gonum and the standard library are not ours to change);
#   2. the same commands give the same bytes from the native build, a GOAMD64=v3 build (FMA
#      allowed on amd64), a -tags purego build (the portable termination kernel instead of the
#      AVX2 assembly) and, where qemu-aarch64 is installed (Debian package qemu-user), an arm64
#      build run under QEMU.
#
#   ci/cross-cpu.sh            all of it (about 3 min on 2 cores, most of it QEMU)
#   ci/cross-cpu.sh --no-qemu  without the arm64 run (the objdump check still runs)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
qemu=1
[ "${1:-}" = --no-qemu ] && qemu=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0

echo "-- builds"
go build -o "$work/native" ./cmd/lrpsim
GOAMD64=v3 go build -o "$work/amd64v3" ./cmd/lrpsim
go build -tags purego -o "$work/purego" ./cmd/lrpsim
GOARCH=arm64 go build -o "$work/arm64" ./cmd/lrpsim
builds=(amd64v3 purego)
if [ "$qemu" = 1 ]; then
  if command -v qemu-aarch64 >/dev/null; then
    builds+=(arm64)
  else
    echo "qemu-aarch64 missing (Debian package qemu-user): the arm64 run is not made" >&2
    exit 1
  fi
fi

echo "-- fused multiply-add in lrpsim's code (arm64 build)"
# objdump names each instruction's source file by its base name: an instruction of a dependency
# inlined into one of our functions (gonum/plot's Canvas.Center) names a file we do not have, and
# is listed as a note only; the byte comparison below shows whether it matters.
git ls-files '*.go' | xargs -n1 basename | sort -u >"$work/ours"
go tool objdump "$work/arm64" | awk -v ours="$work/ours" '
  BEGIN { while ((getline f < ours) > 0) mine[f] = 1 }
  /^TEXT / { fn = $2; in_ours = (fn ~ /^github\.com\/lrpsim\/lrpsim\//) }
  in_ours && /[[:space:]]F(N)?M(ADD|SUB)D[[:space:]]/ {
    split($1, loc, ":"); print ((loc[1] in mine) ? "ours" : "dep") "\t" fn "  " $1 }' | sort -u >"$work/fused"
if grep -q '^dep' "$work/fused"; then
  echo "note: fused in a dependency's code inlined into ours:"
  grep '^dep' "$work/fused" | cut -f2-
fi
if grep -q '^ours' "$work/fused"; then
  echo "fused multiply-add in lrpsim's code (prevent it with an explicit float64() around the product):"
  grep '^ours' "$work/fused" | cut -f2-
  exit 1
fi
echo "none in lrpsim's code"

# Each command writes one output file, named after it; every build must write the same bytes.
commands=(
  "sweep.csv|sweep configs/sweeps/ci-small.yaml --force --out OUT"
  "run-default.json|run --json --out OUT"
  "run-serial.json|run -c configs/serial-memory.yaml -t bundled:memn2n-babi-qa2.npz --json --out OUT"
  "run-sanger.json|run -c configs/policies/sanger.yaml -t bundled:memn2n-babi-qa1-dense.npz --json --out OUT"
  "run-spatten.json|run -c configs/policies/spatten.yaml -t bundled:memn2n-babi-qa3-dense.npz --json --out OUT"
  "run-rowrel.json|run -c configs/policies/row-relative-spec.yaml -t bundled:vit-mnist.npz --json --out OUT"
  "gen.npz|trace gen --seed 7 --inputs 2 --layers 2 --heads 2 --seq-len 48 --out OUT"
  "compare.csv|compare bundled:memn2n-babi-qa1.npz bundled:memn2n-babi-qa4.npz --format csv --out OUT"
  "table.csv|table bundled:memn2n-babi-qa5.npz bundled:vit-mnist.npz --format csv --out OUT"
  "bars.svg|plot bars bundled:memn2n-babi-qa5.npz bundled:vit-mnist.npz --out OUT"
)
run_all() { # BUILD DIR [RUNNER]
  local build=$1 dir=$2 runner=${3:-} c name args
  mkdir -p "$dir"
  for c in "${commands[@]}"; do
    name=${c%%|*}
    args=${c#*|}
    # shellcheck disable=SC2086 # the arguments are written above without spaces inside
    $runner "$work/$build" ${args//OUT/$dir/$name} >/dev/null
  done
}
echo "-- outputs of the native build"
run_all native "$work/out-native"
status=0
for b in "${builds[@]}"; do
  runner=
  [ "$b" = arm64 ] && runner=qemu-aarch64
  start=$SECONDS
  run_all "$b" "$work/out-$b" "$runner"
  differ=()
  for c in "${commands[@]}"; do
    name=${c%%|*}
    cmp -s "$work/out-native/$name" "$work/out-$b/$name" || differ+=("$name")
  done
  if [ ${#differ[@]} -eq 0 ]; then
    echo "$b: ${#commands[@]} outputs byte-identical to the native build ($((SECONDS - start)) s)"
  else
    echo "$b: differs from the native build in: ${differ[*]}"
    status=1
  fi
done
exit $status
