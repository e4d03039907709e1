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
	manifest, err := mergeOutputs(out, manifest, shards)
	if err != nil {
		return nil, err
	}
	ins, err := readShardManifests(shards)
	if err != nil {
		return nil, err
	}
	if err := checkShardSet(ins); err != nil {
		return nil, err
	}
	first := ins[0]
	all := make([][]string, first.m.Points)
	for _, in := range ins {
		if err := in.readRows(all); err != nil {
			return nil, err
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

// mergeOutputs checks the merge's outputs and returns the manifest's path (default
// ManifestPath(out)). Writing over an input would destroy it before (or while) it is read: the
// shards' CSVs and their manifest and journal sidecars are refused as outputs.
func mergeOutputs(out, manifest string, shards []string) (string, error) {
	if out == "" {
		return "", errors.New("no output: give --out FILE.csv")
	}
	if manifest == "" {
		if out == sim.StdoutPath {
			return "", errors.New("--out -: give --manifest FILE too (the manifest cannot go beside standard output)")
		}
		manifest = ManifestPath(out)
	}
	if sim.SameOutput(out, manifest) {
		return "", fmt.Errorf("--manifest %s: the manifest needs a file of its own, not the CSV", manifest)
	}
	if len(shards) == 0 {
		return "", errors.New("no shards to merge: give the CSVs of a sweep's shards")
	}
	for _, path := range shards {
		for _, in := range []string{path, ManifestPath(path), JournalPath(path)} {
			for _, o := range []struct{ flag, path string }{{"--out", out}, {"--manifest", manifest}} {
				if o.path != sim.StdoutPath && sim.SameOutput(o.path, in) {
					return "", fmt.Errorf("%s %s: is the input %s (of shard %s); write the merge to a new file", o.flag, o.path, in, path)
				}
			}
		}
	}
	return manifest, nil
}

// shardInput is one shard's CSV and its manifest.
type shardInput struct {
	path string
	m    *Manifest
}

// readShardManifests reads each shard's manifest and checks that it is a shard's, with counts
// in range.
func readShardManifests(shards []string) ([]shardInput, error) {
	var ins []shardInput
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
		ins = append(ins, shardInput{path: path, m: m})
	}
	return ins, nil
}

// checkShardSet checks that the shards are of one sweep, written by one version and split the
// same way, and that together they are shards 0 to N-1, each once.
func checkShardSet(ins []shardInput) error {
	first := ins[0]
	n := first.m.Shard.Count
	byIndex := map[int]string{}
	for _, in := range ins {
		if in.m.Version != first.m.Version {
			return fmt.Errorf("%s and %s were written by different lrpsim versions (%s and %s): rerun the shards with one version",
				first.path, in.path, first.m.Version, in.m.Version)
		}
		if !slices.Equal(in.m.Sets, first.m.Sets) {
			return fmt.Errorf("%s and %s are shards of %s run with different %s assignments (%s; %s): rerun the shards with the same ones",
				first.path, in.path, first.m.Sweep, sim.SetFlag, describeSets(first.m.Sets), describeSets(in.m.Sets))
		}
		if in.m.SweepHash != first.m.SweepHash {
			return fmt.Errorf("%s and %s are shards of different sweeps (%s, sweep sha256 %.12s; %s, sweep sha256 %.12s): merge the shards of one sweep",
				first.path, in.path, first.m.Sweep, first.m.SweepHash, in.m.Sweep, in.m.SweepHash)
		}
		if in.m.Points != first.m.Points {
			return fmt.Errorf("%s has %d points but %s has %d: the manifests of one sweep agree", first.path, first.m.Points, in.path, in.m.Points)
		}
		if in.m.Shard.Count != n {
			return fmt.Errorf("%s is shard %d/%d but %s is shard %d/%d: the shards of one merge must split the sweep the same way",
				first.path, first.m.Shard.Index, n, in.path, in.m.Shard.Index, in.m.Shard.Count)
		}
		if other, dup := byIndex[in.m.Shard.Index]; dup {
			return fmt.Errorf("%s and %s are both shard %d/%d: each shard once", other, in.path, in.m.Shard.Index, n)
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
		return fmt.Errorf("missing shard(s) %s of sweep %s: every shard 0/%d to %d/%d is needed", strings.Join(missing, ", "), first.m.Sweep, n, n-1, n)
	}
	return nil
}

// readRows reads the shard's CSV, checks it against its manifest (hash, header, exactly its
// shard's points) and puts each row at its point in all.
func (in shardInput) readRows(all [][]string) error {
	b, err := safeio.ReadFile(in.path, "a sweep shard (CSV)", safeio.MaxData)
	if err != nil {
		return fmt.Errorf("reading shard: %w", err)
	}
	if sha(b) != in.m.CSVSHA256 {
		return fmt.Errorf("%s does not match its manifest %s (the CSV was changed or is not the one the manifest describes)", in.path, ManifestPath(in.path))
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return fmt.Errorf("reading shard %s: %w", in.path, err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], in.m.Columns) {
		return fmt.Errorf("%s: header does not match the columns of its manifest", in.path)
	}
	want := 0
	for pt := 0; pt < in.m.Points; pt++ {
		if in.m.Shard.Has(pt) {
			want++
		}
	}
	if len(recs)-1 != want || in.m.Rows != want {
		return fmt.Errorf("%s holds %d rows, but shard %s of %d points has %d", in.path, len(recs)-1, in.m.Shard, in.m.Points, want)
	}
	for _, row := range recs[1:] {
		pt, err := strconv.Atoi(row[0])
		if err != nil || pt < 0 || pt >= len(all) || !in.m.Shard.Has(pt) || all[pt] != nil {
			return fmt.Errorf("%s: row %q is not a point of shard %s", in.path, row[0], in.m.Shard)
		}
		all[pt] = row
	}
	return nil
}
