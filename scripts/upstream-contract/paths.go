package main

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// pathVal is a path (relative to the checkout, "" for its root) or a plain
// string such as a basename, with the env vars that change it.
type pathVal struct {
	p   string
	env []string
}

// pathEval evaluates the path expressions of one source: path.join/resolve
// over literals, __dirname and known constants, and the env-override helpers
// the demos define. Anything else is an error, never a guess.
type pathEval struct {
	s      *source
	consts map[string]pathVal
	lines  map[string]int
}

func newPathEval(s *source) *pathEval {
	return &pathEval{s: s, consts: map[string]pathVal{}, lines: map[string]int{}}
}

func (pe *pathEval) eval(a, b int) (pathVal, error) {
	s := pe.s
	a = s.skipSpace(a)
	for b > a && isSpace(s.code[b-1]) {
		b--
	}
	code := s.code[a:b]
	fail := func(what string) (pathVal, error) {
		return pathVal{}, fmt.Errorf("%s:%d: cannot evaluate %s %q", s.path, s.line(a), what, strings.TrimSpace(s.text[a:b]))
	}
	if q := s.text[a]; q == '\'' || q == '"' {
		v, after, err := s.literal(a)
		if err != nil || after != b {
			return fail("literal")
		}
		return pathVal{p: v}, nil
	}
	if code == "__dirname" {
		return pathVal{p: path.Dir(s.path)}, nil
	}
	if v, ok := pe.consts[code]; ok {
		return v, nil
	}
	// process.env.NAME || 'x', process.env.NAME?.trim() || 'x'
	if m := regexp.MustCompile(`^process\.env\.(\w+)(?:\?\.trim\(\))?\s*\|\|\s*(['"])`).FindStringSubmatchIndex(code); m != nil {
		v, after, err := s.literal(a + m[4])
		if err != nil || after != b {
			return fail("env default")
		}
		return pathVal{p: v, env: []string{code[m[2]:m[3]]}}, nil
	}
	m := regexp.MustCompile(`^([\w.]+)\s*\(`).FindStringSubmatchIndex(code)
	if m == nil {
		return fail("expression")
	}
	open := a + m[1] - 1
	closeP, err := s.matchClose(open)
	if err != nil || closeP != b-1 {
		return fail("call")
	}
	args := s.splitTop(open+1, closeP)
	fn := code[m[2]:m[3]]
	switch fn {
	case "path.join", "path.resolve":
		var parts []string
		var env []string
		for _, arg := range args {
			v, err := pe.eval(arg[0], arg[1])
			if err != nil {
				return pathVal{}, err
			}
			if fn == "path.resolve" && path.IsAbs(v.p) {
				parts = nil
			}
			parts = append(parts, v.p)
			env = append(env, v.env...)
		}
		p := path.Join(parts...)
		if p == "." {
			p = ""
		}
		if p == ".." || strings.HasPrefix(p, "../") {
			return fail("path leaving the checkout")
		}
		return pathVal{p: p, env: sortedUnique(env)}, nil
	case "resolvePathFromEnv":
		// resolvePathFromEnv('ENV', default): ENV replaces the whole path.
		if len(args) != 2 || !pe.helperReadsEnv(fn) {
			return fail("resolvePathFromEnv call")
		}
		name, err := pe.eval(args[0][0], args[0][1])
		if err != nil {
			return pathVal{}, err
		}
		v, err := pe.eval(args[1][0], args[1][1])
		if err != nil {
			return pathVal{}, err
		}
		return pathVal{p: v.p, env: sortedUnique(append(v.env, name.p))}, nil
	case "resolveWithin":
		// resolveWithin(base, 'ENV', 'leaf'): base/leaf unless ENV is set.
		if len(args) != 3 || !pe.helperReadsEnv(fn) {
			return fail("resolveWithin call")
		}
		base, err := pe.eval(args[0][0], args[0][1])
		if err != nil {
			return pathVal{}, err
		}
		name, err := pe.eval(args[1][0], args[1][1])
		if err != nil {
			return pathVal{}, err
		}
		leaf, err := pe.eval(args[2][0], args[2][1])
		if err != nil {
			return pathVal{}, err
		}
		return pathVal{p: path.Join(base.p, leaf.p), env: sortedUnique(append(append([]string{}, base.env...), name.p))}, nil
	case "resolveWithDefault":
		// resolveWithDefault(process.env.ENV, 'default relative to the root').
		em := regexp.MustCompile(`^process\.env\.(\w+)$`).FindStringSubmatch(strings.TrimSpace(s.code[args[0][0]:args[0][1]]))
		if len(args) != 2 || em == nil {
			return fail("resolveWithDefault call")
		}
		v, err := pe.eval(args[1][0], args[1][1])
		if err != nil {
			return pathVal{}, err
		}
		return pathVal{p: path.Clean(v.p), env: []string{em[1]}}, nil
	}
	return fail("call")
}

