package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestCompareClosedLoopMissing: a --closed-loop folder that is not there (or is a file) is an
// error naming the flag and the path, before anything is simulated, not a table of n/a.
func TestCompareClosedLoopMissing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.json")
	os.WriteFile(file, []byte("{}"), 0o644)
	missing := filepath.Join(dir, "nonexistent")
	for _, tc := range []struct{ path, want string }{
		{missing, "no such file"},
		{file, "got a file"},
	} {
		out, err := lrpsim(t, "compare", "-c", "bundled:leopard.yaml", "bundled:memn2n-babi-qa4.npz", "--closed-loop", tc.path)
		if err == nil || !strings.Contains(err.Error(), "--closed-loop "+tc.path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--closed-loop %s: err %v, want one naming the flag, the path and %q", tc.path, err, tc.want)
		}
		if out != "" {
			t.Errorf("--closed-loop %s printed %q", tc.path, out)
		}
	}
}

// walkCommands calls fn on every command under root.
func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

// TestCompletionOffersBundled: every --config offers the bundled configs and every --trace the
// bundled traces, and so do the trace arguments of compare and trace heads and the config
// argument of config show.
func TestCompletionOffersBundled(t *testing.T) {
	const spatten, useLite = "bundled:policies/spatten.yaml", "bundled:use-lite.npz"
	type probe struct {
		args []string
		want string
	}
	var probes []probe
	walkCommands(newRootCmd(), func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		if c.Flags().Lookup("config") != nil {
			probes = append(probes, probe{append(append([]string(nil), path...), "--config", "bundled:"), spatten})
		}
		if c.Flags().Lookup("trace") != nil {
			probes = append(probes, probe{append(append([]string(nil), path...), "--trace", "bundled:use"), useLite})
		}
	})
	if len(probes) < 6 {
		t.Fatalf("only %d commands with --config or --trace: %v", len(probes), probes)
	}
	probes = append(probes,
		probe{[]string{"compare", "bundled:use"}, useLite},
		probe{[]string{"trace", "heads", "bundled:use"}, useLite},
		probe{[]string{"table", "bundled:use"}, useLite},
		probe{[]string{"config", "show", "bundled:pol"}, spatten},
		probe{[]string{"run", "-c", "bundled:policies/s"}, spatten},
	)
	for _, p := range probes {
		out, err := lrpsim(t, append([]string{"__complete"}, p.args...)...)
		if err != nil {
			t.Fatalf("__complete %v: %v", p.args, err)
		}
		if !strings.Contains(out, p.want+"\n") {
			t.Errorf("completing %v: %q missing from\n%s", p.args, p.want, out)
		}
	}
}

// TestBundledNamesOneResolver: bundled traces are accepted with or without .npz, and bundled
// configs with or without .yaml, by every command that takes them, run included.
func TestBundledNamesOneResolver(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--no-baselines", "-t", "bundled:memn2n-babi-qa4"}, "trace:  bundled:memn2n-babi-qa4.npz"},
		{[]string{"run", "--no-baselines", "-t", "bundled:memn2n-babi-qa4", "-c", "bundled:policies/spatten.yaml"}, "config: spatten:"},
		{[]string{"run", "--no-baselines", "-t", "bundled:memn2n-babi-qa4", "-c", "bundled:policies/sanger"}, "config: sanger:"},
		{[]string{"trace", "info", "bundled:memn2n-babi-qa4"}, "memn2n"},
		{[]string{"trace", "validate", "bundled:memn2n-babi-qa4"}, "bundled:memn2n-babi-qa4: ok"},
		{[]string{"trace", "heads", "-c", "bundled:policies/spatten", "bundled:memn2n-babi-qa4"}, "spatten"},
		{[]string{"trace", "dump-rows", "-c", "bundled:lockstep.yaml", "bundled:memn2n-babi-qa4"}, "lrpsim-rtl-rows 1\n"},
		{[]string{"table", "--format", "csv", "-c", "bundled:policies/spatten", "bundled:memn2n-babi-qa4"}, ",bundled:memn2n-babi-qa4.npz,"},
		{[]string{"compare", "--format", "csv", "-c", "bundled:leopard", "bundled:memn2n-babi-qa4"}, "memn2n-babi-qa4,leopard,"},
		{[]string{"config", "show", "bundled:policies/spatten"}, "name: spatten"},
	} {
		out, err := lrpsim(t, tc.args...)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Errorf("%v: err %v, output lacks %q:\n%.400s", tc.args, err, tc.want, out)
		}
	}
	_, err := lrpsim(t, "run", "-c", "bundled:nonesuch")
	if err == nil || !strings.Contains(err.Error(), `"bundled:nonesuch.yaml"`) || !strings.Contains(err.Error(), "policies/spatten.yaml") {
		t.Errorf("run -c bundled:nonesuch: %v, want the name and the bundled configs", err)
	}
}

