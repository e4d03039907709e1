package engine

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/lrpsim/lrpsim/arch"
)

// Cause is what a processing unit's cycle went to: the resource that bounded it.
type Cause int

// The causes, in report order.
const (
	// Lanes: the front end worked on a row task (stepping keys, fill, drain).
	Lanes Cause = iota
	// BackEnd: the front end held a push the full FIFO refused, or, its tasks done, the back end
	// still drained its entries.
	BackEnd
	// DRAMBandwidth: the front end waited for a tile while data moved on a DRAM channel.
	DRAMBandwidth
	// DRAMLatency: the front end waited for a tile while requests were in flight but no data
	// moved (or a load was about to start).
	DRAMLatency
	// Buffers: the front end waited for a tile whose load waited for a free K/V buffer.
	Buffers
	// Dependencies: the front end waited for a tile whose load waited for the previous layer
	// of its inputs to end (layer_dependency).
	Dependencies
	// Idle: the unit had no task (nothing dispatched to it) while the run went on.
	Idle
	numCauses
)

// Causes lists every cause in report order.
func Causes() []Cause {
	return []Cause{Lanes, BackEnd, DRAMBandwidth, DRAMLatency, Buffers, Dependencies, Idle}
}

// Name is the cause's metric name.
func (c Cause) Name() string {
	return [...]string{"lanes", "back_end", "dram_bandwidth", "dram_latency", "buffers", "dependencies", "idle"}[c]
}

// Short is the cause in a word or two, for tables.
func (c Cause) Short() string {
	return [...]string{"lanes", "back end", "DRAM bandwidth", "DRAM latency", "buffers", "dependencies", "idle"}[c]
}

// Label is the cause in words, for the verdict.
func (c Cause) Label() string {
	return [...]string{"front-end-lane bound", "back-end bound", "memory-bandwidth bound", "memory-latency bound",
		"buffer-capacity bound", "layer-dependency bound", "dispatch bound (units idle)"}[c]
}

// Bound says what bounded a run: every unit-cycle of the run (units x cycles) attributed to one
// cause, in total and per layer (arch/README.md, "What bounds a run").
type Bound struct {
	UnitCycles int64                `json:"unit_cycles"`
	Cycles     [numCauses]int64     `json:"-"`
	Layers     map[int]*LayerCycles `json:"-"`
}

// LayerCycles are one layer's unit-cycles by cause (idle cycles belong to no layer).
type LayerCycles struct {
	Cycles [numCauses]int64
}

// Share is the fraction of the run's unit-cycles that went to cause c.
func (b *Bound) Share(c Cause) float64 {
	if b == nil || b.UnitCycles == 0 {
		return 0
	}
	return float64(b.Cycles[c]) / float64(b.UnitCycles)
}

// Top is the cause with the most unit-cycles (the first in report order on a tie).
func (b *Bound) Top() Cause {
	top := Lanes
	for _, c := range Causes() {
		if b.Cycles[c] > b.Cycles[top] {
			top = c
		}
	}
	return top
}

// Verdict is the one-line summary: "memory-latency bound: 93% of unit-cycles".
func (b *Bound) Verdict() string {
	if b == nil || b.UnitCycles == 0 {
		return "empty run"
	}
	t := b.Top()
	return fmt.Sprintf("%s: %.0f%% of unit-cycles", t.Label(), 100*b.Share(t))
}

// LayerTop is the cause with the most unit-cycles in a layer, and its share of the layer's.
func (l *LayerCycles) LayerTop() (Cause, float64) {
	var total int64
	top := Lanes
	for _, c := range Causes() {
		total += l.Cycles[c]
		if l.Cycles[c] > l.Cycles[top] {
			top = c
		}
	}
	if total == 0 {
		return top, 0
	}
	return top, float64(l.Cycles[top]) / float64(total)
}

// span is a run of cycles [from, to).
type span struct{ from, to int64 }

// boundUnit is what the analyzer keeps of one processing unit.
type boundUnit struct {
	busy        int64  // cycles in row tasks: a sum, not a list (a long head has millions of tasks)
	waits       []span // waits for memory, merged, in order
	waitLayer   []int  // the layer of the task that followed each wait (-1: none)
	pendStall   int64  // stall cycles of the task in progress
	lastTaskEnd int64
	beEnd       int64 // end of the back end's last work
}

// boundObserver attributes every unit-cycle to a cause from what the units report. Both engines
// feed it the same reports, so their bounds agree.
type boundObserver struct {
	w     *workload
	units []boundUnit
	// inflight and data are the cycles in which some DRAM request was in flight (issue to last
	// data cycle) and in which data moved: unions of the requests' spans, kept merged as they
	// come, since only whether any request is in flight matters, not how many.
	inflight, data []span
	bufWaits       []span
	depWaits       []span
	layers         map[int]*LayerCycles
	cycles         [numCauses]int64
}

