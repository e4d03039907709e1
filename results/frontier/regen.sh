#!/usr/bin/env bash
# Designs at equal accuracy on MemN2N / bAbI and MiniLM / bAbI (issue 26; README.md beside this script):
#
#   results/frontier/regen.sh                  the closed loop of MemN2N tasks 1..20, then the simulation step
#   results/frontier/regen.sh 1 2 3            the closed loop of those MemN2N tasks, then the simulation step
#   results/frontier/regen.sh --minilm 1 6 16  the closed loop of those MiniLM tasks, then the simulation step
#   results/frontier/regen.sh --transformers stories260K use-lite minilm-embed minilm-long128
#                                              the closed loop of those transformer workloads, then the simulation step
#   results/frontier/regen.sh --simulate       the simulation step alone (seconds; after a change to the
#                                              simulator, its memory constants or the energy table)
#
# Closed loop (python, about 1.5 min a MemN2N task on one core): for each task,
#   python3 -m lrpsim_workloads frontier --task N --config configs/leopard.yaml --config configs/policies/... \
#     --out results/frontier/closed-loop/memn2n-babi-qaN.json --traces-out results/frontier/traces
# sweeps each config's operating_points grid on the validation and the test split, and writes
# LeOPArd's trace per lambda (results/frontier/traces/memn2n-babi-qaN-lamL.npz). A MiniLM task
# (the full recipe's model of results/minilm-babi, made again from its report.jsonl line; about
# 30 min a task at 64 word pieces on one core) runs
#   python3 -m lrpsim_workloads.minilm_qa frontier --task N --report results/minilm-babi/report.jsonl \
#     --config ... --out results/frontier/closed-loop/minilm-babi-qaN.json --traces-out results/frontier/traces
# which also writes the dense model's trace (results/frontier/traces/minilm-babi-qaN-dense.npz). A
# transformer workload of lrpsim_export (its bundled trace's export rebuilt; minutes to half an hour
# each on one core, minilm-long256 and -long512 hours) runs
#   python3 -m lrpsim_workloads.transformer_frontier NAME --config ... \
#     --out results/frontier/closed-loop/NAME.json --traces-out results/frontier/traces
# with per-input cosines or per-sequence log-likelihoods for the losses in the metric's own unit.
# Simulation step (Go): lrpsim compare --budget over the closed-loop folder, plain and iso-area:
# budgets.md, budgets-iso-area.md, summary.md (which README.md quotes), the simulated points
# (WORKLOAD.json, iso-area/), the figures per family (lrpsim plot frontier, speedup and on-chip
# energy); then README.md's quote of summary.md and every file's provenance record.
# Needs the python of ci/install-python.sh (.venv or $LRPSIM_PYTHON) and the bAbI data
# (../shared/data/babi, or $LRPSIM_BABI_DIR) for the closed loop; Go for the rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
. ci/python-env.sh  # $py, PYTHONPATH, one thread
out=results/frontier
cfgs=(configs/leopard.yaml configs/policies/row-relative.yaml configs/policies/row-relative-spec.yaml
  configs/policies/sanger.yaml configs/policies/spatten.yaml)
budgets=(--budget 0.2% --budget 0.5% --budget 1% --budget 2%)

simulate_only=0
tasks=()
minilm=()
transformers=()
family=memn2n
for a in "$@"; do
  case $a in
    --simulate) simulate_only=1 ;;
    --minilm) family=minilm ;;
    --transformers) family=transformers ;;
    *) case $family in minilm) minilm+=("$a") ;; transformers) transformers+=("$a") ;; *) tasks+=("$a") ;; esac ;;
  esac
