package energy

import (
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// WriteYAML writes the table in this package's YAML format, in canonical units (pJ, um^2,
// pJ/cycle or mW), components and actions in sorted order, numbers in the shortest form that
// reads back to the same float64: [ParseTable] of the output gives back an equal table. Use it to
// inspect a scaled or imported table, or as the starting point of your own.
func (t *Table) WriteYAML(w io.Writer) error {
	root := mapNode()
	addPair(root, "name", strNode(t.Name))
	addPair(root, "node", strNode(t.Node))
	if t.Source != "" {
		addPair(root, "source", strNode(t.Source))
	}
	comps := mapNode()
	for _, name := range sortedKeys(t.Components) {
		e := t.Components[name]
		if e == nil {
			continue
		}
		cn := mapNode()
		if e.Source != "" {
			addPair(cn, "source", strNode(e.Source))
		}
		if len(e.Actions) > 0 {
			an := mapNode()
			for _, a := range sortedKeys(e.Actions) {
				addPair(an, a, quantityNode(e.Actions[a], ""))
			}
			addPair(cn, "actions", an)
		}
		if !e.Leakage.Quantity.isZero() {
			addPair(cn, "leakage", quantityNode(e.Leakage.Quantity, e.Leakage.Unit.String()))
		}
		if !e.Area.isZero() {
			addPair(cn, "area_um2", quantityNode(e.Area, ""))
		}
		addPair(comps, name, cn)
	}
	addPair(root, "components", comps)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("energy: write table %q: %w", t.Name, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("energy: write table %q: %w", t.Name, err)
	}
	return nil
}

// quantityNode renders a quantity: a bare number when it is a plain constant without source and
// unit, else a mapping.
func quantityNode(q Quantity, unit string) *yaml.Node {
	if q.Curve == nil && q.Per == 0 && len(q.Times) == 0 && q.Source == "" && unit == "" {
		return floatNode(q.Value)
	}
	n := mapNode()
	if q.Curve != nil {
		c := mapNode()
		addPair(c, "of", strList(q.Curve.Of))
		if q.Curve.Scale != 0 {
			addPair(c, "scale", floatNode(q.Curve.Scale))
		}
		pts := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, p := range q.Curve.Points {
			pts.Content = append(pts.Content, &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle,
				Content: []*yaml.Node{floatNode(p.X), floatNode(p.Y)}})
		}
		addPair(c, "points", pts)
		if q.Curve.Clamp {
			addPair(c, "outside", strNode("clamp"))
		}
		addPair(n, "curve", c)
	} else {
		addPair(n, "value", floatNode(q.Value))
	}
	if q.Per != 0 {
		addPair(n, "per", floatNode(q.Per))
	}
	if len(q.Times) > 0 {
		addPair(n, "times", strList(q.Times))
	}
	if unit != "" {
		addPair(n, "unit", strNode(unit))
	}
	if q.Source != "" {
		addPair(n, "source", strNode(q.Source))
	}
	return n
}

// mapNode returns an empty block mapping.
func mapNode() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
}

// addPair appends key: value to the mapping m.
func addPair(m *yaml.Node, key string, value *yaml.Node) {
	m.Content = append(m.Content, strNode(key), value)
}

// strNode returns a string scalar, quoted by the encoder when it would read back as another type.
func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// floatNode returns a numeric scalar in shortest round-trip form.
func floatNode(v float64) *yaml.Node {
	s := formatFloat(v)
	tag := "!!float"
	if !strings.ContainsAny(s, ".eEnN") {
		tag = "!!int"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}
}

// strList returns a flow list of strings.
func strList(list []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range list {
		n.Content = append(n.Content, strNode(s))
	}
	return n
}
