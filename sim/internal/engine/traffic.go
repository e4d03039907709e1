package engine

import "github.com/lrpsim/lrpsim/arch"

// vPort is a unit's survivor port when V rows are fetched on demand: each survivor's entry (and
// a keep-max marker's, which carries its row's largest key) asks the memory for its key's V
// row, once per tile, and becomes visible to the back end only when the row is in the buffer.
// The FIFO still pops in order, so a later survivor whose row is in waits behind it.
type vPort struct {
	fifo *arch.FIFO
	mem  arch.RowFetcher
	w    *workload
	st   *Stats
}

// survivorPort is where unit u's front end pushes: the FIFO itself, or a vPort over it.
func survivorPort(p *Params, fifo *arch.FIFO, mem arch.Memory, w *workload, st *Stats) arch.SurvivorPort {
	if !p.VOnDemand {
		return fifo
	}
	return &vPort{fifo: fifo, mem: mem.(arch.RowFetcher), w: w, st: st}
}

func (v *vPort) CanPush() bool { return v.fifo.CanPush() }

func (v *vPort) Push(e arch.Entry) {
	if (!e.Marker || e.KeepMax) && e.Key >= 0 {
		h := v.w.head(e.Head)
		at, fetched := v.mem.FetchRow(e.Tag, h.vBase+int64(e.Key)*h.vRow, h.vRow, e.Visible-1)
		if fetched {
			v.st.Actions.VSRAMWrBits += int64(h.src.DV) * int64(h.src.BitsV)
		}
		e.Visible = max(e.Visible, at)
	}
	v.fifo.Push(e)
}
