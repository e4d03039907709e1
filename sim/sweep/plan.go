package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces/data"
)

// maxPoints bounds the size of a sweep, so that a typo (a grid of long lists) fails at once
// instead of planning for ever.
const maxPoints = 1 << 20

// Plan is a sweep resolved into numbered points, each a configuration and a trace, with the
// energy table, the CSV columns and the hash that identifies the sweep in journals, manifests
// and shards.
type Plan struct {
	Sweep   *Sweep
	Version string // lrpsim version, part of the sweep's identity
	Base    *sim.Config
	Table   *energy.Table
	Traces  []TraceRef
	Points  []Point
	// Baselines are the baselines of all points, in order of first appearance; each has its
	// columns.
	Baselines []string
	Columns   []string
	// Hash is the SHA-256 of everything that determines the CSV's bytes: the lrpsim version, the
	// engine, the --set assignments, the energy table, the columns, and each point's values,
	// configuration and trace contents.
	Hash string
	// KeepGoing turns a point that the configuration rejects, or whose simulation fails, into a
	// row that records the reason in a last column, "error", instead of an error of the sweep.
	KeepGoing bool

	baseSHA, tableSHA string
}

// ErrorColumn is the last column of a --keep-going sweep: empty, or why the point has no
// metrics.
const ErrorColumn = "error"

// Point is one (configuration, trace) pair of a sweep, numbered from 0: grid keys vary slowest in
// file order, then the zip, then the trace.
type Point struct {
	Index  int
	Values []string // the text of each swept key's value, in Sweep.Axes order
	Config *sim.Config
	Trace  int // index into Plan.Traces

	configSHA string
	lines     []int  // the line of each value, for errors
	rejected  string // with KeepGoing: why the configuration rejects the point (Config is nil)
}

// TraceRef is one trace of a sweep.
type TraceRef struct {
	Name      string `json:"name"` // as written in the sweep file
	SHA256    string `json:"sha256"`
	Model     string `json:"model"`
	Task      string `json:"task"`
	Synthetic bool   `json:"synthetic"`

	path string // resolved against the sweep file's directory
}

// Plan checks the sweep against the configuration schema, loads the base configuration, the
// energy table and the traces (hashing their contents), and enumerates the points. Every problem
// is an error naming the sweep file, the line and the key, before anything is simulated.
func (s *Sweep) Plan(version string) (*Plan, error) {
	return s.PlanKeepGoing(version, false)
}

// PlanKeepGoing is Plan, with keepGoing: a point that the configuration rejects (a value out of
// range, an SRAM too small) becomes a row with the reason in the "error" column instead of an
// error, and so does a point whose simulation fails (Plan.KeepGoing).
func (s *Sweep) PlanKeepGoing(version string, keepGoing bool) (*Plan, error) {
	p := &Plan{Sweep: s, Version: version, KeepGoing: keepGoing}
	var err error
	if s.Base == "" {
		p.Base, err = sim.DefaultConfig()
	} else {
		p.Base, err = sim.LoadConfig(s.resolve(s.Base))
	}
	if err != nil {
		return nil, &Error{File: s.File, Line: s.baseLine, Key: "base", Err: err}
	}
	if s.BaselinesSet {
		p.Base.Baselines = append([]string(nil), s.Baselines...)
		if err := p.Base.Validate(); err != nil {
			return nil, configError(s.File, s.baselinesLine, "baselines", "", err)
		}
	}
	if err := s.applySets(p.Base); err != nil {
		return nil, err
	}
	if p.Table, err = s.loadTable(); err != nil {
		return nil, err
	}
	for _, a := range s.Axes {
		if expected, got := checkKey(a.Key); expected != "" {
			return nil, &Error{File: s.File, Line: a.Line, Key: section(a) + " " + a.Key, Expected: expected, Got: got}
		}
	}
	for i, name := range s.Traces {
		tr, err := s.loadTrace(name)
		if err != nil {
			return nil, &Error{File: s.File, Line: s.traceLines[i], Key: "traces", Err: err}
		}
		p.Traces = append(p.Traces, tr)
	}
	if err := p.enumerate(); err != nil {
		return nil, err
	}
	p.columns()
	if err := p.hash(); err != nil {
		return nil, err
	}
	return p, nil
}

// applySets applies the sweep's --set assignments to its base configuration. One that sets a
// swept key is refused: every point's value of the key would silently replace it.
func (s *Sweep) applySets(base *sim.Config) error {
	for _, set := range s.Sets {
		for _, a := range s.Axes {
			if sim.SetKey(set) == a.Key {
				return fmt.Errorf("%s %s: %s is swept by %s (%s line %d), whose values would replace it: drop the %s or the key from the sweep",
					sim.SetFlag, set, a.Key, section(a), s.File, a.Line, sim.SetFlag)
			}
		}
	}
	return base.ApplySets(s.Sets)
}

