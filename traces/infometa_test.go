package traces

import (
	"strings"
	"testing"
)

// TestMetaFieldLines: trace info prints a meta object as key: value lines in the file's order,
// numbers as written, nested objects indented, lists inline, long values wrapped under
// themselves within the width, and an absent or null field as none.
func TestMetaFieldLines(t *testing.T) {
	raw := []byte(`{"metric":null,"generator":{"z":1.0,"a":"` + strings.Repeat("word ", 30) +
		`","info":{"heads":4,"size":[64,128]},"sweep":[{"lam":0.02},{"lam":1e-05}],"fixed":null}}`)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"metric", []string{"none"}},
		{"absent", []string{"none"}},
		{"generator", []string{
			"z: 1.0",
			"a: " + strings.TrimSpace(strings.Repeat("word ", 7)),
			"   " + strings.TrimSpace(strings.Repeat("word ", 7)),
			"   " + strings.TrimSpace(strings.Repeat("word ", 7)),
			"   " + strings.TrimSpace(strings.Repeat("word ", 7)),
			"   word word",
			"info:",
			"  heads: 4",
			"  size: [64, 128]",
			"sweep: [{lam: 0.02}, {lam: 1e-05}]",
			"fixed: null",
		}},
	} {
		got := metaFieldLines(raw, tc.name, 40)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
		for _, l := range got {
			if len(l) > 40 {
				t.Errorf("%s: line of %d bytes: %q", tc.name, len(l), l)
			}
		}
	}
}
