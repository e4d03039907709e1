package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/internal/safeio"
	"github.com/lrpsim/lrpsim/sim"
)

// The journal records finished points beside the output, one line per point, appended and
// synced to disk before the point counts as done:
//
//	{"sweep":"<sweep sha256>","shard":"i/N","point":7,"row":["7","bundled:...",...]} 1a2b3c4d
//
// A sweep run with --set also records its assignments ("sets":["units=4"], after "shard"), so
// that resuming it with other ones says so.
//
// The last field is the CRC-32 (IEEE) of the JSON before it, in 8 hex digits. A process killed
// in the middle of a write leaves a last line without its newline or with a bad CRC: it is
// ignored (and cut off before the next append), and the point is computed again. A point
// recorded twice is taken once. A valid line of another sweep or shard is an error: the journal
// is not this sweep's.

type journalEntry struct {
	Sweep string   `json:"sweep"`
	Shard string   `json:"shard"`
	Sets  []string `json:"sets,omitempty"`
	Point int      `json:"point"`
	Row   []string `json:"row"`
}

type journal struct {
	f     *os.File
	path  string
	sweep string
	shard string
	sets  []string
}

// encodeJournalLine renders one journal line, newline included.
func encodeJournalLine(e journalEntry) ([]byte, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding journal line: %w", err)
	}
	line := append(body, ' ')
	line = append(line, fmt.Sprintf("%08x", crc32.ChecksumIEEE(body))...)
	return append(line, '\n'), nil
}

// decodeJournalLine parses one line (without its newline); ok is false for a torn or corrupt line.
func decodeJournalLine(line []byte) (e journalEntry, ok bool) {
	i := bytes.LastIndexByte(line, ' ')
	if i < 0 || len(line)-i-1 != 8 {
		return e, false
	}
	// Exactly the 8 lowercase hex digits that encodeJournalLine writes: a line spelled any
	// other way was not written by lrpsim.
	if string(line[i+1:]) != fmt.Sprintf("%08x", crc32.ChecksumIEEE(line[:i])) {
		return e, false
	}
	if err := json.Unmarshal(line[:i], &e); err != nil {
		return e, false
	}
	return e, true
}

// openJournal opens (creating it if need be) and locks the journal at path, cuts off a torn last
// line, and returns the rows it records for the plan's sweep and shard. With fresh, it empties
// the journal first.
func openJournal(path string, p *Plan, shard Shard, fresh bool) (*journal, map[int][]string, error) {
	// Checked before opening: a FIFO or device in its place would block or never end.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, nil, &safeio.NotRegularError{File: path, Expected: "a sweep journal", Got: safeio.Kind(st.Mode())}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s is locked: another lrpsim sweep is writing to this output (%w)", path, err)
	}
	j := &journal{f: f, path: path, sweep: p.Hash, shard: shard.String(), sets: p.Sweep.Sets}
	fail := func(err error) (*journal, map[int][]string, error) {
		f.Close()
		return nil, nil, err
	}
	if fresh {
		if err := f.Truncate(0); err != nil {
			return fail(fmt.Errorf("emptying journal %s: %w", path, err))
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("reading journal %s: %w", path, err))
	}
	b, err := io.ReadAll(io.LimitReader(f, safeio.MaxData+1))
	if err != nil {
		return fail(fmt.Errorf("reading journal %s: %w", path, err))
	}
	if len(b) > safeio.MaxData {
		return fail(&safeio.TooLargeError{File: path, Expected: "a sweep journal", Size: int64(len(b)), Limit: safeio.MaxData})
	}
	rows := map[int][]string{}
	complete := bytes.LastIndexByte(b, '\n') + 1
	for _, line := range bytes.Split(b[:complete], []byte{'\n'}) {
		e, ok := decodeJournalLine(line)
		if !ok {
			continue
		}
		if e.Sweep != p.Hash {
			return fail(foreignJournal(path, e, j))
		}
		if e.Shard != j.shard {
			return fail(fmt.Errorf("%s is the journal of %s of this sweep, not of %s: give each shard its own --out",
				path, shardName(e.Shard), shardName(j.shard)))
		}
		if _, dup := rows[e.Point]; dup || !shard.Has(e.Point) || len(e.Row) != len(p.Columns) || e.Row[0] != strconv.Itoa(e.Point) {
			continue
		}
		rows[e.Point] = e.Row
	}
	if complete < len(b) {
		// A torn last line: cut it off so that the next append starts a line of its own.
		if err := f.Truncate(int64(complete)); err != nil {
			return fail(fmt.Errorf("repairing journal %s: %w", path, err))
		}
		if err := f.Sync(); err != nil {
			return fail(fmt.Errorf("repairing journal %s: %w", path, err))
		}
	}
	return j, rows, nil
}

// foreignJournal is the error for a journal line e of another sweep than j's: of the same sweep
// run with other --set assignments, or of another sweep altogether.
func foreignJournal(path string, e journalEntry, j *journal) error {
	if !slices.Equal(e.Sets, j.sets) {
		return fmt.Errorf("%s is the journal of this sweep run with %s, not %s: resume with the same %s assignments, or run with --force to start over",
			path, describeSets(e.Sets), describeSets(j.sets), sim.SetFlag)
	}
	return fmt.Errorf("%s is the journal of another sweep (sweep sha256 %.12s, this sweep %.12s: the sweep file, a trace, the energy table or the lrpsim version changed): remove it, or run with --force to start over",
		path, e.Sweep, j.sweep)
}

// describeSets names a run's --set assignments in messages: "--set units=4 --set ...", or
// "no --set".
func describeSets(sets []string) string {
	if len(sets) == 0 {
		return "no " + sim.SetFlag
	}
	return sim.SetFlag + " " + strings.Join(sets, " "+sim.SetFlag+" ")
}

func shardName(s string) string {
	if s == "" {
		return "the whole sweep"
	}
	return "shard " + s
}

// append records a finished point and syncs it to disk: one write of one line, so that a crash
// leaves either the whole line or a torn last line.
func (j *journal) append(point int, row []string) error {
	line, err := encodeJournalLine(journalEntry{Sweep: j.sweep, Shard: j.shard, Sets: j.sets, Point: point, Row: row})
	if err != nil {
		return err
	}
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("appending to journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("syncing journal %s: %w", j.path, err)
	}
	return nil
}

// close releases the journal, keeping the file.
func (j *journal) close() error {
	return j.f.Close()
}

// remove deletes the journal (its points are in the CSV) and releases it.
func (j *journal) remove() error {
	err := os.Remove(j.path)
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing journal: %w", err)
	}
	return nil
}

// empty reports whether the journal holds no bytes.
func (j *journal) empty() bool {
	st, err := j.f.Stat()
	return err == nil && st.Size() == 0
}

// JournalPoints lists the points a journal records as finished, in the order they were recorded,
// skipping torn and corrupt lines but keeping repeats (a repeat means a point was computed twice).
// It is a diagnostic for tests and for people watching a sweep.
func JournalPoints(path string) ([]int, error) {
	b, err := safeio.ReadFile(path, "a sweep journal", safeio.MaxData)
	if err != nil {
		return nil, fmt.Errorf("reading journal: %w", err)
	}
	var out []int
	complete := bytes.LastIndexByte(b, '\n') + 1
	for _, line := range bytes.Split(b[:complete], []byte{'\n'}) {
		if e, ok := decodeJournalLine(line); ok {
			out = append(out, e.Point)
		}
	}
	return out, nil
}
