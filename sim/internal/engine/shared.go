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
//
// Pair tables have a drift window of their own, counted in bytes (tableWindow): a user that
// would make a new table while the live ones already take the window waits, as long as some
// user has not yet asked for every live table. Such a user lags behind the waiter and never
// waits itself (every table it asks for next exists), so it catches up and releases; once every
// user has asked for every live table, the new one is made whatever the bytes. Without the
// window, the fastest configuration of a long head (one whose query blocks are many) would run
// the kernel over the whole head while the slowest still works on its first blocks, and every
// table between them would stay alive.
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

	// tableWindow bounds the bytes of live tables a user may add to (see above); tableBytes are
	// those bytes now, unasked the live tables some user has not asked for yet, and
	// maxTableBytes the most bytes alive at once (tests check the bound).
	tableWindow   int64
	tableBytes    int64
	unasked       int
	maxTableBytes int64
}

// tableWindowBytes is the shared pair tables' drift window: a table takes a byte per pair of its
// block, so at 8192 keys a block of 682 query rows (the default Q buffer's) takes 5.6 MB and the
// window holds one of them (a second is made only once no user lags): at 16 MiB a full run at
// 8192 tokens peaked at 125-130 MiB resident, over the benchmark's goal of 128.
const tableWindowBytes = 8 << 20

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
	left  int   // users that have not released it
	asked int   // users that have asked for it
	bytes int64 // its size, counted against the window from its making
}

// newSharedHeads shares src's heads among users, each of which holds at most perUser heads at a
// time (the heads of its tiles in flight; see Params.headsHeld).
func newSharedHeads(src HeadSource, users, perUser int, pool *Pool) *sharedHeads {
	s := &sharedHeads{src: src, users: users, tableUsers: users, policy: arch.LeOPArd{}, pool: pool, window: max(8, perUser+1) * users, entries: map[int]*sharedEntry{},
		tables: map[blockKey]*tableEntry{}, tableWindow: tableWindowBytes}
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

// table returns the pair table of head idx's query block from row q0, of size bytes, computing
// it on the first request; the head must be held (got and not released). A request that would
// make the table waits while the tables' window is full and some user lags (see sharedHeads).
func (s *sharedHeads) table(idx, q0 int, bytes int64, compute func() *pairTable) *pairTable {
	k := blockKey{idx, q0}
	s.mu.Lock()
	e, ok := s.tables[k]
	if !ok && s.mustWaitForTable(bytes) {
		// As in get: wait without holding a pool slot, which the lagging users may need.
		s.mu.Unlock()
		s.pool.release()
		s.mu.Lock()
		for {
			// Look again each time: another user may have made it, even while this one
			// gave back its slot.
			if _, ok = s.tables[k]; ok || !s.mustWaitForTable(bytes) {
				break
			}
			s.room.Wait()
		}
		s.mu.Unlock()
		s.pool.acquire()
		s.mu.Lock()
		e, ok = s.tables[k]
	}
	if !ok {
		e = &tableEntry{left: s.tableUsers, bytes: bytes}
		s.tables[k] = e
		s.tableBytes += bytes
		s.maxTableBytes = max(s.maxTableBytes, s.tableBytes)
		s.unasked++
		s.room.Broadcast() // a user waiting to make this same table takes it instead
	}
	e.asked++
	if e.asked == s.tableUsers {
		s.unasked--
		s.room.Broadcast() // a waiter may go on once nobody lags
	}
	s.mu.Unlock()
	e.once.Do(func() { e.table = compute() })
	return e.table
}

// mustWaitForTable reports whether a new table of bytes must wait: live tables would pass the
// window and some user has yet to ask for one of them (so it can still catch up and release).
func (s *sharedHeads) mustWaitForTable(bytes int64) bool {
	return !s.stopped && s.tableBytes > 0 && s.tableBytes+bytes > s.tableWindow && s.unasked > 0
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
			s.tableBytes -= e.bytes
			s.room.Broadcast()
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
