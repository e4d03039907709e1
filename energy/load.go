package energy

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/internal/safeio"
)

// LoadTable reads a table in this package's YAML format (README.md, "Table format") from path.
// A malformed file gives a *TableError naming the file, line and key.
func LoadTable(path string) (*Table, error) {
	return loadFile(path, "an energy table (YAML)", "table", ParseTable)
}

// loadFile reads path, which should be what (in safeio's words), and parses it with parse; a
// file that cannot be read gives "energy: load NAME: ...".
func loadFile[T any](path, what, name string, parse func(data []byte, file string) (T, error)) (T, error) {
	data, err := safeio.ReadFile(path, what, safeio.MaxText)
	if err != nil {
		var none T
		return none, fmt.Errorf("energy: load %s: %w", name, err)
	}
	return parse(data, path)
}

// ParseTable parses a table in this package's YAML format from data; file names the source in
// errors. A malformed table gives a *TableError: unknown keys, wrong types, negative or
// non-numeric values, unknown units and unknown component or action names are all rejected.
func ParseTable(data []byte, file string) (*Table, error) {
	if file == "" {
		file = "<input>"
	}
	p := &docParser{file: file}
	root, err := p.parseDocument(data)
	if err != nil {
		return nil, err
	}
	fields, err := p.mapping(root, "", "a table mapping with name, node and components",
		[]string{"name", "node", "source", "base", "components"})
	if err != nil {
		return nil, err
	}
	t := &Table{}
	var compsNode *yaml.Node
	hasNode := false
	for _, f := range fields {
		switch f.key {
		case "name":
			t.Name, err = p.str(f.value, f.key, "a table name (a string)")
		case "node":
			t.Node, err = p.text(f.value, f.key, `a technology node such as "45nm"`)
			hasNode = true
		case "source":
			t.Source, err = p.str(f.value, f.key, "a source description (a string)")
		case "base":
			var base string
			if base, err = p.text(f.value, f.key, "a built-in table: "+strings.Join(DefaultNodes(), ", ")); err != nil {
				break
			}
			b, berr := DefaultTable(base)
			if berr != nil {
				err = p.errAt(f.value, f.key, "a built-in table: "+strings.Join(DefaultNodes(), ", "), describe(f.value))
				break
			}
			// Keep what the file set before base.
			b.Name, b.Node, b.Source = pick(t.Name, b.Name), pick(t.Node, b.Node), pick(t.Source, b.Source)
			t = b
		case "components":
			compsNode = f.value
		}
		if err != nil {
			return nil, err
		}
	}
	if err := p.require(root, "", fields, "name"); err != nil {
		return nil, err
	}
	if !hasNode && !hasField(fields, "base") {
		return nil, p.errAt(root, "node", `a technology node such as "45nm" (required unless base is given)`, "no key \"node\"")
	}
	if compsNode == nil {
		if !hasField(fields, "base") {
			return nil, p.errAt(root, "components", "a mapping of components (required unless base is given)", `no key "components"`)
		}
		return t, nil
	}
	comps, err := p.mapping(compsNode, "components", "a mapping from component name to its entry", nil)
	if err != nil {
		return nil, err
	}
	if t.Components == nil {
		t.Components = make(map[string]*ComponentEntry)
	}
	for _, c := range comps {
		path := "components." + c.key
		if _, ok := knownAction(c.key, ""); !ok {
			return nil, p.errAt(c.keyN, path, "a component among "+strings.Join(componentNames(), ", "),
				"unknown component "+quote(c.key))
		}
		e := t.Components[c.key]
		if e == nil {
			e = &ComponentEntry{}
			t.Components[c.key] = e
		}
		if err := p.component(c.key, c.value, path, e); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// pick returns a unless it is empty, else b.
func pick(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// component parses one component entry into e (which may hold a base table's entry: the
// fields given replace the base's, actions one by one).
func (p *docParser) component(name string, n *yaml.Node, path string, e *ComponentEntry) error {
	fields, err := p.mapping(n, path, "a component entry (a mapping of source, area_um2, leakage, actions)",
		[]string{"source", "area_um2", "leakage", "actions"})
	if err != nil {
		return err
	}
	for _, f := range fields {
		sub := join(path, f.key)
		switch f.key {
		case "source":
			e.Source, err = p.str(f.value, sub, "a source description (a string)")
		case "area_um2":
			e.Area, err = p.quantity(f.value, sub, areaUnits(), "um2", "a non-negative area in um^2")
		case "leakage":
			e.Leakage, err = p.leakage(f.value, sub)
		case "actions":
			err = p.actions(name, f.value, sub, e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// actions parses the actions mapping of a component.
func (p *docParser) actions(component string, n *yaml.Node, path string, e *ComponentEntry) error {
	acts, err := p.mapping(n, path, "a mapping from action name to energy", nil)
	if err != nil {
		return err
	}
	if e.Actions == nil {
		e.Actions = make(map[string]Quantity)
	}
	for _, a := range acts {
		sub := join(path, a.key)
		if known, _ := knownAction(component, a.key); !known {
			return p.errAt(a.keyN, sub, "an action of "+component+" among "+strings.Join(Vocabulary()[component], ", "),
				"unknown action "+quote(a.key))
		}
		q, err := p.quantity(a.value, sub, energyUnits(), "pJ", "a non-negative number of pJ")
		if err != nil {
			return err
		}
		e.Actions[a.key] = q
	}
	return nil
}

// unitFactor is a unit's factor into the canonical unit of its kind.
type unitFactor struct {
	unit   LeakageUnit // for leakage: the canonical unit (pJ/cycle or mW)
	factor float64
}

// energyUnits returns the units of action energies; canonical pJ.
func energyUnits() map[string]unitFactor {
	return map[string]unitFactor{"pJ": {factor: 1}, "fJ": {factor: 1e-3}, "nJ": {factor: 1e3}}
}

// areaUnits returns the units of areas; canonical um^2.
func areaUnits() map[string]unitFactor {
	return map[string]unitFactor{"um2": {factor: 1}, "um^2": {factor: 1}, "mm2": {factor: 1e6}, "mm^2": {factor: 1e6}}
}

// leakageUnits returns the units of leakage; canonical pJ/cycle, or mW for powers.
func leakageUnits() map[string]unitFactor {
	return map[string]unitFactor{
		"pJ/cycle": {PJPerCycle, 1},
		"W":        {MilliWatt, 1e3},
		"mW":       {MilliWatt, 1},
		"uW":       {MilliWatt, 1e-3},
		"nW":       {MilliWatt, 1e-6},
	}
}

// unitNames lists a unit table's names in sorted order.
func unitNames(m map[string]unitFactor) string {
	return strings.Join(sortedKeys(m), ", ")
}

// quantity parses a number (in defUnit) or a mapping {value | curve, per, times, unit, source}.
// what describes a value in defUnit, e.g. "a non-negative number of pJ".
func (p *docParser) quantity(n *yaml.Node, path string, units map[string]unitFactor, defUnit, what string) (Quantity, error) {
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode {
		v, err := p.number(n, path, what, false)
		return Quantity{Value: v}, err
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return Quantity{}, p.errAt(n, path, what+", or a mapping with value or curve", describe(n))
	}
	q, err := p.quantityFields(n, path, units, defUnit, false)
	return q.Quantity, err
}

// leakage parses a leakage mapping {value | curve, per, times, unit, source}; unit is required.
func (p *docParser) leakage(n *yaml.Node, path string) (Leakage, error) {
	units := leakageUnits()
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return Leakage{}, p.errAt(n, path, "a leakage mapping {value or curve, unit: one of "+unitNames(units)+"}", describe(n))
	}
	return p.quantityFields(n, path, units, "", true)
}

// quantityFields parses a quantity mapping {value | curve, per, times, unit, source}. Values are
// converted from the mapping's unit (defUnit when absent; required when needUnit) into the
// canonical unit, whose kind (pJ/cycle or mW for leakage) goes into the result's Unit.
func (p *docParser) quantityFields(n *yaml.Node, path string, units map[string]unitFactor, defUnit string, needUnit bool) (Leakage, error) {
	fields, err := p.mapping(n, path, "a mapping with value or curve",
		[]string{"value", "curve", "per", "times", "unit", "source"})
	if err != nil {
		return Leakage{}, err
	}
	unit := defUnit
	for _, f := range fields {
		if f.key != "unit" {
			continue
		}
		sub := join(path, f.key)
		if unit, err = p.str(f.value, sub, "a unit among "+unitNames(units)); err != nil {
			return Leakage{}, err
		}
		if _, ok := units[unit]; !ok {
			return Leakage{}, p.errAt(f.value, sub, "a unit among "+unitNames(units), describe(f.value))
		}
	}
	if needUnit {
		if err := p.require(n, path, fields, "unit"); err != nil {
			return Leakage{}, err
		}
	}
	var q Quantity
	for _, f := range fields {
		sub := join(path, f.key)
		switch f.key {
		case "value":
			q.Value, err = p.number(f.value, sub, "a non-negative number of "+unit, false)
		case "curve":
			q.Curve, err = p.curve(f.value, sub, unit)
		case "per":
			q.Per, err = p.number(f.value, sub, "a positive number to divide by", true)
		case "times":
			q.Times, err = p.attrList(f.value, sub)
		case "source":
			q.Source, err = p.str(f.value, sub, "a source description (a string)")
		}
		if err != nil {
			return Leakage{}, err
		}
	}
	hasValue, hasCurve := hasField(fields, "value"), hasField(fields, "curve")
	if hasValue == hasCurve {
		got := "neither"
		if hasValue {
			got = "both"
		}
		return Leakage{}, p.errAt(n, path, "exactly one of value and curve", got)
	}
	u := units[unit]
	return Leakage{Quantity: q.scaled(u.factor), Unit: u.unit}, nil
}

// attrList parses a list of attribute names.
func (p *docParser) attrList(n *yaml.Node, path string) ([]string, error) {
	what := "a list of attribute names, e.g. [size_bytes]"
	names, err := p.strList(n, path, what)
	if err != nil {
		return nil, err
	}
	for i, s := range names {
		if s == "" || strings.ContainsAny(s, " \t*.") {
			return nil, p.errAt(deref(n).Content[i], fmt.Sprintf("%s[%d]", path, i), what, quote(s))
		}
	}
	return names, nil
}

// curve parses {of, scale, points, outside}.
func (p *docParser) curve(n *yaml.Node, path, unit string) (*Curve, error) {
	fields, err := p.mapping(n, path, "a curve mapping with of and points", []string{"of", "scale", "points", "outside"})
	if err != nil {
		return nil, err
	}
	if err := p.require(n, path, fields, "of", "points"); err != nil {
		return nil, err
	}
	c := &Curve{}
	for _, f := range fields {
		sub := join(path, f.key)
		switch f.key {
		case "of":
			c.Of, err = p.attrList(f.value, sub)
		case "scale":
			c.Scale, err = p.number(f.value, sub, "a positive factor on the abscissa", true)
		case "outside":
			var s string
			if s, err = p.str(f.value, sub, "extrapolate or clamp"); err == nil {
				switch s {
				case "extrapolate":
				case "clamp":
					c.Clamp = true
				default:
					err = p.errAt(f.value, sub, "extrapolate or clamp", describe(f.value))
				}
			}
		case "points":
			c.Points, err = p.points(f.value, sub, unit)
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// points parses a list of [x, y] pairs with x > 0 increasing, and y > 0 when there are two
// or more points (the curve interpolates in log-log).
func (p *docParser) points(n *yaml.Node, path, unit string) ([]Point, error) {
	items, err := p.sequence(n, path, "a list of [x, y] points")
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, p.errAt(deref(n), path, "at least one [x, y] point", "an empty list")
	}
	pts := make([]Point, len(items))
	for i, it := range items {
		sub := fmt.Sprintf("%s[%d]", path, i)
		if it.Kind != yaml.SequenceNode || len(it.Content) != 2 {
			return nil, p.errAt(it, sub, "an [x, y] pair", describe(it))
		}
		x, err := p.number(it.Content[0], sub+"[0]", "a positive abscissa", true)
		if err != nil {
			return nil, err
		}
		if i > 0 && !(x > pts[i-1].X) {
			return nil, p.errAt(it.Content[0], sub+"[0]", fmt.Sprintf("an abscissa above the previous one (%s)",
				formatFloat(pts[i-1].X)), describe(it.Content[0]))
		}
		what := "a non-negative value in " + unit
		if len(items) > 1 {
			what = "a positive value in " + unit + " (curves interpolate in log-log)"
		}
		y, err := p.number(it.Content[1], sub+"[1]", what, len(items) > 1)
		if err != nil {
			return nil, err
		}
		pts[i] = Point{X: x, Y: y}
	}
	return pts, nil
}

// quote quotes s for messages.
func quote(s string) string {
	return fmt.Sprintf("%q", s)
}
