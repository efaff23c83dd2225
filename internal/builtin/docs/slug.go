package docs

import (
	"strconv"
	"strings"
	"unicode"
)

// slugger gives headings the ids GitHub gives them (github-slugger): the
// heading's text lower-cased, every character that is not a letter, digit,
// mark, connector punctuation ('_'), '-' or ' ' removed, and spaces turned
// into '-'. A slug seen before gets "-1", "-2", … appended, and a suffixed
// slug is itself remembered, so "a", "a", "a-1" give "a", "a-1", "a-1-1".
type slugger struct{ seen map[string]int }

func newSlugger() *slugger { return &slugger{seen: map[string]int{}} }

func (s *slugger) slug(text string) string {
	base := githubSlug(text)
	out := base
	for {
		if _, dup := s.seen[out]; !dup {
			break
		}
		s.seen[base]++
		out = base + "-" + strconv.Itoa(s.seen[base])
	}
	s.seen[out] = 0
	return out
}

// githubSlug is the slug of one heading without the duplicate suffix.
func githubSlug(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-', unicode.IsLetter(r), unicode.IsNumber(r), unicode.IsMark(r), unicode.Is(unicode.Pc, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
