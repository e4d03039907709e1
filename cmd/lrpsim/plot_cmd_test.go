package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotKinds(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	sweep := filepath.Join(dir, "sweep.csv")
	csv := "point,trace,front_end.lanes,speedup_dense\n0,a.npz,8,1.2\n1,a.npz,16,1.5\n2,b.npz,8,1.1\n3,b.npz,16,1.3\n"
	if err := os.WriteFile(sweep, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"bars":   {"bars", tr, tr},
		"steps":  {"steps", "--trace", tr},
		"energy": {"energy", "--trace", tr},
		"sweep":  {"sweep", "--csv", sweep, "--x", "front_end.lanes", "--y", "speedup_dense", "--logx"},
	} {
		pngPath, svgPath := filepath.Join(dir, name+".png"), filepath.Join(dir, name+".svg")
		all := append([]string{"plot"}, args...)
		if _, err := lrpsim(t, append(all, "--out", pngPath, "-o", svgPath)...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := os.ReadFile(pngPath)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() < 600 {
			t.Errorf("%s: PNG %v, %v", name, err, img.Bounds())
		}
		s, err := os.ReadFile(svgPath)
		if err != nil || !bytes.HasPrefix(s, []byte("<?xml")) {
			t.Errorf("%s: SVG %v %q", name, err, s[:min(len(s), 20)])
		}
	}
}

func TestPlotBadInput(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	sweep := filepath.Join(dir, "sweep.csv")
	if err := os.WriteFile(sweep, []byte("trace,x,y\na,1,2\na,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "f.png")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bars", "--out", filepath.Join(dir, "f.pdf"), tr}, "unsupported extension .pdf"},
		{[]string{"bars", tr}, "--out"},
		{[]string{"bars", "--out", png, filepath.Join(dir, "missing.npz")}, "missing.npz"},
		{[]string{"steps", "--out", png, "--trace", "bundled:nope.npz"}, "nope.npz"},
		{[]string{"energy", "--out", png, "--trace", tr, "--node", "3nm"}, "--node"},
		{[]string{"sweep", "--out", png, "--csv", sweep, "--x", "lanes", "--y", "y"}, `unknown column "lanes"`},
		{[]string{"sweep", "--out", png, "--csv", sweep, "--x", "x", "--y", "z"}, `unknown column "z"`},
		{[]string{"sweep", "--out", png, "--csv", filepath.Join(dir, "no.csv"), "--x", "x", "--y", "y"}, "no.csv"},
		{[]string{"sweep", "--out", png, "--csv", sweep, "--x", "x"}, "required"},
		{[]string{"pie"}, `unknown figure "pie"`},
	} {
		_, err := lrpsim(t, append([]string{"plot"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error with %q", c.args, err, c.want)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if n := e.Name(); strings.HasSuffix(n, ".png") || strings.HasSuffix(n, ".pdf") || strings.Contains(n, ".tmp-") {
				t.Errorf("%v: %s left behind", c.args, n)
			}
		}
	}
}
