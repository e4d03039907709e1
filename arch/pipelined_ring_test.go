package arch

import (
	"math/rand/v2"
	"testing"
)

// TestRingQueue holds the channels' ring buffer to a plain slice queue over random pushes and
// pops, through growth while the ring wraps around its buffer.
func TestRingQueue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var r ring[int64]
	var want []int64
	most := 0
	for i := range 20000 {
		if len(want) > 0 && rng.IntN(5) < 2 {
			if got := r.front(); got != want[0] {
				t.Fatalf("step %d: front %d, want %d", i, got, want[0])
			}
			if got := r.pop(); got != want[0] {
				t.Fatalf("step %d: pop %d, want %d", i, got, want[0])
			}
			want = want[1:]
		} else {
			r.push(int64(i))
			want = append(want, int64(i))
		}
		most = max(most, len(want))
		if r.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", i, r.len(), len(want))
		}
	}
	// The buffer doubles only when full: never more than twice the most elements held.
	if len(r.buf) > 2*max(most, 8) {
		t.Errorf("buffer of %d for at most %d elements held", len(r.buf), most)
	}
}