// helperReadsEnv checks that the helper named fn is declared here and reads
// process.env[its parameter], so the evaluation above matches its code.
func (pe *pathEval) helperReadsEnv(fn string) bool {
	f, err := pe.s.funcNamed(fn)
	if err != nil || f == nil {
		return false
	}
	params := pe.s.paramNames(f)
	k := 1
	if fn == "resolvePathFromEnv" {
		k = 0
	}
	if k >= len(params) {
		return false
	}
	return regexp.MustCompile(`process\.env\[\s*` + params[k] + `\s*\]`).MatchString(pe.s.code[f.bodyOpen:f.bodyEnd])
}

var constRe = regexp.MustCompile(`(?m)^(?:export\s+)?const\s+([A-Za-z_]\w*)\s*(?::\s*[\w.<>\[\]| ]+)?=\s*`)

// topConsts evaluates every top-level const whose initializer is a path
// call. One that starts like a path but cannot be evaluated is an error.
func (pe *pathEval) topConsts() error {
	s := pe.s
	for _, m := range constRe.FindAllStringSubmatchIndex(s.code, -1) {
		name := s.code[m[2]:m[3]]
		start := m[1]
		if !regexp.MustCompile(`^(?:path\.(?:join|resolve)|resolvePathFromEnv|resolveWithin)\s*\(`).MatchString(s.code[start:]) {
			continue
		}
		end := s.stmtEnd(start)
		v, err := pe.eval(start, end)
		if err != nil {
			return err
		}
		pe.consts[name] = v
		pe.lines[name] = s.line(m[0])
	}
	return nil
}

// stmtEnd is the offset of the ';' ending the statement whose expression
// starts at a. The upstream sources end every statement with one (Prettier);
// a missing one runs to the end of the file, and evaluation then fails.
func (s *source) stmtEnd(a int) int {
	depth := 0
	for i := a; i < len(s.code); i++ {
		switch s.code[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ';':
			if depth == 0 {
				return i
			}
		}
	}
	return len(s.code)
}

func sortedUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func under(p, root string) bool {
	return root == "" || strings.HasPrefix(p, root+"/")
}

// demoPaths splits the path constants of a demo into the ones under its
// report root (rootConst), which it writes, and the others.
func (pe *pathEval) demoPaths(rootConst string) (writes, others []Write, err error) {
	s := pe.s
	root, ok := pe.consts[rootConst]
	if !ok {
		return nil, nil, fmt.Errorf("%s: no path constant %s", s.path, rootConst)
	}
	if root.p == "" {
		return nil, nil, fmt.Errorf("%s: %s is the checkout root", s.path, rootConst)
	}
	names := make([]string, 0, len(pe.consts))
	for n := range pe.consts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := pe.consts[n]
		if n == rootConst || v.p == "" {
			continue
		}
		w := Write{Path: v.p, Env: v.env, Line: pe.lines[n]}
		if !under(v.p, root.p) {
			w.Note = "constant " + n + ": a path outside the report root (an input, or passed to a step)"
			others = append(others, w)
			continue
		}
		// A directory is one the demo creates with fs.mkdir(NAME, …).
		if regexp.MustCompile(`\bfs\.mkdir\(\s*` + n + `\s*,`).MatchString(s.code) {
			w.Dir = true
			w.Path += "/"
		}
		writes = append(writes, w)
	}
	return writes, others, nil
}

// kitDefault reads the kit library's default output basename and checks the
// two files it names after it.
func kitDefault(lib *source) (string, error) {
	m := regexp.MustCompile(`\bconst\s+outputBasename\s*=\s*options\.outputBasename\s*\?\?\s*(['"])`).FindStringSubmatchIndex(lib.code)
	if m == nil {
		return "", fmt.Errorf("%s: no `const outputBasename = options.outputBasename ?? '…'`", lib.path)
	}
	v, _, err := lib.literal(m[2])
	if err != nil {
		return "", err
	}
	for _, ext := range []string{"json", "md"} {
		if !regexp.MustCompile(`path\.join\(\s*reportRoot\s*,\s*\x60\$\{outputBasename\}\.` + ext + `\x60\s*\)`).MatchString(lib.text) {
			return "", fmt.Errorf("%s: the kit no longer writes reportRoot/${outputBasename}.%s", lib.path, ext)
		}
	}
	return v, nil
}

