package main

import (
	"os"
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
