package ramcompare

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Ramulator is what Ramulator 2 did on a replay, from its statistics and the per-read
// latencies that the patched LoadStoreTrace front end writes.
type Ramulator struct {
	// Cycles is memory_system_cycles: DRAM clock cycles until the last read's data returned.
	Cycles int64
	// Served is the reads each channel served (read row hits + misses + conflicts), by channel.
	Served map[int]int64
	// ChannelLatency is each channel's mean read latency in DRAM cycles (read_latency_N over
	// Served), by channel; a channel that served nothing has none.
	ChannelLatency map[int]float64
	// Latencies are each served read's cycles from its arrival at the controller to its data,
	// in the order they returned (empty when no latency file was read).
	Latencies []int64
}

// ServedReads is the reads all channels served.
func (r Ramulator) ServedReads() int64 {
	var n int64
	for _, s := range r.Served {
		n += s
	}
	return n
}

// statKey is a per-channel statistic of Ramulator's generic controller: name_<channel>.
var statKey = regexp.MustCompile(`^(read_row_hits|read_row_misses|read_row_conflicts|read_latency)_(\d+)$`)

// ReadRamulatorStats reads the statistics YAML that Ramulator 2 prints when a run ends. Only
// the keys it needs are read, by name (each is unique in the document), so the nesting is not
// parsed.
func ReadRamulatorStats(r io.Reader) (Ramulator, error) {
	out := Ramulator{Cycles: -1, Served: map[int]int64{}, ChannelLatency: map[int]float64{}}
	latency := map[int]int64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		if key == "memory_system_cycles" {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return out, fmt.Errorf("memory_system_cycles: %w", err)
			}
			out.Cycles = n
			continue
		}
		m := statKey.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return out, fmt.Errorf("%s: %w", key, err)
		}
		ch, _ := strconv.Atoi(m[2])
		if m[1] == "read_latency" {
			latency[ch] = n
		} else {
			out.Served[ch] += n
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if out.Cycles < 0 {
		return out, fmt.Errorf("no memory_system_cycles in Ramulator's statistics")
	}
	for ch, n := range out.Served {
		if n > 0 {
			out.ChannelLatency[ch] = float64(latency[ch]) / float64(n)
		}
	}
	return out, nil
}

// ReadLatencies reads the latency file of the patched front end ("<arrive> <depart>" in DRAM
// cycles, a line per served read) and returns each read's depart - arrive.
func ReadLatencies(r io.Reader) ([]int64, error) {
	var out []int64
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("latency line %d: %q: want <arrive> <depart>", line, sc.Text())
		}
		a, err1 := strconv.ParseInt(f[0], 10, 64)
		d, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || d < a {
			return nil, fmt.Errorf("latency line %d: %q: want two cycles, depart >= arrive", line, sc.Text())
		}
		out = append(out, d-a)
	}
	return out, sc.Err()
}
