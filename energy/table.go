package energy

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Component names: the hardware units whose actions the simulator counts.
const (
	Lane       = "lane"       // a bit-serial lane of a front-end unit
	Comparator = "comparator" // a lane's early-termination bound check
	QSRAM      = "q_sram"     // on-chip query buffer
	KSRAM      = "k_sram"     // on-chip key buffer (bit-plane-major)
	VSRAM      = "v_sram"     // on-chip value buffer
	DRAM       = "dram"       // off-chip memory
	FIFO       = "fifo"       // a survivor FIFO between a front-end and a back-end unit
	ExpUnit    = "exp_unit"   // the back end's exponential unit
	MACArray   = "mac_array"  // one multiplier-accumulator of the back end
	Normalizer = "normalizer" // the back end's softmax normalizer
	FEUnit     = "fe_unit"    // a front-end unit's control and clock
	BEUnit     = "be_unit"    // a back-end unit's control and clock
)

// Action names.
const (
	BitProduct = "bit_product" // lane: one key bit times one q element into the adder tree
	Accumulate = "accumulate"  // lane: one shift-add of a bit-plane sum into the partial sum
	Compare    = "compare"     // comparator: one bound check
	ReadBit    = "read_bit"    // SRAM: one bit read
	WriteBit   = "write_bit"   // SRAM: one bit written
	ReadByte   = "read_byte"   // DRAM: one byte read
	Push       = "push"        // FIFO: one entry pushed
	Pop        = "pop"         // FIFO: one entry popped
	Exp        = "exp"         // exp unit: one exponential
	MAC        = "mac"         // MAC array: one multiply-accumulate
	Divide     = "divide"      // normalizer: one division
	BusyCycle  = "busy_cycle"  // fe_unit, be_unit: one cycle busy
	IdleCycle  = "idle_cycle"  // fe_unit, be_unit: one cycle idle
)

// Attribute names the simulator sets on components and that tables may use in curves.
const (
	AttrSizeBytes = "size_bytes" // SRAM capacity in bytes
	AttrDepth     = "depth"      // FIFO depth in entries
	AttrWidthBits = "width_bits" // FIFO entry width in bits

	// AttrBitsQ is the width in bits of a q element the lane holds (the configured operands.bits_q).
	AttrBitsQ = "bits_q"
	// AttrPlanesPerStep is the number of K bit-planes a lane consumes per step,
	// min(bits_per_cycle, bits_k): the lane has that many AND arrays and adder trees.
	AttrPlanesPerStep = "planes_per_step"
	// AttrPsumBits is the width of the lane's partial sum and of the comparator,
	// bits_q + bits_k + log2(64) for the nominal 64 elements per lane.
	AttrPsumBits = "psum_bits"
)

// Vocabulary returns the component names this package knows, each with its actions in sorted
// order. Tables may only price these; the map is a fresh copy on every call.
func Vocabulary() map[string][]string {
	sram := []string{ReadBit, WriteBit}
	unit := []string{BusyCycle, IdleCycle}
	return map[string][]string{
		Lane:       {Accumulate, BitProduct},
		Comparator: {Compare},
		QSRAM:      slices.Clone(sram),
		KSRAM:      slices.Clone(sram),
		VSRAM:      slices.Clone(sram),
		DRAM:       {ReadByte},
		FIFO:       {Pop, Push},
		ExpUnit:    {Exp},
		MACArray:   {MAC},
		Normalizer: {Divide},
		FEUnit:     slices.Clone(unit),
		BEUnit:     slices.Clone(unit),
	}
}

// componentNames returns the known component names in sorted order.
func componentNames() []string {
	return sortedKeys(Vocabulary())
}

// knownAction reports whether action is an action of component; ok is false when the component
// itself is unknown.
func knownAction(component, action string) (known, ok bool) {
	acts, ok := Vocabulary()[component]
	if !ok {
		return false, false
	}
	return slices.Contains(acts, action), true
}

// Table is an energy and area reference table: for each component, the energy of each action,
// the leakage and the area of one instance. The zero value is an empty table.
type Table struct {
	Name       string                     // e.g. "horowitz-45nm"
	Node       string                     // technology node, e.g. "45nm"
	Source     string                     // where the table comes from
	Components map[string]*ComponentEntry // by component name
}

// ComponentEntry is the table entry of one component. All quantities are per instance.
type ComponentEntry struct {
	Source  string              // where the entry's numbers come from
	Actions map[string]Quantity // energy per action in pJ, by action name
	Leakage Leakage             // leakage per instance; zero value: none
	Area    Quantity            // area per instance in um^2; zero value: none
}

// Quantity is a non-negative number that is either a constant or depends on the attributes of the
// component (an SRAM's capacity, a FIFO's depth and width). Its value for attributes a is
//
//	base := q.Value, or q.Curve evaluated at a when q.Curve != nil
//	v := base / q.Per             (skipped when q.Per is 0)
//	v = v * a[q.Times[0]] * ...   (left to right, in the order of q.Times)
//
// each step one float64 operation, in that order.
type Quantity struct {
	Value  float64  // constant base, used when Curve is nil
	Curve  *Curve   // base from a curve over attributes
	Per    float64  // divide the base by this (e.g. 64: the base is per 64-bit access); 0: none
	Times  []string // then multiply by these attributes, in order
	Source string   // where the number comes from, or how it is derived
}

