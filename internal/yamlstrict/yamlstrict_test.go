package yamlstrict

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestErrorMessage: the one message shape, with and without line, key, got and underlying error.
func TestErrorMessage(t *testing.T) {
	under := errors.New("open x.yaml: no such file")
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Key: "front_end.lanes", Expected: "an integer", Got: `"many"`},
			`a.yaml:3: front_end.lanes: expected an integer, got "many"`},
		{Error{File: "a.yaml", Key: "units", Expected: "an integer"}, `a.yaml: units: expected an integer`},
		{Error{File: "a.yaml", Line: 1, Expected: "a mapping", Got: "a list"}, `a.yaml:1: expected a mapping, got a list`},
		{Error{File: "s.yaml", Line: 2, Key: "base", Err: under}, `s.yaml:2: base: open x.yaml: no such file`},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
	e := &Error{File: "s.yaml", Key: "base", Err: under}
	if !errors.Is(fmt.Errorf("wrapped: %w", e), under) {
		t.Error("Unwrap does not reach the underlying error")
	}
}

// TestParse: one document or none; a second document and bad syntax are errors with lines.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		empty     bool
		line      int
		expected  string
	}{
		{"mapping", "a: 1\n", false, 0, ""},
		{"empty", "", true, 0, ""},
		{"comments only", "# nothing\n", true, 0, ""},
		{"two documents", "a: 1\n---\nb: 2\n", false, 2, "a single YAML document"},
		{"unclosed list", "a: [1\n", false, 2, "valid YAML"},
		{"tab", "a: 1\n\tb: 2\n", false, 2, "valid YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := Parse("f.yaml", []byte(tc.src))
			if tc.expected == "" {
				if err != nil || (root == nil) != tc.empty {
					t.Fatalf("root %v, error %v", root, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Line != tc.line || !strings.Contains(e.Expected, tc.expected) {
				t.Errorf("error %#v, want line %d expected ~%q", err, tc.line, tc.expected)
			}
		})
	}
}

// TestMapping: unknown keys, duplicate keys, non-plain keys and non-mappings are errors at the
// offending key, with the dotted path; aliases are followed.
func TestMapping(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		allowed   []string
		line      int
		key, exp  string
		got       string
	}{
		{"fine", "a: 1\nb: {c: 2}\n", []string{"a", "b"}, 0, "", "", ""},
		{"unknown", "a: 1\nz: 2\n", []string{"a", "b"}, 2, "top.z", "a key among a, b", `unknown key "z"`},
		{"duplicate", "a: 1\nb: 2\na: 3\n", nil, 3, "top.a", "each key once", `a second "a" (the first is on line 1)`},
		{"list key", "[1]: 2\n", nil, 1, "top", "a plain key", "a list"},
		{"not a mapping", "- a\n", nil, 1, "top", "a section", "a list"},
		{"null", "~\n", nil, 1, "top", "a section", "nothing (null)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := Parse("f.yaml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			fields, err := Mapping("f.yaml", root, "top", "a section", tc.allowed)
			if tc.exp == "" {
				if err != nil || len(fields) != 2 || fields[1].Key != "b" || fields[1].Value.Kind == 0 {
					t.Errorf("fields %+v, error %v", fields, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.File != "f.yaml" || e.Line != tc.line || e.Key != tc.key || e.Expected != tc.exp || e.Got != tc.got {
				t.Errorf("got %#v, want line %d key %q expected %q got %q", e, tc.line, tc.key, tc.exp, tc.got)
			}
		})
	}
}

// TestAliasesFollowed: a value given by an alias reads as the anchored value.
func TestAliasesFollowed(t *testing.T) {
	root, err := Parse("f.yaml", []byte("a: &x {c: 1}\nb: *x\n"))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := Mapping("f.yaml", root, "", "a mapping", nil)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := Mapping("f.yaml", fields[1].Value, "b", "a mapping", []string{"c"})
	if err != nil || len(inner) != 1 || inner[0].Value.Value != "1" {
		t.Errorf("alias: %+v, %v", inner, err)
	}
}
