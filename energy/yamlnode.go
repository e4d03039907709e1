package energy

import (
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/internal/yamlstrict"
)

// TableError is the error for a malformed table, mapping or Accelergy file: the file, the line,
// the dotted key path (e.g. "components.k_sram.actions.read_bit") and what was expected there.
// It is the one error shape of lrpsim's YAML inputs, shared with the configuration and the sweep
// file (internal/yamlstrict).
type TableError = yamlstrict.Error

// docParser walks one YAML document and reports the first problem as a *TableError.
type docParser struct {
	file string
}

// errAt returns a TableError at node n.
func (p *docParser) errAt(n *yaml.Node, key, expected, got string) *TableError {
	return yamlstrict.At(p.file, n, key, expected, got)
}

// parseDocument decodes data as exactly one YAML document and returns its root node, with
// aliases resolved by the walkers below. An empty file is an error: a table names at least itself.
func (p *docParser) parseDocument(data []byte) (*yaml.Node, error) {
	root, err := yamlstrict.Parse(p.file, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &TableError{File: p.file, Line: 1, Expected: "a YAML mapping", Got: "an empty file"}
	}
	return root, nil
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node { return yamlstrict.Deref(n) }

// describe says what n is, for the "got" part of errors.
func describe(n *yaml.Node) string { return yamlstrict.Describe(n) }

// field is one key of a mapping, with its value node.
type field struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// mapping checks that n is a mapping with string keys, each at most once, all among allowed
// (nil: any key), and returns its fields in document order. what names the mapping for messages.
func (p *docParser) mapping(n *yaml.Node, path, what string, allowed []string) ([]field, error) {
	fs, err := yamlstrict.Mapping(p.file, n, path, what, allowed)
	if err != nil {
		return nil, err
	}
	fields := make([]field, len(fs))
	for i, f := range fs {
		fields[i] = field{key: f.Key, keyN: f.KeyNode, value: f.Value}
	}
	return fields, nil
}

// require returns an error at the mapping n when one of the keys is missing from fields.
func (p *docParser) require(n *yaml.Node, path string, fields []field, keys ...string) error {
	for _, k := range keys {
		if !hasField(fields, k) {
			return p.errAt(deref(n), join(path, k), "a value (the key is required)", "no key "+strconv.Quote(k))
		}
	}
	return nil
}

// hasField reports whether fields has key k.
func hasField(fields []field, k string) bool {
	for _, f := range fields {
		if f.key == k {
			return true
		}
	}
	return false
}

// sequence checks that n is a list and returns its items.
func (p *docParser) sequence(n *yaml.Node, path, what string) ([]*yaml.Node, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, p.errAt(n, path, what, describe(n))
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		items[i] = deref(c)
	}
	return items, nil
}

// str returns the string scalar n (a plain or quoted string; numbers are not strings here).
func (p *docParser) str(n *yaml.Node, path, what string) (string, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", p.errAt(n, path, what, describe(n))
	}
	return n.Value, nil
}

// text returns the scalar n as text, accepting strings and numbers (for names like "45nm" or
// versions like 0.3).
func (p *docParser) text(n *yaml.Node, path, what string) (string, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", p.errAt(n, path, what, describe(n))
	}
	return n.Value, nil
}

// number returns the numeric scalar n, which must be finite and >= 0, and > 0 when positive.
// what is the expectation for the message, e.g. "a non-negative number of pJ".
func (p *docParser) number(n *yaml.Node, path, what string, positive bool) (float64, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		return 0, p.errAt(n, path, what, describe(n))
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		return 0, p.errAt(n, path, what, describe(n))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || (positive && v == 0) {
		return 0, p.errAt(n, path, what, describe(n))
	}
	return v, nil
}

// strList returns a list of strings.
func (p *docParser) strList(n *yaml.Node, path, what string) ([]string, error) {
	items, err := p.sequence(n, path, what)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, it := range items {
		if out[i], err = p.str(it, fmt.Sprintf("%s[%d]", path, i), what); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// join appends key to a dotted path.
func join(path, key string) string { return yamlstrict.Join(path, key) }
