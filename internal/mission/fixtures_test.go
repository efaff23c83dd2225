package mission

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/golden"
)

// testBuiltins are the built-in step names the fixtures may use.
var testBuiltins = []string{"helios/attest", "helios/token"}

// missionsDir holds the shared fixtures; the schema test reads them too.
const missionsDir = "../../testdata/missions"

// validKinds are the Error kinds the package documents.
var validKinds = map[Kind]bool{
	KindSyntax: true, KindType: true, KindUnknownKey: true, KindMissing: true, KindDuplicate: true,
	KindCycle: true, KindUnknownNeeds: true, KindEmpty: true, KindValue: true,
}

func fixtures(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(missionsDir, dir, "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	return files
}

// TestValidFixtures parses every valid fixture and compares a dump of the
// result, so that a change in defaults, derived ids, env conversion or order
// shows up in review.
func TestValidFixtures(t *testing.T) {
	for _, file := range fixtures(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(filepath.Base(file), src, Options{Builtins: testBuiltins})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkMission(t, m)
			golden.Assert(t, strings.TrimSuffix(file, ".yml")+".out", dump(m))
		})
	}
}

// TestInvalidFixtures checks the exact messages for every invalid fixture.
// schema/ fixtures also fail the JSON Schema, semantic/ ones pass it, and
// syntax/ ones are not a single YAML document at all (see schema_test.go).
func TestInvalidFixtures(t *testing.T) {
	for _, dir := range []string{"schema", "semantic", "syntax"} {
		for _, file := range fixtures(t, filepath.Join("invalid", dir)) {
			t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
				src, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				m, err := Parse(filepath.Base(file), src, Options{Builtins: testBuiltins})
				if err == nil {
					t.Fatalf("Parse succeeded, want errors; mission:\n%s", dump(m))
				}
				if m != nil {
					t.Errorf("Parse returned a mission with its errors")
				}
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("error is %T, want Errors", err)
				}
				for _, e := range es {
					if !validKinds[e.Kind] {
						t.Errorf("error %q has kind %q", e, e.Kind)
					}
					if e.Line < 1 {
						t.Errorf("error %q has no line", e)
					}
				}
				golden.Assert(t, strings.TrimSuffix(file, ".yml")+".err", err.Error()+"\n")
			})
		}
	}
}

// TestGoldenFilesHaveFixtures catches goldens left behind by a renamed or
// deleted fixture.
func TestGoldenFilesHaveFixtures(t *testing.T) {
	for _, pattern := range []string{"valid/*.out", "invalid/*/*.err"} {
		goldens, err := filepath.Glob(filepath.Join(missionsDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range goldens {
			yml := strings.TrimSuffix(g, filepath.Ext(g)) + ".yml"
			if _, err := os.Stat(yml); err != nil {
				t.Errorf("%s has no fixture: %v", g, err)
			}
		}
	}
}

// dump renders a mission as stable text for the .out goldens.
func dump(m *Mission) string {
	var b strings.Builder
	fmt.Fprintf(&b, "file: %s\nversion: %d\nname: %q\nreport-root: %s\nnetwork: %s\nrpc: %s\n", m.File, m.Version, m.Name, m.ReportRoot, m.Network, m.RPC)
	for _, e := range m.Env {
		fmt.Fprintf(&b, "env %s=%q at %d:%d\n", e.Name, e.Value, e.Pos.Line, e.Pos.Col)
	}
	for _, p := range m.PassEnv {
		fmt.Fprintf(&b, "pass-env %s public=%v at %d:%d\n", p.Name, p.Public, p.Pos.Line, p.Pos.Col)
	}
	for _, v := range m.Volatile {
		fmt.Fprintf(&b, "volatile %q\n", v)
	}
	var order []string
	for _, ph := range m.Order() {
		order = append(order, ph.Name)
	}
	fmt.Fprintf(&b, "order: %s\n", strings.Join(order, ", "))
	for _, ph := range m.Phases {
		fmt.Fprintf(&b, "phase %s at %d:%d needs=%q timeout=%s continue-on-error=%v\n",
			ph.Name, ph.Pos.Line, ph.Pos.Col, ph.Needs, ph.Timeout, ph.ContinueOnError)
		for _, s := range ph.Steps {
			fmt.Fprintf(&b, "  step %s name=%q %s at %d:%d timeout=%s continue-on-error=%v\n",
				s.ID, s.Name, s.Kind, s.Pos.Line, s.Pos.Col, s.Timeout, s.ContinueOnError)
			switch s.Kind {
			case Run:
				fmt.Fprintf(&b, "    run %q working-directory=%q", s.Run, s.WorkingDirectory)
				if s.Shell != "" {
					// Only when set, so fixtures without one keep
					// their goldens.
					fmt.Fprintf(&b, " shell=%q command=%q", s.Shell, s.ShellCommand())
				}
				b.WriteString("\n")
			case Collect:
				fmt.Fprintf(&b, "    collect from=%q to=%q optional=%v\n", s.Collect.From, s.Collect.To, s.Collect.Optional)
			case Uses:
				with := "none"
				if s.With != nil {
					with = fmt.Sprintf("%s at %d:%d", s.With.ShortTag(), s.With.Line, s.With.Column)
				}
				fmt.Fprintf(&b, "    uses %s with=%s\n", s.Uses, with)
			}
			for _, e := range s.Env {
				fmt.Fprintf(&b, "    env %s=%q at %d:%d\n", e.Name, e.Value, e.Pos.Line, e.Pos.Col)
			}
		}
	}
	return b.String()
}
