package energy

import "testing"

func TestMachineCounts(t *testing.T) {
	// 4 units of 16 lanes, 8 MACs and a FIFO of 6 entries of 64 bits; 2 KiB of Q buffer, 64 KiB
	// of K/V SRAM.
	c := MachineCounts(Machine{Units: 4, Lanes: 16, MACs: 8, FIFODepth: 6, FIFOWidthBits: 64,
		SRAMQBytes: 2048, SRAMKVBytes: 65536})
	instances := map[string]int64{
		Lane: 64, Comparator: 64, QSRAM: 2, KSRAM: 2, VSRAM: 2, DRAM: 1, FIFO: 4, ExpUnit: 4,
		MACArray: 32, Normalizer: 4, FEUnit: 4, BEUnit: 4,
	}
	for comp, want := range instances {
		if got := c.Components[comp].Instances; got != want {
			t.Errorf("%s: %d instances, want %d", comp, got, want)
		}
	}
	// Every component the vocabulary prices is an instance of the machine.
	for comp := range Vocabulary() {
		if _, ok := instances[comp]; !ok {
			t.Errorf("component %s of the vocabulary is not in the machine's instances", comp)
		}
	}
	if len(c.Components) != len(instances) {
		t.Errorf("%d components, want %d", len(c.Components), len(instances))
	}
	attrs := []struct {
		comp, attr string
		want       float64
	}{
		{QSRAM, AttrSizeBytes, 2048}, {KSRAM, AttrSizeBytes, 16384}, {VSRAM, AttrSizeBytes, 16384},
		{FIFO, AttrDepth, 6}, {FIFO, AttrWidthBits, 64},
	}
	for _, a := range attrs {
		if got := c.Components[a.comp].Attributes[a.attr]; got != a.want {
			t.Errorf("%s.%s = %g, want %g", a.comp, a.attr, got, a.want)
		}
	}
	for comp, cc := range c.Components {
		if len(cc.Actions) != 0 {
			t.Errorf("%s has actions %v before any is added", comp, cc.Actions)
		}
	}
}

// TestMachineCountsKVBuffers: the K/V SRAM is priced as kv_buffers buffers, each a K half and a
// V half of sram_kv_bytes / kv_buffers / 2.
func TestMachineCountsKVBuffers(t *testing.T) {
	for _, tc := range []struct {
		buffers   int
		instances int64
		size      float64
	}{
		{0, 2, 16384}, // unset: double buffered
		{2, 2, 16384},
		{4, 4, 8192},
		{8, 8, 4096},
	} {
		c := MachineCounts(Machine{Units: 1, Lanes: 1, MACs: 1, FIFODepth: 1, FIFOWidthBits: 8,
			SRAMQBytes: 2048, SRAMKVBytes: 65536, KVBuffers: tc.buffers})
		for _, comp := range []string{KSRAM, VSRAM} {
			cc := c.Components[comp]
			if cc.Instances != tc.instances || cc.Attributes[AttrSizeBytes] != tc.size {
				t.Errorf("kv_buffers %d: %s %d x %g B, want %d x %g B", tc.buffers, comp, cc.Instances,
					cc.Attributes[AttrSizeBytes], tc.instances, tc.size)
			}
		}
		if q := c.Components[QSRAM]; q.Instances != 2 || q.Attributes[AttrSizeBytes] != 2048 {
			t.Errorf("kv_buffers %d: Q buffer %d x %g B, want 2 x 2048", tc.buffers, q.Instances, q.Attributes[AttrSizeBytes])
		}
	}
}
