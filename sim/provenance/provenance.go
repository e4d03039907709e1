// Package provenance records what each generated result was made from, so that a result made
// from another config, energy table, trace or simulator can be told from a fresh one.
//
// A [Manifest] (results/PROVENANCE.json) maps each generated file, by its path relative to the
// repository root, to an [Entry]: the command that regenerates it, the sha256 of every input it
// was made from (repository files: configs, energy tables, traces, scripts, other results), the
// simulator's model version ([ModelVersion]: a hash of what the simulator computes on a fixed
// probe, so that any change of behaviour changes it and a pure refactor does not) and the
// sha256 of the file's own bytes. [Check] recomputes all of that from a tree and names every
// file whose record no longer holds.
package provenance

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lrpsim/lrpsim/sim"
)

// Schema names the manifest's format.
const Schema = "lrpsim-provenance/1"

// EnvManifest is the environment variable that, set to a manifest path (results/PROVENANCE.json),
// makes lrpsim's generating commands record what they wrote into it; EnvRegen names the script
// that regenerates those files (e.g. results/regen.sh), recorded beside the command line.
const (
	EnvManifest = "LRPSIM_PROVENANCE"
	EnvRegen    = "LRPSIM_REGEN"
)

// Entry is the record of one generated file.
type Entry struct {
	// Regen is the script that regenerates the file, e.g. results/regen.sh ("" when none).
	Regen string `json:"regen,omitempty"`
	// Command is the command line that wrote the file, run from the repository root.
	Command string `json:"command"`
	// Inputs maps each input, a slash-separated path relative to the repository root, to the
	// sha256 of its bytes.
	Inputs map[string]string `json:"inputs"`
	// Model is the simulator's model version when the file was made ("" for files that no Go
	// simulation went into, such as the closed-loop accuracies).
	Model string `json:"model,omitempty"`
	// SHA256 is the sha256 of the file's bytes.
	SHA256 string `json:"sha256"`
}

// RegenCommand is what to run to regenerate the file: the script, or else the command line.
func (e Entry) RegenCommand() string {
	if e.Regen != "" {
		return e.Regen
	}
	return e.Command
}

// Manifest maps generated files (slash-separated paths relative to the repository root) to
// their entries.
type Manifest struct {
	Schema string           `json:"schema"`
	Files  map[string]Entry `json:"files"`
}

// Read reads a manifest; a file that does not exist is an empty manifest.
func Read(path string) (*Manifest, error) {
	m := &Manifest{Schema: Schema, Files: map[string]Entry{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("provenance: %s: %w", path, err)
	}
	if m.Schema != Schema {
		return nil, fmt.Errorf("provenance: %s: schema %q, want %q", path, m.Schema, Schema)
	}
	if m.Files == nil {
		m.Files = map[string]Entry{}
	}
	return m, nil
}

// Bytes renders the manifest deterministically: keys sorted, two-space indentation, a final
// newline.
func (m *Manifest) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return buf.Bytes(), nil
}

// Update reads the manifest at path, sets the given entries and writes it back atomically.
// (Commands that record into one manifest run one after another; two at once could lose an
// update.)
func Update(path string, entries map[string]Entry) error {
	m, err := Read(path)
	if err != nil {
		return err
	}
	for k, e := range entries {
		m.Files[k] = e
	}
	data, err := m.Bytes()
	if err != nil {
		return err
	}
	return sim.WriteOutputs(sim.Output{Path: path, Data: data})
}

// HashBytes is the hex sha256 of data.
func HashBytes(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// HashFile is the hex sha256 of a file's bytes.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("provenance: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("provenance: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FindRoot returns the repository root above dir: the nearest directory, dir included, that
// holds a go.mod file.
func FindRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("provenance: %w", err)
	}
	for d := abs; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("provenance: no go.mod above %s", abs)
		}
		d = parent
	}
}

// Rel returns path (absolute, or relative to the working directory) relative to root,
// slash-separated; ok is false when path lies outside root.
func Rel(root, path string) (rel string, ok bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	r, err := filepath.Rel(root, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// Inputs collects the inputs of one command as it names them: repository files, hashed when
// added. The zero value is not usable: make one with [NewInputs].
type Inputs struct {
	root  string
	files map[string]string
}

// NewInputs returns an empty set of inputs of the repository at root.
func NewInputs(root string) *Inputs {
	return &Inputs{root: root, files: map[string]string{}}
}

// OutsidePrefix marks an input that lay outside the repository (a script's temporary config):
// "outside:NAME", NAME its base name. Its hash is recorded, but nobody can check it later, so
// [Check] passes over it: the script that made it must be an input of the same record.
const OutsidePrefix = "outside:"

// AddFile hashes a file (a path absolute or relative to the working directory) and adds it
// under its path relative to the root, or as OutsidePrefix + its base name when it lies outside
// the repository.
func (in *Inputs) AddFile(path string) error {
	rel, ok := Rel(in.root, path)
	if !ok {
		h, err := HashFile(path)
		if err != nil {
			return err
		}
		in.files[OutsidePrefix+filepath.Base(path)] = h
		return nil
	}
	return in.AddRepoFile(rel)
}

// AddRepoFile hashes a file given by its slash-separated path relative to the root.
func (in *Inputs) AddRepoFile(rel string) error {
	if _, ok := in.files[rel]; ok {
		return nil
	}
	h, err := HashFile(filepath.Join(in.root, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	in.files[rel] = h
	return nil
}

// Merge adds inputs recorded elsewhere (another entry's), keeping their hashes.
func (in *Inputs) Merge(inputs map[string]string) {
	for k, v := range inputs {
		in.files[k] = v
	}
}

// Map returns the inputs as a map from path to sha256.
func (in *Inputs) Map() map[string]string {
	out := make(map[string]string, len(in.files))
	for k, v := range in.files {
		out[k] = v
	}
	return out
}

// Names lists the inputs' paths in order.
func (in *Inputs) Names() []string {
	names := make([]string, 0, len(in.files))
	for k := range in.files {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
