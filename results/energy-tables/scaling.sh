#!/bin/sh
# Area and energy per action against lanes, planes per step, operand widths and SRAM size, under
# the Horowitz 45 nm table (rule R6 and its SRAM curve) and under tables generated from the
# hwcomponents models at 45 nm (one generated per operand width, since a generated table is for
# its config's widths). Writes results/energy-tables/scaling.{csv,md}.
#
#   results/energy-tables/scaling.sh
#
# Needs the generator's venv (ci/install-energy.sh). Deterministic. About a minute.
#
# Both files are recorded in results/PROVENANCE.json (results/README.md): the runs' inputs, this
# script (which writes the points' configs), side_by_side.py, the generator and its pins.
set -eu
cd "$(dirname "$0")/../.."
out=results/energy-tables
py=${LRPSIM_ENERGY_VENV:-energy/gen/.venv}/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim
export LRPSIM_PROVENANCE=${LRPSIM_PROVENANCE:-$PWD/results/PROVENANCE.json} LRPSIM_REGEN=$out/scaling.sh

# point: name, the config lines it changes
: > "$tmp/points"
for l in 4 16 64; do echo "lanes=$l|front_end: {lanes: $l}" >> "$tmp/points"; done
for p in 1 4 16; do echo "planes=$p|front_end: {bits_per_cycle: $p}" >> "$tmp/points"; done
for b in 8 12 16; do echo "bits=$b|operands: {bits_q: $b, bits_k: $b, bits_v: $b}" >> "$tmp/points"; done
for s in 65536 262144 1048576; do echo "sram_kv_bytes=$s|memory: {sram_kv_bytes: $s}" >> "$tmp/points"; done

i=0
while IFS='|' read -r name body; do
  i=$((i + 1))
  cfg="$tmp/p$i.yaml"
  printf 'name: %s\n%s\n' "$name" "$body" > "$cfg"
  "$tmp/lrpsim" run --config "$cfg" --no-baselines --json --node 45nm --out "$tmp/p$i-horowitz.json"
  "$py" energy/gen/gen_table.py --config "$cfg" --node 45nm --lrpsim "$tmp/lrpsim" --out "$tmp/p$i-table.yaml"
  "$tmp/lrpsim" run --config "$cfg" --no-baselines --json --energy "$tmp/p$i-table.yaml" --out "$tmp/p$i-hwc.json"
  echo "$name $tmp/p$i-horowitz.json $tmp/p$i-hwc.json" >> "$tmp/runs"
done < "$tmp/points"
python3 "$out/side_by_side.py" scaling "$tmp/runs" "$out/scaling.csv" "$out/scaling.md"
from="--from $out/scaling.sh --from $out/side_by_side.py --from energy/gen/gen_table.py --from ci/install-energy.sh"
for j in "$tmp"/p*.json; do from="$from --from $j"; done
# shellcheck disable=SC2086 # $from is a list of words without spaces
"$tmp/lrpsim" provenance record --out "$out/scaling.csv" --out "$out/scaling.md" $from \
  --command "python3 $out/side_by_side.py scaling TMP/runs $out/scaling.csv $out/scaling.md"
echo "$out: scaling.csv, scaling.md regenerated"
