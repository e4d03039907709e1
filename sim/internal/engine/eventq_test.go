package engine

import (
	"math/rand/v2"
	"testing"
)

// TestEventQueueOrder drives the calendar queue and a plain list with the same random schedule,
// reschedule, remove and pop operations (near and far cycles, ties between components) and
// requires the same events in the same (cycle, id) order, and Precedes to agree with the list.
func TestEventQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for it := 0; it < 200; it++ {
		n := 1 + r.IntN(130)
		q := newEventQueue(n)
		want := make([]int64, n) // the plain list: each component's cycle, -1 if none
		for i := range want {
			want[i] = -1
		}
		var now int64
		earliest := func() (int64, int) {
			c, id := int64(-1), -1
			for i, x := range want {
				if x >= 0 && (c < 0 || x < c) {
					c, id = x, i
				}
			}
			return c, id
		}
		for op := 0; op < 400; op++ {
			switch k := r.IntN(10); {
			case k < 6:
				id := r.IntN(n)
				var c int64
				switch r.IntN(3) {
				case 0:
					c = now + int64(r.IntN(20))
				case 1:
					c = now + int64(r.IntN(3*calendarSize))
				default:
					c = -1 // remove
				}
				q.Schedule(id, c)
				want[id] = c
			case k < 7:
				c, id := now+int64(r.IntN(2*calendarSize)), r.IntN(n)
				wc, wid := earliest()
				exp := wc < 0 || c < wc || (c == wc && id < wid)
				if want[id] >= 0 {
					continue // Precedes is asked only for a component with no queued event
				}
				if got := q.Precedes(c, id); got != exp {
					t.Fatalf("iter %d op %d: Precedes(%d, %d) = %t, want %t (earliest %d@%d)", it, op, c, id, got, exp, wid, wc)
				}
			default:
				wc, wid := earliest()
				c, id, ok := q.Pop()
				if ok != (wid >= 0) || (ok && (c != wc || id != wid)) {
					t.Fatalf("iter %d op %d: Pop = %d@%d %t, want %d@%d", it, op, id, c, ok, wid, wc)
				}
				if ok {
					want[id] = -1
					now = c
				}
			}
		}
	}
}
