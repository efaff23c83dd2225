package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/regular"
)

// This file finds each step's products: the files of its folder (the
// report root, or its shard's) it created, changed or removed. The run
// keeps a snapshot of the report root, path → (size, mtime, ctime, inode),
// brought up to date before and after each step ("sync"); every change a
// sync finds is logged with the sync's mark, and a step's products are the
// changes logged in its window, between the sync before it and the sync
// after it. Only the files that moved are hashed, once the step ends.
//
// A sync does not walk the whole root when it can help it: on Linux an
// inotify watch on each folder says which paths to stat again, so a step's
// cost follows what it wrote, not how big the bundle is. Without inotify
// (another system, no watches left, a queue overflow, a folder renamed)
// the sync walks the root.
//
// Phases run side by side, so a change seen while a step of another phase
// was also running cannot be told apart from that step's: such products
// name the other steps as ambiguous. Steps of instances of different
// shards are not named for each other: each one's products are the files
// of its own folder, which by the mission's contract the other's steps do
// not write (one that writes into another shard's folder anyway is
// credited to that shard's step that was running).
//
// A sharded instance's products are the files of its own folder: what it
// writes elsewhere in the report root is no step's product, by design
// (instances run side by side, and a shard job's bundle is its shards'
// folders). A step's background processes that outlive it count toward the
// window of whatever step runs next.
//
// A sync that fails leaves the watcher's events untrusted, so the next one
// walks the root. A folder helios may not read or search is left out with a
// warning, what the snapshot had below it kept, until its mode changes.

// fileStat is what a snapshot keeps of a file: enough to tell that it
// moved without reading it.
type fileStat struct {
	size, mtime, ctime int64
	ino                uint64
}

func statOf(st *unix.Stat_t) fileStat {
	return fileStat{size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), ino: st.Ino}
}

// snapshot maps the files of the report root (relative paths) to their
// stats.
type snapshot map[string]fileStat

// helperFile reports whether rootRel, a path relative to the report root,
// is one of helios's own files, which no step's products list: the logs
// (the report root's and each shard's), the manifest and the ledger.
func helperFile(rootRel string, dir bool) bool {
	if dir {
		if rootRel == "logs" {
			return true
		}
		rest, ok := strings.CutPrefix(rootRel, "shards/")
		if !ok {
			return false
		}
		_, sub, ok := strings.Cut(rest, "/")
		return ok && sub == "logs"
	}
	return rootRel == manifest.FileName || rootRel == ledger.FileName
}

// openDir opens the folder rel of the report root for walkSnap (flags
// unix.O_RDONLY) or for fstatat (pathFlags), without following a link
// anywhere: ENOTDIR or ELOOP when rel, or a folder on the way, is something
// else now. O_DIRECTORY also means a FIFO there is never opened. Tests
// replace it to make a folder fail.
var openDir = func(root int, rel string, flags int) (int, error) {
	return openatWalk(root, rel, pathFlags, flags|unix.O_DIRECTORY|unix.O_CLOEXEC)
}

// fstatat stats an entry of a folder for walkSnap and statBeneath. Tests
// replace it to make an entry's stat fail as in a folder that can be
// listed but not searched, which root cannot make.
var fstatat = unix.Fstatat

// gone reports whether err says that a path is no folder (any more): it
// was removed, or it or a folder on the way is now a file or a link.
func gone(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP)
}

// denied reports whether err says that helios may not open or search a
// folder: a step's to make, not a reason to fail the run's syncs.
func denied(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)
}

// dirOf is the folder of p, a path relative to the report root ("" for
// the root).
func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// below reports whether p, a path relative to the report root, is inside
// the folder dir ("" for the root itself).
func below(p, dir string) bool {
	return dir == "" || strings.HasPrefix(p, dir+"/")
}

