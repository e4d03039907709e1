package ramcompare

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	for _, tc := range []struct {
		name        string
		in          string
		line, req   int64
		want        string
		wantN       int
		wantErrPart string
	}{
		{name: "64-B lines into 32-B requests", in: "LD 0x40\nLD 0x80\n", line: 64, req: 32,
			want: "LD 0x40\nLD 0x60\nLD 0x80\nLD 0xa0\n", wantN: 4},
		{name: "64-B lines into 64-B requests", in: "LD 0x0\nLD 0x40\nLD 0x0\n", line: 64, req: 64,
			want: "LD 0x0\nLD 0x40\nLD 0x0\n", wantN: 3},
		{name: "an unaligned 32-B burst covers two", in: "LD 0x4c\n", line: 32, req: 32,
			want: "LD 0x40\nLD 0x60\n", wantN: 2},
		{name: "a request repeated is two requests", in: "LD 0x40\nLD 0x40\n", line: 32, req: 32,
			want: "LD 0x40\nLD 0x40\n", wantN: 2},
		{name: "blank lines skipped", in: "\nLD 0x20\n\n", line: 32, req: 32, want: "LD 0x20\n", wantN: 1},
		{name: "a store is refused", in: "ST 0x0\n", line: 64, req: 32, wantErrPart: "line 1"},
		{name: "a bad address is refused", in: "LD 0x0\nLD zz\n", line: 64, req: 32, wantErrPart: "line 2"},
		{name: "a zero size is refused", in: "LD 0x0\n", line: 0, req: 32, wantErrPart: "positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := Expand(strings.NewReader(tc.in), tc.line, tc.req)
			if tc.wantErrPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrPart) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErrPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want || n != tc.wantN {
				t.Errorf("Expand = %q (%d requests), want %q (%d)", got, n, tc.want, tc.wantN)
			}
		})
	}
}

// lrpsimCSV is a hand-written CSV trace: a request of two ranges (rows 1-2), one of a range,
// and a later one on channel 0.
const lrpsimCSV = `issue_cycle,channel,address,bytes,op,first_data_cycle,last_data_cycle,tile
0,0,0x0,20,read,50,50,0
0,0,0x40,12,read,50,50,0
0,1,0x4c,32,read,50,51,0
100,0,0x80,32,read,160,160,1
`

func TestReadLrpsimCSV(t *testing.T) {
	got, err := ReadLrpsimCSV(strings.NewReader(lrpsimCSV))
	if err != nil {
		t.Fatal(err)
	}
	// intervals [0,51), [0,52), [100,161): 52 + 61 cycles in flight
	if got.Requests != 3 || got.Bytes != 96 || got.ActiveCycles != 113 {
		t.Errorf("requests %d, bytes %d, active %d; want 3, 96, 113", got.Requests, got.Bytes, got.ActiveCycles)
	}
	if !slices.Equal(got.Latencies, []int64{50, 50, 60}) {
		t.Errorf("latencies %v, want [50 50 60]", got.Latencies)
	}
	if want := map[int]float64{0: 55, 1: 50}; !maps.Equal(got.ChannelLatency, want) {
		t.Errorf("channel latency %v, want %v", got.ChannelLatency, want)
	}
	for _, bad := range []string{"", "issue_cycle,channel\n0,0\n", strings.Replace(lrpsimCSV, "100,0", "x,0", 1)} {
		if _, err := ReadLrpsimCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadLrpsimCSV(%q): no error", bad)
		}
	}
}

// ramulatorStats has the shape of Ramulator 2.0's statistics: channel 0 served 3 row hits and 1
// miss in 100 cycles of latency, with 40 attempts counted as num_read_reqs_0; channel 1 nothing.
const ramulatorStats = `Frontend:
  impl: LoadStoreTrace
MemorySystem:
  impl: GenericDRAM
  total_num_read_requests: 4
  memory_system_cycles: 120
  Controller:
    - impl: Generic
      id: Channel 0
      read_row_hits_0: 3
      read_row_misses_0: 1
      read_row_conflicts_0: 0
      num_read_reqs_0: 40
      read_latency_0: 100
      avg_read_latency_0: 2.5
    - impl: Generic
      id: Channel 1
      read_row_hits_1: 0
      read_row_misses_1: 0
      read_row_conflicts_1: 0
      read_latency_1: 0
`