// TestEnumFlagsCheckedFirst: --engine and --node are checked before the config and the trace
// load, and the error names the flag and the accepted values, not the trace.
func TestEnumFlagsCheckedFirst(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--engine", "foo"}, []string{`--engine: unknown engine "foo"`, "event", "reference"}},
		{[]string{"run", "--engine", "foo", "-t", "/nonexistent.npz", "-c", "/nonexistent.yaml"}, []string{"--engine", "event or reference"}},
		{[]string{"run", "--node", "7nm", "-t", "/nonexistent.npz"}, []string{`--node: unknown node "7nm"`, "45nm"}},
		{[]string{"table", "--engine", "foo", "/nonexistent.npz"}, []string{"--engine", "event or reference"}},
		{[]string{"compare", "--engine", "foo", "/nonexistent.npz"}, []string{"--engine", "event or reference"}},
		{[]string{"table", "--node", "7nm", "-c", "/nonexistent.yaml"}, []string{"--node", "45nm"}},
		{[]string{"plot", "bars", "--engine", "foo", "--out", "x.png", "-c", "/nonexistent.yaml"}, []string{"--engine", "event or reference"}},
	} {
		_, err := lrpsim(t, tc.args...)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v lacks %q", tc.args, err, w)
			}
		}
		if strings.Contains(err.Error(), "nonexistent") || strings.Contains(err.Error(), "bundled:") {
			t.Errorf("%v: %v blames the trace or config", tc.args, err)
		}
	}
}

// TestContradictoryFlags: --baselines with --no-baselines is refused, naming both.
func TestContradictoryFlags(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--no-baselines", "--baselines", "dense"},
		{"run", "--baselines", "dense", "--no-baselines"},
	} {
		out, err := lrpsim(t, args...)
		if err == nil || !strings.Contains(err.Error(), "baselines") || !strings.Contains(err.Error(), "no-baselines") {
			t.Errorf("%v: err %v", args, err)
		}
		if strings.Contains(out, "speedup") {
			t.Errorf("%v printed a report", args)
		}
	}
}

// TestTraceInfoMetaReadable: trace info prints the source, metric and generator of a trace as
// indented key: value lines within 100 columns, not as raw JSON.
func TestTraceInfoMetaReadable(t *testing.T) {
	out, err := lrpsim(t, "trace", "info", "bundled:use-lite")
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(out, "\ninputs ")
	for _, l := range strings.Split(head, "\n") {
		if len(l) > 100 {
			t.Errorf("line of %d columns: %q", len(l), l)
		}
	}
	for _, want := range []string{"\nmetric      dense: 1.0\n", "\n            name: cosine_to_dense\n",
		"\ngenerator   command: python -m lrpsim_export export use-lite", "\n            lambdas_tried: [0.02, 0.05, 0.1]\n",
		"\n            model_info:\n              head_size: [64, 128]\n"} {
		if !strings.Contains(head, want) {
			t.Errorf("trace info lacks %q:\n%s", want, head)
		}
	}
	if strings.Contains(head, `{"`) {
		t.Errorf("trace info prints raw JSON:\n%s", head)
	}
}

// TestTerminalLayout: table and compare print aligned text within $COLUMNS (100 when unset) by
// default, and --out without --format writes the format of the file's extension, Markdown,
// CSV and LaTeX byte for byte as --format gives them.
func TestTerminalLayout(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	for _, tc := range []struct {
		columns string
		width   int
	}{{"", 100}, {"120", 120}, {"junk", 100}} {
		t.Setenv("COLUMNS", tc.columns)
		for _, args := range [][]string{
			{"table", tr},
			{"compare", "-c", "bundled:leopard", "-c", "bundled:policies/sanger", tr},
		} {
			out, err := lrpsim(t, args...)
			if err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			for _, l := range strings.Split(out, "\n") {
				if len(l) > tc.width {
					t.Errorf("COLUMNS=%q %v: a line of %d columns: %q", tc.columns, args, len(l), l)
				}
			}
			if strings.Contains(out, "| ") || !strings.Contains(out, "speedup") || !strings.Contains(out, "small") ||
				!strings.Contains(out, "\n----") {
				t.Errorf("COLUMNS=%q %v: not the text layout:\n%s", tc.columns, args, out)
			}
		}
	}
	t.Setenv("COLUMNS", "")
	for _, cmd := range []string{"table", "compare"} {
		for ext, format := range map[string]string{".md": "md", ".csv": "csv", ".tex": "latex", ".txt": "text", ".out": "md"} {
			auto, explicit := filepath.Join(dir, cmd+"-auto"+ext), filepath.Join(dir, cmd+"-explicit"+ext)
			if _, err := lrpsim(t, cmd, "-c", "bundled:leopard", tr, "--out", auto); err != nil {
				t.Fatal(err)
			}
			if _, err := lrpsim(t, cmd, "-c", "bundled:leopard", tr, "--out", explicit, "--format", format); err != nil {
				t.Fatal(err)
			}
			a, b := readFile(t, auto), readFile(t, explicit)
			if string(a) != string(b) {
				t.Errorf("%s --out x%s differs from --format %s:\n%s\n%s", cmd, ext, format, a, b)
			}
		}
	}
}
