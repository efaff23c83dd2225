// Package docs checks a repository's Markdown the way a reader on GitHub
// would meet it: relative links and images must lead to files that exist,
// "#anchors" must name a heading (with GitHub's slug rules), reference-style
// links must have a definition, and every Mermaid fence must start with a
// diagram type Mermaid knows. External URLs are listed, never fetched, so a
// check is a pure function of the repository.
package docs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/sync/errgroup"

	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/regular"
)

// Kinds of Problem.
const (
	KindBrokenLink  = "broken-link"         // a relative link leads to no file
	KindBrokenImage = "broken-image"        // an image leads to no file
	KindAnchor      = "broken-anchor"       // "#x" names no heading of the target
	KindReference   = "undefined-reference" // [text][label] without a [label]: definition
	KindMermaid     = "mermaid"             // a mermaid fence without a known diagram type
	KindOutside     = "outside-repository"  // a relative link climbs out of the repository
	KindEncoding    = "bad-encoding"        // a link's percent-encoding is malformed
)

// DefaultInclude is what a check reads when no globs are given.
var DefaultInclude = []string{"**/*.md"}

// alwaysExcluded are never documentation of the repository itself.
var alwaysExcluded = []string{".git/**", "**/node_modules/**"}

// Options says which files Check reads.
type Options struct {
	// Root is the repository (workspace) folder; links resolve inside it.
	Root string
	// Include are globs (package glob) relative to Root; DefaultInclude when empty.
	Include []string
	// Exclude are globs of files and folders to skip, besides .git and node_modules.
	Exclude []string
	// Workers parse files side by side; default the CPUs.
	Workers int
}

// Problem is one finding, at a 1-based line of a file relative to the root.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Kind    string `json:"kind"`
	Target  string `json:"target,omitempty"`
	Message string `json:"message"`
}

// External is a link to another site: listed so a reviewer sees them, not fetched.
type External struct {
	File string `json:"file"`
	Line int    `json:"line"`
	URL  string `json:"url"`
}

// Report is the outcome of a check. It holds no times, so the same
// repository always gives the same report.
type Report struct {
	Files    int        `json:"files"`
	Links    int        `json:"links"` // relative links and images checked
	Problems []Problem  `json:"problems"`
	External []External `json:"external"`
	// Bundles are the folders left out because they hold a helios report
	// bundle, relative to the root.
	Bundles []string `json:"bundles,omitempty"`
}

// fileResult is what parsing one file yields before links are resolved.
type fileResult struct {
	rel      string
	anchors  map[string]bool
	links    []link
	problems []Problem
	external []External
}

type link struct {
	line  int
	dest  string
	image bool
}

// Check reads the Markdown files under opts.Root and reports what is broken.
// The error is for files that cannot be read, not for findings.
// maxMarkdown bounds one Markdown file read from the repository.
const maxMarkdown = 16 << 20

