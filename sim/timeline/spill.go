package timeline

import (
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

// put appends one record: its kind, a byte whose bit i says field i (ts, dur, tid, a, b) is not
// zero, and those fields as varints; most kinds leave two to four of the seven zero, which then
// cost nothing to write or to read back.
func (s *spill) put(e record) {
	at := len(s.buf)
	s.buf = append(s.buf, byte(e.kind), 0)
	mask := byte(0)
	for i, v := range [...]int64{e.ts, e.dur, e.tid, e.a[0], e.a[1], e.a[2], e.b} {
		if v != 0 {
			mask |= 1 << i
			s.buf = binary.AppendVarint(s.buf, v)
		}
	}
	s.buf[at+1] = mask
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

// maxRecord is the most bytes one record takes: its kind, its mask and seven varints.
const maxRecord = 2 + 7*binary.MaxVarintLen64

// each calls f on every record in the order they came.
func (s *spill) each(f func(record) error) error {
	if s.file == nil {
		if s.err != nil {
			return s.err
		}
		_, err := decode(s.buf, true, f)
		return err
	}
	s.flush()
	if _, err := s.file.Seek(0, io.SeekStart); err != nil && s.err == nil {
		s.err = err
	}
	if s.err != nil {
		return s.err
	}
	// The file is read in large blocks and decoded from memory; a record cut by a block's end
	// moves to the front and waits for the next block.
	chunk := make([]byte, 0, 1<<20)
	for {
		n, rerr := io.ReadFull(s.file, chunk[len(chunk):cap(chunk)])
		chunk = chunk[:len(chunk)+n]
		last := rerr != nil
		if last && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return fmt.Errorf("timeline spill file: %w", rerr)
		}
		used, err := decode(chunk, last, f)
		if err != nil || last {
			return err
		}
		chunk = chunk[:copy(chunk, chunk[used:])]
	}
}

// decode calls f on the records of b and returns the bytes it used: all of them when last, else
// it stops where fewer than maxRecord bytes are left, since the record there may go on in the
// bytes still to come.
func decode(b []byte, last bool, f func(record) error) (int, error) {
	at := 0
	for at < len(b) && (last || len(b)-at >= maxRecord) {
		if at+2 > len(b) {
			return at, errors.New("timeline spill file: a record is cut short")
		}
		e := record{kind: kind(b[at])}
		mask := b[at+1]
		at += 2
		for i, p := range [...]*int64{&e.ts, &e.dur, &e.tid, &e.a[0], &e.a[1], &e.a[2], &e.b} {
			if mask&(1<<i) == 0 {
				continue
			}
			v, n := binary.Varint(b[at:])
			if n <= 0 {
				return at, errors.New("timeline spill file: a record is cut short or overflows")
			}
			*p = v
			at += n
		}
		if err := f(e); err != nil {
			return at, err
		}
	}
	return at, nil
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
