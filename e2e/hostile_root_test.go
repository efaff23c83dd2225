package e2e

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/manifest"
)

// These replay, through the real binary, the report-root reproductions of
// issue 17: a report root reached through a link, .git as the report root,
// links a step plants in the bundle, and the checkout token in .git/config.

// outside makes a folder outside the workspace holding $OUT/x/sub/canary.
func outside(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	writeFile(t, filepath.Join(out, "x", "sub", "canary"), "keep\n")
	return out
}

// untouched fails unless out holds only its canary, as it was.
func untouched(t *testing.T, out string) {
	t.Helper()
	var got []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(got) != 1 || got[0] != "x/sub/canary" {
		t.Errorf("the folder outside holds %q, want only x/sub/canary", got)
	}
	if b, err := os.ReadFile(filepath.Join(out, "x", "sub", "canary")); err != nil || string(b) != "keep\n" {
		t.Errorf("canary: %q, %v", b, err)
	}
}

func gitRepo(t *testing.T, ws string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "first"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", ws}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

const okMission = `version: 1
name: hostile
phases:
  a:
    steps:
      - run: echo ran > "$HELIOS_REPORT_ROOT/ran.txt"
`

// TestRefusedReportRoots: each report root is refused before anything
// runs (exit 2, a message naming the problem), and nothing outside or in
// the repository is touched.
func TestRefusedReportRoots(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, ws, out string) (mission string, args []string)
		want  string
	}{
		{"canary: report-root through a linked parent", func(t *testing.T, ws, out string) (string, []string) {
			if err := os.Symlink(filepath.Join(out, "x"), filepath.Join(ws, "link")); err != nil {
				t.Fatal(err)
			}
			return strings.Replace(okMission, "phases:", "report-root: link/sub\nphases:", 1), nil
		}, "link is a symbolic link"},
		{"reports committed as a link (default report root)", func(t *testing.T, ws, out string) (string, []string) {
			if err := os.Symlink(filepath.Join(out, "x"), filepath.Join(ws, "reports")); err != nil {
				t.Fatal(err)
			}
			return okMission, nil
		}, "reports is a symbolic link"},
		{"report-root: .git", func(t *testing.T, ws, out string) (string, []string) {
			gitRepo(t, ws)
			return strings.Replace(okMission, "phases:", "report-root: .git\nphases:", 1), nil
		}, "git folder"},
		{"--report-root .git", func(t *testing.T, ws, out string) (string, []string) {
			gitRepo(t, ws)
			return okMission, []string{"--report-root", ".git"}
		}, "git folder"},
		{"--report-root .git/objects", func(t *testing.T, ws, out string) (string, []string) {
			gitRepo(t, ws)
			return okMission, []string{"--report-root", ".git/objects"}
		}, "git folder"},
		{"a folder holding a repository", func(t *testing.T, ws, out string) (string, []string) {
			gitRepo(t, ws)
			os.MkdirAll(filepath.Join(ws, "vendor", "lib"), 0o755)
			gitRepo(t, filepath.Join(ws, "vendor", "lib"))
			return okMission, []string{"--report-root", "vendor/lib"}
		}, "holds a .git entry"},
		{"a folder that is not a bundle", func(t *testing.T, ws, out string) (string, []string) {
			writeFile(t, filepath.Join(ws, "docs", "guide.md"), "mine\n")
			return okMission, []string{"--report-root", "docs"}
		}, "name another report-root, or remove the folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, out := t.TempDir(), outside(t)
			mission, args := tt.setup(t, ws, out)
			writeFile(t, filepath.Join(ws, "helios.yml"), mission)
			res := run(t, ws, nil, append([]string{"run"}, args...)...)
			if res.code != 2 || !strings.Contains(res.stdout+res.stderr, tt.want) {
				t.Fatalf("exit %d, want 2 with %q\n%s%s", res.code, tt.want, res.stdout, res.stderr)
			}
			untouched(t, out)
			if _, err := os.Stat(filepath.Join(ws, ".git")); err == nil {
				if b, err := exec.Command("git", "-C", ws, "log", "--oneline").CombinedOutput(); err != nil || !strings.Contains(string(b), "first") {
					t.Errorf("git log after the run: %v\n%s", err, b)
				}
				if b, err := exec.Command("git", "-C", filepath.Join(ws, "vendor", "lib"), "log", "--oneline").CombinedOutput(); tt.name == "a folder holding a repository" && err != nil {
					t.Errorf("nested git log after the run: %v\n%s", err, b)
				}
			}
			if b, err := os.ReadFile(filepath.Join(ws, "docs", "guide.md")); err == nil && string(b) != "mine\n" {
				t.Errorf("docs/guide.md changed: %q", b)
			}
		})
	}
}

