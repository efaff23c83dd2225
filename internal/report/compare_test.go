package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/helios-action/helios-action/internal/diff"
	"github.com/helios-action/helios-action/internal/markup"
)

// leads returns the rendering's first section after the header (the
// conclusion and skip lines): the comparison must come before the links.
func leads(md string) string {
	i := strings.Index(md, "\n📦 Artifact")
	if i < 0 {
		return md
	}
	return md[:i]
}

// TestComparisonLeads: in every form, the comparison (or why there is none)
// comes before the links, the gate, the chain checks and the phases.
func TestComparisonLeads(t *testing.T) {
	for name, want := range map[string]string{
		"first-run":   "ℹ️ No baseline to compare with: no successful run of this workflow on `main` yet",
		"no-baseline": "add `actions: read` to the job\\'s `permissions`",
		"identical":   "**Since `main` @ abc1234 ([run #\u206012](https://github.com/octo/drill/actions/runs/40)): identical evidence**",
		"drift":       "**Since `main` @ abc1234 ([run #\u206012](https://github.com/octo/drill/actions/runs/40)): 2 changed, 1 added, 0 removed**",
		"tampered":    "⚠️ **The baseline `main` @ abc1234 ([run #\u206012](https://github.com/octo/drill/actions/runs/40)) does not match its own `SHA256SUMS` and was not used:**",
		"path":        "**Since `baseline/helios`: 1 changed, 0 added, 1 removed**",
		"success":     "**Since `baseline/SHA256SUMS`: no drift** (0 changed, 0 added, 0 removed)",
	} {
		in := fixtures()[name]
		_, summary, _ := CheckOutput(in)
		for form, md := range map[string]string{"summary": Summary(in), "comment": Comment(in, Marker(in.missionName(), in.Key)), "check summary": summary} {
			if !strings.Contains(leads(md), want) {
				t.Errorf("%s %s does not lead with %q:\n%s", name, form, want, leads(md))
			}
			for _, later := range []string{"Chain checks", "CI summary gate", "Phases"} {
				if strings.Contains(leads(md), later) {
					t.Errorf("%s %s: %q comes before the links", name, form, later)
				}
			}
		}
	}
}

// TestDriftGoldenContent reads the drift case back from its rendering: the
// parameter that moved, before and after, with the blocks the two runs
// read it at; the text diff collapsed in a diff block; the volatile files
// apart; the chain check with its block and report.
func TestDriftGoldenContent(t *testing.T) {
	in := fixtures()["drift"]
	for form, md := range map[string]string{"summary": Summary(in), "comment": Comment(in, Marker(in.missionName(), in.Key))} {
		html := render(t, md)
		for _, want := range []string{
			"<td>Thermodynamics</td>\n<td><code>/thermostat/parameters/kp/onChain</code></td>\n<td><code>&quot;100&quot;</code></td>\n<td><code>&quot;120&quot;</code></td>\n<td>19000100 → 19000123</td>",
			"<details><summary>Show the diff (6 lines)</summary>",
			"<pre><code class=\"language-diff\">@@ -9,5 +9,5 @@\n | Parameter | Config | On chain | Status |\n | --- | --- | --- | --- |\n-| kp | 100 | 100 | match |\n+| kp | 120 | 120 | match |\n",
			"<details><summary>3 volatile files differ, as expected; not drift</summary>",
			"<td>Thermodynamics (<code>helios/state</code>)</td>\n<td>✅ success</td>\n<td>19000123</td>\n<td><code>owner/thermodynamics.md</code></td>",
			"content digest <code>sha256:" + contentNow + "</code>",
		} {
			if !strings.Contains(html, want) {
				t.Errorf("%s lacks %q", form, want)
			}
		}
		// The volatile files are no drift: they are not in the file table.
		if strings.Contains(html, "<td>changed</td>\n<td><code>manifest.json</code>") {
			t.Errorf("%s lists a volatile file as drift", form)
		}
	}
}

