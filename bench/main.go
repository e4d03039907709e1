// Command bench is lrpsim's benchmark (not a timed test). Run it from the repository root:
//
//	go run ./bench [-reps 3] [-out results/BENCHMARKS.md] [-quick] [-keep]
//
// It builds lrpsim into a temporary directory, generates synthetic traces with `lrpsim trace
// gen` (a BERT-base-shaped one, 12 layers x 12 heads, sequence 512, d 64, 12-bit, prune rate
// 0.85, seed 1; a small one for the deliberately slow reference engine; a mid-size one for a
// sweep; 2048- and 8192-token ones for peak RSS), and then measures, each as its own
// subprocess so that each has its own peak RSS and CPU time, and interleaved repetition by
// repetition:
//
//	qk      a plain integer Q·K^T over the big trace (this program, re-executed with -mode qk)
//	kernel  only lrpsim's bit-plane kernel over the big trace (-mode kernel)
//	full    lrpsim run on the big trace: design plus its 4 baselines, event engine
//	full-1  the same with GOMAXPROCS=1
//	design  lrpsim run --no-baselines on the big trace, event engine
//	cfg-*   one configuration (the design or a baseline) simulated alone (-mode config)
//	ref     lrpsim run --no-baselines --engine reference on the small trace
//	event   lrpsim run --no-baselines --engine event on the small trace
//	sweep-* lrpsim sweep --jobs 1 and --jobs 2 on a 4-point sweep over the mid-size trace
//
// Once each: full runs at 512, 2048 and 8192 tokens (peak RSS), lrpsim's Go model of the front
// end against the Verilog front end under Verilator or Icarus on rows of the small trace, and
// CPU profiles of the profiled repetition's full, design-only and timeline runs (go tool pprof -top).
// It cross-checks the results, prints a table and writes results/BENCHMARKS.md (atomically)
// with the medians, the peak RSS and the headline figures next to their goals. See
// bench/README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/lrpsim/lrpsim/sim"
)

// Goals from the benchmark issues (issue 15; issue 27 added the 32768-token and timeline ones).
const (
	goalFullOverQKCPU   = 2.0   // full lrpsim run / plain Q·K^T, CPU time: at most
	goalFullOverQKWall  = 1.0   // full lrpsim run / plain Q·K^T, wall time: at most
	goalDesignOverQKCPU = 1.0   // design-only run / plain Q·K^T, CPU time: at most
	goalRSS2048MiB      = 64.0  // peak RSS of a full run at 2048 tokens: at most
	goalRSS8192MiB      = 128.0 // peak RSS of a full run at 8192 tokens: at most
	goalRSS32768MiB     = 256.0 // peak RSS of a full run at 32768 tokens: at most
	goalTimelineCPU     = 2.0   // design-only run writing its --timeline / the same run without, CPU time: at most
)

// traceSpec is the shape of a generated trace.
type traceSpec struct {
	Layers, Heads, SeqLen, D, DV, Bits int
	PruneRate                          float64
	Seed                               int
}

func (s traceSpec) genArgs(out string) []string {
	return []string{"trace", "gen", "--out", out,
		"--layers", strconv.Itoa(s.Layers), "--heads", strconv.Itoa(s.Heads),
		"--seq-len", strconv.Itoa(s.SeqLen), "--d", strconv.Itoa(s.D), "--dv", strconv.Itoa(s.DV),
		"--bits-q", strconv.Itoa(s.Bits), "--bits-k", strconv.Itoa(s.Bits), "--bits-v", strconv.Itoa(s.Bits),
		"--prune-rate", strconv.FormatFloat(s.PruneRate, 'g', -1, 64), "--seed", strconv.Itoa(s.Seed), "--force"}
}

func (s traceSpec) String() string {
	return fmt.Sprintf("1 input x %d layer(s) x %d heads, sequence %d, d %d, dv %d, %d-bit Q/K/V, prune rate %g, seed %d",
		s.Layers, s.Heads, s.SeqLen, s.D, s.DV, s.Bits, s.PruneRate, s.Seed)
}

// pairs is the number of allowed query-key pairs of a generated trace (not causal, every row
// and key valid).
func (s traceSpec) pairs() int64 {
	return int64(s.Layers) * int64(s.Heads) * int64(s.SeqLen) * int64(s.SeqLen)
}

// shape returns s with another layout and sequence length.
func (s traceSpec) shape(layers, heads, seqLen int) traceSpec {
	s.Layers, s.Heads, s.SeqLen = layers, heads, seqLen
	return s
}

