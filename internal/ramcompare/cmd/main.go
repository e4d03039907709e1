// Command ramcompare is the arithmetic of results/ramulator/regen.sh (run it from the
// repository root):
//
//	go run ./internal/ramcompare/cmd suite
//	go run ./internal/ramcompare/cmd expand -preset hbm2 -csv LRPSIM_CSV LRPSIM_TRACE OUT
//	go run ./internal/ramcompare/cmd table -dir DIR -md OUT.md -csv OUT.csv
//	go run ./internal/ramcompare/cmd summary -csv COMPARISON.csv -md SUMMARY.md
//
// suite prints the suite's trace names (the bundled real traces of `lrpsim table`); expand
// writes the requests Ramulator replays from lrpsim's `--dram-trace` (ramcompare.Expand) and
// prints their number; table reads DIR/<trace>.<preset>.{lt,csv,ram,flood.yaml,flood.lat,
// unloaded.yaml,unloaded.lat} (lrpsim's two traces, the replayed requests, Ramulator's
// statistics and latencies of both replays) for every <trace>.<preset>.lt there and writes the comparison;
// summary reads the comparison CSV and writes its summary (ramcompare.WriteSummary): per preset,
// the fit to Ramulator, the calibration derived from it and the pairs tried, each run in-process
// over the suite under configs/<preset>.yaml (no Ramulator needed), and the fit of its twin under
// the banked memory model, configs/<preset>-banked.yaml.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lrpsim/lrpsim/internal/ramcompare"
	"github.com/lrpsim/lrpsim/sim"
	"github.com/lrpsim/lrpsim/sim/tabulate"
	"github.com/lrpsim/lrpsim/traces/data"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ramcompare:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("want a subcommand: suite, expand, table or summary")
	}
	switch args[0] {
	case "suite":
		for _, n := range tabulate.BundledNames() {
			fmt.Println(strings.TrimSuffix(strings.TrimPrefix(n, data.BundledPrefix), ".npz"))
		}
		return nil
	case "expand":
		return expand(args[1:])
	case "table":
		return table(args[1:])
	case "summary":
		return summary(args[1:])
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func expand(args []string) error {
	fs := flag.NewFlagSet("expand", flag.ContinueOnError)
	csvTrace := fs.String("csv", "", "lrpsim's CSV trace of the same run (says what a line is: ramcompare.LineFormat)")
	preset := fs.String("preset", "hbm2", "the preset: its Ramulator request is the device's access")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := ramcompare.PresetNamed(*preset)
	if err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("expand: want LRPSIM_TRACE OUT")
	}
	in, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	c, err := os.ReadFile(*csvTrace)
	if err != nil {
		return err
	}
	line, perRequest, err := ramcompare.LineFormat(in, bytes.NewReader(c))
	if err != nil {
		return fmt.Errorf("%s: %w", *csvTrace, err)
	}
	out, n, err := ramcompare.FromCSV(bytes.NewReader(c), p.RequestBytes)
	if perRequest {
		out, n, err = ramcompare.Expand(bytes.NewReader(in), line, p.RequestBytes)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	fmt.Println(n)
	return os.WriteFile(fs.Arg(1), out, 0o644)
}

func table(args []string) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	dir := fs.String("dir", "", "the folder of the runs' files")
	md := fs.String("md", "", "the Markdown table to write")
	csvOut := fs.String("csv", "", "the CSV to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lts, err := filepath.Glob(filepath.Join(*dir, "*.lt"))
	if err != nil {
		return err
	}
	var rows []ramcompare.Row
	for _, lt := range lts {
		row, err := rowOf(strings.TrimSuffix(lt, ".lt"))
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	order := func(p string) int {
		return slices.IndexFunc(ramcompare.Presets, func(q ramcompare.Preset) bool { return q.Name == p })
	}
	slices.SortFunc(rows, func(a, b ramcompare.Row) int {
		if c := strings.Compare(a.Trace, b.Trace); c != 0 {
			return c
		}
		return order(a.Preset) - order(b.Preset)
	})
	var mdBuf, csvBuf bytes.Buffer
	if err := ramcompare.WriteMarkdown(&mdBuf, rows); err != nil {
		return err
	}
	if err := ramcompare.WriteCSV(&csvBuf, rows); err != nil {
		return err
	}
	if err := os.WriteFile(*md, mdBuf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(*csvOut, csvBuf.Bytes(), 0o644)
}

// rowOf reads the files of one run, base = DIR/<trace>.<preset>.
func rowOf(base string) (ramcompare.Row, error) {
	name := filepath.Base(base)
	i := strings.LastIndex(name, ".")
	p, err := ramcompare.PresetNamed(name[i+1:])
	if err != nil {
		return ramcompare.Row{}, fmt.Errorf("%s: %w", base, err)
	}
	cfg, err := sim.OpenConfig(filepath.Join("configs", p.Name+".yaml"), nil)
	if err != nil {
		return ramcompare.Row{}, err
	}
	r := ramcompare.Run{Trace: name[:i], Preset: p, ClockGHz: cfg.ClockGHz}
	lt, err := os.ReadFile(base + ".lt")
	if err != nil {
		return ramcompare.Row{}, err
	}
	r.DRAMTraceSHA256 = ramcompare.Fingerprint(lt)
	lcsv, err := os.ReadFile(base + ".csv")
	if err != nil {
		return ramcompare.Row{}, err
	}
	r.DRAMCSVSHA256 = ramcompare.Fingerprint(lcsv)
	ram, err := os.ReadFile(base + ".ram")
	if err != nil {
		return ramcompare.Row{}, err
	}
	r.Replayed = bytes.Count(ram, []byte("\n"))
	if r.Lrpsim, err = ramcompare.ReadLrpsimCSV(bytes.NewReader(lcsv)); err != nil {
		return ramcompare.Row{}, fmt.Errorf("%s.csv: %w", base, err)
	}
	for _, rep := range []struct {
		name string
		into *ramcompare.Ramulator
	}{{"flood", &r.Flood}, {"unloaded", &r.Unloaded}} {
		if err := readInto(base+"."+rep.name+".yaml", func(b []byte) (err error) {
			*rep.into, err = ramcompare.ReadRamulatorStats(bytes.NewReader(b))
			return
		}); err != nil {
			return ramcompare.Row{}, err
		}
		if err := readInto(base+"."+rep.name+".lat", func(b []byte) (err error) {
			rep.into.Latencies, err = ramcompare.ReadLatencies(bytes.NewReader(b))
			return
		}); err != nil {
			return ramcompare.Row{}, err
		}
	}
	return ramcompare.RowOf(r), nil
}

// readInto reads path and parses it with parse, naming the file in an error.
func readInto(path string, parse func([]byte) error) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := parse(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func summary(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	csvIn := fs.String("csv", "results/ramulator/comparison.csv", "the comparison CSV to summarize")
	md := fs.String("md", "results/ramulator/summary.md", "the Markdown summary to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*csvIn)
	if err != nil {
		return err
	}
	rows, err := ramcompare.ReadComparison(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *csvIn, err)
	}
	var sums []ramcompare.PresetSummary
	for _, p := range ramcompare.Presets {
		of := ramcompare.OfPreset(rows, p.Name)
		s, err := ramcompare.Summarize(p.Name, "configs/"+p.Name+".yaml", of)
		if err != nil {
			return err
		}
		s.BankedConfig = "configs/" + p.Name + "-banked.yaml"
		if s.Banked, err = ramcompare.FitConfig(s.BankedConfig, of); err != nil {
			return err
		}
		sums = append(sums, s)
	}
	var b bytes.Buffer
	if err := ramcompare.WriteSummary(&b, sums); err != nil {
		return err
	}
	return os.WriteFile(*md, b.Bytes(), 0o644)
}
