#!/usr/bin/env bash
# Regenerates the workload suite (traces/data/WORKLOADS.md): MemN2N trained on each of the 20 bAbI
# tasks and a ViT trained on MNIST, with learned thresholds; writes their traces, workloads.json and
# WORKLOADS.md into traces/data, checks every trace with lrpsim (trace validate, run), and tabulates
# the whole suite (these and every other real trace in traces/data) with `lrpsim table`.
#
#   traces/workloads.sh                      # the whole suite, 2 jobs (about half an hour on 2 cores)
#   traces/workloads.sh --jobs 4             # extra arguments go to python3 -m lrpsim_workloads all
#   TABLE=results/workloads.md traces/workloads.sh
#   SKIP_TRAIN=1 traces/workloads.sh         # only validate, run and tabulate the traces already there
#
# Environment: LRPSIM_PYTHON (default python3; needs torch and numpy), OUT (default traces/data),
# TABLE (default results/workloads.md), LRPSIM_BABI_DIR, LRPSIM_MNIST_DIR (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${LRPSIM_PYTHON:-python3}
OUT=${OUT:-traces/data}
TABLE=${TABLE:-results/workloads.md}

if [ -z "${SKIP_TRAIN:-}" ]; then
  echo "== training the suite ($PY -m lrpsim_workloads all --out $OUT $*)"
  PYTHONPATH="traces/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m lrpsim_workloads all --out "$OUT" "$@"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== building lrpsim"
go build -o "$tmp/lrpsim" ./cmd/lrpsim

echo "== validating and running the suite's traces"
shopt -s nullglob
suite=("$OUT"/memn2n-babi-qa*.npz "$OUT"/vit-*.npz)
if [ ${#suite[@]} -eq 0 ]; then
  echo "no suite traces in $OUT" >&2
  exit 1
fi
"$tmp/lrpsim" trace validate "${suite[@]}"
for f in "${suite[@]}"; do
  "$tmp/lrpsim" run --trace "$f" --json >"$tmp/run.json" || { echo "lrpsim run --trace $f failed" >&2; exit 1; }
done
echo "ran ${#suite[@]} traces"

echo "== lrpsim table over every real trace in $OUT -> $TABLE"
all=()
for f in "$OUT"/*.npz; do
  case "$(basename "$f")" in synthetic-*) continue ;; esac
  all+=("$f")
done
mkdir -p "$(dirname "$TABLE")"
"$tmp/lrpsim" table --out "$TABLE" "${all[@]}"
cat "$TABLE"
du -ch "${suite[@]}" | tail -1 | sed 's/total/suite traces, total/'