var (
	bertBase = traceSpec{Layers: 12, Heads: 12, SeqLen: 512, D: 64, DV: 64, Bits: 12, PruneRate: 0.85, Seed: 1}
	bertQuik = bertBase.shape(2, 2, 512)
	smallRef = bertBase.shape(1, 2, 512)
)

// plan is what one benchmark run measures; -quick shrinks every part of it.
type plan struct {
	big, small, mid traceSpec
	rss             []rssSpec
	sweepPoints     int // points of the sweep file (fixed by sweepYAML)
	rtlRows         int // query rows of the small trace's first head run through the RTL
}

// rssSpec is one full run measured once for its peak RSS.
type rssSpec struct {
	spec    traceSpec
	goalMiB float64 // 0: no goal
}

func newPlan(quick bool) plan {
	if quick {
		return plan{big: bertQuik, small: smallRef, mid: bertBase.shape(1, 2, 256),
			rss: []rssSpec{{spec: bertBase.shape(1, 2, 128)}, {spec: bertBase.shape(1, 2, 256)}, {spec: bertBase.shape(1, 1, 512)},
				{spec: bertBase.shape(1, 1, 1024)}},
			sweepPoints: 4, rtlRows: 24}
	}
	return plan{big: bertBase, small: smallRef, mid: bertBase.shape(4, 4, 512),
		rss: []rssSpec{{spec: smallRef}, {spec: bertBase.shape(1, 2, 2048), goalMiB: goalRSS2048MiB},
			{spec: bertBase.shape(1, 1, 8192), goalMiB: goalRSS8192MiB}, {spec: bertBase.shape(1, 1, 32768), goalMiB: goalRSS32768MiB}},
		sweepPoints: 4, rtlRows: 300}
}

