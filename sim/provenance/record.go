package provenance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lrpsim/lrpsim/configs"
	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/sweep"
	"github.com/lrpsim/lrpsim/traces/data"
)

// RecordFiles records entry (its SHA256 filled per file) for each of outs: in the manifest at
// manifestPath for a file inside root, in a sidecar beside it (SidecarPath) for one outside.
func RecordFiles(root, manifestPath string, outs []string, entry Entry) error {
	inTree := map[string]Entry{}
	for _, out := range outs {
		h, err := HashFile(out)
		if err != nil {
			return err
		}
		e := entry
		e.SHA256 = h
		if rel, ok := Rel(root, out); ok {
			inTree[rel] = e
			continue
		}
		data, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return fmt.Errorf("provenance: %w", err)
		}
		if err := sim.WriteOutputs(sim.Output{Path: SidecarPath(out), Data: append(data, '\n')}); err != nil {
			return err
		}
	}
	if len(inTree) == 0 {
		return nil
	}
	return Update(manifestPath, inTree)
}

// SidecarPath is the record of a file outside the repository: .NAME.provenance.json beside it.
func SidecarPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".provenance.json")
}

// RecordDerived records outs as made by another program (command) from froms (`lrpsim provenance
// record`): a --from file inside the repository is an input itself, and its record's model
// version carries over; one outside stands for the inputs and model version of its sidecar
// record. noModel records no model version (nothing simulated went into outs).
func RecordDerived(manifestPath string, outs, froms []string, command, regen string, noModel bool) error {
	root, err := FindRoot(filepath.Dir(manifestPath))
	if err != nil {
		return err
	}
	m, err := Read(manifestPath)
	if err != nil {
		return err
	}
	in := NewInputs(root)
	var models []string
	for _, f := range froms {
		if rel, ok := Rel(root, f); ok {
			// A file of the repository is an input itself; when it has a record, that record
			// is checked on its own, so only its model version carries over.
			if err := in.AddRepoFile(rel); err != nil {
				return err
			}
			if e, ok := m.Files[rel]; ok && e.Model != "" {
				models = append(models, e.Model)
			}
		} else {
			data, err := os.ReadFile(SidecarPath(f))
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("--from %s: outside the repository and without a record (%s)", f, SidecarPath(f))
			}
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			// A temporary file: what it was made from stands in for it.
			var rec Entry
			if err := json.Unmarshal(data, &rec); err != nil {
				return fmt.Errorf("--from: %s: %w", SidecarPath(f), err)
			}
			in.Merge(rec.Inputs)
			if rec.Model != "" {
				models = append(models, rec.Model)
			}
		}
	}
	sort.Strings(models)
	entry := Entry{Regen: regen, Command: command, Inputs: in.Map()}
	if !noModel {
		if len(models) > 0 && models[0] != models[len(models)-1] {
			return fmt.Errorf("--from: the inputs were made by different model versions (%s and %s)", models[0], models[len(models)-1])
		}
		if len(models) > 0 {
			entry.Model = models[0]
		} else if entry.Model, err = ModelVersion(); err != nil {
			return err
		}
	}
	return RecordFiles(root, manifestPath, outs, entry)
}

// AddConfig adds a config as named: a file, or bundled:NAME (configs/NAME, the .yaml optional
// as sim.LoadConfig takes it).
func (in *Inputs) AddConfig(name string) error {
	if rest, ok := strings.CutPrefix(name, sim.BundledPrefix); ok {
		if path.Ext(rest) != ".yaml" {
			rest += ".yaml"
		}
		return in.AddRepoFile("configs/" + rest)
	}
	return in.AddFile(name)
}

// AddTrace adds a trace as named: a file, or bundled:NAME (traces/data/NAME, the .npz optional
// as data.Resolve takes it).
func (in *Inputs) AddTrace(name string) error {
	if rest, ok := strings.CutPrefix(data.Resolve(name), data.BundledPrefix); ok {
		return in.AddRepoFile("traces/data/" + rest)
	}
	return in.AddFile(name)
}

// AddEnergy adds the energy table: a file, or the file behind the built-in table of node.
func (in *Inputs) AddEnergy(file, node string) error {
	if file != "" {
		return in.AddFile(file)
	}
	if node == "" {
		node = "45nm"
	}
	src, err := energy.DefaultTableSource(node)
	if err != nil {
		return err
	}
	return in.AddRepoFile(src)
}

// AddSweep adds a sweep file's inputs: the file, its base config (or the default), its
// traces and its energy table.
func (in *Inputs) AddSweep(file string) error {
	s, err := sweep.Load(file)
	if err != nil {
		return err
	}
	if err := in.AddFile(file); err != nil {
		return err
	}
	if err := in.AddRepoFile("configs/" + configs.Default); err != nil {
		return err
	}
	resolve := func(p string) string {
		if strings.HasPrefix(p, "bundled:") || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(file), p)
	}
	if s.Base != "" {
		if err := in.AddConfig(resolve(s.Base)); err != nil {
			return err
		}
	}
	for _, t := range s.Traces {
		if err := in.AddTrace(resolve(t)); err != nil {
			return err
		}
	}
	table := s.EnergyTable
	if table != "" {
		table = resolve(table)
	}
	return in.AddEnergy(table, s.EnergyNode)
}
