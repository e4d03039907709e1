package engine

import "math/bits"

// calendarSize is the number of cycles the calendar's ring covers ahead of the current cycle.
// Nearly every event falls within it (a lane decides within 16 cycles, a back end pops within a
// few); later ones (a DRAM load's completion, a buffer freeing) wait in a heap until the ring
// reaches them.
const calendarSize = 1 << 12

// eventQueue is the event engine's queue: it orders components' events by (cycle, priority),
// where a component's priority is its id, and holds at most one event per component, so no
// sequence number is needed to break ties and the order is deterministic. It is a calendar
// queue: a ring of buckets, one per cycle, each a bit set of component ids, which makes a push
// and a pop O(1) for the near events that dominate a run, and a binary heap for far ones.
type eventQueue struct {
	words  int      // uint64 words per bucket
	ring   []uint64 // calendarSize buckets of words
	now    int64    // no event is earlier; ring events lie in [now, now+calendarSize)
	inRing int
	far    []farEvent // min-heap by (cycle, id); entries may be stale (see Push)
	queued []int64    // per component: the cycle of its event, or -1
}

type farEvent struct {
	cycle int64
	id    int32
}

func newEventQueue(components int) *eventQueue {
	q := &eventQueue{words: (components + 63) / 64, queued: make([]int64, components)}
	q.ring = make([]uint64, calendarSize*q.words)
	for i := range q.queued {
		q.queued[i] = -1
	}
	return q
}

// Queued returns the cycle of component id's event, or -1.
func (q *eventQueue) Queued(id int) int64 { return q.queued[id] }

func (q *eventQueue) bucket(cycle int64) []uint64 {
	i := int(cycle&(calendarSize-1)) * q.words
	return q.ring[i : i+q.words]
}

// Schedule sets component id's event to cycle (>= the current cycle), replacing any it had;
// a negative cycle removes it.
func (q *eventQueue) Schedule(id int, cycle int64) {
	if old := q.queued[id]; old >= 0 && old < q.now+calendarSize {
		b := q.bucket(old)
		if b[id>>6]>>uint(id&63)&1 != 0 {
			b[id>>6] &^= 1 << uint(id&63)
			q.inRing--
		}
	}
	// A far event (in the heap, not yet in the ring) stays there and is dropped when it no
	// longer matches queued.
	q.queued[id] = cycle
	if cycle < 0 {
		return
	}
	if cycle < q.now+calendarSize {
		q.bucket(cycle)[id>>6] |= 1 << uint(id&63)
		q.inRing++
		return
	}
	q.pushFar(farEvent{cycle: cycle, id: int32(id)})
}

// Pop removes and returns the earliest event: its cycle and component; ok is false when the
// queue is empty.
func (q *eventQueue) Pop() (cycle int64, id int, ok bool) {
	for {
		if q.inRing == 0 {
			if !q.dropStale() {
				return 0, 0, false
			}
			q.now = q.far[0].cycle
		}
		q.migrate()
		b := q.bucket(q.now)
		for w, x := range b {
			if x != 0 {
				bit := bits.TrailingZeros64(x)
				b[w] &^= 1 << uint(bit)
				q.inRing--
				id = w<<6 + bit
				q.queued[id] = -1
				return q.now, id, true
			}
		}
		q.now++
	}
}

// Precedes reports whether an event of component id at cycle (>= the current cycle) would
// come before every queued one.
func (q *eventQueue) Precedes(cycle int64, id int) bool {
	if q.inRing > 0 {
		// Every ring event lies before now+calendarSize: scan up to the earlier of that and cycle.
		for c := q.now; c <= cycle && c < q.now+calendarSize; c++ {
			for w, x := range q.bucket(c) {
				if x != 0 {
					first := w<<6 + bits.TrailingZeros64(x)
					return c == cycle && id < first
				}
			}
		}
		if cycle >= q.now+calendarSize {
			return false
		}
	}
	if q.dropStale() && q.far[0].cycle <= cycle {
		return q.far[0].cycle == cycle && id < int(q.far[0].id)
	}
	return true
}

// migrate moves far events that the ring now covers into it.
func (q *eventQueue) migrate() {
	for q.dropStale() && q.far[0].cycle < q.now+calendarSize {
		e := q.popFar()
		q.bucket(e.cycle)[e.id>>6] |= 1 << uint(e.id&63)
		q.inRing++
	}
}

// dropStale removes far events that no longer match their component's queued cycle, and
// reports whether a valid far event remains.
func (q *eventQueue) dropStale() bool {
	for len(q.far) > 0 {
		e := q.far[0]
		if q.queued[e.id] == e.cycle && !q.inBucket(e) {
			return true
		}
		q.popFar()
	}
	return false
}

// inBucket reports whether a far event was already moved into the ring (a component scheduled
// twice at the same far cycle leaves two heap entries).
func (q *eventQueue) inBucket(e farEvent) bool {
	if e.cycle >= q.now+calendarSize {
		return false
	}
	return q.bucket(e.cycle)[e.id>>6]>>uint(e.id&63)&1 != 0
}

func farLess(a, b farEvent) bool {
	if a.cycle != b.cycle {
		return a.cycle < b.cycle
	}
	return a.id < b.id
}

func (q *eventQueue) pushFar(e farEvent) {
	q.far = append(q.far, e)
	i := len(q.far) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !farLess(q.far[i], q.far[p]) {
			break
		}
		q.far[i], q.far[p] = q.far[p], q.far[i]
		i = p
	}
}

func (q *eventQueue) popFar() farEvent {
	top := q.far[0]
	last := len(q.far) - 1
	q.far[0] = q.far[last]
	q.far = q.far[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && farLess(q.far[l], q.far[m]) {
			m = l
		}
		if r < last && farLess(q.far[r], q.far[m]) {
			m = r
		}
		if m == i {
			break
		}
		q.far[i], q.far[m] = q.far[m], q.far[i]
		i = m
	}
	return top
}
