package engine

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
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
		// A folder made and swapped for something else between two
		// syncs: the sync sees a new folder that is not one.
		{"a new folder swapped for a file", func(t *testing.T, root string) {
			swapDir(t, root, "y", func(p string) error { return os.WriteFile(p, []byte("f"), 0o644) })
		}, []string{"y"}},
		{"a new folder swapped for a FIFO", func(t *testing.T, root string) {
			swapDir(t, root, "z", func(p string) error { return unix.Mkfifo(p, 0o644) })
		}, nil},
		{"a new folder swapped for a link", func(t *testing.T, root string) {
			swapDir(t, root, "l", func(p string) error { return os.Symlink(root, p) })
		}, nil},
		{"a folder with a file", func(t *testing.T, root string) { write(t, root, "w/in.txt", "i") }, []string{"w/in.txt"}},
		{"a watched folder swapped for a file", func(t *testing.T, root string) {
			if err := os.RemoveAll(filepath.Join(root, "w")); err != nil {
				t.Fatal(err)
			}
			write(t, root, "w", "now a file")
		}, []string{"w", "w/in.txt"}},
		{"writes after the swaps are seen", func(t *testing.T, root string) {
			write(t, root, "y", "again")
			write(t, root, "w", "again")
			write(t, root, "after.txt", "a")
		}, []string{"after.txt", "w", "y"}},
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
				if err := walkSnap(fd, "", walked, nil, nil); err != nil {
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

// swapDir makes the folder rel of root and replaces it with what mk makes.
func swapDir(t *testing.T, root, rel string, mk func(p string) error) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := mk(p); err != nil {
		t.Fatal(err)
	}
}

// failDir makes openDir fail with err for the folders named names, until
// restore or the end of the test.
func failDir(t *testing.T, err error, names ...string) (restore func()) {
	open := openDir
	openDir = func(root int, rel string, flags int) (int, error) {
		if slices.Contains(names, filepath.Base(rel)) {
			return -1, err
		}
		return open(root, rel, flags)
	}
	restore = func() { openDir = open }
	t.Cleanup(restore)
	return restore
}

// failStat makes fstatat fail with err for the entries named names, as in
// a folder that can be listed but not searched, until restore or the end
// of the test.
func failStat(t *testing.T, err error, names ...string) (restore func()) {
	stat := fstatat
	fstatat = func(dirfd int, name string, st *unix.Stat_t, flags int) error {
		if slices.Contains(names, name) {
			return err
		}
		return stat(dirfd, name, st, flags)
	}
	restore = func() { fstatat = stat }
	t.Cleanup(restore)
	return restore
}

