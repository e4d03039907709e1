package arch

import "testing"

// A head of d = dv = 4 elements of 8 bits: 32 bits a Q row, 64 bits a key (K and V rows). A Q
// buffer of 16 bytes holds 128 bits, 4 query rows; a K/V SRAM of 64 bytes in 2 buffers holds
// 256 bits a buffer, 4 keys.
var (
	smallShape   = HeadShape{D: 4, DV: 4, BitsQ: 8, BitsK: 8, BitsV: 8}
	smallBuffers = Buffers{QBytes: 16, KVBytes: 64, KVBuffers: 2}
)

func TestTile(t *testing.T) {
	tests := []struct {
		name string
		b    Buffers
		s    HeadShape
		want Tiling
	}{
		{"fits 4 rows and 4 keys", smallBuffers, smallShape, Tiling{QRows: 4, Keys: 4}},
		// 4 buffers of 128 bits: 2 keys each.
		{"more buffers, fewer keys", Buffers{QBytes: 16, KVBytes: 64, KVBuffers: 4}, smallShape, Tiling{QRows: 4, Keys: 2}},
		// 4-bit K: 16 + 32 = 48 bits a key, floor(256 / 48) = 5 keys.
		{"narrow K", smallBuffers, HeadShape{D: 4, DV: 4, BitsQ: 8, BitsK: 4, BitsV: 8}, Tiling{QRows: 4, Keys: 5}},
		{"Q row too wide", Buffers{QBytes: 3, KVBytes: 64, KVBuffers: 2}, smallShape, Tiling{QRows: 0, Keys: 4}},
		{"key too wide", Buffers{QBytes: 16, KVBytes: 14, KVBuffers: 2}, smallShape, Tiling{QRows: 4, Keys: 0}},
	}
	for _, tc := range tests {
		if got := tc.b.Tile(tc.s); got != tc.want {
			t.Errorf("%s: Tile = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestTilingKeys(t *testing.T) {
	tl := Tiling{QRows: 4, Keys: 4}
	if got := tl.Blocks(9); got != 3 {
		t.Errorf("Blocks(9) = %d, want 3 (rows 0-3, 4-7, 8)", got)
	}
	if got := tl.Blocks(0); got != 1 {
		t.Errorf("Blocks(0) = %d, want 1", got)
	}
	// A head of 10 keys: tiles [0,4), [4,8), [8,10).
	for _, tc := range []struct{ keys, want int }{{10, 3}, {8, 2}, {1, 1}, {0, 1}} {
		if got := tl.KeyTiles(tc.keys); got != tc.want {
			t.Errorf("KeyTiles(%d) = %d, want %d", tc.keys, got, tc.want)
		}
	}
	for _, tc := range []struct{ limit, want int }{{10, 2}, {8, 1}, {5, 1}, {4, 0}, {1, 0}, {0, 0}} {
		if got := tl.LastTile(tc.limit); got != tc.want {
			t.Errorf("LastTile(%d) = %d, want %d", tc.limit, got, tc.want)
		}
	}
	for _, tc := range []struct{ ti, limit, k0, k1 int }{
		{0, 10, 0, 4}, {2, 10, 8, 10}, {1, 5, 4, 5}, {2, 5, 8, 8}, {0, 0, 0, 0},
	} {
		if k0, k1 := tl.RowKeys(tc.ti, tc.limit); k0 != tc.k0 || k1 != tc.k1 {
			t.Errorf("RowKeys(%d, %d) = [%d, %d), want [%d, %d)", tc.ti, tc.limit, k0, k1, tc.k0, tc.k1)
		}
	}
}

func TestPacks(t *testing.T) {
	// A head of 2 keys and 2 query rows: 64 bits of K, 64 of V, 64 of Q.
	head := KeyTileBits(smallShape, 0, 2)
	head.Q = 2 * smallShape.QRowBits()
	if want := (LoadBits{Q: 64, K: 64, V: 64}); head != want {
		t.Fatalf("bits of a 2-key head = %+v, want %+v", head, want)
	}
	two := head.Plus(head)
	if !smallBuffers.Packs(head, head) {
		t.Errorf("two heads of 128 K/V bits and 64 Q bits must fill one 256-bit buffer and the 128-bit Q buffer")
	}
	if smallBuffers.Packs(two, head) {
		t.Errorf("a third head overflows the K/V buffer (384 > 256 bits)")
	}
	wideQ := LoadBits{Q: 96}
	if smallBuffers.Packs(wideQ, head) {
		t.Errorf("Q of 96 + 64 bits overflows the 128-bit Q buffer")
	}
}

func TestPlaneMajorKBits(t *testing.T) {
	// 10 keys of 4 elements, 8 planes: 320 bits; the first 3 planes are 120 of them.
	if got := PlaneMajorKBits(10*smallShape.KRowBits(), 8, 3); got != 120 {
		t.Errorf("PlaneMajorKBits = %d, want 120", got)
	}
}

func TestAddressMap(t *testing.T) {
	// d = 3, dv = 5, Q 8 bits, K 4 bits, V 8 bits: a Q row is 24 bits, a K row 12, a V row 40.
	s := HeadShape{D: 3, DV: 5, BitsQ: 8, BitsK: 4, BitsV: 8}
	var m AddressMap
	h := m.Place(s, 5, 7)
	// Q: 5 rows, 15 bytes, aligned to 64; K: 7 keys, 84 bits = 11 bytes, aligned to 64;
	// V: 7 keys, 35 bytes; the next head at the next 4 KiB.
	if h.Q != 0 || h.K != 64 || h.V != 128 {
		t.Errorf("head 0 at Q %d K %d V %d, want 0, 64, 128", h.Q, h.K, h.V)
	}
	if h1 := m.Place(s, 1, 1); h1.Q != 4096 {
		t.Errorf("head 1's Q at %d, want 4096", h1.Q)
	}
	tests := []struct {
		name string
		got  Range
		want Range
	}{
		{"Q rows [1,3)", h.QRows(1, 3), Range{Addr: 3, Bytes: 6}},
		// Key 3 starts 36 bits in: the range starts at its byte, 4.
		{"K rows [3,7)", h.KRows(3, 7), Range{Addr: 68, Bytes: 6}},
		{"V rows [2,4)", h.VRows(2, 4), Range{Addr: 138, Bytes: 10}},
		{"V row 3 on demand", h.VRow(3), Range{Addr: 143, Bytes: 5}},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %+v, want %+v", tc.name, tc.got, tc.want)
		}
	}
}
