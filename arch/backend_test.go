package arch

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// beFeed is one entry the front end pushes into the FIFO at cycle push.
type beFeed struct {
	push int64
	e    Entry
}

// bePop is one pop as a driver saw it.
type bePop struct {
	cycle, end int64
	e          Entry
}

// beResult is what a back-end run is compared on.
type beResult struct {
	pops                                  []bePop
	cycles                                int64
	busy, starved, surv, kept, rows, macs int64
}

// runBackEndPerCycle steps the unit every cycle, the pop before that cycle's pushes, until tail
// cycles after its last work (other units may run longer than this one).
func runBackEndPerCycle(p BackEndParams, feed []beFeed, tail int64) beResult {
	b, f := NewBackEndUnit(p), NewFIFO(len(feed)+1)
	var r beResult
	next, lastBusy := 0, int64(-1)
	for c := int64(0); next < len(feed) || f.Len() > 0 || c <= lastBusy+tail; c++ {
		if e, end := b.Step(c, f); e != nil {
			r.pops = append(r.pops, bePop{c, end, *e})
			lastBusy = max(lastBusy, end-1)
		}
		for ; next < len(feed) && feed[next].push == c; next++ {
			f.Push(feed[next].e)
			lastBusy = max(lastBusy, c)
		}
		r.cycles = c + 1
	}
	r.busy, r.starved = b.BusyCycles, b.StarvedCycles
	r.surv, r.kept, r.rows, r.macs = b.Survivors, b.KeptMax, b.Rows, b.MacCycles
	return r
}

// runBackEndEvents runs the unit only at the pops NextEvent names, with the pushes in between
// delivered first (a push at cycle p is behind a pop at p, so pushes before the next pop go in).
func runBackEndEvents(p BackEndParams, feed []beFeed, tail int64) beResult {
	b, f := NewBackEndUnit(p), NewFIFO(len(feed)+1)
	var r beResult
	next, lastBusy := 0, int64(-1)
	for {
		n := b.NextEvent(f)
		if next < len(feed) && feed[next].push < n {
			f.Push(feed[next].e)
			lastBusy = max(lastBusy, feed[next].push)
			next++
			continue
		}
		if n == Never {
			break
		}
		e, end := b.PopAt(n, f)
		r.pops = append(r.pops, bePop{n, end, e})
		lastBusy = max(lastBusy, end-1)
	}
	r.cycles = lastBusy + 1 + tail
	b.Finish(r.cycles)
	r.busy, r.starved = b.BusyCycles, b.StarvedCycles
	r.surv, r.kept, r.rows, r.macs = b.Survivors, b.KeptMax, b.Rows, b.MacCycles
	return r
}

// randFeed is a random entry sequence: rows of survivors then a marker (a keep-max marker when a
// row kept none, half the time), pushed at nondecreasing cycles with gaps and bursts.
func randFeed(r *rand.Rand, rows int) []beFeed {
	var feed []beFeed
	c := int64(r.IntN(5))
	for row := 0; row < rows; row++ {
		dv := 1 + r.IntN(9)
		n := r.IntN(4)
		for k := 0; k < n; k++ {
			feed = append(feed, beFeed{c, Entry{Row: row, Key: k, DV: dv, Visible: c + 1}})
			c += int64(r.IntN(3)) // 0: several pushes in one cycle
		}
		feed = append(feed, beFeed{c, Entry{Row: row, Key: -1, Marker: true, KeepMax: n == 0 && r.IntN(2) == 0,
			DV: dv, Visible: c + 1}})
		c += int64(r.IntN(6))
	}
	return feed
}

