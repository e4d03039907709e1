package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profiler writes Go's CPU and heap profiles of one command, for `go tool pprof`. The flags are
// on every command because the expensive ones (run, sweep, table) are the ones worth profiling.
type profiler struct {
	cpuPath, memPath string
	cpu              *os.File
}

func (p *profiler) addFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&p.cpuPath, "cpuprofile", "", "write a CPU profile of the command to this file (for go tool pprof)")
	f.StringVar(&p.memPath, "memprofile", "", "write a heap profile, taken when the command ends, to this file")
}

// start begins the CPU profile, if one was asked for.
func (p *profiler) start() error {
	if p.cpuPath == "" {
		return nil
	}
	f, err := os.Create(p.cpuPath)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile %s: %w", p.cpuPath, err)
	}
	p.cpu = f
	return nil
}

// stop ends the CPU profile and writes the heap profile, if asked for. Cobra runs it only after
// a command that succeeded; a failing command leaves no complete profile.
func (p *profiler) stop() error {
	var first error
	if p.cpu != nil {
		pprof.StopCPUProfile()
		if err := p.cpu.Close(); err != nil {
			first = fmt.Errorf("--cpuprofile %s: %w", p.cpuPath, err)
		}
		p.cpu = nil
	}
	if p.memPath != "" {
		f, err := os.Create(p.memPath)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		runtime.GC() // the profile shows what is live at the end, as pprof's docs advise
		if err := pprof.WriteHeapProfile(f); err != nil && first == nil {
			first = fmt.Errorf("--memprofile %s: %w", p.memPath, err)
		}
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("--memprofile %s: %w", p.memPath, err)
		}
	}
	return first
}
