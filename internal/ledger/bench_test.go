package ledger

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/mask"
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

// benchSecrets are the values a real action run scans for, with every form
// the masker derives and their base64, at the lengths they have in
// practice: the workflow token (GITHUB_TOKEN and INPUT_GITHUB-TOKEN, 40
// bytes), the artifact runtime token (a JWT of about 1.2 KB), an RPC URL
// with a 32-byte key in its path, and two pass-env secrets (a private key
// in hex, a 34-byte API key). The shortest pattern sets the sampling
// stride; BenchmarkHashWrite/short-secret shows a 16-byte one.
func benchSecrets() *Secrets { return NewSecrets(benchValues()) }

func benchValues() []string {
	jwt := "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + base64.RawURLEncoding.EncodeToString(randomBytes(9, 600)) + "." + base64.RawURLEncoding.EncodeToString(randomBytes(10, 256))
	m := mask.New(
		"ghs_"+hex.EncodeToString(randomBytes(11, 18)),
		jwt,
		"https://eth-mainnet.g.example.com/v2/"+base64.RawURLEncoding.EncodeToString(randomBytes(12, 24)),
		"0x"+hex.EncodeToString(randomBytes(13, 32)),
		strings.ToUpper(hex.EncodeToString(randomBytes(14, 17))),
	)
	return m.Secrets()
}

// benchScan times Scan without and with secrets and the coreutils pipeline.
// Besides ns/op (wall) each reports cpu-ms/op, the CPU time of the process
// (or of the pipeline's processes), which a busy machine disturbs far less.
func benchScan(b *testing.B, root string, total int64) {
	for _, tc := range []struct {
		name    string
		secrets *Secrets
	}{{"ledger", nil}, {"ledger+secrets", benchSecrets()}} {
		b.Run(tc.name, func(b *testing.B) {
			if tc.secrets != nil {
				b.ReportMetric(float64(tc.secrets.Len()), "patterns")
			}
			b.SetBytes(total)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				res, err := Scan(context.Background(), root, ScanOptions{Secrets: tc.secrets})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Leaks) > 0 {
					b.Fatalf("leaks in random data: %q", res.Leaks)
				}
			}
			reportCPU(b, cpuTime()-cpu)
		})
	}
	b.Run("coreutils", func(b *testing.B) {
		if _, err := exec.LookPath("sha256sum"); err != nil {
			b.Skip("sha256sum not on PATH")
		}
		b.SetBytes(total)
		var cpu time.Duration
		for b.Loop() {
			cmd := exec.Command("bash", "-c", "find . -type f -print0 | sort -z | xargs -0 sha256sum >/dev/null")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
			cpu += childCPU(cmd.ProcessState)
		}
		reportCPU(b, cpu)
	})
}

func reportCPU(b *testing.B, d time.Duration) {
	b.ReportMetric(float64(d.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkSecretsContains times the matcher alone on one read buffer of
// random bytes and of log-like text.
func BenchmarkSecretsContains(b *testing.B) {
	secrets := benchSecrets()
	text := []byte(strings.Repeat("2026-12-01T10:00:00Z phase build: step 3 ok, 0x1f2e3d4c5b6a7980 gas=21000 https://example.com/v2/***\n", hashBufSize/96+1))[:hashBufSize]
	for _, tc := range []struct {
		name string
		data []byte
	}{{"random", randomBytes(5, hashBufSize)}, {"text", text}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			cpu := cpuTime()
			for b.Loop() {
				if secrets.Contains(tc.data) {
					b.Fatal("hit")
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkHashWrite times what a worker does with one full read buffer,
// hashing alone and hashing with the secret scan: the scan's share of the
// per-byte cost, without the system calls and the disk around it.
func BenchmarkHashWrite(b *testing.B) {
	data := randomBytes(6, hashBufSize)
	for _, tc := range []struct {
		name    string
		secrets *Secrets
	}{
		{"sha256", nil},
		{"sha256+secrets", benchSecrets()},
		{"short-secret", NewSecrets(append(benchValues(), "abcdefgh12345678"))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := newHasher(rootDir{})
			h.secrets = tc.secrets.stream()
			b.SetBytes(int64(len(data)))
			cpu := cpuTime()
			for b.Loop() {
				h.h.Reset()
				if h.secrets != nil {
					h.secrets.reset()
				}
				h.write(data)
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
