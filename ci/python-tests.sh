#!/usr/bin/env bash
# The Python side of the project's checks; installs nothing (ci/install-python.sh does). Runs:
#   1. the exporter's tests with $LRPSIM_PYTHON (default .venv/bin/python, which ci/install-python.sh
#      builds, else /usr/bin/python3) -m pytest, including the reference checks: USE Lite against the
#      npm package's own JavaScript (node traces/reference/use-lite/embed.js), stories260K against the
#      Go forward pass (traces/reference/llama2), all-MiniLM-L6-v2 against transformers' BertModel,
#      and the transformers adapters (BERT, ALBERT, GPT-2, ViT);
#   2. an end-to-end regeneration of the bundled real traces use-lite, stories260K and minilm-embed
#      from a fresh clone: model, data, threshold learning, export, `lrpsim trace validate`, and a
#      comparison with traces/data (minilm-embed must come out identical, meta's command aside).
# The Go side of the Python <-> Go round trip runs with `go test ./traces/`.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${LRPSIM_PYTHON:-}
if [ -z "$py" ]; then
  if [ -x .venv/bin/python ]; then py=$PWD/.venv/bin/python; else py=/usr/bin/python3; fi
fi
export LRPSIM_PYTHON=$py
export OMP_NUM_THREADS=1

echo "== Python exporter tests ($py)"
start=$SECONDS
"$py" -m pytest -q -rs -p no:cacheprovider traces/python/tests
echo "   $((SECONDS - start)) s"

echo "== regenerate the bundled real traces end to end and compare"
start=$SECONDS
traces/regen.sh --ci
echo "   $((SECONDS - start)) s"
