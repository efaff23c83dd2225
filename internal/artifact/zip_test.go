package artifact

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// testFile is a file of the zip tests' tree.
type testFile struct {
	name string
	data []byte
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func textBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	words := strings.Fields("mission phase step receipt ledger digest governance kit plan owner thermostat token")
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, `{"step": %q, "value": %d, "note": "%s %s"}`+"\n",
			words[r.IntN(len(words))], r.IntN(1e6), words[r.IntN(len(words))], words[r.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

// zipTree is a tree that crosses every chunk boundary case.
func zipTree() []testFile {
	return []testFile{
		{"empty.txt", nil},
		{"a/one-byte", []byte("x")},
		{"a/text.json", textBytes(1, 300<<10)},
		{"a/exactly-a-chunk.bin", textBytes(2, chunkSize)},
		{"a/chunk-plus-one.bin", textBytes(3, chunkSize+1)},
		{"b/three-and-a-half.json", textBytes(4, 3*chunkSize+chunkSize/2)},
		{"b/random.bin", randomBytes(5, 2*chunkSize+12345)},
		{"b/ünïcode name.md", []byte("# ünïcode\n")},
		{"SHA256SUMS", []byte("not checked here\n")},
	}
}

func writeTree(t testing.TB, files []testFile) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func names(files []testFile) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.name
	}
	return out
}

// zipBytes zips the tree in memory, as Upload would stream it.
func zipBytes(t testing.TB, root string, files []string, level, workers int, force64 bool) []byte {
	t.Helper()
	dir, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	mod := time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)
	srcs, _, err := sources(dir, files, mod)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	s := &settings{level: level, workers: workers}
	if err := zipTo(context.Background(), s, dir, srcs, &buf, force64); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestZipReadsBack(t *testing.T) {
	files := zipTree()
	root := writeTree(t, files)
	for _, tc := range []struct {
		name    string
		level   int
		force64 bool
	}{
		{"store", 0, false},
		{"fastest", 1, false},
		{"default", 6, false},
		{"best", 9, false},
		{"zip64 records", 6, true},
		{"zip64 records stored", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := zipBytes(t, root, names(files), tc.level, 3, tc.force64)
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("archive/zip cannot read it: %v", err)
			}
			if len(zr.File) != len(files) {
				t.Fatalf("%d entries, want %d", len(zr.File), len(files))
			}
			for i, zf := range zr.File {
				want := files[i]
				if zf.Name != want.name {
					t.Errorf("entry %d is %q, want %q (ledger order)", i, zf.Name, want.name)
				}
				wantMethod := uint16(zip.Deflate)
				if tc.level == 0 || len(want.data) == 0 {
					wantMethod = zip.Store
				}
				if zf.Method != wantMethod {
					t.Errorf("%s: method %d, want %d", zf.Name, zf.Method, wantMethod)
				}
				if zf.Mode() != 0o644 {
					t.Errorf("%s: mode %v, want -rw-r--r--", zf.Name, zf.Mode())
				}
				if !zf.Modified.Equal(time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)) {
					t.Errorf("%s: modified %v", zf.Name, zf.Modified)
				}
				rc, err := zf.Open()
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc) // checks the CRC-32 at EOF
				rc.Close()
				if err != nil {
					t.Fatalf("%s: %v", zf.Name, err)
				}
				if !bytes.Equal(got, want.data) {
					t.Errorf("%s: content differs (%d bytes, want %d)", zf.Name, len(got), len(want.data))
				}
				if tc.force64 != (zf.UncompressedSize == max32) {
					t.Errorf("%s: 32-bit size field %#x with force64=%v", zf.Name, zf.UncompressedSize, tc.force64)
				}
			}
			unzipTest(t, data)
		})
	}
}

// unzipTest runs Info-ZIP's `unzip -t`, a second, independent reader.
func unzipTest(t *testing.T, data []byte) {
	t.Helper()
	if _, err := exec.LookPath("unzip"); err != nil {
		t.Log("unzip not found: Info-ZIP check skipped (apt-get install unzip)")
		return
	}
	p := filepath.Join(t.TempDir(), "a.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("unzip", "-t", p).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("No errors detected")) {
		t.Fatalf("unzip -t: %v\n%s", err, out)
	}
}

