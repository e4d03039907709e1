package engine

import (
	"sync"

	"github.com/lrpsim/lrpsim/traces"
)

// pairTable is the part of a prepared head that does not depend on the lane configuration
// beyond bits per cycle: each pair's early-termination step and whether it survives, and the
// counts over them that every configuration needs (so none recounts them pair by pair).
type pairTable struct {
	steps   []uint8 // step at which the lane decides with early termination on
	survive []bool  // q.k >= T
	// hist[s-1] counts the allowed pairs whose lane decides at step s with early termination
	// on; rowKept the survivors of each valid query row.
	hist    []int64
	rowKept []int32
}

// sharedHeads lets the design and its baselines, simulated side by side, read each head and run
// the bit-plane kernel on it once. An entry lives until every user has released it, and no more
// than `window` entries live at once, which bounds memory whatever the trace's size. The window
// is larger than the heads all users can hold together, so a user that waits for room never
// waits on itself.
type sharedHeads struct {
	src    HeadSource
	users  int
	window int

	mu      sync.Mutex
	room    *sync.Cond
	entries map[int]*sharedEntry
	stopped bool // a user failed: nobody waits for room any more
	maxLive int  // most entries alive at once (tests check the bound)
}

type sharedEntry struct {
	once  sync.Once
	head  *traces.Head
	table *pairTable
	err   error
	left  int // users that have not released it
}

// newSharedHeads shares src's heads among users, each of which holds at most perUser heads at a
// time (the heads of its tiles in flight; see Params.headsHeld).
func newSharedHeads(src HeadSource, users, perUser int) *sharedHeads {
	s := &sharedHeads{src: src, users: users, window: max(8, perUser+1) * users, entries: map[int]*sharedEntry{}}
	s.room = sync.NewCond(&s.mu)
	return s
}

// get returns head idx and its pair table, computing them on the first request.
func (s *sharedHeads) get(idx int, compute func(*traces.Head) *pairTable) (*traces.Head, *pairTable, error) {
	s.mu.Lock()
	e, ok := s.entries[idx]
	for !ok && len(s.entries) >= s.window && !s.stopped {
		s.room.Wait()
		e, ok = s.entries[idx] // another user may have made it while this one waited
	}
	if !ok {
		e = &sharedEntry{left: s.users}
		s.entries[idx] = e
		s.maxLive = max(s.maxLive, len(s.entries))
	}
	s.mu.Unlock()
	e.once.Do(func() {
		e.head, e.err = s.src.Head(idx)
		if e.err == nil {
			e.table = compute(e.head)
		}
	})
	return e.head, e.table, e.err
}

// release drops one user's hold on head idx.
func (s *sharedHeads) release(idx int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[idx]
	if e == nil {
		return
	}
	e.left--
	if e.left == 0 {
		delete(s.entries, idx)
		s.room.Broadcast()
	}
}

// stop wakes every waiting user for good (one of them failed and will release nothing more).
func (s *sharedHeads) stop() {
	s.mu.Lock()
	s.stopped = true
	s.room.Broadcast()
	s.mu.Unlock()
}

// NumHeads implements HeadSource for the users.
func (s *sharedHeads) NumHeads() int { return s.src.NumHeads() }
