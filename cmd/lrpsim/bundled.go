package main

import (
	"fmt"
	"io/fs"

	"github.com/lrpsim/lrpsim/traces"
	"github.com/lrpsim/lrpsim/traces/data"
)

// openBundledTrace opens the default trace embedded in the binary.
func openBundledTrace() (*traces.Reader, error) {
	b, err := fs.ReadFile(data.FS, data.Default)
	if err != nil {
		return nil, fmt.Errorf("bundled trace %s: %w", data.Default, err)
	}
	return traces.OpenBytes("bundled:"+data.Default, b)
}
