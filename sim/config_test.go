package sim

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/configs"
)

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		key        string
		expected   string
	}{
		{"unknown top-level key", "name: x\nlanes: 4\n", 2, "lanes", "a key among back_end, baselines"},
		{"unknown nested key", "front_end:\n  lanez: 4\n", 2, "front_end.lanez", "a key among bits_per_cycle"},
		{"duplicate top-level key", "units: 2\nname: x\nunits: 4\n", 3, "units", "each key once"},
		{"duplicate nested key", "front_end:\n  lanes: 4\n  lanes: 8\n", 3, "front_end.lanes", "each key once"},
		{"duplicate section", "front_end:\n  lanes: 4\nfront_end:\n  fill_cycles: 1\n", 3, "front_end", "each key once"},
		{"two documents", "units: 2\n---\nunits: 4\n", 2, "", "a single YAML document"},
		{"wrong type", "front_end:\n  lanes: many\n", 2, "front_end.lanes", "an integer"},
		{"float for int", "units: 2.5\n", 1, "units", "an integer"},
		{"mapping for scalar", "units:\n  a: 1\n", 2, "units", "an integer"},
		{"zero lanes", "front_end:\n  lanes: 0\n", 2, "front_end.lanes", "an integer in [1, 4096]"},
		{"negative latency", "memory:\n  dram_latency: -1\n", 2, "memory.dram_latency", "an integer in [0,"},
		{"bad scheduling", "front_end:\n  scheduling: random\n", 2, "front_end.scheduling", "dynamic or lockstep"},
		{"bad baseline", "baselines: [dense, fast]\n", 1, "baselines", "a list of dense"},
		{"zero clock", "clock_ghz: 0\n", 1, "clock_ghz", "a positive number"},
		{"bits out of range", "operands:\n  bits_k: 17\n", 2, "operands.bits_k", "[2, 16]"},
		{"bad granularity", "thresholds:\n  granularity: token\n", 2, "thresholds.granularity", "head or layer"},
		{"scheduling a number", "front_end:\n  scheduling: 1\n", 2, "front_end.scheduling", "dynamic or lockstep"},
		{"scheduling a list", "front_end:\n  scheduling: [dynamic]\n", 2, "front_end.scheduling", "dynamic or lockstep"},
		{"not yaml", "front_end: [\n", 2, "", "valid YAML"},
		{"top-level list", "- a\n- b\n", 1, "", "a mapping"},
		{"negative DRAM device energy", "memory:\n  dram_device_pj_per_bit: -0.5\n", 2, "memory.dram_device_pj_per_bit", "a finite number of pJ per bit, 0 or more"},
		{"NaN DRAM interface energy", "memory:\n  dram_interface_pj_per_bit: .nan\n", 2, "memory.dram_interface_pj_per_bit", "a finite number of pJ per bit, 0 or more"},
		{"infinite DRAM device energy", "memory:\n  dram_device_pj_per_bit: .inf\n", 2, "memory.dram_device_pj_per_bit", "a finite number of pJ per bit, 0 or more"},
		{"DRAM energy a string", "memory:\n  dram_interface_pj_per_bit: low\n", 2, "memory.dram_interface_pj_per_bit", "a number"},
		{"unknown DRAM energy key", "memory:\n  dram_pj_per_bit: 3\n", 2, "memory.dram_pj_per_bit", "a key among"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("my.yaml", []byte(tc.yaml))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConfigError", err)
			}
			if ce.File != "my.yaml" || ce.Line != tc.line || ce.Key != tc.key || !strings.Contains(ce.Expected, tc.expected) {
				t.Errorf("got %+v (%q), want line %d key %q expected ~%q", *ce, err, tc.line, tc.key, tc.expected)
			}
			if !strings.HasPrefix(err.Error(), "my.yaml") {
				t.Errorf("message %q does not start with the file name", err)
			}
		})
	}
}

