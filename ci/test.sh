#!/usr/bin/env bash
# The project's tests, the README's test command. Installs nothing: .ci/run (CI) installs the
# Debian and npm packages first; on a machine without them the tests that need them skip and
# say so.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

echo "== gofmt, go vet and staticcheck"
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

echo "== Go tests"
go test ./...

echo "== sweep golden (configs/sweeps/ci-small.yaml), as SCALE-Sim's CI diffs its reports"
sweep_out=$(mktemp -d)
go run ./cmd/lrpsim sweep configs/sweeps/ci-small.yaml --out "$sweep_out/ci-small.csv" >/dev/null
diff -u results/golden/ci-small.csv "$sweep_out/ci-small.csv"
rm -rf "$sweep_out"

energy_py=${LRPSIM_ENERGY_VENV:-energy/gen/.venv}/bin/python
if [ -x "$energy_py" ]; then
  echo "== energy table regenerated from the hwcomponents models equals the committed one"
  start=$SECONDS
  energy/gen/regen.sh --check
  echo "   $((SECONDS - start)) s"
else
  echo "== energy table check SKIPPED: $energy_py missing (ci/install-energy.sh makes it; needs python3.12)"
fi

py=${LRPSIM_PYTHON:-/usr/bin/python3}
if "$py" -c 'import torch, numpy, pytest' 2>/dev/null; then
  ci/python-tests.sh
else
  echo "== Python exporter tests SKIPPED: $py lacks torch, numpy or pytest (ci/install-python.sh installs them)"
fi
