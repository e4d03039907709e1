// Package safeio holds the file rules every lrpsim command follows.
//
// Inputs: a file the program reads is checked before it is opened: it must be a regular file
// (a FIFO would block, a device such as /dev/zero never ends, a directory is not a file), and it
// is read with a size limit, so that a wrong path gives one clear error instead of a hang or an
// out-of-memory crash.
//
// Outputs: a path that does not exist or names a regular file is written through a temporary
// file renamed over it; a symbolic link is followed, and its final target replaced that way; a
// device, FIFO or socket is written through, never replaced; a directory is an error.
package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Size limits for ReadFile.
const (
	// MaxText bounds a text input: a config, a sweep file, an energy table, an ERT or ART, a
	// manifest, a closed-loop JSON file.
	MaxText = 64 << 20
	// MaxData bounds a data input read whole: a sweep CSV or shard, a journal.
	MaxData = 1 << 30
)

// NotRegularError is the error for an input that is not a regular file.
type NotRegularError struct {
	File     string // the path as given
	Expected string // what the file should have been, e.g. "a config file (YAML)"
	Got      string // what it is, e.g. "a character device"
}

// Error formats the problem as "FILE: expected EXPECTED, a regular file; got GOT".
func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: expected %s, a regular file; got %s", e.File, e.Expected, e.Got)
}

// TooLargeError is the error for an input larger than its limit.
type TooLargeError struct {
	File     string
	Expected string
	Size     int64 // the size seen (at least Limit+1 when the file grew while it was read)
	Limit    int64
}

// Error formats the problem as "FILE: expected EXPECTED of at most LIMIT bytes; got SIZE bytes".
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: expected %s of at most %d bytes; got %d bytes", e.File, e.Expected, e.Limit, e.Size)
}

// Kind describes a file mode in words: "a regular file", "a directory", "a character device", ...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	default:
		return "not a regular file"
	}
}

// Open opens an input that must be a regular file; what says what it should be, for the error
// (e.g. "a trace file (.npz)"). The path is checked with os.Stat before it is opened, so that a
// FIFO is refused rather than blocking, and checked again after (the same file, still regular).
// A missing file gives the *fs.PathError of os.Stat.
func Open(path, what string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, &NotRegularError{File: path, Expected: what, Got: Kind(st.Mode())}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st2, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st2.Mode().IsRegular() || !os.SameFile(st, st2) {
		f.Close()
		return nil, nil, &NotRegularError{File: path, Expected: what, Got: Kind(st2.Mode()) + " (the path changed while it was opened)"}
	}
	return f, st2, nil
}

// ReadFile reads an input that must be a regular file of at most limit bytes; what says what
// it should be, for the errors (e.g. "a sweep manifest (JSON)"). Its errors are a
// *NotRegularError, a *TooLargeError, or the *fs.PathError of a missing or unreadable file.
func ReadFile(path, what string, limit int64) ([]byte, error) {
	f, st, err := Open(path, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, &TooLargeError{File: path, Expected: what, Size: st.Size(), Limit: limit}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{File: path, Expected: what, Size: int64(len(b)), Limit: limit}
	}
	return b, nil
}

// Target is where an output lands, as ResolveOutput finds it.
type Target struct {
	// Path is the final file after following symbolic links.
	Path string
	// Through is true for a device, FIFO or socket: written through, never replaced.
	Through bool
	// Exists is true when Path exists.
	Exists bool
	// Mode is the permission of an existing regular file, 0644 for a new one.
	Mode fs.FileMode
}

// ResolveOutput follows symbolic links from path to the file an output should land in. A
// directory, a link loop or a link chain longer than 40 is an error (wrapped as "writing PATH:
// ..."). It does not check the directory of a new file; CheckOutput does.
func ResolveOutput(path string) (Target, error) {
	target := path
	for hops := 0; ; hops++ {
		st, err := os.Lstat(target)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return Target{Path: target, Mode: 0o644}, nil
		case err != nil:
			if derr := checkDir(filepath.Dir(target)); derr != nil {
				err = derr // a file where a directory should be: say so
			}
			return Target{}, fmt.Errorf("writing %s: %w", path, err)
		case st.Mode()&fs.ModeSymlink != 0:
			if hops == 40 {
				return Target{}, fmt.Errorf("writing %s: too many levels of symbolic links (a link loop?)", path)
			}
			link, err := os.Readlink(target)
			if err != nil {
				return Target{}, fmt.Errorf("writing %s: %w", path, err)
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(target), link)
			}
			target = link
		case st.IsDir() && target == path:
			return Target{}, fmt.Errorf("writing %s: is a directory; expected a file path", path)
		case st.IsDir():
			return Target{}, fmt.Errorf("writing %s: the link's target %s is a directory; expected a file path", path, target)
		case st.Mode().IsRegular():
			return Target{Path: target, Exists: true, Mode: st.Mode().Perm()}, nil
		default:
			return Target{Path: target, Through: true, Exists: true}, nil
		}
	}
}

// CheckOutput resolves path (ResolveOutput) and, for a file that is not written through, checks
// that its directory exists, so that a command can refuse a bad output before doing its work.
func CheckOutput(path string) (Target, error) {
	t, err := ResolveOutput(path)
	if err != nil {
		return Target{}, err
	}
	if !t.Through {
		if err := checkDir(filepath.Dir(t.Path)); err != nil {
			return Target{}, fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return t, nil
}

// checkDir explains why dir cannot hold a new file, or returns nil.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is %s, not a directory", dir, Kind(st.Mode()))
	}
	return nil
}

// CreateTemp creates the temporary file that will be renamed onto target: ".BASE.tmp-*" in
// target's directory. A missing directory is named as such.
func CreateTemp(target string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		if derr := checkDir(filepath.Dir(target)); derr != nil {
			return nil, derr
		}
		return nil, err
	}
	return f, nil
}

// OpenThrough opens an existing device, FIFO or socket for writing (a FIFO blocks until it has a
// reader, as a shell redirection does).
func OpenThrough(target string) (*os.File, error) {
	return os.OpenFile(target, os.O_WRONLY, 0)
}

// Rename moves a staged temporary file onto target; a directory that appeared at target since
// it was resolved is named as such.
func Rename(tmp, target string) error {
	if err := os.Rename(tmp, target); err != nil {
		if st, serr := os.Stat(target); serr == nil && st.IsDir() {
			return fmt.Errorf("%s is a directory; expected a file path", target)
		}
		return err
	}
	return nil
}
