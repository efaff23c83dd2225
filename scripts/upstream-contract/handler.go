package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// handler is the code that deals with the Error thrown for an unknown
// argument: a catch clause or a main().catch callback.
type handler struct {
	errVar string
	body   [2]int // inside the braces
	off    int    // the catch keyword or the NAME().catch call
}

// findHandler follows the Error thrown at off out of its functions until
// something catches it: a try around it in the same function, else the
// function's single caller (for a synchronous function) or NAME().catch(…)
// (for an async one). It fails when the error would go uncaught, rather than
// describe Node's default report.
func (s *source) findHandler(off int) (*handler, error) {
	tries, err := s.tryBlocks()
	if err != nil {
		return nil, err
	}
	pos := off
	for hops := 0; hops < 10; hops++ {
		f, err := s.enclosingFunc(pos)
		if err != nil {
			return nil, err
		}
		var inner *block
		for i := range tries {
			t := &tries[i]
			if t.open < pos && pos < t.end && (f == nil || t.open > f.bodyOpen) && (inner == nil || t.open > inner.open) {
				inner = t
			}
		}
		if inner != nil {
			return s.catchAfter(inner.end)
		}
		if f == nil {
			return nil, fmt.Errorf("%s:%d: the unknown-argument error is thrown outside any function and any try", s.path, s.line(off))
		}
		if f.async {
			m := regexp.MustCompile(`\b` + f.name + `\(\)\s*\.catch\(\s*(?:async\s*)?(?:\(\s*(\w+)(?:\s*:\s*[\w.]+)?\s*\)|(\w+))\s*=>\s*\{`).FindStringSubmatchIndex(s.code)
			if m == nil {
				return nil, fmt.Errorf("%s: async %s has no %s().catch(…) handler", s.path, f.name, f.name)
			}
			name := s.code[m[2]:m[3]]
			if m[2] < 0 {
				name = s.code[m[4]:m[5]]
			}
			end, err := s.matchClose(m[1] - 1)
			if err != nil {
				return nil, err
			}
			return &handler{errVar: name, body: [2]int{m[1], end}, off: m[0]}, nil
		}
		var callers []call
		for _, c := range s.calls(f.name) {
			if c.off < f.bodyOpen || c.off > f.bodyEnd {
				callers = append(callers, c)
			}
		}
		if len(callers) != 1 {
			return nil, fmt.Errorf("%s: %s has %d callers, expected one to follow its error", s.path, f.name, len(callers))
		}
		pos = callers[0].off
	}
	return nil, fmt.Errorf("%s: could not follow the unknown-argument error to a handler", s.path)
}

var catchRe = regexp.MustCompile(`^\s*catch\s*(?:\(\s*(\w+)(?:\s*:\s*\w+)?\s*\))?\s*\{`)

func (s *source) catchAfter(tryEnd int) (*handler, error) {
	m := catchRe.FindStringSubmatchIndex(s.code[tryEnd+1:])
	if m == nil {
		return nil, fmt.Errorf("%s:%d: try without a catch clause", s.path, s.line(tryEnd))
	}
	open := tryEnd + 1 + m[1] - 1
	end, err := s.matchClose(open)
	if err != nil {
		return nil, err
	}
	name := ""
	if m[2] >= 0 {
		name = s.code[tryEnd+1+m[2] : tryEnd+1+m[3]]
	}
	return &handler{errVar: name, body: [2]int{open + 1, end}, off: tryEnd + 1 + strings.Index(s.code[tryEnd+1:], "catch")}, nil
}

// printed is what a handler prints for an Error whose message is msg.
type printed struct {
	stderr string // first line
	stack  bool
	exit   int
}

var (
	outputRe = regexp.MustCompile(`\b(console\.error|process\.stderr\.write)\(`)
	exitRe   = regexp.MustCompile(`\bprocess\.exit\(\s*(\d+)\s*\)|\bprocess\.exitCode\s*=\s*(\d+)`)
)

