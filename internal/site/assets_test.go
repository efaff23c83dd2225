package site

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// mermaidRecorded is the SHA-256 of Mermaid's script as
// scripts/vendor-mermaid.sh recorded it from the npm package.
func mermaidRecorded(t *testing.T) [32]byte {
	t.Helper()
	b, err := os.ReadFile("assets/mermaid.min.js.sha256")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[1] != "mermaid.min.js" {
		t.Fatalf("assets/mermaid.min.js.sha256 is not one sha256sum line for mermaid.min.js: %q", b)
	}
	var sum [32]byte
	if n, err := hex.Decode(sum[:], []byte(f[0])); err != nil || n != len(sum) {
		t.Fatalf("assets/mermaid.min.js.sha256: %q is not a SHA-256", f[0])
	}
	return sum
}

// TestMermaidJSInflates: the gzipped script inflates to the bytes the npm
// package holds, and again to the same bytes.
func TestMermaidJSInflates(t *testing.T) {
	js, err := mermaidJS()
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(js) != mermaidRecorded(t) {
		t.Errorf("the inflated script (%d bytes) is not the one assets/mermaid.min.js.sha256 records", len(js))
	}
	again, err := mermaidJS()
	if err != nil || &again[0] != &js[0] {
		t.Errorf("a second call inflated again or failed: %v", err)
	}
}
