package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCIWaitsForAptLock: every apt-get of the CI scripts waits for the package lock (apt's
// DPkg::Lock::Timeout) instead of failing at once when another process holds it: .ci/run and
// ci/install-slurm.sh pass the option, and .ci/run exports an APT_CONFIG that sets it for the
// other ci/install-*.sh scripts it calls, before any of them runs.
func TestCIWaitsForAptLock(t *testing.T) {
	run := string(readFile(t, "../../.ci/run"))
	export := strings.Index(run, "export APT_CONFIG=")
	if export < 0 || !regexp.MustCompile(`DPkg::Lock::Timeout "\d+";`).MatchString(run) {
		t.Fatal(".ci/run does not export an APT_CONFIG that sets DPkg::Lock::Timeout")
	}
	first := regexp.MustCompile(`(?m)^[^#\n]*\b(apt-get|ci/install-)`).FindStringIndex(run)
	if first == nil || first[0] < export {
		t.Error(".ci/run runs apt-get or an install script before it exports APT_CONFIG")
	}
	scripts, _ := filepath.Glob("../../ci/install-slurm.sh")
	for _, p := range append(scripts, "../../.ci/run") {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		opts := regexp.MustCompile(`apt_opts=\(([^)]*)\)`).FindStringSubmatch(string(b))
		if opts == nil || !regexp.MustCompile(`-o DPkg::Lock::Timeout=\d+`).MatchString(opts[1]) {
			t.Errorf("%s: apt_opts lacks -o DPkg::Lock::Timeout=N", p)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "apt-get ") && !strings.HasPrefix(strings.TrimSpace(line), "#") &&
				!strings.Contains(line, `"${apt_opts[@]}"`) {
				t.Errorf("%s:%d: apt-get without the lock-waiting apt_opts: %s", p, i+1, line)
			}
		}
	}
}

// runSteps runs a bash script that sources ci/steps.sh from the repository root and returns
// its output and exit status.
func runSteps(t *testing.T, script string, env ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", "-c", ". ci/steps.sh\n"+script)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("bash: %v", err)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}

// TestCIStepsRunEveryStep: a failing step does not stop the steps after it, a step stops at its
// own first failing command (errexit inside, even though bash ignores it on the left of ||),
// the summary is printed last with every step's fate and reason, and the status is non-zero
// exactly when a step failed.
func TestCIStepsRunEveryStep(t *testing.T) {
	const steps = `f() { false; echo MIDDLE-OF-BROKEN-STEP; }
step first true
step broken f
step after bash -c 'echo AFTER-RAN'
skip absent "tool missing"
summary`
	for _, tc := range []struct {
		name, script string
		env          []string
		code         int
		summary      string
		counts       string
	}{
		{"broken middle step", steps, nil, 1,
			"== summary: ran: first, after; failed: broken (exit 1); skipped: absent (tool missing)",
			"steps: 2 passed, 1 failed, 1 skipped"},
		{"caller with errexit", "set -e\n" + steps, nil, 1,
			"== summary: ran: first, after; failed: broken (exit 1); skipped: absent (tool missing)",
			"steps: 2 passed, 1 failed, 1 skipped"},
		{"all pass", "step one true\nstep two true\nsummary", nil, 0,
			"== summary: ran: one, two; failed: none; skipped: none",
			"steps: 2 passed, 0 failed, 0 skipped"},
		{"only, with a name no step has", "step one true\nstep two true\nsummary", []string{"CI_ONLY_STEPS=two,tow"}, 1,
			"== summary: ran: two; failed: tow (no such step); skipped: none",
			"steps: 1 passed, 1 failed, 0 skipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runSteps(t, tc.script, tc.env...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, out)
			}
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if n := len(lines); n < 2 || lines[n-2] != tc.summary || lines[n-1] != tc.counts {
				t.Errorf("last lines are not the summary %q / %q:\n%s", tc.summary, tc.counts, out)
			}
			if strings.Contains(out, "MIDDLE-OF-BROKEN-STEP") {
				t.Errorf("the broken step ran on past its failing command:\n%s", out)
			}
			if strings.Contains(tc.script, "step after") && !strings.Contains(out, "AFTER-RAN") {
				t.Errorf("the step after the broken one did not run:\n%s", out)
			}
		})
	}
}

// TestCITestScriptRunsEveryStep: ci/test.sh does not stop at the first failure (no errexit of
// its own), ends with the summary, and runs its commands only inside steps, so no bare command
// can end the script before the summary.
func TestCITestScriptRunsEveryStep(t *testing.T) {
	script := string(readFile(t, "../../ci/test.sh"))
	if regexp.MustCompile(`(?m)^set -[a-z]*e`).MatchString(script) {
		t.Error("ci/test.sh sets errexit: the first failing step would end it before the summary")
	}
	if !regexp.MustCompile(`(?m)^summary\s*\z`).MatchString(script) {
		t.Error("ci/test.sh does not end with summary")
	}
	// --only takes comma-separated names, so a name with a comma could not be selected.
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:step|skip) "([^"]*)"`).FindAllStringSubmatch(script, -1) {
		if strings.Contains(m[1], ",") {
			t.Errorf("ci/test.sh: step name %q has a comma, which --only cannot select", m[1])
		}
	}
	// Top-level lines that run something must be step, skip, definitions, control flow or
	// variable set-up.
	allowed := regexp.MustCompile(`^(step |skip |summary$|if |elif |else$|fi$|then$|done|while |for |[a-z_]+\(\) \{$|\}$|` +
		`[A-Za-z_]+=|export |trap |cd |set -uo pipefail$|\. ci/steps\.sh$|[ \t#]|$|:$|shift$|case |esac$)`)
	inFunc := false
	for i, line := range strings.Split(script, "\n") {
		switch {
		case strings.HasSuffix(line, "() {"):
			inFunc = true
			continue
		case line == "}":
			inFunc = false
			continue
		}
		if inFunc || strings.HasPrefix(line, "  ") {
			continue
		}
		if !allowed.MatchString(line) {
			t.Errorf("ci/test.sh:%d runs a command outside a step: %s", i+1, line)
		}
	}
}

// TestCITestOnlyStep runs ci/test.sh itself, the sweep golden step alone, end to end: it passes
// and the summary names it and nothing else.
func TestCITestOnlyStep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ci/test.sh (a go run of the sweep); -short skips it")
	}
	cmd := exec.Command("bash", "ci/test.sh", "--only", "sweep golden")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ci/test.sh --only 'sweep golden': %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	want := []string{"== summary: ran: sweep golden; failed: none; skipped: none", "steps: 1 passed, 0 failed, 0 skipped"}
	if n := len(lines); n < 2 || lines[n-2] != want[0] || lines[n-1] != want[1] {
		t.Errorf("ci/test.sh --only: want the summary %q, got:\n%s", want, out)
	}
}
