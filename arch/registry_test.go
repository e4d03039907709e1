package arch

import (
	"errors"
	"reflect"
	"testing"
)

// TestRegistryBuiltIns: the built-in variants are registered in the order messages list them,
// an unknown name is refused at the key that names it, and a variant's parameters are filled
// by key over its defaults.
func TestRegistryBuiltIns(t *testing.T) {
	for _, tc := range []struct {
		want, key string
		check     func(string) error
	}{
		{"banked, serial, pipelined or ideal", "memory.model", func(n string) error { return MemoryModels.Check(n, nil) }},
		{"static or dynamic", "dispatch", func(n string) error { return Dispatchers.Check(n, nil) }},
		{"leopard, row_relative, sanger or spatten", "pruning.policy", func(n string) error { return PruningRules.Check(n, nil) }},
	} {
		var pe *PolicyParamError
		if err := tc.check("nope"); !errors.As(err, &pe) || pe.Key != tc.key || pe.Expected != tc.want || pe.Got != `"nope"` {
			t.Errorf("unknown %s: %v, want %s expected %s", tc.key, err, tc.key, tc.want)
		}
	}
	got := MemoryModels.Params("pipelined", FieldsByKey(struct {
		Channels int `yaml:"channels"`
		Latency  int `yaml:"dram_latency"` // an int for the model's int64
		Other    int `yaml:"other"`
	}{Channels: 3, Latency: 7, Other: 9}))
	want := PipelinedMemoryParams{Channels: 3, BytesPerCycle: 32, Latency: 7, BurstBytes: 32, MaxInFlight: 14, Buffers: 4}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pipelined params %+v, want %+v", got, want)
	}
	var pe *PolicyParamError
	if err := MemoryModels.Check("serial", SerialMemoryParams{BytesPerCycle: 1, Buffers: 3}); !errors.As(err, &pe) || pe.Key != "memory.kv_buffers" {
		t.Errorf("serial with 3 buffers: %v, want an error at memory.kv_buffers", err)
	}
	if DispatchTaskLists("static", 4) != 4 || DispatchTaskLists("dynamic", 4) != 1 {
		t.Error("static dispatch wants a task list per unit, dynamic one shared list")
	}
}

// TestRegistryRefusesTwice: a name registered twice is a programming error.
func TestRegistryRefusesTwice(t *testing.T) {
	r := NewRegistry[int]("thing", "things.kind")
	r.register("a", nil, nil, 1)
	defer func() {
		if recover() == nil {
			t.Error("a second \"a\" was registered")
		}
	}()
	r.register("a", nil, nil, 2)
}

func TestOrList(t *testing.T) {
	for words, want := range map[string]string{"": "", "a": "a", "a b": "a or b", "a b c": "a, b or c"} {
		var ws []string
		for _, w := range []byte(words) {
			if w != ' ' {
				ws = append(ws, string(w))
			}
		}
		if got := OrList(ws); got != want {
			t.Errorf("OrList(%q) = %q, want %q", ws, got, want)
		}
	}
}
