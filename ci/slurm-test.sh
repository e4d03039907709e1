#!/usr/bin/env bash
# Runs cluster/slurm's template end to end on a real single-node Slurm: starts munged, slurmctld
# and slurmd (Debian 12's Slurm 22.05, from ci/install-slurm.sh) with a slurm.conf under a
# temporary directory, submits configs/sweeps/ci-small.yaml as a 3-task job array plus its
# dependent merge job, waits for them by polling squeue -t all, and checks that the merged CSV
# and manifest are byte for byte those of an unsharded run. A failed task fails the test with
# its log. Every daemon started here is stopped by its PID on exit; logs stay under the
# temporary directory, out of the repository. Needs root (munged runs as the munge user).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
shards=3
sweep_file=configs/sweeps/ci-small.yaml

tmp=$(mktemp -d /tmp/lrpsim-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  local rc=$?
  if [ -n "${array:-}" ]; then
    # Cancel what is left, so that no job step outlives the daemons.
    scancel "$array" "$merge" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(squeue -h -j "$array,$merge" -t RUNNING,COMPLETING 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ $rc -eq 0 ]; then
    rm -rf "$tmp"
  else
    echo "slurm test: daemon logs kept in $tmp"
  fi
  exit $rc
}
trap cleanup EXIT
fail() {
  echo "slurm test FAILED: $*" >&2
  exit 1
}

echo "-- building lrpsim"
go build -o "$tmp/bin/lrpsim" ./cmd/lrpsim

echo "-- munged"
mkdir -p /run/munge "$tmp/munge"
chown munge:munge /run/munge "$tmp/munge"
chmod 755 /run/munge
# setpriv, not runuser: munged refuses a session it cannot own.
setpriv --reuid=munge --regid=munge --init-groups munged --foreground \
  --socket=/run/munge/munge.socket.2 --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed" >"$tmp/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null >/dev/null 2>&1 && break
  sleep 0.1
done
munge -n </dev/null | unmunge >/dev/null || fail "munged does not answer; log: $(cat "$tmp/munge/munged.log" 2>/dev/null)"

echo "-- slurm.conf"
node=$(hostname -s)
cpus=$(nproc)
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/logs" "$tmp/out"
export SLURM_CONF="$tmp/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=lrpsim-ci
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/logs/slurmctld.log
SlurmdLogFile=$tmp/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
SchedulerType=sched/backfill
NodeName=$node CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF

echo "-- slurmctld and slurmd"
slurmctld -D -i >"$tmp/logs/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D >"$tmp/logs/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 300); do
  state=$(sinfo -h -N -n "$node" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
if [ "$state" != idle ]; then
  tail -n 20 "$tmp"/logs/*.log "$tmp"/logs/*.out >&2 || true
  fail "node $node is '$state', not idle, after 60 s"
fi
echo "node $node idle, $cpus CPUs"

echo "-- unsharded reference run"
"$tmp/bin/lrpsim" sweep "$sweep_file" --out "$tmp/ref.csv" >/dev/null

echo "-- submitting cluster/slurm/submit.sh: $shards array tasks and the merge"
ids=$(LRPSIM="$tmp/bin/lrpsim" LOGDIR="$tmp/joblogs" NAME=merged \
  cluster/slurm/submit.sh "$sweep_file" "$tmp/out" "$shards" --cpus-per-task=1)
read -r array merge <<<"$ids"
echo "array job $array, merge job $merge"

# squeue -t all keeps finished jobs visible (MinJobAge); sbatch --wait would poll up to 32 s apart.
terminal='COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE'
deadline=$((SECONDS + 300))
while :; do
  states=$(squeue -h -t all -j "$array,$merge" -o '%i %T %r' 2>/dev/null || true)
  if grep -qE " (FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)" <<<"$states"; then
    echo "$states" >&2
    for log in "$tmp"/joblogs/*.log; do
      echo "---- $log" >&2
      cat "$log" >&2
    done
    fail "a job of the array or the merge did not complete"
  fi
  merge_state=$(awk -v id="$merge" '$1 == id {print $2}' <<<"$states")
  [ "$merge_state" = COMPLETED ] && break
  if [ $SECONDS -ge $deadline ]; then
    echo "$states" >&2
    fail "jobs not finished after 300 s"
  fi
  sleep 0.5
done
echo "$states" | sed 's/^/  /'
ntask=$(grep -cE "^${array}_[0-9]+ COMPLETED" <<<"$states" || true)
[ "$ntask" -eq "$shards" ] || fail "expected $shards completed array tasks, saw $ntask"

echo "-- merged output against the unsharded run"
cmp "$tmp/ref.csv" "$tmp/out/merged.csv" || fail "merged CSV differs from the unsharded run"
cmp "$tmp/ref.csv.json" "$tmp/out/merged.csv.json" || fail "merged manifest differs from the unsharded run"
cmp results/golden/ci-small.csv "$tmp/out/merged.csv" || fail "merged CSV differs from results/golden/ci-small.csv"
echo "slurm test passed: $shards-task array and merge job on Slurm $(dpkg-query -W -f '${Version}' slurmctld 2>/dev/null || echo '?'), merged bytes equal the unsharded run"
