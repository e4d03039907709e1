package energy

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// Report is the energy and area of one run priced with one table.
//
// Every sum is a left-to-right float64 sum starting at 0, over components in increasing name
// order and, inside a component, over actions in increasing name order followed by the
// component's leakage term. With
//
//	action term  = float64(count) * PJPerAction
//	leakage term = float64(instances) * LeakagePJPerCycle * float64(cycles)
//	area term    = float64(instances) * AreaUM2PerInstance
//
// TotalPJ is the sum of all action and leakage terms in that interleaved order, DynamicPJ the sum
// of the action terms alone and LeakagePJ the sum of the leakage terms alone (so TotalPJ may
// differ from DynamicPJ + LeakagePJ in the last bits), and AreaUM2 the sum of the area terms.
// The per-component fields follow the same rules restricted to the component.
type Report struct {
	Table      string            `json:"table"`
	Node       string            `json:"node"`
	Cycles     int64             `json:"cycles"`
	ClockHz    float64           `json:"clock_hz"`
	TotalPJ    float64           `json:"total_pj"`
	DynamicPJ  float64           `json:"dynamic_pj"`
	LeakagePJ  float64           `json:"leakage_pj"`
	AreaUM2    float64           `json:"area_um2"`
	Components []ComponentReport `json:"components"` // in increasing name order
}

// ComponentReport is the share of one component in a [Report].
type ComponentReport struct {
	Name               string         `json:"name"`
	Instances          int64          `json:"instances"`
	TotalPJ            float64        `json:"total_pj"`
	DynamicPJ          float64        `json:"dynamic_pj"`
	LeakagePJ          float64        `json:"leakage_pj"`
	LeakagePJPerCycle  float64        `json:"leakage_pj_per_cycle"` // per instance
	AreaUM2PerInstance float64        `json:"area_um2_per_instance"`
	AreaUM2            float64        `json:"area_um2"`
	Actions            []ActionReport `json:"actions"` // in increasing name order
	Source             string         `json:"source,omitempty"`
}

// ActionReport is the share of one action in a [ComponentReport].
type ActionReport struct {
	Name        string  `json:"name"`
	Count       int64   `json:"count"`
	PJPerAction float64 `json:"pj_per_action"`
	PJ          float64 `json:"pj"`
	Source      string  `json:"source,omitempty"`
}

// Price computes the energy and area of the run described by c. It fails when the table is
// invalid (see [Table.Validate]), when c names a component or an action that the table does not
// price (whatever the count), when a count, instance number or cycle number is negative, when an
// attribute that the table's curves need is missing or invalid, or when leakage is given in mW
// and c.ClockHz is not a positive finite number. The sums are taken in the order documented on
// [Report].
func (t *Table) Price(c Counts) (Report, error) {
	if err := t.Validate(); err != nil {
		return Report{}, err
	}
	r := Report{Table: t.Name, Node: t.Node, Cycles: c.Cycles, ClockHz: c.ClockHz}
	if c.Cycles < 0 {
		return Report{}, fmt.Errorf("energy: price with table %q: cycles = %d: expected >= 0", t.Name, c.Cycles)
	}
	cycles := float64(c.Cycles)
	for _, name := range sortedKeys(c.Components) {
		cc := c.Components[name]
		e, ok := t.Components[name]
		if (!ok || e == nil) && cc.PricedAs != "" {
			e, ok = t.Components[cc.PricedAs]
		}
		if !ok || e == nil {
			return Report{}, fmt.Errorf("energy: price with table %q: component %q is counted but not in the table",
				t.Name, name)
		}
		if cc.Instances < 0 {
			return Report{}, fmt.Errorf("energy: price with table %q: component %q: instances = %d: expected >= 0",
				t.Name, name, cc.Instances)
		}
		cr := ComponentReport{Name: name, Instances: cc.Instances, Source: e.Source,
			Actions: make([]ActionReport, 0, len(cc.Actions))}
		for _, act := range sortedKeys(cc.Actions) {
			n := cc.Actions[act]
			q, ok := e.Actions[act]
			if !ok {
				return Report{}, fmt.Errorf("energy: price with table %q: action %q of component %q is counted but not in the table",
					t.Name, act, name)
			}
			if n < 0 {
				return Report{}, fmt.Errorf("energy: price with table %q: component %q action %q: count = %d: expected >= 0",
					t.Name, name, act, n)
			}
			pj, err := q.Eval(cc.Attributes)
			if err != nil {
				return Report{}, fmt.Errorf("energy: price with table %q: component %q action %q: %w",
					t.Name, name, act, err)
			}
			// float64() rounds the product before the sums below: no fused multiply-add on CPUs that
			// have one, so the bytes are the same on every machine (README, "Reproducibility").
			term := float64(float64(n) * pj)
			cr.Actions = append(cr.Actions, ActionReport{Name: act, Count: n, PJPerAction: pj, PJ: term, Source: q.Source})
			cr.DynamicPJ += term
			cr.TotalPJ += term
			r.DynamicPJ += term
			r.TotalPJ += term
		}
		leak, err := e.Leakage.perCycle(cc.Attributes, c.ClockHz)
		if err != nil {
			return Report{}, fmt.Errorf("energy: price with table %q: component %q leakage: %w", t.Name, name, err)
		}
		cr.LeakagePJPerCycle = leak
		lterm := float64(float64(cc.Instances) * leak * cycles) // rounded: no fused multiply-add
		cr.LeakagePJ = lterm
		cr.TotalPJ += lterm
		r.LeakagePJ += lterm
		r.TotalPJ += lterm

		area, err := e.Area.Eval(cc.Attributes)
		if err != nil {
			return Report{}, fmt.Errorf("energy: price with table %q: component %q area: %w", t.Name, name, err)
		}
		cr.AreaUM2PerInstance = area
		cr.AreaUM2 = float64(float64(cc.Instances) * area) // rounded: no fused multiply-add
		r.AreaUM2 += cr.AreaUM2
		r.Components = append(r.Components, cr)
	}
	return r, nil
}

