package report

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wordJoiner goes after every '@' of untrusted text: GitHub then sees no
// @mention (nobody is pinged) while the text reads the same.
const wordJoiner = "\u2060"

// clean makes untrusted text one line of visible characters: line breaks
// and tabs become spaces, other control and format characters (bidi
// overrides, zero-width tricks) and invalid UTF-8 become U+FFFD, and it is
// cut to max characters with "…".
func clean(s string, max int) string {
	out := make([]rune, 0, min(len(s), max+1))
	for _, r := range s {
		if len(out) > max {
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
	if len(out) > max {
		out = append(out[:max-1], '…')
	}
	return string(out)
}

// mdText escapes untrusted text for Markdown prose and table cells: every
// ASCII punctuation character that Markdown or GFM could read as syntax is
// backslash-escaped, '|' becomes a character reference (so it never splits
// a table row), '<', '>' and '&' become entities (no HTML), and '@' gets a
// word joiner. An empty value shows as "—".
func mdText(s string, max int) string {
	s = clean(s, max)
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '|':
			b.WriteString("&#124;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '@':
			b.WriteString("@" + wordJoiner)
		case r < utf8.RuneSelf && strings.ContainsRune("\\`*_{}[]()#+-.!~:$=\"'^", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode sets untrusted text in a code span, where Markdown, HTML and
// mentions are inert; text that a code span cannot hold safely (a backtick
// or a pipe, which splits a GFM table row even inside a span) falls back to
// mdText.
func mdCode(s string, max int) string {
	s = clean(s, max)
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	if strings.ContainsAny(s, "`|") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return mdText(s, max)
	}
	return "`" + s + "`"
}

// mermaidLabel escapes untrusted text for a quoted Mermaid label
// (p0["…"]): quotes, brackets, HTML and the entity syntax itself become
// Mermaid entity codes (#quot;, #35;, …), which Mermaid turns back into
// the characters when it draws.
func mermaidLabel(s string, max int) string {
	s = clean(s, max)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("#quot;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '&':
			b.WriteString("#amp;")
		case '@':
			b.WriteString("@" + wordJoiner)
		case '#', ';', '`', '[', ']', '(', ')', '{', '}', '|', ':', '%', '\\':
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "(unnamed)"
	}
	return b.String()
}

// ganttKeywords start a directive when a gantt line begins with them.
var ganttKeywords = []string{
	"title", "section", "dateformat", "axisformat", "tickinterval", "excludes",
	"includes", "todaymarker", "weekday", "weekend", "inclusiveenddates", "topaxis",
	"acctitle", "accdescr", "displaymode", "click",
}

// ganttLabel escapes untrusted text for a gantt task or section name: the
// same entity codes as mermaidLabel (':' would end the name, '#' and '%'
// start comments), and a first letter encoded when the name starts with a
// keyword that would make the line a directive.
func ganttLabel(s string, max int) string {
	l := strings.TrimSpace(mermaidLabel(strings.TrimSpace(s), max))
	lower := strings.ToLower(l)
	for _, k := range ganttKeywords {
		if strings.HasPrefix(lower, k) {
			r, size := utf8.DecodeRuneInString(l)
			return "#" + strconv.Itoa(int(r)) + ";" + l[size:]
		}
	}
	return l
}

// EscapeText makes text from an error or a file safe as Markdown prose
// (the same rules as everything else this package renders).
func EscapeText(s string) string { return mdText(s, 4000) }
