package action

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// routeIndex is the position of the first request to route, -1 if none.
func routeIndex(reqs []ghtest.Request, route string) int {
	return slices.IndexFunc(reqs, func(r ghtest.Request) bool { return r.Route == route })
}

// TestCheckRunLifecycle: the check run is created in progress before the
// mission runs and completed exactly once, whichever way the run ends.
func TestCheckRunLifecycle(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", simpleMission).input("status", "both")
		gh := tr.withGitHub()
		env := tr.env()
		var during []string // the check runs' statuses while the mission runs
		env.BeforeLedger = func(context.Context, *engine.Result, []ledger.Entry) ([]string, error) {
			for _, c := range gh.CheckRuns() {
				during = append(during, c.Status)
			}
			return nil, nil
		}
		if code := Main(context.Background(), env); code != exitcode.OK {
			t.Fatalf("exit %d\n%s", code, tr.stdout.String())
		}
		if !slices.Equal(during, []string{"in_progress"}) {
			t.Errorf("check runs while the mission ran: %q, want one in progress", during)
		}
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "success" || runs[0].Updates != 1 || runs[0].HeadSHA != testSHA || runs[0].Name != "Helios mission" {
			t.Fatalf("check runs %+v", runs)
		}
		// Completed with the whole report, after the comment and before
		// the status, as it always was.
		reqs := gh.Requests()
		patch, comment, status := routeIndex(reqs, ghtest.RouteUpdateCheck), routeIndex(reqs, ghtest.RouteCreateComment), routeIndex(reqs, ghtest.RouteCreateStatus)
		if !(comment < patch && patch < status) {
			t.Errorf("requests in the order %v", reqs)
		}
		outs := tr.outs()
		if outs["check-run-id"] == "" || outs["check-run-url"] == "" || outs["conclusion"] != "success" {
			t.Errorf("outputs %v", outs)
		}
		if !strings.Contains(readFile(t, tr.summary), outs["check-run-url"]) {
			t.Error("the summary does not link the check run")
		}
	})
	t.Run("failure", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", "version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n      - run: exit 3\n")
		gh := tr.withGitHub()
		if code := tr.main(context.Background()); code != exitcode.Failure {
			t.Fatalf("exit %d\n%s", code, tr.stdout.String())
		}
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].Conclusion != "failure" || runs[0].Updates != 1 {
			t.Fatalf("check runs %+v", runs)
		}
		if a := runs[0].Annotations; len(a) != 1 || a[0].Path != "helios.yml" || a[0].StartLine != 6 || a[0].Level != "failure" {
			t.Errorf("annotations %+v", a)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", "version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n      - uses: helios/cancel\n").input("status", "both")
		gh := tr.withGitHub()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr.builtins = []engine.Builtin{canceller{cancel}}
		if code := tr.main(ctx); code != exitcode.Failure {
			t.Fatalf("exit %d\n%s", code, tr.stdout.String())
		}
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].Conclusion != "cancelled" || runs[0].Updates != 1 {
			t.Fatalf("check runs %+v", runs)
		}
		// Completed first, before anything slower.
		reqs := gh.Requests()
		patch := routeIndex(reqs, ghtest.RouteUpdateCheck)
		for _, later := range []string{ghtest.RouteListComments, ghtest.RouteCreateComment, ghtest.RouteCreateStatus} {
			if i := routeIndex(reqs, later); i < patch {
				t.Errorf("%s (request %d) came before the check run's completion (%d)", later, i, patch)
			}
		}
		if st := gh.Statuses(); len(st) != 1 || st[0].State != "error" {
			t.Errorf("statuses %+v", st)
		}
		if got := tr.outs()["conclusion"]; got != "cancelled" {
			t.Errorf("conclusion output %q", got)
		}
	})
	t.Run("the mission could not run", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", "version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n      - run: echo\n")
		writeFile(t, filepath.Join(tr.ws, "out", "not-a-bundle.txt"), "mine\n")
		gh := tr.withGitHub()
		if code := tr.main(context.Background()); code != exitcode.Usage {
			t.Fatalf("exit %d\n%s", code, tr.stdout.String())
		}
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" || runs[0].Updates != 1 {
			t.Fatalf("check runs %+v", runs)
		}
		if sum := readFile(t, tr.summary); !strings.Contains(sum, "### ❌ Helios: the mission could not run") {
			t.Errorf("summary:\n%s", sum)
		}
		if got := tr.outs()["conclusion"]; got != "failure" {
			t.Errorf("conclusion output %q", got)
		}
	})
	t.Run("a panic", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", "version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n      - uses: helios/lint\n        with: {panic: true}\n")
		gh := tr.withGitHub()
		p := func() (p any) {
			defer func() { p = recover() }()
			tr.main(context.Background())
			return nil
		}()
		if p != "the annotator broke" {
			t.Fatalf("recovered %v", p)
		}
		// The mission passed, but the action stopped before it reported:
		// a required check must not pass on that.
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Updates != 1 || runs[0].Conclusion != "failure" {
			t.Fatalf("check runs %+v", runs)
		}
	})
	t.Run("refused", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", simpleMission).input("comment", "off")
		gh := tr.withGitHub()
		gh.Inject(ghtest.RouteCreateCheck, 1, ghtest.NotAccessible())
		if code := tr.main(context.Background()); code != exitcode.OK {
			t.Fatalf("exit %d\n%s", code, tr.stdout.String())
		}
		if n := gh.Count(ghtest.RouteUpdateCheck); n != 0 {
			t.Errorf("%d updates of a check run that was never created", n)
		}
		if got := tr.lines("::notice::GitHub refused"); len(got) != 1 || !strings.Contains(got[0], "the check run (403 Resource not accessible by integration)") || !strings.Contains(got[0], "`checks: write`") {
			t.Errorf("notices %q", got)
		}
		if outs := tr.outs(); outs["check-run-id"] != "" || outs["conclusion"] != "success" {
			t.Errorf("outputs %v", outs)
		}
	})
	t.Run("not wanted", func(t *testing.T) {
		for _, s := range []string{"commit-status", "off"} {
			tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("status", s)
			gh := tr.withGitHub()
			if code := tr.main(context.Background()); code != exitcode.OK {
				t.Fatalf("exit %d\n%s", code, tr.stdout.String())
			}
			if n := gh.Count(ghtest.RouteCreateCheck); n != 0 {
				t.Errorf("status %s: %d check runs created", s, n)
			}
		}
	})
}

