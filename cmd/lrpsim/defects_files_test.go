package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests of this file cover the file-handling defects of issue 23, item 4: outputs that are
// devices, FIFOs, links or directories, inputs that are not regular files, sizes bounded before
// the work, outputs that are inputs, and the messages for missing directories.

// lrpsimWithin runs the CLI like lrpsim, but fails the test when the command has not returned
// after d (a command blocked on opening a FIFO): it then opens each of fifos for reading and
// writing, which releases the blocked command, and waits for it.
func lrpsimWithin(t *testing.T, d time.Duration, fifos []string, args ...string) (string, error) {
	t.Helper()
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		cmd := newRootCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		err := cmd.Execute()
		done <- result{out.String(), err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-time.After(d):
		for _, f := range fifos {
			if h, err := os.OpenFile(f, os.O_RDWR, 0); err == nil {
				h.Close()
			}
		}
		r := <-done
		t.Errorf("%v: still running after %v (blocked on a FIFO?); released: %v", args, d, r.err)
		return r.out, r.err
	}
}

// mkfifo makes a named pipe, or skips the test where there are none.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("SKIPPED: cannot make a FIFO: %v", err)
	}
	return path
}

// mkfull makes a device node that behaves as /dev/full (every write fails with ENOSPC), so that
// a test that fails cannot replace the machine's own /dev/full; it skips where that needs
// privileges the test lacks.
func mkfull(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
		t.Skipf("SKIPPED: cannot make a device node like /dev/full (needs root): %v", err)
	}
	return path
}

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// checkListing fails unless dir holds exactly want (no temporary file, journal or output left).
func checkListing(t *testing.T, what, dir string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("%s: the directory holds %q; want %q", what, got, want)
	}
}

// TestTraceGenOutputKinds (defect 1, and the directory message of defect 8): trace gen --force
// writes through a device or FIFO instead of replacing it, follows a symbolic link (the link
// stays), reports a device's write error, and says that a directory is a directory.
func TestTraceGenOutputKinds(t *testing.T) {
	gen := []string{"trace", "gen", "--force", "--layers", "1", "--heads", "2", "--seq-len", "32", "--d", "16", "--dv", "16"}
	t.Run("device", func(t *testing.T) {
		dir := t.TempDir()
		full := mkfull(t, filepath.Join(dir, "full"))
		_, err := lrpsim(t, append(gen, "--out", full)...)
		if err == nil || !strings.Contains(err.Error(), "no space left on device") {
			t.Errorf("err %v; want the device's write error", err)
		}
		if st, err := os.Lstat(full); err != nil || st.Mode()&fs.ModeCharDevice == 0 {
			t.Fatalf("the device node was replaced (%v)", st.Mode())
		}
		checkListing(t, "device", dir, "full")
	})
	t.Run("fifo", func(t *testing.T) {
		dir := t.TempDir()
		fifo := mkfifo(t, filepath.Join(dir, "pipe.npz"))
		got := make(chan []byte, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- nil
				return
			}
			defer f.Close()
			var b bytes.Buffer
			b.ReadFrom(f)
			got <- b.Bytes()
		}()
		out, err := lrpsimWithin(t, 30*time.Second, []string{fifo}, append(gen, "--out", fifo)...)
		if err != nil {
			t.Fatal(err)
		}
		var data []byte
		select {
		case data = <-got:
		case <-time.After(30 * time.Second):
			t.Fatal("the FIFO's reader got nothing: the FIFO was replaced, not written through")
		}
		if !strings.Contains(out, "wrote "+fifo) || len(data) < 4 || string(data[:4]) != "PK\x03\x04" {
			t.Errorf("output %q; the reader got %d bytes, want a zip archive", out, len(data))
		}
		if st, err := os.Lstat(fifo); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced (%v)", st.Mode())
		}
		checkListing(t, "fifo", dir, "pipe.npz")
	})
	t.Run("symlink", func(t *testing.T) {
		dir := t.TempDir()
		link := filepath.Join(dir, "link.npz")
		os.Symlink("real.npz", link)
		if _, err := lrpsim(t, append(gen, "--out", link)...); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
			t.Error("the symbolic link was replaced")
		}
		if st, err := os.Lstat(filepath.Join(dir, "real.npz")); err != nil || !st.Mode().IsRegular() {
			t.Errorf("the link's target is not a regular file: %v", err)
		}
		checkListing(t, "symlink", dir, "link.npz", "real.npz")
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		outdir := filepath.Join(dir, "outdir")
		os.Mkdir(outdir, 0o755)
		_, err := lrpsim(t, append(gen, "--out", outdir)...)
		if err == nil || !strings.Contains(err.Error(), outdir+": is a directory; expected a file path") {
			t.Errorf("err %v; want it to say that %s is a directory", err, outdir)
		}
		checkListing(t, "directory", dir, "outdir")
	})
}

