#!/bin/sh
# Regenerates the table and the figures in results/ for the bundled traces (traces/data), with
# the default configuration (configs/leopard.yaml) and the built-in 45 nm energy table:
#
#   results/regen.sh
#
# Every file is written atomically by lrpsim and the outputs are deterministic, so a rerun
# changes nothing unless the simulator, the configs or the traces changed. It takes about 10 min (compare most of it), the other generators included.
#
# It then runs the other generators under results/: energy-tables/regen.sh, energy-tables/scaling.sh
# (when the energy-table generator of ci/install-energy.sh is installed), closed-loop/summary.sh
# (SUMMARY.md only: the closed-loop JSONs come from trainings, closed-loop/regen.sh) and
# frontier/regen.sh --simulate (the budgets, points and figures from the committed closed loop),
# spatten/regen.sh (the per-head CSVs; keep-counts.md too when $SPATTEN_CHECKOUT names a checkout
# of github.com/mit-han-lab/spatten) and ramulator/regen.sh (summary.md from the committed
# comparison.csv; the comparison too when $RAMULATOR2_CHECKOUT names a Ramulator 2 checkout, its
# dependencies in $RAMULATOR_DEPS). Every file written is recorded in results/PROVENANCE.json,
# which go test ./sim/provenance checks against the tree (results/README.md).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim
lrpsim() { "$tmp/lrpsim" "$@"; }
export LRPSIM_PROVENANCE="$PWD/results/PROVENANCE.json" LRPSIM_REGEN=results/regen.sh

# The paper-style table over every bundled trace.
lrpsim table --format md --out results/table.md
lrpsim table --format csv --out results/table.csv
lrpsim table --format latex --out results/table.tex
# The same with an ideal memory system (memory.model ideal: no DRAM latency, bandwidth or request
# cap): the compute side of pruning alone, since small heads are memory bound under the default.
lrpsim table --format md --config configs/ideal-memory.yaml --out results/table-ideal-memory.md
# The same with the first system model (configs/serial-memory.yaml: one load at a time, static
# dispatch, independent layers, no packing, a back end that waits for each normalization), so
# the move to the default system model can be seen.
lrpsim table --format md --config configs/serial-memory.yaml --out results/table-serial.md

# Figures: speedup and energy reduction per task, then the bundled default trace's termination
# steps and energy breakdown.
lrpsim plot bars --out results/bars.png --out results/bars.svg
lrpsim plot bound --out results/bound.png --out results/bound.svg
lrpsim plot steps --out results/steps.png --out results/steps.svg
lrpsim plot energy --out results/energy.png --out results/energy.svg
# The headline decomposed (configs/waterfall/README.md): the suite under each step's config, from the
# compute alone to the default, as a table and a figure (about 40 s on 2 cores).
lrpsim plot waterfall --out results/waterfall.md --out results/waterfall.csv --out results/waterfall.svg --out results/waterfall.png

# A sweep (lanes x bit-planes per cycle) and its speedup against the number of lanes.
lrpsim sweep configs/sweeps/lanes-x-bpc.yaml --force --out results/sweep-lanes-x-bpc.csv >/dev/null
lrpsim plot sweep --csv results/sweep-lanes-x-bpc.csv --x front_end.lanes --y speedup_dense --logx \
	--out results/sweep-lanes.png --out results/sweep-lanes.svg
# Other designs' runtime pruning rules on the same substrate and traces (lrpsim compare; about
# 5 min on 2 cores): the closed-loop metric comes from results/closed-loop/ (its regen.sh).
lrpsim compare --format md --out results/compare.md --figure results/compare.svg --figure results/compare.png
lrpsim compare --format csv --out results/compare.csv
lrpsim compare --format md --iso-area --out results/compare-iso-area.md

# The other generators under results/, each with its own script.
results/energy-tables/regen.sh
if [ -x "${LRPSIM_ENERGY_VENV:-energy/gen/.venv}/bin/python" ]; then
  results/energy-tables/scaling.sh
else
  echo "results/energy-tables/scaling.{csv,md} not regenerated: no energy-table generator (ci/install-energy.sh)" >&2
fi
results/closed-loop/summary.sh
results/spatten/regen.sh ${SPATTEN_CHECKOUT:-}
# Designs at equal accuracy: the simulation step of results/frontier (budgets, points, figures and
# README.md's quote of its summary) from the committed closed-loop files; their trainings are
# results/frontier/regen.sh's own.
results/frontier/regen.sh --simulate
results/ramulator/regen.sh ${RAMULATOR2_CHECKOUT:-}

echo "results/: compare{,-iso-area}.md, compare.{csv,svg,png}, table.{md,csv,tex}, table-{ideal-memory,serial}.md, {bars,bound,steps,energy,sweep-lanes}.{png,svg}, waterfall.{md,csv,svg,png}, sweep-lanes-x-bpc.csv regenerated"
