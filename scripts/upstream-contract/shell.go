package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// shellScript is a bash script read line by line: its top-level assignments
// evaluated in order, so `${NAME:-default}` of a name not yet assigned is an
// env read with that default.
type shellScript struct {
	path     string
	lines    []string
	inFunc   []bool // line i is inside a function body
	vars     map[string]shVal
	varLine  map[string]int
	env      map[string]bool
	defaults []EnvDef
}

type shVal struct {
	v          string
	env        []string
	unresolved bool // a command substitution or similar
}

var (
	shFuncStart = regexp.MustCompile(`^[A-Za-z_]\w*\(\)\s*\{\s*$`)
	shAssign    = regexp.MustCompile(`^([A-Za-z_]\w*)=(.*)$`)
	shAnyAssign = regexp.MustCompile(`(?m)^\s*(?:local\s+|export\s+|readonly\s+)?([A-Za-z_]\w*)=`)
	shFor       = regexp.MustCompile(`\bfor\s+([A-Za-z_]\w*)\s+in\b`)
	shRef       = regexp.MustCompile(`\$\{#?([A-Za-z_]\w*)|\$([A-Za-z_]\w*)`)
	// Positional parameters or option parsing at the top level.
	shArgs = regexp.MustCompile(`\$[1-9@*#]|\$\{[1-9@*#]|\bgetopts\b|^\s*shift\b`)
)

// shellBuiltins are variables bash sets itself; a reference is no env read.
var shellBuiltins = map[string]bool{"BASH_SOURCE": true, "BASH_REMATCH": true, "FUNCNAME": true, "LINENO": true, "PWD": true, "RANDOM": true, "IFS": true}

func parseShell(path, text string) (*shellScript, error) {
	sh := &shellScript{path: path, lines: strings.Split(text, "\n"), vars: map[string]shVal{}, varLine: map[string]int{}, env: map[string]bool{}}
	sh.inFunc = make([]bool, len(sh.lines))
	in := false
	for i, l := range sh.lines {
		switch {
		case shFuncStart.MatchString(l):
			in = true
		case in && regexp.MustCompile(`^\}\s*$`).MatchString(l):
			sh.inFunc[i] = true
			in = false
			continue
		}
		sh.inFunc[i] = in
	}
	if in {
		return nil, fmt.Errorf("%s: a function body never closes", path)
	}
	for i, l := range sh.lines {
		if sh.inFunc[i] || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		if shArgs.MatchString(l) {
			return nil, fmt.Errorf("%s:%d: the script reads its arguments (%q)", path, i+1, strings.TrimSpace(l))
		}
		m := shAssign.FindStringSubmatch(l)
		if m == nil || strings.HasPrefix(m[2], "(") {
			continue // arrays are not paths
		}
		raw := m[2]
		if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
			raw = raw[1 : len(raw)-1]
		} else if len(raw) >= 2 && raw[0] == '\'' && raw[len(raw)-1] == '\'' {
			sh.vars[m[1]] = shVal{v: raw[1 : len(raw)-1]}
			sh.varLine[m[1]] = i + 1
			continue
		}
		v, err := sh.expand(raw, i+1)
		if err != nil {
			return nil, err
		}
		sh.vars[m[1]] = v
		sh.varLine[m[1]] = i + 1
	}
	// References to names assigned nowhere in the script (in function
	// bodies, tests, commands) are env reads too, with no default.
	assigned := map[string]bool{}
	for _, m := range shAnyAssign.FindAllStringSubmatch(text, -1) {
		assigned[m[1]] = true
	}
	for _, m := range shFor.FindAllStringSubmatch(text, -1) {
		assigned[m[1]] = true
	}
	for _, l := range sh.lines {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		for _, m := range shRef.FindAllStringSubmatch(l, -1) {
			n := m[1] + m[2]
			if !assigned[n] && !shellBuiltins[n] {
				sh.env[n] = true
			}
		}
	}
	sort.Slice(sh.defaults, func(i, j int) bool { return sh.defaults[i].Name < sh.defaults[j].Name })
	return sh, nil
}

