package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Error is a problem with a sweep file: the file, the line (0 when it has none), the key or
// section at fault, and what is wrong.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
	Err  error // the underlying error, if any
}

// Error formats the error as "file:line: key: message".
func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return loc + ": " + e.Msg
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

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
	b, err := os.ReadFile(path)
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
	errAt := func(n *yaml.Node, key, msg string) error {
		line := 0
		if n != nil {
			line = n.Line
		}
		return &Error{File: file, Line: line, Key: key, Msg: msg}
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "empty sweep: expected a mapping with a grid or a zip of config keys"}
		}
		return nil, &Error{File: file, Msg: "expected valid YAML, got " + err.Error(), Err: err}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty sweep: expected a mapping with a grid or a zip of config keys"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "(document)", "expected a mapping of "+strings.Join(topKeys(), ", ")+", got "+describe(root))
	}
	fields, err := mappingFields(file, root, "", topKeys())
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		k, v := f.key, f.val
		switch k.Value {
		case "name":
			if s.Name, err = scalarString(file, v, "name"); err != nil {
				return nil, err
			}
			if strings.TrimSpace(s.Name) == "" {
				return nil, errAt(v, "name", "expected a non-empty name")
			}
		case "base":
			if s.Base, err = scalarString(file, v, "base"); err != nil {
				return nil, err
			}
			s.baseLine = v.Line
		case "traces":
			if v.Kind != yaml.SequenceNode {
				return nil, errAt(v, "traces", "expected a list of trace files or bundled:NAME, got "+describe(v))
			}
			if len(v.Content) == 0 {
				return nil, errAt(v, "traces", "expected at least one trace, got an empty list")
			}
			seen := map[string]int{}
			for _, item := range v.Content {
				t, err := scalarString(file, item, "traces")
				if err != nil {
					return nil, err
				}
				if t == "" {
					return nil, errAt(item, "traces", "expected a trace file or bundled:NAME, got an empty string")
				}
				if line, dup := seen[t]; dup {
					return nil, errAt(item, "traces", fmt.Sprintf("%q is listed twice (also line %d)", t, line))
				}
				seen[t] = item.Line
				s.Traces = append(s.Traces, t)
				s.traceLines = append(s.traceLines, item.Line)
			}
		case "grid", "zip":
			axes, err := parseAxes(file, k.Value, v)
			if err != nil {
				return nil, err
			}
			s.Axes = append(s.Axes, axes...)
		case "engine":
			if s.Engine, err = scalarString(file, v, "engine"); err != nil {
				return nil, err
			}
			if s.Engine != sim.EngineEvent && s.Engine != sim.EngineReference {
				return nil, errAt(v, "engine", fmt.Sprintf("expected %s or %s, got %q", sim.EngineEvent, sim.EngineReference, s.Engine))
			}
			s.engineLine = v.Line
		case "energy":
			if err := s.parseEnergy(v); err != nil {
				return nil, err
			}
		case "baselines":
			if v.Kind != yaml.SequenceNode {
				return nil, errAt(v, "baselines", "expected a list of baseline names, got "+describe(v))
			}
			s.Baselines, s.BaselinesSet, s.baselinesLine = []string{}, true, v.Line
			for _, item := range v.Content {
				b, err := scalarString(file, item, "baselines")
				if err != nil {
					return nil, err
				}
				s.Baselines = append(s.Baselines, b)
			}
		}
	}
	// Sort the grid before the zip whatever their order in the file: grid keys vary slowest.
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
			return nil, &Error{File: file, Line: a.Line, Key: a.Key, Msg: fmt.Sprintf("swept twice (also line %d); a key goes in grid or in zip, once", line)}
		}
		seenKey[a.Key] = a.Line
	}
	if len(s.Axes) == 0 {
		return nil, &Error{File: file, Msg: "empty grid: expected at least one config key with a list of values under grid or zip"}
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

func (s *Sweep) parseEnergy(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return &Error{File: s.File, Line: v.Line, Key: "energy", Msg: "expected a mapping with node or table, got " + describe(v)}
	}
	fields, err := mappingFields(s.File, v, "energy", []string{"node", "table"})
	if err != nil {
		return err
	}
	s.energyLine = v.Line
	for _, f := range fields {
		val, err := scalarString(s.File, f.val, "energy."+f.key.Value)
		if err != nil {
			return err
		}
		if f.key.Value == "node" {
			s.EnergyNode = val
		} else {
			s.EnergyTable = val
		}
	}
	if s.EnergyNode != "" && s.EnergyTable != "" {
		return &Error{File: s.File, Line: v.Line, Key: "energy", Msg: "expected node or table, not both"}
	}
	if len(fields) == 0 {
		return &Error{File: s.File, Line: v.Line, Key: "energy", Msg: "expected node or table, got an empty mapping"}
	}
	return nil
}

