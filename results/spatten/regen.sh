#!/usr/bin/env bash
# SpAtten's published per-head keep counts beside lrpsim's spatten rule (README.md beside this
# script): results/spatten/WORKLOAD.csv (lrpsim trace heads) and results/spatten/keep-counts.md.
#
#   results/spatten/regen.sh SPATTEN_CHECKOUT    a checkout of github.com/mit-han-lab/spatten
#   results/spatten/regen.sh                     the CSVs only (results/regen.sh without $SPATTEN_CHECKOUT)
#
# The CSVs need only lrpsim; keep-counts.md also reads SpAtten's published workload file
# spatten_hardware/hardware/workloads/summary-gpt2-small-wikitext2-per8.csv from the checkout
# (nothing of it is committed here). Python 3, standard library only. Every file written is
# recorded in results/PROVENANCE.json (results/README.md); keep-counts.md's record names the CSVs
# and the tool, and the SpAtten file's sha256 in its command (it lies outside the repository).
set -euo pipefail
spatten=${1:-}
cd "$(dirname "$0")/../.."
csv=$spatten/spatten_hardware/hardware/workloads/summary-gpt2-small-wikitext2-per8.csv
[ -z "$spatten" ] || [ -f "$csv" ] || { echo "regen.sh: $csv: not found (expected a checkout of mit-han-lab/spatten)" >&2; exit 2; }
export LRPSIM_PROVENANCE=${LRPSIM_PROVENANCE:-$PWD/results/PROVENANCE.json} LRPSIM_REGEN=results/spatten/regen.sh
workloads=(stories260K minilm-long512 minilm-babi-qa1 memn2n-babi-qa1-dense)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim
ours=()
from=()
for w in "${workloads[@]}"; do
  "$tmp/lrpsim" trace heads --config bundled:policies/spatten.yaml "bundled:$w.npz" --out "results/spatten/$w.csv"
  ours+=(--ours "$w=results/spatten/$w.csv")
  from+=(--from "results/spatten/$w.csv")
done
if [ -z "$spatten" ]; then
  echo "results/spatten: the CSVs regenerated; keep-counts.md needs a SpAtten checkout (results/spatten/regen.sh SPATTEN_CHECKOUT)" >&2
  exit 0
fi
python3 traces/python/tools/spatten_keep_counts.py --spatten "$csv" "${ours[@]}" --out results/spatten/keep-counts.md
sum=$(sha256sum "$csv" | cut -d' ' -f1)
"$tmp/lrpsim" provenance record --out results/spatten/keep-counts.md --from traces/python/tools/spatten_keep_counts.py "${from[@]}" \
  --command "python3 traces/python/tools/spatten_keep_counts.py --spatten SPATTEN/summary-gpt2-small-wikitext2-per8.csv (sha256 $sum) ${ours[*]} --out results/spatten/keep-counts.md"