// TestInputsMustBeRegular (defects 2 and 5): every input that must be a file is refused, before
// it is opened, when it is a FIFO (which would block) or a character device such as /dev/zero
// (which never ends: the old code died with "fatal error: out of memory"), with one error that
// names the file and says a regular file was expected; nothing is written.
func TestInputsMustBeRegular(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skipf("SKIPPED: no /dev/zero: %v", err)
	}
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	regular := filepath.Join(dir, "empty.yaml")
	os.WriteFile(regular, nil, 0o644)
	fifo := mkfifo(t, filepath.Join(dir, "fifo"))
	zero := filepath.Join(dir, "zero")
	os.Symlink("/dev/zero", zero)
	const gotFIFO, gotDevice = "a regular file; got a named pipe (FIFO)", "a regular file; got a character device"
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"run config fifo", []string{"run", "-c", fifo}, []string{fifo + ": expected a config file (YAML), " + gotFIFO}},
		{"run config zero", []string{"run", "-c", zero}, []string{zero + ": expected a config file (YAML), " + gotDevice}},
		{"run trace fifo", []string{"run", "-t", fifo}, []string{fifo + ": expected a trace file (a regular .npz file), got a named pipe (FIFO)"}},
		{"run trace zero", []string{"run", "-t", zero}, []string{zero + ": expected a trace file (a regular .npz file), got a character device"}},
		{"run energy zero", []string{"run", "--energy", zero}, []string{zero + ": expected an energy table (YAML), " + gotDevice}},
		{"run ert fifo", []string{"run", "--ert", fifo}, []string{fifo + ": expected an Accelergy ERT (YAML), " + gotFIFO}},
		{"run ert-art zero", []string{"run", "--ert", regular, "--ert-art", zero}, []string{zero + ": expected an Accelergy ART (YAML), " + gotDevice}},
		{"run ert-mapping zero", []string{"run", "--ert", regular, "--ert-mapping", zero}, []string{zero + ": expected an ERT mapping file (YAML), " + gotDevice}},
		{"config validate zero", []string{"config", "validate", zero}, []string{zero + ": expected a config file (YAML), " + gotDevice}},
		{"sweep file fifo", []string{"sweep", fifo, "--out", filepath.Join(dir, "o.csv")}, []string{fifo + ": expected a sweep file (YAML), " + gotFIFO}},
		{"sweep file zero", []string{"sweep", zero, "--out", filepath.Join(dir, "o.csv")}, []string{zero + ": expected a sweep file (YAML), " + gotDevice}},
		{"plot sweep csv fifo", []string{"plot", "sweep", "--csv", fifo, "--x", "a", "--y", "b", "--out", filepath.Join(dir, "o.png")},
			[]string{fifo + ": expected a sweep CSV, " + gotFIFO}},
		{"trace info fifo", []string{"trace", "info", fifo}, []string{fifo + ": expected a trace file (a regular .npz file), got a named pipe (FIFO)"}},
		{"diff old zero", []string{"diff", zero, "../../results/golden/ci-small.csv"}, []string{zero + ": expected a sweep or table CSV, " + gotDevice}},
		{"diff new fifo", []string{"diff", "../../results/golden/ci-small.csv", fifo}, []string{fifo + ": expected a sweep or table CSV, " + gotFIFO}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := listDir(t, dir)
			_, err := lrpsimWithin(t, 30*time.Second, []string{fifo}, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q; want %q", err, w)
				}
			}
			checkListing(t, tc.name, dir, before...)
		})
	}

	t.Run("merge", func(t *testing.T) {
		mdir := t.TempDir()
		shards := makeShards(t, sw, mdir)
		for _, tc := range []struct {
			name, replace string // the file replaced by a link to /dev/zero
			want          string
		}{
			{"shard manifest", shards[1] + ".json", shards[1] + ".json: expected a sweep manifest (JSON), " + gotDevice},
			{"shard csv", shards[2], shards[2] + ": expected a sweep shard (CSV), " + gotDevice},
		} {
			saved := readFile(t, tc.replace)
			os.Remove(tc.replace)
			os.Symlink("/dev/zero", tc.replace)
			before := listDir(t, mdir)
			out := filepath.Join(mdir, "all.csv")
			_, err := lrpsim(t, append([]string{"merge", "--out", out}, shards...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err %v; want %q", tc.name, err, tc.want)
			}
			checkListing(t, tc.name, mdir, before...)
			os.Remove(tc.replace)
			os.WriteFile(tc.replace, saved, 0o644)
		}
	})
}

