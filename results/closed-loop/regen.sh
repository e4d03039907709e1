#!/usr/bin/env bash
# Closed-loop accuracy of the runtime-pruning policies (arch/POLICIES.md) on MemN2N / bAbI:
# results/closed-loop/memn2n-babi-qaN.json for each task given (default: all 20), schema
# lrpsim-closed-loop/1 (README.md beside this script), then SUMMARY.md over every JSON file here.
#
#   results/closed-loop/regen.sh          tasks 1..20 (about 20 s a task on one core, more for the long ones)
#   results/closed-loop/regen.sh 1 2 3    those tasks
#
# For each task it first makes the dense trace traces/data/memn2n-babi-qaN-dense.npz if it is not
# there (python3 -m lrpsim_workloads babi-dense), then runs python3 -m lrpsim_workloads closed-loop
# with the five configs: configs/leopard.yaml and configs/policies/{row-relative,row-relative-spec,
# sanger,spatten}.yaml when they exist, else stand-ins with the same name and pruning blocks written
# to /tmp/lrpsim-policies (a fixed path, so that the recorded command stays the same).
# Needs the python of ci/install-python.sh (.venv, or $LRPSIM_PYTHON) and the bAbI data
# (../shared/data/babi, or $LRPSIM_BABI_DIR). One torch thread; deterministic for a machine type.
set -euo pipefail
cd "$(dirname "$0")/../.."
. ci/python-env.sh  # $py, PYTHONPATH, one thread
tasks=("$@")
[ ${#tasks[@]} -gt 0 ] || tasks=($(seq 1 20))

names=(row-relative row-relative-spec sanger spatten)
cfgs=(--config configs/leopard.yaml)
for n in "${names[@]}"; do cfgs+=(--config "configs/policies/$n.yaml"); done
have=1
for ((i = 1; i < ${#cfgs[@]}; i += 2)); do [ -f "${cfgs[$i]}" ] || have=0; done
if [ $have = 0 ]; then
  d=/tmp/lrpsim-policies
  mkdir -p "$d"
  printf 'name: leopard\n' > "$d/leopard.yaml"
  printf 'name: row-relative\npruning: {policy: row_relative, epsilon: 0.001, margin: 1.0}\n' > "$d/row-relative.yaml"
  printf 'name: row-relative-spec\npruning: {policy: row_relative, epsilon: 0.001, margin: 0.5}\n' > "$d/row-relative-spec.yaml"
  printf 'name: sanger\npruning: {policy: sanger, theta: 0.002, pred_bits: 4}\n' > "$d/sanger.yaml"
  printf 'name: spatten\npruning: {policy: spatten, msb_bits: 6, requant_threshold: 0.05, keep_fraction: 0.2}\n' > "$d/spatten.yaml"
  cfgs=(--config "$d/leopard.yaml")
  for n in "${names[@]}"; do cfgs+=(--config "$d/$n.yaml"); done
  echo "configs/policies not there: using the stand-ins in $d" >&2
fi

for t in "${tasks[@]}"; do
  if [ ! -f "traces/data/memn2n-babi-qa$t-dense.npz" ]; then
    "$py" -m lrpsim_workloads babi-dense --tasks "$t" --out traces/data
  fi
  "$py" -m lrpsim_workloads closed-loop --task "$t" "${cfgs[@]}" --out "results/closed-loop/memn2n-babi-qa$t.json" --force
done
# SUMMARY.md and the provenance records of the JSON files (results/PROVENANCE.json).
results/closed-loop/summary.sh
