package main

import (
	"github.com/spf13/pflag"

	"github.com/lrpsim/lrpsim/sim"
)

// configHelp is the help of --config where a command takes one design.
const configHelp = "configuration YAML (overlays the default configs/leopard.yaml), or bundled:NAME for a bundled one"

// setHelp is the help of --set, on every command that takes a config.
const setHelp = "change one config key after the file is read, KEY=VALUE with a YAML value (e.g. --set units=4 --set memory.model=serial); repeatable, applied in order, checked as the file is"

// configFlags are the flags of a command that takes one config: --config and --set.
type configFlags struct {
	config string
	sets   []string
}

// add declares --config (-c) with help and --set.
func (f *configFlags) add(fl *pflag.FlagSet, help string) {
	fl.StringVarP(&f.config, "config", "c", "", help)
	addSetFlag(fl, &f.sets)
}

// open opens the config as every command does (sim.OpenConfig).
func (f configFlags) open() (*sim.Config, error) { return sim.OpenConfig(f.config, f.sets) }

// addSetFlag declares --set into sets. It is an array flag: a value may hold commas
// (--set baselines=[dense,et_only]).
func addSetFlag(fl *pflag.FlagSet, sets *[]string) {
	fl.StringArrayVar(sets, sim.SetFlag[2:], nil, setHelp)
}
