package traces

import (
	"math"
	"testing"
)

// TestScaledIntThreshold checks the comparator's threshold of a scaled head against values worked
// by hand: T = ceil(threshold * scale * sqrt(d) / (scaleQ * scaleK)), clamped to KeepAll and
// PruneAll at minus and plus the largest dot product, and KeepAll for a dense head whatever the
// scale.
func TestScaledIntThreshold(t *testing.T) {
	// wide: d 16, scales 1/4 and 1/2, so T = ceil(32 * threshold * scale), far from the clamps.
	wide := Head{D: 16, ScaleQ: 0.25, ScaleK: 0.5, BitsQ: 12, BitsK: 12}
	// narrow: d 1, 2-bit q and k, scales 1: T = ceil(threshold * scale), clamped at +-4.
	narrow := Head{D: 1, ScaleQ: 1, ScaleK: 1, BitsQ: 2, BitsK: 2}
	for _, tc := range []struct {
		name             string
		head             Head
		threshold, scale float64
		want             int64
	}{
		{"scale 1 is the trace's T", wide, 0.375, 1, 12},
		{"scale 2 doubles an exact T", wide, 0.375, 2, 24},
		{"scale 1.25 exact", wide, 0.25, 1.25, 10},
		{"fraction rounds up", wide, 0.3, 1, 10},           // 9.6
		{"negative fraction rounds up", wide, -0.3, 1, -9}, // -9.6
		{"scaled fraction rounds up", wide, 0.3, 0.5, 5},   // 4.8
		{"scale 0 keeps q.k >= 0", wide, 0.375, 0, 0},
		{"dense head", wide, math.Inf(-1), 1, KeepAll},
		{"dense head, scale 0 (not NaN)", wide, math.Inf(-1), 0, KeepAll},
		{"dense head, scale 1.25", wide, math.Inf(-1), 1.25, KeepAll},
		{"at the largest dot product", narrow, 2, 2, 4},
		{"scaled above the largest dot product", narrow, 3, 1.5, PruneAll}, // 4.5 > 4
		{"scaled to minus the largest", narrow, -2, 2, KeepAll},            // -4
		{"scaled just above minus the largest", narrow, -2, 1.75, -3},      // -3.5
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.head
			h.Threshold = tc.threshold
			if got := h.ScaledIntThreshold(tc.scale); got != tc.want {
				t.Errorf("threshold %v scale %v: T %d, want %d", tc.threshold, tc.scale, got, tc.want)
			}
			if tc.scale == 1 && h.ScaledIntThreshold(1) != h.IntThreshold() {
				t.Errorf("scale 1: T %d, but the head's IntThreshold is %d", h.ScaledIntThreshold(1), h.IntThreshold())
			}
		})
	}
}