// perCycle returns the leakage of one instance in pJ per cycle.
func (l Leakage) perCycle(attrs map[string]float64, clockHz float64) (float64, error) {
	if l.Quantity.isZero() {
		return 0, nil
	}
	v, err := l.Eval(attrs)
	if err != nil {
		return 0, err
	}
	switch l.Unit {
	case PJPerCycle:
		return v, nil
	case MilliWatt:
		if !(clockHz > 0) || math.IsInf(clockHz, 0) {
			return 0, fmt.Errorf("leakage in mW needs the clock: clock_hz = %v: expected a positive finite number", clockHz)
		}
		// mW * 1e-3 J/s / (clockHz 1/s) * 1e12 pJ/J.
		return v * 1e9 / clockHz, nil
	}
	return 0, fmt.Errorf("unknown leakage unit %v", l.Unit)
}

// WriteText writes the report as an aligned plain-text table: one line per action and one per
// component's leakage (its count column is the number of instances, "pJ each" the leakage of one
// instance per cycle), then the totals and the area.
func (r *Report) WriteText(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "energy with table %s (%s), %d cycles\n", r.Table, r.Node, r.Cycles); err != nil {
		return fmt.Errorf("energy: write report: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "component\taction\tcount\tpJ each\tpJ\tshare\t\n")
	share := func(v float64) string {
		if r.TotalPJ == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*v/r.TotalPJ)
	}
	for _, c := range r.Components {
		for _, a := range c.Actions {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.4g\t%.6g\t%s\t\n", c.Name, a.Name, a.Count, a.PJPerAction, a.PJ, share(a.PJ))
		}
		if c.LeakagePJ != 0 {
			fmt.Fprintf(tw, "%s\tleakage\t%d\t%.4g\t%.6g\t%s\t\n", c.Name, c.Instances, c.LeakagePJPerCycle, c.LeakagePJ,
				share(c.LeakagePJ))
		}
	}
	fmt.Fprintf(tw, "dynamic\t\t\t\t%.6g\t%s\t\n", r.DynamicPJ, share(r.DynamicPJ))
	fmt.Fprintf(tw, "leakage\t\t\t\t%.6g\t%s\t\n", r.LeakagePJ, share(r.LeakagePJ))
	fmt.Fprintf(tw, "total\t\t\t\t%.6g\t\t\n", r.TotalPJ)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("energy: write report: %w", err)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "component\tinstances\tum^2 each\tum^2\t\n")
	for _, c := range r.Components {
		fmt.Fprintf(tw, "%s\t%d\t%.4g\t%.6g\t\n", c.Name, c.Instances, c.AreaUM2PerInstance, c.AreaUM2)
	}
	fmt.Fprintf(tw, "total area\t\t\t%.6g\t\n", r.AreaUM2)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("energy: write report: %w", err)
	}
	return nil
}
