// Package golden checks what a test renders against a file committed
// under testdata, and rewrites those files when the tests run with
// -update, so a change in output is a change in the diff a reviewer reads.
// Only tests import it: the flag exists in test binaries alone.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files with what the tests render")

// maxShown bounds the differing lines a failure lists.
const maxShown = 5

// Assert compares got with the golden file at path. With -update it writes
// got there instead, creating the folder, and passes.
func Assert[T ~string | ~[]byte](t testing.TB, path string, got T) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal([]byte(got), want) {
		t.Errorf("%s differs from the output (run the test with -update to rewrite it, then review the diff):\n%s",
			path, difference(string(want), string(got)))
	}
}

// difference lists the first lines that differ, by number, and the line
// counts; git diff after -update shows the rest.
func difference(want, got string) string {
	w, g := lines(want), lines(got)
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < maxShown; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl {
			continue
		}
		fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		shown++
	}
	fmt.Fprintf(&b, "(%d lines in the file, %d in the output)", len(w), len(g))
	return b.String()
}

// lines splits s after each line break; a last line without one counts.
func lines(s string) []string {
	l := strings.SplitAfter(s, "\n")
	if l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}
