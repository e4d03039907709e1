package arch

// The banked memory model (arch/README.md, "Banked memory") is the pipelined model (the same
// aligned bursts, buffer pool, tile bookkeeping, in-order issue per channel, at most one issue a
// cycle and max_requests in flight per channel) with the two things a fixed latency cannot
// show: where a burst lands, and the state of the bank it lands in. Exact integer-cycle rules:
//
//   - Address map, RoBaRaCoCh as Ramulator 2 names it (lowest bits first, above the burst):
//     with b = addr / burst_bytes and K = row_bytes / burst_bytes bursts per row,
//     channel = b mod channels, column = (b / channels) mod K,
//     bank = (b / (channels·K)) mod banks, row = b / (channels·K·banks).
//     Ranks, pseudo-channels and bank groups are folded into banks (flat, per channel), in the
//     order Ramulator slices them (each above the one before it), so its bank index is ours.
//   - Issue: a channel issues its requests in the order they are dealt (FCFS), request n at
//     max(issue of n-1 + 1, the cycle it is dealt, last data cycle of request n-max_requests + 1).
//   - Bank access (open-page): it starts at s = max(issue, the bank's next free cycle). A row hit
//     (the bank's open row) has its column command at s; a closed bank activates the row at s,
//     column command at s + t_rcd; a conflict (another row open) precharges at
//     p = max(s, the open row's activation + t_ras), activates at p + t_rp, column command at
//     p + t_rp + t_rcd. The data comes t_cl after the column command (so t_cl, t_rcd + t_cl,
//     t_rp + t_rcd + t_cl when t_ras does not bind), the row stays open, and the bank's next
//     access starts max(t_ccd, 1) cycles after the column command at the earliest (row hits
//     pipeline, one column command every t_ccd cycles; JEDEC's tCCD_L, here per bank).
//   - Data: first = max(column command + t_cl, the channel's bus free cycle), on the bus for
//     ceil(burst_bytes / dram_bytes_per_cycle) cycles, one burst at a time, in issue order.
//     A tile is usable the cycle after its last burst's last data cycle.
//
// Not modelled: refresh, tRRD/tFAW, tCCD across the banks of a group, read-to-precharge, separate pseudo-channel buses,
// command-bus conflicts beyond one issue a cycle, and reordering (Ramulator's FR-FCFS serves row
// hits first).
//
// Hand-worked: channels 2, burst 32 B at 32 B/cycle (one data cycle), row_bytes 128 (K = 4),
// banks 2, t_rcd 3, t_cl 2, t_rp 4, t_ras 0, t_ccd 1, one tile of bursts 0x0, 0x40, 0x200, 0x20 dealt at
// cycle 0. 0x0 (b 0): channel 0, bank 0, row 0; 0x40 (b 2): channel 0, column 1, bank 0, row 0;
// 0x200 (b 16): channel 0, column 0, bank 0, row 1; 0x20 (b 1): channel 1, bank 0, row 0.
// Channel 0: 0x0 issues at 0, closed bank: activate at 0, column command at 3, data 5..5, bank
// free from 4; 0x40 issues at 1, row hit: column command at 4, data 6..6, bank free from 5;
// 0x200 issues at 2, conflict: precharge at 5, activate at 9, column command at 12, data
// 14..14. Channel 1: 0x20 issues at 0, closed bank: data 5..5, in parallel. The tile is usable
// at 15 (TestBankedMemoryHandWorked).

// BankedMemoryParams configure the banked model, by their keys in the config's memory section.
type BankedMemoryParams struct {
	Channels      int `yaml:"channels"`             // independent DRAM channels
	BytesPerCycle int `yaml:"dram_bytes_per_cycle"` // data bandwidth of one channel
	BurstBytes    int `yaml:"burst_bytes"`          // bytes one request brings
	MaxInFlight   int `yaml:"max_requests"`         // requests a channel holds outstanding at once
	Buffers       int `yaml:"kv_buffers"`           // K/V buffers in the pool (2 is double buffering)
	Banks         int `yaml:"banks"`                // banks per channel (ranks and bank groups folded in)
	RowBytes      int `yaml:"row_bytes"`            // bytes of one bank's row across the channel
	TRCD          int `yaml:"t_rcd"`                // cycles from a row's activation to its column command
	TCL           int `yaml:"t_cl"`                 // cycles from a column command to its first data
	TRP           int `yaml:"t_rp"`                 // cycles to precharge (close) the open row
	TRAS          int `yaml:"t_ras"`                // cycles from a row's activation to its precharge, at least
	TCCD          int `yaml:"t_ccd"`                // cycles between a bank's column commands, at least (1 or more)
}

