package rtl

import (
	"bufio"
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/internal/fuzzseed"
)

// FuzzParseLog feeds arbitrary text to the parser of the bench's log: no panic.
func FuzzParseLog(f *testing.F) {
	f.Fuzz(func(t *testing.T, log []byte) {
		ParseLog(bytes.NewReader(log))
	})
}

// FuzzRows builds row tasks from arbitrary bytes, writes them in the rows format that the
// bench reads (tb_fe_unit.v, README.md), and reads the file back the way the bench does, token
// by token: WriteRows either refuses the rows or writes a file that reads back to exactly them
// (thresholds clamped), so the bench never reads something the Go model did not mean.
func FuzzRows(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rows := rowsFromBytes(data)
		var buf bytes.Buffer
		if err := WriteRows(&buf, p, rows); err != nil {
			return
		}
		gotP, got, err := readRowsLikeBench(buf.Bytes())
		if err != nil {
			t.Fatalf("the bench could not read what WriteRows wrote: %v\n%s", err, buf.Bytes())
		}
		if gotP != p {
			t.Fatalf("params read back as %+v, written %+v", gotP, p)
		}
		for i := range rows {
			rows[i].T = p.ClampT(rows[i].T)
			if !rows[i].HasQPlus {
				rows[i].QPlus = 0
			}
			if len(rows[i].Room) == 0 {
				rows[i].Room = nil
			}
		}
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("rows read back as %+v, written %+v", got, rows)
		}
	})
}

// rowsFromBytes decodes fuzz bytes into params and rows, every value taken from the input so
// that out-of-range ones reach WriteRows's checks.
func rowsFromBytes(data []byte) (Params, []Row) {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		v := int(int8(data[0]))
		data = data[1:]
		return v
	}
	p := Params{D: next() & 7, BitsQ: next() & 15, BitsK: next() & 15, BitsPerCycle: next() & 3, Lanes: next() & 7,
		FillCycles: next(), DrainCycles: next(), Scheduling: arch.LaneSchedule(next() & 3 % 3),
		EarlyTermination: next()&1 == 1}
	var rows []Row
	for n := next() & 3; n > 0; n-- {
		r := Row{Row: next(), Gap: next(), Last: next()&1 == 1, T: int64(next()) * 1000, QPlus: int64(next()), HasQPlus: next()&1 == 1}
		for range p.D {
			r.Q = append(r.Q, int32(next()))
		}
		key := 0
		for k := next() & 3; k > 0; k-- {
			key += next() & 3
			r.Keys = append(r.Keys, key)
			for range p.D {
				r.K = append(r.K, int32(next()))
			}
		}
		for k := next() & 3; k > 0; k-- {
			r.Room = append(r.Room, next())
		}
		rows = append(rows, r)
	}
	return p, rows
}

// readRowsLikeBench reads the rows format as tb_fe_unit.v does: whitespace-separated tokens,
// each keyword then its values, in the fixed order of README.md.
func readRowsLikeBench(b []byte) (Params, []Row, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Split(bufio.ScanWords)
	tok := func() string {
		if !sc.Scan() {
			return ""
		}
		return sc.Text()
	}
	var err error
	num := func(want string) int64 {
		if err != nil {
			return 0
		}
		if want != "" {
			if k := tok(); k != want {
				err = fmt.Errorf("expected %q, got %q", want, k)
				return 0
			}
		}
		v, e := strconv.ParseInt(tok(), 10, 64)
		if e != nil {
			err = e
		}
		return v
	}
	if h := tok(); h != RowsFormat || num("") != RowsVersion {
		return Params{}, nil, fmt.Errorf("bad header %q", h)
	}
	var p Params
	p.D, p.BitsQ, p.BitsK = int(num("d")), int(num("bits_q")), int(num("bits_k"))
	p.BitsPerCycle, p.Lanes = int(num("bits_per_cycle")), int(num("lanes"))
	p.FillCycles, p.DrainCycles = int(num("fill_cycles")), int(num("drain_cycles"))
	if k := tok(); k != "scheduling" {
		return p, nil, fmt.Errorf("expected scheduling, got %q", k)
	}
	switch s := tok(); s {
	case arch.DynamicLanes.String():
		p.Scheduling = arch.DynamicLanes
	case arch.LockstepLanes.String():
		p.Scheduling = arch.LockstepLanes
	default:
		return p, nil, fmt.Errorf("unknown scheduling %q", s)
	}
	p.EarlyTermination = num("early_termination") == 1
	n := int(num("rows"))
	var rows []Row
	for range n {
		var r Row
		r.Row, r.Gap, r.Last, r.T = int(num("row")), int(num("gap")), num("last") == 1, num("t")
		if k := tok(); k != "qplus" {
			return p, nil, fmt.Errorf("expected qplus, got %q", k)
		}
		if q := tok(); q != "none" {
			r.HasQPlus = true
			r.QPlus, _ = strconv.ParseInt(q, 10, 64)
		}
		keys, room := int(num("keys")), int(num("room"))
		for range room {
			r.Room = append(r.Room, int(num("")))
		}
		if k := tok(); k != "q" {
			return p, nil, fmt.Errorf("expected q, got %q", k)
		}
		for range p.D {
			r.Q = append(r.Q, int32(num("")))
		}
		for range keys {
			r.Keys = append(r.Keys, int(num("k")))
			for range p.D {
				r.K = append(r.K, int32(num("")))
			}
		}
		rows = append(rows, r)
	}
	if err == nil && tok() != "end" {
		err = fmt.Errorf("no end marker")
	}
	return p, rows, err
}

// TestFuzzSeeds keeps the committed seeds of the fuzz targets above.
func TestFuzzSeeds(t *testing.T) {
	fuzzseed.Check(t, "FuzzParseLog", map[string][]any{
		"valid":          {[]byte("lrpsim-rtl-out 1\nstart 0 5\nqplus 0 7\npush 0 1 2 3\nend 0 9 1 1 0\ndone 1 12\n")},
		"bench-error":    {[]byte("lrpsim-rtl-out 1\nerror rows file truncated\n")},
		"bad-header":     {[]byte("lrpsim-rtl-out 2\n")},
		"wrong-fields":   {[]byte("lrpsim-rtl-out 1\nstart 0\n")},
		"done-mismatch":  {[]byte("lrpsim-rtl-out 1\nskip 0\ndone 3 4\n")},
		"number-garbage": {[]byte("lrpsim-rtl-out 1\nstart x 5\n")},
	})
	valid := []byte{4, 8, 8, 1, 4, 2, 3, 0, 1, 1, 2, 0, 1, 5, 9, 1, 1, 2, 3, 4, 2, 0, 5, 6, 7, 8, 1, 1, 2, 3, 4, 1, 2}
	fuzzseed.Check(t, "FuzzRows", map[string][]any{
		"valid":      {valid},
		"empty":      {[]byte{}},
		"wide-q":     {[]byte{2, 2, 8, 1, 4, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 127, 127}},
		"keys-equal": {[]byte{1, 8, 8, 1, 2, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 3, 2, 0, 1, 0, 1}},
		"zero-room":  {[]byte{1, 8, 8, 1, 2, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 3, 0, 0, 1, 0}},
	})
	// The valid seed must get past WriteRows, or it seeds nothing but the refusal path.
	p, rows := rowsFromBytes(valid)
	if err := WriteRows(&bytes.Buffer{}, p, rows); err != nil {
		t.Fatalf("the valid FuzzRows seed is refused: %v", err)
	}
}
