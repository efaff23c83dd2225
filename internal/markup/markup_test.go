package markup

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
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
	want := strings.TrimSpace(Line(in, 0))
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
	for _, tc := range []struct{ in, want string }{
		{"deploy", "deploy"},
		{`a "b" [c]`, `a #quot;b#quot; #91;c#93;`},
		{"x<y>&#z;", "x#lt;y#gt;#amp;#35;z#59;"},
		{"f(x) {y} a|b c:d 50% a\\b `t`", "f#40;x#41; #123;y#125; a#124;b c#58;d 50#37; a#92;b #96;t#96;"},
		{"@alice", "@" + wj + "alice"},
		{"line\nbreak", "line break"},
		{"", "(unnamed)"},
	} {
		if got := MermaidLabel(tc.in); got != tc.want {
			t.Errorf("MermaidLabel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

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
