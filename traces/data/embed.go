// Package data embeds the bundled traces (see MANIFEST.md beside this file) so that the lrpsim
// binary replays one with no file at hand.
package data

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/lrpsim/lrpsim/traces"
)

// FS holds the bundled traces.
//
//go:embed *.npz
var FS embed.FS

// Default is the trace `lrpsim run` replays when given none.
const Default = "use-lite.npz"

// BundledPrefix marks a bundled trace in a trace name: "bundled:use-lite.npz".
const BundledPrefix = "bundled:"

// Open opens a trace by name: "" is the default bundled trace, "bundled:NAME" a bundled trace,
// anything else a file path.
func Open(name string) (*traces.Reader, error) {
	if name == "" {
		name = BundledPrefix + Default
	}
	if rest, ok := strings.CutPrefix(name, BundledPrefix); ok {
		b, err := fs.ReadFile(FS, rest)
		if err != nil {
			return nil, fmt.Errorf("no bundled trace %q (have %s)", rest, strings.Join(Names(), ", "))
		}
		return traces.OpenBytes(name, b)
	}
	if _, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	return traces.Open(name)
}

// Names lists the bundled traces.
func Names() []string {
	names, _ := fs.Glob(FS, "*.npz")
	return names
}
