#!/usr/bin/env bash
# The project's tests, the README's test command. Installs nothing: .ci/run (CI) installs the
# Debian and npm packages first; on a machine without them the tests that need them skip and
# say so, and the last line sums up what ran and what was skipped, and why.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
ran=()
skipped=()
join() {
  local out= x
  for x in "$@"; do out+="${out:+, }$x"; done
  echo "${out:-none}"
}
summary() {
  echo "== summary: ran: $(join "${ran[@]}"); skipped: $(join "${skipped[@]}")"
}
skip() {
  echo "== $1 SKIPPED: $2"
  skipped+=("$1 ($2)")
}

echo "== gofmt, go vet, staticcheck and gocyclo"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted"
  exit 1
fi
go vet ./...
# staticcheck is pinned as a tool in go.mod (go get -tool), so the module proxy brings it.
go tool staticcheck ./...
# Cyclomatic complexity (gocyclo, also a go.mod tool): no function above 60, the ceiling the code
# meets today (figures.Sweep is the top at 58; workload.prepare, sweep.Parse at 39).
go tool gocyclo -over 60 $(git ls-files '*.go' 2>/dev/null | xargs -n1 dirname | sort -u || echo .)
ran+=("gofmt, vet, staticcheck and gocyclo")

echo "== Go tests"
# -v into a log, so that the tests that skip (the RTL cross-check without iverilog, ...) say so
# here instead of passing silently; the whole log is shown when a test fails.
gotest_log=$(mktemp)
if ! go test -v ./... >"$gotest_log" 2>&1; then
  grep -vE '^ *(=== (RUN|PAUSE|CONT|NAME)|--- PASS)' "$gotest_log" | tail -n 200
  rm -f "$gotest_log"
  exit 1
fi
grep -E '^(ok|FAIL|\?) ' "$gotest_log" | grep -v 'no test files' || true
# A skipped test logs its reason ("    file_test.go:12: ...") just before "--- SKIP: TestName".
# The helper processes of the kill tests skip by design when run as tests.
skips=$(awk '/^ *[^ ]+\.go:[0-9]+: /{why=$0; sub(/^ +/, "", why)} /^ *--- SKIP: /{print $3 ": " why; why=""}' "$gotest_log" |
  grep -v 'helper process' || true)
rm -f "$gotest_log"
ran+=("Go tests")
if [ -n "$skips" ]; then
  echo "$skips" | sed 's/^/   SKIPPED: /'
  while IFS= read -r s; do skipped+=("Go test ${s%%:*}"); done <<<"$skips"
fi
echo "== arch with -tags purego (the portable Go kernel, without the AVX2 assembly)"
go test -tags purego ./arch
ran+=("arch tests with -tags purego")

if command -v iverilog >/dev/null && command -v vvp >/dev/null; then
  ran+=("RTL cross-check (iverilog)")
else
  skip "RTL cross-check" "iverilog missing (Debian package iverilog)"
fi

echo "== sweep golden (configs/sweeps/ci-small.yaml), as SCALE-Sim's CI diffs its reports"
sweep_out=$(mktemp -d)
go run ./cmd/lrpsim sweep configs/sweeps/ci-small.yaml --out "$sweep_out/ci-small.csv" >/dev/null
diff -u results/golden/ci-small.csv "$sweep_out/ci-small.csv"
rm -rf "$sweep_out"
ran+=("sweep golden")

echo "== fuzz targets (ci/fuzz.sh, ${LRPSIM_FUZZTIME:-4s} each)"
ci/fuzz.sh "${LRPSIM_FUZZTIME:-4s}"
ran+=("fuzzing")

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null ||
  ! command -v munged >/dev/null; then
  skip "Slurm end-to-end" "slurmctld, slurmd, slurm-client or munge missing (ci/install-slurm.sh installs them)"
elif [ "$(id -u)" != 0 ]; then
  skip "Slurm end-to-end" "needs root to start munged and the Slurm daemons"
else
  echo "== Slurm end-to-end (ci/slurm-test.sh)"
  ci/slurm-test.sh
  ran+=("Slurm end-to-end")
fi

energy_py=${LRPSIM_ENERGY_VENV:-energy/gen/.venv}/bin/python
if [ -x "$energy_py" ]; then
  echo "== energy table regenerated from the hwcomponents models equals the committed one"
  start=$SECONDS
  energy/gen/regen.sh --check
  echo "   $((SECONDS - start)) s"
  ran+=("energy table regeneration")
else
  skip "energy table regeneration" "$energy_py missing (ci/install-energy.sh makes it; needs python3.12)"
fi

py=${LRPSIM_PYTHON:-/usr/bin/python3}
if "$py" -c 'import torch, numpy, pytest' 2>/dev/null; then
  ci/python-tests.sh
  ran+=("Python exporter tests")
else
  skip "Python exporter tests" "$py lacks torch, numpy or pytest (ci/install-python.sh installs them)"
fi
summary
