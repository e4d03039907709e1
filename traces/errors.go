package traces

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// FormatError reports a trace file that does not follow the format: one clear message naming
// the file, the member or field, what was expected and what was found, e.g.
//
//	trace.npz: member "b0.l0.h1.k": expected int8, int16 or int32 of shape [m, 64], got float32 [512 32]
//
// Readers, writers and validators of this package return every format problem as a
// *FormatError; use errors.As to inspect it.
type FormatError struct {
	// File is the path of the trace file as given by the caller.
	File string
	// Field locates the problem inside the file, in one of these forms:
	//	member "NAME"              an archive member (without the ".npy" suffix)
	//	member "NAME" at [i, j]    one element of a member
	//	meta.FIELD                 a field of the JSON meta object
	//	head bB.lL.hH: FIELD       a field of a Head handed to a Writer
	// It is empty when the problem concerns the file as a whole (missing, not a zip archive).
	Field string
	// Expected says what the format requires there.
	Expected string
	// Got says what was found.
	Got string
	// Err is the underlying error, if any (for example fs.ErrNotExist for a missing file).
	Err error
}

// Error formats the problem as "FILE: FIELD: expected EXPECTED, got GOT".
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "expected %s, got %s", e.Expected, e.Got)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *FormatError) Unwrap() error { return e.Err }

// SpecError reports an invalid GenSpec field. Field is the field's JSON name (seq_len, bits_q,
// prune_rate, ...), which is also the name under which the spec is recorded in a generated
// trace's meta.generator; the command line spells the same names with dashes (--seq-len).
type SpecError struct {
	Field    string
	Expected string
	Got      string
}

// Error formats the problem as "synthetic trace spec: FIELD: expected EXPECTED, got GOT".
func (e *SpecError) Error() string {
	return fmt.Sprintf("synthetic trace spec: %s: expected %s, got %s", e.Field, e.Expected, e.Got)
}

// memberField is the FormatError.Field of an archive member.
func memberField(name string) string { return fmt.Sprintf("member %q", name) }

// elemField is the FormatError.Field of one element of a member.
func elemField(name string, idx ...int) string {
	parts := make([]string, len(idx))
	for i, v := range idx {
		parts[i] = fmt.Sprint(v)
	}
	return fmt.Sprintf("member %q at [%s]", name, strings.Join(parts, ", "))
}

// headName is the member prefix of head (b, l, h): "b0.l11.h3".
func headName(b, l, h int) string { return fmt.Sprintf("b%d.l%d.h%d", b, l, h) }

// fileError describes an error opening or reading the file itself.
func fileError(path string, err error) *FormatError {
	got := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		got = pe.Err.Error()
	}
	return &FormatError{File: path, Expected: "an existing, readable trace file (.npz)", Got: got, Err: err}
}
