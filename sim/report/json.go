package report

import (
	"encoding/json"
	"io"
	"math"

	"github.com/lrpsim/lrpsim/sim"
)

// jsonResult is the JSON shape: the Result (every count the registry's metrics are read from,
// and the ratios), the config's name, the per-layer pruning, and every registry metric of every
// run under "metrics" (run name, then metric name), with the CSVs' numbers.
type jsonResult struct {
	*sim.Result
	ConfigName    string                                `json:"config"`
	PruningLayers []sim.LayerPruning                    `json:"pruning_by_layer"`
	Metrics       map[string]map[string]json.RawMessage `json:"metrics"`
}

// WriteJSON prints res as one indented JSON object.
func WriteJSON(w io.Writer, res *sim.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonResult{Result: res, ConfigName: res.Config.Name, PruningLayers: sim.PruningByLayer(res.Design),
		Metrics: metricsJSON(res)})
}

// metricsJSON reads every registry metric of every run, as the CSVs write them; an absent value
// (an energy metric of an unpriced result) or one JSON cannot hold is null.
func metricsJSON(res *sim.Result) map[string]map[string]json.RawMessage {
	out := map[string]map[string]json.RawMessage{}
	for _, r := range Runs(res) {
		m := map[string]json.RawMessage{}
		for _, metric := range Metrics() {
			v := metric.Of(r)
			f := v.Float64()
			if v.Absent || (!v.IsInt && (math.IsNaN(f) || math.IsInf(f, 0))) {
				m[metric.Name] = json.RawMessage("null")
				continue
			}
			m[metric.Name] = json.RawMessage(v.String())
		}
		out[r.Name] = m
	}
	return out
}
