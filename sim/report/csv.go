package report

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/lrpsim/lrpsim/sim"
)

// runColumns are the columns of `lrpsim run --csv` before the metrics: which run, and of what.
func runColumns() []string {
	return []string{"run", "config", "engine", "trace", "model", "task", "synthetic"}
}

// CSVHeader is the header of WriteCSV: the run columns, every registry metric by name, and
// energy_table.
func CSVHeader() []string {
	h := runColumns()
	for _, m := range Metrics() {
		h = append(h, m.Name)
	}
	return append(h, "energy_table")
}

// WriteCSV prints a tidy CSV of res: the header and one row for the design and each baseline,
// every metric of the registry in its column, written as [Value.String] writes it (the sweep
// CSV's format).
func WriteCSV(w io.Writer, res *sim.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return err
	}
	metrics := Metrics()
	for _, r := range Runs(res) {
		row := []string{r.Name, r.Stats.Config, res.Engine, res.Trace.Path, res.Trace.Model, res.Trace.Task,
			strconv.FormatBool(res.Trace.Synthetic)}
		for _, m := range metrics {
			row = append(row, m.Of(r).String())
		}
		table := ""
		if res.Energy != nil {
			table = res.Energy.Table
		}
		if err := cw.Write(append(row, table)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
