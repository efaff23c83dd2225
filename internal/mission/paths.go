package mission

import (
	"path"
	"strings"

	"github.com/helios-action/helios-action/internal/glob"
)

// pathProblem is why a relative path or glob from the mission file is not
// acceptable, as a message fragment and an error kind.
type pathProblem struct {
	kind Kind
	msg  string
}

// cleanRelPath checks a path that must stay inside the folder it is relative
// to (the workspace or the report root) and returns it cleaned, with "" for
// the folder itself. ".." is refused outright, even where it would cancel
// out ("a/../b"), because the runner joins these paths onto real folders and
// a rule with no exceptions is one a reader can check by eye. allowBase says
// whether the folder itself ("." or "./") is acceptable.
func cleanRelPath(p string, allowBase bool) (string, *pathProblem) {
	switch {
	case p == "":
		return "", &pathProblem{KindEmpty, "must not be empty"}
	case strings.ContainsRune(p, 0):
		return "", &pathProblem{KindValue, "must not contain a NUL character"}
	case strings.Contains(p, `\`):
		// The action runs on Linux, where '\' is an ordinary file name
		// character: a Windows-style path would silently name one oddly
		// named folder.
		return "", &pathProblem{KindValue, "must use forward slashes, got " + quote(p)}
	case strings.HasPrefix(p, "/"):
		return "", &pathProblem{KindValue, "must be relative, got the absolute path " + quote(p)}
	case hasDotDot(p):
		return "", &pathProblem{KindValue, "must not contain \"..\", got " + quote(p)}
	}
	c := path.Clean(p)
	if c == "." {
		if !allowBase {
			return "", &pathProblem{KindValue, "must name a folder below the workspace, not the workspace itself"}
		}
		return "", nil
	}
	return c, nil
}

// checkGlob checks a glob in the dialect of package glob, which the runner
// uses to expand "collect.from" and to match "volatile", and says what is
// wrong as a phrase to follow the glob. The glob is kept as written: in that
// dialect a trailing "/" means "and everything below", so cleaning would
// change its meaning. The common mistakes get messages of their own;
// glob.Valid has the last word.
func checkGlob(g string) *pathProblem {
	switch {
	case g == "":
		return &pathProblem{KindEmpty, "must not be empty"}
	case strings.HasPrefix(g, "/"):
		return &pathProblem{KindValue, "must be relative"}
	case hasDotDot(g):
		return &pathProblem{KindValue, "must not contain \"..\""}
	}
	if err := glob.Valid(g); err != nil {
		return &pathProblem{KindValue, "is not valid: " + strings.TrimPrefix(err.Error(), "glob "+quote(g)+": ")}
	}
	return nil
}

func hasDotDot(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}
