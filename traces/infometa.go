package traces

import (
	"bytes"
	"encoding/json"
	"strings"
)

// infoValueWidth is the widest value column of trace info's metric and generator lines: with
// the key column, a line fits in 100 columns.
const infoValueWidth = 88

// metaFieldLines renders a meta field (metric, generator) for trace info, straight from the
// file's bytes so that numbers print exactly as written: an object as one "key: value" line per
// field in the file's order, nested objects indented under their key, long values wrapped at
// width with their continuation lines indented under the value; anything else as one value.
// A field that is absent or null is "none".
func metaFieldLines(raw []byte, name string, width int) []string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return []string{"none"}
	}
	v, ok := obj[name]
	if !ok || string(bytes.TrimSpace(v)) == "null" {
		return []string{"none"}
	}
	return metaValueLines(v, "", width)
}

// metaValueLines renders one JSON value with the given indentation.
func metaValueLines(v json.RawMessage, indent string, width int) []string {
	keys, vals, ok := orderedObject(v)
	if !ok || len(keys) == 0 {
		return wrapValue(indent, metaScalar(v), width)
	}
	var out []string
	for i, k := range keys {
		if ks, _, nested := orderedObject(vals[i]); nested && len(ks) > 0 {
			out = append(out, indent+k+":")
			out = append(out, metaValueLines(vals[i], indent+"  ", width)...)
			continue
		}
		out = append(out, wrapValue(indent+k+": ", metaScalar(vals[i]), width)...)
	}
	return out
}

// orderedObject splits a JSON object into its keys and values in the file's order; ok is
// false for anything but an object.
func orderedObject(v json.RawMessage) (keys []string, vals []json.RawMessage, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(v))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		k, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, nil, false
		}
		keys, vals = append(keys, k), append(vals, val)
	}
	return keys, vals, true
}

// metaScalar is the text of a value on one line: a string unquoted, anything else inline.
func metaScalar(v json.RawMessage) string {
	if string(bytes.TrimSpace(v)) == "null" {
		return "null"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return metaInline(v)
}

// metaInline writes a value on one line with spaces after the separators, so that it wraps:
// [0.1, 0.2], {lam: 0.02, metric: 0.99}; strings inside keep their quotes.
func metaInline(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if keys, vals, ok := orderedObject(v); ok {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + metaInline(vals[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	var elems []json.RawMessage
	if len(v) > 0 && v[0] == '[' && json.Unmarshal(v, &elems) == nil {
		parts := make([]string, len(elems))
		for i, e := range elems {
			parts[i] = metaInline(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// wrapValue breaks prefix+text into lines of at most width bytes at spaces (a longer word
// stands alone), the continuation lines indented to the end of prefix.
func wrapValue(prefix, text string, width int) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return []string{strings.TrimRight(prefix, " ")}
	}
	var out []string
	line := prefix + words[0]
	pad := strings.Repeat(" ", len(prefix))
	for _, w := range words[1:] {
		if len(line)+1+len(w) > width {
			out = append(out, line)
			line = pad + w
			continue
		}
		line += " " + w
	}
	return append(out, line)
}
