package rtl

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lrpsim/lrpsim/arch"
)

// sources are the Verilog files of the lane, the unit and the test bench. Build copies them
// into its directory, so that the bench can be built from any working directory.
//
//go:embed lrp_lane.v lrp_fe_unit.v tb_fe_unit.v
var sources embed.FS

// sourceFiles are the Verilog files in compilation order.
func sourceFiles() []string { return []string{"tb_fe_unit.v", "lrp_fe_unit.v", "lrp_lane.v"} }

// Simulator is a Verilog simulator the bench runs under.
type Simulator string

// The supported simulators.
const (
	Icarus    Simulator = "iverilog"  // Icarus Verilog: iverilog and vvp
	Verilator Simulator = "verilator" // Verilator 5 with --binary --timing
)

// NotInstalledError reports that a simulator is missing or too old to build the bench.
type NotInstalledError struct {
	Simulator Simulator
	Reason    string
}

// Error names the simulator and why it cannot run the bench.
func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("rtl: %s cannot run the bench: %s", e.Simulator, e.Reason)
}

// Available reports whether sim can build the bench: its programs are on PATH and, for
// Verilator, its version is 5 or later (--binary --timing). Otherwise it returns a
// *NotInstalledError.
func Available(sim Simulator) error {
	var progs []string
	switch sim {
	case Icarus:
		progs = []string{"iverilog", "vvp"}
	case Verilator:
		progs = []string{"verilator"}
	default:
		return fmt.Errorf("rtl: unknown simulator %q", sim)
	}
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			return &NotInstalledError{Simulator: sim, Reason: p + " not found on PATH"}
		}
	}
	if sim == Verilator {
		out, err := exec.Command("verilator", "--version").Output()
		if err != nil {
			return &NotInstalledError{Simulator: sim, Reason: "verilator --version failed: " + err.Error()}
		}
		// "Verilator 5.006 2023-01-22 rev ..."
		f := strings.Fields(string(out))
		if len(f) < 2 || f[0] != "Verilator" {
			return &NotInstalledError{Simulator: sim, Reason: fmt.Sprintf("unrecognized version %q", strings.TrimSpace(string(out)))}
		}
		major, _, _ := strings.Cut(f[1], ".")
		if v, err := strconv.Atoi(major); err != nil || v < 5 {
			return &NotInstalledError{Simulator: sim, Reason: "version " + f[1] + " found, 5 or later needed"}
		}
	}
	return nil
}

// Bench is the test bench built for one set of parameters.
type Bench struct {
	sim Simulator
	p   Params
	dir string
	exe []string // command that runs the bench; the plusargs follow
	n   int      // runs so far, for file names
}

// verilogParams returns the bench's parameter values in Verilog.
func verilogParams(p Params) [][2]string {
	return [][2]string{
		{"D", strconv.Itoa(p.D)},
		{"BITS_Q", strconv.Itoa(p.BitsQ)},
		{"BITS_K", strconv.Itoa(p.BitsK)},
		{"BITS_PER_CYCLE", strconv.Itoa(p.BitsPerCycle)},
		{"LANES", strconv.Itoa(p.Lanes)},
		{"FILL_CYCLES", strconv.Itoa(p.FillCycles)},
		{"DRAIN_CYCLES", strconv.Itoa(p.DrainCycles)},
		{"SCHEDULING", strconv.Itoa(int(p.Scheduling))},
		{"EARLY_TERMINATION", strconv.Itoa(b2i(p.EarlyTermination))},
		{"LANE_QREG", strconv.Itoa(b2i(p.LaneQReg))},
		{"MAX_KEYS", strconv.Itoa(MaxKeys)},
		{"MAX_ROOM", strconv.Itoa(MaxRoom)},
	}
}

// Build compiles the test bench for p with sim in dir, which must exist. The simulation is
// compiled with LRP_CHECK, which makes every lane also check its comparator against the
// README's literal bound. It returns a *NotInstalledError when sim is missing.
func Build(ctx context.Context, sim Simulator, p Params, dir string) (*Bench, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := Available(sim); err != nil {
		return nil, err
	}
	var files []string
	for _, name := range sourceFiles() {
		data, err := sources.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("rtl: reading embedded %s: %w", name, err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return nil, fmt.Errorf("rtl: writing the bench sources: %w", err)
		}
		files = append(files, path)
	}
	b := &Bench{sim: sim, p: p, dir: dir}
	var cmd *exec.Cmd
	switch sim {
	case Icarus:
		out := filepath.Join(dir, "tb_fe_unit.vvp")
		args := []string{"-g2005", "-DLRP_CHECK", "-s", "tb_fe_unit", "-o", out}
		for _, kv := range verilogParams(p) {
			args = append(args, "-P", "tb_fe_unit."+kv[0]+"="+kv[1])
		}
		cmd = exec.CommandContext(ctx, "iverilog", append(args, files...)...)
		b.exe = []string{"vvp", "-n", out}
	case Verilator:
		obj := filepath.Join(dir, "obj")
		args := []string{"--binary", "--timing", "-DLRP_CHECK", "--top-module", "tb_fe_unit",
			"-Wno-fatal", "-Wno-WIDTH", "-Mdir", obj, "-o", "tb_fe_unit", "-j", "2"}
		for _, kv := range verilogParams(p) {
			args = append(args, "-G"+kv[0]+"="+kv[1])
		}
		cmd = exec.CommandContext(ctx, "verilator", append(args, files...)...)
		b.exe = []string{filepath.Join(obj, "tb_fe_unit")}
	}
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("rtl: building the bench with %s: %w\n%s", sim, err, tail(out, 4000))
	}
	return b, nil
}

// Params returns the parameters the bench was built with.
func (b *Bench) Params() Params { return b.p }

