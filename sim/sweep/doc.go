// Package sweep runs parameter sweeps: a grid over any configuration key and over traces,
// simulated in parallel, written as one tidy CSV (a row per point) and a JSON manifest.
//
// A sweep file is YAML:
//
//	name: lanes-x-bpc            # optional; default: the file name without .yaml
//	base: ../leopard.yaml        # optional base config, relative to this file; default: built-in
//	traces:                      # optional; default: the bundled default trace
//	  - bundled:synthetic-default.npz
//	  - ../../traces/bert.npz    # paths are relative to this file
//	grid:                        # crossed: every combination, first key slowest
//	  front_end.lanes: [8, 16, 32]
//	  front_end.bits_per_cycle: [1, 2]
//	zip:                         # zipped: lists of one length, taken together, crossed with grid
//	  memory.sram_kv_bytes: [131072, 262144]
//	  memory.sram_q_bytes: [32768, 65536]
//	engine: event                # optional: event (default) or reference
//	energy: {node: 45nm}         # optional: a built-in node, or {table: FILE} relative to this file
//	baselines: [dense, et_only]  # optional: replaces the base config's baselines
//
// Keys are the dotted keys of a config file (sim.Config.Set checks them and their values). Points
// are numbered from 0: the grid's combinations in file order (first key slowest), then the zip's
// rows, then the traces (fastest). Unknown keys, wrong types, duplicate keys or values, empty
// lists, zipped lists of different lengths and a sweep with no swept key are errors naming the
// file, the line and the key; a value that the configuration rejects is an error naming the
// point and its values. All of this is checked before anything runs.
//
// The CSV has the columns point, trace, model, task, one per swept key (its value as written),
// then the design's metrics and, for each baseline, speedup, energy and EDP reductions, cycles
// and energy (see Plan.Columns). The metrics, their names and their number format are those of
// the registry in sim/report (report.Metrics), shared with `lrpsim run --csv`: floats in the
// shortest form that reads back exactly.
//
// A run records every finished point in a journal beside the CSV (see [JournalPath]), appended
// and synced, so that a run killed at any moment resumes where it stopped; the CSV and the
// manifest are written atomically at the end, and the journal removed. The bytes written do not
// depend on the number of jobs, on interruptions or on sharding: [Merge] joins the shards of a
// sweep into the bytes of an unsharded run.
package sweep