// makeShards runs the three shards of the sweep sw into dir and returns their CSVs.
func makeShards(t *testing.T, sw, dir string) []string {
	t.Helper()
	var shards []string
	for i := range 3 {
		s := filepath.Join(dir, fmt.Sprintf("s%d.csv", i))
		if _, err := lrpsim(t, "sweep", sw, "--out", s, "--shard", fmt.Sprintf("%d/3", i)); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	return shards
}

// TestTraceGenSizeBounded (defect 3): trace gen bounds the whole trace before it allocates or
// computes anything (the old code died out of memory on the first spec and ran for hours on the
// second), with an error naming the flags and the limit.
func TestTraceGenSizeBounded(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "big.npz")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--seq-len", "4096", "--d", "65536", "--dv", "65536"},
			[]string{"--seq-len, --d, --dv: expected at most 33554432 q, k and v elements in one head", "got 4096*(2*65536+65536) = 805306368"}},
		{[]string{"--layers", "1000000", "--seq-len", "128"},
			[]string{"--inputs, --layers, --heads, --seq-len, --d, --dv, --bits-q, --bits-k, --bits-v: expected a trace whose q, k and v take at most 1073741824 bytes",
				"got 1*1000000*4*128*(64*2 + 64*2 + 64*2) = 196608000000 bytes"}},
		{[]string{"--layers", "64", "--heads", "64", "--seq-len", "2048", "--d", "1", "--dv", "1"},
			[]string{"--inputs, --layers, --heads, --seq-len: expected at most 8589934592 (query, key) pairs in the whole trace", "got 1*64*64*2048^2 = 17179869184"}},
	} {
		start := time.Now()
		args := append([]string{"trace", "gen", "--out", out}, tc.args...)
		_, err := lrpsimWithin(t, 20*time.Second, nil, args...)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: err %q; want %q", tc.args, err, w)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%v: refused only after %v", tc.args, d)
		}
	}
	checkListing(t, "size bounds", dir)
}

