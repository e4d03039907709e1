package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeBlock matches a generated block of README.md: the lrpsim arguments in a comment, then a
// fenced block holding that command's output.
var readmeBlock = regexp.MustCompile("(?s)<!-- lrpsim: ([^>]*?) -->\n```text\n(.*?)```\n<!-- /lrpsim -->")

// TestREADME keeps every generated block of README.md equal to what the command prints now,
// so that no number in the README is typed by hand. -update rewrites the blocks.
func TestREADME(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlock.FindAllStringSubmatch(string(src), -1)
	if len(blocks) < 2 {
		t.Fatalf("README.md has %d generated blocks, want at least 2", len(blocks))
	}
	out := readmeBlock.ReplaceAllStringFunc(string(src), func(block string) string {
		m := readmeBlock.FindStringSubmatch(block)
		got, err := lrpsim(t, strings.Fields(m[1])...)
		if err != nil {
			t.Fatalf("lrpsim %s: %v", m[1], err)
		}
		if got != m[2] && !*update {
			t.Errorf("README.md block `lrpsim %s` is stale; run go test ./cmd/lrpsim -run README -update\ngot:\n%s", m[1], got)
		}
		return "<!-- lrpsim: " + m[1] + " -->\n```text\n" + got + "```\n<!-- /lrpsim -->"
	})
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
