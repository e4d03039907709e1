#!/usr/bin/env bash
# Regenerates the energy tables of energy/tables/hwc/ from the hwcomponents models (CACTI,
# Aladdin, DRAM presets) and their manifest. Needs the venv of ci/install-energy.sh.
#   energy/gen/regen.sh           rewrite energy/tables/hwc/*.yaml and MANIFEST.yaml
#   energy/gen/regen.sh --check   run the generator's tests, regenerate the 45 nm table into a
#                                 temporary file and compare it byte for byte with the committed
#                                 one (ci/test.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/usr/local/go/bin:$PATH"
venv=${LRPSIM_ENERGY_VENV:-energy/gen/.venv}
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  echo "regen.sh: $py missing; run ci/install-energy.sh first" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim
nodes=(45nm 28nm 65nm)
if [ "${1:-}" = "--check" ]; then
  LRPSIM_BIN="$tmp/lrpsim" "$py" -W ignore::ResourceWarning -m unittest energy/gen/test_gen_table.py
  "$py" energy/gen/gen_table.py --config configs/leopard.yaml --node 45nm --dram LPDDR4 \
    --lrpsim "$tmp/lrpsim" --out "$tmp/leopard-45nm.yaml"
  cmp energy/tables/hwc/leopard-45nm.yaml "$tmp/leopard-45nm.yaml"
  echo "energy/tables/hwc/leopard-45nm.yaml regenerates byte for byte"
  exit 0
fi
for n in "${nodes[@]}"; do
  "$py" energy/gen/gen_table.py --config configs/leopard.yaml --node "$n" --dram LPDDR4 \
    --lrpsim "$tmp/lrpsim" --out "energy/tables/hwc/leopard-$n.yaml"
done
"$py" energy/gen/gen_table.py --manifest "$(IFS=,; echo "${nodes[*]}")" --out energy/tables/hwc/MANIFEST.yaml
