package compare

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
)

// PointsSchema names the closed-loop operating points that python3 -m lrpsim_workloads frontier
// writes (results/frontier/README.md); FrontierSchema the same points with their simulation,
// which lrpsim compare --points-out writes.
const (
	PointsSchema   = "lrpsim-frontier-closed-loop/1"
	FrontierSchema = "lrpsim-frontier/1"
)

// Split names: selection reads only Validation; Test is reported beside it.
const (
	Validation = "validation"
	Test       = "test"
)

// SplitResult is one split's closed-loop measurement: the metric, the number of inputs
// (questions, sentences or sequences), and each input's measurement in the workload's metric's
// form: accuracy per question whether the answer was right (Correct: hex, question i in bit
// 7 - i%8 of byte i/8); cosine_to_dense per input the cosine to the dense float model's output
// (Values); perplexity per sequence the summed negative log-likelihood in nats (Values) and the
// number of predicted tokens (Tokens).
type SplitResult struct {
	Metric      float64     `json:"metric"`
	Questions   int         `json:"questions"`
	Correct     string      `json:"correct,omitempty"`
	Values      InputValues `json:"values,omitempty"`
	Tokens      []int       `json:"tokens,omitempty"`
	PruningRate *float64    `json:"pruning_rate,omitempty"`
}

// SplitSource says where a split's questions come from: a file and an index range in it.
type SplitSource struct {
	File  string `json:"file"`
	First int    `json:"first"`
	Count int    `json:"count"`
	Note  string `json:"note"`
}

// PointsFile is one workload's closed-loop operating points (PointsSchema). Metric is one of
// Metrics; HigherIsBetter, optional, must agree with it (false for perplexity only).
type PointsFile struct {
	Schema         string                 `json:"schema"`
	Workload       string                 `json:"workload"`
	Metric         string                 `json:"metric"`
	HigherIsBetter *bool                  `json:"higher_is_better"`
	DenseTrace     string                 `json:"dense_trace"`
	Splits         map[string]SplitSource `json:"splits"`
	Dense          map[string]SplitResult `json:"dense"`
	Designs        []DesignPoints         `json:"designs"`
	path           string
}

// DesignPoints is one design's grid in a PointsFile.
type DesignPoints struct {
	Name   string       `json:"name"`
	Policy string       `json:"policy"`
	Knob   string       `json:"knob"`
	Model  string       `json:"model"`
	Points []PointEntry `json:"points"`
}

// PointEntry is one knob value's closed-loop measurement on each split.
type PointEntry struct {
	Value      float64      `json:"value"`
	Trace      string       `json:"trace"`
	Validation *SplitResult `json:"validation"`
	Test       *SplitResult `json:"test"`
}

// Point is one design at one knob value on one workload: its closed-loop losses on the two
// splits and its simulated speedup and energy reductions against the dense baseline.
type Point struct {
	Workload string  `json:"workload"`
	Design   string  `json:"design"`
	Policy   string  `json:"policy"`
	Knob     string  `json:"knob"`
	Value    float64 `json:"value"`
	Trace    string  `json:"trace"`
	Units    int     `json:"units"`
	// Losses against the dense model on each split, in the metric's unit (PairedLoss.Loss over
	// every input).
	ValidationLoss float64 `json:"validation_loss"`
	TestLoss       float64 `json:"test_loss"`
	TestMetric     float64 `json:"test_metric"`
	PruningRate    float64 `json:"pruning_rate"`
	Speedup        float64 `json:"speedup"`
	// EnergyReduction and EnergyReductionOnChip: dense energy over the point's, total and on-chip.
	EnergyReduction       float64 `json:"energy_reduction"`
	EnergyReductionOnChip float64 `json:"energy_reduction_onchip"`
	// Metric is the workload's metric (one of Metrics), the unit of the losses; the files carry
	// it once (FrontierFile.Metric), not per point.
	Metric string `json:"-"`

	// test pairs the test split's inputs of the dense model and the point, for the paired
	// bootstrap; never read by selection.
	test PairedLoss
	// job indexes the simulation of this point (Frontier).
	job int
}

