package diff

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/helios-action/helios-action/internal/ledger"
)

// FuzzCompareLedgers diffs two arbitrary SHA256SUMS files. It must never
// panic; a ledger compared with itself shows no drift; and swapping the
// sides swaps added and removed and keeps every other count.
func FuzzCompareLedgers(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""},
		{sumLine("a", "1") + sumLine("b", "2"), sumLine("a", "1") + sumLine("b", "3") + sumLine("c", "4")},
		{sumLine("logs/x.log", "1"), sumLine("logs/x.log", "2") + sumLine("manifest.json", "m")},
		{sumLine("b", "1") + sumLine("a", "2"), sumLine("a", "2")},
		{sumLine("new\nline", "1") + "# comment\n\n", sumLine("../up", "1")},
		{sumLine("a", "1") + sumLine("a", "1"), "garbage\n"},
	} {
		f.Add([]byte(s[0] + "\x00" + s[1]))
	}
	// One input split at its first NUL, a byte no ledger line may hold:
	// the engine mutates a single input much faster than a pair.
	// Inputs run one at a time in each fuzzing process, so one folder
	// serves them all. Each input costs a few file writes and reads, which
	// makes the engine's default minimizing (60 s per new input) crawl:
	// run it with a count, such as -fuzzminimizetime 100x (see .ci/run).
	dir := f.TempDir()
	pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b, _ := bytes.Cut(data, []byte{0})
		if err := os.WriteFile(pa, a, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pb, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{pa, pb} {
			self, err := Compare(p, p, Options{MaxFiles: 3})
			if err != nil {
				var pe *ledger.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v names no line", err)
				}
				continue
			}
			if self.Drift() || self.Counts() != (Counts{}) {
				t.Fatalf("%s against itself: %+v", p, self.Counts())
			}
		}
		ab, errAB := Compare(pa, pb, Options{MaxFiles: 3})
		ba, errBA := Compare(pb, pa, Options{MaxFiles: 3})
		if (errAB == nil) != (errBA == nil) {
			t.Fatalf("a→b: %v, b→a: %v", errAB, errBA)
		}
		if errAB != nil {
			return
		}
		x, y := ab.Counts(), ba.Counts()
		if x.Changed != y.Changed || x.Added != y.Removed || x.Removed != y.Added || x.Volatile != y.Volatile || ab.Unchanged != ba.Unchanged {
			t.Fatalf("not symmetric: a→b %+v (%d unchanged), b→a %+v (%d unchanged)", x, ab.Unchanged, y, ba.Unchanged)
		}
		for _, r := range []*Result{ab, ba} {
			c := r.Counts()
			if len(r.Changed) > 3 || len(r.Added) > 3 || len(r.Removed) > 3 || len(r.Volatile) > 3 ||
				len(r.Changed) != min(c.Changed, 3) || len(r.Added) != min(c.Added, 3) {
				t.Fatalf("lists not cut at 3: %+v", c)
			}
		}
	})
}