func TestComparisonStatus(t *testing.T) {
	fx := fixtures()
	for name, want := range map[string]string{
		"first-run":   "success · 4 steps · 27 files · sha256:9a8b7c6d5e4f · no baseline",
		"no-baseline": "success · 4 steps · 27 files · sha256:9a8b7c6d5e4f · no baseline",
		"identical":   "success · 4 steps · 27 files · sha256:9a8b7c6d5e4f · identical evidence",
		"drift":       "success · 4 steps · 27 files · sha256:9a8b7c6d5e4f · drift: 3 files",
		"tampered":    "success · 4 steps · 27 files · sha256:9a8b7c6d5e4f · baseline tampered",
		"path":        "failure · 4 steps · 27 files · sha256:9a8b7c6d5e4f · drift: 2 files · the bundle drifted from the baseline",
	} {
		in := fx[name]
		if got := StatusDescription(in); got != want {
			t.Errorf("%s: StatusDescription = %q, want %q", name, got, want)
		}
		if title, _, _ := CheckOutput(in); title != want {
			t.Errorf("%s: check title = %q, want %q", name, title, want)
		}
	}
}

// Equal content digests alone do not make identical evidence when the
// file comparison found drift (the two runs declared different volatile
// files): the files are what the reader is shown.
func TestIdenticalNeedsNoDrift(t *testing.T) {
	in := fixtures()["drift"]
	in.Compare.ContentDigest = in.ContentDigest
	if c := Comment(in, "m"); strings.Contains(c, "identical evidence") || !strings.Contains(c, "2 changed, 1 added, 0 removed") {
		t.Errorf("comment:\n%s", leads(c))
	}
	in.Drift = nil
	if c := Comment(in, "m"); !strings.Contains(c, "identical evidence") {
		t.Errorf("equal digests without a file comparison:\n%s", leads(c))
	}
}

// hugeDrift is a comparison at the limits: 10,000 changed files, each with
// moved keys and a long text diff, and 5,000 volatile files.
func hugeDrift() Input {
	in := fixtures()["drift"]
	d := &diff.Result{Old: "baseline", New: "reports/helios"}
	long := strings.Repeat("x", 2000)
	var text []string
	text = append(text, "@@ -1,300 +1,300 @@")
	for i := range 600 {
		text = append(text, fmt.Sprintf("-old line %d %s", i, long), fmt.Sprintf("+new line %d %s", i, long))
	}
	for i := range 10000 {
		d.Changed = append(d.Changed,
			diff.Change{Name: fmt.Sprintf("owner/%s-%05d.json", strings.Repeat("deep/", 10), i), Old: strings.Repeat("a", 64), New: strings.Repeat("b", 64),
				JSON: []diff.KeyChange{{Path: "/a/b", Old: `"` + long[:150] + `"`, New: `"1"`, Kind: "changed"}}, JSONTruncated: 49},
			diff.Change{Name: fmt.Sprintf("owner/%05d.md", i), Old: strings.Repeat("c", 64), New: strings.Repeat("d", 64), Text: text, TextTruncated: 5000})
	}
	for i := range 5000 {
		d.Volatile = append(d.Volatile, diff.Change{Name: fmt.Sprintf("logs/%05d.log", i), Old: strings.Repeat("1", 64), New: strings.Repeat("2", 64), Volatile: true})
	}
	d.Changed = append(d.Changed, thermoDrift().Changed[0])
	// The thermodynamics report moved on every key.
	for i := range 500 {
		d.Changed[len(d.Changed)-1].JSON = append(d.Changed[len(d.Changed)-1].JSON,
			diff.KeyChange{Path: fmt.Sprintf("/thermostat/parameters/p%03d/onChain", i), Old: `"1"`, New: `"2"`, Kind: "changed"})
	}
	d.Total = diff.Counts{Changed: len(d.Changed) + 5000, Volatile: len(d.Volatile)}
	in.Drift = d
	return in
}

