package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/traces"
	"github.com/lrpsim/lrpsim/traces/data"
)

// Options control a sweep run.
type Options struct {
	// Out is the CSV to write (required). The journal is Out + ".journal".
	Out string
	// Manifest is the manifest to write (default Out + ".json").
	Manifest string
	// Jobs is the number of simulations computing at once (at least 1): the points in flight
	// and the design and baselines inside each share one pool of Jobs slots.
	Jobs int
	// Shard restricts the run to one slice of the points; the zero Shard runs them all.
	Shard Shard
	// Force ignores a journal and finished outputs and computes every point again.
	Force bool
	// Progress, when set, receives a progress bar redrawn in place (a terminal).
	Progress io.Writer
	// Stop, when closed (on SIGINT), stops handing out points: the points in flight finish and
	// are journaled, and Run returns an *InterruptedError.
	Stop <-chan struct{}
}

// InterruptedError is Run's error when Options.Stop closed before every point was done: the
// finished points are kept in the journal, and running the same command again resumes.
type InterruptedError struct {
	Journal string // the journal that keeps the finished points ("" when none finished)
	Done    int    // points of the run finished so far (this invocation and earlier ones)
	Points  int    // points of the run
}

func (e *InterruptedError) Error() string {
	if e.Journal == "" {
		return fmt.Sprintf("interrupted before any point finished (0/%d); nothing kept", e.Points)
	}
	return fmt.Sprintf("interrupted: %d/%d points kept in the journal %s; run the same command again to resume", e.Done, e.Points, e.Journal)
}

// Summary says what a run did.
type Summary struct {
	Points   int  // points of the run (of the shard, if sharded)
	Computed int  // points simulated by this invocation
	Resumed  int  // points taken from the journal of an earlier, interrupted invocation
	UpToDate bool // the outputs were already complete for this sweep: nothing was done
	Out      string
	Manifest string
}

// JournalPath is the journal beside an output CSV.
func JournalPath(out string) string { return out + ".journal" }

// ManifestPath is the default manifest beside an output CSV.
func ManifestPath(out string) string { return out + ".json" }

