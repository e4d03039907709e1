package sim

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// SetFlag is the command-line flag that changes one config key, which OpenConfig's errors name.
const SetFlag = "--set"

// OpenConfig opens the configuration a command names and applies its --set assignments: spec is
// "" (the default configuration), "bundled:NAME" (configs/NAME, the .yaml optional) or a YAML
// file read over the default; each of sets is KEY=VALUE, a dotted config key and a YAML scalar or
// flow list ("units=4", "memory.model=serial", "baselines=[dense]"), applied in order after the
// file and checked as strictly as the file (unknown key, wrong type, value out of range). Each
// is checked as it is applied, as a sweep's keys are, so one that another makes valid comes
// after it (memory.kv_buffers=2 before memory.model=serial). An
// error of an assignment names the flag: `--set memory.channels=x: memory.channels: expected an
// integer, got "x"`; a later Validate blames a key set here on the flag, not on the file.
func OpenConfig(spec string, sets []string) (*Config, error) {
	c, err := LoadConfig(spec)
	if err != nil {
		return nil, err
	}
	if err := c.ApplySets(sets); err != nil {
		return nil, err
	}
	return c, nil
}

// ApplySets applies sets, --set KEY=VALUE assignments, to c in order, each checked as OpenConfig
// checks it; a sweep applies them so to its base configuration. On error c keeps the
// assignments before the one at fault.
func (c *Config) ApplySets(sets []string) error {
	for _, s := range sets {
		if err := c.applySet(s); err != nil {
			return err
		}
	}
	return nil
}

// SetKey returns the config key of a --set assignment (KEY=VALUE), "" when it has none.
func SetKey(assignment string) string {
	key, _, _ := strings.Cut(assignment, "=")
	return strings.TrimSpace(key)
}

// applySet applies one KEY=VALUE assignment of --set.
func (c *Config) applySet(assignment string) error {
	src := SetFlag + " " + assignment
	_, text, ok := strings.Cut(assignment, "=")
	key := SetKey(assignment)
	if !ok || key == "" {
		return fmt.Errorf("%s: expected KEY=VALUE, a dotted config key and its value (e.g. units=4)", src)
	}
	// The value is YAML, so that it reads as it would in the file: 4 is an integer, "4" a
	// string, [dense, et_only] a list. Decoding it as a node keeps its tag for the strict checks.
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return &ConfigError{File: src, Key: key, Expected: "a YAML value", Got: fmt.Sprintf("%q", text)}
	}
	var value any // nothing after the = is YAML's null, which no key takes
	if len(doc.Content) == 1 {
		value = doc.Content[0]
	}
	if err := c.Set(src, key, value); err != nil {
		return err
	}
	c.SetByFlag(key, SetFlag+" "+key)
	return nil
}

// CheckOpenConfig is config validate's check of spec (as OpenConfig takes it) with sets: a file
// gets every problem CheckConfig finds; a bundled config, the default, or an assignment of sets
// gets the first.
func CheckOpenConfig(spec string, sets []string) []error {
	if spec != "" && !strings.HasPrefix(spec, BundledPrefix) {
		if errs := CheckConfig(spec); len(errs) > 0 {
			return errs
		}
	}
	if _, err := OpenConfig(spec, sets); err != nil {
		return []error{err}
	}
	return nil
}
