package site

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/golden"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// out keeps the sample bundle for a look in a browser:
// go test ./internal/site -run Golden -args -out=/tmp/bundle
var out = flag.String("out", "", "write the sample bundle to this folder too")

// openBundle holds root as the engine does.
func openBundle(t *testing.T, root string) *bundlefs.Dir {
	t.Helper()
	d, err := bundlefs.Open(filepath.Dir(root), filepath.Base(root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestWriteRefusesLinkedAssets: a step that replaced assets/ with a link
// to a folder outside makes the write fail; nothing lands there.
func TestWriteRefusesLinkedAssets(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	victim := filepath.Join(outside, "mermaid.min.js")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "assets")); err != nil {
		t.Fatal(err)
	}
	err := Write(openBundle(t, root), &manifest.Manifest{Conclusion: "success"}, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Write = %v, want a refused link", err)
	}
	ents, _ := os.ReadDir(outside)
	if b, _ := os.ReadFile(victim); len(ents) != 1 || string(b) != "keep" {
		t.Errorf("outside folder changed: %v %q", ents, b)
	}
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sampleManifest() *manifest.Manifest {
	start := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	exit0, exit1 := 0, 1
	return &manifest.Manifest{
		Tool:       manifest.Tool{Name: "helios", Version: "v0.1.0"},
		Mission:    manifest.Mission{Name: "Sample <mission>", File: "helios.yml", SHA256: strings.Repeat("ab", 32), ReportRoot: "reports/x"},
		Git:        manifest.Git{Commit: strings.Repeat("c", 40)},
		Network:    "hardhat",
		StartedAt:  start,
		FinishedAt: start.Add(3 * time.Second),
		DurationMs: 3000,
		Conclusion: manifest.Failure,
		Reason:     `phase "governance" failed: <script>alert(1)</script>`,
		Phases: []manifest.Phase{
			{Name: "prep", Needs: []string{}, Status: "success", DurationMs: 12, Steps: []manifest.Step{
				{ID: "check", Name: "Check the toolchain", Kind: "run", Status: "success", ExitCode: &exit0, DurationMs: 12, Log: "logs/prep/check.log"},
			}},
			{Name: "governance", Needs: []string{"prep"}, Status: "failure", DurationMs: 2500, Steps: []manifest.Step{
				{ID: "kit", Name: "Kit", Kind: "uses", Uses: "helios/kit", Status: "failure", ExitCode: &exit1, DurationMs: 2500,
					Error: `artefact "x": <img src=x onerror=alert(1)>`, Log: "logs/governance/kit.log"},
			}},
			{Name: "kits", Needs: []string{"prep", "governance"}, Status: "skipped", Steps: []manifest.Step{}},
		},
	}
}

var sampleFiles = map[string]string{
	"logs/prep/check.log":     "$ check\n<b>not html</b>\n",
	"logs/governance/kit.log": "error\n",
	"owner/runbook.md":        "# Runbook\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n<script>alert(1)</script>\n\n[plan](../asi/plan.json) [js](javascript:alert(1))\n\n```mermaid\nflowchart LR\n  a --> b\n```\n\n```go\nfmt.Println(\"<hi>\")\n```\n",
	"asi/plan.json":           "{\"a\": 1}\n",
	"asi/odd #name%?.txt":     "odd\n",
	"manifest.json":           "{}\n", // an older one: listed by name only
	"index.html":              "old page\n",
	"assets/mermaid.min.js":   "stale copy",
}

func scan(t *testing.T, root string) []ledger.Entry {
	t.Helper()
	res, err := ledger.Scan(context.Background(), root, ledger.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Entries
}

func TestWriteGolden(t *testing.T) {
	roots := []string{t.TempDir()}
	if *out != "" {
		roots = append(roots, *out)
	}
	for _, root := range roots {
		writeFiles(t, root, sampleFiles)
		if err := Write(openBundle(t, root), sampleManifest(), scan(t, root), Options{}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := os.ReadFile(filepath.Join(roots[0], FileName))
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "index.html"), page)

	s := string(page)
	for _, bad := range []string{"<script>alert", "<img src=x", "javascript:", "<b>not html"} {
		if strings.Contains(s, bad) {
			t.Errorf("the page holds unescaped %q", bad)
		}
	}
	for _, want := range []string{
		`<pre class="mermaid">flowchart LR`,             // phase graph and the artefact's diagram
		`<a href="./asi/odd%20%23name%25%3F.txt">`,      // percent-encoded link
		`href="asi/plan.json"`,                          // rebased relative link from owner/runbook.md
		`<input checked="" disabled="" type="checkbox"`, // task list
		`<td>1</td>`, // table
		`<a href="./manifest.json">manifest.json</a>`,                 // by name
		`<script src="./assets/mermaid.min.js"></script>`,             // local Mermaid
		`&lt;script&gt;alert(1)&lt;/script&gt;`,                       // the reason, escaped
		`<code class="language-go">fmt.Println(&#34;&lt;hi&gt;&#34;)`, // code escaped
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(s, "old page") || strings.Count(s, ">index.html<") > 0 {
		t.Error("the page lists index.html")
	}
	js, err := os.ReadFile(filepath.Join(roots[0], filepath.FromSlash(MermaidJS)))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(js) != mermaidRecorded(t) || len(js) < 1<<20 {
		t.Error("assets/mermaid.min.js is not the embedded Mermaid")
	}
	if _, err := os.Stat(filepath.Join(roots[0], filepath.FromSlash(MermaidLicense))); err != nil {
		t.Error(err)
	}
}

func TestWriteCaps(t *testing.T) {
	tests := []struct {
		name     string
		files    int
		opts     Options
		wantNote string
	}{
		{"under the cap", 5, Options{MaxFiles: 10}, ""},
		{"over the cap", 30, Options{MaxFiles: 10}, "The listing stops at 10 of 32 files; SHA256SUMS lists every file."},
		{"markdown over the cap", 5, Options{MaxMarkdownFiles: 2}, "3 more Markdown files (over 2 files or 512 KiB each)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			files := map[string]string{}
			for i := range tt.files {
				files[filepath.Join("docs", strings.Repeat("x", i+1)+".md")] = "# doc\n"
			}
			writeFiles(t, root, files)
			m := &manifest.Manifest{Conclusion: "success"}
			if err := Write(openBundle(t, root), m, scan(t, root), tt.opts); err != nil {
				t.Fatal(err)
			}
			page, err := os.ReadFile(filepath.Join(root, FileName))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNote != "" && !strings.Contains(string(page), tt.wantNote) {
				t.Errorf("the page lacks the note %q", tt.wantNote)
			}
			if tt.wantNote == "" && strings.Contains(string(page), `class="note">The listing stops`) {
				t.Error("the page caps a short listing")
			}
		})
	}
}

// TestWriteGoldenMadeBy: a manifest with products gives the file list a
// "Made by" column: the step behind each file, every step that may have
// made it when the product was ambiguous, nothing for a file no step made
// (or one a later step removed).
func TestWriteGoldenMadeBy(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, sampleFiles)
	m := sampleManifest()
	sum := func(name string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(sampleFiles[name]))) }
	m.Phases[0].Steps[0].Products = []manifest.Product{
		{Path: "asi/plan.json", SHA256: sum("asi/plan.json"), Size: 9, Change: manifest.Created},
		{Path: "asi/odd #name%?.txt", SHA256: sum("asi/odd #name%?.txt"), Size: 4, Change: manifest.Created},
		// Changed later with no step's products saying so (a write
		// through a mapping, say): its maker is not shown.
		{Path: "logs/prep/check.log", SHA256: strings.Repeat("0", 64), Size: 3, Change: manifest.Created},
	}
	m.Phases[1].Steps[0].Products = []manifest.Product{
		{Path: "owner/runbook.md", SHA256: sum("owner/runbook.md"), Size: 9, Change: manifest.Created, Ambiguous: []string{"kits / <b>Build</b>"}},
		{Path: "asi/odd #name%?.txt", Change: manifest.Removed},
	}
	if err := Write(openBundle(t, root), m, scan(t, root), Options{}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(root, FileName))
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "index-made-by.html"), page)
	for _, want := range []string{
		`<th>Made by</th>`,
		`<td class="hash">` + fmt.Sprintf("%x", sha256.Sum256([]byte(sampleFiles["asi/plan.json"]))) + `</td><td>prep / Check the toolchain</td>`,
		`<td>governance / Kit or kits / &lt;b&gt;Build&lt;/b&gt; (they ran side by side)</td>`,
		`<td class="hash">` + sum("logs/prep/check.log") + `</td><td></td>`,
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
