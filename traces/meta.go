package traces

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Allowed values of Meta.EmptyRow and Meta.ThresholdGranularity.
const (
	EmptyRowZero    = "zero"
	EmptyRowKeepMax = "keep_max"

	GranularityLayer = "layer"
	GranularityHead  = "head"
)

// Limits on the trace dimensions this package accepts, far above any real model; they keep a
// corrupt meta from asking for absurd allocations.
const (
	maxDim   = 1 << 20 // inputs, layers or heads
	maxHeads = 1 << 28 // inputs * layers * heads
)

// metaFieldKind returns the JSON type of a known meta field ("" for unknown fields). It is the
// one list of the fields FORMAT.md defines.
func metaFieldKind(name string) string {
	switch name {
	case "format", "model", "task", "source", "empty_row", "threshold_granularity":
		return "a string"
	case "version", "inputs", "layers", "heads", "bits_q", "bits_k", "bits_v":
		return "an integer"
	case "synthetic", "causal":
		return "a boolean"
	case "metric", "generator":
		return "an object"
	}
	return ""
}

// requiredMetaFields lists the meta fields that must be present, in FORMAT.md order.
func requiredMetaFields() []string {
	return []string{"format", "version", "model", "task", "source", "synthetic", "inputs",
		"layers", "heads", "bits_q", "bits_k", "bits_v", "causal", "empty_row",
		"threshold_granularity"}
}

// MarshalJSON writes the known fields in FORMAT.md order, then the fields of Extra in key
// order, so that a trace read and written again keeps fields this version does not know.
func (m Meta) MarshalJSON() ([]byte, error) {
	type plain Meta
	out, err := json.Marshal(plain(m))
	if err != nil || len(m.Extra) == 0 {
		return out, err
	}
	keys := make([]string, 0, len(m.Extra))
	for k := range m.Extra {
		if metaFieldKind(k) == "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out = out[:len(out)-1] // drop the closing brace
	for _, k := range keys {
		v := m.Extra[k]
		if !json.Valid(v) {
			return nil, fmt.Errorf("traces: meta field %q: invalid JSON %q", k, v)
		}
		kb, _ := json.Marshal(k)
		out = append(out, ',')
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, '}'), nil
}

// UnmarshalJSON reads the known fields and keeps the others in Extra.
func (m *Meta) UnmarshalJSON(data []byte) error {
	type plain Meta
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	p.Extra = nil
	for k, v := range obj {
		if metaFieldKind(k) != "" {
			continue
		}
		if p.Extra == nil {
			p.Extra = make(map[string]json.RawMessage)
		}
		p.Extra[k] = v
	}
	*m = Meta(p)
	return nil
}

// NumHeads is the number of heads in the trace: Inputs * Layers * Heads.
func (m Meta) NumHeads() int { return m.Inputs * m.Layers * m.Heads }

// Validate checks the meta fields FORMAT.md constrains: format and version, dimensions of at
// least 1, bits in 2..16, and the empty_row and threshold_granularity values. Its errors are
// *FormatError values with an empty File.
func (m Meta) Validate() error {
	if err := m.validate(); err != nil {
		return err
	}
	return nil
}

func (m Meta) validate() *FormatError {
	if m.Format != FormatName {
		return &FormatError{Field: "meta.format", Expected: strconv.Quote(FormatName), Got: strconv.Quote(m.Format)}
	}
	if m.Version != FormatVersion {
		return &FormatError{Field: "meta.version", Expected: strconv.Itoa(FormatVersion), Got: strconv.Itoa(m.Version)}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"inputs", m.Inputs}, {"layers", m.Layers}, {"heads", m.Heads}} {
		if f.v < 1 || f.v > maxDim {
			return &FormatError{Field: "meta." + f.name, Expected: fmt.Sprintf("an integer in 1..%d", maxDim), Got: strconv.Itoa(f.v)}
		}
	}
	if n := int64(m.Inputs) * int64(m.Layers) * int64(m.Heads); n > maxHeads {
		return &FormatError{Field: "meta.inputs", Expected: fmt.Sprintf("inputs*layers*heads at most %d", maxHeads),
			Got: fmt.Sprintf("%d*%d*%d = %d", m.Inputs, m.Layers, m.Heads, n)}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"bits_q", m.BitsQ}, {"bits_k", m.BitsK}, {"bits_v", m.BitsV}} {
		if f.v < 2 || f.v > 16 {
			return &FormatError{Field: "meta." + f.name, Expected: "an integer in 2..16", Got: strconv.Itoa(f.v)}
		}
	}
	if m.EmptyRow != EmptyRowZero && m.EmptyRow != EmptyRowKeepMax {
		return &FormatError{Field: "meta.empty_row", Expected: `"zero" or "keep_max"`, Got: strconv.Quote(m.EmptyRow)}
	}
	if m.ThresholdGranularity != GranularityLayer && m.ThresholdGranularity != GranularityHead {
		return &FormatError{Field: "meta.threshold_granularity", Expected: `"layer" or "head"`, Got: strconv.Quote(m.ThresholdGranularity)}
	}
	return nil
}

// parseMeta decodes and validates the bytes of the "meta" member. It reports, in this order:
// bytes that are not a UTF-8 JSON object, a wrong format or version (checked first, since
// another version may define other fields), a field of the wrong JSON type, a missing required
// field, and the value constraints of Meta.Validate.
func parseMeta(raw []byte) (Meta, *FormatError) {
	bad := func(got string) *FormatError {
		return &FormatError{Field: memberField("meta"), Expected: "a UTF-8 JSON object", Got: got}
	}
	if !utf8.Valid(raw) {
		return Meta{}, bad("invalid UTF-8")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Meta{}, bad("a JSON " + te.Value)
		}
		return Meta{}, bad("invalid JSON: " + err.Error())
	}
	if obj == nil {
		return Meta{}, bad("null")
	}
	shown := func(name string) string {
		v, ok := obj[name]
		if !ok {
			return "missing"
		}
		s := string(bytes.TrimSpace(v))
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return s
	}
	var format string
	if err := json.Unmarshal(obj["format"], &format); err != nil || format != FormatName {
		return Meta{}, &FormatError{Field: "meta.format", Expected: strconv.Quote(FormatName), Got: shown("format")}
	}
	var version int
	if err := json.Unmarshal(obj["version"], &version); err != nil || version != FormatVersion {
		return Meta{}, &FormatError{Field: "meta.version", Expected: strconv.Itoa(FormatVersion), Got: shown("version")}
	}
	var m Meta
	if err := json.Unmarshal(raw, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			want := metaFieldKind(te.Field)
			if want == "" {
				want = "a JSON " + te.Type.Kind().String()
			}
			return Meta{}, &FormatError{Field: "meta." + te.Field, Expected: want, Got: shown(te.Field)}
		}
		return Meta{}, bad("undecodable JSON: " + err.Error())
	}
	for _, name := range requiredMetaFields() {
		if v, ok := obj[name]; !ok || string(bytes.TrimSpace(v)) == "null" {
			return Meta{}, &FormatError{Field: "meta." + name, Expected: metaFieldKind(name), Got: shown(name)}
		}
	}
	if err := m.validate(); err != nil {
		return Meta{}, err
	}
	return m, nil
}