// describe reads the handler body: its first console.error(…) or
// process.stderr.write(…) and its exit code. msg is the Error's message.
func (s *source) describe(h *handler, msg string) (*printed, error) {
	body := s.code[h.body[0]:h.body[1]]
	if h.errVar == "" {
		return nil, fmt.Errorf("%s:%d: the handler does not bind the error", s.path, s.line(h.off))
	}
	if regexp.MustCompile(`\bthrow\b`).MatchString(body) {
		return nil, fmt.Errorf("%s:%d: the handler rethrows", s.path, s.line(h.off))
	}
	em := exitRe.FindStringSubmatch(body)
	if em == nil {
		return nil, fmt.Errorf("%s:%d: the handler sets no exit code", s.path, s.line(h.off))
	}
	code, _ := strconv.Atoi(em[1] + em[2])
	om := outputRe.FindStringSubmatchIndex(body)
	if om == nil {
		return nil, fmt.Errorf("%s:%d: the handler prints nothing to stderr", s.path, s.line(h.off))
	}
	open := h.body[0] + om[1] - 1
	closeP, err := s.matchClose(open)
	if err != nil {
		return nil, err
	}
	args := s.splitTop(open+1, closeP)
	fn := body[om[2]:om[3]]
	if fn == "process.stderr.write" && len(args) != 1 {
		return nil, fmt.Errorf("%s:%d: process.stderr.write with %d arguments", s.path, s.line(open), len(args))
	}
	var words []string
	stack := false
	for i, a := range args {
		w, st, err := s.renderArg(a, h.errVar, msg, i == 0 && fn == "console.error")
		if err != nil {
			return nil, err
		}
		stack = stack || st
		words = append(words, w)
	}
	// console.error joins its arguments with one space; a write prints as is.
	out := strings.Join(words, " ")
	out = strings.TrimLeft(out, "\n")
	if i := strings.IndexByte(out, '\n'); i >= 0 {
		out = out[:i]
	}
	return &printed{stderr: out, stack: stack, exit: code}, nil
}

// renderArg renders one printed argument with the Error in errVar. It knows
// the message, stack and inspect forms these handlers use and fails on any
// other expression. formatFirst: the first console.error argument, which
// util.format would scan for %-directives.
func (s *source) renderArg(a [2]int, errVar, msg string, formatFirst bool) (string, bool, error) {
	q := s.text[a[0]]
	if q == '\'' || q == '"' || q == '`' {
		parts, after, err := s.templateParts(a[0])
		if err != nil {
			return "", false, err
		}
		if after != a[1] {
			return "", false, fmt.Errorf("%s:%d: printed argument is more than one literal", s.path, s.line(a[0]))
		}
		var sb strings.Builder
		stack := false
		for _, p := range parts {
			if !p.expr {
				if formatFirst && strings.Contains(p.text, "%") {
					return "", false, fmt.Errorf("%s:%d: printed format string contains %%", s.path, s.line(a[0]))
				}
				sb.WriteString(p.text)
				continue
			}
			w, st, err := errorExpr(p.text, errVar, msg, true)
			if err != nil {
				return "", false, fmt.Errorf("%s:%d: %w", s.path, s.line(a[0]), err)
			}
			stack = stack || st
			sb.WriteString(w)
		}
		return sb.String(), stack, nil
	}
	w, st, err := errorExpr(s.text[a[0]:a[1]], errVar, msg, false)
	if err != nil {
		return "", false, fmt.Errorf("%s:%d: %w", s.path, s.line(a[0]), err)
	}
	return w, st, nil
}

// errorExpr renders an expression over the caught Error e (a plain `new
// Error(msg)`, so its name is "Error"). In a template, `${e}` is
// e.toString(), "Error: msg"; as a console.error argument, e is inspected,
// which prints its stack: "Error: msg" and then the "    at …" lines.
func errorExpr(expr, e, msg string, inTemplate bool) (string, bool, error) {
	qe := regexp.QuoteMeta(e)
	x := regexp.MustCompile(`\(\s*`+qe+`\s+as\s+\w+\s*\)`).ReplaceAllString(expr, e)
	x = regexp.MustCompile(`\b`+qe+`\b`).ReplaceAllString(x, "E")
	x = regexp.MustCompile(`\s+`).ReplaceAllString(x, "")
	x = strings.ReplaceAll(x, "?.", ".")
	switch x {
	case "E.message", "E.message||E", "E.message??E", "EinstanceofError?E.message:E", "EinstanceofError?E.message:String(E)":
		return msg, false, nil
	case "E.stack", "E.stack||E.message", "EinstanceofError?E.stack||E.message:E", "EinstanceofError?E.stack:E", "EinstanceofError?(E.stack||E.message):E":
		return "Error: " + msg, true, nil
	case "String(E)":
		return "Error: " + msg, false, nil
	case "E":
		return "Error: " + msg, !inTemplate, nil
	}
	return "", false, fmt.Errorf("unrecognised error expression %q", expr)
}