// TestHugeDrift: a huge comparison keeps every form within GitHub's limit,
// still leads with the comparison, keeps its tables and <details> whole,
// and says where the rest is.
func TestHugeDrift(t *testing.T) {
	in := hugeDrift()
	c := Comment(in, Marker(in.missionName(), in.Key))
	if n := utf8.RuneCountInString(c); n > markup.MaxCommentChars {
		t.Errorf("comment is %d characters, over %d", n, markup.MaxCommentChars)
	}
	s := Summary(in)
	if len(s) > markup.MaxSummaryBytes {
		t.Errorf("summary is %d bytes, over %d", len(s), markup.MaxSummaryBytes)
	}
	title, summary, text := CheckOutput(in)
	for name, v := range map[string]string{"summary": summary, "text": text} {
		if len(v) > markup.MaxCheckOutputBytes {
			t.Errorf("check %s is %d bytes", name, len(v))
		}
	}
	if !strings.HasSuffix(title, "drift: 25001 files") {
		t.Errorf("title %q", title)
	}
	for name, md := range map[string]string{"comment": c, "summary": s, "check summary": summary, "check text": text} {
		head := "**Since `main` @ abc1234 ([run #\u206012](https://github.com/octo/drill/actions/runs/40)): 25001 changed, 0 added, 0 removed**"
		if !strings.Contains(leads(md), head) {
			t.Errorf("%s does not lead with the comparison", name)
		}
		for _, want := range []string{
			"Chain values that moved", "/thermostat/parameters/kp/onChain", // the chain values first, though the thermodynamics report is the last file
			"Files that moved", "more rows not shown; `helios diff OLD NEW` of the baseline's bundle and this one (the artifact [helios\\-report\\-build](https://github.com/octo/drill/actions/runs/42/artifacts/7)) lists every change",
			"more values not shown", "```diff", "more text diffs not shown", "more lines not shown; the file is in the artifact",
			"5000 volatile files differ, as expected; not drift",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if strings.Contains(md, "This report was cut") {
			t.Errorf("%s: the last-resort cut was needed; the sections' budgets are wrong", name)
		}
		html := render(t, md)
		for i, rows := range tableShapes(html) {
			for j, n := range rows {
				if n != rows[0] {
					t.Fatalf("%s: table %d row %d has %d cells, the header %d", name, i, j, n, rows[0])
				}
			}
		}
		if err := detailsBalanced(html); err != "" {
			t.Errorf("%s: %s", name, err)
		}
	}
	// The comment still shows the rest of the report after the comparison.
	for _, want := range []string{"#### Chain checks", "#### Phases", "#### Phase graph"} {
		if !strings.Contains(c, want) {
			t.Errorf("the comparison crowded %q out of the comment", want)
		}
	}
}

// TestHostileComparison: file names, keys, values, text-diff lines, the
// baseline's label, commit, run URL and the reasons, all from outside,
// render inert: no fence or </details> breaks out, no mention, no
// reference, no HTML, no pipe splits a cell.
func TestHostileComparison(t *testing.T) {
	const nasty = "x ``` </details> @someone | <script>alert(1)</script> #7 [l](http://evil) **b**"
	in := fixtures()["drift"]
	in.Compare.Label = "main`` </details> @someone |"
	in.Compare.SHA = "not-a-sha @someone"
	in.Compare.RunURL = "javascript:alert(1)"
	d := thermoDrift()
	d.Changed[0].Name = "owner/thermodynamics.json"
	d.Changed[0].JSON = append(d.Changed[0].JSON, diff.KeyChange{Path: "/" + nasty, Old: nasty, New: `"</details>"`, Kind: "changed"})
	d.Changed[1].Name = "owner/" + nasty + ".md"
	d.Changed[1].Text = append(d.Changed[1].Text, "+"+nasty, "````", "+```", "</details>", "+<details><summary>@someone</summary>", "~~~", "    ```")
	d.Added[0].Name = "kits/" + nasty + ".json"
	d.Volatile[0].Name = "logs/" + nasty + ".log"
	in.Drift = d
	in.Manifest.Phases[1].Steps[1].Name = nasty
	c := Comment(in, Marker(in.missionName(), in.Key))
	_, summary, text := CheckOutput(in)
	forms := map[string]string{"comment": c, "summary": Summary(in), "check summary": summary, "check text": text}

	missing := fixtures()["no-baseline"]
	missing.Compare.Missing = nasty + " `" + nasty + "`"
	forms["missing"] = Comment(missing, "m")
	bad := fixtures()["tampered"]
	bad.Compare.Tampered = []string{nasty, "`" + nasty + "`: refused", "``` </details>"}
	forms["tampered"] = Comment(bad, "m")

	for name, md := range forms {
		html := render(t, md)
		checkInert(t, md, html)
		for i, rows := range tableShapes(html) {
			for j, n := range rows {
				if n != rows[0] {
					t.Errorf("%s: table %d row %d has %d cells, the header %d", name, i, j, n, rows[0])
				}
			}
		}
		if strings.Contains(html, "javascript:") {
			t.Errorf("%s: the run URL became a link", name)
		}
	}
	// The hostile lines are in the diff block, as text.
	html := render(t, c)
	for _, want := range []string{"+x ``` &lt;/details&gt; @someone | &lt;script&gt;alert(1)&lt;/script&gt;", "\n````\n+```\n&lt;/details&gt;\n+&lt;details&gt;&lt;summary&gt;@someone&lt;/summary&gt;\n~~~\n    ```\n</code></pre>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the diff block lacks %q:\n%s", want, html)
		}
	}
	if !strings.Contains(c, "\n`````diff\n") {
		t.Error("the diff's fence is not longer than the longest run of backticks in it")
	}
}

