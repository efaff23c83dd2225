package ledger

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func entryNames(entries []Entry) []string {
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	return names
}

func TestScanExclude(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"manifest.json", "a.txt", "sub/manifest.json", "sub/SHA256SUMS", FileName} {
		writeFile(t, root, name, []byte(name))
	}
	if err := os.Symlink("a.txt", filepath.Join(root, "skip.link")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		exclude     func(string) bool
		want, wantS []string
	}{
		{"none", nil, []string{"a.txt", "manifest.json", "sub/SHA256SUMS", "sub/manifest.json"}, []string{"skip.link"}},
		{"root manifest", func(n string) bool { return n == "manifest.json" }, []string{"a.txt", "sub/SHA256SUMS", "sub/manifest.json"}, []string{"skip.link"}},
		{"by base name", func(n string) bool { return filepath.Base(n) == "manifest.json" }, []string{"a.txt", "sub/SHA256SUMS"}, []string{"skip.link"}},
		{"excluded symlink is not reported", func(n string) bool { return n == "skip.link" }, []string{"a.txt", "manifest.json", "sub/SHA256SUMS", "sub/manifest.json"}, nil},
		{"everything", func(string) bool { return true }, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Scan(context.Background(), root, ScanOptions{Exclude: tc.exclude})
			if err != nil {
				t.Fatal(err)
			}
			if got := entryNames(res.Entries); !slices.Equal(got, tc.want) {
				t.Errorf("entries = %q, want %q", got, tc.want)
			}
			if !slices.Equal(res.Skipped, tc.wantS) {
				t.Errorf("skipped = %q, want %q", res.Skipped, tc.wantS)
			}
			for _, e := range res.Entries {
				if e.Sum != sha256.Sum256([]byte(e.Name)) || e.Size != int64(len(e.Name)) {
					t.Errorf("%s: sum %x size %d", e.Name, e.Sum, e.Size)
				}
			}
		})
	}
}

func TestScanCancel(t *testing.T) {
	t.Run("already cancelled", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, root, "a", nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Scan(ctx, root, ScanOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("during walk", func(t *testing.T) {
		root := t.TempDir()
		for _, d := range []string{"a", "b", "c", "d"} {
			writeFile(t, root, d+"/f", nil)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		exclude := func(string) bool { cancel(); return false }
		if _, err := Scan(ctx, root, ScanOptions{Exclude: exclude}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("inside a huge file", func(t *testing.T) {
		// A sparse terabyte would take minutes to hash; returning at all
		// shows the read loop watches for cancellation.
		root := t.TempDir()
		f, err := os.Create(filepath.Join(root, "huge"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(1 << 40); err != nil {
			f.Close()
			t.Skipf("no sparse files here: %v", err)
		}
		f.Close()
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(50*time.Millisecond, cancel)
		defer timer.Stop()
		if _, err := Scan(ctx, root, ScanOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestScanErrors(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "file", nil)
	for _, tc := range []struct {
		name, root string
		want       error
	}{
		{"missing root", filepath.Join(root, "nope"), fs.ErrNotExist},
		{"root is a file", filepath.Join(root, "file"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Scan(context.Background(), tc.root, ScanOptions{})
			if err == nil {
				t.Fatal("Scan succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestScanFileVanishes(t *testing.T) {
	root := t.TempDir()
	for i := range 300 {
		writeFile(t, root, fmt.Sprintf("f%03d", i), []byte("x"))
	}
	// Exclude sees each name just before the walker hands it to the workers,
	// so removing the file there makes its hashing fail.
	exclude := func(name string) bool {
		if name == "f150" {
			os.Remove(filepath.Join(root, name))
		}
		return false
	}
	_, err := Scan(context.Background(), root, ScanOptions{Exclude: exclude})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `"f150"`) {
		t.Errorf("err = %v, want f150 not found", err)
	}
}

func TestScanEmptyAndSymlinkedRoot(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	writeFile(t, real, "x", []byte("x"))
	link := filepath.Join(dir, "link")
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, root string
		want       []string
	}{
		{"empty", filepath.Join(dir, "empty"), nil},
		// Like `cd link && find .`: the root itself may be a symlink.
		{"symlinked root", link, []string{"x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Scan(context.Background(), tc.root, ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := entryNames(res.Entries); !slices.Equal(got, tc.want) {
				t.Errorf("entries = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHashFile(t *testing.T) {
	root := t.TempDir()
	data := randomBytes(7, 300<<10)
	writeFile(t, root, "dir/manifest.json", data)
	if err := os.Symlink("dir/manifest.json", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		wantErr    bool
	}{
		{"regular", "dir/manifest.json", false},
		{"symlink", "link", true},
		{"directory", "dir", true},
		{"missing", "nope", true},
		{"absolute", "/etc/passwd", true},
		{"escapes root", "../x", true},
		{"dot slash", "./dir/manifest.json", true},
		{"double slash", "dir//manifest.json", true},
		{"empty", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := HashFile(root, tc.file)
			if tc.wantErr {
				if err == nil {
					t.Errorf("HashFile succeeded: %+v", e)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Name != tc.file || e.Sum != sha256.Sum256(data) || e.Size != int64(len(data)) {
				t.Errorf("got %q %x %d", e.Name, e.Sum, e.Size)
			}
		})
	}
}
