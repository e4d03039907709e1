package sim

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/configs"
	"github.com/lrpsim/lrpsim/internal/fuzzseed"
)

// FuzzParseConfig feeds arbitrary YAML to the config parser: no panic, an error names the file,
// and a config it accepts passes Validate.
func FuzzParseConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted a config that Validate rejects: %v", err)
		}
	})
}

// TestFuzzSeeds keeps the committed seeds of FuzzParseConfig: every bundled config and bad ones.
func TestFuzzSeeds(t *testing.T) {
	seeds := map[string][]any{
		"bad-type":      {[]byte("front_end:\n  lanes: many\n")},
		"bad-range":     {[]byte("front_end:\n  lanes: 0\n")},
		"unknown-key":   {[]byte("front_end:\n  lane: 4\n")},
		"not-mapping":   {[]byte("- 1\n- 2\n")},
		"anchors":       {[]byte("a: &x {lanes: 4}\nfront_end: *x\n")},
		"tabs":          {[]byte("front_end:\n\tlanes: 4\n")},
		"duplicate-key": {[]byte("front_end:\n  lanes: 4\n  lanes: 8\n")},
		"huge-int":      {[]byte("front_end:\n  lanes: 99999999999999999999999\n")},
		"empty":         {[]byte("")},
	}
	entries, err := fs.ReadDir(configs.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			b, err := fs.ReadFile(configs.FS, e.Name())
			if err != nil {
				t.Fatal(err)
			}
			seeds["configs-"+strings.TrimSuffix(e.Name(), ".yaml")] = []any{b}
		}
	}
	fuzzseed.Check(t, "FuzzParseConfig", seeds)
}
