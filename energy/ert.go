package energy

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/internal/safeio"
)

// ERTOptions are the options of [LoadERT].
type ERTOptions struct {
	ART     string      // path of an Accelergy area reference table (ART); optional
	Mapping *ERTMapping // how Accelergy names map onto ours; nil: the default rules only
	Base    *Table      // start from a copy of this table (e.g. DefaultTable("45nm")); optional
	Name    string      // name of the new table; default "accelergy:" + the ERT's file name
	Node    string      // node of the new table; default Base's node
}

// ERTMapping maps Accelergy component and action names onto this package's names. Each
// Accelergy component is resolved by the first entry of Components whose Match fits it, else
// skipped when Ignore lists it, else by the default rule: the last dotted part of its name,
// with list ranges such as "[0..15]" removed, must be one of our component names
// ("leopard.fe[0..3].lane[0..15]" is "lane"). Match follows the same form: a full dotted name or
// its last part, ranges ignored.
type ERTMapping struct {
	Components []ERTComponentMap
	Ignore     []string // Accelergy components to skip (full dotted names or last parts)
}

// ERTComponentMap maps one Accelergy component.
type ERTComponentMap struct {
	Match     string // Accelergy name: full dotted name or its last part
	Component string // our component name
	// Actions maps Accelergy action names to ours; only the listed actions are imported. When
	// nil, every Accelergy action must carry one of our action names, except the leakage
	// action and "idle" (mapped to idle_cycle where the component has it, else dropped if its
	// energy is 0 and an error if not).
	Actions map[string]ERTActionMap
	// Leakage names the Accelergy action whose energy is the leakage per cycle of one
	// instance; default "leak" when the component has such an action.
	Leakage string
}

// ERTActionMap maps one Accelergy action onto one of ours.
type ERTActionMap struct {
	Action string // our action name
	// Per divides the Accelergy energy: e.g. 64 maps the energy of a 64-bit SRAM read onto
	// read_bit. 0 means 1.
	Per float64
	// Arguments select one entry when the Accelergy action has several argument combinations:
	// the entry whose arguments have these values (compared as text). When empty, the entry
	// without arguments is taken, or the only entry.
	Arguments map[string]string
}

// LoadERT builds a table from an Accelergy energy reference table (ERT.yaml, version 0.3 or
// later: ERT: {version, tables: [{name, actions: [{name, arguments, energy}]}]}, energies in pJ)
// and, if opt.ART is set, an area reference table (ART: {version, tables: [{name, area}]}, areas
// in um^2). Accelergy names are mapped by opt.Mapping (see [ERTMapping]). Keys of the Accelergy
// files other than the ones above are ignored, so that later Accelergy versions still load; a
// structural problem or an unmappable name gives a *TableError naming the file, line and key.
func LoadERT(path string, opt ERTOptions) (*Table, error) {
	data, err := safeio.ReadFile(path, "an Accelergy ERT (YAML)", safeio.MaxText)
	if err != nil {
		return nil, fmt.Errorf("energy: load ERT: %w", err)
	}
	var art []byte
	if opt.ART != "" {
		if art, err = safeio.ReadFile(opt.ART, "an Accelergy ART (YAML)", safeio.MaxText); err != nil {
			return nil, fmt.Errorf("energy: load ART: %w", err)
		}
	}
	return ParseERT(data, path, art, opt.ART, opt)
}

