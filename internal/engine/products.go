package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/mission"
)

// This file finds each step's products: the files of its folder (the
// report root, or its shard's) it created, changed or removed. Before and
// after a step the folder is snapshotted as path → (size, mtime, ctime,
// inode); only what moved is hashed. Phases run side by side, so a change
// seen while a step of another phase was also running cannot be told apart
// from that step's: such products name the other steps as ambiguous.

// fileStat is what a snapshot keeps of a file: enough to tell that it
// moved without reading it.
type fileStat struct {
	size, mtime, ctime int64
	ino                uint64
}

// snapshot maps the paths of a unit's folder (relative to that folder) to
// their stats.
type snapshot map[string]fileStat

// observed is a unit's last snapshot and the activity mark taken just
// before it: the next step's "before", so consecutive steps of a phase
// walk the folder once between them.
type observed struct {
	snap snapshot
	mark int64
}

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

// takeSnapshot walks root (a unit's folder, prefix its path relative to
// the report root) without following links. Only regular files are kept:
// the ledger lists nothing else. Entries that vanish during the walk are
// left out, as a step of another phase may be removing them.
func takeSnapshot(root, prefix string) (snapshot, error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	snap := snapshot{}
	return snap, walkSnap(fd, "", prefix, snap)
}

// walkSnap adds the files below fd (named rel in the unit folder) to snap
// and closes fd.
func walkSnap(fd int, rel, prefix string, snap snapshot) error {
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
		rootRel := p
		if prefix != "" {
			rootRel = prefix + "/" + p
		}
		switch t := e.Type(); {
		case t.IsDir():
			if helperFile(rootRel, true) {
				continue
			}
			sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				continue
			}
			if err != nil {
				return &os.PathError{Op: "open", Path: p, Err: err}
			}
			if err := walkSnap(sub, p, prefix, snap); err != nil {
				return err
			}
		case t.IsRegular():
			if helperFile(rootRel, false) {
				continue
			}
			if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				if errors.Is(err, unix.ENOENT) {
					continue
				}
				return &os.PathError{Op: "stat", Path: p, Err: err}
			}
			if st.Mode&unix.S_IFMT != unix.S_IFREG {
				continue
			}
			snap[p] = fileStat{size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), ino: st.Ino}
		}
	}
	return nil
}

// change is one path that moved between two snapshots.
type change struct {
	path, kind string
}

// diffSnapshots lists what moved from before to after, in path order.
func diffSnapshots(before, after snapshot) []change {
	var out []change
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			out = append(out, change{p, manifest.Created})
		case a != b:
			out = append(out, change{p, manifest.Changed})
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, change{p, manifest.Removed})
		}
	}
	slices.SortFunc(out, func(a, b change) int { return strings.Compare(a.path, b.path) })
	return out
}

// hashProduct reads rel (relative to dir) through the bundle handle, which
// refuses links, for a product's hash and size. A file removed meanwhile
// is reported removed.
func hashProduct(dir *bundlefs.Dir, rel string) (manifest.Product, error) {
	f, err := dir.Open(rel)
	if errors.Is(err, os.ErrNotExist) {
		return manifest.Product{Change: manifest.Removed}, nil
	}
	if err != nil {
		return manifest.Product{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return manifest.Product{}, err
	}
	return manifest.Product{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// activity records when each step ran, as marks of one counter, so that a
// step's products can name the steps of other phases that ran while it was
// observed. Marks order events exactly; no clock is read.
type activity struct {
	mu    sync.Mutex
	seq   int64
	spans []*span
}

// span is a step's observation window: from the mark before its "before"
// snapshot to the mark after its "after" snapshot (end 0: still running).
type span struct {
	unit, name string
	start, end int64
}

// mark returns the next mark.
func (a *activity) mark() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	return a.seq
}

// begin registers a step of unit whose window opened at start.
func (a *activity) begin(unit, name string, start int64) *span {
	a.mu.Lock()
	defer a.mu.Unlock()
	sp := &span{unit: unit, name: name, start: start}
	a.spans = append(a.spans, sp)
	return sp
}

// end closes sp's window and returns the steps of other units whose windows
// met it, as "phase / step", sorted. A step that registers later with a
// window opened before sp's end did nothing meanwhile (its unit was between
// steps), and its own end finds sp.
func (a *activity) end(sp *span) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	sp.end = a.seq
	var out []string
	for _, o := range a.spans {
		if o.unit == sp.unit || o.start >= sp.end || (o.end != 0 && o.end <= sp.start) {
			continue
		}
		out = append(out, o.unit+" / "+o.name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// collected is one file a collect step copied: dst relative to its folder,
// from relative to the workspace.
type collected struct {
	dst, from string
}

// products turns what moved in a step's folder, or for a collect step what
// it copied, into its receipt's products, paths relative to the report
// root. before is nil when the step's folder could not be snapshotted.
func (pr *phaseRun) products(dir *bundlefs.Dir, before, after snapshot, copied []collected, ambiguous []string) ([]manifest.Product, error) {
	var out []manifest.Product
	add := func(rel, kind, from string, amb []string) error {
		p := manifest.Product{Change: manifest.Removed}
		if kind != manifest.Removed {
			var err error
			if p, err = hashProduct(dir, rel); err != nil {
				return err
			}
			if p.Change == "" {
				p.Change = kind
			}
		}
		p.Path, p.From, p.Ambiguous = pr.inRoot(rel), from, amb
		out = append(out, p)
		return nil
	}
	if copied != nil {
		// The copier knows what it wrote: nothing to guess.
		last := map[string]string{}
		for _, c := range copied {
			last[c.dst] = c.from
		}
		for _, dst := range slices.Sorted(maps.Keys(last)) {
			kind := manifest.Created
			if _, ok := before[dst]; ok {
				kind = manifest.Changed
			}
			if err := add(dst, kind, last[dst], nil); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	for _, c := range diffSnapshots(before, after) {
		if err := add(c.path, c.kind, "", ambiguous); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// observe snapshots pr's folder, dir. It returns nil, with a warning, when
// the folder cannot be walked (a step removed it): the steps then have no
// products rather than wrong ones.
func (r *run) observe(pr *phaseRun, dir *bundlefs.Dir) *observed {
	mark := r.acts.mark()
	prefix := ""
	if pr.shard != nil {
		prefix = pr.shard.Root()
	}
	snap, err := takeSnapshot(dir.ReadPath(), prefix)
	if err != nil {
		r.con.printf("warning: %s: snapshot for products: %s\n", pr.key, oneLine(r.masker.String(err.Error())))
		return nil
	}
	return &observed{snap: snap, mark: mark}
}

// stepProducts closes step s's window sp and lists its products: what it
// copied for a collect step, else what moved since before.
func (r *run) stepProducts(pr *phaseRun, dir *bundlefs.Dir, s *mission.Step, sp *span, before snapshot, copied []collected) []manifest.Product {
	obs := r.observe(pr, dir)
	ambiguous := r.acts.end(sp)
	pr.last = obs
	if obs == nil {
		return nil
	}
	if s.Kind == mission.Collect && copied == nil {
		copied = []collected{}
	}
	out, err := pr.products(dir, before, obs.snap, copied, ambiguous)
	if err != nil {
		r.con.printf("warning: %s: products of %q: %s\n", pr.key, displayName(s), oneLine(r.masker.String(err.Error())))
		return nil
	}
	return out
}
