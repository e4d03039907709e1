package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

type report struct {
	reps                  int
	quick                 bool
	plan                  plan
	ms                    map[string]*measurement
	order                 []*measurement // measured in every repetition, in this order
	rss                   []*measurement // measured once each
	suite                 *measurement   // lrpsim table, measured once
	sweep                 *sweepRun
	rtl                   *rtlResult
	profiles              []profileTop
	memProfile            *profileTop // the longest peak-RSS run's heap profile (inuse_space); nil when none
	profiledRep           int
	baselines             []string
	started               time.Time
	elapsed               time.Duration
	loadBefore, loadAfter string
	commit                string
	checks                []string
}

// configs are the configurations of a full run: the design, then its baselines.
func (r *report) configs() []string { return append([]string{"design"}, r.baselines...) }

// stats returns the full run's statistics of a configuration.
func (l *lrpsimReport) stats(name string) *configStats {
	if name == "design" {
		return &l.Design
	}
	return l.Baselines[name]
}

// check cross-checks the programs' results: every run on one trace must see the same pairs,
// every engine, process layout and GOMAXPROCS the same cycles, Q·K^T and the kernel the
// design's survivors, the kernel the design's termination steps, the sweep the same bytes.
func (r *report) check() ([]string, error) {
	qk, kern, full, full1, design := r.ms["qk"].qk, r.ms["kernel"].kernel, r.ms["full"].report, r.ms["full-1"].report, r.ms["design"].report
	ref, ev := r.ms["ref"].report, r.ms["event"].report
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if full.Design.Pairs != design.Design.Pairs || qk.Pairs != design.Design.Pairs || kern.Pairs != qk.Pairs || qk.Pairs != r.plan.big.pairs() {
		bad("big trace pairs disagree: Q·K^T %d, kernel %d, full run %d, design-only run %d, shape %d",
			qk.Pairs, kern.Pairs, full.Design.Pairs, design.Design.Pairs, r.plan.big.pairs())
	}
	if qk.Survivors != design.Design.Survivors || kern.Survivors != qk.Survivors {
		bad("big trace survivors disagree: Q·K^T %d, kernel %d, design %d", qk.Survivors, kern.Survivors, design.Design.Survivors)
	}
	if !slices.Equal(kern.StepHistogram, design.Design.StepHistogram) {
		bad("termination steps disagree: kernel %v, design %v", kern.StepHistogram, design.Design.StepHistogram)
	}
	if full.Design.Cycles != design.Design.Cycles {
		bad("big trace design cycles disagree: full run %d, design-only run %d", full.Design.Cycles, design.Design.Cycles)
	}
	if len(full.Baselines) != len(r.baselines) || len(design.Baselines) != 0 {
		bad("the full run has %d baselines (want %d) and the design-only run %d", len(full.Baselines), len(r.baselines), len(design.Baselines))
	}
	for _, name := range r.configs() {
		c, f, f1 := r.ms["cfg-"+name].cfg, full.stats(name), full1.stats(name)
		switch {
		case f == nil || f1 == nil:
			bad("configuration %s missing from a full run's JSON", name)
		case c.Cycles != f.Cycles || c.Pairs != f.Pairs || c.Survivors != f.Survivors:
			bad("%s alone (-mode config): %d cycles, %d pairs, %d survivors; in the full run: %d, %d, %d",
				name, c.Cycles, c.Pairs, c.Survivors, f.Cycles, f.Pairs, f.Survivors)
		case f1.Cycles != f.Cycles:
			bad("%s: %d cycles with GOMAXPROCS=1, %d without", name, f1.Cycles, f.Cycles)
		}
	}
	if dm, tl := r.ms["design-mid"].report, r.ms["timeline"].report; dm.Design.Cycles != tl.Design.Cycles || dm.Design.Pairs != tl.Design.Pairs {
		bad("mid trace: design-only run %d cycles / %d pairs, with --timeline %d / %d", dm.Design.Cycles, dm.Design.Pairs, tl.Design.Cycles, tl.Design.Pairs)
	}
	if ref.Design.Cycles != ev.Design.Cycles || ref.Design.Pairs != ev.Design.Pairs {
		bad("small trace: reference engine %d cycles / %d pairs, event engine %d / %d",
			ref.Design.Cycles, ref.Design.Pairs, ev.Design.Cycles, ev.Design.Pairs)
	}
	for i, m := range r.rss {
		spec := r.plan.rss[i].spec
		if m.report.Design.Pairs != spec.pairs() || len(m.report.Baselines) != len(r.baselines) {
			bad("%d tokens: %d pairs (want %d) and %d baselines (want %d)", spec.SeqLen, m.report.Design.Pairs, spec.pairs(),
				len(m.report.Baselines), len(r.baselines))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var cyc []string
	for _, name := range r.configs() {
		cyc = append(cyc, fmt.Sprintf("%s %d", name, full.stats(name).Cycles))
	}
	checks := []string{
		fmt.Sprintf("Q·K^T, the kernel, the full run and the design-only run all count %d allowed pairs on the big trace, and Q·K^T and the kernel find the design's %d survivors (q·k ≥ T).", qk.Pairs, qk.Survivors),
		fmt.Sprintf("The kernel's termination steps (pairs decided at step 1, 2, ...: %v) equal the design's step histogram.", kern.StepHistogram),
		fmt.Sprintf("The full run and the design-only run agree on the design's %d cycles; the full run simulated %d baselines.", design.Design.Cycles, len(full.Baselines)),
		fmt.Sprintf("Each configuration simulated alone (-mode config) has the cycles, pairs and survivors of the full run's JSON, and so has the full run with GOMAXPROCS=1: %s cycles.", strings.Join(cyc, ", ")),
		fmt.Sprintf("The reference and event engines agree on the small trace: %d cycles, %d pairs.", ev.Design.Cycles, ev.Design.Pairs),
		fmt.Sprintf("The design-only runs on the mid trace with and without --timeline agree: %d cycles.", r.ms["timeline"].report.Design.Cycles),
		fmt.Sprintf("The sweep's CSVs, %d written (--jobs 1 and --jobs 2 in every repetition), are byte-identical (%d bytes, %d points).", r.sweep.runs, len(r.sweep.ref), r.sweep.points),
	}
	var seqs []string
	for i := range r.rss {
		seqs = append(seqs, fmt.Sprintf("%d", r.plan.rss[i].spec.SeqLen))
	}
	checks = append(checks, fmt.Sprintf("The full runs at %s tokens simulate every allowed pair of their traces and %d baselines.", strings.Join(seqs, ", "), len(r.baselines)))
	if r.rtl.simulator != "" {
		checks = append(checks, fmt.Sprintf("The RTL under %s and lrpsim's Go model agree on every pair, FIFO entry and cycle of %d row tasks (%d pairs, %d survivors, %d cycles; rtl.Compare).",
			r.rtl.simulator, r.rtl.stats.Tasks, r.rtl.stats.Pairs, r.rtl.stats.Survivors, r.rtl.cycles))
	}
	return checks, nil
}

// headline figures, computed from the medians only.
type headline struct {
	pairsPerCPUs, pairsPerWall  float64
	refEvCPU, refEvWall         float64
	fullQKWall, fullQKCPU       float64
	designQKWall, designQKCPU   float64
	kernelNsPerPair             float64
	fullKernCPU, designKernCPU  float64 // full and design-only run / the termination kernel alone, CPU
	timelineWall, timelineCPU   float64 // design-only run with --timeline / without (mid trace)
	full1Wall, full1CPU         float64 // GOMAXPROCS=1 / default
	sweepSpeedup, sweepCPURatio float64 // --jobs 1 / --jobs 2
}

func (r *report) headline() headline {
	qk, full, design, ref, ev := r.ms["qk"], r.ms["full"], r.ms["design"], r.ms["ref"], r.ms["event"]
	kern, full1, s1, s2 := r.ms["kernel"], r.ms["full-1"], r.ms["sweep-1"], r.ms["sweep-2"]
	pairs := float64(design.report.Design.Pairs)
	dm, tl := r.ms["design-mid"], r.ms["timeline"]
	return headline{
		fullKernCPU: full.medCPU() / kern.medCPU(), designKernCPU: design.medCPU() / kern.medCPU(),
		timelineWall: tl.medWall() / dm.medWall(), timelineCPU: tl.medCPU() / dm.medCPU(),
		pairsPerCPUs: pairs / design.medCPU(), pairsPerWall: pairs / design.medWall(),
		refEvCPU: ref.medCPU() / ev.medCPU(), refEvWall: ref.medWall() / ev.medWall(),
		fullQKWall: full.medWall() / qk.medWall(), fullQKCPU: full.medCPU() / qk.medCPU(),
		designQKWall: design.medWall() / qk.medWall(), designQKCPU: design.medCPU() / qk.medCPU(),
		kernelNsPerPair: kern.medCPU() * 1e9 / pairs,
		full1Wall:       full1.medWall() / full.medWall(), full1CPU: full1.medCPU() / full.medCPU(),
		sweepSpeedup: s1.medWall() / s2.medWall(), sweepCPURatio: s2.medCPU() / s1.medCPU(),
	}
}

// configRow is one configuration's cost per pair.
type configRow struct {
	name                   string
	cpu, wall              float64 // medians, seconds
	nsPerPair, nsPerTiming float64 // CPU per allowed pair; minus the kernel's CPU, per pair
}

func (r *report) configRows() []configRow {
	kern := r.ms["kernel"].medCPU()
	pairs := float64(r.ms["qk"].qk.Pairs)
	var rows []configRow
	for _, name := range r.configs() {
		m := r.ms["cfg-"+name]
		rows = append(rows, configRow{name: name, cpu: m.medCPU(), wall: m.medWall(),
			nsPerPair: m.medCPU() * 1e9 / pairs, nsPerTiming: (m.medCPU() - kern) * 1e9 / pairs})
	}
	return rows
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func plainVerdict(ok bool) string { return strings.Trim(verdict(ok), "*") }

// table is the plain-text summary printed to standard output.
func (r *report) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-9s %12s %12s %12s\n", "program", "trace", "median wall", "median CPU", "peak RSS")
	for _, m := range append(append(slices.Clone(r.order), r.rss...), r.suite) {
		fmt.Fprintf(&b, "%-16s %-9s %11.3fs %11.3fs %8.1f MiB\n", m.key, m.trace, m.medWall(), m.medCPU(), m.peakMiB())
	}
	h := r.headline()
	fmt.Fprintf(&b, "\nfull run / Q·K^T:          %.2fx CPU (goal <= %gx: %s), %.2fx wall (goal <= %gx: %s)\n",
		h.fullQKCPU, goalFullOverQKCPU, plainVerdict(h.fullQKCPU <= goalFullOverQKCPU), h.fullQKWall, goalFullOverQKWall, plainVerdict(h.fullQKWall <= goalFullOverQKWall))
	fmt.Fprintf(&b, "design-only / Q·K^T:       %.2fx CPU (goal <= %gx: %s), %.2fx wall\n",
		h.designQKCPU, goalDesignOverQKCPU, plainVerdict(h.designQKCPU <= goalDesignOverQKCPU), h.designQKWall)
	fmt.Fprintf(&b, "design only:               %.3g pairs/s per core (CPU time), %.3g pairs/s wall\n", h.pairsPerCPUs, h.pairsPerWall)
	fmt.Fprintf(&b, "kernel:                    %.2f ns per pair (CPU)\n", h.kernelNsPerPair)
	fmt.Fprintf(&b, "full run / kernel alone:   %.2fx CPU; design-only / kernel alone: %.2fx CPU\n", h.fullKernCPU, h.designKernCPU)
	fmt.Fprintf(&b, "--timeline / without:      %.2fx CPU (goal <= %gx: %s), %.2fx wall (design only, mid trace)\n",
		h.timelineCPU, goalTimelineCPU, plainVerdict(h.timelineCPU <= goalTimelineCPU), h.timelineWall)
	for _, c := range r.configRows() {
		fmt.Fprintf(&b, "  %-22s %.2f ns per pair, %.2f ns per pair of timing (minus the kernel)\n", c.name+":", c.nsPerPair, c.nsPerTiming)
	}
	fmt.Fprintf(&b, "reference / event engine:  %.1fx CPU, %.1fx wall (no goal)\n", h.refEvCPU, h.refEvWall)
	fmt.Fprintf(&b, "full run GOMAXPROCS=1 / default: %.2fx wall, %.2fx CPU\n", h.full1Wall, h.full1CPU)
	fmt.Fprintf(&b, "sweep --jobs 1 / --jobs 2: %.2fx wall\n", h.sweepSpeedup)
	for i, m := range r.rss {
		g := r.plan.rss[i].goalMiB
		goal := "no goal"
		if g > 0 {
			goal = fmt.Sprintf("goal <= %g MiB: %s", g, plainVerdict(m.peakMiB() <= g))
		}
		fmt.Fprintf(&b, "peak RSS at %5d tokens:   %.1f MiB (%s)\n", r.plan.rss[i].spec.SeqLen, m.peakMiB(), goal)
	}
	fmt.Fprintf(&b, "the suite (lrpsim table):  %.3f s wall, %.3f s CPU (run once)\n", r.suite.medWall(), r.suite.medCPU())
	if x := r.rtl; x.simulator != "" {
		fmt.Fprintf(&b, "front end, Go model / %s: %.3g / %.3g pairs/s = %.0fx\n", x.simulator, x.modelPairsPerSec(), x.rtlPairsPerSec(), x.modelPairsPerSec()/x.rtlPairsPerSec())
	} else {
		fmt.Fprintf(&b, "front end vs RTL: not measured (%s)\n", strings.Join(x.missing, "; "))
	}
	return b.String()
}
