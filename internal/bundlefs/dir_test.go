//go:build unix

package bundlefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

const oldManifest = `{"tool":{"name":"helios","version":"1"}}`

// TestOpenRefuses: each case sets up a workspace (and a folder outside it)
// and names a report root helios must refuse, leaving the outside alone.
func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name  string
		rel   string
		setup func(t *testing.T, ws, out string)
		want  string
	}{
		{"link as first component", "link/sub", func(t *testing.T, ws, out string) { symlink(t, out, filepath.Join(ws, "link")) }, "link is a symbolic link"},
		{"link as last component", "reports", func(t *testing.T, ws, out string) { symlink(t, out, filepath.Join(ws, "reports")) }, "reports is a symbolic link"},
		{"link in the middle", "a/b/c", func(t *testing.T, ws, out string) {
			os.MkdirAll(filepath.Join(ws, "a"), 0o755)
			symlink(t, out, filepath.Join(ws, "a", "b"))
		}, "a/b is a symbolic link"},
		{"relative link inside the workspace", "r", func(t *testing.T, ws, out string) {
			os.MkdirAll(filepath.Join(ws, "real"), 0o755)
			symlink(t, "real", filepath.Join(ws, "r"))
		}, "r is a symbolic link"},
		{"file where a folder goes", "f/x", func(t *testing.T, ws, out string) { write(t, filepath.Join(ws, "f"), "x") }, "f is a symbolic link or not a folder"},
		{".git", ".git", nil, "git folder"},
		{"inside .git", ".git/x", nil, "git folder"},
		{".git deeper", "a/.git/hooks", nil, "a/.git is the repository's git folder"},
		{".GIT", ".GIT", nil, "git folder"},
		{"workspace itself", ".", nil, "the workspace itself"},
		{"empty", "", nil, "the workspace itself"},
		{"parent", "../x", nil, "must be a clean path"},
		{"absolute", "/tmp/x", nil, "must be a clean path"},
		{"unclean", "a//b", nil, "must be a clean path"},
		{"folder holding .git", "sub", func(t *testing.T, ws, out string) { os.MkdirAll(filepath.Join(ws, "sub", ".git"), 0o755) }, "holds a .git entry"},
		{"folder holding a .git file", "sub", func(t *testing.T, ws, out string) { write(t, filepath.Join(ws, "sub", ".git"), "gitdir: ../x") }, "holds a .git entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, out := t.TempDir(), t.TempDir()
			write(t, filepath.Join(out, "sub", "canary"), "keep")
			if tt.setup != nil {
				tt.setup(t, ws, out)
			}
			d, err := Open(ws, tt.rel)
			if err == nil {
				d.Close()
				t.Fatalf("Open(%q) succeeded", tt.rel)
			}
			var re *RefusedError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open(%q) = %v, want a RefusedError with %q", tt.rel, err, tt.want)
			}
			ents, _ := os.ReadDir(out)
			if len(ents) != 1 || ents[0].Name() != "sub" {
				t.Errorf("outside folder changed: %v", ents)
			}
			if b, err := os.ReadFile(filepath.Join(out, "sub", "canary")); err != nil || string(b) != "keep" {
				t.Errorf("canary: %q, %v", b, err)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, root, out string)
		wantErr string
	}{
		{"missing folder is created", nil, ""},
		{"empty folder", func(t *testing.T, root, out string) { os.MkdirAll(root, 0o755) }, ""},
		{"previous bundle", func(t *testing.T, root, out string) {
			write(t, filepath.Join(root, "manifest.json"), oldManifest)
			write(t, filepath.Join(root, "logs", "a", "b.log"), "x")
			os.Chmod(filepath.Join(root, "logs", "a"), 0o500)
		}, ""},
		{"link inside the old bundle is removed, not followed", func(t *testing.T, root, out string) {
			write(t, filepath.Join(root, "manifest.json"), oldManifest)
			symlink(t, out, filepath.Join(root, "assets"))
			symlink(t, filepath.Join(out, "sub", "canary"), filepath.Join(root, "logs", "canary"))
		}, ""},
		{"files that are not a bundle", func(t *testing.T, root, out string) { write(t, filepath.Join(root, "notes.txt"), "mine") }, "not a helios bundle"},
		{"manifest of another tool", func(t *testing.T, root, out string) {
			write(t, filepath.Join(root, "manifest.json"), `{"tool":{"name":"other"}}`)
		}, "name another report-root, or remove the folder"},
		{"manifest that is a link to a bundle", func(t *testing.T, root, out string) {
			write(t, filepath.Join(out, "manifest.json"), oldManifest)
			symlink(t, filepath.Join(out, "manifest.json"), filepath.Join(root, "manifest.json"))
		}, "not a helios bundle"},
		{"manifest that is not JSON", func(t *testing.T, root, out string) { write(t, filepath.Join(root, "manifest.json"), "helios") }, "not a helios bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, out := t.TempDir(), t.TempDir()
			write(t, filepath.Join(out, "sub", "canary"), "keep")
			root := filepath.Join(ws, "reports", "x")
			if tt.setup != nil {
				tt.setup(t, root, out)
			}
			before, _ := os.ReadDir(root)
			d, err := Open(ws, "reports/x")
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			err = d.Empty()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Empty() = %v, want %q", err, tt.wantErr)
				}
				after, _ := os.ReadDir(root)
				if len(after) != len(before) {
					t.Errorf("refused folder changed: %d entries, was %d", len(after), len(before))
				}
			} else {
				if err != nil {
					t.Fatalf("Empty() = %v", err)
				}
				if after, _ := os.ReadDir(root); len(after) != 0 {
					t.Errorf("root not emptied: %v", after)
				}
			}
			if b, err := os.ReadFile(filepath.Join(out, "sub", "canary")); err != nil || string(b) != "keep" {
				t.Errorf("canary: %q, %v", b, err)
			}
			if _, err := os.Stat(filepath.Join(out, "manifest.json")); tt.name == "manifest that is a link to a bundle" && err != nil {
				t.Errorf("outside manifest gone: %v", err)
			}
		})
	}
}

