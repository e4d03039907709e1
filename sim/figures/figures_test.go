package figures

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/traces"
)

// smallResult simulates the default config and its baselines on a small synthetic trace.
func smallResult(t *testing.T) (*sim.Result, []tabulate.Row) {
	t.Helper()
	spec := traces.DefaultGenSpec()
	spec.Layers, spec.Heads, spec.SeqLen, spec.D, spec.DV = 2, 2, 32, 16, 16
	path := filepath.Join(t.TempDir(), "small.npz")
	if err := traces.Generate(path, spec); err != nil {
		t.Fatal(err)
	}
	cfg, err := sim.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	table, err := energy.DefaultTable("45nm")
	if err != nil {
		t.Fatal(err)
	}
	res, meta, err := tabulate.Simulate(cfg, path, "", table)
	if err != nil {
		t.Fatal(err)
	}
	row, err := tabulate.RowOf(path, res, meta.Metric)
	if err != nil {
		t.Fatal(err)
	}
	other := row
	other.Model, other.Task, other.Speedup, other.EnergyReduction = "gpt2", "wikitext", 1.3, 2.4
	return res, []tabulate.Row{row, other}
}

func sweepCSV() string {
	return `point,trace,model,task,front_end.lanes,front_end.scheduling,cycles,speedup_dense,energy_pj,energy_reduction_dense,pruning_rate,mean_steps_per_key
0,bundled:a.npz,m,t,4,dynamic,4000,1.2,3e8,1.5,0.8,6.5
1,bundled:a.npz,m,t,8,dynamic,2100,1.4,2.9e8,1.6,0.8,6.5
2,bundled:a.npz,m,t,16,lockstep,1200,1.7,2.8e8,1.7,0.8,6.5
3,/x/b.npz,m,t,4,dynamic,5000,1.1,4e8,1.4,0.7,7
4,/x/b.npz,m,t,8,lockstep,2600,1.3,3.9e8,1.5,0.7,7
5,/x/b.npz,m,t,16,lockstep,1400,1.5,3.8e8,1.6,0.7,7
`
}

