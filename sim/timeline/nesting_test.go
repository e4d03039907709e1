package timeline_test

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/timeline"
	"github.com/lrpsim/lrpsim/traces/data"
)

// span is one slice of a track, in cycles [from, to).
type span struct {
	from, to int64
	name     string
}

// nestingViolations lists the tracks' slices that Perfetto's trace processor would drop: on one
// track (complete events "X" by pid and tid, async events "b"/"e" by pid, cat and id), any two
// slices must be disjoint or one must contain the other. It also reports async events that do
// not pair up.
func nestingViolations(t *testing.T, file []byte) []string {
	t.Helper()
	var doc struct {
		TraceEvents []struct {
			Name string  `json:"name"`
			Cat  string  `json:"cat"`
			Ph   string  `json:"ph"`
			Ts   float64 `json:"ts"`
			Dur  float64 `json:"dur"`
			Pid  int     `json:"pid"`
			Tid  int     `json:"tid"`
			ID   *string `json:"id"`
		} `json:"traceEvents"`
		OtherData map[string]string `json:"otherData"`
	}
	if err := json.Unmarshal(file, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	ghz, err := strconv.ParseFloat(doc.OtherData["clock_ghz"], 64)
	if err != nil {
		t.Fatalf("otherData.clock_ghz: %v", err)
	}
	cycle := func(us float64) int64 { return int64(math.Round(us * ghz * 1000)) }
	tracks := map[string][]span{}
	open := map[string][]span{} // async slices begun and not yet ended, by pid, cat and id
	var bad []string
	for _, e := range doc.TraceEvents {
		switch e.Ph {
		case "X":
			key := fmt.Sprintf("pid %d tid %d", e.Pid, e.Tid)
			tracks[key] = append(tracks[key], span{cycle(e.Ts), cycle(e.Ts + e.Dur), e.Name})
		case "b", "e":
			if e.ID == nil {
				bad = append(bad, fmt.Sprintf("async event %q without an id", e.Name))
				continue
			}
			key := fmt.Sprintf("pid %d cat %s id %s", e.Pid, e.Cat, *e.ID)
			if e.Ph == "b" {
				open[key] = append(open[key], span{from: cycle(e.Ts), name: e.Name})
				continue
			}
			n := len(open[key])
			if n == 0 {
				bad = append(bad, fmt.Sprintf("%s: end of %q without a begin", key, e.Name))
				continue
			}
			s := open[key][n-1]
			open[key] = open[key][:n-1]
			s.to = cycle(e.Ts)
			tracks[key] = append(tracks[key], s)
		}
	}
	for key, o := range open {
		for _, s := range o {
			bad = append(bad, fmt.Sprintf("%s: %q begun at cycle %d never ends", key, s.name, s.from))
		}
	}
	for key, spans := range tracks {
		bad = append(bad, overlaps(key, spans)...)
	}
	sort.Strings(bad)
	return bad
}

// overlaps lists the partial overlaps among one track's slices: sorted by start (longest first),
// each slice must end by the end of every slice still open when it starts.
func overlaps(key string, spans []span) []string {
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].from != spans[j].from {
			return spans[i].from < spans[j].from
		}
		return spans[i].to > spans[j].to
	})
	var bad []string
	var stack []span
	for _, s := range spans {
		for len(stack) > 0 && stack[len(stack)-1].to <= s.from {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && s.to > stack[len(stack)-1].to {
			top := stack[len(stack)-1]
			bad = append(bad, fmt.Sprintf("%s: %q [%d, %d) overlaps %q [%d, %d)", key, s.name, s.from, s.to, top.name, top.from, top.to))
			continue
		}
		stack = append(stack, s)
	}
	return bad
}

// TestTimelineTracksNest: on real runs (a bundled trace under the default configuration and the
// serial memory, both engines), no track of the timeline holds partially overlapping slices.
func TestTimelineTracksNest(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a bundled trace four times")
	}
	for _, c := range []struct{ config, engine string }{
		{"", sim.EngineEvent},
		{"bundled:serial-memory", sim.EngineEvent},
		{"", sim.EngineReference},
		{"bundled:serial-memory", sim.EngineReference},
	} {
		t.Run(fmt.Sprintf("config=%q,engine=%s", c.config, c.engine), func(t *testing.T) {
			cfg, err := sim.OpenConfig(c.config, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := data.Open("bundled:memn2n-babi-qa1")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rec := timeline.NewRecorder(timeline.Options{})
			res, err := sim.Run(cfg, r, c.engine, sim.Options{Observer: rec})
			if err != nil {
				t.Fatal(err)
			}
			file := writeJSON(t, rec, cfg, res.Design.Cycles)
			if bad := nestingViolations(t, file); len(bad) > 0 {
				t.Errorf("%d slices overlap others on their tracks partially; the first:\n%s", len(bad), bad[0])
				for _, b := range bad[1:min(len(bad), 5)] {
					t.Log(b)
				}
			}
		})
	}
}
