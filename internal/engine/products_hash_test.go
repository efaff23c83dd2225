package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/manifest"
)

// TestProductsHashedLate: a step's files are hashed once its window has
// closed, and with phases side by side another step may have changed one
// meanwhile. That file is reported as it is then: removed, or left out when
// the step created it (it was not there before and is not now) or it is no
// regular file any more; the step's other products stay.
func TestProductsHashedLate(t *testing.T) {
	sum := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	}
	// The step created d/y, mine.txt and x (or changed x, with
	// changed); the rest of the step's products are always these.
	y := manifest.Product{Path: "d/y", SHA256: sum("y"), Size: 1, Change: manifest.Created}
	mine := manifest.Product{Path: "mine.txt", SHA256: sum("mine"), Size: 4, Change: manifest.Created}
	for _, tc := range []struct {
		name    string
		changed bool
		// swap changes x (a file, d/y below a folder) after the window.
		swap func(t *testing.T, root string) error
		want []manifest.Product
	}{
		{"unchanged", false, func(t *testing.T, root string) error { return nil },
			[]manifest.Product{y, mine, {Path: "x", SHA256: sum("x"), Size: 1, Change: manifest.Created}}},
		{"rewritten", false, func(t *testing.T, root string) error {
			return os.WriteFile(filepath.Join(root, "x"), []byte("other"), 0o644)
		}, []manifest.Product{y, mine, {Path: "x", SHA256: sum("other"), Size: 5, Change: manifest.Created}}},
		{"changed, then rewritten", true, func(t *testing.T, root string) error {
			return os.WriteFile(filepath.Join(root, "x"), []byte("other"), 0o644)
		}, []manifest.Product{y, mine, {Path: "x", SHA256: sum("other"), Size: 5, Change: manifest.Changed}}},
		{"created, then removed", false, func(t *testing.T, root string) error {
			return os.Remove(filepath.Join(root, "x"))
		}, []manifest.Product{y, mine}},
		{"changed, then removed", true, func(t *testing.T, root string) error {
			return os.Remove(filepath.Join(root, "x"))
		}, []manifest.Product{y, mine, {Path: "x", Change: manifest.Removed}}},
		{"swapped for a FIFO", false, func(t *testing.T, root string) error {
			return errors.Join(os.Remove(filepath.Join(root, "x")), unix.Mkfifo(filepath.Join(root, "x"), 0o644))
		}, []manifest.Product{y, mine}},
		{"swapped for a link", false, func(t *testing.T, root string) error {
			return errors.Join(os.Remove(filepath.Join(root, "x")), os.Symlink("mine.txt", filepath.Join(root, "x")))
		}, []manifest.Product{y, mine}},
		{"swapped for a folder", false, func(t *testing.T, root string) error {
			return errors.Join(os.Remove(filepath.Join(root, "x")), os.Mkdir(filepath.Join(root, "x"), 0o755))
		}, []manifest.Product{y, mine}},
		{"its folder swapped for a file", false, func(t *testing.T, root string) error {
			return errors.Join(os.RemoveAll(filepath.Join(root, "d")), os.WriteFile(filepath.Join(root, "d"), nil, 0o644))
		}, []manifest.Product{mine, {Path: "x", SHA256: sum("x"), Size: 1, Change: manifest.Created}}},
		{"its folder swapped for a link", false, func(t *testing.T, root string) error {
			return errors.Join(os.Rename(filepath.Join(root, "d"), filepath.Join(root, "e")), os.Symlink("e", filepath.Join(root, "d")))
		}, []manifest.Product{mine, {Path: "x", SHA256: sum("x"), Size: 1, Change: manifest.Created}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			root := filepath.Join(ws, "out")
			for name, body := range map[string]string{"mine.txt": "mine", "x": "x", "d/y": "y"} {
				p := filepath.Join(root, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			d, err := bundlefs.Open(ws, "out")
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			win := window{}
			for _, p := range []string{"d/y", "mine.txt", "x"} {
				win[p] = changeRec{mark: 2, path: p, nowOK: true}
			}
			if tc.changed {
				win["x"] = changeRec{mark: 2, path: "x", was: fileStat{size: 2}, wasOK: true, nowOK: true}
			}
			if err := tc.swap(t, root); err != nil {
				t.Fatal(err)
			}
			r := &run{bundle: d}
			got, err := r.products(context.Background(), win, nil, nil, nil, func(rel string, err error) {
				t.Errorf("%s left out: %v", rel, err)
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("products\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestProductsCancelled: once the run is cancelled, products are no
// longer read: the step has none, rather than hashes of half a file.
func TestProductsCancelled(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "out", "big.bin"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := bundlefs.Open(ws, "out")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &run{bundle: d}
	win := window{"big.bin": {mark: 2, path: "big.bin", nowOK: true}}
	got, err := r.products(ctx, win, nil, nil, nil, func(rel string, err error) { t.Errorf("%s left out: %v", rel, err) })
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Errorf("products %+v, %v; want none, cancelled", got, err)
	}
}
