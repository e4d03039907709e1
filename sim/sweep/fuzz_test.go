package sweep

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/internal/fuzzseed"
)

// FuzzParseSweep feeds arbitrary YAML to the sweep file parser: no panic, and an error names
// the file.
func FuzzParseSweep(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Parse("fuzz.yaml", data); err != nil && !strings.Contains(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// FuzzJournalLine feeds arbitrary lines to the journal's decoder: no panic; a line it accepts
// ends in the CRC that lrpsim writes for the JSON before it (so a torn or altered line is never
// taken), and its entry encodes to a line that decodes to the same entry.
func FuzzJournalLine(f *testing.F) {
	f.Fuzz(func(t *testing.T, line []byte) {
		e, ok := decodeJournalLine(line)
		if !ok {
			return
		}
		i := bytes.LastIndexByte(line, ' ')
		if want := fmt.Sprintf("%08x", crc32.ChecksumIEEE(line[:i])); string(line[i+1:]) != want {
			t.Fatalf("accepted %q, whose CRC field is not %s", line, want)
		}
		again, err := encodeJournalLine(e)
		if err != nil {
			t.Fatalf("decoded entry does not encode: %v", err)
		}
		e2, ok := decodeJournalLine(again[:len(again)-1])
		if !ok || !reflect.DeepEqual(e, e2) {
			t.Fatalf("accepted %q; its entry encodes as %q, which decodes to %+v", line, again, e2)
		}
	})
}

// FuzzMerge merges a valid shard 0/2 with a fuzzed shard 1/2 (its CSV and manifest): no
// panic, and on any error no output file.
func FuzzMerge(f *testing.F) {
	s0csv, s0man, s1csv, s1man := mergeSeedShards(f)
	// The shard of this build as a seed too: the committed ones may be of older columns.
	f.Add(s1csv, s1man)
	f.Fuzz(func(t *testing.T, csvData, manData []byte) {
		dir := t.TempDir()
		s0, s1 := filepath.Join(dir, "s0.csv"), filepath.Join(dir, "s1.csv")
		for p, b := range map[string][]byte{s0: s0csv, ManifestPath(s0): s0man, s1: csvData, ManifestPath(s1): manData} {
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out := filepath.Join(dir, "out.csv")
		if _, err := Merge(out, "", []string{s0, s1}); err != nil {
			for _, p := range []string{out, ManifestPath(out)} {
				if _, serr := os.Stat(p); serr == nil {
					t.Fatalf("merge failed (%v) but wrote %s", err, p)
				}
			}
		}
	})
}

// mergeSeedShards runs a small sweep as two shards and returns their CSVs and manifests.
func mergeSeedShards(tb testing.TB) (csv0, man0, csv1, man1 []byte) {
	tb.Helper()
	dir := tb.TempDir()
	smallTrace(tb, dir, "a.npz", 1)
	sw := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(sw, []byte("traces: [a.npz]\ngrid:\n  front_end.lanes: [4, 8, 16]\nbaselines: [dense]\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	s, err := Load(sw)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := s.Plan("fuzz")
	if err != nil {
		tb.Fatal(err)
	}
	var out [4][]byte
	for i := range 2 {
		o := filepath.Join(dir, "s"+string(rune('0'+i))+".csv")
		if _, err := Run(p, Options{Out: o, Jobs: 1, Shard: Shard{Index: i, Count: 2}}); err != nil {
			tb.Fatal(err)
		}
		if out[2*i], err = os.ReadFile(o); err != nil {
			tb.Fatal(err)
		}
		if out[2*i+1], err = os.ReadFile(ManifestPath(o)); err != nil {
			tb.Fatal(err)
		}
	}
	return out[0], out[1], out[2], out[3]
}

// TestFuzzSeeds keeps the committed seeds of the fuzz targets above.
func TestFuzzSeeds(t *testing.T) {
	seeds := map[string][]any{
		"bad-key":    {[]byte("traces: [a.npz]\ngrid:\n  front_end.lane: [4]\n")},
		"empty-grid": {[]byte("traces: [a.npz]\ngrid:\n  front_end.lanes: []\n")},
		"zip-length": {[]byte("traces: [a.npz]\ngrid:\n  front_end.lanes: [4]\nzip:\n  back_end.macs: [1, 2]\n  back_end.fifo_depth: [1]\n")},
		"not-yaml":   {[]byte("{[")},
		"empty":      {[]byte("")},
	}
	files, _ := filepath.Glob("../../configs/sweeps/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seeds["configs-"+strings.TrimSuffix(filepath.Base(p), ".yaml")] = []any{b}
	}
	fuzzseed.Check(t, "FuzzParseSweep", seeds)

	line, err := encodeJournalLine(journalEntry{Sweep: "ab12", Shard: "1/2", Point: 3, Row: []string{"3", "bundled:x.npz", "1.5"}})
	if err != nil {
		t.Fatal(err)
	}
	line = line[:len(line)-1]
	bad := bytes.Clone(line)
	bad[5] ^= 1
	fuzzseed.Check(t, "FuzzJournalLine", map[string][]any{
		"valid":     {line},
		"torn":      {line[:len(line)-4]},
		"bad-crc":   {bad},
		"no-crc":    {line[:len(line)-9]},
		"crc-only":  {[]byte(" 00000000")},
		"empty":     {[]byte{}},
		"not-json":  {[]byte("{x 1a2b3c4d")},
		"wrong-row": {[]byte(`{"sweep":"a","shard":"","point":1,"row":"x"} 00000000`)},
	})

	_, _, c1, m1 := mergeSeedShards(t)
	fuzzseed.Check(t, "FuzzMerge", map[string][]any{
		"valid":            {c1, m1},
		"csv-edited":       {bytes.Replace(c1, []byte(","), []byte(";"), 1), m1},
		"manifest-shard-0": {c1, bytes.Replace(m1, []byte(`"index": 1`), []byte(`"index": 0`), 1)},
		"manifest-garbage": {c1, []byte("{not json")},
		"csv-empty":        {[]byte{}, m1},
		"truncated-csv":    {c1[:len(c1)/2], m1},
	})
}
