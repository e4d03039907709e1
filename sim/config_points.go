package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// OperatingPoints is a design's knob grid for the accuracy-speed frontier (results/frontier):
// the knob and the values it is swept over, each one operating point that the closed loop
// measures and lrpsim compare --budget simulates. Empty (no knob) leaves the design at its one
// configured point.
type OperatingPoints struct {
	// Knob is a dotted pruning key (pruning.margin, pruning.epsilon, pruning.theta,
	// pruning.keep_fraction, thresholds.scale) or lambda: LeOPArd's threshold regularizer, a
	// training knob that changes the model and so the trace, not this config.
	Knob   string    `yaml:"knob"`
	Values []float64 `yaml:"values"`
}

// KnobLambda is the training knob of learned-threshold designs (OperatingPoints.Knob).
const KnobLambda = "lambda"

// operatingKnobs are the knobs a grid may sweep: the training-free rules' own parameters, the
// learned thresholds' scale, and LeOPArd's lambda.
var operatingKnobs = []string{KnobLambda, "pruning.epsilon", "pruning.keep_fraction", "pruning.margin",
	"pruning.theta", "thresholds.scale"}

// AtOperatingPoint returns a copy of c with its grid's knob set to v (checked like a config
// file's value); the knob lambda changes the trace, not the config, so c is copied unchanged.
func (c *Config) AtOperatingPoint(v float64) (*Config, error) {
	d := c.Clone()
	if c.OperatingPoints.Knob == KnobLambda {
		return d, nil
	}
	d.OperatingPoints = OperatingPoints{} // its own check would recurse into Set
	if err := d.Set(c.file, c.OperatingPoints.Knob, v); err != nil {
		return nil, err
	}
	d.OperatingPoints = c.OperatingPoints
	return d, nil
}

// operatingPointProblems checks the grid: a known knob, at least one value, strictly
// increasing and finite, each a value the knob accepts (lambda: 0 or more).
func (c *Config) operatingPointProblems() []error {
	op := c.OperatingPoints
	if op.Knob == "" && len(op.Values) == 0 {
		return nil
	}
	if !slices.Contains(operatingKnobs, op.Knob) {
		return []error{c.errAt("operating_points.knob", "one of "+strings.Join(operatingKnobs, ", "), fmt.Sprintf("%q", op.Knob))}
	}
	if len(op.Values) == 0 {
		return []error{c.errAt("operating_points.values", "a non-empty list of the knob's values", "[]")}
	}
	for i, v := range op.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) || (i > 0 && !(v > op.Values[i-1])) {
			return []error{c.errAt("operating_points.values", "finite values in strictly increasing order", fmt.Sprint(op.Values))}
		}
		if op.Knob == KnobLambda {
			if v < 0 {
				return []error{c.errAt("operating_points.values", "lambda values of 0 or more", v)}
			}
			continue
		}
		if _, err := c.AtOperatingPoint(v); err != nil {
			return []error{c.errAt("operating_points.values", "values that "+op.Knob+" accepts ("+err.Error()+")", v)}
		}
	}
	return nil
}
