package action

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// publish makes zip the artifact of the base branch's last successful
// run, and returns the artifact's id.
func publish(gh *ghtest.Server, name string, zip []byte) int64 {
	gh.AddRun(ghtest.Run{ID: baseRunID, WorkflowID: baseWorkflow, WorkflowFile: "ci.yml", RunNumber: baseRunNum,
		Event: "push", HeadBranch: "main", HeadSHA: baseSHA, Conclusion: "success", Owner: "octo", Repo: "helios"})
	return gh.AddArtifact(baseRunID, name, zip, false)
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
		{"the first run", func(*ghtest.Server) {}, "no successful run of this workflow on `main` yet"},
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
		}, "uploaded no artifact named `" + name + "`"},
		{"a failed run only", func(gh *ghtest.Server) {
			gh.AddRun(ghtest.Run{ID: baseRunID, WorkflowFile: "ci.yml", RunNumber: baseRunNum, HeadBranch: "main", HeadSHA: baseSHA, Conclusion: "failure", Owner: "octo", Repo: "helios"})
			gh.AddArtifact(baseRunID, name, zipBytes, false)
		}, "no successful run of this workflow on `main` yet"},
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
		}, "`thermostat.json` does not match its line in SHA256SUMS"},
		{"a missing file", func() []byte {
			return rezip(t, zipBytes, func(n string, d []byte) []byte {
				if n == "thermostat.md" {
					return nil
				}
				return d
			}, nil)
		}, "`thermostat.md` is in SHA256SUMS but not in the zip"},
		{"a zip-slip entry, in its ledger too", func() []byte {
			evil := "#!/bin/sh\nrm -rf /\n"
			sum := sha256.Sum256([]byte(evil))
			return rezip(t, zipBytes, func(n string, d []byte) []byte {
				if n == "SHA256SUMS" {
					return append(d, []byte(hex.EncodeToString(sum[:])+"  ./../../evil.sh\n")...)
				}
				return d
			}, map[string]string{"../../evil.sh": evil})
		}, "../../evil.sh"},
	} {
		t.Run("tampered: "+tc.name, func(t *testing.T) {
			tr, gh := prRun(t, "2", nil)
			publish(gh, name, tc.zip())
			r := tr.sealed()
			// helios's temporary folders go here: after the comparison
			// nothing is left, and nothing climbed out of them.
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			runReporter(t, r, baseline{})
			if r.drift != nil || r.compare == nil || !strings.Contains(strings.Join(r.compare.Tampered, "\n"), tc.wants) {
				t.Fatalf("drift %v, comparison %+v, want tampered %q\n%s", r.drift, r.compare, tc.wants, tr.stdout.String())
			}
			if w := tr.lines("::warning::the baseline from main (run #41) does not match its own SHA256SUMS and was not used"); len(w) != 1 {
				t.Errorf("want one warning:\n%s", tr.stdout.String())
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("left in the temporary folder: %v", left)
			}
			if _, ok := r.out.vals["baseline-run-url"]; ok {
				t.Errorf("baseline-run-url set for a baseline that was not used")
			}
		})
	}

	t.Run("tampered: the zip is not the one GitHub recorded", func(t *testing.T) {
		// Storage serves another bundle, consistent with its own ledger
		// (kp 3): only the digest GitHub listed at upload catches it.
		newer, _ := baseBundle(t, "3")
		tr, gh := prRun(t, "2", nil)
		gh.ReplaceStored(publish(gh, name, zipBytes), newer)
		r := tr.sealed()
		runReporter(t, r, baseline{})
		if r.drift != nil || r.compare == nil || len(r.compare.Tampered) != 1 || !strings.HasPrefix(r.compare.Tampered[0], "the zip's SHA-256 is not the sha256:") {
			t.Fatalf("drift %v, comparison %+v\n%s", r.drift, r.compare, tr.stdout.String())
		}
	})

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

// TestBaselineLookupSignal: a signal that arrives while the lookup waits
// on GitHub ends the lookup at once, so the check run is completed within
// what the runner leaves before the kill, and drift is still an output.
func TestBaselineLookupSignal(t *testing.T) {
	zipBytes, name := baseBundle(t, "2")
	tr, gh := prRun(t, "2", nil)
	publish(gh, name, zipBytes)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	gh.OnRequest(func(route string) {
		if route == ghtest.RouteWorkflowRuns {
			cancel()  // the signal, while GitHub has not answered
			<-release // and it does not until the test ends
		}
	})
	code := tr.main(ctx)
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "completed" {
		t.Fatalf("exit %d, check runs %+v\n%s", code, runs, tr.stdout.String())
	}
	if n := gh.Count(ghtest.RouteRunArtifacts); n != 0 {
		t.Errorf("the lookup went on after the signal: %v", gh.Counts())
	}
	if o := tr.outs(); o["drift"] != "false" {
		t.Errorf("drift output %q", o["drift"])
	}
}

