package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// timed is a measurement with the given wall and CPU seconds in each repetition.
func timed(key string, wall, cpu []float64) *measurement {
	m := &measurement{key: key, report: &lrpsimReport{Design: configStats{Pairs: 1000, Cycles: 7}}}
	for i := range wall {
		m.wall = append(m.wall, time.Duration(wall[i]*float64(time.Second)))
		m.cpu = append(m.cpu, time.Duration(cpu[i]*float64(time.Second)))
	}
	return m
}

// TestHeadlineRatios: the headline's ratios to the termination kernel and of the timeline run
// come from the medians of the right programs (hand-worked: medians 8, 2, 4 and 3, 1.5 s).
func TestHeadlineRatios(t *testing.T) {
	r := &report{ms: map[string]*measurement{}}
	one := []float64{1, 1, 1}
	for _, m := range []*measurement{
		timed("qk", one, one), timed("ref", one, one), timed("event", one, one), timed("full-1", one, one),
		timed("sweep-1", one, one), timed("sweep-2", one, one),
		timed("full", []float64{5, 5, 5}, []float64{9, 8, 7}),
		timed("design", one, []float64{4, 1, 5}),
		timed("kernel", one, []float64{2, 2, 3}),
		timed("design-mid", []float64{1, 2, 1}, []float64{1, 1, 1}),
		timed("timeline", []float64{3, 3, 2}, []float64{1.5, 1, 2}),
	} {
		r.ms[m.key] = m
	}
	h := r.headline()
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"full / kernel CPU", h.fullKernCPU, 8.0 / 2},
		{"design / kernel CPU", h.designKernCPU, 4.0 / 2},
		{"timeline / without, wall", h.timelineWall, 3.0 / 1},
		{"timeline / without, CPU", h.timelineCPU, 1.5 / 1},
		{"kernel ns per pair", h.kernelNsPerPair, 2e9 / 1000},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: %g, want %g", c.name, c.got, c.want)
		}
	}
}

// TestPlanRSSGoals: the full benchmark measures peak RSS at 8192 and 32768 tokens against the
// issue's goals (128 and 256 MiB), and -quick sets no goal.
func TestPlanRSSGoals(t *testing.T) {
	goals := map[int]float64{}
	for _, rs := range newPlan(false).rss {
		goals[rs.spec.SeqLen] = rs.goalMiB
	}
	for seq, want := range map[int]float64{2048: 64, 8192: 128, 32768: 256} {
		if goals[seq] != want {
			t.Errorf("%d tokens: goal %g MiB, want %g", seq, goals[seq], want)
		}
	}
	for _, rs := range newPlan(true).rss {
		if rs.goalMiB != 0 || rs.spec.SeqLen > 1024 {
			t.Errorf("-quick: %d tokens with goal %g; want small traces and no goal", rs.spec.SeqLen, rs.goalMiB)
		}
	}
}

// TestSuiteRun: the suite runs `lrpsim table` with its CSV in the benchmark's directory.
func TestSuiteRun(t *testing.T) {
	m := suiteRun("/x/lrpsim", "/tmp/d")
	if got := strings.Join(m.argv, " "); got != "/x/lrpsim table --format csv --out /tmp/d/table.csv" {
		t.Errorf("suite argv %q", got)
	}
}

// TestOutputFilesDistinct: no two files the measured programs write (--out, --timeline, the
// sweep CSVs) share a name, which lrpsim would refuse (a run's --out and --timeline once did).
func TestOutputFilesDistinct(t *testing.T) {
	dir := t.TempDir()
	e := benchEnv{tmp: dir, bin: "lrpsim", self: "bench", baselines: []string{"dense", "et_only"}}
	ms, _, err := e.repMeasurements(newPlan(true), tracePaths{big: dir + "/big.npz", small: dir + "/small.npz", mid: dir + "/mid.npz"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, m := range ms {
		for i, a := range m.argv[:len(m.argv)-1] {
			if a != "--out" && a != "--timeline" {
				continue
			}
			f := m.argv[i+1]
			if other, ok := seen[f]; ok {
				t.Errorf("%s writes %s, as %s does", m.key, f, other)
			}
			seen[f] = m.key
		}
	}
	want := 1 // the timeline, besides one file per lrpsim program
	for _, m := range ms {
		if m.argv[0] == e.bin {
			want++
		}
	}
	if len(seen) != want {
		t.Errorf("%d output files among %d programs, want %d", len(seen), len(ms), want)
	}
}

// TestPeakLiveHeap: the largest live heap of GODEBUG=gctrace=1 lines (Go 1.2x's format), and none
// from stderr without such a line.
func TestPeakLiveHeap(t *testing.T) {
	for _, tc := range []struct {
		stderr string
		want   float64
		ok     bool
	}{
		{"gc 1 @0.009s 1%: 0.018+0.35+0.003 ms clock, 0.037+0.10/0.25/0+0.007 ms cpu, 4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
			"gc 2 @0.023s 1%: 0.018+0.35+0.003 ms clock, 0.037+0.10/0.25/0+0.007 ms cpu, 226->226->143 MB, 228 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
			"gc 3 @0.1s 1%: 0.018+0.35+0.003 ms clock, 0.037+0.10/0.25/0+0.007 ms cpu, 285->286->107 MB, 288 MB goal, 0 MB stacks, 0 MB globals, 2 P\n",
			143, true},
		{"lrpsim: wrote out.json\n", 0, false},
		{"gc 1 @0.009s 1%: 0.018+0.35+0.003 ms clock, 0.037+0.10/0.25/0+0.007 ms cpu, 4->4->x MB\n", 0, false},
	} {
		got, ok := peakLiveHeap(tc.stderr)
		if got != tc.want || ok != tc.ok {
			t.Errorf("peakLiveHeap(%q) = %v, %v; want %v, %v", tc.stderr[:20], got, ok, tc.want, tc.ok)
		}
	}
}
