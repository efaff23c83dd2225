// Package markup holds the one rule for each piece of text helios renders
// for people: untrusted text in Markdown and in Mermaid labels, the phase
// flowchart, durations, counted nouns, and GitHub's limits on what it
// accepts. The job summary, the pull-request comment, the check run, the
// built-ins' reports, the bundle diff and index.html all use it, so the same
// file name or phase reads, and is defended, the same way everywhere.
package markup

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// wordJoiner goes after an '@' or '#' of untrusted text; see Text.
const wordJoiner = "\u2060"

// Line makes untrusted text one line of visible characters: line breaks and
// tabs become spaces; other control and format characters (bidi overrides,
// zero-width tricks, a planted word joiner) and invalid UTF-8 become U+FFFD.
// When max > 0 it is cut to max characters, the last one "…".
func Line(s string, max int) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if max > 0 && len(out) > max {
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case r == utf8.RuneError, unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r),
			r == '\u2028', r == '\u2029':
			r = '\uFFFD'
		}
		out = append(out, r)
	}
	if max > 0 && len(out) > max {
		out = append(out[:max-1], '…')
	}
	return string(out)
}

// Text makes untrusted text (a file name, an error, a phase name) safe as
// Markdown prose or a GFM table cell on GitHub, after Line:
//
//   - Spaces at either end go: Markdown shows none, and four leading ones
//     would make a code block, two trailing ones a line break.
//   - HTML: '<', '>' and '&' become entities, so no tag or entity of the
//     text is read as one.
//   - Table cells: '|' becomes "&#124;". A GFM table splits rows on '|'
//     before anything else, even inside code spans, and "\|" fails after an
//     odd run of backslashes; a character reference is never a separator.
//   - Markdown: every other ASCII punctuation character that CommonMark or
//     GFM can read as syntax (emphasis, links, lists, headings, math,
//     autolinks through ':' and '.') is backslash-escaped, wherever it
//     stands. A backslash before any ASCII punctuation is valid CommonMark,
//     so this needs no reasoning about where a construct may start, and
//     holds for any caller's context and any GFM parser; the cost is raw
//     Markdown noisier than it needs to be ("plan\.json"), not rendering.
//   - Mentions and references: GitHub links "@name", "#123" and "GH-123"
//     in the rendered text, after Markdown has consumed its backslashes, so
//     escaping cannot stop them, and a mention notifies the person or team
//     and a reference writes into the other issue's timeline. A U+2060 WORD
//     JOINER after the '@', the '#' or the "GH-" breaks the pattern while the
//     text reads the same. The word joiner is used rather than U+200D (zero
//     width joiner), which asks the fonts to join the characters around it
//     (emoji sequences, cursive scripts), or U+200B (zero width space), which
//     lets a line break between '@' and the name.
func Text(s string) string {
	var b strings.Builder
	var prev1, prev2, prev3 rune // the runes before r, to find a "GH-" that starts a word
	for _, r := range strings.Trim(Line(s, 0), " ") {
		switch {
		case r == '|':
			b.WriteString("&#124;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '@' || r == '#':
			b.WriteRune(r)
			b.WriteString(wordJoiner)
		case r == '-' && (prev2 == 'G' || prev2 == 'g') && (prev1 == 'H' || prev1 == 'h') && !isWordRune(prev3):
			b.WriteString(`\-` + wordJoiner)
		case r < utf8.RuneSelf && strings.ContainsRune("\\`*_{}[]()+-.!~:$=\"'^", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		prev3, prev2, prev1 = prev2, prev1, r
	}
	return b.String()
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// Plural counts a noun: "1 file", "2 files", "0 relative links",
// "3 leftover processes". The plural adds "es" after s, x, z, ch and sh,
// else "s"; it knows no irregular noun, and none of ours is one.
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	suffix := "s"
	for _, end := range []string{"s", "x", "z", "ch", "sh"} {
		if strings.HasSuffix(word, end) {
			suffix = "es"
		}
	}
	return strconv.Itoa(n) + " " + word + suffix
}

// Duration shows a duration as a person reads it, at the precision that
// matters at its size: 850 ms, 12.3 s, 2m 03s, 1h 02m. Seconds and minutes
// are padded so that a column of durations lines up.
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}

// DurationMs is Duration of a count of milliseconds, as manifest.json
// records them.
func DurationMs(ms int64) string { return Duration(time.Duration(ms) * time.Millisecond) }
