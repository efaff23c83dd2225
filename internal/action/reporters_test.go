package action

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/manifest"
)

// simpleMission writes one file into its bundle.
const simpleMission = `version: 1
name: reporting
report-root: out
phases:
  build:
    steps:
      - run: echo built > "$HELIOS_REPORT_ROOT/built.txt"
`

// findingsMission runs the finder built-ins with these many findings.
func findingsMission(lint, vet int) string {
	return fmt.Sprintf(`version: 1
name: findings
report-root: out
phases:
  check:
    steps:
      - uses: helios/lint
        with: {findings: %d}
      - uses: helios/vet
        with: {findings: %d}
`, lint, vet)
}

func TestAnnotations(t *testing.T) {
	for _, tc := range []struct {
		name      string
		lint, vet int
		errors    int
		warnings  []string
	}{
		{"none", 0, 0, 0, nil},
		{"under the cap", 6, 4, 10, nil},
		{"past the cap, in the annotator's words", 12, 0, 10, []string{"::warning::2 more lint findings are in the lint report of the bundle"}},
		{"past the cap, in general words", 0, 11, 10, []string{"::warning::1 more problem is in the vet report of the bundle"}},
		{"past the cap, counted", 0, 13, 10, []string{"::warning::3 more problems are in the vet report of the bundle"}},
		{"past the cap, a note per built-in", 11, 3, 10, []string{
			"::warning::1 more lint finding is in the lint report of the bundle",
			"::warning::3 more problems are in the vet report of the bundle",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRun(t, "push", nil).mission("helios.yml", findingsMission(tc.lint, tc.vet))
			r := tr.sealed()
			runReporter(t, r, annotations{})
			errs := tr.lines("::error ")
			if len(errs) != tc.errors {
				t.Errorf("%d error annotations, want %d:\n%s", len(errs), tc.errors, tr.stdout.String())
			}
			if tc.lint > 0 && (len(errs) == 0 || errs[0] != "::error file=lint/f00.md,line=1,title=helios/lint%3A finding::finding 0") {
				t.Errorf("first annotation %q", errs)
			}
			if got := tr.lines("::warning::"); !slices.Equal(got, tc.warnings) {
				t.Errorf("warnings %q, want %q", got, tc.warnings)
			}
		})
	}
}

// TestAnnotationsAnnotatorFails: an annotator that cannot read what its
// step left is a warning; the other steps are still annotated.
func TestAnnotationsAnnotatorFails(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("helios.yml", `version: 1
report-root: out
phases:
  check:
    steps:
      - uses: helios/vet
        with: {broken: true}
      - uses: helios/lint
        with: {findings: 1}
`)
	r := tr.sealed()
	runReporter(t, r, annotations{})
	if got := tr.lines("::warning::"); len(got) != 1 || got[0] != "::warning::helios/vet: report lint/report.json: file does not exist" {
		t.Errorf("warnings %q", got)
	}
	if got := tr.lines("::error "); len(got) != 1 {
		t.Errorf("errors %q", got)
	}
}

