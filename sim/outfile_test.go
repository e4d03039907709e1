package sim

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// TestWriteOutputKinds: WriteFileAtomic replaces regular files atomically but writes through
// FIFOs and devices, follows symbolic links to replace their target, treats "-" as standard
// output, and refuses directories.
func TestWriteOutputKinds(t *testing.T) {
	dir := t.TempDir()
	t.Run("regular", func(t *testing.T) {
		p := filepath.Join(dir, "r.txt")
		if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(p, writeString("new")); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		if b, _ := os.ReadFile(p); string(b) != "new" || st.Mode().Perm() != 0o600 {
			t.Errorf("got %q, mode %v; want new, 0600 kept", b, st.Mode().Perm())
		}
	})
	t.Run("symlink", func(t *testing.T) {
		sub := filepath.Join(dir, "sub")
		os.Mkdir(sub, 0o755)
		target := filepath.Join(sub, "target.txt")
		os.WriteFile(target, []byte("old"), 0o644)
		link := filepath.Join(dir, "link.txt")
		if err := os.Symlink("sub/target.txt", link); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(link, writeString("via link")); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Error("the symbolic link was replaced")
		}
		if b, _ := os.ReadFile(target); string(b) != "via link" {
			t.Errorf("target holds %q", b)
		}
		dangling := filepath.Join(dir, "dangling")
		os.Symlink("sub/new.txt", dangling)
		if err := WriteFileAtomic(dangling, writeString("created")); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(sub, "new.txt")); string(b) != "created" {
			t.Errorf("dangling link's target holds %q", b)
		}
	})
	t.Run("fifo", func(t *testing.T) {
		p := filepath.Join(dir, "pipe")
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("SKIPPED: no FIFOs here: %v", err)
		}
		got := make(chan []byte)
		go func() {
			f, err := os.Open(p)
			if err != nil {
				got <- nil
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- b
		}()
		if err := WriteFileAtomic(p, writeString("through the pipe")); err != nil {
			t.Fatal(err)
		}
		if b := <-got; string(b) != "through the pipe" {
			t.Errorf("the reader got %q", b)
		}
		if st, _ := os.Lstat(p); st.Mode()&os.ModeNamedPipe == 0 {
			t.Error("the FIFO was replaced by a regular file")
		}
	})
	t.Run("device", func(t *testing.T) {
		// A node of /dev/full (char 1, 7) made here, so that a failure cannot harm the real one.
		p := filepath.Join(dir, "full")
		if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
			t.Skipf("SKIPPED: cannot make a device node (needs root): %v", err)
		}
		err := WriteFileAtomic(p, writeString("no room"))
		if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), p) {
			t.Errorf("writing to a /dev/full node: %v; want ENOSPC naming the path", err)
		}
		if st, _ := os.Lstat(p); st.Mode()&os.ModeCharDevice == 0 {
			t.Error("the device node was replaced by a regular file")
		}
		null := filepath.Join(dir, "null")
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err == nil {
			if err := WriteFileAtomic(null, writeString("gone")); err != nil {
				t.Errorf("writing to a /dev/null node: %v", err)
			}
			if st, _ := os.Lstat(null); st.Mode()&os.ModeCharDevice == 0 {
				t.Error("the /dev/null node was replaced by a regular file")
			}
		}
	})
	t.Run("stdout", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		old := os.Stdout
		os.Stdout = w
		err = WriteFileAtomic("-", writeString("to stdout"))
		os.Stdout = old
		w.Close()
		b, _ := io.ReadAll(r)
		if err != nil || string(b) != "to stdout" {
			t.Errorf("-: %v, %q", err, b)
		}
		if exists(filepath.Join(".", "-")) {
			t.Error(`wrote a file named "-"`)
		}
	})
	t.Run("directory", func(t *testing.T) {
		if err := WriteFileAtomic(dir, writeString("x")); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("directory: %v", err)
		}
	})
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".*tmp-*")); len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// TestWriteOutputsAllOrNothing: when a later output fails, the earlier ones are not written.
func TestWriteOutputsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "a.png")
	err := WriteOutputs(Output{Path: first, Data: []byte("a")}, Output{Path: filepath.Join(dir, "missing", "b.svg"), Data: []byte("b")})
	if err == nil || !strings.Contains(err.Error(), "b.svg") {
		t.Fatalf("err %v", err)
	}
	if exists(first) {
		t.Error("the first output was written although the second failed")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	os.WriteFile(first, []byte("old"), 0o644)
	if err := WriteOutputs(Output{Path: first, Data: []byte("new")}, Output{Path: dir, Data: []byte("b")}); err == nil {
		t.Fatal("no error for a directory output")
	}
	if b, _ := os.ReadFile(first); !bytes.Equal(b, []byte("old")) {
		t.Errorf("first output changed to %q although the second failed", b)
	}
}

func TestSameOutput(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	os.WriteFile(a, nil, 0o644)
	os.Symlink("a.csv", filepath.Join(dir, "l.csv"))
	for _, tc := range []struct {
		x, y string
		same bool
	}{
		{a, a, true}, {a, dir + "/./a.csv", true}, {a, filepath.Join(dir, "l.csv"), true},
		{"-", "-", true}, {a, "-", false}, {a, filepath.Join(dir, "b.csv"), false},
	} {
		if got := SameOutput(tc.x, tc.y); got != tc.same {
			t.Errorf("SameOutput(%s, %s) = %v", tc.x, tc.y, got)
		}
	}
}
