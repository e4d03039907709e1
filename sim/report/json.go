package report

import (
	"encoding/json"
	"io"

	"github.com/lrpsim/lrpsim/sim"
)

// jsonResult is the JSON shape: the Result (every count the registry's metrics are read from,
// and the ratios) plus the config's name and the per-layer pruning.
type jsonResult struct {
	*sim.Result
	ConfigName    string             `json:"config"`
	PruningLayers []sim.LayerPruning `json:"pruning_by_layer"`
}

// WriteJSON prints res as one indented JSON object.
func WriteJSON(w io.Writer, res *sim.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonResult{Result: res, ConfigName: res.Config.Name, PruningLayers: sim.PruningByLayer(res.Design)})
}
