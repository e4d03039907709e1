package sim

import (
	"slices"
	"testing"
)

// TestConfigKeysReadRegistries: the keys and words shell completion offers come from the config's
// types and the registries, the test-only variants of this package included (variant_*_test.go).
func TestConfigKeysReadRegistries(t *testing.T) {
	keys := ConfigKeys()
	for _, k := range []string{"units", "front_end.lanes", "memory.channels", "pruning.theta",
		"memory.fixed_latency", "pruning.top_keys", "dispatch_units"} {
		if !slices.Contains(keys, k) {
			t.Errorf("ConfigKeys lacks %s: %v", k, keys)
		}
	}
	for _, k := range keys {
		if k == "memory" || k == "front_end" || k == "" {
			t.Errorf("ConfigKeys lists the section %q", k)
		}
	}
	for key, want := range map[string][]string{
		"memory.model":           {"banked", "serial", "pipelined", "ideal", "fixed_latency"},
		"dispatch":               {"static", "dynamic", "first_units"},
		"pruning.policy":         {"leopard", "row_relative", "sanger", "spatten", "top_keys"},
		"front_end.scheduling":   {"dynamic", "lockstep"},
		"thresholds.granularity": {"head", "layer"},
		"units":                  nil,
		"memory.nope":            nil,
		"units.x":                nil,
	} {
		if got := KeyWords(key); !slices.Equal(got, want) {
			t.Errorf("KeyWords(%s) = %v, want %v", key, got, want)
		}
	}
}

// TestVariantKeysFitSections: a registered variant's parameter named like a field of its section
// takes that field's value, so its type must be one the field's converts to.
func TestVariantKeysFitSections(t *testing.T) {
	for section, reg := range sectionVariants {
		fields := yamlFields(section)
		for key, typ := range reg.Keys() {
			if i, ok := fields[key]; ok && !section.Field(i).Type.ConvertibleTo(typ) {
				t.Errorf("%s.%s: a variant takes it as %s, the section holds %s", section.Name(), key, typ, section.Field(i).Type)
			}
		}
	}
}
