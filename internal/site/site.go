// Package site writes index.html, the browsable face of a report bundle:
// the run's conclusion, its phases and steps, every Markdown artefact
// rendered, and every file with its size and SHA-256, linked. Mermaid
// diagrams (the phase graph, and mermaid fences in artefacts) are drawn by a
// copy of Mermaid shipped in the bundle's assets/, so the page works when
// opened from an unzipped artifact with no network.
//
// The page shows times and durations, so index.html is volatile; the assets
// are the same bytes in every bundle.
package site

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
)

// FileName is the page's name at the bundle root.
const FileName = "index.html"

// Asset names in the bundle.
const (
	MermaidJS      = "assets/mermaid.min.js"
	MermaidLicense = "assets/mermaid.LICENSE"
)

// Defaults of Options.
const (
	DefaultMaxFiles         = 2000
	DefaultMaxMarkdownFiles = 100
	DefaultMaxMarkdownBytes = 512 << 10
)

// Options bound the page for very large bundles.
type Options struct {
	// MaxFiles caps the file listing; the rest are counted in a note
	// (SHA256SUMS lists them all).
	MaxFiles int
	// MaxMarkdownFiles and MaxMarkdownBytes cap what is rendered; larger or
	// further Markdown files are only linked.
	MaxMarkdownFiles int
	MaxMarkdownBytes int64
}

// Write writes assets/ and index.html into the bundle held by root; a link
// a step planted on the way fails the write rather than being followed. entries are
// the bundle's files so far (their names, sizes and hashes); index.html,
// manifest.json and SHA256SUMS come after the page, so it links them by name
// only.
func Write(root *bundlefs.Dir, m *manifest.Manifest, entries []ledger.Entry, opts Options) error {
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	if opts.MaxMarkdownFiles <= 0 {
		opts.MaxMarkdownFiles = DefaultMaxMarkdownFiles
	}
	if opts.MaxMarkdownBytes <= 0 {
		opts.MaxMarkdownBytes = DefaultMaxMarkdownBytes
	}
	files := make([]ledger.Entry, 0, len(entries)+2)
	for _, e := range entries {
		switch e.Name {
		case FileName, manifest.FileName, ledger.FileName, MermaidJS, MermaidLicense:
			continue
		}
		files = append(files, e)
	}
	js, err := mermaidJS()
	if err != nil {
		return err
	}
	for _, a := range []struct {
		name string
		b    []byte
	}{{MermaidJS, js}, {MermaidLicense, mermaidLicense}} {
		if err := root.WriteFile(a.name, a.b, 0o644); err != nil {
			return err // it names the file
		}
		files = append(files, ledger.Entry{Name: a.name, Sum: sha256Sum(a.b), Size: int64(len(a.b))})
	}
	ledger.Sort(files)

	page, err := buildPage(root, m, files, opts)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, page); err != nil {
		return fmt.Errorf("render %s: %w", FileName, err)
	}
	return root.WriteFile(FileName, b.Bytes(), 0o644)
}

type page struct {
	M            *manifest.Manifest
	Started      string
	Duration     string
	Graph        string
	Phases       []phaseRow
	Markdown     []mdDoc
	MarkdownNote string
	Files        []fileRow
	FilesNote    string
	TotalFiles   int
	// MadeBy shows the "Made by" column: the manifest records products.
	MadeBy         bool
	MermaidVersion string
}

type phaseRow struct {
	Name, Status, Duration, Needs string
	Steps                         []stepRow
}

type stepRow struct {
	ID, Name, Kind, Status, Duration, Exit, Error, Log, LogHref string
}

type mdDoc struct {
	ID, Path, Href string
	HTML           template.HTML
}

type fileRow struct {
	Name, Href, SHA256, MadeBy string
	Size                       int64
}

