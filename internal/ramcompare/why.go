package ramcompare

import "fmt"

// Why says, from the comparison's own measurements, why trace r lies more than 10% off
// Ramulator under the pipelined model with pair p on memory m. The pipelined model charges every
// read the fixed p.Latency and lets a channel hold p.MaxRequests, so it sustains at most
// MaxRequests / (Latency + t) bursts a cycle a channel (InFlight's law); Ramulator's reads cost
// what their banks, rows and queues make them, and its flood offers every request at once. A
// trace lies off in one of three measured ways:
//   - lrpsim slower, Ramulator above that cap: Ramulator streamed faster than the pair allows;
//   - lrpsim slower, Ramulator within the cap: lrpsim issues its loads as the run frees buffers
//     and layers, each paying the fixed latency, above Ramulator's unloaded one, where the
//     flood has every request queued at once;
//   - lrpsim faster: Ramulator sustained less than the cap, its reads waiting longer under the
//     flood than the fixed latency, a queueing cost no fixed latency shows.
func Why(r Compared, m Memory, p Pair) string {
	ratio := r.LrpsimNs / r.FloodNs
	bursts := float64(r.RamulatorBytes) / float64(m.BurstBytes)
	rate := bursts / r.FloodNs / float64(m.Channels) // bursts a ns a channel
	t := m.TransferCycles()
	capacity := float64(p.MaxRequests) / float64(p.Latency+t) * m.ClockGHz
	switch {
	case ratio > 1 && rate > capacity:
		return fmt.Sprintf("Ramulator streamed %.3f bursts a ns a channel, above the pair's cap of %.3f "+
			"(%d / (%d + %d) a cycle); its reads averaged %.1f ns under the flood, and unloaded %.1f ns",
			rate, capacity, p.MaxRequests, p.Latency, t, r.FloodLatNs, r.UnloadedLatNs)
	case ratio > 1:
		return fmt.Sprintf("at %.3f bursts a ns a channel, within the pair's cap of %.3f, lrpsim issues its loads "+
			"as the run frees buffers and layers, each paying the fixed %d cycles, above Ramulator's unloaded "+
			"%.1f ns, where the flood has every request queued at once (its reads averaged %.1f ns)",
			rate, capacity, p.Latency, r.UnloadedLatNs, r.FloodLatNs)
	default:
		return fmt.Sprintf("Ramulator sustained %.3f bursts a ns a channel, below the pair's cap of %.3f: its reads "+
			"averaged %.1f ns under the flood (unloaded %.1f ns) against lrpsim's fixed %d cycles, a queueing "+
			"cost no fixed latency shows", rate, capacity, r.FloodLatNs, r.UnloadedLatNs, p.Latency)
	}
}
