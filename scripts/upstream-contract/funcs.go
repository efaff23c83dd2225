package main

import (
	"fmt"
	"regexp"
	"strings"
)

// funcDecl is a `function name(…) {…}` declaration, offsets in the source.
type funcDecl struct {
	name               string
	async              bool
	paramsOpen, params int // '(' and its ')'
	bodyOpen, bodyEnd  int // '{' and its '}'
}

var funcRe = regexp.MustCompile(`(async\s+)?\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*(?:<[^>(]*>)?\s*\(`)

// funcs lists the named function declarations. Arrow functions are not
// listed: the shapes read here (parseArgs, main) are all declarations.
func (s *source) funcs() ([]funcDecl, error) {
	var out []funcDecl
	for _, m := range funcRe.FindAllStringSubmatchIndex(s.code, -1) {
		open := m[1] - 1
		closeP, err := s.matchClose(open)
		if err != nil {
			return nil, err
		}
		// The body is the first '{' after the parameters; a ';' first means a
		// declaration without a body (an overload).
		rest := s.code[closeP+1:]
		brace := strings.IndexAny(rest, "{;")
		if brace < 0 || rest[brace] == ';' {
			continue
		}
		bodyOpen := closeP + 1 + brace
		bodyEnd, err := s.matchClose(bodyOpen)
		if err != nil {
			return nil, err
		}
		out = append(out, funcDecl{
			name: s.code[m[4]:m[5]], async: m[2] >= 0,
			paramsOpen: open, params: closeP, bodyOpen: bodyOpen, bodyEnd: bodyEnd,
		})
	}
	return out, nil
}

func (s *source) funcNamed(name string) (*funcDecl, error) {
	fs, err := s.funcs()
	if err != nil {
		return nil, err
	}
	var found *funcDecl
	for i := range fs {
		if fs[i].name == name {
			if found != nil {
				return nil, fmt.Errorf("%s: two functions named %s", s.path, name)
			}
			found = &fs[i]
		}
	}
	return found, nil
}

// enclosingFunc is the innermost declared function whose body holds off.
func (s *source) enclosingFunc(off int) (*funcDecl, error) {
	fs, err := s.funcs()
	if err != nil {
		return nil, err
	}
	var best *funcDecl
	for i := range fs {
		f := &fs[i]
		if f.bodyOpen < off && off < f.bodyEnd && (best == nil || f.bodyOpen > best.bodyOpen) {
			best = f
		}
	}
	return best, nil
}

// paramNames are the declared parameter names of f, in order.
func (s *source) paramNames(f *funcDecl) []string {
	var names []string
	for _, p := range s.splitTop(f.paramsOpen+1, f.params) {
		m := regexp.MustCompile(`^(?:\.\.\.)?([A-Za-z_$][\w$]*)`).FindString(s.code[p[0]:p[1]])
		names = append(names, strings.TrimPrefix(m, "..."))
	}
	return names
}

// callArgs returns, for every call `name(…)` or `name<T>(…)` that is not the
// declaration itself, the [start,end) ranges of its arguments and the call's
// offset.
func (s *source) calls(name string) []call {
	re := regexp.MustCompile(`(^|[^\w$.])(` + regexp.QuoteMeta(name) + `)\s*(?:<[^>()]*>)?\(`)
	var out []call
	for _, m := range re.FindAllStringSubmatchIndex(s.code, -1) {
		start := m[4]
		if regexp.MustCompile(`function\s*\*?\s*$`).MatchString(s.code[:start]) {
			continue
		}
		open := m[1] - 1
		closeP, err := s.matchClose(open)
		if err != nil {
			continue
		}
		out = append(out, call{off: start, open: open, close: closeP, args: s.splitTop(open+1, closeP)})
	}
	return out
}

type call struct {
	off, open, close int
	args             [][2]int
}

// block is a `{…}` that follows a keyword, such as try.
type block struct{ open, end int }

// tryBlocks lists every `try {…}` in the source.
func (s *source) tryBlocks() ([]block, error) {
	var out []block
	for _, m := range regexp.MustCompile(`\btry\s*\{`).FindAllStringIndex(s.code, -1) {
		end, err := s.matchClose(m[1] - 1)
		if err != nil {
			return nil, err
		}
		out = append(out, block{m[1] - 1, end})
	}
	return out, nil
}
