package provenance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ManifestPath is the manifest of the repository's results, relative to its root.
const ManifestPath = "results/PROVENANCE.json"

// Problem is a generated file whose record does not hold.
type Problem struct {
	File   string // slash-separated, relative to the repository root
	Reason string // e.g. "was made from another configs/leopard.yaml"
	Regen  string // what regenerates it
}

func (p Problem) String() string {
	if p.Regen == "" {
		return p.File + " " + p.Reason
	}
	return fmt.Sprintf("%s %s; regenerate with %s", p.File, p.Reason, p.Regen)
}

// Check compares the manifest's records with the tree at root and returns a problem for every
// generated file whose record does not hold: a file in generated (root-relative paths) with no
// entry; an entry whose file is gone or whose bytes changed; an input that is gone or whose
// bytes changed (inputs that lay outside the repository, [OutsidePrefix], are passed over); a model version other than model (entries without one are not compared).
// A file with no entry is sent to the regen.sh nearest above it.
// Problems come sorted by file, a file's inputs in order.
func Check(root string, m *Manifest, model string, generated []string) []Problem {
	var out []Problem
	for _, f := range generated {
		if _, ok := m.Files[f]; !ok {
			out = append(out, Problem{File: f, Reason: "is generated but has no record in " + ManifestPath,
				Regen: nearestRegen(root, f)})
		}
	}
	files := make([]string, 0, len(m.Files))
	for f := range m.Files {
		files = append(files, f)
	}
	sort.Strings(files)
	hashes := map[string]string{} // inputs shared by many entries (traces) are hashed once
	hashInput := func(n string) (string, error) {
		if h, ok := hashes[n]; ok {
			return h, nil
		}
		h, err := HashFile(filepath.Join(root, filepath.FromSlash(n)))
		if err == nil {
			hashes[n] = h
		}
		return h, err
	}
	for _, f := range files {
		e := m.Files[f]
		regen := e.RegenCommand()
		bad := func(reason string) { out = append(out, Problem{File: f, Reason: reason, Regen: regen}) }
		switch h, err := HashFile(filepath.Join(root, filepath.FromSlash(f))); {
		case errors.Is(err, fs.ErrNotExist):
			bad("is recorded in " + ManifestPath + " but does not exist")
			continue
		case err != nil:
			bad(err.Error())
			continue
		case h != e.SHA256:
			bad("was edited or rewritten after it was recorded (its sha256 differs from the record's)")
		}
		if e.Model != "" && e.Model != model {
			bad("was made by another simulator model version (what the simulator computes has changed)")
		}
		names := make([]string, 0, len(e.Inputs))
		for n := range e.Inputs {
			if !strings.HasPrefix(n, OutsidePrefix) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			switch h, err := hashInput(n); {
			case errors.Is(err, fs.ErrNotExist):
				bad("was made from " + n + ", which no longer exists")
			case err != nil:
				bad(err.Error())
			case h != e.Inputs[n]:
				bad("was made from another " + n)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// HandWritten says whether a file under results/ (slash-separated, relative to the repository
// root) is written by hand or by a tool outside lrpsim's reach, and so has no provenance record:
// the READMEs, the scripts (*.sh, *.py), the sweep specs and other hand-written configs
// (*.yaml), patches to outside tools (*.patch), BENCHMARKS.md (go run ./bench, timings of this
// machine), synth.md (rtl/synth.sh, needs Yosys), fuzz-campaign.md (a campaign
// log), golden/ (the CI's golden files, held by their own tests) and the manifest itself.
// Every other file under results/ is generated and must have a record.
func HandWritten(rel string) bool {
	base := path.Base(rel)
	switch {
	case rel == ManifestPath, strings.HasPrefix(rel, "results/golden/"):
		return true
	case base == "README.md", base == "BENCHMARKS.md", base == "synth.md", base == "fuzz-campaign.md":
		return true
	}
	switch path.Ext(base) {
	case ".sh", ".py", ".yaml", ".patch":
		return true
	}
	return false
}

// GeneratedResults lists the generated files under results/ of the tree at root: every regular
// file that is not [HandWritten], slash-separated and relative to root, in order. Hidden files
// and directories (a sweep's journal, __pycache__) are left out.
func GeneratedResults(root string) ([]string, error) {
	var out []string
	dir := filepath.Join(root, "results")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(name, ".") || name == "__pycache__") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") || !d.Type().IsRegular() {
			return nil
		}
		rel, ok := Rel(root, p)
		if !ok {
			return fmt.Errorf("%s lies outside %s", p, root)
		}
		if !HandWritten(rel) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return out, nil
}

// CheckResults checks the results of the repository at root against its manifest
// (results/PROVENANCE.json) and the model version model: see [Check].
func CheckResults(root, model string) ([]Problem, error) {
	m, err := Read(filepath.Join(root, filepath.FromSlash(ManifestPath)))
	if err != nil {
		return nil, err
	}
	files, err := GeneratedResults(root)
	if err != nil {
		return nil, err
	}
	return Check(root, m, model, files), nil
}

// nearestRegen is the regen.sh nearest above a file under results/ in the tree at root (e.g.
// results/energy-tables/regen.sh for results/energy-tables/table-45nm.md), "" when none.
func nearestRegen(root, rel string) string {
	for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
		script := d + "/regen.sh"
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(script))); err == nil {
			return script
		}
	}
	return ""
}
