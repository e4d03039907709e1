package arch

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// The contracts every registered variant keeps, whatever its parameters: a memory model's
// per-cycle Step and its skip-ahead NextEvent/Advance make the same loads at the same cycles, and
// a dispatcher's per-cycle StepCycle and its Next/Resume hand out the same tasks at the same
// cycles. They iterate over the registries, so a new variant is held to them without an edit
// here.

// randParams draws parameters for variant name of reg: each integer field uniformly in [1, 2d]
// for its default d, redrawn until the variant's check accepts them (the defaults after 200
// tries).
func randParams[S any](r *rand.Rand, reg *Registry[S], name string) any {
	d := reg.Defaults(name)
	if d == nil {
		return nil
	}
	for range 200 {
		p := reflect.New(reflect.TypeOf(d)).Elem()
		p.Set(reflect.ValueOf(d))
		for i := range p.NumField() {
			if f := p.Field(i); f.CanSet() && (f.Kind() == reflect.Int || f.Kind() == reflect.Int64) {
				f.SetInt(1 + r.Int64N(2*max(f.Int(), 1)))
			}
		}
		if reg.Check(name, p.Interface()) == nil {
			return p.Interface()
		}
	}
	return d
}

// TestMemoryModelsContract: for every registered memory model, on random tiles and random
// reports of the units (task ends, entries pushed and retired, V rows fetched on demand when the
// model fetches rows), NextEvent/Advance start the same loads at the same cycles, free the same
// buffers, answer the same row fetches and count the same Stats and Ready cycles as Step run
// every cycle; every tile is loaded.
func TestMemoryModelsContract(t *testing.T) {
	eachVariant(t, MemoryModels, []string{"serial", "pipelined", "ideal"}, func(t *testing.T, r *rand.Rand, name string, spec MemoryModelSpec) {
		waits, rows := 0, 0
		const iters = 300
		for it := range iters {
			params := randParams(r, MemoryModels, name)
			build := func(src TileSource, l MemoryListener) Memory { return spec.New(params, src, l) }
			tiles, work := randMemoryCase(r, 1+r.IntN(12), 1+r.IntN(80))
			want, got := runMemoryPerCycle(t, build, tiles, work), runMemoryEvents(t, build, tiles, work)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("iter %d, %+v, work %+v:\nper-cycle %+v\nevents    %+v", it, params, work, want, got)
			}
			if want.stats.Loads != int64(len(tiles)) {
				t.Fatalf("iter %d: %d loads for %d tiles", it, want.stats.Loads, len(tiles))
			}
			waits += b2i(want.stats.WaitBuffer > 0)
			rows += b2i(want.stats.VRows > 0)
		}
		// The cases must reach the states that could disagree.
		if waits < iters/20 {
			t.Errorf("only %d of %d cases waited for a buffer", waits, iters)
		}
		if spec.FetchesRows && rows < iters/5 {
			t.Errorf("only %d of %d cases fetched a row on demand", rows, iters)
		}
	})
}

// eachVariant runs test for every variant of reg, each with its own random stream, once the
// built-in ones are found registered.
func eachVariant[S any](t *testing.T, reg *Registry[S], builtIn []string, test func(*testing.T, *rand.Rand, string, S)) {
	for _, name := range builtIn {
		if !reg.Has(name) {
			t.Fatalf("%s %q is not registered (have %v)", reg.Kind(), name, reg.Names())
		}
	}
	for i, name := range reg.Names() {
		spec, _ := reg.Spec(name)
		t.Run(name, func(t *testing.T) { test(t, rand.New(rand.NewPCG(24, uint64(i))), name, spec) })
	}
}

// sharedTasks puts every task of dc's tiles in one list, as a dispatcher whose units share one
// wants them, with rows within one tile (RowID -1) and now and then a row whose tasks span two
// consecutive tiles (its RowID; the last one Last).
func sharedTasks(r *rand.Rand, dc dispatchCase) {
	for s, tl := range dc.tiles {
		var all []RowTask
		for _, ts := range tl.Tasks {
			all = append(all, ts...)
		}
		for i := range all {
			all[i].RowID, all[i].Last = -1, true
		}
		if s > 0 && r.IntN(3) == 0 {
			prev := dc.tiles[s-1].Tasks[0]
			id := int64(1000 + s)
			prev[len(prev)-1].RowID, prev[len(prev)-1].Last = id, false
			all[0].RowID = id
		}
		tl.Tasks = [][]RowTask{all}
	}
}

// TestDispatchersContract: for every registered dispatcher, on random tiles, task lengths and
// load schedules, Next and Resume hand each unit the same tasks at the same cycles and count the
// same cycles waiting for memory as StepCycle asked every cycle, and every task is handed out.
func TestDispatchersContract(t *testing.T) {
	eachVariant(t, Dispatchers, []string{"static", "dynamic"}, func(t *testing.T, r *rand.Rand, name string, spec DispatcherSpec) {
		unequal := 0
		const iters = 300
		for it := range iters {
			dc := randDispatchCase(r)
			tasks := 0
			for _, tl := range dc.tiles {
				tasks += tl.NumTasks()
			}
			if spec.SharedTasks {
				sharedTasks(r, dc)
			}
			params := randParams(r, Dispatchers, name)
			dc.build = func(units int, src TileSource, mem Memory) Dispatcher { return spec.New(params, units, src, mem) }
			want, got := runDispatchPerCycle(t, dc), runDispatchEvents(t, dc)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("iter %d, %+v:\nper-cycle %+v\nevents    %+v", it, dc, want, got)
			}
			started := 0
			for _, s := range want.Starts {
				started += len(s)
			}
			if started != tasks {
				t.Fatalf("iter %d: %d tasks started of %d", it, started, tasks)
			}
			for _, w := range want.Wait {
				if w != want.Wait[0] {
					unequal++
					break
				}
			}
		}
		if unequal < iters/10 {
			t.Errorf("only %d of %d cases had units waiting for memory unequally", unequal, iters)
		}
	})
}
