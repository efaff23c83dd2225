package action

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/manifest"
)

// thermoMission writes a thermostat value read from the workspace, and a
// receipt when the workspace holds one: a pull request changes either.
const thermoMission = `version: 1
name: thermo
report-root: out
phases:
  build:
    steps:
      - run: |
          printf '{"thermostat": {"kp": %s, "ki": 5}}\n' "$(cat kp)" > "$HELIOS_REPORT_ROOT/thermostat.json"
          printf '# Thermostat\n\nkp is %s\n' "$(cat kp)" > "$HELIOS_REPORT_ROOT/thermostat.md"
          if [ -f receipt ]; then cp receipt "$HELIOS_REPORT_ROOT/receipt.txt"; fi
`

const (
	baseSHA      = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
	workflowRef  = "octo/helios/.github/workflows/ci.yml@refs/pull/7/merge"
	baseRunID    = 900
	baseRunNum   = 41
	baseWorkflow = 77
)

// prBase is a pull request event against main at baseSHA.
func prBase(n int) map[string]any {
	return map[string]any{"pull_request": map[string]any{
		"number": n,
		"head":   map[string]any{"sha": testSHA, "repo": map[string]any{"full_name": "octo/helios"}},
		"base":   map[string]any{"ref": "main", "sha": baseSHA, "repo": map[string]any{"full_name": "octo/helios"}},
	}}
}

// baseBundle runs the mission with kp as the base branch did, uploads its
// bundle to a fake artifact service, and returns the zip and its name.
func baseBundle(t *testing.T, kp string) (zipBytes []byte, name string) {
	t.Helper()
	tr := newTestRun(t, "push", nil).mission("helios.yml", thermoMission).input("baseline", "none")
	writeFile(t, filepath.Join(tr.ws, "kp"), kp)
	art := tr.withArtifacts()
	r := tr.sealed()
	runReporter(t, r, upload{})
	arts := art.Artifacts()
	if len(arts) != 1 {
		t.Fatalf("the base run uploaded %d artifacts\n%s", len(arts), tr.stdout.String())
	}
	b, err := arts[0].Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b, arts[0].Name
}

// publish makes zip the artifact of the base branch's last successful run.
func publish(gh *ghtest.Server, name string, zip []byte) {
	gh.AddRun(ghtest.Run{ID: baseRunID, WorkflowID: baseWorkflow, WorkflowFile: "ci.yml", RunNumber: baseRunNum,
		Event: "push", HeadBranch: "main", HeadSHA: baseSHA, Conclusion: "success", Owner: "octo", Repo: "helios"})
	gh.AddArtifact(baseRunID, name, zip, false)
}

// prRun is the pull request's run of the mission with kp, against gh.
func prRun(t *testing.T, kp string, setup func(tr *testRun)) (*testRun, *ghtest.Server) {
	t.Helper()
	tr := newTestRun(t, "pull_request", prBase(7)).mission("helios.yml", thermoMission)
	tr.vars["GITHUB_WORKFLOW_REF"] = workflowRef
	writeFile(t, filepath.Join(tr.ws, "kp"), kp)
	gh := tr.withGitHub()
	// This run, in progress: GitHub knows the workflow from it even when
	// no run of it has finished.
	gh.AddRun(ghtest.Run{ID: 4242, WorkflowID: baseWorkflow, WorkflowFile: "ci.yml", RunNumber: 42, Event: "pull_request",
		HeadBranch: "feature", HeadSHA: testSHA, Status: "in_progress", Owner: "octo", Repo: "helios"})
	if setup != nil {
		setup(tr)
	}
	return tr, gh
}

