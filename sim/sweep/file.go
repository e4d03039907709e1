package sweep

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/internal/yamlstrict"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Error is a problem with a sweep file: the file, the line (0 when it has none), the key or
// section at fault, what was expected and what was found, or the underlying error (a base
// config, trace or energy table that does not load). It is the one error shape of lrpsim's YAML
// inputs (internal/yamlstrict), shared with the configuration and the energy table.
type Error = yamlstrict.Error

// Sweep is a parsed sweep file: a base configuration, the keys to vary and their values, and the
// traces to replay each point on.
type Sweep struct {
	// File is the sweep file's path as given; relative paths inside it are resolved against its
	// directory.
	File string
	// Name names the sweep in the manifest and messages (default: the file name without .yaml).
	Name string
	// Base is the base configuration file as written ("" for the built-in default).
	Base     string
	baseLine int
	// Traces are the traces as written: paths relative to the sweep file, or bundled:NAME.
	Traces     []string
	traceLines []int
	// Axes are the swept keys: the grid's keys in file order, then the zip's.
	Axes []Axis
	// Engine is the simulation engine (default event).
	Engine     string
	engineLine int
	// EnergyNode and EnergyTable choose the energy table: a built-in node (default 45nm) or a
	// table file as written.
	EnergyNode, EnergyTable string
	energyLine              int
	// Baselines, when BaselinesSet, replaces the base configuration's baselines.
	Baselines     []string
	BaselinesSet  bool
	baselinesLine int
	// Sets are --set KEY=VALUE assignments from the command line (sim.OpenConfig's), not the
	// file: applied to the base configuration after the file's base and baselines and before
	// the swept keys, and part of the sweep's identity (the manifest's "sets").
	Sets []string
}

// Axis is one swept config key and its values.
type Axis struct {
	Key    string  // dotted config key, e.g. front_end.lanes
	Zip    bool    // from zip (zipped with the other zip keys) rather than grid (crossed)
	Line   int     // the key's line in the sweep file
	Values []Value // in file order
}

// Value is one value of a swept key.
type Value struct {
	Text  string // as it appears in the key's CSV column
	Value any    // decoded from YAML, handed to sim.Config.Set
	Line  int
}

// topKeys returns the keys a sweep file may hold.
func topKeys() []string {
	return []string{"name", "base", "traces", "grid", "zip", "engine", "energy", "baselines"}
}

// Load reads and parses a sweep file.
func Load(path string) (*Sweep, error) {
	b, err := safeio.ReadFile(path, "a sweep file (YAML)", safeio.MaxText)
	if err != nil {
		return nil, fmt.Errorf("reading sweep: %w", err)
	}
	return Parse(path, b)
}

// Parse parses a sweep file's contents; file names it in errors and anchors its relative paths.
// Unknown keys, wrong types, duplicate keys, empty lists and a sweep without any swept key are
// errors naming the file, the line and the key. Config keys and values are checked later, by
// [Sweep.Plan].
func Parse(file string, b []byte) (*Sweep, error) {
	s := &Sweep{File: file}
	root, err := yamlstrict.Parse(file, b)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &Error{File: file, Line: 1, Expected: "a mapping with a grid or a zip of config keys", Got: "an empty sweep"}
	}
	fields, err := yamlstrict.Mapping(file, root, "", "a mapping of "+strings.Join(topKeys(), ", "), topKeys())
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if err := s.parseField(f); err != nil {
			return nil, err
		}
	}
	if err := s.orderAxes(); err != nil {
		return nil, err
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(file), ".yaml"), ".yml")
	}
	if s.Engine == "" {
		s.Engine = sim.EngineEvent
	}
	if len(s.Traces) == 0 {
		s.Traces = []string{data.BundledPrefix + data.Default}
		s.traceLines = []int{0}
	}
	if s.EnergyNode == "" && s.EnergyTable == "" {
		s.EnergyNode = "45nm"
	}
	return s, nil
}