// kitWrites is the pair of files the kit writes for a report root and a
// basename.
func kitWrites(root, base pathVal, flags []string, from string, line int) []Write {
	env := sortedUnique(append(append([]string{}, root.env...), base.env...))
	var out []Write
	for _, ext := range []string{"json", "md"} {
		out = append(out, Write{Path: path.Join(root.p, base.p+"."+ext), Env: env, Flags: flags, From: from, Line: line})
	}
	return out
}

// objectProps reads the `key: value` properties of the object literal whose
// '{' is at open. Shorthand properties map to their own name.
func (s *source) objectProps(open int) (map[string][2]int, error) {
	end, err := s.matchClose(open)
	if err != nil {
		return nil, err
	}
	props := map[string][2]int{}
	for _, p := range s.splitTop(open+1, end) {
		m := regexp.MustCompile(`^([A-Za-z_]\w*)\s*(:\s*)?`).FindStringSubmatchIndex(s.code[p[0]:p[1]])
		if m == nil {
			continue // a spread
		}
		key := s.code[p[0]+m[2] : p[0]+m[3]]
		if m[4] < 0 {
			props[key] = [2]int{p[0] + m[2], p[0] + m[3]}
			continue
		}
		props[key] = [2]int{p[0] + m[1], p[1]}
	}
	return props, nil
}

var kitImportRe = regexp.MustCompile(`import\s*\{[^}]*\bgenerateAsiTakeoffKit\b[^}]*\}\s*from\s*'(\.\.?/[^']+)'`)

// kitLibPath is the source file generateAsiTakeoffKit is imported from.
func kitLibPath(s *source) (string, error) {
	m := kitImportRe.FindStringSubmatch(s.text)
	if m == nil {
		return "", fmt.Errorf("%s: generateAsiTakeoffKit is not imported from a relative module", s.path)
	}
	return path.Join(path.Dir(s.path), m[1]) + ".ts", nil
}

// demoKitWrites reads every generateAsiTakeoffKit({…}) call of a demo: its
// reportRoot constant and its outputBasename (a constant, or the library's
// default when absent).
func (pe *pathEval) demoKitWrites(lib *source) ([]Write, error) {
	s := pe.s
	def, err := kitDefault(lib)
	if err != nil {
		return nil, err
	}
	ms := regexp.MustCompile(`\bgenerateAsiTakeoffKit\(\s*\{`).FindAllStringIndex(s.code, -1)
	if len(ms) == 0 {
		return nil, fmt.Errorf("%s: no generateAsiTakeoffKit({…}) call", s.path)
	}
	seen := map[string]bool{}
	var out []Write
	for _, m := range ms {
		props, err := s.objectProps(m[1] - 1)
		if err != nil {
			return nil, err
		}
		r, ok := props["reportRoot"]
		if !ok {
			return nil, fmt.Errorf("%s:%d: generateAsiTakeoffKit call without reportRoot", s.path, s.line(m[0]))
		}
		root, err := pe.eval(r[0], r[1])
		if err != nil {
			return nil, err
		}
		base := pathVal{p: def}
		if b, ok := props["outputBasename"]; ok {
			if base, err = pe.constInit(b[0], b[1]); err != nil {
				return nil, err
			}
		}
		for _, w := range kitWrites(root, base, nil, lib.path, s.line(m[0])) {
			if !seen[w.Path] {
				seen[w.Path] = true
				out = append(out, w)
			}
		}
	}
	return out, nil
}

// constInit evaluates an identifier through its `const NAME = …;`
// initializer, or the expression itself when it is not an identifier.
func (pe *pathEval) constInit(a, b int) (pathVal, error) {
	s := pe.s
	id := strings.TrimSpace(s.code[a:b])
	if !regexp.MustCompile(`^[A-Za-z_]\w*$`).MatchString(id) {
		return pe.eval(a, b)
	}
	if v, ok := pe.consts[id]; ok {
		return v, nil
	}
	m := regexp.MustCompile(`\bconst\s+` + id + `\s*=\s*`).FindStringIndex(s.code)
	if m == nil {
		return pathVal{}, fmt.Errorf("%s:%d: no const %s", s.path, s.line(a), id)
	}
	return pe.eval(m[1], s.stmtEnd(m[1]))
}
