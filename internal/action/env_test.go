package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/mission"
)

const (
	testSHA   = "0123456789abcdef0123456789abcdef01234567"
	testToken = "ghs_unittesttoken0000"
)

// testRun is the runner's side of one use of the action, in process: the
// environment it passes (through Env.Getenv), the file commands it reads,
// and the loopback fakes of GitHub and the artifact service.
type testRun struct {
	t       *testing.T
	ws      string
	vars    map[string]string
	stdout  bytes.Buffer
	outputs string
	summary string
	gh      *ghtest.Server
	art     *artifacttest.Server
	clock   *clock
	// builtins are added to the test built-ins.
	builtins []engine.Builtin
}

// newTestRun lays out an empty workspace, the file commands and an event
// of eventName with payload ev.
func newTestRun(t *testing.T, eventName string, ev map[string]any) *testRun {
	t.Helper()
	tr := &testRun{t: t, ws: t.TempDir(), clock: &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	fc := t.TempDir()
	tr.outputs, tr.summary = filepath.Join(fc, "output"), filepath.Join(fc, "step_summary")
	event := filepath.Join(fc, "event.json")
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for p, s := range map[string]string{tr.outputs: "", tr.summary: "", event: string(b)} {
		writeFile(t, p, s)
	}
	tr.vars = map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": tr.ws,
		"GITHUB_EVENT_NAME": eventName, "GITHUB_EVENT_PATH": event,
		"GITHUB_OUTPUT": tr.outputs, "GITHUB_STEP_SUMMARY": tr.summary,
		"GITHUB_REPOSITORY": "octo/helios", "GITHUB_SHA": testSHA, "GITHUB_RUN_ID": "4242", "GITHUB_JOB": "mission",
		"GITHUB_SERVER_URL": "https://github.example",
	}
	return tr
}

func prEvent(n int) map[string]any {
	return map[string]any{"pull_request": map[string]any{"number": n, "head": map[string]any{"sha": testSHA}}}
}

// withGitHub points the action at a fake GitHub, with a token.
func (tr *testRun) withGitHub() *ghtest.Server {
	tr.gh = ghtest.NewServer(tr.t)
	tr.vars["GITHUB_API_URL"] = tr.gh.URL()
	tr.vars["INPUT_GITHUB-TOKEN"] = testToken
	return tr.gh
}

// withArtifacts gives the action a fake artifact service.
func (tr *testRun) withArtifacts() *artifacttest.Server {
	tr.art = artifacttest.Start(tr.t, artifacttest.Options{})
	for k, v := range tr.art.Env() {
		tr.vars[k] = v
	}
	return tr.art
}

// input sets an input as the runner does (INPUT_<NAME>).
func (tr *testRun) input(name, value string) *testRun {
	tr.vars["INPUT_"+strings.ToUpper(name)] = value
	return tr
}

// mission writes a mission file into the workspace.
func (tr *testRun) mission(rel, src string) *testRun {
	writeFile(tr.t, filepath.Join(tr.ws, rel), src)
	return tr
}

func (tr *testRun) getenv(k string) string { return tr.vars[k] }

// env is the Env that `helios action` gets, with the test built-ins and an
// instant clock for the GitHub client's retries.
func (tr *testRun) env() Env {
	reg := engine.NewRegistry(append(testBuiltins(), tr.builtins...)...)
	return Env{
		Getenv:  tr.getenv,
		Environ: func() []string { return []string{"PATH=" + os.Getenv("PATH")} },
		Stdout:  &tr.stdout,
		Version: "test",
		Load: func(ws, file string) (*mission.Mission, error) {
			if file == "" {
				file = "helios.yml"
			}
			if !filepath.IsAbs(file) {
				file = filepath.Join(ws, file)
			}
			return reg.Load(file)
		},
		Builtins: reg,
		Now:      tr.clock.Now,
		Sleep:    tr.clock.Sleep,
	}
}

// main runs the action as `helios action` does, and returns its exit code.
func (tr *testRun) main(ctx context.Context) int {
	tr.t.Helper()
	return Main(ctx, tr.env())
}