func TestDetailsBalanced(t *testing.T) {
	for html, want := range map[string]string{
		"<details><summary>s</summary><p>x</p></details>": "",
		"<details><details></details></details>":          "",
		"</details><details>":                             "a </details> closes nothing",
		"<details><p>x</p>":                               "1 <details> left open",
		"<pre><code>&lt;/details&gt;</code></pre>":        "",
	} {
		if got := detailsBalanced(html); got != want {
			t.Errorf("detailsBalanced(%q) = %q, want %q", html, got, want)
		}
	}
}

func TestInlineCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"add `actions: read` to `permissions`", "add `actions: read` to `permissions`"},
		{"no run on `main` yet", "no run on `main` yet"},
		{"odd ` count @x", "odd \\` count @\u2060x"},
		{"`a|b`: refused", "<code>a&#124;b</code>\\: refused"},
		{"`` empty", "\\`\\` empty"},
		{"@bob `@bob` #1", "@\u2060bob `@bob` #\u20601"},
		{"", "—"},
	} {
		if got := inlineCode(tc.in, 200); got != tc.want {
			t.Errorf("inlineCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBlockMove(t *testing.T) {
	in := fixtures()["drift"]
	st := &in.Manifest.Phases[1].Steps[1]
	for _, tc := range []struct {
		name   string
		edit   func(in *Input)
		file   string
		expect string
	}{
		{"by file", func(*Input) {}, "owner/thermodynamics.json", "19000100 → 19000123"},
		{"by phase and id", func(*Input) {}, "owner/renamed.json", "19000100 → 19000123"},
		{"no baseline manifest", func(in *Input) { in.Compare.Manifest = nil }, "owner/thermodynamics.json", "? → 19000123"},
		{"same block", func(in *Input) { in.Compare.Manifest = chainRun("success", 19000123) }, "owner/thermodynamics.json", "19000123 (both)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fixtures()["drift"]
			tc.edit(&in)
			if got := in.blockMove("chain", st, tc.file); got != tc.expect {
				t.Errorf("blockMove = %q, want %q", got, tc.expect)
			}
		})
	}
	if got := blockNumber(map[string]any{"block": uint64(7)}); got != "7" {
		t.Errorf("blockNumber of a bare number = %q", got)
	}
	if got := blockNumber(nil); got != "" {
		t.Errorf("blockNumber(nil) = %q", got)
	}
}
