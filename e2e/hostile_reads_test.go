package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/interrupt"
)

// Hostile reads: a pull request controls the bundles, ledgers, missions
// and baselines helios reads. Each case here replays a reproduction of
// issue 17 through the real binary.

// hangLimit ends a run that hangs, which is what these cases used to do.
const hangLimit = 20 * time.Second

// runWithin runs helios like run, but a hang fails the test after
// hangLimit instead of minutes.
func runWithin(t *testing.T, dir string, env []string, args ...string) (result, time.Duration) {
	t.Helper()
	return runLimited(t, hangLimit, dir, env, args...)
}

// digestBundle writes a small bundle and its SHA256SUMS with helios digest.
func digestBundle(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
	// From another folder: helios refuses to treat the workspace itself as a bundle.
	if r := run(t, t.TempDir(), nil, "digest", dir); r.code != 0 {
		t.Fatalf("digest: %d %s", r.code, r.stderr)
	}
	return dir
}

func fifoAt(t *testing.T, p string) {
	t.Helper()
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A bundle whose SHA256SUMS is a FIFO blocked verify and diff for ever in
// open(2), deaf to signals. Now it is refused at once.
func TestHostileFIFOLedger(t *testing.T) {
	good := digestBundle(t, map[string]string{"a.txt": "a"})
	bad := digestBundle(t, map[string]string{"a.txt": "a"})
	sums := filepath.Join(bad, "SHA256SUMS")
	fifoAt(t, sums)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"verify", []string{"verify", bad}, sums + " is a FIFO, not a regular file"},
		{"diff, folder", []string{"diff", good, bad}, sums + " is a FIFO, not a regular file"},
		{"diff, ledger file", []string{"diff", sums, good}, sums + " is a FIFO, not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, took := runWithin(t, t.TempDir(), nil, tc.args...)
			t.Logf("helios %s: exit %d after %v", tc.name, r.code, took)
			if r.code != exitcode.Failure || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Fatalf("exit %d, want %d and %q\nstdout: %s\nstderr: %s", r.code, exitcode.Failure, tc.want, r.stdout, r.stderr)
			}
		})
	}
}

// verify called names that climb out of the bundle "missing"; it now
// refuses the ledger, naming the line.
func TestHostileVerifyEscapingNames(t *testing.T) {
	sum := strings.Repeat("0", 64)
	for _, name := range []string{"../x", "/etc/passwd", "a/../../b"} {
		t.Run(name, func(t *testing.T) {
			dir := digestBundle(t, map[string]string{"a.txt": "a"})
			sums := filepath.Join(dir, "SHA256SUMS")
			writeFile(t, sums, readFile(t, sums)+sum+"  "+name+"\n")
			r, _ := runWithin(t, t.TempDir(), nil, "verify", dir)
			want := fmt.Sprintf("%s:2: name %q is not a path inside the bundle", sums, name)
			if r.code != exitcode.Failure || !strings.Contains(r.stdout, want) || strings.Contains(r.stdout, "missing") {
				t.Fatalf("exit %d, want %d and %q\nstdout: %s\nstderr: %s", r.code, exitcode.Failure, want, r.stdout, r.stderr)
			}
		})
	}
}

// A malformed ledger is the bundle's fault: exit 1 in every command that
// reads one (diff exited 3, internal), naming file:line.
func TestHostileMalformedLedger(t *testing.T) {
	good := digestBundle(t, map[string]string{"a.txt": "a"})
	bad := digestBundle(t, map[string]string{"a.txt": "a"})
	sums := filepath.Join(bad, "SHA256SUMS")
	writeFile(t, sums, readFile(t, sums)+"this is not a sha256sum line\n")
	for _, args := range [][]string{{"verify", bad}, {"diff", good, bad}, {"diff", sums, good, "--format", "json"}} {
		t.Run(strings.Join(args[:1], " "), func(t *testing.T) {
			r, _ := runWithin(t, t.TempDir(), nil, args...)
			want := sums + ":2: not a sha256sum line"
			if r.code != exitcode.Failure || !strings.Contains(r.stdout+r.stderr, want) {
				t.Fatalf("exit %d, want %d and %q\nstdout: %s\nstderr: %s", r.code, exitcode.Failure, want, r.stdout, r.stderr)
			}
		})
	}
}

