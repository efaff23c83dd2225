//go:build unix

package bundlefs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/manifest"
)

// Dir is an open report root. Its methods take '/'-separated paths
// relative to it and refuse a symbolic link in any component.
type Dir struct {
	fd   int
	path string // absolute, as the engine names it
	rel  string // relative to the workspace
	dev  uint64
	ino  uint64
}

const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// Open opens (creating what is missing) the report root rel inside the
// trusted workspace, one component at a time without following links. It
// refuses a link in any component, a .git component, the workspace itself
// and a folder holding a .git entry. It does not empty the folder; see
// Empty.
func Open(workspace, rel string) (*Dir, error) {
	comps, err := checkRootRel(rel)
	if err != nil {
		return nil, err
	}
	cur, err := unix.Open(workspace, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open workspace", Path: workspace, Err: err}
	}
	for i, c := range comps {
		var st unix.Stat_t
		missing := unix.Fstatat(cur, c, &st, unix.AT_SYMLINK_NOFOLLOW) == unix.ENOENT
		fd, err := openDir(cur, c, true)
		if err == nil && missing {
			err = inheritOwner(cur, fd)
			if err != nil {
				unix.Close(fd)
			}
		}
		unix.Close(cur)
		if err != nil {
			sub := strings.Join(comps[:i+1], "/")
			if isLinkErr(err) {
				return nil, &RefusedError{fmt.Sprintf("report root %s: %s is a symbolic link or not a folder; helios does not follow links in the report root (a pull request may have committed it); name another report-root, or replace it with a folder", rel, sub)}
			}
			return nil, fmt.Errorf("report root %s: open %s: %w", rel, sub, err)
		}
		cur = fd
	}
	var st unix.Stat_t
	if err := unix.Fstatat(cur, ".git", &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		unix.Close(cur)
		return nil, &RefusedError{fmt.Sprintf("report root %s holds a .git entry (a repository); helios empties its report root and never touches a repository; name another report-root", rel)}
	}
	if err := unix.Fstat(cur, &st); err != nil {
		unix.Close(cur)
		return nil, fmt.Errorf("report root %s: %w", rel, err)
	}
	return &Dir{fd: cur, path: path.Join(workspace, rel), rel: rel, dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

// inheritOwner gives a folder helios just made on the way to the report
// root (reports/, say) to the owner of the folder it was made in. helios runs
// as root in the action's container while the workspace belongs to the
// runner's user, who also runs the steps: a root-owned reports/ would stop
// every step from writing its own reports beside the bundle (upstream's
// scripts write reports/asi-takeoff/ and reports/localhost/). Not being root,
// helios made the folder as itself, and there is nothing to give.
func inheritOwner(parent, fd int) error {
	if os.Geteuid() != 0 {
		return nil
	}
	var p, st unix.Stat_t
	if err := unix.Fstat(parent, &p); err != nil {
		return err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if p.Uid == st.Uid && p.Gid == st.Gid {
		return nil
	}
	return unix.Fchown(fd, int(p.Uid), int(p.Gid))
}

// isLinkErr is what openat with O_NOFOLLOW|O_DIRECTORY says of a link (or
// of a file where a folder was expected).
func isLinkErr(err error) bool { return err == unix.ELOOP || err == unix.ENOTDIR }

// openDir opens the folder name in dir without following a link, creating
// it first when asked to and it is missing.
func openDir(dir int, name string, create bool) (int, error) {
	for range 2 {
		fd, err := unix.Openat(dir, name, dirFlags, 0)
		if err == unix.EINTR {
			continue
		}
		if err != unix.ENOENT || !create {
			return fd, err
		}
		if err := unix.Mkdirat(dir, name, 0o755); err != nil && err != unix.EEXIST {
			return -1, err
		}
	}
	return unix.Openat(dir, name, dirFlags, 0)
}

// Path is the root's absolute path as the engine named it.
func (d *Dir) Path() string { return d.path }

// Rel is the root's path relative to the workspace.
func (d *Dir) Rel() string { return d.rel }

// ReadPath is a path that leads to this folder even if its name has since
// been swapped for a link, for readers that take a path (the ledger's
// scan). On Linux it is the descriptor's /proc entry.
func (d *Dir) ReadPath() string {
	if runtime.GOOS == "linux" {
		p := "/proc/self/fd/" + strconv.Itoa(d.fd)
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && uint64(st.Dev) == d.dev && uint64(st.Ino) == d.ino {
			return p
		}
	}
	return d.path
}

// Where is the folder's current path: its path as opened, or, on Linux,
// where a step moved it ("" if it was deleted).
func (d *Dir) Where() string {
	if runtime.GOOS != "linux" || !d.Replaced() {
		return d.path
	}
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(d.fd))
	if err != nil || strings.HasSuffix(p, " (deleted)") || !path.IsAbs(p) {
		return ""
	}
	return p
}

// Replaced reports whether the root's path no longer names this folder (a
// step moved it away or swapped it for a link).
func (d *Dir) Replaced() bool {
	var st unix.Stat_t
	if err := unix.Lstat(d.path, &st); err != nil {
		return true
	}
	return st.Mode&unix.S_IFMT != unix.S_IFDIR || uint64(st.Dev) != d.dev || uint64(st.Ino) != d.ino
}

// Close releases the folder.
func (d *Dir) Close() error { return unix.Close(d.fd) }

// Empty removes everything in the root if the root is empty or holds a
// previous helios bundle; otherwise it refuses. Removal never follows a
// link: a link inside is removed, not what it points at.
func (d *Dir) Empty() error {
	names, err := readNames(d.fd)
	if err != nil {
		return fmt.Errorf("report root %s: %w", d.rel, err)
	}
	if len(names) == 0 {
		return nil
	}
	if !d.holdsBundle() {
		return notOurs(d.rel)
	}
	for _, n := range names {
		if err := removeAt(d.fd, n, 0); err != nil {
			return fmt.Errorf("empty report root %s: %s: %w", d.rel, n, err)
		}
	}
	return nil
}

func (d *Dir) holdsBundle() bool {
	fd, err := unix.Openat(d.fd, manifest.FileName, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), manifest.FileName)
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return isBundle(f)
}

// readNames lists a folder through a descriptor of its own, so dir's
// offset is untouched.
func readNames(dir int) ([]string, error) {
	fd, err := unix.Openat(dir, ".", dirFlags, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var names []string
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.ReadDirent(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// removeAt removes name in dir and, for a folder, what it holds; a link is
// unlinked like a file.
func removeAt(dir int, name string, depth int) error {
	err := unix.Unlinkat(dir, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return err
	}
	if depth >= maxDepth {
		return errTooDeep
	}
	fd, err := unix.Openat(dir, name, dirFlags, 0)
	if err != nil {
		return err
	}
	names, err := readNames(fd)
	if err == nil {
		for _, n := range names {
			if err = removeAt(fd, n, depth+1); err != nil {
				err = fmt.Errorf("%s: %w", n, err)
				break
			}
		}
	}
	unix.Close(fd)
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(dir, name, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return err
	}
	return nil
}

// descend opens the folders comps below the root, one at a time without
// following links, creating missing ones when asked. The caller closes the
// result unless it is d.fd.
func (d *Dir) descend(op, name string, comps []string, create bool) (int, error) {
	cur := d.fd
	for i, c := range comps {
		fd, err := openDir(cur, c, create)
		if cur != d.fd {
			unix.Close(cur)
		}
		if err != nil {
			sub := strings.Join(comps[:i+1], "/")
			if isLinkErr(err) {
				return -1, &LinkError{Op: op, Name: name, Comp: path.Join(d.rel, sub)}
			}
			return -1, d.pathErr(op, sub, err)
		}
		cur = fd
	}
	return cur, nil
}

func (d *Dir) pathErr(op, name string, err error) error {
	return &os.PathError{Op: op, Path: path.Join(d.rel, name), Err: err}
}

// parent opens the folder that holds name and returns it with name's base.
func (d *Dir) parent(op, name string, create bool) (fd int, base string, done func(), err error) {
	comps, err := splitRel(op, name)
	if err != nil {
		return -1, "", nil, err
	}
	fd, err = d.descend(op, name, comps[:len(comps)-1], create)
	if err != nil {
		return -1, "", nil, err
	}
	done = func() {
		if fd != d.fd {
			unix.Close(fd)
		}
	}
	return fd, comps[len(comps)-1], done, nil
}

// Sub opens the folder name below the root (creating what is missing,
// following no link) as a root of its own: a sharded phase's instance
// writes into shards/<id>/ through it exactly as other phases write into
// the report root. The caller closes it.
func (d *Dir) Sub(name string) (*Dir, error) {
	comps, err := splitRel("open", name)
	if err != nil {
		return nil, err
	}
	fd, err := d.descend("open", name, comps, true)
	if err != nil {
		return nil, err
	}
	if fd == d.fd {
		// No component: the root itself, held twice.
		if fd, err = unix.Dup(d.fd); err != nil {
			return nil, d.pathErr("open", name, err)
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, d.pathErr("open", name, err)
	}
	return &Dir{fd: fd, path: path.Join(d.path, name), rel: path.Join(d.rel, name), dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

// MkdirAll creates the folder name and any missing parents.
func (d *Dir) MkdirAll(name string) error {
	comps, err := splitRel("mkdir", name)
	if err != nil {
		return err
	}
	fd, err := d.descend("mkdir", name, comps, true)
	if err != nil {
		return err
	}
	if fd != d.fd {
		unix.Close(fd)
	}
	return nil
}

// Create makes a new file name for writing, creating its folder. Whatever
// was at name (a link a step left, say) is replaced, never written through.
func (d *Dir) Create(name string, perm fs.FileMode) (*os.File, error) {
	dir, base, done, err := d.parent("create", name, true)
	if err != nil {
		return nil, err
	}
	defer done()
	return d.createAt(dir, base, name, perm)
}

// createAt creates base in the folder open as dir, replacing whatever was
// there, never writing through it; name is its path below d.
func (d *Dir) createAt(dir int, base, name string, perm fs.FileMode) (*os.File, error) {
	if err := unix.Unlinkat(dir, base, 0); err != nil && err != unix.ENOENT {
		return nil, d.pathErr("create", name, err)
	}
	fd, err := unix.Openat(dir, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		return nil, d.pathErr("create", name, err)
	}
	return os.NewFile(uintptr(fd), path.Join(d.path, name)), nil
}

// Creator creates many files below a Dir, keeping the last folder it
// opened: a merge writes thousands of files into a few folders, and
// opening each folder's path anew for every file was most of its cost. A
// folder is opened as Create opens it, without following links. Close it
// when done; it is not safe for concurrent use.
type Creator struct {
	d   *Dir
	dir string // the folder fd holds
	fd  int    // -1 for none
}

// Creator returns a Creator for files below d.
func (d *Dir) Creator() *Creator { return &Creator{d: d, fd: -1} }

// Create is Dir.Create.
func (c *Creator) Create(name string, perm fs.FileMode) (*os.File, error) {
	comps, err := splitRel("create", name)
	if err != nil {
		return nil, err
	}
	dir := strings.Join(comps[:len(comps)-1], "/")
	if c.fd < 0 || dir != c.dir {
		c.release()
		fd, err := c.d.descend("create", name, comps[:len(comps)-1], true)
		if err != nil {
			return nil, err
		}
		c.fd, c.dir = fd, dir
	}
	return c.d.createAt(c.fd, comps[len(comps)-1], name, perm)
}

func (c *Creator) release() {
	if c.fd >= 0 && c.fd != c.d.fd {
		unix.Close(c.fd)
	}
	c.fd, c.dir = -1, ""
}

// Close releases the folder the Creator holds.
func (c *Creator) Close() error {
	c.release()
	return nil
}

// WriteFile writes b to name atomically (see WriteAtomic).
func (d *Dir) WriteFile(name string, b []byte, perm fs.FileMode) error {
	return d.WriteAtomic(name, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// WriteAtomic writes name through a temporary file in the same folder,
// synced and renamed over it, so a reader (or a cancelled run) sees the old
// file or the new one, never half of one; a link at name is replaced.
func (d *Dir) WriteAtomic(name string, perm fs.FileMode, write func(io.Writer) error) error {
	dir, base, done, err := d.parent("write", name, true)
	if err != nil {
		return err
	}
	defer done()
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := ".tmp-" + base + "-" + hex.EncodeToString(rnd[:])
	if len(tmp) > 255 {
		tmp = ".tmp-" + hex.EncodeToString(rnd[:])
	}
	fd, err := unix.Openat(dir, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return d.pathErr("write", name, err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	err = write(f)
	if err == nil {
		// The umask would otherwise decide what the bundle's readers get.
		err = f.Chmod(perm.Perm())
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(dir, tmp, dir, base)
	}
	if err != nil {
		unix.Unlinkat(dir, tmp, 0)
		return d.pathErr("write", name, err)
	}
	if err := unix.Fsync(dir); err != nil {
		return d.pathErr("write", name, fmt.Errorf("sync folder: %w", err))
	}
	return nil
}

// Remove removes the file or empty folder name.
func (d *Dir) Remove(name string) error {
	dir, base, done, err := d.parent("remove", name, false)
	if err != nil {
		return err
	}
	defer done()
	err = unix.Unlinkat(dir, base, 0)
	if err == unix.EISDIR || err == unix.EPERM {
		err = unix.Unlinkat(dir, base, unix.AT_REMOVEDIR)
	}
	if err != nil {
		return d.pathErr("remove", name, err)
	}
	return nil
}

// RemoveAll removes name and what it holds, never following a link; a
// missing name is not an error.
func (d *Dir) RemoveAll(name string) error {
	dir, base, done, err := d.parent("remove", name, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer done()
	if err := removeAt(dir, base, 0); err != nil {
		return d.pathErr("remove", name, err)
	}
	return nil
}

// Lstat describes name without following a link.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	dir, base, done, err := d.parent("lstat", name, false)
	if err != nil {
		return nil, err
	}
	defer done()
	var st unix.Stat_t
	if err := unix.Fstatat(dir, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, d.pathErr("lstat", name, err)
	}
	return &fileInfo{name: base, st: st}, nil
}

type fileInfo struct {
	name string
	st   unix.Stat_t
}

func (fi *fileInfo) Name() string { return fi.name }
func (fi *fileInfo) Size() int64  { return fi.st.Size }
func (fi *fileInfo) Mode() fs.FileMode {
	m := fs.FileMode(fi.st.Mode & 0o777)
	switch fi.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	}
	return m
}
func (fi *fileInfo) ModTime() time.Time { return time.Unix(fi.st.Mtim.Unix()) }
func (fi *fileInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *fileInfo) Sys() any           { return &fi.st }

// Open opens the regular file name for reading, following no link on the
// way; a FIFO or device there is refused rather than waited on.
func (d *Dir) Open(name string) (*os.File, error) {
	dir, base, done, err := d.parent("open", name, false)
	if err != nil {
		return nil, err
	}
	defer done()
	fd, err := unix.Openat(dir, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, d.pathErr("open", name, err)
	}
	f := os.NewFile(uintptr(fd), path.Join(d.path, name))
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, d.pathErr("open", name, errors.New("not a regular file"))
	}
	return f, nil
}

// LstatEach calls fn with the Lstat of each name, like Lstat but keeping
// the folder of the previous name open, so that a sorted list (a ledger)
// costs about one stat per file.
func (d *Dir) LstatEach(names []string, fn func(i int, fi fs.FileInfo, err error)) {
	dirName, dirFd := "", -1
	defer func() {
		if dirFd >= 0 && dirFd != d.fd {
			unix.Close(dirFd)
		}
	}()
	for i, name := range names {
		comps, err := splitRel("lstat", name)
		if err != nil {
			fn(i, nil, err)
			continue
		}
		parent := path.Dir(name)
		if parent != dirName || dirFd < 0 {
			if dirFd >= 0 && dirFd != d.fd {
				unix.Close(dirFd)
			}
			dirName = parent
			if dirFd, err = d.descend("lstat", name, comps[:len(comps)-1], false); err != nil {
				dirFd = -1
				fn(i, nil, err)
				continue
			}
		}
		var st unix.Stat_t
		if err := unix.Fstatat(dirFd, comps[len(comps)-1], &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			fn(i, nil, d.pathErr("lstat", name, err))
			continue
		}
		fn(i, &fileInfo{name: comps[len(comps)-1], st: st}, nil)
	}
}

// Chown gives name ("." for the root itself) to uid:gid; a link is
// changed itself, never followed.
func (d *Dir) Chown(name string, uid, gid int) error {
	if name == "." {
		if err := unix.Fchown(d.fd, uid, gid); err != nil {
			return d.pathErr("chown", ".", err)
		}
		return nil
	}
	fd, base, done, err := d.parent("chown", name, false)
	if err != nil {
		return err
	}
	defer done()
	if err := unix.Fchownat(fd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return d.pathErr("chown", name, err)
	}
	return nil
}

// OpenFolder opens the folder at path (any path to it) as a bundle, for
// commands given a folder rather than a workspace and a report root
// (`helios digest DIR`): its parent is trusted, the folder itself is held
// as Open holds a report root and refused on the same grounds.
func OpenFolder(p string) (*Dir, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	parent, base := filepath.Split(abs)
	if base == "" {
		return nil, &RefusedError{fmt.Sprintf("%s: a bundle cannot be the file system's root", p)}
	}
	return Open(parent, base)
}
