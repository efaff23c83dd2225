package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/manifest"
)

// TestFailedStepSkipsDependents: a failed step fails its phase, phases that
// need it are skipped, independent phases still run, and the bundle is
// complete and verifiable.
func TestFailedStepSkipsDependents(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
name: failing
report-root: out
phases:
  build:
    steps:
      - run: echo building; exit 7
      - name: never
        run: echo never
  docs:
    steps:
      - run: echo docs > "$HELIOS_REPORT_ROOT/docs.txt"
  ship:
    needs: build
    steps:
      - run: echo shipping
`)
	res := run(t, ws, nil, "run")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, "out")
	sha256sumCheck(t, root)
	m := readManifest(t, root)
	want := map[string]string{"build": "failure", "docs": "success", "ship": "skipped"}
	if got := phaseStatus(m); !mapsEqual(got, want) {
		t.Errorf("phases %v, want %v", got, want)
	}
	if m.Conclusion != manifest.Failure || !strings.Contains(m.Reason, `phase "build" failed`) || !strings.Contains(m.Reason, "exit code 7") {
		t.Errorf("conclusion %q reason %q", m.Conclusion, m.Reason)
	}
	first := m.Phases[0].Steps[0]
	if first.ExitCode == nil || *first.ExitCode != 7 || first.Status != "failure" {
		t.Errorf("failed step receipt %+v", first)
	}
	if s := m.Phases[0].Steps[1]; s.Status != "skipped" {
		t.Errorf("step after the failure: %q, want skipped", s.Status)
	}
	if !strings.Contains(readFile(t, filepath.Join(root, first.Log)), "Exit code: 7") {
		t.Error("log header lacks the exit code")
	}
}

// TestDefaultMissionWithoutUpstream: the built-in drill in a folder that is
// not the upstream repository fails at its first step with npm's own error,
// recorded in the report. The docs phase needs nothing and still runs: an
// empty folder has no Markdown to fault.
func TestDefaultMissionWithoutUpstream(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	ws := t.TempDir()
	res := run(t, ws, nil, "run")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, "reports/helios-omniversal-symphony")
	sha256sumCheck(t, root)
	m := readManifest(t, root)
	if m.Mission.File != "(built-in) helios-omniversal-symphony.yml" {
		t.Errorf("mission file %q", m.Mission.File)
	}
	st := stepByID(m, "prep", "verify-toolchain-locks")
	if st == nil || st.Status != "failure" {
		t.Fatalf("first step: %+v", st)
	}
	log := readFile(t, filepath.Join(root, st.Log))
	if !strings.Contains(log, "package.json") {
		t.Errorf("the log does not carry npm's own error about package.json:\n%s", log)
	}
	want := map[string]string{"prep": "failure", "docs": "success", "preflight": "skipped", "plan": "skipped", "governance": "skipped", "kits": "skipped", "digest": "skipped"}
	if got := phaseStatus(m); !mapsEqual(got, want) {
		t.Errorf("phases %v, want %v", got, want)
	}
}

// TestInvalidMission: a bad mission file is exit 2 with file:line:col.
func TestInvalidMission(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
phases:
  plan:
    steps:
      - run: echo plan
  kits:
    needs: [plans]
    steps:
      - run: echo kits
`)
	res := run(t, ws, nil, "run")
	if res.code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, `helios.yml:7:13: phase "kits" needs unknown phase "plans"`) {
		t.Errorf("stderr:\n%s", res.stderr)
	}
	if _, err := os.Stat(filepath.Join(ws, "reports")); err == nil {
		t.Error("an invalid mission still created a report root")
	}
	if res := run(t, ws, nil, "run", "--jobs", "x"); res.code != 2 {
		t.Errorf("bad flag: exit %d, want 2", res.code)
	}
	if res := run(t, ws, nil, "run", "--mission", "nope.yml"); res.code != 2 || !strings.Contains(res.stderr, "nope.yml") {
		t.Errorf("missing mission file: exit %d\n%s", res.code, res.stderr)
	}
}