// A 300 MB mission took 2 GB of memory; a FIFO mission blocked. Both are
// refused before parsing.
func TestHostileMissionFile(t *testing.T) {
	ws := t.TempDir()
	huge := filepath.Join(ws, "huge.yml")
	writeFile(t, huge, "version: 1\nname: ")
	if err := os.Truncate(huge, 300<<20); err != nil { // sparse: no disk, no memory
		t.Fatal(err)
	}
	fifoAt(t, filepath.Join(ws, "fifo.yml"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--mission", "huge.yml"}, "mission huge.yml: is 300 MiB, over the 4 MiB limit for a mission file"},
		{[]string{"run", "--mission", "huge.yml"}, "mission huge.yml: is 300 MiB, over the 4 MiB limit for a mission file"},
		{[]string{"plan", "--mission", "fifo.yml"}, "mission fifo.yml: is a FIFO, not a regular file"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r, took := runWithin(t, ws, nil, tc.args...)
			t.Logf("exit %d after %v", r.code, took)
			if r.code != exitcode.Usage || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, want %d and %q\nstderr: %s", r.code, exitcode.Usage, tc.want, r.stderr)
			}
		})
	}
}

// startBlocked starts helios with its stdout on a pipe nobody reads, and
// returns once the pipe is full: from then on helios is stuck in write(2),
// where no context reaches, the way a read of a FIFO used to be stuck.
func startBlocked(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	cmd := exec.Command(helios, args...)
	cmd.Dir, cmd.Env, cmd.Stdout = dir, append(baseEnv(), env...), pw
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	size, err := unix.FcntlInt(pr.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(hangLimit); ; time.Sleep(20 * time.Millisecond) {
		n, err := unix.IoctlGetInt(int(pr.Fd()), unix.TIOCINQ)
		if err != nil {
			t.Fatal(err)
		}
		if n >= size-4096 {
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("helios did not fill its stdout pipe (%d of %d bytes)", n, size)
		}
	}
}

// waitExit waits for cmd at most limit after the signal was sent.
func waitExit(t *testing.T, cmd *exec.Cmd, sent time.Time, limit time.Duration) (int, time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		took := time.Since(sent)
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return 0, took
		}
		return ee.ExitCode(), took
	case <-time.After(limit):
		t.Fatalf("helios still running %v after the signal", limit)
		return 0, 0
	}
}

// SIGTERM used to be caught and never acted on while a read was stuck.
// Now a command stuck where cancellation cannot reach ends within 2 s of
// the signal, and a second signal ends it at once.
func TestHostileSignalEndsStuckCommand(t *testing.T) {
	// Two ledgers that differ on every line, listed in full: far more
	// output than a pipe holds.
	dir := t.TempDir()
	var a, b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&a, "%064x  ./f%05d\n", i, i)
		fmt.Fprintf(&b, "%064x  ./f%05d\n", i+1, i)
	}
	writeFile(t, filepath.Join(dir, "a"), a.String())
	writeFile(t, filepath.Join(dir, "b"), b.String())
	args := []string{"diff", "a", "b", "--max-files", "-1"}

	t.Run("one SIGTERM", func(t *testing.T) {
		cmd := startBlocked(t, dir, nil, args...)
		sent := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		code, took := waitExit(t, cmd, sent, 2*time.Second)
		t.Logf("exit %d %v after SIGTERM (bound %v)", code, took, interrupt.CommandGrace)
		if code != exitcode.Interrupted {
			t.Fatalf("exit %d, want %d", code, exitcode.Interrupted)
		}
		if !strings.Contains(cmd.Stderr.(*bytes.Buffer).String(), "ending now") {
			t.Errorf("stderr: %s", cmd.Stderr)
		}
	})
	t.Run("SIGTERM then SIGINT", func(t *testing.T) {
		cmd := startBlocked(t, dir, nil, args...)
		cmd.Process.Signal(syscall.SIGTERM)
		time.Sleep(100 * time.Millisecond)
		sent := time.Now()
		cmd.Process.Signal(os.Interrupt)
		code, took := waitExit(t, cmd, sent, time.Second)
		t.Logf("exit %d %v after the second signal", code, took)
		if code != exitcode.Interrupted {
			t.Fatalf("exit %d, want %d", code, exitcode.Interrupted)
		}
	})
}

