package arch

import (
	"reflect"
	"testing"
)

// TestBursts: the aligned bursts covering a load's ranges, each once.
func TestBursts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ranges []Range
		burst  int64
		want   []int64
	}{
		// 0x4c..0x73 with 32-B bursts: 0x40..0x5f and 0x60..0x7f, 64 B for 40.
		{"unaligned range", []Range{{0x4c, 40}}, 32, []int64{0x40, 0x60}},
		{"aligned range", []Range{{0x40, 64}}, 32, []int64{0x40, 0x60}},
		// Q 0x0..0x7 and K 0x8..0x13 share the burst at 0x0; K ends in the burst at 0x20 where
		// V starts at 0x28: 3 bursts, not 4.
		{"adjacent ranges share a burst", []Range{{0x0, 8}, {0x8, 12}, {0x14, 20}}, 32, []int64{0x0, 0x20}},
		{"64-B lines", []Range{{0x4c, 40}, {0x1000, 1}}, 64, []int64{0x40, 0x1000}},
		// A range going back over a burst fetched already (packed heads in any order).
		{"range going back", []Range{{0x80, 32}, {0x0, 0x90}}, 32, []int64{0x80, 0x0, 0x20, 0x40, 0x60}},
		{"empty range", []Range{{0x40, 0}}, 32, nil},
	} {
		if got := Bursts(tc.ranges, tc.burst); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %#x, want %#x", tc.name, got, tc.want)
		}
	}
}

// requestLog is a memory listener that keeps every request.
type requestLog struct{ requests []Request }

func (l *requestLog) LoadStarted(t *Tile, start, ready int64) {}
func (l *requestLog) BufferReused(seq int)                    {}
func (l *requestLog) RequestIssued(r Request)                 { l.requests = append(l.requests, r) }
func (l *requestLog) BufferWaited(from, to int64)             {}
func (l *requestLog) DependencyWaited(from, to int64)         {}

// TestMemoryModelsFetchAlignedBursts: one tile reading 40 B at 0x4c and 20 B at 0x74..0x87
// (which shares the burst at 0x60 and runs into 0x80). Pipelined, 32-B bursts over 2 channels
// at 16 B/cycle, latency 5: 0x40 (channel 0) and 0x60 (channel 1) issue at 0, data 5..6; 0x80
// (channel 0) issues at 1, its data waits for the bus, 7..8: usable at 9; 96 B, data buses busy
// 6 cycles in all. Serial, 64-B lines at 16 B/cycle, latency 5: lines 0x40 and 0x80, data 5..8
// and 9..12, usable at 13; 128 B. Ideal, 32-B bursts: all three at cycle 0, usable at 1.
func TestMemoryModelsFetchAlignedBursts(t *testing.T) {
	tile := &Tile{Seq: 0, Bytes: 60, Ranges: []Range{{0x4c, 40}, {0x74, 20}}, Tasks: [][]RowTask{{}}}
	for _, tc := range []struct {
		name  string
		build func(TileSource, MemoryListener) Memory
		want  []Request
		ready int64
		stats DRAMStats
	}{
		{"pipelined", func(s TileSource, l MemoryListener) Memory {
			return NewPipelinedMemory(PipelinedMemoryParams{Channels: 2, BytesPerCycle: 16, Latency: 5, BurstBytes: 32,
				MaxInFlight: 4, Buffers: 2}, s, l)
		}, []Request{
			{Channel: 0, Offset: 0, Bytes: 32, Issue: 0, First: 5, Last: 6, Addr: 0x40},
			{Channel: 1, Offset: 32, Bytes: 32, Issue: 0, First: 5, Last: 6, Addr: 0x60},
			{Channel: 0, Offset: 64, Bytes: 32, Issue: 1, First: 7, Last: 8, Addr: 0x80},
		}, 9, DRAMStats{Bytes: 96, Loads: 1, Busy: 6, Requests: 3, RequestCycles: 7 + 7 + 8}},
		{"serial", func(s TileSource, l MemoryListener) Memory {
			return NewSerialMemory(SerialMemoryParams{BytesPerCycle: 16, Latency: 5, BurstBytes: 64, Buffers: 2}, s, l)
		}, []Request{
			{Offset: 0, Bytes: 64, Issue: 0, First: 5, Last: 8, Addr: 0x40},
			{Offset: 64, Bytes: 64, Issue: 0, First: 9, Last: 12, Addr: 0x80},
		}, 13, DRAMStats{Bytes: 128, Loads: 1, Busy: 8, Requests: 2, RequestCycles: 9 + 13}},
		{"ideal", func(s TileSource, l MemoryListener) Memory {
			return NewIdealMemory(IdealMemoryParams{BurstBytes: 32, Buffers: 2}, s, l)
		}, []Request{
			{Offset: 0, Bytes: 32, Addr: 0x40},
			{Offset: 32, Bytes: 32, Addr: 0x60},
			{Offset: 64, Bytes: 32, Addr: 0x80},
		}, 1, DRAMStats{Bytes: 96, Loads: 1, Busy: 3, Requests: 3, RequestCycles: 3}},
	} {
		log := &requestLog{}
		m := tc.build(tileList{tile}, log)
		for c := int64(0); c < 20; c++ {
			if err := m.Step(c); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(log.requests, tc.want) {
			t.Errorf("%s: requests\n %+v\nwant %+v", tc.name, log.requests, tc.want)
		}
		if ready, ok := m.Ready(0); !ok || ready != tc.ready {
			t.Errorf("%s: ready %d %t, want %d", tc.name, ready, ok, tc.ready)
		}
		if got := m.Stats(); got != tc.stats {
			t.Errorf("%s: stats %+v, want %+v", tc.name, got, tc.stats)
		}
	}
}
