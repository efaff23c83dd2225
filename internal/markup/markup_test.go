package markup

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

const wj = "\u2060"

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "plain text", 0, "plain text"},
		{"breaks and tabs", "a\nb\r\nc\td", 0, "a b  c d"},
		{"bidi override", "\u202eevil", 0, "\uFFFDevil"},
		{"planted joiners", "@\u2060x @\u200dy", 0, "@\uFFFDx @\uFFFDy"},
		{"line separators", "a\u2028b\u2029c", 0, "a\uFFFDb\uFFFDc"},
		{"invalid UTF-8", "a\xffb", 0, "a\uFFFDb"},
		{"fits", "abcde", 5, "abcde"},
		{"cut", "abcdef", 5, "abcd…"},
		{"cut counts characters", strings.Repeat("é", 300), 10, strings.Repeat("é", 9) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Line(tc.in, tc.max); got != tc.want {
				t.Errorf("Line(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "plain words", "plain words"},
		{"empty", "", ""},
		{"pipe", "a|b", "a&#124;b"},
		{"html", "<b>x</b> & y", "&lt;b&gt;x&lt;/b&gt; &amp; y"},
		{"mention", "@alice and @org/team", "@" + wj + "alice and @" + wj + "org/team"},
		{"issue reference", "#1 and owner/repo#2", "#" + wj + "1 and owner/repo#" + wj + "2"},
		{"GH reference", "GH-12, gh-3, high-5", `GH\-` + wj + `12, gh\-` + wj + `3, high\-5`},
		{"heading", "# title", "#" + wj + " title"},
		{"emphasis and code", "`code` *em* _u_ ~s~", "\\`code\\` \\*em\\* \\_u\\_ \\~s\\~"},
		{"link and image", "[l](u) ![i](x)", `\[l\]\(u\) \!\[i\]\(x\)`},
		{"autolink", "https://evil.example", `https\://evil\.example`},
		{"list markers", "1. - + x", `1\. \- \+ x`},
		{"math and quotes", `$x$ "q" 'a'`, `\$x\$ \"q\" \'a\'`},
		{"backslash", `a\|b`, `a\\&#124;b`},
		{"line break", "two\nlines", "two lines"},
		{"bidi", "\u202eevil", "\uFFFDevil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

var (
	cellRe = regexp.MustCompile(`(?s)<td>(.*?)</td>`)
	tagRe  = regexp.MustCompile(`<[a-z]`)
)

// inert renders Text(in) in a GFM table cell and in prose with goldmark,
// linkify included, and reports how it fails to read back as itself (less
// the word joiners), in one cell, with no element of its own and no live
// mention or reference.
func inert(in string) []string {
	var buf bytes.Buffer
	src := "| h |\n| --- |\n| " + Text(in) + " |\n\n" + Text(in) + "\n"
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(src), &buf); err != nil {
		return []string{err.Error()}
	}
	out := buf.String()
	cells := cellRe.FindAllStringSubmatch(out, -1)
	if len(cells) != 1 {
		return []string{fmt.Sprintf("%d cells, want 1:\n%s", len(cells), out)}
	}
	para := out[strings.Index(out, "</table>")+len("</table>"):]
	para = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(para), "<p>"), "</p>")
	// Markdown trims spaces and tabs (Line has made tabs spaces) around a
	// cell and a paragraph, not every Unicode space: "\u2000" stays.
	want := strings.Trim(Line(in, 0), " ")
	var bad []string
	for _, where := range []struct{ name, html string }{{"cell", cells[0][1]}, {"prose", para}} {
		if tagRe.MatchString(where.html) {
			bad = append(bad, fmt.Sprintf("%s holds markup: %s", where.name, where.html))
		}
		text := html.UnescapeString(where.html)
		if m := liveRe.FindString(text); m != "" {
			bad = append(bad, fmt.Sprintf("%s holds a live %q: %q", where.name, m, text))
		}
		if text = strings.ReplaceAll(text, wj, ""); text != want {
			bad = append(bad, fmt.Sprintf("%s reads %q, want %q", where.name, text, want))
		}
	}
	return bad
}

// liveRe finds what GitHub would turn into a mention or a reference.
var liveRe = regexp.MustCompile(`@[A-Za-z0-9]|#[0-9]|(?i:\bgh-[0-9])`)

var hostile = []string{
	"a|b", `back\|slash`, `odd\\\|run`, "<script>alert(1)</script>", "<b>x</b>", "&amp; &#124;",
	"[link](https://evil.example) ![img](x.png)", "www.evil.example", "https://evil.example/x",
	"**bold** _em_ `tick` ~~del~~", "@alice @org/team", "see #12, GH-7 and o/r#3", "# heading",
	"1. item", "- item", "> quote", "$x^2$", "***", "<!-- c -->", "&lt;not a tag&gt;", "a\\", "\\",
	"foo\nbar", "x  ", ":smile:", "[^1]", "[x]: http://evil", "mail a@b.example", "    indented",
}

func TestTextRendersInert(t *testing.T) {
	for _, in := range hostile {
		t.Run(in, func(t *testing.T) {
			for _, b := range inert(in) {
				t.Error(b)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	for _, in := range hostile {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, b := range inert(in) {
			t.Error(b)
		}
	})
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n          int
		word, want string
	}{
		{0, "file", "0 files"},
		{1, "file", "1 file"},
		{2, "file", "2 files"},
		{1000, "relative link", "1000 relative links"},
		{1, "leftover process", "1 leftover process"},
		{3, "leftover process", "3 leftover processes"},
		{2, "box", "2 boxes"},
		{2, "match", "2 matches"},
		{2, "crash", "2 crashes"},
		{2, "phase", "2 phases"},
	} {
		if got := Plural(tc.n, tc.word); got != tc.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", tc.n, tc.word, got, tc.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 ms"},
		{850 * time.Millisecond, "850 ms"},
		{time.Second, "1.0 s"},
		{12340 * time.Millisecond, "12.3 s"},
		{2*time.Minute + 3*time.Second + 900*time.Millisecond, "2m 03s"},
		{59*time.Minute + 59*time.Second, "59m 59s"},
		{time.Hour + 2*time.Minute + 59*time.Second, "1h 02m"},
		{27 * time.Hour, "27h 00m"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := DurationMs(123_000); got != "2m 03s" {
		t.Errorf("DurationMs(123000) = %q", got)
	}
}

func TestMermaidLabel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"deploy", 0, "deploy"},
		{`a "b" [c]`, 0, `a #quot;b#quot; #91;c#93;`},
		{"x<y>&#z;", 0, "x#lt;y#gt;#amp;#35;z#59;"},
		{"f(x) {y} a|b c:d 50% a\\b `t`", 0, "f#40;x#41; #123;y#125; a#124;b c#58;d 50#37; a#92;b #96;t#96;"},
		{"@alice", 0, "@" + wj + "alice"},
		{"line\nbreak", 0, "line break"},
		{"", 0, "(unnamed)"},
		{"   ", 0, "(unnamed)"},
		// Gantt: a name that starts with a keyword would be its directive.
		{"title: x", 0, "#116;itle#58; x"},
		{"Section 2", 0, "#83;ection 2"},
		{"CLICK me", 0, "#67;LICK me"},
		{"  excludes weekends", 0, "#101;xcludes weekends"},
		{"retitle", 0, "retitle"},
		// Spaces at either end go before the cut, so they cost nothing.
		{"  padded  ", 0, "padded"},
		{"   abcdefgh", 5, "abcd…"},
	} {
		if got := MermaidLabel(tc.in, tc.max); got != tc.want {
			t.Errorf("MermaidLabel(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// TestMermaidLabelInGantt: every label stays one task name in a gantt
// line, "name :tags, from, to": no ':' ends it early, no '#' or '%' comments
// out the rest, no leading keyword makes it a directive.
func TestMermaidLabelInGantt(t *testing.T) {
	for _, in := range append(hostile, "title x", "section: y", "todayMarker off", "click p0 call x()", "%% c", "a;b", "dateFormat x") {
		l := MermaidLabel(in, LabelChars)
		if strings.ContainsAny(l, ":%\n\"") {
			t.Errorf("MermaidLabel(%q) = %q holds a character that ends or comments out a gantt name", in, l)
		}
		if strings.Contains(l, "#") && !entityRe.MatchString(l) {
			t.Errorf("MermaidLabel(%q) = %q holds a '#' outside an entity code", in, l)
		}
		if startsWithKeyword(l) {
			t.Errorf("MermaidLabel(%q) = %q starts with a gantt keyword", in, l)
		}
	}
}

// entityRe matches a label whose every '#' starts a Mermaid entity code.
var entityRe = regexp.MustCompile(`^([^#]|#([0-9]+|[a-z]+);)*$`)

const classDefs = "  classDef success fill:#dafbe1,stroke:#1a7f37,color:#1f2328\n" +
	"  classDef failure fill:#ffebe9,stroke:#cf222e,color:#1f2328\n" +
	"  classDef cancelled fill:#fff8c5,stroke:#9a6700,color:#1f2328\n" +
	"  classDef skipped fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:4 3\n" +
	"  classDef unknown fill:#f6f8fa,stroke:#57606a,color:#1f2328\n"

func TestFlowchart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		phases []Phase
		want   string
	}{
		{"no phases", nil, "flowchart LR\n"},
		{"edges from needs, no status, no colours", []Phase{{Name: "prep"}, {Name: "plan", Needs: []string{"prep", "elsewhere"}}},
			"flowchart LR\n  p0[\"prep\"]\n  p1[\"plan\"]\n  p0 --> p1\n"},
		{"labels escaped and cut", []Phase{{Name: `a "b" <c> #d` + strings.Repeat("x", 60)}},
			"flowchart LR\n  p0[\"a #quot;b#quot; #lt;c#gt; #35;d" + strings.Repeat("x", 47) + "…\"]\n"},
		{"status under the name, coloured", []Phase{
			{Name: "a", Status: "success"}, {Name: "b", Status: "failure", Needs: []string{"a"}},
			{Name: "c", Status: "success"}, {Name: "d", Status: "odd"}, {Name: "e"},
		},
			"flowchart LR\n  p0[\"a<br/>success\"]\n  p1[\"b<br/>failure\"]\n  p2[\"c<br/>success\"]\n  p3[\"d<br/>odd\"]\n  p4[\"e\"]\n" +
				"  p0 --> p1\n  class p0,p2 success\n  class p1 failure\n  class p3 unknown\n" + classDefs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Flowchart(tc.phases); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestLabelCutIsInCharacters(t *testing.T) {
	got := Flowchart([]Phase{{Name: strings.Repeat("é", 100)}})
	label := got[strings.Index(got, `["`)+2 : strings.Index(got, `"]`)]
	if n := utf8.RuneCountInString(label); n != LabelChars {
		t.Errorf("label of %d characters, want %d", n, LabelChars)
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "owner/plan.json", "`owner/plan.json`"},
		{"empty", "", "<code></code>"},
		{"backticks inside", "a`b``c", "```a`b``c```"},
		{"backtick at the start", "`x", "`` `x ``"},
		{"backtick at the end", "x`", "`` x` ``"},
		{"spaces at both ends", " x ", "`  x  `"},
		{"space at one end", " x", "` x`"},
		{"all spaces", "  ", "`  `"},
		{"markup and mentions stay in the span", "*a* @b #1 <i>", "`*a* @b #1 <i>`"},
		{"line break", "a\nb", "`a b`"},
		{"bidi", "\u202eevil", "`\uFFFDevil`"},
		{"pipe", "a|b", "<code>a&#124;b</code>"},
		{"pipe and punctuation", `x|*y* <z>`, "<code>x&#124;&#42;y&#42; &#60;z&#62;</code>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Code(tc.in); got != tc.want {
				t.Errorf("Code(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// codeRe finds one code element, as goldmark renders a code span or passes
// a raw <code> through.
var codeRe = regexp.MustCompile(`(?s)^<code>(.*)</code>$`)

// inertCode renders Code(in) in a GFM table cell and in prose with
// goldmark, raw HTML passed through as GitHub does, and reports how it
// fails to read back as Line(in) in one cell, in one code element and
// nothing else.
func inertCode(in string) []string {
	var buf bytes.Buffer
	src := "| h |\n| --- |\n| " + Code(in) + " |\n\nsee " + Code(in) + "\n"
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := md.Convert([]byte(src), &buf); err != nil {
		return []string{err.Error()}
	}
	out := buf.String()
	cells := cellRe.FindAllStringSubmatch(out, -1)
	if len(cells) != 1 {
		return []string{fmt.Sprintf("%d cells, want 1:\n%s", len(cells), out)}
	}
	para := out[strings.Index(out, "</table>")+len("</table>"):]
	para = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(para), "<p>see "), "</p>")
	want := Line(in, 0)
	var bad []string
	for _, where := range []struct{ name, html string }{{"cell", cells[0][1]}, {"prose", para}} {
		m := codeRe.FindStringSubmatch(where.html)
		if m == nil {
			bad = append(bad, fmt.Sprintf("%s is not one code element: %s", where.name, where.html))
			continue
		}
		if tagRe.MatchString(m[1]) {
			bad = append(bad, fmt.Sprintf("%s holds markup: %s", where.name, where.html))
		}
		if text := html.UnescapeString(m[1]); text != want {
			bad = append(bad, fmt.Sprintf("%s reads %q, want %q", where.name, text, want))
		}
	}
	return bad
}

var hostileCode = append([]string{
	"`", "``", "a`b", "`a`", " `a` ", "x|`y`", "|", "a\\|b", "\\|", "\\\\|", "| a |", "www.evil.example|x",
	"  ", " a", "a ", "https://evil.example", "@alice|b", "<code>x</code>", "&#124;",
}, hostile...)

func TestCodeRendersInert(t *testing.T) {
	for _, in := range hostileCode {
		t.Run(in, func(t *testing.T) {
			for _, b := range inertCode(in) {
				t.Error(b)
			}
		})
	}
}

func FuzzCode(f *testing.F) {
	for _, in := range hostileCode {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if strings.TrimSpace(Line(in, 0)) == "" {
			// A blank cell or paragraph is not what this checks; Code of
			// blank text is checked above.
			return
		}
		for _, b := range inertCode(in) {
			t.Error(b)
		}
	})
}

func TestLinkDest(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "https://github.com/o/r/actions/runs/1", "https://github.com/o/r/actions/runs/1"},
		{"relative", "docs/runbook.md#steps", "docs/runbook.md#steps"},
		{"spaces at the ends go", "  https://x.example/a  ", "https://x.example/a"},
		{"ends and titles", `https://x.example/a b(c)"d"<e>`, "https://x.example/a%20b%28c%29%22d%22%3Ce%3E"},
		{"backslash, backtick, pipe", "https://x.example/a\\b`c|d", "https://x.example/a%5Cb%60c%7Cd"},
		{"control characters", "https://x.example/a\nb\x7f", "https://x.example/a%0Ab%7F"},
		{"query", "https://x.example/?a=1&b=2", "https://x.example/?a=1&b=2"},
		{"entity-like", "https://x.example/?a&copy;b&#38;c", "https://x.example/?a&amp;copy;b&amp;#38;c"},
		{"already encoded", "https://x.example/a%20b", "https://x.example/a%20b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LinkDest(tc.in); got != tc.want {
				t.Errorf("LinkDest(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

var hrefRe = regexp.MustCompile(`<a href="([^"]*)">x</a>`)

// TestLinkDestRendersAsIs: bare or in angle brackets, in prose or a table
// cell, the link is one link to the URL given, with nothing after it.
func TestLinkDestRendersAsIs(t *testing.T) {
	for _, in := range []string{
		"https://x.example/a b", "https://x.example/a)b", "https://x.example/a>b", `https://x.example/"t"`,
		"https://x.example/a\\", "https://x.example/a|b", "https://x.example/?a=1&amp;b", "https://x.example/(x) 'y'",
		"https://x.example/a\nb", "docs/runbook.md", "https://x.example/`x`",
	} {
		dest := LinkDest(in)
		for _, link := range []string{"[x](" + dest + ")", "[x](<" + dest + ">)"} {
			for _, src := range []string{link + " after\n", "| h |\n| --- |\n| " + link + " after |\n"} {
				var buf bytes.Buffer
				if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(src), &buf); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				m := hrefRe.FindAllStringSubmatch(out, -1)
				if len(m) != 1 || !strings.Contains(out, "</a> after<") {
					t.Errorf("%q: not one link followed by the text:\n%s", src, out)
					continue
				}
				if got, want := unpercent(html.UnescapeString(m[0][1])), unpercent(strings.TrimSpace(in)); got != want {
					t.Errorf("%q: link to %q, want %q", src, got, want)
				}
			}
		}
	}
}

// unpercent decodes every %XX, so URLs encoded differently compare equal.
func unpercent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
