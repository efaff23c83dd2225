// Package bundlefs is the report root as helios holds it: an open folder
// that every bundle write goes through, resolved and written without ever
// following a symbolic link, so a link a pull request committed or a step
// planted cannot send a write (or a delete) outside the bundle.
package bundlefs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/helios-action/helios-action/internal/manifest"
)

// RefusedError says why a folder cannot be the report root, and what to do
// about it. Callers treat it as a usage problem.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

// LinkError is a write refused because a component of its path is a
// symbolic link (or not a folder where one is needed).
type LinkError struct {
	Op, Name string // the operation and the bundle path it was for
	Comp     string // the bundle path of the offending component
}

func (e *LinkError) Error() string {
	return fmt.Sprintf("%s %s: %s is a symbolic link or not a folder; helios does not write through links in the bundle (did a step replace it?)", e.Op, e.Name, e.Comp)
}

// maxManifest bounds how much of an old manifest.json is read to decide
// whether a folder holds a previous bundle.
const maxManifest = 64 << 20

// maxDepth bounds the folders nested inside a bundle that removal walks, so
// a hostile tree ends in an error rather than running out of descriptors.
const maxDepth = 256

// isGit reports whether a path component names a git folder. Case is
// folded: on a case-insensitive file system ".GIT" is the repository too.
func isGit(comp string) bool { return strings.EqualFold(comp, ".git") }

// splitRel checks a '/'-separated path relative to the root and returns its
// components: it must be clean, local and free of ".git".
func splitRel(op, name string) ([]string, error) {
	if name == "" || name == "." || path.IsAbs(name) || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
		return nil, fmt.Errorf("%s %q: not a clean path inside the bundle", op, name)
	}
	comps := strings.Split(name, "/")
	for _, c := range comps {
		if isGit(c) {
			return nil, fmt.Errorf("%s %s: a bundle never holds a .git folder", op, name)
		}
		if strings.IndexByte(c, 0) >= 0 {
			return nil, fmt.Errorf("%s %q: name holds a NUL byte", op, name)
		}
	}
	return comps, nil
}

// checkRootRel validates the report root relative to the workspace.
func checkRootRel(rel string) ([]string, error) {
	if rel == "" || rel == "." {
		return nil, &RefusedError{"report root: the workspace itself cannot be the report root (helios empties it); name a folder inside it, such as reports"}
	}
	if path.IsAbs(rel) || path.Clean(rel) != rel || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, &RefusedError{fmt.Sprintf("report root %q: must be a clean path inside the workspace", rel)}
	}
	comps := strings.Split(rel, "/")
	for i, c := range comps {
		if isGit(c) {
			return nil, &RefusedError{fmt.Sprintf("report root %q: %s is the repository's git folder; helios never writes there (name another report-root)", rel, strings.Join(comps[:i+1], "/"))}
		}
	}
	return comps, nil
}

// isBundle reports whether b, an old manifest.json, was written by helios.
func isBundle(r io.Reader) bool {
	b, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil || len(b) > maxManifest {
		return false
	}
	var m struct {
		Tool manifest.Tool `json:"tool"`
	}
	return json.Unmarshal(b, &m) == nil && m.Tool.Name == "helios"
}

func notOurs(rel string) error {
	return &RefusedError{fmt.Sprintf("report root %s holds files that are not a helios bundle (no manifest.json written by helios), and helios empties its report root; name another report-root, or remove the folder", rel)}
}

var errTooDeep = errors.New("folders nested too deep")
