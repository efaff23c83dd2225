package action

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/attest"
	"github.com/helios-action/helios-action/internal/exitcode"
)

// TestPredicateOutputs: the action writes the run's predicate below the
// working directory, outside the bundle, and names it and its type in
// its outputs, for actions/attest.
func TestPredicateOutputs(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("apps/a/helios.yml", simpleMission).
		input("working-directory", "apps/a").input("key", "leg/1")
	tr.vars["GITHUB_RUN_ATTEMPT"] = "2"
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, tr.stdout.String())
	}
	outs := tr.outs()
	if outs["predicate-type"] != attest.PredicateType {
		t.Errorf("predicate-type %q", outs["predicate-type"])
	}
	if want := "apps/a/.helios/leg-1/predicate.json"; outs["predicate-path"] != want {
		t.Fatalf("predicate-path %q, want %q (outputs %v)", outs["predicate-path"], want, outs)
	}
	var p attest.Predicate
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(tr.ws, outs["predicate-path"]))), &p); err != nil {
		t.Fatal(err)
	}
	want := attest.Run{ServerURL: "https://github.example", Repository: "octo/helios", ID: "4242", Attempt: "2"}
	if p.Run == nil || *p.Run != want || p.Mission.Name != "reporting" || p.LedgerDigest != outs["ledger-digest"] || p.ContentDigest != outs["content-digest"] {
		t.Errorf("predicate %+v, run %+v", p, p.Run)
	}
	if len(p.Phases) != 1 || len(p.Phases[0].Steps) != 1 || p.Phases[0].Steps[0].ExitCode == nil {
		t.Errorf("phases %+v", p.Phases)
	}

	// A second run replaces it; with run: false there is none.
	tr.input("run", "false")
	writeFile(t, tr.outputs, "")
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("run: false: exit %d\n%s", code, tr.stdout.String())
	}
	if outs := tr.outs(); outs["predicate-path"] != "" || outs["predicate-type"] != "" {
		t.Errorf("run: false set %v", outs)
	}
}

// TestPredicateNoLinks: a .helios that a pull request committed as a link
// to elsewhere is not followed; the predicate is not written, and the run
// says why.
func TestPredicateNoLinks(t *testing.T) {
	elsewhere := t.TempDir()
	tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
	if err := os.Symlink(elsewhere, filepath.Join(tr.ws, ".helios")); err != nil {
		t.Fatal(err)
	}
	tr.main(context.Background())
	if outs := tr.outs(); outs["predicate-path"] != "" {
		t.Errorf("predicate-path %q through a link", outs["predicate-path"])
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Errorf("wrote through the link: %v", ents)
	}
	if got := tr.lines("::error::predicate not written: "); len(got) != 1 || !strings.Contains(got[0], "link") {
		t.Errorf("errors %q\n%s", got, tr.stdout.String())
	}
}

// TestPredicateReplacesLinkedFile: a predicate.json committed as a link is
// replaced, not written through.
func TestPredicateReplacesLinkedFile(t *testing.T) {
	target := filepath.Join(t.TempDir(), "target")
	writeFile(t, target, "keep\n")
	tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("key", "k")
	if err := os.MkdirAll(filepath.Join(tr.ws, ".helios", "k"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(tr.ws, ".helios", "k", "predicate.json")); err != nil {
		t.Fatal(err)
	}
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, tr.stdout.String())
	}
	if got := readFile(t, target); got != "keep\n" {
		t.Errorf("the link's target was written: %q", got)
	}
	fi, err := os.Lstat(filepath.Join(tr.ws, ".helios", "k", "predicate.json"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("predicate.json: %v, %v", fi, err)
	}
}

// TestPredicateWithheld: the predicate is meant to be published; a bundle
// holding a secret (here in a file name, which the products carry into the
// predicate) gets none, and no outputs point at one.
func TestPredicateWithheld(t *testing.T) {
	const secret = "signer-key-0123456789abcdef"
	tr := newTestRun(t, "push", nil).mission("helios.yml", `version: 1
name: leak
report-root: out
pass-env: [SIGNER_KEY]
phases:
  build:
    steps:
      - run: echo x > "$HELIOS_REPORT_ROOT/key-$SIGNER_KEY.txt"
`).input("key", "k")
	tr.vars["SIGNER_KEY"] = secret
	e := tr.env()
	e.Environ = func() []string { return []string{"PATH=" + os.Getenv("PATH"), "SIGNER_KEY=" + secret} }
	if code := Main(context.Background(), e); code != exitcode.Failure {
		t.Errorf("exit %d, want %d", code, exitcode.Failure)
	}
	if outs := tr.outs(); outs["predicate-path"] != "" || outs["predicate-type"] != "" {
		t.Errorf("outputs %v", outs)
	}
	if _, err := os.Lstat(filepath.Join(tr.ws, ".helios")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(".helios: %v, want none", err)
	}
	if got := tr.lines("::error::predicate not written: the bundle holds a secret in "); len(got) != 1 {
		t.Errorf("errors %q\n%s", got, tr.stdout.String())
	}
}

// TestPredicateFolderRefused: what the refusal of .helios/<key> says is
// about that folder, not about a report root.
func TestPredicateFolderRefused(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission).input("key", "k")
	writeFile(t, filepath.Join(tr.ws, ".helios", "k", ".git"), "gitdir: elsewhere\n")
	tr.main(context.Background())
	got := tr.lines("::error::predicate not written: ")
	if len(got) != 1 || !strings.Contains(got[0], ".helios/k, or a folder on the way to it, is a symbolic link or not a folder, or it holds a .git entry") || strings.Contains(got[0], "report-root") {
		t.Errorf("errors %q", got)
	}
}
