package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes. It must never panic; a refusal is
// a *ParseError naming a line that exists; and what it accepts survives a
// trip through Encode, which is how helios writes ledgers.
func FuzzParse(f *testing.F) {
	sum := hexOf(sha256.Sum256(nil))
	for _, s := range []string{
		"",
		sum + "  ./a\n" + sum + "  ./b/c\n",
		sum + " *bin\r\n# comment\n\n",
		`\` + sum + `  ./new\nline\\x` + "\n",
		sum + "  b\n" + sum + "  a\n" + sum + "  b\n",
		"  \t" + strings.ToUpper(sum) + "  ./././x",
		"SHA256 (a) = " + sum + "\n",
		sum + "  ../x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error names line %d of %d: %v", pe.Line, lines, err)
			}
			return
		}
		for _, e := range entries {
			if e.Size != -1 || e.Name == "" || strings.IndexByte(e.Name, 0) >= 0 {
				t.Fatalf("parsed entry %+v", e)
			}
		}
		Sort(entries)
		var buf bytes.Buffer
		if err := Encode(&buf, entries); err != nil {
			t.Fatalf("encode what Parse accepted: %v", err)
		}
		again, err := Parse(&buf)
		if err != nil {
			t.Fatalf("parse what Encode wrote: %v\n%q", err, buf.String())
		}
		if len(again) != len(entries) {
			t.Fatalf("round trip: %d entries, then %d", len(entries), len(again))
		}
		for i := range again {
			if again[i] != entries[i] {
				t.Fatalf("round trip: entry %d = %+v, then %+v", i, entries[i], again[i])
			}
		}
	})
}

func TestParseDuplicateOutOfOrder(t *testing.T) {
	sum := hexOf(sha256.Sum256(nil))
	in := sum + "  c\n" + sum + "  b\n" + sum + "  a\n" + sum + "  b\n" + sum + "  c\n"
	_, err := Parse(strings.NewReader(in))
	want := `line 4: duplicate name "b" (first on line 2)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}
