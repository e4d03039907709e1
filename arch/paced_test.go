package arch

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// pushCount is a listener that counts pushes and stall cycles.
type pushCount struct{ pushes, stalled int64 }

func (p *pushCount) Decided(Decision)       {}
func (p *pushCount) Pushed(Push, int64)     { p.pushes++ }
func (p *pushCount) Stalled(from, to int64) { p.stalled += to - from }

// pacedUnit is a unit (front end, FIFO, back end) with one row task, back-end bound.
type pacedUnit struct {
	fe  *FrontEndUnit
	be  *BackEndUnit
	f   *FIFO
	l   *pushCount
	pop int64 // cycle of the back end's last pop
	// free: hand every free stretch to RunFree; freeCycles counts the cycles it ran.
	free       bool
	freeCycles int64
}

func newPacedUnit(fp FrontEndParams, bp BackEndParams, depth int, task RowTask) *pacedUnit {
	u := &pacedUnit{be: NewBackEndUnit(bp), f: NewFIFO(depth), l: &pushCount{}, pop: -1}
	u.fe = NewFrontEndUnit(fp, u.l)
	u.fe.HearDecisions(false)
	u.fe.Start(task, 0)
	return u
}

// run drives the unit as the event engine's runAhead does (a pop at the back end's next event,
// the front end at its own or when a refused push can retry) until the task ends and the FIFO
// is drained; with paced set, it hands every paced stretch to RunPaced (tell and check as
// given). It
// returns the paced runs' pops and the pops done in closed form.
func (u *pacedUnit) run(paced, tell, check bool) (pops, skipped int) {
	last := int64(-1)
	for u.fe.Busy() || u.f.Len() > 0 {
		nb, nf := u.be.NextEvent(u.f), u.fe.NextEvent(last)
		if u.fe.Refused() && u.f.CanPush() && last < u.pop {
			nf = u.pop
		}
		c := min(nb, nf)
		if nb == c {
			u.be.PopAt(c, u.f)
			u.pop = c
		}
		if nf != c {
			continue
		}
		u.fe.Cycle(c, u.f)
		last = c
		if u.free && u.fe.FreeReady() {
			r := u.fe.RunFree(u.be, u.f, c)
			last, u.freeCycles = r.Last, u.freeCycles+r.Last-c
			if r.Pops > 0 {
				u.pop = r.LastPop
			}
			u.l.pushes += int64(r.Untold)
			continue
		}
		if paced && u.pop == c && u.fe.PacedReady(u.f) {
			r := u.fe.RunPaced(u.be, u.f, c, tell, check)
			last, pops, skipped = r.Last, pops+r.Pops, skipped+r.Skipped
			if r.Pops > 0 {
				u.pop = r.LastPop
			}
			u.l.pushes += int64(r.Untold)
		}
	}
	return pops, skipped
}

