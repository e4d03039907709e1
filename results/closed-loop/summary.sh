#!/usr/bin/env bash
# results/closed-loop/SUMMARY.md over every JSON file here, and the provenance records
# (results/PROVENANCE.json) of the JSONs and of SUMMARY.md. Seconds; regen.sh and
# regen-transformers.sh end with it, and results/regen.sh runs it alone (the JSONs come from
# trainings that take minutes each: it does not remake them).
#
#   results/closed-loop/summary.sh
#
# A JSON's record names the inputs the JSON itself names: the bundled traces of its workload
# (generator: trace, dense_trace -> traces/data/NAME.npz) and the policy configs of its command
# (configs/policies/*.yaml). configs/leopard.yaml is left out on purpose: the closed loop reads only
# its pruning rule, not its memory or energy model, so a change to those must not call for a
# retraining. No model version: no Go simulation goes into these files. The python sources are not
# recorded either (a refactor of them keeps the numbers; traces/python/tests holds them to it).
# Needs the python of ci/install-python.sh (.venv, or $LRPSIM_PYTHON; /usr/bin/python3 with
# Debian's python3-torch will do) and Go.
set -euo pipefail
cd "$(dirname "$0")/../.."
. ci/python-env.sh  # $py, PYTHONPATH, one thread
export LRPSIM_PROVENANCE=${LRPSIM_PROVENANCE:-$PWD/results/PROVENANCE.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/lrpsim" ./cmd/lrpsim

"$py" -m lrpsim_workloads closed-loop-summary --dir results/closed-loop --out results/closed-loop/SUMMARY.md

sumfrom=()
for j in results/closed-loop/*.json; do
  sumfrom+=(--from "$j")
  # One line per argument of lrpsim provenance record: the recorded command, the script that
  # remakes the file, then the inputs.
  mapfile -t rec < <(python3 - "$j" <<'PY'
import json, os, shlex, sys
path = sys.argv[1]
d = json.load(open(path))
g = d["generator"]
print(g["command"])
name = os.path.basename(path)[:-len(".json")]
if name.startswith("memn2n-babi-qa"):
    print("results/closed-loop/regen.sh " + name[len("memn2n-babi-qa"):])
else:
    print("results/closed-loop/regen-transformers.sh " + name)
args = shlex.split(g["command"])
for i, a in enumerate(args):
    if a == "--config" and args[i + 1].startswith("configs/policies/"):
        print(args[i + 1])
for t in (d.get("trace"), d.get("dense_trace")):
    if t:
        print("traces/data/" + t + ".npz")
PY
  )
  from=()
  for f in "${rec[@]:2}"; do
    from+=(--from "$f")
    # SUMMARY.md's last column reads the bundled traces' meta.
    case $f in traces/*) sumfrom+=(--from "$f") ;; esac
  done
  "$tmp/lrpsim" provenance record --no-model --out "$j" --command "${rec[0]}" --regen "${rec[1]}" "${from[@]}"
done
"$tmp/lrpsim" provenance record --no-model --out results/closed-loop/SUMMARY.md --regen results/closed-loop/summary.sh \
  --command "python3 -m lrpsim_workloads closed-loop-summary --dir results/closed-loop --out results/closed-loop/SUMMARY.md" \
  "${sumfrom[@]}"
echo "results/closed-loop: SUMMARY.md and the records of the JSON files regenerated"