func newBoundObserver(w *workload, units int) *boundObserver {
	b := &boundObserver{w: w, units: make([]boundUnit, units), layers: map[int]*LayerCycles{}}
	for u := range b.units {
		b.units[u].lastTaskEnd, b.units[u].beEnd = -1, -1
	}
	return b
}

func (b *boundObserver) layer(l int) *LayerCycles {
	lc := b.layers[l]
	if lc == nil {
		lc = &LayerCycles{}
		b.layers[l] = lc
	}
	return lc
}

func (b *boundObserver) RowTask(unit, head, row int, start, end int64) {
	u := &b.units[unit]
	u.busy += end + 1 - start
	layer := b.w.head(head).src.Layer
	stall := u.pendStall
	u.pendStall = 0
	lc := b.layer(layer)
	lc.Cycles[BackEnd] += stall
	lc.Cycles[Lanes] += end + 1 - start - stall
	b.cycles[BackEnd] += stall
	b.cycles[Lanes] += end + 1 - start - stall
	u.lastTaskEnd = end
	for i := len(u.waitLayer) - 1; i >= 0 && u.waitLayer[i] < 0; i-- {
		u.waitLayer[i] = layer
	}
}

func (b *boundObserver) BackEndWork(unit, head, row int, marker, keepMax bool, pop, end int64) {
	b.units[unit].beEnd = max(b.units[unit].beEnd, end)
}

func (b *boundObserver) FIFOFill(unit int, cycle int64, entries int)       {}
func (b *boundObserver) LoadStarted(tile int, cycle int64, segs []Segment) {}
func (b *boundObserver) Request(r arch.Request) {
	b.inflight = unionAdd(b.inflight, r.Issue, r.Last+1)
	b.data = unionAdd(b.data, r.First, r.Last+1)
}
func (b *boundObserver) BuffersInUse(cycle int64, n int) {}

func (b *boundObserver) Stalled(unit int, from, to int64) { b.units[unit].pendStall += to - from }

func (b *boundObserver) Waited(unit int, from, to int64) {
	u := &b.units[unit]
	if n := len(u.waits); n > 0 && u.waits[n-1].to == from {
		u.waits[n-1].to = to
		return
	}
	u.waits = append(u.waits, span{from, to})
	u.waitLayer = append(u.waitLayer, -1)
}

func (b *boundObserver) BufferWaited(from, to int64) { b.bufWaits = addSpan(b.bufWaits, from, to) }

func (b *boundObserver) DependencyWaited(from, to int64) { b.depWaits = addSpan(b.depWaits, from, to) }

// addSpan appends [from, to) to spans, merging it into the last span when they touch.
func addSpan(spans []span, from, to int64) []span {
	if n := len(spans); n > 0 && spans[n-1].to == from {
		spans[n-1].to = to
		return spans
	}
	return append(spans, span{from, to})
}

// unionAdd adds [from, to) to a union of spans kept as a list: merged into the last span when
// they overlap or touch (requests come nearly in order, so the list stays short), appended
// otherwise; union sorts and merges the whole list.
func unionAdd(spans []span, from, to int64) []span {
	if n := len(spans); n > 0 && from <= spans[n-1].to && to >= spans[n-1].from {
		spans[n-1].from, spans[n-1].to = min(spans[n-1].from, from), max(spans[n-1].to, to)
		return spans
	}
	return append(spans, span{from, to})
}

// union sorts spans and merges those that overlap or touch.
func union(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	var out []span
	for _, s := range spans {
		out = unionAdd(out, s.from, s.to)
	}
	return out
}

// memState is the memory system's state over a run of cycles: the cause a waiting unit's
// cycle goes to, and the cumulative cycles of each cause before the run starts.
type memState struct {
	from  int64
	cause Cause
	cum   [numCauses]int64
}

// memoryStates cuts time into runs of constant memory state: data moving on some channel,
// else requests in flight, else a load waiting for a buffer, else a load waiting for the
// previous layer, else latency (a load about to start).
func (b *boundObserver) memoryStates() []memState {
	type delta struct {
		at             int64
		data, inflight int
		buf, dep       int
	}
	var ds []delta
	for _, r := range union(b.inflight) {
		ds = append(ds, delta{at: r.from, inflight: 1}, delta{at: r.to, inflight: -1})
	}
	for _, r := range union(b.data) {
		ds = append(ds, delta{at: r.from, data: 1}, delta{at: r.to, data: -1})
	}
	for _, s := range b.bufWaits {
		ds = append(ds, delta{at: s.from, buf: 1}, delta{at: s.to, buf: -1})
	}
	for _, s := range b.depWaits {
		ds = append(ds, delta{at: s.from, dep: 1}, delta{at: s.to, dep: -1})
	}
	// Deltas at one cycle are summed before the state is read, so their order does not matter.
	slices.SortFunc(ds, func(x, y delta) int { return cmp.Compare(x.at, y.at) })
	states := []memState{{from: 0, cause: DRAMLatency}}
	var data, inflight, buf, dep int
	for i := 0; i < len(ds); {
		at := ds[i].at
		for ; i < len(ds) && ds[i].at == at; i++ {
			data += ds[i].data
			inflight += ds[i].inflight
			buf += ds[i].buf
			dep += ds[i].dep
		}
		cause := DRAMLatency
		switch {
		case data > 0:
			cause = DRAMBandwidth
		case inflight > 0:
			cause = DRAMLatency
		case buf > 0:
			cause = Buffers
		case dep > 0:
			cause = Dependencies
		}
		prev := &states[len(states)-1]
		if at <= prev.from {
			prev.cause = cause
			continue
		}
		next := memState{from: at, cause: cause, cum: prev.cum}
		next.cum[prev.cause] += at - prev.from
		states = append(states, next)
	}
	return states
}

