package figures

import (
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim/compare"
)

func TestParetoFront(t *testing.T) {
	pts := []frontierPoint{
		{"a", 1, 0, 1.1}, {"a", 2, 0.5, 1.3}, {"b", 1, 0.2, 1.05}, {"b", 2, 0.1, 1.2}, {"b", 3, 1, 1.25},
	}
	front := paretoFront(pts)
	want := [][2]float64{{0, 1.1}, {0.1, 1.2}, {0.5, 1.3}}
	if len(front) != len(want) {
		t.Fatalf("front %v, want %v", front, want)
	}
	for i, w := range want {
		if front[i].X != w[0] || front[i].Y != w[1] {
			t.Errorf("front[%d] = %v, want %v", i, front[i], w)
		}
	}
}

func TestFrontierFigure(t *testing.T) {
	file := func(w string, values ...float64) compare.FrontierFile {
		f := compare.FrontierFile{Schema: compare.FrontierSchema, Workload: w}
		for _, v := range values {
			f.Points = append(f.Points, compare.Point{Workload: w, Design: "d", Knob: "pruning.theta", Value: v,
				TestLoss: v / 10, Speedup: 1 + v, EnergyReduction: 1, EnergyReductionOnChip: 1 + v/2})
		}
		return f
	}
	fig, err := Frontier([]compare.FrontierFile{file("w1", 0.01, 0.02), file("w2", 0.01, 0.02)}, "onchip", "fam", []float64{0.002, 0.01})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := fig.Render("svg")
	if err != nil || !strings.Contains(string(svg), "budgets 0.2%, 1%") || !strings.Contains(string(svg), "fam: operating points") {
		t.Errorf("svg lacks the budgets' legend or the title (%v)", err)
	}
	for _, c := range []struct {
		files []compare.FrontierFile
		y     string
		want  string
	}{
		{[]compare.FrontierFile{file("w1", 0.01, 0.02), file("w2", 0.01)}, "speedup", "on 1 of 2 workloads"},
		{[]compare.FrontierFile{file("w1", 0.01)}, "energy", `--y "energy"`},
		{nil, "speedup", "no workloads"},
	} {
		if _, err := Frontier(c.files, c.y, "fam", nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one naming %q", err, c.want)
		}
	}
}