// Run writes rows to a file in the bench's directory, simulates them and parses the bench's
// log. The rows run back to back: each starts Gap cycles after the previous one ended.
func (b *Bench) Run(ctx context.Context, rows []Row) (*Result, error) {
	b.n++
	in := filepath.Join(b.dir, fmt.Sprintf("rows%d.txt", b.n))
	out := filepath.Join(b.dir, fmt.Sprintf("out%d.txt", b.n))
	f, err := os.Create(in)
	if err != nil {
		return nil, fmt.Errorf("rtl: creating the rows file: %w", err)
	}
	if err := WriteRows(f, b.p, rows); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("rtl: writing the rows file: %w", err)
	}
	args := append(append([]string(nil), b.exe[1:]...), "+rows="+in, "+out="+out)
	cmd := exec.CommandContext(ctx, b.exe[0], args...)
	cmd.Dir = b.dir
	console, runErr := cmd.CombinedOutput()
	log, err := os.Open(out)
	if err != nil {
		return nil, fmt.Errorf("rtl: the bench wrote no log (%v): %w\n%s", runErr, err, tail(console, 4000))
	}
	defer log.Close()
	res, err := ParseLog(log)
	if err != nil {
		return nil, fmt.Errorf("rtl: %s bench on %s: %w\n%s", b.sim, in, err, tail(console, 4000))
	}
	if runErr != nil {
		return nil, fmt.Errorf("rtl: %s bench on %s: %w\n%s", b.sim, in, runErr, tail(console, 4000))
	}
	return res, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}

// Result is what one run of a row sequence did, from the bench's log or from the Go model.
type Result struct {
	Tasks  []TaskResult // in the order of the rows
	Cycles int64        // the cycle after the last task's last cycle
}

// TaskResult is one row task's events.
type TaskResult struct {
	Row       int
	Skipped   bool // a task with no key that is not its row's last: never started
	Start     int64
	End       int64 // the task's last cycle E
	QPlus     int64
	Decisions []arch.Decision // in the order cycle, lane
	Pushes    []PushAt        // in the order cycle, then lane, then the marker
	// Counters over the task's cycles, as arch.FrontEndUnit counts them.
	LaneSteps  int64 // lane-cycles stepping bit-planes
	LaneStalls int64 // lane-cycles holding a survivor the FIFO refused
	Stalls     int64 // cycles in which a lane or the marker was refused
}

// PushAt is an entry pushed into the survivor FIFO and its cycle.
type PushAt struct {
	Cycle int64
	arch.Push
}

// recordFields is the number of fields of a log record, 0 for an unknown one.
func recordFields(rec string) int {
	switch rec {
	case "skip":
		return 2
	case "start", "qplus", "mark", "done":
		return 3
	case "push":
		return 5
	case "end":
		return 6
	case "dec":
		return 7
	}
	return 0
}

// ParseLog reads the bench's log (the format is in tb_fe_unit.v and README.md).
func ParseLog(r io.Reader) (*Result, error) {
	sc := bufio.NewScanner(r)
	res := &Result{}
	var cur *TaskResult
	line, done := 0, false
	header := false
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if !header {
			if len(f) != 2 || f[0] != "lrpsim-rtl-out" || f[1] != "1" {
				return nil, fmt.Errorf("log line %d: want the header lrpsim-rtl-out 1, got %q", line, sc.Text())
			}
			header = true
			continue
		}
		if f[0] == "error" {
			return nil, fmt.Errorf("the bench failed: %s", strings.Join(f[1:], " "))
		}
		want := recordFields(f[0])
		if want == 0 {
			return nil, fmt.Errorf("log line %d: unknown record %q", line, f[0])
		}
		if len(f) != want {
			return nil, fmt.Errorf("log line %d: %s record with %d fields, want %d", line, f[0], len(f), want)
		}
		v := make([]int64, len(f)-1)
		for i, s := range f[1:] {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("log line %d: field %d: %w", line, i+2, err)
			}
			v[i] = n
		}
		switch f[0] {
		case "start", "skip":
			res.Tasks = append(res.Tasks, TaskResult{Row: int(v[0]), Skipped: f[0] == "skip"})
			cur = &res.Tasks[len(res.Tasks)-1]
			if f[0] == "start" {
				cur.Start = v[1]
			}
			continue
		case "done":
			if int(v[0]) != len(res.Tasks) {
				return nil, fmt.Errorf("log line %d: done after %d rows, but %d tasks were logged", line, v[0], len(res.Tasks))
			}
			res.Cycles = v[1]
			done = true
			continue
		}
		if cur == nil || cur.Skipped || int(v[0]) != cur.Row {
			return nil, fmt.Errorf("log line %d: %s record outside its row's task", line, f[0])
		}
		switch f[0] {
		case "qplus":
			cur.QPlus = v[1]
		case "dec":
			cur.Decisions = append(cur.Decisions, arch.Decision{
				Key: int(v[1]), Lane: int(v[2]), Step: int(v[3]), Cycle: v[4], Survive: v[5] != 0,
			})
		case "push":
			cur.Pushes = append(cur.Pushes, PushAt{Cycle: v[3], Push: arch.Push{Row: cur.Row, Key: int(v[1]), Lane: int(v[2])}})
		case "mark":
			cur.Pushes = append(cur.Pushes, PushAt{Cycle: v[1], Push: arch.Push{Row: cur.Row, Key: -1, Lane: -1, Marker: true}})
		case "end":
			cur.End, cur.LaneSteps, cur.LaneStalls, cur.Stalls = v[1], v[2], v[3], v[4]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the log: %w", err)
	}
	if !done {
		return nil, errors.New("the log ends before the bench's done record")
	}
	return res, nil
}