// walkSnap adds the regular files below fd, the folder rel of the report
// root ("" for the root), to snap, without following links, and closes fd.
// onDir, when set, is called for each folder before it is read (the
// watcher watches it then, so that nothing done meanwhile is missed).
// Entries that vanish during the walk are left out: a step of another
// phase may be removing them. A folder at or below rel that helios may not
// read, or list but not search (mode 0600: its entries cannot be stat'ed),
// is passed to skip, when set, and left out; other errors end the walk.
func walkSnap(fd int, rel string, snap snapshot, onDir func(rel string), skip func(rel string, err error)) error {
	if onDir != nil {
		onDir(rel)
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	for _, e := range ents {
		name := e.Name()
		p := name
		if rel != "" {
			p = rel + "/" + name
		}
		switch t := e.Type(); {
		case t.IsDir():
			if helperFile(p, true) {
				continue
			}
			sub, err := openDir(fd, name, unix.O_RDONLY)
			if gone(err) {
				continue
			}
			if skip != nil && denied(err) {
				skip(p, err)
				continue
			}
			if err != nil {
				return &os.PathError{Op: "open", Path: p, Err: err}
			}
			if err := walkSnap(sub, p, snap, onDir, skip); err != nil {
				return err
			}
		case t.IsRegular():
			if helperFile(p, false) {
				continue
			}
			if err := fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				if errors.Is(err, unix.ENOENT) {
					continue
				}
				if skip != nil && denied(err) {
					// The whole folder is left out, not a file or
					// two: what is added of it so far goes.
					maps.DeleteFunc(snap, func(q string, _ fileStat) bool { return below(q, rel) })
					skip(rel, err)
					return nil
				}
				return &os.PathError{Op: "stat", Path: p, Err: err}
			}
			if st.Mode&unix.S_IFMT != unix.S_IFREG {
				continue
			}
			snap[p] = statOf(&st)
		}
	}
	return nil
}

// observer is the run's snapshot of the report root, the changes found
// since the oldest open window, and the steps' windows.
type observer struct {
	mu   sync.Mutex
	root string // the report root, as the bundle reads it
	seq  int64  // the last mark
	// files is nil until the first sync.
	files   snapshot
	changes []changeRec
	spans   []*span
	// holds are, per unit between or in its steps, where its next or
	// current window opened: changes after it are kept.
	holds map[string]int64
	w     *watcher
	// warn says once why syncs walk the whole root, or that a folder
	// could not be read (unreadable: said). denied are the folders left
	// out since the last whole walk: a change of their mode may make them
	// readable, and then a walk brings them in.
	warn       func(string)
	unreadable bool
	denied     map[string]bool
}

// changeRec is one change a sync found: the file's stat before (was, ok
// wasOK) and after.
type changeRec struct {
	mark         int64
	path         string
	was, now     fileStat
	wasOK, nowOK bool
}

// span is a step's window: from the mark of the sync before it to the mark
// of the sync after it (end 0: still open). folder is the folder of the
// report root its products are in: its shard's, or "" for the whole root.
type span struct {
	unit, folder, name string
	start, end         int64
}

func newObserver(root string, warn func(string)) *observer {
	o := &observer{root: root, holds: map[string]int64{}, warn: warn}
	w, err := newWatcher()
	if err != nil {
		warn(fmt.Sprintf("per-step products walk the whole report root at each step (%v)", err))
	}
	o.w = w
	return o
}

func (o *observer) close() {
	if o != nil && o.w != nil {
		o.w.close()
	}
}

// sync brings the snapshot up to date and returns its mark. After a failed
// sync the watcher's events no longer tell what moved since the snapshot
// (some were taken, or half the folders watched): the next sync walks.
func (o *observer) sync() (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	mark := o.seq
	err := o.syncAt(mark)
	if err != nil && o.w != nil {
		o.w.lost = true
	}
	return mark, err
}

func (o *observer) syncAt(mark int64) error {
	if o.files == nil || o.w == nil || o.w.lost {
		return o.walk(mark)
	}
	if err := o.w.drain(); err != nil || o.w.lost {
		if err != nil {
			o.dropWatcher(err)
		}
		return o.walk(mark)
	}
	return o.update(mark)
}

// skip leaves out a folder helios may not read, and says so once a run:
// its files are not seen until it can be read.
func (o *observer) skip(rel string, err error) {
	if o.denied == nil {
		o.denied = map[string]bool{}
	}
	o.denied[rel] = true
	if !o.unreadable {
		o.unreadable = true
		o.warn(fmt.Sprintf("per-step products leave out folders helios cannot read, such as %s (%v)", rel, err))
	}
}

// dropWatcher falls back to whole walks for the rest of the run.
func (o *observer) dropWatcher(err error) {
	o.w.close()
	o.w = nil
	o.warn(fmt.Sprintf("per-step products walk the whole report root from now on (%v)", err))
}

func (o *observer) openRoot() (int, error) {
	fd, err := unix.Open(o.root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: o.root, Err: err}
	}
	return fd, nil
}

