package dramtrace_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/dramtrace"
	"github.com/lrpsim/lrpsim/traces"
)

// twoHeads are two heads of 2 query rows x 3 keys, d = dv = 4, 8-bit operands: each head has Q
// 8 B, K 12 B, V 12 B. DRAM map: head 0 Q at 0x0, K at 0x40 (Q rounded up to 64 B), V at 0x80;
// head 1 starts at the next 4 KiB: Q 0x1000, K 0x1040, V 0x1080.
func twoHeads() sim.Heads {
	var hs sim.Heads
	for l := 0; l < 2; l++ {
		h := &traces.Head{Layer: l, N: 2, M: 3, D: 4, DV: 4, ValidQ: 2, ValidK: 3, BitsQ: 8, BitsK: 8, BitsV: 8,
			ScaleQ: 1, ScaleK: 1, ScaleV: 1, Threshold: 0}
		h.Q, h.K, h.V = make([]int32, 8), make([]int32, 12), make([]int32, 12)
		for i := range h.K {
			h.K[i], h.V[i] = int32(i%5)-2, 1
		}
		for i := range h.Q {
			h.Q[i] = int32(i%3) - 1
		}
		hs = append(hs, h)
	}
	return hs
}

func write(t *testing.T, cfg *sim.Config, engine, format string) string {
	t.Helper()
	rec := dramtrace.NewRecorder()
	if _, err := sim.Simulate(cfg, twoHeads(), engine, sim.Options{Observer: rec}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rec.Write(&buf, format); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestDRAMTraceSerial: the serial model reads each head's tile as one request, Q then K then V.
// Latency 10, 4 B per cycle: head 0's 32 B load issues at 0, data 10..17; head 1's issues at 18
// (the channel is free, the second buffer too), data 28..35.
func TestDRAMTraceSerial(t *testing.T) {
	cfg, err := sim.BundledConfig("serial-memory.yaml") // one load at a time: one channel
	if err != nil {
		t.Fatal(err)
	}
	cfg.Memory.DRAMLatency, cfg.Memory.DRAMBytesPerCycle = 10, 4
	want := strings.Join([]string{
		"issue_cycle,channel,address,bytes,op,first_data_cycle,last_data_cycle,tile",
		"0,0,0x0,8,read,10,17,0", "0,0,0x40,12,read,10,17,0", "0,0,0x80,12,read,10,17,0",
		"18,0,0x1000,8,read,28,35,1", "18,0,0x1040,12,read,28,35,1", "18,0,0x1080,12,read,28,35,1", ""}, "\n")
	for _, engine := range []string{sim.EngineEvent, sim.EngineReference} {
		if got := write(t, cfg, engine, "csv"); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", engine, got, want)
		}
	}
	// Ramulator 2: one LD per 64-byte line read, in issue order.
	wantRam := "LD 0x0\nLD 0x40\nLD 0x80\nLD 0x1000\nLD 0x1040\nLD 0x1080\n"
	if got := write(t, cfg, sim.EngineEvent, "ramulator2"); got != wantRam {
		t.Errorf("ramulator2:\n%s\nwant\n%s", got, wantRam)
	}
}

// TestDRAMTracePipelined: bursts of 16 B over 2 channels split each 32 B load into two requests
// that straddle the Q/K/V ranges: request 0 (channel 0) reads Q 8 B and K's first 8 B, request 1
// (channel 1) K's last 4 B and V 12 B; both engines agree, and the bytes add up to the run's.
func TestDRAMTracePipelined(t *testing.T) {
	cfg, err := sim.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Memory.Model, cfg.Memory.Channels, cfg.Memory.BurstBytes = sim.PipelinedMemory, 2, 16
	cfg.Memory.DRAMLatency, cfg.Memory.DRAMBytesPerCycle = 10, 4
	got := write(t, cfg, sim.EngineEvent, "csv")
	if ref := write(t, cfg, sim.EngineReference, "csv"); got != ref {
		t.Fatalf("the engines' DRAM traces differ:\n%s\n%s", got, ref)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	want := []string{"0,0,0x0,8,read,10,13,0", "0,0,0x40,8,read,10,13,0", "0,1,0x48,4,read,10,13,0", "0,1,0x80,12,read,10,13,0"}
	for i, w := range want {
		if lines[1+i] != w {
			t.Errorf("line %d: %q, want %q", 1+i, lines[1+i], w)
		}
	}
	var total int
	for _, l := range lines[1:] {
		var b int
		f := strings.Split(l, ",")
		for _, c := range f[3] {
			b = b*10 + int(c-'0')
		}
		total += b
	}
	if total != 64 {
		t.Errorf("the trace reads %d bytes, want 64 (two heads of 32)", total)
	}
}

func TestDRAMTraceUnknownFormat(t *testing.T) {
	if err := dramtrace.NewRecorder().Write(&bytes.Buffer{}, "dramsim9"); err == nil || !strings.Contains(err.Error(), "ramulator2 or csv") {
		t.Errorf("unknown format: %v", err)
	}
}