// parseAxes reads grid or zip: a mapping of config keys to non-empty lists of values (of one
// length, for zip).
func parseAxes(file, section string, n *yaml.Node) ([]Axis, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: n.Line, Key: section, Msg: "expected a mapping of config keys to lists of values, got " + describe(n)}
	}
	fields, err := mappingFields(file, n, section, nil)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, &Error{File: file, Line: n.Line, Key: section, Msg: "empty grid: expected at least one config key with a list of values"}
	}
	var axes []Axis
	for _, f := range fields {
		key := f.key.Value
		where := section + " " + key
		if f.val.Kind != yaml.SequenceNode {
			return nil, &Error{File: file, Line: f.val.Line, Key: where, Msg: "expected a list of values, got " + describe(f.val)}
		}
		if len(f.val.Content) == 0 {
			return nil, &Error{File: file, Line: f.val.Line, Key: where, Msg: "empty grid: expected at least one value, got an empty list"}
		}
		a := Axis{Key: key, Zip: section == "zip", Line: f.key.Line}
		texts := map[string]int{}
		for _, item := range f.val.Content {
			v, err := parseValue(file, where, item)
			if err != nil {
				return nil, err
			}
			if line, dup := texts[v.Text]; dup && section == "grid" {
				return nil, &Error{File: file, Line: item.Line, Key: where, Msg: fmt.Sprintf("value %s is listed twice (also line %d)", v.Text, line)}
			}
			texts[v.Text] = item.Line
			a.Values = append(a.Values, v)
		}
		if a.Zip && len(axes) > 0 && len(a.Values) != len(axes[0].Values) {
			return nil, &Error{File: file, Line: f.val.Line, Key: where, Msg: fmt.Sprintf("zipped lists must have one length: %s here, %s for %s (line %d)",
				values(len(a.Values)), values(len(axes[0].Values)), axes[0].Key, axes[0].Line)}
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
				return nil, &Error{File: file, Line: axes[0].Values[i].Line, Key: section, Msg: fmt.Sprintf("row %d repeats row %d (%s): the same point twice", i+1, j+1, strings.Join(key, ", "))}
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
		return &Error{File: file, Line: n.Line, Key: where, Msg: "expected a value or a list of values, got " + got}
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

type field struct{ key, val *yaml.Node }

// mappingFields lists a mapping's key-value pairs, rejecting duplicate keys and, when allowed is
// non-nil, keys not in allowed.
func mappingFields(file string, n *yaml.Node, path string, allowed []string) ([]field, error) {
	var out []field
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		full := k.Value
		if path != "" {
			full = path + "." + k.Value
		}
		if k.Kind != yaml.ScalarNode {
			return nil, &Error{File: file, Line: k.Line, Key: path, Msg: "expected string keys, got " + describe(k)}
		}
		if allowed != nil && !contains(allowed, k.Value) {
			return nil, &Error{File: file, Line: k.Line, Key: full, Msg: "unknown key: expected one of " + strings.Join(allowed, ", ")}
		}
		if line, dup := seen[k.Value]; dup {
			return nil, &Error{File: file, Line: k.Line, Key: full, Msg: fmt.Sprintf("given twice (also line %d)", line)}
		}
		seen[k.Value] = k.Line
		out = append(out, field{k, v})
	}
	return out, nil
}

func scalarString(file string, n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", &Error{File: file, Line: n.Line, Key: key, Msg: "expected a string, got " + describe(n)}
	}
	return n.Value, nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.ShortTag() == "!!null" {
		return "null"
	}
	return fmt.Sprintf("%q", n.Value)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

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
