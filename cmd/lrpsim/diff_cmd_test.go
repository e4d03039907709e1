package main

import (
	"encoding/csv"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lrpsim/lrpsim/sim/diff"
)

// goldenSweep is the committed baseline of the CI sweep.
const goldenSweep = "../../results/golden/ci-small.csv"

// seedRegression writes a copy of the CSV at path whose first row claims a speedup over the
// dense baseline 5% higher than it is, so that the real numbers read as a regression against it.
func seedRegression(t *testing.T, path, dir string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "speedup_dense" {
			col = i
		}
	}
	x, err := strconv.ParseFloat(rows[1][col], 64)
	if err != nil {
		t.Fatal(err)
	}
	rows[1][col] = strconv.FormatFloat(x*1.05, 'g', -1, 64)
	out := filepath.Join(dir, "seeded.csv")
	g, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(g)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// junitFailures reads the failure count of a JUnit XML file.
func junitFailures(t *testing.T, path string) int {
	t.Helper()
	var doc struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(readFile(t, path), &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Tests == 0 || doc.Suites[0].Failures != doc.Failures {
		t.Fatalf("%s: expected one test suite with test cases: %+v", path, doc)
	}
	return doc.Failures
}

// TestDiffCommand: identical CSVs pass (exit 0), a seeded regression fails (exit 1) after
// writing its reports, and bad input fails (exit 2) with one message and no output.
func TestDiffCommand(t *testing.T) {
	out, err := lrpsim(t, "diff", goldenSweep, goldenSweep)
	if err != nil || exitCode(err) != 0 || !strings.Contains(out, "## lrpsim diff: PASS") {
		t.Fatalf("identical CSVs: %v\n%s", err, out)
	}
	dir := t.TempDir()
	seeded := seedRegression(t, goldenSweep, dir)
	md, xmlPath := filepath.Join(dir, "diff.md"), filepath.Join(dir, "diff.xml")
	out, err = lrpsim(t, "diff", seeded, goldenSweep, "--out", md, "--junit", xmlPath)
	var regressed *diff.RegressionError
	if !errors.As(err, &regressed) || exitCode(err) != 1 || regressed.Regressions != 1 {
		t.Fatalf("seeded regression: %v (exit %d)\n%s", err, exitCode(err), out)
	}
	if out != "" || !strings.HasPrefix(err.Error(), "diff: FAIL: 1 regression") || !strings.Contains(string(readFile(t, md)), "| speedup_dense |") ||
		junitFailures(t, xmlPath) != 1 {
		t.Errorf("seeded regression: stdout %q, error %v, report:\n%s", out, err, readFile(t, md))
	}
	// Allowed by a tolerance wider than the seeded 5%.
	if _, err := lrpsim(t, "diff", seeded, goldenSweep, "--tolerance", "speedup_dense=6%"); err != nil {
		t.Errorf("speedup_dense=6%%: %v", err)
	}

	bad := filepath.Join(dir, "bad.csv")
	// the golden's first point with its cycles replaced by a word, whatever the golden's numbers
	lines := strings.Split(string(readFile(t, goldenSweep)), "\n")
	col := slices.Index(strings.Split(lines[0], ","), "cycles")
	if col < 0 || len(lines) < 2 {
		t.Fatalf("%s: no cycles column or no point", goldenSweep)
	}
	fields := strings.Split(lines[1], ",")
	fields[col] = "fast"
	lines[1] = strings.Join(fields, ",")
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{filepath.Join(dir, "none.csv"), goldenSweep}, "none.csv"},
		{"not a number", []string{goldenSweep, bad}, "bad.csv: line 2, column cycles: \"fast\" is not a number"},
		{"other columns", []string{goldenSweep, "../../results/sweep-lanes-x-bpc.csv"}, "sweep-lanes-x-bpc.csv: line 1: column 7"},
		{"unknown metric", []string{goldenSweep, goldenSweep, "--tolerance", "spedup=1%"}, "spedup: no such metric"},
		{"bad tolerance", []string{goldenSweep, goldenSweep, "--tolerance", "speedup=fast"}, "speedup=fast"},
		{"same outputs", []string{goldenSweep, goldenSweep, "--out", md + ".2", "--junit", md + ".2"}, "same file"},
	} {
		outs := []string{filepath.Join(dir, tc.name+".md"), filepath.Join(dir, tc.name+".xml")}
		args := append([]string{"diff"}, tc.args...)
		if !strings.Contains(strings.Join(tc.args, " "), "--out") {
			args = append(args, "--out", outs[0], "--junit", outs[1])
		} else {
			outs = []string{md + ".2"}
		}
		_, err := lrpsim(t, args...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%s: exit %d, error %v; want exit 2 and %q", tc.name, exitCode(err), err, tc.want)
		}
		for _, o := range outs {
			if _, err := os.Stat(o); err == nil {
				t.Errorf("%s: wrote %s", tc.name, o)
			}
		}
	}
}

// ghWorkflow is the part of a GitHub Actions workflow that TestDiffWorkflow runs.
type ghWorkflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Env   map[string]string `yaml:"env"`
		Steps []ghStep          `yaml:"steps"`
	} `yaml:"jobs"`
}

// ghStep is one step of a job: a shell command (run) or an action (uses).
type ghStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	If   string            `yaml:"if"`
	Env  map[string]string `yaml:"env"`
}

// stepRun is what happened to one run step: whether it ran, and its exit status.
type stepRun struct {
	step   ghStep
	ran    bool
	status int
	output string
}

