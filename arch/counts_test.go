package arch

import "testing"

func TestKeyActions(t *testing.T) {
	// 3 keys of 64 elements, each read for 5 planes over 2 steps: 3*5 accumulates, 64 products
	// each, 3*2 compares.
	got := KeyActions(64, 5, 2, 3)
	if want := (LaneActions{BitProducts: 960, Accumulates: 15, Compares: 6}); got != want {
		t.Errorf("KeyActions = %+v, want %+v", got, want)
	}
	got.Add(KeyActions(64, 1, 1, 1))
	if want := (LaneActions{BitProducts: 1024, Accumulates: 16, Compares: 7}); got != want {
		t.Errorf("after Add = %+v, want %+v", got, want)
	}
}

func TestKBroadcast(t *testing.T) {
	b := NewKBroadcast()
	const d = 8
	steps := []struct {
		name                  string
		tile, head, wave, key int
		planes                int64
		want                  int64
	}{
		{"first row reads 2 planes", 0, 0, 0, 5, 2, 2 * d},
		{"a row of the same wave needing 2 reads none", 0, 0, 0, 5, 2, 0},
		{"one needing 4 reads the 2 more", 0, 0, 0, 5, 4, 2 * d},
		{"another key is read anew", 0, 0, 0, 6, 1, d},
		{"the next wave reads again", 0, 0, 1, 5, 3, 3 * d},
		{"another tile reads again", 1, 0, 0, 5, 1, d},
	}
	for _, s := range steps {
		if got := b.Read(s.tile, s.head, s.wave, s.key, d, s.planes); got != s.want {
			t.Errorf("%s: Read = %d, want %d", s.name, got, s.want)
		}
	}
	b.Release(0)
	if got := b.Read(0, 0, 0, 5, d, 2); got != 2*d {
		t.Errorf("after Release a tile's key reads anew: %d bits, want %d", got, 2*d)
	}
}
