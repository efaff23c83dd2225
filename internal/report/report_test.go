package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/helios-action/helios-action/internal/diff"
	"github.com/helios-action/helios-action/internal/golden"
	"github.com/helios-action/helios-action/internal/markup"
)

func sortedNames() []string {
	var names []string
	for n := range fixtures() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestGolden(t *testing.T) {
	fx := fixtures()
	for _, name := range sortedNames() {
		in := fx[name]
		t.Run(name, func(t *testing.T) {
			golden.Assert(t, filepath.Join("testdata", name+".summary.md"), Summary(in))
			golden.Assert(t, filepath.Join("testdata", name+".comment.md"), Comment(in, Marker(in.missionName(), in.Key)))
			title, summary, text := CheckOutput(in)
			golden.Assert(t, filepath.Join("testdata", name+".check.md"), "title: "+title+"\n\n--- summary ---\n"+summary+"\n--- text ---\n"+text)
		})
	}
}

func render(t *testing.T, md string) string {
	t.Helper()
	var buf bytes.Buffer
	// Raw HTML is passed through, as GitHub does before it sanitizes, so a
	// tag that slipped through shows, and the <code> elements of
	// markup.Code are kept.
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := gm.Convert([]byte(md), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var (
	tableRe = regexp.MustCompile(`(?s)<table>(.*?)</table>`)
	rowRe   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRe  = regexp.MustCompile(`<t[hd][ >]`)
	// issueRefRe finds what GitHub would link as an issue outside code
	// (codeRe): '#' and a digit, not in a character reference.
	issueRefRe = regexp.MustCompile(`(?:^|[^&])#[0-9]`)
	codeRe     = regexp.MustCompile(`(?s)<pre.*?</pre>|<code>.*?</code>`)
)

// tableShapes returns, for each table in html, the cell count of each row.
func tableShapes(html string) [][]int {
	var out [][]int
	for _, tm := range tableRe.FindAllStringSubmatch(html, -1) {
		var rows []int
		for _, rm := range rowRe.FindAllStringSubmatch(tm[1], -1) {
			rows = append(rows, len(cellRe.FindAllString(rm[1], -1)))
		}
		out = append(out, rows)
	}
	return out
}

// TestGoldmarkParsesGoldens renders the golden files (and the check run's
// summary and text) with goldmark (GFM) and checks that every table keeps
// its shape (no row gained or lost a cell to a stray pipe), that the
// expected rows are there, that every <details> is closed, and that nothing
// from files or logs became HTML or a mention.
func TestGoldmarkParsesGoldens(t *testing.T) {
	fx := fixtures()
	for _, name := range sortedNames() {
		_, checkSummary, checkText := CheckOutput(fx[name])
		for _, kind := range []string{"summary", "comment", "check summary", "check text"} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				var md string
				switch kind {
				case "check summary":
					md = checkSummary
				case "check text":
					md = checkText
				default:
					b, err := os.ReadFile(filepath.Join("testdata", name+"."+kind+".md"))
					if err != nil {
						t.Fatal(err)
					}
					md = string(b)
				}
				html := render(t, md)
				shapes := tableShapes(html)
				if len(shapes) == 0 {
					t.Fatal("no table rendered")
				}
				if n := len(regexp.MustCompile(`(?m)^\| --- \|`).FindAllString(md, -1)); n != len(shapes) {
					t.Errorf("%d tables in the Markdown, %d rendered", n, len(shapes))
				}
				for i, rows := range shapes {
					for j, n := range rows {
						if n != rows[0] {
							t.Errorf("table %d row %d has %d cells, the header %d", i, j, n, rows[0])
						}
					}
				}
				if kind == "summary" || kind == "comment" {
					for _, want := range []string{
						"<th>Phase</th>", "<td><strong>prep</strong></td>", "<td>Check the toolchain</td>",
					} {
						if !strings.Contains(html, want) && (kind == "summary" || want != "<td>Check the toolchain</td>") {
							t.Errorf("rendering lacks %s", want)
						}
					}
				}
				checkInert(t, md, html)
			})
		}
	}
}

