package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// probe is a built-in step for tests: it writes a file, records data and
// shares one value per run, like the chain steps' pinned block.
type probe struct{ inits atomic.Int32 }

func (p *probe) Name() string { return "helios/probe" }

func (p *probe) Check(file string, with *yaml.Node) error {
	if with == nil {
		return errors.New("with: is required")
	}
	return nil
}

func (p *probe) Run(ctx context.Context, sc *engine.StepContext) error {
	v, err := sc.Shared("block", func() (any, error) { p.inits.Add(1); return 42, nil })
	if err != nil {
		return err
	}
	var cfg struct {
		Fail bool `yaml:"fail"`
	}
	if err := sc.Step.With.Decode(&cfg); err != nil {
		return err
	}
	if cfg.Fail {
		panic("probe asked to fail")
	}
	rel := "probe/" + sc.Step.ID + ".txt"
	if err := sc.Bundle.WriteFile(rel, []byte(fmt.Sprint(v)), 0o644); err != nil {
		return err
	}
	sc.AddOutput(rel)
	sc.Record("block", v)
	fmt.Fprintf(sc.Log, "probe %s at block %v\n", sc.Step.ID, v)
	return nil
}

const mission = `version: 1
name: engine test
report-root: out
phases:
  a:
    steps:
      - uses: helios/probe
        with: {fail: false}
  b:
    steps:
      - uses: helios/probe
        with: {fail: false}
      - run: echo b > "$HELIOS_REPORT_ROOT/b.txt"
  c:
    needs: [a, b]
    steps:
      - uses: helios/probe
        with: {fail: true}
  d:
    needs: c
    steps:
      - run: echo never
`

// TestRunParallelDeterministic runs independent phases side by side (run it
// with -race): the shared value is computed once, a panicking built-in
// fails only its step, dependents are skipped, and the manifest lists
// phases in plan order whatever finished first.
func TestRunParallelDeterministic(t *testing.T) {
	p := &probe{}
	reg := engine.NewRegistry(p)
	m, err := reg.Parse("helios.yml", []byte(mission))
	if err != nil {
		t.Fatal(err)
	}
	for _, jobs := range []int{1, 4} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			p.inits.Store(0)
			ws := t.TempDir()
			res, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Jobs: jobs, Builtins: reg, Environ: os.Environ()})
			if err != nil {
				t.Fatal(err)
			}
			mf := res.Manifest
			var order []string
			for _, ph := range mf.Phases {
				order = append(order, ph.Name+"="+ph.Status)
			}
			if got := strings.Join(order, " "); got != "a=success b=success c=failure d=skipped" {
				t.Errorf("phases %s", got)
			}
			if n := p.inits.Load(); n != 1 {
				t.Errorf("shared value computed %d times, want once per run", n)
			}
			st := mf.Phases[2].Steps[0]
			if st.Status != manifest.Failure || !strings.Contains(st.Error, "internal error in helios/probe") {
				t.Errorf("panicking step: %+v", st)
			}
			if got := mf.Phases[0].Steps[0].Data["block"]; got != 42 {
				t.Errorf("recorded data %v", got)
			}
			rep, err := ledger.Verify(context.Background(), res.ReportRoot, ledger.ScanOptions{})
			if err != nil || !rep.Clean() {
				t.Errorf("bundle does not verify: %+v %v", rep, err)
			}
		})
	}
}

func TestCheckReportsBadWith(t *testing.T) {
	reg := engine.NewRegistry(&probe{})
	_, err := reg.Parse("helios.yml", []byte("version: 1\nphases:\n  a:\n    steps:\n      - uses: helios/probe\n"))
	if err == nil || !strings.Contains(err.Error(), "helios.yml:5:9: helios/probe: with: is required") {
		t.Errorf("error %v", err)
	}
}

// skipper is a built-in that finds it does not apply to the run, as a
// chain step without an endpoint does in a mission whose chain checks are
// optional.
type skipper struct{ reason string }

func (s *skipper) Name() string                             { return "helios/skipper" }
func (s *skipper) Check(file string, with *yaml.Node) error { return nil }
func (s *skipper) Run(ctx context.Context, sc *engine.StepContext) error {
	fmt.Fprintln(sc.Log, "looking for an endpoint")
	return fmt.Errorf("pre-flight: %w", engine.Skip(s.reason))
}

// TestBuiltinSkip: a built-in that returns engine.Skip is recorded as
// skipped with its reason (one line, secrets masked) in the manifest, its
// log and the console; its phase succeeds, the phase that needs it runs,
// and the mission concludes success.
func TestBuiltinSkip(t *testing.T) {
	const secret = "s3cr3t-t0ken-value"
	reg := engine.NewRegistry(&skipper{reason: "no endpoint\nfor " + secret + "; pass one to run it"})
	m, err := reg.Parse("helios.yml", []byte(`version: 1
report-root: out
phases:
  pre:
    steps:
      - name: chain check
        uses: helios/skipper
      - run: echo after the skip
  post:
    needs: pre
    steps:
      - run: echo post ran
`))
	if err != nil {
		t.Fatal(err)
	}
	var con strings.Builder
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Console: &con,
		Environ: []string{"PATH=" + os.Getenv("PATH")}, Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	mf := res.Manifest
	const reason = "no endpoint ⏎ for ***; pass one to run it"
	st := mf.Phases[0].Steps[0]
	if st.Status != manifest.Skipped || st.SkipReason != reason || st.Error != "" {
		t.Errorf("skipped step: status %q reason %q error %q", st.Status, st.SkipReason, st.Error)
	}
	if mf.Conclusion != manifest.Success || mf.Phases[0].Status != manifest.Success || mf.Phases[1].Status != manifest.Success {
		t.Errorf("conclusion %s, phases %s %s", mf.Conclusion, mf.Phases[0].Status, mf.Phases[1].Status)
	}
	if s := mf.Phases[0].Steps[1]; s.Status != manifest.Success {
		t.Errorf("the step after the skip: %s", s.Status)
	}
	log, err := os.ReadFile(res.ReportRoot + "/" + st.Log)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Status: skipped\nSkip reason: " + reason + "\n", "looking for an endpoint\n"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, want := range []string{"– chain check: skipped: " + reason + "\n", "pre: success in", "(1 of 2 steps skipped)", "post ran"} {
		if !strings.Contains(con.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, con.String())
		}
	}
	if strings.Contains(con.String(), secret) || strings.Contains(string(log), secret) {
		t.Error("the secret in the reason was not masked")
	}
	rep, err := ledger.Verify(context.Background(), res.ReportRoot, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Errorf("bundle does not verify: %+v %v", rep, err)
	}
}
