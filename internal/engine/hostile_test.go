package engine_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/cli"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/site"
)

// hostileRun runs src in a fresh workspace; $OUT in the mission is a folder
// outside the workspace holding a canary, returned for checking.
func hostileRun(t *testing.T, src string, opts engine.Options) (res *engine.Result, err error, ws, out string) {
	t.Helper()
	ws, out = t.TempDir(), t.TempDir()
	writeCanary(t, out)
	reg := engine.NewRegistry(&probe{})
	m, perr := reg.Parse("helios.yml", []byte(strings.ReplaceAll(src, "$OUT", out)))
	if perr != nil {
		t.Fatal(perr)
	}
	opts.Workspace, opts.Builtins, opts.Environ = ws, reg, os.Environ()
	res, err = engine.Run(context.Background(), m, opts)
	return res, err, ws, out
}

func writeCanary(t *testing.T, out string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(out, "x", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "x", "sub", "canary"), []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkOutside fails unless the outside folder holds exactly the canary.
func checkOutside(t *testing.T, out string) {
	t.Helper()
	var got []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, rel)
		}
		return nil
	})
	if len(got) != 1 || got[0] != filepath.Join("x", "sub", "canary") {
		t.Errorf("outside folder holds %q, want only the canary", got)
	}
	if b, err := os.ReadFile(filepath.Join(out, "x", "sub", "canary")); err != nil || string(b) != "keep\n" {
		t.Errorf("canary: %q, %v", b, err)
	}
}

func verifyBundle(t *testing.T, root string) {
	t.Helper()
	rep, err := ledger.Verify(context.Background(), root, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Errorf("bundle does not verify: %+v %v", rep, err)
	}
}

// TestPlantedLinksFailTheRun: a step that swaps a folder helios writes into
// for a link to a folder outside fails the run; nothing is written there.
func TestPlantedLinksFailTheRun(t *testing.T) {
	tests := []struct {
		name, step, want string
	}{
		{"logs/<phase>", `ln -s "$OUT/x/sub" "$HELIOS_REPORT_ROOT/logs/a"`, "out/logs/a is a symbolic link"},
		{"assets", `ln -s "$OUT/x/sub" "$HELIOS_REPORT_ROOT/assets"`, "out/assets is a symbolic link"},
		{"a folder a built-in writes", `ln -s "$OUT/x/sub" "$HELIOS_REPORT_ROOT/probe"`, "out/probe is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - run: '" + tt.step + "'\n      - uses: helios/probe\n        with: {}\n"
			res, err, ws, out := hostileRun(t, src, engine.Options{BeforeLedger: cli.IndexPage, Reserved: site.Written()})
			if err != nil {
				t.Fatal(err)
			}
			mf := res.Manifest
			if mf.Conclusion != manifest.Failure || !strings.Contains(mf.Reason, tt.want) {
				t.Errorf("conclusion %q, reason %q; want failure naming %q", mf.Conclusion, mf.Reason, tt.want)
			}
			checkOutside(t, out)
			verifyBundle(t, filepath.Join(ws, "out"))
		})
	}
}

// TestReplacedRootSealsTheFolderItCreated: a step that moves the report
// root away and puts a link to a folder outside in its place fails the
// run; helios keeps writing to the folder it created.
func TestReplacedRootSealsTheFolderItCreated(t *testing.T) {
	src := `version: 1
report-root: out
phases:
  a:
    steps:
      - run: mv "$HELIOS_REPORT_ROOT" "$HELIOS_REPORT_ROOT.moved" && ln -s "$OUT/x/sub" "$HELIOS_REPORT_ROOT"
      - run: echo second
`
	res, err, ws, out := hostileRun(t, src, engine.Options{BeforeLedger: cli.IndexPage, Reserved: site.Written()})
	if err != nil {
		t.Fatal(err)
	}
	if mf := res.Manifest; mf.Conclusion != manifest.Failure || !strings.Contains(mf.Reason, "report root out was replaced") {
		t.Errorf("conclusion %q, reason %q", mf.Conclusion, mf.Reason)
	}
	checkOutside(t, out)
	moved := filepath.Join(ws, "out.moved")
	if res.ReportRoot != moved {
		t.Errorf("Result.ReportRoot = %s, want where the sealed folder went (%s)", res.ReportRoot, moved)
	}
	verifyBundle(t, moved)
	if _, err := os.Stat(filepath.Join(moved, "index.html")); err != nil {
		t.Errorf("the created folder was not sealed: %v", err)
	}
}

