package arch

import (
	"reflect"
	"testing"
)

// TestBankedMemoryHandWorked: the cases worked by hand at the top of arch/banked.go and beside
// each one: a row hit, a conflict in the same bank, two channels in parallel, the in-flight cap.
// Unless a case says otherwise: 2 channels, 32-B bursts at 32 B/cycle (one data cycle), rows of
// 128 B (4 bursts a row per channel), 2 banks, t_rcd 3, t_cl 2, t_rp 4, t_ras 0, t_ccd 1, 4
// requests in flight.
func TestBankedMemoryHandWorked(t *testing.T) {
	base := BankedMemoryParams{Channels: 2, BytesPerCycle: 32, BurstBytes: 32, MaxInFlight: 4, Buffers: 2,
		Banks: 2, RowBytes: 128, TRCD: 3, TCL: 2, TRP: 4, TCCD: 1}
	for _, tc := range []struct {
		name   string
		edit   func(*BankedMemoryParams)
		ranges []Range
		want   []Request // Offset and Bytes filled in by the test
		ready  int64
	}{
		// 0x0 and 0x40 are columns 0 and 1 of row 0, bank 0, channel 0. The first finds the bank
		// closed: start 0, 3+2, data 5; the bank's next access from 0+5-2+1 = 4. The second issues at
		// 1 and hits the open row: start 4, data 6.
		{"row hit", nil, []Range{{0x0, 32}, {0x40, 32}}, []Request{rq(0, 0, 5, 5, 0x0), rq(0, 1, 6, 6, 0x40)}, 7},
		// 0x200 is burst 16: channel 0, column 0, bank (16/2/4) mod 2 = 0, row 1: a conflict
		// after 0x0 (row 0); start at the bank's next cycle 4, 4+3+2 = 9, data 13.
		{"conflict", nil, []Range{{0x0, 32}, {0x200, 32}},
			[]Request{rq(0, 0, 5, 5, 0x0), rq(0, 1, 13, 13, 0x200)}, 14},
		// 0x100 is burst 8: channel 0, bank 1, row 0, closed: start at its issue 1, data 6, bank 1
		// free from 5. 0x300 is burst 24: channel 0, bank 1, row 1: a conflict in bank 1 (bank 0
		// plays no part): start max(2, 5) = 5, 4+3+2 = 9, data 14.
		{"other bank", nil, []Range{{0x0, 32}, {0x100, 32}, {0x300, 32}},
			[]Request{rq(0, 0, 5, 5, 0x0), rq(0, 1, 6, 6, 0x100), rq(0, 2, 14, 14, 0x300)}, 15},
		// The file's example: 0x0, 0x20 (channel 1, in parallel), 0x40 (hit), 0x200 (conflict:
		// start at 5, cost 9, data 14).
		{"file example", nil, []Range{{0x0, 0x60}, {0x200, 32}},
			[]Request{rq(0, 0, 5, 5, 0x0), rq(1, 0, 5, 5, 0x20), rq(0, 1, 6, 6, 0x40), rq(0, 2, 14, 14, 0x200)}, 15},
		// One request in flight per channel: the hit at 0x40 issues after 0x0's data (5), start 6,
		// data 8; 0x20 on channel 1 is not held back by channel 0's cap.
		{"in-flight cap", func(p *BankedMemoryParams) { p.MaxInFlight = 1 }, []Range{{0x0, 0x60}},
			[]Request{rq(0, 0, 5, 5, 0x0), rq(1, 0, 5, 5, 0x20), rq(0, 6, 8, 8, 0x40)}, 9},
		// t_ras 10: 0x0 activates row 0 at 0; the conflict at 0x200 starts at 4 but precharges at
		// 0+10 = 10, activates at 14, column command at 17, data 19.
		{"t_ras", func(p *BankedMemoryParams) { p.TRAS = 10 }, []Range{{0x0, 32}, {0x200, 32}},
			[]Request{rq(0, 0, 5, 5, 0x0), rq(0, 1, 19, 19, 0x200)}, 20},
		// t_ccd 3: the row hit at 0x40 starts 3 cycles after 0x0's column command (3): at 6, data 8.
		{"t_ccd", func(p *BankedMemoryParams) { p.TCCD = 3 }, []Range{{0x0, 32}, {0x40, 32}},
			[]Request{rq(0, 0, 5, 5, 0x0), rq(0, 1, 8, 8, 0x40)}, 9},
		// 16 B/cycle: each burst holds its channel's bus 2 cycles; the hit's data (ready at 6)
		// waits for the bus until 7.
		{"bus", func(p *BankedMemoryParams) { p.BytesPerCycle = 16 }, []Range{{0x0, 32}, {0x40, 32}},
			[]Request{rq(0, 0, 5, 6, 0x0), rq(0, 1, 7, 8, 0x40)}, 9},
	} {
		p := base
		if tc.edit != nil {
			tc.edit(&p)
		}
		tile := &Tile{Seq: 0, Ranges: tc.ranges, Tasks: [][]RowTask{{}}}
		log := &requestLog{}
		m := NewBankedMemory(p, tileList{tile}, log)
		for c := int64(0); c < 30; c++ {
			if err := m.Step(c); err != nil {
				t.Fatal(err)
			}
		}
		for i := range tc.want {
			tc.want[i].Offset, tc.want[i].Bytes = int64(i)*32, 32
		}
		if !reflect.DeepEqual(log.requests, tc.want) {
			t.Errorf("%s: requests\n %+v\nwant %+v", tc.name, log.requests, tc.want)
		}
		if ready, ok := m.Ready(0); !ok || ready != tc.ready {
			t.Errorf("%s: ready %d %t, want %d", tc.name, ready, ok, tc.ready)
		}
	}
}

