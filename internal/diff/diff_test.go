package diff

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/helios-action/helios-action/internal/golden"
	"github.com/helios-action/helios-action/internal/ledger"
)

// fixtures is the pair of bundles checked in for the golden tests.
var fixtures = filepath.Join("..", "..", "testdata", "diff")

// writeBundle creates a bundle folder from name → content, with a SHA256SUMS
// in coreutils format. It does not use package ledger's writer so that these
// tests do not depend on the code whose output they read.
func writeBundle(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var sums strings.Builder
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		sums.WriteString(sumLine(name, files[name]))
	}
	if err := os.WriteFile(filepath.Join(dir, ledger.FileName), []byte(sums.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sumLine is one sha256sum line, escaped the GNU way when the name needs it.
func sumLine(name, content string) string {
	sum := sha256.Sum256([]byte(content))
	prefix := ""
	if strings.ContainsAny(name, "\\\n\r") {
		prefix = `\`
		name = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(name)
	}
	return prefix + hex.EncodeToString(sum[:]) + "  ./" + name + "\n"
}

func sumOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func compare(t *testing.T, oldPath, newPath string, opts Options) *Result {
	t.Helper()
	r, err := Compare(oldPath, newPath, opts)
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	return r
}

func names(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// TestThermostatDrift is the case the diff exists for: one controller gain
// moved, and only logs and the manifest differ otherwise.
func TestThermostatDrift(t *testing.T) {
	common := map[string]string{
		"data/readings.csv": "t,temp\n0,20.5\n",
	}
	oldFiles := map[string]string{
		"owner/thermodynamics.json": `{"thermostat":{"kp": "100", "ki": "0.5"}}`,
		"logs/plan/x.log":           "plan at 10:00\n",
		"manifest.json":             `{"startedAt": "2025-01-01T10:00:00Z"}`,
	}
	newFiles := map[string]string{
		"owner/thermodynamics.json": `{"thermostat":{"kp": "120", "ki": "0.5"}}`,
		"logs/plan/x.log":           "plan at 11:00\n",
		"manifest.json":             `{"startedAt": "2025-01-01T11:00:00Z"}`,
	}
	for k, v := range common {
		oldFiles[k], newFiles[k] = v, v
	}

	t.Run("gain changed", func(t *testing.T) {
		r := compare(t, writeBundle(t, oldFiles), writeBundle(t, newFiles), Options{})
		if !r.Drift() {
			t.Fatal("Drift() = false, want true")
		}
		if len(r.Changed) != 1 || r.Changed[0].Name != "owner/thermodynamics.json" {
			t.Fatalf("Changed = %q, want owner/thermodynamics.json", names(r.Changed))
		}
		c := r.Changed[0]
		want := []KeyChange{{Path: "/thermostat/kp", Old: `"100"`, New: `"120"`, Kind: "changed"}}
		if !slices.Equal(c.JSON, want) {
			t.Errorf("JSON = %+v, want %+v", c.JSON, want)
		}
		if c.Old != sumOf(oldFiles["owner/thermodynamics.json"]) || c.New != sumOf(newFiles["owner/thermodynamics.json"]) {
			t.Errorf("sums = %s → %s", c.Old, c.New)
		}
		if got := names(r.Volatile); !slices.Equal(got, []string{"logs/plan/x.log", "manifest.json"}) {
			t.Errorf("Volatile = %q", got)
		}
		if r.Unchanged != 1 {
			t.Errorf("Unchanged = %d, want 1", r.Unchanged)
		}
		var text bytes.Buffer
		if err := r.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), `~ /thermostat/kp: "100" -> "120"`) {
			t.Errorf("text report does not name the key:\n%s", text.String())
		}
	})

	t.Run("only volatile files changed", func(t *testing.T) {
		same := map[string]string{}
		for k, v := range newFiles {
			same[k] = v
		}
		same["owner/thermodynamics.json"] = oldFiles["owner/thermodynamics.json"]
		r := compare(t, writeBundle(t, oldFiles), writeBundle(t, same), Options{})
		if r.Drift() {
			t.Errorf("Drift() = true; changed %q added %q removed %q", names(r.Changed), names(r.Added), names(r.Removed))
		}
		if got := names(r.Volatile); !slices.Equal(got, []string{"logs/plan/x.log", "manifest.json"}) {
			t.Errorf("Volatile = %q", got)
		}
		for _, c := range r.Volatile {
			if !c.Volatile || c.Kind() != "changed" || len(c.JSON) != 0 {
				t.Errorf("volatile change %+v", c)
			}
		}
	})
}

func TestFixtureLedgers(t *testing.T) {
	for _, side := range []string{"old", "new"} {
		t.Run(side, func(t *testing.T) {
			dir := filepath.Join(fixtures, side)
			entries, err := ledger.ReadFile(filepath.Join(dir, ledger.FileName))
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]bool{}
			for _, e := range entries {
				listed[e.Name] = true
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Name)))
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(b) != e.Sum {
					t.Errorf("%s: sum does not match; run testdata/diff/mksums.sh", e.Name)
				}
			}
			err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				if rel = filepath.ToSlash(rel); rel != ledger.FileName && !listed[rel] {
					t.Errorf("%s is not in SHA256SUMS; run testdata/diff/mksums.sh", rel)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestGolden renders the fixture pair in every format. Run with -update
// after an intended change of the output, and review the diff.
func TestGolden(t *testing.T) {
	r := compare(t, filepath.Join(fixtures, "old"), filepath.Join(fixtures, "new"),
		Options{MaxJSONChanges: 5, MaxValueLen: 40, MaxTextLines: 19, MaxLineLen: 60})
	// Compared paths depend on the OS's separator; the goldens should not.
	r.Old, r.New = "testdata/diff/old", "testdata/diff/new"
	formats := []struct {
		name  string
		write func(*Result, *bytes.Buffer) error
	}{
		{"report.txt", func(r *Result, b *bytes.Buffer) error { return r.WriteText(b) }},
		{"report.md", func(r *Result, b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"report.json", func(r *Result, b *bytes.Buffer) error { return r.WriteJSON(b) }},
	}
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			var got bytes.Buffer
			if err := f.write(r, &got); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join(fixtures, f.name+".golden"), got.Bytes())
		})
	}
	t.Run("summary", func(t *testing.T) {
		if !r.Drift() {
			t.Error("Drift() = false")
		}
		checks := []struct {
			name      string
			got, want []string
		}{
			{"changed", names(r.Changed), []string{"data/blob.txt", "owner/formatting.json", "owner/profile.json", "owner/runbook.md", "owner/thermodynamics.json"}},
			{"added", names(r.Added), []string{"data/added.txt"}},
			{"removed", names(r.Removed), []string{"data/removed.txt"}},
			{"volatile", names(r.Volatile), []string{"index.html", "logs/plan/x.log", "logs/run.log", "manifest.json", "timing/run.txt"}},
		}
		for _, c := range checks {
			if !slices.Equal(c.got, c.want) {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
	})
}

func TestLedgerFilesOnly(t *testing.T) {
	oldSums := filepath.Join(fixtures, "old", ledger.FileName)
	newSums := filepath.Join(fixtures, "new", ledger.FileName)
	tests := []struct {
		name     string
		old, new string
	}{
		{"both files", oldSums, newSums},
		{"old file", oldSums, filepath.Join(fixtures, "new")},
		{"new file", filepath.Join(fixtures, "old"), newSums},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compare(t, tt.old, tt.new, Options{})
			for _, n := range []string{"owner/formatting.json", "owner/profile.json", "owner/thermodynamics.json"} {
				if !slices.Contains(names(r.Changed), n) {
					t.Errorf("Changed = %q, want %s in it", names(r.Changed), n)
				}
			}
			for _, c := range r.Changed {
				if len(c.JSON) != 0 || c.Note != "" {
					t.Errorf("%s: keys compared without both folders: %+v", c.Name, c)
				}
			}
		})
	}
	t.Run("manifest globs need the folder", func(t *testing.T) {
		// timing/*.txt comes from the manifests, which a bare ledger lacks.
		r := compare(t, oldSums, newSums, Options{})
		if !slices.Contains(names(r.Changed), "timing/run.txt") {
			t.Errorf("timing/run.txt not drift without the manifests: changed %q", names(r.Changed))
		}
		r = compare(t, oldSums, newSums, Options{Volatile: []string{"timing/"}})
		if slices.Contains(names(r.Changed), "timing/run.txt") {
			t.Error("Options.Volatile not applied")
		}
	})
}

// TestInside: only the changed files Inside accepts are compared inside;
// the others are named, without a note blaming a side.
func TestInside(t *testing.T) {
	old := writeBundle(t, map[string]string{"a.json": `{"k": 1}`, "b.json": `{"k": 1}`, "c.md": "one\n"})
	neu := writeBundle(t, map[string]string{"a.json": `{"k": 2}`, "b.json": `{"k": 2}`, "c.md": "two\n"})
	r, err := Compare(old, neu, Options{Inside: func(name string) bool { return name == "a.json" }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range r.Changed {
		got = append(got, fmt.Sprintf("%s keys=%d lines=%d note=%q", c.Name, len(c.JSON), len(c.Text), c.Note))
	}
	want := []string{`a.json keys=1 lines=0 note=""`, `b.json keys=0 lines=0 note=""`, `c.md keys=0 lines=0 note=""`}
	if !slices.Equal(got, want) {
		t.Errorf("changed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestVolatileGlobs(t *testing.T) {
	base := map[string]string{"a.txt": "1", "b.txt": "1", "c.txt": "1", "d.txt": "1"}
	bundle := func(manifest string, content string) string {
		files := map[string]string{}
		for k := range base {
			files[k] = content
		}
		if manifest != "" {
			files["manifest.json"] = manifest
		}
		return writeBundle(t, files)
	}
	tests := []struct {
		name         string
		old, new     string
		opts         Options
		wantVolatile []string
		wantErr      bool
	}{
		{"defaults only", bundle("", "1"), bundle("", "2"), Options{}, nil, false},
		{"from new manifest", bundle("", "1"), bundle(`{"volatile":["a.txt"]}`, "2"), Options{}, []string{"a.txt", "manifest.json"}, false},
		// A pull request's bundle may not make its own changes volatile.
		{"not from new manifest, OldVolatileOnly", bundle("", "1"), bundle(`{"volatile":["a.txt"]}`, "2"), Options{OldVolatileOnly: true}, []string{"manifest.json"}, false},
		{"from old manifest, OldVolatileOnly", bundle(`{"volatile":["b.*"]}`, "1"), bundle(`{"volatile":["a.txt"]}`, "2"), Options{OldVolatileOnly: true}, []string{"b.txt", "manifest.json"}, false},
		{"from old manifest", bundle(`{"volatile":["b.*"]}`, "1"), bundle("", "2"), Options{}, []string{"b.txt", "manifest.json"}, false},
		{"from options", bundle("", "1"), bundle("", "2"), Options{Volatile: []string{"c.txt", "**/d.txt"}}, []string{"c.txt", "d.txt"}, false},
		{"null volatile", bundle(`{"volatile":null}`, "1"), bundle("", "2"), Options{}, []string{"manifest.json"}, false},
		{"bad glob in manifest", bundle("", "1"), bundle(`{"volatile":["a/["]}`, "2"), Options{}, nil, true},
		{"bad glob in options", bundle("", "1"), bundle("", "2"), Options{Volatile: []string{"../x"}}, nil, true},
		{"volatile not a list", bundle("", "1"), bundle(`{"volatile":"a.txt"}`, "2"), Options{}, nil, true},
		{"manifest not JSON", bundle("", "1"), bundle(`{`, "2"), Options{}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compare(tt.old, tt.new, tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(r.Volatile); !slices.Equal(got, tt.wantVolatile) {
				t.Errorf("Volatile = %q, want %q", got, tt.wantVolatile)
			}
			if !slices.Equal(r.VolatileGlobs[:len(DefaultVolatile)], DefaultVolatile) {
				t.Errorf("VolatileGlobs = %q, want the defaults first", r.VolatileGlobs)
			}
		})
	}
}

func TestCompareErrors(t *testing.T) {
	good := writeBundle(t, map[string]string{"a": "1"})
	noLedger := t.TempDir()
	badLedger := t.TempDir()
	os.WriteFile(filepath.Join(badLedger, ledger.FileName), []byte("not a ledger\n"), 0o644)
	tests := []struct {
		name     string
		old, new string
	}{
		{"old missing", filepath.Join(good, "missing"), good},
		{"new missing", good, filepath.Join(good, "missing")},
		{"no SHA256SUMS", good, noLedger},
		{"bad SHA256SUMS", badLedger, good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compare(tt.old, tt.new, Options{}); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestJSONWalk(t *testing.T) {
	tests := []struct {
		name      string
		old, new  string
		max       int
		valueLen  int
		want      []KeyChange
		truncated int
	}{
		{
			name: "nested change",
			old:  `{"a":{"b":{"c":1}}}`, new: `{"a":{"b":{"c":2}}}`,
			want: []KeyChange{{"/a/b/c", "1", "2", "changed"}},
		},
		{
			name: "added and removed keys sorted",
			old:  `{"z":1,"b":2}`, new: `{"a":[1],"z":1}`,
			want: []KeyChange{{"/a", "", "[1]", "added"}, {"/b", "2", "", "removed"}},
		},
		{
			name: "arrays by index",
			old:  `[1,2,3,4,5,6,7,8,9,10,11]`, new: `[1,2,3,4,5,6,7,8,9,10,12,13]`,
			want: []KeyChange{{"/10", "11", "12", "changed"}, {"/11", "", "13", "added"}},
		},
		{
			name: "array shrinks",
			old:  `{"a":[1,{"x":1}]}`, new: `{"a":[1]}`,
			want: []KeyChange{{"/a/1", `{"x":1}`, "", "removed"}},
		},
		{
			name: "pointer escaping",
			old:  `{"a/b":{"~c":1},"":1}`, new: `{"a/b":{"~c":2},"":2}`,
			want: []KeyChange{{"/", "1", "2", "changed"}, {"/a~1b/~0c", "1", "2", "changed"}},
		},
		{
			name: "type change",
			old:  `{"a":{"b":1}}`, new: `{"a":[1]}`,
			want: []KeyChange{{"/a", `{"b":1}`, "[1]", "changed"}},
		},
		{
			name: "whole document",
			old:  `"x"`, new: `"y"`,
			want: []KeyChange{{"", `"x"`, `"y"`, "changed"}},
		},
		{
			name: "numbers keep their spelling",
			old:  `{"n":12345678901234567890}`, new: `{"n":1.0}`,
			want: []KeyChange{{"/n", "12345678901234567890", "1.0", "changed"}},
		},
		{
			name: "null against absent",
			old:  `{"a":null}`, new: `{}`,
			want: []KeyChange{{"/a", "null", "", "removed"}},
		},
		{
			name: "HTML kept readable",
			old:  `{"a":"<b>"}`, new: `{"a":"&"}`,
			want: []KeyChange{{"/a", `"<b>"`, `"&"`, "changed"}},
		},
		{
			name: "bounded",
			old:  `{"a":1,"b":1,"c":1,"d":1}`, new: `{"a":2,"b":2,"c":2,"d":2}`,
			max: 2, want: []KeyChange{{"/a", "1", "2", "changed"}, {"/b", "1", "2", "changed"}}, truncated: 2,
		},
		{
			name: "unbounded",
			old:  `[1,1,1]`, new: `[2,2,2]`,
			max: -1, want: []KeyChange{{"/0", "1", "2", "changed"}, {"/1", "1", "2", "changed"}, {"/2", "1", "2", "changed"}},
		},
		{
			name: "long values differing late",
			old:  `"0123456789abcdefXhijklmn"`, new: `"0123456789abcdefYhijklmn"`,
			valueLen: 8, want: []KeyChange{{"", `…efXhijkl…`, `…efYhijkl…`, "changed"}},
		},
		{
			name: "long values differing early",
			old:  `"0123456789"`, new: `"0x23456789"`,
			valueLen: 4, want: []KeyChange{{"", `"012…`, `"0x2…`, "changed"}},
		},
		{
			name: "values cut by characters",
			old:  `{"a":"ééééé"}`, new: `{"a":"é"}`,
			valueLen: 4, want: []KeyChange{{"/a", `"ééé…`, `"é"`, "changed"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b any
			if err := jsonUnmarshal([]byte(tt.old), &a); err != nil {
				t.Fatal(err)
			}
			if err := jsonUnmarshal([]byte(tt.new), &b); err != nil {
				t.Fatal(err)
			}
			d := jsonDiff{max: tt.max, maxValueLen: tt.valueLen}
			if d.max == 0 {
				d.max = defaultMaxJSONChanges
			}
			if d.maxValueLen == 0 {
				d.maxValueLen = defaultMaxValueLen
			}
			d.walk("", a, b)
			if !slices.Equal(d.changes, tt.want) {
				t.Errorf("changes = %+v\nwant %+v", d.changes, tt.want)
			}
			if d.dropped != tt.truncated {
				t.Errorf("dropped = %d, want %d", d.dropped, tt.truncated)
			}
		})
	}
}

func TestJSONNotes(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", maxJSONSize) + `"}`
	tests := []struct {
		name     string
		old, new string
		// tamper overwrites the new file after its sum was taken.
		tamper string
		want   string
	}{
		{"formatting only", `{"a":1,"b":2}`, "{\n  \"b\": 2,\n  \"a\": 1\n}\n", "", "same values, only the formatting differs"},
		{"not JSON", `{"a":1}`, `{"a":`, "", "new: not valid JSON"},
		{"trailing data", `{"a":1}`, `{"a":1} {}`, "", "new: not valid JSON: data after the top-level value"},
		{"too large", `{"a":1}`, big, "", "new: larger than 8 MiB; keys not compared"},
		{"tampered", `{"a":1}`, `{"a":2}`, `{"a":3}`, "new: file does not match SHA256SUMS; keys not compared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldDir := writeBundle(t, map[string]string{"x.json": tt.old})
			newDir := writeBundle(t, map[string]string{"x.json": tt.new})
			if tt.tamper != "" {
				os.WriteFile(filepath.Join(newDir, "x.json"), []byte(tt.tamper), 0o644)
			}
			r := compare(t, oldDir, newDir, Options{})
			if len(r.Changed) != 1 {
				t.Fatalf("Changed = %q", names(r.Changed))
			}
			c := r.Changed[0]
			if !strings.HasPrefix(c.Note, tt.want) || len(c.JSON) != 0 {
				t.Errorf("Note = %q, JSON = %v; want a note starting %q", c.Note, c.JSON, tt.want)
			}
		})
	}
}

// TestLedgerNamesStayInside checks that a name in a ledger cannot make the
// diff read a file outside the bundle folder.
func TestLedgerNamesStayInside(t *testing.T) {
	parent := t.TempDir()
	os.WriteFile(filepath.Join(parent, "secret.json"), []byte(`{"k":"outside"}`), 0o644)
	mk := func(side, content string) string {
		dir := filepath.Join(parent, side)
		os.MkdirAll(dir, 0o755)
		line := sumLine("../secret.json", content)
		os.WriteFile(filepath.Join(dir, ledger.FileName), []byte(line), 0o644)
		return dir
	}
	r := compare(t, mk("old", `{"k":"a"}`), mk("new", `{"k":"b"}`), Options{})
	if len(r.Changed) != 1 {
		t.Fatalf("Changed = %q", names(r.Changed))
	}
	if c := r.Changed[0]; len(c.JSON) != 0 || !strings.Contains(c.Note, "unreadable") {
		t.Errorf("file outside the bundle was read: %+v", c)
	}
}

// TestMarkdownEscaping renders names and values built to break Markdown.
func TestMarkdownEscaping(t *testing.T) {
	hostile := []string{
		"a|b.json",
		`back\|slash.json`,
		"tick`s.json",
		"``fence``",
		"<script>alert(1)</script>.json",
		"@octocat.json",
		"new\nline.json",
		"bidi\u202etxt.json",
		"[link](https://example.com).json",
		"**bold** _em_ #1 $x$ :smile:",
	}
	r := &Result{Old: "old|dir", New: "@new"}
	for _, n := range hostile {
		r.Changed = append(r.Changed, Change{
			Name: n, Old: sumOf("a"), New: sumOf("b"),
			JSON: []KeyChange{{Path: "/" + n, Old: `"` + n + `"`, New: `"x | y"`, Kind: "changed"}},
			Note: "see @octocat <b>|</b>",
		})
	}
	var out bytes.Buffer
	if err := r.WriteMarkdown(&out); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join(fixtures, "escaping.md.golden"), out.Bytes())

	for i, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "|") {
			// A row has a pipe at each end and one between cells; any other
			// unescaped pipe would add a cell.
			if n := countCellPipes(line); n != 4 && n != 5 {
				t.Errorf("line %d: %d cell separators: %s", i+1, n, line)
			}
		}
		if strings.Contains(stripCode(line), "@octocat") {
			t.Errorf("line %d: live mention: %s", i+1, line)
		}
		if strings.Contains(stripCode(line), "<script") || strings.Contains(stripCode(line), "<b>") {
			t.Errorf("line %d: live HTML: %s", i+1, line)
		}
	}
}

