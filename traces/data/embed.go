// Package data embeds the bundled traces (see MANIFEST.md beside this file) so that the lrpsim
// binary replays one with no file at hand.
package data

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"slices"
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

// Open opens a trace by name: "" is the default bundled trace, "bundled:NAME" a bundled trace
// (the .npz optional; see Resolve), anything else a file path.
func Open(name string) (*traces.Reader, error) {
	name = Resolve(name)
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

// Names lists the bundled traces, in byte order.
func Names() []string {
	names, _ := fs.Glob(FS, "*.npz")
	return names
}

// NaturalNames lists the bundled traces in natural order (qa2 before qa10), the order of the
// figures over them and of lrpsim trace list.
func NaturalNames() []string {
	names := Names()
	slices.SortFunc(names, NaturalCompare)
	return names
}

// NaturalCompare orders strings with their digit runs compared as numbers: "qa2" < "qa10".
// Ties between equal numbers written differently ("qa02", "qa2") fall back to byte order.
func NaturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			x, y := strings.TrimLeft(a[si:i], "0"), strings.TrimLeft(b[sj:j], "0")
			if c := cmp.Compare(len(x), len(y)); c != 0 {
				return c
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(a[i], b[j]); c != 0 {
			return c
		}
		i++
		j++
	}
	if c := cmp.Compare(len(a)-i, len(b)-j); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
