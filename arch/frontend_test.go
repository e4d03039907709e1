package arch

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// feLog records what a front-end unit tells its listener, plus the cycles its tasks ended.
type feLog struct {
	Decisions []Decision
	Pushes    []string
	Ends      []int64
	Pops      []string
	Stalls    [][2]int64
}

func (l *feLog) Decided(d Decision)     { l.Decisions = append(l.Decisions, d) }
func (l *feLog) Stalled(from, to int64) { l.Stalls = append(l.Stalls, [2]int64{from, to}) }
func (l *feLog) Pushed(p Push, c int64) {
	l.Pushes = append(l.Pushes, fmt.Sprintf("%d:%+v", c, p))
}

// feResult is what the drivers are compared on: the log and the unit's counters.
type feResult struct {
	Log                                     feLog
	Busy, Stall, LaneSteps, LaneStalls      int64
	Tasks, MaxPassKeys, MaxPassRows         int64
	BackEndBusy, BackEndStarved, BackEndRow int64
}

func feResultOf(l *feLog, f *FrontEndUnit, b *BackEndUnit) feResult {
	return feResult{Log: *l, Busy: f.BusyCycles, Stall: f.StallCycles, LaneSteps: f.LaneStepCycles,
		LaneStalls: f.LaneStallCycles, Tasks: f.Tasks, MaxPassKeys: f.MaxPassKeys, MaxPassRows: f.MaxPassRows,
		BackEndBusy: b.BusyCycles, BackEndStarved: b.StarvedCycles, BackEndRow: b.Rows}
}

// feCase is one front-end unit, its FIFO and back end, and the row tasks it runs back to back
// from cycle start.
type feCase struct {
	p     FrontEndParams
	be    BackEndParams
	depth int
	start int64
	tasks []RowTask
}

// runFrontEndPerCycle runs the unit every cycle (the back end first in each cycle), with the
// tasks' precomputed decisions or, with bitSerial, with bit-serial lanes on the operands.
func runFrontEndPerCycle(t *testing.T, fc feCase, bitSerial bool) feResult {
	l := &feLog{}
	f, b, q := NewFrontEndUnit(fc.p, l), NewBackEndUnit(fc.be), NewFIFO(fc.depth)
	next, startAt, lastBusy := 0, fc.start, int64(-1)
	for c := int64(0); next < len(fc.tasks) || f.Busy() || q.Len() > 0 || c <= lastBusy; c++ {
		if c > 1<<20 {
			t.Fatal("per-cycle front end made no progress")
		}
		if e, end := b.Step(c, q); e != nil {
			l.Pops = append(l.Pops, fmt.Sprintf("%d:%+v", c, *e))
			lastBusy = max(lastBusy, end-1)
		}
		if !f.Busy() && next < len(fc.tasks) && c >= startAt {
			tk := fc.tasks[next]
			if !bitSerial {
				tk.Operands = nil
			} else {
				tk.Dec = nil
			}
			f.Start(tk, c)
			next++
		}
		if f.Cycle(c, q) {
			l.Ends = append(l.Ends, c)
			startAt = c + 1
		}
	}
	return feResultOf(l, f, b)
}

// runFrontEndEvents runs the unit only at the cycles its NextEvent names, at a cycle in which
// the back end freed a FIFO slot while it holds a refused push, and at a task's start; the back
// end only at its pops. In a cycle the back end goes first.
func runFrontEndEvents(t *testing.T, fc feCase) feResult {
	l := &feLog{}
	f, b, q := NewFrontEndUnit(fc.p, l), NewBackEndUnit(fc.be), NewFIFO(fc.depth)
	next, startAt, last, now := 0, fc.start, int64(-1), int64(0)
	for steps := 0; ; steps++ {
		if steps > 1<<20 {
			t.Fatal("event-driven front end made no progress")
		}
		beN, feN := b.NextEvent(q), int64(Never)
		switch {
		case !f.Busy():
			if next < len(fc.tasks) {
				feN = startAt
			}
		case f.Refused() && q.CanPush() && last < now:
			feN = now
		default:
			feN = f.NextEvent(last)
		}
		if beN == Never && feN == Never {
			break
		}
		if feN < now || beN < now {
			t.Fatalf("event at %d/%d before the clock %d", feN, beN, now)
		}
		if beN <= feN {
			now = beN
			e, _ := b.PopAt(now, q)
			l.Pops = append(l.Pops, fmt.Sprintf("%d:%+v", now, e))
			continue
		}
		now = feN
		if !f.Busy() {
			tk := fc.tasks[next]
			tk.Operands = nil
			f.Start(tk, now)
			next++
		}
		last = now
		if f.Cycle(now, q) {
			l.Ends = append(l.Ends, now)
			startAt = now + 1
		}
	}
	return feResultOf(l, f, b)
}

