package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lrpsim/lrpsim/rtl"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces"
)

// --- the sweep: --jobs 1 against --jobs 2 ---

// sweepYAML is the benchmark's sweep: 2 x 2 = 4 points over the mid-size trace, the design
// alone at each point (no baselines), so that a point is one single-threaded simulation and
// --jobs is the only parallelism.
const sweepYAML = `# Written by go run ./bench (bench/extras.go): --jobs 1 against --jobs 2.
name: bench-sweep
traces:
  - %s
grid:
  front_end.lanes: [8, 16]
  front_end.bits_per_cycle: [1, 2]
baselines: []
`

// writeSweep writes the sweep file into dir, naming the trace relative to it.
func writeSweep(dir, trace string) (string, error) {
	rel, err := filepath.Rel(dir, trace)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "sweep.yaml")
	return path, os.WriteFile(path, fmt.Appendf(nil, sweepYAML, rel), 0o644)
}

// sweepRun holds the sweep's CSVs, one per --jobs value, checked after every repetition.
type sweepRun struct {
	file   string
	points int
	csvs   []string // written by --jobs 1, --jobs 2
	ref    []byte   // the first CSV written
	runs   int      // CSVs compared with ref
}

// collect requires every CSV of this repetition to be byte-identical to the first one written,
// with a header and one row per point.
func (s *sweepRun) collect() error {
	for _, path := range s.csvs {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if s.ref == nil {
			if n := bytes.Count(data, []byte("\n")); n != s.points+1 {
				return fmt.Errorf("sweep %s: %s has %d lines, want a header and %d points", s.file, path, n, s.points)
			}
			s.ref = data
		}
		if !bytes.Equal(data, s.ref) {
			return fmt.Errorf("sweep %s: %s differs from the first CSV (%d bytes against %d): --jobs changed the result",
				s.file, path, len(data), len(s.ref))
		}
		s.runs++
	}
	return nil
}

// --- lrpsim's Go model of the front end against the RTL ---

// rtlResult is the front end's rows run through the RTL under a Verilog simulator and through
// lrpsim's Go model (rtl.RunModel), compared cycle for cycle.
type rtlResult struct {
	simulator  rtl.Simulator // "" when none could run
	missing    []string      // why each simulator could not run
	params     rtl.Params
	head       string
	rows       int
	stats      rtl.Stats
	cycles     int64
	build      time.Duration
	rtlWall    time.Duration
	rtlCPU     time.Duration // of the simulator's process (getrusage of the waited-for children)
	modelRuns  int
	modelWall  time.Duration // per run
	modelCPU   time.Duration // per run (getrusage of this process)
	simVersion string
}

