package main

import (
	"os"
	"regexp"
	"testing"
)

var readmeFrontier = regexp.MustCompile("(?s)(<!-- frontier: results/frontier/summary.md -->\n)(.*?)(<!-- /frontier -->)")

// TestREADMEFrontier: README.md quotes results/frontier/summary.md (lrpsim compare --budget
// --summary-out, in results/frontier/regen.sh) as it is, so the README's designs at equal
// accuracy are never typed by hand; -update copies it in.
func TestREADMEFrontier(t *testing.T) {
	const path = "../../README.md"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := readmeFrontier.FindSubmatchIndex(readme)
	if m == nil {
		t.Fatal("README.md has no <!-- frontier: results/frontier/summary.md --> quote")
	}
	summary, err := os.ReadFile("../../results/frontier/summary.md")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readme[m[4]:m[5]]); got != string(summary) {
		if !*update {
			t.Fatalf("README.md's frontier block is not results/frontier/summary.md; run go test ./cmd/lrpsim -run READMEFrontier -update")
		}
		out := string(readme[:m[4]]) + string(summary) + string(readme[m[5]:])
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
