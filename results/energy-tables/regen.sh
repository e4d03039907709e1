#!/bin/sh
# Regenerates results/energy-tables/: the bundled suite and the default trace under the Horowitz
# 45 nm table and under the table generated from the hwcomponents models (energy/tables/hwc/),
# side by side, and a sweep of planes per step under both with its figure.
#
#   results/energy-tables/regen.sh
#
# Needs Go and python3 (standard library only). Outputs are deterministic. About 30 s.
#
# Every file written is recorded in results/PROVENANCE.json (results/README.md): lrpsim records
# its own outputs ($LRPSIM_PROVENANCE), and `lrpsim provenance record` the files side_by_side.py
# makes from them.
set -eu
cd "$(dirname "$0")/../.."
out=results/energy-tables
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim
lrpsim() { "$tmp/lrpsim" "$@"; }
export LRPSIM_PROVENANCE=${LRPSIM_PROVENANCE:-$PWD/results/PROVENANCE.json} LRPSIM_REGEN=$out/regen.sh
# record OUT COMMAND FROM...: the record of OUT, made by COMMAND (python3) from the FROM files.
record() {
  o=$1 c=$2
  shift 2
  set -- $(for f in "$@"; do printf -- '--from %s ' "$f"; done)
  lrpsim provenance record --out "$o" --command "$c" "$@"
}

# The paper-style table over the bundled suite under each table, and the two side by side.
for node in 45nm 45nm-hwc; do
  lrpsim table --node "$node" --format md --out "$out/table-$node.md"
  lrpsim table --node "$node" --format csv --out "$tmp/table-$node.csv"
  lrpsim run --node "$node" --json --out "$tmp/run-$node.json"
done
python3 "$out/side_by_side.py" table "$tmp/table-45nm.csv" "$tmp/table-45nm-hwc.csv" "$out/side-by-side.md"
record "$out/side-by-side.md" "python3 $out/side_by_side.py table TMP/table-45nm.csv TMP/table-45nm-hwc.csv $out/side-by-side.md" \
  "$out/side_by_side.py" "$tmp/table-45nm.csv" "$tmp/table-45nm-hwc.csv"
python3 "$out/side_by_side.py" components "$tmp/run-45nm.json" "$tmp/run-45nm-hwc.json" "$out/components.md"
record "$out/components.md" "python3 $out/side_by_side.py components TMP/run-45nm.json TMP/run-45nm-hwc.json $out/components.md" \
  "$out/side_by_side.py" "$tmp/run-45nm.json" "$tmp/run-45nm-hwc.json"

# Planes per step (1..16) under both tables: area and energy of the design.
lrpsim sweep "$out/sweep-planes-horowitz.yaml" --force --out "$tmp/planes-horowitz.csv" >/dev/null
lrpsim sweep "$out/sweep-planes-hwc.yaml" --force --out "$tmp/planes-hwc.csv" >/dev/null
python3 "$out/side_by_side.py" sweep "$out/sweep-planes.csv" "$tmp/planes-horowitz.csv" "$tmp/planes-hwc.csv"
record "$out/sweep-planes.csv" "python3 $out/side_by_side.py sweep $out/sweep-planes.csv TMP/planes-horowitz.csv TMP/planes-hwc.csv" \
  "$out/side_by_side.py" "$tmp/planes-horowitz.csv" "$tmp/planes-hwc.csv"
lrpsim plot sweep --csv "$out/sweep-planes.csv" --x front_end.bits_per_cycle --y area_um2 --group energy_table --logx \
  --title "Design area against K bit-planes per lane step (45 nm)" --ylabel "design area (um^2)" --xlabel "K bit-planes per lane step" --out "$out/planes-area.png" --out "$out/planes-area.svg"
lrpsim plot sweep --csv "$out/sweep-planes.csv" --x front_end.bits_per_cycle --y energy_pj --group energy_table --logx \
  --title "Design energy against K bit-planes per lane step (45 nm)" --ylabel "design energy (uJ)" --xlabel "K bit-planes per lane step" --out "$out/planes-energy.png" --out "$out/planes-energy.svg"
echo "$out: table-{45nm,45nm-hwc}.md, side-by-side.md, components.md, sweep-planes.csv, planes-{area,energy}.{png,svg} regenerated"
