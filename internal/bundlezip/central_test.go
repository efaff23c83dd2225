package bundlezip

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func zipOf(t testing.TB, n int, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f%d", i), Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCountEntriesMatchesArchiveZip: the count is what archive/zip loads,
// also when the end record's count is wrong (archive/zip reads on until a
// header fails), when the archive follows a stub, and for zip64.
func TestCountEntriesMatchesArchiveZip(t *testing.T) {
	lying := zipOf(t, 11, "")
	end := bytes.LastIndex(lying, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(lying[end+8:], 1)
	binary.LittleEndian.PutUint16(lying[end+10:], 1)

	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"plain", zipOf(t, 11, "x"), 11},
		{"empty", zipOf(t, 0, ""), 0},
		{"after a stub", append(bytes.Repeat([]byte("#!stub\n"), 20), zipOf(t, 11, "x")...), 11},
		{"a wrong count in the end record", lying, 11},
		{"zip64", zipOf(t, 1<<16+3, ""), 1<<16 + 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(tc.data)
			n, err := countEntries(r, r.Size(), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Errorf("counted %d entries, want %d", n, tc.want)
			}
			// The count is what archive/zip loads (it fails the lying
			// zip only after loading every header).
			if zr, err := zip.NewReader(r, r.Size()); err == nil && len(zr.File) != n {
				t.Errorf("archive/zip loads %d entries, the count says %d", len(zr.File), n)
			}
			if tc.want > 0 {
				if _, err := countEntries(r, r.Size(), tc.want-1); !errors.Is(err, ErrLimit) {
					t.Errorf("with a limit of %d: %v, want ErrLimit", tc.want-1, err)
				}
			}
		})
	}
}

// TestCopyEntryCountsBytes: the budget holds against the bytes read, not
// only the sizes declared (Verify and Extract also check those first).
func TestCopyEntryCountsBytes(t *testing.T) {
	data := zipOf(t, 1, strings.Repeat("z", 1<<20))
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	bud := newBudget(100 << 10)
	err = copyEntry(context.Background(), zr.File[0], &got, 1<<30, "a file", bud)
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("copyEntry: %v, want ErrLimit", err)
	}
	if got.Len() > 100<<10 {
		t.Errorf("wrote %d bytes past a budget of %d", got.Len(), 100<<10)
	}
}
