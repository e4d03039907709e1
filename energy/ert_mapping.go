package energy

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// validate checks a mapping built in Go (files are checked as they are parsed).
func (m *ERTMapping) validate() error {
	for i, c := range m.Components {
		if c.Match == "" {
			return fmt.Errorf("energy: ERT mapping: component %d: empty match", i)
		}
		if _, ok := knownAction(c.Component, ""); !ok {
			return fmt.Errorf("energy: ERT mapping: %s: unknown component %q (known: %s)", c.Match, c.Component,
				strings.Join(componentNames(), ", "))
		}
		for _, a := range sortedKeys(c.Actions) {
			am := c.Actions[a]
			if known, _ := knownAction(c.Component, am.Action); !known {
				return fmt.Errorf("energy: ERT mapping: %s action %s: unknown action %q of %s (known: %s)", c.Match, a,
					am.Action, c.Component, strings.Join(Vocabulary()[c.Component], ", "))
			}
			if !nonNegative(am.Per) {
				return fmt.Errorf("energy: ERT mapping: %s action %s: per = %v: expected a positive number", c.Match, a, am.Per)
			}
		}
	}
	return nil
}

// LoadERTMapping reads an ERT mapping file (README.md, "Accelergy ERT import"):
//
//	components:
//	  - match: kbuf                # Accelergy name: full dotted name or last part
//	    component: k_sram          # ours
//	    leakage: leak              # optional: action giving leakage in pJ/cycle
//	    actions:                   # optional: Accelergy action -> ours
//	      read: {action: read_bit, per: 64}
//	      write: {action: write_bit, per: 64, arguments: {data_delta: 1}}
//	ignore: [noc]                  # optional: Accelergy components to skip
func LoadERTMapping(path string) (*ERTMapping, error) {
	return loadFile(path, "an ERT mapping file (YAML)", "ERT mapping", ParseERTMapping)
}

// ParseERTMapping parses an ERT mapping file from data (see [LoadERTMapping]); file names the
// source in errors, which are *TableError.
func ParseERTMapping(data []byte, file string) (*ERTMapping, error) {
	p := &docParser{file: file}
	root, err := p.parseDocument(data)
	if err != nil {
		return nil, err
	}
	fields, err := p.mapping(root, "", "a mapping with components and ignore", []string{"components", "ignore"})
	if err != nil {
		return nil, err
	}
	m := &ERTMapping{}
	for _, f := range fields {
		switch f.key {
		case "ignore":
			m.Ignore, err = p.strList(f.value, "ignore", "a list of Accelergy component names")
		case "components":
			m.Components, err = p.mappingComponents(f.value)
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// mappingComponents parses the components list of a mapping file.
func (p *docParser) mappingComponents(n *yaml.Node) ([]ERTComponentMap, error) {
	items, err := p.sequence(n, "components", "a list of {match, component, leakage, actions}")
	if err != nil {
		return nil, err
	}
	var out []ERTComponentMap
	for i, it := range items {
		key := fmt.Sprintf("components[%d]", i)
		fields, err := p.mapping(it, key, "a mapping with match, component, leakage and actions",
			[]string{"match", "component", "leakage", "actions"})
		if err != nil {
			return nil, err
		}
		if err := p.require(it, key, fields, "match", "component"); err != nil {
			return nil, err
		}
		var c ERTComponentMap
		var actions *yaml.Node
		for _, f := range fields {
			sub := join(key, f.key)
			switch f.key {
			case "match":
				c.Match, err = p.str(f.value, sub, "an Accelergy component name")
			case "component":
				if c.Component, err = p.str(f.value, sub, "an lrpsim component"); err == nil {
					if _, ok := knownAction(c.Component, ""); !ok {
						err = p.errAt(f.value, sub, "an lrpsim component among "+strings.Join(componentNames(), ", "),
							describe(f.value))
					}
				}
			case "leakage":
				c.Leakage, err = p.str(f.value, sub, "the name of the Accelergy action giving leakage per cycle")
			case "actions":
				actions = f.value
			}
			if err != nil {
				return nil, err
			}
		}
		if actions != nil {
			if c.Actions, err = p.mappingActions(actions, key+".actions", c.Component); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// mappingActions parses the actions mapping of one mapping entry.
func (p *docParser) mappingActions(n *yaml.Node, path, comp string) (map[string]ERTActionMap, error) {
	fields, err := p.mapping(n, path, "a mapping from Accelergy action name to {action, per, arguments}", nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ERTActionMap, len(fields))
	for _, f := range fields {
		key := join(path, f.key)
		var am ERTActionMap
		af, err := p.mapping(f.value, key, "a mapping {action, per, arguments}", []string{"action", "per", "arguments"})
		if err != nil {
			return nil, err
		}
		if err := p.require(f.value, key, af, "action"); err != nil {
			return nil, err
		}
		for _, g := range af {
			sub := join(key, g.key)
			switch g.key {
			case "action":
				if am.Action, err = p.str(g.value, sub, "an action of "+comp); err == nil {
					if known, _ := knownAction(comp, am.Action); !known {
						err = p.errAt(g.value, sub, "an action of "+comp+" among "+strings.Join(Vocabulary()[comp], ", "),
							describe(g.value))
					}
				}
			case "per":
				am.Per, err = p.number(g.value, sub, "a positive number to divide the energy by", true)
			case "arguments":
				am.Arguments, err = p.arguments(g.value, sub)
			}
			if err != nil {
				return nil, err
			}
		}
		out[f.key] = am
	}
	return out, nil
}
