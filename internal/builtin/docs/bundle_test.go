package docs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const heliosManifest = `{
  "$schema": "https://github.com/helios-action/helios-action/schema/manifest.schema.json",
  "tool": {
    "name": "helios",
    "version": "1.2.3"
  },
  "mission": {"name": "old run"}
}
`

// TestBundlesSkipped: folders holding a helios bundle (manifest.json by
// helios next to SHA256SUMS) are left out wherever they are; anything
// short of that is documentation like the rest and is checked. Every folder
// holds a Markdown file with a broken link, so a checked folder shows up
// as a problem.
func TestBundlesSkipped(t *testing.T) {
	ws := t.TempDir()
	write := func(rel, body string) string {
		p := filepath.Join(ws, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	symlink := func(target, rel string) {
		if err := os.Symlink(target, filepath.Join(ws, filepath.FromSlash(rel))); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# Docs\n\n[old report](reports/old/chain/token.md)\n")
	oldManifest := write("reports/old/manifest.json", heliosManifest)

	tests := []struct {
		dir     string
		setup   func(dir string)
		checked bool
	}{
		{"reports/old", nil, false},
		{"deep/in/the/tree/bundle", func(d string) { write(d+"/manifest.json", heliosManifest) }, false},
		{"minified", func(d string) { write(d+"/manifest.json", `{"$schema":"x","tool":{"name":"helios","version":""}}`) }, false},
		{"another-tool", func(d string) {
			write(d+"/manifest.json", strings.Replace(heliosManifest, `"helios"`, `"not-helios"`, 1))
		}, true},
		{"no-ledger", func(d string) {
			write(d+"/manifest.json", heliosManifest)
			os.Remove(filepath.Join(ws, d, "SHA256SUMS"))
		}, true},
		{"ledger-is-a-folder", func(d string) {
			write(d+"/manifest.json", heliosManifest)
			os.Remove(filepath.Join(ws, d, "SHA256SUMS"))
			write(d+"/SHA256SUMS/x", "")
		}, true},
		{"ledger-is-a-link", func(d string) {
			write(d+"/manifest.json", heliosManifest)
			os.Remove(filepath.Join(ws, d, "SHA256SUMS"))
			symlink(filepath.Join(ws, "reports/old/SHA256SUMS"), d+"/SHA256SUMS")
		}, true},
		{"manifest-is-a-link", func(d string) { symlink(oldManifest, d+"/manifest.json") }, true},
		{"manifest-is-a-fifo", func(d string) {
			if err := syscall.Mkfifo(filepath.Join(ws, d, "manifest.json"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"manifest-is-not-json", func(d string) { write(d+"/manifest.json", "tool: helios\n") }, true},
		{"tool-past-the-read-bound", func(d string) {
			write(d+"/manifest.json", `{"$schema":"`+strings.Repeat("x", 2*maxManifestHead)+`","tool":{"name":"helios"}}`)
		}, true},
	}
	for _, tt := range tests {
		write(tt.dir+"/chain/token.md", "[gone](nowhere.md)\n")
		write(tt.dir+"/SHA256SUMS", "")
		if tt.setup != nil {
			tt.setup(tt.dir)
		}
	}

	type out struct {
		rep *Report
		err error
	}
	done := make(chan out, 1)
	go func() {
		rep, err := Check(context.Background(), Options{Root: ws})
		done <- out{rep, err}
	}()
	var o out
	select {
	case o = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Check hung on a manifest.json")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	var wantBundles []string
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			file := tt.dir + "/chain/token.md"
			reported := slices.ContainsFunc(o.rep.Problems, func(p Problem) bool { return p.File == file })
			if reported != tt.checked {
				t.Errorf("%s reported: %v, want %v (problems %+v)", file, reported, tt.checked, o.rep.Problems)
			}
		})
		if !tt.checked {
			wantBundles = append(wantBundles, tt.dir)
		}
	}
	slices.Sort(wantBundles)
	if !slices.Equal(o.rep.Bundles, wantBundles) {
		t.Errorf("bundles %q, want %q", o.rep.Bundles, wantBundles)
	}
	// A link into a skipped bundle still resolves: the files are there.
	if slices.ContainsFunc(o.rep.Problems, func(p Problem) bool { return p.File == "README.md" }) {
		t.Errorf("README.md's link into the old bundle reported: %+v", o.rep.Problems)
	}
	if md := string(o.rep.Markdown()); !strings.Contains(md, "Not checked: 3 folders holding a helios report bundle (deep/in/the/tree/bundle, minified, reports/old).") {
		t.Errorf("Markdown does not say what it left out:\n%s", md)
	}
}

func TestToolName(t *testing.T) {
	for _, tc := range []struct{ name, head, want string }{
		{"helios", heliosManifest, "helios"},
		{"tool first", `{"tool":{"name":"helios"}}`, "helios"},
		{"another tool", `{"tool":{"name":"other"}}`, "other"},
		{"no tool", `{"$schema":"x","mission":{}}`, ""},
		{"cut inside tool", `{"$schema":"x","tool":{"name":"hel`, ""},
		{"cut before tool", `{"$schema":"x","to`, ""},
		{"not an object", `["tool",{"name":"helios"}]`, ""},
		{"tool not an object", `{"tool":"helios"}`, ""},
		{"empty", ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := toolName([]byte(tc.head)); got != tc.want {
				t.Errorf("toolName = %q, want %q", got, tc.want)
			}
		})
	}
}
