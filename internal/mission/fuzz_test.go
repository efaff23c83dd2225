package mission

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. Beyond not panicking, a success
// must be a mission the runner can trust, and a failure must be a list of
// positioned, classified errors.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid/schema", "invalid/semantic", "invalid/syntax"} {
		for _, file := range fixtures(f, dir) {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		const file = "fuzz.yml"
		m, err := Parse(file, src, Options{Builtins: testBuiltins})
		if err != nil {
			if m != nil {
				t.Fatalf("Parse returned a mission and an error")
			}
			es, ok := err.(Errors)
			if !ok || len(es) == 0 || len(es) > maxErrors {
				t.Fatalf("error is %T with %d items: %v", err, len(es), err)
			}
			for _, e := range es {
				if e.Line < 1 || e.Col < 0 {
					t.Errorf("error without a line: %q (kind %s)", e, e.Kind)
				}
				if !validKinds[e.Kind] {
					t.Errorf("error %q has kind %q", e, e.Kind)
				}
				if e.File != file {
					t.Errorf("error %q names file %q", e, e.File)
				}
			}
			// The same input must give the same report.
			if _, again := Parse(file, src, Options{Builtins: testBuiltins}); again == nil || again.Error() != err.Error() {
				t.Errorf("second parse differs:\n%v\nthen:\n%v", err, again)
			}
			return
		}
		checkMission(t, m)
	})
}

// checkMission asserts what Parse promises about a mission it returns.
func checkMission(t *testing.T, m *Mission) {
	t.Helper()
	if m.Version != Version || len(m.Phases) == 0 || m.ReportRoot == "" || m.Network == "" || len(m.Digest) != 64 {
		t.Fatalf("incomplete mission: %+v", m)
	}
	seen := make(map[string]int)
	for _, ph := range m.Order() {
		seen[ph.Name]++
	}
	if len(seen) != len(m.Phases) {
		t.Errorf("Order() has %d distinct phases, the mission %d", len(seen), len(m.Phases))
	}
	placed := make(map[string]bool)
	for _, ph := range m.Order() {
		if seen[ph.Name] != 1 {
			t.Errorf("phase %q appears %d times in Order()", ph.Name, seen[ph.Name])
		}
		for _, need := range ph.Needs {
			if m.Phase(need) == nil {
				t.Errorf("phase %q needs unknown %q", ph.Name, need)
			}
			if !placed[need] {
				t.Errorf("phase %q is ordered before %q, which it needs", ph.Name, need)
			}
		}
		placed[ph.Name] = true
		if !nameRE.MatchString(ph.Name) || len(ph.Steps) == 0 {
			t.Errorf("phase %q: bad name or no steps", ph.Name)
		}
		ids := make(map[string]bool)
		for _, s := range ph.Steps {
			if !nameRE.MatchString(s.ID) || ids[s.ID] {
				t.Errorf("phase %q: step id %q invalid or repeated", ph.Name, s.ID)
			}
			ids[s.ID] = true
			switch s.Kind {
			case Run:
				if s.Run == "" {
					t.Errorf("phase %q step %q: empty run", ph.Name, s.ID)
				}
			case Collect:
				if s.Collect == nil || len(s.Collect.From) == 0 {
					t.Errorf("phase %q step %q: collect without from", ph.Name, s.ID)
				}
			case Uses:
				if s.Uses == "" {
					t.Errorf("phase %q step %q: empty uses", ph.Name, s.ID)
				}
			default:
				t.Errorf("phase %q step %q: kind %v", ph.Name, s.ID, s.Kind)
			}
			if s.Pos.Line < 1 {
				t.Errorf("phase %q step %q has no position", ph.Name, s.ID)
			}
		}
	}
	if filepath.IsAbs(m.ReportRoot) || hasDotDot(m.ReportRoot) {
		t.Errorf("report root %q escapes the workspace", m.ReportRoot)
	}
	if m.Sharding != nil {
		checkSharding(t, m)
	}
}