// TestDeletedRootIsAnError: a root removed and replaced by a link cannot be
// sealed; Run says so, and nothing lands behind the link.
func TestDeletedRootIsAnError(t *testing.T) {
	src := "version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - run: rm -rf \"$HELIOS_REPORT_ROOT\" && ln -s \"$OUT/x/sub\" \"$HELIOS_REPORT_ROOT\"\n"
	_, err, _, out := hostileRun(t, src, engine.Options{BeforeLedger: cli.IndexPage, Reserved: site.Written()})
	if err == nil || !strings.Contains(err.Error(), "report root out was replaced") {
		t.Errorf("Run error = %v, want the replaced root named", err)
	}
	checkOutside(t, out)
}

// TestRefusedRoots: report roots helios must not use end the run before
// anything runs, as usage errors, and leave the folders alone.
func TestRefusedRoots(t *testing.T) {
	tests := []struct {
		name, root string
		setup      func(t *testing.T, ws, out string)
		want       string
	}{
		{"linked parent (the canary reproduction)", "link/sub", func(t *testing.T, ws, out string) {
			if err := os.Symlink(filepath.Join(out, "x"), filepath.Join(ws, "link")); err != nil {
				t.Fatal(err)
			}
		}, "link is a symbolic link"},
		{"reports committed as a link", "reports/x", func(t *testing.T, ws, out string) {
			if err := os.Symlink(out, filepath.Join(ws, "reports")); err != nil {
				t.Fatal(err)
			}
		}, "reports is a symbolic link"},
		{".git", ".git", nil, "git folder"},
		{"inside .git", ".git/reports", nil, "git folder"},
		{"a folder of someone else's", "docs", func(t *testing.T, ws, out string) {
			os.MkdirAll(filepath.Join(ws, "docs"), 0o755)
			os.WriteFile(filepath.Join(ws, "docs", "guide.md"), []byte("mine"), 0o644)
		}, "name another report-root, or remove the folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, out := t.TempDir(), t.TempDir()
			writeCanary(t, out)
			if tt.setup != nil {
				tt.setup(t, ws, out)
			}
			reg := engine.NewRegistry()
			m, err := reg.Parse("helios.yml", []byte("version: 1\nphases:\n  a:\n    steps:\n      - run: touch \"$HELIOS_REPORT_ROOT/ran\"\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = engine.Run(context.Background(), m, engine.Options{Workspace: ws, ReportRoot: tt.root, Builtins: reg, Environ: os.Environ()})
			var ue *engine.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want a usage error with %q", err, tt.want)
			}
			checkOutside(t, out)
			if _, err := os.Stat(filepath.Join(ws, ".git")); err == nil {
				t.Error("a .git folder was created")
			}
			if b, err := os.ReadFile(filepath.Join(ws, "docs", "guide.md")); tt.root == "docs" && string(b) != "mine" {
				t.Errorf("docs/guide.md: %q %v", b, err)
			}
		})
	}
}

