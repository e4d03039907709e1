package figures

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lrpsim/lrpsim/sim/tabulate"
)

// barRows returns n rows with the bundled traces' long task and model names.
func barRows(n int) []tabulate.Row {
	names := [][2]string{{"sentence-embedding", "use-lite"}, {"mnist", "vit-mnist"}, {"language-modelling", "stories260K"}}
	rows := make([]tabulate.Row, n)
	for i := range rows {
		nm := names[i%len(names)]
		rows[i] = tabulate.Row{Task: fmt.Sprintf("%s-%d", nm[0], i), Model: nm[1], Speedup: 1 + float64(i%3)/100, EnergyReduction: 1.01}
	}
	return rows
}

// TestBarsTickLabelsNeverCollide: with few traces the figure widens so that every tick label
// line fits its slot; with many, the labels stand upright, one line each, in slots wider than a
// line is tall.
func TestBarsTickLabelsNeverCollide(t *testing.T) {
	for _, n := range []int{1, 4, 8, 23} {
		rows := barRows(n)
		fig, err := Bars(rows)
		if err != nil {
			t.Fatal(err)
		}
		slot := (fig.Width - 2.8*vg.Inch) / vg.Length(n+1)
		upright := fig.Plot.X.Tick.Label.Rotation != 0
		for _, r := range rows {
			for _, line := range strings.Split(groupName(r, upright), "\n") {
				w := textStyle(11).Width(line)
				if upright {
					w = 1.2 * 11 // a line's height, across
				}
				if w > slot {
					t.Errorf("%d traces: tick label %q takes %.0f pt across a %.0f pt slot", n, line, w, slot)
				}
			}
		}
		if upright && math.Abs(fig.Plot.X.Tick.Label.Rotation-math.Pi/2) > 1e-9 {
			t.Errorf("%d traces: tick labels turned by %v, want upright", n, fig.Plot.X.Tick.Label.Rotation)
		}
	}
}

// TestValueLabelsSeparated: value labels closer than their text is wide turn upright, with a
// font no taller than the room between neighbours; labels with room stay across.
func TestValueLabelsSeparated(t *testing.T) {
	for _, tc := range []struct {
		unit    vg.Length // canvas length of a slot
		upright bool
	}{{200, false}, {40, true}, {12, true}} {
		v := plotter.Values{1.001, 1.01, 1.77}
		a, _ := valueLabels(v, "%.2f", 0)
		b, _ := valueLabels(v, "%.2f", 0)
		l := &barLayout{width: 0.34}
		l.addLabels(a, -0.17)
		l.addLabels(b, 0.17)
		for i, lb := range l.lbls {
			lb.Offset.X = vg.Length(l.loffs[i]) * tc.unit
		}
		l.separateLabels(tc.unit)
		room := 0.34 * tc.unit
		for _, lb := range l.lbls {
			for j, st := range lb.TextStyle {
				if got := st.Rotation != 0; got != tc.upright {
					t.Errorf("slot %v: label %q upright %v, want %v", tc.unit, lb.Labels[j], got, tc.upright)
				}
				across := st.Width(lb.Labels[j])
				if st.Rotation != 0 {
					across = 1.2 * st.Font.Size
				}
				if across+vg.Points(2) > room+1e-9 {
					t.Errorf("slot %v: label %q takes %.1f pt across, %.1f pt between neighbours", tc.unit, lb.Labels[j], across, room)
				}
			}
		}
	}
}

// TestValueLabelsAboveFloor: a bar below the dense line has its label placed at the line, so
// the line never crosses it; others sit on their bars.
func TestValueLabelsAboveFloor(t *testing.T) {
	l, err := valueLabels(plotter.Values{0.96, 1.3}, "%.2f", 1)
	if err != nil {
		t.Fatal(err)
	}
	if l.XYs[0].Y != 1 || l.XYs[1].Y != 1.3 || l.Labels[0] != "0.96" {
		t.Errorf("labels %v at %v, want 0.96 at 1 and 1.30 at 1.3", l.Labels, l.XYs)
	}
}