// Run simulates the plan's points (those of opt.Shard), opt.Jobs at a time, recording each
// finished point in the journal, and then writes the CSV (header and rows in point order) and the
// manifest, each atomically, and removes the journal. Rerun after a crash, it takes the journal's
// points as done and simulates the rest; the outputs are the same bytes whatever opt.Jobs and
// however often the run was interrupted. When the outputs already hold this sweep (and no
// journal is left), it does nothing.
func Run(p *Plan, opt Options) (*Summary, error) {
	if err := checkOptions(&opt); err != nil {
		return nil, err
	}
	sum := &Summary{Out: opt.Out, Manifest: opt.Manifest}
	var mine []*Point
	for i := range p.Points {
		if opt.Shard.Has(i) {
			mine = append(mine, &p.Points[i])
		}
	}
	sum.Points = len(mine)

	j, done, err := openJournal(JournalPath(opt.Out), p, opt.Shard, opt.Force)
	if err != nil {
		return nil, err
	}
	keep := true // keep the journal unless the run completes (or it recorded nothing)
	defer func() {
		if j == nil {
			return
		}
		if !keep || j.empty() {
			j.remove()
		} else {
			j.close()
		}
	}()
	removeStaleTemps(opt.Out)
	removeStaleTemps(opt.Manifest)
	if len(done) == 0 && !opt.Force && p.upToDate(opt) {
		sum.UpToDate = true
		keep = false
		return sum, nil
	}

	rows := make(map[int][]string, len(mine))
	var todo []*Point
	for _, pt := range mine {
		if row, ok := done[pt.Index]; ok {
			rows[pt.Index] = row
			sum.Resumed++
		} else {
			todo = append(todo, pt)
		}
	}
	bar := newProgress(opt.Progress, len(mine), sum.Resumed)
	err = p.compute(todo, opt.Jobs, opt.Stop, func(pt *Point, row []string) error {
		if err := j.append(pt.Index, row); err != nil {
			return err
		}
		rows[pt.Index] = row
		sum.Computed++
		bar.step()
		return nil
	})
	bar.finish()
	if err != nil {
		return nil, computeError(err, j, sum)
	}
	if err := p.writeOutputs(opt, mine, rows); err != nil {
		return nil, err
	}
	keep = false
	err = j.remove()
	j = nil
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// computeError is Run's error when compute stopped: an *InterruptedError on an interrupt, else
// compute's error, naming the journal that keeps the finished points.
func computeError(err error, j *journal, sum *Summary) error {
	if errors.Is(err, errInterrupted) {
		ie := &InterruptedError{Done: sum.Resumed + sum.Computed, Points: sum.Points}
		if !j.empty() {
			ie.Journal = j.path
		}
		return ie
	}
	if !j.empty() {
		err = fmt.Errorf("%w (finished points are kept in %s: rerun to resume)", err, j.path)
	}
	return err
}

// errInterrupted is compute's error when stop closed before every point was handed out.
var errInterrupted = errors.New("interrupted")

// compute simulates the points, jobs simulations computing at once, and hands each finished
// row to record (called from one goroutine at a time). On an error it stops handing out points, still records the
// points in flight that finish, and returns the error of the lowest-numbered failed point. When
// stop closes it stops handing out points likewise and returns errInterrupted.
func (p *Plan) compute(todo []*Point, jobs int, stop <-chan struct{}, record func(*Point, []string) error) error {
	if len(todo) == 0 {
		return nil
	}
	readers, err := p.openTraces(todo)
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	if err != nil {
		return err
	}
	type result struct {
		pt  *Point
		row []string
		err error
	}
	next := make(chan *Point)
	results := make(chan result)
	quit := make(chan struct{})
	stopped := make(chan bool, 1)
	go handOut(todo, next, quit, stop, stopped)
	// One pool of jobs slots for every configuration of every point: a point's design and
	// baselines share the cores with the other points in flight instead of each point taking
	// them all, so the wall time falls with jobs; a slot that one point's last configuration
	// leaves idle goes to the configurations of the other points in flight.
	pool := sim.NewPool(jobs)
	var wg sync.WaitGroup
	for range min(jobs, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pt := range next {
				row, err := p.simulate(pt, readers[pt.Trace], pool)
				results <- result{pt, row, err}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var simErr, recErr error
	failed := -1
	for r := range results {
		switch {
		case r.err != nil:
			if failed < 0 || r.pt.Index < failed {
				failed, simErr = r.pt.Index, r.err
			}
		case recErr == nil:
			recErr = record(r.pt, r.row)
		}
		if (r.err != nil || recErr != nil) && quit != nil {
			close(quit)
			quit = nil
		}
	}
	if recErr != nil {
		return recErr
	}
	if simErr != nil {
		return simErr
	}
	if <-stopped {
		return errInterrupted
	}
	return nil
}

// openTraces opens the trace of each point of todo once. On an error it returns the readers
// opened so far, for the caller to close.
func (p *Plan) openTraces(todo []*Point) (map[int]*traces.Reader, error) {
	readers := map[int]*traces.Reader{}
	for _, pt := range todo {
		if _, ok := readers[pt.Trace]; ok {
			continue
		}
		r, err := data.Open(p.Traces[pt.Trace].path)
		if err != nil {
			return readers, fmt.Errorf("%s: %w", p.Traces[pt.Trace].Name, err)
		}
		readers[pt.Trace] = r
	}
	return readers, nil
}

// handOut sends the points on next, one at a time, until all are sent, quit closes (an error)
// or stop closes (an interrupt), then closes next and says on stopped whether stop ended it.
func handOut(todo []*Point, next chan<- *Point, quit, stop <-chan struct{}, stopped chan<- bool) {
	defer close(next)
	for _, pt := range todo {
		select {
		case next <- pt:
		case <-quit:
			stopped <- false
			return
		case <-stop:
			stopped <- true
			return
		}
	}
	stopped <- false
}

// simulate runs one point: the design and its baselines on the point's trace, priced.
// With KeepGoing, a rejected configuration or a failed simulation gives the point's error row.
func (p *Plan) simulate(pt *Point, r *traces.Reader, pool *sim.Pool) ([]string, error) {
	if pt.rejected != "" {
		return p.errorRow(pt, pt.rejected), nil
	}
	cfg := pt.Config.Clone()
	res, err := sim.Run(cfg, r, p.Sweep.Engine, sim.Options{Pool: pool})
	if err == nil {
		err = res.Price(p.Table)
	}
	if err != nil {
		if p.KeepGoing {
			return p.errorRow(pt, err.Error()), nil
		}
		return nil, fmt.Errorf("%s: %w", p.describePoint(pt), err)
	}
	return p.row(pt, res), nil
}

// progress draws "[=====>    ] 12/40 points" in place on a terminal.
type progress struct {
	w           io.Writer
	total, done int
	resumed     int
}

func newProgress(w io.Writer, total, resumed int) *progress {
	b := &progress{w: w, total: total, done: resumed, resumed: resumed}
	b.draw()
	return b
}

func (b *progress) step() {
	b.done++
	b.draw()
}

func (b *progress) draw() {
	if b.w == nil {
		return
	}
	const width = 30
	fill := width
	if b.total > 0 {
		fill = width * b.done / b.total
	}
	var buf bytes.Buffer
	buf.WriteString("\r[")
	buf.WriteString(strings.Repeat("=", fill))
	if fill < width {
		buf.WriteString(">")
		buf.WriteString(strings.Repeat(" ", width-fill-1))
	}
	fmt.Fprintf(&buf, "] %d/%d points", b.done, b.total)
	if b.resumed > 0 {
		fmt.Fprintf(&buf, " (%d from the journal)", b.resumed)
	}
	b.w.Write(buf.Bytes())
}

func (b *progress) finish() {
	if b.w != nil {
		io.WriteString(b.w, "\n")
	}
}
