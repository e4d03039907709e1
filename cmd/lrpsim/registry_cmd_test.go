package main

import (
	"slices"
	"testing"
)

// TestCompletionAndCompareReadRegistries: --set completes the config keys and then the words of
// a variant's key from the registries, and compare's default designs are LeOPArd and the bundled
// policy configs (the list it held before, in the same order).
func TestCompletionAndCompareReadRegistries(t *testing.T) {
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{"memory.ch", []string{"memory.channels="}},
		{"memory.model=", []string{"memory.model=banked", "memory.model=serial", "memory.model=pipelined", "memory.model=ideal"}},
		{"dispatch=d", []string{"dispatch=dynamic"}},
		{"pruning.policy=s", []string{"pruning.policy=sanger", "pruning.policy=spatten"}},
		{"units=", nil},
	} {
		if got, _ := completeSet(tc.typed); !slices.Equal(got, tc.want) {
			t.Errorf("completing --set %s: %v, want %v", tc.typed, got, tc.want)
		}
	}
	want := []string{"bundled:leopard.yaml", "bundled:policies/row-relative.yaml", "bundled:policies/row-relative-spec.yaml",
		"bundled:policies/sanger.yaml", "bundled:policies/spatten.yaml"}
	if !slices.Equal(defaultCompareConfigs, want) {
		t.Errorf("compare's default configs %v, want %v", defaultCompareConfigs, want)
	}
}
