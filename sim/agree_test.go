package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// agreeCase is one random case of a randomized agreement test: a config, heads, and what the
// case exercised (coverage names).
type agreeCase struct {
	cfg   *Config
	heads Heads
}

// agreeOnRandom runs iters random cases (iters/6 with -short): setup draws a config and heads
// from r; both engines simulate each; compareStats holds them to each other; covers says which
// mechanisms the case exercised, and every name in want must be exercised by at least
// iters/20 cases, or the test says so (agreement proves little on cases that skip a mechanism).
func agreeOnRandom(t *testing.T, r *rand.Rand, iters int, want []string,
	setup func(r *rand.Rand) agreeCase, covers func(c agreeCase, ref *Stats) []string) {
	t.Helper()
	if testing.Short() {
		iters /= 6
	}
	covered := map[string]int{}
	for it := 0; it < iters; it++ {
		c := setup(r)
		// The SRAM must hold one key and value row of every head in each buffer.
		for _, h := range c.heads {
			need := int64(h.D*h.BitsK+h.DV*h.BitsV+7) / 8 * int64(c.cfg.Memory.KVBuffers)
			c.cfg.Memory.SRAMKVBytes = max(c.cfg.Memory.SRAMKVBytes, need)
		}
		name := fmt.Sprintf("iter %d: units %d, dispatch %s, memory %+v, back end %+v", it, c.cfg.Units, c.cfg.Dispatch,
			c.cfg.Memory, c.cfg.BackEnd)
		ref, err := Simulate(c.cfg, c.heads, EngineReference, Options{Record: true})
		if err != nil {
			t.Fatalf("%s: reference: %v", name, err)
		}
		ev, err := Simulate(c.cfg, c.heads, EngineEvent, Options{Record: true})
		if err != nil {
			t.Fatalf("%s: event: %v", name, err)
		}
		compareStats(t, name, ref, ev)
		for _, what := range covers(c, ref) {
			covered[what]++
		}
	}
	for _, what := range want {
		if covered[what] < iters/20 {
			t.Errorf("only %d of %d random cases exercised %s", covered[what], iters, what)
		}
	}
}

// randPipelined switches a random config to the pipelined memory model with random channels,
// bursts, request windows and buffers.
func randPipelined(r *rand.Rand, cfg *Config, maxChannels, maxBurst int) {
	cfg.Memory.Model = PipelinedMemory
	cfg.Memory.Channels = 1 + r.IntN(maxChannels)
	cfg.Memory.BurstBytes = 1 + r.IntN(maxBurst)
	cfg.Memory.MaxRequests = 1 + r.IntN(4)
	cfg.Memory.KVBuffers = 2 + r.IntN(4)
}

// randHeads draws up to n random heads.
func randHeads(r *rand.Rand, n int) Heads {
	var hs Heads
	for i := 0; i < 1+r.IntN(n); i++ {
		hs = append(hs, randHead(r, i))
	}
	return hs
}

// covered lists the names whose condition holds.
func covered(conds map[string]bool) []string {
	var out []string
	for what, ok := range conds {
		if ok {
			out = append(out, what)
		}
	}
	return out
}
