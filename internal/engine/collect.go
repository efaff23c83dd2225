package engine

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/mission"
)

// maxLinkDepth bounds nested folder links followed while copying, so a link
// cycle inside the workspace ends in an error instead of a full disk.
const maxLinkDepth = 32

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
// holds credentials (actions/checkout writes the token there).
func (r *run) collect(s *mission.Step, sc *StepContext) error {
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
		for _, m := range matches {
			src := filepath.Join(r.workspace, filepath.FromSlash(m))
			cp := copier{ws: realWS, root: realRoot, bundle: r.bundle, log: sc.Log, gitNamed: namesGit(pat)}
			target := path.Join(to, path.Base(m))
			if to == "" {
				target = path.Base(m)
			}
			n, err := cp.copy(src, target, m, 0)
			if err != nil {
				return err
			}
			sc.AddOutput(target)
			fmt.Fprintf(sc.Log, "collected %s → %s (%d files)\n", m, target, n)
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
	ws, root string // real (link-free) paths of the workspace and report root
	bundle   *bundlefs.Dir
	log      io.Writer
	gitNamed bool // the pattern named .git/
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// copy copies src (a file or folder, named rel in messages) to dst, a
// bundle path, and returns how many files it wrote.
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
	// Check the name as given and, for a link, where it leads.
	if err := gitCheck(rel, c.gitNamed); err != nil {
		return 0, err
	}
	if realRel, err := filepath.Rel(c.ws, real); err == nil {
		if err := gitCheck(filepath.ToSlash(realRel), c.gitNamed); err != nil {
			return 0, fmt.Errorf("%w (%s leads there)", err, rel)
		}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return 0, fmt.Errorf("collect %s: %w", rel, err)
	}
	switch {
	case fi.Mode().IsRegular():
		return 1, c.copyFile(real, dst, rel, fi.Mode())
	case fi.IsDir():
		if depth > maxLinkDepth {
			return 0, fmt.Errorf("collect %s: folders nested deeper than %d (a link cycle?)", rel, maxLinkDepth)
		}
		if err := c.bundle.MkdirAll(dst); err != nil {
			return 0, fmt.Errorf("collect %s: %w", rel, err)
		}
		ents, err := os.ReadDir(real)
		if err != nil {
			return 0, fmt.Errorf("collect %s: %w", rel, err)
		}
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
	default:
		fmt.Fprintf(c.log, "skipped %s: not a regular file or folder\n", rel)
		return 0, nil
	}
}

// copyFile copies src to the bundle path dst. The bundle replaces what a
// step left at dst rather than writing through it, and refuses a link on
// the way.
func (c *copier) copyFile(src, dst, rel string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("collect %s: %w", rel, err)
	}
	defer in.Close()
	perm := os.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	out, err := c.bundle.Create(dst, perm)
	if err != nil {
		return fmt.Errorf("collect %s: %w", rel, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("collect %s: %w", rel, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("collect %s: %w", rel, err)
	}
	return nil
}
