package bundlezip_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/helios-action/helios-action/internal/bundlezip"
	"github.com/helios-action/helios-action/internal/ledger"
)

// FuzzOpenVerifyExtract feeds arbitrary bytes as a bundle zip: nothing
// panics, and whatever Extract does, it writes only regular files, named
// in the ledger, inside its folder.
func FuzzOpenVerifyExtract(f *testing.F) {
	helios, err := os.ReadFile(heliosZip(f, writeBundle(f, map[string]string{
		"manifest.json": "{}", "a/b.json": `{"k":1}`, "c.txt": "text",
	}), nil))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(helios)
	f.Add(rawZip(f, []ent{
		{name: "ok", data: "x"}, {name: "../evil", data: "x"}, {name: "link", data: "/etc", mode: os.ModeSymlink | 0o777},
		{name: ledger.FileName, data: sums(f, map[string]string{"ok": "x", "../evil": "x", "link": "/etc"})},
	}))
	f.Add(rawZip(f, []ent{{name: "big", data: "small", usize: 1 << 40}, {name: ledger.FileName, data: sums(f, map[string]string{"big": "small"})}}))
	f.Add([]byte{})
	lim := bundlezip.Limits{MaxEntries: 1000, MaxTotal: 1 << 20, MaxFile: 256 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		zipPath := filepath.Join(t.TempDir(), "b.zip")
		if err := os.WriteFile(zipPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := bundlezip.Open(zipPath, lim)
		if err != nil {
			return
		}
		defer b.Close()
		listed := map[string]bool{ledger.FileName: true}
		var names []string
		for _, e := range b.Ledger() {
			listed[e.Name] = true
			names = append(names, e.Name)
		}
		r, verr := b.Verify(context.Background())
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		xerr := b.Extract(context.Background(), dir, names)
		held, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(held) > 1 || len(held) == 1 && held[0].Name() != "out" {
			t.Fatalf("Extract wrote beside its folder: %v", held)
		}
		got := map[string]string{}
		if len(held) == 1 {
			got = tree(t, dir)
		}
		for name := range got {
			if !listed[name] {
				t.Errorf("extracted %q, which the ledger does not list", name)
			}
		}
		if verr == nil && r.Clean() && xerr == nil && len(got) != len(names)+1 {
			t.Errorf("a clean bundle extracted %d files, want %d", len(got), len(names)+1)
		}
	})
}