// checkInert checks a rendering for what untrusted text must never become:
// HTML, a mention, an issue reference, an unbalanced <details>.
func checkInert(t *testing.T, md, html string) {
	t.Helper()
	for _, bad := range []string{"<b>", "<img", "<script", `href="http://evil"`, `href="javascript`} {
		if strings.Contains(html, bad) {
			t.Errorf("untrusted text became %q in the rendering", bad)
		}
	}
	// GitHub links no mention or reference in code.
	prose := codeRe.ReplaceAllString(html, "")
	for _, bad := range []string{"@alice", "@bob", "@carol", "@someone", "@everyone"} {
		if strings.Contains(prose, bad) {
			t.Errorf("untrusted text became the mention %q in the rendering", bad)
		}
	}
	if ref := issueRefRe.FindString(prose); ref != "" {
		t.Errorf("untrusted text became the issue reference %q in the rendering", ref)
	}
	if err := detailsBalanced(html); err != "" {
		t.Error(err)
	}
	if strings.Contains(md, "```mermaid") && !strings.Contains(html, `<code class="language-mermaid">`) {
		t.Error("mermaid block not parsed as a code block")
	}
}

var detailsRe = regexp.MustCompile(`<details>|</details>`)

// detailsBalanced returns what is wrong with the nesting of the rendered
// <details> elements, or "".
func detailsBalanced(html string) string {
	depth := 0
	for _, tag := range detailsRe.FindAllString(html, -1) {
		if tag == "<details>" {
			depth++
			continue
		}
		if depth--; depth < 0 {
			return "a </details> closes nothing"
		}
	}
	if depth != 0 {
		return fmt.Sprintf("%d <details> left open", depth)
	}
	return ""
}

func TestFailureGoldenContent(t *testing.T) {
	in := fixtures()["failure"]
	html := render(t, Summary(in))
	for _, want := range []string{
		"<td>lint</td>",      // the gate table
		"<td>❌ failure</td>", // a status cell
		"Rehearse | &quot;quoted&quot; [x](http://evil) #\u20601 @\u2060bob &lt;img src=x&gt; `tick`", // the escaped name, read back
		"<td>⏭️ skipped</td>",
		"<code>owner/plan.json</code>",
		"<code>/thermostat/kp</code>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("rendered failure summary lacks %q", want)
		}
	}
}

// TestSkippedGoldenContent: a step that skipped itself shows its reason,
// read back from the rendered Markdown, in the header, the step table and
// the chain checks of the summary, the comment and the check run, and the
// check's title counts it.
func TestSkippedGoldenContent(t *testing.T) {
	const reason = "no RPC endpoint: chain pre-flight skipped; pass rpc-url to run it"
	in := fixtures()["skipped"]
	title, summary, text := CheckOutput(in)
	for name, md := range map[string]string{
		"summary": Summary(in), "comment": Comment(in, Marker(in.missionName(), in.Key)), "check summary": summary, "check text": text,
	} {
		html := render(t, md)
		wants := []string{"<td>⏭️ skipped</td>", "<code>helios/token</code> · " + reason + "</td>"}
		if name != "check text" {
			wants = append(wants, "⏭️ <strong>2 steps skipped:</strong> "+reason+"</p>", "<td>⏭️ skipped · "+reason+"</td>")
		}
		for _, want := range wants {
			if !strings.Contains(html, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, html)
			}
		}
	}
	if want := "success · 4 steps · 2 skipped · "; !strings.HasPrefix(title, want) {
		t.Errorf("check title %q, want it to start %q", title, want)
	}
}

