package e2e

import (
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/report"
)

// The token newActionRun gives the action (GITHUB_TOKEN and the
// github-token input), as actions/checkout leaves it in .git/config.
const hostileToken = "ghs_workflowtoken000"

// checkoutConfig is the .git/config that actions/checkout writes when it
// persists credentials: the token, base64'd inside a longer value.
func checkoutConfig(token string) string {
	return "[core]\n\trepositoryformatversion = 0\n[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic " +
		base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token)) + "\n"
}

// TestHostileScanWithholdsUpload replays "a step carries the token into
// the bundle" through the real binary and the loopback artifact service:
// the action fails, uploads nothing, names the file, and the token shows
// up in none of the outputs, the summary or the log, in any form.
func TestHostileScanWithholdsUpload(t *testing.T) {
	for _, tc := range []struct {
		name, step, file string
		inputs           map[string]string
	}{
		{
			name: "checkout header copied",
			step: `mkdir -p "$HELIOS_REPORT_ROOT/ci" && cp .git/config "$HELIOS_REPORT_ROOT/ci/git-config"`,
			file: "ci/git-config",
		},
		{
			name: "token decoded into a report",
			step: `sed -n 's/.*basic //p' .git/config | base64 -d | cut -d: -f2 > "$HELIOS_REPORT_ROOT/token.txt"`,
			file: "token.txt",
		},
		{
			name:   "token URL-encoded, fail-on-failure off",
			step:   `t=$(sed -n 's/.*basic //p' .git/config | base64 -d | cut -d: -f2); echo "https://example.invalid/?t=x-access-token%3A$t" > "$HELIOS_REPORT_ROOT/link.txt"`,
			file:   "link.txt",
			inputs: map[string]string{"fail-on-failure": "false"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh := ghtest.NewServer(t)
			art := artifacttest.Start(t, artifacttest.Options{})
			ar := newActionRun(t, "", prEvent(17), "pull_request", gh, art, tc.inputs)
			writeFile(t, filepath.Join(ar.ws, ".git", "config"), checkoutConfig(hostileToken))
			writeFile(t, filepath.Join(ar.ws, "helios.yml"), `version: 1
name: hostile scan
report-root: out
phases:
  build:
    steps:
      - run: echo built > "$HELIOS_REPORT_ROOT/built.txt"
      - run: '`+strings.ReplaceAll(tc.step, "'", "''")+`'
`)
			res := ar.run(t)
			if res.code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
			}
			if reqs := art.Requests(); len(reqs) != 0 {
				t.Errorf("the artifact service got %d requests, want none: %+v", len(reqs), reqs)
			}
			if arts := art.Artifacts(); len(arts) != 0 {
				t.Errorf("artifacts uploaded: %+v", arts)
			}
			outs := outputsOf(t, ar.outputs)
			if outs["conclusion"] != "failure" || outs["artifact-id"] != "" {
				t.Errorf("outputs conclusion %q artifact-id %q", outs["conclusion"], outs["artifact-id"])
			}
			quoted := `"` + tc.file + `"`
			if !strings.Contains(res.stdout, "::error::artifact upload withheld: the bundle holds a secret") || !strings.Contains(res.stdout, quoted) {
				t.Errorf("the log does not say the upload was withheld for %s:\n%s", quoted, res.stdout)
			}
			summary := readFile(t, ar.summary)
			if !strings.Contains(summary, "Bundle not uploaded") || !strings.Contains(summary, report.EscapeText(quoted)) {
				t.Errorf("the job summary does not say the bundle was withheld for %s:\n%s", tc.file, summary)
			}
			mf := readManifest(t, filepath.Join(ar.ws, "out"))
			if mf.Conclusion != "failure" || !strings.Contains(mf.Reason, quoted) {
				t.Errorf("manifest conclusion %q reason %q", mf.Conclusion, mf.Reason)
			}
			runs := gh.CheckRuns()
			if len(runs) != 1 || runs[0].Conclusion != "failure" {
				t.Errorf("check runs %+v", runs)
			}
			// The bundle is sealed all the same, for whoever looks at the
			// runner.
			sha256sumCheck(t, filepath.Join(ar.ws, "out"))

			forms := []string{hostileToken, url.QueryEscape("x-access-token:" + hostileToken)}
			for pre := range 3 {
				enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", pre) + hostileToken))
				forms = append(forms, enc[4:len(enc)-4])
			}
			places := map[string]string{"outputs": readFile(t, ar.outputs), "summary": summary, "stderr": res.stderr}
			var log []string
			for _, l := range strings.Split(res.stdout, "\n") {
				// The runner is told the token only to hide it.
				if !strings.HasPrefix(l, "::add-mask::") {
					log = append(log, l)
				}
			}
			places["log"] = strings.Join(log, "\n")
			for where, text := range places {
				for _, f := range forms {
					if strings.Contains(text, f) {
						t.Errorf("the token (as %q) reached the %s", f, where)
					}
				}
			}
			if c := gh.Comments("octo", "helios", 17); len(c) == 1 {
				for _, f := range forms {
					if strings.Contains(c[0].Body, f) {
						t.Errorf("the token (as %q) reached the PR comment", f)
					}
				}
			}
		})
	}
}

