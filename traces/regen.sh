#!/usr/bin/env bash
# Regenerates the bundled real traces in traces/data and their manifest. This is the one documented
# command (traces/data/MANIFEST.md):
#
#   traces/regen.sh                    every real trace, into traces/data, then MANIFEST.json/.md
#   traces/regen.sh NAME...            only those (use-lite, stories260K)
#   traces/regen.sh --check [NAME...]  regenerate into a temporary folder, with the lambda each bundled
#                                      trace kept, validate with lrpsim and compare with the bundled
#                                      files (same shapes and settings, metrics within 1%, pruning rate
#                                      within 0.02; says whether the bytes are identical); exit 1 if not
#
# Needs /usr/bin/python3 with torch and numpy and, for use-lite, `npm ci` in traces/reference/use-lite
# (ci/install-python.sh does both), and the project's shared folder beside the repository
# (../shared: models/stories260K.bin, data/babi). $LRPSIM_PYTHON and $LRPSIM_SHARED override those.
# Each export runs on one thread with fixed seeds; on this project's machines it takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${LRPSIM_PYTHON:-/usr/bin/python3}
shared=${LRPSIM_SHARED:-../shared}
export PYTHONPATH=traces/python${PYTHONPATH:+:$PYTHONPATH}
# one BLAS thread: results depend on the thread count (python -m lrpsim_export sets this too)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

# The export arguments of each bundled trace (the full command is recorded in the trace's meta), and
# the lambdas its sweep tries: the highest pruning rate whose metric loss stays within 1% is kept.
args_for() {
  case $1 in
    use-lite) echo "use-lite --babi-dir $shared/data/babi/en --bits 8 --inputs 4 --steps 150 --max-metric-loss 0.01" ;;
    stories260K) echo "stories260K --model-path $shared/models/stories260K.bin --bits 12 --inputs 4 --length 256 --steps 150 --max-metric-loss 0.01" ;;
    *) echo "traces/regen.sh: unknown trace $1 (expected use-lite or stories260K)" >&2; return 1 ;;
  esac
}
lambdas_for() {
  case $1 in
    use-lite) echo "0.02 0.05 0.1" ;;
    stories260K) echo "0.01 0.02 0.03 0.05" ;;
  esac
}

check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(use-lite stories260K)

if [ $check = 1 ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  status=0
  for n in "${names[@]}"; do
    # Each lambda of a sweep trains from the same start with the same seed, so training only the
    # lambda that the bundled trace kept reproduces it.
    lam=$("$py" -c 'import json, sys, numpy; z = numpy.load(sys.argv[1]); print(json.loads(z["meta"].tobytes())["generator"]["lambda"])' "traces/data/$n.npz")
    a="$(args_for "$n") --lambda $lam"
    echo "== regenerating $n (python -m lrpsim_export export $a)"
    start=$SECONDS
    # shellcheck disable=SC2086
    "$py" -m lrpsim_export export $a --out "$tmp/$n.npz" --quiet
    echo "   $((SECONDS - start)) s"
    go run ./cmd/lrpsim trace validate "$tmp/$n.npz"
    "$py" -m lrpsim_export compare "traces/data/$n.npz" "$tmp/$n.npz" || status=1
  done
  exit $status
fi

for n in "${names[@]}"; do
  a="$(args_for "$n") --lambda $(lambdas_for "$n")"
  echo "== $n: python -m lrpsim_export export $a --out traces/data/$n.npz --force"
  # shellcheck disable=SC2086
  "$py" -m lrpsim_export export $a --out "traces/data/$n.npz" --force
done
# The manifest describes the traces this script makes (whichever names were asked for this time,
# the others as they are).
"$py" -m lrpsim_export manifest traces/data use-lite.npz stories260K.npz
echo "== wrote traces/data/MANIFEST.json and MANIFEST.md"
