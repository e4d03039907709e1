package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOutputPaths: the commands' output flags write through devices and FIFOs instead of
// replacing them, keep symbolic links, refuse --out and --actions naming one file, and a plot
// with several --out files writes none when one fails.
func TestOutputPaths(t *testing.T) {
	dir := t.TempDir()
	t.Run("same file", func(t *testing.T) {
		p := filepath.Join(dir, "same.txt")
		os.Symlink("same.txt", filepath.Join(dir, "alias.txt"))
		for _, args := range [][]string{
			{"run", "--out", p, "--actions", p},
			{"run", "--out", p, "--actions", filepath.Join(dir, ".", "same.txt")},
			{"run", "--out", "-", "--actions", "-"},
		} {
			_, err := lrpsim(t, args...)
			if err == nil || !strings.Contains(err.Error(), "name the same file") {
				t.Errorf("%v: %v", args, err)
			}
		}
		if exists(p) {
			t.Error("wrote the file anyway")
		}
	})
	t.Run("device", func(t *testing.T) {
		full := filepath.Join(dir, "full")
		if err := syscall.Mknod(full, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
			t.Skipf("SKIPPED: cannot make a device node (needs root): %v", err)
		}
		for _, args := range [][]string{
			{"run", "--out", full},
			{"run", "--actions", full, "--out", filepath.Join(dir, "report.txt")},
			{"table", "bundled:synthetic-default.npz", "-o", full},
		} {
			_, err := lrpsim(t, args...)
			if err == nil || !strings.Contains(err.Error(), "no space left on device") {
				t.Errorf("%v: %v; want the device's write error", args, err)
			}
			if st, _ := os.Lstat(full); st.Mode()&os.ModeCharDevice == 0 {
				t.Fatalf("%v replaced the device node", args)
			}
		}
		if exists(filepath.Join(dir, "report.txt")) {
			t.Error("--out written although --actions failed")
		}
	})
	t.Run("symlink", func(t *testing.T) {
		target := filepath.Join(dir, "real.txt")
		link := filepath.Join(dir, "link.txt")
		os.Symlink("real.txt", link)
		if _, err := lrpsim(t, "run", "--out", link); err != nil {
			t.Fatal(err)
		}
		st, err := os.Lstat(link)
		if err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Error("the symbolic link was replaced")
		}
		if b, _ := os.ReadFile(target); !strings.Contains(string(b), "speedup") {
			t.Errorf("the link's target holds %q", b)
		}
	})
	t.Run("plot all or nothing", func(t *testing.T) {
		first := filepath.Join(dir, "first.png")
		_, err := lrpsim(t, "plot", "bars", "bundled:synthetic-default.npz", "--out", first, "--out", filepath.Join(dir, "missing", "second.svg"))
		if err == nil || !strings.Contains(err.Error(), "second.svg") {
			t.Fatalf("err %v", err)
		}
		if exists(first) {
			t.Error("plot wrote the first --out although the second failed")
		}
	})
}

// TestBaselinesFlagBlamed: a bad --baselines value names the flag, not the built-in config file.
func TestBaselinesFlagBlamed(t *testing.T) {
	_, err := lrpsim(t, "run", "--baselines", "foo")
	if err == nil || !strings.Contains(err.Error(), "--baselines") || !strings.Contains(err.Error(), `got "foo"`) ||
		strings.Contains(err.Error(), "leopard.yaml") {
		t.Errorf("run --baselines foo: %v", err)
	}
}
