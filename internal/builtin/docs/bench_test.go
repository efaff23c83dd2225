package docs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genTree writes nFiles Markdown files of about fileSize bytes in 20
// folders, each with headings, prose, tables, code, a Mermaid fence and
// relative links (with anchors) to other files; it returns the total bytes
// and links written.
func genTree(tb testing.TB, root string, nFiles, fileSize int) (bytes, links int) {
	tb.Helper()
	name := func(i int) string { return fmt.Sprintf("area-%02d/page-%03d.md", i%20, i) }
	for i := range nFiles {
		var b strings.Builder
		fmt.Fprintf(&b, "# Page %d\n\nIntroduction to page %d of the generated tree.\n\n", i, i)
		for sec := 0; b.Len() < fileSize; sec++ {
			fmt.Fprintf(&b, "## Section %d: the `thing` & more\n\n", sec)
			b.WriteString("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor ")
			b.WriteString("incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud ")
			b.WriteString("exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.\n\n")
			if sec%4 != 0 {
				continue
			}
			j := (i*7 + sec*13) % nFiles
			fmt.Fprintf(&b, "See [page %d](../%s#section-%d-the-thing--more), [the top](#page-%d), ", j, name(j), sec%3, i)
			fmt.Fprintf(&b, "[a reference][ref-%d] and <https://example.com/%d/%d>.\n\n", sec, i, sec)
			fmt.Fprintf(&b, "[ref-%d]: ../%s\n\n", sec, name((j+1)%nFiles))
			links += 3
			switch sec % 16 / 4 {
			case 0:
				fmt.Fprintf(&b, "| Key | Value |\n|---|---|\n| a | [b](#page-%d) |\n| c | d |\n\n", i)
				links++
			case 1:
				b.WriteString("```go\nfunc main() { fmt.Println(\"[x][y]\") }\n```\n\n")
			case 2:
				b.WriteString("```mermaid\nflowchart LR\n  a --> b\n```\n\n")
			case 3:
				b.WriteString("- [ ] a task\n- [x] a done task with ![an image](../img.svg)\n\n")
				links++
			}
		}
		p := filepath.Join(root, filepath.FromSlash(name(i)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		bytes += b.Len()
	}
	if err := os.WriteFile(filepath.Join(root, "img.svg"), []byte("<svg/>"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return bytes, links
}

// BenchmarkCheck600 checks a generated tree of 600 files (3.5 MiB, a few
// thousand links), the size the docs check is meant to handle well under a
// second: go test -run '^$' -bench Check600 ./internal/builtin/docs
func BenchmarkCheck600(b *testing.B) {
	root := b.TempDir()
	size, _ := genTree(b, root, 600, 7*1024*1024/2/600)
	b.SetBytes(int64(size))
	var rep *Report
	for b.Loop() {
		var err error
		rep, err = Check(context.Background(), Options{Root: root})
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(rep.Problems) != 0 {
		b.Fatalf("generated tree has problems: %+v", rep.Problems[:min(3, len(rep.Problems))])
	}
	b.ReportMetric(float64(rep.Links), "checked-links")
}

func TestGeneratedTreeIsClean(t *testing.T) {
	root := t.TempDir()
	genTree(t, root, 30, 4096)
	rep, err := Check(context.Background(), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 30 || rep.Links == 0 || len(rep.Problems) != 0 {
		t.Fatalf("files %d, links %d, %d problems, first: %+v", rep.Files, rep.Links, len(rep.Problems), rep.Problems[:min(3, len(rep.Problems))])
	}
}
