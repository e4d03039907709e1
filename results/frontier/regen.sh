#!/usr/bin/env bash
# Designs at equal accuracy on MemN2N / bAbI (issue 26; README.md beside this script):
#
#   results/frontier/regen.sh              the closed loop of tasks 1..20, then the simulation step
#   results/frontier/regen.sh 1 2 3        the closed loop of those tasks, then the simulation step
#   results/frontier/regen.sh --simulate   the simulation step alone (seconds; after a change to the
#                                          simulator, its memory constants or the energy table)
#
# Closed loop (python, about 1.5 min a task on one core): for each task,
#   python3 -m lrpsim_workloads frontier --task N --config configs/leopard.yaml --config configs/policies/... \
#     --out results/frontier/closed-loop/memn2n-babi-qaN.json --traces-out results/frontier/traces
# sweeps each config's operating_points grid on the validation and the test split, and writes
# LeOPArd's trace per lambda (results/frontier/traces/memn2n-babi-qaN-lamL.npz).
# Simulation step (Go): lrpsim compare --budget over the closed-loop folder, plain and iso-area:
# budgets.md, budgets-iso-area.md, summary.md (which README.md quotes), the simulated points
# (memn2n-babi-qaN.json, iso-area/), the figures (lrpsim plot frontier, speedup and on-chip energy);
# then README.md's quote of summary.md and every file's provenance record.
# Needs the python of ci/install-python.sh (.venv or $LRPSIM_PYTHON) and the bAbI data
# (../shared/data/babi, or $LRPSIM_BABI_DIR) for the closed loop; Go for the rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${LRPSIM_PYTHON:-}
if [ -z "$py" ]; then
  if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=/usr/bin/python3; fi
fi
export PYTHONPATH=traces/python${PYTHONPATH:+:$PYTHONPATH}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
out=results/frontier
cfgs=(configs/leopard.yaml configs/policies/row-relative.yaml configs/policies/row-relative-spec.yaml
  configs/policies/sanger.yaml configs/policies/spatten.yaml)
budgets=(--budget 0.2% --budget 0.5% --budget 1% --budget 2%)

simulate_only=0
tasks=()
for a in "$@"; do
  if [ "$a" = --simulate ]; then simulate_only=1; else tasks+=("$a"); fi
done
if [ $simulate_only = 0 ]; then
  [ ${#tasks[@]} -gt 0 ] || tasks=($(seq 1 20))
  cargs=()
  for c in "${cfgs[@]}"; do cargs+=(--config "$c"); done
  mkdir -p "$out/closed-loop" "$out/traces"
  for t in "${tasks[@]}"; do
    "$py" -m lrpsim_workloads frontier --task "$t" "${cargs[@]}" \
      --out "$out/closed-loop/memn2n-babi-qa$t.json" --traces-out "$out/traces" --force
  done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim
lrpsim() { "$tmp/lrpsim" "$@"; }
ccfg=()
for c in "${cfgs[@]}"; do ccfg+=(--config "$c"); done
lrpsim compare "${ccfg[@]}" "${budgets[@]}" --frontier "$out/closed-loop" --points-out "$out" \
  --summary-out "$out/summary.md" --format md --out "$out/budgets.md"
lrpsim compare "${ccfg[@]}" "${budgets[@]}" --frontier "$out/closed-loop" --points-out "$out/iso-area" --iso-area \
  --format md --out "$out/budgets-iso-area.md"
lrpsim plot frontier --frontier "$out" "${budgets[@]}" --out "$out/frontier-memn2n.svg" --out "$out/frontier-memn2n.png"
lrpsim plot frontier --frontier "$out" "${budgets[@]}" --y onchip --out "$out/frontier-memn2n-onchip.svg" \
  --out "$out/frontier-memn2n-onchip.png"
# README.md quotes summary.md (TestREADMEFrontier keeps the two equal).
go test ./cmd/lrpsim -run READMEFrontier -update >/dev/null

# Provenance (results/PROVENANCE.json): each file with the command that made it and its inputs.
export LRPSIM_PROVENANCE="$PWD/results/PROVENANCE.json"
from=()
for c in "${cfgs[@]}"; do from+=(--from "$c"); done
# The closed loop reads only the configs' pruning blocks and grids: configs/leopard.yaml (whose memory and
# energy model the lead tunes) is left out of its records, as results/closed-loop does, so that such a
# change calls for the simulation step, not a retraining.
pyfrom=()
for c in "${cfgs[@]:1}"; do pyfrom+=(--from "$c"); done
for j in "$out"/closed-loop/*.json; do
  n=$(basename "$j" .json)
  t=${n#memn2n-babi-qa}
  tr=(--from "traces/data/$n.npz")
  for f in "$out"/traces/"$n"-lam*.npz; do tr+=(--from "$f"); done
  cmd="python3 -m lrpsim_workloads frontier --task $t"
  for c in "${cfgs[@]}"; do cmd+=" --config $c"; done
  cmd+=" --out $j --traces-out $out/traces --force"
  lrpsim provenance record --no-model --out "$j" --command "$cmd" --regen "results/frontier/regen.sh $t" "${pyfrom[@]}" --from "traces/data/$n.npz"
  for f in "$out"/traces/"$n"-lam*.npz; do
    lrpsim provenance record --no-model --out "$f" --command "$cmd" --regen "results/frontier/regen.sh $t" "${pyfrom[@]}" --from "traces/data/$n.npz"
  done
  for d in "$out" "$out/iso-area"; do
    lrpsim provenance record --out "$d/$n.json" --command "lrpsim compare --points-out $d (results/frontier/regen.sh)" \
      --regen "results/frontier/regen.sh --simulate" "${from[@]}" --from "$j" "${tr[@]}" --from "traces/data/$n-dense.npz"
  done
done
allpts=()
for j in "$out"/closed-loop/*.json; do allpts+=(--from "$j" --from "traces/data/$(basename "$j" .json)-dense.npz"); done
for f in "$out"/traces/*.npz; do allpts+=(--from "$f"); done
for f in budgets.md budgets-iso-area.md summary.md frontier-memn2n.svg frontier-memn2n.png frontier-memn2n-onchip.svg \
  frontier-memn2n-onchip.png; do
  lrpsim provenance record --out "$out/$f" --command "results/frontier/regen.sh --simulate" \
    --regen "results/frontier/regen.sh --simulate" "${from[@]}" "${allpts[@]}"
done
echo "results/frontier: budgets.md, budgets-iso-area.md, the simulated points and the figures regenerated"
