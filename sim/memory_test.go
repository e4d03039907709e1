package sim

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// countingSource counts how many heads are handed out and not yet dropped by the workload.
type countingSource struct {
	Heads
	mu    sync.Mutex
	reads int
}

func (c *countingSource) Head(i int) (*headSrc, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Heads[i], nil
}

// TestMemoryBounded: a design and four baselines simulated side by side over many heads read
// each head once and never hold more than the shared window of heads at a time, and each
// simulation keeps the pair tables of only the few heads in flight.
func TestMemoryBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	var hs Heads
	for i := 0; i < 60; i++ {
		hs = append(hs, randHead(r, i))
	}
	cfg, _ := DefaultConfig()
	cfg.Memory.SRAMKVBytes = 1 << 16
	src := &countingSource{Heads: hs}
	shared := newSharedHeads(src, 1+len(cfg.Baselines))
	var wg sync.WaitGroup
	live := make([]int, 1+len(cfg.Baselines))
	for i := range live {
		c := cfg
		if i > 0 {
			c, _ = cfg.Baseline(cfg.Baselines[i-1])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorkload(c, src, PlaneKernel)
			w.shared, w.sharedBPC = shared, cfg.FrontEnd.BitsPerCycle
			if _, err := runEvent(c, w, Options{}); err != nil {
				t.Error(err)
			}
			for _, tl := range w.tiles {
				if tl.h.steps != nil && tl.keyLo == 0 {
					live[i]++
				}
			}
		}()
	}
	wg.Wait()
	if src.reads != len(hs) {
		t.Errorf("read %d heads for %d heads and 5 configurations; want each read once", src.reads, len(hs))
	}
	if shared.maxLive > shared.window {
		t.Errorf("%d heads alive at once, window %d", shared.maxLive, shared.window)
	}
	for i, n := range live {
		if n > 4 {
			t.Errorf("configuration %d still holds the pair tables of %d heads at the end", i, n)
		}
	}
}
