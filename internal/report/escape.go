package report

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/helios-action/helios-action/internal/markup"
)

// mdText is markup.Text for the report: cut to max characters, and "—"
// for blank text, so an empty cell or value reads as missing.
func mdText(s string, max int) string {
	s = markup.Line(s, max)
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return markup.Text(s)
}

// mdCode sets untrusted text in a code span, where Markdown, HTML and
// mentions are inert; text that a code span cannot hold safely (a backtick
// or a pipe, which splits a GFM table row even inside a span) falls back to
// mdText.
func mdCode(s string, max int) string {
	s = markup.Line(s, max)
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	if strings.ContainsAny(s, "`|") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return mdText(s, max)
	}
	return "`" + s + "`"
}

// ganttKeywords start a directive when a gantt line begins with them.
var ganttKeywords = []string{
	"title", "section", "dateformat", "axisformat", "tickinterval", "excludes",
	"includes", "todaymarker", "weekday", "weekend", "inclusiveenddates", "topaxis",
	"acctitle", "accdescr", "displaymode", "click",
}

// ganttLabel escapes untrusted text for a gantt task or section name: the
// same entity codes as markup.MermaidLabel (':' would end the name, '#' and '%'
// start comments), and a first letter encoded when the name starts with a
// keyword that would make the line a directive.
func ganttLabel(s string, max int) string {
	l := strings.TrimSpace(markup.MermaidLabel(markup.Line(strings.TrimSpace(s), max)))
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