// TestObserverAfterAFailedSync: a sync that fails (here: a folder cannot be
// opened, for want of file descriptors) has taken the watcher's events or
// reset its watches; the next sync must not trust them but walk the whole
// root, and so find what moved meanwhile, logged at its mark.
func TestObserverAfterAFailedSync(t *testing.T) {
	for _, tc := range []struct {
		name string
		// prepare makes root's state before the failing sync: new
		// folder events to follow, or a whole walk to do.
		prepare func(t *testing.T, o *observer, root string)
	}{
		{"the events of a new folder", func(t *testing.T, o *observer, root string) {
			if err := os.MkdirAll(filepath.Join(root, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"a whole walk", func(t *testing.T, o *observer, root string) {
			if err := os.MkdirAll(filepath.Join(root, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := o.sync(); err != nil {
				t.Fatal(err)
			}
			o.w.lost = true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			o := newObserver(root, func(msg string) { t.Log(msg) })
			defer o.close()
			if o.w == nil {
				t.Skip("no inotify here")
			}
			if _, err := o.sync(); err != nil {
				t.Fatal(err)
			}
			tc.prepare(t, o, root)
			if err := os.WriteFile(filepath.Join(root, "b.txt"), []byte("b"), 0o644); err != nil {
				t.Fatal(err)
			}
			restore := failDir(t, unix.EMFILE, "d")
			if _, err := o.sync(); !errors.Is(err, unix.EMFILE) {
				t.Fatalf("sync: %v, want EMFILE", err)
			}
			restore()
			if err := os.WriteFile(filepath.Join(root, "d", "a.txt"), []byte("a"), 0o644); err != nil {
				t.Fatal(err)
			}
			mark, err := o.sync()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range o.changes {
				if c.mark == mark {
					got = append(got, c.path)
				}
			}
			if want := []string{"b.txt", "d/a.txt"}; !reflect.DeepEqual(slices.Sorted(slices.Values(got)), want) {
				t.Errorf("moved %v, want %v", got, want)
			}
			// And the watches are whole again.
			if err := os.WriteFile(filepath.Join(root, "d", "c.txt"), []byte("c"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := o.sync(); err != nil {
				t.Fatal(err)
			}
			if _, ok := o.files["d/c.txt"]; !ok {
				t.Errorf("d/c.txt is not in the snapshot %v", slices.Sorted(maps.Keys(o.files)))
			}
		})
	}
}

// TestObserverUnreadableFolder: a folder helios may not read, or may list
// but not search (mode 0600: its entries cannot be stat'ed), is left out
// with one warning, not a failure of every sync; what the snapshot had
// below it stays (helios cannot tell that it moved), and the rest of the
// root is still seen. Once the folder's mode changes and it can be read
// again, the next sync finds what was written in it meanwhile. Root reads
// any folder, so the real modes are tried by other users only; the hooks
// stand in for them.
func TestObserverUnreadableFolder(t *testing.T) {
	chmod := func(mode os.FileMode) func(t *testing.T, root string) {
		return func(t *testing.T, root string) {
			for _, d := range []string{"old", "new"} {
				if err := os.Chmod(filepath.Join(root, d), mode); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	byMode := func(mode os.FileMode) func(t *testing.T, root string) func(t *testing.T, root string) {
		return func(t *testing.T, root string) func(t *testing.T, root string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads any folder")
			}
			chmod(mode)(t, root)
			t.Cleanup(func() { chmod(0o755)(t, root) })
			return chmod(0o755)
		}
	}
	byHook := func(fail func(t *testing.T) func()) func(t *testing.T, root string) func(t *testing.T, root string) {
		return func(t *testing.T, root string) func(t *testing.T, root string) {
			restore := fail(t)
			// The same mode again is a change of attributes all
			// the same.
			return func(t *testing.T, root string) { restore(); chmod(0o755)(t, root) }
		}
	}
	for _, tc := range []struct {
		name string
		// deny makes the folders old and new of root unreadable and
		// returns what makes them readable again.
		deny func(t *testing.T, root string) (allow func(t *testing.T, root string))
	}{
		{"cannot be opened", byHook(func(t *testing.T) func() { return failDir(t, unix.EACCES, "old", "new") })},
		{"can be listed, not searched", byHook(func(t *testing.T) func() {
			return failStat(t, unix.EACCES, "kept.txt", "more.txt", "hidden.txt")
		})},
		{"mode 0000", byMode(0)},
		{"mode 0600", byMode(0o600)},
	} {
		for _, watch := range []bool{true, false} {
			t.Run(tc.name+"/"+map[bool]string{true: "inotify", false: "walk"}[watch], func(t *testing.T) {
				root := t.TempDir()
				write := func(names ...string) {
					t.Helper()
					for _, name := range names {
						p := filepath.Join(root, filepath.FromSlash(name))
						if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
				var warnings []string
				o := newObserver(root, func(msg string) { warnings = append(warnings, msg) })
				defer o.close()
				if !watch && o.w != nil {
					o.w.close()
					o.w = nil
				}
				write("old/kept.txt", "a.txt")
				if _, err := o.sync(); err != nil {
					t.Fatal(err)
				}
				warnings = nil
				// A new folder, a file in a folder already seen, one
				// elsewhere; then a whole walk meets both folders.
				write("new/hidden.txt", "old/more.txt", "b.txt")
				allow := tc.deny(t, root)
				if _, err := o.sync(); err != nil {
					t.Fatalf("sync: %v", err)
				}
				write("c.txt")
				if watch {
					o.w.lost = true
				}
				if _, err := o.sync(); err != nil {
					t.Fatalf("sync with a whole walk: %v", err)
				}
				want := []string{"a.txt", "b.txt", "c.txt", "old/kept.txt"}
				if got := slices.Sorted(maps.Keys(o.files)); !reflect.DeepEqual(got, want) {
					t.Errorf("snapshot %v, want %v", got, want)
				}
				if len(warnings) != 1 || !strings.Contains(warnings[0], "cannot read") {
					t.Errorf("warnings %q, want one that says a folder cannot be read", warnings)
				}

				allow(t, root)
				mark, err := o.sync()
				if err != nil {
					t.Fatalf("sync once readable: %v", err)
				}
				var moved []string
				for _, c := range o.changes {
					if c.mark == mark {
						moved = append(moved, c.path)
					}
				}
				if want := []string{"new/hidden.txt", "old/more.txt"}; !reflect.DeepEqual(slices.Sorted(slices.Values(moved)), want) {
					t.Errorf("once readable, moved %v, want %v", moved, want)
				}
				want = append(want, "new/hidden.txt", "old/more.txt")
				slices.Sort(want)
				if got := slices.Sorted(maps.Keys(o.files)); !reflect.DeepEqual(got, want) {
					t.Errorf("once readable, snapshot %v, want %v", got, want)
				}
			})
		}
	}
}
