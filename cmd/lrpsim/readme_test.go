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
	t.Setenv("COLUMNS", "") // the text tables' width is the default, whatever the terminal's
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

// TestREADMEGoVersion: the Go version the README asks for ("With Go X or later") is go.mod's go
// line, the oldest Go that builds the module with its dependencies; a README asking for less
// sends an older Go off to download a toolchain, which fails offline.
func TestREADMEGoVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?$`).FindSubmatch(mod)
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	asked := regexp.MustCompile(`With Go (\d+\.\d+(?:\.\d+)?) or later`).FindSubmatch(readme)
	if asked == nil {
		t.Fatal(`README.md lacks "With Go X or later"`)
	}
	want := string(goLine[1])
	if patch := string(goLine[2]); patch != "" && patch != ".0" {
		want += patch
	}
	if got := string(asked[1]); strings.TrimSuffix(got, ".0") != want {
		t.Errorf("README.md asks for Go %s, go.mod's go line says %s%s", got, goLine[1], goLine[2])
	}
}
