package main

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/lrpsim/lrpsim/sim"
)

// profiler writes Go's CPU and heap profiles of one command, for `go tool pprof`. The flags are
// on every command because the expensive ones (run, sweep, table) are the ones worth profiling.
//
// Both profiles are written as every other output is (sim.WriteOutputs: atomically, devices
// and FIFOs written through, links followed), and a write error is reported for both: the CPU
// profile is collected in memory, because runtime/pprof drops the errors of a file it streams
// to.
type profiler struct {
	cpuPath, memPath string
	cpu              *bytes.Buffer // the CPU profile being collected; nil when none
}

func (p *profiler) addFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&p.cpuPath, "cpuprofile", "", "write a CPU profile of the command to this file (for go tool pprof)")
	f.StringVar(&p.memPath, "memprofile", "", "write a heap profile, taken when the command ends, to this file")
}

// start checks both output paths, so that a bad one fails before the command's work, and
// begins the CPU profile, if one was asked for.
func (p *profiler) start() error {
	for _, c := range []struct{ flag, path string }{{"--cpuprofile", p.cpuPath}, {"--memprofile", p.memPath}} {
		if c.path == "" {
			continue
		}
		if err := sim.CheckOutput(c.path); err != nil {
			return fmt.Errorf("%s: %w", c.flag, err)
		}
	}
	if p.cpuPath != "" && p.memPath != "" && sim.SameOutput(p.cpuPath, p.memPath) {
		return fmt.Errorf("--cpuprofile %s and --memprofile %s name the same file: give each its own", p.cpuPath, p.memPath)
	}
	if p.cpuPath == "" {
		return nil
	}
	p.cpu = new(bytes.Buffer)
	if err := pprof.StartCPUProfile(p.cpu); err != nil {
		p.cpu = nil
		return fmt.Errorf("--cpuprofile %s: %w", p.cpuPath, err)
	}
	return nil
}

// stop ends the CPU profile and writes it and the heap profile, if asked for. Cobra runs it only
// after a command that succeeded; a failing command leaves no profile.
func (p *profiler) stop() error {
	if p.cpu != nil {
		pprof.StopCPUProfile()
		data := p.cpu.Bytes()
		p.cpu = nil
		if err := sim.WriteOutputs(sim.Output{Path: p.cpuPath, Data: data}); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	if p.memPath != "" {
		var buf bytes.Buffer
		runtime.GC() // the profile shows what is live at the end, as pprof's docs advise
		if err := pprof.WriteHeapProfile(&buf); err != nil {
			return fmt.Errorf("--memprofile %s: %w", p.memPath, err)
		}
		if err := sim.WriteOutputs(sim.Output{Path: p.memPath, Data: buf.Bytes()}); err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
	}
	return nil
}