func section(a Axis) string {
	if a.Zip {
		return "zip"
	}
	return "grid"
}

// configError places a configuration error at a sweep file's key: what the configuration
// expected, and what it got there, or at (the swept value and point) when at is given. A
// configuration error about another key than the one swept names that key.
func configError(file string, line int, key, at string, err error) error {
	var ce *sim.ConfigError
	if !errors.As(err, &ce) {
		return &Error{File: file, Line: line, Key: key, Err: err}
	}
	expected, got := ce.Expected, ce.Got
	if !strings.HasSuffix(key, " "+ce.Key) && key != ce.Key {
		expected = ce.Key + " " + expected
	}
	if at != "" {
		got = at
	}
	return &Error{File: file, Line: line, Key: key, Expected: expected, Got: got, Err: err}
}

// checkKey says what is wrong with a dotted config key, as what was expected and what was got,
// or "" when sim.Config has it.
func checkKey(key string) (expected, got string) {
	if slices.Contains(sim.ConfigKeys(), key) { // a registered variant's parameters included
		return "", ""
	}
	t := reflect.TypeOf(sim.Config{})
	parts := strings.Split(key, ".")
	unknown := fmt.Sprintf("unknown config key %q", key)
	for i, part := range parts {
		names := map[string]reflect.Type{}
		var list []string
		for j := 0; j < t.NumField(); j++ {
			tag := strings.Split(t.Field(j).Tag.Get("yaml"), ",")[0]
			if tag != "" && tag != "-" {
				names[tag] = t.Field(j).Type
				list = append(list, tag)
			}
		}
		sort.Strings(list)
		ft, ok := names[part]
		at := strings.Join(parts[:i+1], ".")
		if !ok {
			if i == 0 {
				return "a config key among " + strings.Join(list, ", "), unknown
			}
			return fmt.Sprintf("a key of %s among %s", strings.Join(parts[:i], "."), strings.Join(list, ", ")), unknown
		}
		if i < len(parts)-1 && ft.Kind() != reflect.Struct {
			return "a config key", fmt.Sprintf("%s: %s holds a value and has no sub-keys", unknown, at)
		}
		if i == len(parts)-1 && ft.Kind() == reflect.Struct {
			var sub []string
			for j := 0; j < ft.NumField(); j++ {
				if tag := strings.Split(ft.Field(j).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
					sub = append(sub, key+"."+tag)
				}
			}
			sort.Strings(sub)
			return "a key holding a value: one of " + strings.Join(sub, ", "), "a section"
		}
		t = ft
	}
	return "", ""
}

func (s *Sweep) loadTable() (*energy.Table, error) {
	if s.EnergyTable != "" {
		t, err := energy.LoadTable(s.resolve(s.EnergyTable))
		if err != nil {
			return nil, &Error{File: s.File, Line: s.energyLine, Key: "energy.table", Err: err}
		}
		return t, nil
	}
	t, err := energy.DefaultTable(s.EnergyNode)
	if err != nil {
		return nil, &Error{File: s.File, Line: s.energyLine, Key: "energy.node", Err: err}
	}
	return t, nil
}

