package mission

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// document decodes src into the root node of its single YAML document, or
// records why it cannot.
func (p *parser) document() *yaml.Node {
	if !p.checkEncoding() {
		return nil
	}
	doc, next, err := decode(bytes.NewReader(p.src))
	switch {
	case err != nil:
		p.syntaxError(err)
		return nil
	case doc == nil || len(doc.Content) == 0:
		p.errs = append(p.errs, &Error{File: p.file, Line: 1, Col: 1, Msg: "mission file is empty", Kind: KindEmpty})
		return nil
	case next != nil:
		// A plain Unmarshal would silently ignore the second document; a
		// user who concatenated two missions should hear about it.
		p.errAt(next, KindSyntax, "a mission file holds one YAML document, but a second one starts here")
		return nil
	}
	return doc.Content[0]
}

// decode reads the first YAML document from r and the start of a second one,
// if any. doc is nil for a stream without documents.
func decode(r io.Reader) (doc, next *yaml.Node, err error) {
	defer func() {
		// yaml.v3 has panicked on malformed input in the past instead of
		// returning an error. A broken mission file must be reported, never
		// crash the action.
		if r := recover(); r != nil {
			doc, next, err = nil, nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	dec := yaml.NewDecoder(r)
	doc = new(yaml.Node)
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	next = new(yaml.Node)
	if err := dec.Decode(next); err != nil {
		if errors.Is(err, io.EOF) {
			return doc, nil, nil
		}
		return nil, nil, err
	}
	return doc, next, nil
}

// checkEncoding finds bytes that yaml.v3 would reject without saying where:
// invalid UTF-8 and the control characters YAML forbids. Reporting them here
// gives the exact line and column.
func (p *parser) checkEncoding() bool {
	src := p.src
	// yaml.v3 also reads UTF-16 with a byte order mark; leave that to it.
	if bytes.HasPrefix(src, []byte{0xfe, 0xff}) || bytes.HasPrefix(src, []byte{0xff, 0xfe}) {
		return true
	}
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		var msg string
		switch {
		case r == utf8.RuneError && size <= 1:
			msg = fmt.Sprintf("invalid UTF-8 byte 0x%02x; mission files must be UTF-8", src[i])
		case !yamlPrintable(r):
			msg = fmt.Sprintf("invalid YAML: control character %U is not allowed", r)
		}
		if msg != "" {
			p.errs = append(p.errs, &Error{File: p.file, Line: line, Col: col, Msg: msg, Kind: KindSyntax})
			return false
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return true
}

// yamlPrintable is YAML 1.1's set of characters allowed in a stream, the set
// yaml.v3 enforces.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
	case r >= 0x20 && r <= 0x7e:
	case r == 0x85:
	case r >= 0xa0 && r <= 0xd7ff:
	case r >= 0xe000 && r <= 0xfffd:
	case r >= 0x10000 && r <= 0x10ffff:
	default:
		return false
	}
	return true
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// parserProblems are the messages of libyaml's parser (as opposed to its
// scanner). For a scanner error yaml.v3 prints a 1-based line: the start of
// the construct being scanned (an unterminated string's opening quote), else
// the problem. For a parser error it prints the 0-based line of the enclosing
// block's start, else of the problem, which is rarely where the mistake is.
// Either way it prints nothing for a 0.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// unclosedFlow are the parser problems of a flow collection ("[a, b" or
// "{a: b") that is not closed where the parser expected it to be.
var unclosedFlow = map[string]bool{
	"did not find expected ',' or ']'": true,
	"did not find expected ',' or '}'": true,
}

var anchorProblemRE = regexp.MustCompile(`^(?:unknown anchor '(.*)' referenced|anchor '(.*)' value contains itself)$`)

// syntaxError turns a yaml.v3 error into a positioned Error. yaml.v3 gives
// no column, and for parser errors its line needs the work described at
// parserProblemLine. A line one past the end of the file means the problem
// is at the end.
func (p *parser) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	col := 0
	switch {
	case parserProblems[msg]:
		line = p.parserProblemLine(msg, line+1)
	case anchorProblemRE.MatchString(msg):
		// The composer reports these without a position: find the alias.
		m := anchorProblemRE.FindStringSubmatch(msg)
		line, col = findAlias(p.src, m[1]+m[2])
	}
	if line < 1 {
		line = 1
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Col: col, Msg: "invalid YAML: " + msg, Kind: KindSyntax})
}

// parserProblemLine's budget: the number of cut-short copies it parses, and
// their total size, so that a large broken file still fails fast.
const (
	maxPrefixParses = 200
	maxPrefixBytes  = 16 << 20
)

// parserProblemLine finds the line of a parser error. from is a lower bound
// (the enclosing block's start or the problem itself). Decoding again
// through a reader that hands over one byte at a time shows how far the
// parser read before failing: an upper bound, at most a token past the
// problem. From there, walking up while the source cut short after the line
// above still fails the same way finds the line where the problem begins:
// for a block whose indentation breaks, the offending line; for a flow
// collection that is never closed, the line that opens it (or the first
// line it is open at). The walk is usually a step or two.
func (p *parser) parserProblemLine(msg string, from int) int {
	r := &byteReader{src: p.src}
	if _, _, err := decode(r); err == nil {
		return from
	}
	to := bytes.Count(p.src[:max(r.n-1, 0)], []byte("\n")) + 1
	if to <= from {
		return from
	}
	line := to
	budget := maxPrefixBytes
	for n := 0; line > from && n < maxPrefixParses; n++ {
		end := lineEnd(p.src, line-1)
		if budget -= end; budget < 0 || !p.failsLike(msg, p.src[:end]) {
			break
		}
		line--
	}
	return line
}

// failsLike reports whether src fails to parse with the problem msg. A flow
// collection cut short after a comma fails differently ("did not find
// expected node content"), so for those any failure counts: the collection
// is still open at that point.
func (p *parser) failsLike(msg string, src []byte) bool {
	_, _, err := decode(bytes.NewReader(src))
	if err == nil {
		return false
	}
	got := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(got); m != nil {
		got = m[2]
	}
	return got == msg || unclosedFlow[msg]
}

// lineEnd is the offset just past the newline that ends the 1-based line,
// or len(src).
func lineEnd(src []byte, line int) int {
	off := 0
	for ; line > 0; line-- {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	return off
}

// byteReader hands over its source one byte per Read and counts them.
type byteReader struct {
	src []byte
	n   int
}

func (r *byteReader) Read(b []byte) (int, error) {
	if r.n >= len(r.src) {
		return 0, io.EOF
	}
	if len(b) == 0 {
		return 0, nil
	}
	b[0] = r.src[r.n]
	r.n++
	return 1, nil
}

// findAlias returns the position of the first "*name" in src that is not
// followed by more anchor-name characters, or 0, 0.
func findAlias(src []byte, name string) (line, col int) {
	needle := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(src[off:], needle)
		if i < 0 {
			return 0, 0
		}
		i += off
		end := i + len(needle)
		if end == len(src) || bytes.IndexByte([]byte(" \t\r\n,[]{}"), src[end]) >= 0 {
			before := src[:i]
			line = bytes.Count(before, []byte("\n")) + 1
			col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
			return line, col
		}
		off = i + 1
	}
}
