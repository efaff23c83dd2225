// Package regular opens and reads files that a pull request may control
// (ledgers, manifests, missions, baselines) without letting them hang or
// exhaust the process: only regular files are read, a FIFO or device is
// refused before any read, sizes are bounded, and reads stop when their
// context is cancelled.
package regular

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// chunk is how much one read asks for, so a cancelled context is noticed
// after at most this many bytes.
const chunk = 64 << 10

// NotRegularError is a path that names something other than a regular file.
type NotRegularError struct {
	// Path is the file as given; empty when the caller names it itself.
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	what := fmt.Sprintf("is %s, not a regular file", Kind(e.Mode))
	if e.Path == "" {
		return what
	}
	return e.Path + " " + what
}

// Kind names what a file of mode m is, for messages ("a FIFO", "a folder").
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file"
}

// TooLargeError is a file over the limit its reader documents.
type TooLargeError struct {
	// Path is the file as given; empty when the caller names it itself.
	Path string
	// Size is the size fstat gave, or -1 when the file grew past the limit
	// while it was read.
	Size, Limit int64
	// What names the kind of file, for the message: "a mission file".
	What string
}

func (e *TooLargeError) Error() string {
	what := fmt.Sprintf("is %s, over the %s limit for %s", Bytes(e.Size), Bytes(e.Limit), e.What)
	if e.Size < 0 {
		what = fmt.Sprintf("is over the %s limit for %s", Bytes(e.Limit), e.What)
	}
	if e.Path == "" {
		return what
	}
	return e.Path + " " + what
}

// Bytes renders a size for people: "4 MiB", "300.0 MiB", "512 bytes".
func Bytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Open opens path for reading if it is a regular file (a link to one is
// followed). A FIFO, socket or device is refused without blocking: the
// file is opened non-blocking and without becoming a controlling
// terminal, then checked with fstat, so nothing swapped in between the two
// can hang the open.
func Open(path string) (*os.File, error) { return open(path, os.Stat, os.OpenFile) }

// OpenIn is Open for a name inside root; root keeps the name, and any
// link it goes through, from leading outside.
func OpenIn(root *os.Root, name string) (*os.File, error) {
	return open(name, root.Stat, root.OpenFile)
}

// OpenNoFollow is Open for a path whose last element must not be a link:
// a link there is refused, not followed, also when one is swapped in
// between the check and the open (O_NOFOLLOW then fails the open).
func OpenNoFollow(path string) (*os.File, error) {
	return open(path, os.Lstat, func(name string, flag int, perm fs.FileMode) (*os.File, error) {
		return os.OpenFile(name, flag|noFollow, perm)
	})
}

// ReadHead reads at most n bytes from the start of the regular file at
// path, which is not followed if it is a link (see OpenNoFollow). It is for
// telling what a file is (is this manifest.json helios's?) while walking a
// tree a pull request controls: a FIFO, a device or a link is refused at
// once, and a huge file costs n bytes.
func ReadHead(ctx context.Context, path string, n int64) ([]byte, error) {
	f, err := OpenNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(NewReader(ctx, io.LimitReader(f, n)))
}

func open(name string, stat func(string) (fs.FileInfo, error), openFile func(string, int, fs.FileMode) (*os.File, error)) (*os.File, error) {
	// Stat first so that a device is never opened at all.
	fi, err := stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Path: name, Mode: fi.Mode()}
	}
	f, err := openFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	if err := check(f, name); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func check(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// ReadFile reads the regular file at path, refusing it when it holds more
// than limit bytes; what names the kind of file in that error.
func ReadFile(ctx context.Context, path string, limit int64, what string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(ctx, f, path, limit, what)
}

// ReadFileIn is ReadFile for a name inside root.
func ReadFileIn(ctx context.Context, root *os.Root, name string, limit int64, what string) ([]byte, error) {
	f, err := OpenIn(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(ctx, f, name, limit, what)
}

func readAll(ctx context.Context, f *os.File, path string, limit int64, what string) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// Refuse by size before reading, so a 300 MB file costs nothing.
	if fi.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: fi.Size(), Limit: limit, What: what}
	}
	// The size is a hint only: the file may grow while it is read, so the
	// reader is bounded too, one byte past the limit to notice.
	buf := make([]byte, 0, fi.Size()+1)
	r := NewReader(ctx, io.LimitReader(f, limit+1))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(buf)) > limit {
		return nil, &TooLargeError{Path: path, Size: -1, Limit: limit, What: what}
	}
	return buf, nil
}

// NewReader reads r in bounded chunks and fails with ctx's error once ctx
// is done, so a long read stops soon after a signal.
func NewReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) > chunk {
		p = p[:chunk]
	}
	return c.r.Read(p)
}
