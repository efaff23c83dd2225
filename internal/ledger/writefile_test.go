package ledger

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/helios-action/helios-action/internal/bundlefs"
)

func TestWriteFile(t *testing.T) {
	good := []Entry{{Name: "a", Sum: sha256.Sum256([]byte("a"))}, {Name: "b/c"}}
	for _, tc := range []struct {
		name    string
		old     []byte // existing SHA256SUMS, nil for none
		entries []Entry
		wantErr bool
	}{
		{"new ledger", nil, good, false},
		{"replaces existing", []byte("old contents\n"), good, false},
		{"empty ledger", []byte("old"), nil, false},
		{"failed write keeps old", []byte("old contents\n"), []Entry{{Name: "b"}, {Name: "a"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			root := filepath.Join(ws, "b")
			os.Mkdir(root, 0o755)
			path := filepath.Join(root, FileName)
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			dir, err := bundlefs.Open(ws, "b")
			if err != nil {
				t.Fatal(err)
			}
			defer dir.Close()
			digest, err := WriteFile(dir, tc.entries)
			// No temporary file may be left behind, whatever happened.
			wantNames := []string{FileName}
			if tc.old == nil && tc.wantErr {
				wantNames = nil
			}
			if names := dirNames(t, root); !slices.Equal(names, wantNames) {
				t.Errorf("directory holds %q, want %q", names, wantNames)
			}
			got, rerr := os.ReadFile(path)
			if tc.wantErr {
				if err == nil {
					t.Fatal("WriteFile succeeded, want an error")
				}
				if !bytes.Equal(got, tc.old) {
					t.Errorf("old ledger changed to %q", got)
				}
				return
			}
			if err != nil || rerr != nil {
				t.Fatal(err, rerr)
			}
			var want bytes.Buffer
			if err := Encode(&want, tc.entries); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("ledger = %q, want %q", got, want.Bytes())
			}
			if digest != sha256.Sum256(got) {
				t.Error("digest is not the SHA-256 of the ledger")
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("ledger mode = %v, %v; want 0644", fi.Mode(), err)
			}
		})
	}
}

// TestWriteFileReplacesLink: a SHA256SUMS a step left as a link is
// replaced, and what it pointed at is untouched.
func TestWriteFileReplacesLink(t *testing.T) {
	ws, out := t.TempDir(), t.TempDir()
	target := filepath.Join(out, "victim")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(ws, "b"), 0o755)
	if err := os.Symlink(target, filepath.Join(ws, "b", FileName)); err != nil {
		t.Fatal(err)
	}
	dir, err := bundlefs.Open(ws, "b")
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if _, err := WriteFile(dir, []Entry{{Name: "a"}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("written through the link: %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(ws, "b", FileName)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("ledger is not a regular file: %v %v", fi, err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}