// Curve gives a value as a function of one abscissa x, the product of attributes:
//
//	x := c.Scale (1 when 0); x = x * a[c.Of[0]] * ...   (left to right)
//
// The value at x is interpolated between the points piecewise linearly in (log2 x, log2 y), that
// is, as a power law y = y0 * (x/x0)^s between two neighbouring points; at a point's abscissa it
// is exactly that point's y. Outside the points' range it follows the power law of the nearest
// segment (extrapolation), or stays at the end point's y when Clamp is set. A curve of one point
// is a constant.
type Curve struct {
	Of     []string // attributes whose product is x
	Scale  float64  // factor on x (e.g. 0.125: bits to bytes); 0 means 1
	Points []Point  // strictly increasing X > 0; Y > 0 when there are two or more points
	Clamp  bool     // clamp outside the points' range instead of extrapolating
}

// Point is a point (X, Y) of a [Curve].
type Point struct {
	X, Y float64
}

// LeakageUnit is the unit of a [Leakage] value.
type LeakageUnit int

// Leakage units.
const (
	PJPerCycle LeakageUnit = iota // picojoules per cycle per instance
	MilliWatt                     // milliwatts per instance: pJ per cycle = mW * 1e9 / clock Hz
)

// String returns the unit as written in table files: "pJ/cycle" or "mW".
func (u LeakageUnit) String() string {
	switch u {
	case PJPerCycle:
		return "pJ/cycle"
	case MilliWatt:
		return "mW"
	}
	return fmt.Sprintf("LeakageUnit(%d)", int(u))
}

// Leakage is the leakage of one instance of a component, in [Leakage.Unit].
type Leakage struct {
	Quantity
	Unit LeakageUnit
}

// isZero reports whether q is the zero Quantity (no value, no curve).
func (q Quantity) isZero() bool {
	return q.Value == 0 && q.Curve == nil && q.Per == 0 && len(q.Times) == 0
}

// Eval returns the quantity's value for the attributes attrs. It fails when an attribute the
// quantity needs is missing, negative or not finite, or a curve's abscissa is not positive.
func (q Quantity) Eval(attrs map[string]float64) (float64, error) {
	v := q.Value
	if q.Curve != nil {
		x, err := q.Curve.abscissa(attrs)
		if err != nil {
			return 0, err
		}
		v = q.Curve.At(x)
	}
	if q.Per != 0 {
		v /= q.Per
	}
	for _, name := range q.Times {
		a, err := attribute(attrs, name)
		if err != nil {
			return 0, err
		}
		v *= a
	}
	return v, nil
}

// attribute returns attrs[name], which must exist and be finite and non-negative.
func attribute(attrs map[string]float64, name string) (float64, error) {
	a, ok := attrs[name]
	if !ok {
		return 0, fmt.Errorf("attribute %q not set", name)
	}
	if math.IsNaN(a) || math.IsInf(a, 0) || a < 0 {
		return 0, fmt.Errorf("attribute %q = %v: expected a finite non-negative number", name, a)
	}
	return a, nil
}

// abscissa computes the curve's x for attrs.
func (c *Curve) abscissa(attrs map[string]float64) (float64, error) {
	x := c.Scale
	if x == 0 {
		x = 1
	}
	for _, name := range c.Of {
		a, err := attribute(attrs, name)
		if err != nil {
			return 0, err
		}
		x *= a
	}
	if !(x > 0) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("curve abscissa %s = %v: expected a finite positive number", c.abscissaName(), x)
	}
	return x, nil
}

// abscissaName describes x for messages, e.g. "size_bytes" or "0.125*depth*width_bits".
func (c *Curve) abscissaName() string {
	parts := slices.Clone(c.Of)
	if c.Scale != 0 && c.Scale != 1 {
		parts = append([]string{formatFloat(c.Scale)}, parts...)
	}
	if len(parts) == 0 {
		return "1"
	}
	return strings.Join(parts, "*")
}

// At returns the curve's value at x > 0 by the rule documented on [Curve].
func (c *Curve) At(x float64) float64 {
	p := c.Points
	n := len(p)
	if n == 1 {
		return p[0].Y
	}
	// Index of the segment [i, i+1] to use.
	i := 0
	switch {
	case x <= p[0].X:
		if x == p[0].X || c.Clamp {
			return p[0].Y
		}
	case x >= p[n-1].X:
		if x == p[n-1].X || c.Clamp {
			return p[n-1].Y
		}
		i = n - 2
	default:
		for i = 0; i < n-1 && x > p[i+1].X; i++ {
		}
		if x == p[i+1].X {
			return p[i+1].Y
		}
	}
	lx0, lx1 := math.Log2(p[i].X), math.Log2(p[i+1].X)
	ly0, ly1 := math.Log2(p[i].Y), math.Log2(p[i+1].Y)
	return math.Exp2(ly0 + (math.Log2(x)-lx0)*(ly1-ly0)/(lx1-lx0))
}

