package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// measurement is one program, measured in every repetition (or once, for the long runs).
type measurement struct {
	key, what, trace string
	argv             []string // argv[0] is the program
	env              []string // extra environment (GOMAXPROCS=1)
	outFile          string   // lrpsim's --out file, read after the first run ("" for the modes)
	mode             string   // the bench mode whose stdout is parsed: qk, kernel, config ("" for lrpsim)
	config           string   // -mode config: the configuration simulated
	profile          string   // --cpuprofile FILE added in the profiled repetition ("" for none)
	gcTrace          bool     // run with GODEBUG=gctrace=1 and keep the largest live heap it reports
	memProfile       string   // lrpsim's --memprofile FILE (its heap at the largest live heap); "" for none

	wall, cpu []time.Duration
	liveMiB   []float64 // per run with gcTrace: the largest heap left live after a collection
	maxRSSKiB []int64
	profiled  []bool // per run: --cpuprofile was on
	stdout    []byte // of the first run
	report    *lrpsimReport
	qk        *qkResult
	kernel    *kernelResult
	cfg       *configResult
}

// lrpsimReport is the part of `lrpsim run --json` the benchmark reads.
type lrpsimReport struct {
	Engine    string                  `json:"engine"`
	Design    configStats             `json:"design"`
	Baselines map[string]*configStats `json:"baselines"`
	MeanSteps float64                 `json:"mean_steps_per_key"`
}

// configStats is the part of one configuration's statistics the benchmark reads.
type configStats struct {
	Cycles        int64   `json:"cycles"`
	Pairs         int64   `json:"pairs"`
	Survivors     int64   `json:"survivors"`
	StepHistogram []int64 `json:"step_histogram"`
}

// cleanEnv is the environment of every measured program: this one's without GOMAXPROCS, so
// that the Go runtime's default (one P per core) applies unless a measurement sets it.
func cleanEnv(extra []string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") })
	return append(env, extra...)
}

// measure runs m once and appends its wall time, CPU time (user + system) and peak RSS. With
// profile set it adds --cpuprofile to lrpsim's arguments for this run.
func measure(dir string, m *measurement, profile bool) error {
	argv := slices.Clone(m.argv)
	if profile && m.profile != "" {
		argv = append(argv, "--cpuprofile", m.profile)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = cleanEnv(m.env)
	if m.gcTrace {
		cmd.Env = append(cmd.Env, "GODEBUG=gctrace=1")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return fmt.Errorf("no rusage for %s on %s", m.key, runtime.GOOS)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	m.wall = append(m.wall, wall)
	m.cpu = append(m.cpu, cpu)
	m.maxRSSKiB = append(m.maxRSSKiB, ru.Maxrss) // KiB on Linux
	m.profiled = append(m.profiled, profile && m.profile != "")
	if m.gcTrace {
		live, ok := peakLiveHeap(stderr.String())
		if !ok {
			return fmt.Errorf("%s: GODEBUG=gctrace=1 reported no collection", strings.Join(argv, " "))
		}
		m.liveMiB = append(m.liveMiB, live)
	}
	if m.stdout == nil {
		m.stdout = stdout.Bytes()
		if err := m.readResult(); err != nil {
			return err
		}
	}
	return nil
}

// peakLiveHeap is the largest live heap, in MiB, that the Go runtime's GODEBUG=gctrace=1 lines in
// stderr report: each collection prints "A->B->C MB" (heap at its start, at its end, and marked
// live; the runtime's MB are MiB). false when no line has one.
func peakLiveHeap(stderr string) (float64, bool) {
	best, ok := 0.0, false
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.HasPrefix(line, "gc ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			parts := strings.Split(f, "->")
			if len(parts) != 3 {
				continue
			}
			var live float64
			if _, err := fmt.Sscanf(parts[2], "%g", &live); err == nil {
				best, ok = max(best, live), true
			}
			break
		}
	}
	return best, ok
}

// measureOnce measures a program run once (not per repetition), logging what it runs.
func measureOnce(dir string, m *measurement, what string) error {
	logf("once: %s", what)
	if err := measure(dir, m, false); err != nil {
		return err
	}
	logf("once %-16s wall %8.3fs  cpu %8.3fs  maxrss %7.1f MiB", m.key, m.wall[0].Seconds(), m.cpu[0].Seconds(), float64(m.maxRSSKiB[0])/1024)
	return nil
}

// suiteRun is the suite: `lrpsim table` over every bundled real trace (the design and the dense
// baseline on each), its table written as CSV into dir.
func suiteRun(bin, dir string) *measurement {
	return &measurement{key: "table", what: "`lrpsim table` (every bundled real trace: design + dense)", trace: "bundled",
		argv: []string{bin, "table", "--format", "csv", "--out", filepath.Join(dir, "table.csv")}}
}

// readResult parses the program's result: lrpsim's JSON report or a mode's line.
func (m *measurement) readResult() error {
	var v any
	switch m.mode {
	case "qk":
		m.qk = &qkResult{}
		v = m.qk
	case "kernel":
		m.kernel = &kernelResult{}
		v = m.kernel
	case "config":
		m.cfg = &configResult{}
		v = m.cfg
	case "":
		if m.outFile == "" {
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
	if err := json.Unmarshal(m.stdout, v); err != nil {
		return fmt.Errorf("%s: parsing %q: %w", m.key, m.stdout, err)
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