func TestReadRamulatorStats(t *testing.T) {
	got, err := ReadRamulatorStats(strings.NewReader(ramulatorStats))
	if err != nil {
		t.Fatal(err)
	}
	if got.Cycles != 120 || got.ServedReads() != 4 {
		t.Errorf("cycles %d, served %d; want 120, 4", got.Cycles, got.ServedReads())
	}
	// 100 cycles over the 4 served reads, not over the 40 attempts
	if want := map[int]float64{0: 25}; !maps.Equal(got.ChannelLatency, want) {
		t.Errorf("channel latency %v, want %v", got.ChannelLatency, want)
	}
	if _, err := ReadRamulatorStats(strings.NewReader("read_row_hits_0: 3\n")); err == nil {
		t.Error("no memory_system_cycles: no error")
	}
	if _, err := ReadRamulatorStats(strings.NewReader("memory_system_cycles: 1\nread_latency_0: x\n")); err == nil {
		t.Error("a bad read_latency_0: no error")
	}
}

func TestReadLatencies(t *testing.T) {
	got, err := ReadLatencies(strings.NewReader("5 20\n\n7 30\n"))
	if err != nil || !slices.Equal(got, []int64{15, 23}) {
		t.Errorf("ReadLatencies = %v, %v; want [15 23]", got, err)
	}
	for _, bad := range []string{"5\n", "5 3\n", "a b\n"} {
		if _, err := ReadLatencies(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadLatencies(%q): no error", bad)
		}
	}
}

func TestDistOf(t *testing.T) {
	// nearest rank: p50 of 4 reads is the 2nd, p90 the 4th
	if got, want := distOf([]int64{40, 10, 30, 20}, 0.5), (Dist{Mean: 12.5, P50: 10, P90: 20, Max: 20}); got != want {
		t.Errorf("distOf = %+v, want %+v", got, want)
	}
	if got := distOf(nil, 1); got != (Dist{}) {
		t.Errorf("distOf(nil) = %+v, want zero", got)
	}
}

func TestRowOfAndCSV(t *testing.T) {
	lr, err := ReadLrpsimCSV(strings.NewReader(lrpsimCSV))
	if err != nil {
		t.Fatal(err)
	}
	flood, err := ReadRamulatorStats(strings.NewReader(ramulatorStats))
	if err != nil {
		t.Fatal(err)
	}
	flood.Latencies = []int64{10, 20, 30, 40}
	p, err := PresetNamed("ddr4")
	if err != nil {
		t.Fatal(err)
	}
	row := RowOf(Run{Trace: "t", Preset: p, DRAMTraceSHA256: "abc", DRAMCSVSHA256: "def", Replayed: 4, ClockGHz: 1,
		Lrpsim: lr, Flood: flood, Unloaded: flood})
	// Ramulator: 120 DDR4 cycles of 0.625 ns = 75 ns for 4 x 64 B; lrpsim 113 ns for 96 B
	if row.FloodNs != 75 || row.LrpsimNs != 113 || row.RamulatorBytes != 256 {
		t.Errorf("flood %v ns, lrpsim %v ns, bytes %d; want 75, 113, 256", row.FloodNs, row.LrpsimNs, row.RamulatorBytes)
	}
	if row.Ratio != 113.0/75 || row.FloodGBs != 256.0/75 || row.LrpsimGBs != 96.0/113 {
		t.Errorf("ratio %v, GB/s %v and %v", row.Ratio, row.FloodGBs, row.LrpsimGBs)
	}
	if row.FloodChannels != "0:15.6" || row.LrpsimChannels != "0:55.0 1:50.0" {
		t.Errorf("channels %q and %q", row.FloodChannels, row.LrpsimChannels)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []Row{row}); err != nil {
		t.Fatal(err)
	}
	fp, err := ReadFingerprints(&buf)
	if err != nil || len(fp) != 1 || fp[0] != (Fingerprinted{Trace: "t", Preset: "ddr4", SHA256: "abc", CSVSHA256: "def"}) {
		t.Errorf("ReadFingerprints = %v, %v", fp, err)
	}
	buf.Reset()
	if err := WriteMarkdown(&buf, []Row{row}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "| t | ddr4 | 3 / 4 | 113 | 75 | 1.51 | 0.8 / 3.4 |") {
		t.Errorf("Markdown row missing:\n%s", buf.String())
	}
	if _, err := ReadFingerprints(strings.NewReader("a,b\n")); err == nil {
		t.Error("ReadFingerprints of another CSV: no error")
	}
}

