package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/helios-action/helios-action/internal/golden"
)

// lines joins lines, each with a newline.
func lines(ls ...string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

// numbered returns lines "1" to "n", each with a newline.
func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i + 1)
	}
	return out
}

// with returns ls with the lines at the given 1-based indexes replaced.
func with(ls []string, repl map[int]string) []string {
	out := slices.Clone(ls)
	for i, s := range repl {
		out[i-1] = s
	}
	return out
}

func TestDiffText(t *testing.T) {
	ten := numbered(10)
	long := strings.Repeat("é", 10)
	tests := []struct {
		name      string
		old, new  string
		maxLines  int
		lineLen   int
		want      []string
		truncated int
		notes     []string
	}{
		{name: "identical", old: lines(ten...), new: lines(ten...)},
		{
			name: "insert at start",
			old:  lines(ten...), new: lines(append([]string{"new"}, ten...)...),
			want: []string{"@@ -1,3 +1,4 @@", "+new", " 1", " 2", " 3"},
		},
		{
			name: "insert in the middle",
			old:  lines(ten...), new: lines(slices.Insert(slices.Clone(ten), 5, "new")...),
			want: []string{"@@ -3,6 +3,7 @@", " 3", " 4", " 5", "+new", " 6", " 7", " 8"},
		},
		{
			name: "insert at end",
			old:  lines(ten...), new: lines(append(slices.Clone(ten), "new")...),
			want: []string{"@@ -8,3 +8,4 @@", " 8", " 9", " 10", "+new"},
		},
		{
			name: "delete",
			old:  lines(ten...), new: lines(slices.Delete(slices.Clone(ten), 4, 6)...),
			want: []string{"@@ -2,8 +2,6 @@", " 2", " 3", " 4", "-5", "-6", " 7", " 8", " 9"},
		},
		{
			name: "replace",
			old:  lines(ten...), new: lines(with(ten, map[int]string{5: "five", 6: "six"})...),
			want: []string{"@@ -2,8 +2,8 @@", " 2", " 3", " 4", "-5", "-6", "+five", "+six", " 7", " 8", " 9"},
		},
		{
			name: "empty old file",
			old:  "", new: lines("a", "b"),
			want: []string{"@@ -0,0 +1,2 @@", "+a", "+b"},
		},
		{
			name: "emptied file",
			old:  lines("a", "b"), new: "",
			want: []string{"@@ -1,2 +0,0 @@", "-a", "-b"},
		},
		{
			name: "no common line",
			old:  lines("a", "b", "c"), new: lines("x", "y"),
			want: []string{"@@ -1,3 +1,2 @@", "-a", "-b", "-c", "+x", "+y"},
		},
		{
			name: "no newline at end of new file",
			old:  lines("a", "b"), new: "a\nb",
			want:  []string{"@@ -1,2 +1,2 @@", " a", "-b", "+b"},
			notes: []string{"no newline at end of new file"},
		},
		{
			name: "no newline at end of either",
			old:  "a\nb", new: "a\nc",
			want: []string{"@@ -1,2 +1,2 @@", " a", "-b", "+c"},
		},
		{
			name: "line added after a last line without newline",
			old:  "a\nb", new: "a\nb\nc\n",
			want:  []string{"@@ -1,2 +1,3 @@", " a", "-b", "+b", "+c"},
			notes: []string{"no newline at end of old file"},
		},
		{
			name: "CRLF kept out of the lines",
			old:  "a\r\nb\r\nc\r\n", new: "a\r\nB\r\nc\r\n",
			want: []string{"@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"},
		},
		{
			name: "CRLF to LF",
			old:  "a\r\nb\r\n", new: "a\nb\n",
			want:  []string{"@@ -1,2 +1,2 @@", "-a", "-b", "+a", "+b"},
			notes: []string{"line endings CRLF → LF"},
		},
		{
			name: "one line's ending",
			old:  "a\nb\nc\n", new: "a\nb\r\nc\n",
			want:  []string{"@@ -1,3 +1,3 @@", " a", "-b", "+b", " c"},
			notes: []string{"line endings LF → mixed"},
		},
		{
			name: "nearby changes share a hunk",
			// Six unchanged lines between: the contexts touch.
			old: lines(numbered(20)...), new: lines(with(numbered(20), map[int]string{5: "x", 12: "y"})...),
			want: []string{"@@ -2,14 +2,14 @@", " 2", " 3", " 4", "-5", "+x", " 6", " 7", " 8", " 9", " 10", " 11",
				"-12", "+y", " 13", " 14", " 15"},
		},
		{
			name: "changes further apart get two hunks",
			// Seven unchanged lines between.
			old: lines(numbered(20)...), new: lines(with(numbered(20), map[int]string{5: "x", 13: "y"})...),
			want: []string{"@@ -2,7 +2,7 @@", " 2", " 3", " 4", "-5", "+x", " 6", " 7", " 8",
				"@@ -10,7 +10,7 @@", " 10", " 11", " 12", "-13", "+y", " 14", " 15", " 16"},
		},
		{
			name: "truncated at MaxTextLines",
			old:  lines(ten...), new: lines(with(ten, map[int]string{5: "x", 6: "y"})...),
			maxLines: 4, want: []string{"@@ -2,8 +2,8 @@", " 2", " 3", " 4"}, truncated: 7,
		},
		{
			name: "no header left alone by the bound",
			old:  lines(numbered(20)...), new: lines(with(numbered(20), map[int]string{1: "x", 20: "y"})...),
			// The second hunk's header would be the 7th line.
			maxLines: 7, want: []string{"@@ -1,4 +1,4 @@", "-1", "+x", " 2", " 3", " 4"}, truncated: 6,
		},
		{
			name: "unbounded",
			old:  lines(numbered(100)...), new: lines(numbered(100)[50:]...),
			maxLines: -1, want: append(append([]string{"@@ -1,53 +1,3 @@"}, marked("-", numbered(100)[:50])...), " 51", " 52", " 53"),
		},
		{
			name: "long lines cut by characters",
			old:  lines("a", long, "b"), new: lines("a", "b", long+"x"),
			lineLen: 4, want: []string{"@@ -1,3 +1,3 @@", " a", "-éééé…", " b", "+éééé…"},
		},
		{
			name: "long lines differing past the cut show the difference",
			old:  lines("a", long), new: lines("a", long+"x"),
			lineLen: 4, want: []string{"@@ -1,2 +1,2 @@", " a", "-…é", "+…éx"},
		},
		{
			name: "long lines paired in a run of changes",
			old:  lines("a", long+"x"+long, "b"), new: lines("a", long+"y"+long),
			lineLen: 4, want: []string{"@@ -1,3 +1,2 @@", " a", "-…éxéé…", "-b", "+…éyéé…"},
		},
		{
			name: "control characters shown, not obeyed",
			old:  lines("ok"), new: lines("\x1b[2J\x1b]8;;http://x\x07link\tend\x7f", "\u202eevil\u200b", "\u0085"),
			want: []string{"@@ -1,1 +1,3 @@", "-ok", "+␛[2J␛]8;;http://x␇link\tend␡", "+\uFFFDevil\uFFFD", "+\uFFFD"},
		},
		{
			name: "lone CR shown",
			old:  lines("a"), new: "a\rb\n",
			want: []string{"@@ -1,1 +1,1 @@", "-a", "+a␍b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxLines, lineLen := tt.maxLines, tt.lineLen
			if maxLines == 0 {
				maxLines = defaultMaxTextLines
			}
			if lineLen == 0 {
				lineLen = defaultMaxLineLen
			}
			d := diffText(tt.old, tt.new, maxLines, lineLen, alignWork)
			if !slices.Equal(d.lines, tt.want) {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(d.lines, "\n"), strings.Join(tt.want, "\n"))
			}
			if d.dropped != tt.truncated {
				t.Errorf("dropped = %d, want %d", d.dropped, tt.truncated)
			}
			if !slices.Equal(d.notes, tt.notes) {
				t.Errorf("notes = %q, want %q", d.notes, tt.notes)
			}
			if tt.maxLines == 0 && tt.lineLen == 0 {
				checkApplies(t, tt.old, tt.new, d.lines)
			}
		})
	}
}

