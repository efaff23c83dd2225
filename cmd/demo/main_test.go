package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo is the README's first command on a copy of the example: the
// whole mission passes against the in-process dev chain, and the output
// says where the Markdown reports are.
func TestDemo(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("the example mission's steps need sh")
	}
	ws := t.TempDir()
	src := filepath.Join("..", "..", "testdata", "example")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel == "reports" || rel == ".helios-work" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(ws, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(ws, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"-C", ws}, &out, &errb, false); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"demo: dev chain (chain id 31337) serving http://127.0.0.1:", "demo: success", "owner/thermodynamics.md", "chain/token-metadata.md", "chain/identity-signers.md", "chain/pause-state.md"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
