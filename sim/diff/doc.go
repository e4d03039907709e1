// Package diff compares two CSVs of lrpsim results, an old one (a committed baseline) and a new
// one, and says whether the design got worse: the engine of `lrpsim diff OLD.csv NEW.csv`.
//
// It reads the CSVs of `lrpsim sweep` (a row per point: point, trace, model, task, the swept
// config keys, then the metrics of the registry in sim/report) and of `lrpsim table --format csv`
// (a row per trace, family, mean and the paper's figures: kind, model, task, trace, then the
// table's metrics). Rows are matched by their point: the trace and the swept keys' values for a
// sweep, the kind, model, task and trace for a table. Both files must have the same columns.
//
// Every metric column has a direction (see [RuleOf]): higher is better for the ratios (speedup,
// energy and EDP reductions), lower for cycles, energy, area, stalls and traffic, and none for
// what describes rather than rates a run (pruning rate, utilizations, bound shares, the
// baselines' own values). A change beyond its [Tolerance] in the worse direction of a checked
// metric is a regression; the headline metrics are checked by default, and naming a metric in
// [Options.Tolerances] checks it. Other changes beyond tolerance are reported, never failed.
// A point of the old file missing from the new one is a regression unless
// [Options.AllowRemoved]; a point only in the new file is reported as added.
//
// [Compare] gives a [Report], which writes itself as Markdown for a pull request
// ([Report.WriteMarkdown]) and as JUnit XML for a CI system ([Report.WriteJUnit]). Bad input (a
// missing file, a header of another layout, different columns, a duplicate point, a metric cell
// that is not a number) is an error naming the file, the line and the column, found before
// anything is written.
package diff