// TestBackEndHandWorked: the pop rules of arch/README.md on small sequences, cycle by cycle.
func TestBackEndHandWorked(t *testing.T) {
	for _, tc := range []struct {
		name       string
		p          BackEndParams
		feed       []beFeed
		pops       [][2]int64 // (pop cycle, end)
		cycles     int64
		busy, strv int64
	}{
		{
			// A marker alone with N = 0: popped at 1 (visible 1), busy [1, max(1+0, 2)) = {1}.
			name: "marker, norm 0", p: BackEndParams{Macs: 1, ExpLatency: 2, NormLatency: 0},
			feed:   []beFeed{{0, Entry{Marker: true, DV: 2, Visible: 1}}},
			pops:   [][2]int64{{1, 2}},
			cycles: 2, busy: 1, strv: 1,
		},
		{
			// Survivor at 1: exp 1..2, MACs 3..4 (M = 2), ready 3. Marker popped 3: n0 =
			// max(3, 5) = 5, N = 0: end max(5, 4) = 5. Busy 1..4, starved {0}.
			name: "marker after MACs, norm 0", p: BackEndParams{Macs: 1, ExpLatency: 2, NormLatency: 0},
			feed:   []beFeed{{0, Entry{DV: 2, Visible: 1}}, {0, Entry{Marker: true, DV: 2, Visible: 1}}},
			pops:   [][2]int64{{1, 5}, {3, 5}},
			cycles: 5, busy: 4, strv: 1,
		},
		{
			// Keep-max marker at 1: a survivor (exp 1, MACs 2..4: dv 5, macs 2, M = 3), then
			// normalization n0 = max(1, 5) = 5, 5..6, end 7. A second row's marker pushed at 1
			// is popped at 7 (ready 7): n0 = 7, 7..8, end 9. Busy 1..8, starved {0}.
			name: "keep-max marker", p: BackEndParams{Macs: 2, ExpLatency: 1, NormLatency: 2},
			feed: []beFeed{{0, Entry{Marker: true, KeepMax: true, DV: 5, Visible: 1}},
				{1, Entry{Row: 1, Marker: true, DV: 5, Visible: 2}}},
			pops:   [][2]int64{{1, 7}, {7, 9}},
			cycles: 9, busy: 8, strv: 1,
		},
	} {
		for _, run := range []struct {
			name string
			f    func(BackEndParams, []beFeed, int64) beResult
		}{{"per-cycle", runBackEndPerCycle}, {"events", runBackEndEvents}} {
			got := run.f(tc.p, tc.feed, 0)
			var pops [][2]int64
			for _, p := range got.pops {
				pops = append(pops, [2]int64{p.cycle, p.end})
			}
			if !reflect.DeepEqual(pops, tc.pops) || got.cycles != tc.cycles || got.busy != tc.busy || got.starved != tc.strv {
				t.Errorf("%s, %s: pops %v, %d cycles, busy %d, starved %d; want %v, %d, %d, %d", tc.name, run.name,
					pops, got.cycles, got.busy, got.starved, tc.pops, tc.cycles, tc.busy, tc.strv)
			}
		}
	}
}

// TestBackEndSkipAheadMatchesStep: NextEvent/PopAt/Finish account the same pops, busy and
// starved cycles as Step run every cycle, on random entry sequences and parameters.
func TestBackEndSkipAheadMatchesStep(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 17))
	for _, tc := range []struct {
		name                   string
		maxMacs, maxExp, maxNo int
	}{
		{"norm 0, no exp", 4, 1, 1},
		{"norm 0, exp", 4, 4, 1},
		{"long normalization", 3, 3, 9},
		{"one multiplier", 1, 5, 5},
	} {
		for it := 0; it < 200; it++ {
			p := BackEndParams{Macs: 1 + r.IntN(tc.maxMacs), ExpLatency: r.IntN(tc.maxExp), NormLatency: r.IntN(tc.maxNo)}
			feed := randFeed(r, 1+r.IntN(6))
			tail := int64(r.IntN(4))
			want, got := runBackEndPerCycle(p, feed, tail), runBackEndEvents(p, feed, tail)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("%s, iter %d, %+v, tail %d, feed %+v:\nper-cycle %+v\nevents    %+v", tc.name, it, p, tail, feed, want, got)
			}
		}
	}
}

// TestFIFORing holds the ring buffer to a plain slice queue over random pushes and pops, across
// the growth from its first 64 slots to depths beyond them and wrap-arounds at every size.
func TestFIFORing(t *testing.T) {
	for _, depth := range []int{1, 3, 64, 65, 200} {
		r := rand.New(rand.NewPCG(uint64(depth), 7))
		f := NewFIFO(depth)
		var model []Entry
		for i := 0; i < 5000; i++ {
			if r.IntN(3) != 0 && f.CanPush() {
				e := Entry{Row: i, Key: r.IntN(100), Visible: int64(i)}
				f.Push(e)
				model = append(model, e)
			} else if f.Len() > 0 {
				if got := f.Pop(); got != model[0] {
					t.Fatalf("depth %d, op %d: popped %+v, want %+v", depth, i, got, model[0])
				}
				model = model[1:]
			}
			if f.Len() != len(model) || f.Room() != depth-len(model) || f.CanPush() != (len(model) < depth) {
				t.Fatalf("depth %d, op %d: len %d room %d, want len %d", depth, i, f.Len(), f.Room(), len(model))
			}
			if e, ok := f.Peek(); ok != (len(model) > 0) || (ok && e != model[0]) {
				t.Fatalf("depth %d, op %d: peek %+v %v", depth, i, e, ok)
			}
		}
	}
}
