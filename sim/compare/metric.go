package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// The closed-loop metrics a PointsFile may name (its metric field), each with its per-input
// measurements and its loss against the dense model, in the metric's own unit.
const (
	// MetricAccuracy: per question whether the answer was right (SplitResult.Correct); the loss
	// is the dense accuracy minus the point's, a fraction (0.002 is 0.2 accuracy points).
	MetricAccuracy = "accuracy"
	// MetricCosine: per input the cosine similarity of the model's output to the dense float
	// model's (SplitResult.Values); the loss is the mean over inputs of the dense value minus the
	// point's, in 1 - cosine.
	MetricCosine = "cosine_to_dense"
	// MetricPerplexity: per sequence the summed negative log-likelihood in nats
	// (SplitResult.Values) and the number of predicted tokens (SplitResult.Tokens); perplexity is
	// exp(sum of the values / sum of the tokens), lower is better, and the loss is the relative
	// perplexity rise, the point's perplexity over the dense model's minus 1.
	MetricPerplexity = "perplexity"
)

// Metrics lists the closed-loop metrics, in the order captions name them.
func Metrics() []string {
	return []string{MetricAccuracy, MetricCosine, MetricPerplexity}
}

// metricHigherIsBetter says whether the metric rises as the model improves (perplexity falls).
func metricHigherIsBetter(metric string) bool {
	return metric != MetricPerplexity
}

// LossUnit names the unit of a metric's loss ("accuracy points", "1 - cosine" or "relative
// perplexity rise"), and false for a metric that is not one of Metrics.
func LossUnit(metric string) (string, bool) {
	switch metric {
	case MetricAccuracy:
		return "accuracy points", true
	case MetricCosine:
		return "1 - cosine", true
	case MetricPerplexity:
		return "relative perplexity rise", true
	}
	return "", false
}

// checkMetric refuses a metric that is not one of Metrics and a higher_is_better that disagrees
// with it (perplexity false; the others true or absent).
func checkMetric(metric string, higherIsBetter *bool) error {
	if _, ok := LossUnit(metric); !ok {
		return fmt.Errorf("metric %q: expected %s", metric, strings.Join(Metrics(), ", "))
	}
	want := metricHigherIsBetter(metric)
	got, said := true, "absent (true)"
	if higherIsBetter != nil {
		got, said = *higherIsBetter, strconv.FormatBool(*higherIsBetter)
	}
	if got != want {
		expected := "true or absent"
		if !want {
			expected = "false (a lower perplexity is better)"
		}
		return fmt.Errorf("higher_is_better: %s for metric %q: expected %s", said, metric, expected)
	}
	return nil
}

// InputValues are a split's per-input measurements (SplitResult.Values). A null entry decodes to
// NaN and a number beyond float64's range to ±Inf, so that checkSplitValues can refuse them with
// their JSON path.
type InputValues []float64

// UnmarshalJSON implements json.Unmarshaler.
func (v *InputValues) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*v = nil
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("values: expected an array of numbers: %w", err)
	}
	out := make(InputValues, len(raw))
	for i, r := range raw {
		s := string(bytes.TrimSpace(r))
		if s == "null" {
			out[i] = math.NaN()
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) { // the decoder adds the field's path
			return &json.UnmarshalTypeError{Value: s, Type: reflect.TypeFor[float64](), Field: strconv.Itoa(i)}
		}
		out[i] = x
	}
	*v = out
	return nil
}

// checkSplitValues checks one split result of a metric measured per input (cosine_to_dense,
// perplexity): at least one input, values exactly questions finite numbers, and for perplexity
// tokens as many, each above zero. where is the file and the result's JSON path.
func checkSplitValues(metric string, r SplitResult, where string) error {
	if r.Questions <= 0 {
		return fmt.Errorf("%s.questions: %d: expected at least one input", where, r.Questions)
	}
	if len(r.Values) != r.Questions {
		return fmt.Errorf("%s.values: %d values, expected %d (questions)", where, len(r.Values), r.Questions)
	}
	for i, x := range r.Values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s.values[%d]: %v: expected a finite number (null, NaN and Infinity are not)", where, i, x)
		}
	}
	if metric != MetricPerplexity {
		return nil
	}
	if len(r.Tokens) != r.Questions {
		return fmt.Errorf("%s.tokens: %d counts, expected %d (questions): one count of predicted tokens per sequence", where, len(r.Tokens), r.Questions)
	}
	for i, n := range r.Tokens {
		if n <= 0 {
			return fmt.Errorf("%s.tokens[%d]: %d: expected a positive count of predicted tokens", where, i, n)
		}
	}
	return nil
}

