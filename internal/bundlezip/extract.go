package bundlezip

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/regular"
)

// Extract writes SHA256SUMS, manifest.json when the ledger lists it, and
// the named files into dir, which must be an empty folder or not exist
// (its parent must). Each name must be listed in the ledger, be a safe
// regular file in the zip and hold at most Limits.MaxFile bytes; all are
// checked before anything is written. Files are created through an
// os.Root, so nothing lands outside dir, and exclusively (O_EXCL), so
// never through a link; each is checked against its ledger line as it is
// written (SHA256SUMS against the bytes Open parsed), and one that does
// not match is removed and fails Extract. After an error dir may hold some
// of the files, each of them checked.
func (b *Bundle) Extract(ctx context.Context, dir string, names []string) error {
	type job struct {
		name  string
		f     *zip.File
		limit int64
		what  string
		sum   [32]byte
	}
	jobs := []job{{ledger.FileName, b.sums, ledger.MaxFileSize, "a ledger", b.sumsDigest}}
	seen := map[string]bool{ledger.FileName: true}
	var declared uint64 = b.sums.UncompressedSize64
	add := func(name string) error {
		if seen[name] {
			return nil
		}
		seen[name] = true
		i, ok := b.listed[name]
		f := b.files[name]
		switch {
		case !ok:
			return fmt.Errorf("extract %q: %s does not list it", name, ledger.FileName)
		case b.refused[name]:
			return fmt.Errorf("extract %q: refused: %s", name, b.why(name))
		case f == nil:
			return fmt.Errorf("extract %q: not in the zip", name)
		}
		j := job{name, f, b.lim.MaxFile, "a file extracted from a bundle zip", b.entries[i].Sum}
		if name == manifest.FileName {
			j.limit, j.what = manifest.MaxFileSize, "a manifest"
		}
		if f.UncompressedSize64 > uint64(j.limit) {
			return fmt.Errorf("extract %q: %w", name, tooLarge(f, j.limit, j.what))
		}
		declared += f.UncompressedSize64
		jobs = append(jobs, j)
		return nil
	}
	if _, ok := b.listed[manifest.FileName]; ok {
		if err := add(manifest.FileName); err != nil {
			return err
		}
	}
	for _, name := range names {
		if err := add(name); err != nil {
			return err
		}
	}
	bud := newBudget(b.lim.MaxTotal)
	if err := bud.reserve(declared); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	root, err := emptyDir(dir)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer root.Close()
	for _, j := range jobs {
		if err := extractOne(ctx, root, j.name, j.f, j.limit, j.what, j.sum, bud); err != nil {
			return fmt.Errorf("extract %q: %w", j.name, err)
		}
	}
	return nil
}

// why is the first reason name was refused.
func (b *Bundle) why(name string) string {
	for _, u := range b.unsafe {
		if u.Name == name {
			return u.Why
		}
	}
	return "unsafe"
}

// errMismatch is an extracted file whose bytes differ from its ledger line.
var errMismatch = errors.New("its bytes do not match " + ledger.FileName + "; removed")

func extractOne(ctx context.Context, root *os.Root, name string, f *zip.File, limit int64, what string, want [32]byte, bud *budget) error {
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(filepath.FromSlash(d), 0o755); err != nil {
			return err
		}
	}
	p := filepath.FromSlash(name)
	out, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	h := sha256.New()
	err = copyEntry(ctx, f, io.MultiWriter(out, h), limit, what, bud)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && [32]byte(h.Sum(nil)) != want {
		err = errMismatch
	}
	if err != nil {
		root.Remove(p)
	}
	return err
}

// emptyDir opens dir as a root, creating it when absent. An existing dir
// must be an empty folder, not a link to one: anything already inside
// (a link planted to catch a write) is a reason to refuse.
func emptyDir(dir string) (*os.Root, error) {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is a file, not a folder", dir)
	case !fi.IsDir():
		return nil, fmt.Errorf("%s is %s, not a folder", dir, regular.Kind(fi.Mode()))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			root.Close()
		}
	}()
	// What was opened must be what was checked: a folder swapped for a
	// link in between is refused.
	rfi, err := root.Stat(".")
	if err != nil {
		return nil, err
	}
	if !os.SameFile(fi, rfi) {
		return nil, fmt.Errorf("%s changed while it was opened", dir)
	}
	d, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	held, err := d.Readdirnames(1)
	d.Close()
	if len(held) > 0 {
		return nil, fmt.Errorf("%s is not empty (it holds %q); extract into a new folder", dir, held[0])
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	ok = true
	return root, nil
}
