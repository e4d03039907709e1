package data

import (
	"path"
	"strings"
)

// Resolve returns the canonical name of a trace, the one every command and report uses: "" is
// the default bundled trace, a bundled name without its .npz gets it ("bundled:use-lite" is
// "bundled:use-lite.npz"), and a file path is returned as given.
func Resolve(name string) string {
	if name == "" {
		return BundledPrefix + Default
	}
	if rest, ok := strings.CutPrefix(name, BundledPrefix); ok && path.Ext(rest) != ".npz" {
		return name + ".npz"
	}
	return name
}