// TestSecretsAreMasked: the RPC URL's key and passed secrets never reach
// logs, the manifest, the bundle or stdout; public ones do.
func TestSecretsAreMasked(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
report-root: out
pass-env:
  - SIGNER_KEY
  - name: REGION
    public: true
phases:
  leak:
    steps:
      - name: print everything
        run: |
          echo "rpc=$HELIOS_RPC_URL key=$SIGNER_KEY region=$REGION"
          echo "token=${GITHUB_TOKEN:-none} runtime=${ACTIONS_RUNTIME_TOKEN:-none} input=$(env | grep -c '^INPUT_' || true)"
          echo "$SIGNER_KEY" >&2
          exit 3
`)
	const key = "0xdeadbeefcafebabe0123456789"
	const rpc = "https://user:hunter2pass@rpc.example.invalid/v3/abcdefabcdefabcdef0123?apikey=zzsecretzz"
	res := run(t, ws, []string{"SIGNER_KEY=" + key, "REGION=eu-west", "HELIOS_RPC_URL=" + rpc, "GITHUB_TOKEN=ghs_tokentokentoken", "ACTIONS_RUNTIME_TOKEN=rt_runtimeruntime", "INPUT_GITHUB-TOKEN=ghs_tokentokentoken"}, "run")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, "out")
	secrets := []string{key, "hunter2pass", "abcdefabcdefabcdef0123", "zzsecretzz", "ghs_tokentokentoken", "rt_runtimeruntime"}
	check := func(where, s string) {
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Errorf("%s contains the secret %q", where, sec)
			}
		}
	}
	check("stdout", res.stdout)
	check("stderr", res.stderr)
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			check(p, readFile(t, p))
		}
		return nil
	})
	log := readFile(t, filepath.Join(root, "logs/leak/print-everything.log"))
	for _, want := range []string{"key=***", "region=eu-west", "token=none runtime=none input=0"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// TestCollectStaysInside: collect refuses links that leave the workspace
// and copies links that stay inside as regular files.
func TestCollectStaysInside(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.txt"), "outside\n")
	cases := []struct {
		name, from, wantErr string
	}{
		{"link leaving the workspace", "leak.txt", "leads outside the workspace"},
		{"parent path", "../x", `helios.yml:7:17: glob "../x" in "from" must not contain ".."`},
		{"absolute path", "/etc/passwd", `helios.yml:7:17: glob "/etc/passwd" in "from" must be relative`},
		{"no match", "nothing-*.txt", "no files match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(ws, "leak.txt")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(ws, "helios.yml"), "version: 1\nreport-root: out\nphases:\n  c:\n    steps:\n      - collect:\n          from: "+tc.from+"\n")
			res := run(t, ws, nil, "run")
			if strings.HasPrefix(tc.wantErr, "helios.yml") {
				// Refused when the mission is loaded, before anything runs.
				if res.code != 2 || !strings.Contains(res.stderr, tc.wantErr) {
					t.Fatalf("exit %d, want 2 with %q\n%s", res.code, tc.wantErr, res.stderr)
				}
				return
			}
			if res.code != 1 {
				t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			m := readManifest(t, filepath.Join(ws, "out"))
			if e := m.Phases[0].Steps[0].Error; !strings.Contains(e, tc.wantErr) {
				t.Errorf("error %q, want it to say %q", e, tc.wantErr)
			}
			sha256sumCheck(t, filepath.Join(ws, "out"))
		})
	}
	t.Run("link inside is copied as a file", func(t *testing.T) {
		ws := t.TempDir()
		writeFile(t, filepath.Join(ws, "data/real.txt"), "real\n")
		if err := os.Symlink("real.txt", filepath.Join(ws, "data/alias.txt")); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(ws, "helios.yml"), "version: 1\nreport-root: out\nphases:\n  c:\n    steps:\n      - collect:\n          from: data\n          to: copied\n")
		if res := run(t, ws, nil, "run"); res.code != 0 {
			t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		fi, err := os.Lstat(filepath.Join(ws, "out/copied/data/alias.txt"))
		if err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("alias.txt in the bundle: %v %v", fi, err)
		}
		sha256sumCheck(t, filepath.Join(ws, "out"))
	})
}

// TestCancelEndsProcessGroup: SIGTERM mid-step ends the step's whole process
// tree and still leaves a verifiable bundle marked cancelled.
func TestCancelEndsProcessGroup(t *testing.T) {
	for _, tc := range []struct{ name, trap string }{
		{"step ends on SIGTERM", ""},
		{"step ignores SIGTERM and is killed", "trap '' TERM"},
	} {
		t.Run(tc.name, func(t *testing.T) { testCancel(t, tc.trap) })
	}
}

func testCancel(t *testing.T, trap string) {
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
report-root: out
phases:
  long:
    steps:
      - name: sleeper
        run: |
          `+trap+`
          sleep 300 &
          echo $! > child.pid
          echo started
          wait
  after:
    needs: long
    steps:
      - run: echo never
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, helios, "run")
	cmd.Dir = ws
	cmd.Env = baseEnv()
	var out bytes.Buffer
	pr, pw, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = pw, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	sc := bufio.NewScanner(pr)
	started := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "started") {
			started = true
			break
		}
	}
	if !started {
		t.Fatalf("the step never started: %s", out.String())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	pidText := readFile(t, filepath.Join(ws, "child.pid"))
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	took := time.Since(sent)
	// The runner allows about 7.5 s after SIGINT; the bundle is written
	// well within 2 s (KillGrace is 1 s). Logged, not asserted: timing.
	t.Logf("helios exited %v after SIGTERM in %s", err, took)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want code 1", err)
	}
	// The child in the step's group is gone (reaped by init or a zombie at most).
	if alive(pid) {
		t.Errorf("the step's child %d outlived the cancelled run", pid)
	}
	root := filepath.Join(ws, "out")
	sha256sumCheck(t, root)
	m := readManifest(t, root)
	if m.Conclusion != manifest.Cancelled {
		t.Errorf("conclusion %q, want cancelled", m.Conclusion)
	}
	if got := phaseStatus(m); got["long"] != "cancelled" || got["after"] != "cancelled" {
		t.Errorf("phases %v", got)
	}
}

// waitFor reads r until a line contains want (bounded by the reader's end).
func waitFor(t *testing.T, r io.Reader, want string) {
	t.Helper()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			return
		}
	}
	t.Fatalf("never saw %q", want)
}

// alive reports whether pid runs (a zombie waiting for its reaper counts as gone).
func alive(pid int) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); err != nil {
			return false
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		if f := strings.Fields(string(b)); len(f) > 2 && f[2] == "Z" {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// TestTimeouts: a step that outlives its timeout fails even when it exits
// 0 on SIGTERM, and a phase past its own timeout starts no further steps.
func TestTimeouts(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
report-root: out
phases:
  slow-step:
    steps:
      - name: ignores its deadline politely
        timeout: 300ms
        run: trap 'exit 0' TERM; sleep 10 & wait
  slow-phase:
    timeout: 300ms
    steps:
      - name: sleeps past the phase
        run: trap 'exit 0' TERM; sleep 10 & wait
      - name: after the deadline
        run: echo should not run
`)
	res := run(t, ws, nil, "run")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	m := readManifest(t, filepath.Join(ws, "out"))
	st := m.Phases[0].Steps[0]
	if st.Status != "failure" || !strings.Contains(st.Error, "step timed out after 300ms") {
		t.Errorf("step past its timeout: %+v", st)
	}
	ph := m.Phases[1]
	if ph.Status != "failure" || ph.Steps[0].Status != "failure" || !strings.Contains(ph.Steps[0].Error, "phase timed out after 300ms") || ph.Steps[1].Status != "skipped" {
		t.Errorf("phase past its timeout: %+v", ph)
	}
}