func TestLimits(t *testing.T) {
	in := huge()
	s := Summary(in)
	if len(s) > markup.MaxSummaryBytes {
		t.Errorf("summary is %d bytes, over %d", len(s), markup.MaxSummaryBytes)
	}
	if len(s) < markup.MaxSummaryBytes/2 {
		t.Errorf("summary is only %d bytes: the cut wastes the room", len(s))
	}
	c := Comment(in, Marker(in.missionName(), in.Key))
	if n := utf8.RuneCountInString(c); n > markup.MaxCommentChars {
		t.Errorf("comment is %d characters, over %d", n, markup.MaxCommentChars)
	}
	title, summary, text := CheckOutput(in)
	for name, v := range map[string]string{"title": title, "summary": summary, "text": text} {
		if n := utf8.RuneCountInString(v); n > markup.MaxCheckOutputBytes {
			t.Errorf("check %s is %d characters", name, n)
		}
	}
	if n := utf8.RuneCountInString(StatusDescription(in)); n > markup.MaxStatusDescriptionChars {
		t.Errorf("status description is %d characters", n)
	}
	for name, md := range map[string]string{"summary": s, "comment": c, "check summary": summary, "check text": text} {
		if !strings.Contains(md, "not shown") {
			t.Errorf("%s: cut without a note saying where the rest is", name)
		}
		if !strings.Contains(md, "`manifest.json` in the artifact") && !strings.Contains(md, "helios diff") {
			t.Errorf("%s: the note does not say where the rest is", name)
		}
		html := render(t, md)
		for i, rows := range tableShapes(html) {
			for j, n := range rows {
				if n != rows[0] {
					t.Fatalf("%s: table %d row %d has %d cells, the header %d", name, i, j, n, rows[0])
				}
			}
		}
		for _, block := range mermaidBlocks(md) {
			if utf8.RuneCountInString(block) > markup.MaxMermaidChars {
				t.Errorf("%s: a Mermaid block of %d characters", name, utf8.RuneCountInString(block))
			}
		}
	}
	if !strings.HasPrefix(c, Marker(in.missionName(), in.Key)+"\n") {
		t.Error("the comment does not start with its marker")
	}
	if a := Annotations(in); len(a) != 1 || utf8.RuneCountInString(a[0].Message) > maxAnnotationMsg+400 {
		t.Errorf("annotations = %d, message %d characters", len(a), len(a[0].Message))
	}
}

func mermaidBlocks(md string) []string {
	var out []string
	for _, part := range strings.Split(md, "```mermaid\n")[1:] {
		if i := strings.Index(part, "```"); i >= 0 {
			out = append(out, part[:i])
		}
	}
	return out
}

func TestMermaidEscaping(t *testing.T) {
	in := fixtures()["failure"]
	for _, block := range mermaidBlocks(Summary(in)) {
		for _, line := range strings.Split(block, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "p1[") && strings.Count(line, `"`) != 2 {
				t.Errorf("label with stray quotes: %s", line)
			}
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain words", "plain words"},
		{"a|b", "a&#124;b"},
		{"@alice", "@\u2060alice"},
		{"<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"},
		{"`code` *em*", "\\`code\\` \\*em\\*"},
		{"two\nlines", "two lines"},
		{"\u202eevil", "\uFFFDevil"},
		{"", "—"},
	} {
		if got := mdText(tc.in, 100); got != tc.want {
			t.Errorf("mdText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := mdText(strings.Repeat("é", 300), 10); utf8.RuneCountInString(got) != 10 || !strings.HasSuffix(got, "…") {
		t.Errorf("mdText cut = %q", got)
	}
	for _, tc := range []struct{ in, want string }{
		{"owner/plan.json", "`owner/plan.json`"},
		{"a|b", "<code>a&#124;b</code>"},
		{"new `file`", "`` new `file` ``"},
		{"  ", "—"},
		{strings.Repeat("x", 60), "`" + strings.Repeat("x", 49) + "…`"},
	} {
		if got := mdCode(tc.in, 50); got != tc.want {
			t.Errorf("mdCode(%q, 50) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		json   string
		rows   string
		failed bool
		err    bool
	}{
		{"empty", "", "[]", false, false},
		{"all good", `{"build":{"result":"success","outputs":{}},"docs":{"result":"skipped","outputs":{}}}`, "[{build success} {docs skipped}]", false, false},
		{"a failure", `{"lint":{"result":"failure","outputs":{}},"build":{"result":"success","outputs":{"x":"1"}}}`, "[{build success} {lint failure}]", true, false},
		{"cancelled", `{"e2e":{"result":"cancelled"}}`, "[{e2e cancelled}]", true, false},
		{"no result", `{"odd":{}}`, "[{odd unknown}]", true, false},
		{"not JSON", `needs.build.result`, "[]", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, failed, err := Gate(tc.json)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			got := "[]"
			if len(rows) > 0 {
				got = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(sprint(rows)), "report.GateRow", ""), "  ", " ")
			}
			if got != tc.rows || failed != tc.failed {
				t.Errorf("Gate = %s, %v; want %s, %v", got, failed, tc.rows, tc.failed)
			}
		})
	}
}

func sprint(rows []GateRow) string {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("{" + r.Job + " " + r.Result + "}")
	}
	b.WriteString("]")
	return b.String()
}