func (r *rtlResult) rtlPairsPerSec() float64   { return float64(r.stats.Pairs) / r.rtlWall.Seconds() }
func (r *rtlResult) modelPairsPerSec() float64 { return float64(r.stats.Pairs) / r.modelWall.Seconds() }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rtlBench runs the first nRows query rows of the first head of the trace (every allowed key,
// no back-pressure) through the Verilog front-end unit, under Verilator if it is installed and
// otherwise Icarus Verilog, and through rtl.RunModel, with the default config's front end;
// rtl.Compare must find them identical. With neither simulator it returns what was missing.
// which names the simulator: auto (Verilator, else Icarus), verilator, iverilog or none.
// Icarus, an interpreter, runs a tenth of the rows (at least 8).
func rtlBench(tmp, trace string, nRows int, cfg *sim.Config, which string) (*rtlResult, error) {
	res := &rtlResult{}
	sims := []rtl.Simulator{rtl.Verilator, rtl.Icarus}
	switch which {
	case "none":
		sims = nil
		res.missing = []string{"skipped by -rtl none"}
	case "verilator", "iverilog":
		sims = []rtl.Simulator{rtl.Simulator(which)}
	}
	for _, s := range sims {
		if err := rtl.Available(s); err != nil {
			res.missing = append(res.missing, err.Error())
			continue
		}
		res.simulator = s
		break
	}
	if res.simulator == "" {
		logf("rtl: no Verilog simulator: %s", strings.Join(res.missing, "; "))
		return res, nil
	}
	res.simVersion = simulatorVersion(res.simulator)
	if res.simulator == rtl.Icarus {
		nRows = max(nRows/10, min(nRows, 8))
	}
	r, err := traces.Open(trace)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	h, err := r.Head(0)
	if err != nil {
		return nil, err
	}
	fe := cfg.FrontEnd
	res.params = rtl.ParamsForHead(rtl.Params{Lanes: fe.Lanes, BitsPerCycle: fe.BitsPerCycle, FillCycles: fe.FillCycles,
		DrainCycles: fe.DrainCycles, Scheduling: fe.Scheduling, EarlyTermination: fe.EarlyTermination}, h)
	res.head = h.Name()
	idx := make([]int, min(nRows, h.N))
	for i := range idx {
		idx[i] = i
	}
	rows, err := rtl.RowsFromHead(h, idx)
	if err != nil {
		return nil, err
	}
	res.rows = len(rows)

	dir := filepath.Join(tmp, "rtl")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ctx := context.Background()
	logf("rtl: building the front-end bench with %s (%s)", res.simulator, res.simVersion)
	t0 := time.Now()
	b, err := rtl.Build(ctx, res.simulator, res.params, dir)
	if err != nil {
		return nil, err
	}
	res.build = time.Since(t0)

	logf("rtl: %d rows of %s through %s", len(rows), res.head, res.simulator)
	c0, t0 := rusage(syscall.RUSAGE_CHILDREN), time.Now()
	got, err := b.Run(ctx, rows)
	if err != nil {
		return nil, err
	}
	res.rtlWall, res.rtlCPU = time.Since(t0), rusage(syscall.RUSAGE_CHILDREN)-c0

	// The model is fast: run it until a second has passed, to time it above the clock's grain.
	var want *rtl.Result
	c0, t0 = rusage(syscall.RUSAGE_SELF), time.Now()
	for res.modelRuns == 0 || (time.Since(t0) < time.Second && res.modelRuns < 10000) {
		if want, err = rtl.RunModel(res.params, rows); err != nil {
			return nil, err
		}
		res.modelRuns++
	}
	res.modelWall = time.Since(t0) / time.Duration(res.modelRuns)
	res.modelCPU = (rusage(syscall.RUSAGE_SELF) - c0) / time.Duration(res.modelRuns)

	if res.stats, err = rtl.Compare(res.params, rows, got, want); err != nil {
		return nil, fmt.Errorf("the RTL (%s) and lrpsim's model disagree: %w", res.simulator, err)
	}
	res.cycles = want.Cycles
	logf("rtl: %s %.3fs, model %.6fs per run (%d runs): %d pairs, %d cycles, identical",
		res.simulator, res.rtlWall.Seconds(), res.modelWall.Seconds(), res.modelRuns, res.stats.Pairs, res.cycles)
	return res, nil
}

// simulatorVersion is the first line of the simulator's version banner.
func simulatorVersion(s rtl.Simulator) string {
	var cmd *exec.Cmd
	switch s {
	case rtl.Verilator:
		cmd = exec.Command("verilator", "--version")
	case rtl.Icarus:
		cmd = exec.Command("iverilog", "-V")
	default:
		return ""
	}
	out, _ := cmd.Output() // iverilog -V exits 1 without a source file but prints its version
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// --- where the time goes: CPU profiles ---

// profileTop is `go tool pprof -top` of one measurement's profile.
type profileTop struct {
	key, cmd, text string
	rows           []profileRow
	packages       []packageShare // flat time by package, over every function, largest first
}

// packageShare is the flat time of one package's functions, in percent of the samples.
type packageShare struct {
	pkg string
	pct float64
}

// modulePath is trimmed from package names in the report.
const modulePath = "github.com/lrpsim/lrpsim/"

// packageOf returns the package of a function as pprof names it:
// "github.com/lrpsim/lrpsim/arch.(*FIFO).Pop" is in github.com/lrpsim/lrpsim/arch.
func packageOf(fn string) string {
	fn, _, _ = strings.Cut(fn, "[") // type arguments may hold paths of their own
	slash := strings.LastIndex(fn, "/")
	if dot := strings.Index(fn[slash+1:], "."); dot >= 0 {
		return fn[:slash+1+dot]
	}
	return fn
}

// profileRow is one function of the -top table.
type profileRow struct {
	flat, flatPct, cum, cumPct, name string
}

// pprofTop runs go tool pprof -top -nodecount=15 on the profile m's profiled run wrote, and
// once more over every function (-nodefraction=0) to add up flat time by package.
func pprofTop(root, bin string, m *measurement) (profileTop, error) {
	top := profileTop{key: m.key, cmd: "go tool pprof -top -nodecount=15 lrpsim " + filepath.Base(m.profile)}
	out, rows, err := pprofRows(root, "-top", "-nodecount=15", bin, m.profile)
	if err != nil {
		return top, err
	}
	top.text, top.rows = out, rows
	_, all, err := pprofRows(root, "-top", "-nodefraction=0", bin, m.profile)
	if err != nil {
		return top, err
	}
	byPkg := map[string]float64{}
	for _, r := range all {
		pkg := packageOf(r.name)
		if u, err := url.PathUnescape(pkg); err == nil { // pprof writes gopkg.in/yaml.v3 as yaml%2ev3
			pkg = u
		}
		byPkg[pkg] += pct(r.flatPct)
	}
	for pkg, v := range byPkg {
		top.packages = append(top.packages, packageShare{pkg: pkg, pct: v})
	}
	slices.SortFunc(top.packages, func(a, b packageShare) int {
		if c := cmp.Compare(b.pct, a.pct); c != 0 {
			return c
		}
		return strings.Compare(a.pkg, b.pkg)
	})
	return top, nil
}

// pprofRows runs go tool pprof with args and parses its -top table.
func pprofRows(root string, args ...string) (string, []profileRow, error) {
	args = append([]string{"tool", "pprof"}, args...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var rows []profileRow
	inTable := false
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "flat" && f[1] == "flat%" {
			inTable = true
			continue
		}
		if inTable && len(f) >= 6 {
			name := strings.TrimSuffix(strings.Join(f[5:], " "), " (inline)")
			rows = append(rows, profileRow{flat: f[0], flatPct: f[1], cum: f[3], cumPct: f[4], name: name})
		}
	}
	if len(rows) == 0 {
		return "", nil, errors.New("go " + strings.Join(args, " ") + " printed no functions:\n" + string(out))
	}
	return string(out), rows, nil
}

// pct parses "12.34%".
func pct(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	return v
}
