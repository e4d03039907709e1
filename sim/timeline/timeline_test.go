package timeline_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/timeline"
	"github.com/lrpsim/lrpsim/traces"
)

// head is a random 8-bit head with a threshold in the middle of its scores' range.
func head(r *rand.Rand, layer int) *traces.Head {
	n, m, d := 1+r.IntN(12), 2+r.IntN(30), 2+r.IntN(8)
	h := &traces.Head{Layer: layer, N: n, M: m, D: d, DV: d, BitsQ: 8, BitsK: 8, BitsV: 8,
		ScaleQ: 1, ScaleK: 1, ScaleV: 1, ValidQ: n, ValidK: m, Threshold: float64(r.IntN(400) - 100)}
	fill := func(k int) []int32 {
		out := make([]int32, k)
		for i := range out {
			out[i] = r.Int32N(256) - 128
		}
		return out
	}
	h.Q, h.K, h.V = fill(n*d), fill(m*d), fill(m*d)
	return h
}

func config(t *testing.T, r *rand.Rand) *sim.Config {
	t.Helper()
	cfg, err := sim.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Units, cfg.FrontEnd.Lanes = 1+r.IntN(3), 1+r.IntN(4)
	cfg.BackEnd.FIFODepth, cfg.BackEnd.Macs = 1+r.IntN(3), 1+r.IntN(4)
	cfg.Memory.SRAMKVBytes, cfg.Memory.DRAMLatency, cfg.Memory.DRAMBytesPerCycle = 256, 10, 4
	if r.IntN(2) == 0 {
		cfg.Memory.Model, cfg.Memory.Channels, cfg.Memory.BurstBytes, cfg.Memory.KVBuffers = sim.PipelinedMemory, 2, 16, 3
	}
	return cfg
}

// traceEvent is the part of the trace-event format (Google's "Trace Event Format" document) a
// viewer needs: every event has a name, a phase and a process and thread; complete events ("X")
// a start and a duration in microseconds; counters ("C") numeric arguments; metadata ("M") a
// name argument.
type traceEvent struct {
	Name string          `json:"name"`
	Ph   string          `json:"ph"`
	Ts   *float64        `json:"ts"`
	Dur  *float64        `json:"dur"`
	Pid  *int            `json:"pid"`
	Tid  *int            `json:"tid"`
	Args json.RawMessage `json:"args"`
}

