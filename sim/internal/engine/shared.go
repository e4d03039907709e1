package engine

import (
	"sync"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/traces"
)

// pairTable is the part of a prepared query block of a head that does not depend on the lane
// configuration beyond bits per cycle: each pair's early-termination step and whether it
// survives, and the counts over them that every configuration needs (so none recounts them pair
// by pair).
type pairTable struct {
	// dec holds one byte per pair of the table's query rows (row-major over the head's valid
	// keys): the step at which the lane decides with early termination on, with
	// arch.SurviveBit set when q.k >= T.
	dec []uint8
	// hist[s-1] counts the allowed pairs whose lane decides at step s with early termination
	// on; rowKept the survivors of each query row.
	hist    []int64
	pruned  []int64 // of hist, the pairs dropped
	rowKept []int32
	shared  bool // a sharedHeads entry: its users release it
}

// sharedHeads lets the design and its baselines, simulated side by side, read each head and run
// the bit-plane kernel on each of its query blocks once. A head lives until every user has
// released it, and no more than `window` heads live at once, which bounds memory whatever the
// trace's size; a block's pair table lives until every user has released it, which each does
// once its tiles of the block are done. The window is larger than the heads all users can hold
// together, so a user that waits for room never waits on itself.
type sharedHeads struct {
	src   HeadSource
	users int
	// tableUsers are the users that take their pair tables from here (Params.sharesTables),
	// computed with policy.
	tableUsers int
	policy     arch.PruningPolicy
	window     int
	pool       *Pool // the users' pool: a user waiting for room gives its slot back meanwhile

	mu      sync.Mutex
	room    *sync.Cond
	entries map[int]*sharedEntry
	tables  map[blockKey]*tableEntry
	stopped bool // a user failed: nobody waits for room any more
	maxLive int  // most heads alive at once (tests check the bound)
}

type sharedEntry struct {
	once sync.Once
	head *traces.Head
	err  error
	left int // users that have not released it
}

// blockKey names a query block: the head's index in the source and its first row.
type blockKey struct{ head, q0 int }

type tableEntry struct {
	once  sync.Once
	table *pairTable
	left  int
}

// newSharedHeads shares src's heads among users, each of which holds at most perUser heads at a
// time (the heads of its tiles in flight; see Params.headsHeld).
func newSharedHeads(src HeadSource, users, perUser int, pool *Pool) *sharedHeads {
	s := &sharedHeads{src: src, users: users, tableUsers: users, policy: arch.LeOPArd{}, pool: pool, window: max(8, perUser+1) * users, entries: map[int]*sharedEntry{},
		tables: map[blockKey]*tableEntry{}}
	s.room = sync.NewCond(&s.mu)
	return s
}

// get returns head idx, reading it on the first request.
func (s *sharedHeads) get(idx int) (*traces.Head, error) {
	s.mu.Lock()
	e, ok := s.entries[idx]
	for !ok && len(s.entries) >= s.window && !s.stopped {
		// Wait for room without holding a pool slot: the users that must release heads may
		// need it to run.
		s.mu.Unlock()
		s.pool.release()
		s.mu.Lock()
		for !ok && len(s.entries) >= s.window && !s.stopped {
			s.room.Wait()
			_, ok = s.entries[idx] // another user may have made it while this one waited
		}
		s.mu.Unlock()
		s.pool.acquire()
		s.mu.Lock()
		e, ok = s.entries[idx] // again: the map may have changed while this one took its slot
	}
	if !ok {
		e = &sharedEntry{left: s.users}
		s.entries[idx] = e
		s.maxLive = max(s.maxLive, len(s.entries))
	}
	s.mu.Unlock()
	e.once.Do(func() { e.head, e.err = s.src.Head(idx) })
	return e.head, e.err
}

// table returns the pair table of head idx's query block from row q0, computing it on the first
// request; the head must be held (got and not released).
func (s *sharedHeads) table(idx, q0 int, compute func() *pairTable) *pairTable {
	k := blockKey{idx, q0}
	s.mu.Lock()
	e, ok := s.tables[k]
	if !ok {
		e = &tableEntry{left: s.tableUsers}
		s.tables[k] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.table = compute() })
	return e.table
}

// releaseTable drops one user's hold on a block's pair table.
func (s *sharedHeads) releaseTable(idx, q0 int) {
	k := blockKey{idx, q0}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.tables[k]; e != nil {
		e.left--
		if e.left == 0 {
			delete(s.tables, k)
		}
	}
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
