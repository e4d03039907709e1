package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/sim"
)

// checkOptions checks a run's options before anything is computed or created, and fills in the
// default manifest.
func checkOptions(opt *Options) error {
	if opt.Out == "" {
		return errors.New("no output: give --out FILE.csv")
	}
	if opt.Out == sim.StdoutPath {
		return errors.New("--out -: sweep needs a file (its journal goes beside it); lrpsim merge or cat can print it")
	}
	if opt.Manifest == "" {
		opt.Manifest = ManifestPath(opt.Out)
	}
	if opt.Jobs < 1 {
		return fmt.Errorf("--jobs %d: expected at least 1", opt.Jobs)
	}
	if sim.SameOutput(opt.Manifest, opt.Out) {
		return fmt.Errorf("--manifest %s: the manifest needs a file of its own, not the CSV", opt.Manifest)
	}
	if opt.Shard.Count < 0 || (opt.Shard.Count > 0 && (opt.Shard.Index < 0 || opt.Shard.Index >= opt.Shard.Count)) {
		return fmt.Errorf("shard %d/%d out of range: shards are numbered from 0", opt.Shard.Index, opt.Shard.Count)
	}
	if err := checkOutPath(opt.Out, "--out"); err != nil {
		return err
	}
	if err := checkOutPath(opt.Manifest, "--manifest"); err != nil {
		return err
	}
	if st, err := os.Stat(JournalPath(opt.Out)); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("--out %s: its journal %s is %s; expected a regular file or none", opt.Out, JournalPath(opt.Out), safeio.Kind(st.Mode()))
	}
	return nil
}

// writeOutputs writes the CSV, the rows of mine in point order, and its manifest.
func (p *Plan) writeOutputs(opt Options, mine []*Point, rows map[int][]string) error {
	ordered := make([][]string, 0, len(mine))
	for _, pt := range mine {
		ordered = append(ordered, rows[pt.Index])
	}
	csvBytes, err := encodeCSV(p.Columns, ordered)
	if err != nil {
		return err
	}
	man, err := p.manifest(opt.Shard, len(ordered), sha(csvBytes)).encode()
	if err != nil {
		return err
	}
	return sim.WriteOutputs(sim.Output{Path: opt.Out, Data: csvBytes}, sim.Output{Path: opt.Manifest, Data: man})
}

// upToDate reports whether the outputs already hold this sweep (or shard), complete.
func (p *Plan) upToDate(opt Options) bool {
	m, err := ReadManifest(opt.Manifest)
	if err != nil || m.SweepHash != p.Hash {
		return false
	}
	var shard Shard
	if m.Shard != nil {
		shard = *m.Shard
	}
	if shard != opt.Shard {
		return false
	}
	b, err := safeio.ReadFile(opt.Out, "a sweep CSV", safeio.MaxData)
	return err == nil && sha(b) == m.CSVSHA256
}

// removeStaleTemps removes the temporary files that sim.WriteFileAtomic leaves behind when the
// process is killed in the middle of writing path. The journal's lock makes this run the only
// writer of path.
func removeStaleTemps(path string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+base+".tmp-") && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// checkOutPath fails early, before any point is computed and before the journal is created,
// when path cannot take the output: a directory, a symbolic link loop, a file in a directory
// that does not exist, or a device, FIFO or socket (a sweep reads its outputs back to resume and
// to tell that they are up to date, so it needs regular files).
func checkOutPath(path, flag string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s %s: is a directory; expected a file path (e.g. %s)", flag, path, filepath.Join(path, "sweep.csv"))
	}
	t, err := safeio.ResolveOutput(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", flag, path, err)
	}
	if t.Through {
		st, _ := os.Stat(t.Path)
		got := "not a regular file"
		if st != nil {
			got = safeio.Kind(st.Mode())
		}
		return fmt.Errorf("%s %s: is %s; a sweep writes regular files (it reads them back to resume and to skip finished work): give a file path", flag, path, got)
	}
	dir := filepath.Dir(t.Path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s %s: the directory %s does not exist", flag, path, dir)
	}
	return nil
}
