package engine_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/cli"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/site"
)

const (
	leakToken  = "ghs_leakTestToken0123456789abcdefghijKLMN"
	leakSigner = "signer-key-0123456789abcdef"
)

const leakMission = `version: 1
name: leak test
report-root: out
pass-env: [SIGNER_KEY]
phases:
  build:
    steps:
      # What actions/checkout leaves in .git/config, copied into the bundle.
      - run: mkdir -p "$HELIOS_REPORT_ROOT/copied" && cp .git/config "$HELIOS_REPORT_ROOT/copied/git-config"
      - run: echo "all good" > "$HELIOS_REPORT_ROOT/clean.txt"
  sign:
    steps:
      - run: printf 'key=%s\n' "$SIGNER_KEY" > "$HELIOS_REPORT_ROOT/signer.env"
`

// TestRunFailsOnSecretInBundle: a step that copies the checkout's
// extraheader (the token, base64'd) and one that writes a pass-env secret
// make the run fail, naming both files and neither value; the bundle is
// still sealed.
func TestRunFailsOnSecretInBundle(t *testing.T) {
	reg := engine.NewRegistry()
	m, err := reg.Parse("helios.yml", []byte(leakMission))
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	header := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + leakToken))
	if err := os.MkdirAll(filepath.Join(ws, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	gitConfig := "[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic " + header + "\n"
	if err := os.WriteFile(filepath.Join(ws, ".git", "config"), []byte(gitConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	var console bytes.Buffer
	env := append(os.Environ(), "GITHUB_TOKEN="+leakToken, "SIGNER_KEY="+leakSigner)
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Jobs: 1, Builtins: reg, Environ: env, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	mf := res.Manifest
	want := []string{`"copied/git-config"`, `"signer.env"`}
	if strings.Join(res.Leaks, " ") != strings.Join(want, " ") {
		t.Errorf("Result.Leaks %q, want %q", res.Leaks, want)
	}
	if mf.Conclusion != manifest.Failure {
		t.Errorf("conclusion %q, want failure", mf.Conclusion)
	}
	onDisk, err := manifest.Read(filepath.Join(res.ReportRoot, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, where := range []struct{ name, text string }{{"manifest reason", mf.Reason}, {"manifest.json reason", onDisk.Reason}, {"console", console.String()}} {
		for _, w := range want {
			if !strings.Contains(where.text, w) {
				t.Errorf("%s does not name %s: %q", where.name, w, where.text)
			}
		}
	}
	if !strings.Contains(console.String(), "the bundle holds a secret") {
		t.Errorf("console does not say a secret was found:\n%s", console.String())
	}
	for _, secret := range []string{leakToken, leakSigner, header} {
		if strings.Contains(console.String(), secret) || strings.Contains(mf.Reason, secret) {
			t.Errorf("a secret value reached the console or the reason")
		}
	}
	rep, err := ledger.Verify(context.Background(), res.ReportRoot, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Errorf("bundle does not verify: %+v %v", rep, err)
	}
}

// TestRunCleanBundleHasNoLeaks: the same run without the leaking steps
// succeeds, although the token and the pass-env secret are set.
func TestRunCleanBundleHasNoLeaks(t *testing.T) {
	reg := engine.NewRegistry()
	m, err := reg.Parse("helios.yml", []byte(strings.Replace(strings.Replace(leakMission, "cp .git/config", "true", 1), `"$SIGNER_KEY"`, `"${#SIGNER_KEY}"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	env := append(os.Environ(), "GITHUB_TOKEN="+leakToken, "SIGNER_KEY="+leakSigner)
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Jobs: 2, Builtins: reg, Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Conclusion != manifest.Success || res.Leaks != nil {
		t.Errorf("conclusion %q (%s), leaks %q", res.Manifest.Conclusion, res.Manifest.Reason, res.Leaks)
	}
}

// TestRunNamesLeakingFileNameWithoutTheSecret: a file named after a secret
// is reported by its folder, so the message does not carry the value.
func TestRunNamesLeakingFileNameWithoutTheSecret(t *testing.T) {
	reg := engine.NewRegistry()
	m, err := reg.Parse("helios.yml", []byte(`version: 1
report-root: out
pass-env: [SIGNER_KEY]
phases:
  a:
    steps:
      - run: mkdir -p "$HELIOS_REPORT_ROOT/notes" && echo hi > "$HELIOS_REPORT_ROOT/notes/$SIGNER_KEY.txt"
`))
	if err != nil {
		t.Fatal(err)
	}
	var console bytes.Buffer
	env := append(os.Environ(), "SIGNER_KEY="+leakSigner)
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: env, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	// The manifest lists the file by its name, so it holds the secret too.
	if res.Manifest.Conclusion != manifest.Failure || len(res.Leaks) != 2 || res.Leaks[0] != `"manifest.json"` || !strings.Contains(res.Leaks[1], `under "notes"`) {
		t.Fatalf("conclusion %q, leaks %q", res.Manifest.Conclusion, res.Leaks)
	}
	if strings.Contains(console.String(), leakSigner) || strings.Contains(res.Manifest.Reason, leakSigner) {
		t.Error("the secret in the file name reached the console or the reason")
	}
}

// entities spells s as HTML character references, which Markdown renders
// back into s.
func entities(s string) string {
	var b strings.Builder
	for _, c := range s {
		fmt.Fprintf(&b, "&#%d;", c)
	}
	return b.String()
}

// TestRunFailsOnSecretRenderedIntoIndex: a .md that holds the token only
// entity-encoded passes the bundle scan, but the index page renders the
// value itself; the page is searched when it is hashed, so the run fails
// naming it, and the sealed bundle is consistent.
func TestRunFailsOnSecretRenderedIntoIndex(t *testing.T) {
	reg := engine.NewRegistry()
	m, err := reg.Parse("helios.yml", []byte(`version: 1
report-root: out
phases:
  a:
    steps:
      - run: |
          printf '# Notes\n\n%s\n' '`+entities(leakToken)+`' > "$HELIOS_REPORT_ROOT/notes.md"
`))
	if err != nil {
		t.Fatal(err)
	}
	var console bytes.Buffer
	env := append(os.Environ(), "GITHUB_TOKEN="+leakToken)
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: env, Console: &console,
		BeforeLedger: cli.IndexPage, Reserved: site.Written()})
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(res.ReportRoot, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), leakToken) {
		t.Fatal("the index page does not render the entity-encoded token; the test no longer replays the leak")
	}
	mf := res.Manifest
	if mf.Conclusion != manifest.Failure || !slices.Equal(res.Leaks, []string{`"index.html"`}) {
		t.Errorf("conclusion %q, leaks %q; want failure naming index.html", mf.Conclusion, res.Leaks)
	}
	onDisk, err := manifest.Read(filepath.Join(res.ReportRoot, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if onDisk.Conclusion != manifest.Failure || !strings.Contains(onDisk.Reason, `"index.html"`) {
		t.Errorf("manifest.json conclusion %q, reason %q", onDisk.Conclusion, onDisk.Reason)
	}
	if !strings.Contains(console.String(), `the bundle holds a secret`) || strings.Contains(console.String(), leakToken) {
		t.Errorf("console:\n%s", console.String())
	}
	rep, err := ledger.Verify(context.Background(), res.ReportRoot, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Errorf("bundle does not verify: %+v %v", rep, err)
	}
}

// TestRunRPCURLInBundle: a step that records HELIOS_RPC_URL in the bundle
// fails the run only when the URL holds a credential. The URL is masked in
// the step's log either way.
func TestRunRPCURLInBundle(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		leak      bool
	}{
		{"local node", "http://127.0.0.1:8545", false},
		{"local node, trailing slash", "http://127.0.0.1:8545/", false},
		{"api key in the query", "http://127.0.0.1:8545/?apikey=QWERTYUIOP0123", true},
		{"key in the path", "http://127.0.0.1:8545/v3/0123456789abcdef0123", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := engine.NewRegistry()
			m, err := reg.Parse("helios.yml", []byte(`version: 1
report-root: out
phases:
  a:
    steps:
      - run: |
          echo "$HELIOS_RPC_URL"
          printf '{"rpc": "%s"}\n' "$HELIOS_RPC_URL" > "$HELIOS_REPORT_ROOT/chain.json"
`))
			if err != nil {
				t.Fatal(err)
			}
			res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: os.Environ(), RPCURL: tc.url,
				BeforeLedger: cli.IndexPage, Reserved: site.Written()})
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(res.ReportRoot, "chain.json"))
			if err != nil || !strings.Contains(string(got), tc.url) {
				t.Fatalf("chain.json %q, %v; want the URL", got, err)
			}
			mf := res.Manifest
			if !tc.leak {
				if mf.Conclusion != manifest.Success || res.Leaks != nil {
					t.Errorf("conclusion %q (%s), leaks %q; want success", mf.Conclusion, mf.Reason, res.Leaks)
				}
			} else if mf.Conclusion != manifest.Failure || !slices.Equal(res.Leaks, []string{`"chain.json"`}) {
				t.Errorf("conclusion %q (%s), leaks %q; want failure naming chain.json", mf.Conclusion, mf.Reason, res.Leaks)
			}
			// Masking is not what the scan leaves out: the log hides the URL.
			logs, err := os.ReadFile(filepath.Join(res.ReportRoot, filepath.FromSlash(mf.Phases[0].Steps[0].Log)))
			if err != nil || strings.Contains(string(logs), tc.url) || !strings.Contains(string(logs), "***") {
				t.Errorf("step log %q, %v; want the URL masked", logs, err)
			}
		})
	}
}
