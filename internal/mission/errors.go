package mission

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxErrors caps how many problems Parse reports. A badly broken file (say,
// a JSON blob pasted in the wrong place) can produce hundreds of errors, and
// past a few dozen they stop helping anyone.
const maxErrors = 50

// Error is one problem in a mission file, positioned at the key or value it
// is about. Line and Col are 1-based; 0 means unknown.
type Error struct {
	File      string
	Line, Col int
	Msg       string
	Kind      Kind
}

// Error formats the problem as actionlint does, so that editors and
// GitHub's problem matchers can jump to it and a reader can tell the kinds
// apart: "helios.yml:12:5: phase "kits" needs unknown phase "plans"
// [unknown-needs]". An Error without a kind has no brackets.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Col))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Kind != "" {
		fmt.Fprintf(&b, " [%s]", e.Kind)
	}
	return b.String()
}

// Errors is every problem Parse found, sorted by position.
type Errors []*Error

// Error puts one problem on each line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find an individual *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// AsErrors returns the mission errors inside err, if it holds any. It saves
// callers that print one annotation per problem a type switch.
func AsErrors(err error) (Errors, bool) {
	var es Errors
	if errors.As(err, &es) {
		return es, true
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}, true
	}
	return nil, false
}

// NodeError builds an Error positioned at n. Built-in steps use it to report
// problems in their "with" node in the same format as the parser.
func NodeError(file string, n *yaml.Node, kind Kind, format string, args ...any) *Error {
	e := &Error{File: file, Msg: fmt.Sprintf(format, args...), Kind: kind}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}

// sorted orders the errors by position and applies the cap. The sort is
// stable so that problems at one position keep the order they were found in,
// which reads as cause before consequence.
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
	if len(es) > maxErrors {
		es = es[:maxErrors]
	}
	return es
}
