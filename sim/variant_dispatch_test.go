package sim

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/arch"
)

// A dispatcher added through the registry alone: this file is all it takes. It hands the row
// tasks as dynamic dispatch does, to the first dispatch_units units only (a top-level key);
// the other units get none.
type firstUnits struct {
	K int `yaml:"dispatch_units"`
}

func init() {
	arch.RegisterDispatcher("first_units", firstUnits{K: 1}, func(p firstUnits) error {
		if p.K < 1 {
			return &arch.PolicyParamError{Key: "dispatch_units", Expected: "an integer of 1 or more", Got: "below 1"}
		}
		return nil
	}, true, func(p firstUnits, units int, src arch.TileSource, mem arch.Memory) arch.Dispatcher {
		k := min(p.K, units)
		return &firstUnitsDispatcher{Dispatcher: arch.NewDynamicDispatcher(k, src, mem), k: k}
	})
}

// firstUnitsDispatcher is a dynamic dispatcher over units [0, k) of more.
type firstUnitsDispatcher struct {
	arch.Dispatcher
	k int
}

func (d *firstUnitsDispatcher) Next(u int, c int64) (arch.RowTask, int64, int, error) {
	if u >= d.k {
		return arch.RowTask{}, 0, arch.TaskNone, nil
	}
	return d.Dispatcher.Next(u, c)
}

func (d *firstUnitsDispatcher) Resume(u int, now int64) (arch.RowTask, int64, int, error) {
	return d.Dispatcher.Resume(u, now) // only a unit that waited resumes: u < k
}

func (d *firstUnitsDispatcher) StepCycle(u int, c int64) (arch.RowTask, bool, error) {
	if u >= d.k {
		return arch.RowTask{}, false, nil
	}
	return d.Dispatcher.StepCycle(u, c)
}

func (d *firstUnitsDispatcher) Pending(u int) bool { return u < d.k && d.Dispatcher.Pending(u) }

func (d *firstUnitsDispatcher) WaitMemory(u int) int64 {
	if u >= d.k {
		return 0
	}
	return d.Dispatcher.WaitMemory(u)
}

// TestRegisteredDispatcher: a config file selects the test dispatcher by name with its own
// top-level key; both engines agree on it, and 4 units of which dispatch_units 1 take tasks run
// as long as 1 unit under dynamic dispatch, longer than 4 units do. --set and its errors know
// the key.
func TestRegisteredDispatcher(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 3))
	var heads Heads
	for i := range 6 {
		heads = append(heads, randHead(r, i))
	}
	run := func(yaml string) int64 {
		t.Helper()
		cfg, err := ParseConfig("first.yaml", []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		st := bothEngines(t, cfg, heads)
		compareStats(t, cfg.Name, st[0], st[1])
		return st[0].Cycles
	}
	first := run("units: 4\ndispatch: first_units\ndispatch_units: 1\n")
	one := run("units: 1\ndispatch: dynamic\n")
	four := run("units: 4\ndispatch: dynamic\n")
	if first != one || four >= one {
		t.Errorf("first_units 1 of 4: %d cycles; want dynamic on 1 unit's %d, above 4 units' %d", first, one, four)
	}
	cfg, err := ParseConfig("first.yaml", []byte("dispatch: first_units\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set("--set", "dispatch_units", 2); err != nil || cfg.Extra["dispatch_units"] != 2 {
		t.Errorf("--set dispatch_units 2: %v, extra %v", err, cfg.Extra)
	}
	// config show writes the key where a file holds it, and the file reads back the same.
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig("shown.yaml", out)
	if err != nil || back.Extra["dispatch_units"] != 2 || !strings.Contains(string(out), "\ndispatch_units: 2\n") {
		t.Fatalf("config show:\n%s\nread back: %v", out, err)
	}
	var ce *ConfigError
	if err := cfg.Set("--set", "dispatch_units", 0); !errors.As(err, &ce) || ce.Key != "dispatch_units" {
		t.Errorf("--set dispatch_units 0: got %v, want an error at dispatch_units", err)
	}
	if _, err := ParseConfig("bad.yaml", []byte("dispatch: nope\n")); !errors.As(err, &ce) || ce.Expected != "static, dynamic or first_units" {
		t.Errorf("unknown dispatch: got %v, want the registered names", err)
	}
}
