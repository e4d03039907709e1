package sim

import (
	"errors"
	"strings"
	"testing"
)

// TestOperatingPointsErrors: a bad grid is one error naming the file, the line and the key.
func TestOperatingPointsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		line       int
		key, want  string
	}{
		{"unknown knob", "operating_points:\n  knob: pruning.foo\n  values: [1]\n", 2, "operating_points.knob", "one of lambda"},
		{"no values", "pruning: {policy: sanger}\noperating_points:\n  knob: pruning.theta\n", 0, "operating_points.values", "a non-empty list"},
		{"not increasing", "pruning: {policy: sanger}\noperating_points:\n  knob: pruning.theta\n  values: [0.01, 0.005]\n", 4, "operating_points.values", "strictly increasing"},
		{"repeated", "operating_points:\n  knob: lambda\n  values: [0.1, 0.1]\n", 3, "operating_points.values", "strictly increasing"},
		{"negative lambda", "operating_points:\n  knob: lambda\n  values: [-0.1, 0.1]\n", 3, "operating_points.values", "0 or more"},
		{"value the knob refuses", "pruning: {policy: spatten}\noperating_points:\n  knob: pruning.keep_fraction\n  values: [0.5, 2]\n", 4, "operating_points.values", "values that pruning.keep_fraction accepts"},
		{"values a string", "operating_points:\n  knob: lambda\n  values: many\n", 3, "operating_points.values", "a list"},
		{"unknown key", "operating_points:\n  knobs: lambda\n", 2, "operating_points.knobs", "a key among knob, values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("p.yaml", []byte("name: x\n"+tc.yaml))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConfigError", err)
			}
			if tc.line > 0 {
				tc.line++ // the name line
			}
			if ce.File != "p.yaml" || ce.Key != tc.key || !strings.Contains(ce.Expected, tc.want) || (tc.line > 0 && ce.Line != tc.line) {
				t.Errorf("got %+v (%q), want line %d key %q expected ~%q", *ce, err, tc.line, tc.key, tc.want)
			}
		})
	}
}

// TestAtOperatingPoint: a pruning knob is set on a copy, checked like a file's value; lambda
// leaves the config as it is; the bundled configs' grids all parse.
func TestAtOperatingPoint(t *testing.T) {
	c, err := ParseConfig("s.yaml", []byte("name: s\npruning: {policy: sanger, theta: 0.002}\noperating_points: {knob: pruning.theta, values: [0.001, 0.01]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.AtOperatingPoint(0.01)
	if err != nil || d.Pruning.Theta != 0.01 || c.Pruning.Theta != 0.002 {
		t.Fatalf("AtOperatingPoint(0.01): theta %v (original %v), %v", d.Pruning.Theta, c.Pruning.Theta, err)
	}
	l, err := ParseConfig("l.yaml", []byte("name: l\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l.OperatingPoints.Knob != KnobLambda || len(l.OperatingPoints.Values) < 2 {
		t.Errorf("configs/leopard.yaml's grid: %+v, want lambda values", l.OperatingPoints)
	}
	if d, err := l.AtOperatingPoint(0.3); err != nil || d.Pruning.Theta != l.Pruning.Theta || d.Pruning.Margin != l.Pruning.Margin || d.Thresholds != l.Thresholds {
		t.Errorf("lambda changed the config: %v", err)
	}
	for _, name := range []string{"policies/row-relative.yaml", "policies/row-relative-spec.yaml", "policies/sanger.yaml", "policies/spatten.yaml"} {
		b, err := BundledConfig(name)
		if err != nil {
			t.Fatal(err)
		}
		if b.OperatingPoints.Knob == "" || b.OperatingPoints.Knob == KnobLambda || len(b.OperatingPoints.Values) < 3 {
			t.Errorf("%s: grid %+v, want a pruning knob and values", name, b.OperatingPoints)
		}
	}
}