// TestWritesRefuseLinks: a link a step planted at any component of a write
// makes the write fail and leaves the link's target untouched.
func TestWritesRefuseLinks(t *testing.T) {
	ws, out := t.TempDir(), t.TempDir()
	write(t, filepath.Join(out, "mermaid.min.js"), "keep")
	d, err := Open(ws, "reports")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	root := filepath.Join(ws, "reports")
	symlink(t, out, filepath.Join(root, "assets"))
	os.MkdirAll(filepath.Join(root, "logs"), 0o755)
	symlink(t, out, filepath.Join(root, "logs", "build"))

	ops := []struct {
		name string
		do   func() error
	}{
		{"WriteFile through a linked folder", func() error { return d.WriteFile("assets/mermaid.min.js", []byte("x"), 0o644) }},
		{"Create through a linked folder", func() error {
			f, err := d.Create("logs/build/step.log", 0o644)
			if err == nil {
				f.Close()
			}
			return err
		}},
		{"MkdirAll through a linked folder", func() error { return d.MkdirAll("assets/x") }},
		{"RemoveAll through a linked folder", func() error { return d.RemoveAll("assets/mermaid.min.js") }},
		{"Lstat through a linked folder", func() error { _, err := d.Lstat("assets/mermaid.min.js"); return err }},
		{"Creator through a linked folder", func() error {
			c := d.Creator()
			defer c.Close()
			f, err := c.Create("logs/build/step.log", 0o644)
			if err == nil {
				f.Close()
			}
			return err
		}},
		{"Sub of a linked folder", func() error {
			sub, err := d.Sub("assets")
			if err == nil {
				sub.Close()
			}
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			err := op.do()
			var le *LinkError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a LinkError", err)
			}
			if !strings.Contains(err.Error(), "reports/") {
				t.Errorf("error does not name the component: %v", err)
			}
			ents, _ := os.ReadDir(out)
			if b, _ := os.ReadFile(filepath.Join(out, "mermaid.min.js")); len(ents) != 1 || string(b) != "keep" {
				t.Errorf("outside folder changed: %v %q", ents, b)
			}
		})
	}
}