// TestGitHubDown: GitHub answering 500 to everything costs the first call
// its retries and each later call one try; the retries wait on Env's
// clock (instant here), and the conclusion is the mission's.
func TestGitHubDown(t *testing.T) {
	tr := newTestRun(t, "pull_request", prEvent(5)).mission("helios.yml", simpleMission).input("status", "both")
	gh := tr.withGitHub()
	for _, route := range []string{ghtest.RouteCreateCheck, ghtest.RouteUpdateCheck, ghtest.RouteListComments, ghtest.RouteCreateComment, ghtest.RouteCreateStatus, ghtest.RouteGraphQL} {
		gh.Inject(route, 100, ghtest.ServerError())
	}
	start := tr.clock.Now()
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("exit %d: reports GitHub could not take must not fail the mission\n%s", code, tr.stdout.String())
	}
	if n := gh.Count(""); n < 2 || n > 4+3 {
		t.Errorf("%d requests: want the first call's 4 tries, then one per call: %v", n, gh.Counts())
	}
	if !tr.clock.Now().After(start) {
		t.Error("the retries did not wait on Env's clock")
	}
	if got := tr.lines("::warning::"); len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), "500") {
		t.Errorf("no warning names the 500:\n%s", tr.stdout.String())
	}
	if got := tr.outs()["conclusion"]; got != "success" {
		t.Errorf("conclusion %q", got)
	}
}

// TestExitCodes: what the step exits with, from the conclusion and the
// fail-on-failure input.
func TestExitCodes(t *testing.T) {
	const failing = "version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n      - run: exit 1\n"
	for _, tc := range []struct {
		name, mission string
		inputs        map[string]string
		code          int
		notice        string
	}{
		{"success", simpleMission, nil, exitcode.OK, ""},
		{"failure", failing, nil, exitcode.Failure, ""},
		{"failure, fail-on-failure false", failing, map[string]string{"fail-on-failure": "false"}, exitcode.OK, "::notice::the mission concluded failure; fail-on-failure is false, so the step succeeds"},
		{"gate failed", simpleMission, map[string]string{"needs": `{"test":{"result":"cancelled"}}`}, exitcode.Failure, ""},
		{"bad input", simpleMission, map[string]string{"status": "sometimes"}, exitcode.Usage, ""},
		{"bad mission", "version: 1\nphases: []\nnope: 1\n", nil, exitcode.Usage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRun(t, "push", nil).mission("helios.yml", tc.mission)
			for k, v := range tc.inputs {
				tr.input(k, v)
			}
			if code := tr.main(context.Background()); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, tr.stdout.String())
			}
			if tc.notice != "" && !slices.Contains(tr.lines("::notice::"), tc.notice) {
				t.Errorf("no %q:\n%s", tc.notice, tr.stdout.String())
			}
		})
	}
}

// canceller is a built-in step that cancels the run, as a signal does.
type canceller struct{ cancel context.CancelFunc }