// TestDRAMEnergyKeys: the two DRAM prices are read from the memory section (an integer is a
// number of pJ too), 0 is allowed (a run that prices no DRAM), and config validate reports both
// problems of one file, each with its line.
func TestDRAMEnergyKeys(t *testing.T) {
	c, err := ParseConfig("m.yaml", []byte("memory:\n  dram_device_pj_per_bit: 2\n  dram_interface_pj_per_bit: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Memory.DRAMDevicePJPerBit != 2 || c.Memory.DRAMInterfacePJPerBit != 0 {
		t.Errorf("read device %v, interface %v; want 2 and 0", c.Memory.DRAMDevicePJPerBit, c.Memory.DRAMInterfacePJPerBit)
	}
	path := t.TempDir() + "/bad.yaml"
	if err := os.WriteFile(path, []byte("memory:\n  dram_device_pj_per_bit: -1\n  dram_interface_pj_per_bit: -.inf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errs := CheckConfig(path)
	want := map[string]int{"memory.dram_device_pj_per_bit": 2, "memory.dram_interface_pj_per_bit": 3}
	if len(errs) != len(want) {
		t.Fatalf("got %d problems %v, want %d", len(errs), errs, len(want))
	}
	for _, err := range errs {
		var ce *ConfigError
		if !errors.As(err, &ce) || want[ce.Key] != ce.Line || ce.File != path {
			t.Errorf("problem %v: want one of %v with file %s", err, want, path)
		}
	}
	if err := c.Set("sweep.yaml", "memory.dram_device_pj_per_bit", -3.0); err == nil {
		t.Error("Set accepted a negative DRAM price")
	}
}

func TestParseConfigOverlaysDefault(t *testing.T) {
	c, err := ParseConfig("x.yaml", []byte("front_end:\n  lanes: 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	def, _ := DefaultConfig()
	if c.FrontEnd.Lanes != 4 || c.FrontEnd.BitsPerCycle != def.FrontEnd.BitsPerCycle || c.Units != def.Units {
		t.Errorf("overlay gave %+v", c.FrontEnd)
	}
	if _, err := ParseConfig("empty.yaml", nil); err != nil {
		t.Errorf("an empty file should give the default: %v", err)
	}
}

// TestBundledConfigs: every file in configs/ is valid, and both engines agree on it on a small
// random trace.
func TestBundledConfigs(t *testing.T) {
	names, err := fs.Glob(configs.FS, "*.yaml")
	if err != nil || len(names) < 5 {
		t.Fatalf("bundled configs: %v %v", names, err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	var heads Heads
	for i := 0; i < 3; i++ {
		heads = append(heads, randHead(r, i))
	}
	for _, name := range names {
		cfg, err := BundledConfig(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfg.Memory.SRAMKVBytes = 256 // tile the small heads too
		ref, err := Simulate(cfg, heads, EngineReference, Options{Record: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ev, err := Simulate(cfg, heads, EngineEvent, Options{Record: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		compareStats(t, name, ref, ev)
	}
}

func TestLayerGranularityRejectsPerHeadThresholds(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	a, b := randHead(r, 0), randHead(r, 0)
	a.Layer, b.Layer, b.Index = 0, 0, 1
	a.Threshold, b.Threshold = 1, 2
	cfg, _ := DefaultConfig()
	cfg.Thresholds.Granularity = "layer"
	cfg.Memory.SRAMKVBytes = 1 << 20
	for _, eng := range []string{EngineEvent, EngineReference} {
		_, err := Simulate(cfg, Heads{a, b}, eng, Options{})
		if err == nil || !strings.Contains(err.Error(), "thresholds.granularity is layer") {
			t.Errorf("%s: got %v", eng, err)
		}
	}
	b.Threshold = 1
	if _, err := Simulate(cfg, Heads{a, b}, EngineEvent, Options{}); err != nil {
		t.Errorf("equal thresholds: %v", err)
	}
}

func TestConfigSet(t *testing.T) {
	c, _ := DefaultConfig()
	if err := c.Set("s.yaml", "front_end.lanes", 32); err != nil || c.FrontEnd.Lanes != 32 {
		t.Fatalf("set lanes: %v %d", err, c.FrontEnd.Lanes)
	}
	if err := c.Set("s.yaml", "thresholds.scale", 1.5); err != nil || c.Thresholds.Scale != 1.5 {
		t.Fatalf("set scale: %v", err)
	}
	// Enums are resolved by Set as by a file: the engines see arch.LaneSchedule and Granularity.
	if err := c.Set("s.yaml", "front_end.scheduling", "lockstep"); err != nil || c.FrontEnd.Scheduling != arch.LockstepLanes {
		t.Fatalf("set scheduling: %v, %v", err, c.FrontEnd.Scheduling)
	}
	if err := c.Set("s.yaml", "thresholds.granularity", "layer"); err != nil || c.Thresholds.Granularity != PerLayer {
		t.Fatalf("set granularity: %v, %q", err, c.Thresholds.Granularity)
	}
	for _, tc := range []struct {
		key   string
		value any
		want  string
	}{
		{"front_end.lanez", 3, "unknown key"},
		{"front_end", 3, "a section"},
		{"units.x", 3, "no sub-keys"},
		{"front_end.lanes", "many", "an integer"},
		{"front_end.lanes", 2.5, "an integer"},
		{"front_end.lanes", 0, "[1, 4096]"},
		{"front_end.scheduling", "random", `front_end.scheduling: expected dynamic or lockstep, got "random"`},
		{"front_end.scheduling", 3, `front_end.scheduling: expected dynamic or lockstep, got "3"`},
		{"thresholds.granularity", "token", `thresholds.granularity: expected head or layer, got "token"`},
	} {
		err := c.Set("s.yaml", tc.key, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "s.yaml") {
			t.Errorf("Set(%s, %v) = %v, want ~%q", tc.key, tc.value, err, tc.want)
		}
	}
}

func TestConfigSetKeepsConfigOnError(t *testing.T) {
	c, _ := DefaultConfig()
	before := *c
	if err := c.Set("s.yaml", "front_end.lanes", 0); err == nil {
		t.Fatal("no error")
	}
	if c.FrontEnd.Lanes != before.FrontEnd.Lanes {
		t.Errorf("failed Set changed lanes to %d", c.FrontEnd.Lanes)
	}
}
