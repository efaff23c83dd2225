package glob

import (
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		ok      bool
	}{
		{"literal", "manifest.json", true},
		{"star", "*.log", true},
		{"double star", "**/*.log", true},
		{"double star only", "**", true},
		{"trailing slash", "logs/", true},
		{"class", "a/[a-c]?/x", true},
		{"escaped star", `a/\*`, true},
		{"star run inside segment", "a**b", true},
		{"empty", "", false},
		{"absolute", "/etc/passwd", false},
		{"empty segment", "a//b", false},
		{"dot segment", "./a", false},
		{"dot dot segment", "a/../b", false},
		{"unclosed class", "a/[b", false},
		{"trailing backslash", `a\`, false},
		{"bad class after mismatch", "x[", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Valid(tt.pattern)
			if (err == nil) != tt.ok {
				t.Errorf("Valid(%q) = %v, want ok=%v", tt.pattern, err, tt.ok)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		path    string
		want    bool
	}{
		{"literal", "manifest.json", "manifest.json", true},
		{"literal other", "manifest.json", "a/manifest.json", false},
		{"star in segment", "*.log", "a.log", true},
		{"star does not cross slash", "*.log", "x/a.log", false},
		{"star matches dot files", "*", ".hidden", true},
		{"leading double star zero segments", "**/*.log", "a.log", true},
		{"leading double star two segments", "**/*.log", "x/y/a.log", true},
		{"leading double star wrong ext", "**/*.log", "x/y/a.txt", false},
		{"trailing double star child", "logs/**", "logs/plan/x.log", true},
		{"trailing double star self", "logs/**", "logs", true},
		{"trailing double star sibling", "logs/**", "logsx/a", false},
		{"trailing double star prefix only", "logs/**", "other/logs/a", false},
		{"trailing slash", "logs/", "logs/a/b", true},
		{"trailing slash other", "logs/", "log/a", false},
		{"middle double star zero", "a/**/b", "a/b", true},
		{"middle double star many", "a/**/b", "a/x/y/z/b", true},
		{"middle double star needs end", "a/**/b", "a/x/b/c", false},
		{"two double stars", "**/x/**/*.json", "p/q/x/r/s.json", true},
		{"two double stars miss", "**/x/**/*.json", "p/q/y/r/s.json", false},
		{"backtracking", "**/a/b", "a/a/a/b", true},
		{"double star alone", "**", "any/thing/at/all", true},
		{"question", "a?c", "abc", true},
		{"question not slash", "a?c", "a/c", false},
		{"class", "[a-c].txt", "b.txt", true},
		{"negated class", "[^a-c].txt", "b.txt", false},
		{"escaped star", `\*`, "*", true},
		{"escaped star literal only", `\*`, "x", false},
		{"trailing slash on name", "logs", "logs/", true},
		{"star run inside segment", "a**b", "axyzb", true},
		{"star run inside segment no slash", "a**b", "ax/yb", false},
		{"invalid pattern matches nothing", "[", "[", false},
		{"dotdot pattern matches nothing", "../a", "../a", false},
		{"pattern longer than name", "a/b/c", "a/b", false},
		{"name longer than pattern", "a/b", "a/b/c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.pattern, tt.path); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
			}
		})
	}
}

func TestMatchAny(t *testing.T) {
	patterns := []string{"manifest.json", "logs/**", "**/*.log"}
	tests := []struct {
		name string
		path string
		want bool
	}{
		{"first", "manifest.json", true},
		{"second", "logs/a/b.txt", true},
		{"third", "x/y.log", true},
		{"none", "owner/thermodynamics.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchAny(patterns, tt.path); got != tt.want {
				t.Errorf("MatchAny(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
	t.Run("no patterns", func(t *testing.T) {
		if MatchAny(nil, "a") {
			t.Error("MatchAny(nil) matched")
		}
	})
}

// tree creates files (and their parent directories) under a new temporary
// directory. Names ending in "/" are created as empty directories.
func tree(t *testing.T, names ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if n[len(n)-1] == '/' {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestExpand(t *testing.T) {
	root := tree(t,
		"manifest.json",
		"index.html",
		"logs/plan/x.log",
		"logs/plan/y.txt",
		"logs/run.log",
		"owner/thermodynamics.json",
		"owner/deep/a.json",
		"empty/",
		"a.log",
	)
	tests := []struct {
		name    string
		pattern string
		want    []string
	}{
		{"literal file", "manifest.json", []string{"manifest.json"}},
		{"literal directory", "owner", []string{"owner"}},
		{"literal nested", "logs/plan/x.log", []string{"logs/plan/x.log"}},
		{"literal missing", "nope.json", nil},
		{"literal below a file", "manifest.json/x", nil},
		{"star at root", "*.json", []string{"manifest.json"}},
		{"star matches directories", "*", []string{"a.log", "empty", "index.html", "logs", "manifest.json", "owner"}},
		{"double star ext", "**/*.log", []string{"a.log", "logs/plan/x.log", "logs/run.log"}},
		{"prefix double star", "logs/**", []string{"logs", "logs/plan", "logs/plan/x.log", "logs/plan/y.txt", "logs/run.log"}},
		{"trailing slash", "logs/plan/", []string{"logs/plan", "logs/plan/x.log", "logs/plan/y.txt"}},
		{"prefix missing", "missing/**", nil},
		{"one level", "*/*.json", []string{"owner/thermodynamics.json"}},
		{"middle double star", "owner/**/*.json", []string{"owner/deep/a.json", "owner/thermodynamics.json"}},
		{"double star", "**", []string{
			"a.log", "empty", "index.html", "logs", "logs/plan", "logs/plan/x.log", "logs/plan/y.txt",
			"logs/run.log", "manifest.json", "owner", "owner/deep", "owner/deep/a.json", "owner/thermodynamics.json",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(root, tt.pattern)
			if err != nil {
				t.Fatalf("Expand(%q): %v", tt.pattern, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Expand(%q) = %q, want %q", tt.pattern, got, tt.want)
			}
		})
	}
}

// TestExpandSkipsGit: wildcards never reach a .git folder (it holds the
// token actions/checkout writes); a pattern naming it literally does.
func TestExpandSkipsGit(t *testing.T) {
	root := tree(t, ".git/config", ".git/HEAD", "sub/.git/config", "sub/a.txt", "b.txt")
	tests := []struct {
		pattern string
		want    []string
	}{
		{"**", []string{"b.txt", "sub", "sub/a.txt"}},
		{"*", []string{"b.txt", "sub"}},
		{".*", nil},
		{"**/config", nil},
		{"*/.git/*", nil},
		{"sub/", []string{"sub", "sub/a.txt"}},
		{".git/*", []string{".git/HEAD", ".git/config"}},
		{".git/config", []string{".git/config"}},
		{"sub/.git/config", []string{"sub/.git/config"}},
	}
	for _, tt := range tests {
		got, err := Expand(root, tt.pattern)
		if err != nil {
			t.Fatalf("Expand(%q): %v", tt.pattern, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Expand(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestExpandErrors(t *testing.T) {
	root := tree(t, "a.txt")
	tests := []struct {
		name    string
		root    string
		pattern string
	}{
		{"invalid pattern", root, "a/["},
		{"escaping pattern", root, "../*"},
		{"missing root", filepath.Join(root, "missing"), "*"},
		{"root is a file", filepath.Join(root, "a.txt"), "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Expand(tt.root, tt.pattern); err == nil {
				t.Errorf("Expand(%q, %q) = %q, want an error", tt.root, tt.pattern, got)
			}
		})
	}
}

func TestExpandSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	outside := tree(t, "secret/key.txt")
	root := tree(t, "real/a.txt")
	for _, l := range []struct{ target, name string }{
		{filepath.Join(outside, "secret"), "link"},
		{filepath.Join(outside, "secret"), "real/inner"},
		{"a.txt", "real/alias.txt"},
	} {
		if err := os.Symlink(l.target, filepath.Join(root, filepath.FromSlash(l.name))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		pattern string
		want    []string
	}{
		{"links are entries but not entered", "**", []string{"link", "real", "real/a.txt", "real/alias.txt", "real/inner"}},
		{"no match through a link", "**/key.txt", nil},
		{"literal link itself", "link", []string{"link"}},
		{"literal through a link", "link/key.txt", nil},
		{"prefix through a link", "link/**", nil},
		{"nested prefix through a link", "real/inner/*", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(root, tt.pattern)
			if err != nil {
				t.Fatalf("Expand(%q): %v", tt.pattern, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Expand(%q) = %q, want %q", tt.pattern, got, tt.want)
			}
		})
	}
}

// TestExpandPrunes shows that the walk never enters a directory the pattern
// cannot reach: an unreadable one would otherwise make the walk fail.
func TestExpandPrunes(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs POSIX permissions that apply to the current user")
	}
	root := tree(t, "want/a.txt", "want/sub/b.txt", "locked/c.txt")
	locked := filepath.Join(root, "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })

	tests := []struct {
		name    string
		pattern string
		want    []string
	}{
		{"prefix", "want/**", []string{"want", "want/a.txt", "want/sub", "want/sub/b.txt"}},
		{"depth bound", "*", []string{"locked", "want"}},
		{"segment filter", "w*/*.txt", []string{"want/a.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(root, tt.pattern)
			if err != nil {
				t.Fatalf("Expand(%q): %v", tt.pattern, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Expand(%q) = %q, want %q", tt.pattern, got, tt.want)
			}
		})
	}
	t.Run("unbounded walk reports the error", func(t *testing.T) {
		if _, err := Expand(root, "**"); err == nil {
			t.Error("Expand(**) over an unreadable directory: want an error")
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("**/*.log", "x/y/a.log")
	f.Add("logs/", "logs/a")
	f.Add("a/**/b/**", "a/b/c/b")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := Match(pattern, name)
		if Valid(pattern) != nil {
			if got {
				t.Fatalf("invalid pattern %q matched %q", pattern, name)
			}
			return
		}
		// Without a "**" segment every segment matches one for one, which is
		// what path.Match does with the whole string. The empty name is the one
		// exception: it has no segment for a "*" to match.
		if !slices.Contains(split(normalize(pattern)), doubleStar) && name != "" && !strings.HasSuffix(name, "/") {
			want, _ := path.Match(pattern, name)
			if got != want {
				t.Fatalf("Match(%q, %q) = %v, path.Match says %v", pattern, name, got, want)
			}
		}
		// Adding a "**/" prefix may only widen what matches.
		if got && !Match("**/"+pattern, name) {
			t.Fatalf("Match(%q, %q) but not with a **/ prefix", pattern, name)
		}
	})
}