// countCellPipes counts the pipes that GFM reads as cell separators: those
// not escaped by a backslash (a "\\" pair escapes itself first).
func countCellPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

// stripCode drops backtick code spans and <code> elements, whose content
// GitHub shows literally.
func stripCode(line string) string {
	var b strings.Builder
	for len(line) > 0 {
		switch {
		case strings.HasPrefix(line, "<code>"):
			end := strings.Index(line, "</code>")
			if end < 0 {
				return b.String() + line
			}
			line = line[end+len("</code>"):]
		case line[0] == '`':
			n := len(line) - len(strings.TrimLeft(line, "`"))
			fence := line[:n]
			rest := line[n:]
			end := strings.Index(rest, fence)
			if end < 0 {
				return b.String() + line
			}
			line = rest[end+n:]
		default:
			b.WriteByte(line[0])
			line = line[1:]
		}
	}
	return b.String()
}

func TestWriteJSON(t *testing.T) {
	t.Run("empty result has lists, not null", func(t *testing.T) {
		var out bytes.Buffer
		if err := (&Result{Old: "a", New: "b"}).WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"changed", "added", "removed", "volatile", "volatileGlobs"} {
			if _, ok := got[k].([]any); !ok {
				t.Errorf("%s = %v, want a list", k, got[k])
			}
		}
		if got["drift"] != false {
			t.Errorf("drift = %v", got["drift"])
		}
	})
	t.Run("round trip", func(t *testing.T) {
		r := compare(t, filepath.Join(fixtures, "old"), filepath.Join(fixtures, "new"), Options{})
		var out bytes.Buffer
		if err := r.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		var got jsonReport
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if !got.Drift || len(got.Changed) != len(r.Changed) || got.Unchanged != r.Unchanged {
			t.Errorf("decoded %+v", got)
		}
	})
}