// TestMergeRefusesInputAsOutput (defect 4): merge refuses an --out or --manifest that is one of
// its inputs (a shard's CSV, manifest or journal, also through a link), and leaves them as they
// were; the old code overwrote s0.csv and its manifest.
func TestMergeRefusesInputAsOutput(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	mdir := t.TempDir()
	shards := makeShards(t, sw, mdir)
	os.Symlink("s2.csv", filepath.Join(mdir, "alias.csv"))
	want := map[string][]byte{}
	for _, name := range listDir(t, mdir) {
		if name != "alias.csv" {
			want[name] = readFile(t, filepath.Join(mdir, name))
		}
	}
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--out", shards[0]}, "--out " + shards[0] + ": is the input " + shards[0]},
		{[]string{"--out", filepath.Join(mdir, "alias.csv")}, "is the input " + shards[2]},
		{[]string{"--out", filepath.Join(mdir, "all.csv"), "--manifest", shards[1] + ".json"}, "--manifest " + shards[1] + ".json: is the input " + shards[1] + ".json"},
		{[]string{"--out", shards[1] + ".json", "--manifest", filepath.Join(mdir, "all.json")}, "is the input " + shards[1] + ".json"},
		{[]string{"--out", shards[0] + ".journal", "--manifest", filepath.Join(mdir, "all.json")}, "is the input " + shards[0] + ".journal"},
	} {
		_, err := lrpsim(t, append(append([]string{"merge"}, tc.flags...), shards...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v; want %q", tc.flags, err, tc.want)
		}
		for name, b := range want {
			if !bytes.Equal(readFile(t, filepath.Join(mdir, name)), b) {
				t.Errorf("%v: %s changed", tc.flags, name)
			}
		}
		checkListing(t, fmt.Sprint(tc.flags), mdir, append(slices.Collect(maps.Keys(want)), "alias.csv")...)
	}
}

// TestSweepOutputKinds (defect 6): sweep refuses an --out or --manifest that is a device, FIFO or
// link loop, and a journal path that is not a regular file, before it computes a point or creates
// a journal (the old code computed every point, then failed, leaving /dev/full.journal; a link
// loop left la.journal; a device --manifest died out of memory leaving an empty journal).
func TestSweepOutputKinds(t *testing.T) {
	dir := t.TempDir()
	sw := smallSweep(t, dir)
	odir := t.TempDir()
	full := mkfull(t, filepath.Join(odir, "full"))
	zero := filepath.Join(odir, "zero.json")
	os.Symlink("/dev/zero", zero)
	fifo := mkfifo(t, filepath.Join(odir, "pipe.csv"))
	loop := filepath.Join(odir, "la")
	os.Symlink("la", loop)
	journalFIFO := mkfifo(t, filepath.Join(odir, "j.csv.journal"))
	csv := filepath.Join(odir, "ok.csv")
	before := listDir(t, odir)
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--out", full}, "--out " + full + ": is a character device; a sweep writes regular files"},
		{[]string{"--out", fifo}, "--out " + fifo + ": is a named pipe (FIFO); a sweep writes regular files"},
		{[]string{"--out", loop}, "--out " + loop + ": writing " + loop + ": too many levels of symbolic links"},
		{[]string{"--out", csv, "--manifest", zero}, "--manifest " + zero + ": is a character device; a sweep writes regular files"},
		{[]string{"--out", csv, "--manifest", full}, "--manifest " + full + ": is a character device"},
		{[]string{"--out", strings.TrimSuffix(journalFIFO, ".journal")}, "its journal " + journalFIFO + " is a named pipe (FIFO); expected a regular file or none"},
	} {
		start := time.Now()
		_, err := lrpsimWithin(t, 60*time.Second, []string{fifo, journalFIFO}, append([]string{"sweep", sw}, tc.flags...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v; want %q", tc.flags, err, tc.want)
		}
		checkListing(t, fmt.Sprint(tc.flags), odir, before...)
		t.Logf("%v failed after %v", tc.flags, time.Since(start))
	}
}

