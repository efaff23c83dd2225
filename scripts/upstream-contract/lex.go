package main

import (
	"fmt"
	"strings"
)

// source is one upstream file with two views of the same bytes: text as
// written, and code, where comments and the insides of string, template and
// regular-expression literals are blanked to spaces (newlines kept). Offsets
// agree between the views, so a regular expression can find a shape in code
// without tripping over a brace or a keyword inside a string, and the literal's
// value is then read from text at the same offset.
type source struct {
	path  string // relative to the checkout, with forward slashes
	text  string
	code  string
	lines []int // offset of each line's first byte
}

func newSource(path, text string) (*source, error) {
	code, err := maskJS(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &source{path: path, text: text, code: code, lines: []int{0}}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	// Brackets that do not pair up mean the masking misread something (a
	// division taken for a regex, say); every offset after it would be
	// suspect, so stop here.
	var stack []int
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '(', '[', '{':
			stack = append(stack, i)
		case ')', ']', '}':
			if len(stack) == 0 {
				return nil, fmt.Errorf("%s:%d: unbalanced %q", path, s.line(i), code[i])
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("%s:%d: %q never closed", path, s.line(stack[len(stack)-1]), code[stack[len(stack)-1]])
	}
	return s, nil
}

// line is the 1-based line of offset off.
func (s *source) line(off int) int {
	lo, hi := 0, len(s.lines)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if s.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}

// maskJS blanks comments and literal contents of JavaScript/TypeScript text.
// Template literals keep their ${…} expressions as code, since env reads and
// identifiers inside them matter. It fails on an unterminated literal rather
// than guess, so a surprising file is noticed.
func maskJS(src string) (string, error) {
	out := []byte(src)
	blank := func(i int) {
		if out[i] != '\n' {
			out[i] = ' '
		}
	}
	// tmpl holds, for each open ${ … } inside a template literal, the depth of
	// ordinary braces opened since, so the right } returns to template text.
	var tmpl []int
	inTemplate := false
	i := 0
	n := len(src)
	for i < n {
		c := src[i]
		if inTemplate {
			switch {
			case c == '\\' && i+1 < n:
				blank(i)
				blank(i + 1)
				i += 2
			case c == '`':
				inTemplate = false
				i++
			case c == '$' && i+1 < n && src[i+1] == '{':
				tmpl = append(tmpl, 0)
				inTemplate = false
				i += 2
			default:
				blank(i)
				i++
			}
			continue
		}
		switch {
		case c == '/' && i+1 < n && src[i+1] == '/':
			for i < n && src[i] != '\n' {
				blank(i)
				i++
			}
		case c == '/' && i+1 < n && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return "", fmt.Errorf("unterminated comment at byte %d", i)
			}
			stop := i + 2 + end + 2
			for ; i < stop; i++ {
				blank(i)
			}
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < n && src[j] != c; j++ {
				if src[j] == '\n' {
					return "", fmt.Errorf("unterminated string at byte %d", i)
				}
				if src[j] == '\\' {
					blank(j)
					j++
				}
				blank(j)
			}
			if j >= n {
				return "", fmt.Errorf("unterminated string at byte %d", i)
			}
			i = j + 1
		case c == '`':
			inTemplate = true
			i++
		case c == '{':
			if len(tmpl) > 0 {
				tmpl[len(tmpl)-1]++
			}
			i++
		case c == '}':
			if len(tmpl) > 0 {
				if tmpl[len(tmpl)-1] == 0 {
					tmpl = tmpl[:len(tmpl)-1]
					inTemplate = true
				} else {
					tmpl[len(tmpl)-1]--
				}
			}
			i++
		case c == '/' && regexAllowed(out[:i]):
			j, ok := scanRegex(src, i)
			if !ok {
				i++ // a division after all
				continue
			}
			for k := i + 1; k < j-1; k++ {
				blank(k)
			}
			i = j
		default:
			i++
		}
	}
	if inTemplate || len(tmpl) > 0 {
		return "", fmt.Errorf("unterminated template literal")
	}
	return string(out), nil
}

