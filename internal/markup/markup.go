// Package markup holds the one rule for each piece of text helios renders
// for people: untrusted text in Markdown (prose and table cells, code, link
// destinations) and in Mermaid (flowchart labels, gantt names), the phase
// flowchart, durations, counted nouns, and GitHub's limits on what it
// accepts. The job summary, the pull-request comment, the check run, the
// built-ins' reports, the bundle diff and index.html all use it, so the same
// file name or phase reads, and is defended, the same way everywhere.
package markup

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// wordJoiner goes after an '@' or '#' of untrusted text; see Text.
const wordJoiner = "\u2060"

// Quoted returns untrusted text for a terminal or a log as is, or
// Go-quoted when it holds anything that could hide or fake text there:
// control characters (line breaks included), invisible format characters
// such as bidi overrides, and bytes that are not UTF-8 (0x9b is the 8-bit
// CSI). Unlike Line, it changes nothing it shows: a name read off a
// terminal is still the name.
func Quoted(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.Quote(s)
}

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

// Code sets untrusted text in code, after Line, where Markdown, HTML,
// emoji, links and mentions are inert, for prose and GFM table cells alike:
//
//   - Text without a '|' becomes a code span whose fence is one backtick
//     longer than the longest run of backticks in it, padded with a space
//     inside each fence when the text starts or ends with a backtick, or
//     starts and ends with a space and is not all spaces (CommonMark strips
//     one space from each end of such a span).
//   - Text with a '|' becomes an HTML <code> element with every ASCII
//     punctuation character as a numeric character reference. A GFM table
//     splits its rows on '|' before it reads code spans, so in a cell a
//     code span must write the pipe as "\|", and in prose that backslash
//     would show. A character reference is never a cell separator; with
//     every punctuation character so written, nothing inside the element
//     is Markdown syntax or an autolink, and GitHub links no mention in
//     code. It reads the same as a span on GitHub; a renderer that drops
//     raw HTML (the bundle's index.html) shows the text, still inert,
//     without the code font.
//   - Empty text is an empty <code></code>: a code span cannot be empty.
func Code(s string) string {
	s = Line(s, 0)
	if s == "" {
		return "<code></code>"
	}
	if strings.Contains(s, "|") {
		var b strings.Builder
		b.WriteString("<code>")
		for _, r := range s {
			if r < utf8.RuneSelf && r > ' ' && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				fmt.Fprintf(&b, "&#%d;", r)
				continue
			}
			b.WriteRune(r)
		}
		b.WriteString("</code>")
		return b.String()
	}
	run, longest := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// LinkDest makes a URL safe as the destination of a Markdown link, written
// bare, [text](dest), or in angle brackets, [text](<dest>): what could end
// the destination, start a title or stop a table cell (space, control
// characters, '<', '>', '(', ')', '"', '\', '`', '|') is percent-encoded,
// as a browser sends most of them anyway, and an '&' that would start a
// character reference is written "&amp;", so the link goes where the URL
// says. Spaces at either end go. It does not judge the URL: GitHub, and the bundle's index.html,
// drop dangerous schemes such as javascript:, and a caller that needs an
// absolute http(s) URL checks for one.
func LinkDest(u string) string {
	var b strings.Builder
	u = strings.TrimSpace(u)
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c <= ' ' || c == 0x7f || strings.IndexByte("<>()\"\\`|", c) >= 0:
			fmt.Fprintf(&b, "%%%02X", c)
		case c == '&' && charRef.MatchString(u[i:]):
			b.WriteString("&amp;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// charRef matches what CommonMark reads as a character reference.
var charRef = regexp.MustCompile(`^&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

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

// IsAre is the verb after Plural(n, …): "is" for 1, else "are", as in
// "1 more problem is …" and "2 more problems are …".
func IsAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
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
