package engine

import (
	"errors"
	"fmt"
	"path"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pathFlags open a folder only to look names up in it: O_PATH asks for
// search permission alone, not read.
const pathFlags = unix.O_PATH

// watchMask is every change that can move a file's stat or a folder's
// entries; IN_MODIFY too, for truncate(2) and writes that do not close.
const watchMask = unix.IN_CREATE | unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB |
	unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF |
	unix.IN_DONT_FOLLOW | unix.IN_ONLYDIR | unix.IN_EXCL_UNLINK

// watcher tells the observer which paths of the report root moved, from
// inotify watches on its folders. The kernel queues an event while the
// write that caused it runs, so once a step's processes have ended, a drain
// sees all they did. A file changed through a shared mapping raises no
// event: such a change is seen at the next whole walk only.
type watcher struct {
	fd   int
	dirs map[int32]string // watch descriptor → folder, relative to the root
	// dirty are files to stat again, created folders to walk (a removed
	// folder was emptied first, each removal an event of its own), modes
	// folders whose attributes changed (one helios could not read may be
	// readable now).
	dirty   map[string]bool
	created []string
	modes   []string
	// lost is set when the events no longer tell everything (the queue
	// overflowed, a folder was renamed, the root itself moved): the next
	// sync walks the root. err is a watch that could not be added.
	lost bool
	err  error
}

func newWatcher() (*watcher, error) {
	w := &watcher{fd: -1}
	if err := w.reset(); err != nil {
		return nil, err
	}
	return w, nil
}

// reset starts over with a new inotify instance and no watches.
func (w *watcher) reset() error {
	w.close()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	w.fd, w.dirs, w.dirty, w.created, w.modes, w.lost, w.err = fd, map[int32]string{}, map[string]bool{}, nil, nil, false, nil
	return nil
}

func (w *watcher) close() {
	if w.fd >= 0 {
		unix.Close(w.fd)
		w.fd = -1
	}
}

// add watches the folder rel of root. A folder gone or swapped for a link
// meanwhile is not the bundle's; running out of watches is an error.
func (w *watcher) add(root, rel string) {
	if w.err != nil {
		return
	}
	// The root may be a /proc/self/fd link, which IN_DONT_FOLLOW would
	// watch instead of the folder: "/." makes the folder the last part.
	p := root + "/."
	if rel != "" {
		p = root + "/" + rel
	}
	wd, err := unix.InotifyAddWatch(w.fd, p, watchMask)
	switch {
	case err == nil:
		w.dirs[int32(wd)] = rel
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP):
	default:
		w.err = fmt.Errorf("inotify watch: %w", err)
	}
}

// drain reads every queued event.
func (w *watcher) drain() error {
	var buf [64 << 10]byte
	for {
		n, err := unix.Read(w.fd, buf[:])
		if errors.Is(err, unix.EAGAIN) {
			return nil
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("inotify read: %w", err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			w.event(ev.Wd, ev.Mask, string(name))
		}
	}
}

func (w *watcher) event(wd int32, mask uint32, name string) {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		w.lost = true
		return
	}
	dir, ok := w.dirs[wd]
	if !ok {
		return
	}
	if mask&unix.IN_IGNORED != 0 {
		delete(w.dirs, wd)
		return
	}
	if mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0 {
		// The parent's event covers a folder inside; the root moving
		// is for a whole walk to sort out.
		w.lost = w.lost || dir == ""
		return
	}
	p := name
	if dir != "" {
		p = path.Join(dir, name)
	}
	if mask&unix.IN_ISDIR == 0 {
		w.dirty[p] = true
		return
	}
	switch {
	case mask&(unix.IN_MOVED_FROM|unix.IN_MOVED_TO) != 0:
		// Watches below a renamed folder keep their old names.
		w.lost = true
	case mask&unix.IN_CREATE != 0 && !helperFile(p, true):
		w.created = append(w.created, p)
	case mask&unix.IN_ATTRIB != 0:
		// Both the folder's own watch and its parent's say so.
		w.modes = append(w.modes, p)
	}
}

// take returns the paths to stat again, the folders to walk and those
// whose attributes changed, and forgets them.
func (w *watcher) take() (map[string]bool, []string, []string) {
	d, c, m := w.dirty, w.created, w.modes
	w.dirty, w.created, w.modes = map[string]bool{}, nil, nil
	return d, c, m
}
