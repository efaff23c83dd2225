package ledger

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestVerify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, root string)
		want   VerifyReport
	}{
		{
			name:   "untouched",
			change: func(*testing.T, string) {},
			want:   VerifyReport{OK: 4},
		},
		{
			name: "missing extra changed",
			change: func(t *testing.T, root string) {
				if err := os.Remove(filepath.Join(root, "dir", "gone")); err != nil {
					t.Fatal(err)
				}
				writeFile(t, root, "new\nfile", []byte("x"))
				writeFile(t, root, "keep", []byte("changed"))
			},
			want: VerifyReport{OK: 2, Missing: []string{"dir/gone"}, Extra: []string{"new\nfile"}, Changed: []string{"keep"}},
		},
		{
			name: "file replaced by symlink is missing",
			change: func(t *testing.T, root string) {
				p := filepath.Join(root, "keep")
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("dir/gone", p); err != nil {
					t.Fatal(err)
				}
			},
			want: VerifyReport{OK: 3, Missing: []string{"keep"}},
		},
		{
			name: "same size different bytes",
			change: func(t *testing.T, root string) {
				writeFile(t, root, "a b", []byte("AAA"))
			},
			want: VerifyReport{OK: 3, Changed: []string{"a b"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeFile(t, root, "keep", []byte("keep"))
			writeFile(t, root, "a b", []byte("aaa"))
			writeFile(t, root, "dir/gone", []byte("gone"))
			writeFile(t, root, "dir/stay", []byte("stay"))
			ctx := context.Background()
			if _, _, err := Digest(ctx, openFolder(t, root), ScanOptions{}); err != nil {
				t.Fatal(err)
			}
			tc.change(t, root)

			got, err := Verify(ctx, root, ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.OK != tc.want.OK || !slices.Equal(got.Missing, tc.want.Missing) ||
				!slices.Equal(got.Extra, tc.want.Extra) || !slices.Equal(got.Changed, tc.want.Changed) {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
			if got.Clean() != (len(tc.want.Missing)+len(tc.want.Extra)+len(tc.want.Changed) == 0) {
				t.Errorf("Clean() = %v for %+v", got.Clean(), *got)
			}
		})
	}
}

func TestVerifyWithoutLedger(t *testing.T) {
	if _, err := Verify(context.Background(), t.TempDir(), ScanOptions{}); err == nil {
		t.Error("Verify succeeded without a ledger")
	}
}