func TestSkipNotices(t *testing.T) {
	for _, tc := range []struct {
		reasons int
		last    string
	}{
		{11, "::notice::1 more reason for skipped steps is in manifest.json"},
		{12, "::notice::2 more reasons for skipped steps are in manifest.json"},
	} {
		t.Run(strconv.Itoa(tc.reasons), func(t *testing.T) {
			var steps strings.Builder
			for i := range tc.reasons {
				fmt.Fprintf(&steps, "      - uses: helios/skip\n        with: {reason: reason %02d}\n", i)
			}
			steps.WriteString("      - uses: helios/skip\n        with: {reason: reason 00}\n")
			tr := newTestRun(t, "push", nil).mission("helios.yml", "version: 1\nreport-root: out\nphases:\n  p:\n    steps:\n"+steps.String())
			r := tr.sealed()
			runReporter(t, r, skipNotices{})
			got := tr.lines("::notice::")
			want := []string{"::notice::2 steps skipped: reason 00"}
			for i := 1; i < 10; i++ {
				want = append(want, fmt.Sprintf("::notice::1 step skipped: reason %02d", i))
			}
			want = append(want, tc.last)
			if !slices.Equal(got, want) {
				t.Errorf("notices\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestBundleOutputs(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
	r := tr.sealed()
	runReporter(t, r, bundleOutputs{})
	sums := readFile(t, filepath.Join(tr.ws, "out", "SHA256SUMS"))
	d := sha256.Sum256([]byte(sums))
	want := map[string]string{
		"ledger-digest":   hex.EncodeToString(d[:]),
		"report-root":     "out",
		"sha256sums":      "out/SHA256SUMS",
		"manifest":        "out/manifest.json",
		"files":           fmt.Sprint(strings.Count(sums, "\n")),
		"base64-subjects": base64.StdEncoding.EncodeToString([]byte(sums)),
		"content-digest":  r.bundle.manifest.ContentDigest,
	}
	for k, v := range want {
		if r.out.vals[k] != v {
			t.Errorf("output %s = %q, want %q", k, r.out.vals[k], v)
		}
	}
	if len(r.out.vals) != len(want) {
		t.Errorf("outputs %v", r.out.vals)
	}
	// The one line of the ledger that is not volatile, built.txt.
	var line string
	for _, l := range strings.SplitAfter(sums, "\n") {
		if strings.HasSuffix(l, "./built.txt\n") {
			line = l
		}
	}
	if c := sha256.Sum256([]byte(line)); line == "" || r.out.vals["content-digest"] != hex.EncodeToString(c[:]) {
		t.Errorf("content-digest %q, want the SHA-256 of %q", r.out.vals["content-digest"], line)
	}
}

func TestGate(t *testing.T) {
	const failed = `{"lint":{"result":"success","outputs":{}},"test":{"result":"failure","outputs":{}}}`
	for _, tc := range []struct {
		name, needs, conclusion, reason, err string
		rows                                 int
		skip                                 bool
	}{
		{name: "no needs", needs: " ", conclusion: manifest.Success, skip: true},
		{name: "all passed", needs: `{"lint":{"result":"success"},"docs":{"result":"skipped"}}`, conclusion: manifest.Success, rows: 2},
		{name: "one failed", needs: failed, conclusion: manifest.Failure, reason: "an upstream job of this workflow failed or was cancelled", rows: 2},
		{name: "not JSON", needs: "{", conclusion: manifest.Success, err: `::error::input "needs": needs: not the JSON of toJson(needs)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("needs", tc.needs)
			r := tr.sealed()
			if got := (gate{}).Skip(r); got != tc.skip {
				t.Fatalf("Skip = %v", got)
			}
			runReporter(t, r, gate{})
			if r.conclusion != tc.conclusion || r.bundle.manifest.Reason != tc.reason || len(r.gate) != tc.rows {
				t.Errorf("conclusion %q, reason %q, %d rows", r.conclusion, r.bundle.manifest.Reason, len(r.gate))
			}
			if tc.err != "" && !strings.Contains(tr.stdout.String(), tc.err) {
				t.Errorf("log lacks %q:\n%s", tc.err, tr.stdout.String())
			}
		})
	}
}

func TestBaseline(t *testing.T) {
	for _, tc := range []struct {
		name                string
		baseline            string
		change, failOnDrift bool
		drift, conclusion   string
		reason, log         string
	}{
		{name: "none", drift: "false", conclusion: manifest.Success},
		{name: "the same bundle", baseline: "base", drift: "false", conclusion: manifest.Success},
		{name: "its ledger", baseline: "base/SHA256SUMS", drift: "false", conclusion: manifest.Success},
		{name: "drifted", baseline: "base", change: true, drift: "true", conclusion: manifest.Success},
		{name: "drifted, fail-on-drift", baseline: "base", change: true, failOnDrift: true, drift: "true", conclusion: manifest.Failure, reason: "the bundle drifted from the baseline"},
		{name: "missing", baseline: "nope", drift: "false", conclusion: manifest.Success, log: `::error::input "baseline": `},
		{name: "missing, fail-on-drift", baseline: "nope", failOnDrift: true, drift: "false", conclusion: manifest.Failure, reason: "the baseline could not be compared: ", log: "no drift computed"},
		{name: "the report root itself", baseline: "out", drift: "false", conclusion: manifest.Success, log: "is this run's report root or inside it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("baseline", tc.baseline)
			if tc.failOnDrift {
				tr.input("fail-on-drift", "true")
			}
			r := tr.sealed()
			if tc.baseline == "base" || tc.baseline == "base/SHA256SUMS" {
				copyDir(t, filepath.Join(tr.ws, "out"), filepath.Join(tr.ws, "base"))
				if tc.change {
					writeFile(t, filepath.Join(tr.ws, "out", "built.txt"), "changed\n")
					// The bundle's own ledger must agree, as after a run.
					relist(t, filepath.Join(tr.ws, "out"))
				}
			}
			runReporter(t, r, baseline{})
			if r.out.vals["drift"] != tc.drift || r.conclusion != tc.conclusion || !strings.HasPrefix(r.bundle.manifest.Reason, tc.reason) || (tc.reason == "") != (r.bundle.manifest.Reason == "") {
				t.Errorf("drift %q, conclusion %q, reason %q\n%s", r.out.vals["drift"], r.conclusion, r.bundle.manifest.Reason, tr.stdout.String())
			}
			if (r.drift != nil) != (tc.drift == "true" || tc.name == "the same bundle" || tc.name == "its ledger") {
				t.Errorf("drift result %v", r.drift)
			}
			if tc.log != "" && !strings.Contains(tr.stdout.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, tr.stdout.String())
			}
		})
	}
}

func TestConclusionOutput(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
	r := tr.sealed()
	r.conclusion = manifest.Failure
	runReporter(t, r, conclusionOutput{})
	if got := r.out.vals["conclusion"]; got != manifest.Failure {
		t.Errorf("conclusion output %q", got)
	}
}

func TestUpload(t *testing.T) {
	t.Run("to the artifact service", func(t *testing.T) {
		tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
		art := tr.withArtifacts()
		r := tr.sealed()
		runReporter(t, r, upload{})
		arts := art.Artifacts()
		if len(arts) != 1 || arts[0].Name != "reporting-"+r.in.Key || !arts[0].Finalized {
			t.Fatalf("artifacts %+v\n%s", arts, tr.stdout.String())
		}
		want := map[string]string{
			"artifact-id":     fmt.Sprint(arts[0].ID),
			"artifact-url":    fmt.Sprintf("https://github.example/octo/helios/actions/runs/4242/artifacts/%d", arts[0].ID),
			"artifact-digest": arts[0].Digest,
		}
		for k, v := range want {
			if r.out.vals[k] != v {
				t.Errorf("output %s = %q, want %q", k, r.out.vals[k], v)
			}
		}
		if r.artifactName != arts[0].Name || r.artifactURL != want["artifact-url"] {
			t.Errorf("artifact for the summary: %q %q", r.artifactName, r.artifactURL)
		}
		if v := art.Violations(); len(v) > 0 {
			t.Errorf("protocol violations: %v", v)
		}
	})
	t.Run("named, twice", func(t *testing.T) {
		tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("artifact-name", "bundle")
		tr.withArtifacts()
		r := tr.sealed()
		runReporter(t, r, upload{})
		runReporter(t, r, upload{})
		if got := tr.lines("::error::"); len(got) != 1 || !strings.Contains(got[0], `artifact "bundle" already exists in this run`) {
			t.Errorf("errors %q", got)
		}
	})
	t.Run("outside Actions", func(t *testing.T) {
		tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
		r := tr.sealed()
		runReporter(t, r, upload{})
		if got := tr.lines("::notice::"); len(got) != 1 || !strings.HasPrefix(got[0], "::notice::artifact upload skipped: not running in GitHub Actions") {
			t.Errorf("notices %q", got)
		}
	})
	t.Run("upload false", func(t *testing.T) {
		tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("upload", "false")
		r := tr.sealed()
		if !(upload{}).Skip(r) {
			t.Error("upload: false does not skip the upload")
		}
	})
	for _, tc := range []struct {
		name, log, summary string
		withhold           func(b *bundleInfo)
	}{
		{"a secret in the bundle", `::error::artifact upload withheld: the bundle holds a secret`, "The bundle holds a secret", func(b *bundleInfo) { b.leaks = []string{`"built.txt"`} }},
		{"a step not ended", `::error::artifact upload withheld: build/1 could not be ended`, "build/1 could not be ended after the step", func(b *bundleInfo) { b.unended = []string{"build/1"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
			art := tr.withArtifacts()
			r := tr.sealed()
			tc.withhold(r.bundle)
			runReporter(t, r, upload{})
			if len(art.Requests()) != 0 {
				t.Errorf("the artifact service got %d requests", len(art.Requests()))
			}
			if !strings.Contains(tr.stdout.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, tr.stdout.String())
			}
			if sum := readFile(t, tr.summary); !strings.Contains(sum, "### ⛔ Bundle not uploaded") || !strings.Contains(sum, tc.summary) {
				t.Errorf("summary:\n%s", sum)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
	r := tr.sealed()
	runReporter(t, r, summary{})
	sum := readFile(t, tr.summary)
	if !strings.Contains(sum, r.bundle.digest) || !strings.Contains(sum, "reporting") {
		t.Errorf("summary lacks the digest or the mission:\n%s", sum)
	}

	// Outside Actions there is no summary file, and nothing is written.
	delete(tr.vars, "GITHUB_STEP_SUMMARY")
	tr.stdout.Reset()
	runReporter(t, r, summary{})
	if tr.stdout.Len() != 0 {
		t.Errorf("without a summary file: %s", tr.stdout.String())
	}
}

func TestComment(t *testing.T) {
	t.Run("pull request, twice", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", simpleMission)
		gh := tr.withGitHub()
		for range 2 {
			r := tr.sealed()
			runReporter(t, r, comment{})
			c := gh.Comments("octo", "helios", 7)
			if len(c) != 1 || !strings.HasPrefix(c[0].Body, "<!-- helios:mission=reporting key="+r.in.Key+" -->") {
				t.Fatalf("comments %+v", c)
			}
			if r.out.vals["comment-id"] != fmt.Sprint(c[0].ID) || !strings.HasSuffix(r.out.vals["comment-url"], fmt.Sprint(c[0].ID)) {
				t.Errorf("outputs %v", r.out.vals)
			}
		}
	})
	t.Run("push", func(t *testing.T) {
		tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
		gh := tr.withGitHub()
		runReporter(t, tr.sealed(), comment{})
		if n := gh.Count(""); n != 0 {
			t.Errorf("a push made %d requests: %v", n, gh.Counts())
		}
	})
	t.Run("off, or no token", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", simpleMission).input("comment", "off")
		tr.withGitHub()
		if !(comment{}).Skip(tr.sealed()) {
			t.Error("comment: off does not skip")
		}
		tr = newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", simpleMission)
		if !(comment{}).Skip(tr.sealed()) {
			t.Error("no GitHub client and no skip")
		}
	})
	t.Run("workflow_run of a fork", func(t *testing.T) {
		ev := map[string]any{"workflow_run": map[string]any{"head_sha": testSHA, "event": "pull_request", "pull_requests": []any{}}}
		tr := newTestRun(t, "workflow_run", ev).mission("helios.yml", simpleMission)
		gh := tr.withGitHub()
		gh.AddPull(ghtest.Pull{Owner: "octo", Repo: "helios", Number: 21, HeadSHA: testSHA, Fork: true})
		runReporter(t, tr.sealed(), comment{})
		if c := gh.Comments("octo", "helios", 21); len(c) != 1 {
			t.Errorf("%d comments on the fork's PR", len(c))
		}
	})
	t.Run("refused", func(t *testing.T) {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", simpleMission)
		gh := tr.withGitHub()
		gh.Inject(ghtest.RouteListComments, 1, ghtest.NotAccessible())
		r := tr.sealed()
		runReporter(t, r, comment{})
		if len(r.refused) != 1 || r.refused[0].what != "PR comment" {
			t.Fatalf("refused %+v", r.refused)
		}
		r.noticeRefusals()
		if got := tr.lines("::notice::"); len(got) != 1 || !strings.Contains(got[0], "GitHub refused the PR comment (403 ") || !strings.Contains(got[0], "`pull-requests: write`") {
			t.Errorf("notices %q", got)
		}
		if len(tr.lines("::warning::")) != 0 {
			t.Errorf("a refusal is a notice, not a warning:\n%s", tr.stdout.String())
		}
	})
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct{ conclusion, state string }{
		{manifest.Success, "success"},
		{manifest.Failure, "failure"},
		{manifest.Cancelled, "error"},
	} {
		t.Run(tc.conclusion, func(t *testing.T) {
			tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("status", "commit-status")
			gh := tr.withGitHub()
			r := tr.sealed()
			r.conclusion = tc.conclusion
			runReporter(t, r, status{})
			st := gh.Statuses()
			if len(st) != 1 || st[0].State != tc.state || st[0].Context != "Helios mission" || st[0].SHA != testSHA || st[0].TargetURL != "https://github.example/octo/helios/actions/runs/4242" {
				t.Errorf("statuses %+v", st)
			}
		})
	}
	for _, s := range []string{"check-run", "off"} {
		tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("status", s)
		tr.withGitHub()
		if !(status{}).Skip(tr.sealed()) {
			t.Errorf("status: %s does not skip the commit status", s)
		}
	}
}

// copyDir copies a bundle folder.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// relist rewrites a bundle's SHA256SUMS for its files as they are now.
func relist(t *testing.T, dir string) {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(readFile(t, filepath.Join(dir, "SHA256SUMS")), "\n"), "\n") {
		_, name, _ := strings.Cut(line, "  ")
		d := sha256.Sum256([]byte(readFile(t, filepath.Join(dir, name))))
		fmt.Fprintf(&b, "%x  %s\n", d, name)
	}
	writeFile(t, filepath.Join(dir, "SHA256SUMS"), b.String())
}