// TestCollectKeepsGitSecrets: the token actions/checkout writes into
// .git/config never reaches the bundle, whatever the pattern.
func TestCollectKeepsGitSecrets(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	token := "ghs_" + strings.Repeat("T", 36)
	header := "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
	tests := []struct {
		name, from, want string
	}{
		{".git/config named", `[".git/config"]`, "never collects a git config"},
		{".git folder named", `[".git/"]`, "a bundle never holds a .git folder"},
		{".git contents named", `[".git/*"]`, "never collects a git config"},
		// ** and * also match the report root, which collect refuses; what
		// they copied before that must not hold the token either.
		{"everything", `["**"]`, "overlaps the report root"},
		{"everything at the top", `["*"]`, "overlaps the report root"},
		{"everything in a folder holding a repository", `["sub/**"]`, ""},
		{"a link to .git/config", `["innocent"]`, "never collects a git config"},
		{"a nested path", `["sub/.git/config"]`, "never collects a git config"},
		{"inside .git without naming it", `["sub/.git/HEAD"]`, "name .git/ paths explicitly"},
		{".git/HEAD named", `[".git/HEAD"]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := t.TempDir()
			for _, args := range [][]string{{"init", "-q"}, {"config", "http.https://github.com/.extraheader", header}} {
				if out, err := exec.Command("git", append([]string{"-C", ws}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			os.MkdirAll(filepath.Join(ws, "sub", ".git"), 0o755)
			os.WriteFile(filepath.Join(ws, "sub", ".git", "config"), []byte(header), 0o644)
			os.WriteFile(filepath.Join(ws, "sub", ".git", "HEAD"), []byte("ref: x"), 0o644)
			os.WriteFile(filepath.Join(ws, "notes.txt"), []byte("notes"), 0o644)
			if tt.from == `["innocent"]` {
				os.Symlink(".git/config", filepath.Join(ws, "innocent"))
			}
			reg := engine.NewRegistry()
			m, err := reg.Parse("helios.yml", []byte("version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - collect: {from: "+tt.from+", to: c}\n"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Builtins: reg, Environ: os.Environ()})
			if err != nil {
				t.Fatal(err)
			}
			mf := res.Manifest
			if tt.want == "" && mf.Conclusion != manifest.Success {
				t.Errorf("conclusion %q: %s", mf.Conclusion, mf.Reason)
			}
			if tt.want != "" && (mf.Conclusion != manifest.Failure || !strings.Contains(mf.Reason, tt.want)) {
				t.Errorf("conclusion %q, reason %q; want failure with %q", mf.Conclusion, mf.Reason, tt.want)
			}
			root := filepath.Join(ws, "out")
			filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				b, _ := os.ReadFile(p)
				if strings.Contains(string(b), "AUTHORIZATION") || strings.Contains(string(b), token) {
					t.Errorf("%s carries the checkout credentials", p)
				}
				if d.Name() == "config" {
					t.Errorf("%s copied", p)
				}
				return nil
			})
			verifyBundle(t, root)
		})
	}
}

// TestCancelDuringSealing: a signal that arrives while the bundle is sealed
// makes the run cancelled, in the result and in the sealed manifest.
func TestCancelDuringSealing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := engine.NewRegistry()
	m, err := reg.Parse("helios.yml", []byte("version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - run: echo ok\n"))
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	res, err := engine.Run(ctx, m, engine.Options{Workspace: ws, Builtins: reg, Environ: os.Environ(),
		BeforeLedger: func(context.Context, *engine.Result, []ledger.Entry) ([]string, error) {
			cancel()
			return nil, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Conclusion != manifest.Cancelled {
		t.Errorf("conclusion %q, want cancelled", res.Manifest.Conclusion)
	}
	root := filepath.Join(ws, "out")
	if mf, err := manifest.Read(filepath.Join(root, manifest.FileName)); err != nil || mf.Conclusion != manifest.Cancelled {
		t.Errorf("sealed manifest says %v (%v), want cancelled", mf, err)
	}
	verifyBundle(t, root)
}

// TestChangedAfterHashing: a file that changes after it was hashed (as a
// leftover process appending to a log would) is caught by the sealing
// check; the run fails naming it, and the bundle is sealed again so that
// it still verifies.
func TestChangedAfterHashing(t *testing.T) {
	reg := engine.NewRegistry()
	m, err := reg.Parse("helios.yml", []byte("version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - run: echo first > \"$HELIOS_REPORT_ROOT/grows.txt\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	root := filepath.Join(ws, "out")
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Builtins: reg, Environ: os.Environ(),
		BeforeLedger: func(context.Context, *engine.Result, []ledger.Entry) ([]string, error) {
			// The scan has hashed grows.txt; now it grows.
			f, err := os.OpenFile(filepath.Join(root, "grows.txt"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			_, err = f.WriteString("more\n")
			return nil, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	if mf := res.Manifest; mf.Conclusion != manifest.Failure || !strings.Contains(mf.Reason, "grows.txt changed after helios hashed it") {
		t.Errorf("conclusion %q, reason %q", mf.Conclusion, mf.Reason)
	}
	verifyBundle(t, root)
}