func marked(mark string, ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = mark + l
	}
	return out
}

// shown splits s into lines as the diff shows them.
func shown(s string) []string {
	var out []string
	for s != "" {
		var l string
		l, s = nextLine(s)
		out = append(out, cleanLine(withoutEOL(l)))
	}
	return out
}

// checkApplies applies the diff, untruncated and uncut, to old's lines and
// checks that it gives new's and that every hunk header counts its lines.
func checkApplies(t testing.TB, old, new string, diff []string) {
	t.Helper()
	a := shown(old)
	var out []string
	pos := 0
	for i := 0; i < len(diff); {
		var as, an, bs, bn int
		if _, err := fmt.Sscanf(diff[i], "@@ -%d,%d +%d,%d @@", &as, &an, &bs, &bn); err != nil {
			t.Fatalf("line %d: %q is not a hunk header: %v", i, diff[i], err)
		}
		if an > 0 {
			as--
		}
		if bn > 0 {
			bs--
		}
		if as < pos || as > len(a) {
			t.Fatalf("hunk %q starts at old line %d, after line %d", diff[i], as, pos)
		}
		out = append(out, a[pos:as]...)
		pos = as
		if bs != len(out) {
			t.Fatalf("hunk %q starts at new line %d, want %d", diff[i], bs, len(out))
		}
		gotA, gotB := 0, 0
		for i++; i < len(diff) && !strings.HasPrefix(diff[i], "@@"); i++ {
			l := diff[i]
			switch l[0] {
			case ' ', '-':
				if pos >= len(a) || a[pos] != l[1:] {
					t.Fatalf("line %q does not match old line %d", l, pos+1)
				}
				pos++
				gotA++
				if l[0] == ' ' {
					out = append(out, l[1:])
					gotB++
				}
			case '+':
				out = append(out, l[1:])
				gotB++
			default:
				t.Fatalf("line %q has no mark", l)
			}
		}
		if gotA != an || gotB != bn {
			t.Fatalf("hunk counts %d old, %d new lines; header says %d, %d", gotA, gotB, an, bn)
		}
	}
	out = append(out, a[pos:]...)
	if want := shown(new); !slices.Equal(out, want) {
		t.Fatalf("applied diff gives\n%q\nwant\n%q", out, want)
	}
}

