package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Assert reports.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
}

func run(path, got string) *recorder {
	r := &recorder{}
	Assert(r, path, got)
	return r
}

func TestAssert(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.md")
	if err := os.WriteFile(path, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(path, "a\nb\nc\n"); len(r.errors) != 0 {
		t.Errorf("same output: %v", r.errors)
	}
	r := run(path, "a\nB\nc\nd\n")
	if len(r.errors) != 1 || r.fatal {
		t.Fatalf("changed output: %v (fatal %v)", r.errors, r.fatal)
	}
	for _, want := range []string{path, `line 2:`, `want "b\n"`, `got  "B\n"`, `line 4:`, "(3 lines in the file, 4 in the output)"} {
		if !strings.Contains(r.errors[0], want) {
			t.Errorf("report lacks %q:\n%s", want, r.errors[0])
		}
	}
	if r := run(filepath.Join(dir, "missing.md"), "x"); !r.fatal || !strings.Contains(r.errors[0], "-update") {
		t.Errorf("missing golden: %v (fatal %v)", r.errors, r.fatal)
	}
	if r := run(path, "a\nb\nc"); len(r.errors) != 1 || !strings.Contains(r.errors[0], "(3 lines in the file, 3 in the output)") {
		t.Errorf("no final line break: %v", r.errors)
	}
	if r := run(path, strings.Repeat("x\n", 20)); strings.Count(r.errors[0], "line ") != maxShown {
		t.Errorf("a long difference lists more than %d lines:\n%s", maxShown, r.errors[0])
	}
}

func TestUpdateWrites(t *testing.T) {
	defer func(was bool) { *update = was }(*update)
	*update = true
	path := filepath.Join(t.TempDir(), "new", "dir", "out.txt")
	if r := run(path, "fresh\n"); len(r.errors) != 0 {
		t.Fatalf("update: %v", r.errors)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "fresh\n" {
		t.Fatalf("update wrote %q, %v", b, err)
	}
	Assert(t, path, []byte("bytes\n"))
	*update = false
	Assert(t, path, []byte("bytes\n"))
}
