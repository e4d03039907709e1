package energy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// TableError is the error for a malformed table, mapping or Accelergy file: the file, the line,
// the dotted key path (e.g. "components.k_sram.actions.read_bit") and what was expected there.
type TableError struct {
	File     string // file name as given, or "<input>"
	Line     int    // 1-based line of the offending node; 0 when unknown
	Key      string // dotted key path; list items as [i]; empty for the whole document
	Expected string // what was expected, e.g. "a non-negative number of pJ"
	Got      string // what was found, quoted when a scalar; may be empty
}

// Error formats the error as "file:line: key: expected ..., got ...".
func (e *TableError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString("expected ")
	b.WriteString(e.Expected)
	if e.Got != "" {
		b.WriteString(", got ")
		b.WriteString(e.Got)
	}
	return b.String()
}

// docParser walks one YAML document and reports the first problem as a *TableError.
type docParser struct {
	file string
}

// errAt returns a TableError at node n.
func (p *docParser) errAt(n *yaml.Node, key, expected, got string) *TableError {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &TableError{File: p.file, Line: line, Key: key, Expected: expected, Got: got}
}

// yamlParserError reports whether a yaml.v3 error message comes from its parser rather than its
// scanner (the problems of yaml.v3's parserc.go).
func yamlParserError(msg string) bool {
	for _, prefix := range []string{
		"did not find expected <", "did not find expected node content", "did not find expected '-' indicator",
		"did not find expected key", "did not find expected ','", "found duplicate %", "found incompatible YAML document",
		"found undefined tag handle",
	} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// parseDocument decodes data as exactly one YAML document and returns its root node, with
// aliases resolved by the walkers below.
func (p *docParser) parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &TableError{File: p.file, Line: 1, Expected: "a YAML mapping", Got: "an empty file"}
		}
		e := &TableError{File: p.file, Expected: "valid YAML", Got: strings.TrimPrefix(err.Error(), "yaml: ")}
		// yaml.v3 syntax errors read "line 3: problem".
		if rest, ok := strings.CutPrefix(e.Got, "line "); ok {
			if num, msg, ok := strings.Cut(rest, ": "); ok {
				if line, err := strconv.Atoi(num); err == nil {
					e.Line, e.Got = line, msg
				}
			}
		}
		if yamlParserError(e.Got) {
			// yaml.v3 reports parser (not scanner) errors with a 0-based line, that of the start of
			// the construct being parsed, and no line at all for the first line.
			e.Line++
		}
		return nil, e
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.errAt(&extra, "", "a single YAML document", "a second document")
	} else if !errors.Is(err, io.EOF) {
		return nil, &TableError{File: p.file, Expected: "a single valid YAML document", Got: err.Error()}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, &TableError{File: p.file, Line: 1, Expected: "a YAML mapping", Got: "an empty file"}
		}
		root = root.Content[0]
	}
	return deref(root), nil
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// describe says what n is, for the "got" part of errors.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return "nothing (null)"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an unexpected YAML node"
}

// field is one key of a mapping, with its value node.
type field struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// mapping checks that n is a mapping with string keys, each at most once, all among allowed
// (nil: any key), and returns its fields in document order. what names the mapping for messages.
func (p *docParser) mapping(n *yaml.Node, path, what string, allowed []string) ([]field, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, p.errAt(n, path, what, describe(n))
	}
	var fields []field
	seen := make(map[string]bool)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode || (k.ShortTag() != "!!str" && k.ShortTag() != "!!int" && k.ShortTag() != "!!float") {
			return nil, p.errAt(k, path, "a plain key", describe(k))
		}
		sub := join(path, k.Value)
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			return nil, p.errAt(k, sub, "a key among "+strings.Join(allowed, ", "), "unknown key "+strconv.Quote(k.Value))
		}
		if seen[k.Value] {
			return nil, p.errAt(k, sub, "each key once", "a second "+strconv.Quote(k.Value))
		}
		seen[k.Value] = true
		fields = append(fields, field{key: k.Value, keyN: k, value: deref(v)})
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
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
