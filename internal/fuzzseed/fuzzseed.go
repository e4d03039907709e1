// Package fuzzseed keeps the committed seed corpora of the project's fuzz targets
// (PKG/testdata/fuzz/FuzzNAME/, in the go test fuzz v1 format) in step with the valid and invalid
// inputs that each package's tests name: `go test` fails when a committed seed is missing or
// does not parse as a corpus file, and LRPSIM_FUZZ_SEEDS=write go test ./... rewrites them.
// Seeds are not compared byte for byte with their source: many are copies of files (configs,
// tables, sweep outputs) that change with the project, and an older copy is as good a seed. The go tool runs every seed
// as a regular test of its target, so an input that once crashed a parser, added here, stays a
// regression test.
package fuzzseed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// WriteEnv is the environment variable that makes Check rewrite the corpora instead of comparing.
const WriteEnv = "LRPSIM_FUZZ_SEEDS"

// Encode renders the values of one fuzz input as a corpus file. Values are []byte or string.
func Encode(values ...any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for i, v := range values {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
		default:
			return nil, fmt.Errorf("fuzzseed: value %d is a %T: expected []byte or string", i, v)
		}
	}
	return b.Bytes(), nil
}

// Check requires the committed corpus of target (testdata/fuzz/TARGET/ in the package under
// test) to hold every seed, by name, as a corpus file of as many values; with
// LRPSIM_FUZZ_SEEDS=write it writes them instead. Files of the
// corpus that are not seeds (inputs that the fuzzer found, kept as regression tests) are left
// alone.
func Check(t testing.TB, target string, seeds map[string][]any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	write := os.Getenv(WriteEnv) == "write"
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(seeds))
	for name := range seeds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want, err := Encode(seeds[name]...)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if write {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(got, []byte("go test fuzz v1\n")) ||
			bytes.Count(got, []byte("\n")) != len(seeds[name])+1 {
			t.Errorf("seed %s is missing or not a corpus file of %d values: regenerate the corpora with %s=write go test ./...",
				path, len(seeds[name]), WriteEnv)
		}
	}
}