func buildPage(root *bundlefs.Dir, m *manifest.Manifest, files []ledger.Entry, opts Options) (*page, error) {
	p := &page{M: m, TotalFiles: len(files), MermaidVersion: strings.TrimSpace(mermaidVersion)}
	if !m.StartedAt.IsZero() {
		p.Started = m.StartedAt.UTC().Format(time.RFC3339)
	}
	p.Duration = markup.DurationMs(m.DurationMs)
	var graph []markup.Phase
	for _, ph := range m.Phases {
		graph = append(graph, markup.Phase{Name: ph.Name, Needs: ph.Needs, Status: ph.Status})
		row := phaseRow{Name: ph.Name, Status: ph.Status, Duration: markup.DurationMs(ph.DurationMs), Needs: strings.Join(ph.Needs, ", ")}
		for _, st := range ph.Steps {
			sr := stepRow{ID: st.ID, Name: st.Name, Kind: st.Kind, Status: st.Status, Duration: markup.DurationMs(st.DurationMs), Error: st.Error, Log: st.Log}
			if sr.Error == "" {
				// Shown where an error would be: why the step did not run.
				sr.Error = st.SkipReason
			}
			if sr.Name == "" {
				sr.Name = st.ID
			}
			if st.Uses != "" {
				sr.Kind = st.Uses
			}
			if st.ExitCode != nil {
				sr.Exit = fmt.Sprint(*st.ExitCode)
			}
			if st.Log != "" {
				sr.LogHref = href(st.Log)
			}
			row.Steps = append(row.Steps, sr)
		}
		p.Phases = append(p.Phases, row)
	}
	if len(graph) > 0 {
		p.Graph = markup.Flowchart(graph)
	}

	md := newMarkdown()
	skipped := 0
	for _, f := range files {
		if !strings.EqualFold(path.Ext(f.Name), ".md") {
			continue
		}
		if len(p.Markdown) >= opts.MaxMarkdownFiles || f.Size > opts.MaxMarkdownBytes {
			skipped++
			continue
		}
		src, err := readFile(root, f.Name, opts.MaxMarkdownBytes)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", f.Name, err)
		}
		out, err := renderMarkdown(md, f.Name, src)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", f.Name, err)
		}
		p.Markdown = append(p.Markdown, mdDoc{
			ID: fmt.Sprintf("md-%d", len(p.Markdown)+1), Path: display(f.Name), Href: href(f.Name),
			HTML: template.HTML(out), // goldmark without the unsafe option: raw HTML is dropped
		})
	}
	if skipped > 0 {
		p.MarkdownNote = fmt.Sprintf("%d more Markdown files (over %d files or %d KiB each) are linked in the file list but not shown here.",
			skipped, opts.MaxMarkdownFiles, opts.MaxMarkdownBytes>>10)
	}

	madeBy := manifest.MadeBy(m.Phases)
	p.MadeBy = len(madeBy) > 0
	for i, f := range files {
		if i >= opts.MaxFiles {
			p.FilesNote = fmt.Sprintf("The listing stops at %d of %d files; SHA256SUMS lists every file.", opts.MaxFiles, len(files))
			break
		}
		sum := hex.EncodeToString(f.Sum[:])
		p.Files = append(p.Files, fileRow{Name: display(f.Name), Href: href(f.Name), Size: f.Size, SHA256: sum, MadeBy: madeBy[f.Name].Of(sum)})
	}
	return p, nil
}

// href is a link to a bundle file from the root: each segment
// percent-encoded (names need not be valid UTF-8 and may hold '#', '?' or
// '%'), behind "./" so that a name such as "javascript:x" stays a path.
func href(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "./" + strings.Join(segs, "/")
}

// display is a file name as text: invalid UTF-8 shown as U+FFFD.
func display(name string) string { return strings.ToValidUTF8(name, "\uFFFD") }

// Written lists the files Write puts in a bundle.
func Written() []string { return []string{FileName, MermaidJS, MermaidLicense} }

// readFile reads a bundle file of at most limit bytes (it may have grown
// since it was hashed) without following links.
func readFile(root *bundlefs.Dir, name string, limit int64) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}
