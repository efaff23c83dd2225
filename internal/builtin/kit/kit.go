// Package kit writes governance kits: for a set of artefacts in a report
// bundle, <name>.json and <name>.md listing each with its key, path,
// description, SHA-256 and size (folders with their entries), the mission's
// operational checklist and references, and its phase graph as a Mermaid
// flowchart. Files that change on every run (logs, manifest.json, the
// mission's volatile globs) are listed by name without a hash, so a kit is
// the same bytes when the mission is run again on the same repository.
package kit

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/helios-action/helios-action/internal/markup"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/ledger"
)

// Types of Artefact.
const (
	TypeFile      = "file"
	TypeDirectory = "directory"
	TypeFiles     = "files"   // a glob's matches
	TypeMissing   = "missing" // an optional artefact that is not there
)

// Spec is what a mission asks a kit to hold.
type Spec struct {
	Name       string // file base name: <Name>.json and <Name>.md
	Title      string // heading of the Markdown; Name when empty
	To         string // folder in the report root; "" for the root
	Artefacts  []ArtefactSpec
	Checklist  []string
	References []Reference
	Graph      bool // include the phase graph
}

// ArtefactSpec names artefacts by a path or glob relative to the report root.
type ArtefactSpec struct {
	Key, Path, Description string
	Optional               bool
}

// Reference is a document an auditor should read alongside the kit.
type Reference struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Kit is the document written as <name>.json.
type Kit struct {
	Name       string       `json:"name"`
	Title      string       `json:"title"`
	Mission    Mission      `json:"mission"`
	Artefacts  []Artefact   `json:"artefacts"`
	Checklist  []string     `json:"checklist"`
	References []Reference  `json:"references"`
	Phases     []GraphPhase `json:"phases,omitempty"`
	Graph      string       `json:"graph,omitempty"` // Mermaid flowchart of Phases
}

// Mission identifies the mission the kit was made by.
type Mission struct {
	Name    string `json:"name"`
	File    string `json:"file"`
	SHA256  string `json:"sha256"`
	Network string `json:"network"`
}

// Artefact is one named item of the kit.
type Artefact struct {
	Key         string  `json:"key"`
	Path        string  `json:"path"`
	Description string  `json:"description"`
	Type        string  `json:"type"`
	SHA256      string  `json:"sha256,omitempty"`
	Size        *int64  `json:"size,omitempty"`
	Volatile    bool    `json:"volatile,omitempty"`
	Entries     []Entry `json:"entries,omitempty"` // directories and globs
}

// Entry is a file of a directory or glob artefact.
type Entry struct {
	Path     string `json:"path"`
	SHA256   string `json:"sha256,omitempty"`
	Size     *int64 `json:"size,omitempty"`
	Volatile bool   `json:"volatile,omitempty"`
}

// Options tells Build what to hash and what to leave out.
type Options struct {
	// Volatile are globs of files listed by name only.
	Volatile []string
	// Exclude reports files never to list: the kit itself, other kits,
	// the ledger.
	Exclude func(rel string) bool
	Mission Mission
	Phases  []GraphPhase
}

