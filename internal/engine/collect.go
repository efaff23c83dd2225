package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/regular"
)

// maxLinkDepth bounds nested folder links followed while copying, so a link
// cycle inside the workspace ends in an error instead of a full disk.
const maxLinkDepth = 32

// maxCollectBytes bounds what one collect step copies in all, so a step
// that leaves a huge (even sparse) file cannot fill the disk through the
// bundle. A variable so that tests can lower it.
var maxCollectBytes int64 = 4 << 30

// beforeOpen, when set, runs between a source's checks and its open; tests
// use it to swap the path as a step running in a parallel phase could.
var beforeOpen func(rel string)

func collectTo(s *mission.Step) string {
	if s.Collect.To == "" {
		return "."
	}
	return s.Collect.To
}

// collect copies workspace files into the report root. It never reads
// outside the workspace (links that leave it are errors) and never writes
// outside the report root (every write goes through the bundle handle,
// which refuses links); links inside the workspace are copied as the files
// they point at, so bundles hold regular files only. It reads a .git folder
// only where a pattern names it (".git/..."), and never a git config, which
// holds credentials (actions/checkout writes the token there). Steps of
// other phases run meanwhile and may rename, link or replace anything in
// the workspace, so each source is opened beneath the workspace without
// following any link and must be the file that was checked (see open).
// The copy stops when ctx is done and at maxCollectBytes for the step.
func (r *run) collect(ctx context.Context, s *mission.Step, sc *StepContext) error {
	c := s.Collect
	to := path.Clean("/" + filepath.ToSlash(c.To))[1:]
	if c.To != "" && !filepath.IsLocal(c.To) {
		return fmt.Errorf("collect to %q: must be a folder inside the report root", c.To)
	}
	realWS, err := filepath.EvalSymlinks(r.workspace)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	realRoot, err := filepath.EvalSymlinks(r.bundle.ReadPath())
	if err != nil {
		return fmt.Errorf("report root: %w", err)
	}
	wsfd, err := unix.Open(realWS, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("workspace: %w", &os.PathError{Op: "open", Path: realWS, Err: err})
	}
	defer unix.Close(wsfd)
	// Sources are kept out of the whole report root; the files go to the
	// step's own folder (its shard's, for a sharded phase's instance).
	cp := copier{ctx: ctx, ws: realWS, wsfd: wsfd, root: realRoot, bundle: sc.Bundle, log: sc.Log, hash: r.obs != nil}
	// What it copied before a failure is in the bundle too.
	defer func() { sc.collected = cp.copied }()
	total := 0
	for _, pat := range c.From {
		if !filepath.IsLocal(pat) {
			return fmt.Errorf("collect from %q: must be a path inside the workspace", pat)
		}
		matches, err := glob.Expand(r.workspace, pat)
		if err != nil {
			return fmt.Errorf("collect from %q: %w", pat, err)
		}
		if len(matches) == 0 {
			if c.Optional {
				fmt.Fprintf(sc.Log, "no files match %s (optional)\n", pat)
				continue
			}
			return fmt.Errorf("collect from %q: no files match", pat)
		}
		cp.gitNamed = namesGit(pat)
		for _, m := range matches {
			src := filepath.Join(r.workspace, filepath.FromSlash(m))
			target := path.Join(to, path.Base(m))
			if to == "" {
				target = path.Base(m)
			}
			n, err := cp.copy(src, target, m, 0)
			if err != nil {
				return err
			}
			sc.AddOutput(target)
			fmt.Fprintf(sc.Log, "collected %s → %s (%s)\n", m, target, markup.Plural(n, "file"))
			total += n
		}
	}
	fmt.Fprintf(sc.Log, "%d files collected\n", total)
	return nil
}

// namesGit reports whether a collect pattern names the repository's .git
// folder itself, the only way to collect from it.
func namesGit(pat string) bool {
	first, _, _ := strings.Cut(filepath.ToSlash(pat), "/")
	return first == ".git"
}

// gitCheck refuses a workspace path (relative, '/'-separated) inside a
// .git folder unless the pattern named .git, and a git config always (the
// repository's, or a submodule's or worktree's below .git).
func gitCheck(rel string, named bool) error {
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		if !strings.EqualFold(s, ".git") {
			continue
		}
		if i < len(segs)-1 && strings.EqualFold(segs[len(segs)-1], "config") {
			return fmt.Errorf("collect %s: helios never collects a git config (it can hold credentials, such as the token actions/checkout writes there)", rel)
		}
		if !named {
			return fmt.Errorf("collect %s: it is inside .git; name .git/ paths explicitly in `from` to collect them", rel)
		}
	}
	return nil
}