// The banked model fetches V rows on demand like the pipelined model, whose code it runs.
func init() {
	RegisterMemoryModel("banked", BankedMemoryParams{Channels: 8, BytesPerCycle: 32, BurstBytes: 32, MaxInFlight: 32,
		Buffers: 4, Banks: 32, RowBytes: 1024, TRCD: 7, TCL: 7, TRP: 7, TRAS: 17, TCCD: 2}, checkBanked, true,
		func(p BankedMemoryParams, src TileSource, l MemoryListener) Memory { return NewBankedMemory(p, src, l) })
}

// checkBanked checks the banked model's own parameters (the memory section's range checks cover
// the shared ones).
func checkBanked(p BankedMemoryParams) error {
	switch {
	case p.Banks < 1 || p.Banks > 1<<12:
		return paramErr("banks", "an integer in [1, 4096]", p.Banks)
	case p.RowBytes < p.BurstBytes || p.RowBytes > 1<<20:
		return paramErr("row_bytes", "an integer in [burst_bytes, 1048576]", p.RowBytes)
	}
	for _, t := range []struct {
		key string
		v   int
	}{{"t_rcd", p.TRCD}, {"t_cl", p.TCL}, {"t_rp", p.TRP}, {"t_ras", p.TRAS}, {"t_ccd", p.TCCD}} {
		if t.v < 0 || t.v > 1<<12 {
			return paramErr(t.key, "an integer in [0, 4096] (cycles)", t.v)
		}
	}
	return nil
}

// bankTimer is what the pipelined model asks of the banked one: a request's channel from its
// address, and the cycle its bank can first put its data on the bus when it issues at issue.
type bankTimer interface {
	channel(addr int64) int
	access(channel int, addr, issue int64) int64
}

// dramBank is one bank's open row (-1: closed), the cycle that row was activated, and the first
// cycle it can start an access.
type dramBank struct {
	open, activated, next int64
}

// bankedTimer maps addresses RoBaRaCoCh and keeps every bank's state, per channel.
type bankedTimer struct {
	p     BankedMemoryParams
	banks [][]dramBank
}

// locate maps a burst's address to its channel, bank and row.
func (b *bankedTimer) locate(addr int64) (channel, bank int, row int64) {
	n := addr / int64(b.p.BurstBytes)
	channel = int(n % int64(b.p.Channels))
	n /= int64(b.p.Channels) * int64(b.p.RowBytes/b.p.BurstBytes) // past the column bits
	return channel, int(n % int64(b.p.Banks)), n / int64(b.p.Banks)
}

func (b *bankedTimer) channel(addr int64) int {
	ch, _, _ := b.locate(addr)
	return ch
}

// access times a burst's bank access from its issue cycle and leaves its row open.
func (b *bankedTimer) access(channel int, addr, issue int64) int64 {
	_, bank, row := b.locate(addr)
	bk := &b.banks[channel][bank]
	col := max(issue, bk.next) // the column command's cycle; a row hit's is its start
	switch bk.open {
	case row:
	case -1:
		bk.activated = col
		col += int64(b.p.TRCD)
	default:
		pre := max(col, bk.activated+int64(b.p.TRAS))
		bk.activated = pre + int64(b.p.TRP)
		col = bk.activated + int64(b.p.TRCD)
	}
	bk.open = row
	bk.next = col + int64(max(b.p.TCCD, 1))
	return col + int64(b.p.TCL)
}

// NewBankedMemory returns the banked model over the run's tiles: the pipelined model whose
// requests go to their address's channel and wait for their bank instead of a fixed latency.
func NewBankedMemory(p BankedMemoryParams, src TileSource, l MemoryListener) *PipelinedMemory {
	m := NewPipelinedMemory(PipelinedMemoryParams{Channels: p.Channels, BytesPerCycle: p.BytesPerCycle,
		BurstBytes: p.BurstBytes, MaxInFlight: p.MaxInFlight, Buffers: p.Buffers}, src, l)
	t := &bankedTimer{p: p, banks: make([][]dramBank, p.Channels)}
	for i := range t.banks {
		t.banks[i] = make([]dramBank, p.Banks)
		for j := range t.banks[i] {
			t.banks[i][j].open = -1
		}
	}
	m.banks = t
	return m
}
