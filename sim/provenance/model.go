package provenance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/lrpsim/lrpsim/energy"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
)

// probeConfigs are the configurations of the model-version probe: the default, the first
// (serial) memory model and each pruning policy, as bundled names ("" is the default).
func probeConfigs() []string {
	return []string{"", "serial-memory.yaml", "policies/row-relative.yaml", "policies/row-relative-spec.yaml",
		"policies/sanger.yaml", "policies/spatten.yaml"}
}

// probeTraces are the bundled traces of the probe: a small real one and the synthetic default.
func probeTraces() []string {
	return []string{"bundled:memn2n-babi-qa1.npz", "bundled:synthetic-default.npz"}
}

// ModelVersion is the version of the simulator's model: the sha256 of the JSON results (cycles,
// stalls, action counts, energy) of every probe configuration on every probe trace, priced with
// the built-in 45 nm table, with the event engine (the reference engine is held to it by the
// engines' agreement tests). It is computed, not declared: any change
// of what the simulator computes on the probe changes it, a refactor that keeps the numbers does
// not. It takes a few seconds.
//
// The probe's inputs are the embedded configs, traces and table: editing one of them changes
// the version too, which errs on the safe side (results record their own inputs besides).
func ModelVersion() (string, error) {
	table, err := energy.DefaultTable("45nm")
	if err != nil {
		return "", fmt.Errorf("model version: %w", err)
	}
	h := sha256.New()
	for _, name := range probeConfigs() {
		var cfg *sim.Config
		if name == "" {
			cfg, err = sim.DefaultConfig()
		} else {
			cfg, err = sim.BundledConfig(name)
		}
		if err != nil {
			return "", fmt.Errorf("model version: %w", err)
		}
		for _, trace := range probeTraces() {
			res, _, err := tabulate.Simulate(cfg, trace, sim.EngineEvent, table)
			if err != nil {
				return "", fmt.Errorf("model version: %s on %s: %w", name, trace, err)
			}
			res.Version = "" // a declared version is no part of the behaviour
			data, err := json.Marshal(res)
			if err != nil {
				return "", fmt.Errorf("model version: %w", err)
			}
			fmt.Fprintf(h, "%s %s %d\n", name, trace, len(data))
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
