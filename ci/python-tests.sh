#!/usr/bin/env bash
# The Python side of the project's checks; installs nothing (ci/install-python.sh does). Runs:
#   1. the exporter's tests with $LRPSIM_PYTHON (default .venv/bin/python, which ci/install-python.sh
#      builds, else /usr/bin/python3) -m pytest, including the reference checks: USE Lite against the
#      npm package's own JavaScript (node traces/reference/use-lite/embed.js), stories260K against the
#      Go forward pass (traces/reference/llama2), all-MiniLM-L6-v2 against transformers' BertModel,
#      and the transformers adapters (BERT, ALBERT, GPT-2, ViT);
#   2. an end-to-end regeneration of the bundled real traces use-lite, stories260K and minilm-embed
#      and their dense partners from a fresh clone: model, data, threshold learning, export,
#      `lrpsim trace validate`, and a comparison with traces/data (traces/regen.sh --ci: counts of
#      the Q, K, V integers, integer thresholds and survivors that differ, within the bounds of
#      traces/python/lrpsim_export/tolerances.py);
#   3. "another CPU": the closed-loop and transformer frontier tests and step 2 again with other kernels forced
#      ($LRPSIM_FORCED_KERNELS, default ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Sandybridge:
#      torch's kernels without AVX and OpenBLAS's AVX kernels without FMA, which no AVX2 or AVX-512
#      machine picks by itself, at about the native speed; OPENBLAS_CORETYPE=Prescott differs too but
#      doubles the training time), so that no check holds only on the CPU type that made traces/data
#      (traces/python/REPRODUCIBILITY.md). It first checks that the forced kernels compute other float
#      results (python -m lrpsim_export.kernels --differs), or the second run would prove nothing.
#      It runs beside steps 1 and 2 (one thread each: two cores), its output printed at the end.
# The Go side of the Python <-> Go round trip runs with `go test ./traces/`.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${LRPSIM_PYTHON:-}
if [ -z "$py" ]; then
  if [ -x .venv/bin/python ]; then py=$PWD/.venv/bin/python; else py=/usr/bin/python3; fi
fi
export LRPSIM_PYTHON=$py
export OMP_NUM_THREADS=1
read -r -a forced <<< "${LRPSIM_FORCED_KERNELS:-ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Sandybridge}"

echo "== kernels"
native=$(PYTHONPATH=traces/python "$py" -m lrpsim_export.kernels)
echo "   as picked: $native"
echo -n "   forced (${forced[*]}): "
env "${forced[@]}" PYTHONPATH=traces/python "$py" -m lrpsim_export.kernels --differs "$native"

# step 3 in the background: its own log, its exit status in a file
log=$(mktemp)
trap 'rm -f "$log" "$log.rc"' EXIT
(
  set +e
  start=$SECONDS
  echo "== with forced kernels (${forced[*]}): the closed-loop and transformer frontier tests"
  env "${forced[@]}" "$py" -m pytest -q -rs -p no:cacheprovider traces/python/tests/test_closed_loop_transformers.py \
    traces/python/tests/test_closed_loop.py traces/python/tests/test_transformer_frontier.py
  rc=$?
  echo "   $((SECONDS - start)) s"
  start=$SECONDS
  echo "== with forced kernels (${forced[*]}): regenerate the bundled real traces end to end and compare"
  env "${forced[@]}" traces/regen.sh --ci
  rc2=$?
  echo "   $((SECONDS - start)) s"
  echo $((rc || rc2)) > "$log.rc"
) > "$log" 2>&1 &
bg=$!

status=0
echo "== Python exporter tests ($py)"
start=$SECONDS
"$py" -m pytest -q -rs -p no:cacheprovider traces/python/tests || status=1
echo "   $((SECONDS - start)) s"

echo "== regenerate the bundled real traces end to end and compare"
start=$SECONDS
traces/regen.sh --ci || status=1
echo "   $((SECONDS - start)) s"

start=$SECONDS
wait $bg || true
echo "   (waited $((SECONDS - start)) s for the run with forced kernels)"
cat "$log"
if [ "$(cat "$log.rc" 2>/dev/null)" != 0 ]; then
  echo "ci/python-tests.sh: the checks with forced kernels (${forced[*]}) failed" >&2
  status=1
fi
exit $status