// Validate checks the table: known component and action names, finite non-negative constants,
// well-formed curves. It returns the first problem found, in sorted component and action order.
func (t *Table) Validate() error {
	for _, name := range sortedKeys(t.Components) {
		e := t.Components[name]
		if e == nil {
			return fmt.Errorf("energy: table %q: component %q has a nil entry", t.Name, name)
		}
		if _, ok := knownAction(name, ""); !ok {
			return fmt.Errorf("energy: table %q: unknown component %q (known: %s)", t.Name, name,
				strings.Join(componentNames(), ", "))
		}
		for _, act := range sortedKeys(e.Actions) {
			if known, _ := knownAction(name, act); !known {
				return fmt.Errorf("energy: table %q: unknown action %q of component %q (known: %s)",
					t.Name, act, name, strings.Join(Vocabulary()[name], ", "))
			}
			if err := e.Actions[act].validate(); err != nil {
				return fmt.Errorf("energy: table %q: %s.%s: %w", t.Name, name, act, err)
			}
		}
		if err := e.Leakage.validate(); err != nil {
			return fmt.Errorf("energy: table %q: %s leakage: %w", t.Name, name, err)
		}
		if e.Leakage.Unit != PJPerCycle && e.Leakage.Unit != MilliWatt {
			return fmt.Errorf("energy: table %q: %s leakage: unknown unit %v", t.Name, name, e.Leakage.Unit)
		}
		if err := e.Area.validate(); err != nil {
			return fmt.Errorf("energy: table %q: %s area: %w", t.Name, name, err)
		}
	}
	return nil
}

// validate checks one quantity.
func (q Quantity) validate() error {
	if !nonNegative(q.Value) {
		return fmt.Errorf("value %v: expected a finite non-negative number", q.Value)
	}
	if q.Per != 0 && !(q.Per > 0 && nonNegative(q.Per)) {
		return fmt.Errorf("per %v: expected a finite positive number", q.Per)
	}
	if q.Curve != nil {
		if q.Value != 0 {
			return fmt.Errorf("both a value and a curve")
		}
		if err := q.Curve.validate(); err != nil {
			return err
		}
	}
	return nil
}

// validate checks one curve.
func (c *Curve) validate() error {
	if !nonNegative(c.Scale) {
		return fmt.Errorf("curve scale %v: expected a finite positive number", c.Scale)
	}
	if len(c.Points) == 0 {
		return fmt.Errorf("curve without points")
	}
	for i, p := range c.Points {
		if !nonNegative(p.X) || p.X == 0 {
			return fmt.Errorf("curve point %d: x = %v: expected a finite positive number", i, p.X)
		}
		if i > 0 && !(p.X > c.Points[i-1].X) {
			return fmt.Errorf("curve point %d: x = %v: expected x increasing", i, p.X)
		}
		if !nonNegative(p.Y) || (len(c.Points) > 1 && p.Y == 0) {
			return fmt.Errorf("curve point %d: y = %v: expected a finite positive number", i, p.Y)
		}
	}
	return nil
}

// nonNegative reports whether v is finite and >= 0.
func nonNegative(v float64) bool {
	return v >= 0 && !math.IsInf(v, 1)
}

// Clone returns a deep copy of the table.
func (t *Table) Clone() *Table {
	c := &Table{Name: t.Name, Node: t.Node, Source: t.Source}
	if t.Components != nil {
		c.Components = make(map[string]*ComponentEntry, len(t.Components))
		for name, e := range t.Components {
			c.Components[name] = e.clone()
		}
	}
	return c
}

// clone returns a deep copy of the entry.
func (e *ComponentEntry) clone() *ComponentEntry {
	if e == nil {
		return nil
	}
	c := &ComponentEntry{Source: e.Source, Leakage: e.Leakage, Area: e.Area.clone()}
	c.Leakage.Quantity = e.Leakage.Quantity.clone()
	if e.Actions != nil {
		c.Actions = make(map[string]Quantity, len(e.Actions))
		for a, q := range e.Actions {
			c.Actions[a] = q.clone()
		}
	}
	return c
}

// clone returns a deep copy of the quantity.
func (q Quantity) clone() Quantity {
	c := q
	c.Times = slices.Clone(q.Times)
	if q.Curve != nil {
		cc := *q.Curve
		cc.Of = slices.Clone(q.Curve.Of)
		cc.Points = slices.Clone(q.Curve.Points)
		c.Curve = &cc
	}
	return c
}

// scaled returns a copy of q with every value (the constant or the curve's Y) multiplied by k.
func (q Quantity) scaled(k float64) Quantity {
	c := q.clone()
	c.Value *= k
	if c.Curve != nil {
		for i := range c.Curve.Points {
			c.Curve.Points[i].Y *= k
		}
	}
	return c
}
