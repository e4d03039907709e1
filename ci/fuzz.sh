#!/usr/bin/env bash
# Runs every fuzz target of the project for a bounded time each (Go's native fuzzing) and prints
# one line per target: executions, new coverage (inputs that reached new code) and crashes.
#   ci/fuzz.sh [DURATION] [OUT.md] [PARALLEL]
# DURATION is per target in go test -fuzztime syntax (default 6s; ci/test.sh passes 4s); with
# OUT.md it also writes the figures there as a Markdown table (results/fuzz-campaign.sh does,
# for the long campaign). PARALLEL is the number of fuzzing workers (default: one per CPU). A
# crash fails the script: go test shows the input and saves it under the package's
# testdata/fuzz/FuzzNAME/, where it stays as a regression test once the bug is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
duration=${1:-6s}
out=${2:-}
parallel=${3:-}
# Every parser of outside input: package and target.
targets=(
  "./traces FuzzOpenTrace"       # trace archive (.npz)
  "./traces FuzzNpyMember"       # one archive member (.npy header and data)
  "./traces FuzzTraceMeta"       # the meta member (JSON)
  "./sim FuzzParseConfig"        # config YAML
  "./sim/sweep FuzzParseSweep"   # sweep file YAML
  "./sim/sweep FuzzJournalLine"  # sweep journal lines
  "./sim/sweep FuzzMerge"        # merge inputs: shard CSV and manifest
  "./energy FuzzParseTable"      # energy table YAML
  "./energy FuzzParseERT"        # Accelergy ERT and ART
  "./energy FuzzParseERTMapping" # ERT mapping YAML
  "./rtl FuzzRows"               # the rows format that the RTL bench reads
  "./rtl FuzzParseLog"           # the RTL bench's log
)
rows=()
total_execs=0
start=$SECONDS
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  log=$(mktemp)
  # -fuzzminimizetime: go test spends up to 60 s shrinking each new interesting input, time in
  # which nothing else runs (on the large seeds of traces and tables that is the whole budget), and
  # a minimization that the -fuzztime deadline interrupts is reported as a failure ("context
  # deadline exceeded", with no failing input). 0x (no minimization) keeps the short CI runs clean;
  # LRPSIM_FUZZMINIMIZE=2s, say, minimizes. A crash's input is saved either way.
  args=(-run '^$' -fuzz "^$name\$" -fuzztime "$duration" -fuzzminimizetime "${LRPSIM_FUZZMINIMIZE:-0x}")
  [ -n "$parallel" ] && args+=(-parallel "$parallel")
  for attempt in 1 2 3; do
    if go test "$pkg" "${args[@]}" >"$log" 2>&1; then
      break
    fi
    # The deadline interrupting a worker is not a crash: no input was written. Try again (twice).
    if [ "$attempt" -lt 3 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
      echo "   $name: the fuzz deadline interrupted a worker (no failing input); running it again"
      continue
    fi
    cat "$log"
    rm -f "$log"
    echo "fuzz: $name ($pkg) FAILED: see the input above, saved under $pkg/testdata/fuzz/$name/"
    exit 1
  done
  # The last progress line: "fuzz: elapsed: 6s, execs: 12345 (2057/sec), new interesting: 3 (total: 11)"
  last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1)
  execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
  newcov=$(sed -E 's/.*new interesting: ([0-9]+).*/\1/' <<<"$last")
  corpus=$(sed -E 's/.*\(total: ([0-9]+)\).*/\1/' <<<"$last")
  rm -f "$log"
  printf '   %-22s %-12s %10s execs, %4s new coverage, corpus %5s, crashes 0\n' "$name" "$pkg" "$execs" "$newcov" "$corpus"
  rows+=("| \`$name\` | \`${pkg#./}\` | $duration | $execs | $newcov | $corpus | 0 |")
  total_execs=$((total_execs + execs))
done
echo "fuzz: ${#targets[@]} targets, $total_execs executions, 0 crashes, $((SECONDS - start)) s"
if [ -n "$out" ]; then
  {
    echo "| target | package | time | executions | new coverage | corpus | crashes |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
  } >"$out"
fi
