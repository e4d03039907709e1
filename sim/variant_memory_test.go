package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
)

// A memory model added through the registry alone: this file is all it takes. Every load takes
// fixed_latency cycles whatever its bytes, one load at a time into two buffers (the serial
// model with unlimited bandwidth).
type fixedLatencyMemory struct {
	Latency int64 `yaml:"fixed_latency"` // its own key
	Buffers int   `yaml:"kv_buffers"`    // a key of the memory section it shares
}

func init() {
	arch.RegisterMemoryModel("fixed_latency", fixedLatencyMemory{Latency: 10, Buffers: 2},
		func(p fixedLatencyMemory) error {
			if p.Latency < 1 || p.Latency > 1<<20 {
				return &arch.PolicyParamError{Key: "fixed_latency", Expected: "an integer in [1, 1048576]", Got: "out of range"}
			}
			if p.Buffers != 2 {
				return &arch.PolicyParamError{Key: "kv_buffers", Expected: "2 with memory.model fixed_latency", Got: "not 2"}
			}
			return nil
		}, false,
		func(p fixedLatencyMemory, src arch.TileSource, l arch.MemoryListener) arch.Memory {
			return arch.NewSerialMemory(arch.SerialMemoryParams{BytesPerCycle: 1 << 30, Latency: p.Latency - 1, BurstBytes: 64, Buffers: 2}, src, l)
		})
}

// TestRegisteredMemoryModel: a config file selects the test model by name with its own key; both
// engines agree on it, and its runs take the cycles of the serial model whose loads take the
// same time (latency X-1 and one transfer cycle at 1 MiB per cycle: X cycles a load), and more
// as X grows. Its errors name its keys.
func TestRegisteredMemoryModel(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 1))
	heads := Heads{randHead(r, 0), randHead(r, 1), randHead(r, 2)}
	base := "units: 2\nlayer_dependency: false\nmemory:\n  kv_buffers: 2\n  pack_heads: false\n"
	run := func(yaml string) int64 {
		t.Helper()
		cfg, err := ParseConfig("fixed.yaml", []byte(base+yaml))
		if err != nil {
			t.Fatal(err)
		}
		st := bothEngines(t, cfg, heads)
		compareStats(t, cfg.Name, st[0], st[1])
		return st[0].Cycles
	}
	for _, x := range []int{1, 40, 400} {
		got := run(fmt.Sprintf("  model: fixed_latency\n  fixed_latency: %d\n", x))
		want := run(fmt.Sprintf("  model: serial\n  dram_bytes_per_cycle: 1048576\n  dram_latency: %d\n", x-1))
		if got != want {
			t.Errorf("fixed_latency %d: %d cycles, want the serial model's %d", x, got, want)
		}
		if slower := run(fmt.Sprintf("  model: fixed_latency\n  fixed_latency: %d\n", x+500)); slower <= got {
			t.Errorf("fixed_latency %d: %d cycles, not more than %d at %d", x+500, slower, got, x)
		}
	}
	// The effective config (config show) holds the model's own key at its default.
	cfg, err := ParseConfig("fixed.yaml", []byte("memory:\n  model: fixed_latency\n  kv_buffers: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Effective().Memory.Extra["fixed_latency"]; got != int64(10) || cfg.Memory.Extra != nil {
		t.Errorf("effective fixed_latency %v (%T), config's own extra %v; want the default 10 in the copy only", got, got, cfg.Memory.Extra)
	}
	for _, tc := range []struct{ yaml, key string }{
		{"  model: fixed_latency\n  fixed_latency: 0\n", "memory.fixed_latency"},
		{"  model: fixed_latency\n  kv_buffers: 3\n", "memory.kv_buffers"},
		{"  model: nope\n", "memory.model"},
	} {
		var ce *ConfigError
		if _, err := ParseConfig("bad.yaml", []byte("memory:\n"+tc.yaml)); !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("%q: got %v, want an error at %s", tc.yaml, err, tc.key)
		} else if tc.key == "memory.model" && ce.Expected != "banked, serial, pipelined, ideal or fixed_latency" {
			t.Errorf("unknown model: expected %q, want the registered names", ce.Expected)
		}
	}
}