// sealed is the runner as the reporters find it: set up, the mission run
// and its bundle sealed, no reporter run yet.
func (tr *testRun) sealed() *runner {
	tr.t.Helper()
	r := newRunner(tr.env())
	if code, ok := r.setup(); !ok {
		tr.t.Fatalf("setup: exit %d\n%s", code, tr.stdout.String())
	}
	if code, ok := r.load(); !ok {
		tr.t.Fatalf("load: exit %d\n%s", code, tr.stdout.String())
	}
	b, err := r.runBundle(context.Background())
	if err != nil {
		tr.t.Fatalf("mission: %v\n%s", err, tr.stdout.String())
	}
	r.bundle, r.cancelled, r.conclusion = b, func() bool { return false }, b.manifest.Conclusion
	tr.stdout.Reset()
	return r
}

// run runs one reporter as the pipeline does.
func runReporter[R reporter](t *testing.T, r *runner, rep R) {
	t.Helper()
	r.report(context.Background(), []stage{{rep.String(), rep.Skip, rep.Run, nil}})
}

// outs are the outputs written to GITHUB_OUTPUT (name<<delimiter form).
func (tr *testRun) outs() map[string]string {
	tr.t.Helper()
	out := map[string]string{}
	lines := strings.Split(readFile(tr.t, tr.outputs), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// lines are the lines of the action's log that start with prefix.
func (tr *testRun) lines(prefix string) []string {
	var out []string
	for _, l := range strings.Split(tr.stdout.String(), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// clock is an instant clock: Sleep moves it on and returns at once.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The test built-ins. helios/lint finds `with: {findings: N}` problems
// (one per file lint/fNN.md, on line NN) and records them in the manifest;
// its Annotator gives them back from the manifest data, as the docs check
// does from its report. helios/vet does the same with no noun of its own.
// helios/skip skips itself with the reason in `with: {reason: …}`.
func testBuiltins() []engine.Builtin {
	return []engine.Builtin{
		&finder{name: "helios/lint", noun: "lint finding"},
		&finder{name: "helios/vet"},
		skipper{},
	}
}

type finder struct{ name, noun string }

var _ engine.Annotator = (*finder)(nil)

func (f *finder) Name() string                   { return f.name }
func (f *finder) Check(string, *yaml.Node) error { return nil }
func (f *finder) FindingsNoun() string           { return f.noun }

func (f *finder) Run(_ context.Context, sc *engine.StepContext) error {
	var with struct {
		Findings int  `yaml:"findings"`
		Panic    bool `yaml:"panic"`
		Broken   bool `yaml:"broken"`
	}
	if sc.Step.With != nil {
		if err := sc.Step.With.Decode(&with); err != nil {
			return err
		}
	}
	sc.Record("findings", with.Findings)
	sc.Record("panic", with.Panic)
	sc.Record("broken", with.Broken)
	return nil
}

func (f *finder) Annotations(_ context.Context, root string, data map[string]any) ([]engine.Annotation, error) {
	if data["panic"] == true {
		panic("the annotator broke")
	}
	if data["broken"] == true {
		return nil, fmt.Errorf("report %s: %w", filepath.Join("lint", "report.json"), fs.ErrNotExist)
	}
	var n int
	switch v := data["findings"].(type) {
	case int:
		n = v
	case float64: // read back from manifest.json (run: false)
		n = int(v)
	default:
		return nil, errors.New("no findings recorded")
	}
	var out []engine.Annotation
	for i := range n {
		out = append(out, engine.Annotation{File: fmt.Sprintf("lint/f%02d.md", i), Line: i + 1, Title: f.name + ": finding", Message: fmt.Sprintf("finding %d", i)})
	}
	return out, nil
}

type skipper struct{}

func (skipper) Name() string                   { return "helios/skip" }
func (skipper) Check(string, *yaml.Node) error { return nil }

func (skipper) Run(_ context.Context, sc *engine.StepContext) error {
	var with struct {
		Reason string `yaml:"reason"`
	}
	if err := sc.Step.With.Decode(&with); err != nil {
		return err
	}
	return engine.Skip(with.Reason)
}
