package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var (
	envDotRe   = regexp.MustCompile(`\bprocess\.env\.([A-Za-z_$][\w$]*)`)
	envIndexRe = regexp.MustCompile(`\bprocess\.env\s*\[`)
	envWholeRe = regexp.MustCompile(`(\.\.\.)?\bprocess\.env\b\s*([^.\[\s]|$)`)
	envAliasRe = regexp.MustCompile(`\bprocess\.env\.\w+(?:\s*(?:\?\?|\|\|)\s*process\.env\.\w+)+`)
)

// envReads lists the env names the file reads: process.env.NAME,
// process.env['NAME'] and process.env[ID] where ID resolves to string
// constants. Reads it cannot resolve are returned as dynamic, not dropped.
// Spreading the whole env into a child's (…process.env) is not a read.
func (s *source) envReads() ([]string, []EnvRead, error) {
	names := map[string]bool{}
	for _, m := range envDotRe.FindAllStringSubmatch(s.code, -1) {
		names[m[1]] = true
	}
	var dynamic []EnvRead
	for _, m := range envIndexRe.FindAllStringIndex(s.code, -1) {
		open := m[1] - 1
		closeP, err := s.matchClose(open)
		if err != nil {
			return nil, nil, err
		}
		got, err := s.resolveStrings(open+1, closeP, m[0], 0)
		if err != nil {
			return nil, nil, err
		}
		if got == nil {
			dynamic = append(dynamic, EnvRead{Expr: strings.TrimSpace(s.text[open+1 : closeP]), Line: s.line(m[0])})
		}
		for _, n := range got {
			names[n] = true
		}
	}
	for _, m := range envWholeRe.FindAllStringSubmatchIndex(s.code, -1) {
		if m[2] >= 0 {
			continue // ...process.env
		}
		dynamic = append(dynamic, EnvRead{Expr: "process.env (the whole object)", Line: s.line(m[0])})
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, dynamic, nil
}

// resolveStrings resolves the expression code[a:b] to the string constants it
// can take: a literal; a `const ID = 'X'`; a `for (const ID of LIST)` over a
// const array of those; or a parameter of the enclosing function, through the
// literal arguments of every call. nil means "not known".
func (s *source) resolveStrings(a, b, at, depth int) ([]string, error) {
	if depth > 4 {
		return nil, nil
	}
	a = s.skipSpace(a)
	for b > a && isSpace(s.code[b-1]) {
		b--
	}
	if a >= b {
		return nil, nil
	}
	if q := s.text[a]; q == '\'' || q == '"' {
		v, after, err := s.literal(a)
		if err != nil || after != b {
			return nil, err
		}
		return []string{v}, nil
	}
	id := s.code[a:b]
	if !regexp.MustCompile(`^[A-Za-z_$][\w$]*$`).MatchString(id) {
		return nil, nil
	}
	if m := regexp.MustCompile(`\bconst\s+` + regexp.QuoteMeta(id) + `\s*(?::\s*string\s*)?=\s*(['"])`).FindStringSubmatchIndex(s.code); m != nil {
		v, _, err := s.literal(m[2])
		if err != nil {
			return nil, err
		}
		return []string{v}, nil
	}
	if m := regexp.MustCompile(`\bfor\s*\(\s*const\s+` + regexp.QuoteMeta(id) + `\s+of\s+(\w+)\s*\)`).FindStringSubmatch(s.code); m != nil {
		am := regexp.MustCompile(`\bconst\s+` + m[1] + `\s*(?::[^=]+)?=\s*\[`).FindStringIndex(s.code)
		if am == nil {
			return nil, nil
		}
		closeB, err := s.matchClose(am[1] - 1)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, el := range s.splitTop(am[1], closeB) {
			got, err := s.resolveStrings(el[0], el[1], el[0], depth+1)
			if err != nil || got == nil {
				return nil, err
			}
			out = append(out, got...)
		}
		return out, nil
	}
	f, err := s.enclosingFunc(at)
	if err != nil || f == nil {
		return nil, err
	}
	k := -1
	for i, p := range s.paramNames(f) {
		if p == id {
			k = i
		}
	}
	if k < 0 {
		return nil, nil
	}
	var out []string
	calls := s.calls(f.name)
	if len(calls) == 0 {
		return nil, nil
	}
	for _, c := range calls {
		if k >= len(c.args) {
			return nil, nil
		}
		got, err := s.resolveStrings(c.args[k][0], c.args[k][1], c.off, depth+1)
		if err != nil || got == nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// envAliases lists fallback chains `process.env.A ?? process.env.B || …`:
// each later name is read only when the ones before it are unset or empty.
func (s *source) envAliases() []EnvAlias {
	var out []EnvAlias
	for _, m := range envAliasRe.FindAllStringIndex(s.code, -1) {
		names := envDotRe.FindAllStringSubmatch(s.code[m[0]:m[1]], -1)
		a := EnvAlias{Name: names[0][1], Line: s.line(m[0])}
		for _, n := range names[1:] {
			a.Aliases = append(a.Aliases, n[1])
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var (
	envConstRe = regexp.MustCompile(`\bconst\s+(\w+)\s*=\s*process\.env\.(\w+)(?:\s*(?:\?\?|\|\|)\s*process\.env\.(\w+))?\s*;`)
	envPropRe  = regexp.MustCompile(`\b(\w+)\s*:\s*(?:resolveWithDefault\(\s*process\.env\.(\w+)\s*,\s*(['"])|process\.env\.(\w+)\s*\|\|\s*(['"])|resolveOptional\(\s*process\.env\.(\w+)\s*\))`)
)

// envOptions lists env vars that set an option field: `const v =
// process.env.A ?? process.env.B;` then `options.f = v…`, and object
// properties `f: resolveWithDefault(process.env.A, 'default')`,
// `f: process.env.A || 'default'`, `f: resolveOptional(process.env.A)`.
func (s *source) envOptions() ([]EnvOpt, error) {
	var out []EnvOpt
	for _, m := range envConstRe.FindAllStringSubmatchIndex(s.code, -1) {
		v := s.code[m[2]:m[3]]
		sm := regexp.MustCompile(`\boptions\.(\w+)\s*=\s*` + v + `\b`).FindStringSubmatch(s.code)
		if sm == nil {
			continue
		}
		o := EnvOpt{Name: s.code[m[4]:m[5]], Sets: sm[1], Line: s.line(m[0])}
		if m[6] >= 0 {
			o.Aliases = []string{s.code[m[6]:m[7]]}
		}
		out = append(out, o)
	}
	for _, m := range envPropRe.FindAllStringSubmatchIndex(s.code, -1) {
		o := EnvOpt{Sets: s.code[m[2]:m[3]], Line: s.line(m[0])}
		var q int
		switch {
		case m[4] >= 0:
			o.Name, q = s.code[m[4]:m[5]], m[6]
		case m[8] >= 0:
			o.Name, q = s.code[m[8]:m[9]], m[10]
		default:
			o.Name, q = s.code[m[12]:m[13]], -1
		}
		if q >= 0 {
			v, _, err := s.literal(q)
			if err != nil {
				return nil, err
			}
			o.Default = v
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// requireEnv fails unless every name in want was found, so a regex that
// stops matching after an upstream change is noticed.
func requireEnv(path string, got []string, want []string) error {
	have := map[string]bool{}
	for _, g := range got {
		have[g] = true
	}
	for _, w := range want {
		if !have[w] {
			return fmt.Errorf("%s: expected an env read of %s", path, w)
		}
	}
	return nil
}
