//go:build unix

package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// makeHostileTree builds the tree and returns the names Scan must list and
// those it must skip.
func makeHostileTree(t *testing.T) (root string, listed, skipped []string) {
	t.Helper()
	root = t.TempDir()
	for i, name := range hostileNames {
		data := randomBytes(uint64(i), 100+i)
		if name == "empty" {
			data = nil
		}
		writeFile(t, root, name, data)
	}
	writeFile(t, root, "big.bin", randomBytes(99, 3<<20+17))
	writeFile(t, root, FileName, []byte("stale ledger, must not be listed\n"))
	listed = append(slices.Clone(hostileNames), "big.bin")
	slices.Sort(listed)

	for _, l := range []struct{ target, name string }{
		{"plain.txt", "link-to-file"},
		{"a", "link-to-dir"},
		{"missing", "dangling\nlink"},
	} {
		if err := os.Symlink(l.target, filepath.Join(root, l.name)); err != nil {
			t.Fatal(err)
		}
		skipped = append(skipped, l.name)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "a", "fifo"), 0o644); err == nil {
		skipped = append(skipped, "a/fifo")
	}
	slices.Sort(skipped)
	return root, listed, skipped
}

func TestDigestMatchesCoreutils(t *testing.T) {
	needSha256sum(t)
	for _, workers := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			root, listed, skipped := makeHostileTree(t)
			want := coreutilsLedger(t, root)

			digest, res, err := Digest(context.Background(), openFolder(t, root), ScanOptions{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(root, FileName))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("SHA256SUMS differs from coreutils\n got: %q\nwant: %q", got, want)
			}
			if digest != sha256.Sum256(got) {
				t.Errorf("digest is not the SHA-256 of the bytes written")
			}
			var names []string
			for _, e := range res.Entries {
				names = append(names, e.Name)
			}
			if !slices.Equal(names, listed) {
				t.Errorf("entries\n got %q\nwant %q", names, listed)
			}
			if !slices.Equal(res.Skipped, skipped) {
				t.Errorf("skipped = %q, want %q", res.Skipped, skipped)
			}

			check := exec.Command("sha256sum", "--strict", "-c", FileName)
			check.Dir = root
			if out, err := check.CombinedOutput(); err != nil {
				t.Fatalf("sha256sum -c: %v\n%s", err, out)
			}
		})
	}
}

func TestParseCoreutilsOutput(t *testing.T) {
	needSha256sum(t)
	root, _, _ := makeHostileTree(t)
	res, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, flags string
	}{
		{"text", ""},
		{"binary", "-b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", "find . -type f ! -path ./"+FileName+" -print0 | sort -z | xargs -0 sha256sum "+tc.flags)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			if tc.flags == "-b" && !bytes.Contains(out, []byte(" *./")) {
				t.Fatalf("sha256sum -b wrote no binary-mode lines:\n%s", out)
			}
			got, err := Parse(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(res.Entries) {
				t.Fatalf("parsed %d entries, scanned %d", len(got), len(res.Entries))
			}
			for i, e := range got {
				w := res.Entries[i]
				if e.Name != w.Name || e.Sum != w.Sum || e.Size != -1 {
					t.Errorf("entry %d = %q %x %d, want %q %x -1", i, e.Name, e.Sum, e.Size, w.Name, w.Sum)
				}
			}
		})
	}
}
