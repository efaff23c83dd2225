package action

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/ledger"
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
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Updates != 1 {
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
