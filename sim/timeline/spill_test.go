package timeline

import (
	"bytes"
	"testing"
)

// TestSpillFileKeepsRecords: records that go through the spill file come back as they went in,
// in order, and closing removes what it held.
func TestSpillFileKeepsRecords(t *testing.T) {
	defer func(l int) { spillLimit = l }(spillLimit)
	want := []record{
		{kind: kindRowTask, ts: 3, dur: 5, tid: 1, a: [3]int64{2, 7}},
		{kind: kindRequest, ts: 1 << 40, dur: 1, tid: 3<<slotBits | 2, a: [3]int64{9, 32, -4}, b: 64},
		{kind: kindBufferWait, ts: 0, dur: 12, tid: -1},
	}
	for _, limit := range []int{1, 1 << 20} {
		spillLimit = limit
		var s spill
		for i := 0; i < 100; i++ {
			s.put(want[i%len(want)])
		}
		if (s.file != nil) != (limit == 1) {
			t.Errorf("limit %d: spill file %v", limit, s.file)
		}
		for pass := 0; pass < 2; pass++ {
			i := 0
			err := s.each(func(e record) error {
				if e != want[i%len(want)] {
					t.Fatalf("limit %d pass %d: record %d is %+v, want %+v", limit, pass, i, e, want[i%len(want)])
				}
				i++
				return nil
			})
			if err != nil || i != 100 {
				t.Errorf("limit %d pass %d: %d records, error %v", limit, pass, i, err)
			}
		}
		if err := s.close(); err != nil || s.file != nil {
			t.Errorf("limit %d: close: %v", limit, err)
		}
	}
}

// TestSpilledTimelineIsTheSame: a recording that spills writes the same file as one held in
// memory.
func TestSpilledTimelineIsTheSame(t *testing.T) {
	defer func(l int) { spillLimit = l }(spillLimit)
	write := func() []byte {
		r := NewRecorder(Options{})
		defer r.Close()
		for c := int64(0); c < 5000; c++ {
			r.RowTask(int(c%3), 0, int(c), c, c+2)
			r.FIFOFill(int(c%3), c, int(c%5))
			r.Waited(1, c, c+1)
		}
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf, 1, 6000, nil); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	spillLimit = 1 << 30
	mem := write()
	spillLimit = 64
	if disk := write(); !bytes.Equal(mem, disk) {
		t.Errorf("spilled and in-memory recordings differ: %d and %d bytes", len(disk), len(mem))
	}
}

// TestSpillFileAcrossBlocks: a spill file of several read blocks, with records of every size
// (small and large, negative values), comes back whole and in order, records cut by a block's
// end included.
func TestSpillFileAcrossBlocks(t *testing.T) {
	defer func(l int) { spillLimit = l }(spillLimit)
	spillLimit = 4096
	gen := func(i int) record {
		v := int64(i) * int64(i) * 7919
		if i%3 == 0 {
			v = -v << (i % 40)
		}
		return record{kind: kind(i % int(kinds)), ts: int64(i), dur: v, tid: int64(i % 5), a: [3]int64{v >> 3, int64(i), -1}, b: v << 7}
	}
	const n = 150_000
	var s spill
	defer s.close()
	for i := 0; i < n; i++ {
		s.put(gen(i))
	}
	if s.file == nil {
		t.Fatal("no spill file")
	}
	if st, err := s.file.Stat(); err != nil || st.Size() < 3<<20 {
		t.Fatalf("spill file of %v bytes (error %v), want several 1 MiB blocks", st, err)
	}
	i := 0
	err := s.each(func(e record) error {
		if want := gen(i); e != want {
			t.Fatalf("record %d is %+v, want %+v", i, e, want)
		}
		i++
		return nil
	})
	if err != nil || i != n {
		t.Errorf("%d records, error %v; want %d", i, err, n)
	}
}

// TestDecodeCutRecord: a spill whose last record is cut short (no mask, or a varint its mask
// announces missing or overlong) is an error, not a record of zeros.
func TestDecodeCutRecord(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"kind only", []byte{byte(kindRowTask)}},
		{"announced ts missing", []byte{byte(kindRowTask), 1}},
		{"ts cut inside", []byte{byte(kindRowTask), 1, 0x80}},
		{"varint overflows", append([]byte{byte(kindRowTask), 1}, bytes.Repeat([]byte{0xff}, 11)...)},
	} {
		n := 0
		if _, err := decode(tc.b, true, func(record) error { n++; return nil }); err == nil || n != 0 {
			t.Errorf("%s: %d records, error %v; want none and an error", tc.name, n, err)
		}
	}
}
