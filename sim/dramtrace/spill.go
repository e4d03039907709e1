package dramtrace

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lrpsim/lrpsim/arch"
)

// spillLimit is how many bytes of encoded requests stay in memory before they go to a temporary
// file (a variable for the tests).
var spillLimit = 1 << 20

// spill keeps the requests in the order they come, compactly (varints, each issue cycle as its
// difference from the previous one): in memory up to spillLimit bytes, then in a temporary file,
// so that a recording's memory does not grow with the requests.
type spill struct {
	buf       []byte
	file      *os.File
	name      string // the file's name while it is still to be removed
	err       error  // the first error writing the file, reported when the requests are read
	lastIssue int64  // issue cycle of the last request put
}

// put appends one request.
func (s *spill) put(q arch.Request) {
	for _, v := range [...]int64{q.Issue - s.lastIssue, int64(q.Channel), q.Addr, q.Bytes, q.First - q.Issue, q.Last - q.First, int64(q.Tile)} {
		s.buf = binary.AppendVarint(s.buf, v)
	}
	s.lastIssue = q.Issue
	if len(s.buf) >= spillLimit {
		s.flush()
	}
}

// flush moves the requests in memory to the file, creating it on first use (and removing its
// name at once where the system allows, so that a crash leaves nothing behind).
func (s *spill) flush() {
	if s.err == nil && s.file == nil {
		f, err := os.CreateTemp("", "lrpsim-dramtrace-*")
		if err != nil {
			s.err = fmt.Errorf("DRAM trace spill file: %w", err)
		} else {
			s.file, s.name = f, f.Name()
			if os.Remove(f.Name()) == nil {
				s.name = ""
			}
		}
	}
	if s.err == nil {
		if _, err := s.file.Write(s.buf); err != nil {
			s.err = fmt.Errorf("DRAM trace spill file %s: %w", s.file.Name(), err)
		}
	}
	s.buf = s.buf[:0]
}

// each calls f on every request in the order they came, with the fields Write uses (not Offset
// or Direct); it may be called again.
func (s *spill) each(f func(arch.Request) error) error {
	var src io.Reader = bytes.NewReader(s.buf)
	if s.file != nil {
		s.flush()
		if _, err := s.file.Seek(0, io.SeekStart); err != nil && s.err == nil {
			s.err = fmt.Errorf("DRAM trace spill file: %w", err)
		}
		src = s.file
	}
	if s.err != nil {
		return s.err
	}
	in := bufio.NewReaderSize(src, 1<<16)
	var issue int64
	for {
		var v [7]int64
		for i := range v {
			x, err := binary.ReadVarint(in)
			if i == 0 && errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("DRAM trace spill file: %w", err)
			}
			v[i] = x
		}
		issue += v[0]
		q := arch.Request{Issue: issue, Channel: int(v[1]), Addr: v[2], Bytes: v[3], First: issue + v[4], Tile: int(v[6])}
		q.Last = q.First + v[5]
		if err := f(q); err != nil {
			return err
		}
	}
}

// close removes the file, if any, and drops the requests.
func (s *spill) close() error {
	s.buf = nil
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	if s.name != "" {
		if rerr := os.Remove(s.name); err == nil {
			err = rerr
		}
		s.name = ""
	}
	return err
}