// randRows draws rows of random keys for one unit and turns them into row tasks with both the
// precomputed decisions and the operands: some rows split over two tiles (the first task
// without the marker, the second maybe without keys), some keep-max rows, thresholds from
// "everything survives" to "nothing does".
func randRows(r *rand.Rand, p FrontEndParams, keepMax bool, maxKeys int) []RowTask {
	bitsQ, bitsK := 2+r.IntN(15), 2+r.IntN(p.BitsK-1)
	d := 1 + r.IntN(8)
	draw := func(n, bits int) []int32 {
		out := make([]int32, n)
		lo, hi := -(int32(1) << (bits - 1)), (int32(1)<<(bits-1))-1
		for i := range out {
			switch r.IntN(6) {
			case 0:
				out[i] = lo
			case 1:
				out[i] = hi
			default:
				out[i] = lo + r.Int32N(hi-lo+1)
			}
		}
		return out
	}
	var tasks []RowTask
	rows := 1 + r.IntN(5)
	for row := 0; row < rows; row++ {
		m := r.IntN(maxKeys + 1)
		q, k := draw(d, bitsQ), draw(m*d, bitsK)
		var T int64
		if m > 0 {
			T = Dot(q, k[r.IntN(m)*d:][:d])
		}
		switch r.IntN(4) {
		case 0:
			T = 1 << 40 // nothing survives
		case 1:
			T = -(1 << 40) // everything does
		}
		ops := &TaskOperands{Q: q, QPlus: QPlus(q), T: T, K: k, D: d}
		dec := make([]uint8, m)
		for j := 0; j < m; j++ {
			s, _ := TermStep(q, k[j*d:(j+1)*d], T, bitsK, p.BitsPerCycle, true)
			dec[j] = uint8(s)
			if Dot(q, k[j*d:(j+1)*d]) >= T {
				dec[j] |= SurviveBit
			}
		}
		task := func(lo, hi int, last bool) RowTask {
			return RowTask{Row: row, N: hi - lo, Key0: lo, Last: last, BitsK: bitsK, DV: 1 + r.IntN(9),
				Dec:      dec[lo:hi],
				Operands: &TaskOperands{Q: q, QPlus: ops.QPlus, T: T, K: k[lo*d : hi*d], D: d}}
		}
		if split := r.IntN(m + 1); m > 1 && r.IntN(4) == 0 && split > 0 {
			tasks = append(tasks, task(0, split, false), task(split, m, true))
			continue
		}
		tk := task(0, m, true)
		tk.KeepMax = keepMax && r.IntN(2) == 0
		tasks = append(tasks, tk)
	}
	return tasks
}