// TestDiffTextMinimal checks on random files that the diff applies and
// removes and adds no more lines than a shortest edit script, computed
// here by dynamic programming.
func TestDiffTextMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	file := func() []string {
		n := r.IntN(30)
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a' + r.IntN(4)))
		}
		return out
	}
	for i := range 2000 {
		a, b := file(), file()
		d := diffText(lines(a...), lines(b...), -1, -1, alignWork)
		if len(d.notes) != 0 {
			t.Fatalf("case %d: notes %q", i, d.notes)
		}
		checkApplies(t, lines(a...), lines(b...), d.lines)
		edits := 0
		for _, l := range d.lines {
			if l[0] == '-' || l[0] == '+' {
				edits++
			}
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("case %d: %d lines removed and added, a shortest script has %d\nold %q\nnew %q\n%s",
				i, edits, want, a, b, strings.Join(d.lines, "\n"))
		}
	}
}

func lcs(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestDiffTextCoarse runs out the alignment's budget on purpose: the
// diff still applies, and a note says that some changes are whole blocks.
func TestDiffTextCoarse(t *testing.T) {
	// Lines from a small set, so that each is on both sides and has to
	// be aligned.
	r := rand.New(rand.NewPCG(3, 4))
	a, b := make([]string, 2000), make([]string, 2000)
	for i := range a {
		a[i], b[i] = strconv.Itoa(r.IntN(50)), strconv.Itoa(r.IntN(50))
	}
	for _, work := range []int{0, 100, 10_000, alignWork} {
		t.Run(strconv.Itoa(work), func(t *testing.T) {
			d := diffText(lines(a...), lines(b...), -1, -1, work)
			checkApplies(t, lines(a...), lines(b...), d.lines)
			coarse := slices.ContainsFunc(d.notes, func(n string) bool { return strings.HasPrefix(n, "too many differences") })
			if coarse != (work < alignWork) {
				t.Errorf("notes = %q with a budget of %d", d.notes, work)
			}
		})
	}
}

// TestDiffTextBounded diffs two 8 MiB files of 100,000 lines with little in
// common, the worst case the bounds are for, and checks what it returns;
// that it returns at all is the point.
func TestDiffTextBounded(t *testing.T) {
	const n = 100_000
	r := rand.New(rand.NewPCG(5, 6))
	row := func(tag string) string {
		return fmt.Sprintf("%s,%016x,%s", tag, r.Uint64(), strings.Repeat("v", 60))
	}
	a, b := make([]string, n), make([]string, n)
	for i := range n {
		a[i] = row("a")
	}
	// A third of the new lines are old ones in reverse order, so that
	// there are lines to align, too many to align them all.
	for i := range n {
		b[i] = row("b")
		if i%3 == 0 {
			b[i] = a[n-1-i]
		}
	}
	old, new := lines(a...), lines(b...)
	if len(old) > maxJSONSize || len(new) > maxJSONSize {
		t.Fatalf("files of %d and %d bytes, over the read bound", len(old), len(new))
	}
	d := diffText(old, new, defaultMaxTextLines, defaultMaxLineLen, alignWork)
	// The budget runs out in the first split: one block.
	want := append([]string{"@@ -1,100000 +1,100000 @@"}, marked("-", a[:defaultMaxTextLines-1])...)
	if !slices.Equal(d.lines, want) || d.dropped != 2*n+1-defaultMaxTextLines {
		t.Fatalf("lines = %q, dropped %d", d.lines, d.dropped)
	}
	if !slices.Equal(d.notes, []string{"too many differences to align every line; some are shown as a block removed and a block added"}) {
		t.Errorf("notes = %q", d.notes)
	}

	t.Run("over maxAlignLines", func(t *testing.T) {
		many := strings.Repeat("a\n", maxAlignLines+1)
		d := diffText("x\n"+many, "y\n"+many+"z\n", 5, -1, alignWork)
		want := []string{fmt.Sprintf("@@ -1,%d +1,%d @@", maxAlignLines+2, maxAlignLines+3), "-x", "-a", "-a", "-a"}
		if !slices.Equal(d.lines, want) || d.dropped != 2*maxAlignLines+1 {
			t.Errorf("lines = %q, dropped %d", d.lines, d.dropped)
		}
		if len(d.notes) != 1 || !strings.HasPrefix(d.notes[0], "over 262144 lines between the first change and the last") {
			t.Errorf("notes = %q", d.notes)
		}
	})
	t.Run("one change in a file of many lines", func(t *testing.T) {
		many := strings.Repeat("a\n", 1<<20)
		d := diffText(many+"x\n"+many, many+"y\n"+many, -1, -1, alignWork)
		n := 1<<20 + 1
		want := []string{fmt.Sprintf("@@ -%d,7 +%d,7 @@", n-3, n-3), " a", " a", " a", "-x", "+y", " a", " a", " a"}
		if !slices.Equal(d.lines, want) || len(d.notes) != 0 {
			t.Errorf("lines = %q, notes %q", d.lines, d.notes)
		}
	})
}

func TestCleanLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttab é 日本": "plain\ttab é 日本",
		"\x00\x1b\x7f":    "␀␛␡",
		"\u0085\u202e":    "\uFFFD\uFFFD",
		"a\u2028b":        "a\uFFFDb",
		"bad\xffbyte":     "bad\uFFFDbyte",
	} {
		if got := cleanLine(in); got != want {
			t.Errorf("cleanLine(%q) = %q, want %q", in, got, want)
		}
		if got := cleanLine(want); got != want {
			t.Errorf("cleanLine(%q) = %q: not idempotent", want, got)
		}
	}
}