// rezip rewrites a zip with edit applied to each entry (nil drops it) and
// extra entries added.
func rezip(t *testing.T, src []byte, edit func(name string, data []byte) []byte, extra map[string]string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if data = edit(f.Name, data); data == nil {
			continue
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	for name, data := range extra {
		w, _ := zw.Create(name)
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func keep(_ string, data []byte) []byte { return data }

func TestBaselineAuto(t *testing.T) {
	zipBytes, name := baseBundle(t, "2")

	t.Run("a clean rerun: identical evidence", func(t *testing.T) {
		tr, gh := prRun(t, "2", nil)
		publish(gh, name, zipBytes)
		r := tr.sealed()
		runReporter(t, r, bundleOutputs{})
		runReporter(t, r, baseline{})
		o := r.out.vals
		if r.drift == nil || r.drift.Drift() || o["drift"] != "false" {
			t.Fatalf("drift %+v, output %q\n%s", r.drift, o["drift"], tr.stdout.String())
		}
		if o["content-digest"] == "" || o["baseline-content-digest"] != o["content-digest"] {
			t.Errorf("content-digest %q, baseline-content-digest %q", o["content-digest"], o["baseline-content-digest"])
		}
		if want := "https://github.example/octo/helios/actions/runs/900"; !strings.HasSuffix(o["baseline-run-url"], "/actions/runs/900") {
			t.Errorf("baseline-run-url %q, want %s", o["baseline-run-url"], want)
		}
		c := r.compare
		if c == nil || c.Label != "main" || c.SHA != baseSHA || c.RunNumber != baseRunNum || c.Missing != "" || len(c.Tampered) > 0 || c.Manifest == nil {
			t.Errorf("comparison %+v", c)
		}
		// The storage host never saw the token; three REST requests found
		// and fetched the bundle (the workflow came from GITHUB_WORKFLOW_REF).
		if v := gh.Violations(); len(v) > 0 {
			t.Errorf("violations: %v", v)
		}
		for _, b := range gh.BlobRequests() {
			if b.Auth {
				t.Errorf("the storage host got an Authorization header: %+v", b)
			}
		}
		if n := gh.Count(""); n != 3 || gh.Count(ghtest.RouteGetRun) != 0 {
			t.Errorf("%d REST requests, want 3: %v", n, gh.Counts())
		}
	})

	t.Run("a changed thermostat value", func(t *testing.T) {
		tr, gh := prRun(t, "3", nil)
		publish(gh, name, zipBytes)
		r := tr.sealed()
		runReporter(t, r, baseline{})
		if r.drift == nil || !r.drift.Drift() || r.out.vals["drift"] != "true" {
			t.Fatalf("drift %+v\n%s", r.drift, tr.stdout.String())
		}
		var got []string
		for _, c := range r.drift.Changed {
			got = append(got, c.Name)
			for _, k := range c.JSON {
				got = append(got, k.Path+": "+k.Old+" → "+k.New)
			}
			if len(c.Text) > 0 {
				got = append(got, c.Name+" lines")
			}
		}
		want := "thermostat.json /thermostat/kp: 2 → 3 thermostat.md thermostat.md lines"
		if strings.Join(got, " ") != want {
			t.Errorf("changed %q, want %q", strings.Join(got, " "), want)
		}
		// Without fail-on-drift the drift is a notice on each file.
		if n := tr.lines("::notice file=out/thermostat.json"); len(n) != 1 || !strings.Contains(n[0], "/thermostat/kp: 2 → 3") {
			t.Errorf("notices %q\n%s", n, tr.stdout.String())
		}
		if r.conclusion != manifest.Success {
			t.Errorf("conclusion %s without fail-on-drift", r.conclusion)
		}
	})

	t.Run("a changed value, fail-on-drift", func(t *testing.T) {
		tr, gh := prRun(t, "3", func(tr *testRun) { tr.input("fail-on-drift", "true") })
		publish(gh, name, zipBytes)
		r := tr.sealed()
		runReporter(t, r, baseline{})
		if r.conclusion != manifest.Failure || !strings.Contains(r.bundle.manifest.Reason, "drifted from the baseline main") {
			t.Errorf("conclusion %s, reason %q", r.conclusion, r.bundle.manifest.Reason)
		}
		if e := tr.lines("::error file=out/thermostat"); len(e) != 2 {
			t.Errorf("want an error annotation on each drifted file, got %q", e)
		}
	})

	t.Run("an added file", func(t *testing.T) {
		tr, gh := prRun(t, "2", func(tr *testRun) { writeFile(t, filepath.Join(tr.ws, "receipt"), "signed\n") })
		publish(gh, name, zipBytes)
		r := tr.sealed()
		runReporter(t, r, baseline{})
		c := r.drift.Counts()
		if c.Added != 1 || c.Changed != 0 || c.Removed != 0 || r.drift.Added[0].Name != "receipt.txt" {
			t.Errorf("counts %+v, added %+v", c, r.drift.Added)
		}
	})

	for _, tc := range []struct {
		name    string
		setup   func(gh *ghtest.Server)
		missing string
	}{
		{"the first run", func(*ghtest.Server) {}, "no successful run of this workflow on main yet"},
		{"403 on the artifacts list", func(gh *ghtest.Server) {
			publish(gh, name, zipBytes)
			gh.Inject(ghtest.RouteRunArtifacts, 1, ghtest.NotAccessible())
		}, "add `actions: read` to the job's permissions"},
		{"an expired artifact", func(gh *ghtest.Server) {
			gh.AddRun(ghtest.Run{ID: baseRunID, WorkflowFile: "ci.yml", RunNumber: baseRunNum, HeadBranch: "main", HeadSHA: baseSHA, Conclusion: "success", Owner: "octo", Repo: "helios"})
			gh.AddArtifact(baseRunID, name, zipBytes, true)
		}, "has expired"},
		{"a run without the artifact", func(gh *ghtest.Server) {
			gh.AddRun(ghtest.Run{ID: baseRunID, WorkflowFile: "ci.yml", RunNumber: baseRunNum, HeadBranch: "main", HeadSHA: baseSHA, Conclusion: "success", Owner: "octo", Repo: "helios"})
			gh.AddArtifact(baseRunID, "another-name", zipBytes, false)
		}, "uploaded no artifact named " + name},
		{"a failed run only", func(gh *ghtest.Server) {
			gh.AddRun(ghtest.Run{ID: baseRunID, WorkflowFile: "ci.yml", RunNumber: baseRunNum, HeadBranch: "main", HeadSHA: baseSHA, Conclusion: "failure", Owner: "octo", Repo: "helios"})
			gh.AddArtifact(baseRunID, name, zipBytes, false)
		}, "no successful run of this workflow on main yet"},
	} {
		t.Run("no baseline: "+tc.name, func(t *testing.T) {
			// fail-on-drift too: no baseline, no drift, no failure.
			tr, gh := prRun(t, "3", func(tr *testRun) { tr.input("fail-on-drift", "true") })
			tc.setup(gh)
			r := tr.sealed()
			runReporter(t, r, baseline{})
			if r.drift != nil || r.compare == nil || !strings.Contains(r.compare.Missing, tc.missing) {
				t.Fatalf("drift %v, comparison %+v, want missing %q\n%s", r.drift, r.compare, tc.missing, tr.stdout.String())
			}
			if r.conclusion != manifest.Success || r.out.vals["drift"] != "false" {
				t.Errorf("conclusion %s, drift %q", r.conclusion, r.out.vals["drift"])
			}
			if n := tr.lines("::notice::no baseline to compare with: "); len(n) != 1 {
				t.Errorf("want one notice line, log:\n%s", tr.stdout.String())
			}
			if len(tr.lines("::warning")) > 0 || len(tr.lines("::error")) > 0 {
				t.Errorf("no baseline is not a warning nor an error:\n%s", tr.stdout.String())
			}
		})
	}

	for _, tc := range []struct {
		name  string
		zip   func() []byte
		wants string
	}{
		{"a changed file", func() []byte {
			return rezip(t, zipBytes, func(n string, d []byte) []byte {
				if n == "thermostat.json" {
					return []byte(`{"thermostat": {"kp": 9, "ki": 5}}` + "\n")
				}
				return d
			}, nil)
		}, "thermostat.json (changed)"},
		{"a missing file", func() []byte {
			return rezip(t, zipBytes, func(n string, d []byte) []byte {
				if n == "thermostat.md" {
					return nil
				}
				return d
			}, nil)
		}, "thermostat.md (missing)"},
		{"a zip-slip entry", func() []byte {
			return rezip(t, zipBytes, keep, map[string]string{"../../evil.sh": "#!/bin/sh\nrm -rf /\n"})
		}, "../../evil.sh"},
	} {
		t.Run("tampered: "+tc.name, func(t *testing.T) {
			tr, gh := prRun(t, "2", nil)
			publish(gh, name, tc.zip())
			r := tr.sealed()
			before, _ := filepath.Glob(filepath.Join(os.TempDir(), "..", "evil.sh"))
			runReporter(t, r, baseline{})
			if r.drift != nil || r.compare == nil || !strings.Contains(strings.Join(r.compare.Tampered, "\n"), tc.wants) {
				t.Fatalf("drift %v, comparison %+v, want tampered %q\n%s", r.drift, r.compare, tc.wants, tr.stdout.String())
			}
			if w := tr.lines("::warning::the baseline from main (run #41) does not match its own SHA256SUMS and was not used"); len(w) != 1 {
				t.Errorf("want one warning:\n%s", tr.stdout.String())
			}
			if after, _ := filepath.Glob(filepath.Join(os.TempDir(), "..", "evil.sh")); len(after) != len(before) {
				t.Errorf("the zip-slip entry was written: %v", after)
			}
		})
	}

	t.Run("push: the branch's previous run, not this one", func(t *testing.T) {
		tr := newTestRun(t, "push", nil).mission("helios.yml", thermoMission)
		tr.vars["GITHUB_REF"] = "refs/heads/main"
		writeFile(t, filepath.Join(tr.ws, "kp"), "2")
		gh := tr.withGitHub()
		publish(gh, name, zipBytes)
		// This run, in progress, and its workflow found by its id (no
		// GITHUB_WORKFLOW_REF).
		gh.AddRun(ghtest.Run{ID: 4242, WorkflowID: baseWorkflow, WorkflowFile: "ci.yml", RunNumber: 42, Event: "push", HeadBranch: "main", HeadSHA: testSHA, Status: "in_progress", Owner: "octo", Repo: "helios"})
		r := tr.sealed()
		runReporter(t, r, baseline{})
		if r.drift == nil || r.drift.Drift() || r.compare.RunNumber != baseRunNum {
			t.Fatalf("drift %+v, comparison %+v\n%s", r.drift, r.compare, tr.stdout.String())
		}
		if gh.Count(ghtest.RouteGetRun) != 1 {
			t.Errorf("want the workflow from GET the run: %v", gh.Counts())
		}
	})

	t.Run("none", func(t *testing.T) {
		tr, gh := prRun(t, "3", func(tr *testRun) { tr.input("baseline", "none") })
		publish(gh, name, zipBytes)
		r := tr.sealed()
		runReporter(t, r, baseline{})
		if r.drift != nil || r.compare != nil || gh.Count("") != 0 {
			t.Errorf("baseline none compared: %+v %+v, %v", r.drift, r.compare, gh.Counts())
		}
	})
}
