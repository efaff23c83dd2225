package engine

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

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
// outside the report root; links inside the workspace are copied as the
// files they point at, so bundles hold regular files only.
func (r *run) collect(s *mission.Step, sc *StepContext) error {
	c := s.Collect
	to := path.Clean("/" + filepath.ToSlash(c.To))[1:]
	if c.To != "" && !filepath.IsLocal(c.To) {
		return fmt.Errorf("collect to %q: must be a folder inside the report root", c.To)
	}
	dst := filepath.Join(r.reportRoot, filepath.FromSlash(to))
	realWS, err := filepath.EvalSymlinks(r.workspace)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	realRoot, err := filepath.EvalSymlinks(r.reportRoot)
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
			cp := copier{ws: realWS, root: realRoot, dstRoot: r.reportRoot, log: sc.Log}
			target := filepath.Join(dst, filepath.Base(src))
			n, err := cp.copy(src, target, m, 0)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(r.reportRoot, target)
			sc.AddOutput(filepath.ToSlash(rel))
			fmt.Fprintf(sc.Log, "collected %s → %s (%d files)\n", m, filepath.ToSlash(rel), n)
			total += n
		}
	}
	fmt.Fprintf(sc.Log, "%d files collected\n", total)
	return nil
}

type copier struct {
	ws, root string // real (link-free) paths of the workspace and report root
	dstRoot  string // the report root as the engine names it
	log      io.Writer
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// copy copies src (a file or folder, named rel in messages) to dst and
// returns how many files it wrote.
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
	if !within(dst, c.dstRoot) {
		return 0, fmt.Errorf("collect %s: destination leaves the report root", rel)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return 0, fmt.Errorf("collect %s: %w", rel, err)
	}
	switch {
	case fi.Mode().IsRegular():
		if err := c.safeDir(filepath.Dir(dst), rel); err != nil {
			return 0, err
		}
		return 1, copyFile(real, dst, fi.Mode())
	case fi.IsDir():
		if depth > maxLinkDepth {
			return 0, fmt.Errorf("collect %s: folders nested deeper than %d (a link cycle?)", rel, maxLinkDepth)
		}
		if err := c.safeDir(dst, rel); err != nil {
			return 0, err
		}
		ents, err := os.ReadDir(real)
		if err != nil {
			return 0, fmt.Errorf("collect %s: %w", rel, err)
		}
		n := 0
		for _, e := range ents {
			k, err := c.copy(filepath.Join(real, e.Name()), filepath.Join(dst, e.Name()), rel+"/"+e.Name(), depth+1)
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

// safeDir creates dir and checks that, links resolved, it is still inside
// the report root: a step may have planted a link there that leads out.
func (c *copier) safeDir(dir, rel string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("collect %s: %w", rel, err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("collect %s: %w", rel, err)
	}
	if !within(real, c.root) {
		return fmt.Errorf("collect %s: destination leads outside the report root (to %s)", rel, real)
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	perm := os.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	// Replace rather than write through: dst may be a link a step left in
	// the report root.
	os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