// parseField parses one top-level key of a sweep file into s.
func (s *Sweep) parseField(f yamlstrict.Field) error {
	file, v := s.File, f.Value
	var err error
	switch f.Key {
	case "name":
		if s.Name, err = scalarString(file, v, "name"); err != nil {
			return err
		}
		if strings.TrimSpace(s.Name) == "" {
			return yamlstrict.At(file, v, "name", "a non-empty name", `""`)
		}
	case "base":
		if s.Base, err = scalarString(file, v, "base"); err != nil {
			return err
		}
		s.baseLine = v.Line
	case "traces":
		return s.parseTraces(v)
	case "grid", "zip":
		axes, err := parseAxes(file, f.KeyNode.Value, v)
		if err != nil {
			return err
		}
		s.Axes = append(s.Axes, axes...)
	case "engine":
		if s.Engine, err = scalarString(file, v, "engine"); err != nil {
			return err
		}
		if s.Engine != sim.EngineEvent && s.Engine != sim.EngineReference {
			return yamlstrict.At(file, v, "engine", sim.EngineEvent+" or "+sim.EngineReference, fmt.Sprintf("%q", s.Engine))
		}
		s.engineLine = v.Line
	case "energy":
		return s.parseEnergy(v)
	case "baselines":
		if v.Kind != yaml.SequenceNode {
			return yamlstrict.At(file, v, "baselines", "a list of baseline names", describe(v))
		}
		s.Baselines, s.BaselinesSet, s.baselinesLine = []string{}, true, v.Line
		for _, item := range v.Content {
			b, err := scalarString(file, item, "baselines")
			if err != nil {
				return err
			}
			s.Baselines = append(s.Baselines, b)
		}
	}
	return nil
}

// parseTraces parses the list of traces: each a file or bundled:NAME, each once.
func (s *Sweep) parseTraces(v *yaml.Node) error {
	if v.Kind != yaml.SequenceNode {
		return yamlstrict.At(s.File, v, "traces", "a list of trace files or bundled:NAME", describe(v))
	}
	if len(v.Content) == 0 {
		return yamlstrict.At(s.File, v, "traces", "at least one trace", "an empty list")
	}
	seen := map[string]int{}
	for _, item := range v.Content {
		t, err := scalarString(s.File, item, "traces")
		if err != nil {
			return err
		}
		if t == "" {
			return yamlstrict.At(s.File, item, "traces", "a trace file or bundled:NAME", "an empty string")
		}
		if line, dup := seen[t]; dup {
			return yamlstrict.At(s.File, item, "traces", "each trace once", fmt.Sprintf("%q twice (also line %d)", t, line))
		}
		seen[t] = item.Line
		s.Traces = append(s.Traces, t)
		s.traceLines = append(s.traceLines, item.Line)
	}
	return nil
}

// orderAxes puts the grid before the zip whatever their order in the file (grid keys vary
// slowest) and checks that each key is swept once and that some key is.
func (s *Sweep) orderAxes() error {
	var grid, zip []Axis
	for _, a := range s.Axes {
		if a.Zip {
			zip = append(zip, a)
		} else {
			grid = append(grid, a)
		}
	}
	s.Axes = append(grid, zip...)
	seenKey := map[string]int{}
	for _, a := range s.Axes {
		if line, dup := seenKey[a.Key]; dup {
			return &Error{File: s.File, Line: a.Line, Key: a.Key, Expected: "each key swept once, in grid or in zip",
				Got: fmt.Sprintf("%s swept twice (also line %d)", a.Key, line)}
		}
		seenKey[a.Key] = a.Line
	}
	if len(s.Axes) == 0 {
		return &Error{File: s.File, Expected: "at least one config key with a list of values under grid or zip", Got: "an empty grid"}
	}
	return nil
}

func (s *Sweep) parseEnergy(v *yaml.Node) error {
	fields, err := yamlstrict.Mapping(s.File, v, "energy", "a mapping with node or table", []string{"node", "table"})
	if err != nil {
		return err
	}
	s.energyLine = v.Line
	for _, f := range fields {
		val, err := scalarString(s.File, f.Value, "energy."+f.Key)
		if err != nil {
			return err
		}
		if f.Key == "node" {
			s.EnergyNode = val
		} else {
			s.EnergyTable = val
		}
	}
	if s.EnergyNode != "" && s.EnergyTable != "" {
		return &Error{File: s.File, Line: v.Line, Key: "energy", Expected: "node or table, not both", Got: "both"}
	}
	if len(fields) == 0 {
		return &Error{File: s.File, Line: v.Line, Key: "energy", Expected: "node or table", Got: "an empty mapping"}
	}
	return nil
}