// ParseERT is [LoadERT] on in-memory files: ert (named ertFile in errors) and, when not nil,
// art (named artFile). opt.ART is ignored.
func ParseERT(ert []byte, ertFile string, art []byte, artFile string, opt ERTOptions) (*Table, error) {
	m := opt.Mapping
	if m == nil {
		m = &ERTMapping{}
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	ep := &docParser{file: ertFile}
	tables, err := ep.ertTables(ert)
	if err != nil {
		return nil, err
	}
	t := &Table{}
	if opt.Base != nil {
		t = opt.Base.Clone()
	}
	t.Name = pick(opt.Name, "accelergy:"+filepath.Base(ertFile))
	t.Node = pick(opt.Node, t.Node)
	t.Source = "Accelergy ERT " + ertFile
	if art != nil {
		t.Source += " and ART " + artFile
	}
	if opt.Base != nil {
		t.Source += ", over " + opt.Base.Name
	}
	if t.Components == nil {
		t.Components = make(map[string]*ComponentEntry)
	}
	seen := make(map[string]string) // our component -> Accelergy name
	for i, et := range tables {
		key := fmt.Sprintf("ERT.tables[%d]", i)
		comp, cm, skip, err := ep.resolve(m, et.name, et.nameNode, key+".name", seen)
		if err != nil || skip {
			if err != nil {
				return nil, err
			}
			continue
		}
		e := t.Components[comp]
		if e == nil {
			e = &ComponentEntry{}
			t.Components[comp] = e
		}
		e.Source = "Accelergy ERT " + ertFile + ": " + et.name
		if err := ep.importActions(comp, cm, et, key, e); err != nil {
			return nil, err
		}
	}
	if art != nil {
		ap := &docParser{file: artFile}
		areas, err := ap.artTables(art)
		if err != nil {
			return nil, err
		}
		seenArea := make(map[string]string)
		for i, at := range areas {
			key := fmt.Sprintf("ART.tables[%d]", i)
			comp, _, skip, err := ap.resolve(m, at.name, at.nameNode, key+".name", seenArea)
			if err != nil || skip {
				if err != nil {
					return nil, err
				}
				continue
			}
			e := t.Components[comp]
			if e == nil {
				e = &ComponentEntry{Source: "Accelergy ART " + artFile + ": " + at.name}
				t.Components[comp] = e
			}
			e.Area = Quantity{Value: at.area, Source: fmt.Sprintf("Accelergy ART %s: %s area %s um^2", artFile, at.name,
				formatFloat(at.area))}
		}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// ertTable is one table of an ERT.
type ertTable struct {
	name     string
	nameNode *yaml.Node
	actions  []ertAction
}

// ertAction is one entry of an ERT table.
type ertAction struct {
	name   string
	args   map[string]string // nil: no arguments
	energy float64
	node   *yaml.Node
}

// ertTables parses an ERT document.
func (p *docParser) ertTables(data []byte) ([]ertTable, error) {
	root, err := p.parseDocument(data)
	if err != nil {
		return nil, err
	}
	body, err := p.accelergyBody(root, "ERT")
	if err != nil {
		return nil, err
	}
	items, err := p.sequence(body, "ERT.tables", "a list of tables (Accelergy ERT version 0.3 or later)")
	if err != nil {
		return nil, err
	}
	var out []ertTable
	for i, it := range items {
		key := fmt.Sprintf("ERT.tables[%d]", i)
		fields, err := p.mapping(it, key, "a table mapping with name and actions", nil)
		if err != nil {
			return nil, err
		}
		if err := p.require(it, key, fields, "name", "actions"); err != nil {
			return nil, err
		}
		var et ertTable
		for _, f := range fields {
			switch f.key {
			case "name":
				et.nameNode = f.value
				et.name, err = p.str(f.value, key+".name", "a component name")
			case "actions":
				et.actions, err = p.ertActions(f.value, key+".actions")
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, et)
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

// artArea is one table of an ART.
type artArea struct {
	name     string
	nameNode *yaml.Node
	area     float64
}

// artTables parses an ART document.
func (p *docParser) artTables(data []byte) ([]artArea, error) {
	root, err := p.parseDocument(data)
	if err != nil {
		return nil, err
	}
	body, err := p.accelergyBody(root, "ART")
	if err != nil {
		return nil, err
	}
	items, err := p.sequence(body, "ART.tables", "a list of tables {name, area} (Accelergy ART version 0.3 or later)")
	if err != nil {
		return nil, err
	}
	var out []artArea
	for i, it := range items {
		key := fmt.Sprintf("ART.tables[%d]", i)
		fields, err := p.mapping(it, key, "a table mapping with name and area", nil)
		if err != nil {
			return nil, err
		}
		if err := p.require(it, key, fields, "name", "area"); err != nil {
			return nil, err
		}
		var a artArea
		for _, f := range fields {
			switch f.key {
			case "name":
				a.nameNode = f.value
				a.name, err = p.str(f.value, key+".name", "a component name")
			case "area":
				a.area, err = p.number(f.value, key+".area", "a non-negative area in um^2", false)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, a)
	}
	return out, nil
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

// resolve finds our component for an Accelergy component name. seen records the Accelergy name
// each of our components came from, so that two Accelergy components mapping onto one of ours
// are rejected.
func (p *docParser) resolve(m *ERTMapping, name string, node *yaml.Node, key string, seen map[string]string) (string, *ERTComponentMap, bool, error) {
	full, last := accelergyName(name)
	var comp string
	var cm *ERTComponentMap
	for i := range m.Components {
		mf, ml := accelergyName(m.Components[i].Match)
		if (strings.Contains(m.Components[i].Match, ".") && mf == full) || (!strings.Contains(m.Components[i].Match, ".") && ml == last) {
			cm = &m.Components[i]
			comp = cm.Component
			break
		}
	}
	if cm == nil {
		for _, ig := range m.Ignore {
			igf, igl := accelergyName(ig)
			if (strings.Contains(ig, ".") && igf == full) || (!strings.Contains(ig, ".") && igl == last) {
				return "", nil, true, nil
			}
		}
		if _, ok := knownAction(last, ""); !ok {
			return "", nil, false, p.errAt(node, key,
				"a name whose last part is an lrpsim component ("+strings.Join(componentNames(), ", ")+
					"), or an entry for it in the ERT mapping", quote(name))
		}
		comp = last
		cm = &ERTComponentMap{Component: comp}
	}
	if prev, dup := seen[comp]; dup {
		return "", nil, false, p.errAt(node, key, fmt.Sprintf("one Accelergy component per lrpsim component (%s already comes from %q)",
			comp, prev), quote(name))
	}
	seen[comp] = name
	return comp, cm, false, nil
}

// accelergyName returns a name with list ranges removed, and its last dotted part.
func accelergyName(name string) (full, last string) {
	var b strings.Builder
	depth := 0
	for _, r := range name {
		switch {
		case r == '[':
			depth++
		case r == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	full = b.String()
	return full, full[strings.LastIndex(full, ".")+1:]
}

// importActions sets the actions and leakage of e from one ERT table.
func (p *docParser) importActions(comp string, cm *ERTComponentMap, et ertTable, key string, e *ComponentEntry) error {
	byName := make(map[string][]int) // ERT action name -> indices
	for i, a := range et.actions {
		byName[a.name] = append(byName[a.name], i)
	}
	leakName := cm.Leakage
	if leakName == "" {
		leakName = "leak"
	}
	if e.Actions == nil {
		e.Actions = make(map[string]Quantity)
	}
	// set records one imported action.
	set := func(ertName, ours string, am ERTActionMap) error {
		idx, ok := byName[ertName]
		if !ok {
			return p.errAt(et.nameNode, key+".actions", fmt.Sprintf("an action %q (named in the ERT mapping for %s)", ertName, comp),
				"none in "+quote(et.name))
		}
		a, err := p.selectEntry(et, idx, am.Arguments, key)
		if err != nil {
			return err
		}
		src := fmt.Sprintf("Accelergy ERT %s: %s action %s%s energy %s pJ", p.file, et.name, ertName, argText(a.args),
			formatFloat(a.energy))
		q := Quantity{Value: a.energy, Source: src}
		if am.Per != 0 && am.Per != 1 {
			q.Per = am.Per
			q.Source += fmt.Sprintf(", divided by %s", formatFloat(am.Per))
		}
		if ours == "" { // leakage
			e.Leakage = Leakage{Quantity: q, Unit: PJPerCycle}
			return nil
		}
		e.Actions[ours] = q
		return nil
	}
	if _, ok := byName[leakName]; ok || cm.Leakage != "" {
		if err := set(leakName, "", ERTActionMap{}); err != nil {
			return err
		}
	}
	if cm.Actions != nil {
		for _, ertName := range sortedKeys(cm.Actions) {
			if err := set(ertName, cm.Actions[ertName].Action, cm.Actions[ertName]); err != nil {
				return err
			}
		}
		return nil
	}
	hasIdle, _ := knownAction(comp, IdleCycle)
	for _, ertName := range sortedKeys(byName) {
		if ertName == leakName {
			continue
		}
		first := et.actions[byName[ertName][0]]
		if known, _ := knownAction(comp, ertName); known {
			if err := set(ertName, ertName, ERTActionMap{}); err != nil {
				return err
			}
			continue
		}
		if ertName == "idle" {
			if hasIdle {
				if err := set(ertName, IdleCycle, ERTActionMap{}); err != nil {
					return err
				}
				continue
			}
			nonzero := false
			for _, i := range byName[ertName] {
				nonzero = nonzero || et.actions[i].energy != 0
			}
			if !nonzero {
				continue
			}
		}
		return p.errAt(first.node, fmt.Sprintf("%s.actions[%d].name", key, byName[ertName][0]),
			fmt.Sprintf("an action of %s (%s), or an entry for %q in the ERT mapping (an action and the per to divide by)",
				comp, strings.Join(Vocabulary()[comp], ", "), ertName), quote(ertName))
	}
	return nil
}

// selectEntry picks the entry among idx whose arguments match want (see ERTActionMap.Arguments).
func (p *docParser) selectEntry(et ertTable, idx []int, want map[string]string, key string) (ertAction, error) {
	var match []int
	for _, i := range idx {
		a := et.actions[i]
		ok := true
		if len(want) == 0 {
			ok = len(a.args) == 0 || len(idx) == 1
		}
		for k, v := range want {
			ok = ok && a.args[k] == v
		}
		if ok {
			match = append(match, i)
		}
	}
	if len(match) == 1 {
		return et.actions[match[0]], nil
	}
	first := et.actions[idx[0]]
	what := fmt.Sprintf("one entry of action %q of %q", first.name, et.name)
	if len(want) == 0 {
		what += "; it has several argument combinations: select one with arguments in the ERT mapping"
	} else {
		what += " matching the arguments" + argText(want)
	}
	return ertAction{}, p.errAt(first.node, fmt.Sprintf("%s.actions[%d]", key, idx[0]), what, fmt.Sprintf("%d matches", len(match)))
}

// argText renders arguments for sources and messages, sorted by name.
func argText(args map[string]string) string {
	if len(args) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedKeys(args) {
		parts = append(parts, k+"="+args[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

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
	data, err := safeio.ReadFile(path, "an ERT mapping file (YAML)", safeio.MaxText)
	if err != nil {
		return nil, fmt.Errorf("energy: load ERT mapping: %w", err)
	}
	return ParseERTMapping(data, path)
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
