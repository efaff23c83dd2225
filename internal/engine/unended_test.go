//go:build linux

package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/manifest"
)

// freezerCgroup makes a cgroup v1 freezer group for the test, or skips.
// A frozen process does not act on SIGKILL until it is thawed: it is the
// real case of a step's process that its supervisor cannot end.
func freezerCgroup(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("freezing a process in a cgroup needs root")
	}
	dir := filepath.Join("/sys/fs/cgroup/freezer", fmt.Sprintf("helios-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("no writable cgroup v1 freezer: %v", err)
	}
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
		for i := 0; i < 100; i++ {
			if err := os.Remove(dir); err == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("cgroup %s still busy", dir)
	})
	return dir
}

// freeze moves pid into the freezer group and waits (bounded) until the
// group is frozen.
func freeze(cg string, pid int) error {
	if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cg, "freezer.state"), []byte("FROZEN"), 0); err != nil {
		return err
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(filepath.Join(cg, "freezer.state")); strings.TrimSpace(string(b)) == "FROZEN" {
			return nil
		}
	}
	return fmt.Errorf("%s never froze", cg)
}

// A step leaves a process its supervisor cannot end (frozen, so SIGKILL
// waits): the run fails whatever continue-on-error says, the Result names
// the step so that the action withholds the upload, and the reason says why.
func TestUnendedProcessFailsTheRun(t *testing.T) {
	cg := freezerCgroup(t)
	dir := t.TempDir()
	pidFile, frozen := filepath.Join(dir, "pid"), filepath.Join(dir, "frozen")
	var pid atomic.Int64
	t.Cleanup(func() {
		if p := pid.Load(); p > 0 {
			syscall.Kill(int(p), syscall.SIGKILL)
		}
	})
	done := make(chan error, 1)
	go func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			b, _ := os.ReadFile(pidFile)
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				pid.Store(int64(p))
				err := freeze(cg, p)
				if err == nil {
					err = os.WriteFile(frozen, nil, 0o644)
				}
				done <- err
				return
			}
		}
		done <- fmt.Errorf("the step never wrote %s", pidFile)
	}()
	ws := t.TempDir()
	res, con := runMission(t, ws, `version: 1
name: unended
report-root: out
phases:
  a:
    continue-on-error: true
    steps:
      - name: hold
        run: |
          sleep 300 & echo $! >`+pidFile+`
          while [ ! -e `+frozen+` ]; do sleep .02; done
`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := []string{`1 process of step "hold"`}; strings.Join(res.Unended, "|") != strings.Join(want, "|") {
		t.Errorf("Unended %q, want %q", res.Unended, want)
	}
	const why = `1 process of step "hold" could not be ended; the bundle is not uploaded`
	if mf := res.Manifest; mf.Conclusion != manifest.Failure || !strings.HasPrefix(mf.Reason, why) {
		t.Errorf("conclusion %q, reason %q; want failure because %s", mf.Conclusion, mf.Reason, why)
	}
	if !strings.Contains(con, why) {
		t.Errorf("console does not say %q:\n%s", why, con)
	}
	root := filepath.Join(ws, "out")
	if mf, err := manifest.Read(filepath.Join(root, manifest.FileName)); err != nil || !strings.HasPrefix(mf.Reason, why) {
		t.Errorf("sealed manifest: %v %v", mf, err)
	}
	verifyBundle(t, root)
}
