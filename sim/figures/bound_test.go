package figures

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim/tabulate"
)

// TestBoundFigure draws the stacked shares of a few rows as SVG and PNG; a row without a bound is
// an error naming it.
func TestBoundFigure(t *testing.T) {
	rows := []tabulate.Row{
		{Trace: "a.npz", Task: "a", BoundShares: []float64{0.5, 0.1, 0.2, 0.1, 0.05, 0.03, 0.02}},
		{Trace: "b.npz", Task: "b", BoundShares: []float64{0, 0, 0, 1, 0, 0, 0}},
	}
	f, err := Bound(rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats() {
		b, err := f.Render(format)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v", format, err)
		}
		if format == "svg" && (!bytes.Contains(b, []byte("DRAM latency")) || !bytes.Contains(b, []byte("b.npz"))) {
			t.Errorf("svg lacks the legend or a trace label")
		}
	}
	_, err = Bound([]tabulate.Row{{Trace: "c.npz"}})
	if err == nil || !strings.Contains(err.Error(), "c.npz") {
		t.Errorf("a row without a bound: %v", err)
	}
}
