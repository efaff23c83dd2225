// Package glob matches '/'-separated relative paths against patterns that
// extend path.Match with '**', the syntax used for the volatile globs of a
// bundle and for collecting artefacts.
//
// A pattern is split at '/' into segments. A segment that is exactly "**"
// matches zero or more whole path segments; any other segment is a path.Match
// pattern for exactly one segment ('*', '?', '[...]', and '\' to escape).
// So "**/*.log" matches "a.log" and "x/y/a.log", and "logs/**" matches
// "logs" and everything below it. A pattern ending in "/" means the same as
// the pattern with "**" appended.
//
// Unlike a shell, '*' also matches names that start with '.': bundles are
// machine-written, and hiding dot files from a volatile glob would make a
// ".cache/x" unexpectedly count as drift.
package glob

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// doubleStar is the segment that spans zero or more segments.
const doubleStar = "**"

// Valid reports why pattern is not usable, or nil. Beyond the path.Match
// syntax of each segment it refuses patterns that can never match a clean
// relative name: empty, absolute, with empty segments ("a//b"), or with "."
// or ".." segments. Refusing ".." also keeps Expand inside its root.
func Valid(pattern string) error {
	if pattern == "" {
		return errors.New("glob: empty pattern")
	}
	if strings.HasPrefix(pattern, "/") {
		return fmt.Errorf("glob %q: must be relative", pattern)
	}
	for i, seg := range split(normalize(pattern)) {
		switch seg {
		case "":
			return fmt.Errorf("glob %q: empty segment %d", pattern, i+1)
		case ".", "..":
			return fmt.Errorf("glob %q: %q segment not allowed", pattern, seg)
		case doubleStar:
			continue
		}
		// path.Match reports a malformed pattern even when the name does
		// not match, so matching against "" checks the whole segment.
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("glob %q: segment %q: %w", pattern, seg, err)
		}
	}
	return nil
}

// Match reports whether name matches pattern. A malformed pattern matches
// nothing. A trailing "/" on name (a directory written as such) is ignored.
// The empty name has no segments, so only patterns made of "**" match it.
func Match(pattern, name string) bool {
	if Valid(pattern) != nil {
		return false
	}
	name = strings.TrimSuffix(name, "/")
	return matchSegs(split(normalize(pattern)), split(name))
}

// MatchAny reports whether name matches at least one of patterns.
func MatchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if Match(p, name) {
			return true
		}
	}
	return false
}

// Expand walks root and returns, sorted, the '/'-separated paths relative to
// root of the files and directories that match pattern. It never follows a
// symbolic link: a link is matched as an entry of its own but not entered,
// and a pattern whose fixed prefix runs through a link finds nothing there.
// A pattern without metacharacters is returned as is when it exists. The walk
// starts at the pattern's fixed leading segments and does not descend deeper
// than the pattern can match. It never enters or returns a .git entry below
// those fixed segments: a repository's git folder holds credentials, so
// only a pattern that names it literally (".git/*") reaches it.
func Expand(root, pattern string) ([]string, error) {
	if err := Valid(pattern); err != nil {
		return nil, err
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("glob expand: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("glob expand: %s is not a directory", root)
	}
	segs := split(normalize(pattern))

	// The leading segments without metacharacters name one directory to start
	// from; looking them up with Lstat one by one is what keeps a symbolic
	// link in the prefix from being followed.
	n := 0
	for n < len(segs) && !hasMeta(segs[n]) {
		n++
	}
	prefix := segs[:n]
	for i := range prefix {
		rel := path.Join(prefix[:i+1]...)
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("glob expand: %w", err)
		}
		last := i == len(prefix)-1
		if last && n == len(segs) {
			// A literal pattern: it exists, whatever kind of entry it is.
			return []string{rel}, nil
		}
		if !fi.IsDir() {
			// A file or a link where the pattern needs a directory to descend.
			return nil, nil
		}
	}

	start := path.Join(prefix...) // "" when the first segment has a metacharacter

	var out []string
	walkRoot := filepath.Join(root, filepath.FromSlash(start))
	err = filepath.WalkDir(walkRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("glob expand: %w", err)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return fmt.Errorf("glob expand: %w", err)
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			// The root itself has no relative name to return.
			return nil
		}
		names := split(rel)
		if len(names) > len(prefix) && strings.EqualFold(d.Name(), ".git") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if matchSegs(segs, names) {
			out = append(out, rel)
		}
		if d.IsDir() && !couldContain(segs, names) {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// normalize turns the trailing-slash form "dir/" into "dir/**".
func normalize(pattern string) string {
	if strings.HasSuffix(pattern, "/") {
		return pattern + doubleStar
	}
	return pattern
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "/")
}

func hasMeta(seg string) bool {
	return strings.ContainsAny(seg, `*?[\`)
}

// matchSegs matches name segments against pattern segments. It is the classic
// wildcard algorithm with segments for characters: on a mismatch it retries
// from the most recent "**", letting it absorb one more segment. That is
// enough because "**" matches any run of segments, so an earlier "**" never
// needs to be revisited; the cost is O(len(pat)*len(name)) at worst.
func matchSegs(pat, name []string) bool {
	p, n := 0, 0
	star, starN := -1, 0
	for n < len(name) {
		switch {
		case p < len(pat) && pat[p] == doubleStar:
			star, starN = p, n
			p++
		case p < len(pat) && matchSeg(pat[p], name[n]):
			p++
			n++
		case star >= 0:
			starN++
			p, n = star+1, starN
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == doubleStar {
		p++
	}
	return p == len(pat)
}

func matchSeg(pat, name string) bool {
	ok, err := path.Match(pat, name)
	return err == nil && ok
}

// couldContain reports whether something below the directory dir could still
// match: true once a "**" is reached, otherwise the directory's segments must
// match the pattern's leading segments one for one.
func couldContain(pat, dir []string) bool {
	for i, d := range dir {
		if i >= len(pat) {
			return false
		}
		if pat[i] == doubleStar {
			return true
		}
		if !matchSeg(pat[i], d) {
			return false
		}
	}
	return len(dir) < len(pat)
}