// Build hashes the artefacts of spec in the bundle at root.
func Build(root string, spec Spec, opts Options) (*Kit, error) {
	if opts.Exclude == nil {
		opts.Exclude = func(string) bool { return false }
	}
	k := &Kit{
		Name: spec.Name, Title: spec.Title, Mission: opts.Mission,
		Artefacts: []Artefact{}, Checklist: nonNil(spec.Checklist), References: spec.References,
	}
	if k.Title == "" {
		k.Title = spec.Name
	}
	if k.References == nil {
		k.References = []Reference{}
	}
	if spec.Graph && len(opts.Phases) > 0 {
		k.Phases = opts.Phases
		k.Graph = flowchart(opts.Phases)
	}
	for _, as := range spec.Artefacts {
		a, err := buildArtefact(root, as, opts)
		if err != nil {
			return nil, fmt.Errorf("artefact %q: %w", as.Key, err)
		}
		k.Artefacts = append(k.Artefacts, a)
	}
	return k, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func buildArtefact(root string, as ArtefactSpec, opts Options) (Artefact, error) {
	a := Artefact{Key: as.Key, Path: as.Path, Description: as.Description}
	var matches []string
	literal := !strings.ContainsAny(as.Path, `*?[\`)
	if literal {
		p := path.Clean(strings.TrimSuffix(as.Path, "/"))
		a.Path = p
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
			matches = []string{p}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return a, err
		}
	} else {
		var err error
		if matches, err = glob.Expand(root, as.Path); err != nil {
			return a, err
		}
	}
	var files []string
	dir := false
	for _, m := range matches {
		info, err := os.Lstat(filepath.Join(root, filepath.FromSlash(m)))
		if err != nil {
			return a, err
		}
		switch {
		case info.IsDir():
			dir = true
			sub, err := walkFiles(root, m)
			if err != nil {
				return a, err
			}
			files = append(files, sub...)
		case info.Mode().IsRegular():
			files = append(files, m)
		}
	}
	files = dedupe(files, opts.Exclude)
	switch {
	case len(matches) == 0 || (!dir && len(files) == 0):
		if !as.Optional {
			return a, fmt.Errorf("%s: no such file in the report", as.Path)
		}
		a.Type = TypeMissing
		return a, nil
	case literal && !dir:
		a.Type = TypeFile
		e, err := entry(root, files[0], opts.Volatile)
		if err != nil {
			return a, err
		}
		a.SHA256, a.Size, a.Volatile = e.SHA256, e.Size, e.Volatile
		return a, nil
	case literal:
		a.Type = TypeDirectory
	default:
		a.Type = TypeFiles
	}
	a.Entries = make([]Entry, 0, len(files))
	for _, f := range files {
		e, err := entry(root, f, opts.Volatile)
		if err != nil {
			return a, err
		}
		a.Entries = append(a.Entries, e)
	}
	return a, nil
}

// walkFiles lists the regular files under dir (relative to root), without
// following links: the bundle holds regular files only.
func walkFiles(root, dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(dir)), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

// dedupe sorts files in ledger order (byte order) and drops repeats and
// excluded names, along with the temporary files of atomic writes in flight.
func dedupe(files []string, exclude func(string) bool) []string {
	sort.Strings(files)
	out := files[:0]
	for i, f := range files {
		if (i > 0 && f == files[i-1]) || exclude(f) || strings.HasPrefix(path.Base(f), ".tmp-") {
			continue
		}
		out = append(out, f)
	}
	return out
}

func entry(root, rel string, volatile []string) (Entry, error) {
	if glob.MatchAny(volatile, rel) {
		return Entry{Path: rel, Volatile: true}, nil
	}
	le, err := ledger.HashFile(root, rel)
	if err != nil {
		return Entry{}, err
	}
	size := le.Size
	return Entry{Path: rel, SHA256: hex.EncodeToString(le.Sum[:]), Size: &size}, nil
}

// JSON renders the kit as indented JSON with a final newline.
func (k *Kit) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode kit: %w", err)
	}
	return append(b, '\n'), nil
}

// Markdown renders the kit for auditors. Every text that came from the
// mission or from file names is escaped.
func (k *Kit) Markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", markup.Text(k.Title))
	fmt.Fprintf(&b, "Governance kit %s of mission %s (%s, SHA-256 %s) on network %s.\n",
		markup.Text(k.Name), markup.Text(k.Mission.Name), markup.Text(k.Mission.File), k.Mission.SHA256, markup.Text(k.Mission.Network))
	b.WriteString("Volatile files change on every run and are listed by name, without a hash.\n")

	b.WriteString("\n## Artefacts\n\n")
	if len(k.Artefacts) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| Key | Path | Type | Size | SHA-256 | Description |\n|---|---|---|---:|---|---|\n")
		for _, a := range k.Artefacts {
			typ, size, sum := a.Type, "", ""
			switch {
			case a.Volatile:
				size, sum = "", "volatile"
			case a.Type == TypeFile:
				size, sum = strconv.FormatInt(*a.Size, 10), a.SHA256
			case a.Type == TypeDirectory || a.Type == TypeFiles:
				typ = fmt.Sprintf("%s, %s", a.Type, markup.Plural(len(a.Entries), "file"))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
				markup.Text(a.Key), markup.Text(a.Path), typ, size, sum, markup.Text(a.Description))
		}
		for _, a := range k.Artefacts {
			if a.Type != TypeDirectory && a.Type != TypeFiles {
				continue
			}
			fmt.Fprintf(&b, "\n### %s: %s\n\n", markup.Text(a.Key), markup.Text(a.Path))
			if len(a.Entries) == 0 {
				b.WriteString("No files.\n")
				continue
			}
			b.WriteString("| Path | Size | SHA-256 |\n|---|---:|---|\n")
			for _, e := range a.Entries {
				if e.Volatile {
					fmt.Fprintf(&b, "| %s |  | volatile |\n", markup.Text(e.Path))
				} else {
					fmt.Fprintf(&b, "| %s | %d | %s |\n", markup.Text(e.Path), *e.Size, e.SHA256)
				}
			}
		}
	}

	b.WriteString("\n## Operational checklist\n\n")
	if len(k.Checklist) == 0 {
		b.WriteString("None given.\n")
	}
	for _, c := range k.Checklist {
		fmt.Fprintf(&b, "- [ ] %s\n", markup.Text(c))
	}

	b.WriteString("\n## References\n\n")
	if len(k.References) == 0 {
		b.WriteString("None given.\n")
	}
	for _, r := range k.References {
		fmt.Fprintf(&b, "- [%s](<%s>)\n", markup.Text(r.Title), markup.LinkDest(r.URL))
	}

	if k.Graph != "" {
		b.WriteString("\n## Phase graph\n\n```mermaid\n")
		b.WriteString(k.Graph)
		b.WriteString("```\n")
	}
	return b.Bytes()
}
