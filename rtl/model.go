package rtl

import (
	"fmt"
	"strings"

	"github.com/lrpsim/lrpsim/arch"
)

// maxTaskCycles bounds one task in RunModel, as MAX_CYCLES does in the bench.
const maxTaskCycles = 1_000_000

// RunModel runs the rows through lrpsim's Go model of one front-end unit (arch.FrontEndUnit,
// with arch.TermStep for each pair) exactly as the bench runs them through the RTL: the first
// task starts at cycle Gap, each next one Gap cycles after the previous one's last cycle, and
// the unit is stepped every cycle of a task with the room of the row's pattern.
func RunModel(p Params, rows []Row) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rec := &modelRecorder{}
	u := arch.NewFrontEndUnit(p.FrontEnd(), rec)
	res := &Result{}
	var cycle int64
	for i := range rows {
		r := &rows[i]
		if err := checkRow(p, i, r); err != nil {
			return nil, err
		}
		cycle += int64(r.Gap)
		if len(r.Keys) == 0 && !r.Last {
			res.Tasks = append(res.Tasks, TaskResult{Row: r.Row, Skipped: true})
			continue
		}
		task := arch.RowTask{
			Row: r.Row, N: len(r.Keys), Keys: r.Keys, Last: r.Last,
			Dec: make([]uint8, len(r.Keys)),
		}
		for s := range r.Keys {
			step, surv := arch.TermStep(r.Q, r.Key(s, p.D), r.T, p.BitsK, p.BitsPerCycle, p.EarlyTermination)
			task.Dec[s] = uint8(step)
			if surv {
				task.Dec[s] |= arch.SurviveBit
			}
		}
		tr := TaskResult{Row: r.Row, Start: cycle, QPlus: arch.QPlus(r.Q)}
		steps, lstalls, stalls := u.LaneStepCycles, u.LaneStallCycles, u.StallCycles
		u.Start(task, cycle)
		for c := cycle; ; c++ {
			if c-cycle >= maxTaskCycles {
				return nil, fmt.Errorf("rtl: model: task %d (row %d) did not end within %d cycles", i, r.Row, maxTaskCycles)
			}
			rec.tr, rec.room = &tr, r.RoomAt(c-cycle, p.Lanes)
			ended := u.Cycle(c, rec)
			if ended {
				tr.End = c
				break
			}
		}
		tr.LaneSteps = u.LaneStepCycles - steps
		tr.LaneStalls = u.LaneStallCycles - lstalls
		tr.Stalls = u.StallCycles - stalls
		res.Tasks = append(res.Tasks, tr)
		cycle = tr.End + 1
	}
	res.Cycles = cycle
	return res, nil
}

// Stats counts what a comparison covered.
type Stats struct {
	Tasks, Pairs, Survivors, Pushes int
}

// Add accumulates o into s.
func (s *Stats) Add(o Stats) {
	s.Tasks += o.Tasks
	s.Pairs += o.Pairs
	s.Survivors += o.Survivors
	s.Pushes += o.Pushes
}

// Compare requires the RTL's result got to equal the Go model's want on rows, cycle for cycle:
// for every pair the lane, termination step, decision cycle and decision; for every task its
// start, Q+, the pushes (survivors and marker, each with its cycle, in FIFO order), its end
// cycle and its step and stall counts. The error describes the first difference, with the
// pair's operands when a pair is involved.
func Compare(p Params, rows []Row, got, want *Result) (Stats, error) {
	var st Stats
	if len(got.Tasks) != len(rows) || len(want.Tasks) != len(rows) {
		return st, fmt.Errorf("rtl: %d rows, but the RTL logged %d tasks and the model %d", len(rows), len(got.Tasks), len(want.Tasks))
	}
	for i := range rows {
		r, g, w := &rows[i], &got.Tasks[i], &want.Tasks[i]
		where := fmt.Sprintf("task %d (row %d)", i, r.Row)
		if g.Skipped != w.Skipped {
			return st, fmt.Errorf("rtl: %s: skipped by the RTL %t, by the model %t", where, g.Skipped, w.Skipped)
		}
		if g.Skipped {
			continue
		}
		if g.Start != w.Start {
			return st, fmt.Errorf("rtl: %s: starts at cycle %d in the RTL, %d in the model", where, g.Start, w.Start)
		}
		if g.QPlus != w.QPlus {
			return st, fmt.Errorf("rtl: %s: Q+ = %d in the RTL, %d in the model\n  q = %v", where, g.QPlus, w.QPlus, r.Q)
		}
		if err := compareDecisions(p, r, where, g, w); err != nil {
			return st, err
		}
		if err := comparePushes(p, r, where, g, w); err != nil {
			return st, err
		}
		if g.End != w.End {
			return st, fmt.Errorf("rtl: %s (%d keys, last %t, room %v): ends at cycle %d in the RTL, %d in the model",
				where, len(r.Keys), r.Last, r.Room, g.End, w.End)
		}
		if g.LaneSteps != w.LaneSteps || g.LaneStalls != w.LaneStalls || g.Stalls != w.Stalls {
			return st, fmt.Errorf("rtl: %s: lane step, lane stall and stall cycles %d, %d, %d in the RTL, %d, %d, %d in the model",
				where, g.LaneSteps, g.LaneStalls, g.Stalls, w.LaneSteps, w.LaneStalls, w.Stalls)
		}
		st.Tasks++
		st.Pairs += len(r.Keys)
		st.Pushes += len(w.Pushes)
		for _, d := range w.Decisions {
			if d.Survive {
				st.Survivors++
			}
		}
	}
	if got.Cycles != want.Cycles {
		return st, fmt.Errorf("rtl: the run ends at cycle %d in the RTL, %d in the model", got.Cycles, want.Cycles)
	}
	return st, nil
}