func record(t *testing.T, cfg *sim.Config, hs sim.Heads, engine string, opt timeline.Options) (*sim.Stats, []byte) {
	t.Helper()
	rec := timeline.NewRecorder(opt)
	st, err := sim.Simulate(cfg, hs, engine, sim.Options{Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rec.WriteJSON(&buf, cfg.ClockGHz, st.Cycles, map[string]string{"trace": "test"}); err != nil {
		t.Fatal(err)
	}
	return st, buf.Bytes()
}

// TestTimelineIsTraceEventJSON: the file parses as the trace-event format, both engines write the
// same events, and its tracks add up to the run's statistics.
func TestTimelineIsTraceEventJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for it := 0; it < 40; it++ {
		cfg := config(t, r)
		var hs sim.Heads
		for i := 0; i < 1+r.IntN(3); i++ {
			hs = append(hs, head(r, i))
		}
		st, ev := record(t, cfg, hs, sim.EngineEvent, timeline.Options{})
		_, ref := record(t, cfg, hs, sim.EngineReference, timeline.Options{})
		// The engines report some events at different moments (a wait cycle by cycle or as a
		// run), and the file keeps the order they came in: the same events, in any order.
		if el, rl := sortedLines(ev), sortedLines(ref); !slices.Equal(el, rl) {
			for i := 0; i < min(len(el), len(rl)); i++ {
				if el[i] != rl[i] {
					t.Fatalf("iter %d: the engines' timelines differ at sorted line %d:\nevent     %q\nreference %q", it, i, el[i], rl[i])
				}
			}
			t.Fatalf("iter %d: the engines' timelines differ in length: %d and %d lines", it, len(el), len(rl))
		}
		if bad := nestingViolations(t, ev); len(bad) > 0 {
			t.Fatalf("iter %d: %d slices overlap others on their tracks partially; the first: %s", it, len(bad), bad[0])
		}
		var doc struct {
			TraceEvents     []traceEvent      `json:"traceEvents"`
			DisplayTimeUnit string            `json:"displayTimeUnit"`
			OtherData       map[string]string `json:"otherData"`
		}
		if err := json.Unmarshal(ev, &doc); err != nil {
			t.Fatalf("iter %d: not JSON: %v", it, err)
		}
		if len(doc.TraceEvents) == 0 || doc.DisplayTimeUnit != "ns" || doc.OtherData["truncated"] != "false" {
			t.Fatalf("iter %d: %d events, unit %q, other %v", it, len(doc.TraceEvents), doc.DisplayTimeUnit, doc.OtherData)
		}
		usPerCycle := 1 / (cfg.ClockGHz * 1000)
		var tasks int64
		var taskCycles, memTasks float64
		lastCounter, sampled := map[string]string{}, map[string]bool{}
		for i, e := range doc.TraceEvents {
			if e.Name == "" || e.Pid == nil || e.Tid == nil || len(e.Args) == 0 {
				t.Fatalf("iter %d: event %d lacks a name, pid, tid or args: %+v", it, i, e)
			}
			switch e.Ph {
			case "M":
				var a map[string]string
				if err := json.Unmarshal(e.Args, &a); err != nil || a["name"] == "" {
					t.Fatalf("iter %d: metadata event %d without a name argument: %s", it, i, e.Args)
				}
			case "X":
				if e.Ts == nil || e.Dur == nil || *e.Ts < 0 || *e.Dur <= 0 {
					t.Fatalf("iter %d: complete event %d without ts or dur: %+v", it, i, e)
				}
				if *e.Pid == 1 && strings.HasPrefix(e.Name, "head ") {
					tasks++
					taskCycles += *e.Dur / usPerCycle
				}
				if *e.Pid == 4 {
					memTasks++
				}
			case "C":
				var a map[string]float64
				if e.Ts == nil || json.Unmarshal(e.Args, &a) != nil || len(a) == 0 {
					t.Fatalf("iter %d: counter event %d without numeric arguments: %s", it, i, e.Args)
				}
				// A counter is written when it changes, not every cycle.
				if string(e.Args) == lastCounter[e.Name] {
					t.Fatalf("iter %d: counter event %d repeats %q's value %s", it, i, e.Name, e.Args)
				}
				lastCounter[e.Name] = string(e.Args)
				at := fmt.Sprint(e.Name, *e.Ts)
				if sampled[at] {
					t.Fatalf("iter %d: counter %q has two samples at %g us", it, e.Name, *e.Ts)
				}
				sampled[at] = true
			default:
				t.Fatalf("iter %d: event %d has phase %q", it, i, e.Ph)
			}
		}
		var wantTasks, wantBusy int64
		for _, f := range st.FrontEnd {
			wantTasks += f.Tasks
			wantBusy += f.Busy
		}
		if tasks != wantTasks || int64(taskCycles+0.5) != wantBusy {
			t.Errorf("iter %d: %d row tasks over %.0f cycles on the front-end tracks, want %d over %d", it, tasks, taskCycles, wantTasks, wantBusy)
		}
		if memTasks == 0 {
			t.Errorf("iter %d: no DRAM request on the memory tracks", it)
		}
	}
}

// TestTimelineWindowAndCap: a window keeps only what meets it, and the cap stops the recording
// and says so.
func TestTimelineWindowAndCap(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	cfg := config(t, r)
	hs := sim.Heads{head(r, 0), head(r, 1), head(r, 2)}
	_, all := record(t, cfg, hs, sim.EngineEvent, timeline.Options{})
	_, window := record(t, cfg, hs, sim.EngineEvent, timeline.Options{From: 50, To: 60})
	if len(window) >= len(all) {
		t.Errorf("a 10-cycle window wrote %d bytes, the whole run %d", len(window), len(all))
	}
	rec := timeline.NewRecorder(timeline.Options{MaxEvents: 5})
	if _, err := sim.Simulate(cfg, hs, sim.EngineEvent, sim.Options{Observer: rec}); err != nil {
		t.Fatal(err)
	}
	if rec.Events() != 5 || !rec.Truncated() {
		t.Errorf("cap 5: kept %d events, truncated %t", rec.Events(), rec.Truncated())
	}
}

// writeJSON writes a recording as the trace-event file of a run.
func writeJSON(t *testing.T, rec *timeline.Recorder, cfg *sim.Config, cycles int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := rec.WriteJSON(&buf, cfg.ClockGHz, cycles, map[string]string{"trace": "test"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sortedLines is a file's lines, sorted, without the commas that separate events.
func sortedLines(file []byte) []string {
	lines := strings.Split(string(file), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, ",")
	}
	slices.Sort(lines)
	return lines
}
