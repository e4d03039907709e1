#!/usr/bin/env bash
# The project's tests, the README's test command. Installs nothing: .ci/run (CI) installs the
# Debian and npm packages first; on a machine without them the steps that need them skip and say
# so. Every step runs even after another fails (ci/steps.sh), and the last lines sum up what ran,
# what failed and what was skipped, each with its reason; the exit status is non-zero when any
# step failed.
#
#   ci/test.sh                       every step
#   ci/test.sh --only "sweep golden,fuzzing"   the named steps alone (names as the summary prints them)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
if [ "${1:-}" = --only ]; then
  [ $# -eq 2 ] || { echo "usage: ci/test.sh [--only STEP[,STEP...]]" >&2; exit 2; }
  export CI_ONLY_STEPS=$2
elif [ $# -gt 0 ]; then
  echo "usage: ci/test.sh [--only STEP[,STEP...]]" >&2
  exit 2
fi
# shellcheck source=ci/steps.sh
. ci/steps.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

lint() {
  local unformatted
  unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
  if [ -n "$unformatted" ]; then
    echo "gofmt would change: $unformatted"
    return 1
  fi
  go vet ./...
  # staticcheck is pinned as a tool in go.mod (go get -tool), so the module proxy brings it.
  go tool staticcheck ./...
  # Cyclomatic complexity (gocyclo, also a go.mod tool): no function above 60, the ceiling the
  # code meets today.
  go tool gocyclo -over 60 $(git ls-files '*.go' 2>/dev/null | xargs -n1 dirname | sort -u || echo .)
}
step "lint (gofmt vet staticcheck gocyclo)" lint

# -v into a log, so that the tests that skip (the RTL cross-check without iverilog, ...) say so
# here instead of passing silently; the whole log's failures are shown when a test fails. The
# skipped tests are written to $work/go-skips and become skipped entries of the summary.
go_tests() {
  local log=$work/go-test.log
  if ! go test -v ./... >"$log" 2>&1; then
    grep -vE '^ *(=== (RUN|PAUSE|CONT|NAME)|--- PASS)' "$log" | tail -n 200
    return 1
  fi
  grep -E '^(ok|FAIL|\?) ' "$log" | grep -v 'no test files' || true
  # A skipped test logs its reason ("    file_test.go:12: ...") just before "--- SKIP: TestName".
  # The helper processes of the kill tests skip by design when run as tests.
  awk '/^ *[^ ]+\.go:[0-9]+: /{why=$0; sub(/^ +/, "", why)} /^ *--- SKIP: /{print $3 "\t" why; why=""}' "$log" |
    grep -v 'helper process' >"$work/go-skips" || true
}
step "Go tests" go_tests
if [ -s "$work/go-skips" ]; then
  while IFS=$'\t' read -r name why; do skip "Go test $name" "$why"; done <"$work/go-skips"
fi

step "arch tests with -tags purego" go test -tags purego ./arch

# The Go half of the reproducibility contract: the same bytes from a GOAMD64=v3 build, a purego
# build and an arm64 build under QEMU, and no fused multiply-add in our code (README,
# "Reproducibility").
if command -v qemu-aarch64 >/dev/null; then
  step "same bytes on other CPUs" ci/cross-cpu.sh
else
  skip "same bytes on other CPUs" "qemu-aarch64 missing (Debian package qemu-user)"
fi

if ! step_wanted "Go tests"; then
  :
elif command -v iverilog >/dev/null && command -v vvp >/dev/null; then
  # TestRTL* ran inside "Go tests"; this line only makes the summary say which simulator ran.
  echo "== RTL cross-check: ran under Icarus Verilog in the Go tests"
else
  skip "RTL cross-check" "iverilog missing (Debian package iverilog)"
fi

sweep_golden() {
  go run ./cmd/lrpsim sweep configs/sweeps/ci-small.yaml --out "$work/ci-small.csv" >/dev/null
  diff -u results/golden/ci-small.csv "$work/ci-small.csv"
}
# configs/sweeps/ci-small.yaml against its golden CSV, as SCALE-Sim's CI diffs its reports.
step "sweep golden" sweep_golden

step "fuzzing" ci/fuzz.sh "${LRPSIM_FUZZTIME:-4s}"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null ||
  ! command -v munged >/dev/null; then
  skip "Slurm end-to-end" "slurmctld, slurmd, slurm-client or munge missing (ci/install-slurm.sh installs them)"
elif [ "$(id -u)" != 0 ]; then
  skip "Slurm end-to-end" "needs root to start munged and the Slurm daemons"
else
  step "Slurm end-to-end" ci/slurm-test.sh
fi

energy_py=${LRPSIM_ENERGY_VENV:-energy/gen/.venv}/bin/python
if [ -x "$energy_py" ]; then
  # the energy table regenerated from the hwcomponents models equals the committed one
  step "energy table regeneration" energy/gen/regen.sh --check
else
  skip "energy table regeneration" "$energy_py missing (ci/install-energy.sh makes it; needs python3.12)"
fi

# The exporter's tests and the end-to-end trace regeneration, and the closed-loop and
# regeneration checks again with other kernels forced (ci/python-tests.sh). pytest's skipped tests
# ("SKIPPED [1] file:line: reason", from -rs) become skipped entries of the summary.
python_tests() {
  ci/python-tests.sh 2>&1 | tee "$work/python.log"
}
py=${LRPSIM_PYTHON:-/usr/bin/python3}
if "$py" -c 'import torch, numpy, pytest' 2>/dev/null; then
  step "Python tests and trace regeneration (native and forced kernels)" python_tests
  if [ -s "$work/python.log" ]; then
    sed -n 's/^SKIPPED \[[0-9]*\] \([^ ]*\): \(.*\)$/\1\t\2/p' "$work/python.log" | sort -u >"$work/py-skips"
    while IFS=$'\t' read -r where why; do skip "pytest $where" "$why"; done <"$work/py-skips"
  fi
else
  skip "Python tests and trace regeneration (native and forced kernels)" "$py lacks torch, numpy or pytest (ci/install-python.sh installs them)"
fi

# The README's first command: the main job on the bundled default, its report thrown away (the
# README test holds the report's text).
step "README main job (lrpsim run)" go run ./cmd/lrpsim run --out "$work/run.txt"

summary