// TestBaselineChoice: the base commit's run is preferred to a newer one
// on the branch, this run is never its own baseline even when GitHub
// lists it as a success, and of two artifacts of one name (a rerun's
// attempts) the newest that has not expired is compared.
func TestBaselineChoice(t *testing.T) {
	zipBytes, name := baseBundle(t, "2")
	newer, _ := baseBundle(t, "3")
	tr, gh := prRun(t, "2", nil)
	add := func(id int64, num int, sha string) {
		gh.AddRun(ghtest.Run{ID: id, WorkflowID: baseWorkflow, WorkflowFile: "ci.yml", RunNumber: num, Event: "push",
			HeadBranch: "main", HeadSHA: sha, Conclusion: "success", Owner: "octo", Repo: "helios"})
	}
	add(baseRunID, baseRunNum, baseSHA)
	gh.AddArtifact(baseRunID, name, newer, true)     // expired first attempt
	gh.AddArtifact(baseRunID, name, zipBytes, false) // the rerun's
	add(950, 50, "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0")
	gh.AddArtifact(950, name, newer, false)
	// This run, listed as a success on main (a push that finished).
	gh.AddRun(ghtest.Run{ID: 4242, WorkflowID: baseWorkflow, WorkflowFile: "ci.yml", RunNumber: 51, Event: "push",
		HeadBranch: "main", HeadSHA: testSHA, Conclusion: "success", Owner: "octo", Repo: "helios"})
	r := tr.sealed()
	runReporter(t, r, baseline{})
	if r.compare.RunNumber != baseRunNum || r.drift == nil || r.drift.Drift() {
		t.Errorf("compared with run #%d, drift %+v; want #%d, the base commit's, and identical\n%s", r.compare.RunNumber, r.drift, baseRunNum, tr.stdout.String())
	}

	// On a push (no base commit), the newest other run.
	tr = newTestRun(t, "push", map[string]any{"before": "0000000000000000000000000000000000000000"}).mission("helios.yml", thermoMission)
	tr.vars["GITHUB_REF"], tr.vars["GITHUB_WORKFLOW_REF"], tr.vars["GITHUB_RUN_ID"] = "refs/heads/main", workflowRef, "4242"
	writeFile(t, filepath.Join(tr.ws, "kp"), "3")
	tr.gh = gh
	tr.vars["GITHUB_API_URL"], tr.vars["INPUT_GITHUB-TOKEN"] = gh.URL(), testToken
	r = tr.sealed()
	runReporter(t, r, baseline{})
	if r.compare.RunNumber != 50 || r.drift == nil || r.drift.Drift() {
		t.Errorf("push: compared with run #%d, drift %+v; want #50 (not this run, #51)", r.compare.RunNumber, r.drift)
	}
}

// TestBaselineVolatileFromPR: a pull request that calls the file it
// changes volatile still shows it as drift; only the base branch's globs
// (and the defaults) count.
func TestBaselineVolatileFromPR(t *testing.T) {
	zipBytes, name := baseBundle(t, "2")
	tr, gh := prRun(t, "3", func(tr *testRun) {
		tr.mission("helios.yml", strings.Replace(thermoMission, "report-root: out\n", "report-root: out\nvolatile: [\"thermostat.*\"]\n", 1))
		tr.input("fail-on-drift", "true")
	})
	publish(gh, name, zipBytes)
	r := tr.sealed()
	runReporter(t, r, baseline{})
	if r.drift == nil || r.drift.Counts().Changed != 2 || r.conclusion != manifest.Failure {
		t.Errorf("drift %+v, conclusion %s: the pull request's volatile glob hid its change", r.drift, r.conclusion)
	}
}

// TestBaselineManyChanged: past the changed files extracted for a closer
// look, the rest are named without a note that blames the baseline.
func TestBaselineManyChanged(t *testing.T) {
	many := `version: 1
name: thermo
report-root: out
phases:
  build:
    steps:
      - run: |
          for i in $(seq 10 69); do printf '{"kp": %s}\n' "$(cat kp)" > "$HELIOS_REPORT_ROOT/f$i.json"; done
`
	base := newTestRun(t, "push", nil).mission("helios.yml", many).input("baseline", "none")
	writeFile(t, filepath.Join(base.ws, "kp"), "2")
	art := base.withArtifacts()
	runReporter(t, base.sealed(), upload{})
	zb, err := art.Artifacts()[0].Bytes()
	if err != nil {
		t.Fatal(err)
	}
	tr, gh := prRun(t, "3", func(tr *testRun) { tr.mission("helios.yml", many) })
	publish(gh, art.Artifacts()[0].Name, zb)
	r := tr.sealed()
	runReporter(t, r, baseline{})
	if r.drift == nil || len(r.drift.Changed) != 60 {
		t.Fatalf("drift %+v\n%s", r.drift, tr.stdout.String())
	}
	inside := 0
	for _, c := range r.drift.Changed {
		if c.Note != "" {
			t.Errorf("%s: note %q", c.Name, c.Note)
		}
		if len(c.JSON) > 0 {
			inside++
		}
	}
	if inside != maxDiffFiles {
		t.Errorf("%d files compared inside, want the %d extracted", inside, maxDiffFiles)
	}
}
