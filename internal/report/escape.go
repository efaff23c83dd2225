package report

import (
	"strings"

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

// EscapeText makes text from an error or a file safe as Markdown prose
// (the same rules as everything else this package renders).
func EscapeText(s string) string { return mdText(s, 4000) }
