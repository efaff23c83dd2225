package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/manifest"
)

// runMission runs src in ws and returns the result and the console.
func runMission(t *testing.T, ws, src string) (*engine.Result, string) {
	t.Helper()
	return runWithJobs(t, ws, src, 0)
}

// runWithJobs runs src in ws with at most jobs phases side by side (0:
// the CPUs) and returns the result and the console.
func runWithJobs(t *testing.T, ws, src string, jobs int) (*engine.Result, string) {
	t.Helper()
	reg := engine.NewRegistry()
	m, err := reg.Parse("helios.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var con bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := engine.Run(ctx, m, engine.Options{Workspace: ws, Builtins: reg, Console: &con, Jobs: jobs,
		Environ: []string{"PATH=" + os.Getenv("PATH"), "HOME=/root"}})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, con.String())
	}
	return res, con.String()
}

func stepLog(t *testing.T, res *engine.Result, phase int) string {
	t.Helper()
	st := res.Manifest.Phases[phase].Steps[0]
	b, err := os.ReadFile(filepath.Join(res.ReportRoot, filepath.FromSlash(st.Log)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Issue 17 item 5: a setsid grandchild outlived its step and kept writing
// into the bundle after it was sealed.
func TestEscapedStepProcessEndsBeforeSealing(t *testing.T) {
	ws := t.TempDir()
	res, con := runMission(t, ws, `version: 1
name: escape
report-root: out
phases:
  a:
    steps:
      - name: escape
        run: |
          setsid sh -c 'while :; do date >> "$HELIOS_REPORT_ROOT/x"; sleep .05; done' &
          while [ ! -s "$HELIOS_REPORT_ROOT/x" ]; do sleep .01; done
`)
	const want = `ended 1 leftover process of step "escape"`
	if !strings.Contains(con, want) {
		t.Errorf("console does not say %q:\n%s", want, con)
	}
	if log := stepLog(t, res, 0); !strings.Contains(log, want) {
		t.Errorf("step log does not say %q:\n%s", want, log)
	}
	// Leftovers are ended, not a failure of the step.
	if st := res.Manifest.Phases[0].Steps[0]; st.Status != manifest.Success {
		t.Errorf("step %s: %s", st.Status, st.Error)
	}
	x, err := os.ReadFile(filepath.Join(res.ReportRoot, "x"))
	if err != nil || len(x) == 0 {
		t.Fatalf("the escaped loop never wrote: %v", err)
	}
	// Had the loop survived, x would have grown by a line every 50 ms.
	time.Sleep(time.Second)
	cmd := exec.Command("sha256sum", "--strict", "-c", "SHA256SUMS")
	cmd.Dir = res.ReportRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c a second after the run: %v\n%s", err, out)
	}
}

// Issue 17 item 4: steps ran as root, next to the Docker socket and helios's
// environment. With a workspace owned by another user they run as that user.
func TestStepsRunAsWorkspaceOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("steps change user only when helios is root")
	}
	ws := t.TempDir()
	// t.TempDir's parent is private to root; the step's user must be able
	// to reach the report root by its absolute path.
	if err := os.Chmod(filepath.Dir(ws), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(ws, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	res, _ := runMission(t, ws, fmt.Sprintf(`version: 1
name: owner
report-root: out
env:
  HELIOS_TEST_PID: "%d"
phases:
  a:
    steps:
      - run: |
          out="$HELIOS_REPORT_ROOT/who"
          id -u >"$out"
          id -G >>"$out"
          grep -E '^Cap(Inh|Prm|Eff|Amb):' /proc/self/status >>"$out"
          for p in "$HELIOS_TEST_PID" "$PPID"; do
            if cat "/proc/$p/environ" >/dev/null 2>&1; then echo "environ of $p readable"; else echo "environ refused"; fi
          done >>"$out"
          touch file-in-workspace
`, os.Getpid()))
	if res.Manifest.Conclusion != manifest.Success {
		t.Fatalf("run %s: %s\n%s", res.Manifest.Conclusion, res.Manifest.Reason, stepLog(t, res, 0))
	}
	b, err := os.ReadFile(filepath.Join(res.ReportRoot, "who"))
	if err != nil {
		t.Fatal(err)
	}
	want := `65534
65534
CapInh:	0000000000000000
CapPrm:	0000000000000000
CapEff:	0000000000000000
CapAmb:	0000000000000000
environ refused
environ refused
`
	if string(b) != want {
		t.Errorf("the step saw:\n%s\nwant:\n%s", b, want)
	}
	for _, p := range []string{filepath.Join(ws, "file-in-workspace"), res.ReportRoot, filepath.Join(res.ReportRoot, "logs")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 65534 {
			t.Errorf("%s is owned by %d, want the workspace owner 65534", p, uid)
		}
	}
}

// With a workspace owned by root there is no one to drop to: steps stay
// root, and the console says so.
func TestRootWorkspaceKeepsRootWithNotice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the notice is for helios running as root")
	}
	res, con := runMission(t, t.TempDir(), `version: 1
name: root
report-root: out
phases:
  a:
    steps:
      - run: id -u >"$HELIOS_REPORT_ROOT/who"
`)
	if !strings.Contains(con, "steps run as root: they are not separated from helios") {
		t.Errorf("no notice on the console:\n%s", con)
	}
	if b, _ := os.ReadFile(filepath.Join(res.ReportRoot, "who")); string(b) != "0\n" {
		t.Errorf("step ran as %q, want root", b)
	}
}
