package arch

import (
	"fmt"
	"reflect"
	"strings"
)

// A Registry maps the config names of one kind's variants (the memory models, the dispatchers,
// the pruning rules) to their specs: a new variant is one file that registers itself from an
// init function. Each variant owns its parameters: a struct whose yaml-tagged fields are config
// keys of the kind's section, given with their defaults when it registers; a config fills them
// by key (sim.Config) and the variant's Check and New read them.
//
// The registries are package variables, written only by init functions (in the order of their
// files' names, which the Go toolchain follows) and only read after init, so they hold no state
// a run can change.
type Registry[S any] struct {
	kind    string // what a variant is, for messages: "memory model"
	nameKey string // the dotted config key naming the variant: "memory.model"
	section string // the config section of its name and parameters: "memory", "" (top level)
	names   []string
	specs   map[string]registered[S]
}

type registered[S any] struct {
	spec     S
	defaults any
	check    func(any) error
}

// NewRegistry returns an empty registry of the variants of kind, named by the dotted config key
// nameKey; their parameters are keys of the same section (nameKey without its last part).
func NewRegistry[S any](kind, nameKey string) *Registry[S] {
	section := ""
	if i := strings.LastIndexByte(nameKey, '.'); i >= 0 {
		section = nameKey[:i]
	}
	return &Registry[S]{kind: kind, nameKey: nameKey, section: section, specs: map[string]registered[S]{}}
}

// register adds a variant; a name registered twice or empty is a programming error (panic).
func (r *Registry[S]) register(name string, defaults any, check func(any) error, spec S) {
	if _, dup := r.specs[name]; dup || name == "" {
		panic(fmt.Sprintf("arch: %s %q registered twice or empty", r.kind, name))
	}
	r.names = append(r.names, name)
	r.specs[name] = registered[S]{spec: spec, defaults: defaults, check: check}
}

// Kind is what a variant of the registry is, for messages ("memory model").
func (r *Registry[S]) Kind() string { return r.kind }

// Section is the config section holding the variants' parameters ("memory"; "" the top level).
func (r *Registry[S]) Section() string { return r.section }

// Names lists the registered names in registration order.
func (r *Registry[S]) Names() []string { return append([]string(nil), r.names...) }

// Want lists the names as a message wants them: "a or b", "a, b or c".
func (r *Registry[S]) Want() string { return OrList(r.names) }

// Has reports whether name is registered.
func (r *Registry[S]) Has(name string) bool {
	_, ok := r.specs[name]
	return ok
}

// Spec returns the spec registered as name.
func (r *Registry[S]) Spec(name string) (S, bool) {
	e, ok := r.specs[name]
	return e.spec, ok
}

// Defaults returns the parameters of variant name with their defaults (a struct value, whose
// yaml-tagged fields are config keys), or nil when it takes none.
func (r *Registry[S]) Defaults(name string) any { return r.specs[name].defaults }

// Keys are the config keys of every variant's parameters with their Go types, the first
// variant's type where two variants share a key.
func (r *Registry[S]) Keys() map[string]reflect.Type {
	keys := map[string]reflect.Type{}
	for _, name := range r.names {
		if d := r.specs[name].defaults; d != nil {
			for key, f := range yamlKeys(reflect.TypeOf(d)) {
				if _, ok := keys[key]; !ok {
					keys[key] = f.Type
				}
			}
		}
	}
	return keys
}

// Params fills the parameters of variant name over its defaults: each yaml-tagged field whose
// key value gives takes that value, converted to the field's type.
func (r *Registry[S]) Params(name string, value func(key string) (reflect.Value, bool)) any {
	d := r.specs[name].defaults
	if d == nil {
		return nil
	}
	p := reflect.New(reflect.TypeOf(d)).Elem()
	p.Set(reflect.ValueOf(d))
	for key, f := range yamlKeys(p.Type()) {
		if v, ok := value(key); ok {
			p.FieldByIndex(f.Index).Set(v.Convert(f.Type))
		}
	}
	return p.Interface()
}

// yamlKeys are the yaml-tagged fields of struct type t by key.
func yamlKeys(t reflect.Type) map[string]reflect.StructField {
	keys := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if key, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); key != "" && key != "-" {
			keys[key] = f
		}
	}
	return keys
}

// FieldsByKey gives the yaml-tagged fields of the struct s by key, for Params.
func FieldsByKey(s any) func(key string) (reflect.Value, bool) {
	v := reflect.ValueOf(s)
	keys := yamlKeys(v.Type())
	return func(key string) (reflect.Value, bool) {
		f, ok := keys[key]
		if !ok {
			return reflect.Value{}, false
		}
		return v.FieldByIndex(f.Index), true
	}
}

// Check checks the parameters of variant name (its parameter type, as Defaults gives it): a
// *PolicyParamError names the key in the section (e.g. "memory.kv_buffers").
func (r *Registry[S]) Check(name string, params any) error {
	e, ok := r.specs[name]
	if !ok {
		return &PolicyParamError{Key: r.nameKey, Expected: r.Want(), Got: fmt.Sprintf("%q", name)}
	}
	if e.check == nil {
		return nil
	}
	err := e.check(params)
	if pe, ok := err.(*PolicyParamError); ok {
		return &PolicyParamError{Key: r.key(pe.Key), Expected: pe.Expected, Got: pe.Got}
	}
	return err
}

// key is a parameter's dotted config key.
func (r *Registry[S]) key(k string) string {
	if r.section == "" {
		return k
	}
	return r.section + "." + k
}