// walk reads the whole root into a new snapshot (watching every folder
// afresh, when it can) and logs what differs from the last.
func (o *observer) walk(mark int64) error {
	fd, err := o.openRoot()
	if err != nil {
		return err
	}
	var onDir func(string)
	if o.w != nil {
		if err := o.w.reset(); err != nil {
			o.dropWatcher(err)
		} else {
			onDir = func(rel string) { o.w.add(o.root, rel) }
		}
	}
	snap := snapshot{}
	o.denied = nil
	if err := walkSnap(fd, "", snap, onDir, o.skip); err != nil {
		return err
	}
	// What the snapshot had below a folder that cannot be read now is
	// kept: helios cannot tell that it moved.
	for p, st := range o.files {
		if len(o.denied) == 0 {
			break
		}
		for dir := range o.denied {
			if below(p, dir) {
				snap[p] = st
			}
		}
	}
	if o.w != nil && o.w.err != nil {
		o.dropWatcher(o.w.err)
	}
	old := o.files
	for p, st := range snap {
		o.note(mark, p, old, st, true)
	}
	for p := range old {
		if _, ok := snap[p]; !ok {
			o.note(mark, p, old, fileStat{}, false)
		}
	}
	o.files = snap
	return nil
}

// note logs p's stat now against its stat in old, if it moved.
func (o *observer) note(mark int64, p string, old snapshot, now fileStat, nowOK bool) {
	was, wasOK := old[p]
	if was == now && wasOK == nowOK {
		return
	}
	o.changes = append(o.changes, changeRec{mark: mark, path: p, was: was, now: now, wasOK: wasOK, nowOK: nowOK})
}

// update stats again what the watcher saw move, and walks the folders that
// appeared. A folder left out whose mode changed (or one above it) may
// be readable now: then the root is walked, which also finds what was
// removed below it meanwhile.
func (o *observer) update(mark int64) error {
	dirty, dirs, modes := o.w.take()
	if o.reopened(modes) {
		return o.walk(mark)
	}
	if len(dirty) == 0 && len(dirs) == 0 {
		return nil
	}
	root, err := o.openRoot()
	if err != nil {
		return err
	}
	defer unix.Close(root)
	found := snapshot{}
	for _, d := range dirs {
		// Nothing of the snapshot is below d: a folder is removed only
		// once empty, and the removal of each file in it was an event.
		fd, err := openDir(root, d, unix.O_RDONLY)
		switch {
		case gone(err):
			// Removed again, or now a file or a link: stat it as
			// a file.
			dirty[d] = true
			continue
		case denied(err):
			o.skip(d, err)
			continue
		case err != nil:
			return &os.PathError{Op: "open", Path: d, Err: err}
		}
		if err := walkSnap(fd, d, found, func(rel string) { o.w.add(o.root, rel) }, o.skip); err != nil {
			return err
		}
	}
	if o.w.err != nil {
		o.dropWatcher(o.w.err)
		return o.walk(mark)
	}
	for p := range found {
		dirty[p] = true
	}
	parents := map[string]parentDir{}
	defer func() {
		for _, pd := range parents {
			if pd.fd >= 0 && pd.fd != root {
				unix.Close(pd.fd)
			}
		}
	}()
	var st unix.Stat_t
	// unknown are the paths below a folder helios may not search: their
	// stat is not known, so their old entries stay.
	var unknown map[string]bool
	// Sorted, so that the folders a path's parent cache opens come in
	// order and the change log is the same from run to run.
	paths := slices.Sorted(maps.Keys(dirty))
	for _, p := range paths {
		if _, walked := found[p]; walked || helperFile(p, false) {
			continue
		}
		now, ok, err := statBeneath(root, parents, p, &st)
		switch {
		case denied(err):
			o.skip(dirOf(p), err)
			if unknown == nil {
				unknown = map[string]bool{}
			}
			unknown[p] = true
			continue
		case err != nil:
			return err
		}
		if ok {
			found[p] = now
		}
	}
	// Nothing is applied before every path is stat'ed: a failed sync
	// leaves the snapshot as it was, for the next sync's walk. found now
	// holds every dirty path that is a regular file.
	for _, p := range paths {
		if helperFile(p, false) || unknown[p] {
			continue
		}
		now, ok := found[p]
		old := o.files[p]
		_, wasOK := o.files[p]
		if ok {
			o.files[p] = now
		} else {
			delete(o.files, p)
		}
		if old != now || wasOK != ok {
			o.changes = append(o.changes, changeRec{mark: mark, path: p, was: old, now: now, wasOK: wasOK, nowOK: ok})
		}
	}
	return nil
}

// reopened reports whether a folder among modes, whose attributes changed,
// is one left out or above one: it may be readable now.
func (o *observer) reopened(modes []string) bool {
	for _, m := range modes {
		for dir := range o.denied {
			if dir == m || below(dir, m) {
				return true
			}
		}
	}
	return false
}

