//go:build unix

package ledger

import (
	"crypto/sha256"
	"errors"
	"hash"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The hot path talks to the kernel directly: an *os.File per file costs an
// allocation, a cleanup, a poller registration attempt and locking on every
// read, which for 4 KiB files is more than the hashing.

type rootDir struct{ fd int }

func openRoot(root string) (rootDir, error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return rootDir{}, &os.PathError{Op: "open", Path: root, Err: err}
	}
	return rootDir{fd}, nil
}

func (d rootDir) close() { unix.Close(d.fd) }

// modTime is the modification time of the file last hashed, from the fstat
// done when it was opened.
func (h *hasher) modTime() int64 { return h.st.Mtim.Nano() }

// hasher is owned by one worker and reused for every file it hashes.
type hasher struct {
	dir rootDir
	buf []byte
	h   hash.Hash
	st  unix.Stat_t

	// secrets, when set, looks for secrets in the bytes hashed.
	secrets *secretStream
}

func newHasher(dir rootDir) *hasher {
	return &hasher{dir: dir, buf: make([]byte, hashBufSize), h: sha256.New()}
}

var errNotRegular = errors.New("not a regular file")

func (h *hasher) hash(name string, stop *atomic.Bool) (sum [32]byte, size int64, err error) {
	// O_NOFOLLOW and O_NONBLOCK: if the entry was swapped for a symlink or
	// a FIFO since the walk, fail (or get past the open) instead of hashing
	// something else or hanging; the fstat below then rejects it.
	fd, err := unix.Openat(h.dir.fd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return sum, 0, err
	}
	defer unix.Close(fd)
	if err := unix.Fstat(fd, &h.st); err != nil {
		return sum, 0, err
	}
	if h.st.Mode&unix.S_IFMT != unix.S_IFREG {
		return sum, 0, errNotRegular
	}
	h.h.Reset()
	if h.secrets != nil {
		h.secrets.reset()
	}
	// A short read that reaches the size fstat reported is EOF, which saves
	// the read that would return 0; a file that fits the buffer is asked for
	// one byte more than its size so that it takes one read in all. If the
	// file changed size meanwhile, the loop goes on until read returns 0.
	want := len(h.buf)
	if h.st.Size < int64(want) {
		want = int(h.st.Size) + 1
	}
	for {
		if stop.Load() {
			return sum, 0, errStopped
		}
		n, err := unix.Read(fd, h.buf[:want])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return sum, 0, err
		}
		if n <= 0 {
			break
		}
		h.write(h.buf[:n])
		size += int64(n)
		if n < want && size == h.st.Size {
			break
		}
		want = len(h.buf)
	}
	h.h.Sum(sum[:0])
	return sum, size, nil
}