// TestHostileScanCleanRunUploads: the same workspace, .git/config and
// token, with a step that does not copy it, uploads as usual.
func TestHostileScanCleanRunUploads(t *testing.T) {
	art := artifacttest.Start(t, artifacttest.Options{})
	ar := newActionRun(t, "", prEvent(18), "pull_request", ghtest.NewServer(t), art, nil)
	writeFile(t, filepath.Join(ar.ws, ".git", "config"), checkoutConfig(hostileToken))
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), simpleMission)
	res := ar.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if arts := art.Artifacts(); len(arts) != 1 {
		t.Errorf("artifacts %+v, want one", arts)
	}
	if strings.Contains(res.stdout, "withheld") {
		t.Errorf("a clean bundle was withheld:\n%s", res.stdout)
	}
	if _, err := os.Stat(filepath.Join(ar.ws, "out", "SHA256SUMS")); err != nil {
		t.Error(err)
	}
}

// TestHostileScanRunFalse replays "a bundle from a fork's artifact carries
// the token" for run: false: the bundle verifies against its own ledger,
// but the action finds the token (base64'd, as actions/checkout leaves it)
// and fails without uploading, naming the file; the same bundle without
// the copy uploads. The bundle is sealed by `helios run`, which does not
// know the token, as a fork's workflow would.
func TestHostileScanRunFalse(t *testing.T) {
	for _, tc := range []struct {
		name, step string
		leak       bool
	}{
		{"checkout header copied", `mkdir -p "$HELIOS_REPORT_ROOT/ci" && cp .git/config "$HELIOS_REPORT_ROOT/ci/git-config"`, true},
		{"clean", `echo clean > "$HELIOS_REPORT_ROOT/clean.txt"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh := ghtest.NewServer(t)
			gh.AddPull(ghtest.Pull{Owner: "octo", Repo: "helios", Number: 21, HeadSHA: headSHA, Fork: true})
			art := artifacttest.Start(t, artifacttest.Options{})
			ev := map[string]any{"workflow_run": map[string]any{"head_sha": headSHA, "event": "pull_request", "pull_requests": []any{}}}
			ar := newActionRun(t, "", ev, "workflow_run", gh, art, map[string]string{"run": "false"})
			writeFile(t, filepath.Join(ar.ws, ".git", "config"), checkoutConfig(hostileToken))
			writeFile(t, filepath.Join(ar.ws, "helios.yml"), `version: 1
name: fork bundle
report-root: out
phases:
  build:
    steps:
      - run: echo built > "$HELIOS_REPORT_ROOT/built.txt"
      - run: '`+strings.ReplaceAll(tc.step, "'", "''")+`'
`)
			if res := run(t, ar.ws, nil, "run"); res.code != 0 {
				t.Fatalf("helios run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			res := ar.run(t)
			outs := outputsOf(t, ar.outputs)
			runs := gh.CheckRuns()
			if !tc.leak {
				if res.code != 0 || len(art.Artifacts()) != 1 || outs["conclusion"] != "success" {
					t.Fatalf("exit %d, artifacts %+v, conclusion %q\n%s%s", res.code, art.Artifacts(), outs["conclusion"], res.stdout, res.stderr)
				}
				return
			}
			if res.code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
			}
			if reqs := art.Requests(); len(reqs) != 0 {
				t.Errorf("the artifact service got %d requests, want none: %+v", len(reqs), reqs)
			}
			if outs["conclusion"] != "failure" || outs["artifact-id"] != "" {
				t.Errorf("outputs conclusion %q artifact-id %q", outs["conclusion"], outs["artifact-id"])
			}
			const quoted = `"ci/git-config"`
			if !strings.Contains(res.stdout, "::error::artifact upload withheld: the bundle holds a secret") || !strings.Contains(res.stdout, quoted) {
				t.Errorf("the log does not say the upload was withheld for %s:\n%s", quoted, res.stdout)
			}
			if len(runs) != 1 || runs[0].Conclusion != "failure" || runs[0].HeadSHA != headSHA {
				t.Errorf("check runs %+v", runs)
			}
			summary := readFile(t, ar.summary)
			if !strings.Contains(summary, "Bundle not uploaded") {
				t.Errorf("the job summary does not say the bundle was withheld:\n%s", summary)
			}
			// The token's base64 form, as it sits in the copied header.
			header := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + hostileToken))
			var log []string
			for _, l := range strings.Split(res.stdout, "\n") {
				if !strings.HasPrefix(l, "::add-mask::") {
					log = append(log, l)
				}
			}
			places := map[string]string{"log": strings.Join(log, "\n"), "summary": summary, "outputs": readFile(t, ar.outputs), "stderr": res.stderr}
			if c := gh.Comments("octo", "helios", 21); len(c) == 1 {
				places["comment"] = c[0].Body
			}
			for where, text := range places {
				if strings.Contains(text, hostileToken) || strings.Contains(text, header) {
					t.Errorf("the token reached the %s", where)
				}
			}
		})
	}
}