// TestRunPacedMatchesCycles: a back-end-bound unit run to the end of its task with its paced
// stretches handed to RunPaced (its pushes told one by one, or counted and done in closed form)
// ends with every counter of the unit run event by event.
func TestRunPacedMatchesCycles(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	var pops, skipped int
	for it := range 300 {
		fp, bp, depth, task := randPacedCase(r)
		want := newPacedUnit(fp, bp, depth, task)
		want.run(false, false, true)
		for _, tell := range []bool{true, false} {
			got := newPacedUnit(fp, bp, depth, task)
			p, s := got.run(true, tell, true)
			pops, skipped = pops+p, skipped+s
			name := fmt.Sprintf("iter %d (tell %v): %+v, %+v, depth %d", it, tell, fp, bp, depth)
			if err := comparePacedUnits(want, got); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	if pops < 10000 || skipped < 1000 {
		t.Errorf("paced runs popped %d entries, %d in closed form: the test exercises too little", pops, skipped)
	}
}

// TestRunFreeMatchesCycles: a unit run to the end of its task with its free stretches handed
// to RunFree (and its paced ones to RunPaced, or not) ends with every counter of the unit run
// event by event.
func TestRunFreeMatchesCycles(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	var free int64
	for it := range 300 {
		fp, bp, depth, task := randPacedCase(r)
		want := newPacedUnit(fp, bp, depth, task)
		want.run(false, false, true)
		for _, paced := range []bool{false, true} {
			got := newPacedUnit(fp, bp, depth, task)
			got.free = true
			got.run(paced, false, true)
			free += got.freeCycles
			if err := comparePacedUnits(want, got); err != nil {
				t.Fatalf("iter %d (paced %v): %+v, %+v, depth %d: %v", it, paced, fp, bp, depth, err)
			}
		}
	}
	if free < 10000 {
		t.Errorf("free runs ran %d cycles: the test exercises too little", free)
	}
}

// TestRunPacedUncheckedDiffers: with its conditions weakened (check off: go on after a pop no
// push refilled, skip stretches without the proof), the paced run ends with other counters
// than the unit run event by event, on some of the same random cases.
func TestRunPacedUncheckedDiffers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	differ := [2]int{}
	for range 300 {
		fp, bp, depth, task := randPacedCase(r)
		want := newPacedUnit(fp, bp, depth, task)
		want.run(false, false, true)
		for i, tell := range []bool{true, false} {
			got := newPacedUnit(fp, bp, depth, task)
			got.run(true, tell, false)
			if comparePacedUnits(want, got) != nil {
				differ[i]++
			}
		}
	}
	if differ[0] == 0 || differ[1] == 0 {
		t.Errorf("unchecked paced runs differ in %v of 300 cases (told, counted): want some of each", differ)
	}
}

// randPacedCase draws a unit's parameters and a row task of keys with random steps.
func randPacedCase(r *rand.Rand) (FrontEndParams, BackEndParams, int, RowTask) {
	fp := FrontEndParams{Lanes: 1 + r.IntN(20), BitsK: 12, BitsPerCycle: 1 + r.IntN(4), EarlyTermination: r.IntN(2) == 0,
		KeepAll: r.IntN(4) != 0, FillCycles: r.IntN(3), DrainCycles: r.IntN(3)}
	bp := BackEndParams{Macs: 1 + r.IntN(64), ExpLatency: r.IntN(5), NormLatency: r.IntN(9), NormOverlap: r.IntN(2) == 0}
	n := 1 + r.IntN(300)
	task := RowTask{N: n, Last: true, RowID: -1, DV: 1 + r.IntN(64), MaxKey: -1, Dec: make([]uint8, n),
		KeepMax: r.IntN(3) == 0}
	g := Steps(fp.BitsK, fp.BitsPerCycle)
	for i := range task.Dec {
		task.Dec[i] = uint8(1 + r.IntN(g))
		if r.IntN(3) == 0 && !task.KeepMax || r.IntN(40) == 0 {
			task.Dec[i] |= SurviveBit
		}
	}
	return fp, bp, 1 + r.IntN(8), task
}

// comparePacedUnits says how two units' counters differ, if they do.
func comparePacedUnits(want, got *pacedUnit) error {
	w, g := want.fe, got.fe
	type fe struct{ step, stall, stallC, busy, tasks int64 }
	if a, b := (fe{w.LaneStepCycles, w.LaneStallCycles, w.StallCycles, w.BusyCycles, w.Tasks}),
		(fe{g.LaneStepCycles, g.LaneStallCycles, g.StallCycles, g.BusyCycles, g.Tasks}); a != b {
		return fmt.Errorf("front end (step, lane stall, stall, busy, tasks) %+v, want %+v", b, a)
	}
	if *want.be != *got.be {
		return fmt.Errorf("back end %+v, want %+v", *got.be, *want.be)
	}
	if a, b := [3]int64{want.f.Pushes, want.f.Pops, int64(want.f.MaxFill)}, [3]int64{got.f.Pushes, got.f.Pops, int64(got.f.MaxFill)}; a != b {
		return fmt.Errorf("FIFO pushes, pops, most held %v, want %v", b, a)
	}
	if *want.l != *got.l {
		return fmt.Errorf("listener heard %+v, want %+v", *got.l, *want.l)
	}
	return nil
}
