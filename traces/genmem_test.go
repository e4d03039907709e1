package traces

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sortedThreshold is the threshold placement by sorting every score (the generator's first
// method, which held all the scores of a layer), kept as the reference for thresholdOf.
func sortedThreshold(scores []float64, rate float64) float64 {
	n := len(scores)
	if rate <= 0 || n == 0 {
		return math.Inf(-1)
	}
	slices.Sort(scores)
	want := int(math.Round(rate * float64(n)))
	isCut := func(p int) bool { return p >= 0 && p <= n && (p == 0 || p == n || scores[p-1] < scores[p]) }
	p := want
	for d := 0; ; d++ {
		if isCut(want - d) {
			p = want - d
			break
		}
		if isCut(want + d) {
			p = want + d
			break
		}
	}
	switch p {
	case 0:
		return math.Inf(-1)
	case n:
		top := scores[n-1]
		return top + max(1, math.Abs(top))
	}
	return scores[p-1] + float64((scores[p]-scores[p-1])/2)
}

// TestThresholdOfMatchesSort: the streaming selection gives the sorted method's threshold,
// bit for bit, on scores with ties, negative and positive values, and every rate.
func TestThresholdOfMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := 1 + r.IntN(200)
		scores := make([]float64, n)
		distinct := 1 + r.IntN(n)
		c := 0.001 + r.Float64()
		for i := range scores {
			scores[i] = float64(r.IntN(distinct)-distinct/2) * c
			if trial%7 == 0 {
				scores[i] = 3.25 // all tied
			}
		}
		for _, rate := range []float64{0, 0.01, 0.25, 0.5, 0.77, 0.99, 1, r.Float64()} {
			each := func(fn func(float64)) {
				for _, s := range scores {
					fn(s)
				}
			}
			got := thresholdOf(each, rate)
			want := sortedThreshold(slices.Clone(scores), rate)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("trial %d, rate %v: thresholdOf %v, sorting %v (scores %v)", trial, rate, got, want, scores)
			}
		}
	}
}

// TestGenMemoryBounded: trace gen places thresholds without holding a layer's scores. Four heads
// of 1024 tokens have 4M scores (32 MB as float64, which the sorting method held, per-layer
// thresholds); the heap must stay far below that.
func TestGenMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 4M-pair layer")
	}
	spec := DefaultGenSpec()
	spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 1, 4, 1024, 16, 4
	spec.Granularity = GranularityLayer
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
		}
	}()
	err := Generate(filepath.Join(t.TempDir(), "big.npz"), spec)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	grew := int64(peak.Load()) - int64(base.HeapAlloc)
	t.Logf("heap grew by %.1f MB at most", float64(grew)/1e6)
	if grew > 16<<20 {
		t.Errorf("heap grew by %d bytes while generating 4 heads of 1024 tokens: the scores are held", grew)
	}
}

// TestGenFocusKeysAboveSeqLen: an impossible shape is refused up front, naming the flag's field.
func TestGenFocusKeysAboveSeqLen(t *testing.T) {
	spec := DefaultGenSpec()
	spec.SeqLen, spec.FocusKeys = 8, 9
	err := spec.Validate()
	if err == nil || !strings.Contains(err.Error(), "focus_keys: expected at most seq_len (8)") {
		t.Errorf("focus_keys 9 > seq_len 8: %v", err)
	}
}
