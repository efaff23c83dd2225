package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/builtin/docs"
	"github.com/helios-action/helios-action/internal/manifest"
)

// TestDocsSkipsOldBundles: a bundle an earlier run left in the checkout
// (with a report-root of its own) holds Markdown whose links pointed into
// that run; helios/docs leaves it out. A folder whose manifest.json is
// another tool's is documentation like the rest and is checked.
func TestDocsSkipsOldBundles(t *testing.T) {
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "README.md"), "# Docs\n\nSee [the guide](guide.md).\n")
	writeFile(t, filepath.Join(ws, "guide.md"), "# Guide\n")
	writeFile(t, filepath.Join(ws, "old.yml"), `version: 1
report-root: reports/old
phases:
  notes:
    steps:
      - run: printf '# Notes\n\n[gone](nowhere.md)\n' > "$HELIOS_REPORT_ROOT/notes.md"
`)
	if res := run(t, ws, nil, "run", "--mission", "old.yml"); res.code != 0 {
		t.Fatalf("old run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	writeFile(t, filepath.Join(ws, "vendor-report", "manifest.json"), `{"tool": {"name": "other", "version": "1"}}`)
	writeFile(t, filepath.Join(ws, "vendor-report", "SHA256SUMS"), "")
	writeFile(t, filepath.Join(ws, "vendor-report", "notes.md"), "[gone](nowhere.md)\n")
	writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
report-root: reports/new
phases:
  docs:
    steps:
      - uses: helios/docs
        with: {fail-on-problems: false}
`)
	res := run(t, ws, nil, "run")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, "reports", "new")
	sha256sumCheck(t, root)
	if m := readManifest(t, root); m.Conclusion != manifest.Success {
		t.Fatalf("conclusion %s: %s", m.Conclusion, m.Reason)
	}
	rep, err := docs.ReadReport(context.Background(), root, "docs/docs-check.json")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, p := range rep.Problems {
		files = append(files, p.File)
	}
	if !slices.Equal(files, []string{"vendor-report/notes.md"}) {
		t.Errorf("problems in %q, want only vendor-report/notes.md: %+v", files, rep.Problems)
	}
	if !slices.Equal(rep.Bundles, []string{"reports/old"}) {
		t.Errorf("bundles left out %q, want reports/old", rep.Bundles)
	}
	if log := readFile(t, filepath.Join(root, "logs", "docs", "helios-docs.log")); !strings.Contains(log, "docs: reports/old/ holds a helios report bundle: not checked\n") {
		t.Errorf("the step log does not say what it left out:\n%s", log)
	}
}
