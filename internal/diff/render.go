package diff

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/helios-action/helios-action/internal/markup"
)

// shortLen is how many hex digits of a sum the text and Markdown reports
// show: enough to tell files apart at a glance, short enough for a table.
const shortLen = 12

func short(sum string) string {
	if len(sum) > shortLen {
		return sum[:shortLen]
	}
	return sum
}

// counts renders the one-line summary shared by the text and Markdown reports.
func (r *Result) counts() string {
	c := r.Counts()
	return fmt.Sprintf("%d changed, %d added, %d removed; %d volatile, %d unchanged",
		c.Changed, c.Added, c.Removed, c.Volatile, r.Unchanged)
}

// marker is the diff-style sign of a file or key change in the text report.
func marker(kind string) string {
	switch kind {
	case "added":
		return "+"
	case "removed":
		return "-"
	}
	return "~"
}

// WriteText writes a plain-text report for terminals and logs.
func (r *Result) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "old: %s\nnew: %s\n", markup.Quoted(r.Old), markup.Quoted(r.New))
	if r.Drift() {
		fmt.Fprintf(bw, "drift: %s\n", r.counts())
	} else {
		fmt.Fprintf(bw, "no drift: %s\n", r.counts())
	}
	n := r.Counts()
	sections := []struct {
		title   string
		changes []Change
		total   int
	}{
		{"changed", r.Changed, n.Changed},
		{"added", r.Added, n.Added},
		{"removed", r.Removed, n.Removed},
		{"volatile, expected to differ between runs", r.Volatile, n.Volatile},
	}
	for _, s := range sections {
		if s.total == 0 {
			continue
		}
		fmt.Fprintf(bw, "\n%s (%d):\n", s.title, s.total)
		for _, c := range s.changes {
			writeTextChange(bw, c)
		}
		if more := s.total - len(s.changes); more > 0 {
			fmt.Fprintf(bw, "  … and %s not listed (--max-files)\n", markup.Plural(more, "more file"))
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

func writeTextChange(w io.Writer, c Change) {
	switch c.Kind() {
	case "added":
		fmt.Fprintf(w, "  + %s  %s\n", markup.Quoted(c.Name), short(c.New))
	case "removed":
		fmt.Fprintf(w, "  - %s  %s\n", markup.Quoted(c.Name), short(c.Old))
	default:
		fmt.Fprintf(w, "  ~ %s  %s -> %s\n", markup.Quoted(c.Name), short(c.Old), short(c.New))
	}
	if c.MadeBy != "" {
		fmt.Fprintf(w, "      made by %s\n", markup.Quoted(c.MadeBy))
	}
	for _, k := range c.JSON {
		p := displayPointer(k.Path)
		switch k.Kind {
		case "added":
			fmt.Fprintf(w, "      + %s: %s\n", p, k.New)
		case "removed":
			fmt.Fprintf(w, "      - %s: %s\n", p, k.Old)
		default:
			fmt.Fprintf(w, "      ~ %s: %s -> %s\n", p, k.Old, k.New)
		}
	}
	if c.JSONTruncated > 0 {
		fmt.Fprintf(w, "      … %s not shown\n", markup.Plural(c.JSONTruncated, "more key change"))
	}
	// Lines of a diff are shown as they are, not quoted, but cleaned again
	// in case the Result was not built by Compare.
	for _, l := range c.Text {
		fmt.Fprintf(w, "      %s\n", cleanLine(l))
	}
	if c.TextTruncated > 0 {
		fmt.Fprintf(w, "      … %s not shown\n", markup.Plural(c.TextTruncated, "more diff line"))
	}
	if c.Note != "" {
		fmt.Fprintf(w, "      note: %s\n", markup.Quoted(c.Note))
	}
}

// displayPointer shows the empty pointer, the whole document, by name.
func displayPointer(p string) string {
	if p == "" {
		return "(whole document)"
	}
	return markup.Quoted(p)
}

// WriteMarkdown writes a GitHub-flavoured Markdown report for a job summary
// or a pull-request comment. Every file name, key and value is set in code,
// so nothing from a bundle can add markup, links, images or @mentions.
func (r *Result) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if r.Drift() {
		fmt.Fprintf(bw, "### Bundle diff: drift\n\n")
	} else {
		fmt.Fprintf(bw, "### Bundle diff: no drift\n\n")
	}
	fmt.Fprintf(bw, "Compared %s with %s: **%s**.\n", mdCode(r.Old), mdCode(r.New), r.counts())

	n := r.Counts()
	for _, s := range []struct {
		title   string
		changes []Change
		total   int
	}{
		{"Changed", r.Changed, n.Changed},
		{"Added", r.Added, n.Added},
		{"Removed", r.Removed, n.Removed},
	} {
		if s.total == 0 {
			continue
		}
		fmt.Fprintf(bw, "\n#### %s (%d)\n\n", s.title, s.total)
		// The column only when the new manifest records products.
		if madeBy(s.changes) {
			fmt.Fprintf(bw, "| File | Old | New | Made by |\n| --- | --- | --- | --- |\n")
			for _, c := range s.changes {
				fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", mdCode(c.Name), mdSum(c.Old), mdSum(c.New), markup.Text(markup.Quoted(c.MadeBy)))
			}
		} else {
			fmt.Fprintf(bw, "| File | Old | New |\n| --- | --- | --- |\n")
			for _, c := range s.changes {
				fmt.Fprintf(bw, "| %s | %s | %s |\n", mdCode(c.Name), mdSum(c.Old), mdSum(c.New))
			}
		}
		writeMarkdownMore(bw, s.total-len(s.changes))
		for _, c := range s.changes {
			writeMarkdownKeys(bw, c)
		}
	}

	if n.Volatile > 0 {
		fmt.Fprintf(bw, "\n<details><summary>%s, expected to differ between runs</summary>\n\n",
			markup.Plural(n.Volatile, "volatile file"))
		fmt.Fprintf(bw, "| File | Change | Old | New |\n| --- | --- | --- | --- |\n")
		for _, c := range r.Volatile {
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", mdCode(c.Name), c.Kind(), mdSum(c.Old), mdSum(c.New))
		}
		writeMarkdownMore(bw, n.Volatile-len(r.Volatile))
		fmt.Fprintf(bw, "\n</details>\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

// madeBy reports whether any of cs names the step behind it.
func madeBy(cs []Change) bool {
	for _, c := range cs {
		if c.MadeBy != "" {
			return true
		}
	}
	return false
}

// writeMarkdownMore ends a table cut short by Options.MaxFiles.
func writeMarkdownMore(w io.Writer, more int) {
	if more > 0 {
		fmt.Fprintf(w, "\n…and %s not listed.\n", markup.Plural(more, "more file"))
	}
}

func writeMarkdownKeys(w io.Writer, c Change) {
	if len(c.JSON) > 0 {
		fmt.Fprintf(w, "\nKey changes in %s:\n\n", mdCode(c.Name))
		fmt.Fprintf(w, "| Key | Change | Old | New |\n| --- | --- | --- | --- |\n")
		for _, k := range c.JSON {
			p := mdCode(k.Path)
			if k.Path == "" {
				p = "(whole document)"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", p, k.Kind, mdValue(k.Old), mdValue(k.New))
		}
	}
	if c.JSONTruncated > 0 {
		fmt.Fprintf(w, "\n…and %s in %s not shown.\n",
			markup.Plural(c.JSONTruncated, "more key change"), mdCode(c.Name))
	}
	if len(c.Text) > 0 {
		fmt.Fprintf(w, "\nLine changes in %s:\n\n", mdCode(c.Name))
		writeMarkdownFenced(w, "diff", c.Text)
	}
	if c.TextTruncated > 0 {
		fmt.Fprintf(w, "\n…and %s in %s not shown.\n",
			markup.Plural(c.TextTruncated, "more diff line"), mdCode(c.Name))
	}
	if c.Note != "" {
		// A note may quote a JSON parser's message: Go-quoted when it holds
		// control characters, as everywhere in this report, then escaped.
		fmt.Fprintf(w, "\nNote on %s: %s.\n", mdCode(c.Name), markup.Text(markup.Quoted(c.Note)))
	}
}

// writeMarkdownFenced writes lines as a fenced code block, where Markdown,
// HTML and mentions are inert. Each line goes through cleanLine, as in the
// other reports, and markup.Line, so no line break or control character
// gets in; the fence is longer than any run of backticks in the lines, so
// that no line can close it.
func writeMarkdownFenced(w io.Writer, info string, lines []string) {
	longest := 0
	shown := make([]string, len(lines))
	for i, l := range lines {
		shown[i] = markup.Line(cleanLine(l), 0)
		run := 0
		for j := 0; j < len(shown[i]); j++ {
			if shown[i][j] != '`' {
				run = 0
				continue
			}
			run++
			longest = max(longest, run)
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	fmt.Fprintf(w, "%s%s\n", fence, info)
	for _, l := range shown {
		fmt.Fprintf(w, "%s\n", l)
	}
	fmt.Fprintf(w, "%s\n", fence)
}

func mdSum(sum string) string {
	if sum == "" {
		return "—"
	}
	return markup.Code(short(sum))
}

func mdValue(v string) string {
	if v == "" {
		return "—"
	}
	return mdCode(v)
}

// mdCode sets a name, key or value in code (markup.Code), Go-quoted
// first when it holds characters that do not print, as everywhere in this
// report.
func mdCode(s string) string { return markup.Code(markup.Quoted(s)) }

// The JSON report. Field names are lowerCamel and stable; see WriteJSON.
type jsonReport struct {
	Old           string       `json:"old"`
	New           string       `json:"new"`
	Drift         bool         `json:"drift"`
	Unchanged     int          `json:"unchanged"`
	VolatileGlobs []string     `json:"volatileGlobs"`
	Changed       []jsonChange `json:"changed"`
	Added         []jsonChange `json:"added"`
	Removed       []jsonChange `json:"removed"`
	Volatile      []jsonChange `json:"volatile"`
	Omitted       *Counts      `json:"omitted,omitempty"`
}

type jsonChange struct {
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Old           string          `json:"old"`
	New           string          `json:"new"`
	Volatile      bool            `json:"volatile"`
	JSON          []jsonKeyChange `json:"jsonChanges,omitempty"`
	JSONTruncated int             `json:"jsonTruncated,omitempty"`
	Text          []string        `json:"textDiff,omitempty"`
	TextTruncated int             `json:"textTruncated,omitempty"`
	Note          string          `json:"note,omitempty"`
	MadeBy        string          `json:"madeBy,omitempty"`
}

type jsonKeyChange struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// WriteJSON writes the result as indented JSON with a final newline:
//
//	{
//	  "old", "new":    the paths compared, as given
//	  "drift":         true when a non-volatile file was added, removed or changed
//	  "unchanged":     the number of files with the same sum on both sides
//	  "volatileGlobs": the volatile globs applied
//	  "changed", "added", "removed", "volatile": lists (never null) of
//	    {
//	      "name":     the file's path in the bundle
//	      "kind":     "changed", "added" or "removed"
//	      "old", "new": hex SHA-256, "" on the side the file is absent
//	      "volatile": whether the file matches a volatile glob
//	      "jsonChanges":   (when any) [{"path": JSON Pointer,
//	                        "kind": "changed"|"added"|"removed",
//	                        "old", "new": compact JSON, "" when absent}]
//	      "jsonTruncated": (when > 0) key changes left out
//	      "textDiff":      (when any) the first lines of a unified diff of a
//	                       text file: "@@ -a,b +c,d @@" hunk headers and
//	                       lines marked " ", "-" or "+", control characters
//	                       shown as Control Pictures or U+FFFD
//	      "textTruncated": (when > 0) diff lines left out
//	      "note":          (when any) why keys or lines were not compared,
//	                       or what the line diff does not show
//	    }
//	  "omitted":       (when any) {"changed", "added", "removed", "volatile"}:
//	                   files counted but left out of the lists above
//	}
//
// Names that are not UTF-8 come out with U+FFFD in place of the bad bytes,
// as encoding/json does.
func (r *Result) WriteJSON(w io.Writer) error {
	rep := jsonReport{
		Old:           r.Old,
		New:           r.New,
		Drift:         r.Drift(),
		Unchanged:     r.Unchanged,
		VolatileGlobs: nonNil(r.VolatileGlobs),
		Changed:       jsonChanges(r.Changed),
		Added:         jsonChanges(r.Added),
		Removed:       jsonChanges(r.Removed),
		Volatile:      jsonChanges(r.Volatile),
	}
	n := r.Counts()
	if omitted := (Counts{
		Changed:  n.Changed - len(r.Changed),
		Added:    n.Added - len(r.Added),
		Removed:  n.Removed - len(r.Removed),
		Volatile: n.Volatile - len(r.Volatile),
	}); omitted != (Counts{}) {
		rep.Omitted = &omitted
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func jsonChanges(cs []Change) []jsonChange {
	out := make([]jsonChange, 0, len(cs))
	for _, c := range cs {
		jc := jsonChange{
			Name: c.Name, Kind: c.Kind(), Old: c.Old, New: c.New, Volatile: c.Volatile,
			JSONTruncated: c.JSONTruncated, TextTruncated: c.TextTruncated, Note: c.Note, MadeBy: c.MadeBy,
		}
		for _, l := range c.Text {
			jc.Text = append(jc.Text, cleanLine(l))
		}
		for _, k := range c.JSON {
			jc.JSON = append(jc.JSON, jsonKeyChange{Path: k.Path, Kind: k.Kind, Old: k.Old, New: k.New})
		}
		out = append(out, jc)
	}
	return out
}