// runWorkflow runs the run steps of the one job of the workflow at path as GitHub Actions would on
// a fresh runner, from the repository root: with bash -eo pipefail, RUNNER_TEMP and
// GITHUB_STEP_SUMMARY in a temporary directory, GOBIN on PATH (where the job's go install puts
// lrpsim), the workflow's and job's env, then env; after a failed step only the steps marked
// if: always() or failure() run. It returns the steps and the temporary directory.
func runWorkflow(t *testing.T, path string, env map[string]string) ([]stepRun, string) {
	t.Helper()
	var wf ghWorkflow
	if err := yaml.Unmarshal(readFile(t, path), &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(wf.Jobs) != 1 {
		t.Fatalf("%s: %d jobs, expected one", path, len(wf.Jobs))
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	runner := filepath.Join(tmp, "runner")
	for _, d := range []string{bin, runner} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	base := append(os.Environ(), "GOBIN="+bin, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"RUNNER_TEMP="+runner, "GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary.md"), "GITHUB_WORKSPACE="+root,
		"GITHUB_ACTIONS=true", "CI=true")
	add := func(env []string, m map[string]string) []string {
		for k, v := range m {
			env = append(env, k+"="+v)
		}
		return env
	}
	var runs []stepRun
	for _, job := range wf.Jobs {
		failed := false
		for i, s := range job.Steps {
			switch {
			case s.Uses != "" && s.Run != "":
				t.Fatalf("%s: step %d has both uses and run", path, i+1)
			case s.Uses != "":
				// Steps that set up the hosted machine or keep its files: not run here.
				setup := false
				for _, a := range []string{"actions/checkout@", "actions/setup-go@", "actions/upload-artifact@"} {
					setup = setup || strings.HasPrefix(s.Uses, a)
				}
				if !setup {
					t.Fatalf("%s: step %d uses %s, which this test does not know to be set-up only", path, i+1, s.Uses)
				}
				continue
			}
			var run bool
			switch s.If {
			case "":
				run = !failed
			case "always()":
				run = true
			case "failure()":
				run = failed
			default:
				t.Fatalf("%s: step %q: if: %s is not one this test evaluates", path, s.Name, s.If)
			}
			r := stepRun{step: s, ran: run}
			if run {
				cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s.Run)
				cmd.Dir = root
				cmd.Env = add(add(add(add(base, wf.Env), job.Env), s.Env), env)
				b, err := cmd.CombinedOutput()
				r.output = string(b)
				var exit *exec.ExitError
				switch {
				case errors.As(err, &exit):
					r.status = exit.ExitCode()
					failed = true
				case err != nil:
					t.Fatalf("step %q: %v", s.Name, err)
				}
			}
			runs = append(runs, r)
		}
	}
	return runs, tmp
}

// TestDiffWorkflow runs the commands of ci/examples/sweep-regression.yml as written: they pass
// on the committed baseline (the report, PASS, in the job summary; a JUnit file without
// failures) and fail on a seeded regression (the diff step exits 1, the summary says FAIL and
// names the metric, the JUnit file has the failure).
func TestDiffWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: builds lrpsim and runs a sweep (-short)")
	}
	for _, tool := range []string{"bash", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIPPED: no %s to run the workflow's steps", tool)
		}
	}
	const workflow = "../../ci/examples/sweep-regression.yml"
	isDiff := func(s ghStep) bool { return strings.Contains(s.Run, "lrpsim diff ") }

	runs, tmp := runWorkflow(t, workflow, nil)
	sawDiff := false
	for _, r := range runs {
		if !r.ran || r.status != 0 {
			t.Errorf("committed baseline: step %q ran %v, exit %d:\n%s", r.step.Name, r.ran, r.status, r.output)
		}
		sawDiff = sawDiff || isDiff(r.step)
	}
	if !sawDiff {
		t.Fatalf("%s runs no lrpsim diff", workflow)
	}
	summary := string(readFile(t, filepath.Join(tmp, "summary.md")))
	if !strings.Contains(summary, "## lrpsim diff: PASS") {
		t.Errorf("committed baseline: job summary:\n%s", summary)
	}
	if n := junitFailures(t, filepath.Join(tmp, "runner", "sweep", "diff.xml")); n != 0 {
		t.Errorf("committed baseline: %d JUnit failures", n)
	}
	// The installed command's exit status on bad input is 2, apart from a regression's 1.
	err := exec.Command(filepath.Join(tmp, "bin", "lrpsim"), "diff", filepath.Join(tmp, "none.csv"), goldenSweep).Run()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("lrpsim diff of a missing file: %v, want exit status 2", err)
	}

	seeded := seedRegression(t, goldenSweep, t.TempDir())
	runs, tmp = runWorkflow(t, workflow, map[string]string{"BASELINE": seeded})
	for _, r := range runs {
		switch {
		case isDiff(r.step):
			if !r.ran || r.status != 1 || !strings.Contains(r.output, "FAIL: 1 regression") {
				t.Errorf("seeded regression: diff step ran %v, exit %d (want 1):\n%s", r.ran, r.status, r.output)
			}
		case r.step.If == "always()":
			if !r.ran || r.status != 0 {
				t.Errorf("seeded regression: step %q ran %v, exit %d:\n%s", r.step.Name, r.ran, r.status, r.output)
			}
		}
	}
	summary = string(readFile(t, filepath.Join(tmp, "summary.md")))
	if !strings.Contains(summary, "## lrpsim diff: FAIL") || !strings.Contains(summary, "| speedup_dense |") {
		t.Errorf("seeded regression: job summary:\n%s", summary)
	}
	if n := junitFailures(t, filepath.Join(tmp, "runner", "sweep", "diff.xml")); n != 1 {
		t.Errorf("seeded regression: %d JUnit failures, want 1", n)
	}
}
