package sweep

import (
	"fmt"
	"strconv"
	"strings"
)

// The environment variables that --shard auto reads. Slurm sets the SLURM_ARRAY_* ones in every
// task of a job array; Kubernetes sets JOB_COMPLETION_INDEX in every pod of an Indexed Job but
// not the completions count, so the Job's manifest passes that as ShardCountEnv.
const (
	SlurmTaskIDEnv    = "SLURM_ARRAY_TASK_ID"
	SlurmTaskCountEnv = "SLURM_ARRAY_TASK_COUNT"
	SlurmTaskMinEnv   = "SLURM_ARRAY_TASK_MIN"
	SlurmTaskMaxEnv   = "SLURM_ARRAY_TASK_MAX"
	SlurmTaskStepEnv  = "SLURM_ARRAY_TASK_STEP"
	K8sIndexEnv       = "JOB_COMPLETION_INDEX"
	ShardCountEnv     = "LRPSIM_SHARD_COUNT"
)

// ShardFromEnv finds the shard of this task from a scheduler's environment (getenv is
// os.Getenv, or a map's lookup in tests):
//   - a Slurm job array (--array=MIN-MAX, step 1): shard SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN
//     of SLURM_ARRAY_TASK_COUNT, so --array=1-4 works as well as --array=0-3;
//   - a Kubernetes Indexed Job: shard JOB_COMPLETION_INDEX of LRPSIM_SHARD_COUNT, which the Job
//     sets to its spec.completions (Kubernetes does not export the count itself).
//
// Anything else (neither set, a stepped or sparse array, a count missing) is an error that says
// what was found and what was expected.
func ShardFromEnv(getenv func(string) string) (Shard, error) {
	num := func(name string) (int, bool, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, true, fmt.Errorf("--shard auto: %s=%q: expected an integer", name, v)
		}
		return n, true, nil
	}
	check := func(s Shard, from string) (Shard, error) {
		if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
			return Shard{}, fmt.Errorf("--shard auto: %s gives shard %d of %d: expected 0 <= index < count", from, s.Index, s.Count)
		}
		return s, nil
	}
	id, slurm, err := num(SlurmTaskIDEnv)
	if err != nil {
		return Shard{}, err
	}
	if slurm {
		count, okc, err := num(SlurmTaskCountEnv)
		if err != nil {
			return Shard{}, err
		}
		lo, okm, err := num(SlurmTaskMinEnv)
		if err != nil {
			return Shard{}, err
		}
		if !okc || !okm {
			return Shard{}, fmt.Errorf("--shard auto: %s is set but %s or %s is not: expected a Slurm job array (sbatch --array=0-N)",
				SlurmTaskIDEnv, SlurmTaskCountEnv, SlurmTaskMinEnv)
		}
		if step, ok, err := num(SlurmTaskStepEnv); err != nil {
			return Shard{}, err
		} else if ok && step != 1 {
			return Shard{}, fmt.Errorf("--shard auto: %s=%d: expected a contiguous array (--array=MIN-MAX without :STEP)", SlurmTaskStepEnv, step)
		}
		if hi, ok, err := num(SlurmTaskMaxEnv); err != nil {
			return Shard{}, err
		} else if ok && hi-lo+1 != count {
			return Shard{}, fmt.Errorf("--shard auto: the array runs %d to %d but has %d tasks: expected a contiguous array (--array=MIN-MAX, no gaps)", lo, hi, count)
		}
		return check(Shard{Index: id - lo, Count: count}, "the Slurm array ("+SlurmTaskIDEnv+" - "+SlurmTaskMinEnv+" of "+SlurmTaskCountEnv+")")
	}
	idx, k8s, err := num(K8sIndexEnv)
	if err != nil {
		return Shard{}, err
	}
	if k8s {
		count, ok, err := num(ShardCountEnv)
		if err != nil {
			return Shard{}, err
		}
		if !ok {
			return Shard{}, fmt.Errorf("--shard auto: %s is set but %s is not: the Indexed Job must set it to its spec.completions", K8sIndexEnv, ShardCountEnv)
		}
		return check(Shard{Index: idx, Count: count}, "the Indexed Job ("+K8sIndexEnv+" of "+ShardCountEnv+")")
	}
	return Shard{}, fmt.Errorf("--shard auto: neither %s (a Slurm job array) nor %s (a Kubernetes Indexed Job) is set: run inside an array job or give --shard INDEX/COUNT",
		SlurmTaskIDEnv, K8sIndexEnv)
}
