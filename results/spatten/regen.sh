#!/usr/bin/env bash
# SpAtten's published per-head keep counts beside lrpsim's spatten rule (README.md beside this
# script): results/spatten/WORKLOAD.csv (lrpsim trace heads) and results/spatten/keep-counts.md.
#
#   results/spatten/regen.sh SPATTEN_CHECKOUT    a checkout of github.com/mit-han-lab/spatten
#
# The CSVs need only lrpsim; keep-counts.md also reads SpAtten's published workload file
# spatten_hardware/hardware/workloads/summary-gpt2-small-wikitext2-per8.csv from the checkout
# (nothing of it is committed here). Python 3, standard library only.
set -euo pipefail
spatten=${1:?usage: results/spatten/regen.sh SPATTEN_CHECKOUT}
cd "$(dirname "$0")/../.."
csv=$spatten/spatten_hardware/hardware/workloads/summary-gpt2-small-wikitext2-per8.csv
[ -f "$csv" ] || { echo "regen.sh: $csv: not found (expected a checkout of mit-han-lab/spatten)" >&2; exit 2; }
workloads=(stories260K minilm-long512 minilm-babi-qa1 memn2n-babi-qa1-dense)
go build -o /tmp/lrpsim-spatten ./cmd/lrpsim
ours=()
for w in "${workloads[@]}"; do
  /tmp/lrpsim-spatten trace heads --config bundled:policies/spatten.yaml "bundled:$w.npz" --out "results/spatten/$w.csv"
  ours+=(--ours "$w=results/spatten/$w.csv")
done
python3 traces/python/tools/spatten_keep_counts.py --spatten "$csv" "${ours[@]}" --out results/spatten/keep-counts.md