// unpackBits decodes SplitResult.Correct.
func unpackBits(s string, n int) ([]uint8, error) {
	b, err := hex.DecodeString(s)
	if err != nil || n <= 0 || len(b) != (n+7)/8 {
		return nil, fmt.Errorf("correct: expected %d hex digits (one bit per question of %d), got %d", 2*((n+7)/8), n, len(s))
	}
	out := make([]uint8, n)
	for i := range out {
		out[i] = (b[i/8] >> (7 - i%8)) & 1
	}
	return out, nil
}

// ReadPoints reads every WORKLOAD.json of dir (PointsSchema), in natural workload order (qa2
// before qa10); only the names in keep when keep is not empty.
func ReadPoints(dir string, keep []string) ([]*PointsFile, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*PointsFile
	for _, path := range matches {
		base := strings.TrimSuffix(filepath.Base(path), ".json")
		if len(keep) > 0 && !slices.Contains(keep, base) {
			continue
		}
		f, err := readPointsFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--frontier %s: no operating points (WORKLOAD.json, schema %s) for the workloads asked", dir, PointsSchema)
	}
	sort.SliceStable(out, func(i, j int) bool { return naturalLess(out[i].Workload, out[j].Workload) })
	return out, nil
}

func readPointsFile(path string) (*PointsFile, error) {
	raw, err := safeio.ReadFile(path, "operating points (JSON)", safeio.MaxText*8)
	if err != nil {
		return nil, err
	}
	var f PointsFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, nonFiniteHint(raw, err))
	}
	f.path = path
	if f.Schema != PointsSchema {
		return nil, fmt.Errorf("%s: schema %q: expected %s", path, f.Schema, PointsSchema)
	}
	if err := checkMetric(f.Metric, f.HigherIsBetter); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, s := range []string{Validation, Test} {
		if _, ok := f.Dense[s]; !ok {
			return nil, fmt.Errorf("%s: dense.%s: missing; expected the dense model's %s split", path, s, s)
		}
	}
	if err := checkDisjoint(f.Splits); err != nil {
		return nil, fmt.Errorf("%s: splits: %w", path, err)
	}
	for i, d := range f.Designs {
		for j, p := range d.Points {
			if p.Validation == nil || p.Test == nil {
				return nil, fmt.Errorf("%s: designs[%d].points[%d]: expected the point's validation and test measurements", path, i, j)
			}
		}
	}
	if f.Metric != MetricAccuracy { // accuracy's bits are checked where they are paired
		if err := checkValues(&f); err != nil {
			return nil, err
		}
	}
	return &f, nil
}

