package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/energy"
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
	// engine, the energy table, the columns, and each point's values, configuration and trace
	// contents.
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
		return nil, &Error{File: s.File, Line: s.baseLine, Key: "base", Msg: err.Error(), Err: err}
	}
	if s.BaselinesSet {
		p.Base.Baselines = append([]string(nil), s.Baselines...)
		if err := p.Base.Validate(); err != nil {
			return nil, &Error{File: s.File, Line: s.baselinesLine, Key: "baselines", Msg: configMsg(err), Err: err}
		}
	}
	if p.Table, err = s.loadTable(); err != nil {
		return nil, err
	}
	for _, a := range s.Axes {
		if msg := checkKey(a.Key); msg != "" {
			return nil, &Error{File: s.File, Line: a.Line, Key: section(a) + " " + a.Key, Msg: msg}
		}
	}
	for i, name := range s.Traces {
		tr, err := s.loadTrace(name)
		if err != nil {
			return nil, &Error{File: s.File, Line: s.traceLines[i], Key: "traces", Msg: err.Error(), Err: err}
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

func section(a Axis) string {
	if a.Zip {
		return "zip"
	}
	return "grid"
}

// configMsg is the message of a configuration error without its file and key, which the sweep
// error gives.
func configMsg(err error) string {
	var ce *sim.ConfigError
	if errors.As(err, &ce) {
		msg := "expected " + ce.Expected
		if ce.Got != "" {
			msg += ", got " + ce.Got
		}
		return msg
	}
	return err.Error()
}

// checkKey says what is wrong with a dotted config key, or "" when sim.Config has it.
func checkKey(key string) string {
	t := reflect.TypeOf(sim.Config{})
	parts := strings.Split(key, ".")
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
				return "unknown config key: expected one of " + strings.Join(list, ", ")
			}
			return fmt.Sprintf("unknown config key: %s has no %s; expected one of %s", strings.Join(parts[:i], "."), part, strings.Join(list, ", "))
		}
		if i < len(parts)-1 && ft.Kind() != reflect.Struct {
			return fmt.Sprintf("unknown config key: %s holds a value and has no sub-keys", at)
		}
		if i == len(parts)-1 && ft.Kind() == reflect.Struct {
			var sub []string
			for j := 0; j < ft.NumField(); j++ {
				if tag := strings.Split(ft.Field(j).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
					sub = append(sub, key+"."+tag)
				}
			}
			sort.Strings(sub)
			return "a section, not a key: sweep one of " + strings.Join(sub, ", ")
		}
		t = ft
	}
	return ""
}

