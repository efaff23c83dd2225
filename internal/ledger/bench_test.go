package ledger

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Each benchmark builds its tree once; the sub-benchmarks time this package
// and, for comparison in the same run, the coreutils pipeline it replaces.
// Run with -benchtime=5x or so: the trees are big and the page cache warm.

func BenchmarkScanSmallFiles(b *testing.B) {
	const files, size = 20000, 4 << 10
	root := b.TempDir()
	data := randomBytes(1, 64<<10)
	for i := range files {
		name := fmt.Sprintf("d%02d/e%d/f%05d.bin", i%50, i/50%8, i)
		off := i % (len(data) - size)
		writeFile(b, root, name, data[off:off+size])
	}
	benchScan(b, root, files*size)
}

func BenchmarkScanLargeFiles(b *testing.B) {
	const files, size = 64, 4 << 20
	root := b.TempDir()
	for i := range files {
		writeFile(b, root, fmt.Sprintf("part-%02d.bin", i), randomBytes(uint64(i), size))
	}
	benchScan(b, root, files*size)
}

func benchScan(b *testing.B, root string, total int64) {
	b.Run("ledger", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Scan(context.Background(), root, ScanOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("coreutils", func(b *testing.B) {
		if _, err := exec.LookPath("sha256sum"); err != nil {
			b.Skip("sha256sum not on PATH")
		}
		b.SetBytes(total)
		for b.Loop() {
			cmd := exec.Command("bash", "-c", "find . -type f -print0 | sort -z | xargs -0 sha256sum >/dev/null")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
	})
}
