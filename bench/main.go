// Command bench is lrpsim's benchmark (not a timed test). Run it from the repository root:
//
//	go run ./bench [-reps 3] [-out results/BENCHMARKS.md] [-quick] [-keep]
//
// It builds lrpsim into a temporary directory, generates a synthetic BERT-base-shaped trace
// (12 layers x 12 heads, sequence 512, d 64, 12-bit, prune rate 0.85, seed 1) and a small one
// (1 layer x 2 heads, same shape otherwise) for the deliberately slow reference engine, and then
// measures, each as its own subprocess so that each has its own peak RSS and CPU time, and
// interleaved repetition by repetition:
//
//	qk      a plain integer Q·K^T over the big trace (this program, re-executed with -mode qk)
//	full    lrpsim run on the big trace: design plus its 4 baselines, event engine
//	design  lrpsim run --no-baselines on the big trace, event engine
//	ref     lrpsim run --no-baselines --engine reference on the small trace
//	event   lrpsim run --no-baselines --engine event on the small trace
//
// It prints a table and writes results/BENCHMARKS.md (atomically) with the medians, the peak
// RSS and the three headline figures next to their goals. See bench/README.md.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lrpsim/lrpsim/traces"
)

// Goals from the benchmark issue.
const (
	goalRefOverEvent = 100.0 // reference engine time / event engine time: at least
	goalFullOverQK   = 3.0   // full lrpsim run / plain Q·K^T: at most
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

var (
	bertBase = traceSpec{Layers: 12, Heads: 12, SeqLen: 512, D: 64, DV: 64, Bits: 12, PruneRate: 0.85, Seed: 1}
	bertQuik = traceSpec{Layers: 2, Heads: 2, SeqLen: 512, D: 64, DV: 64, Bits: 12, PruneRate: 0.85, Seed: 1}
	smallRef = traceSpec{Layers: 1, Heads: 2, SeqLen: 512, D: 64, DV: 64, Bits: 12, PruneRate: 0.85, Seed: 1}
)

// measurement is one program measured in every repetition.
type measurement struct {
	key, what, trace string
	argv             []string // argv[0] is the program
	outFile          string   // lrpsim's --out file, read after the first repetition ("" for qk)

	wall, cpu []time.Duration
	maxRSSKiB []int64
	stdout    []byte // of the first repetition
	report    *lrpsimReport
	qk        *qkResult
}

// lrpsimReport is the part of `lrpsim run --json` the benchmark reads.
type lrpsimReport struct {
	Engine string `json:"engine"`
	Design struct {
		Cycles    int64 `json:"cycles"`
		Pairs     int64 `json:"pairs"`
		Survivors int64 `json:"survivors"`
	} `json:"design"`
	Baselines map[string]json.RawMessage `json:"baselines"`
}

// qkResult is what -mode qk prints.
type qkResult struct {
	Heads     int    `json:"heads"`
	Pairs     int64  `json:"pairs"`
	MACs      int64  `json:"macs"`
	Survivors int64  `json:"survivors"`
	Checksum  uint64 `json:"checksum"`
}

func main() {
	reps := flag.Int("reps", 3, "interleaved repetitions of every measurement (medians are reported)")
	out := flag.String("out", filepath.Join("results", "BENCHMARKS.md"), "Markdown report to write (atomically)")
	quick := flag.Bool("quick", false, "smoke test: a 2-layer x 2-head big trace; the report is written only if -out is given")
	keep := flag.Bool("keep", false, "keep the temporary directory (binary, traces, JSON reports)")
	mode := flag.String("mode", "", "internal: qk TRACE runs the plain integer Q·K^T over TRACE")
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
	if err := bench(*reps, *out, *quick, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func runMode(mode string, args []string) error {
	switch mode {
	case "qk":
		if len(args) != 1 {
			return fmt.Errorf("-mode qk wants one trace file")
		}
		res, err := plainQK(args[0])
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	return fmt.Errorf("unknown -mode %q", mode)
}

// plainQK opens the trace like lrpsim does and computes, for every head, the int64 dot product
// of every valid query row with every allowed key (valid lengths and, if the trace is causal,
// the causal mask): d multiply-adds each. It counts the pairs, the survivors (q·k >= T) and a
// checksum of every dot product, which it returns so that no work can be dropped.
func plainQK(path string) (*qkResult, error) {
	r, err := traces.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	res := &qkResult{Heads: r.NumHeads()}
	for idx := range r.NumHeads() {
		h, err := r.Head(idx)
		if err != nil {
			return nil, err
		}
		d, T := h.D, h.IntThreshold()
		for i := range h.ValidQ {
			limit := h.ValidK
			if h.Causal {
				limit = min(limit, i+(h.ValidK-h.ValidQ)+1)
			}
			q := h.Q[i*d : (i+1)*d]
			for j := range limit {
				k := h.K[j*d : (j+1)*d]
				k = k[:len(q)]
				var s int64
				for t, x := range q {
					s += int64(x) * int64(k[t])
				}
				res.Checksum = res.Checksum*0x100000001b3 ^ uint64(s)
				if s >= T {
					res.Survivors++
				}
			}
			if limit > 0 {
				res.Pairs += int64(limit)
				res.MACs += int64(limit) * int64(d)
			}
		}
	}
	return res, nil
}

func bench(reps int, out string, quick, keep bool) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	self, err := os.Executable()
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

	bin := filepath.Join(tmp, "lrpsim")
	logf("building lrpsim: go build -o %s ./cmd/lrpsim", bin)
	if err := run(root, "go", "build", "-o", bin, "./cmd/lrpsim"); err != nil {
		return err
	}
	big, small := bertBase, smallRef
	if quick {
		big = bertQuik
	}
	bigPath, smallPath := filepath.Join(tmp, "big.npz"), filepath.Join(tmp, "small.npz")
	for _, t := range []struct {
		spec traceSpec
		path string
	}{{big, bigPath}, {small, smallPath}} {
		logf("generating %s: %s", filepath.Base(t.path), t.spec)
		if err := run(tmp, bin, t.spec.genArgs(t.path)...); err != nil {
			return err
		}
	}

	ms := []*measurement{
		{key: "qk", what: "plain integer Q·K^T (bench -mode qk: read trace, int64 dot of every allowed pair)", trace: "big",
			argv: []string{self, "-mode", "qk", bigPath}},
		{key: "full", what: "`lrpsim run --json` (design + 4 baselines, event engine)", trace: "big",
			argv: []string{bin, "run", "--trace", bigPath, "--json", "--out", filepath.Join(tmp, "full.json")}, outFile: filepath.Join(tmp, "full.json")},
		{key: "design", what: "`lrpsim run --no-baselines --json` (design only, event engine)", trace: "big",
			argv: []string{bin, "run", "--trace", bigPath, "--no-baselines", "--json", "--out", filepath.Join(tmp, "design.json")}, outFile: filepath.Join(tmp, "design.json")},
		{key: "ref", what: "`lrpsim run --no-baselines --engine reference --json`", trace: "small",
			argv: []string{bin, "run", "--trace", smallPath, "--no-baselines", "--engine", "reference", "--json", "--out", filepath.Join(tmp, "ref.json")}, outFile: filepath.Join(tmp, "ref.json")},
		{key: "event", what: "`lrpsim run --no-baselines --engine event --json`", trace: "small",
			argv: []string{bin, "run", "--trace", smallPath, "--no-baselines", "--engine", "event", "--json", "--out", filepath.Join(tmp, "event.json")}, outFile: filepath.Join(tmp, "event.json")},
	}
	for rep := range reps {
		for _, m := range ms {
			if err := measure(tmp, m); err != nil {
				return err
			}
			logf("rep %d/%d %-6s wall %8.3fs  cpu %8.3fs  maxrss %7.1f MiB", rep+1, reps, m.key,
				m.wall[rep].Seconds(), m.cpu[rep].Seconds(), float64(m.maxRSSKiB[rep])/1024)
			if rep == 0 {
				if err := m.readResult(); err != nil {
					return err
				}
			}
		}
	}
	loadAfter := loadAvg()

	rep := &report{reps: reps, quick: quick, big: big, small: small, ms: map[string]*measurement{},
		order: ms, started: started, elapsed: time.Since(started), loadBefore: loadBefore, loadAfter: loadAfter,
		commit: gitDescribe(root)}
	for _, m := range ms {
		rep.ms[m.key] = m
	}
	checks, err := rep.check()
	if err != nil {
		return err
	}
	rep.checks = checks
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

// measure runs m once and appends its wall time, CPU time (user + system) and peak RSS.
func measure(dir string, m *measurement) error {
	cmd := exec.Command(m.argv[0], m.argv[1:]...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(m.argv, " "), err, stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return fmt.Errorf("no rusage for %s on %s", m.key, runtime.GOOS)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	m.wall = append(m.wall, wall)
	m.cpu = append(m.cpu, cpu)
	m.maxRSSKiB = append(m.maxRSSKiB, ru.Maxrss) // KiB on Linux
	if m.stdout == nil {
		m.stdout = stdout.Bytes()
	}
	return nil
}

// readResult parses the program's result: lrpsim's JSON report or the qk line.
func (m *measurement) readResult() error {
	if m.outFile == "" {
		m.qk = &qkResult{}
		if err := json.Unmarshal(m.stdout, m.qk); err != nil {
			return fmt.Errorf("%s: parsing %q: %w", m.key, m.stdout, err)
		}
		return nil
	}
	data, err := os.ReadFile(m.outFile)
	if err != nil {
		return err
	}
	m.report = &lrpsimReport{}
	if err := json.Unmarshal(data, m.report); err != nil {
		return fmt.Errorf("%s: %w", m.outFile, err)
	}
	return nil
}

func (m *measurement) medWall() float64 { return median(m.wall) }
func (m *measurement) medCPU() float64  { return median(m.cpu) }
func (m *measurement) peakMiB() float64 { return float64(slices.Max(m.maxRSSKiB)) / 1024 }

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2].Seconds()
	}
	return (s[n/2-1].Seconds() + s[n/2].Seconds()) / 2
}

type report struct {
	reps                  int
	quick                 bool
	big, small            traceSpec
	ms                    map[string]*measurement
	order                 []*measurement
	started               time.Time
	elapsed               time.Duration
	loadBefore, loadAfter string
	commit                string
	checks                []string
}

// check cross-checks the programs' results: every run on one trace must see the same pairs,
// the reference and event engines the same cycles, and Q·K^T the design's survivors.
func (r *report) check() ([]string, error) {
	qk, full, design, ref, ev := r.ms["qk"].qk, r.ms["full"].report, r.ms["design"].report, r.ms["ref"].report, r.ms["event"].report
	var errs []error
	if full.Design.Pairs != design.Design.Pairs || qk.Pairs != design.Design.Pairs {
		errs = append(errs, fmt.Errorf("big trace pairs disagree: Q·K^T %d, full run %d, design-only run %d", qk.Pairs, full.Design.Pairs, design.Design.Pairs))
	}
	if qk.Survivors != design.Design.Survivors {
		errs = append(errs, fmt.Errorf("big trace survivors disagree: Q·K^T %d, design %d", qk.Survivors, design.Design.Survivors))
	}
	if full.Design.Cycles != design.Design.Cycles {
		errs = append(errs, fmt.Errorf("big trace design cycles disagree: full run %d, design-only run %d", full.Design.Cycles, design.Design.Cycles))
	}
	if ref.Design.Cycles != ev.Design.Cycles || ref.Design.Pairs != ev.Design.Pairs {
		errs = append(errs, fmt.Errorf("small trace: reference engine %d cycles / %d pairs, event engine %d / %d",
			ref.Design.Cycles, ref.Design.Pairs, ev.Design.Cycles, ev.Design.Pairs))
	}
	if len(full.Baselines) == 0 || len(design.Baselines) != 0 {
		errs = append(errs, fmt.Errorf("the full run has %d baselines and the design-only run %d", len(full.Baselines), len(design.Baselines)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("Q·K^T, the full run and the design-only run all count %d allowed pairs on the big trace, and Q·K^T finds the design's %d survivors (q·k ≥ T).", qk.Pairs, qk.Survivors),
		fmt.Sprintf("The full run and the design-only run agree on the design's %d cycles; the full run simulated %d baselines.", design.Design.Cycles, len(full.Baselines)),
		fmt.Sprintf("The reference and event engines agree on the small trace: %d cycles, %d pairs.", ev.Design.Cycles, ev.Design.Pairs),
	}, nil
}

// headline figures, computed from the medians only.
type headline struct {
	pairsPerCPUs, pairsPerWall float64
	refEvCPU, refEvWall        float64
	fullQKWall, fullQKCPU      float64
}

func (r *report) headline() headline {
	qk, full, design, ref, ev := r.ms["qk"], r.ms["full"], r.ms["design"], r.ms["ref"], r.ms["event"]
	pairs := float64(design.report.Design.Pairs)
	return headline{
		pairsPerCPUs: pairs / design.medCPU(), pairsPerWall: pairs / design.medWall(),
		refEvCPU: ref.medCPU() / ev.medCPU(), refEvWall: ref.medWall() / ev.medWall(),
		fullQKWall: full.medWall() / qk.medWall(), fullQKCPU: full.medCPU() / qk.medCPU(),
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// table is the plain-text summary printed to standard output.
func (r *report) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s %-6s %12s %12s %12s\n", "program", "trace", "median wall", "median CPU", "peak RSS")
	for _, m := range r.order {
		fmt.Fprintf(&b, "%-7s %-6s %11.3fs %11.3fs %8.1f MiB\n", m.key, m.trace, m.medWall(), m.medCPU(), m.peakMiB())
	}
	h := r.headline()
	fmt.Fprintf(&b, "\nevent engine, design only:  %.3g pairs/s per core (CPU time), %.3g pairs/s wall\n", h.pairsPerCPUs, h.pairsPerWall)
	fmt.Fprintf(&b, "reference / event engine:   %.1fx CPU, %.1fx wall (goal >= %gx: %s)\n", h.refEvCPU, h.refEvWall, goalRefOverEvent, strings.Trim(verdict(h.refEvCPU >= goalRefOverEvent), "*"))
	fmt.Fprintf(&b, "full lrpsim run / Q·K^T:    %.2fx wall (%s), %.2fx CPU (%s) (goal <= %gx)\n", h.fullQKWall,
		strings.Trim(verdict(h.fullQKWall <= goalFullOverQK), "*"), h.fullQKCPU, strings.Trim(verdict(h.fullQKCPU <= goalFullOverQK), "*"), goalFullOverQK)
	return b.String()
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	h := r.headline()
	qk, full, design, ev := r.ms["qk"], r.ms["full"], r.ms["design"], r.ms["event"]
	cmdline := "go run ./bench"
	if r.quick {
		cmdline = "go run ./bench -quick"
	}
	if r.reps != 3 {
		cmdline += fmt.Sprintf(" -reps %d", r.reps)
	}

	p("# lrpsim benchmark\n\n")
	p("Generated by `%s` (bench/main.go; see bench/README.md). Every number below was measured by\n", cmdline)
	p("that run; none is typed by hand.\n\n")
	if r.quick {
		p("**This is a -quick smoke run on a reduced trace, not the benchmark.**\n\n")
	}
	p("- Date: %s (the run took %s)\n", r.started.UTC().Format("2006-01-02 15:04 MST"), r.elapsed.Round(time.Second))
	p("- Machine: %s; nproc %d; memory %s; load average before %s, after %s\n", cpuModel(), runtime.NumCPU(), memTotal(), r.loadBefore, r.loadAfter)
	p("- Go: %s %s/%s (GOMAXPROCS default)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if r.commit != "" {
		p("- Source: `%s`\n", r.commit)
	}
	p("\n")

	p("## Headline\n\n")
	p("These are medians of %d interleaved repetitions on a shared machine: each repetition runs\n", r.reps)
	p("every program below once, in the order of the table, each as its own process.\n\n")
	p("| figure | measured | goal | |\n|---|---:|---:|---|\n")
	p("| event engine: allowed query-key pairs simulated per second per core (design only, pairs / CPU time) | %.3g pairs/s | none set | |\n", h.pairsPerCPUs)
	p("| reference engine / event engine, CPU time (small trace) | %.1fx | ≥ %gx | %s |\n", h.refEvCPU, goalRefOverEvent, verdict(h.refEvCPU >= goalRefOverEvent))
	p("| reference engine / event engine, wall time (small trace) | %.1fx | ≥ %gx | %s |\n", h.refEvWall, goalRefOverEvent, verdict(h.refEvWall >= goalRefOverEvent))
	p("| full `lrpsim run` / plain integer Q·K^T, wall time | %.2fx | ≤ %gx | %s |\n", h.fullQKWall, goalFullOverQK, verdict(h.fullQKWall <= goalFullOverQK))
	p("| full `lrpsim run` / plain integer Q·K^T, CPU time | %.2fx | ≤ %gx | %s |\n", h.fullQKCPU, goalFullOverQK, verdict(h.fullQKCPU <= goalFullOverQK))
	p("\n")
	p("The event engine simulates one configuration on one goroutine, so pairs / CPU second is its\n")
	p("single-core rate (%.3g pairs per wall second). A full run simulates the design and its %d\n", h.pairsPerWall, len(full.report.Baselines))
	p("baselines on parallel goroutines (on %d cores here), while Q·K^T is single-threaded: the wall\n", runtime.NumCPU())
	p("ratio credits the run with that parallelism and the CPU ratio does not.\n\n")

	p("## Traces\n\n")
	p("Generated with `lrpsim trace gen` into a temporary directory.\n\n")
	p("| trace | shape | heads | allowed query-key pairs | design cycles |\n|---|---|---:|---:|---:|\n")
	bigName := "big (BERT-base-shaped)"
	if r.quick {
		bigName = "big (reduced by -quick)"
	}
	p("| %s | %s | %d | %d | %d |\n", bigName, r.big, qk.qk.Heads, design.report.Design.Pairs, design.report.Design.Cycles)
	p("| small (reference engine) | %s | %d | %d | %d |\n", r.small, r.small.Layers*r.small.Heads, ev.report.Design.Pairs, ev.report.Design.Cycles)
	p("\nThe reference engine steps every lane every cycle and is slow on purpose, so it is timed\n")
	p("against the event engine on the small trace only; both include process start, trace reading,\n")
	p("energy pricing and writing the JSON report.\n\n")

	p("## Measurements\n\n")
	p("Wall: elapsed time around the subprocess. CPU: user + system time of the subprocess\n")
	p("(getrusage of the waited-for child). Peak RSS: the largest maxrss over the repetitions.\n\n")
	p("| program | trace | median wall | median CPU | peak RSS | wall per repetition |\n|---|---|---:|---:|---:|---|\n")
	for _, m := range r.order {
		var walls []string
		for _, w := range m.wall {
			walls = append(walls, fmt.Sprintf("%.3f", w.Seconds()))
		}
		p("| %s | %s | %.3f s | %.3f s | %.1f MiB | %s |\n", m.what, m.trace, m.medWall(), m.medCPU(), m.peakMiB(), strings.Join(walls, ", "))
	}
	p("\nDerived: the full run costs %.2fx the design-only run in CPU time and %.2fx in wall time\n",
		full.medCPU()/design.medCPU(), full.medWall()/design.medWall())
	p("(%d configurations), keeping %.2f cores busy on average (median CPU / median wall; the\n",
		1+len(full.report.Baselines), full.medCPU()/full.medWall())
	p("machine has %d); Q·K^T does %d multiply-adds in %.3f s of CPU, %.3g per second.\n\n",
		runtime.NumCPU(), qk.qk.MACs, qk.medCPU(), float64(qk.qk.MACs)/qk.medCPU())

	p("## Cross-checks\n\n")
	for _, c := range r.checks {
		p("- %s\n", c)
	}
	return b.String()
}

// --- helpers ---

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

// run runs a setup command (not measured), passing its stderr through on failure.
func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run bench from inside the lrpsim module (go run ./bench)")
	}
	return filepath.Dir(gomod), nil
}

func gitDescribe(root string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	desc := "git " + strings.TrimSpace(string(out))
	cmd = exec.Command("git", "ls-files", "--others", "--exclude-standard", "--", "*.go")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		if n := len(strings.Fields(string(out))); n > 0 {
			desc += fmt.Sprintf(" plus %d untracked .go files", n)
		}
	}
	return desc
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			if kib, err := strconv.ParseFloat(f[1], 64); err == nil {
				return fmt.Sprintf("%.1f GiB", kib/(1<<20))
			}
		}
	}
	return "unknown"
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// writeFileAtomic writes data to a temporary file next to path and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = io.Copy(f, bytes.NewReader(data))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
