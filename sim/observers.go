package sim

import "github.com/lrpsim/lrpsim/arch"

// Observers fans one simulation's observations out to several observers (a timeline and a DRAM
// trace, say); nil entries are skipped.
func Observers(obs ...Observer) Observer {
	var list fanout
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	return list
}

type fanout []Observer

func (f fanout) RowTask(unit, head, row int, start, end int64) {
	for _, o := range f {
		o.RowTask(unit, head, row, start, end)
	}
}

func (f fanout) BackEndWork(unit, head, row int, marker, keepMax bool, pop, end int64) {
	for _, o := range f {
		o.BackEndWork(unit, head, row, marker, keepMax, pop, end)
	}
}

func (f fanout) FIFOFill(unit int, cycle int64, entries int) {
	for _, o := range f {
		o.FIFOFill(unit, cycle, entries)
	}
}

func (f fanout) LoadStarted(tile int, cycle int64, segs []Segment) {
	for _, o := range f {
		o.LoadStarted(tile, cycle, segs)
	}
}

func (f fanout) Request(r arch.Request) {
	for _, o := range f {
		o.Request(r)
	}
}

func (f fanout) BuffersInUse(cycle int64, n int) {
	for _, o := range f {
		o.BuffersInUse(cycle, n)
	}
}

func (f fanout) Stalled(unit int, from, to int64) {
	for _, o := range f {
		o.Stalled(unit, from, to)
	}
}

func (f fanout) Waited(unit int, from, to int64) {
	for _, o := range f {
		o.Waited(unit, from, to)
	}
}

func (f fanout) BufferWaited(from, to int64) {
	for _, o := range f {
		o.BufferWaited(from, to)
	}
}