// TestWritesReplaceLinks: a link at the file's own name is replaced.
func TestWritesReplaceLinks(t *testing.T) {
	ws, out := t.TempDir(), t.TempDir()
	target := filepath.Join(out, "target")
	write(t, target, "keep")
	d, err := Open(ws, "r")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	root := filepath.Join(ws, "r")
	for _, name := range []string{"a.txt", "b.txt", "c"} {
		symlink(t, target, filepath.Join(root, name))
	}
	if err := d.WriteFile("a.txt", []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := d.Create("b.txt", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "new")
	f.Close()
	if err := d.RemoveAll("c"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.txt", "b.txt"} {
		fi, err := os.Lstat(filepath.Join(root, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v %v", name, fi, err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("written through the link: %q", b)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 2 {
		t.Errorf("root holds %v (temporary files left?)", ents)
	}
	for _, bad := range []string{"../x", "/x", ".git/config", "a/.git", "", "a/../b"} {
		if err := d.WriteFile(bad, nil, 0o644); err == nil {
			t.Errorf("WriteFile(%q) succeeded", bad)
		}
	}
}

// TestReplacedRoot: the Dir keeps naming the folder it opened when the path
// is swapped for a link, and says so.
func TestReplacedRoot(t *testing.T) {
	ws, out := t.TempDir(), t.TempDir()
	d, err := Open(ws, "reports")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Replaced() {
		t.Fatal("fresh root reported replaced")
	}
	root := filepath.Join(ws, "reports")
	if err := os.Rename(root, filepath.Join(ws, "moved")); err != nil {
		t.Fatal(err)
	}
	symlink(t, out, root)
	if !d.Replaced() {
		t.Fatal("swapped root not reported")
	}
	if err := d.WriteFile("x", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ws, "moved", "x")); err != nil {
		t.Errorf("write did not land in the opened folder: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("written outside: %v", ents)
	}
	if _, err := os.Stat(filepath.Join(d.ReadPath(), "x")); err != nil {
		t.Errorf("ReadPath does not lead to the opened folder: %v", err)
	}
}

// TestLstatEach: the batched Lstat answers as Lstat does, a link on the
// way included, whatever order the folders come in.
func TestLstatEach(t *testing.T) {
	ws, out := t.TempDir(), t.TempDir()
	write(t, filepath.Join(out, "f"), "outside")
	d, err := Open(ws, "r")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	root := filepath.Join(ws, "r")
	write(t, filepath.Join(root, "a", "x"), "1")
	write(t, filepath.Join(root, "a", "y"), "22")
	write(t, filepath.Join(root, "b", "z"), "333")
	write(t, filepath.Join(root, "top"), "4444")
	symlink(t, out, filepath.Join(root, "l"))
	names := []string{"a/x", "a/y", "b/z", "l/f", "a/missing", "top", "a/x"}
	var got []string
	d.LstatEach(names, func(i int, fi fs.FileInfo, err error) {
		one, oneErr := d.Lstat(names[i])
		switch {
		case err != nil:
			got = append(got, names[i]+":err")
			if oneErr == nil {
				t.Errorf("%s: LstatEach says %v, Lstat succeeds", names[i], err)
			}
		default:
			got = append(got, fmt.Sprintf("%s:%d", names[i], fi.Size()))
			if oneErr != nil || one.Size() != fi.Size() || !one.ModTime().Equal(fi.ModTime()) {
				t.Errorf("%s: LstatEach %v, Lstat %v %v", names[i], fi, one, oneErr)
			}
		}
	})
	want := "a/x:1 a/y:2 b/z:3 l/f:err a/missing:err top:4 a/x:1"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("got %s, want %s", s, want)
	}
}

func TestChown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root")
	}
	ws := t.TempDir()
	d, err := Open(ws, "out")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.MkdirAll("logs"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "out", "link")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".", "logs", "link"} {
		if err := d.Chown(name, 1001, 1002); err != nil {
			t.Fatalf("Chown(%q): %v", name, err)
		}
	}
	owner := func(p string) string {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
	}
	for p, want := range map[string]string{"out": "1001:1002", "out/logs": "1001:1002", "out/link": "1001:1002"} {
		if got := owner(filepath.Join(ws, p)); got != want {
			t.Errorf("%s owned by %s, want %s", p, got, want)
		}
	}
	if got := owner(outside); got != "0:0" {
		t.Errorf("Chown followed the link: the file it points at is %s", got)
	}
}