func readSweep(t *testing.T, text string) *SweepData {
	t.Helper()
	sd, err := ReadSweepCSV(strings.NewReader(text), "sweep.csv")
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// TestFiguresRender draws every kind as PNG and SVG: the PNG decodes at the figure's size at
// DPI, the SVG is an SVG document, and rendering twice gives the same bytes.
func TestFiguresRender(t *testing.T) {
	res, rows := smallResult(t)
	sd := readSweep(t, sweepCSV())
	kinds := map[string]func() (Figure, error){
		"bars":   func() (Figure, error) { return Bars(rows) },
		"steps":  func() (Figure, error) { return Steps(res) },
		"energy": func() (Figure, error) { return EnergyBreakdown(res) },
		"sweep": func() (Figure, error) {
			return Sweep(sd, SweepOptions{X: "front_end.lanes", Y: "speedup_dense", LogX: true})
		},
		"sweep-nominal": func() (Figure, error) {
			return Sweep(sd, SweepOptions{X: "front_end.scheduling", Y: "cycles", Group: []string{"trace", "front_end.lanes"}})
		},
		"sweep-energy": func() (Figure, error) { return Sweep(sd, SweepOptions{X: "front_end.lanes", Y: "energy_pj"}) },
	}
	for name, mk := range kinds {
		t.Run(name, func(t *testing.T) {
			fig, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			b, err := fig.Render("png")
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			wantW := int(math.Round(float64(fig.Width/vg.Inch) * DPI))
			wantH := int(math.Round(float64(fig.Height/vg.Inch) * DPI))
			if sz := img.Bounds().Size(); sz.X != wantW || sz.Y != wantH || sz.X < 600 || sz.Y < 400 {
				t.Errorf("PNG is %dx%d, want %dx%d (at least 600x400)", sz.X, sz.Y, wantW, wantH)
			}
			b2, err := fig.Render("png")
			if err != nil || !bytes.Equal(b, b2) {
				t.Errorf("PNG differs between two renderings (err %v)", err)
			}
			s, err := fig.Render("svg")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(s, []byte("<?xml")) && !bytes.HasPrefix(s, []byte("<svg")) {
				t.Errorf("SVG starts with %q", s[:min(len(s), 20)])
			}
			if !bytes.Contains(s, []byte("</svg>")) {
				t.Error("SVG has no closing </svg>")
			}
			s2, err := fig.Render("svg")
			if err != nil || !bytes.Equal(s, s2) {
				t.Errorf("SVG differs between two renderings (err %v)", err)
			}
		})
	}
}

// TestFigureText checks the texts a reader needs: axis labels with units, legends, titles.
func TestFigureText(t *testing.T) {
	res, rows := smallResult(t)
	sd := readSweep(t, sweepCSV())
	svg := func(f Figure, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.Render("svg")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, c := range map[string]struct {
		svg  string
		want []string
	}{
		"bars":   {svg(Bars(rows)), []string{"speedup / energy reduction over dense (x)", "geomean", "wikitext", "(gpt2)", "dense (1x)", "energy reduction"}},
		"steps":  {svg(Steps(res)), []string{"share of keys (%)", "lane step at which the key was decided", "survivors", "pruned"}},
		"energy": {svg(EnergyBreakdown(res)), []string{"energy (µJ)", "design", "dense", "et_only", "dram", "horowitz-45nm"}},
		"sweep": {svg(Sweep(sd, SweepOptions{X: "front_end.lanes", Y: "speedup_dense"})),
			[]string{"speedup over dense (x)", "front_end.lanes", "a.npz", "b.npz", "1x (no gain)"}},
		"sweep-labels": {svg(Sweep(sd, SweepOptions{X: "front_end.lanes", Y: "pruning_rate", Title: "T1", XLabel: "lanes per unit", YLabel: "rate"})),
			[]string{"T1", "lanes per unit", "rate"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.svg, escapeXML(w)) {
				t.Errorf("%s: the SVG lacks %q", name, w)
			}
		}
	}
}

func escapeXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestSaveByExtension(t *testing.T) {
	_, rows := smallResult(t)
	fig, err := Bars(rows)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"a.png", "b.SVG"} {
		if err := fig.Save(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"c.pdf", "d", "e.jpg"} {
		err := fig.Save(filepath.Join(dir, bad))
		if err == nil || !strings.Contains(err.Error(), ".png or .svg") {
			t.Errorf("%s: got %v", bad, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "a.png b.SVG" {
		t.Errorf("files %v, want a.png b.SVG only", names)
	}
	if _, err := fig.Render("pdf"); err == nil {
		t.Error("Render(pdf): expected an error")
	}
}

func TestBadInputs(t *testing.T) {
	res, rows := smallResult(t)
	if _, err := Bars(nil); err == nil {
		t.Error("bars without rows: expected an error")
	}
	bad := append([]tabulate.Row(nil), rows...)
	bad[0].Speedup = 0
	if _, err := Bars(bad); err == nil {
		t.Error("bars with a zero speedup: expected an error")
	}
	if _, err := Steps(&sim.Result{Design: &sim.Stats{}}); err == nil {
		t.Error("steps without pairs: expected an error")
	}
	unpriced := *res
	unpriced.Energy = nil
	if _, err := EnergyBreakdown(&unpriced); err == nil {
		t.Error("energy of an unpriced result: expected an error")
	}

	sd := readSweep(t, sweepCSV())
	for _, c := range []struct {
		opt  SweepOptions
		want string
	}{
		{SweepOptions{X: "lanes", Y: "speedup_dense"}, `unknown column "lanes"`},
		{SweepOptions{X: "front_end.lanes", Y: "speedup"}, `unknown column "speedup"`},
		{SweepOptions{X: "front_end.lanes", Y: "speedup_dense", Group: []string{"nope"}}, `unknown column "nope"`},
		{SweepOptions{X: "front_end.lanes", Y: "model"}, `expected a number`},
		{SweepOptions{X: "front_end.lanes", Y: "speedup_dense", Group: []string{}}, "--group COLUMN"},
		{SweepOptions{X: "front_end.scheduling", Y: "cycles", LogX: true}, "numeric"},
		{SweepOptions{Y: "cycles"}, "required"},
	} {
		_, err := Sweep(sd, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error with %q", c.opt, err, c.want)
		}
	}
	zero := readSweep(t, "trace,x,y\na,0,1\na,1,2\n")
	if _, err := Sweep(zero, SweepOptions{X: "x", Y: "y", LogX: true}); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("log x with 0: got %v", err)
	}
	for _, text := range []string{"", "a,b\n", "a,b\n1\n"} {
		if _, err := ReadSweepCSV(strings.NewReader(text), "s.csv"); err == nil {
			t.Errorf("CSV %q: expected an error", text)
		}
	}
}

// TestSweepGrouping: by default a sweep's lines are per trace and per swept key that x does not
// determine; a key zipped with x makes no lines of its own.
func TestSweepGrouping(t *testing.T) {
	sd := readSweep(t, `point,trace,a.kv,a.q,b.bpc,cycles
0,t.npz,8,1,1,10
1,t.npz,8,1,2,11
2,t.npz,16,1,1,12
3,t.npz,16,1,2,13
4,t.npz,32,2,1,14
5,t.npz,32,2,2,15
`)
	x, _ := sd.Column("a.kv")
	if got := strings.Join(sd.defaultGroup(x, []string{"a.kv", "a.q", "b.bpc", "missing"}), ","); got != "trace,b.bpc" {
		t.Errorf("default group %q, want trace,b.bpc", got)
	}
	f, err := Sweep(sd, SweepOptions{X: "a.kv", Y: "cycles", Keys: []string{"a.kv", "a.q", "b.bpc"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	// The constant trace goes to the title, the varying key to the legend.
	for _, w := range []string{">bpc=1<", ">bpc=2<", "t.npz"} {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("SVG lacks %q", w)
		}
	}
	if bytes.Contains(b, []byte("q=")) {
		t.Error("the zipped key a.q made lines")
	}
	// Without the keys the rows collide, and the error says how to group them.
	if _, err := Sweep(sd, SweepOptions{X: "a.kv", Y: "cycles"}); err == nil || !strings.Contains(err.Error(), "--group trace,COLUMN") {
		t.Errorf("got %v", err)
	}
}

func TestXLabel(t *testing.T) {
	all := []float64{8192, 1 << 20, 3 << 30}
	for x, want := range map[float64]string{8192: "8 KiB", 1 << 20: "1 MiB", 3 << 30: "3 GiB"} {
		if got := xLabel("memory.sram_kv_bytes", x, all); got != want {
			t.Errorf("xLabel(%v) = %q, want %q", x, got, want)
		}
	}
	if got := xLabel("memory.sram_kv_bytes", 1000, []float64{1000}); got != "1000" {
		t.Errorf("not a multiple of 1024: %q", got)
	}
	if got := xLabel("front_end.lanes", 16, []float64{16}); got != "16" {
		t.Errorf("lanes: %q", got)
	}
}

// TestThinTicks: crowded x tick labels are blanked, left to right, keeping the ticks.
func TestThinTicks(t *testing.T) {
	sd := readSweep(t, "x,y\n1,1\n2,2\n3,3\n100,4\n200,5\n1000,6\n")
	f, err := Sweep(sd, SweepOptions{X: "x", Y: "y"})
	if err != nil {
		t.Fatal(err)
	}
	c := draw.New(vgimg.New(f.Width, f.Height))
	ticks := thinTicks(f.Plot, c)
	var labels []string
	for _, tk := range ticks {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, ","); got != "1,,,100,200,1000" {
		t.Errorf("labels %q, want 1,,,100,200,1000", got)
	}
}
