package docs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/golden"
)

// fixture is the docs tree with every kind of good and broken link.
const fixture = "../../../testdata/docs"

func TestCheckFixtureGolden(t *testing.T) {
	rep, err := Check(context.Background(), Options{Root: fixture})
	if err != nil {
		t.Fatal(err)
	}
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "fixture-report.json"), js)
	golden.Assert(t, filepath.Join("testdata", "fixture-report.md"), rep.Markdown())
}

func TestGitHubSlugs(t *testing.T) {
	tests := []struct {
		name     string
		headings []string
		want     []string
	}{
		{"punctuation dropped, spaces to dashes", []string{"Hello, World!"}, []string{"hello-world"}},
		{"dashes and underscores kept", []string{"snake_case and kebab-case"}, []string{"snake_case-and-kebab-case"}},
		{"code and ampersand", []string{"helios run — options & flags!"}, []string{"helios-run--options--flags"}},
		{"unicode letters kept", []string{"Über Größe 2.0"}, []string{"über-größe-20"}},
		{"emoji dropped", []string{"Ship it 🚀"}, []string{"ship-it-"}},
		{"duplicates numbered", []string{"Setup", "Setup", "Setup"}, []string{"setup", "setup-1", "setup-2"}},
		{"suffixed slug taken by a heading", []string{"a", "a-1", "a"}, []string{"a", "a-1", "a-2"}},
		{"suffix of a suffix", []string{"a", "a", "a-1"}, []string{"a", "a-1", "a-1-1"}},
		{"empty heading", []string{"", ""}, []string{"", "-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlugger()
			for i, h := range tt.headings {
				if got := s.slug(h); got != tt.want[i] {
					t.Errorf("slug(%q) #%d = %q, want %q", h, i, got, tt.want[i])
				}
			}
		})
	}
}

func TestCheckCases(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		want  []string // "file:line kind"
	}{
		{
			name:  "percent-encoded folder resolves",
			files: map[string]string{"a.md": "[x](My%20Dir/b.md#b)\n", "My Dir/b.md": "# B\n"},
		},
		{
			name:  "encoded file name with an encoded anchor",
			files: map[string]string{"a.md": "[x](%C3%BC.md#%C3%BCber)\n", "ü.md": "# Über\n"},
		},
		{
			name:  "anchor in a non-Markdown file is not checked",
			files: map[string]string{"a.md": "[x](main.go#L10)\n", "main.go": "package main\n"},
		},
		{
			name:  "anchor into an excluded Markdown file is still checked",
			files: map[string]string{"a.md": "[x](skip/b.md#nope)\n", "skip/b.md": "# B\n"},
			opts:  Options{Exclude: []string{"skip/**"}},
			want:  []string{"a.md:1 broken-anchor"},
		},
		{
			name:  "only included files are read",
			files: map[string]string{"docs/a.md": "[x](nope.md)\n", "b.md": "[x](nope.md)\n"},
			opts:  Options{Include: []string{"docs/**"}},
			want:  []string{"docs/a.md:1 broken-link"},
		},
		{
			name:  "line numbers count from the top of the file",
			files: map[string]string{"a.md": "# A\n\ntext\n\nmore [x](nope.md) text\n"},
			want:  []string{"a.md:5 broken-link"},
		},
		{
			name:  "html id is an anchor",
			files: map[string]string{"a.md": "<div id=\"here\"></div>\n\n[x](#here)\n"},
		},
		{
			name:  "reference inside code is not checked",
			files: map[string]string{"a.md": "`[a][b]`\n\n    [c][d]\n"},
		},
		{
			name:  "escaped brackets are not a reference",
			files: map[string]string{"a.md": "\\[a\\]\\[b\\] and [a]\\[b]\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, body := range tt.files {
				p := filepath.Join(root, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			opts := tt.opts
			opts.Root = root
			rep, err := Check(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, fmt.Sprintf("%s:%d %s", p.File, p.Line, p.Kind))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s\n(%+v)", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), rep.Problems)
			}
		})
	}
}

func TestAnnotations(t *testing.T) {
	rep := &Report{Problems: []Problem{{File: "a.md", Line: 3, Kind: KindAnchor, Message: "no heading for anchor #x"}}}
	got := Annotations(rep)
	want := []engine.Annotation{{File: "a.md", Line: 3, Title: "docs: broken-anchor", Message: "no heading for anchor #x"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Annotations = %+v, want %+v", got, want)
	}
}
