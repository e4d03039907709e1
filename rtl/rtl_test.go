package rtl

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

// defaultParams are the front-end values of configs/leopard.yaml with the default operand
// widths of the RTL (d 64, 12-bit q and k).
func defaultParams() Params {
	return Params{
		D: 64, BitsQ: 12, BitsK: 12, BitsPerCycle: 1, Lanes: 16,
		FillCycles: 2, DrainCycles: 1, Scheduling: arch.DynamicLanes, EarlyTermination: true,
	}
}

// crossCase is one parameter set of the cross-check and the random heads it runs.
type crossCase struct {
	name  string
	p     Params
	heads int // random heads
	n, m  int // query rows and keys of each head
	rows  int // rows taken from each head
}

func crossCases() []crossCase {
	def := defaultParams()
	with := func(f func(p *Params)) Params {
		p := def
		f(&p)
		return p
	}
	return []crossCase{
		{"default", def, 4, 24, 96, 8},
		{"long_rows", def, 1, 8, 700, 3},
		{"lockstep", with(func(p *Params) { p.Scheduling = arch.LockstepLanes }), 4, 24, 96, 8},
		{"p3_lanes5_fill0_drain0", with(func(p *Params) {
			p.BitsPerCycle, p.Lanes, p.FillCycles, p.DrainCycles = 3, 5, 0, 0
		}), 4, 20, 40, 8},
		{"p5_lockstep_lanes3_drain4", with(func(p *Params) {
			p.D, p.BitsQ, p.BitsK = 16, 8, 12
			p.BitsPerCycle, p.Lanes, p.Scheduling, p.FillCycles, p.DrainCycles = 5, 3, arch.LockstepLanes, 0, 4
		}), 8, 20, 40, 12},
		{"no_et_lanes1_fill3", with(func(p *Params) {
			p.D, p.BitsQ, p.BitsK = 8, 4, 6
			p.EarlyTermination, p.Lanes, p.FillCycles, p.DrainCycles = false, 1, 3, 0
		}), 8, 16, 24, 12},
		{"bits2_p1_lanes4_qreg", with(func(p *Params) {
			p.D, p.BitsQ, p.BitsK = 5, 2, 2
			p.Lanes, p.LaneQReg, p.FillCycles, p.DrainCycles = 4, true, 1, 2
		}), 8, 16, 30, 12},
		{"bits16_p2_lanes7", with(func(p *Params) {
			p.D, p.BitsQ, p.BitsK = 12, 16, 16
			p.BitsPerCycle, p.Lanes, p.FillCycles, p.DrainCycles = 2, 7, 1, 1
		}), 8, 16, 40, 12},
		{"bit_parallel_p16_b8", with(func(p *Params) {
			p.D, p.BitsQ, p.BitsK = 32, 8, 8
			p.BitsPerCycle, p.EarlyTermination, p.FillCycles, p.DrainCycles = 16, false, 0, 1
		}), 3, 12, 40, 6},
	}
}

// qKinds are the query distributions of randomHead.
func qKinds() []string { return []string{"uniform", "extreme", "positive", "negative", "small"} }

