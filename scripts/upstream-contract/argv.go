package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// argLoop is the `for (let i = 0; i < argv.length; …) { const arg = argv[i]; … }`
// loop every parser read here is built on.
type argLoop struct {
	arr, idx, arg, next string // array, index, current-argument and (optional) next-argument names
	forOff              int
	bodyOpen, bodyEnd   int
}

var forRe = regexp.MustCompile(`\bfor\s*\(\s*let\s+(\w+)\s*=\s*0\s*;\s*(\w+)\s*<\s*(\w+)\.length\s*;`)

// findArgLoop finds the single argument loop in code[from:to].
func (s *source) findArgLoop(from, to int) (*argLoop, error) {
	var loops []*argLoop
	for _, m := range forRe.FindAllStringSubmatchIndex(s.code[from:to], -1) {
		idx, cond, arr := s.code[from+m[2]:from+m[3]], s.code[from+m[4]:from+m[5]], s.code[from+m[6]:from+m[7]]
		if idx != cond {
			continue
		}
		open := strings.IndexByte(s.code[from+m[0]:], '(') + from + m[0]
		closeP, err := s.matchClose(open)
		if err != nil {
			return nil, err
		}
		body := s.skipSpace(closeP + 1)
		if s.code[body] != '{' {
			return nil, fmt.Errorf("%s:%d: argument loop without braces", s.path, s.line(body))
		}
		end, err := s.matchClose(body)
		if err != nil {
			return nil, err
		}
		argM := regexp.MustCompile(`\bconst\s+(\w+)\s*=\s*` + regexp.QuoteMeta(arr) + `\[\s*` + idx + `\s*\]\s*;`).FindStringSubmatch(s.code[body:end])
		if argM == nil {
			continue
		}
		l := &argLoop{arr: arr, idx: idx, arg: argM[1], forOff: from + m[0], bodyOpen: body, bodyEnd: end}
		if nm := regexp.MustCompile(`\bconst\s+(\w+)\s*=\s*` + regexp.QuoteMeta(arr) + `\[\s*` + idx + `\s*\+\s*1\s*\]\s*;`).FindStringSubmatch(s.code[body:end]); nm != nil {
			// Only a next-argument variable declared at the loop's top counts:
			// case blocks declare their own `value`, seen as argv[i + 1] anyway.
			l.next = nm[1]
		}
		loops = append(loops, l)
	}
	switch len(loops) {
	case 0:
		return nil, fmt.Errorf("%s: no argument loop `for (let i = 0; i < argv.length; …) { const arg = argv[i]; … }`", s.path)
	case 1:
		return loops[0], nil
	}
	return nil, fmt.Errorf("%s: %d argument loops, expected one", s.path, len(loops))
}

// argParse is what one parser accepts.
type argParse struct {
	parser   Parser
	loop     *argLoop
	flags    []Flag
	prefixes []Prefix
	unknown  rawUnknown
}

// rawUnknown is the parser's own treatment of an unlisted argument, before
// the error handler that prints it is known.
type rawUnknown struct {
	action string // reject, warn, ignore
	scope  string
	msg    string
	off    int // the throw or the warning
}

