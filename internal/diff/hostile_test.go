package diff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/regular"
)

// compareWithin runs Compare and fails the test if it hangs: the hostile
// inputs here used to block it for ever.
func compareWithin(t *testing.T, oldPath, newPath string, opts Options) (*Result, error) {
	t.Helper()
	type out struct {
		r   *Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		r, err := Compare(oldPath, newPath, opts)
		done <- out{r, err}
	}()
	select {
	case o := <-done:
		return o.r, o.err
	case <-time.After(10 * time.Second):
		t.Fatal("Compare hung")
		return nil, nil
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCompareRefusesFIFOs(t *testing.T) {
	files := map[string]string{"a.json": `{"x":1}`}
	t.Run("SHA256SUMS of a folder", func(t *testing.T) {
		old := writeBundle(t, files)
		mkfifo(t, filepath.Join(old, ledger.FileName))
		_, err := compareWithin(t, old, writeBundle(t, files), Options{})
		var nr *regular.NotRegularError
		if !errors.As(err, &nr) || !strings.Contains(err.Error(), "is a FIFO, not a regular file") {
			t.Fatalf("err = %v, want a FIFO refused", err)
		}
	})
	t.Run("SHA256SUMS given as a file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), ledger.FileName)
		mkfifo(t, p)
		_, err := compareWithin(t, writeBundle(t, files), p, Options{})
		if err == nil || !strings.Contains(err.Error(), p+" is a FIFO, not a regular file") {
			t.Fatalf("err = %v, want %s refused", err, p)
		}
	})
	t.Run("manifest.json", func(t *testing.T) {
		old := writeBundle(t, files)
		mkfifo(t, filepath.Join(old, manifestName))
		_, err := compareWithin(t, old, writeBundle(t, files), Options{})
		if err == nil || !strings.Contains(err.Error(), "manifest.json is a FIFO, not a regular file") {
			t.Fatalf("err = %v, want manifest.json refused", err)
		}
	})
	t.Run("changed JSON artefact", func(t *testing.T) {
		old := writeBundle(t, files)
		mkfifo(t, filepath.Join(old, "a.json"))
		r, err := compareWithin(t, old, writeBundle(t, map[string]string{"a.json": `{"x":2}`}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Changed) != 1 || !strings.Contains(r.Changed[0].Note, "is a FIFO, not a regular file") {
			t.Fatalf("changed = %+v, want a note that a.json is a FIFO", r.Changed)
		}
	})
}

func TestCompareMalformedLedgerNamesLine(t *testing.T) {
	old := writeBundle(t, map[string]string{"a": "1"})
	sums := filepath.Join(old, ledger.FileName)
	if err := os.WriteFile(sums, []byte(sumLine("a", "1")+"garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Compare(old, writeBundle(t, map[string]string{"a": "1"}), Options{})
	var pe *ledger.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(err.Error(), sums+":2:") {
		t.Fatalf("err = %v, want %s:2", err, sums)
	}
}

func TestCompareCancelled(t *testing.T) {
	a := writeBundle(t, map[string]string{"a": "1"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CompareContext(ctx, a, a, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// ledgerFile writes a SHA256SUMS of n files named f%06d whose content is
// tag+i, in ledger order unless reversed.
func ledgerFile(t testing.TB, tag string, n int, reversed bool) string {
	t.Helper()
	lines := make([]string, n)
	for i := range n {
		lines[i] = sumLine(fmt.Sprintf("f%06d", i), tag+fmt.Sprint(i))
	}
	if reversed {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			lines[i], lines[j] = lines[j], lines[i]
		}
	}
	p := filepath.Join(t.TempDir(), ledger.FileName)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMaxFiles(t *testing.T) {
	const n = 30
	for _, tc := range []struct {
		name          string
		max, kept     int
		reversed      bool
		textMore, md  string
		omittedInJSON bool
	}{
		{"default keeps all of a small drift", 0, n, false, "", "", false},
		{"cut", 10, 10, false, "  … and 20 more files not listed (--max-files)\n", "\n…and 20 more files not listed.\n", true},
		{"cut, ledger out of order", 10, 10, true, "  … and 20 more files not listed (--max-files)\n", "\n…and 20 more files not listed.\n", true},
		{"no bound", -1, n, false, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compare(ledgerFile(t, "old", n, tc.reversed), ledgerFile(t, "new", n, false), Options{MaxFiles: tc.max})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Changed) != tc.kept || r.Counts().Changed != n || !r.Drift() {
				t.Fatalf("kept %d of %d changed, drift %v; want %d of %d", len(r.Changed), r.Counts().Changed, r.Drift(), tc.kept, n)
			}
			if r.Changed[0].Name != "f000000" || r.Changed[tc.kept-1].Name != fmt.Sprintf("f%06d", tc.kept-1) {
				t.Errorf("kept %s…%s, want the first files in ledger order", r.Changed[0].Name, r.Changed[tc.kept-1].Name)
			}
			var text, md, js bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "changed (30):\n") || (tc.textMore != "" && !strings.HasSuffix(text.String(), tc.textMore)) || (tc.textMore == "" && strings.Contains(text.String(), "more files")) {
				t.Errorf("text report:\n%s", text.String())
			}
			if !strings.Contains(md.String(), "#### Changed (30)") || (tc.md != "" && !strings.Contains(md.String(), tc.md)) {
				t.Errorf("markdown report:\n%s", md.String())
			}
			if got := strings.Contains(js.String(), `"omitted": {`+"\n"+`    "changed": 20,`); got != tc.omittedInJSON {
				t.Errorf("JSON report says omitted: %v, want %v:\n%s", got, tc.omittedInJSON, js.String())
			}
		})
	}
}

// BenchmarkCompareAllChanged diffs two 100,000-line ledgers that differ on
// every line, the shape that once took 1.46 GB for a million lines.
func BenchmarkCompareAllChanged(b *testing.B) {
	const n = 100_000
	oldPath, newPath := ledgerFile(b, "old", n, false), ledgerFile(b, "new", n, false)
	b.ReportAllocs()
	for b.Loop() {
		r, err := Compare(oldPath, newPath, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteText(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
