package engine

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestObserverMatchesWalk: after each change a step can make, the
// observer's snapshot, kept up to date from inotify events, is what a walk
// of the whole root finds, and the changes it logs say what moved. The
// same without a watcher (other systems, watches used up) checks the walk.
func TestObserverMatchesWalk(t *testing.T) {
	write := func(t *testing.T, root, rel, body string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type op struct {
		name string
		do   func(t *testing.T, root string)
		want []string // paths logged as moved
	}
	ops := []op{
		{"create", func(t *testing.T, root string) { write(t, root, "a.txt", "a") }, []string{"a.txt"}},
		{"a new folder with files", func(t *testing.T, root string) {
			write(t, root, "d/e/f.txt", "f")
			write(t, root, "d/g.txt", "g")
		}, []string{"d/e/f.txt", "d/g.txt"}},
		{"rewrite in place", func(t *testing.T, root string) { write(t, root, "d/g.txt", "G") }, []string{"d/g.txt"}},
		{"truncate", func(t *testing.T, root string) {
			if err := os.Truncate(filepath.Join(root, "a.txt"), 0); err != nil {
				t.Fatal(err)
			}
		}, []string{"a.txt"}},
		{"chmod", func(t *testing.T, root string) {
			if err := os.Chmod(filepath.Join(root, "a.txt"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"a.txt"}},
		{"rename a file", func(t *testing.T, root string) {
			if err := os.Rename(filepath.Join(root, "a.txt"), filepath.Join(root, "d/e/a.txt")); err != nil {
				t.Fatal(err)
			}
		}, []string{"a.txt", "d/e/a.txt"}},
		{"rename a folder", func(t *testing.T, root string) {
			if err := os.Rename(filepath.Join(root, "d/e"), filepath.Join(root, "x")); err != nil {
				t.Fatal(err)
			}
		}, []string{"d/e/a.txt", "d/e/f.txt", "x/a.txt", "x/f.txt"}},
		{"write in the renamed folder", func(t *testing.T, root string) { write(t, root, "x/new.txt", "n") }, []string{"x/new.txt"}},
		{"remove a tree", func(t *testing.T, root string) {
			if err := os.RemoveAll(filepath.Join(root, "x")); err != nil {
				t.Fatal(err)
			}
		}, []string{"x/a.txt", "x/f.txt", "x/new.txt"}},
		{"helios's own files", func(t *testing.T, root string) {
			write(t, root, "logs/p/s.log", "l")
			write(t, root, "manifest.json", "{}")
			write(t, root, "shards/eu/logs/p/s.log", "l")
			write(t, root, "shards/eu/plan.txt", "p")
		}, []string{"shards/eu/plan.txt"}},
		{"a link is not a file", func(t *testing.T, root string) {
			if err := os.Symlink("/etc/passwd", filepath.Join(root, "link")); err != nil {
				t.Fatal(err)
			}
		}, nil},
	}
	for _, watch := range []bool{true, false} {
		t.Run(map[bool]string{true: "inotify", false: "walk"}[watch], func(t *testing.T) {
			root := t.TempDir()
			o := newObserver(root, func(msg string) { t.Log(msg) })
			defer o.close()
			if !watch && o.w != nil {
				o.w.close()
				o.w = nil
			}
			if _, err := o.sync(); err != nil {
				t.Fatal(err)
			}
			for _, tc := range ops {
				tc.do(t, root)
				mark, err := o.sync()
				if err != nil {
					t.Fatal(err)
				}
				fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
				if err != nil {
					t.Fatal(err)
				}
				walked := snapshot{}
				if err := walkSnap(fd, "", walked, nil); err != nil {
					t.Fatal(err)
				}
				if !maps.Equal(o.files, walked) {
					t.Errorf("%s: observer has %v, a walk finds %v", tc.name, slices.Sorted(maps.Keys(o.files)), slices.Sorted(maps.Keys(walked)))
				}
				var got []string
				for _, c := range o.changes {
					if c.mark == mark {
						got = append(got, c.path)
					}
				}
				slices.Sort(got)
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s: moved %v, want %v", tc.name, got, tc.want)
				}
			}
		})
	}
}
