package safeio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadFile: a regular file within the limit is read; a FIFO, a device, a directory, a file
// over the limit and a missing file are refused with an error naming the file and what was
// expected, without blocking or reading without end.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	os.WriteFile(small, []byte("a: 1\n"), 0o644)
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, make([]byte, 101), 0o644)
	link := filepath.Join(dir, "link.yaml")
	os.Symlink("small.yaml", link)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("SKIPPED: cannot make a FIFO: %v", err)
	}
	zero := filepath.Join(dir, "zero")
	os.Symlink("/dev/zero", zero)
	if _, err := os.Stat(zero); err != nil {
		t.Skipf("SKIPPED: no /dev/zero: %v", err)
	}
	for _, tc := range []struct {
		name, path string
		want       string // error text; "" for success
		notExist   bool
	}{
		{"regular", small, "", false},
		{"link to a regular file", link, "", false},
		{"at the limit", filepath.Join(dir, "big.yaml"), big + ": expected a config of at most 100 bytes; got 101 bytes", false},
		{"fifo", fifo, fifo + ": expected a config, a regular file; got a named pipe (FIFO)", false},
		{"device", zero, zero + ": expected a config, a regular file; got a character device", false},
		{"directory", dir, dir + ": expected a config, a regular file; got a directory", false},
		{"missing", filepath.Join(dir, "nope"), "no such file or directory", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ReadFile(tc.path, "a config", 100)
			if tc.want == "" {
				if err != nil || string(b) != "a: 1\n" {
					t.Fatalf("got %q, %v", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v; want %q", err, tc.want)
			}
			if errors.Is(err, fs.ErrNotExist) != tc.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %t", !tc.notExist)
			}
		})
	}
}

// TestResolveOutput: links are followed to the file they end at, devices and FIFOs are written
// through, and a directory, a link loop and a missing directory are errors.
func TestResolveOutput(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg.txt")
	os.WriteFile(reg, nil, 0o600)
	os.Symlink("reg.txt", filepath.Join(dir, "link.txt"))
	os.Symlink("new.txt", filepath.Join(dir, "dangling.txt"))
	os.Symlink("loop", filepath.Join(dir, "loop"))
	os.Symlink(".", filepath.Join(dir, "dirlink"))
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("SKIPPED: cannot make a FIFO: %v", err)
	}
	for _, tc := range []struct {
		name, path string
		want       Target
		err        string
	}{
		{"new", filepath.Join(dir, "new.txt"), Target{Path: filepath.Join(dir, "new.txt"), Mode: 0o644}, ""},
		{"regular keeps its mode", reg, Target{Path: reg, Exists: true, Mode: 0o600}, ""},
		{"link", filepath.Join(dir, "link.txt"), Target{Path: reg, Exists: true, Mode: 0o600}, ""},
		{"dangling link", filepath.Join(dir, "dangling.txt"), Target{Path: filepath.Join(dir, "new.txt"), Mode: 0o644}, ""},
		{"fifo", fifo, Target{Path: fifo, Through: true, Exists: true}, ""},
		{"directory", dir, Target{}, "writing " + dir + ": is a directory; expected a file path"},
		{"link to a directory", filepath.Join(dir, "dirlink"), Target{}, "the link's target " + dir + " is a directory"},
		{"loop", filepath.Join(dir, "loop"), Target{}, "too many levels of symbolic links"},
		{"missing directory", filepath.Join(dir, "nodir", "x.txt"), Target{}, "writing " + filepath.Join(dir, "nodir", "x.txt") + ": directory " + filepath.Join(dir, "nodir") + " does not exist"},
		{"file as directory", filepath.Join(reg, "x.txt"), Target{}, reg + " is a regular file, not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckOutput(tc.path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v; want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
