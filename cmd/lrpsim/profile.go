package main

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"

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
	peak             *peakHeap     // the heap profile at the largest live heap; nil when none
}

// peakHeap keeps the heap profile taken after the garbage collection that left the most live
// heap: what a run's peak resident memory is made of, which a profile taken at the end (after
// the run has dropped everything) cannot show. A finalizer on a sentinel runs after every
// collection and re-arms itself with a new sentinel until stopped.
type peakHeap struct {
	mu      sync.Mutex
	stopped bool
	live    uint64 // the largest live heap seen, bytes
	profile []byte // the heap profile taken then
	sample  []metrics.Sample
}

func newPeakHeap() *peakHeap {
	h := &peakHeap{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	h.arm()
	return h
}

// arm sets a finalizer on a new sentinel: it runs after the next collection finds it dead.
func (h *peakHeap) arm() {
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) { h.collected() })
}

// collected reads the live heap the collection left; a new largest one takes a heap profile
// (pprof's heap profile is as of the last completed collection: this one).
func (h *peakHeap) collected() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	metrics.Read(h.sample)
	if h.sample[0].Value.Kind() == metrics.KindUint64 {
		if live := h.sample[0].Value.Uint64(); live > h.live || h.profile == nil {
			var buf bytes.Buffer
			if pprof.WriteHeapProfile(&buf) == nil {
				h.live, h.profile = live, buf.Bytes()
			}
		}
	}
	h.arm()
}

// stop ends the watch and returns the profile at the largest live heap (nil when no
// collection ran).
func (h *peakHeap) stop() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	return h.profile
}

func (p *profiler) addFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&p.cpuPath, "cpuprofile", "", "write a CPU profile of the command to this file (for go tool pprof)")
	f.StringVar(&p.memPath, "memprofile", "", "write a heap profile to this file, taken after the garbage collection that left the largest live heap (inuse_space: what the peak memory is made of; alloc_space: allocations up to then)")
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
	if p.memPath != "" {
		p.peak = newPeakHeap()
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
		data := p.peak.stop()
		if data == nil {
			// No collection ran: a command too small to need one; its heap as it ends.
			var buf bytes.Buffer
			runtime.GC()
			if err := pprof.WriteHeapProfile(&buf); err != nil {
				return fmt.Errorf("--memprofile %s: %w", p.memPath, err)
			}
			data = buf.Bytes()
		}
		if err := sim.WriteOutputs(sim.Output{Path: p.memPath, Data: data}); err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
	}
	return nil
}