func TestMarker(t *testing.T) {
	for _, tc := range []struct{ mission, key, want string }{
		{"Helios example mission", "build", "<!-- helios:mission=Helios%20example%20mission key=build -->"},
		{"x --> y", "k=1 key=z", "<!-- helios:mission=x%20--%3E%20y key=k%3D1%20key%3Dz -->"},
	} {
		if got := Marker(tc.mission, tc.key); got != tc.want {
			t.Errorf("Marker(%q, %q) = %q, want %q", tc.mission, tc.key, got, tc.want)
		}
	}
}

func TestStatusAndAnnotations(t *testing.T) {
	fx := fixtures()
	for _, tc := range []struct {
		name, status string
		annotations  []Annotation
	}{
		{"success", "success · 5 steps · 32 files · sha256:177007b0c2d5 · no drift", nil},
		{"failure", `failure · 1 of 5 steps failed · 17 files · sha256:9f86d081884c · drift: 2 files · gate failed · step "rehearse" of phase "plan" failed: exi…`,
			[]Annotation{{Path: "helios.yml", StartLine: 14, EndLine: 14, Level: "failure",
				Title:   `Step "Rehearse | \"quoted\" [x](http://evil) #1 @bob <img src=x> ` + "`tick`" + `" of phase "plan" failed`,
				Message: "exit status 1: npm ERR! | <b>boom</b> @alice second line ```\nexit code 1\nlog: logs/rehearse.log"}}},
		{"skipped", "success · 4 steps · 2 skipped · 14 files · sha256:5f70bf18a086",
			[]Annotation{
				{Path: "helios.yml", StartLine: 9, EndLine: 9, Level: "notice", Title: `Step "Check the token" of phase "preflight" was skipped`,
					Message: "no RPC endpoint: chain pre-flight skipped; pass rpc-url to run it\nlog: logs/token.log"},
				{Path: "reports/helios/logs/pause.log", StartLine: 1, EndLine: 1, Level: "notice", Title: `Step "pause" of phase "preflight" was skipped`,
					Message: "no RPC endpoint: chain pre-flight skipped; pass rpc-url to run it\nlog: logs/pause.log"},
			}},
		{"cancelled", "cancelled · 5 steps · 9 files · sha256:e3b0c44298fc · cancelled by SIGTERM",
			[]Annotation{
				{Path: "reports/helios/logs/rehearse.log", StartLine: 1, EndLine: 1, Level: "warning", Title: `Step "Rehearse asi-takeoff" of phase "plan" was cancelled`, Message: "cancelled (SIGTERM)\nlog: logs/rehearse.log"},
				{Path: "reports/helios/logs/collect.log", StartLine: 1, EndLine: 1, Level: "warning", Title: `Step "Collect receipts" of phase "plan" was cancelled`, Message: "log: logs/collect.log"},
				{Path: "reports/helios/logs/token.log", StartLine: 1, EndLine: 1, Level: "warning", Title: `Step "Check the token" of phase "governance" was cancelled`, Message: "log: logs/token.log"},
				{Path: "reports/helios/logs/summarise.log", StartLine: 1, EndLine: 1, Level: "warning", Title: `Step "Summarise" of phase "digest" was cancelled`, Message: "log: logs/summarise.log"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fx[tc.name]
			if got := StatusDescription(in); got != tc.status {
				t.Errorf("StatusDescription = %q, want %q", got, tc.status)
			}
			got := Annotations(in)
			if len(got) != len(tc.annotations) {
				t.Fatalf("Annotations = %+v", got)
			}
			for i := range got {
				if got[i] != tc.annotations[i] {
					t.Errorf("annotation %d = %+v\nwant %+v", i, got[i], tc.annotations[i])
				}
			}
		})
	}
}

// TestEmptyInput: a run that wrote no manifest (say, verify-only mode on a
// missing bundle) still renders within limits and does not panic.
func TestEmptyInput(t *testing.T) {
	in := Input{Conclusion: "failure", Gate: []GateRow{{Job: "build", Result: "cancelled"}}}
	s := Summary(in)
	if !strings.Contains(s, "failure") || !strings.Contains(render(t, s), "<td>build</td>") {
		t.Errorf("summary = %q", s)
	}
	c := Comment(in, Marker("m", "k"))
	if !strings.HasPrefix(c, Marker("m", "k")) {
		t.Errorf("comment = %q", c)
	}
	if d := StatusDescription(in); d != "failure · gate failed" {
		t.Errorf("status = %q", d)
	}
	if a := Annotations(in); len(a) != 0 {
		t.Errorf("annotations = %v", a)
	}
}

// A baseline comparison keeps at most diff's MaxFiles files of each kind;
// the summary's counts are the complete ones and it says how many files it
// does not list.
func TestDriftCountsBeyondTheLists(t *testing.T) {
	in := fixtures()["success"]
	in.Drift = &diff.Result{Old: "baseline", New: "reports/helios",
		Changed:   []diff.Change{{Name: "a.json", Old: strings.Repeat("a", 64), New: strings.Repeat("b", 64)}},
		Added:     []diff.Change{{Name: "b.json", New: strings.Repeat("c", 64)}},
		Total:     diff.Counts{Changed: 1500, Added: 1200, Removed: 7},
		Unchanged: 3,
	}
	s := Summary(in)
	for _, want := range []string{"1500 changed, 1200 added, 7 removed", "| … | 2705 more files not listed | | |"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestSafeURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://github.com/o/r/actions/runs/1", "https://github.com/o/r/actions/runs/1"},
		{" http://ghes.example/o/r ", "http://ghes.example/o/r"},
		{"https://github.com/o/r/a(b)|c", "https://github.com/o/r/a%28b%29%7Cc"},
		{"/o/r/actions/runs/1", ""},
		{"javascript:alert(1)", ""},
		{"https:///no-host", ""},
		{"", ""},
	} {
		if got := safeURL(tc.in); got != tc.want {
			t.Errorf("safeURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestShardsCut: a merge of the most shard jobs a matrix holds, each with
// a long problem, keeps its shards table within the section's budget and
// says where the rest is; a bundle that is no merge has no such section.
func TestShardsCut(t *testing.T) {
	in := huge()
	for name, md := range map[string]string{"summary": Summary(in), "comment": Comment(in, Marker(in.missionName(), in.Key))} {
		if !strings.Contains(md, "Shards\n\n| Shard job |") || !strings.Contains(md, "more shard jobs not shown; every one is in `manifest.json` in the artifact") {
			t.Errorf("%s: no cut shards table with its note", name)
		}
		if !strings.Contains(md, "**256 of 256 shard jobs did not succeed:**") {
			t.Errorf("%s: no line naming the shard jobs that did not succeed", name)
		}
	}
	for _, name := range []string{"success", "failure"} {
		if md := Summary(fixtures()[name]); strings.Contains(md, "Shards") {
			t.Errorf("%s: a shards section in a bundle that is no merge", name)
		}
	}
}
