package energy

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
)

// Counts is what a simulation run hands to [Table.Price]: how long the run took and, for each
// component, how many instances there are, their attributes and how many times each action
// happened (summed over all instances). Counts marshals to JSON so that a run's counts can be
// exported and re-priced with another table.
type Counts struct {
	Cycles     int64                      `json:"cycles"`   // run length in cycles
	ClockHz    float64                    `json:"clock_hz"` // clock frequency; needed only for leakage given in mW
	Components map[string]ComponentCounts `json:"components"`
}

// ComponentCounts are the counts of one component.
type ComponentCounts struct {
	Instances  int64              `json:"instances"`            // e.g. fe_units*lanes for the lane
	Attributes map[string]float64 `json:"attributes,omitempty"` // e.g. size_bytes of an SRAM
	Actions    map[string]int64   `json:"actions"`              // action name -> count, all instances
	// PricedAs names the table component whose prices apply when the table has no entry of
	// this component's own: a unit built of a table's primitives (a pruning policy's added
	// exp units or comparators) is priced as that primitive and reported under its own name.
	PricedAs string `json:"priced_as,omitempty"`
}

// SetPricedAs prices component as the table's entry base when the table has none of its own.
func (c *Counts) SetPricedAs(component, base string) {
	c.update(component, func(cc *ComponentCounts) { cc.PricedAs = base })
}

// Add adds n to the count of action of component, creating the entries it needs.
func (c *Counts) Add(component, action string, n int64) {
	c.update(component, func(cc *ComponentCounts) {
		if cc.Actions == nil {
			cc.Actions = make(map[string]int64)
		}
		cc.Actions[action] += n
	})
}

// SetInstances sets the number of instances of component, creating its entry if needed.
func (c *Counts) SetInstances(component string, n int64) {
	c.update(component, func(cc *ComponentCounts) { cc.Instances = n })
}

// SetAttribute sets an attribute of component, creating its entry if needed.
func (c *Counts) SetAttribute(component, attr string, v float64) {
	c.update(component, func(cc *ComponentCounts) {
		if cc.Attributes == nil {
			cc.Attributes = make(map[string]float64)
		}
		cc.Attributes[attr] = v
	})
}

// update changes the entry of component with f, creating it if needed.
func (c *Counts) update(component string, f func(*ComponentCounts)) {
	cc := c.component(component)
	f(&cc)
	c.Components[component] = cc
}

// component returns the entry of name, making the map if needed.
func (c *Counts) component(name string) ComponentCounts {
	if c.Components == nil {
		c.Components = make(map[string]ComponentCounts)
	}
	return c.Components[name]
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[M ~map[K]V, K cmp.Ordered, V any](m M) []K {
	return slices.Sorted(maps.Keys(m))
}

// formatFloat formats v in the shortest form that reads back to the same float64, without an
// exponent for magnitudes in [1e-4, 1e21).
func formatFloat(v float64) string {
	if a := math.Abs(v); a == 0 || (a >= 1e-4 && a < 1e21) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Machine is what the priced instance list needs of a machine's description: Units processing
// units, each a front end of Lanes lanes (a comparator each), a survivor FIFO of FIFODepth
// entries of FIFOWidthBits bits, and a back end with an exp unit, MACs multiplier-accumulators
// and a normalizer; the Q buffer and the K/V SRAM, split into KVBuffers tile buffers (0: two);
// one DRAM.
type Machine struct {
	Units, Lanes, MACs, FIFODepth, FIFOWidthBits int
	SRAMQBytes, SRAMKVBytes                      int64
	KVBuffers                                    int
}

// MachineCounts returns counts that list every component of machine m with its instances and
// the attributes that size it, and no action yet. The Q buffer is priced as two SRAMs of
// SRAMQBytes (double buffered) and the K/V SRAM as K and V halves, each KVBuffers SRAMs of
// SRAMKVBytes / KVBuffers / 2 (each buffer holds the keys and values of one tile).
func MachineCounts(m Machine) Counts {
	var c Counts
	units := int64(m.Units)
	lanes := units * int64(m.Lanes)
	for _, in := range []struct {
		component string
		n         int64
	}{
		{Lane, lanes}, {Comparator, lanes}, {DRAM, 1}, {FIFO, units}, {ExpUnit, units},
		{MACArray, units * int64(m.MACs)}, {Normalizer, units}, {FEUnit, units}, {BEUnit, units},
	} {
		c.SetInstances(in.component, in.n)
	}
	kvBuffers := int64(max(m.KVBuffers, 2))
	for _, sram := range []struct {
		component string
		size      int64
	}{{QSRAM, m.SRAMQBytes}, {KSRAM, m.SRAMKVBytes / kvBuffers / 2}, {VSRAM, m.SRAMKVBytes / kvBuffers / 2}} {
		n := kvBuffers
		if sram.component == QSRAM {
			n = 2
		}
		c.SetInstances(sram.component, n)
		c.SetAttribute(sram.component, AttrSizeBytes, float64(sram.size))
	}
	c.SetAttribute(FIFO, AttrDepth, float64(m.FIFODepth))
	c.SetAttribute(FIFO, AttrWidthBits, float64(m.FIFOWidthBits))
	return c
}
