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

// TestDRAMTraceSerial: the serial model reads each head's tile as 64-byte lines (the burst of
// configs/serial-memory.yaml), Q then K then V, each array in its own line. Latency 10, 4 B per
// cycle: head 0's three lines issue at 0, data 10..25, 26..41, 42..57; head 1's issue at 58
// (the channel is free, the second buffer too), data 68..83, 84..99, 100..115.
func TestDRAMTraceSerial(t *testing.T) {
	cfg, err := sim.BundledConfig("serial-memory.yaml") // one load at a time: one channel
	if err != nil {
		t.Fatal(err)
	}
	cfg.Memory.DRAMLatency, cfg.Memory.DRAMBytesPerCycle = 10, 4
	want := strings.Join([]string{
		"issue_cycle,channel,address,bytes,op,first_data_cycle,last_data_cycle,tile",
		"0,0,0x0,64,read,10,25,0", "0,0,0x40,64,read,26,41,0", "0,0,0x80,64,read,42,57,0",
		"58,0,0x1000,64,read,68,83,1", "58,0,0x1040,64,read,84,99,1", "58,0,0x1080,64,read,100,115,1", ""}, "\n")
	for _, engine := range []string{sim.EngineEvent, sim.EngineReference} {
		if got := write(t, cfg, engine, "csv"); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", engine, got, want)
		}
	}
	wantRam := "LD 0x0\nLD 0x40\nLD 0x80\nLD 0x1000\nLD 0x1040\nLD 0x1080\n"
	if got := write(t, cfg, sim.EngineEvent, "ramulator2"); got != wantRam {
		t.Errorf("ramulator2:\n%s\nwant\n%s", got, wantRam)
	}
}

// TestDRAMTracePipelined: bursts of 16 B over 2 channels, aligned: head 0's Q (8 B at 0x0), K
// (12 B at 0x40) and V (12 B at 0x80) are one burst each, 0x0 and 0x80 on channel 0, 0x40 on
// channel 1 (0x80 issues at 1, its data after 0x0's on the bus). Both engines agree; the CSV's
// rows and the Ramulator lines match one for one; the bytes are the run's DRAM bytes.
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
	want := []string{"0,0,0x0,16,read,10,13,0", "0,1,0x40,16,read,10,13,0", "1,0,0x80,16,read,14,17,0"}
	for i, w := range want {
		if lines[1+i] != w {
			t.Errorf("line %d: %q, want %q", 1+i, lines[1+i], w)
		}
	}
	ram := strings.Split(strings.TrimSpace(write(t, cfg, sim.EngineEvent, "ramulator2")), "\n")
	if len(ram) != len(lines)-1 {
		t.Fatalf("%d Ramulator lines for %d CSV rows", len(ram), len(lines)-1)
	}
	for i, l := range ram {
		if f := strings.Split(lines[1+i], ","); l != "LD "+f[2] || f[3] != "16" {
			t.Errorf("Ramulator line %d %q against CSV row %q", i, l, lines[1+i])
		}
	}
	st, err := sim.Simulate(cfg, twoHeads(), sim.EngineEvent, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(ram))*16 != st.DRAM.Bytes || st.DRAM.Bytes != 96 {
		t.Errorf("the trace reads %d bytes, the run %d; want 96 (two heads of three 16-B bursts)", len(ram)*16, st.DRAM.Bytes)
	}
}

func TestDRAMTraceUnknownFormat(t *testing.T) {
	if err := dramtrace.NewRecorder().Write(&bytes.Buffer{}, "dramsim9"); err == nil || !strings.Contains(err.Error(), "ramulator2 or csv") {
		t.Errorf("unknown format: %v", err)
	}
}