// TestFrontEndSkipAheadMatchesCycle: a front-end unit run only at its NextEvent cycles (with
// decisions computed ahead by TermStep) makes the same decisions and pushes at the same cycles,
// ends its tasks at the same cycles and counts the same busy, stall and lane cycles as the unit
// run every cycle, with precomputed decisions and with bit-serial lanes; under back-pressure
// from a back-end unit, for both policies, above 64 lanes, with keep-max rows.
func TestFrontEndSkipAheadMatchesCycle(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 5))
	for _, tc := range []struct {
		name             string
		policy           LaneSchedule
		minLanes, lanes  int
		et, keepAll      bool
		maxBPC           int // planes per step drawn from 1..maxBPC; 16 takes every plane at once
		keepMax          bool
		wantMaxPass      bool
		wantStall        bool
		wantEarlyPruning bool
	}{
		{"dynamic", DynamicLanes, 1, 6, true, false, 3, false, false, true, true},
		{"lockstep", LockstepLanes, 1, 6, true, false, 3, false, false, true, true},
		{"dynamic keep-max", DynamicLanes, 1, 4, true, false, 2, true, true, true, true},
		{"lockstep keep-max", LockstepLanes, 1, 4, true, false, 2, true, true, true, true},
		{"prune only keep-max", DynamicLanes, 1, 4, false, false, 2, true, false, true, false},
		{"dense", DynamicLanes, 1, 4, false, true, 2, true, false, true, false},
		{"et only", LockstepLanes, 1, 4, true, true, 2, false, false, true, true},
		{"bit-parallel", DynamicLanes, 1, 4, false, true, 16, false, false, true, false},
		{"lanes above 64", DynamicLanes, 65, 130, true, false, 2, true, true, false, true},
		{"lockstep lanes above 64", LockstepLanes, 65, 130, true, false, 2, true, true, false, true},
	} {
		var maxPass, stall, early, wide int
		const iters = 120
		for it := 0; it < iters; it++ {
			p := FrontEndParams{Lanes: tc.minLanes + r.IntN(tc.lanes-tc.minLanes+1), BitsK: 16,
				BitsPerCycle: 1 + r.IntN(tc.maxBPC), Scheduling: tc.policy, EarlyTermination: tc.et, KeepAll: tc.keepAll,
				FillCycles: r.IntN(3), DrainCycles: r.IntN(3)}
			if tc.maxBPC == 16 {
				p.BitsPerCycle = 16 // the bit-parallel baseline: one step a key
			}
			fc := feCase{p: p, be: BackEndParams{Macs: 1 + r.IntN(4), ExpLatency: r.IntN(3), NormLatency: r.IntN(3)},
				depth: 1 + r.IntN(4), start: int64(r.IntN(4)), tasks: randRows(r, p, tc.keepMax, max(20, 2*tc.lanes))}
			name := fmt.Sprintf("%s, iter %d, %+v, back end %+v, depth %d", tc.name, it, p, fc.be, fc.depth)
			perCycle := runFrontEndPerCycle(t, fc, false)
			if got := runFrontEndEvents(t, fc); !reflect.DeepEqual(perCycle, got) {
				t.Fatalf("%s: events differ from per-cycle:\nper-cycle %+v\nevents    %+v", name, perCycle, got)
			}
			if got := runFrontEndPerCycle(t, fc, true); !reflect.DeepEqual(perCycle, got) {
				t.Fatalf("%s: bit-serial lanes differ from precomputed decisions:\nprecomputed %+v\nbit-serial  %+v", name, perCycle, got)
			}
			maxPass += b2i(perCycle.MaxPassKeys > 0)
			for _, d := range perCycle.Log.Decisions {
				if d.Lane >= 64 {
					wide++
					break
				}
			}
			stall += b2i(perCycle.Stall > 0)
			for _, d := range perCycle.Log.Decisions {
				if !d.Survive && d.Step < Steps(d2bits(fc, d), p.BitsPerCycle) {
					early++
					break
				}
			}
			if !tc.et && perCycle.MaxPassKeys != 0 {
				t.Fatalf("%s: %d keep-max pass keys with early termination off", name, perCycle.MaxPassKeys)
			}
		}
		t.Logf("%s: of %d cases, %d made a keep-max pass, %d stalled, %d terminated a key early, %d used a lane above 63",
			tc.name, iters, maxPass, stall, early, wide)
		for _, c := range []struct {
			what      string
			want      bool
			n         int
			forbidden bool
		}{
			{"a keep-max pass", tc.wantMaxPass, maxPass, !tc.wantMaxPass && !(tc.keepMax && tc.et && !tc.keepAll)},
			{"a stall", tc.wantStall, stall, false},
			{"an early-terminated key", tc.wantEarlyPruning, early, !tc.et},
			{"a lane above 63 take a key", tc.minLanes > 64, wide, tc.lanes <= 64},
		} {
			if c.want && c.n < iters/20 {
				t.Errorf("%s: only %d of %d cases made %s", tc.name, c.n, iters, c.what)
			}
			if c.forbidden && c.n > 0 {
				t.Errorf("%s: %d cases made %s, which the configuration cannot", tc.name, c.n, c.what)
			}
		}
	}
}

// d2bits is the key width of the task that made decision d.
func d2bits(fc feCase, d Decision) int {
	for _, tk := range fc.tasks {
		if tk.Row == d.Row {
			return tk.BitsK
		}
	}
	return fc.p.BitsK
}