// FuzzClip checks that cut values stay valid UTF-8, stay within bounds, and
// still look different when they are.
func FuzzClip(f *testing.F) {
	f.Add("0123456789abcdefX", "0123456789abcdefY", 8)
	f.Add("ééééé", "éééé", 2)
	f.Fuzz(func(t *testing.T, a, b string, n int) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || n < 1 || n > 1000 {
			return
		}
		x, y := clip(a, b, n)
		for _, s := range []string{x, y} {
			if !utf8.ValidString(s) {
				t.Fatalf("clip(%q, %q, %d) = %q: not UTF-8", a, b, n, s)
			}
			if c := utf8.RuneCountInString(s); c > n+2 {
				t.Fatalf("clip(%q, %q, %d) = %q: %d characters", a, b, n, s, c)
			}
		}
		if a != b && x == y {
			t.Fatalf("clip(%q, %q, %d) = %q twice", a, b, n, x)
		}
	})
}

// TestGoldenMadeBy: when the new bundle's manifest records products, each
// changed or added file names the step behind it, or every step that may
// have made it when they ran side by side; a file no step made, or that
// changed after its maker ended, names none.
func TestGoldenMadeBy(t *testing.T) {
	old := writeBundle(t, map[string]string{
		"owner/thermodynamics.md": "# Thermodynamics\n\nefficiency: 0.31\n",
		"asi/plan.json":           "{\"a\": 1}\n",
		"gone.txt":                "bye\n",
	})
	mf := `{"volatile": ["manifest.json", "logs/**", "**/*.log", "index.html"], "phases": [
  {"name": "governance", "needs": [], "status": "success", "durationMs": 1, "steps": [
    {"id": "thermo", "name": "Thermodynamics report", "kind": "run", "status": "success", "durationMs": 1, "products": [
      {"path": "owner/thermodynamics.md", "sha256": "` + sumOf("# Thermodynamics\n\nefficiency: 0.34\n") + `", "size": 1, "change": "changed"},
      {"path": "gone.txt", "change": "removed"}]}]},
  {"name": "kits", "needs": [], "status": "success", "durationMs": 1, "steps": [
    {"id": "plan", "name": "Plan | table", "kind": "run", "status": "success", "durationMs": 1, "products": [
      {"path": "asi/new.json", "sha256": "` + sumOf("{}\n") + `", "size": 1, "change": "created", "ambiguous": ["governance / Thermodynamics report"]},
      {"path": "asi/plan.json", "sha256": "` + sumOf("{\"a\": 1}\n") + `", "size": 1, "change": "changed"}]}]}
]}
`
	new := writeBundle(t, map[string]string{
		"owner/thermodynamics.md": "# Thermodynamics\n\nefficiency: 0.34\n",
		"asi/plan.json":           "{\"a\": 2}\n",
		"asi/new.json":            "{}\n",
		"manifest.json":           mf,
	})
	r := compare(t, old, new, Options{})
	r.Old, r.New = "old", "new"
	for _, f := range []struct {
		name  string
		write func(*Result, *bytes.Buffer) error
	}{
		{"made-by.txt", func(r *Result, b *bytes.Buffer) error { return r.WriteText(b) }},
		{"made-by.md", func(r *Result, b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"made-by.json", func(r *Result, b *bytes.Buffer) error { return r.WriteJSON(b) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			var got bytes.Buffer
			if err := f.write(r, &got); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join(fixtures, f.name+".golden"), got.Bytes())
		})
	}
	if got := r.Changed[1].MadeBy; r.Changed[1].Name != "owner/thermodynamics.md" || got != "governance / Thermodynamics report" {
		t.Errorf("%s made by %q", r.Changed[1].Name, got)
	}
	if got := r.Changed[0].MadeBy; got != "" {
		t.Errorf("asi/plan.json, which changed after the step that last made it, made by %q", got)
	}
}
