package engine_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
)

// actions/checkout leaves the workflow token in .git/config unless told
// not to; every run: step can read it there, so helios says so.
func TestWarnsOfPersistedCheckoutCredentials(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	const header = "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA=="
	for _, tc := range []struct {
		name, header, mission string
		mode                  engine.Mode
		want                  string
	}{
		{"checkout's header, run steps, GitHub", header, "phases:\n  a:\n    steps:\n      - run: echo ok\n", engine.GitHub, "::warning title=helios::helios: .git/config holds the checkout's token"},
		{"checkout's header, run steps, terminal", header, "phases:\n  a:\n    steps:\n      - run: echo ok\n", engine.Plain, "helios: .git/config holds the checkout's token"},
		{"persist-credentials: false", "", "phases:\n  a:\n    steps:\n      - run: echo ok\n", engine.GitHub, ""},
		{"no run steps", header, "phases:\n  a:\n    steps:\n      - collect: {from: [notes.txt], optional: true}\n", engine.GitHub, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			git := [][]string{{"init", "-q"}}
			if tc.header != "" {
				git = append(git, []string{"config", "http.https://github.com/.extraheader", tc.header})
			}
			for _, args := range git {
				if out, err := exec.Command("git", append([]string{"-C", ws}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			reg := engine.NewRegistry(&probe{})
			m, err := reg.Parse("helios.yml", []byte("version: 1\nname: creds\n"+tc.mission))
			if err != nil {
				t.Fatal(err)
			}
			var con bytes.Buffer
			if _, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Builtins: reg, Environ: os.Environ(), Console: &con, Mode: tc.mode}); err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(con.String(), ".git/config holds the checkout's token")
			switch {
			case tc.want == "" && got:
				t.Errorf("warned without reason:\n%s", con.String())
			case tc.want != "" && !strings.Contains(con.String(), tc.want):
				t.Errorf("console lacks %q:\n%s", tc.want, con.String())
			case tc.want != "" && strings.Contains(con.String(), "eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA"):
				t.Errorf("the warning shows the header's value:\n%s", con.String())
			}
		})
	}
}

// TestRepoReadsTheCheckoutAboveTheWorkspace: with the action's
// working-directory the mission runs in a subfolder of the checkout, and
// in the container helios is root while the runner's user owns the
// checkout. The commit, SOURCE_DATE_EPOCH and the credentials warning come
// from the checkout's root (Options.Repo), which git trusts when told so;
// asked from the subfolder, git refuses the checkout as another user's.
func TestRepoReadsTheCheckoutAboveTheWorkspace(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, to own the checkout as another user as the runner's checkout is")
	}
	repo := t.TempDir()
	sub := filepath.Join(repo, "services", "bridge")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "notes.txt"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitEnv := append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z", "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z")
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "."}, {"commit", "-q", "-m", "x"},
		{"config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA=="},
	} {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = gitEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	head, err := exec.Command("git", "-C", repo, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "-R", "65534:65534", repo).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v\n%s", err, out)
	}
	reg := engine.NewRegistry(&probe{})
	m, err := reg.Parse("helios.yml", []byte("version: 1\nname: sub\nphases:\n  a:\n    steps:\n      - run: echo ok\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, repo string
		commit     string
		warned     bool
	}{
		{"from the checkout's root", repo, strings.TrimSpace(string(head)), true},
		// The case the option exists for: without it the run cannot read
		// the checkout, and the manifest falls back to GITHUB_SHA.
		{"from the subfolder", "", "fallback-sha", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var con bytes.Buffer
			env := append(os.Environ(), "GITHUB_SHA=fallback-sha")
			res, err := engine.Run(context.Background(), m, engine.Options{Workspace: sub, Repo: tc.repo, ReportRoot: "reports/" + strings.ReplaceAll(tc.name, " ", "-"), Builtins: reg, Environ: env, Console: &con, Mode: engine.GitHub})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Manifest.Git.Commit; got != tc.commit {
				t.Errorf("commit %q, want %q", got, tc.commit)
			}
			if tc.warned && res.Manifest.Git.SourceDateEpoch != 1767323045 {
				t.Errorf("SOURCE_DATE_EPOCH %d, want the commit's time 1767323045", res.Manifest.Git.SourceDateEpoch)
			}
			if got := strings.Contains(con.String(), ".git/config holds the checkout's token"); got != tc.warned {
				t.Errorf("warned %v, want %v:\n%s", got, tc.warned, con.String())
			}
		})
	}
}