// randomHead returns a head of random integers of the case's widths; kind selects the query
// distribution, and keys mix uniform, extreme and small values. Its threshold (real units,
// scales 1) sits at a random quantile of its dot products, or keeps or prunes everything.
func randomHead(rng *rand.Rand, p Params, n, m int, kind string) *traces.Head {
	lo, hi := -(int32(1) << (p.BitsQ - 1)), int32(1)<<(p.BitsQ-1)-1
	klo, khi := -(int32(1) << (p.BitsK - 1)), int32(1)<<(p.BitsK-1)-1
	h := &traces.Head{
		N: n, M: m, D: p.D, DV: 1, ValidQ: n, ValidK: m,
		Q: make([]int32, n*p.D), K: make([]int32, m*p.D), V: make([]int32, m),
		ScaleQ: 1, ScaleK: 1, ScaleV: 1, BitsQ: p.BitsQ, BitsK: p.BitsK, BitsV: 8,
	}
	pick := func(lo, hi int32) int32 { return lo + rng.Int32N(hi-lo+1) }
	for i := range h.Q {
		switch kind {
		case "uniform":
			h.Q[i] = pick(lo, hi)
		case "extreme":
			h.Q[i] = []int32{lo, hi, lo, hi, -1, 0, 1}[rng.IntN(7)]
		case "positive":
			h.Q[i] = pick(1, hi)
		case "negative":
			h.Q[i] = pick(lo, -1)
		case "small":
			h.Q[i] = pick(max(lo, -3), min(hi, 3))
		}
	}
	for j := range m {
		mode := rng.IntN(4)
		for e := range p.D {
			var v int32
			switch mode {
			case 0, 1:
				v = pick(klo, khi)
			case 2:
				v = []int32{klo, khi, klo, khi, 0, -1}[rng.IntN(6)]
			case 3:
				v = pick(max(klo, -2), min(khi, 2))
			}
			h.K[j*p.D+e] = v
		}
	}
	switch rng.IntN(8) {
	case 0:
		h.Threshold = math.Inf(-1) // keep all
	case 1:
		h.Threshold = 1e30 // prune all
	default:
		var dots []int64
		for i := 0; i < n; i += 3 {
			for j := range m {
				dots = append(dots, h.Dot(i, j))
			}
		}
		slices.Sort(dots)
		q := dots[rng.IntN(len(dots))]
		h.Threshold = float64(q) / math.Sqrt(float64(p.D))
	}
	if rng.IntN(2) == 0 {
		h.Causal = true
		h.ValidQ = n - rng.IntN(3)
		h.ValidK = m - rng.IntN(m/2)
	}
	return h
}

// randomRoom returns a back-pressure pattern for a task of a unit with lanes lanes.
func randomRoom(rng *rand.Rand, lanes int) []int {
	switch rng.IntN(6) {
	case 0:
		return nil // room for everything
	case 1:
		return []int{1} // one push a cycle
	case 2: // stalled at the start, then one a cycle
		r := make([]int, 1+rng.IntN(30))
		r[len(r)-1] = 1
		return r
	case 3: // bursts of zeros
		r := make([]int, 40+rng.IntN(100))
		for i := range r {
			if rng.IntN(3) != 0 {
				r[i] = rng.IntN(lanes + 2)
			}
		}
		r[len(r)-1] = 1 + rng.IntN(lanes+1)
		return r
	}
	r := make([]int, 20+rng.IntN(200))
	for i := range r {
		r[i] = rng.IntN(3)
	}
	r[len(r)-1] = 1 + rng.IntN(2)
	return r
}

// tasksOf turns rows into the tasks the bench runs: gaps and room patterns at random, some
// rows split into two tasks (a non-last task and the last one, as key tiling does, sometimes
// with an empty first part, which is skipped), and some thresholds moved onto an exact dot
// product so that q.k = T ties occur.
func tasksOf(rng *rand.Rand, p Params, rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		r.Gap = rng.IntN(4)
		r.Room = randomRoom(rng, p.Lanes)
		if len(r.Keys) > 0 && rng.IntN(3) == 0 {
			// Put T on the bound of a random pair at a random step, or one above it: the
			// comparator's tie at that step.
			s := rng.IntN(len(r.Keys))
			step := 1 + rng.IntN(arch.Steps(p.BitsK, p.BitsPerCycle))
			r.T = bound(r.Q, r.Key(s, p.D), p.BitsK, p.BitsPerCycle, step) + int64(rng.IntN(2))
		}
		if rng.IntN(4) == 0 {
			r.HasQPlus = false
		}
		if len(r.Keys) > 1 && rng.IntN(4) == 0 {
			cut := rng.IntN(len(r.Keys))
			first := r
			first.Last = false
			first.Keys, first.K = r.Keys[:cut], r.K[:cut*p.D]
			r.Keys, r.K = r.Keys[cut:], r.K[cut*p.D:]
			r.Gap = rng.IntN(2)
			r.Room = randomRoom(rng, p.Lanes)
			out = append(out, first)
		}
		out = append(out, r)
	}
	return out
}

// bound is the README's bound after step s of a lane, P_t + (2^t - 1) * Q+, computed from
// its definition (at the last step, t = 0, it is q.k).
func bound(q, k []int32, bitsK, bitsPerCycle, s int) int64 {
	t := max(bitsK-s*bitsPerCycle, 0)
	var pt int64
	for i := range q {
		pt += int64(q[i]) * int64(k[i]>>t<<t)
	}
	return pt + (int64(1)<<t-1)*arch.QPlus(q)
}

