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

// mdCode is markup.Code for the report: cut to max characters, and "—"
// for blank text, as mdText.
func mdCode(s string, max int) string {
	s = markup.Line(s, max)
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return markup.Code(s)
}

// EscapeText makes text from an error or a file safe as Markdown prose
// (the same rules as everything else this package renders).
func EscapeText(s string) string { return mdText(s, 4000) }
