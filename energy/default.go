package energy

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

// table45nm is the built-in 45 nm table. (go:embed needs a package-level variable; it is never
// written.)
//
//go:embed tables/45nm.yaml
var table45nm []byte

// nodeParams are the feature size and nominal supply of each built-in node.
//
// 45 nm, 0.9 V: Horowitz, ISSCC 2014, the source of the 45 nm table. 28 nm at 0.9 V and 65 nm at
// 1.0 V are assumptions: typical nominal core supplies of general-purpose logic processes at
// those nodes (no single source).
func nodeParams() map[string]struct{ nm, volts float64 } {
	return map[string]struct{ nm, volts float64 }{
		"28nm": {28, 0.9},
		"45nm": {45, 0.9},
		"65nm": {65, 1.0},
	}
}

// DefaultNodes returns the nodes [DefaultTable] knows, in sorted order: the Horowitz nodes
// (45nm and the nodes scaled from it) and the selectors of the generated tables (e.g. 28nm-hwc).
func DefaultNodes() []string {
	return append(sortedKeys(nodeParams()), sortedKeys(generatedNodes())...)
}

// horowitzNodes returns the nodes of the Horowitz table and its scalings, in sorted order.
func horowitzNodes() []string {
	return sortedKeys(nodeParams())
}

// DefaultTable returns a fresh copy of the built-in table for node: "45nm" is
// energy/tables/45nm.yaml (Horowitz, ISSCC 2014); "28nm" and "65nm" are scaled from it by
// [NodeScaling]; "45nm-hwc", "28nm-hwc" and "65nm-hwc" are the tables generated from the
// hwcomponents models for configs/leopard.yaml (energy/tables/hwc/, energy/gen/).
func DefaultTable(node string) (*Table, error) {
	if t, ok, err := generatedTable(node); ok {
		return t, err
	}
	if _, ok := nodeParams()[node]; !ok {
		return nil, fmt.Errorf("energy: no built-in table for node %q (known: %s)", node, strings.Join(DefaultNodes(), ", "))
	}
	base, err := ParseTable(table45nm, "energy/tables/45nm.yaml")
	if err != nil {
		return nil, fmt.Errorf("energy: built-in table: %w", err)
	}
	if node == "45nm" {
		return base, nil
	}
	s, err := NodeScaling("45nm", node)
	if err != nil {
		return nil, err
	}
	return base.Scaled(s), nil
}

// Scaling maps a table onto another technology node: see [Table.Scaled].
type Scaling struct {
	Node   string   // the new node, e.g. "28nm"
	Energy float64  // factor on action energies and leakage
	Area   float64  // factor on areas
	Keep   []string // components left as they are (e.g. dram: off chip, not made in the node)
	Rule   string   // how the factors were obtained, appended to the sources
}

// NodeScaling returns the scaling from one built-in node to another by the first-order rule
//
//	energy ~ C V^2 with C ~ feature size:  Energy = (L_to / L_from) * (V_to / V_from)^2
//	area ~ feature size^2:                 Area   = (L_to / L_from)^2
//
// with the feature sizes L and nominal supplies V of each node (45 nm 0.9 V from Horowitz,
// ISSCC 2014; 28 nm 0.9 V and 65 nm 1.0 V assumed), leaving dram as it is. Leakage, given per
// cycle, scales like the dynamic energy it is defined from. This is classical (Dennard-style)
// scaling: below about 45 nm real processes scale energy and area less well than it says, so
// the 28 nm table is optimistic.
func NodeScaling(from, to string) (Scaling, error) {
	params := nodeParams()
	f, ok := params[from]
	if !ok {
		return Scaling{}, fmt.Errorf("energy: unknown node %q (known: %s)", from, strings.Join(horowitzNodes(), ", "))
	}
	t, ok := params[to]
	if !ok {
		return Scaling{}, fmt.Errorf("energy: unknown node %q (known: %s)", to, strings.Join(horowitzNodes(), ", "))
	}
	l := t.nm / f.nm
	v := t.volts / f.volts
	return Scaling{
		Node:   to,
		Energy: l * v * v,
		Area:   l * l,
		Keep:   []string{DRAM},
		Rule: fmt.Sprintf("scaled from %s %gV to %s %gV: energy x%.4g (~ L V^2), area x%.4g (~ L^2)",
			from, f.volts, to, t.volts, l*v*v, l*l),
	}, nil
}

// Scaled returns a copy of the table with every action energy and leakage multiplied by
// s.Energy and every area by s.Area (constants and curve values alike; curve abscissas such as
// capacities are unchanged), except the components in s.Keep. The copy's name gets the suffix
// "@node", its node becomes s.Node, s.Rule is appended to the table's source and a short note
// with the factor to every scaled quantity's source.
func (t *Table) Scaled(s Scaling) *Table {
	c := t.Clone()
	c.Name = t.Name + "@" + s.Node
	c.Node = s.Node
	c.Source = appendRule(t.Source, s.Rule)
	for name, e := range c.Components {
		if slices.Contains(s.Keep, name) {
			continue
		}
		energyNote := fmt.Sprintf("scaled to %s: x%.4g", s.Node, s.Energy)
		for a, q := range e.Actions {
			e.Actions[a] = withRule(q.scaled(s.Energy), energyNote)
		}
		if !e.Leakage.Quantity.isZero() {
			e.Leakage.Quantity = withRule(e.Leakage.Quantity.scaled(s.Energy), energyNote)
		}
		if !e.Area.isZero() {
			e.Area = withRule(e.Area.scaled(s.Area), fmt.Sprintf("scaled to %s: x%.4g", s.Node, s.Area))
		}
	}
	return c
}

// withRule appends the scaling rule to q's source.
func withRule(q Quantity, rule string) Quantity {
	q.Source = appendRule(q.Source, rule)
	return q
}

// appendRule appends a bracketed rule to a source text.
func appendRule(src, rule string) string {
	if rule == "" {
		return src
	}
	if src == "" {
		return "[" + rule + "]"
	}
	return src + " [" + rule + "]"
}

// DefaultTableSource returns the repository file that the built-in table of node is made from,
// e.g. "energy/tables/45nm.yaml" for 45nm, 28nm and 65nm (the last two scaled from it) and
// "energy/tables/hwc/leopard-28nm.yaml" for 28nm-hwc: what a result priced with that table
// was made from (lrpsim's provenance records).
func DefaultTableSource(node string) (string, error) {
	if path, ok := generatedNodes()[node]; ok {
		return "energy/" + path, nil
	}
	if _, ok := nodeParams()[node]; !ok {
		return "", fmt.Errorf("energy: no built-in table for node %q (known: %s)", node, strings.Join(DefaultNodes(), ", "))
	}
	return "energy/tables/45nm.yaml", nil
}