// spread picks k of the rows 0..n-1, always including the first and the last.
func spread(rng *rand.Rand, n, k int) []int {
	if k >= n {
		k = n
	}
	rows := rng.Perm(n)[:k]
	rows[0] = 0
	if k > 1 {
		rows[1] = n - 1
	}
	slices.Sort(rows)
	return slices.Compact(rows)
}

// crossCheck runs rows on the bench and the model and requires them to agree.
func crossCheck(t *testing.T, b *Bench, rows []Row) Stats {
	t.Helper()
	got, err := b.Run(context.Background(), rows)
	if err != nil {
		t.Fatal(err)
	}
	want, err := RunModel(b.Params(), rows)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Compare(b.Params(), rows, got, want)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// totals collects the counts of the parallel subtests.
type totals struct {
	mu sync.Mutex
	Stats
	heads int
}

func (c *totals) add(st Stats, heads int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Stats.Add(st)
	c.heads += heads
}

// TestRTLMatchesModel simulates the RTL front-end unit under Icarus Verilog on rows of seeded
// random heads and of the bundled traces, and requires lrpsim's Go model to agree cycle for
// cycle (see Compare).
func TestRTLMatchesModel(t *testing.T) {
	if err := Available(Icarus); err != nil {
		t.Skipf("%v; install Icarus Verilog (Debian package iverilog) to cross-check the RTL against the Go model", err)
	}
	var random, bundled totals
	t.Run("random", func(t *testing.T) {
		for ci, c := range crossCases() {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				b, err := Build(context.Background(), Icarus, c.p, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(7, uint64(ci)))
				var rows []Row
				for hi := range c.heads {
					h := randomHead(rng, c.p, c.n, c.m, qKinds()[(ci+hi)%len(qKinds())])
					rs, err := RowsFromHead(h, spread(rng, c.n, c.rows))
					if err != nil {
						t.Fatal(err)
					}
					rows = append(rows, tasksOf(rng, c.p, rs)...)
				}
				random.add(crossCheck(t, b, rows), c.heads)
			})
		}
	})
	t.Run("bundled", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join("..", "traces", "data", "*.npz"))
		if len(files) == 0 {
			t.Skip("no bundled traces in traces/data")
		}
		// Each trace costs a bench build per parameter set: with many bundled traces, check a
		// spread of at most maxTraces of them (in name order, first and last included).
		if len(files) > maxTraces {
			picked := make([]string, 0, maxTraces)
			for i := range maxTraces {
				picked = append(picked, files[i*(len(files)-1)/(maxTraces-1)])
			}
			files = picked
		}
		for fi, path := range files {
			t.Run(filepath.Base(path), func(t *testing.T) {
				t.Parallel()
				st, heads := crossCheckTrace(t, path, uint64(fi))
				bundled.add(st, heads)
			})
		}
	})
	t.Logf("random heads: %d heads, %d row tasks, %d pairs (%d survivors), %d FIFO entries agree",
		random.heads, random.Tasks, random.Pairs, random.Survivors, random.Pushes)
	t.Logf("bundled traces: %d heads, %d row tasks, %d pairs (%d survivors), %d FIFO entries agree",
		bundled.heads, bundled.Tasks, bundled.Pairs, bundled.Survivors, bundled.Pushes)
}

// Budget of the bundled-trace check, per trace file.
const (
	maxTraces  = 6   // bundled traces checked at most
	traceHeads = 4   // heads taken from each trace, spread over it
	traceRows  = 8   // rows taken from each head
	traceKeys  = 256 // at most this many keys per row (the first ones) to bound the runtime
)

