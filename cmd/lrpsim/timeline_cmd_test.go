package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestRunTimelineGzipped: --timeline FILE.json.gz writes the JSON of --timeline FILE.json,
// gzipped, and leaves no temporary file beside it.
func TestRunTimelineGzipped(t *testing.T) {
	dir := t.TempDir()
	tr := smallTrace(t, dir)
	plain, packed := filepath.Join(dir, "tl.json"), filepath.Join(dir, "tl.json.gz")
	for _, out := range []string{plain, packed} {
		if _, err := lrpsim(t, "run", "--trace", tr, "--timeline", out); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(packed)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not gzipped: %v", packed, err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || !bytes.HasPrefix(want, []byte(`{"traceEvents":[`)) {
		t.Errorf("gunzipped %d bytes, want the %d of the plain file", len(got), len(want))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("the directory holds %d entries, want the trace and the two timelines", len(entries))
	}
}
