package sim

import (
	"fmt"
	"maps"
	"reflect"

	"github.com/lrpsim/lrpsim/arch"
)

// variantKeys is what decoding and resolution need of a registry (arch.Registry) whose variants'
// names and parameters are keys of a config section.
type variantKeys interface {
	Keys() map[string]reflect.Type
	Params(name string, value func(key string) (reflect.Value, bool)) any
	Check(name string, params any) error
}

// sectionVariants maps each config section that names a variant to its registry: the top level
// (dispatch), memory (memory.model) and pruning (pruning.policy). A variant's parameters are keys
// of its section; those that are not fields of the section's struct are held in its Extra map.
var sectionVariants = map[reflect.Type]variantKeys{
	reflect.TypeFor[Config]():  arch.Dispatchers,
	reflect.TypeFor[Memory]():  arch.MemoryModels,
	reflect.TypeFor[Pruning](): arch.PruningRules,
}

// extraKeys are the keys of section type t that registered variants' parameters add beyond the
// struct's fields, with their Go types.
func extraKeys(t reflect.Type) map[string]reflect.Type {
	r, ok := sectionVariants[t]
	if !ok {
		return nil
	}
	fixed := yamlFields(t)
	extra := map[string]reflect.Type{}
	for key, typ := range r.Keys() {
		if _, ok := fixed[key]; !ok {
			extra[key] = typ
		}
	}
	return extra
}

// sectionValue looks a key up in a section: one of its fields, or a value its Extra map holds.
func sectionValue(section any, extra map[string]any) func(string) (reflect.Value, bool) {
	fields := arch.FieldsByKey(section)
	return func(key string) (reflect.Value, bool) {
		if v, ok := fields(key); ok {
			return v, true
		}
		v, ok := extra[key]
		return reflect.ValueOf(v), ok
	}
}

// variant resolves the variant a section names with its parameters filled from the section.
func variant(name string, section any, extra map[string]any) arch.Variant {
	r := sectionVariants[reflect.TypeOf(section)]
	return arch.Variant{Name: name, Params: r.Params(name, sectionValue(section, extra))}
}

// memoryVariant is the configured memory model with its parameters.
func (c *Config) memoryVariant() arch.Variant {
	return variant(string(c.Memory.Model), c.Memory, c.Memory.Extra)
}

// dispatchVariant is the configured dispatcher with its parameters.
func (c *Config) dispatchVariant() arch.Variant {
	return variant(string(c.Dispatch), *c, c.Extra)
}

// pruningVariant is the configured pruning rule with its parameters.
func (c *Config) pruningVariant() arch.Variant {
	return variant(c.Pruning.Policy, c.Pruning, c.Pruning.Extra)
}

// PruningPolicy builds the configured pruning rule.
func (c *Config) PruningPolicy() (arch.PruningPolicy, error) {
	return arch.NewPruningRule(c.pruningVariant())
}

// variantProblems checks the chosen memory model's and dispatcher's parameters and what the
// traffic options need of the memory model (the pruning rule's are checked as it is built).
func (c *Config) variantProblems() []error {
	var errs []error
	if arch.MemoryModels.Has(string(c.Memory.Model)) {
		mv := c.memoryVariant()
		if err := arch.MemoryModels.Check(mv.Name, mv.Params); err != nil {
			errs = append(errs, c.paramProblem(err))
		}
		if spec, _ := arch.MemoryModels.Spec(mv.Name); c.Memory.VFetch == VOnDemand && !spec.FetchesRows {
			var fetchers []string
			for _, name := range arch.MemoryModels.Names() {
				if s, _ := arch.MemoryModels.Spec(name); s.FetchesRows {
					fetchers = append(fetchers, name)
				}
			}
			errs = append(errs, c.errAt("memory.v_fetch", fmt.Sprintf("whole with memory.model %s (it serves whole tiles; on_demand needs %s)",
				mv.Name, arch.OrList(fetchers)), fmt.Sprintf("%q", c.Memory.VFetch)))
		}
	}
	if arch.Dispatchers.Has(string(c.Dispatch)) {
		dv := c.dispatchVariant()
		if err := arch.Dispatchers.Check(dv.Name, dv.Params); err != nil {
			errs = append(errs, c.paramProblem(err))
		}
	}
	return errs
}

// paramProblem places a variant's parameter error at its key.
func (c *Config) paramProblem(err error) error {
	if pe, ok := err.(*arch.PolicyParamError); ok {
		return c.errAt(pe.Key, pe.Expected, pe.Got)
	}
	return err
}

// cloneExtras copies the Extra maps of c's sections, which a Clone must not share.
func (c *Config) cloneExtras() {
	c.Extra, c.Memory.Extra, c.Pruning.Extra = maps.Clone(c.Extra), maps.Clone(c.Memory.Extra), maps.Clone(c.Pruning.Extra)
}

// Effective returns a copy of c whose Extra maps also hold the chosen variants' own parameters
// that c leaves at their registered defaults, so that it shows every value a run uses (config
// show). The built-in variants' parameters are section fields: it adds nothing for them.
func (c *Config) Effective() *Config {
	d := c.Clone()
	fill := func(extra *map[string]any, section reflect.Type, v arch.Variant) {
		if v.Params == nil {
			return
		}
		params := arch.FieldsByKey(v.Params)
		for key := range extraKeys(section) {
			if val, ok := params(key); ok {
				if _, set := (*extra)[key]; !set {
					if *extra == nil {
						*extra = map[string]any{}
					}
					(*extra)[key] = val.Interface()
				}
			}
		}
	}
	fill(&d.Extra, reflect.TypeFor[Config](), c.dispatchVariant())
	fill(&d.Memory.Extra, reflect.TypeFor[Memory](), c.memoryVariant())
	fill(&d.Pruning.Extra, reflect.TypeFor[Pruning](), c.pruningVariant())
	return d
}
