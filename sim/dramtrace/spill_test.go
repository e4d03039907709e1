package dramtrace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lrpsim/lrpsim/arch"
)

// TestSpillRoundTrip: requests put in a recorder come back in order with every field Write
// prints, from memory and from the spill file (a limit of a few requests forces it), and Write
// gives the same bytes each time it is called, and as the requests printed directly.
func TestSpillRoundTrip(t *testing.T) {
	for _, limit := range []int{1 << 20, 64} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			old := spillLimit
			spillLimit = limit
			defer func() { spillLimit = old }()
			rng := rand.New(rand.NewPCG(3, uint64(limit)))
			rec := NewRecorder()
			defer rec.Close()
			var want []arch.Request
			issue := int64(0)
			for i := range 500 {
				issue += rng.Int64N(3)
				first := issue + rng.Int64N(100)
				q := arch.Request{Tile: i / 40, Channel: rng.IntN(8), Bytes: 32, Issue: issue, First: first,
					Last: first + rng.Int64N(4), Addr: rng.Int64N(1 << 40)}
				rec.Request(q)
				want = append(want, q)
			}
			if limit == 64 && rec.spill.file == nil {
				t.Fatal("no spill file past the limit")
			}
			var got []arch.Request
			if err := rec.spill.each(func(q arch.Request) error { got = append(got, q); return nil }); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%d requests read back differ from the %d put", len(got), len(want))
			}
			var direct bytes.Buffer
			direct.WriteString("issue_cycle,channel,address,bytes,op,first_data_cycle,last_data_cycle,tile\n")
			for _, q := range want {
				fmt.Fprintf(&direct, "%d,%d,0x%x,%d,read,%d,%d,%d\n", q.Issue, q.Channel, q.Addr, q.Bytes, q.First, q.Last, q.Tile)
			}
			for pass := range 2 {
				var b bytes.Buffer
				if err := rec.Write(&b, "csv"); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b.Bytes(), direct.Bytes()) {
					t.Errorf("pass %d: the CSV differs from the requests printed directly", pass)
				}
			}
			if rec.Requests() != len(want) {
				t.Errorf("Requests() = %d, want %d", rec.Requests(), len(want))
			}
		})
	}
}