func TestLineFormat(t *testing.T) {
	perRequest := "issue_cycle,address,bytes\n0,0x40,32\n1,0x60,32\n"
	for _, tc := range []struct {
		name       string
		lt         string
		csv        string
		wantBytes  int64
		wantPerReq bool
	}{
		{"a row per line, same addresses, one size: per request", "LD 0x40\nLD 0x60\n", perRequest, 32, true},
		{"more lines than rows: legacy", "LD 0x40\nLD 0x40\nLD 0x80\n", perRequest, LegacyLineBytes, false},
		{"as many lines, other addresses (64-B lines of 32-B requests): legacy", "LD 0x40\nLD 0x40\n", perRequest,
			LegacyLineBytes, false},
		{"rows of several sizes: legacy", "LD 0x40\nLD 0x60\n", "address,bytes\n0x40,20\n0x60,32\n", LegacyLineBytes, false},
		{"no lines: legacy", "", perRequest, LegacyLineBytes, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, per, err := LineFormat([]byte(tc.lt), strings.NewReader(tc.csv))
			if err != nil || b != tc.wantBytes || per != tc.wantPerReq {
				t.Errorf("LineFormat = %d, %v, %v; want %d, %v", b, per, err, tc.wantBytes, tc.wantPerReq)
			}
		})
	}
	if _, _, err := LineFormat([]byte("LD 0x0\n"), strings.NewReader("issue_cycle\n0\n")); err == nil {
		t.Error("no bytes column: no error")
	}
}

func TestFromCSV(t *testing.T) {
	// tile 0 reads [0x0,0x14), [0x40,0x4c) and [0x4c,0x6c): bursts 0x0, 0x40 (shared by two
	// ranges: once) and 0x60; tile 1 reads 0x40 again (another load: again)
	in := `issue_cycle,channel,address,bytes,op,first_data_cycle,last_data_cycle,tile
0,0,0x0,20,read,50,50,0
0,0,0x40,12,read,50,50,0
0,1,0x4c,32,read,50,50,0
9,0,0x40,4,read,59,59,1
`
	got, n, err := FromCSV(strings.NewReader(in), 32)
	if want := "LD 0x0\nLD 0x40\nLD 0x60\nLD 0x40\n"; err != nil || string(got) != want || n != 4 {
		t.Errorf("FromCSV = %q, %d, %v; want %q, 4", got, n, err, want)
	}
	got, n, err = FromCSV(strings.NewReader(in), 64)
	if want := "LD 0x0\nLD 0x40\nLD 0x40\n"; err != nil || string(got) != want || n != 3 {
		t.Errorf("FromCSV 64 = %q, %d, %v; want %q, 3", got, n, err, want)
	}
	for _, bad := range []string{"", strings.Replace(in, "0x4c,32", "0x4c,0", 1), strings.Replace(in, "9,0,0x40,4,read,59,59,1", "9,0", 1)} {
		if _, _, err := FromCSV(strings.NewReader(bad), 32); err == nil {
			t.Errorf("FromCSV(%q): no error", bad)
		}
	}
}