func (s *Sweep) loadTable() (*energy.Table, error) {
	if s.EnergyTable != "" {
		t, err := energy.LoadTable(s.resolve(s.EnergyTable))
		if err != nil {
			return nil, &Error{File: s.File, Line: s.energyLine, Key: "energy.table", Msg: err.Error(), Err: err}
		}
		return t, nil
	}
	t, err := energy.DefaultTable(s.EnergyNode)
	if err != nil {
		return nil, &Error{File: s.File, Line: s.energyLine, Key: "energy.node", Msg: err.Error(), Err: err}
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
		f, err := os.Open(tr.path)
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
		return &Error{File: s.File, Msg: fmt.Sprintf("the sweep has more than %d points; split it", maxPoints)}
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
			return nil, "", &Error{File: p.Sweep.File, Line: vals[i].Line, Key: section(a) + " " + a.Key,
				Msg: fmt.Sprintf("value %s (point %d: %s): %s", vals[i].Text, point, strings.Join(desc, ", "), configMsg(err)), Err: err}
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

// designColumns returns the metric columns of the design, in three groups between which
// columns() puts the baselines' ratios.
func designColumns() (head, mid, tail []string) {
	head = []string{"cycles"}
	mid = []string{"pruning_rate", "mean_steps_per_key", "survivors", "pairs", "pushed",
		"energy_pj", "dynamic_pj", "leakage_pj", "edp_pj_s"}
	tail = []string{"area_um2", "lane_util", "fe_busy", "be_busy", "fe_stall", "lane_stalls",
		"fe_wait_memory", "be_starved", "dram_bytes", "dram_loads", "dram_busy", "dram_wait_buffer"}
	return head, mid, tail
}

// columns lays out the CSV: point, trace, model, task, the swept keys, the design's metrics and
// the baselines' ratios and totals.
func (p *Plan) columns() {
	seen := map[string]bool{}
	for _, pt := range p.Points {
		if pt.Config == nil {
			continue // rejected (KeepGoing)
		}
		for _, b := range pt.Config.Baselines {
			if !seen[b] {
				seen[b] = true
				p.Baselines = append(p.Baselines, b)
			}
		}
	}
	cols := []string{"point", "trace", "model", "task"}
	for _, a := range p.Sweep.Axes {
		cols = append(cols, a.Key)
	}
	per := func(prefix string) {
		for _, b := range p.Baselines {
			cols = append(cols, prefix+b)
		}
	}
	designHead, designMid, designTail := designColumns()
	cols = append(cols, designHead...)
	per("speedup_")
	cols = append(cols, designMid...)
	per("energy_reduction_")
	per("edp_reduction_")
	cols = append(cols, designTail...)
	per("cycles_")
	per("energy_pj_")
	if p.KeepGoing {
		cols = append(cols, ErrorColumn)
	}
	p.Columns = cols
}

// errorRow is the row of a point without metrics (KeepGoing): its identity, empty metrics, and
// why.
func (p *Plan) errorRow(pt *Point, why string) []string {
	tr := p.Traces[pt.Trace]
	row := []string{strconv.Itoa(pt.Index), tr.Name, tr.Model, tr.Task}
	row = append(row, pt.Values...)
	for len(row) < len(p.Columns)-1 {
		row = append(row, "")
	}
	return append(row, why)
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
		Table    TableRef  `json:"table"`
		Columns  []string  `json:"columns"`
		Points   []hp      `json:"points"`
		Manifest string    `json:"manifest_format"`
	}{p.Version, p.Sweep.Name, p.Sweep.Engine, p.baseRef(), p.tableRef(), p.Columns, nil, ManifestFormat}
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

// row formats one point's result as a CSV row in the plan's column order. Floats are written in
// the shortest form that reads back to the same float64, so the bytes are stable.
func (p *Plan) row(pt *Point, res *sim.Result) []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	i := func(x int64) string { return strconv.FormatInt(x, 10) }
	tr := p.Traces[pt.Trace]
	d := res.Design
	u := sim.UtilizationOf(d, pt.Config)
	row := []string{strconv.Itoa(pt.Index), tr.Name, tr.Model, tr.Task}
	row = append(row, pt.Values...)
	per := func(get func(name string) (string, bool)) {
		for _, b := range p.Baselines {
			v, ok := get(b)
			if !ok {
				v = ""
			}
			row = append(row, v)
		}
	}
	hasBaseline := func(name string) bool { _, ok := res.Baselines[name]; return ok }
	ratio := func(m map[string]float64) func(string) (string, bool) {
		return func(name string) (string, bool) {
			v, ok := m[name]
			if !ok || !hasBaseline(name) {
				return "", false
			}
			return f(v), true
		}
	}
	var es sim.EnergySummary
	if res.Energy != nil {
		es = res.Energy.Design
	}
	row = append(row, i(d.Cycles))
	per(ratio(res.Speedup))
	row = append(row, f(res.PruningRate), f(res.MeanSteps), i(d.Survivors), i(d.Pairs), i(d.Pushed),
		f(es.TotalPJ), f(es.DynamicPJ), f(es.LeakagePJ), f(es.EDP))
	per(ratio(res.EnergyReduction))
	per(ratio(res.EDPReduction))
	row = append(row, f(es.AreaUM2), f(u.LaneUtil), f(u.FEBusy), f(u.BEBusy), i(u.FEStall), i(u.LaneStalls),
		i(u.FEWaitMem), i(u.BEStarved), i(d.DRAM.Bytes), i(d.DRAM.Loads), i(d.DRAM.Busy), i(d.DRAM.WaitBuffer))
	per(func(name string) (string, bool) {
		s, ok := res.Baselines[name]
		if !ok {
			return "", false
		}
		return i(s.Cycles), true
	})
	per(func(name string) (string, bool) {
		if res.Energy == nil || !hasBaseline(name) {
			return "", false
		}
		e, ok := res.Energy.Baselines[name]
		if !ok {
			return "", false
		}
		return f(e.TotalPJ), true
	})
	if p.KeepGoing {
		row = append(row, "")
	}
	return row
}
