package e2e

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// ownDocsMission checks this repository's README and docs/ the way a user's
// mission checks theirs: with the helios/docs built-in, failing on any
// problem.
const ownDocsMission = `version: 1
name: own docs
report-root: .own-docs-check
phases:
  docs:
    steps:
      - name: README and docs
        uses: helios/docs
        with:
          paths: [README.md, "docs/**/*.md"]
          report: own-docs
          fail-on-problems: true
`

// TestOwnDocs runs helios/docs, through the real binary, over README.md and
// docs/**/*.md of this repository, in a copy of the repository's files (the
// links lead to source files, schemas and scripts, which must exist too).
// Any broken link, anchor, reference or Mermaid fence fails it, listed.
func TestOwnDocs(t *testing.T) {
	ws := t.TempDir()
	for _, f := range repositoryFiles(t) {
		src := filepath.Join("..", filepath.FromSlash(f))
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(ws, filepath.FromSlash(f)), string(b))
	}
	want := markdownIn(t, ws)
	if len(want) < 2 {
		t.Fatalf("found %d Markdown files of README.md and docs/ to check: %v", len(want), want)
	}
	missionFile := filepath.Join(t.TempDir(), "own-docs.yml")
	writeFile(t, missionFile, ownDocsMission)

	res := run(t, ws, nil, "run", "--mission", missionFile)
	var rep struct {
		Files    int `json:"files"`
		Links    int `json:"links"`
		Problems []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"problems"`
	}
	b, err := os.ReadFile(filepath.Join(ws, ".own-docs-check", "own-docs.json"))
	if err != nil {
		t.Fatalf("no docs report (exit %d): %v\n%s%s", res.code, err, res.stdout, res.stderr)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("docs report: %v", err)
	}
	for _, p := range rep.Problems {
		t.Errorf("%s:%d: %s [%s]", p.File, p.Line, p.Message, p.Kind)
	}
	if rep.Files != len(want) {
		t.Errorf("the check read %d Markdown files, the repository has %d: %v", rep.Files, len(want), want)
	}
	if rep.Links == 0 {
		t.Error("the check resolved no relative link: the README links its docs")
	}
	if res.code != 0 && len(rep.Problems) == 0 {
		t.Errorf("exit %d without a problem in the report:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if len(rep.Problems) > 0 && res.code == 0 {
		t.Errorf("%d problems, but helios exited 0 (fail-on-problems: true)", len(rep.Problems))
	}
}

// TestReadmeMinimalMission: the README's minimal mission is a valid mission
// (helios plan parses and resolves it, built-in steps' with: included), and
// the workflows the act tests run are where those tests look for them.
func TestReadmeMinimalMission(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "helios.yml"), readmeBlock(t, "minimal-mission"))
	res := run(t, ws, nil, "plan")
	if res.code != 0 {
		t.Fatalf("helios plan of the README's minimal mission: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, step := range []string{"npm ci", "helios/docs", "npm pack"} {
		if !strings.Contains(res.stdout, step) {
			t.Errorf("the plan does not list %q:\n%s", step, res.stdout)
		}
	}
	for _, name := range []string{"usage-workflow", "fork-pr-workflow", "fork-report-workflow"} {
		var wf map[string]any
		if err := yaml.Unmarshal([]byte(readmeBlock(t, name)), &wf); err != nil {
			t.Errorf("README.md %s: %v", name, err)
		} else if wf["jobs"] == nil {
			t.Errorf("README.md %s: no jobs", name)
		}
	}
}

// readmeBlock is the ```yaml block that follows <!-- e2e: name --> in the
// README (the act tests read the workflows the same way).
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	return readmeFence(t, name, "yaml")
}

// readmeFence is the ```lang block that follows <!-- e2e: name --> in the
// README.
func readmeFence(t *testing.T, name, lang string) string {
	t.Helper()
	readme := readFile(t, "../README.md")
	marker := "<!-- e2e: " + name + " -->\n"
	_, rest, ok := strings.Cut(readme, marker)
	if !ok {
		t.Fatalf("README.md has no %q marker", strings.TrimSpace(marker))
	}
	rest, ok = strings.CutPrefix(rest, "```"+lang+"\n")
	if !ok {
		t.Fatalf("README.md: the %s marker is not followed by a ```%s block", name, lang)
	}
	block, _, ok := strings.Cut(rest, "```\n")
	if !ok {
		t.Fatalf("README.md: the %s block does not end", name)
	}
	return block
}

// repositoryFiles lists the repository's regular files, relative and
// slash-separated: as git sees them (tracked, and new files not ignored, so
// a doc not yet committed is checked too), or every file but .git's when
// this is not a git checkout.
func repositoryFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	if out, err := exec.Command("git", "-C", "..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output(); err == nil {
		for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			if fi, err := os.Lstat(filepath.Join("..", filepath.FromSlash(f))); err == nil && fi.Mode().IsRegular() {
				files = append(files, f)
			}
		}
		return files
	}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel("..", p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// markdownIn lists README.md and the Markdown files under docs/ of ws: the
// files the mission must have checked.
func markdownIn(t *testing.T, ws string) []string {
	t.Helper()
	var out []string
	if _, err := os.Stat(filepath.Join(ws, "README.md")); err == nil {
		out = append(out, "README.md")
	}
	filepath.WalkDir(filepath.Join(ws, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(ws, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}
