package energy

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// accelergyTable is one table of an Accelergy ERT (a component's actions) or ART (its area).
type accelergyTable struct {
	name     string
	nameNode *yaml.Node
	actions  []ertAction // ERT
	area     float64     // ART
}

// ertAction is one entry of an ERT table.
type ertAction struct {
	name   string
	args   map[string]string // nil: no arguments
	energy float64
	node   *yaml.Node
}

// accelergyDoc is one kind of Accelergy document, ERT or ART: its top-level key, what its list of
// tables and each table look like, and the one field a table has beside its name, which read
// parses into the table.
type accelergyDoc struct {
	top, tablesWant, tableWant, field string
	read                              func(p *docParser, n *yaml.Node, key string, t *accelergyTable) error
}

// ertDoc is an energy reference table: per component, its actions' energies.
var ertDoc = accelergyDoc{top: "ERT", tablesWant: "a list of tables (Accelergy ERT version 0.3 or later)",
	tableWant: "a table mapping with name and actions", field: "actions",
	read: func(p *docParser, n *yaml.Node, key string, t *accelergyTable) (err error) {
		t.actions, err = p.ertActions(n, key)
		return err
	}}

// artDoc is an area reference table: per component, its area.
var artDoc = accelergyDoc{top: "ART", tablesWant: "a list of tables {name, area} (Accelergy ART version 0.3 or later)",
	tableWant: "a table mapping with name and area", field: "area",
	read: func(p *docParser, n *yaml.Node, key string, t *accelergyTable) (err error) {
		t.area, err = p.number(n, key, "a non-negative area in um^2", false)
		return err
	}}

// tables parses the tables of an Accelergy document of kind d.
func (p *docParser) tables(data []byte, d accelergyDoc) ([]accelergyTable, error) {
	root, err := p.parseDocument(data)
	if err != nil {
		return nil, err
	}
	body, err := p.accelergyBody(root, d.top)
	if err != nil {
		return nil, err
	}
	items, err := p.sequence(body, d.top+".tables", d.tablesWant)
	if err != nil {
		return nil, err
	}
	var out []accelergyTable
	for i, it := range items {
		key := fmt.Sprintf("%s.tables[%d]", d.top, i)
		fields, err := p.mapping(it, key, d.tableWant, nil)
		if err != nil {
			return nil, err
		}
		if err := p.require(it, key, fields, "name", d.field); err != nil {
			return nil, err
		}
		var t accelergyTable
		for _, f := range fields {
			switch f.key {
			case "name":
				t.nameNode = f.value
				t.name, err = p.str(f.value, key+".name", "a component name")
			case d.field:
				err = d.read(p, f.value, key+"."+d.field, &t)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// ertActions parses the actions list of one ERT table.
func (p *docParser) ertActions(n *yaml.Node, path string) ([]ertAction, error) {
	items, err := p.sequence(n, path, "a list of actions {name, arguments, energy}")
	if err != nil {
		return nil, err
	}
	out := make([]ertAction, 0, len(items))
	for i, it := range items {
		key := fmt.Sprintf("%s[%d]", path, i)
		fields, err := p.mapping(it, key, "an action mapping with name, arguments and energy", nil)
		if err != nil {
			return nil, err
		}
		if err := p.require(it, key, fields, "name", "energy"); err != nil {
			return nil, err
		}
		a := ertAction{node: it}
		for _, f := range fields {
			sub := join(key, f.key)
			switch f.key {
			case "name":
				a.name, err = p.str(f.value, sub, "an action name")
			case "energy":
				a.energy, err = p.number(f.value, sub, "a non-negative energy in pJ", false)
			case "arguments":
				a.args, err = p.arguments(f.value, sub)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// arguments parses null or a mapping of scalar arguments; empty means none (nil).
func (p *docParser) arguments(n *yaml.Node, path string) (map[string]string, error) {
	n = deref(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return nil, nil
	}
	fields, err := p.mapping(n, path, "null or a mapping of argument values", nil)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, nil
	}
	args := make(map[string]string, len(fields))
	for _, f := range fields {
		if args[f.key], err = p.text(f.value, join(path, f.key), "an argument value"); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// accelergyBody returns the tables node under the top-level key top ("ERT" or "ART").
func (p *docParser) accelergyBody(root *yaml.Node, top string) (*yaml.Node, error) {
	fields, err := p.mapping(root, "", "an Accelergy "+top+" with a top-level key "+top, nil)
	if err != nil {
		return nil, err
	}
	if err := p.require(root, "", fields, top); err != nil {
		return nil, err
	}
	var body *yaml.Node
	for _, f := range fields {
		if f.key == top {
			body = f.value
		}
	}
	inner, err := p.mapping(body, top, "a mapping with version and tables", nil)
	if err != nil {
		return nil, err
	}
	if err := p.require(body, top, inner, "tables"); err != nil {
		return nil, err
	}
	for _, f := range inner {
		if f.key == "tables" {
			return f.value, nil
		}
	}
	return nil, nil // unreachable: require checked it
}