// regexAllowed says whether a '/' after the code so far starts a regular
// expression rather than a division: after an operator, an opening bracket or
// a keyword such as return, an expression (so a regex) is expected.
func regexAllowed(before []byte) bool {
	j := len(before) - 1
	for j >= 0 && (before[j] == ' ' || before[j] == '\t' || before[j] == '\n' || before[j] == '\r') {
		j--
	}
	if j < 0 {
		return true
	}
	if strings.IndexByte("(,=:[!&|?{};+-*%<>~^", before[j]) >= 0 {
		return true
	}
	k := j
	for k >= 0 && isIdent(before[k]) {
		k--
	}
	switch string(before[k+1 : j+1]) {
	case "return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw":
		return true
	}
	return false
}

// scanRegex returns the offset just past the regex literal starting at i
// (flags included), or false when no closing '/' comes before the line ends.
func scanRegex(src string, i int) (int, bool) {
	inClass := false
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\n':
			return 0, false
		case '\\':
			j++
		case '[':
			inClass = true
		case ']':
			inClass = false
		case '/':
			if !inClass {
				j++
				for j < len(src) && isIdent(src[j]) {
					j++
				}
				return j, true
			}
		}
	}
	return 0, false
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// matchClose returns the offset of the bracket closing the one at open, in
// the code view.
func (s *source) matchClose(open int) (int, error) {
	pairs := map[byte]byte{'(': ')', '[': ']', '{': '}'}
	if _, ok := pairs[s.code[open]]; !ok {
		return 0, fmt.Errorf("%s:%d: no bracket at byte %d", s.path, s.line(open), open)
	}
	var stack []byte
	for i := open; i < len(s.code); i++ {
		c := s.code[i]
		if want, ok := pairs[c]; ok {
			stack = append(stack, want)
			continue
		}
		if c == ')' || c == ']' || c == '}' {
			if len(stack) == 0 || stack[len(stack)-1] != c {
				return 0, fmt.Errorf("%s:%d: unbalanced %q", s.path, s.line(i), c)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("%s:%d: bracket never closed", s.path, s.line(open))
}

// literal reads the string or template literal whose opening quote is at off
// and returns its value (escapes of quotes and backslashes undone; a template's
// text is returned raw, ${…} included) and the offset just past it.
func (s *source) literal(off int) (string, int, error) {
	q := s.text[off]
	if q != '\'' && q != '"' && q != '`' {
		return "", 0, fmt.Errorf("%s:%d: expected a string literal", s.path, s.line(off))
	}
	// The closing quote is the first quote character that is still a quote in
	// the code view, since masking keeps both delimiters and blanks the rest.
	for j := off + 1; j < len(s.code); j++ {
		if q == '`' && s.code[j] == '$' && j+1 < len(s.code) && s.code[j+1] == '{' {
			end, err := s.matchClose(j + 1)
			if err != nil {
				return "", 0, err
			}
			j = end
			continue
		}
		if s.code[j] == q {
			raw := s.text[off+1 : j]
			if q != '`' {
				raw = unescapeJS(raw)
			}
			return raw, j + 1, nil
		}
	}
	return "", 0, fmt.Errorf("%s:%d: unterminated literal", s.path, s.line(off))
}

func unescapeJS(raw string) string {
	r := strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\"`, `"`, `\n`, "\n", `\t`, "\t")
	return r.Replace(raw)
}

// splitTop splits code[start:end] at commas outside brackets and returns the
// [start,end) ranges of the trimmed parts, dropping an empty trailing part.
func (s *source) splitTop(start, end int) [][2]int {
	var parts [][2]int
	depth := 0
	from := start
	add := func(a, b int) {
		for a < b && isSpace(s.code[a]) {
			a++
		}
		for b > a && isSpace(s.code[b-1]) {
			b--
		}
		if a < b {
			parts = append(parts, [2]int{a, b})
		}
	}
	for i := start; i < end; i++ {
		switch s.code[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				add(from, i)
				from = i + 1
			}
		}
	}
	add(from, end)
	return parts
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the first offset at or after i that is not blank in code.
func (s *source) skipSpace(i int) int {
	for i < len(s.code) && isSpace(s.code[i]) {
		i++
	}
	return i
}