// parentDir is a folder statBeneath opened: fd, or -1 and err when it is
// no folder any more (err nil) or helios may not search it.
type parentDir struct {
	fd  int
	err error
}

// statBeneath stats p, relative to root, without following a link; ok is
// false when it is not a regular file (any more). An error denied says is
// a folder on the way helios may not search: p's stat is not known.
// parents caches the folders opened.
func statBeneath(root int, parents map[string]parentDir, p string, st *unix.Stat_t) (fileStat, bool, error) {
	dir, base := dirOf(p), path.Base(p)
	pd, ok := parents[dir]
	if !ok {
		pd.fd = root
		if dir != "" {
			var err error
			pd.fd, err = openDir(root, dir, pathFlags)
			switch {
			case gone(err):
			case err != nil:
				pd.err = &os.PathError{Op: "open", Path: dir, Err: err}
				if !denied(err) {
					return fileStat{}, false, pd.err
				}
			}
		}
		parents[dir] = pd
	}
	if pd.fd < 0 {
		return fileStat{}, false, pd.err
	}
	if err := fstatat(pd.fd, base, st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if gone(err) {
			return fileStat{}, false, nil
		}
		return fileStat{}, false, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fileStat{}, false, nil
	}
	return statOf(st), true, nil
}

// begin syncs and opens the window of the next step of unit, name, whose
// products are in folder, unless the unit's last step's closing sync
// already opened it (at from).
func (o *observer) begin(unit, folder, name string, from int64) (*span, error) {
	if from == 0 {
		var err error
		if from, err = o.sync(); err != nil {
			return nil, err
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	sp := &span{unit: unit, folder: folder, name: name, start: from}
	o.spans = append(o.spans, sp)
	o.holds[unit] = from
	return sp, nil
}

// window is what a step's window saw: per path, its stat before the first
// change in the window and after the last one.
type window map[string]changeRec

// end syncs, closes sp and returns what moved in its window below its
// folder, with the steps of other units whose windows met it ("phase /
// step", sorted), but for those of other shards' instances. A step that
// opens its window with a mark before sp's end only registers later when
// its unit was between steps meanwhile, and its own end finds sp.
func (o *observer) end(sp *span) (window, []string, error) {
	mark, err := o.sync()
	o.mu.Lock()
	defer o.mu.Unlock()
	sp.end = mark
	o.holds[sp.unit] = mark
	if err != nil {
		return nil, nil, err
	}
	var others []string
	for _, x := range o.spans {
		if x.unit == sp.unit || x.start >= sp.end || (x.end != 0 && x.end <= sp.start) {
			continue
		}
		if x.folder != "" && sp.folder != "" && x.folder != sp.folder {
			continue // neither makes the other's files
		}
		others = append(others, x.unit+" / "+x.name)
	}
	slices.Sort(others)
	win := window{}
	for _, c := range o.changes {
		if c.mark <= sp.start || c.mark > sp.end {
			continue
		}
		if !below(c.path, sp.folder) {
			continue
		}
		if first, ok := win[c.path]; ok {
			c.was, c.wasOK = first.was, first.wasOK
		}
		win[c.path] = c
	}
	o.trim()
	return win, slices.Compact(others), nil
}

// release says unit has no more steps: its hold on the change log goes.
func (o *observer) release(unit string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.holds, unit)
	o.trim()
}

// trim drops the changes and closed windows no open or future window can
// meet: those at or before every hold (a unit that starts later opens its
// window with a new mark).
func (o *observer) trim() {
	low := o.seq
	for _, h := range o.holds {
		low = min(low, h)
	}
	for _, sp := range o.spans {
		if sp.end == 0 {
			low = min(low, sp.start)
		}
	}
	o.changes = slices.DeleteFunc(o.changes, func(c changeRec) bool { return c.mark <= low })
	o.spans = slices.DeleteFunc(o.spans, func(sp *span) bool { return sp.end != 0 && sp.end <= low })
}

// products turns a step's window, or for a collect step what it copied,
// into its receipt's products. Paths are relative to the report root; a
// file is hashed as it is when the step has ended, so with phases side by
// side another step may have changed it meanwhile: a file removed is
// reported removed, unless the step created it (it was not there before
// the window and is not now: no product), one that is no regular file any
// more is left out (the ledger does not list it either), and one that
// cannot be read is left out and passed to skipped; the rest of the step's
// products stay. Once ctx is
// done (the run is cancelled) hashing stops and products fails: a product
// half read would have a wrong hash.
func (r *run) products(ctx context.Context, win window, copied []collected, pr *phaseRun, ambiguous []string, skipped func(rel string, err error)) ([]manifest.Product, error) {
	var out []manifest.Product
	if copied != nil {
		// The copier knows what it wrote: nothing to guess, nothing to
		// read again.
		last := map[string]collected{}
		for _, c := range copied {
			last[pr.inRoot(c.dst)] = c
		}
		for _, dst := range slices.Sorted(maps.Keys(last)) {
			c := last[dst]
			kind := manifest.Created
			if w, ok := win[dst]; ok && w.wasOK {
				kind = manifest.Changed
			}
			// What it copied is certain, but not that no step of
			// another unit wrote the same file meanwhile.
			out = append(out, manifest.Product{Path: dst, SHA256: c.sha256, Size: c.size, Change: kind, From: c.from, Ambiguous: ambiguous})
		}
		return out, nil
	}
	for _, rel := range slices.Sorted(maps.Keys(win)) {
		c := win[rel]
		kind := manifest.Changed
		switch {
		case !c.wasOK && !c.nowOK:
			continue // made and removed within the step
		case !c.wasOK:
			kind = manifest.Created
		case !c.nowOK:
			kind = manifest.Removed
		case c.was == c.now:
			continue
		}
		p := manifest.Product{Change: manifest.Removed}
		if kind != manifest.Removed {
			var err error
			p, err = hashProduct(ctx, r.bundle, rel)
			switch {
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case errors.Is(err, errNotRegular):
				continue
			case err != nil:
				skipped(rel, err)
				continue
			}
			switch {
			case p.Change == "":
				p.Change = kind
			case kind == manifest.Created:
				continue // removed again
			}
		}
		p.Path, p.Ambiguous = rel, ambiguous
		out = append(out, p)
	}
	return out, nil
}

// stepProducts closes step s's window sp and lists its products. A failed
// sync leaves the step without products, with a warning, rather than with
// wrong ones; so does a run cancelled (ctx) before they were hashed.
func (r *run) stepProducts(ctx context.Context, pr *phaseRun, s *mission.Step, sp *span, copied []collected) []manifest.Product {
	warn := func(msg string) { r.productsWarning(pr, s, msg) }
	win, ambiguous, err := r.obs.end(sp)
	if err == nil {
		pr.lastMark = sp.end
		if s.Kind == mission.Collect && copied == nil {
			copied = []collected{}
		}
		skipped := func(rel string, err error) { warn(fmt.Sprintf("%s left out: %v", rel, err)) }
		var out []manifest.Product
		if out, err = r.products(ctx, win, copied, pr, ambiguous, skipped); err == nil {
			return out
		}
		if ctx.Err() != nil {
			warn("left out: the run was cancelled before they were read")
			return nil
		}
	}
	pr.lastMark = 0
	warn(err.Error())
	return nil
}

// productsWarning says on the console why step s of pr has fewer products
// than it made, or none.
func (r *run) productsWarning(pr *phaseRun, s *mission.Step, msg string) {
	r.con.printf("warning: %s: products of %q: %s\n", pr.key, displayName(s), oneLine(r.masker.String(msg)))
}

// folder is the folder of the report root whose files are pr's products:
// its shard's, or "" for the whole root.
func (pr *phaseRun) folder() string {
	if pr.shard == nil {
		return ""
	}
	return pr.shard.Root()
}

// collected is one file a collect step copied: dst relative to its folder,
// from relative to the workspace, and the hash and size of what it wrote.
type collected struct {
	dst, from, sha256 string
	size              int64
}

// errNotRegular is a product that is no regular file any more.
var errNotRegular = errors.New("not a regular file")

// hashProduct reads rel (relative to the report root) through the bundle
// handle, which refuses links, for a product's hash and size, until ctx is
// done. A file removed meanwhile is reported removed (so is one below a
// folder that is now a file or a link); one that is now a link, a FIFO or
// a folder is errNotRegular.
func hashProduct(ctx context.Context, dir *bundlefs.Dir, rel string) (manifest.Product, error) {
	f, err := dir.Open(rel)
	if err != nil {
		fi, lerr := dir.Lstat(rel)
		var link *bundlefs.LinkError
		switch {
		case errors.Is(lerr, os.ErrNotExist) || errors.Is(lerr, unix.ENOTDIR) || errors.As(lerr, &link):
			// The bundle holds no file rel now (the ledger does not
			// follow a link to one).
			return manifest.Product{Change: manifest.Removed}, nil
		case lerr == nil && !fi.Mode().IsRegular():
			return manifest.Product{}, errNotRegular
		}
		return manifest.Product{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, regular.NewReader(ctx, f))
	if err != nil {
		return manifest.Product{}, err
	}
	return manifest.Product{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}
