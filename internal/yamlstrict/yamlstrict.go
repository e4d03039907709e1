// Package yamlstrict reads lrpsim's YAML inputs (configurations, sweep files, energy tables)
// strictly: one document, mappings whose keys are plain, known and given once, and values of the
// expected type. Every problem is one [*Error] naming the file, the line, the dotted key, what was
// expected there and what was found:
//
//	my.yaml:3: front_end.lanes: expected an integer, got "many"
//
// The package walks yaml.v3 nodes rather than decoding into structs, because yaml.v3's decoder
// accepts duplicate keys in a node tree, truncates 2.5 into an int, and reports no key paths.
package yamlstrict

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is the one error shape of lrpsim's YAML inputs: where (file, line, dotted key), what was
// expected, and what was found. When Expected is empty the error is the underlying Err at that
// place (a sweep file's base config that does not load, say).
type Error struct {
	File     string // file name as given, or "<input>"
	Line     int    // 1-based line of the offending node; 0 when unknown
	Key      string // dotted key path; list items as [i]; empty for the whole document
	Expected string // what was expected, e.g. "an integer in [1, 4096]"
	Got      string // what was found, quoted when a scalar; may be empty
	Err      error  // the underlying error, if any
}

// Error formats the error as "file:line: key: expected X, got Y" (no line when unknown, no key
// for the whole document, no ", got" when Got is empty), or "file:line: key: ERR" when only the
// underlying error says what is wrong.
func (e *Error) Error() string {
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
	if e.Expected == "" && e.Err != nil {
		b.WriteString(e.Err.Error())
		return b.String()
	}
	b.WriteString("expected ")
	b.WriteString(e.Expected)
	if e.Got != "" {
		b.WriteString(", got ")
		b.WriteString(e.Got)
	}
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// At returns an Error in file at node n (its line; 0 when n is nil).
func At(file string, n *yaml.Node, key, expected, got string) *Error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: file, Line: line, Key: key, Expected: expected, Got: got}
}

// Parse decodes data as exactly one YAML document and returns its root node with aliases
// followed, or nil when the file holds no document (empty, or only comments): each caller says
// whether that is allowed. Syntax errors carry yaml.v3's line, made 1-based.
func Parse(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, At(file, &extra, "", "a single YAML document", "a second document")
	} else if !errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Expected: "a single valid YAML document", Got: err.Error()}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = root.Content[0]
	}
	return Deref(root), nil
}

// syntaxError turns a yaml.v3 decoding error into an Error with the line of the problem.
func syntaxError(file string, err error) *Error {
	e := &Error{File: file, Expected: "valid YAML", Got: strings.TrimPrefix(err.Error(), "yaml: ")}
	// yaml.v3 syntax errors read "line 3: problem".
	if rest, ok := strings.CutPrefix(e.Got, "line "); ok {
		if num, msg, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil {
				e.Line, e.Got = line, msg
			}
		}
	}
	if parserError(e.Got) {
		// yaml.v3 reports parser (not scanner) errors with a 0-based line, that of the start of
		// the construct being parsed, and no line at all for the first line.
		e.Line++
	}
	return e
}

// parserError reports whether a yaml.v3 error message comes from its parser rather than its
// scanner (the problems of yaml.v3's parserc.go).
func parserError(msg string) bool {
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

// Deref follows aliases.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// Describe says what n is, for the "got" part of errors: "a mapping", "a list", "nothing
// (null)", or a scalar's text quoted.
func Describe(n *yaml.Node) string {
	n = Deref(n)
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

// Field is one key of a mapping, with its value node (aliases followed).
type Field struct {
	Key     string
	KeyNode *yaml.Node
	Value   *yaml.Node
}

// Mapping checks that n is a mapping with plain keys, each given once, all among allowed (nil:
// any key), and returns its fields in document order. path is the mapping's dotted key ("" for
// the document), what says what the mapping should be, for the message when it is something else.
func Mapping(file string, n *yaml.Node, path, what string, allowed []string) ([]Field, error) {
	n = Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, At(file, n, path, what, Describe(n))
	}
	var fields []Field
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := Deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode || (k.ShortTag() != "!!str" && k.ShortTag() != "!!int" && k.ShortTag() != "!!float") {
			return nil, At(file, k, path, "a plain key", Describe(k))
		}
		sub := Join(path, k.Value)
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			return nil, At(file, k, sub, "a key among "+strings.Join(allowed, ", "), "unknown key "+strconv.Quote(k.Value))
		}
		if line, dup := seen[k.Value]; dup {
			return nil, At(file, k, sub, "each key once", fmt.Sprintf("a second %q (the first is on line %d)", k.Value, line))
		}
		seen[k.Value] = k.Line
		fields = append(fields, Field{Key: k.Value, KeyNode: k, Value: Deref(v)})
	}
	return fields, nil
}

// Join appends key to a dotted path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