type copier struct {
	ctx      context.Context
	ws, root string // real (link-free) paths of the workspace and report root
	wsfd     int    // the workspace, opened at ws
	bundle   *bundlefs.Dir
	log      io.Writer
	gitNamed bool  // the pattern named .git/
	bytes    int64 // bytes this step has copied so far
	// copied are the files written so far, the step's products, when
	// hash is set (the run records products).
	copied []collected
	hash   bool
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// copy copies src (a file or folder, named rel in messages) to dst, a
// bundle path, and returns how many files it wrote. A path the pattern
// matched (depth 0) must be a regular file or folder; inside a folder,
// anything else (a FIFO, a socket) is skipped.
func (c *copier) copy(src, dst, rel string, depth int) (int, error) {
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		return 0, fmt.Errorf("collect %s: %w", rel, err)
	}
	if !within(real, c.ws) {
		return 0, fmt.Errorf("collect %s: it leads outside the workspace (to %s)", rel, real)
	}
	if within(real, c.root) || within(c.root, real) {
		return 0, fmt.Errorf("collect %s: it overlaps the report root", rel)
	}
	realRel, err := filepath.Rel(c.ws, real)
	if err != nil {
		return 0, fmt.Errorf("collect %s: %w", rel, err)
	}
	// Check the name as given and, for a link, where it leads.
	if err := gitCheck(rel, c.gitNamed); err != nil {
		return 0, err
	}
	if err := gitCheck(filepath.ToSlash(realRel), c.gitNamed); err != nil {
		return 0, fmt.Errorf("%w (%s leads there)", err, rel)
	}
	// real held no link when it was resolved; a link now means a swap.
	fi, err := os.Lstat(real)
	if err != nil {
		return 0, fmt.Errorf("collect %s: %w", rel, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return 0, changedError(rel)
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		if depth == 0 {
			return 0, fmt.Errorf("collect %s: it is %s, not a regular file or folder", rel, regular.Kind(fi.Mode()))
		}
		fmt.Fprintf(c.log, "skipped %s: not a regular file or folder\n", rel)
		return 0, nil
	}
	if fi.IsDir() && depth > maxLinkDepth {
		return 0, fmt.Errorf("collect %s: folders nested deeper than %d (a link cycle?)", rel, maxLinkDepth)
	}
	if beforeOpen != nil {
		beforeOpen(rel)
	}
	f, err := c.open(realRel, rel, fi)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if fi.Mode().IsRegular() {
		return 1, c.copyFile(f, dst, rel, fi.Mode())
	}
	if err := c.bundle.MkdirAll(dst); err != nil {
		return 0, fmt.Errorf("collect %s: %w", rel, err)
	}
	ents, err := f.ReadDir(-1)
	if err != nil {
		return 0, fmt.Errorf("collect %s: %w", rel, err)
	}
	// In name order, as os.ReadDir gives: logs and limits do not depend on
	// the order the file system keeps.
	slices.SortFunc(ents, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	n := 0
	for _, e := range ents {
		if strings.EqualFold(e.Name(), ".git") && !c.gitNamed {
			// Like the glob walk: a folder's repository stays behind.
			fmt.Fprintf(c.log, "skipped %s/%s: helios collects .git only where a pattern names it\n", rel, e.Name())
			continue
		}
		k, err := c.copy(filepath.Join(real, e.Name()), path.Join(dst, e.Name()), rel+"/"+e.Name(), depth+1)
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// open opens realRel, a link-free path relative to the workspace, without
// following a link in any component and without blocking on a FIFO, and
// returns it only if it is still the file or folder checked as fi: a step
// that swapped a folder on the way for a link, or the file for another
// file or a FIFO, gets an error instead of helios reading what it planted.
func (c *copier) open(realRel, rel string, fi os.FileInfo) (*os.File, error) {
	fd, err := openBeneath(c.wsfd, filepath.ToSlash(realRel))
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EXDEV) {
		// A link, or a file where a folder was, on the way.
		return nil, changedError(rel)
	}
	if err != nil {
		return nil, fmt.Errorf("collect %s: %w", rel, &os.PathError{Op: "open", Path: realRel, Err: err})
	}
	f := os.NewFile(uintptr(fd), filepath.Join(c.ws, realRel))
	got, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("collect %s: %w", rel, err)
	}
	if !os.SameFile(fi, got) || got.Mode().Type() != fi.Mode().Type() {
		f.Close()
		return nil, changedError(rel)
	}
	return f, nil
}

func changedError(rel string) error {
	return fmt.Errorf("collect %s: it changed while it was collected (replaced, or a link put on its path, by a step running meanwhile); helios copies only the file it checked", rel)
}

// copyFile copies in, an open regular file, to the bundle path dst. The
// bundle replaces what a step left at dst rather than writing through it,
// and refuses a link on the way. The copy counts against the step's
// maxCollectBytes and stops when c.ctx is done; a partial copy is removed.
func (c *copier) copyFile(in *os.File, dst, rel string, mode os.FileMode) error {
	before := c.bytes
	left := maxCollectBytes - before
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("collect %s: %w", rel, err)
	}
	if fi.Size() > left {
		return tooMuch(rel, fi.Size(), before)
	}
	perm := os.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	out, err := c.bundle.Create(dst, perm)
	if err != nil {
		return fmt.Errorf("collect %s: %w", rel, err)
	}
	// The file may grow while it is copied: read one byte past what is
	// left to notice.
	// Hashed as it is copied: the step's product is what it wrote, and
	// the file is not read twice.
	var w io.Writer = out
	var h hash.Hash
	if c.hash {
		h = sha256.New()
		w = io.MultiWriter(out, h)
	}
	n, err := io.Copy(w, regular.NewReader(c.ctx, io.LimitReader(in, left+1)))
	c.bytes += n
	if err == nil && n > left {
		err = tooMuch(rel, -1, before)
	} else if err != nil {
		err = fmt.Errorf("collect %s: %w", rel, err)
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("collect %s: %w", rel, cerr)
	}
	if err != nil {
		c.bundle.Remove(dst)
		return err
	}
	if c.hash {
		c.copied = append(c.copied, collected{dst: dst, from: rel, sha256: hex.EncodeToString(h.Sum(nil)), size: n})
	}
	return nil
}

// tooMuch is the error for a file that would take the step past
// maxCollectBytes; size is -1 when the file grew past it while copied.
func tooMuch(rel string, size, before int64) error {
	what := "it grew while it was copied"
	if size >= 0 {
		what = "it holds " + regular.Bytes(size)
	}
	return fmt.Errorf("collect %s: %s, which takes the step past its limit of %s collected (%s copied before it)", rel, what, regular.Bytes(maxCollectBytes), regular.Bytes(before))
}
