package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/regular"
)

// JSON renders the report as indented JSON with a final newline.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode docs report: %w", err)
	}
	return append(b, '\n'), nil
}

// ReadReport loads a report written by JSON, so that the caller running in
// GitHub Actions can turn it into annotations after the run. It reads rel
// inside root alone: a link that leads out of root (a bundle from another
// run can hold one, as its ledger lists no links), a file that is not
// regular and one over maxReport are refused.
func ReadReport(ctx context.Context, root, rel string) (*Report, error) {
	dir, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	b, err := regular.ReadFileIn(ctx, dir, filepath.FromSlash(rel), maxReport, "docs report")
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// maxReport bounds a docs report read back: the report of a 600-file tree
// with 10,800 links is under 1 MiB.
const maxReport = 64 << 20

// Markdown renders the report for people: a summary line, a table of the
// problems with file:line, and the external links that were not fetched.
// Every text from the checked files is escaped, so a file name or link
// cannot change the table or inject markup.
func (r *Report) Markdown() []byte {
	var b bytes.Buffer
	b.WriteString("# Documentation check\n\n")
	fmt.Fprintf(&b, "%s, %s checked: ", markup.Plural(r.Files, "Markdown file"), markup.Plural(r.Links, "relative link"))
	if len(r.Problems) == 0 {
		b.WriteString("**no problems**.\n")
	} else {
		fmt.Fprintf(&b, "**%s**.\n\n", markup.Plural(len(r.Problems), "problem"))
		b.WriteString("| Where | Kind | Problem |\n|---|---|---|\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "| %s:%d | %s | %s |\n", markup.Text(p.File), p.Line, p.Kind, markup.Text(p.Message))
		}
	}
	if len(r.Bundles) > 0 {
		names := make([]string, len(r.Bundles))
		for i, d := range r.Bundles {
			names[i] = markup.Text(d)
		}
		fmt.Fprintf(&b, "\nNot checked: %s holding a helios report bundle (%s).\n", markup.Plural(len(r.Bundles), "folder"), strings.Join(names, ", "))
	}
	b.WriteString("\n## External links\n\n")
	if len(r.External) == 0 {
		b.WriteString("None.\n")
		return b.Bytes()
	}
	fmt.Fprintf(&b, "%s, listed and not fetched.\n\n", markup.Plural(len(r.External), "external link"))
	b.WriteString("| Where | URL |\n|---|---|\n")
	for _, e := range r.External {
		fmt.Fprintf(&b, "| %s:%d | %s |\n", markup.Text(e.File), e.Line, markup.Text(e.URL))
	}
	return b.Bytes()
}

// Annotations gives one annotation per problem, in report order. GitHub
// shows at most 10 error annotations per step, so the caller may cap them.
func Annotations(r *Report) []engine.Annotation {
	out := make([]engine.Annotation, 0, len(r.Problems))
	for _, p := range r.Problems {
		out = append(out, engine.Annotation{File: p.File, Line: p.Line, Title: "docs: " + p.Kind, Message: p.Message})
	}
	return out
}
