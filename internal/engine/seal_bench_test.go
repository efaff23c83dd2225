package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/ledger"
)

// BenchmarkSealCheck compares the sealing check (one stat per file) with
// the scan that hashed the same bundle, on the ledger's small-file tree:
// 20,000 files of 4 KiB in 400 folders. Run with -benchtime=5x.
func BenchmarkSealCheck(b *testing.B) {
	const files, size = 20000, 4 << 10
	ws := b.TempDir()
	root := filepath.Join(ws, "out")
	data := make([]byte, size)
	for i := range files {
		p := filepath.Join(root, fmt.Sprintf("d%02d/e%d/f%05d.bin", i%50, i/50%8, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		data[0] = byte(i)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	d, err := bundlefs.Open(ws, "out")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	var entries []ledger.Entry
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			res, err := ledger.Scan(context.Background(), d.ReadPath(), ledger.ScanOptions{})
			if err != nil {
				b.Fatal(err)
			}
			entries = res.Entries
		}
	})
	b.Run("check", func(b *testing.B) {
		r := &run{bundle: d}
		for b.Loop() {
			if changed := r.changed(entries); len(changed) != 0 {
				b.Fatalf("%d files reported changed", len(changed))
			}
		}
	})
}