// TestRerunEmptiesThePreviousBundle: the same report root twice works; the
// second run empties the first bundle, links inside it removed, not
// followed.
func TestRerunEmptiesThePreviousBundle(t *testing.T) {
	ws, out := t.TempDir(), outside(t)
	writeFile(t, filepath.Join(ws, "helios.yml"), strings.Replace(okMission, "phases:", "report-root: out\nphases:", 1))
	if res := run(t, ws, nil, "run"); res.code != 0 {
		t.Fatalf("first run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if err := os.Symlink(filepath.Join(out, "x"), filepath.Join(ws, "out", "planted")); err != nil {
		t.Fatal(err)
	}
	if res := run(t, ws, nil, "run"); res.code != 0 {
		t.Fatalf("second run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Lstat(filepath.Join(ws, "out", "planted")); err == nil {
		t.Error("the link of the old bundle survived")
	}
	untouched(t, out)
	sha256sumCheck(t, filepath.Join(ws, "out"))
}

// TestStepPlantedLinks: a step that swaps assets/, logs/<phase> or the
// report root itself for a link to a folder outside makes the run fail
// (exit 1), and nothing is written or deleted there.
func TestStepPlantedLinks(t *testing.T) {
	tests := []struct {
		name, step, want, sealed string
	}{
		{"assets", `ln -s "$OUT/x/sub" "$HELIOS_REPORT_ROOT/assets"`, "out/assets is a symbolic link", "out"},
		{"logs/<phase>", `ln -s "$OUT/x/sub" "$HELIOS_REPORT_ROOT/logs/a"`, "out/logs/a is a symbolic link", "out"},
		{"the report root", `mv "$HELIOS_REPORT_ROOT" "$HELIOS_REPORT_ROOT.moved" && ln -s "$OUT/x/sub" "$HELIOS_REPORT_ROOT"`, "the report root out was replaced", "out.moved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, out := t.TempDir(), outside(t)
			writeFile(t, filepath.Join(ws, "helios.yml"), "version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - run: '"+strings.ReplaceAll(tt.step, "$OUT", out)+"'\n      - run: echo after\n")
			res := run(t, ws, nil, "run")
			if res.code != 1 || !strings.Contains(res.stdout, tt.want) {
				t.Fatalf("exit %d, want 1 with %q\n%s%s", res.code, tt.want, res.stdout, res.stderr)
			}
			untouched(t, out)
			root := filepath.Join(ws, tt.sealed)
			sha256sumCheck(t, root)
			if m := readManifest(t, root); m.Conclusion != manifest.Failure {
				t.Errorf("sealed conclusion %q, want failure", m.Conclusion)
			}
		})
	}
}

// TestCollectGitConfig: the extraheader actions/checkout writes into
// .git/config (base64 of the token) never reaches the bundle.
func TestCollectGitConfig(t *testing.T) {
	token := "ghs_" + strings.Repeat("S", 36)
	b64 := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	for _, from := range []string{`[".git/config"]`, `["**"]`, `[".git/"]`, `["*"]`} {
		t.Run(from, func(t *testing.T) {
			ws := t.TempDir()
			gitRepo(t, ws)
			if out, err := exec.Command("git", "-C", ws, "config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic "+b64).CombinedOutput(); err != nil {
				t.Fatalf("git config: %v\n%s", err, out)
			}
			writeFile(t, filepath.Join(ws, "notes.txt"), "notes\n")
			writeFile(t, filepath.Join(ws, "helios.yml"), "version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - collect: {from: "+from+", to: c}\n")
			res := run(t, ws, nil, "run")
			if res.code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
			}
			root := filepath.Join(ws, "out")
			sha256sumCheck(t, root)
			filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				b, _ := os.ReadFile(p)
				if strings.Contains(string(b), b64) || strings.Contains(string(b), "AUTHORIZATION") {
					t.Errorf("%s carries the checkout credentials", p)
				}
				return nil
			})
			if strings.Contains(res.stdout+res.stderr, b64) {
				t.Error("the console shows the credentials")
			}
		})
	}
}