// TestReservedNamesAndPlantedLinks: a step cannot keep the bundle from
// being sealed by squatting on manifest.json or index.html, nor make
// collect write outside the report root through a link it planted there.
func TestReservedNamesAndPlantedLinks(t *testing.T) {
	outside := t.TempDir()
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "data/f.txt"), "f\n")
	writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
report-root: out
phases:
  squat:
    steps:
      - run: mkdir -p "$HELIOS_REPORT_ROOT/index.html/d" "$HELIOS_REPORT_ROOT/manifest.json"
  plant:
    steps:
      - run: ln -s `+outside+` "$HELIOS_REPORT_ROOT/escape"
      - collect:
          from: data/f.txt
          to: escape
`)
	res := run(t, ws, nil, "run")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, "out")
	sha256sumCheck(t, root)
	m := readManifest(t, root)
	if !strings.Contains(res.stdout, "a step wrote index.html, which helios writes itself") {
		t.Errorf("no warning about the squatted names:\n%s", res.stdout)
	}
	if e := m.Phases[1].Steps[1].Error; !strings.Contains(e, "out/escape is a symbolic link") {
		t.Errorf("collect through a planted link: %q", e)
	}
	if _, err := os.Stat(filepath.Join(outside, "f.txt")); err == nil {
		t.Error("collect wrote outside the report root")
	}
}
