//go:build !unix

package ledger

import (
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Outside unix the action does not run in production; this path only keeps
// the package building and correct there.

type rootDir struct{ path string }

func openRoot(root string) (rootDir, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return rootDir{}, err
	}
	if !fi.IsDir() {
		return rootDir{}, &os.PathError{Op: "open", Path: root, Err: errors.New("not a directory")}
	}
	return rootDir{root}, nil
}

func (rootDir) close() {}

type hasher struct {
	dir rootDir
	buf []byte
	h   hash.Hash
	// mtime is the modification time of the file last hashed.
	mtime int64
	// secrets, when set, looks for secrets in the bytes hashed.
	secrets *secretStream
}

func (h *hasher) modTime() int64 { return h.mtime }

func newHasher(dir rootDir) *hasher {
	return &hasher{dir: dir, buf: make([]byte, hashBufSize), h: sha256.New()}
}

var errNotRegular = errors.New("not a regular file")

func (h *hasher) hash(name string, stop *atomic.Bool) (sum [32]byte, size int64, err error) {
	path := filepath.Join(h.dir.path, filepath.FromSlash(name))
	if fi, err := os.Lstat(path); err != nil {
		return sum, 0, err
	} else if !fi.Mode().IsRegular() {
		return sum, 0, errNotRegular
	} else {
		h.mtime = fi.ModTime().UnixNano()
	}
	f, err := os.Open(path)
	if err != nil {
		return sum, 0, err
	}
	defer f.Close()
	h.h.Reset()
	if h.secrets != nil {
		h.secrets.reset()
	}
	for {
		if stop.Load() {
			return sum, 0, errStopped
		}
		n, err := f.Read(h.buf)
		h.write(h.buf[:n])
		size += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, 0, err
		}
	}
	h.h.Sum(sum[:0])
	return sum, size, nil
}