// TestOpenGivesMadeFoldersToTheWorkspaceOwner: in the action's container
// helios is root and the workspace is the runner's user's, who also runs
// the steps. The folders Open makes on the way to the report root belong to
// the owner of the folder each is made in, so steps can write beside the
// bundle (reports/<their own>); a folder that already existed keeps its
// owner.
func TestOpenGivesMadeFoldersToTheWorkspaceOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create folders for another user")
	}
	const uid, gid = 61001, 61002
	ws := t.TempDir()
	if err := os.Chown(ws, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(ws, "kept"), 0o755); err != nil { // root's, before helios
		t.Fatal(err)
	}
	d, err := Open(ws, "reports/sub/root")
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	for _, p := range []string{"reports", "reports/sub", "reports/sub/root"} {
		fi, err := os.Lstat(filepath.Join(ws, p))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid {
			t.Errorf("%s: owned by %d:%d, want the workspace owner %d:%d", p, st.Uid, st.Gid, uid, gid)
		}
	}
	d, err = Open(ws, "kept/root")
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	fi, _ := os.Lstat(filepath.Join(ws, "kept"))
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Errorf("kept: owner changed to %d; helios gives away only what it made", st.Uid)
	}
	fi, _ = os.Lstat(filepath.Join(ws, "kept/root"))
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Errorf("kept/root: owned by %d, want root's (the owner of kept/)", st.Uid)
	}
}

// TestSub: a sharded phase's instance writes into shards/<id>/ through a
// Dir of its own, which lands below the root and names itself from there.
func TestSub(t *testing.T) {
	ws := t.TempDir()
	d, err := Open(ws, "reports")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sub, err := d.Sub("shards/eu-energy")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := sub.WriteFile("logs/plan/a.log", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(ws, "reports", "shards", "eu-energy", "logs", "plan", "a.log")); err != nil || string(b) != "x" {
		t.Fatalf("file below the root: %q, %v", b, err)
	}
	if sub.Rel() != "reports/shards/eu-energy" || sub.Path() != filepath.Join(ws, "reports/shards/eu-energy") {
		t.Errorf("Rel %q, Path %q", sub.Rel(), sub.Path())
	}
	if sub.Replaced() {
		t.Error("a fresh Sub reads as replaced")
	}
	if _, err := d.Sub("../out"); err == nil {
		t.Error("Sub(../out) did not fail")
	}
}

// TestCreator: files in several folders, in any order, land where their
// names say, and a link at a name is replaced, not written through.
func TestCreator(t *testing.T) {
	ws, out := t.TempDir(), t.TempDir()
	d, err := Open(ws, "reports")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	symlink(t, filepath.Join(out, "victim"), filepath.Join(ws, "reports", "a", "link"))
	c := d.Creator()
	defer c.Close()
	for _, name := range []string{"a/1", "a/2", "b/c/3", "a/link", "top", "b/c/4"} {
		f, err := c.Create(name, 0o644)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f.WriteString(name)
		f.Close()
	}
	for _, name := range []string{"a/1", "a/2", "b/c/3", "a/link", "top", "b/c/4"} {
		b, err := os.ReadFile(filepath.Join(ws, "reports", filepath.FromSlash(name)))
		if err != nil || string(b) != name {
			t.Errorf("%s: %q, %v", name, b, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(out, "victim")); !os.IsNotExist(err) {
		t.Errorf("written through the link: %v", err)
	}
}
