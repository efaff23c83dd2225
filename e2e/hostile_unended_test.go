//go:build linux

package e2e

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

	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
)

// freezeWhenWritten waits (bounded) for pidFile, freezes that process in a
// new cgroup v1 freezer group, then creates flag. A frozen process does not
// act on SIGKILL until it is thawed: the real case of a step's process its
// supervisor cannot end. It skips when no freezer can be made, and thaws,
// kills and removes everything at cleanup.
func freezeWhenWritten(t *testing.T, pidFile, flag string) <-chan error {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("freezing a process in a cgroup needs root")
	}
	cg := filepath.Join("/sys/fs/cgroup/freezer", fmt.Sprintf("helios-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Skipf("no writable cgroup v1 freezer: %v", err)
	}
	var pid atomic.Int64
	t.Cleanup(func() {
		if p := pid.Load(); p > 0 {
			syscall.Kill(int(p), syscall.SIGKILL)
		}
		os.WriteFile(filepath.Join(cg, "freezer.state"), []byte("THAWED"), 0)
		for i := 0; i < 100; i++ {
			if os.Remove(cg) == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("cgroup %s still busy", cg)
	})
	done := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(15 * time.Second)
		for ; time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			b, _ := os.ReadFile(pidFile)
			p, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				continue
			}
			pid.Store(int64(p))
			if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(p)), 0); err != nil {
				done <- err
				return
			}
			if err := os.WriteFile(filepath.Join(cg, "freezer.state"), []byte("FROZEN"), 0); err != nil {
				done <- err
				return
			}
			for ; time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if b, _ := os.ReadFile(filepath.Join(cg, "freezer.state")); strings.TrimSpace(string(b)) == "FROZEN" {
					done <- os.WriteFile(flag, nil, 0o644)
					return
				}
			}
		}
		done <- fmt.Errorf("%s was never written, or the process never froze", pidFile)
	}()
	return done
}

// A step leaves a process that its supervisor cannot end. It could rewrite
// a sealed file keeping its size and mtime, which the sealing check would
// miss: the action fails and uploads nothing, even with continue-on-error
// and fail-on-failure off, and says why in the log and the job summary.
func TestHostileStepsUnendedWithholdsUpload(t *testing.T) {
	dir := t.TempDir()
	pidFile, flag := filepath.Join(dir, "pid"), filepath.Join(dir, "frozen")
	frozen := freezeWhenWritten(t, pidFile, flag)
	gh := ghtest.NewServer(t)
	art := artifacttest.Start(t, artifacttest.Options{})
	ar := newActionRun(t, "", prEvent(19), "pull_request", gh, art, map[string]string{"fail-on-failure": "false"})
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), `version: 1
name: unended
report-root: out
phases:
  a:
    continue-on-error: true
    steps:
      - run: echo built > "$HELIOS_REPORT_ROOT/built.txt"
      - name: hold
        run: |
          sleep 300 & echo $! >`+pidFile+`
          while [ ! -e `+flag+` ]; do sleep .02; done
`)
	res := ar.run(t)
	if err := <-frozen; err != nil {
		t.Fatal(err)
	}
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	if reqs := art.Requests(); len(reqs) != 0 {
		t.Errorf("the artifact service got %d requests, want none: %+v", len(reqs), reqs)
	}
	const why = `1 process of step "hold" could not be ended`
	if !strings.Contains(res.stdout, "::error::artifact upload withheld: "+why) {
		t.Errorf("the log does not say the upload was withheld because %s:\n%s", why, res.stdout)
	}
	summary := readFile(t, ar.summary)
	if !strings.Contains(summary, "Bundle not uploaded") || !strings.Contains(summary, "could not be ended") {
		t.Errorf("the job summary does not say the bundle was withheld:\n%s", summary)
	}
	if outs := outputsOf(t, ar.outputs); outs["conclusion"] != "failure" || outs["artifact-id"] != "" {
		t.Errorf("outputs conclusion %q artifact-id %q", outs["conclusion"], outs["artifact-id"])
	}
	root := filepath.Join(ar.ws, "out")
	if mf := readManifest(t, root); mf.Conclusion != "failure" || !strings.Contains(mf.Reason, why+"; the bundle is not uploaded") {
		t.Errorf("manifest conclusion %q reason %q", mf.Conclusion, mf.Reason)
	}
	sha256sumCheck(t, root)
}