done
cargs=()
for c in "${cfgs[@]}"; do cargs+=(--config "$c"); done
if [ $simulate_only = 0 ]; then
  [ ${#tasks[@]} -gt 0 ] || [ ${#minilm[@]} -gt 0 ] || [ ${#transformers[@]} -gt 0 ] || tasks=($(seq 1 20))
  mkdir -p "$out/closed-loop" "$out/traces"
  for t in "${tasks[@]}"; do
    "$py" -m lrpsim_workloads frontier --task "$t" "${cargs[@]}" \
      --out "$out/closed-loop/memn2n-babi-qa$t.json" --traces-out "$out/traces" --force
  done
  for t in "${minilm[@]}"; do
    "$py" -m lrpsim_workloads.minilm_qa frontier --task "$t" --report results/minilm-babi/report.jsonl "${cargs[@]}" \
      --out "$out/closed-loop/minilm-babi-qa$t.json" --traces-out "$out/traces" --force
  done
  for n in "${transformers[@]}"; do
    "$py" -m lrpsim_workloads.transformer_frontier "$n" "${cargs[@]}" \
      --out "$out/closed-loop/$n.json" --traces-out "$out/traces" --force
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
# One figure per family (speedup, and on-chip energy reduction) for each family with points.
figures=()
# A family is NAME:PREFIX[,PREFIX...]:TITLE; its workloads share one metric (the x axis's unit).
for fam in "memn2n:memn2n-:MemN2N / bAbI" "minilm:minilm-babi-:MiniLM / bAbI" \
  "embed:use-lite,minilm-embed,minilm-long:sentence embeddings (USE Lite, MiniLM)" \
  "stories:stories260K:stories260K (language model)"; do
  name=frontier-${fam%%:*} rest=${fam#*:}
  prefixes=${rest%%:*} title=${rest#*:}
  wl=()
  for pre in ${prefixes//,/ }; do
    if compgen -G "$out/closed-loop/$pre*.json" >/dev/null; then wl+=(--workloads "$pre"); fi
  done
  [ ${#wl[@]} -gt 0 ] || continue
  lrpsim plot frontier --frontier "$out" "${wl[@]}" --family "$title" "${budgets[@]}" \
    --out "$out/$name.svg" --out "$out/$name.png"
  lrpsim plot frontier --frontier "$out" "${wl[@]}" --family "$title" "${budgets[@]}" --y onchip \
    --out "$out/$name-onchip.svg" --out "$out/$name-onchip.png"
  figures+=("$name.svg" "$name.png" "$name-onchip.svg" "$name-onchip.png")
done
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
  case $n in
    memn2n-babi-qa*)
      t=${n#memn2n-babi-qa}
      dense=traces/data/$n-dense.npz
      cmd="python3 -m lrpsim_workloads frontier --task $t"
      regen="results/frontier/regen.sh $t"
      inputs=(--from "traces/data/$n.npz") ;;
    minilm-babi-qa*)
      t=${n#minilm-babi-qa}
      dense=$out/traces/$n-dense.npz
      cmd="python3 -m lrpsim_workloads.minilm_qa frontier --task $t --report results/minilm-babi/report.jsonl"
      regen="results/frontier/regen.sh --minilm $t"
      inputs=(--from results/minilm-babi/report.jsonl) ;;
    stories260K|use-lite|minilm-embed|minilm-long*)
      dense=traces/data/$n-dense.npz  # the long MiniLM traces have no bundled partner: the frontier writes one
      [ -f "$dense" ] || dense=$out/traces/$n-dense.npz
      cmd="python3 -m lrpsim_workloads.transformer_frontier $n"
      regen="results/frontier/regen.sh --transformers $n"
      inputs=(--from "traces/data/$n.npz") ;;
    *) echo "results/frontier/regen.sh: $j: expected memn2n-babi-qaN.json, minilm-babi-qaN.json or a transformer workload's" >&2; exit 2 ;;
  esac
  tr=("${inputs[@]}")
  for f in "$out"/traces/"$n"-lam*.npz; do tr+=(--from "$f"); done
  for c in "${cfgs[@]}"; do cmd+=" --config $c"; done
  cmd+=" --out $j --traces-out $out/traces --force"
  made=("$j" "$out"/traces/"$n"-lam*.npz)
  case $dense in "$out"/*) made+=("$dense") ;; esac
  for f in "${made[@]}"; do
    lrpsim provenance record --no-model --out "$f" --command "$cmd" --regen "$regen" "${pyfrom[@]}" "${inputs[@]}"
  done
  for d in "$out" "$out/iso-area"; do
    lrpsim provenance record --out "$d/$n.json" --command "lrpsim compare --points-out $d (results/frontier/regen.sh)" \
      --regen "results/frontier/regen.sh --simulate" "${from[@]}" --from "$j" "${tr[@]}" --from "$dense"
  done
done
allpts=()
for j in "$out"/closed-loop/*.json; do
  n=$(basename "$j" .json)
  allpts+=(--from "$j")
  if [ -f "traces/data/$n-dense.npz" ]; then allpts+=(--from "traces/data/$n-dense.npz"); fi
done
for f in "$out"/traces/*.npz; do allpts+=(--from "$f"); done
for f in budgets.md budgets-iso-area.md summary.md "${figures[@]}"; do
  lrpsim provenance record --out "$out/$f" --command "results/frontier/regen.sh --simulate" \
    --regen "results/frontier/regen.sh --simulate" "${from[@]}" "${allpts[@]}"
done
echo "results/frontier: budgets.md, budgets-iso-area.md, the simulated points and the figures regenerated"
