package sweep

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/sim"
)

// Merge joins the CSVs of the shards of one sweep (each with its manifest at ManifestPath) into
// out and its manifest (default ManifestPath(out)): the same bytes as an unsharded run of the
// sweep. It checks that every input is a shard, that all are shards of one sweep, that together
// they cover shards 0 to N-1 exactly once, and that each CSV is intact (its hash and header match
// its manifest, and it holds exactly its shard's points). It writes nothing on any error.
func Merge(out, manifest string, shards []string) (*Manifest, error) {
	if out == "" {
		return nil, errors.New("no output: give --out FILE.csv")
	}
	if manifest == "" {
		if out == sim.StdoutPath {
			return nil, errors.New("--out -: give --manifest FILE too (the manifest cannot go beside standard output)")
		}
		manifest = ManifestPath(out)
	}
	if sim.SameOutput(out, manifest) {
		return nil, fmt.Errorf("--manifest %s: the manifest needs a file of its own, not the CSV", manifest)
	}
	if len(shards) == 0 {
		return nil, errors.New("no shards to merge: give the CSVs of a sweep's shards")
	}
	// Writing over an input would destroy it before (or while) it is read: refuse the shards'
	// CSVs and their manifest and journal sidecars as outputs.
	for _, path := range shards {
		for _, in := range []string{path, ManifestPath(path), JournalPath(path)} {
			for _, o := range []struct{ flag, path string }{{"--out", out}, {"--manifest", manifest}} {
				if o.path != sim.StdoutPath && sim.SameOutput(o.path, in) {
					return nil, fmt.Errorf("%s %s: is the input %s (of shard %s); write the merge to a new file", o.flag, o.path, in, path)
				}
			}
		}
	}
	type input struct {
		path string
		m    *Manifest
	}
	var ins []input
	for _, path := range shards {
		m, err := ReadManifest(ManifestPath(path))
		if err != nil {
			return nil, fmt.Errorf("shard %s: %w", path, err)
		}
		if m.Shard == nil {
			return nil, fmt.Errorf("%s is a whole sweep, not a shard (its manifest has no shard): nothing to merge", path)
		}
		// The counts size loops and slices below: a corrupt manifest must not make them huge
		// (FuzzMerge found a merge that ran for ever on a shard claiming 10^18 points).
		if m.Points < 0 || m.Points > maxPoints {
			return nil, fmt.Errorf("%s: the manifest says %d points: expected 0 to %d", ManifestPath(path), m.Points, maxPoints)
		}
		if m.Shard.Count < 1 || m.Shard.Count > maxPoints || m.Shard.Index < 0 || m.Shard.Index >= m.Shard.Count {
			return nil, fmt.Errorf("%s: the manifest says shard %d/%d: expected INDEX/COUNT with 0 <= INDEX < COUNT <= %d",
				ManifestPath(path), m.Shard.Index, m.Shard.Count, maxPoints)
		}
		ins = append(ins, input{path: path, m: m})
	}
	first := ins[0]
	n := first.m.Shard.Count
	byIndex := map[int]string{}
	for _, in := range ins {
		if in.m.Version != first.m.Version {
			return nil, fmt.Errorf("%s and %s were written by different lrpsim versions (%s and %s): rerun the shards with one version",
				first.path, in.path, first.m.Version, in.m.Version)
		}
		if in.m.SweepHash != first.m.SweepHash {
			return nil, fmt.Errorf("%s and %s are shards of different sweeps (%s, sweep sha256 %.12s; %s, sweep sha256 %.12s): merge the shards of one sweep",
				first.path, in.path, first.m.Sweep, first.m.SweepHash, in.m.Sweep, in.m.SweepHash)
		}
		if in.m.Points != first.m.Points {
			return nil, fmt.Errorf("%s has %d points but %s has %d: the manifests of one sweep agree", first.path, first.m.Points, in.path, in.m.Points)
		}
		if in.m.Shard.Count != n {
			return nil, fmt.Errorf("%s is shard %d/%d but %s is shard %d/%d: the shards of one merge must split the sweep the same way",
				first.path, first.m.Shard.Index, n, in.path, in.m.Shard.Index, in.m.Shard.Count)
		}
		if other, dup := byIndex[in.m.Shard.Index]; dup {
			return nil, fmt.Errorf("%s and %s are both shard %d/%d: each shard once", other, in.path, in.m.Shard.Index, n)
		}
		byIndex[in.m.Shard.Index] = in.path
	}
	var missing []string
	for i := 0; i < n; i++ {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing shard(s) %s of sweep %s: every shard 0/%d to %d/%d is needed", strings.Join(missing, ", "), first.m.Sweep, n, n-1, n)
	}

	all := make([][]string, first.m.Points)
	for k := range ins {
		in := &ins[k]
		b, err := safeio.ReadFile(in.path, "a sweep shard (CSV)", safeio.MaxData)
		if err != nil {
			return nil, fmt.Errorf("reading shard: %w", err)
		}
		if sha(b) != in.m.CSVSHA256 {
			return nil, fmt.Errorf("%s does not match its manifest %s (the CSV was changed or is not the one the manifest describes)", in.path, ManifestPath(in.path))
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			return nil, fmt.Errorf("reading shard %s: %w", in.path, err)
		}
		if len(recs) == 0 || !slices.Equal(recs[0], in.m.Columns) {
			return nil, fmt.Errorf("%s: header does not match the columns of its manifest", in.path)
		}
		want := 0
		for pt := 0; pt < in.m.Points; pt++ {
			if in.m.Shard.Has(pt) {
				want++
			}
		}
		if len(recs)-1 != want || in.m.Rows != want {
			return nil, fmt.Errorf("%s holds %d rows, but shard %s of %d points has %d", in.path, len(recs)-1, in.m.Shard, in.m.Points, want)
		}
		for _, row := range recs[1:] {
			pt, err := strconv.Atoi(row[0])
			if err != nil || pt < 0 || pt >= len(all) || !in.m.Shard.Has(pt) || all[pt] != nil {
				return nil, fmt.Errorf("%s: row %q is not a point of shard %s", in.path, row[0], in.m.Shard)
			}
			all[pt] = row
		}
	}
	csvBytes, err := encodeCSV(first.m.Columns, all)
	if err != nil {
		return nil, err
	}
	m := *first.m
	m.Shard = nil
	m.Rows = len(all)
	m.CSVSHA256 = sha(csvBytes)
	man, err := m.encode()
	if err != nil {
		return nil, err
	}
	if err := sim.WriteOutputs(sim.Output{Path: out, Data: csvBytes}, sim.Output{Path: manifest, Data: man}); err != nil {
		return nil, err
	}
	return &m, nil
}
