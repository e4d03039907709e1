package energy

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// Choice is how a run picks its energy table: a table file, an Accelergy ERT over a base table,
// or the built-in table of a node.
type Choice struct {
	Table   string // a table in this package's format; "" for the built-in table of Node
	Node    string // the node of the built-in table (DefaultNodes)
	ERT     string // an Accelergy ERT priced over the base table (Table, else Node's); optional
	ART     string // an Accelergy ART to go with ERT; optional
	Mapping string // an ERT mapping file (LoadERTMapping) to go with ERT; optional
}

// Load returns the chosen table and, for an ERT, its provenance: one line saying which entries
// came from the ERT and which from the base table, which fills the components and actions the
// ERT does not name (README.md, "Accelergy ERT import"); "" without an ERT.
func (c Choice) Load() (t *Table, provenance string, err error) {
	if c.ERT == "" {
		if c.ART != "" || c.Mapping != "" {
			return nil, "", fmt.Errorf("energy: an ART or an ERT mapping goes with an ERT")
		}
		t, err := c.base()
		return t, "", err
	}
	base, err := c.base()
	if err != nil {
		return nil, "", err
	}
	opt := ERTOptions{ART: c.ART, Base: base}
	if c.Mapping != "" {
		if opt.Mapping, err = LoadERTMapping(c.Mapping); err != nil {
			return nil, "", err
		}
	}
	if t, err = LoadERT(c.ERT, opt); err != nil {
		return nil, "", err
	}
	return t, ERTProvenance(t, c.ERT, base.Name), nil
}

// base is the table file, else the built-in table of the node.
func (c Choice) base() (*Table, error) {
	if c.Table != "" {
		return LoadTable(c.Table)
	}
	return DefaultTable(c.Node)
}

// ERTProvenance says which entries of a table imported over a base came from the ERT and which
// from the base: "energy table: from ERT.yaml: lane, cmp, k_sram (read_bit); from horowitz-45nm:
// be_unit, ..., k_sram (write_bit)". A component named once is wholly from that side.
func ERTProvenance(t *Table, ertFile, baseName string) string {
	fromERT := func(q Quantity) bool { return strings.HasPrefix(q.Source, "Accelergy ERT ") }
	var ert, base []string
	for _, name := range slices.Sorted(maps.Keys(t.Components)) {
		var mine, theirs []string
		for _, a := range slices.Sorted(maps.Keys(t.Components[name].Actions)) {
			if fromERT(t.Components[name].Actions[a]) {
				mine = append(mine, a)
			} else {
				theirs = append(theirs, a)
			}
		}
		switch {
		case len(theirs) == 0:
			ert = append(ert, name)
		case len(mine) == 0:
			base = append(base, name)
		default:
			ert = append(ert, name+" ("+strings.Join(mine, ", ")+")")
			base = append(base, name+" ("+strings.Join(theirs, ", ")+")")
		}
	}
	none := func(l []string) string {
		if len(l) == 0 {
			return "nothing"
		}
		return strings.Join(l, ", ")
	}
	return fmt.Sprintf("energy table: from %s: %s; from %s: %s", filepath.Base(ertFile), none(ert), baseName, none(base))
}