// TestTextNotes covers the text files that are not compared, and which
// files are compared at all.
func TestTextNotes(t *testing.T) {
	big := strings.Repeat("x\n", maxJSONSize/2+1)
	tests := []struct {
		name     string
		file     string
		old, new string
		// tamper overwrites the new file after its sum was taken.
		tamper string
		note   string
		text   bool
	}{
		{name: "markdown", file: "a.md", old: "# A\n", new: "# B\n", text: true},
		{name: "extension in capitals", file: "A.MD", old: "# A\n", new: "# B\n", text: true},
		{name: "yaml", file: "c.yml", old: "a: 1\n", new: "a: 2\n", text: true},
		{name: "html is not compared", file: "page.html", old: "<p>a\n", new: "<p>b\n"},
		{name: "binary NUL", file: "a.txt", old: "a\n", new: "a\x00\n", note: "binary content; lines not compared"},
		{name: "binary not UTF-8", file: "a.csv", old: "a\xff\n", new: "b\n", note: "binary content; lines not compared"},
		{name: "too large", file: "a.txt", old: "a\n", new: big, note: "new: larger than 8 MiB; lines not compared"},
		{name: "tampered", file: "a.md", old: "a\n", new: "b\n", tamper: "c\n", note: "new: file does not match SHA256SUMS; lines not compared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldDir := writeBundle(t, map[string]string{tt.file: tt.old})
			newDir := writeBundle(t, map[string]string{tt.file: tt.new})
			if tt.tamper != "" {
				if err := os.WriteFile(filepath.Join(newDir, tt.file), []byte(tt.tamper), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := compare(t, oldDir, newDir, Options{})
			if len(r.Changed) != 1 {
				t.Fatalf("Changed = %q", names(r.Changed))
			}
			c := r.Changed[0]
			if c.Note != tt.note || (len(c.Text) > 0) != tt.text {
				t.Errorf("Note = %q, Text = %q; want note %q, lines %v", c.Note, c.Text, tt.note, tt.text)
			}
		})
	}
	t.Run("options", func(t *testing.T) {
		files := func(s string) map[string]string {
			return map[string]string{"a.txt": lines(strings.Repeat(s, 300), "b", "c", "d", "e")}
		}
		oldDir, newDir := writeBundle(t, files("a")), writeBundle(t, files("z"))
		r := compare(t, oldDir, newDir, Options{})
		want := []string{"@@ -1,4 +1,4 @@", "-" + strings.Repeat("a", 200) + "…", "+" + strings.Repeat("z", 200) + "…", " b", " c", " d"}
		if c := r.Changed[0]; !slices.Equal(c.Text, want) || c.TextTruncated != 0 {
			t.Errorf("defaults: Text = %q, TextTruncated %d", c.Text, c.TextTruncated)
		}
		r = compare(t, oldDir, newDir, Options{MaxTextLines: 2, MaxLineLen: 3})
		if c := r.Changed[0]; !slices.Equal(c.Text, []string{"@@ -1,4 +1,4 @@", "-aaa…"}) || c.TextTruncated != 4 {
			t.Errorf("bounded: Text = %q, TextTruncated %d", c.Text, c.TextTruncated)
		}
		r = compare(t, oldDir, newDir, Options{MaxTextLines: -1, MaxLineLen: -1})
		if c := r.Changed[0]; len(c.Text) != 6 || utf8.RuneCountInString(c.Text[1]) != 301 {
			t.Errorf("unbounded: Text = %q", c.Text)
		}
	})
	t.Run("volatile text files are not compared", func(t *testing.T) {
		r := compare(t, writeBundle(t, map[string]string{"a.txt": "1\n"}), writeBundle(t, map[string]string{"a.txt": "2\n"}),
			Options{Volatile: []string{"a.txt"}})
		if len(r.Volatile) != 1 || r.Volatile[0].Text != nil || r.Volatile[0].Note != "" {
			t.Errorf("Volatile = %+v", r.Volatile)
		}
	})
}

// FuzzDiffText checks that any two texts give a diff that applies, within
// its bounds, under a full budget and a starved one.
func FuzzDiffText(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd", 10)
	f.Add("a\r\nb", "\x1b\n\nb\n", 0)
	f.Fuzz(func(t *testing.T, a, b string, work int) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		for _, budget := range []int{alignWork, max(work%1000, 0)} {
			d := diffText(a, b, -1, -1, budget)
			checkApplies(t, a, b, d.lines)
			if a == b && len(d.lines) != 0 {
				t.Fatalf("identical texts give %q", d.lines)
			}
			short := diffText(a, b, 5, 3, budget)
			if len(short.lines) > 5 || len(short.lines)+short.dropped != len(d.lines) {
				t.Fatalf("bounded to 5 lines: %d kept, %d dropped, of %d", len(short.lines), short.dropped, len(d.lines))
			}
		}
	})
}