// loadTrace opens a trace to check it and read its meta, and hashes its bytes.
func (s *Sweep) loadTrace(name string) (TraceRef, error) {
	tr := TraceRef{Name: name, path: s.resolve(name)}
	r, err := data.Open(tr.path)
	if err != nil {
		return tr, err
	}
	m := r.Meta()
	tr.Model, tr.Task, tr.Synthetic = m.Model, m.Task, m.Synthetic
	if err := r.Close(); err != nil {
		return tr, err
	}
	h := sha256.New()
	if rest, ok := strings.CutPrefix(tr.path, data.BundledPrefix); ok {
		b, err := fs.ReadFile(data.FS, rest)
		if err != nil {
			return tr, fmt.Errorf("reading bundled trace: %w", err)
		}
		h.Write(b)
	} else {
		f, _, err := safeio.Open(tr.path, "a trace file (a regular .npz file)")
		if err != nil {
			return tr, fmt.Errorf("hashing trace: %w", err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return tr, fmt.Errorf("hashing trace %s: %w", tr.path, err)
		}
	}
	tr.SHA256 = hex.EncodeToString(h.Sum(nil))
	return tr, nil
}

// enumerate builds every point: the grid's combinations (first key slowest), each crossed with
// the zip's rows, each crossed with the traces.
func (p *Plan) enumerate() error {
	s := p.Sweep
	var grid []Axis
	zipLen, hasZip := 1, false
	var zip []Axis
	for _, a := range s.Axes {
		if a.Zip {
			zip = append(zip, a)
			zipLen, hasZip = len(a.Values), true
		} else {
			grid = append(grid, a)
		}
	}
	combos := 1
	for _, a := range grid {
		combos *= len(a.Values)
		if combos > maxPoints {
			break
		}
	}
	total := combos * zipLen * len(p.Traces)
	if combos > maxPoints || total > maxPoints {
		return &Error{File: s.File, Expected: fmt.Sprintf("at most %d points (split the sweep)", maxPoints), Got: "more"}
	}
	idx := make([]int, len(grid))
	for c := 0; c < combos; c++ {
		rest := c
		for i := len(grid) - 1; i >= 0; i-- {
			idx[i] = rest % len(grid[i].Values)
			rest /= len(grid[i].Values)
		}
		for z := 0; z < zipLen; z++ {
			var vals []Value
			var axes []Axis
			for i, a := range grid {
				vals = append(vals, a.Values[idx[i]])
				axes = append(axes, a)
			}
			if hasZip {
				for _, a := range zip {
					vals = append(vals, a.Values[z])
					axes = append(axes, a)
				}
			}
			cfg, sha, err := p.configFor(axes, vals, len(p.Points))
			rejected := ""
			if err != nil {
				if !p.KeepGoing {
					return err
				}
				rejected = err.Error()
			}
			texts := make([]string, len(vals))
			lines := make([]int, len(vals))
			for i, v := range vals {
				texts[i], lines[i] = v.Text, v.Line
			}
			for t := range p.Traces {
				p.Points = append(p.Points, Point{Index: len(p.Points), Values: texts, Config: cfg, Trace: t, configSHA: sha, lines: lines, rejected: rejected})
			}
		}
	}
	return nil
}

// configFor applies one combination of values to a copy of the base configuration.
func (p *Plan) configFor(axes []Axis, vals []Value, point int) (*sim.Config, string, error) {
	cfg := p.Base.Clone()
	for i, a := range axes {
		if err := cfg.Set(p.Sweep.File, a.Key, vals[i].Value); err != nil {
			var desc []string
			for j, b := range axes {
				desc = append(desc, b.Key+"="+vals[j].Text)
			}
			return nil, "", configError(p.Sweep.File, vals[i].Line, section(a)+" "+a.Key,
				fmt.Sprintf("value %s at point %d (%s)", vals[i].Text, point, strings.Join(desc, ", ")), err)
		}
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("hashing the config of point %d: %w", point, err)
	}
	return cfg, sha(y), nil
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// hash computes the sweep's identity from everything that determines its CSV.
func (p *Plan) hash() error {
	y, err := yaml.Marshal(p.Base)
	if err != nil {
		return fmt.Errorf("hashing the base config: %w", err)
	}
	p.baseSHA = sha(y)
	var tb strings.Builder
	if err := p.Table.WriteYAML(&tb); err != nil {
		return fmt.Errorf("hashing the energy table: %w", err)
	}
	p.tableSHA = sha([]byte(tb.String()))
	type hp struct {
		Values []string `json:"values"`
		Config string   `json:"config"`
		Trace  string   `json:"trace"`
		Data   string   `json:"trace_sha256"`
	}
	// The manifest of the sweep, less what depends on how it ran, is part of the identity too,
	// so that an up-to-date check never keeps a manifest that names another base or table file.
	doc := struct {
		Version  string    `json:"version"`
		Name     string    `json:"name"`
		Engine   string    `json:"engine"`
		Base     ConfigRef `json:"base"`
		Sets     []string  `json:"sets,omitempty"`
		Table    TableRef  `json:"table"`
		Columns  []string  `json:"columns"`
		Points   []hp      `json:"points"`
		Manifest string    `json:"manifest_format"`
	}{p.Version, p.Sweep.Name, p.Sweep.Engine, p.baseRef(), p.Sweep.Sets, p.tableRef(), p.Columns, nil, ManifestFormat}
	for _, pt := range p.Points {
		tr := p.Traces[pt.Trace]
		doc.Points = append(doc.Points, hp{pt.Values, pt.configSHA, tr.Name, tr.SHA256})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("hashing the sweep: %w", err)
	}
	p.Hash = sha(b)
	return nil
}

// describePoint names a point in messages: its number, values and trace.
func (p *Plan) describePoint(pt *Point) string {
	parts := []string{}
	for i, a := range p.Sweep.Axes {
		parts = append(parts, a.Key+"="+pt.Values[i])
	}
	parts = append(parts, "trace "+p.Traces[pt.Trace].Name)
	return fmt.Sprintf("point %d (%s)", pt.Index, strings.Join(parts, ", "))
}
