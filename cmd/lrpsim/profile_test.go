package main

import (
	"runtime"
	"testing"
	"time"
)

// TestPeakHeap: --memprofile's watcher keeps the profile of the collection that left the most
// live heap, not the last one: 64 MiB held across a collection and dropped before the end stay
// its peak.
func TestPeakHeap(t *testing.T) {
	h := newPeakHeap()
	held := make([]byte, 64<<20)
	for i := range held {
		held[i] = byte(i)
	}
	// The finalizer runs after the collection, on its own goroutine: wait for it to see the
	// held bytes.
	waitFor := func(cond func() bool) bool {
		for range 200 {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
			h.mu.Lock()
			ok := cond()
			h.mu.Unlock()
			if ok {
				return true
			}
		}
		return false
	}
	if !waitFor(func() bool { return h.live >= 64<<20 }) {
		t.Fatalf("live heap seen %d bytes with 64 MiB held, want at least %d", h.live, 64<<20)
	}
	runtime.KeepAlive(held)
	held = nil
	peak := h.live
	// Later collections find less live heap: the peak and its profile stay.
	if !waitFor(func() bool { return true }) {
		t.Fatal("no collection")
	}
	prof := h.stop()
	if h.live != peak || len(prof) == 0 {
		t.Fatalf("after the drop: live %d (peak %d), profile %d bytes; want the peak kept with its profile", h.live, peak, len(prof))
	}
	// Stopped: no more profiles.
	h.collected()
	if h.live != peak {
		t.Fatal("a stopped watcher still records collections")
	}
}
