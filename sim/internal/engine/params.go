package engine

import (
	"fmt"
	"sync"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

// Params are one configuration's resolved parameters, as the engines take them: typed, checked
// and with every choice made (the sim package builds them from a Config).
type Params struct {
	Name  string
	Units int

	// FrontEnd are the units' parameters; its BitsK is set per head from the trace.
	FrontEnd arch.FrontEndParams
	// BitParallel consumes every bit-plane of a key in one step: planes per step are each head's
	// key width (the bit-parallel baseline), whatever FrontEnd.BitsPerCycle says.
	BitParallel bool
	BackEnd     arch.BackEndParams
	FIFODepth   int

	SRAMQBytes  int64 // Q buffer: a head's Q must fit
	SRAMKVBytes int64 // K/V SRAM, split into KVBuffers tile buffers
	KVBuffers   int
	// Memory is the memory model (a registered one, arch.MemoryModels) with its parameters.
	Memory arch.Variant

	// The widest operands of the datapath.
	BitsQ, BitsK, BitsV int

	// PackHeads loads consecutive heads that fit one K/V buffer (and the Q buffer) together,
	// in one load.
	PackHeads bool
	// Dispatch is the dispatcher (a registered one, arch.Dispatchers) with its parameters; the
	// zero Variant is static dispatch (query row r of a head to unit r mod Units).
	Dispatch arch.Variant

	// VOnDemand: a tile's load brings Q and K only; the V row of a key is fetched when a survivor
	// of it is pushed, once per tile, and the back end pops the survivor once its V row is in
	// (the pipelined memory, an arch.RowFetcher).
	VOnDemand bool
	// KPlaneMajor: K is stored in DRAM bit-plane by bit-plane per tile, and a tile's load brings
	// only the planes some lane of the tile reads (its deepest pair's step).
	KPlaneMajor bool
	// eagerTasks makes every tile's tasks when its block is prepared, as before tasks were made
	// at each tile's load (prepareBlock); tests compare the two.
	eagerTasks bool
	// KBroadcast: one K SRAM read of a key's plane serves every unit whose row needs it in the
	// same wave of rows (the rows the units take together), instead of one read per row.
	KBroadcast bool

	// LayerDependency: layer l+1 of an input waits for every tile of layer l of that input to
	// end before its load starts, and heads run in layer-major order (layer, input, head).
	LayerDependency bool

	// LayerThresholds: one threshold register per layer (a per-head threshold is an error).
	LayerThresholds bool
	// ThresholdScale multiplies the trace's real thresholds.
	ThresholdScale float64

	// Policy is the runtime pruning rule that decides each pair (arch/POLICIES.md); nil is
	// LeOPArd's learned threshold.
	Policy arch.PruningPolicy
}

// policy is the configuration's pruning rule, LeOPArd's when none is set.
func (p *Params) policy() arch.PruningPolicy {
	if p.Policy == nil {
		return arch.LeOPArd{}
	}
	return p.Policy
}

// sharesTables reports whether the configuration takes its pair tables from the shared set
// whose tables are computed with policy pol at sharedBPC planes per step: it decides with the
// same rule, and at the same planes per step unless it ignores the steps (no early
// termination).
func (p *Params) sharesTables(pol arch.PruningPolicy, sharedBPC int) bool {
	return p.policy() == pol && (!p.FrontEnd.EarlyTermination || (!p.BitParallel && p.FrontEnd.BitsPerCycle == sharedBPC))
}

// newMemory builds the configured memory system over the workload's tiles.
func (p *Params) newMemory(w *workload, l arch.MemoryListener) arch.Memory {
	return arch.NewMemory(p.Memory, w, l)
}

// newDispatcher builds the configured dispatcher.
func (p *Params) newDispatcher(w *workload, mem arch.Memory) arch.Dispatcher {
	return arch.NewDispatcher(p.dispatch(), p.Units, w, mem)
}

// dispatch is the configured dispatcher, static when none is set.
func (p *Params) dispatch() arch.Variant {
	if p.Dispatch.Name == "" {
		return arch.Variant{Name: "static", Params: struct{}{}}
	}
	return p.Dispatch
}

// buckets is the number of task lists of a tile: one per unit, or one the units share (as the
// dispatcher says: static dispatch binds rows to units, dynamic shares).
func (p *Params) buckets() int { return arch.DispatchTaskLists(p.dispatch().Name, p.Units) }

// maxPackedHeads caps the heads one packed load holds, which bounds the heads a simulation holds
// at once (and so the shared window: a simulation waiting for room must never hold the window
// itself).
const maxPackedHeads = 16

// headsHeld bounds the heads one simulation holds at a time: those of its tiles loaded and in
// flight (the K/V buffers), the one being packed and the one being prepared, each of up to
// maxPackedHeads heads when heads are packed.
func (p *Params) headsHeld() int {
	perTile := 1
	if p.PackHeads {
		perTile = maxPackedHeads
	}
	return (p.KVBuffers + 3) * perTile
}

// planesPerStep is the planes a lane consumes per step on keys of bitsK bits.
func (p *Params) planesPerStep(bitsK int) int {
	if p.BitParallel {
		return bitsK
	}
	return p.FrontEnd.BitsPerCycle
}

// planesRead is the K bit-planes a lane has read of a bitsK-bit key after step steps.
func (p *Params) planesRead(bitsK, step int) int {
	return min(step*p.planesPerStep(bitsK), bitsK)
}

// Options tune a simulation.
type Options struct {
	// Record keeps every decision in Stats.Record (memory grows with the trace).
	Record bool
	// Observer, when set, hears what every unit does (timelines, DRAM traces).
	Observer Observer
	// Pool, when set, bounds the simulations computing at once (RunAll's configurations and
	// those of other runs sharing it); nil runs every configuration at once.
	Pool *Pool
	// FastPaths, when set, is a test's probe of the event engine's paced and free runs (it
	// may weaken their conditions, and it counts them); nil in every run but a test's. Its
	// type is internal to the engine, so only packages under sim can set it.
	FastPaths *FastPaths
}

// HeadSource yields the heads of a trace in order; *traces.Reader is one.
type HeadSource interface {
	NumHeads() int
	Head(idx int) (*traces.Head, error)
}

// Engines.
const (
	Event     = "event"
	Reference = "reference"
)

// Simulate runs one configuration over a trace with the named engine, alone.
func Simulate(p *Params, src HeadSource, engine string, opts Options) (*Stats, error) {
	switch engine {
	case Event, "":
		return runEvent(p, newWorkload(p, src, planeKernel), opts)
	case Reference:
		return runReference(p, src, opts)
	}
	return nil, fmt.Errorf("unknown engine %q (want %s or %s)", engine, Event, Reference)
}

// RunAll simulates several configurations of one trace with one engine and returns their
// statistics in order; opts apply to the first. With the event engine they run side by side,
// one goroutine each, sharing each head's read and its bit-plane kernel pass (computed with the
// first configuration's planes per step); every simulation is deterministic on its own, so the
// result does not depend on how they interleave. The reference engine runs them one after the
// other and shares nothing, as a reference should.
func RunAll(ps []*Params, src HeadSource, engine string, opts Options) ([]*Stats, error) {
	stats := make([]*Stats, len(ps))
	errs := make([]error, len(ps))
	optsFor := func(i int) Options {
		if i == 0 {
			return opts
		}
		return Options{Pool: opts.Pool}
	}
	switch engine {
	case Event, "":
		// Simulations share heads only with those that read them in the same order (the window
		// assumes it): one shared set per head order.
		perUser, users := map[bool]int{}, map[bool]int{}
		for _, p := range ps {
			perUser[p.LayerDependency] = max(perUser[p.LayerDependency], p.headsHeld())
			users[p.LayerDependency]++
		}
		bpc, pol := ps[0].FrontEnd.BitsPerCycle, ps[0].policy()
		tableUsers := map[bool]int{}
		for _, p := range ps {
			if p.sharesTables(pol, bpc) {
				tableUsers[p.LayerDependency]++
			}
		}
		shared := map[bool]*sharedHeads{}
		for k := range users {
			shared[k] = newSharedHeads(src, users[k], perUser[k], opts.Pool)
			shared[k].tableUsers = tableUsers[k]
			shared[k].policy = pol
		}
		var wg sync.WaitGroup
		for i, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				opts.Pool.acquire()
				defer opts.Pool.release()
				w := newWorkload(p, src, planeKernel)
				w.shared, w.sharedBPC = shared[p.LayerDependency], bpc
				stats[i], errs[i] = runEvent(p, w, optsFor(i))
				if errs[i] != nil {
					for _, s := range shared {
						s.stop()
					}
				}
			}()
		}
		wg.Wait()
	case Reference:
		opts.Pool.acquire()
		defer opts.Pool.release()
		for i, p := range ps {
			if stats[i], errs[i] = runReference(p, src, optsFor(i)); errs[i] != nil {
				break
			}
		}
	default:
		return nil, fmt.Errorf("unknown engine %q (want %s or %s)", engine, Event, Reference)
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("simulating %s: %w", ps[i].Name, err)
		}
	}
	return stats, nil
}