// TestProfileWriteErrors (defect 7): --cpuprofile and --memprofile report a write error alike
// (the old code lost the CPU profile on /dev/full and exited 0), fail before the command's work
// on a missing directory, and write a profile through a symbolic link.
func TestProfileWriteErrors(t *testing.T) {
	dir := t.TempDir()
	full := mkfull(t, filepath.Join(dir, "full"))
	for _, flag := range []string{"--cpuprofile", "--memprofile"} {
		_, err := lrpsim(t, "run", "--no-baselines", flag, full)
		if err == nil || !strings.Contains(err.Error(), flag+": writing "+full+": write "+full+": no space left on device") {
			t.Errorf("%s %s: err %v; want the device's write error", flag, full, err)
		}
		missing := filepath.Join(dir, "nodir", "p.prof")
		out, err := lrpsim(t, "run", "--no-baselines", flag, missing)
		if err == nil || !strings.Contains(err.Error(), flag+": writing "+missing+": directory "+filepath.Dir(missing)+" does not exist") {
			t.Errorf("%s %s: err %v", flag, missing, err)
		}
		if strings.Contains(out, "speedup") {
			t.Errorf("%s %s: the command ran before the profile path was checked", flag, missing)
		}
		link := filepath.Join(dir, "link"+flag+".prof")
		os.Symlink("real"+flag+".prof", link)
		if _, err := lrpsim(t, "run", "--no-baselines", flag, link); err != nil {
			t.Errorf("%s %s: %v", flag, link, err)
		}
		if st, err := os.Stat(filepath.Join(dir, "real"+flag+".prof")); err != nil || st.Size() == 0 {
			t.Errorf("%s %s: no profile behind the link: %v", flag, link, err)
		}
	}
	checkListing(t, "profiles", dir, "full", "link--cpuprofile.prof", "link--memprofile.prof", "real--cpuprofile.prof", "real--memprofile.prof")
}

// TestMissingDirectoryMessage (defect 8): an output in a directory that does not exist is named
// as such, not as the temporary file the writer would have created.
func TestMissingDirectoryMessage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"run", "--no-baselines", "--out"},
		{"trace", "gen", "--seq-len", "16", "--d", "8", "--dv", "8", "--out"},
		{"trace", "heads", "bundled:synthetic-default.npz", "--out"},
	} {
		out := filepath.Join(dir, "nodir", "x.txt")
		_, err := lrpsim(t, append(args, out)...)
		want := "writing " + out + ": directory " + filepath.Join(dir, "nodir") + " does not exist"
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), ".tmp-") {
			t.Errorf("%v: err %v; want %q", args, err, want)
		}
	}
	checkListing(t, "missing directory", dir)
}

// TestSlurmSubmitChecksTools (defect 9): cluster/slurm/submit.sh without sbatch or lrpsim on PATH
// says what is missing, exits 2 and creates nothing (the old script created the log folder and
// then failed with "sbatch: command not found", exit 127).
func TestSlurmSubmitChecksTools(t *testing.T) {
	script, err := filepath.Abs("../../cluster/slurm/submit.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sw := filepath.Join(dir, "s.yaml")
	os.WriteFile(sw, []byte("traces: [x.npz]\n"), 0o644)
	// A PATH with the script's own tools and, per case, a stand-in sbatch or lrpsim.
	tools := func(t *testing.T, extra ...string) string {
		bin := t.TempDir()
		for _, name := range []string{"realpath", "dirname", "basename", "mkdir", "sed"} {
			p, err := exec.LookPath(name)
			if err != nil {
				t.Skipf("SKIPPED: no %s: %v", name, err)
			}
			os.Symlink(p, filepath.Join(bin, name))
		}
		for _, name := range extra {
			os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\necho 123\n"), 0o755)
		}
		return bin
	}
	for _, tc := range []struct {
		name    string
		extra   []string
		want    []string
		notWant string
	}{
		{"neither", nil, []string{"sbatch is not on PATH", "lrpsim is not on PATH"}, ""},
		{"no sbatch", []string{"lrpsim"}, []string{"sbatch is not on PATH"}, "lrpsim is not on PATH"},
		{"no lrpsim", []string{"sbatch"}, []string{"lrpsim is not on PATH"}, "sbatch is not on PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outdir := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			cmd := exec.Command("/bin/bash", script, sw, outdir, "2")
			cmd.Env = []string{"PATH=" + tools(t, tc.extra...), "HOME=" + dir}
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Errorf("exit: %v; want status 2\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), "submit.sh: "+w) {
					t.Errorf("output %q lacks %q", out, w)
				}
			}
			if tc.notWant != "" && strings.Contains(string(out), tc.notWant) {
				t.Errorf("output %q says %q", out, tc.notWant)
			}
			if exists(outdir) {
				t.Errorf("created %s", outdir)
			}
		})
	}
	checkListing(t, "submit", dir, "s.yaml")
}