// parseArgv reads the parser. With fn set, the loop must be inside that
// function and the function must be called on process.argv.slice(2); with fn
// empty, the loop's array must be process.argv.slice(2) itself.
func (s *source) parseArgv(fn, kind string) (*argParse, error) {
	from, to := 0, len(s.code)
	if fn != "" {
		f, err := s.funcNamed(fn)
		if err != nil {
			return nil, err
		}
		if f == nil {
			return nil, fmt.Errorf("%s: no function %s", s.path, fn)
		}
		if !regexp.MustCompile(`\b` + fn + `\(\s*process\.argv\.slice\(\s*2\s*\)\s*\)`).MatchString(s.code) {
			return nil, fmt.Errorf("%s: %s is never called on process.argv.slice(2)", s.path, fn)
		}
		from, to = f.bodyOpen, f.bodyEnd
	}
	loop, err := s.findArgLoop(from, to)
	if err != nil {
		return nil, err
	}
	if fn == "" && !regexp.MustCompile(`\b(?:const|let)\s+`+loop.arr+`\s*=\s*process\.argv\.slice\(\s*2\s*\)`).MatchString(s.code) {
		return nil, fmt.Errorf("%s: the argument loop's array %s is not process.argv.slice(2)", s.path, loop.arr)
	}
	p := &argParse{loop: loop, parser: Parser{Kind: kind, Function: fn, Line: s.line(loop.forOff)}}
	body := s.code[loop.bodyOpen:loop.bodyEnd]
	switch kind {
	case "switch":
		m := regexp.MustCompile(`\bswitch\s*\(\s*` + loop.arg + `\s*\)\s*\{`).FindStringIndex(body)
		if m == nil {
			return nil, fmt.Errorf("%s: no `switch (%s)` in the argument loop", s.path, loop.arg)
		}
		err = s.readSwitch(p, loop.bodyOpen+m[1]-1)
	case "if-chain":
		m := regexp.MustCompile(`\bif\s*\(\s*` + loop.arg + `\s*===`).FindStringIndex(body)
		if m == nil {
			return nil, fmt.Errorf("%s: no `if (%s === …)` chain in the argument loop", s.path, loop.arg)
		}
		err = s.readChain(p, loop.bodyOpen+m[0])
	default:
		return nil, fmt.Errorf("unknown parser kind %q", kind)
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(p.flags, func(i, j int) bool { return p.flags[i].Name < p.flags[j].Name })
	for i := 1; i < len(p.flags); i++ {
		if p.flags[i].Name == p.flags[i-1].Name {
			return nil, fmt.Errorf("%s:%d: flag %s handled twice", s.path, p.flags[i].Line, p.flags[i].Name)
		}
	}
	sort.Slice(p.prefixes, func(i, j int) bool { return p.prefixes[i].Prefix < p.prefixes[j].Prefix })
	if p.unknown.action == "" {
		p.unknown.action = "ignore"
	}
	return p, nil
}

type label struct {
	value    string // "" for default
	off, end int    // the keyword and just past its ':'
}

var caseRe = regexp.MustCompile(`^(?:case\s+|default\s*:)`)

// readSwitch reads the switch whose body opens at open.
func (s *source) readSwitch(p *argParse, open int) error {
	end, err := s.matchClose(open)
	if err != nil {
		return err
	}
	var labels []label
	depth := 0
	for i := open + 1; i < end; i++ {
		switch s.code[i] {
		case '(', '[', '{':
			depth++
			continue
		case ')', ']', '}':
			depth--
			continue
		}
		if depth != 0 || (i > 0 && (isIdent(s.code[i-1]) || s.code[i-1] == '.')) || !caseRe.MatchString(s.code[i:end]) {
			continue
		}
		if strings.HasPrefix(s.code[i:], "default") {
			colon := strings.IndexByte(s.code[i:], ':') + i
			labels = append(labels, label{off: i, end: colon + 1})
			i = colon
			continue
		}
		q := s.skipSpace(i + len("case"))
		v, after, err := s.literal(q)
		if err != nil {
			return fmt.Errorf("%s:%d: case label is not a string literal", s.path, s.line(i))
		}
		colon := s.skipSpace(after)
		if s.code[colon] != ':' {
			return fmt.Errorf("%s:%d: case label without ':'", s.path, s.line(i))
		}
		labels = append(labels, label{value: v, off: i, end: colon + 1})
		i = colon
	}
	if len(labels) == 0 {
		return fmt.Errorf("%s:%d: switch without case labels", s.path, s.line(open))
	}
	// Consecutive labels with nothing between them share one body: those are
	// the aliases.
	for i := 0; i < len(labels); {
		j := i
		for j+1 < len(labels) && strings.TrimSpace(s.code[labels[j].end:labels[j+1].off]) == "" {
			j++
		}
		bodyEnd := end
		if j+1 < len(labels) {
			bodyEnd = labels[j+1].off
		}
		group := labels[i : j+1]
		hasDefault := false
		var names []label
		for _, l := range group {
			if l.value == "" && strings.HasPrefix(s.code[l.off:], "default") {
				hasDefault = true
			} else {
				names = append(names, l)
			}
		}
		if hasDefault && len(names) > 0 {
			return fmt.Errorf("%s:%d: default shares its body with case labels", s.path, s.line(group[0].off))
		}
		bodyStart := group[len(group)-1].end
		if hasDefault {
			if err := s.readDefault(p, bodyStart, bodyEnd); err != nil {
				return err
			}
		} else if err := s.addFlags(p, names, bodyStart, bodyEnd); err != nil {
			return err
		}
		i = j + 1
	}
	return nil
}

// addFlags records the labels of one case body (or one if-branch) as flags.
func (s *source) addFlags(p *argParse, names []label, bodyStart, bodyEnd int) error {
	value, err := s.consumes(p.loop, bodyStart, bodyEnd)
	if err != nil {
		return err
	}
	sets := setsIn(s.code[bodyStart:bodyEnd])
	for _, l := range names {
		if !strings.HasPrefix(l.value, "-") {
			return fmt.Errorf("%s:%d: argument %q handled by the parser does not start with '-'", s.path, s.line(l.off), l.value)
		}
		f := Flag{Name: l.value, Value: value, Line: s.line(l.off), Sets: sets}
		for _, o := range names {
			if o.value != l.value {
				f.SameAs = append(f.SameAs, o.value)
			}
		}
		sort.Strings(f.SameAs)
		p.flags = append(p.flags, f)
	}
	return nil
}

// consumes says whether a case body takes the next argument as a value: it
// reads it (argv[i + 1], argv[++i] or the loop's `next`) and steps past it
// (i += 1, ++i, i++). Reading without stepping or the reverse is a shape this
// program does not know, so it fails.
func (s *source) consumes(l *argLoop, a, b int) (bool, error) {
	body := s.code[a:b]
	arr, idx := regexp.QuoteMeta(l.arr), l.idx
	reads := regexp.MustCompile(arr + `\[\s*(?:` + idx + `\s*\+\s*1|\+\+\s*` + idx + `)\s*\]`).MatchString(body)
	if l.next != "" && regexp.MustCompile(`\b`+l.next+`\b`).MatchString(body) {
		reads = true
	}
	steps := regexp.MustCompile(`\b` + idx + `\s*\+=\s*1\b|\+\+\s*` + idx + `\b|\b` + idx + `\s*\+\+|\b` + idx + `\s*=\s*` + idx + `\s*\+\s*1\b`).MatchString(body)
	if reads != steps {
		return false, fmt.Errorf("%s:%d: a case reads the next argument without stepping past it, or the reverse", s.path, s.line(a))
	}
	return reads, nil
}

var setsRe = regexp.MustCompile(`\boptions\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*=[^=]`)

// setsIn lists the option fields assigned in a body (options.x = …), the
// naming every parser read here uses.
func setsIn(body string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range setsRe.FindAllStringSubmatch(body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// readDefault reads a switch's default body: empty (unknown arguments are
// ignored), a direct throw, or an if/else-if chain with more flags.
func (s *source) readDefault(p *argParse, a, b int) error {
	first := s.skipSpace(a)
	rest := strings.TrimSpace(s.code[first:b])
	switch {
	case rest == "" || regexp.MustCompile(`^break\s*;?$`).MatchString(rest):
		return nil
	case strings.HasPrefix(rest, "if"):
		return s.readChain(p, first)
	case strings.HasPrefix(rest, "throw"):
		return s.readUnknown(p, first, b, "any")
	}
	return fmt.Errorf("%s:%d: default: is neither empty, a throw nor an if chain", s.path, s.line(first))
}

type branch struct {
	cond [2]int // inside the parentheses
	body [2]int // inside the braces
	off  int    // the `if`
}

// ifChain reads `if (…) {…} else if (…) {…} … [else {…}]` starting at the
// `if` at off; hasElse reports a final else, whose body is elseBody.
func (s *source) ifChain(off int) (branches []branch, elseBody [2]int, hasElse bool, err error) {
	i := off
	for {
		m := regexp.MustCompile(`^if\s*\(`).FindStringIndex(s.code[i:])
		if m == nil {
			return nil, elseBody, false, fmt.Errorf("%s:%d: expected `if (`", s.path, s.line(i))
		}
		open := i + m[1] - 1
		closeP, err := s.matchClose(open)
		if err != nil {
			return nil, elseBody, false, err
		}
		bo := s.skipSpace(closeP + 1)
		if s.code[bo] != '{' {
			return nil, elseBody, false, fmt.Errorf("%s:%d: if-branch without braces", s.path, s.line(bo))
		}
		be, err := s.matchClose(bo)
		if err != nil {
			return nil, elseBody, false, err
		}
		branches = append(branches, branch{cond: [2]int{open + 1, closeP}, body: [2]int{bo + 1, be}, off: i})
		j := s.skipSpace(be + 1)
		if !regexp.MustCompile(`^else\b`).MatchString(s.code[j:]) {
			return branches, elseBody, false, nil
		}
		j = s.skipSpace(j + len("else"))
		if regexp.MustCompile(`^if\b`).MatchString(s.code[j:]) {
			i = j
			continue
		}
		if s.code[j] != '{' {
			return nil, elseBody, false, fmt.Errorf("%s:%d: else without braces", s.path, s.line(j))
		}
		ee, err := s.matchClose(j)
		if err != nil {
			return nil, elseBody, false, err
		}
		return branches, [2]int{j + 1, ee}, true, nil
	}
}

// shape is code[a:b] without blanks, each string literal replaced by S, so
// conditions can be compared with fixed patterns; lits are the literals.
func (s *source) shape(a, b int) (string, []label, error) {
	var sb strings.Builder
	var lits []label
	for i := a; i < b; {
		c := s.code[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			v, after, err := s.literal(i)
			if err != nil {
				return "", nil, err
			}
			lits = append(lits, label{value: v, off: i})
			sb.WriteByte('S')
			i = after
		case isSpace(c):
			i++
		default:
			sb.WriteByte(c)
			i++
		}
	}
	return sb.String(), lits, nil
}

// readChain reads an if/else-if chain over the current argument.
func (s *source) readChain(p *argParse, off int) error {
	branches, elseBody, hasElse, err := s.ifChain(off)
	if err != nil {
		return err
	}
	a, arr, idx := regexp.QuoteMeta(p.loop.arg), regexp.QuoteMeta(p.loop.arr), p.loop.idx
	flagsRe := regexp.MustCompile(`^` + a + `===S(?:\|\|` + a + `===S)*$`)
	guardedRe := regexp.MustCompile(`^` + a + `===S&&` + idx + `\+1<` + arr + `\.length$`)
	prefixRe := regexp.MustCompile(`^` + a + `\.startsWith\(S\)$`)
	for _, br := range branches {
		sh, lits, err := s.shape(br.cond[0], br.cond[1])
		if err != nil {
			return err
		}
		switch {
		case flagsRe.MatchString(sh), guardedRe.MatchString(sh):
			if err := s.addFlags(p, lits, br.body[0], br.body[1]); err != nil {
				return err
			}
		case prefixRe.MatchString(sh) && strings.Trim(lits[0].value, "-") == "":
			// if (arg.startsWith('-')) throw …: only dash arguments are refused.
			if err := s.readUnknown(p, br.body[0], br.body[1], "dash-prefixed"); err != nil {
				return err
			}
		case prefixRe.MatchString(sh):
			if !strings.HasPrefix(lits[0].value, "-") {
				return fmt.Errorf("%s:%d: prefix %q does not start with '-'", s.path, s.line(br.off), lits[0].value)
			}
			p.prefixes = append(p.prefixes, Prefix{Prefix: lits[0].value, Line: s.line(br.off)})
		default:
			return fmt.Errorf("%s:%d: unrecognised argument condition %q", s.path, s.line(br.off), sh)
		}
	}
	if hasElse {
		return s.readUnknown(p, elseBody[0], elseBody[1], "any")
	}
	return nil
}

var (
	throwRe = regexp.MustCompile(`\bthrow\s+new\s+Error\(\s*`)
	warnRe  = regexp.MustCompile(`\bconsole\.warn\(\s*`)
)

// readUnknown reads the statement that deals with an unlisted argument:
// `throw new Error(`…${arg}…`)` (reject) or `console.warn(`…`)` (warn).
func (s *source) readUnknown(p *argParse, a, b int, scope string) error {
	if p.unknown.action != "" {
		return fmt.Errorf("%s:%d: two places handle unknown arguments", s.path, s.line(a))
	}
	action := "reject"
	m := throwRe.FindStringIndex(s.code[a:b])
	if m == nil {
		// A warning lets the loop go on; a body that also exits is a shape
		// this program does not know.
		action = "warn"
		m = warnRe.FindStringIndex(s.code[a:b])
		if regexp.MustCompile(`\bprocess\.exit`).MatchString(s.code[a:b]) {
			m = nil
		}
	}
	if m == nil {
		return fmt.Errorf("%s:%d: no `throw new Error(…)` or console.warn(…) for an unknown argument", s.path, s.line(a))
	}
	q := a + m[1]
	msg, err := s.argTemplate(q, p.loop.arg)
	if err != nil {
		return err
	}
	p.unknown = rawUnknown{action: action, scope: scope, msg: msg, off: a + m[0]}
	return nil
}

// argTemplate turns the literal at off, the only argument of a call, into a
// template with %s for the current argument.
func (s *source) argTemplate(off int, arg string) (string, error) {
	parts, after, err := s.templateParts(off)
	if err != nil {
		return "", err
	}
	if s.code[s.skipSpace(after)] != ')' {
		return "", fmt.Errorf("%s:%d: the message is not a single literal", s.path, s.line(off))
	}
	var sb strings.Builder
	for _, pt := range parts {
		if !pt.expr {
			sb.WriteString(pt.text)
			continue
		}
		if strings.TrimSpace(pt.text) != arg {
			return "", fmt.Errorf("%s:%d: the message interpolates %q, not the argument", s.path, s.line(off), pt.text)
		}
		sb.WriteString("%s")
	}
	return sb.String(), nil
}

type tmplPart struct {
	text string
	expr bool
}

// templateParts splits the string or template literal at off into text and
// ${…} expression parts; text has its escapes undone.
func (s *source) templateParts(off int) ([]tmplPart, int, error) {
	q := s.text[off]
	if q != '`' {
		v, after, err := s.literal(off)
		if err != nil {
			return nil, 0, err
		}
		return []tmplPart{{text: v}}, after, nil
	}
	_, after, err := s.literal(off)
	if err != nil {
		return nil, 0, err
	}
	var parts []tmplPart
	from := off + 1
	for j := off + 1; j < after-1; j++ {
		if s.code[j] == '$' && s.code[j+1] == '{' {
			parts = append(parts, tmplPart{text: unescapeJS(s.text[from:j])})
			end, err := s.matchClose(j + 1)
			if err != nil {
				return nil, 0, err
			}
			parts = append(parts, tmplPart{text: s.text[j+2 : end], expr: true})
			j = end
			from = end + 1
		}
	}
	parts = append(parts, tmplPart{text: unescapeJS(s.text[from : after-1])})
	return parts, after, nil
}