// TestFrontEndKeepMaxPassHandWorked: one lane, 4-bit keys, q = (3, -2), T = 0, keys pruned at
// steps 1, 2 and 3 (arch's TermStep cases), fill 1, drain 1, starting at cycle 0.
//
//	fill at 0; first pass k0 1, k1 2..3, k2 4..6 (decisions at 1, 3, 6); nothing kept, so the
//	second pass runs from 7 with early termination off: 4 steps each, 7..10, 11..14, 15..18.
//	z = 18, drain 1: the keep-max marker is pushed at 19 and the task ends (busy 0..19 = 20);
//	it carries the largest key, k2 (q.k = -1 against -34 and -15).
func TestFrontEndKeepMaxPassHandWorked(t *testing.T) {
	q, k := []int32{3, -2}, []int32{-8, 5, -7, -3, 1, 2}
	tk := RowTask{N: 3, Last: true, KeepMax: true, MaxKey: 2, BitsK: 4, DV: 2, Dec: []uint8{1, 2, 3},
		Operands: &TaskOperands{Q: q, QPlus: QPlus(q), T: 0, K: k, D: 2}}
	fc := feCase{p: FrontEndParams{Lanes: 1, BitsK: 4, BitsPerCycle: 1, EarlyTermination: true, FillCycles: 1, DrainCycles: 1},
		be: BackEndParams{Macs: 1, ExpLatency: 0, NormLatency: 1}, depth: 2, tasks: []RowTask{tk}}
	wantCycles := []int64{1, 3, 6, 10, 14, 18}
	wantSteps := []int{1, 2, 3, 4, 4, 4}
	for name, res := range map[string]feResult{"per-cycle": runFrontEndPerCycle(t, fc, false),
		"bit-serial": runFrontEndPerCycle(t, fc, true), "events": runFrontEndEvents(t, fc)} {
		ds := res.Log.Decisions
		if len(ds) != 6 {
			t.Fatalf("%s: %d decisions, want 6: %+v", name, len(ds), ds)
		}
		for i, d := range ds {
			if d.Cycle != wantCycles[i] || d.Step != wantSteps[i] || d.Key != i%3 || d.MaxPass != (i >= 3) || d.Pushed || d.Survive {
				t.Errorf("%s: decision %d = %+v, want key %d at %d after %d steps, max pass %v, nothing pushed",
					name, i, d, i%3, wantCycles[i], wantSteps[i], i >= 3)
			}
		}
		if !reflect.DeepEqual(res.Log.Ends, []int64{19}) || res.Busy != 20 || res.LaneSteps != 18 ||
			res.MaxPassKeys != 3 || res.MaxPassRows != 1 || len(res.Log.Pushes) != 1 {
			t.Errorf("%s: ends %v, busy %d, lane steps %d, max pass %d keys / %d rows, pushes %v; want [19], 20, 18, 3/1, one marker",
				name, res.Log.Ends, res.Busy, res.LaneSteps, res.MaxPassKeys, res.MaxPassRows, res.Log.Pushes)
		}
		if len(res.Log.Pops) != 1 || res.Log.Pops[0] != fmt.Sprintf("20:%+v", Entry{Key: 2, Marker: true, KeepMax: true, DV: 2, Visible: 20}) {
			t.Errorf("%s: back end popped %v, want the keep-max marker at 20", name, res.Log.Pops)
		}
	}
}

// TestFrontEndKeepMaxPassTwoLanes: TestFrontEndKeepMaxPassHandWorked's row on two lanes. The
// second pass starts the cycle after the first pass's last decision and hands keys out lowest
// lane first.
//
//	fill at 0; 1: lane 0 takes k0 (decides 1), lane 1 k1 (1..2, decides 2); 2: lane 0 takes k2
//	(2..4, decides 4). Second pass from 5: lane 0 k0, lane 1 k1 (5..8, decide 8); 9: lane 0 k2
//	(9..12). z = 12, drain 1: the marker at 13; busy 0..13 = 14, lane steps 1+2+3+3*4 = 18.
func TestFrontEndKeepMaxPassTwoLanes(t *testing.T) {
	q, k := []int32{3, -2}, []int32{-8, 5, -7, -3, 1, 2}
	tk := RowTask{N: 3, Last: true, KeepMax: true, MaxKey: 2, BitsK: 4, DV: 2, Dec: []uint8{1, 2, 3},
		Operands: &TaskOperands{Q: q, QPlus: QPlus(q), T: 0, K: k, D: 2}}
	fc := feCase{p: FrontEndParams{Lanes: 2, BitsK: 4, BitsPerCycle: 1, EarlyTermination: true, FillCycles: 1, DrainCycles: 1},
		be: BackEndParams{Macs: 1, ExpLatency: 0, NormLatency: 1}, depth: 2, tasks: []RowTask{tk}}
	want := []struct {
		key, lane, step int
		cycle           int64
	}{{0, 0, 1, 1}, {1, 1, 2, 2}, {2, 0, 3, 4}, {0, 0, 4, 8}, {1, 1, 4, 8}, {2, 0, 4, 12}}
	for name, res := range map[string]feResult{"per-cycle": runFrontEndPerCycle(t, fc, false),
		"bit-serial": runFrontEndPerCycle(t, fc, true), "events": runFrontEndEvents(t, fc)} {
		ds := res.Log.Decisions
		if len(ds) != len(want) {
			t.Fatalf("%s: %d decisions, want %d: %+v", name, len(ds), len(want), ds)
		}
		for i, w := range want {
			d := ds[i]
			if d.Key != w.key || d.Lane != w.lane || d.Step != w.step || d.Cycle != w.cycle || d.MaxPass != (i >= 3) {
				t.Errorf("%s: decision %d = %+v, want key %d on lane %d after %d steps at %d", name, i, d, w.key, w.lane, w.step, w.cycle)
			}
		}
		if !reflect.DeepEqual(res.Log.Ends, []int64{13}) || res.Busy != 14 || res.LaneSteps != 18 || res.MaxPassKeys != 3 {
			t.Errorf("%s: ends %v, busy %d, lane steps %d, max-pass keys %d; want [13], 14, 18, 3",
				name, res.Log.Ends, res.Busy, res.LaneSteps, res.MaxPassKeys)
		}
	}
}