// OrList joins words as a message lists alternatives: "a", "a or b", "a, b or c".
func OrList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// Variant is a registered variant chosen by name with its parameters (its parameter type,
// filled from a config and checked), as the engines take it.
type Variant struct {
	Name   string
	Params any
}

// typed wraps a variant's typed check for a registry (nil stays nil).
func typed[P any](check func(P) error) func(any) error {
	if check == nil {
		return nil
	}
	return func(p any) error { return check(p.(P)) }
}

// paramErr is a parameter out of range, key relative to the variant's section.
func paramErr(key, expected string, got any) error {
	return &PolicyParamError{Key: key, Expected: expected, Got: fmt.Sprint(got)}
}

// MemoryModelSpec is a registered memory model.
type MemoryModelSpec struct {
	// New builds the model with its checked parameters over the run's tiles.
	New func(params any, src TileSource, l MemoryListener) Memory
	// FetchesRows: the model is a RowFetcher (memory.v_fetch on_demand).
	FetchesRows bool
}

// MemoryModels are the memory models by memory.model.
var MemoryModels = NewRegistry[MemoryModelSpec]("memory model", "memory.model")

// RegisterMemoryModel registers a memory model from an init function: its name, its parameters
// with their defaults (P's yaml-tagged fields are keys of the memory section), their check
// (nil: none) and its constructor.
func RegisterMemoryModel[P any](name string, defaults P, check func(P) error, fetchesRows bool,
	build func(P, TileSource, MemoryListener) Memory) {
	MemoryModels.register(name, defaults, typed(check), MemoryModelSpec{FetchesRows: fetchesRows,
		New: func(p any, src TileSource, l MemoryListener) Memory { return build(p.(P), src, l) }})
}

// NewMemory builds the memory model v over the run's tiles.
func NewMemory(v Variant, src TileSource, l MemoryListener) Memory {
	s, ok := MemoryModels.Spec(v.Name)
	if !ok {
		panic(fmt.Sprintf("arch: unknown memory model %q", v.Name))
	}
	return s.New(v.Params, src, l)
}

// DispatcherSpec is a registered dispatcher.
type DispatcherSpec struct {
	// New builds the dispatcher with its checked parameters for units over the tiles of src
	// loaded by mem.
	New func(params any, units int, src TileSource, mem Memory) Dispatcher
	// SharedTasks: the units share one task list per tile (Tile.Tasks has one list); otherwise
	// Tile.Tasks[u] holds unit u's tasks, query row r of a head on unit r mod units.
	SharedTasks bool
}

// Dispatchers are the dispatchers by the config's dispatch key.
var Dispatchers = NewRegistry[DispatcherSpec]("dispatch", "dispatch")

// RegisterDispatcher registers a dispatcher from an init function: its name, its parameters with
// their defaults (P's yaml-tagged fields are top-level config keys), their check (nil: none),
// whether its units share a task list, and its constructor.
func RegisterDispatcher[P any](name string, defaults P, check func(P) error, sharedTasks bool,
	build func(p P, units int, src TileSource, mem Memory) Dispatcher) {
	Dispatchers.register(name, defaults, typed(check), DispatcherSpec{SharedTasks: sharedTasks,
		New: func(p any, units int, src TileSource, mem Memory) Dispatcher { return build(p.(P), units, src, mem) }})
}

// NewDispatcher builds the dispatcher v for units over the tiles of src loaded by mem.
func NewDispatcher(v Variant, units int, src TileSource, mem Memory) Dispatcher {
	s, ok := Dispatchers.Spec(v.Name)
	if !ok {
		panic(fmt.Sprintf("arch: unknown dispatch %q", v.Name))
	}
	return s.New(v.Params, units, src, mem)
}

// DispatchTaskLists is how many task lists a tile holds under dispatcher name for units.
func DispatchTaskLists(name string, units int) int {
	if s, _ := Dispatchers.Spec(name); s.SharedTasks {
		return 1
	}
	return units
}

// PruningRuleSpec is a registered pruning rule.
type PruningRuleSpec struct {
	// New builds the rule from its checked parameters.
	New func(params any) PruningPolicy
}

// PruningRules are the runtime pruning rules by pruning.policy (arch/POLICIES.md).
var PruningRules = NewRegistry[PruningRuleSpec]("pruning policy", "pruning.policy")

// RegisterPruningRule registers a pruning rule from an init function: its name, its parameters
// with their defaults (P's yaml-tagged fields are keys of the pruning section; a rule is often
// its own parameters), their check (nil: none) and its constructor. A rule must be comparable
// (the engines compare rules to share decision tables between configurations): one that is
// not is a programming error (panic).
func RegisterPruningRule[P any](name string, defaults P, check func(P) error, build func(P) PruningPolicy) {
	if !reflect.TypeOf(build(defaults)).Comparable() {
		panic(fmt.Sprintf("arch: pruning policy %q is not comparable", name))
	}
	PruningRules.register(name, defaults, typed(check), PruningRuleSpec{New: func(p any) PruningPolicy { return build(p.(P)) }})
}

// NewPruningRule checks the parameters of rule v and builds it.
func NewPruningRule(v Variant) (PruningPolicy, error) {
	if err := PruningRules.Check(v.Name, v.Params); err != nil {
		return nil, err
	}
	s, _ := PruningRules.Spec(v.Name)
	return s.New(v.Params), nil
}
