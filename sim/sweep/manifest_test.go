package sweep

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSweptKeys(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, manifest string // manifest "": none beside the CSV
		want           []string
	}{
		{"keys", `{"format": "` + ManifestFormat + `", "keys": ["front_end.lanes", "units"]}`, []string{"front_end.lanes", "units"}},
		{"other version", `{"format": "lrpsim-sweep-manifest/9", "new_field": 1, "keys": ["units"]}`, []string{"units"}},
		{"no keys", `{"format": "` + ManifestFormat + `"}`, nil},
		{"not JSON", `keys: [units]`, nil},
		{"none", "", nil},
	} {
		csv := filepath.Join(dir, tc.name+".csv")
		if tc.manifest != "" {
			if err := os.WriteFile(ManifestPath(csv), []byte(tc.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := SweptKeys(csv); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