func compareDecisions(p Params, r *Row, where string, g, w *TaskResult) error {
	byKey := func(ds []arch.Decision) (map[int]arch.Decision, error) {
		m := make(map[int]arch.Decision, len(ds))
		for _, d := range ds {
			if _, dup := m[d.Key]; dup {
				return nil, fmt.Errorf("key %d decided twice", d.Key)
			}
			m[d.Key] = d
		}
		return m, nil
	}
	gm, err := byKey(g.Decisions)
	if err != nil {
		return fmt.Errorf("rtl: %s: RTL: %w", where, err)
	}
	wm, err := byKey(w.Decisions)
	if err != nil {
		return fmt.Errorf("rtl: %s: model: %w", where, err)
	}
	for s, key := range r.Keys {
		gd, gok := gm[key]
		wd, wok := wm[key]
		if gok == wok && gd == wd {
			continue
		}
		return fmt.Errorf("rtl: %s, key %d: the RTL %s; the model %s\n%s",
			where, key, describeDecision(gd, gok), describeDecision(wd, wok), operands(p, r, s))
	}
	if len(g.Decisions) != len(r.Keys) || len(w.Decisions) != len(r.Keys) {
		return fmt.Errorf("rtl: %s: %d keys, but %d decisions in the RTL and %d in the model",
			where, len(r.Keys), len(g.Decisions), len(w.Decisions))
	}
	return nil
}

func describeDecision(d arch.Decision, ok bool) string {
	if !ok {
		return "never decided it"
	}
	verdict := "pruned"
	if d.Survive {
		verdict = "kept"
	}
	return fmt.Sprintf("decided it at step %d in cycle %d on lane %d (%s)", d.Step, d.Cycle, d.Lane, verdict)
}

func comparePushes(p Params, r *Row, where string, g, w *TaskResult) error {
	for i := range max(len(g.Pushes), len(w.Pushes)) {
		var gp, wp *PushAt
		if i < len(g.Pushes) {
			gp = &g.Pushes[i]
		}
		if i < len(w.Pushes) {
			wp = &w.Pushes[i]
		}
		if gp != nil && wp != nil && *gp == *wp {
			continue
		}
		msg := fmt.Sprintf("rtl: %s, FIFO entry %d (room %v): the RTL %s; the model %s",
			where, i, r.Room, describePush(gp), describePush(wp))
		for _, pp := range []*PushAt{gp, wp} {
			if pp != nil && !pp.Marker {
				for s, key := range r.Keys {
					if key == pp.Key {
						return fmt.Errorf("%s\n%s", msg, operands(p, r, s))
					}
				}
			}
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

func describePush(p *PushAt) string {
	switch {
	case p == nil:
		return "pushed nothing"
	case p.Marker:
		return fmt.Sprintf("pushed the end-of-row marker in cycle %d", p.Cycle)
	}
	return fmt.Sprintf("pushed key %d from lane %d in cycle %d", p.Key, p.Lane, p.Cycle)
}

// operands describes the task's s-th pair for a mismatch report.
func operands(p Params, r *Row, s int) string {
	q, k := r.Q, r.Key(s, p.D)
	step, surv := arch.TermStep(q, k, r.T, p.BitsK, p.BitsPerCycle, p.EarlyTermination)
	var b strings.Builder
	fmt.Fprintf(&b, "  pair (row %d, key %d): q.k = %d, T = %d (RTL register %d), Q+ = %d; arch.TermStep: step %d, survive %t\n",
		r.Row, r.Keys[s], arch.Dot(q, k), r.T, p.ClampT(r.T), arch.QPlus(q), step, surv)
	fmt.Fprintf(&b, "  d %d, bits_q %d, bits_k %d, bits_per_cycle %d, lanes %d, fill %d, drain %d, %s, early_termination %t\n",
		p.D, p.BitsQ, p.BitsK, p.BitsPerCycle, p.Lanes, p.FillCycles, p.DrainCycles, p.Scheduling, p.EarlyTermination)
	fmt.Fprintf(&b, "  q = %v\n  k = %v", q, k)
	return b.String()
}

// modelRecorder is the survivor port the model's unit pushes into, with the room the row's
// back-pressure pattern gives in the current cycle, and the listener that logs its decisions and
// pushes as the bench logs the RTL's.
type modelRecorder struct {
	tr   *TaskResult
	room int
}

func (m *modelRecorder) CanPush() bool { return m.room > 0 }

func (m *modelRecorder) Push(arch.Entry) { m.room-- }

func (m *modelRecorder) Decided(d arch.Decision) {
	m.tr.Decisions = append(m.tr.Decisions, arch.Decision{Key: d.Key, Lane: d.Lane, Step: d.Step, Cycle: d.Cycle, Survive: d.Survive})
}

// Stalled implements arch.FrontEndListener; the bench counts stall cycles per task instead.
func (m *modelRecorder) Stalled(from, to int64) {}

func (m *modelRecorder) Pushed(p arch.Push, c int64) {
	m.tr.Pushes = append(m.tr.Pushes, PushAt{Cycle: c, Push: p})
}