// crossCheckTrace runs rows of a few heads of the trace at path with the default front end,
// dynamic and lockstep, and returns what it compared and the number of heads.
func crossCheckTrace(t *testing.T, path string, seed uint64) (Stats, int) {
	rd, err := traces.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rng := rand.New(rand.NewPCG(11, seed))
	benches := map[Params]*Bench{}
	var st Stats
	nh := rd.NumHeads()
	for k := range min(traceHeads, nh) {
		idx := k * nh / min(traceHeads, nh)
		h, err := rd.Head(idx)
		if err != nil {
			t.Fatal(err)
		}
		p := ParamsForHead(defaultParams(), h)
		if k%2 == 1 {
			p.Scheduling = arch.LockstepLanes
		}
		b := benches[p]
		if b == nil {
			if b, err = Build(context.Background(), Icarus, p, t.TempDir()); err != nil {
				t.Fatal(err)
			}
			benches[p] = b
		}
		rows, err := RowsFromHead(h, spread(rng, h.N, traceRows))
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			if len(rows[i].Keys) > traceKeys {
				rows[i].Keys, rows[i].K = rows[i].Keys[:traceKeys], rows[i].K[:traceKeys*h.D]
			}
		}
		rows = tasksOf(rng, p, rows)
		st.Add(crossCheck(t, b, rows))
	}
	t.Logf("%s: %d heads, %d tasks, %d pairs", filepath.Base(path), min(traceHeads, nh), st.Tasks, st.Pairs)
	return st, min(traceHeads, nh)
}

// TestRTLVerilator runs the default parameters under Verilator too, when Verilator 5 is
// installed (its C++ build takes about ten seconds); LRPSIM_VERILATOR=0 turns it off.
func TestRTLVerilator(t *testing.T) {
	if os.Getenv("LRPSIM_VERILATOR") == "0" {
		t.Skip("LRPSIM_VERILATOR=0")
	}
	if err := Available(Verilator); err != nil {
		t.Skipf("%v; install Verilator 5 (Debian package verilator) to run the bench under it too", err)
	}
	p := defaultParams()
	b, err := Build(context.Background(), Verilator, p, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 0))
	var rows []Row
	for hi := range 4 {
		h := randomHead(rng, p, 32, 128, qKinds()[hi%len(qKinds())])
		rs, err := RowsFromHead(h, spread(rng, 32, 16))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, tasksOf(rng, p, rs)...)
	}
	st := crossCheck(t, b, rows)
	t.Logf("verilator: %d row tasks, %d pairs (%d survivors), %d FIFO entries agree", st.Tasks, st.Pairs, st.Survivors, st.Pushes)
}

// TestWriteRowsRejects checks that rows the bench cannot run are refused with the row named.
func TestWriteRowsRejects(t *testing.T) {
	p := Params{D: 2, BitsQ: 4, BitsK: 4, BitsPerCycle: 1, Lanes: 2, FillCycles: 1, DrainCycles: 1}
	good := Row{Row: 3, Last: true, Q: []int32{1, -8}, Keys: []int{0, 2}, K: []int32{7, -8, 0, 1}}
	cases := map[string]func(r *Row){
		"q too wide":        func(r *Row) { r.Q = []int32{8, 0} },
		"k too wide":        func(r *Row) { r.K = []int32{7, -9, 0, 1} },
		"short q":           func(r *Row) { r.Q = r.Q[:1] },
		"keys not sorted":   func(r *Row) { r.Keys = []int{2, 0} },
		"room ends with 0":  func(r *Row) { r.Room = []int{1, 0} },
		"negative room":     func(r *Row) { r.Room = []int{-1, 1} },
		"negative gap":      func(r *Row) { r.Gap = -1 },
		"k of another size": func(r *Row) { r.K = r.K[:3] },
	}
	if err := WriteRows(io.Discard, p, []Row{good}); err != nil {
		t.Fatalf("good row refused: %v", err)
	}
	for name, f := range cases {
		r := good
		f(&r)
		if err := WriteRows(io.Discard, p, []Row{r}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestClampT checks that clamping the threshold into the comparator's range changes no
// decision, at the range's edges.
func TestClampT(t *testing.T) {
	p := Params{D: 3, BitsQ: 3, BitsK: 3, BitsPerCycle: 1, Lanes: 1}
	vals := []int32{-4, -3, -1, 0, 1, 3}
	for _, T := range []int64{traces.KeepAll, -p.MaxDot() - 5, traces.PruneAll, p.MaxDot() + 7} {
		for _, a := range vals {
			for _, b := range vals {
				q, k := []int32{a, b, a}, []int32{b, a, -4}
				s1, v1 := arch.TermStep(q, k, T, p.BitsK, 1, true)
				s2, v2 := arch.TermStep(q, k, p.ClampT(T), p.BitsK, 1, true)
				if s1 != s2 || v1 != v2 {
					t.Fatalf("T %d, q %v, k %v: step %d/%t, clamped to %d: step %d/%t", T, q, k, s1, v1, p.ClampT(T), s2, v2)
				}
			}
		}
	}
}