// memoryCycles splits the cycles [from, to) by the memory's state.
func memoryCycles(states []memState, from, to int64) [numCauses]int64 {
	at := func(x int64) [numCauses]int64 {
		i := sort.Search(len(states), func(i int) bool { return states[i].from > x }) - 1
		c := states[i].cum
		c[states[i].cause] += x - states[i].from
		return c
	}
	a, z := at(from), at(to)
	var out [numCauses]int64
	for c := range out {
		out[c] = z[c] - a[c]
	}
	return out
}

// finish attributes the rest of each unit's cycles once the run has ended at cycles.
func (b *boundObserver) finish(cycles int64) *Bound {
	states := b.memoryStates()
	bd := &Bound{UnitCycles: cycles * int64(len(b.units)), Layers: b.layers}
	bd.Cycles = b.cycles
	for i := range b.units {
		u := &b.units[i]
		var waited int64
		var drainWaits int64 // wait cycles after the unit's last task, while its back end drains
		for k, w := range u.waits {
			to := min(w.to, cycles)
			if to <= w.from {
				continue
			}
			split := memoryCycles(states, w.from, to)
			for _, c := range []Cause{DRAMBandwidth, DRAMLatency, Buffers, Dependencies} {
				bd.Cycles[c] += split[c]
				if l := u.waitLayer[k]; l >= 0 {
					b.layer(l).Cycles[c] += split[c]
				}
			}
			waited += to - w.from
			lo, hi := max(w.from, u.lastTaskEnd+1), min(to, u.beEnd)
			if hi > lo {
				drainWaits += hi - lo
			}
		}
		idle := cycles - u.busy - waited
		// Idle cycles after the last task while the unit's back end still works drain it.
		drain := max(min(u.beEnd, cycles)-(u.lastTaskEnd+1), 0) - drainWaits
		drain = min(max(drain, 0), idle)
		bd.Cycles[BackEnd] += drain
		bd.Cycles[Idle] += idle - drain
	}
	return bd
}

// MarshalJSON writes the bound with its cycles and shares by cause name, the verdict, and the
// layers in order with their top cause.
func (b *Bound) MarshalJSON() ([]byte, error) {
	type layerJSON struct {
		Layer  int              `json:"layer"`
		Top    string           `json:"top"`
		Share  float64          `json:"top_share"`
		Cycles map[string]int64 `json:"unit_cycles_by_cause"`
	}
	out := struct {
		Verdict    string             `json:"verdict"`
		Top        string             `json:"top"`
		UnitCycles int64              `json:"unit_cycles"`
		Cycles     map[string]int64   `json:"unit_cycles_by_cause"`
		Shares     map[string]float64 `json:"shares"`
		Layers     []layerJSON        `json:"layers"`
	}{Verdict: b.Verdict(), Top: b.Top().Name(), UnitCycles: b.UnitCycles, Cycles: map[string]int64{}, Shares: map[string]float64{}}
	for _, c := range Causes() {
		out.Cycles[c.Name()] = b.Cycles[c]
		out.Shares[c.Name()] = b.Share(c)
	}
	for _, l := range b.LayerOrder() {
		lc := b.Layers[l]
		top, share := lc.LayerTop()
		lj := layerJSON{Layer: l, Top: top.Name(), Share: share, Cycles: map[string]int64{}}
		for _, c := range Causes() {
			lj.Cycles[c.Name()] = lc.Cycles[c]
		}
		out.Layers = append(out.Layers, lj)
	}
	return json.Marshal(out)
}

// LayerOrder lists the layers in increasing order.
func (b *Bound) LayerOrder() []int {
	ls := make([]int, 0, len(b.Layers))
	for l := range b.Layers {
		ls = append(ls, l)
	}
	sort.Ints(ls)
	return ls
}

// withBound returns the options the engines run with: the user's observer, if any, beside a new
// bound analyzer.
func withBound(opts Options, w *workload, units int) (Options, *boundObserver) {
	b := newBoundObserver(w, units)
	if opts.Observer == nil {
		opts.Observer = b
	} else {
		opts.Observer = Fanout(b, opts.Observer)
	}
	return opts, b
}