func Check(ctx context.Context, opts Options) (*Report, error) {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("docs root: %w", err)
	}
	include := opts.Include
	if len(include) == 0 {
		include = DefaultInclude
	}
	exclude := append(append([]string{}, alwaysExcluded...), opts.Exclude...)
	files, bundles, err := findFiles(ctx, root, include, exclude)
	if err != nil {
		return nil, err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}

	results := make([]*fileResult, len(files))
	g, gctx := errgroup.WithContext(ctx)
	next := make(chan int)
	g.Go(func() error {
		defer close(next)
		for i := range files {
			select {
			case next <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			md := newMarkdown()
			for i := range next {
				src, err := regular.ReadFile(gctx, filepath.Join(root, filepath.FromSlash(files[i])), maxMarkdown, "Markdown file")
				if err != nil {
					return fmt.Errorf("read %s: %w", files[i], err)
				}
				results[i] = parseFile(md, files[i], src)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	r := &resolver{root: root, anchors: map[string]map[string]bool{}, stats: map[string]stat{}, md: newMarkdown()}
	for _, fr := range results {
		r.anchors[fr.rel] = fr.anchors
	}
	rep := &Report{Files: len(files), Problems: []Problem{}, External: []External{}, Bundles: bundles}
	for _, fr := range results {
		rep.Problems = append(rep.Problems, fr.problems...)
		rep.External = append(rep.External, fr.external...)
		for _, l := range fr.links {
			if p, checked := r.resolve(fr.rel, l); checked {
				rep.Links++
				if p != nil {
					rep.Problems = append(rep.Problems, *p)
				}
			}
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	sort.SliceStable(rep.External, func(i, j int) bool {
		a, b := rep.External[i], rep.External[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return rep, nil
}

// findFiles walks root for regular files that match include and not
// exclude, skipping excluded folders without entering them, and folders
// that hold a helios report bundle (listed in bundles), wherever they are:
// an old bundle left in the checkout, or another mission's report root.
// Links are not followed: what a link points at is checked where it lives.
func findFiles(ctx context.Context, root string, include, exclude []string) (files, bundles []string, err error) {
	for _, p := range append(append([]string{}, include...), exclude...) {
		if err := glob.Valid(p); err != nil {
			return nil, nil, err
		}
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		// Steps of other phases run meanwhile (a compile cleans its old
		// artifacts/): what vanished under the walk is not Markdown to check.
		if err != nil && p != root && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if glob.MatchAny(exclude, rel) {
				return filepath.SkipDir
			}
			if isBundle(ctx, p) {
				bundles = append(bundles, rel)
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && glob.MatchAny(include, rel) && !glob.MatchAny(exclude, rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("find Markdown files: %w", err)
	}
	sort.Strings(files)
	return files, bundles, nil
}

// newMarkdown is GitHub-flavoured Markdown plus footnotes (GitHub renders
// them, and "[^1]" would otherwise read as an undefined reference).
func newMarkdown() goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(extension.GFM, extension.Footnote))
}

// htmlID finds explicit anchors in raw HTML: <a name="x"> and id="x".
var htmlID = regexp.MustCompile(`(?i)\b(?:id|name)\s*=\s*["']([^"']+)["']`)

func parseFile(md goldmark.Markdown, rel string, src []byte) *fileResult {
	fr := &fileResult{rel: rel, anchors: map[string]bool{}}
	lines := lineStarts(src)
	lineOf := func(off int) int {
		return sort.Search(len(lines), func(i int) bool { return lines[i] > off })
	}
	pc := parser.NewContext()
	doc := md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))

	// masked is the source with code blanked out, for the reference scan.
	masked := bytes.Clone(src)
	blankSeg := func(s text.Segment) {
		for j := s.Start; j < s.Stop && j < len(masked); j++ {
			if masked[j] != '\n' {
				masked[j] = ' '
			}
		}
	}
	blank := func(segs *text.Segments) {
		for i := range segs.Len() {
			blankSeg(segs.At(i))
		}
	}
	slugs := newSlugger()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			fr.anchors[slugs.slug(plainText(n, src))] = true
		case *ast.Link:
			fr.addLink(lineOf(nodePos(n)), string(n.Destination), false)
		case *ast.Image:
			fr.addLink(lineOf(nodePos(n)), string(n.Destination), true)
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkURL {
				fr.external = append(fr.external, External{File: rel, Line: lineOf(nodePos(n)), URL: string(n.URL(src))})
			}
		case *ast.FencedCodeBlock:
			if strings.EqualFold(string(n.Language(src)), "mermaid") {
				if p := checkMermaid(n, src, lineOf); p != nil {
					p.File = rel
					fr.problems = append(fr.problems, *p)
				}
			}
			blank(n.Lines())
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock:
			blank(n.Lines())
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock:
			for i := range n.Lines().Len() {
				s := n.Lines().At(i)
				addHTMLIDs(fr.anchors, s.Value(src))
			}
			blank(n.Lines())
			return ast.WalkSkipChildren, nil
		case *ast.RawHTML:
			for i := range n.Segments.Len() {
				seg := n.Segments.At(i)
				addHTMLIDs(fr.anchors, seg.Value(src))
			}
		case *ast.CodeSpan:
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					blankSeg(t.Segment)
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	// Link reference definitions leave no trace in the tree, but their lines
	// ("[x]: url") never hold "][", so the scan passes over them.
	for _, u := range referenceUses(masked) {
		if bytes.HasPrefix(u.label, []byte("^")) {
			continue // a footnote
		}
		if _, ok := pc.Reference(util.ToLinkReference(u.label)); ok {
			continue
		}
		fr.problems = append(fr.problems, Problem{
			File: rel, Line: lineOf(u.off), Kind: KindReference, Target: string(u.label),
			Message: fmt.Sprintf("reference link [%s] has no definition", u.label),
		})
	}
	return fr
}

// webURL matches the links that lead to other sites.
var webURL = regexp.MustCompile(`^(?i:https?:)?//`)

func (fr *fileResult) addLink(line int, dest string, image bool) {
	if webURL.MatchString(dest) {
		fr.external = append(fr.external, External{File: fr.rel, Line: line, URL: dest})
		return
	}
	fr.links = append(fr.links, link{line: line, dest: dest, image: image})
}

type refUse struct {
	off   int // of the opening bracket
	label []byte
}

// maxLinkText bounds how far back a link text is looked for.
const maxLinkText = 1000

// referenceUses finds full ("[text][label]") and collapsed ("[text][]")
// reference links in text with code blanked out; for a collapsed one the
// label is the text. Shortcut references ("[label]") are not looked for:
// bracketed prose is too common to call it an error. A hand scan rather
// than a regular expression: it is most of the check's time otherwise.
func referenceUses(b []byte) []refUse {
	var out []refUse
	for off := 0; off < len(b); {
		i := bytes.Index(b[off:], []byte("]["))
		if i < 0 {
			break
		}
		i += off
		off = i + 2
		if escaped(b, i) {
			continue
		}
		j := i + 2
		for j < len(b) && b[j] != ']' && b[j] != '[' && j-i < maxLinkText {
			j++
		}
		if j >= len(b) || b[j] != ']' || escaped(b, j) {
			continue
		}
		k := i - 1
		for k >= 0 && b[k] != '[' && b[k] != ']' && i-k < maxLinkText {
			k--
		}
		if k < 0 || b[k] != '[' || escaped(b, k) || k == i-1 {
			continue
		}
		label := b[i+2 : j]
		if len(bytes.TrimSpace(label)) == 0 {
			label = b[k+1 : i]
		}
		out = append(out, refUse{off: k, label: label})
		off = j + 1
	}
	return out
}

// escaped reports whether b[i] follows an odd number of backslashes.
func escaped(b []byte, i int) bool {
	n := 0
	for i--; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func addHTMLIDs(anchors map[string]bool, b []byte) {
	for _, m := range htmlID.FindAllSubmatch(b, -1) {
		anchors[string(m[1])] = true
	}
}

// nodePos is a node's offset in the source, falling back to the first line
// of its closest block when the parser did not record one.
func nodePos(n ast.Node) int {
	if p := n.Pos(); p >= 0 {
		return p
	}
	for b := n.Parent(); b != nil; b = b.Parent() {
		if b.Type() == ast.TypeBlock && b.Lines().Len() > 0 {
			return b.Lines().At(0).Start
		}
	}
	return 0
}

func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// plainText is a heading's text as GitHub slugs it: the text of its inlines
// (code spans and link texts included, images and raw HTML tags not).
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(src))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.Image, *ast.RawHTML:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// mermaidTypes are the diagram keywords Mermaid 11 accepts at the start of a diagram.
var mermaidTypes = map[string]bool{
	"flowchart": true, "flowchart-elk": true, "graph": true, "sequenceDiagram": true,
	"classDiagram": true, "classDiagram-v2": true, "stateDiagram": true, "stateDiagram-v2": true,
	"erDiagram": true, "journey": true, "gantt": true, "pie": true, "quadrantChart": true,
	"requirementDiagram": true, "gitGraph": true, "C4Context": true, "C4Container": true,
	"C4Component": true, "C4Dynamic": true, "C4Deployment": true, "mindmap": true,
	"timeline": true, "zenuml": true, "sankey": true, "sankey-beta": true, "xychart": true,
	"xychart-beta": true, "block": true, "block-beta": true, "packet": true, "packet-beta": true,
	"kanban": true, "architecture": true, "architecture-beta": true, "radar-beta": true,
	"treemap": true, "treemap-beta": true, "info": true,
}

// checkMermaid looks at a mermaid fence's first statement, after any
// front matter ("---" … "---"), "%%" comments and directives.
func checkMermaid(n *ast.FencedCodeBlock, src []byte, lineOf func(int) int) *Problem {
	lines := n.Lines()
	inFront := false
	for i := range lines.Len() {
		s := lines.At(i)
		line := strings.TrimSpace(string(src[s.Start:s.Stop]))
		switch {
		case i == 0 && line == "---":
			inFront = true
			continue
		case inFront:
			if line == "---" {
				inFront = false
			}
			continue
		case line == "", strings.HasPrefix(line, "%%"):
			continue
		}
		word := line
		if j := strings.IndexAny(word, " \t:;{"); j >= 0 {
			word = word[:j]
		}
		if mermaidTypes[word] {
			return nil
		}
		return &Problem{Line: lineOf(s.Start), Kind: KindMermaid, Target: word,
			Message: fmt.Sprintf("mermaid diagram starts with %q, not a diagram type", word)}
	}
	return &Problem{Line: lineOf(nodePos(n)), Kind: KindMermaid, Message: "mermaid fence has no diagram"}
}

// resolver checks links against the files on disk and the anchors of the
// Markdown files they lead to.
type resolver struct {
	root    string
	md      goldmark.Markdown
	mu      sync.Mutex
	anchors map[string]map[string]bool // by path relative to root
	stats   map[string]stat            // by path relative to root
}

type stat struct {
	info fs.FileInfo
	err  error
}

// stat is os.Stat with a cache: many links lead to the same few files.
func (r *resolver) stat(rel string) (fs.FileInfo, error) {
	if s, ok := r.stats[rel]; ok {
		return s.info, s.err
	}
	info, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(rel)))
	r.stats[rel] = stat{info, err}
	return info, err
}

var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// resolve checks one link of file from; checked is false for links that are
// not relative (external URLs, mailto:, …), which are not counted.
func (r *resolver) resolve(from string, l link) (p *Problem, checked bool) {
	dest := l.dest
	problem := func(kind, format string, args ...any) *Problem {
		return &Problem{File: from, Line: l.line, Kind: kind, Target: dest, Message: fmt.Sprintf(format, args...)}
	}
	if scheme.MatchString(dest) || strings.HasPrefix(dest, "//") {
		return nil, false
	}
	target, frag, _ := strings.Cut(dest, "#")
	target, _, _ = strings.Cut(target, "?")
	if target == "" {
		if frag == "" {
			return problem(KindBrokenLink, "empty link target"), true
		}
		return r.checkAnchor(from, from, frag, problem), true
	}
	decoded, err := url.PathUnescape(target)
	if err != nil {
		return problem(KindEncoding, "malformed percent-encoding in %q", target), true
	}
	var rel string
	if strings.HasPrefix(decoded, "/") {
		rel = path.Clean(strings.TrimLeft(decoded, "/")) // GitHub resolves "/x" at the repository root
	} else {
		rel = path.Join(path.Dir(from), decoded)
	}
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return problem(KindOutside, "%q leads out of the repository", dest), true
	}
	info, err := r.stat(rel)
	if err != nil {
		kind, what := KindBrokenLink, "link"
		if l.image {
			kind, what = KindBrokenImage, "image"
		}
		if errors.Is(err, fs.ErrNotExist) {
			return problem(kind, "%s target %s does not exist", what, rel), true
		}
		return problem(kind, "%s target %s: %v", what, rel, err), true
	}
	if frag != "" && !info.IsDir() && isMarkdown(rel) {
		return r.checkAnchor(from, rel, frag, problem), true
	}
	return nil, true
}

func isMarkdown(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".md" || ext == ".markdown"
}

func (r *resolver) checkAnchor(from, target, frag string, problem func(string, string, ...any) *Problem) *Problem {
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	anchors, err := r.anchorsOf(target)
	if err != nil {
		return problem(KindAnchor, "cannot read %s for anchor #%s: %v", target, frag, err)
	}
	// GitHub's page script matches the fragment against ids case-insensitively.
	if anchors[frag] || anchors[strings.ToLower(frag)] {
		return nil
	}
	if target == from {
		return problem(KindAnchor, "no heading for anchor #%s", frag)
	}
	return problem(KindAnchor, "no heading for anchor #%s in %s", frag, target)
}

// anchorsOf returns the anchors of a Markdown file, parsing it when it was
// not among the checked files (an excluded file can still be linked to).
func (r *resolver) anchorsOf(rel string) (map[string]bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.anchors[rel]; ok {
		return a, nil
	}
	src, err := regular.ReadFile(context.Background(), filepath.Join(r.root, filepath.FromSlash(rel)), maxMarkdown, "Markdown file")
	if err != nil {
		return nil, err
	}
	a := parseFile(r.md, rel, src).anchors
	r.anchors[rel] = a
	return a, nil
}
