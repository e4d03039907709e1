package sim

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lrpsim/lrpsim/internal/safeio"
)

// StdoutPath is the output path that means standard output.
const StdoutPath = "-"

// Output is one file a command writes: its path as the user gave it and its bytes, or, when
// Write is set, a function that streams them (a large file, such as a timeline, that should not
// be held in memory).
type Output struct {
	Path  string
	Data  []byte
	Write func(io.Writer) error
}

// writeTo writes the output's bytes to w.
func (o Output) writeTo(w io.Writer) error {
	if o.Write == nil {
		_, err := w.Write(o.Data)
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := o.Write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteFileAtomic renders one output with write and writes it with WriteOutputs: nothing is
// written when write fails.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return WriteOutputs(Output{Path: path, Data: buf.Bytes()})
}

// WriteOutputs writes the outputs of one command so that a failure leaves no new regular file:
//   - a path that does not exist or is a regular file gets a temporary file in its directory,
//     renamed over it only once every output has been staged (so readers never see a partial
//     file, and an error in a later output leaves the earlier ones as they were);
//   - a symbolic link is followed, and its final target replaced that way (the link stays);
//   - "-" is standard output, and a device, FIFO or socket is written through, never replaced
//     (--out /dev/null, --out /dev/stderr, a named pipe), and its write errors are reported
//     (--out /dev/full fails with "no space left on device");
//   - a directory is an error.
//
// Outputs written through cannot be taken back: they are written after every regular output
// has been staged, and before any is renamed.
func WriteOutputs(outs ...Output) (err error) {
	type staged struct {
		out    Output
		target string   // the resolved path
		tmp    *os.File // for a regular target; nil when written through
	}
	var all []*staged
	defer func() {
		if err != nil {
			for _, s := range all {
				if s.tmp != nil {
					s.tmp.Close()
					os.Remove(s.tmp.Name())
				}
			}
		}
	}()
	for _, o := range outs {
		s := &staged{out: o, target: o.Path}
		if o.Path == StdoutPath {
			all = append(all, s)
			continue
		}
		target, through, mode, err := resolveOutput(o.Path)
		if err != nil {
			return err
		}
		s.target = target
		if !through {
			if s.tmp, err = stage(target, mode, o); err != nil {
				return fmt.Errorf("writing %s: %w", o.Path, err)
			}
		}
		all = append(all, s)
	}
	for _, s := range all {
		if s.tmp != nil {
			continue
		}
		if err := writeThrough(s.target, s.out); err != nil {
			return fmt.Errorf("writing %s: %w", s.out.Path, err)
		}
	}
	for i, s := range all {
		if s.tmp == nil {
			continue
		}
		if err := safeio.Rename(s.tmp.Name(), s.target); err != nil {
			for _, rest := range all[i:] {
				if rest.tmp != nil {
					os.Remove(rest.tmp.Name())
				}
			}
			all = nil
			return fmt.Errorf("writing %s: %w", s.out.Path, err)
		}
	}
	return nil
}

// resolveOutput follows symbolic links from path to the file an output should land in (see
// safeio.ResolveOutput), and says whether that file is written through (a device, FIFO or
// socket) and, for a regular file that exists, its permissions (0644 for a new one).
func resolveOutput(path string) (target string, through bool, mode os.FileMode, err error) {
	t, err := safeio.ResolveOutput(path)
	return t.Path, t.Through, t.Mode, err
}

// CheckOutput fails when path cannot take an output (a directory, a link loop, a new file in a
// directory that does not exist), so that a command can refuse it before doing its work.
// Standard output ("-") is always fine.
func CheckOutput(path string) error {
	if path == StdoutPath {
		return nil
	}
	_, err := safeio.CheckOutput(path)
	return err
}

// stage writes an output to a synced temporary file beside target, with the given permissions.
func stage(target string, mode os.FileMode, o Output) (*os.File, error) {
	tmp, err := safeio.CreateTemp(target)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	if err := o.writeTo(tmp); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	return tmp, nil
}

// writeThrough writes an output to standard output ("-") or into an existing non-regular file.
func writeThrough(target string, o Output) error {
	if target == StdoutPath {
		return o.writeTo(os.Stdout)
	}
	f, err := safeio.OpenThrough(target)
	if err != nil {
		return err
	}
	if err := o.writeTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// SameOutput reports whether two output paths name one file: the same path, both standard
// output, or (following symbolic links) one existing file.
func SameOutput(a, b string) bool {
	if a == StdoutPath || b == StdoutPath {
		return a == b
	}
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ra, _, _, errA := resolveOutput(a)
	rb, _, _, errB := resolveOutput(b)
	if errA != nil || errB != nil {
		return false
	}
	if filepath.Clean(ra) == filepath.Clean(rb) {
		return true
	}
	sa, errA := os.Stat(ra)
	sb, errB := os.Stat(rb)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