func main() {
	reps := flag.Int("reps", 3, "interleaved repetitions of every measurement (medians are reported)")
	out := flag.String("out", filepath.Join("results", "BENCHMARKS.md"), "Markdown report to write (atomically)")
	quick := flag.Bool("quick", false, "smoke test: every part on tiny traces; the report is written only if -out is given")
	keep := flag.Bool("keep", false, "keep the temporary directory (binary, traces, JSON reports, profiles)")
	rtlSim := flag.String("rtl", "auto", "Verilog simulator of the RTL comparison: auto (Verilator, else Icarus), verilator, iverilog or none")
	mode := flag.String("mode", "", "internal: qk TRACE (plain integer Q·K^T), kernel TRACE (bit-plane kernel only), config NAME TRACE (one configuration alone)")
	flag.Parse()

	if *mode != "" {
		if err := runMode(*mode, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	outSet := false
	flag.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
	if *quick && !outSet {
		*out = ""
	}
	if *reps < 1 {
		fmt.Fprintln(os.Stderr, "bench: -reps must be at least 1")
		os.Exit(2)
	}
	switch *rtlSim {
	case "auto", "verilator", "iverilog", "none":
	default:
		fmt.Fprintln(os.Stderr, "bench: -rtl wants auto, verilator, iverilog or none")
		os.Exit(2)
	}
	if err := bench(*reps, *out, *quick, *keep, *rtlSim); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func bench(reps int, out string, quick, keep bool, rtlSim string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cfg, err := sim.DefaultConfig()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "lrpsim-bench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Printf("temporary directory kept: %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	loadBefore := loadAvg()
	started := time.Now()
	pl := newPlan(quick)

	bin := filepath.Join(tmp, "lrpsim")
	logf("building lrpsim: go build -o %s ./cmd/lrpsim", bin)
	if err := run(root, "go", "build", "-o", bin, "./cmd/lrpsim"); err != nil {
		return err
	}

	env := benchEnv{tmp: tmp, bin: bin, self: self, baselines: cfg.Baselines}
	tp, err := env.genTraces(pl)
	if err != nil {
		return err
	}
	ms, sw, err := env.repMeasurements(pl, tp)
	if err != nil {
		return err
	}
	profiledRep := reps - 1
	if err := runReps(tmp, ms, sw, reps, profiledRep); err != nil {
		return err
	}
	rss, suite, err := env.onceRuns(pl, tp)
	if err != nil {
		return err
	}

	// Once: the Go model of the front end against the RTL.
	rtlRes, err := rtlBench(tmp, tp.small, pl.rtlRows, cfg, rtlSim)
	if err != nil {
		return err
	}

	// The profiles of the profiled repetition.
	var profs []profileTop
	for _, m := range ms {
		if m.profile == "" {
			continue
		}
		top, err := pprofTop(root, bin, m)
		if err != nil {
			return err
		}
		profs = append(profs, top)
	}
	var memTop *profileTop
	if last := rss[len(rss)-1]; last.memProfile != "" {
		text, rows, err := pprofRows(root, "-sample_index=inuse_space", "-top", "-nodecount=12", bin, last.memProfile)
		if err != nil {
			return err
		}
		memTop = &profileTop{key: last.key, text: text, rows: rows,
			cmd: "go tool pprof -sample_index=inuse_space -top -nodecount=12 lrpsim " + filepath.Base(last.memProfile)}
	}
	loadAfter := loadAvg()

	rep := &report{reps: reps, quick: quick, plan: pl, ms: map[string]*measurement{}, order: ms, rss: rss, suite: suite,
		sweep: sw, rtl: rtlRes, profiles: profs, memProfile: memTop, profiledRep: profiledRep, baselines: cfg.Baselines,
		started: started, elapsed: time.Since(started), loadBefore: loadBefore, loadAfter: loadAfter,
		commit: gitDescribe(root)}
	for _, m := range ms {
		rep.ms[m.key] = m
	}
	checks, err := rep.check()
	if err != nil {
		return err
	}
	rep.checks = checks
	rep.elapsed = time.Since(started)
	return writeReport(rep, root, out)
}

// benchEnv is where a benchmark run works: its temporary directory, the lrpsim binary it built,
// this program (re-executed for the modes) and the default configuration's baselines.
type benchEnv struct {
	tmp, bin, self string
	baselines      []string
}

// tracePaths are the generated traces' files.
type tracePaths struct {
	big, small, mid string
	rss             []string // parallel to plan.rss
}

// genTraces generates the plan's traces, each shape once.
func (e benchEnv) genTraces(pl plan) (tracePaths, error) {
	paths := map[traceSpec]string{}
	gen := func(name string, spec traceSpec) (string, error) {
		if p, ok := paths[spec]; ok {
			return p, nil
		}
		p := filepath.Join(e.tmp, name+".npz")
		logf("generating %s: %s", filepath.Base(p), spec)
		if err := run(e.tmp, e.bin, spec.genArgs(p)...); err != nil {
			return "", err
		}
		paths[spec] = p
		return p, nil
	}
	var tp tracePaths
	var err error
	if tp.big, err = gen("big", pl.big); err != nil {
		return tp, err
	}
	if tp.small, err = gen("small", pl.small); err != nil {
		return tp, err
	}
	if tp.mid, err = gen("mid", pl.mid); err != nil {
		return tp, err
	}
	tp.rss = make([]string, len(pl.rss))
	for i, rs := range pl.rss {
		if tp.rss[i], err = gen(fmt.Sprintf("seq%d", rs.spec.SeqLen), rs.spec); err != nil {
			return tp, err
		}
	}
	return tp, nil
}

// lrpsimRun is `lrpsim run --trace path EXTRA --json --out TMP/KEY.json`.
func (e benchEnv) lrpsimRun(key, what, trace, path string, extra ...string) *measurement {
	outFile := filepath.Join(e.tmp, key+".json")
	argv := append([]string{e.bin, "run", "--trace", path}, extra...)
	return &measurement{key: key, what: what, trace: trace, outFile: outFile,
		argv: append(argv, "--json", "--out", outFile)}
}

// repMeasurements are the programs measured in every repetition, in order, and the sweep whose
// CSVs two of them write.
func (e benchEnv) repMeasurements(pl plan, tp tracePaths) ([]*measurement, *sweepRun, error) {
	sweepFile, err := writeSweep(e.tmp, tp.mid)
	if err != nil {
		return nil, nil, err
	}
	ms := []*measurement{
		{key: "qk", what: "plain integer Q·K^T (bench -mode qk: read trace, int64 dot of every allowed pair)", trace: "big",
			argv: []string{e.self, "-mode", "qk", tp.big}, mode: "qk"},
		{key: "kernel", what: "bit-plane kernel only (bench -mode kernel: read trace, arch.PlaneKernel over every allowed pair)", trace: "big",
			argv: []string{e.self, "-mode", "kernel", tp.big}, mode: "kernel"},
		e.lrpsimRun("full", "`lrpsim run --json` (design + 4 baselines, event engine)", "big", tp.big),
		e.lrpsimRun("full-1", "`lrpsim run --json` with GOMAXPROCS=1", "big", tp.big),
		e.lrpsimRun("design", "`lrpsim run --no-baselines --json` (design only, event engine)", "big", tp.big, "--no-baselines"),
	}
	ms[2].profile = filepath.Join(e.tmp, "full.prof")
	ms[3].env = []string{"GOMAXPROCS=1"}
	ms[4].profile = filepath.Join(e.tmp, "design.prof")
	for _, name := range append([]string{"design"}, e.baselines...) {
		ms = append(ms, &measurement{key: "cfg-" + name, what: "`" + name + "` alone (bench -mode config " + name + ": sim.Simulate, event engine)",
			trace: "big", argv: []string{e.self, "-mode", "config", name, tp.big}, mode: "config", config: name})
	}
	ms = append(ms,
		e.lrpsimRun("ref", "`lrpsim run --no-baselines --engine reference --json`", "small", tp.small, "--no-baselines", "--engine", "reference"),
		e.lrpsimRun("event", "`lrpsim run --no-baselines --engine event --json`", "small", tp.small, "--no-baselines", "--engine", "event"),
		e.lrpsimRun("design-mid", "`lrpsim run --no-baselines --json` (design only)", "mid", tp.mid, "--no-baselines"),
		e.lrpsimRun("timeline", "`lrpsim run --no-baselines --json --timeline FILE` (design only, writing its timeline)", "mid", tp.mid,
			"--no-baselines", "--timeline", filepath.Join(e.tmp, "mid-timeline.json")))
	// The timeline's profile says where its cost over the plain run goes (issue 27's goal of 2x).
	ms[len(ms)-1].profile = filepath.Join(e.tmp, "timeline.prof")
	sw := &sweepRun{file: sweepFile, points: pl.sweepPoints}
	for _, jobs := range []int{1, 2} {
		csv := filepath.Join(e.tmp, fmt.Sprintf("sweep-j%d.csv", jobs))
		ms = append(ms, &measurement{key: fmt.Sprintf("sweep-%d", jobs), what: fmt.Sprintf("`lrpsim sweep --jobs %d` (%d points)", jobs, pl.sweepPoints),
			trace: "mid", argv: []string{e.bin, "sweep", sweepFile, "--out", csv, "--jobs", strconv.Itoa(jobs), "--force"}})
		sw.csvs = append(sw.csvs, csv)
	}
	return ms, sw, nil
}

// runReps measures every program once per repetition, interleaved; the profiled repetition
// runs the profiled programs with --cpuprofile.
func runReps(tmp string, ms []*measurement, sw *sweepRun, reps, profiledRep int) error {
	for rep := range reps {
		for _, m := range ms {
			if err := measure(tmp, m, rep == profiledRep); err != nil {
				return err
			}
			logf("rep %d/%d %-16s wall %8.3fs  cpu %8.3fs  maxrss %7.1f MiB", rep+1, reps, m.key,
				m.wall[rep].Seconds(), m.cpu[rep].Seconds(), float64(m.maxRSSKiB[rep])/1024)
		}
		if err := sw.collect(); err != nil {
			return err
		}
	}
	return nil
}

// onceRuns measures, once each, the full runs by sequence length (peak RSS) and the suite.
func (e benchEnv) onceRuns(pl plan, tp tracePaths) (rss []*measurement, suite *measurement, err error) {
	for i, rs := range pl.rss {
		m := e.lrpsimRun(fmt.Sprintf("rss-%d", rs.spec.SeqLen), "`lrpsim run --json` (design + 4 baselines)",
			fmt.Sprintf("%d tokens", rs.spec.SeqLen), tp.rss[i])
		m.gcTrace = true // the live heap beside the peak RSS: the rest is the collector's headroom
		if i == len(pl.rss)-1 {
			// The longest run's heap at its largest live heap: what its peak is made of.
			m.memProfile = filepath.Join(e.tmp, fmt.Sprintf("rss-%d.mem.prof", rs.spec.SeqLen))
			m.argv = append(m.argv, "--memprofile", m.memProfile)
		}
		if err := measureOnce(e.tmp, m, fmt.Sprintf("full run on %s (%s)", filepath.Base(tp.rss[i]), rs.spec)); err != nil {
			return nil, nil, err
		}
		rss = append(rss, m)
	}
	suite = suiteRun(e.bin, e.tmp)
	if err := measureOnce(e.tmp, suite, "the suite, "+suite.what); err != nil {
		return nil, nil, err
	}
	return rss, suite, nil
}

// writeReport prints the summary and writes the Markdown report to out (atomically; relative to
// the module root), or prints it when out is empty.
func writeReport(rep *report, root, out string) error {
	md := rep.markdown()
	fmt.Println()
	fmt.Print(rep.table())
	if out == "" {
		fmt.Println("\n(-quick without -out: the report is not written; here it is)")
		fmt.Println()
		fmt.Print(md)
		return nil
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := writeFileAtomic(out, []byte(md)); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s\n", out)
	return nil
}