// BenchmarkTextDiff diffs two 10,000-line files that differ on 1% of
// their lines, spread out.
func BenchmarkTextDiff(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	old := make([]string, 10_000)
	for i := range old {
		old[i] = fmt.Sprintf("%d,%x,reading %d", i, r.Uint32(), r.IntN(1000))
	}
	new := slices.Clone(old)
	for i := 50; i < len(new); i += 100 {
		new[i] += " changed"
	}
	a, c := lines(old...), lines(new...)
	b.SetBytes(int64(len(a) + len(c)))
	b.ReportAllocs()
	for b.Loop() {
		d := diffText(a, c, defaultMaxTextLines, defaultMaxLineLen, alignWork)
		if d.dropped == 0 || len(d.notes) != 0 {
			b.Fatalf("dropped %d, notes %q", d.dropped, d.notes)
		}
	}
}

// TestRenderTextLines renders lines built to break each report: a hostile
// file's lines reach them as they are, but for control characters.
func TestRenderTextLines(t *testing.T) {
	r := &Result{Old: "old", New: "new", Changed: []Change{{
		Name: "docs/run`book`.md", Old: sumOf("a"), New: sumOf("b"),
		// Not from Compare: the escapes are still raw.
		Text:          []string{"@@ -1,3 +1,3 @@", " ```", "-</details> @octocat <script>", "+\x1b[31mred\x1b[0m\t| ~~~~", "+````"},
		TextTruncated: 3,
		Note:          "no newline at end of new file",
	}}}

	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if i := strings.IndexFunc(text.String(), func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }); i >= 0 {
		t.Errorf("control character in the text report at %d:\n%q", i, text.String())
	}
	for _, want := range []string{
		"\n      @@ -1,3 +1,3 @@\n       ```\n",
		"\n      +␛[31mred␛[0m\t| ~~~~\n",
		"\n      … 3 more diff lines not shown\n      note: no newline at end of new file\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}

	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join(fixtures, "textlines.md.golden"), md.Bytes())
	// The longest run of backticks in the lines is 4: a fence of 5 opens
	// the block and only the closing fence may start with as many.
	ls := strings.Split(md.String(), "\n")
	open := slices.Index(ls, "`````diff")
	if open < 0 {
		t.Fatalf("no fence of 5:\n%s", md.String())
	}
	for i, l := range ls[open+1:] {
		if strings.HasPrefix(strings.TrimLeft(l, " "), "`````") {
			if l != "`````" || i != 5 {
				t.Errorf("block closed by line %d: %q", open+2+i, l)
			}
			break
		}
	}

	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got jsonReport
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	c := got.Changed[0]
	if want := []string{"@@ -1,3 +1,3 @@", " ```", "-</details> @octocat <script>", "+␛[31mred␛[0m\t| ~~~~", "+````"}; !slices.Equal(c.Text, want) || c.TextTruncated != 3 {
		t.Errorf("JSON textDiff = %q, textTruncated %d", c.Text, c.TextTruncated)
	}
	if !strings.Contains(js.String(), `"textDiff": [`) || !strings.Contains(js.String(), `"textTruncated": 3,`) {
		t.Errorf("JSON fields:\n%s", js.String())
	}
}