// expand evaluates a double-quoted word: ${N:-d}, ${N:+w}, ${N}, $N and
// $(…). A name assigned earlier in the script takes its value; any other
// name is read from the environment.
func (sh *shellScript) expand(w string, line int) (shVal, error) {
	var out shVal
	for i := 0; i < len(w); {
		if w[i] != '$' || i+1 >= len(w) {
			out.v += w[i : i+1]
			i++
			continue
		}
		switch {
		case w[i+1] == '(':
			end, ok := matchShell(w, i+1, '(', ')')
			if !ok {
				return out, fmt.Errorf("%s:%d: unbalanced $(", sh.path, line)
			}
			out.unresolved = true
			i = end + 1
		case w[i+1] == '{':
			end, ok := matchShell(w, i+1, '{', '}')
			if !ok {
				return out, fmt.Errorf("%s:%d: unbalanced ${", sh.path, line)
			}
			inner := w[i+2 : end]
			m := regexp.MustCompile(`^([A-Za-z_]\w*)(?:(:[-+])(.*))?$`).FindStringSubmatch(inner)
			if m == nil {
				return out, fmt.Errorf("%s:%d: unsupported expansion ${%s}", sh.path, line, inner)
			}
			v, err := sh.ref(m[1], m[2], m[3], line)
			if err != nil {
				return out, err
			}
			out.merge(v)
			i = end + 1
		default:
			m := regexp.MustCompile(`^[A-Za-z_]\w*`).FindString(w[i+1:])
			if m == "" {
				out.v += "$"
				i++
				continue
			}
			v, err := sh.ref(m, "", "", line)
			if err != nil {
				return out, err
			}
			out.merge(v)
			i += 1 + len(m)
		}
	}
	out.env = sortedUnique(out.env)
	return out, nil
}

func (v *shVal) merge(o shVal) {
	v.v += o.v
	v.env = append(v.env, o.env...)
	v.unresolved = v.unresolved || o.unresolved
}

func (sh *shellScript) ref(name, op, word string, line int) (shVal, error) {
	if v, ok := sh.vars[name]; ok {
		return v, nil
	}
	if shellBuiltins[name] {
		return shVal{unresolved: true}, nil
	}
	sh.env[name] = true
	switch op {
	case ":-":
		d, err := sh.expand(word, line)
		if err != nil {
			return d, err
		}
		sh.defaults = append(sh.defaults, EnvDef{Name: name, Default: d.v, Line: line})
		d.env = sortedUnique(append(d.env, name))
		return d, nil
	case ":+":
		// Unset by default, so the word is not used.
		return shVal{env: []string{name}}, nil
	}
	return shVal{env: []string{name}}, nil
}

func matchShell(w string, open int, o, c byte) (int, bool) {
	depth := 0
	for i := open; i < len(w); i++ {
		switch w[i] {
		case o:
			depth++
		case c:
			depth--
			if depth == 0 {
				return i, true
			}
		}
	}
	return 0, false
}

// envNames lists every env var the script reads.
func (sh *shellScript) envNames() []string {
	var out []string
	for n := range sh.env {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// pathOf returns a variable's resolved value; it fails when the variable is
// missing or depends on a command substitution.
func (sh *shellScript) pathOf(name string) (shVal, int, error) {
	v, ok := sh.vars[name]
	if !ok {
		return v, 0, fmt.Errorf("%s: no top-level assignment of %s", sh.path, name)
	}
	if v.unresolved {
		return v, 0, fmt.Errorf("%s:%d: %s depends on a command substitution", sh.path, sh.varLine[name], name)
	}
	return v, sh.varLine[name], nil
}

var shChildRe = regexp.MustCompile(`\b(?:ts-node|hardhat\s+run)\b[^\n]*?\s((?:[\w.@-]+/)+[\w.@-]+\.ts)\b`)

// children lists the .ts programs the script starts with ts-node or
// hardhat run.
func (sh *shellScript) children() []string {
	var out []string
	for _, l := range sh.lines {
		for _, m := range shChildRe.FindAllStringSubmatch(l, -1) {
			out = append(out, m[1])
		}
	}
	return sortedUnique(out)
}

// funcBody returns the lines of the shell function name.
func (sh *shellScript) funcBody(name string) (string, error) {
	for i, l := range sh.lines {
		if strings.HasPrefix(l, name+"()") {
			var body []string
			for j := i + 1; j < len(sh.lines) && sh.inFunc[j]; j++ {
				body = append(body, sh.lines[j])
			}
			return strings.Join(body, "\n"), nil
		}
	}
	return "", fmt.Errorf("%s: no function %s", sh.path, name)
}
