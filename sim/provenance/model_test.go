package provenance

import (
	"regexp"
	"testing"
)

func TestModelVersionIsAHash(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates the probe (seconds)")
	}
	v, err := ModelVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(v) {
		t.Fatalf("ModelVersion() = %q, want a hex sha256", v)
	}
}
