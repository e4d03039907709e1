#!/usr/bin/env bash
# Closed-loop task metric of the runtime-pruning policies (arch/POLICIES.md) on the transformer
# workloads of lrpsim_export: results/closed-loop/NAME.json for each NAME given (default: stories260K,
# use-lite, minilm-embed), schema lrpsim-closed-loop/1 (README.md beside this script).
#
#   results/closed-loop/regen-transformers.sh                 all three (about a minute in all on one core)
#   results/closed-loop/regen-transformers.sh stories260K     that one
#
# Each runs
#   python3 -m lrpsim_export closed-loop NAME --config configs/leopard.yaml \
#       --config configs/policies/row-relative.yaml --config configs/policies/row-relative-spec.yaml \
#       --config configs/policies/sanger.yaml --config configs/policies/spatten.yaml \
#       --out results/closed-loop/NAME.json --force
# which rebuilds the exporter's task from the bundled trace traces/data/NAME.npz (its recorded export
# command) and needs its dense partner traces/data/NAME-dense.npz (traces/regen.sh --dense NAME).
# Needs what traces/regen.sh needs for those workloads: the python of ci/install-python.sh (.venv, or
# $LRPSIM_PYTHON), ../shared (stories260K.bin, bAbI), `npm ci` in traces/reference/use-lite and the
# all-MiniLM-L6-v2 weights package. One torch thread; deterministic for a machine type.
set -euo pipefail
cd "$(dirname "$0")/../.."
. ci/python-env.sh  # $py, PYTHONPATH, one thread
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(stories260K use-lite minilm-embed)

cfgs=(--config configs/leopard.yaml)
for n in row-relative row-relative-spec sanger spatten; do cfgs+=(--config "configs/policies/$n.yaml"); done
for n in "${names[@]}"; do
  echo "== $n"
  start=$SECONDS
  "$py" -m lrpsim_export closed-loop "$n" "${cfgs[@]}" --out "results/closed-loop/$n.json" --force
  echo "   $((SECONDS - start)) s"
done
# SUMMARY.md and the provenance records of the JSON files (results/PROVENANCE.json).
results/closed-loop/summary.sh
