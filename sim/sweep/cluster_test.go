package sweep

import (
	"strings"
	"testing"
)

func TestShardFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Shard
		err  string
	}{
		{"slurm from 0", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3", "SLURM_ARRAY_TASK_STEP": "1"}, Shard{2, 4}, ""},
		{"slurm from 1", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "3"}, Shard{0, 3}, ""},
		{"slurm last", map[string]string{"SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "10"}, Shard{2, 3}, ""},
		{"slurm wins over k8s", map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_TASK_MIN": "0", "JOB_COMPLETION_INDEX": "1", "LRPSIM_SHARD_COUNT": "5"}, Shard{0, 2}, ""},
		{"k8s", map[string]string{"JOB_COMPLETION_INDEX": "4", "LRPSIM_SHARD_COUNT": "5"}, Shard{4, 5}, ""},
		{"neither", map[string]string{"SLURM_JOB_ID": "7"}, Shard{}, "neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX"},
		{"slurm no count", map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, Shard{}, "SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN is not"},
		{"slurm step", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"}, Shard{}, "SLURM_ARRAY_TASK_STEP=2"},
		{"slurm sparse", map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "5"}, Shard{}, "runs 1 to 5 but has 3 tasks"},
		{"slurm not integer", map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, Shard{}, `SLURM_ARRAY_TASK_ID="x": expected an integer`},
		{"slurm below min", map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, Shard{}, "shard -1 of 3"},
		{"k8s no count", map[string]string{"JOB_COMPLETION_INDEX": "0"}, Shard{}, "LRPSIM_SHARD_COUNT is not"},
		{"k8s index past count", map[string]string{"JOB_COMPLETION_INDEX": "5", "LRPSIM_SHARD_COUNT": "5"}, Shard{}, "shard 5 of 5"},
		{"k8s zero count", map[string]string{"JOB_COMPLETION_INDEX": "0", "LRPSIM_SHARD_COUNT": "0"}, Shard{}, "shard 0 of 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ShardFromEnv(func(k string) string { return tc.env[k] })
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "--shard auto: ") {
				t.Fatalf("got %v, %v; want an error with %q", got, err, tc.err)
			}
		})
	}
}