func (canceller) Name() string                   { return "helios/cancel" }
func (canceller) Check(string, *yaml.Node) error { return nil }

func (c canceller) Run(ctx context.Context, _ *engine.StepContext) error {
	c.cancel()
	<-ctx.Done()
	return ctx.Err()
}

// subMission runs in its folder: it writes where it ran, finds one lint
// problem and fails a step.
const subMission = `version: 1
name: sub
report-root: out
phases:
  check:
    steps:
      - run: pwd > "$HELIOS_REPORT_ROOT/pwd.txt"
      - uses: helios/lint
        with: {findings: 1}
      - run: exit 3
`

// TestWorkingDirectory: a mission in a subfolder runs there, and every
// path the action shows is relative to the workspace.
func TestWorkingDirectory(t *testing.T) {
	tr := newTestRun(t, "pull_request", prEvent(7)).mission("apps/a/ci/helios.yml", subMission).
		input("working-directory", "apps/a").input("mission", "ci/helios.yml").input("fail-on-failure", "false")
	gh := tr.withGitHub()
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, tr.stdout.String())
	}
	if got := strings.TrimSpace(readFile(t, filepath.Join(tr.ws, "apps/a/out/pwd.txt"))); got != filepath.Join(tr.ws, "apps/a") {
		t.Errorf("the mission ran in %s", got)
	}
	outs := tr.outs()
	for k, want := range map[string]string{"report-root": "apps/a/out", "sha256sums": "apps/a/out/SHA256SUMS", "manifest": "apps/a/out/manifest.json", "conclusion": "failure"} {
		if outs[k] != want {
			t.Errorf("output %s = %q, want %q", k, outs[k], want)
		}
	}
	if got := tr.lines("::error file="); len(got) != 1 || !strings.HasPrefix(got[0], "::error file=apps/a/lint/f00.md,line=1,") {
		t.Errorf("annotations %q", got)
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 || len(runs[0].Annotations) != 1 || runs[0].Annotations[0].Path != "apps/a/ci/helios.yml" || runs[0].Annotations[0].StartLine != 10 {
		t.Errorf("check runs %+v", runs)
	}
	// The manifest is the bundle's own: its paths are the mission folder's.
	mf, err := manifest.Read(filepath.Join(tr.ws, "apps/a/out/manifest.json"))
	if err != nil || mf.Mission.ReportRoot != "out" || mf.Mission.File != "ci/helios.yml" {
		t.Errorf("manifest mission %+v, %v", mf.Mission, err)
	}

	// Reports placed on step logs (no line in a mission file) are placed
	// in the workspace too.
	r := &runner{ws: tr.ws, dir: filepath.Join(tr.ws, "apps/a"), bundle: &bundleInfo{root: filepath.Join(tr.ws, "apps/a/out"), manifest: mf}}
	if got := r.reportManifest(); got.Mission.ReportRoot != "apps/a/out" || mf.Mission.ReportRoot != "out" {
		t.Errorf("report root for the reports %q (bundle's %q)", got.Mission.ReportRoot, mf.Mission.ReportRoot)
	}
}

// TestWorkingDirectoryRunFalse: with run: false the bundle is verified at
// report-root in the working directory.
func TestWorkingDirectoryRunFalse(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("apps/a/helios.yml", simpleMission).input("working-directory", "apps/a")
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("run: exit %d\n%s", code, tr.stdout.String())
	}
	first := tr.outs()
	writeFile(t, tr.outputs, "")
	tr.input("run", "false")
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("run: false: exit %d\n%s", code, tr.stdout.String())
	}
	second := tr.outs()
	if second["report-root"] != "apps/a/out" || second["ledger-digest"] != first["ledger-digest"] {
		t.Errorf("outputs %v, then %v", first, second)
	}
}

func TestWorkingDirectoryRefused(t *testing.T) {
	outside := t.TempDir()
	for _, tc := range []struct{ name, value, want string }{
		{"climbing out", "../elsewhere", `"../elsewhere" climbs out of it with ".."`},
		{"absolute outside", outside, `must be a folder inside the workspace`},
		{"a link out", "out-link", "out-link leads outside the workspace through a link"},
		{"missing", "apps/b", "apps/b: no such folder in the workspace"},
		{"a file", "apps/a/helios.yml", "apps/a/helios.yml is not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRun(t, "push", nil).mission("apps/a/helios.yml", simpleMission).input("working-directory", tc.value)
			if err := os.Symlink(outside, filepath.Join(tr.ws, "out-link")); err != nil {
				t.Fatal(err)
			}
			if code := tr.main(context.Background()); code != exitcode.Usage {
				t.Fatalf("exit %d\n%s", code, tr.stdout.String())
			}
			got := tr.lines("::error::")
			if len(got) != 1 || !strings.HasPrefix(got[0], `::error::input "working-directory": `) || !strings.Contains(got[0], tc.want) {
				t.Errorf("errors %q, want one saying %q", got, tc.want)
			}
			if c := tr.outs()["conclusion"]; c != "failure" {
				t.Errorf("conclusion %q", c)
			}
		})
	}
}

