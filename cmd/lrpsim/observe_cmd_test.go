package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunTimelineAndDRAMTrace: --timeline writes trace-event JSON with the run's row tasks,
// --dram-trace the run's DRAM lines; both beside the report, in one invocation.
func TestRunTimelineAndDRAMTrace(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	tl, dram, csv := filepath.Join(dir, "tl.json"), filepath.Join(dir, "dram.txt"), filepath.Join(dir, "dram.csv")
	if _, err := lrpsim(t, "run", "--trace", tr, "--timeline", tl, "--dram-trace", dram); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []map[string]any  `json:"traceEvents"`
		OtherData   map[string]string `json:"otherData"`
	}
	b, err := os.ReadFile(tl)
	if err != nil || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("timeline: %v", err)
	}
	var tasks int
	for _, e := range doc.TraceEvents {
		if e["ph"] == "X" && strings.HasPrefix(e["name"].(string), "head ") {
			tasks++
		}
	}
	if tasks == 0 || doc.OtherData["config"] != "leopard" {
		t.Errorf("timeline: %d row tasks, other data %v", tasks, doc.OtherData)
	}
	lines, err := os.ReadFile(dram)
	if err != nil || !strings.HasPrefix(string(lines), "LD 0x0\n") {
		t.Errorf("dram trace: %v, starts %q", err, string(lines[:min(len(lines), 20)]))
	}
	if _, err := lrpsim(t, "run", "--trace", tr, "--dram-trace", csv, "--dram-trace-format", "csv"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(csv); !strings.HasPrefix(string(b), "issue_cycle,channel,address,bytes,op,") {
		t.Errorf("csv dram trace starts %q", string(b[:min(len(b), 40)]))
	}
}

// TestRunObserveBadInput: one clear error and no file for a bad window, an unknown format, or two
// flags naming one file.
func TestRunObserveBadInput(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	out := filepath.Join(dir, "x.json")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--timeline", out, "--timeline-window", "9:3"}, "--timeline-window: expected FROM:TO"},
		{[]string{"--timeline", out, "--timeline-window", "abc"}, "--timeline-window"},
		{[]string{"--dram-trace", out, "--dram-trace-format", "dramsim9"}, "--dram-trace-format: expected ramulator2 or csv"},
		{[]string{"--timeline", out, "--dram-trace", out}, "name the same file"},
		{[]string{"--out", out, "--timeline", out}, "name the same file"},
	} {
		_, err := lrpsim(t, append([]string{"run", "--trace", tr}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%v: left %s behind", tc.args, out)
		}
	}
}

// TestPlotBound draws what bounds two traces.
func TestPlotBound(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	out := filepath.Join(dir, "bound.svg")
	if _, err := lrpsim(t, "plot", "bound", "--out", out, tr, "bundled:memn2n-babi-qa1.npz"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "DRAM latency") {
		t.Errorf("bound figure: %v", err)
	}
}
