package engine

import (
	"fmt"

	"github.com/lrpsim/lrpsim/arch"
)

// survivorPort is where a unit's front end pushes: the FIFO itself, or, with V rows fetched on
// demand, an arch.OnDemandPort over it that finds a row in the workload's DRAM map and counts
// its SRAM write.
func survivorPort(p *Params, fifo *arch.FIFO, mem arch.Memory, w *workload, st *Stats) (arch.SurvivorPort, error) {
	if !p.VOnDemand {
		return fifo, nil
	}
	rf, ok := mem.(arch.RowFetcher)
	if !ok {
		return nil, fmt.Errorf("config %s: V rows on demand need a memory model that fetches rows (memory.model pipelined)", p.Name)
	}
	return &arch.OnDemandPort{FIFO: fifo, Mem: rf,
		Row: func(e arch.Entry) (int64, int64) {
			r := w.head(e.Head).addr.VRow(e.Key)
			return r.Addr, r.Bytes
		},
		Fetched: func(e arch.Entry) {
			th := w.head(e.Head).src
			st.Actions.VSRAMWrBits += int64(th.DV) * int64(th.BitsV)
		}}, nil
}