func TestWorkingDir(t *testing.T) {
	ws := t.TempDir()
	outside := t.TempDir()
	for _, d := range []string{"apps/a", "real/b"} {
		if err := os.MkdirAll(filepath.Join(ws, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(ws, "file"), "")
	for name, target := range map[string]string{"in": filepath.Join(ws, "real"), "out": outside, "up": ".."} {
		if err := os.Symlink(target, filepath.Join(ws, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ value, want, err string }{
		{"", ws, ""},
		{".", ws, ""},
		{"apps/a", filepath.Join(ws, "apps/a"), ""},
		{"apps/a/", filepath.Join(ws, "apps/a"), ""},
		{"apps/../apps/a", filepath.Join(ws, "apps/a"), ""},
		{filepath.Join(ws, "apps/a"), filepath.Join(ws, "apps/a"), ""},
		{"in/b", filepath.Join(ws, "real/b"), ""}, // spelled without the link
		{"..", "", `".." climbs out of it`},
		{"apps/../../x", "", `climbs out of it`},
		{outside, "", "got the absolute path"},
		{ws + "/../x", "", "got the absolute path"},
		{"out", "", "out leads outside the workspace through a link"},
		{"up/x", "", "up/x: no such folder"},
		{"up", "", "up leads outside the workspace through a link"},
		{"file", "", "file is not a folder"},
		{"nope", "", "nope: no such folder in the workspace"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			got, err := workingDir(ws, tc.value)
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), `input "working-directory": `) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %q, %v; want an error saying %q", got, err, tc.err)
			}
		})
	}
}

// TestMissionInWorkingDirectory: the mission input is relative to the
// working directory and may leave it, never the workspace.
func TestMissionInWorkingDirectory(t *testing.T) {
	const ws = "/github/workspace"
	dir := ws + "/apps/a"
	for _, tc := range []struct{ name, value, want string }{
		{"relative", "ci/helios.yml", ""},
		{"up into the workspace", "../shared/helios.yml", ""},
		{"absolute inside", ws + "/shared/helios.yml", ""},
		{"out of the workspace", "../../../helios.yml", `(relative to the working-directory apps/a, or absolute inside the workspace), got "../../../helios.yml"`},
		{"absolute outside", "/etc/helios.yml", `got "/etc/helios.yml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := missionProblem(ws, dir, tc.value)
			if tc.want == "" {
				if got != "" {
					t.Fatalf("refused: %s", got)
				}
				return
			}
			if !strings.HasPrefix(got, "must be a mission file in the workspace /github/workspace") || !strings.Contains(got, tc.want) {
				t.Fatalf("problem %q, want it to say %q", got, tc.want)
			}
		})
	}
}

// TestDefaultKey: the key of a run without working-directory is what it
// always was (the comment marker and the artifact name hold it); with one
// it differs, so two subfolders' missions in one job are told apart. The
// baseline and fail-on-drift inputs do not count: a pull request finds its
// base branch's artifact by a name that holds the key.
func TestDefaultKey(t *testing.T) {
	in := &Inputs{Mission: "ci/helios.yml", ReportRoot: "out", Network: "hardhat", Baseline: "auto", Run: true}
	if got := defaultKey("mission", in); got != "mission-21130505" {
		t.Errorf("key %q, want mission-21130505", got)
	}
	for _, v := range []Inputs{{Baseline: "none"}, {Baseline: "base"}, {Baseline: "auto", FailOnDrift: true}} {
		c := *in
		c.Baseline, c.FailOnDrift = v.Baseline, v.FailOnDrift
		if got := defaultKey("mission", &c); got != "mission-21130505" {
			t.Errorf("baseline %q, fail-on-drift %v: key %q, want mission-21130505", v.Baseline, v.FailOnDrift, got)
		}
	}
	if got := defaultKey("", &Inputs{Run: true}); got != "job-d740f83a" {
		t.Errorf("key %q, want job-d740f83a", got)
	}
	a, b := *in, *in
	a.WorkingDirectory, b.WorkingDirectory = "apps/a", "apps/b"
	if ka, kb := defaultKey("mission", &a), defaultKey("mission", &b); ka == kb || ka == "mission-21130505" {
		t.Errorf("keys %q and %q", ka, kb)
	}
}
