#!/usr/bin/env bash
# MiniLM fine-tuned on bAbI with the full recipe (issue 26; README.md beside this script):
#
#   results/minilm-babi/regen.sh            tasks 1..20 (hours on one CPU core: 15-60 min a task)
#   results/minilm-babi/regen.sh 1 6 16     those tasks
#   results/minilm-babi/regen.sh --report   accuracy.md from report.jsonl alone
#
# For each task: python3 -m lrpsim_workloads.minilm_qa --recipe full --tasks N (the whole training
# split, the learning rate from a grid and the epoch by early stopping, both chosen on validation;
# max tokens sized to keep the supporting facts), its results appended to report.jsonl (the last
# line of a task wins) and its trace written to traces/ here; then accuracy.md, the table of dense
# test accuracies beside MemN2N's and the quick fine-tunes' (quick/: the traces the suite bundled
# before these replaced them), and the provenance records.
# The suite's bundled traces (traces/data/minilm-babi-qaN.npz) are copies of traces/ here:
#   cp results/minilm-babi/traces/minilm-babi-qaN.npz traces/data/ && traces/regen.sh --manifest
# Needs the python of ci/install-python.sh (.venv or $LRPSIM_PYTHON), with the all-MiniLM-L6-v2
# weights, and the bAbI data (../shared/data/babi, or $LRPSIM_BABI_DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
. ci/python-env.sh  # $py, PYTHONPATH, one thread
out=results/minilm-babi

tasks=()
report_only=0
for a in "$@"; do
  if [ "$a" = --report ]; then report_only=1; else tasks+=("$a"); fi
done
if [ $report_only = 0 ]; then
  [ ${#tasks[@]} -gt 0 ] || tasks=($(seq 1 20))
  mkdir -p "$out/traces"
  for t in "${tasks[@]}"; do
    "$py" -m lrpsim_workloads.minilm_qa --recipe full --tasks "$t" --out "$out/traces" --report "$out/report.jsonl"
  done
fi
"$py" -m lrpsim_workloads.minilm_qa report "$out/report.jsonl" "$out/accuracy.md"

# Provenance (results/PROVENANCE.json). The trainings read no file of the repository but their code
# and this script (which names the recipe); accuracy.md reads report.jsonl and the suite's records.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim
export LRPSIM_PROVENANCE="$PWD/results/PROVENANCE.json"
# Each trace's meta (generator.command) and each report line keep the exact command that made them.
for f in "$out/report.jsonl" "$out"/traces/*.npz; do
  "$tmp/lrpsim" provenance record --no-model --out "$f" --regen "results/minilm-babi/regen.sh" \
    --command "python3 -m lrpsim_workloads.minilm_qa --recipe full (results/minilm-babi/regen.sh, task by task)" \
    --from results/minilm-babi/regen.sh
done
# The quick fine-tunes' traces (quick/): made by the quick recipe, bundled in traces/data until the
# full recipe's replaced them; each keeps its command in its meta.
for f in "$out"/quick/*.npz; do
  made_by=$("$py" -c 'import json, sys, numpy; z = numpy.load(sys.argv[1]); print(json.loads(z["meta"].tobytes())["generator"]["command"])' "$f")
  "$tmp/lrpsim" provenance record --no-model --out "$f" --command "$made_by (the quick recipe; then traces/data)" \
    --regen "python3 -m lrpsim_workloads.minilm_qa --tasks N --out DIR (the quick recipe, one task per process)"
done
"$tmp/lrpsim" provenance record --no-model --out "$out/accuracy.md" \
  --command "python3 -m lrpsim_workloads.minilm_qa report $out/report.jsonl $out/accuracy.md" \
  --regen "results/minilm-babi/regen.sh --report" --from "$out/report.jsonl" --from traces/data/workloads.json \
  --from traces/data/MANIFEST.json $(for f in "$out"/quick/*.npz; do printf -- '--from %s ' "$f"; done)
