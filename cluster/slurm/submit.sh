#!/bin/bash
# Submits an lrpsim sweep to Slurm: a job array of SHARDS tasks (cluster/slurm/sweep-array.sbatch)
# and a merge job (sweep-merge.sbatch) that runs after all of them succeed, and is cancelled if
# one fails. Prints the two job IDs, "ARRAY_ID MERGE_ID", on standard output.
#
#   cluster/slurm/submit.sh SWEEP.yaml OUTDIR SHARDS [sbatch options for both jobs...]
#   cluster/slurm/submit.sh configs/sweeps/lanes-x-bpc.yaml /shared/lanes 8 --partition=cpu
#
# OUTDIR must be on a file system every node sees. Logs go to LOGDIR (default OUTDIR/logs), one
# per task: LOGDIR/lrpsim-sweep-ARRAY_TASK.log and LOGDIR/lrpsim-merge-JOB.log. The result is
# OUTDIR/NAME.csv (NAME defaults to the sweep file's base name) with NAME.csv.json beside it.
# CPUs per task: the array script asks for 4; override with --cpus-per-task=N among the options.
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,12s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
sweep=$(realpath "$1")
outdir=$(realpath -m "$2")
shards=$3
shift 3
case $shards in '' | *[!0-9]* | 0) echo "submit.sh: SHARDS $shards: expected a positive integer" >&2; exit 2 ;; esac
[ -f "$sweep" ] || { echo "submit.sh: $sweep: no such sweep file" >&2; exit 2; }
# The tools, before anything is created: without them the jobs cannot be submitted or run.
missing=()
command -v sbatch >/dev/null 2>&1 ||
  missing+=("sbatch is not on PATH: run this where Slurm's client commands are (a login node)")
command -v "${LRPSIM:-lrpsim}" >/dev/null 2>&1 ||
  missing+=("${LRPSIM:-lrpsim} is not on PATH: go install ./cmd/lrpsim, or set LRPSIM=/path/to/lrpsim")
if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do echo "submit.sh: $m" >&2; done
  echo "submit.sh: nothing submitted, nothing created" >&2
  exit 2
fi
here=$(dirname "$(realpath "$0")")
logdir=$(realpath -m "${LOGDIR:-$outdir/logs}")
name=${NAME:-$(basename "$sweep" .yaml)}
mkdir -p "$outdir" "$logdir"
common=(--parsable --chdir="$outdir" "--export=ALL,SWEEP=$sweep,OUTDIR=$outdir,SHARDS=$shards,NAME=$name,LRPSIM=${LRPSIM:-lrpsim}")
array=$(sbatch "${common[@]}" --array="0-$((shards - 1))" --output="$logdir/lrpsim-sweep-%A_%a.log" "$@" "$here/sweep-array.sbatch")
array=${array%%;*}
merge=$(sbatch "${common[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$logdir/lrpsim-merge-%j.log" "$@" "$here/sweep-merge.sbatch")
merge=${merge%%;*}
echo "$array $merge"
