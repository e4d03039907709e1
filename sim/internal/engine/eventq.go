package engine

// event is one scheduled wake-up of a component.
type event struct {
	cycle int64
	prio  int32  // the component: memoryID, then back ends, then front ends (event.go)
	seq   uint64 // insertion order, the final tie-break
	gen   uint64 // the component's generation when scheduled; stale events are dropped
}

func (a *event) before(b *event) bool {
	if a.cycle != b.cycle {
		return a.cycle < b.cycle
	}
	if a.prio != b.prio {
		return a.prio < b.prio
	}
	return a.seq < b.seq
}

// eventQueue is a binary min-heap of events ordered by (cycle, priority, sequence), so that a run
// is deterministic whatever the order in which events were scheduled within a cycle. It is typed
// rather than built on container/heap, which boxes every event in an interface value: an
// allocation per event on the hot path.
type eventQueue struct {
	heap []event
	seq  uint64
}

func (q *eventQueue) Len() int { return len(q.heap) }

// Push schedules an event.
func (q *eventQueue) Push(cycle int64, prio int32, gen uint64) {
	q.seq++
	q.heap = append(q.heap, event{cycle: cycle, prio: prio, seq: q.seq, gen: gen})
	i := len(q.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.heap[i].before(&q.heap[p]) {
			break
		}
		q.heap[i], q.heap[p] = q.heap[p], q.heap[i]
		i = p
	}
}

// Pop removes and returns the earliest event.
func (q *eventQueue) Pop() event {
	top := q.heap[0]
	last := len(q.heap) - 1
	q.heap[0] = q.heap[last]
	q.heap = q.heap[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && q.heap[l].before(&q.heap[m]) {
			m = l
		}
		if r < last && q.heap[r].before(&q.heap[m]) {
			m = r
		}
		if m == i {
			break
		}
		q.heap[i], q.heap[m] = q.heap[m], q.heap[i]
		i = m
	}
	return top
}

// precedes reports whether an event of component prio at cycle comes strictly before the
// earliest queued event in (cycle, priority) order.
func (q *eventQueue) precedes(cycle int64, prio int32) bool {
	top := &q.heap[0]
	return cycle < top.cycle || (cycle == top.cycle && prio < top.prio)
}
