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
	tables, err := ep.tables(ert, ertDoc)
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
	err = ep.importTables(m, tables, ertDoc.top, func(comp string, cm *ERTComponentMap, et accelergyTable, key string) error {
		e := t.Components[comp]
		if e == nil {
			e = &ComponentEntry{}
			t.Components[comp] = e
		}
		e.Source = "Accelergy ERT " + ertFile + ": " + et.name
		return ep.importActions(comp, cm, et, key, e)
	})
	if err != nil {
		return nil, err
	}
	if art != nil {
		ap := &docParser{file: artFile}
		areas, err := ap.tables(art, artDoc)
		if err != nil {
			return nil, err
		}
		err = ap.importTables(m, areas, artDoc.top, func(comp string, _ *ERTComponentMap, at accelergyTable, _ string) error {
			e := t.Components[comp]
			if e == nil {
				e = &ComponentEntry{Source: "Accelergy ART " + artFile + ": " + at.name}
				t.Components[comp] = e
			}
			e.Area = Quantity{Value: at.area, Source: fmt.Sprintf("Accelergy ART %s: %s area %s um^2", artFile, at.name,
				formatFloat(at.area))}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// importTables hands each table of an Accelergy document (top "ERT" or "ART") to each with our
// component for it and its mapping entry; tables the mapping ignores are skipped.
func (p *docParser) importTables(m *ERTMapping, tables []accelergyTable, top string,
	each func(comp string, cm *ERTComponentMap, at accelergyTable, key string) error) error {
	seen := make(map[string]string) // our component -> Accelergy name
	for i, at := range tables {
		key := fmt.Sprintf("%s.tables[%d]", top, i)
		comp, cm, skip, err := p.resolve(m, at.name, at.nameNode, key+".name", seen)
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		if err := each(comp, cm, at, key); err != nil {
			return err
		}
	}
	return nil
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
func (p *docParser) importActions(comp string, cm *ERTComponentMap, et accelergyTable, key string, e *ComponentEntry) error {
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
func (p *docParser) selectEntry(et accelergyTable, idx []int, want map[string]string, key string) (ertAction, error) {
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
