package timeline

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// kind is what an event is: its name, category, phase, process and arguments follow from it.
type kind byte

const (
	kindRowTask kind = iota
	kindStall
	kindWait
	kindSurvivor
	kindNormalization
	kindKeepMax
	kindFIFO
	kindRequest
	kindBuffers
	kindBufferWait
	kindDependencyWait
	kinds
)

// record is one event as the recorder keeps it, in cycles: ts and dur, its thread, and up to
// four integers whose meaning its kind gives (see the table in write.go).
type record struct {
	kind    kind
	ts, dur int64
	tid     int64
	a       [3]int64
	b       int64
}

// spillLimit is how many bytes of records stay in memory before they go to a temporary file (a
// variable for the tests).
var spillLimit = 1 << 20

// spill keeps the records in the order they come: in memory up to spillLimit bytes, then in a
// temporary file, so that a recording's memory stays bounded.
type spill struct {
	buf  []byte
	file *os.File
	// name is the file's name while it is to be removed ("" once it is: where the system lets
	// an open file be removed, it is at once, so that a crash leaves nothing behind).
	name string
	err  error // the first error writing the file, reported when the records are read back
}

// put appends one record.
func (s *spill) put(e record) {
	s.buf = append(s.buf, byte(e.kind))
	for _, v := range [...]int64{e.ts, e.dur, e.tid, e.a[0], e.a[1], e.a[2], e.b} {
		s.buf = binary.AppendVarint(s.buf, v)
	}
	if len(s.buf) >= spillLimit {
		s.flush()
	}
}

// flush moves the records in memory to the file, creating it on first use.
func (s *spill) flush() {
	if s.err != nil {
		s.buf = s.buf[:0]
		return
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "lrpsim-timeline-*")
		if err != nil {
			s.err = fmt.Errorf("timeline spill file: %w", err)
			return
		}
		s.file, s.name = f, f.Name()
		if os.Remove(f.Name()) == nil {
			s.name = ""
		}
	}
	if _, err := s.file.Write(s.buf); err != nil {
		s.err = fmt.Errorf("timeline spill file %s: %w", s.file.Name(), err)
	}
	s.buf = s.buf[:0]
}

// each calls f on every record in the order they came.
func (s *spill) each(f func(record) error) error {
	var src io.Reader
	if s.file != nil {
		s.flush()
		if _, err := s.file.Seek(0, io.SeekStart); err != nil && s.err == nil {
			s.err = err
		}
		src = s.file
	} else {
		src = bytes.NewReader(s.buf)
	}
	if s.err != nil {
		return s.err
	}
	in := bufio.NewReaderSize(src, 1<<16)
	for {
		k, err := in.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		e := record{kind: kind(k)}
		for _, p := range [...]*int64{&e.ts, &e.dur, &e.tid, &e.a[0], &e.a[1], &e.a[2], &e.b} {
			if *p, err = binary.ReadVarint(in); err != nil {
				return fmt.Errorf("timeline spill file: %w", err)
			}
		}
		if err := f(e); err != nil {
			return err
		}
	}
}

// close removes the file, if any.
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
