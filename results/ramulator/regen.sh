#!/usr/bin/env bash
# lrpsim's DRAM requests beside Ramulator 2's replay of them (README.md beside this script):
# results/ramulator/comparison.md and comparison.csv, per suite trace and memory preset, and
# their summary results/ramulator/summary.md.
#
#   results/ramulator/regen.sh RAMULATOR2_CHECKOUT [DEPS]   the comparison, then the summary
#   results/ramulator/regen.sh                              the summary only, from the committed
#                                                           comparison.csv (no Ramulator needed)
#
# RAMULATOR2_CHECKOUT is a git checkout of github.com/CMU-SAFARI/ramulator2 at tag v2.0a. Its
# CMake fetches yaml-cpp (tag yaml-cpp-0.7.0), spdlog (v1.11.0) and argparse (v2.9) from GitHub;
# to build without the network, DEPS (or $RAMULATOR_DEPS) is a folder holding checkouts of those
# three at those tags, named yaml-cpp, spdlog and argparse, handed to FetchContent as local
# sources. The script
#   1. applies loadstore-wait.patch to the checkout (once; it is left applied): Ramulator's
#      LoadStoreTrace front end replays the trace once and then waits until every read has
#      returned, so memory_system_cycles is the time to serve all the requests; it can also
#      hold at most max_in_flight reads in flight and write each served read's arrival and
#      departure cycles to latency_path;
#   2. builds it in $RAMULATOR_BUILD (default RAMULATOR2_CHECKOUT/build-lrpsim; Release; about 6 min
#      on two cores the first time):
#        cmake -S . -B build-lrpsim -DCMAKE_BUILD_TYPE=Release -DFETCHCONTENT_FULLY_DISCONNECTED=ON \
#          -DFETCHCONTENT_SOURCE_DIR_YAML-CPP=DEPS/yaml-cpp -DFETCHCONTENT_SOURCE_DIR_SPDLOG=DEPS/spdlog \
#          -DFETCHCONTENT_SOURCE_DIR_ARGPARSE=DEPS/argparse
#        make -C build-lrpsim -j"$(nproc)" ramulator-exe      # writes build-lrpsim/ramulator2
#   3. for each suite trace (the bundled real traces of `lrpsim table`; $RAMULATOR_TRACES names a
#      subset) and preset (hbm2, ddr4; $RAMULATOR_PRESETS), runs
#        lrpsim run -c configs/PRESET.yaml -t bundled:TRACE --no-baselines --dram-trace T.lt
#      (and once more with --dram-trace-format csv for the timing), turns T.lt into Ramulator's
#      requests (`go run ./internal/ramcompare/cmd expand`: a trace with one line per request, as
#      its CSV says, is replayed as it is; from the legacy trace of 64-byte lines, which cannot
#      say which half of a line a 32-B request read, the requests are rebuilt from the CSV: the
#      aligned bursts of the device covering each range, each once per tile), and replays them
#      twice under results/ramulator/PRESET.yaml: every request offered at once (flood: the
#      controllers queue up to 32 reads per channel, the banked twins' max_requests), and
#      one read at a time (unloaded: the latency of row hits and misses without queueing);
#   4. writes the comparison (`go run ./internal/ramcompare/cmd table`) and records it in
#      results/PROVENANCE.json, with the sha256 of every replayed lrpsim trace in the CSV
#      (internal/ramcompare's fingerprint test checks them against today's lrpsim);
#   5. writes summary.md from comparison.csv (`go run ./internal/ramcompare/cmd summary`; about
#      2 min on two cores): per preset, the traces within 10% of Ramulator and the misses, the
#      sustained bandwidth and unloaded latency, the calibration derived from them, and a grid of
#      (dram_latency, max_requests) pairs, each run in-process by lrpsim over the suite's traces
#      and held against the same Ramulator times, and the fit of each preset's twin under the
#      banked memory model (configs/PRESET-banked.yaml), also run in-process; and records it.
# Nothing of Ramulator is committed. Needs cmake, a C++20 compiler, git and Go (the summary: Go).
set -euo pipefail
ram=${1:-}
deps=${2:-${RAMULATOR_DEPS:-}}
cd "$(dirname "$0")/../.."
here=results/ramulator
export LRPSIM_PROVENANCE=${LRPSIM_PROVENANCE:-$PWD/results/PROVENANCE.json} LRPSIM_REGEN=$here/regen.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim
go build -o "$tmp/ramcompare" ./internal/ramcompare/cmd
if [ -n "$ram" ]; then
  ram=$(cd "$ram" && pwd)
  src=$ram/src/frontend/impl/memory_trace/loadstore_trace.cpp
  [ -f "$src" ] || { echo "regen.sh: $src: not found (expected a checkout of CMU-SAFARI/ramulator2 v2.0a)" >&2; exit 2; }
  if ! git -C "$ram" apply --reverse --check "$PWD/$here/loadstore-wait.patch" 2>/dev/null; then
    git -C "$ram" apply "$PWD/$here/loadstore-wait.patch"
  fi
  cmake_deps=()
  if [ -n "$deps" ]; then
    deps=$(cd "$deps" && pwd)
    cmake_deps=(-DFETCHCONTENT_FULLY_DISCONNECTED=ON -DFETCHCONTENT_SOURCE_DIR_YAML-CPP="$deps/yaml-cpp"
      -DFETCHCONTENT_SOURCE_DIR_SPDLOG="$deps/spdlog" -DFETCHCONTENT_SOURCE_DIR_ARGPARSE="$deps/argparse")
  fi
  build=${RAMULATOR_BUILD:-$ram/build-lrpsim}
  cmake -S "$ram" -B "$build" -DCMAKE_BUILD_TYPE=Release "${cmake_deps[@]}" >/dev/null
  make -C "$build" -j"$(nproc)" ramulator-exe >/dev/null
  read -r -a traces <<<"${RAMULATOR_TRACES:-$("$tmp/ramcompare" suite | tr '\n' ' ')}"
  read -r -a presets <<<"${RAMULATOR_PRESETS:-hbm2 ddr4}"
  from=()
  for t in "${traces[@]}"; do
    for p in "${presets[@]}"; do
      b=$tmp/runs/$t.$p
      mkdir -p "$tmp/runs"
      # --out: lrpsim records the run's inputs and model version beside the report (a sidecar
      # record that `provenance record --from` reads; the DRAM traces get none)
      "$tmp/lrpsim" run -c "configs/$p.yaml" -t "bundled:$t" --no-baselines --dram-trace "$b.lt" --out "$b.txt"
      "$tmp/lrpsim" run -c "configs/$p.yaml" -t "bundled:$t" --no-baselines --dram-trace "$b.csv" --dram-trace-format csv >/dev/null
      "$tmp/ramcompare" expand -preset "$p" -csv "$b.csv" "$b.lt" "$b.ram" >/dev/null
      for run in flood:0 unloaded:1; do
        "$build/ramulator2" -f "$here/$p.yaml" -p "Frontend.path=$b.ram" -p "Frontend.latency_path=$b.${run%%:*}.lat" \
          -p "Frontend.max_in_flight=${run#*:}" >"$b.${run%%:*}.yaml" 2>"$tmp/ramulator.log" ||
          { cat "$tmp/ramulator.log" >&2; exit 1; }
      done
      from+=(--from "$b.txt")
      echo "results/ramulator: $t $p" >&2
    done
  done
  "$tmp/ramcompare" table -dir "$tmp/runs" -md "$here/comparison.md" -csv "$here/comparison.csv"
  rev=$(git -C "$ram" rev-parse HEAD)
  "$tmp/lrpsim" provenance record --out "$here/comparison.md" --out "$here/comparison.csv" "${from[@]}" \
    --from "$here/hbm2.yaml" --from "$here/ddr4.yaml" --from "$here/loadstore-wait.patch" \
    --from internal/ramcompare/ramcompare.go --from internal/ramcompare/ramulator.go --from internal/ramcompare/table.go \
    --command "results/ramulator/regen.sh RAMULATOR2 (CMU-SAFARI/ramulator2 $rev + loadstore-wait.patch) traces: ${traces[*]} presets: ${presets[*]}"
fi
# The summary: from comparison.csv, the Go code, the presets (and their banked twins) and the
# bundled traces of its rows (the trials and the banked fit run lrpsim on them; comparison.csv's
# record carries the model version over).
"$tmp/ramcompare" summary -csv "$here/comparison.csv" -md "$here/summary.md"
from=()
for t in $(tail -n +2 "$here/comparison.csv" | cut -d, -f1 | sort -u); do from+=(--from "traces/data/$t.npz"); done
"$tmp/lrpsim" provenance record --out "$here/summary.md" --from "$here/comparison.csv" "${from[@]}" \
  --from configs/leopard.yaml --from configs/hbm2.yaml --from configs/ddr4.yaml \
  --from configs/hbm2-banked.yaml --from configs/ddr4-banked.yaml \
  --from internal/ramcompare/ramcompare.go --from internal/ramcompare/summary.go \
  --from internal/ramcompare/summarymd.go --from internal/ramcompare/trials.go --from internal/ramcompare/cmd/main.go \
  --command "go run ./internal/ramcompare/cmd summary -csv $here/comparison.csv -md $here/summary.md"
echo "results/ramulator: summary.md regenerated${ram:+ (and the comparison)}" >&2