// parseAxes reads grid or zip: a mapping of config keys to non-empty lists of values (of one
// length, for zip).
func parseAxes(file, section string, n *yaml.Node) ([]Axis, error) {
	fields, err := yamlstrict.Mapping(file, n, section, "a mapping of config keys to lists of values", nil)
	if err != nil {
		// Name a swept key as everywhere else in sweep errors: "grid front_end.lanes".
		if e, ok := err.(*Error); ok && strings.HasPrefix(e.Key, section+".") {
			e.Key = section + " " + strings.TrimPrefix(e.Key, section+".")
		}
		return nil, err
	}
	if len(fields) == 0 {
		return nil, &Error{File: file, Line: n.Line, Key: section, Expected: "at least one config key with a list of values", Got: "an empty grid"}
	}
	var axes []Axis
	for _, f := range fields {
		key := f.Key
		where := section + " " + key
		if f.Value.Kind != yaml.SequenceNode {
			return nil, &Error{File: file, Line: f.Value.Line, Key: where, Expected: "a list of values", Got: describe(f.Value)}
		}
		if len(f.Value.Content) == 0 {
			return nil, &Error{File: file, Line: f.Value.Line, Key: where, Expected: "at least one value", Got: "an empty list (an empty grid)"}
		}
		a := Axis{Key: key, Zip: section == "zip", Line: f.KeyNode.Line}
		texts := map[string]int{}
		for _, item := range f.Value.Content {
			v, err := parseValue(file, where, item)
			if err != nil {
				return nil, err
			}
			if line, dup := texts[v.Text]; dup && section == "grid" {
				return nil, &Error{File: file, Line: item.Line, Key: where, Expected: "each value once",
					Got: fmt.Sprintf("value %s twice (also line %d)", v.Text, line)}
			}
			texts[v.Text] = item.Line
			a.Values = append(a.Values, v)
		}
		if a.Zip && len(axes) > 0 && len(a.Values) != len(axes[0].Values) {
			return nil, &Error{File: file, Line: f.Value.Line, Key: where,
				Expected: fmt.Sprintf("zipped lists of one length: %s, as for %s (line %d)", values(len(axes[0].Values)), axes[0].Key, axes[0].Line),
				Got:      values(len(a.Values))}
		}
		axes = append(axes, a)
	}
	if section == "zip" {
		// A zip repeats a value freely, but not a whole row: that would be the same point twice.
		rows := map[string]int{}
		for i := range axes[0].Values {
			var key []string
			for _, a := range axes {
				key = append(key, a.Values[i].Text)
			}
			k := strings.Join(key, "\x00")
			if j, dup := rows[k]; dup {
				return nil, &Error{File: file, Line: axes[0].Values[i].Line, Key: section, Expected: "each row of the zip once",
					Got: fmt.Sprintf("row %d repeats row %d (%s): the same point twice", i+1, j+1, strings.Join(key, ", "))}
			}
			rows[k] = i
		}
	}
	return axes, nil
}

// parseValue decodes one value of a swept key: a scalar, or a list of scalars for list keys
// (baselines).
func parseValue(file, where string, n *yaml.Node) (Value, error) {
	bad := func(got string) error {
		return &Error{File: file, Line: n.Line, Key: where, Expected: "a value or a list of values", Got: got}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return Value{}, bad("null")
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return Value{}, bad(err.Error())
		}
		return Value{Text: n.Value, Value: v, Line: n.Line}, nil
	case yaml.SequenceNode:
		items := make([]any, 0, len(n.Content))
		texts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.ShortTag() == "!!null" {
				return Value{}, bad("a nested " + describe(c))
			}
			var v any
			if err := c.Decode(&v); err != nil {
				return Value{}, bad(err.Error())
			}
			items = append(items, v)
			texts = append(texts, c.Value)
		}
		return Value{Text: "[" + strings.Join(texts, ", ") + "]", Value: items, Line: n.Line}, nil
	}
	return Value{}, bad(describe(n))
}

// scalarString returns the scalar n as text; anything else, null included, is an error at key.
func scalarString(file string, n *yaml.Node, key string) (string, error) {
	n = yamlstrict.Deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", &Error{File: file, Line: n.Line, Key: key, Expected: "a string", Got: describe(n)}
	}
	return n.Value, nil
}

// describe says what n is, for the "got" part of errors.
func describe(n *yaml.Node) string { return yamlstrict.Describe(n) }

// resolve anchors a path written in the sweep file to the file's directory; bundled: names and
// absolute paths are kept.
func (s *Sweep) resolve(p string) string {
	if strings.HasPrefix(p, data.BundledPrefix) || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(s.File), p)
}

func values(n int) string {
	if n == 1 {
		return "1 value"
	}
	return fmt.Sprintf("%d values", n)
}
