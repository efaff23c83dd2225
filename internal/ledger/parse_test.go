package ledger

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestEncodeParseRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
	}{
		{"empty", nil},
		{"plain", []string{"a", "b/c"}},
		{"hostile", hostileNames},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var entries []Entry
			for _, n := range tc.names {
				entries = append(entries, Entry{Name: n, Sum: sha256.Sum256([]byte(n)), Size: -1})
			}
			Sort(entries)
			var buf bytes.Buffer
			if err := Encode(&buf, entries); err != nil {
				t.Fatal(err)
			}
			got, err := Parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(entries) {
				t.Fatalf("got %d entries, want %d", len(got), len(entries))
			}
			for i := range got {
				if got[i] != entries[i] {
					t.Errorf("entry %d = %+v, want %+v", i, got[i], entries[i])
				}
			}
		})
	}
}

func TestEncodeEscaping(t *testing.T) {
	sum := sha256.Sum256(nil)
	hex := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for _, tc := range []struct {
		name, file, want string
	}{
		{"plain", "plain", hex + "  ./plain\n"},
		{"tab is raw", "tab\there", hex + "  ./tab\there\n"},
		{"non-UTF-8 is raw", "\xff", hex + "  ./\xff\n"},
		{"backslash", `back\slash`, `\` + hex + `  ./back\\slash` + "\n"},
		{"newline", "new\nline", `\` + hex + `  ./new\nline` + "\n"},
		{"carriage return", "cr\rhere", `\` + hex + `  ./cr\rhere` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, []Entry{{Name: tc.file, Sum: sum}}); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("got %q, want %q", buf.String(), tc.want)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []Entry
	}{
		{"unsorted", []Entry{{Name: "b"}, {Name: "a"}}},
		{"duplicate", []Entry{{Name: "a"}, {Name: "a"}}},
		{"component order", []Entry{{Name: "a/b"}, {Name: "a b/x"}}},
		{"empty name", []Entry{{Name: ""}}},
		{"NUL in name", []Entry{{Name: "a\x00b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Encode(&bytes.Buffer{}, tc.entries); err == nil {
				t.Error("Encode succeeded, want an error")
			}
		})
	}
}

func TestSortIsFullPathByteOrder(t *testing.T) {
	entries := []Entry{{Name: "a/b"}, {Name: "a-b"}, {Name: "a b/x"}, {Name: "\xff"}, {Name: "B"}, {Name: "a.b/c"}}
	Sort(entries)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name)
	}
	want := []string{"B", "a b/x", "a-b", "a.b/c", "a/b", "\xff"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseAccepts(t *testing.T) {
	hex := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"text mode", hex + "  ./a\n", "a"},
		{"binary mode", hex + " *./a\n", "a"},
		{"no dot slash", hex + "  a\n", "a"},
		{"only one dot slash stripped", hex + "  ././a\n", "./a"},
		{"upper-case hex", strings.ToUpper(hex) + "  a\n", "a"},
		{"no final newline", hex + "  a", "a"},
		{"CRLF", hex + "  a\r\n", "a"},
		{"leading blanks", " \t" + hex + "  a\n", "a"},
		{"escaped", `\` + hex + `  ./x\\y\nz\r` + "\n", "x\\y\nz\r"},
		{"backslash unescaped when line is not", hex + `  x\n` + "\n", `x\n`},
		{"comment and blank lines", "# made by hand\n\n" + hex + "  a\n", "a"},
		{"space and star in name", hex + "  * b\n", "* b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Name != tc.want || got[0].Sum != sha256.Sum256(nil) || got[0].Size != -1 {
				t.Errorf("got %+v, want one entry %q", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	hex := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	ok := hex + "  ok\n"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short digest", ok + hex[:63] + "  a\n", "line 2:"},
		{"non-hex digest", ok + hex + "  ok2\n" + "z" + hex[1:] + "  a\n", "line 3:"},
		{"one space", hex + " a\n", "line 1:"},
		{"tab separator", hex + "\ta\n", "line 1:"},
		{"no name", hex + "  \n", "line 1:"},
		{"only dot slash", hex + "  ./\n", "line 1:"},
		{"bad escape", `\` + hex + `  a\tb` + "\n", "line 1:"},
		{"lone trailing backslash", `\` + hex + `  a\` + "\n", "line 1:"},
		{"BSD tag", "SHA256 (a) = " + hex + "\n", "line 1:"},
		{"duplicate", ok + "# c\n" + hex + " *./ok\n", "line 3: duplicate name \"ok\" (first on line 1)"},
		{"blank line counts", "\n\n" + "garbage\n", "line 3:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