// nonFiniteHint explains a JSON syntax error at NaN or Infinity, which JSON cannot hold and
// Python's json.dump writes by default; other errors pass unchanged.
func nonFiniteHint(raw []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) || se.Offset < 1 || se.Offset > int64(len(raw)) {
		return err
	}
	at := raw[se.Offset-1:]
	if !bytes.HasPrefix(at, []byte("NaN")) && !bytes.HasPrefix(at, []byte("Infinity")) {
		return err
	}
	line := 1 + bytes.Count(raw[:se.Offset], []byte("\n"))
	return fmt.Errorf("line %d: a non-finite number (NaN or Infinity, which JSON has not): expected finite values: %w", line, err)
}

// PairedLoss is one split's per-input measurements of the dense model and of a point, paired by
// input (the same inputs in the same order), from which Loss makes the point's loss in the
// metric's unit over any resample of the inputs: the paired bootstrap and the point's own loss
// come from the same function.
type PairedLoss struct {
	Metric string
	// Dense and Point are per input: accuracy 1 (right) or 0, cosine_to_dense the cosine to the
	// dense float model's output, perplexity the sequence's summed negative log-likelihood (nats).
	Dense, Point []float64
	// Tokens are perplexity's per-sequence predicted tokens, the weights of its mean
	// log-likelihood; nil for the other metrics (every input weighs one).
	Tokens []int
}

// Len is the number of inputs.
func (l PairedLoss) Len() int { return len(l.Dense) }

// Loss is the point's loss over the inputs idx (an input may repeat; nil: every input once), in
// the metric's unit: accuracy and cosine_to_dense the mean of dense - point; perplexity
// exp((sum of point - dense) / sum of tokens) - 1, the relative perplexity rise. NaN over no
// inputs.
func (l PairedLoss) Loss(idx []int) float64 {
	lower := !metricHigherIsBetter(l.Metric)
	var diff float64
	var weight int
	add := func(i int) {
		d, w := l.Dense[i]-l.Point[i], 1
		if lower {
			d = -d
		}
		if l.Tokens != nil {
			w = l.Tokens[i]
		}
		diff += d
		weight += w
	}
	if idx == nil {
		for i := range l.Dense {
			add(i)
		}
	} else {
		for _, i := range idx {
			add(i)
		}
	}
	if weight == 0 {
		return math.NaN()
	}
	if l.Metric == MetricPerplexity {
		return math.Expm1(diff / float64(weight))
	}
	return diff / float64(weight)
}

// pairSplit pairs a point's split result with the dense model's in metric's per-input form.
// where names the file and the point's split (designs[i].points[j].test).
func pairSplit(metric string, dense, point SplitResult, where string) (PairedLoss, error) {
	if metric == MetricAccuracy {
		d, err := unpackBits(dense.Correct, dense.Questions)
		if err != nil {
			return PairedLoss{}, fmt.Errorf("%s: dense: %w", where, err)
		}
		p, err := unpackBits(point.Correct, point.Questions)
		if err != nil {
			return PairedLoss{}, fmt.Errorf("%s: %w", where, err)
		}
		if len(d) != len(p) {
			return PairedLoss{}, fmt.Errorf("%s: %d questions, the dense model's %d: expected the same questions", where, len(p), len(d))
		}
		l := PairedLoss{Metric: metric, Dense: make([]float64, len(d)), Point: make([]float64, len(p))}
		for i := range d {
			l.Dense[i], l.Point[i] = float64(d[i]), float64(p[i])
		}
		return l, nil
	}
	if point.Questions != dense.Questions {
		return PairedLoss{}, fmt.Errorf("%s: %d questions, the dense model's %d: expected the same inputs", where, point.Questions, dense.Questions)
	}
	if len(point.Values) != len(dense.Values) || metric == MetricPerplexity && (len(point.Tokens) != len(point.Values) || len(dense.Tokens) != len(dense.Values)) {
		return PairedLoss{}, fmt.Errorf("%s: %d values and %d token counts, the dense model's %d and %d: expected one value per input (perplexity: and one token count)",
			where, len(point.Values), len(point.Tokens), len(dense.Values), len(dense.Tokens))
	}
	l := PairedLoss{Metric: metric, Dense: []float64(dense.Values), Point: []float64(point.Values)}
	if metric == MetricPerplexity {
		for i, n := range point.Tokens {
			if n != dense.Tokens[i] {
				return PairedLoss{}, fmt.Errorf("%s.tokens[%d]: %d tokens, the dense model's %d: expected the same inputs", where, i, n, dense.Tokens[i])
			}
		}
		l.Tokens = dense.Tokens
	}
	return l, nil
}
