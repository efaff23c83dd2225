package site

import (
	"bytes"
	"html"
	"path"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// newMarkdown renders GitHub-flavoured Markdown (tables, task lists,
// strikethrough, autolinks) and footnotes. Raw HTML is left out (goldmark's
// default), so a file in the bundle cannot put markup or scripts into the page,
// and goldmark drops dangerous link schemes such as javascript:.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM, extension.Footnote),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(codeRenderer{}, 100))),
	)
}

// codeRenderer renders fenced code: a "mermaid" fence becomes
// <pre class="mermaid"> for the page's Mermaid to draw, and any other the
// usual <pre><code class="language-…">. Both escape the code.
type codeRenderer struct{}

func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderFence)
}

var langWord = regexp.MustCompile(`^[A-Za-z0-9_+#.-]+$`)

func renderFence(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	fb := n.(*ast.FencedCodeBlock)
	lang := string(fb.Language(src))
	var code bytes.Buffer
	for i := range fb.Lines().Len() {
		s := fb.Lines().At(i)
		code.Write(s.Value(src))
	}
	body := html.EscapeString(code.String())
	switch {
	case strings.EqualFold(lang, "mermaid"):
		_, _ = w.WriteString(`<pre class="mermaid">` + body + "</pre>\n")
	case langWord.MatchString(lang):
		_, _ = w.WriteString(`<pre><code class="language-` + html.EscapeString(lang) + `">` + body + "</code></pre>\n")
	default:
		_, _ = w.WriteString("<pre><code>" + body + "</code></pre>\n")
	}
	return ast.WalkSkipChildren, nil
}

var hasScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// renderMarkdown renders the Markdown file rel of the bundle for the index
// page at the bundle root: relative links and images are rebased from the
// file's folder to the root, so they still lead to the bundle's files.
func renderMarkdown(md goldmark.Markdown, rel string, src []byte) ([]byte, error) {
	doc := md.Parser().Parse(text.NewReader(src), parser.WithContext(parser.NewContext()))
	dir := path.Dir(rel)
	rebase := func(dest []byte) []byte {
		d := string(dest)
		if dir == "." || d == "" || strings.HasPrefix(d, "#") || strings.HasPrefix(d, "/") || hasScheme.MatchString(d) {
			return dest
		}
		p, frag, hasFrag := strings.Cut(d, "#")
		out := path.Join(dir, p)
		if strings.HasPrefix(out, "../") || out == ".." {
			return dest // leaves the bundle: nothing to rebase to
		}
		if hasFrag {
			out += "#" + frag
		}
		return []byte(out)
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch n := n.(type) {
			case *ast.Link:
				n.Destination = rebase(n.Destination)
			case *ast.Image:
				n.Destination = rebase(n.Destination)
			}
		}
		return ast.WalkContinue, nil
	})
	var out bytes.Buffer
	if err := md.Renderer().Render(&out, src, doc); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
