package sweep

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKeepGoing: with KeepGoing, a point that the config rejects (sram_kv_bytes 0) and one that
// cannot simulate (an SRAM too small for a key and value row) each get a row with empty metrics
// and the reason in the last column, "error"; the good point's metrics are those of a sweep of
// it alone. Without KeepGoing, the same sweep is an error before anything is computed.
func TestKeepGoing(t *testing.T) {
	dir := t.TempDir()
	smallTrace(t, dir, "a.npz", 1)
	bad := writeSweep(t, dir, "bad.yaml", "traces: [a.npz]\ngrid:\n  memory.sram_kv_bytes: [0, 64, 1048576]\nbaselines: [dense]\n")
	good := writeSweep(t, dir, "good.yaml", "traces: [a.npz]\ngrid:\n  memory.sram_kv_bytes: [1048576]\nbaselines: [dense]\n")
	s, err := Load(bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Plan("test"); err == nil || !strings.Contains(err.Error(), "bad.yaml:3") {
		t.Fatalf("without KeepGoing: %v", err)
	}
	p, err := s.PlanKeepGoing("test", true)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "kg.csv")
	if _, err := Run(p, Options{Out: out, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, out)
	head := rows[0]
	if head[len(head)-1] != ErrorColumn || len(rows) != 4 {
		t.Fatalf("header %v, %d rows", head, len(rows)-1)
	}
	cycles := slices.Index(head, "cycles")
	for i, want := range []string{"expected an integer in [2,", "needs", ""} {
		row := rows[i+1]
		why := row[len(row)-1]
		if (want == "") != (why == "") || !strings.Contains(why, want) {
			t.Errorf("point %d: error %q, want %q", i, why, want)
		}
		if (why == "") == (row[cycles] == "") {
			t.Errorf("point %d: cycles %q with error %q", i, row[cycles], why)
		}
	}
	gs, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	gp, err := gs.Plan("test")
	if err != nil {
		t.Fatal(err)
	}
	gout := filepath.Join(dir, "good.csv")
	if _, err := Run(gp, Options{Out: gout, Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	g := readCSV(t, gout)[1]
	if !slices.Equal(g[4:], rows[3][4:len(rows[3])-1]) {
		t.Errorf("the good point's metrics differ from a sweep of it alone:\n%v\n%v", g, rows[3])
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestMergeCorruptCounts: a shard manifest whose point or shard counts are corrupt is an error
// at once, not a loop over its claimed count (FuzzMerge found a merge that never ended).
func TestMergeCorruptCounts(t *testing.T) {
	c0, m0, c1, m1 := mergeSeedShards(t)
	for _, tc := range []struct{ name, old, new, want string }{
		{"points", `"points": 3`, `"points": 1000000000000000000`, "points"},
		{"negative points", `"points": 3`, `"points": -3`, "points"},
		{"shard count", `"count": 2`, `"count": 0`, "shard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s0, s1 := filepath.Join(dir, "s0.csv"), filepath.Join(dir, "s1.csv")
			bad := strings.Replace(string(m1), tc.old, tc.new, 1)
			if bad == string(m1) {
				t.Fatalf("manifest lacks %s", tc.old)
			}
			for p, b := range map[string][]byte{s0: c0, ManifestPath(s0): m0, s1: c1, ManifestPath(s1): []byte(bad)} {
				os.WriteFile(p, b, 0o644)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Merge(filepath.Join(dir, "out.csv"), "", []string{s0, s1})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err %v, want one about %s", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("merge still running after 10 s")
			}
		})
	}
}
