package sim

import (
	"slices"
	"strings"
	"testing"
)

func TestOpenConfigSet(t *testing.T) {
	good := []struct {
		sets  []string
		check func(*Config) bool
	}{
		{[]string{"units=4"}, func(c *Config) bool { return c.Units == 4 }},
		{[]string{"memory.channels=16", "units=4"}, func(c *Config) bool { return c.Memory.Channels == 16 && c.Units == 4 }},
		{[]string{"memory.kv_buffers=2", "memory.model=serial"}, func(c *Config) bool { return c.Memory.Model == "serial" }},
		{[]string{"dispatch=dynamic"}, func(c *Config) bool { return c.Dispatch == "dynamic" }},
		{[]string{"baselines=[dense, et_only]"}, func(c *Config) bool { return slices.Equal(c.Baselines, []string{"dense", "et_only"}) }},
		{[]string{"clock_ghz=1.5"}, func(c *Config) bool { return c.ClockGHz == 1.5 }},
		{[]string{"front_end.early_termination=false"}, func(c *Config) bool { return !c.FrontEnd.EarlyTermination }},
		{[]string{"units=4", "units=2"}, func(c *Config) bool { return c.Units == 2 }}, // the last one wins
	}
	for _, tc := range good {
		c, err := OpenConfig("", tc.sets)
		if err != nil {
			t.Errorf("%v: %v", tc.sets, err)
			continue
		}
		if !tc.check(c) {
			t.Errorf("%v: not applied", tc.sets)
		}
	}
	bad := []struct{ set, want string }{
		{"memory.channels=x", `--set memory.channels=x: memory.channels: expected an integer, got "x"`},
		{"units=2.5", `--set units=2.5: units: expected an integer, got "2.5"`},
		{"units=0", `--set units=0: units: expected`},
		{"units=", `--set units=: units: expected an integer, got nothing (null)`},
		{"memory.chanels=4", `--set memory.chanels=4: memory.chanels: expected a config key; at memory.chanels one of`},
		{"memory=4", `--set memory=4: memory: expected a key holding a value, got a section`},
		{"memory.model=fast", `--set memory.model=fast: memory.model: expected`},
		{"units", `--set units: expected KEY=VALUE`},
		{"=4", `--set =4: expected KEY=VALUE`},
		{"units=[4", `--set units=[4: units: expected a YAML value`},
	}
	for _, tc := range bad {
		_, err := OpenConfig("", []string{tc.set})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("--set %s: got %v, want an error starting %q", tc.set, err, tc.want)
		}
	}
}

// A key set by --set and found wrong by a later check is blamed on the flag, not on the file.
func TestOpenConfigSetBlamedLater(t *testing.T) {
	c, err := OpenConfig("bundled:leopard", []string{"units=4"})
	if err != nil {
		t.Fatal(err)
	}
	c.Units = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--set units") {
		t.Errorf("got %v, want the error to name --set units", err)
	}
}