// rq is a burst's request as the log records it, Offset and Bytes aside.
func rq(channel int, issue, first, last, addr int64) Request {
	return Request{Channel: channel, Issue: issue, First: first, Last: last, Addr: addr}
}

// TestBankedAddressMap: RoBaRaCoCh with 8 channels, 32-B bursts, 1-KiB rows (32 columns) and
// 32 banks: the channel changes every burst, the bank every 8 KiB, the row every 256 KiB.
func TestBankedAddressMap(t *testing.T) {
	b := &bankedTimer{p: BankedMemoryParams{Channels: 8, BurstBytes: 32, RowBytes: 1024, Banks: 32}}
	for _, tc := range []struct {
		addr     int64
		ch, bank int
		row      int64
	}{
		{0x0, 0, 0, 0}, {0x20, 1, 0, 0}, {0xe0, 7, 0, 0}, {0x100, 0, 0, 0}, {0x1fe0, 7, 0, 0},
		{0x2000, 0, 1, 0}, {0x3e000, 0, 31, 0}, {0x40000, 0, 0, 1}, {0x40020 + 0x2000, 1, 1, 1},
	} {
		ch, bank, row := b.locate(tc.addr)
		if ch != tc.ch || bank != tc.bank || row != tc.row {
			t.Errorf("%#x: channel %d bank %d row %d, want %d %d %d", tc.addr, ch, bank, row, tc.ch, tc.bank, tc.row)
		}
	}
}

// TestBankedChecks: the model's own parameters out of range are refused at their keys.
func TestBankedChecks(t *testing.T) {
	ok := BankedMemoryParams{Channels: 1, BytesPerCycle: 32, BurstBytes: 32, MaxInFlight: 1, Buffers: 2, Banks: 4,
		RowBytes: 64, TRCD: 0, TCL: 0, TRP: 0}
	if err := MemoryModels.Check("banked", ok); err != nil {
		t.Fatalf("valid parameters refused: %v", err)
	}
	for _, tc := range []struct {
		edit func(*BankedMemoryParams)
		key  string
	}{
		{func(p *BankedMemoryParams) { p.Banks = 0 }, "memory.banks"},
		{func(p *BankedMemoryParams) { p.RowBytes = 16 }, "memory.row_bytes"},
		{func(p *BankedMemoryParams) { p.TRCD = -1 }, "memory.t_rcd"},
		{func(p *BankedMemoryParams) { p.TCL = -1 }, "memory.t_cl"},
		{func(p *BankedMemoryParams) { p.TRP = 5000 }, "memory.t_rp"},
		{func(p *BankedMemoryParams) { p.TRAS = -1 }, "memory.t_ras"},
		{func(p *BankedMemoryParams) { p.TCCD = -1 }, "memory.t_ccd"},
	} {
		p := ok
		tc.edit(&p)
		err := MemoryModels.Check("banked", p)
		if pe, isParam := err.(*PolicyParamError); !isParam || pe.Key != tc.key {
			t.Errorf("%+v: error %v, want one at %s", p, err, tc.key)
		}
	}
}
