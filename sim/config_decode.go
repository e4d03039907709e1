package sim

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/arch"
	"github.com/lrpsim/lrpsim/internal/yamlstrict"
)

// decodeStrict decodes YAML into out, rejecting unknown keys, duplicate keys and wrong types with
// the file, the line and the dotted key, and records each key's line for later range errors. An
// empty file changes nothing.
func decodeStrict(file string, data []byte, c *Config) error {
	c.file = file
	if c.lines == nil {
		c.lines = map[string]int{}
	}
	root, err := yamlstrict.Parse(file, data)
	if err != nil || root == nil {
		return err
	}
	return decodeNode(file, root, reflect.ValueOf(c).Elem(), "", c.lines)
}

// decodeNode decodes n into v (a config struct or one of its fields) at the dotted key path.
func decodeNode(file string, n *yaml.Node, v reflect.Value, path string, lines map[string]int) error {
	n = yamlstrict.Deref(n)
	if v.Kind() == reflect.Struct {
		kv, err := yamlstrict.Mapping(file, n, path, "a mapping of keys", sectionKeys(v.Type()))
		if err != nil {
			return err
		}
		for _, f := range kv {
			full := yamlstrict.Join(path, f.Key)
			lines[full] = f.KeyNode.Line
			field, store, _ := keyField(v, f.Key)
			if field.Type() == reflect.TypeFor[OperatingPoints]() {
				field.SetZero() // a grid is replaced whole: a new knob does not keep the default grid's values
			}
			if err := decodeNode(file, f.Value, field, full, lines); err != nil {
				return err
			}
			store()
		}
		return nil
	}
	tmp := reflect.New(v.Type())
	// yaml.v3 truncates 2.5 into an int; an integer key takes only an integer. An enum (a
	// TextUnmarshaler, such as arch.LaneSchedule) reads its own words.
	_, enum := tmp.Interface().(encoding.TextUnmarshaler)
	intMismatch := !enum && (v.Kind() == reflect.Int || v.Kind() == reflect.Int64) && n.ShortTag() != "!!int"
	if err := n.Decode(tmp.Interface()); err != nil || intMismatch || (n.Kind != yaml.ScalarNode && v.Kind() != reflect.Slice) {
		return &ConfigError{File: file, Line: n.Line, Key: path, Expected: kindName(v.Type()), Got: yamlstrict.Describe(n)}
	}
	v.Set(tmp.Elem())
	return nil
}

// sectionKeys are the keys of section type t in byte order: its fields' and those the
// parameters of the variants its registry holds add (extraKeys).
func sectionKeys(t reflect.Type) []string {
	var names []string
	for name := range yamlFields(t) {
		names = append(names, name)
	}
	for name := range extraKeys(t) {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// keyField is the settable value of key in the section struct v, and store, which a caller
// calls once it has set the value: a key of a variant's parameters beyond v's fields is set in a
// new value that store puts in v's Extra map.
func keyField(v reflect.Value, key string) (field reflect.Value, store func(), ok bool) {
	if i, ok := yamlFields(v.Type())[key]; ok {
		return v.Field(i), func() {}, true
	}
	t, ok := extraKeys(v.Type())[key]
	if !ok {
		return reflect.Value{}, nil, false
	}
	field = reflect.New(t).Elem()
	return field, func() {
		extra := v.FieldByName("Extra")
		if extra.IsNil() {
			extra.Set(reflect.MakeMap(extra.Type()))
		}
		extra.SetMapIndex(reflect.ValueOf(key), field)
	}, true
}

// yamlFields are the fields of struct type t by key (an inline Extra map has none).
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); key != "" && key != "-" {
			out[key] = i
		}
	}
	return out
}

// kindName says what a field of type t takes, for messages.
func kindName(t reflect.Type) string {
	if _, words, ok := enumOf(t); ok {
		return arch.OrList(words)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list of strings"
	}
	return t.String()
}

// Set assigns one dotted key (e.g. "front_end.lanes") from a YAML-compatible value, with the same
// type checks as a config file, and revalidates. file names the source in errors (a sweep file).
// On error c is unchanged.
func (c *Config) Set(file, key string, value any) error {
	work := c.Clone()
	if err := work.set(file, key, value); err != nil {
		return err
	}
	lines, f := c.lines, c.file
	*c = *work
	c.lines, c.file = lines, f
	return nil
}

func (c *Config) set(file, key string, value any) error {
	v := reflect.ValueOf(c).Elem()
	store := func() {}
	parts := strings.Split(key, ".")
	for i, p := range parts {
		field, st, ok := keyField(v, p)
		if !ok {
			return &ConfigError{File: file, Key: key, Expected: "a config key; at " + strings.Join(parts[:i+1], ".") + " one of " + strings.Join(sectionKeys(v.Type()), ", "), Got: "unknown key"}
		}
		v, store = field, st
		if i < len(parts)-1 && v.Kind() != reflect.Struct {
			return &ConfigError{File: file, Key: key, Expected: "a config key", Got: strings.Join(parts[:i+1], ".") + " has no sub-keys"}
		}
	}
	if v.Kind() == reflect.Struct {
		return &ConfigError{File: file, Key: key, Expected: "a key holding a value", Got: "a section"}
	}
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return &ConfigError{File: file, Key: key, Expected: kindName(v.Type()), Got: fmt.Sprint(value), Err: err}
	}
	c.file, c.lines = file, map[string]int{}
	if err := decodeNode(file, &n, v, key, c.lines); err != nil {
		return err
	}
	store()
	return c.Validate()
}

// ConfigKeys lists every dotted config key that holds a value, the registered variants'
// parameters included, in byte order (shell completion).
func ConfigKeys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		fields := yamlFields(t)
		for _, name := range sectionKeys(t) {
			full := yamlstrict.Join(prefix, name)
			if i, ok := fields[name]; ok && t.Field(i).Type.Kind() == reflect.Struct {
				walk(t.Field(i).Type, full)
			} else {
				keys = append(keys, full)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	sort.Strings(keys)
	return keys
}

// KeyWords lists the words a dotted key of a string enum takes (memory.model: the registered
// memory models), or nil for any other key.
func KeyWords(key string) []string {
	if key == "pruning.policy" { // a plain string, checked as the rule is built
		return arch.PruningRules.Names()
	}
	v := reflect.ValueOf(&Config{}).Elem()
	for _, p := range strings.Split(key, ".") {
		if v.Kind() != reflect.Struct {
			return nil
		}
		field, _, ok := keyField(v, p)
		if !ok {
			return nil
		}
		v = field
	}
	_, words, _ := enumOf(v.Type())
	return words
}