// The archive is a function of the files alone: how many goroutines deflate
// must not change a byte.
func TestZipDeterministic(t *testing.T) {
	files := zipTree()
	root := writeTree(t, files)
	want := zipBytes(t, root, names(files), 6, 1, false)
	for _, workers := range []int{2, 5} {
		if got := zipBytes(t, root, names(files), 6, workers, false); !bytes.Equal(got, want) {
			t.Errorf("%d workers give a different archive than 1", workers)
		}
	}
}

// A piece of a large file is deflated with the previous piece's tail as its
// dictionary: without it, repeated content across a chunk boundary would
// compress worse. A random 16 KiB block repeated over two chunks shows it:
// the second chunk is all back-references only when the window carries over.
func TestZipDictionaryCarriesAcrossChunks(t *testing.T) {
	const blockLen = 16 << 10
	block := randomBytes(9, blockLen)
	var data []byte
	for len(data) < 2*chunkSize {
		data = append(data, block...)
	}
	files := []testFile{{"r.bin", data}}
	root := writeTree(t, files)
	z := zipBytes(t, root, names(files), 6, 2, false)
	// Each 1 MiB piece costs about 7 KiB of back-references; a piece that
	// starts without the window pays the 16 KiB block again on top. With the
	// window: about 16+7+7 = 30 KiB; without: about 47 KiB.
	if len(z) > 2*blockLen+blockLen/4 {
		t.Errorf("zip of %d bytes is %d bytes: the second piece did not use the first's window", len(data), len(z))
	}
}

func TestZipFileChangedWhileZipping(t *testing.T) {
	files := []testFile{{"f", textBytes(1, 1000)}}
	root := writeTree(t, files)
	dir, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for _, tc := range []struct {
		name, want string
		size       int
	}{
		{"grew", "grew", 2000},
		{"shrank", "shrank", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srcs, _, err := sources(dir, []string{"f"}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "f"), textBytes(2, tc.size), 0o644); err != nil {
				t.Fatal(err)
			}
			err = zipTo(context.Background(), &settings{level: 6, workers: 2}, dir, srcs, io.Discard, false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying the file %s", err, tc.want)
			}
		})
	}
}

func TestDOSTime(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         time.Time
		date, time uint16
	}{
		{"epoch clamps to 1980", time.Unix(0, 0), 1<<5 | 1, 0},
		{"ordinary", time.Date(2024, 5, 6, 7, 8, 11, 0, time.UTC), 44<<9 | 5<<5 | 6, 7<<11 | 8<<5 | 5},
		{"zone ignored", time.Date(2024, 5, 6, 9, 8, 11, 0, time.FixedZone("x", 2*3600)), 44<<9 | 5<<5 | 6, 7<<11 | 8<<5 | 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, tm := dosTime(tc.in)
			if d != tc.date || tm != tc.time {
				t.Errorf("dosTime = %#x %#x, want %#x %#x", d, tm, tc.date, tc.time)
			}
		})
	}
}

// BenchmarkZip measures the streaming zip alone (no network) on 32 MiB of
// half text, half random bytes; scripts/bench-upload.sh measures the upload.
func BenchmarkZip(b *testing.B) {
	files := []testFile{
		{"text.json", textBytes(1, 16<<20)},
		{"random.bin", randomBytes(2, 16<<20)},
	}
	root := writeTree(b, files)
	dir, err := os.OpenRoot(root)
	if err != nil {
		b.Fatal(err)
	}
	defer dir.Close()
	srcs, total, err := sources(dir, names(files), time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	s := &settings{level: DefaultCompressionLevel, workers: runtime.GOMAXPROCS(0)}
	b.SetBytes(total)
	for b.Loop() {
		if err := zipTo(context.Background(), s, dir, srcs, io.Discard, false); err != nil {
			b.Fatal(err)
		}
	}
}
