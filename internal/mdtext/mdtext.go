// Package mdtext makes text from files and logs safe to put in the
// Markdown the built-in steps write, so a file name or a message cannot
// break a table or inject markup.
package mdtext

import (
	"strconv"
	"strings"
)

// Escape makes s safe in Markdown prose and table cells: the characters
// inline Markdown (and GFM tables) read as syntax are backslash-escaped and
// line breaks become spaces.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_[]<>|~&#!", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Plural is "1 file", "2 files".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
