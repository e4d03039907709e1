// Package report turns a [sim.Result] into what people read and tabulate: the text report of
// `lrpsim run`, its JSON object (--json) and its CSV (--csv). Every number these reports, the
// sweep CSV (sim/sweep) and the results table (sim/tabulate) take from a result is a [Metric] of
// one registry, [Metrics]: a name, a unit, a description and how the value is read from a [Run]
// (the design or one baseline of a result). A metric added to the registry appears in both CSVs
// under one name, written by [Value.String] in one format.
package report