// checkValues checks every split result of a file whose metric is measured per input (Values,
// and Tokens for perplexity), the dense model's and each point's, naming its JSON path.
func checkValues(f *PointsFile) error {
	for _, s := range []string{Validation, Test} {
		if err := checkSplitValues(f.Metric, f.Dense[s], fmt.Sprintf("%s: dense.%s", f.path, s)); err != nil {
			return err
		}
	}
	for i, d := range f.Designs {
		for j, p := range d.Points {
			where := fmt.Sprintf("%s: designs[%d].points[%d]", f.path, i, j)
			if err := checkSplitValues(f.Metric, *p.Validation, where+"."+Validation); err != nil {
				return err
			}
			if err := checkSplitValues(f.Metric, *p.Test, where+"."+Test); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDisjoint refuses splits that share a question: the same file with overlapping index ranges.
func checkDisjoint(s map[string]SplitSource) error {
	v, okv := s[Validation]
	t, okt := s[Test]
	if !okv || !okt {
		return fmt.Errorf("expected a validation and a test split")
	}
	if v.Count <= 0 || t.Count <= 0 {
		return fmt.Errorf("expected splits of at least one question (validation %d, test %d)", v.Count, t.Count)
	}
	if v.File == t.File && v.First < t.First+t.Count && t.First < v.First+v.Count {
		return fmt.Errorf("validation %s[%d:%d] and test %s[%d:%d] overlap: expected disjoint splits",
			v.File, v.First, v.First+v.Count, t.File, t.First, t.First+t.Count)
	}
	return nil
}

// FrontierOptions choose how Frontier simulates the points.
type FrontierOptions = Options

// Frontier simulates every operating point of files whose design is one of cfgs (matched by
// name; the config's operating_points knob must be the file's), at most opts.Jobs at once, and
// returns them workload by workload, designs in cfgs' order, points in the file's order. A
// design of a file without a config is left out; a config without points in a file is an error
// naming both. With opts.IsoArea, each config's units are resized to cfgs[0]'s area (compare
// --iso-area) and every point is measured against cfgs[0]'s dense baseline on the workload's
// dense trace.
func Frontier(cfgs []*sim.Config, files []*PointsFile, opts Options) ([]Point, error) {
	run := make([]*sim.Config, len(cfgs))
	for i, c := range cfgs {
		run[i] = c.Clone()
		run[i].Baselines = []string{tabulate.Dense}
	}
	if opts.IsoArea {
		if err := isoArea(run, files[0].DenseTrace, opts); err != nil {
			return nil, err
		}
	}
	var pts []Point
	var jobs []simJob
	refs := map[string]int{} // with IsoArea: a workload's reference baseline, by job index
	for _, f := range files {
		for _, c := range run {
			p, j, err := designPoints(f, c)
			if err != nil {
				return nil, err
			}
			for k := range p {
				p[k].job += len(jobs)
			}
			pts, jobs = append(pts, p...), append(jobs, j...)
		}
		if opts.IsoArea {
			refs[f.Workload] = len(jobs)
			jobs = append(jobs, simJob{run[0], f.DenseTrace})
		}
	}
	sims, err := simulateAll(jobs, opts)
	if err != nil {
		return nil, err
	}
	for i := range pts {
		s := sims[pts[i].job]
		if opts.IsoArea {
			ref := sims[refs[pts[i].Workload]]
			s.speedup = float64(ref.denseCycles) / float64(s.cycles)
			s.er, s.eroc = ref.densePJ[0]/s.pj[0], ref.densePJ[1]/s.pj[1]
		}
		pts[i].Speedup, pts[i].EnergyReduction, pts[i].EnergyReductionOnChip = s.speedup, s.er, s.eroc
	}
	return pts, nil
}

// simJob is one simulation: a configuration at an operating point on a trace.
type simJob struct {
	cfg   *sim.Config
	trace string
}

// designPoints are the points of config c's design in f, each with its simulation job (Point.job
// indexes the jobs returned, offset by the caller's count).
func designPoints(f *PointsFile, c *sim.Config) ([]Point, []simJob, error) {
	i := slices.IndexFunc(f.Designs, func(d DesignPoints) bool { return d.Name == c.Name })
	if i < 0 {
		return nil, nil, fmt.Errorf("%s: no operating points of design %q: expected one entry in designs per --config", f.path, c.Name)
	}
	d := f.Designs[i]
	if d.Knob != c.OperatingPoints.Knob {
		return nil, nil, fmt.Errorf("%s: design %s: knob %q, but its config's operating_points.knob is %q: expected the same knob",
			f.path, c.Name, d.Knob, c.OperatingPoints.Knob)
	}
	var pts []Point
	var jobs []simJob
	for j, e := range d.Points {
		where := fmt.Sprintf("%s: designs[%d].points[%d]", f.path, i, j)
		at, err := c.AtOperatingPoint(e.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		pt, err := closedLoopPoint(f, d, e, where)
		if err != nil {
			return nil, nil, err
		}
		pt.Units, pt.job = at.Units, len(jobs)
		pts = append(pts, pt)
		jobs = append(jobs, simJob{at, e.Trace})
	}
	return pts, jobs, nil
}

// simulateAll runs the jobs, at most opts.Jobs at once; the first error in job order.
func simulateAll(jobs []simJob, opts Options) ([]simResult, error) {
	sims := make([]simResult, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(opts.Jobs, len(jobs))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sims[i], errs[i] = simulate(jobs[i].cfg, jobs[i].trace, opts)
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sims, nil
}

// closedLoopPoint fills a point's closed-loop fields from its splits against the dense model's:
// each split's loss is PairedLoss.Loss over every input, the function the bootstrap resamples.
func closedLoopPoint(f *PointsFile, d DesignPoints, e PointEntry, where string) (Point, error) {
	if err := checkMetric(f.Metric, f.HigherIsBetter); err != nil {
		return Point{}, fmt.Errorf("%s: %w", f.path, err)
	}
	pt := Point{Workload: f.Workload, Metric: f.Metric, Design: d.Name, Policy: d.Policy, Knob: d.Knob, Value: e.Value, Trace: e.Trace}
	vl, err := pairSplit(f.Metric, f.Dense[Validation], *e.Validation, where+".validation")
	if err != nil {
		return Point{}, err
	}
	tl, err := pairSplit(f.Metric, f.Dense[Test], *e.Test, where+".test")
	if err != nil {
		return Point{}, err
	}
	pt.ValidationLoss, pt.TestLoss, pt.test = vl.Loss(nil), tl.Loss(nil), tl
	pt.TestMetric = e.Test.Metric
	if r := e.Test.PruningRate; r != nil {
		pt.PruningRate = *r
	}
	return pt, nil
}

type simResult struct {
	speedup, er, eroc   float64
	cycles, denseCycles int64
	pj, densePJ         [2]float64
}

// simulate runs one configuration on one trace against its dense baseline.
func simulate(cfg *sim.Config, trace string, opts Options) (simResult, error) {
	res, _, err := tabulate.Simulate(cfg, trace, opts.Engine, opts.Table)
	if err != nil {
		return simResult{}, err
	}
	d, b := res.Energy.Design, res.Energy.Baselines[tabulate.Dense]
	s := simResult{cycles: res.Design.Cycles, denseCycles: res.Baselines[tabulate.Dense].Cycles,
		pj: [2]float64{d.TotalPJ, d.Scopes[sim.ScopeOnChip]}, densePJ: [2]float64{b.TotalPJ, b.Scopes[sim.ScopeOnChip]}}
	s.speedup = float64(s.denseCycles) / float64(s.cycles)
	s.er, s.eroc = s.densePJ[0]/s.pj[0], s.densePJ[1]/s.pj[1]
	return s, nil
}

// naturalLess orders names with numbers by value (qa2 before qa10).
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			if len(da) != len(db) {
				return len(da) < len(db)
			}
			if da != db {
				return da < db
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// WriteFrontier writes the points of each workload to dir/WORKLOAD.json (FrontierSchema),
// atomically, as sorted indented JSON.
func WriteFrontier(dir string, pts []Point, energyTable string, isoArea bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	byWorkload := map[string][]Point{}
	var order []string
	for _, p := range pts {
		if _, ok := byWorkload[p.Workload]; !ok {
			order = append(order, p.Workload)
		}
		byWorkload[p.Workload] = append(byWorkload[p.Workload], p)
	}
	for _, w := range order {
		doc := FrontierFile{Schema: FrontierSchema, Workload: w, Metric: byWorkload[w][0].Metric, EnergyTable: energyTable,
			IsoArea: isoArea, Points: byWorkload[w]}
		b, err := json.MarshalIndent(doc, "", " ")
		if err != nil {
			return err
		}
		path := filepath.Join(dir, w+".json")
		if err := sim.WriteFileAtomic(path, func(wr io.Writer) error {
			_, err := wr.Write(append(b, '\n'))
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// FrontierFile is one workload's simulated operating points (FrontierSchema), which lrpsim plot
// frontier draws; Metric (one of Metrics) is the unit of the points' losses.
type FrontierFile struct {
	Schema      string  `json:"schema"`
	Workload    string  `json:"workload"`
	Metric      string  `json:"metric"`
	EnergyTable string  `json:"energy_table"`
	IsoArea     bool    `json:"iso_area"`
	Points      []Point `json:"points"`
}

// ReadFrontier reads the FrontierSchema files of dir in natural workload order, each point's
// Metric set to its file's.
func ReadFrontier(dir string) ([]FrontierFile, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []FrontierFile
	for _, path := range matches {
		raw, err := safeio.ReadFile(path, "simulated operating points (JSON)", safeio.MaxText*8)
		if err != nil {
			return nil, err
		}
		var f FrontierFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if f.Schema != FrontierSchema {
			return nil, fmt.Errorf("%s: schema %q: expected %s", path, f.Schema, FrontierSchema)
		}
		if _, ok := LossUnit(f.Metric); !ok {
			return nil, fmt.Errorf("%s: metric %q: expected %s", path, f.Metric, strings.Join(Metrics(), ", "))
		}
		for i := range f.Points {
			f.Points[i].Metric = f.Metric
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no simulated operating points (WORKLOAD.json, schema %s)", dir, FrontierSchema)
	}
	sort.SliceStable(out, func(i, j int) bool { return naturalLess(out[i].Workload, out[j].Workload) })
	return out, nil
}