// An event file that is a FIFO blocked the action in open(2) before the
// mission started. It is refused at once: the action warns and reports
// without the event.
func TestHostileFIFOEventFile(t *testing.T) {
	gh := ghtest.NewServer(t)
	ar := newActionRun(t, "", prEvent(9), "pull_request", gh, nil, nil)
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), simpleMission)
	fifoAt(t, ar.event)
	cmd := exec.Command(helios, "action")
	cmd.Dir, cmd.Env = ar.ws, append(baseEnv(), ar.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	code, took := waitExit(t, cmd, time.Now(), time.Minute)
	t.Logf("exit %d after %v", code, took)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "::warning::event file") || !strings.Contains(out.String(), "is a FIFO, not a regular file") {
		t.Errorf("no warning that the event file is a FIFO:\n%s", lastLines(out.String(), 20))
	}
}

// The baseline input read absolute and ../ paths, links leading out of the
// workspace, and the report root itself (which never drifts).
func TestHostileBaselineInput(t *testing.T) {
	outside := digestBundle(t, map[string]string{"a.txt": "a"})
	mission := "version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n      - run: echo hi\n"
	for _, tc := range []struct {
		name, baseline string
		link           string // a link named "base" in the workspace to this
		fifo           bool   // base/SHA256SUMS is a FIFO
		code           int
		want           string
	}{
		{"absolute", outside, "", false, exitcode.Usage, `input "baseline": must be a path inside the workspace (a bundle folder or its SHA256SUMS), got the absolute path`},
		{"climbs out", "../x", "", false, exitcode.Usage, `input "baseline": must be a path inside the workspace (a bundle folder or its SHA256SUMS); "../x" climbs out of it`},
		{"link out", "base", outside, false, exitcode.OK, `input "baseline": base leads outside the workspace through a link`},
		{"report root", "out", "", false, exitcode.OK, `input "baseline": out is this run's report root or inside it`},
		{"FIFO ledger", "base", "", true, exitcode.OK, "SHA256SUMS is a FIFO, not a regular file; no drift computed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh := ghtest.NewServer(t)
			ar := newActionRun(t, "", prEvent(3), "pull_request", gh, nil, map[string]string{"baseline": tc.baseline, "upload": "false"})
			writeFile(t, filepath.Join(ar.ws, "helios.yml"), mission)
			if tc.link != "" {
				if err := os.Symlink(tc.link, filepath.Join(ar.ws, "base")); err != nil {
					t.Fatal(err)
				}
			}
			if tc.fifo {
				if err := os.Mkdir(filepath.Join(ar.ws, "base"), 0o755); err != nil {
					t.Fatal(err)
				}
				fifoAt(t, filepath.Join(ar.ws, "base", "SHA256SUMS"))
			}
			r, took := runWithin(t, ar.ws, ar.env, "action")
			t.Logf("exit %d after %v", r.code, took)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("exit %d, want %d and %q\n%s", r.code, tc.code, tc.want, lastLines(r.stdout, 20))
			}
			if tc.code == exitcode.OK {
				if outs := outputsOf(t, ar.outputs); outs["drift"] != "false" {
					t.Errorf("drift output %q", outs["drift"])
				}
			}
		})
	}
}
